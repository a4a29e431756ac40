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
