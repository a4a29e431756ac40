//! The raw VRRP sockets against Debian's keepalived 2.2.7 on the lab bridge (needs root and
//! the `keepalived` package): what keepalived sends is received as keepalived sent it, and
//! what we send is accepted by keepalived as a valid advert.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use keel_lab::{ChildGuard, Lab, TempDir};
use keel_sys::socket::{
    AdvertSocket, IpProtocol, VRRP_GROUP_V4, VRRP_GROUP_V6, VrrpSocketV4, VrrpSocketV6,
};

const KEEPALIVED_HOST: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 1);
const KEEL_HOST: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 2);
const VIP: [u8; 4] = [10, 77, 0, 100];

const CONFIG: &str = "
global_defs {
    router_id KA
    vrrp_garp_master_delay 0
}
vrrp_instance VI_1 {
    state MASTER
    interface e0
    virtual_router_id 51
    priority 150
    advert_int 1
    virtual_ipaddress {
        10.77.0.100/24
    }
}
";

/// The RFC 1071 Internet checksum.
fn inet_checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// A VRRPv2 advert (RFC 3768 §5.1) for VRID 51 with one VIP and no authentication,
/// inside the IPv4 header keepalived itself uses (spec §3.1).
fn advert_v2(priority: u8) -> Vec<u8> {
    let mut vrrp = vec![0x21, 51, priority, 1, 0, 1, 0, 0];
    vrrp.extend_from_slice(&VIP);
    vrrp.extend_from_slice(&[0; 8]);
    let checksum = inet_checksum(&vrrp);
    vrrp[6..8].copy_from_slice(&checksum.to_be_bytes());
    let mut packet = vec![0x45, 0xc0, 0, 40, 0, 1, 0, 0, 255, 112, 0, 0];
    packet.extend_from_slice(&KEEL_HOST.octets());
    packet.extend_from_slice(&VRRP_GROUP_V4.octets());
    packet.extend_from_slice(&vrrp);
    packet
}

fn holds(lab: &Lab, host: usize, vip: &str) -> bool {
    lab.host(host)
        .ns
        .ip(&["-o", "addr", "show", "dev", "e0"])
        .contains(vip)
}

fn holds_vip(lab: &Lab, host: usize) -> bool {
    holds(lab, host, "10.77.0.100/24")
}

/// Starts keepalived with `config` in host `index`, isolated in its own PID namespace.
fn start_keepalived(lab: &Lab, index: usize, dir: &TempDir, config: &str) -> ChildGuard {
    let path = dir.path().join("keepalived.conf");
    std::fs::write(&path, config).unwrap();
    lab.host(index).ns.spawn_isolated(
        &[
            "keepalived",
            "-n",
            "-l",
            "-D",
            "-P",
            "-f",
            &path.display().to_string(),
            "-p",
            &dir.path().join("keepalived.pid").display().to_string(),
            "-r",
            &dir.path().join("vrrp.pid").display().to_string(),
        ],
        Some(&dir.path().join("keepalived.log")),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keepalived_adverts_are_received_and_ours_make_keepalived_back_off() {
    let mut lab = Lab::new("kka");
    let ka = lab.add_host();
    let keel = lab.add_host();
    lab.host(ka).add_address("10.77.0.1/24");
    lab.host(keel).add_address("10.77.0.2/24");
    let dir = TempDir::new("kka");
    let handle = tokio::runtime::Handle::current();
    let socket = lab.host(keel).ns.run_in(move || {
        let _runtime = handle.enter();
        let socket = VrrpSocketV4::open("e0", IpProtocol::Vrrp).expect("open socket");
        socket.join(IpAddr::V4(VRRP_GROUP_V4)).expect("join");
        socket
    });
    let _keepalived = start_keepalived(&lab, ka, &dir, CONFIG);

    // Input: keepalived (priority 150, VRID 51) becomes master on host A.
    // Output: our socket on host B receives its adverts exactly as spec §3.1 describes:
    // from A to 224.0.0.18, TTL 255, TOS 0xC0, protocol 112, VRRPv2, VRID 51, priority 150,
    // the VIP inside.
    let mut buf = [0u8; 1500];
    let got = tokio::time::timeout(Duration::from_secs(10), socket.recv(&mut buf))
        .await
        .expect("no advert from keepalived within 10 s")
        .expect("recv");
    assert_eq!(got.source, IpAddr::V4(KEEPALIVED_HOST));
    assert_eq!(got.destination, IpAddr::V4(VRRP_GROUP_V4));
    assert_eq!(got.hop_limit, 255);
    assert_eq!((buf[1], buf[9]), (0xc0, 112));
    assert_eq!(&buf[20..24], &[0x21, 51, 150, 1]);
    assert_eq!(&buf[28..32], &VIP);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !holds_vip(&lab, ka) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(holds_vip(&lab, ka), "keepalived never took the VIP");

    // Input: we send priority-200 adverts for VRID 51 once a second from host B.
    // Output: keepalived accepts them (valid TTL, checksum, addresses) and backs off:
    // the VIP leaves host A within a few seconds.
    let advert = advert_v2(200);
    let deadline = Instant::now() + Duration::from_secs(8);
    while holds_vip(&lab, ka) && Instant::now() < deadline {
        socket
            .send(&advert, IpAddr::V4(VRRP_GROUP_V4))
            .await
            .expect("send advert");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        !holds_vip(&lab, ka),
        "keepalived ignored our higher-priority adverts"
    );
}

const CONFIG_V6: &str = "
global_defs {
    router_id KA6
}
vrrp_instance VI_6 {
    state MASTER
    interface e0
    virtual_router_id 52
    version 3
    priority 150
    advert_int 1
    virtual_ipaddress {
        fd77::100/64
    }
}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keepalived_vrrpv3_ipv6_adverts_are_received_and_ours_are_accepted() {
    let mut lab = Lab::new("kka6");
    let ka = lab.add_host();
    let keel = lab.add_host();
    let keepalived_link_local: Ipv6Addr = lab.host(ka).link_local().parse().unwrap();
    let our_link_local: Ipv6Addr = lab.host(keel).link_local().parse().unwrap();
    let dir = TempDir::new("kka6");
    let handle = tokio::runtime::Handle::current();
    let socket = lab.host(keel).ns.run_in(move || {
        let _runtime = handle.enter();
        let mut socket = VrrpSocketV6::open("e0", IpProtocol::Vrrp).expect("open socket");
        socket.join(IpAddr::V6(VRRP_GROUP_V6)).expect("join");
        socket.set_source(Some(our_link_local));
        socket
    });
    let _keepalived = start_keepalived(&lab, ka, &dir, CONFIG_V6);

    // Input: keepalived runs a VRRPv3 IPv6 instance (VRID 52, priority 150) on host A.
    // Output: we receive its adverts from A's link-local to ff02::12 with hop limit 255:
    // version 3, VRID 52, priority 150, one address, 1 s = 100 centiseconds, the VIP.
    let mut buf = [0u8; 1500];
    let got = tokio::time::timeout(Duration::from_secs(10), socket.recv(&mut buf))
        .await
        .expect("no IPv6 advert from keepalived within 10 s")
        .expect("recv");
    assert_eq!(got.source, IpAddr::V6(keepalived_link_local));
    assert_eq!(got.destination, IpAddr::V6(VRRP_GROUP_V6));
    assert_eq!(got.hop_limit, 255);
    assert_eq!(got.len, 8 + 16);
    assert_eq!(&buf[..6], &[0x31, 52, 150, 1, 0x00, 0x64]);
    let vip: Ipv6Addr = "fd77::100".parse().unwrap();
    assert_eq!(&buf[8..24], &vip.octets());
    let deadline = Instant::now() + Duration::from_secs(5);
    while !holds(&lab, ka, "fd77::100/64") && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        holds(&lab, ka, "fd77::100/64"),
        "keepalived never took the IPv6 VIP"
    );

    // Input: we send priority-200 VRRPv3 adverts whose checksum the kernel fills in
    // (IPV6_CHECKSUM at offset 6, pseudo-header included).
    // Output: keepalived accepts them and gives the VIP up.
    let mut advert = vec![0x31, 52, 200, 1, 0x00, 0x64, 0, 0];
    advert.extend_from_slice(&vip.octets());
    let deadline = Instant::now() + Duration::from_secs(8);
    while holds(&lab, ka, "fd77::100/64") && Instant::now() < deadline {
        socket
            .send(&advert, IpAddr::V6(VRRP_GROUP_V6))
            .await
            .expect("send advert");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        !holds(&lab, ka, "fd77::100/64"),
        "keepalived ignored our higher-priority IPv6 adverts"
    );
}
