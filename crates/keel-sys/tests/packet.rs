//! Gratuitous ARP frames sent through AF_PACKET, judged by tcpdump on the peer (needs root).

use keel_lab::{Capture, Lab};
use keel_sys::packet::{FrameSender, PacketSocket, interface_info};

/// A gratuitous ARP request as spec §3.9 describes it: broadcast, op request, sender and
/// target IP = the VIP, target MAC ff:ff:ff:ff:ff:ff.
fn garp(mac: [u8; 6], vip: [u8; 4]) -> Vec<u8> {
    let mut frame = vec![0xff; 6];
    frame.extend_from_slice(&mac);
    frame.extend_from_slice(&[0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01]);
    frame.extend_from_slice(&mac);
    frame.extend_from_slice(&vip);
    frame.extend_from_slice(&[0xff; 6]);
    frame.extend_from_slice(&vip);
    frame
}

fn mac_text(mac: [u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gratuitous_arp_from_one_host_is_seen_on_the_other() {
    let mut lab = Lab::new("kpkt");
    let a = lab.add_host();
    let b = lab.add_host();
    let handle = tokio::runtime::Handle::current();

    // Input: the interface helper on host A.
    // Output: e0's ifindex and MAC, as `ip link` reports them.
    let (info, socket) = lab.host(a).ns.run_in(move || {
        let _runtime = handle.enter();
        let info = interface_info("e0").expect("interface info");
        (info, PacketSocket::open("e0").expect("open AF_PACKET"))
    });
    assert_eq!(info.index, lab.host(a).ns.ifindex("e0"));
    assert_eq!(mac_text(info.mac), lab.host(a).mac());

    // Input: A sends three GARPs for 10.77.0.100 with its own MAC.
    // Output: tcpdump on B's e0 shows three broadcast ARP requests from A's MAC for the VIP.
    let mut capture = Capture::start(&lab.host(b).ns, "e0", "arp");
    let frame = garp(info.mac, [10, 77, 0, 100]);
    for _ in 0..3 {
        socket.send_frame(&frame).await.expect("send GARP");
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let lines = capture.read_text();
    let garps: Vec<_> = lines
        .iter()
        .filter(|l| l.contains("Request who-has 10.77.0.100 (ff:ff:ff:ff:ff:ff) tell 10.77.0.100"))
        .collect();
    assert_eq!(garps.len(), 3, "capture: {lines:#?}");
    for line in garps {
        assert!(
            line.contains(&mac_text(info.mac)),
            "wrong source MAC: {line}"
        );
        // tcpdump -e prints "SRC > DST, ethertype …": the Ethernet destination.
        assert!(
            line.contains("> ff:ff:ff:ff:ff:ff, ethertype ARP"),
            "not broadcast: {line}"
        );
    }

    // Input: a frame too short for an Ethernet header.  Output: an error, nothing sent.
    assert!(socket.send_frame(&[0u8; 10]).await.is_err());
}

/// RFC 1071 checksum over the IPv6 pseudo-header (next header 58) and `icmp`.
fn icmpv6_checksum(source: [u8; 16], destination: [u8; 16], icmp: &[u8]) -> u16 {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&source);
    bytes.extend_from_slice(&destination);
    bytes.extend_from_slice(&(icmp.len() as u32).to_be_bytes());
    bytes.extend_from_slice(&[0, 0, 0, 58]);
    bytes.extend_from_slice(icmp);
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An unsolicited neighbour advertisement (RFC 4861 §4.4, §7.2.6) for `target` with the
/// override flag and a target link-layer address option, to all-nodes ff02::1.
fn unsolicited_na(mac: [u8; 6], source: std::net::Ipv6Addr, target: std::net::Ipv6Addr) -> Vec<u8> {
    let all_nodes: std::net::Ipv6Addr = "ff02::1".parse().unwrap();
    let mut icmp = vec![136, 0, 0, 0, 0x20, 0, 0, 0];
    icmp.extend_from_slice(&target.octets());
    icmp.extend_from_slice(&[2, 1]);
    icmp.extend_from_slice(&mac);
    let checksum = icmpv6_checksum(source.octets(), all_nodes.octets(), &icmp);
    icmp[2..4].copy_from_slice(&checksum.to_be_bytes());
    let mut frame = vec![0x33, 0x33, 0, 0, 0, 1];
    frame.extend_from_slice(&mac);
    frame.extend_from_slice(&[0x86, 0xdd, 0x60, 0, 0, 0]);
    frame.extend_from_slice(&(icmp.len() as u16).to_be_bytes());
    frame.extend_from_slice(&[58, 255]);
    frame.extend_from_slice(&source.octets());
    frame.extend_from_slice(&all_nodes.octets());
    frame.extend_from_slice(&icmp);
    frame
}

fn neighbour(lab: &Lab, host: usize, address: &str) -> String {
    lab.host(host)
        .ns
        .ip(&["neigh", "show", "to", address, "dev", "e0"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garp_and_unsolicited_na_move_a_peers_neighbour_entry_to_the_new_master() {
    let mut lab = Lab::new("kgarp");
    let master = lab.add_host();
    let peer = lab.add_host();
    lab.host(master).add_address("10.77.0.1/24");
    lab.host(peer).add_address("10.77.0.2/24");
    lab.host(master).add_address("fd77::1/64");
    lab.host(peer).add_address("fd77::2/64");
    let source: std::net::Ipv6Addr = lab.host(master).link_local().parse().unwrap();
    // The peer still believes the VIPs are at the old master's MAC.
    for vip in ["10.77.0.100", "fd77::100"] {
        lab.host(peer).ns.ip(&[
            "neigh",
            "replace",
            vip,
            "lladdr",
            "02:00:00:00:00:01",
            "dev",
            "e0",
            "nud",
            "stale",
        ]);
    }
    let handle = tokio::runtime::Handle::current();
    let (info, socket) = lab.host(master).ns.run_in(move || {
        let _runtime = handle.enter();
        (
            interface_info("e0").unwrap(),
            PacketSocket::open("e0").unwrap(),
        )
    });
    let mac = mac_text(info.mac);

    // Input: the new master sends a GARP for 10.77.0.100 and an unsolicited NA for
    // fd77::100, both with its own MAC.
    // Output: the peer's neighbour entries for both VIPs now point at the new master.
    socket
        .send_frame(&garp(info.mac, [10, 77, 0, 100]))
        .await
        .unwrap();
    let vip6: std::net::Ipv6Addr = "fd77::100".parse().unwrap();
    socket
        .send_frame(&unsolicited_na(info.mac, source, vip6))
        .await
        .unwrap();
    let mut updated = (String::new(), String::new());
    for _ in 0..50 {
        updated = (
            neighbour(&lab, peer, "10.77.0.100"),
            neighbour(&lab, peer, "fd77::100"),
        );
        if updated.0.contains(&mac) && updated.1.contains(&mac) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        updated.0.contains(&mac),
        "IPv4 entry not moved: {}",
        updated.0
    );
    assert!(
        updated.1.contains(&mac),
        "IPv6 entry not moved: {}",
        updated.1
    );
}

/// An IPv4 multicast frame to 224.0.0.18 of protocol 112 from `mac`/10.77.0.1, `payload`
/// bytes of zeros after a header with IP id `ident` and a correct checksum.
fn vrrp_like_frame(mac: [u8; 6], ident: u16, payload: usize) -> Vec<u8> {
    let mut frame = vec![0x01, 0x00, 0x5e, 0x00, 0x00, 0x12];
    frame.extend_from_slice(&mac);
    frame.extend_from_slice(&[0x08, 0x00]);
    let mut header = vec![0x45, 0xc0];
    header.extend_from_slice(&((20 + payload) as u16).to_be_bytes());
    header.extend_from_slice(&ident.to_be_bytes());
    header.extend_from_slice(&[0, 0, 255, 112, 0, 0, 10, 77, 0, 1, 224, 0, 0, 18]);
    let mut sum: u32 = header
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    header[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    frame.extend_from_slice(&header);
    frame.resize(frame.len() + payload, 0);
    frame
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_frames_reaches_the_peer_and_a_refused_one_holds_back_nothing() {
    use keel_sys::packet::{FrameBatch, FrameSocket};
    let mut lab = Lab::new("kfrm");
    let a = lab.add_host();
    let b = lab.add_host();
    let handle = tokio::runtime::Handle::current();

    // Input: a frame socket on A's e0 (Ethernet), and one on lo (not Ethernet).
    // Output: the first opens with e0's MAC and the qdisc bypass granted; lo is refused.
    let (socket, on_lo) = lab.host(a).ns.run_in(move || {
        let _runtime = handle.enter();
        (FrameSocket::open("e0"), FrameSocket::open("lo"))
    });
    let socket = socket.expect("frame socket on e0");
    assert!(on_lo.is_err(), "lo has no Ethernet header to build");
    assert_eq!(mac_text(socket.mac()), lab.host(a).mac());
    assert_eq!(socket.ifindex(), lab.host(a).ns.ifindex("e0"));
    assert!(socket.qdisc_bypass());
    assert_eq!(socket.mtu(), 1500);

    // Input: 300 frames in one batch (five sendmmsg calls), the 100th too large for the
    // link's MTU.
    // Output: B's e0 receives the other 299 (an nftables ingress counter is the judge:
    // tcpdump's ring, 256 KiB a slot, drops parts of a burst on a loaded machine); those
    // tcpdump saw come in order, with the group MAC and good checksums; the call reports
    // the refusal.
    let peer = &lab.host(b).ns;
    peer.nft("add table netdev kfrm");
    peer.nft(
        "add chain netdev kfrm in { type filter hook ingress device e0 priority 0; policy accept; }",
    );
    peer.nft("add rule netdev kfrm in ip protocol 112 counter");
    let mut capture = Capture::start(peer, "e0", "ip proto 112");
    let mut batch = FrameBatch::new();
    for ident in 1..=300u16 {
        let payload = if ident == 100 { 3000 } else { 20 };
        batch.push(&vrrp_like_frame(socket.mac(), ident, payload));
    }
    assert_eq!(batch.len(), 300);
    let result = socket.send_batch(&batch).await;
    assert!(result.is_err(), "the oversized frame is refused");
    let mut counted = 0;
    for _ in 0..100 {
        counted = ingress_count(peer);
        if counted >= 299 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(counted, 299);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let lines = capture.read_text();
    let ids: Vec<u16> = lines
        .iter()
        .filter_map(|line| {
            let id = line.split(", id ").nth(1)?.split(',').next()?;
            id.parse().ok()
        })
        .collect();
    assert!(
        !ids.is_empty() && !ids.contains(&100),
        "capture: {lines:#?}"
    );
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "out of order: {ids:?}");
    assert!(
        lines
            .iter()
            .filter(|l| l.contains("ethertype"))
            .all(|l| !l.contains("bad cksum") && l.contains("> 01:00:5e:00:00:12")),
        "{lines:#?}"
    );

    // Input: the batch cleared, then two frames and the last one taken back.
    // Output: the first is sent alone.
    batch.clear();
    assert!(batch.is_empty());
    batch.push(&vrrp_like_frame(socket.mac(), 7, 20));
    batch.push(&vrrp_like_frame(socket.mac(), 8, 20));
    batch.pop();
    assert_eq!(batch.len(), 1);
    assert_eq!(batch.frame(0), &vrrp_like_frame(socket.mac(), 7, 20)[..]);
    socket.send_batch(&batch).await.expect("one frame");

    // Input: A's e0 loses carrier (the switch port goes down), then 300 frames.
    // Output: the device takes none (ENOBUFS with the qdisc bypassed); the batch is given
    // up after its ten 1 ms pauses, not after a pause per frame.
    lab.set_port_up(a, false);
    assert!(
        keel_lab::wait_until(std::time::Duration::from_secs(3), || {
            lab.host(a)
                .ns
                .ip(&["link", "show", "dev", "e0"])
                .contains("NO-CARRIER")
        })
        .is_some()
    );
    batch.clear();
    for ident in 1..=300u16 {
        batch.push(&vrrp_like_frame(socket.mac(), ident, 20));
    }
    let started = std::time::Instant::now();
    let result = socket.send_batch(&batch).await;
    assert!(result.is_err(), "nothing can leave without carrier");
    assert!(
        started.elapsed() < std::time::Duration::from_millis(250),
        "stalled {:?}",
        started.elapsed()
    );
}

/// The packets the ingress counter of table `kfrm` counted.
fn ingress_count(ns: &keel_lab::Netns) -> u64 {
    let out = ns.sh("nft list chain netdev kfrm in");
    let text = String::from_utf8_lossy(&out.stdout);
    text.split("counter packets ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}
