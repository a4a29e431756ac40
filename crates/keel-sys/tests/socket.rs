//! Raw VRRP sockets between two hosts on a bridge (needs root).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use keel_lab::Lab;
use keel_sys::socket::{
    AdvertSocket, IpProtocol, Received, RecvBatch, SendBatch, VRRP_GROUP_V4, VRRP_GROUP_V6,
    VrrpSocketV4, VrrpSocketV6,
};

const A: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 1);
const B: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 2);

/// A two-host lab with IPv4 and IPv6 addresses on `e0`.
fn two_hosts() -> Lab {
    let mut lab = Lab::new("ksock");
    let a = lab.add_host();
    let b = lab.add_host();
    lab.host(a).add_address("10.77.0.1/24");
    lab.host(b).add_address("10.77.0.2/24");
    lab
}

/// An IPv4 header as keepalived writes it (spec §3.1: TOS 0xC0, DF clear) around `payload`.
/// The kernel fills in the header checksum and total length for IP_HDRINCL sockets.
fn ipv4_packet(
    source: Ipv4Addr,
    destination: Ipv4Addr,
    protocol: u8,
    ttl: u8,
    payload: &[u8],
) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let mut packet = vec![0x45, 0xc0];
    packet.extend_from_slice(&total.to_be_bytes());
    packet.extend_from_slice(&[0x00, 0x2a, 0x00, 0x00, ttl, protocol, 0, 0]);
    packet.extend_from_slice(&source.octets());
    packet.extend_from_slice(&destination.octets());
    packet.extend_from_slice(payload);
    packet
}

/// A VRRPv2-looking payload; the sockets do not interpret it.
const PAYLOAD: [u8; 20] = [
    0x21, 0x33, 0xa0, 0x01, 0x00, 0x01, 0x34, 0x03, 10, 99, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0,
];

async fn recv_within<S: AdvertSocket>(socket: &S, buf: &mut [u8]) -> Received {
    tokio::time::timeout(Duration::from_secs(3), socket.recv(buf))
        .await
        .expect("no packet within 3 s")
        .expect("recv failed")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv4_multicast_and_unicast_both_ways_report_source_destination_and_ttl() {
    let lab = two_hosts();
    let handle = tokio::runtime::Handle::current();
    let open = |index: usize| {
        let handle = handle.clone();
        lab.host(index).ns.run_in(move || {
            let _runtime = handle.enter();
            let socket = VrrpSocketV4::open("e0", IpProtocol::Vrrp).expect("open v4 socket");
            socket
                .join(IpAddr::V4(VRRP_GROUP_V4))
                .expect("join 224.0.0.18");
            socket
        })
    };
    let socket_a = open(0);
    let socket_b = open(1);
    let mut buf = [0u8; 1500];

    // Input: a 4 MiB receive buffer requested (more than net.core.rmem_max allows).
    // Output: granted, as root may (SO_RCVBUFFORCE).
    socket_b.set_receive_buffer(4 << 20).unwrap();
    assert!(socket_b.receive_buffer().unwrap() >= 4 << 20);

    // Input: A sends an advert to 224.0.0.18 with TTL 255.
    // Output: B receives the whole IP packet: source A, destination the group, TTL 255.
    let packet = ipv4_packet(A, VRRP_GROUP_V4, 112, 255, &PAYLOAD);
    socket_a
        .send(&packet, IpAddr::V4(VRRP_GROUP_V4))
        .await
        .unwrap();
    let got = recv_within(&socket_b, &mut buf).await;
    assert_eq!(got.source, IpAddr::V4(A));
    assert_eq!(got.destination, IpAddr::V4(VRRP_GROUP_V4));
    assert_eq!(got.hop_limit, 255);
    assert_eq!(got.len, 20 + PAYLOAD.len());
    assert_eq!(buf[1], 0xc0, "TOS kept as written");
    assert_eq!(&buf[20..got.len], &PAYLOAD);

    // Input: B answers by multicast.  Output: A hears it (multicast works both ways).
    let packet = ipv4_packet(B, VRRP_GROUP_V4, 112, 255, &PAYLOAD);
    socket_b
        .send(&packet, IpAddr::V4(VRRP_GROUP_V4))
        .await
        .unwrap();
    let got = recv_within(&socket_a, &mut buf).await;
    assert_eq!(got.source, IpAddr::V4(B));
    assert_eq!(got.destination, IpAddr::V4(VRRP_GROUP_V4));

    // Input: A sends unicast to B with unicast_ttl 64.
    // Output: B sees destination = its own address and the TTL as sent (one hop, no router).
    let packet = ipv4_packet(A, B, 112, 64, &PAYLOAD);
    socket_a.send(&packet, IpAddr::V4(B)).await.unwrap();
    let got = recv_within(&socket_b, &mut buf).await;
    assert_eq!(got.source, IpAddr::V4(A));
    assert_eq!(got.destination, IpAddr::V4(B));
    assert_eq!(got.hop_limit, 64);

    // Input: B unicasts back to A.  Output: A receives it from B.
    let packet = ipv4_packet(B, A, 112, 255, &PAYLOAD);
    socket_b.send(&packet, IpAddr::V4(A)).await.unwrap();
    let got = recv_within(&socket_a, &mut buf).await;
    assert_eq!(
        (got.source, got.destination),
        (IpAddr::V4(B), IpAddr::V4(A))
    );

    // Input: B leaves the group, then A multicasts again.
    // Output: B receives nothing (IP_MULTICAST_ALL is off: no membership, no delivery).
    socket_b.leave(IpAddr::V4(VRRP_GROUP_V4)).unwrap();
    let packet = ipv4_packet(A, VRRP_GROUP_V4, 112, 255, &PAYLOAD);
    socket_a
        .send(&packet, IpAddr::V4(VRRP_GROUP_V4))
        .await
        .unwrap();
    let silence = tokio::time::timeout(Duration::from_millis(400), socket_b.recv(&mut buf)).await;
    assert!(
        silence.is_err(),
        "received a group packet after leaving: {silence:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv4_ah_packets_reach_an_ah_socket() {
    let lab = two_hosts();
    let handle = tokio::runtime::Handle::current();
    let open = |index: usize| {
        let handle = handle.clone();
        lab.host(index).ns.run_in(move || {
            let _runtime = handle.enter();
            let socket = VrrpSocketV4::open("e0", IpProtocol::Ah).expect("open AH socket");
            socket.join(IpAddr::V4(VRRP_GROUP_V4)).expect("join");
            socket
        })
    };
    let socket_a = open(0);
    let socket_b = open(1);
    let mut buf = [0u8; 1500];

    // Input: A sends an IP packet with protocol 51 (AH, next header 112) to the group.
    // Output: B's AH socket receives it with protocol 51 in the header.
    let mut ah = vec![112, 4, 0, 0];
    ah.extend_from_slice(&A.octets());
    ah.extend_from_slice(&[0, 0, 0, 1]);
    ah.extend_from_slice(&[0xaa; 12]);
    ah.extend_from_slice(&PAYLOAD);
    let packet = ipv4_packet(A, VRRP_GROUP_V4, 51, 255, &ah);
    socket_a
        .send(&packet, IpAddr::V4(VRRP_GROUP_V4))
        .await
        .unwrap();
    let got = recv_within(&socket_b, &mut buf).await;
    assert_eq!(buf[9], 51);
    assert_eq!(got.source, IpAddr::V4(A));
    assert_eq!(&buf[20..got.len], &ah[..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_adverts_goes_in_one_send_and_comes_back_in_order_with_kernel_times() {
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
    let socket_a = open(0);
    let socket_b = open(1);
    let before = std::time::SystemTime::now();

    // Input: A queues 40 adverts (payload byte 1 = VRID 1..=40) and sends the batch.
    // Output: B reads them without waiting, 32 then 8 (the batch capacity), in the order
    // sent, each from A with TTL 255 and a kernel receive time between the send and now.
    let mut batch = SendBatch::new();
    for vrid in 1..=40u8 {
        let mut payload = PAYLOAD;
        payload[1] = vrid;
        let packet = ipv4_packet(A, VRRP_GROUP_V4, 112, 255, &payload);
        batch.push(IpAddr::V4(VRRP_GROUP_V4), &packet).unwrap();
    }
    assert_eq!(batch.len(), 40);
    socket_a.send_batch(&batch).await.unwrap();
    tokio::time::timeout(
        Duration::from_secs(3),
        std::future::poll_fn(|cx| socket_b.poll_readable(cx)),
    )
    .await
    .expect("B never readable")
    .unwrap();
    let mut received = RecvBatch::new(32);
    let mut vrids = Vec::new();
    let mut counts = Vec::new();
    loop {
        let count = socket_b.try_recv_batch(&mut received).unwrap();
        counts.push(count);
        if count == 0 {
            break;
        }
        for index in 0..received.len() {
            let (bytes, got) = received.packet(index);
            assert_eq!(got.source, IpAddr::V4(A));
            assert_eq!(got.hop_limit, 255);
            let stamp = got.timestamp.expect("SO_TIMESTAMPNS stamp");
            assert!(stamp >= before && stamp <= std::time::SystemTime::now());
            vrids.push(bytes[21]);
        }
    }
    assert_eq!(counts, [32, 8, 0]);
    assert_eq!(vrids, (1..=40).collect::<Vec<u8>>());

    // Input: a batch whose first datagram has the wrong family, then a good one.
    // Output: the send reports the bad one, and the good one still reaches B.
    let mut batch = SendBatch::new();
    batch
        .push(
            IpAddr::V6(VRRP_GROUP_V6),
            &ipv4_packet(A, B, 112, 255, &PAYLOAD),
        )
        .unwrap();
    batch
        .push(IpAddr::V4(B), &ipv4_packet(A, B, 112, 255, &PAYLOAD))
        .unwrap();
    assert!(socket_a.send_batch(&batch).await.is_err());
    let mut buf = [0u8; 1500];
    let got = recv_within(&socket_b, &mut buf).await;
    assert_eq!(got.destination, IpAddr::V4(B));
}

/// The inet checksum over the IPv6 pseudo-header and `payload` (RFC 8200 §8.1); 0 when
/// the payload's checksum field is right.
fn ipv6_checksum_residue(source: Ipv6Addr, destination: Ipv6Addr, payload: &[u8]) -> u16 {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&source.octets());
    bytes.extend_from_slice(&destination.octets());
    bytes.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    bytes.extend_from_slice(&[0, 0, 0, 112]);
    bytes.extend_from_slice(payload);
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_multicast_and_unicast_report_hop_limit_destination_and_get_a_kernel_checksum() {
    let lab = two_hosts();
    let link_local_a: Ipv6Addr = lab.host(0).link_local().parse().unwrap();
    let link_local_b: Ipv6Addr = lab.host(1).link_local().parse().unwrap();
    let handle = tokio::runtime::Handle::current();
    let open = |index: usize, source: Ipv6Addr| {
        let handle = handle.clone();
        lab.host(index).ns.run_in(move || {
            let _runtime = handle.enter();
            let mut socket = VrrpSocketV6::open("e0", IpProtocol::Vrrp).expect("open v6 socket");
            socket
                .join(IpAddr::V6(VRRP_GROUP_V6))
                .expect("join ff02::12");
            socket.set_source(Some(source));
            socket
        })
    };
    let socket_a = open(0, link_local_a);
    let socket_b = open(1, link_local_b);
    socket_b.set_receive_buffer(1 << 20).unwrap();
    assert!(socket_b.receive_buffer().unwrap() >= 1 << 20);
    let mut buf = [0u8; 1500];
    // A VRRPv3 advert for VRID 51 with one IPv6 address and a zero checksum field.
    let mut payload = vec![0x31, 51, 100, 1, 0x00, 0x64, 0, 0];
    payload.extend_from_slice(&"fd77::100".parse::<Ipv6Addr>().unwrap().octets());

    for (from, to, source) in [
        (&socket_a, &socket_b, link_local_a),
        (&socket_b, &socket_a, link_local_b),
    ] {
        // Input: one host sends the payload to ff02::12 from its link-local address.
        // Output: the other receives it with hop limit 255, destination ff02::12, the
        // sender's link-local as source, and a checksum the kernel filled in correctly.
        from.send(&payload, IpAddr::V6(VRRP_GROUP_V6))
            .await
            .unwrap();
        let got = recv_within(to, &mut buf).await;
        assert_eq!(got.hop_limit, 255);
        assert_eq!(got.destination, IpAddr::V6(VRRP_GROUP_V6));
        assert_eq!(got.source, IpAddr::V6(source));
        assert_eq!(got.len, payload.len());
        assert_eq!(&buf[..6], &payload[..6]);
        assert_ne!(&buf[6..8], &[0, 0], "checksum left empty");
        assert_eq!(
            ipv6_checksum_residue(source, VRRP_GROUP_V6, &buf[..got.len]),
            0,
            "kernel checksum (IPV6_CHECKSUM offset 6) does not verify"
        );
    }

    // Input: A unicasts to B's global address (unicast_peer) from A's link-local.
    // Output: B sees its own address as destination and hop limit 255 (IPV6_UNICAST_HOPS).
    lab.host(0).add_address("fd77::1/64");
    lab.host(1).add_address("fd77::2/64");
    let peer: Ipv6Addr = "fd77::2".parse().unwrap();
    socket_a.send(&payload, IpAddr::V6(peer)).await.unwrap();
    let got = recv_within(&socket_b, &mut buf).await;
    assert_eq!(got.destination, IpAddr::V6(peer));
    assert_eq!(got.source, IpAddr::V6(link_local_a));
    assert_eq!(got.hop_limit, 255);
    assert_eq!(
        ipv6_checksum_residue(link_local_a, peer, &buf[..got.len]),
        0
    );

    // Input: unicast_ttl 64.  Output: B sees hop limit 64.
    socket_a.set_unicast_hops(64).unwrap();
    socket_a.send(&payload, IpAddr::V6(peer)).await.unwrap();
    let got = recv_within(&socket_b, &mut buf).await;
    assert_eq!(got.hop_limit, 64);
}
