//! The in-kernel advert filter (keel_sys::socket::filter) on real raw sockets between two
//! hosts on a bridge (needs root): what it absorbs, what it lets through, what it records.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::AsRawFd;
use std::time::Duration;

use keel_lab::Lab;
use keel_sys::socket::filter::{AdvertFilter, FilterFamily, Fingerprint, monotonic_ns};
use keel_sys::socket::{
    AdvertSocket, IpProtocol, Received, VRRP_GROUP_V4, VRRP_GROUP_V6, VrrpSocketV4, VrrpSocketV6,
};

const A: Ipv4Addr = Ipv4Addr::new(10, 78, 0, 1);

fn two_hosts() -> Lab {
    keel_lab::require_root();
    let mut lab = Lab::new("kfilt");
    let a = lab.add_host();
    let b = lab.add_host();
    lab.host(a).add_address("10.78.0.1/24");
    lab.host(b).add_address("10.78.0.2/24");
    lab
}

/// A VRRPv3 advert from A for VRID 51 at `priority`, IPv4 identification `ident` (the kernel
/// fills in the header checksum of an IP_HDRINCL packet).
fn advert_v4(priority: u8, ident: u16) -> Vec<u8> {
    let payload = [
        0x31, 51, priority, 1, 0x00, 0x0a, 0x12, 0x34, 10, 78, 0, 100,
    ];
    let mut packet = vec![0x45, 0xc0, 0, 32];
    packet.extend_from_slice(&ident.to_be_bytes());
    packet.extend_from_slice(&[0, 0, 255, 112, 0, 0]);
    packet.extend_from_slice(&A.octets());
    packet.extend_from_slice(&VRRP_GROUP_V4.octets());
    packet.extend_from_slice(&payload);
    packet
}

async fn next<S: AdvertSocket>(socket: &S, buf: &mut [u8], wait: Duration) -> Option<Received> {
    tokio::time::timeout(wait, socket.recv(buf))
        .await
        .ok()
        .map(|got| got.expect("recv failed"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv4_filter_absorbs_the_armed_advert_only_and_records_its_last_arrival() {
    let lab = two_hosts();
    let handle = tokio::runtime::Handle::current();
    let open = |index: usize| {
        let handle = handle.clone();
        lab.host(index).ns.run_in(move || {
            let _runtime = handle.enter();
            let socket = VrrpSocketV4::open("e0", IpProtocol::Vrrp).expect("open v4 socket");
            socket.join(IpAddr::V4(VRRP_GROUP_V4)).expect("join");
            socket
        })
    };
    let (sender, receiver) = (open(0), open(1));
    let filter = AdvertFilter::attach(receiver.as_raw_fd(), FilterFamily::Ipv4)
        .expect("the kernel accepts the program");
    let mut buf = [0u8; 1500];
    let group = IpAddr::V4(VRRP_GROUP_V4);
    let long = Duration::from_secs(3);
    let short = Duration::from_millis(300);

    // Input: the advert, nothing armed.  Output: received as without a filter.
    sender.send(&advert_v4(100, 1), group).await.unwrap();
    let got = next(&receiver, &mut buf, long).await.expect("advert");
    let print = Fingerprint::ipv4(&buf[..got.len]).expect("fingerprint");
    assert_eq!(print.vrid(), 51);
    assert_eq!(filter.absorbed(51).count, 0);

    // Input: armed (limit 2 s), then the same advert five times, each with another IP
    // identification.  Output: none reaches the socket; five counted; the last arrival is
    // after the arming and not in the future.
    let armed_at = monotonic_ns();
    filter.arm(&print, armed_at, 2_000_000_000);
    assert_eq!(filter.absorbed(51).last_ns, armed_at);
    for ident in 2..7 {
        sender.send(&advert_v4(100, ident), group).await.unwrap();
    }
    assert_eq!(next(&receiver, &mut buf, short).await, None);
    let absorbed = filter.absorbed(51);
    assert_eq!(absorbed.count, 5);
    assert!(absorbed.last_ns > armed_at && absorbed.last_ns <= monotonic_ns());

    // Input: priority 90.  Output: received (another advert); the count stays.
    sender.send(&advert_v4(90, 7), group).await.unwrap();
    let got = next(&receiver, &mut buf, long)
        .await
        .expect("changed advert");
    assert_eq!(buf[22], 90);
    assert_eq!(got.len, 32);
    assert_eq!(filter.absorbed(51).count, 5);

    // Input: re-armed with a 100 ms limit, one advert at once, then one 300 ms later.
    // Output: the first absorbed; the second, after a longer gap than the limit, received.
    filter.arm(&print, monotonic_ns(), 100_000_000);
    sender.send(&advert_v4(100, 8), group).await.unwrap();
    assert_eq!(next(&receiver, &mut buf, short).await, None);
    assert_eq!(filter.absorbed(51).count, 6);
    sender.send(&advert_v4(100, 9), group).await.unwrap();
    assert!(
        next(&receiver, &mut buf, long).await.is_some(),
        "gap not seen"
    );
    assert_eq!(filter.absorbed(51).count, 6);

    // Input: disarmed, the same advert.  Output: received.
    filter.arm(&print, monotonic_ns(), 2_000_000_000);
    filter.disarm(51);
    sender.send(&advert_v4(100, 10), group).await.unwrap();
    assert!(next(&receiver, &mut buf, long).await.is_some(), "disarmed");
    assert_eq!(filter.absorbed(51).count, 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_filter_absorbs_by_the_rebuilt_header() {
    let lab = two_hosts();
    let link_local_a: Ipv6Addr = lab.host(0).link_local().parse().unwrap();
    let handle = tokio::runtime::Handle::current();
    let open = |index: usize, source: Option<Ipv6Addr>| {
        let handle = handle.clone();
        lab.host(index).ns.run_in(move || {
            let _runtime = handle.enter();
            let mut socket = VrrpSocketV6::open("e0", IpProtocol::Vrrp).expect("open v6 socket");
            socket.join(IpAddr::V6(VRRP_GROUP_V6)).expect("join");
            socket.set_source(source);
            socket
        })
    };
    let (sender, receiver) = (open(0, Some(link_local_a)), open(1, None));
    let filter = AdvertFilter::attach(receiver.as_raw_fd(), FilterFamily::Ipv6)
        .expect("the kernel accepts the program");
    let mut buf = [0u8; 1500];
    let group = IpAddr::V6(VRRP_GROUP_V6);
    let long = Duration::from_secs(3);
    let short = Duration::from_millis(300);
    let mut payload = vec![0x31, 9, 100, 1, 0x00, 0x0a, 0, 0];
    payload.extend_from_slice(&"fd78::100".parse::<Ipv6Addr>().unwrap().octets());

    // Input: the advert, nothing armed.  Output: received, from A's link-local.
    sender.send(&payload, group).await.unwrap();
    let got = next(&receiver, &mut buf, long).await.expect("advert");
    assert_eq!(got.source, IpAddr::V6(link_local_a));
    let print = Fingerprint::ipv6(&buf[..got.len], &got).expect("fingerprint");
    assert_eq!(print.vrid(), 9);

    // Input: armed, the same advert three times.  Output: absorbed, three counted.
    filter.arm(&print, monotonic_ns(), 2_000_000_000);
    for _ in 0..3 {
        sender.send(&payload, group).await.unwrap();
    }
    assert_eq!(next(&receiver, &mut buf, short).await, None);
    assert_eq!(filter.absorbed(9).count, 3);

    // Input: one more address (a longer advert).  Output: received.
    payload[3] = 2;
    payload.extend_from_slice(&"fd78::101".parse::<Ipv6Addr>().unwrap().octets());
    sender.send(&payload, group).await.unwrap();
    let got = next(&receiver, &mut buf, long)
        .await
        .expect("longer advert");
    assert_eq!(got.len, 40);
    assert_eq!(filter.absorbed(9).count, 3);
}
