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
        assert!(line.contains("ff:ff:ff:ff:ff:ff"), "not broadcast: {line}");
    }

    // Input: a frame too short for an Ethernet header.  Output: an error, nothing sent.
    assert!(socket.send_frame(&[0u8; 10]).await.is_err());
}
