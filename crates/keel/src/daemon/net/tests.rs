//! Encoding matches keepalived's captured bytes; decoding gives the engine what it checks.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use keel_sys::socket::Received;
use keel_vrrp::{Authentication, ChecksumStatus, Family, MalformedKind, OutgoingAdvert, Version};

use super::*;

fn v2_sample() -> OutgoingAdvert {
    OutgoingAdvert {
        version: Version::V2,
        vrid: 51,
        priority: 160,
        advert_interval: Duration::from_secs(1),
        addresses: Arc::from(vec!["10.99.0.100".parse::<IpAddr>().unwrap()]),
        source: "10.99.0.1".parse().unwrap(),
        destinations: Arc::from(vec!["224.0.0.18".parse::<IpAddr>().unwrap()]),
        authentication: Authentication::None,
    }
}

fn received_for(bytes: &[u8]) -> Received {
    Received {
        len: bytes.len(),
        source: IpAddr::V4(Ipv4Addr::new(bytes[12], bytes[13], bytes[14], bytes[15])),
        destination: IpAddr::V4(Ipv4Addr::new(bytes[16], bytes[17], bytes[18], bytes[19])),
        hop_limit: bytes[8],
        ifindex: 2,
        timestamp: None,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// Input: the spec §3.1 VRRPv2 sample (VRID 51, prio 160, VIP 10.99.0.100, from 10.99.0.1,
// IP id 0x12).
// Output: byte for byte what keepalived 2.2.7 put on the wire.
#[test]
fn v2_advert_matches_keepalived_capture() {
    let mut buf = [0u8; 128];
    let len = encode_v4(
        &v2_sample(),
        Ipv4Addr::new(224, 0, 0, 18),
        0x12,
        255,
        0,
        &mut buf,
    )
    .unwrap();
    let expected = concat!(
        "45c00028",
        "0012",
        "0000",
        "ff70",
        "d01d",
        "0a630001",
        "e0000012", // IPv4
        "21",
        "33",
        "a0",
        "01",
        "00",
        "01",
        "3403",
        "0a630064",
        "0000000000000000", // VRRP
    );
    assert_eq!(hex(&buf[..len]), expected);
}

// Input: the spec §3.1 VRRPv3 unicast sample (VRID 52, prio 150, 0.5 s, VIPs .101/.102,
// to 10.99.0.2).
// Output: keepalived's VRRP bytes, checksum 0x0dbd over the pseudo-header with the peer.
#[test]
fn v3_unicast_advert_matches_keepalived_capture() {
    let advert = OutgoingAdvert {
        version: Version::V3,
        vrid: 52,
        priority: 150,
        advert_interval: Duration::from_millis(500),
        addresses: Arc::from(vec![
            "10.99.0.101".parse::<IpAddr>().unwrap(),
            "10.99.0.102".parse().unwrap(),
        ]),
        source: "10.99.0.1".parse().unwrap(),
        destinations: Arc::from(vec!["10.99.0.2".parse::<IpAddr>().unwrap()]),
        authentication: Authentication::None,
    };
    let mut buf = [0u8; 128];
    let len = encode_v4(&advert, Ipv4Addr::new(10, 99, 0, 2), 7, 255, 0, &mut buf).unwrap();
    assert_eq!(&hex(&buf[..4]), "45c00024");
    assert_eq!(&hex(&buf[12..20]), "0a6300010a630002");
    assert_eq!(
        hex(&buf[20..len]),
        "313496020032".to_string() + "0dbd0a6300650a630066"
    );
}

// Input: our own v2 PASS advert, as a peer's raw socket receives it.
// Output: the engine sees version 2, VRID, priority, interval, VIP, the password, TTL 255
// and a valid checksum.
#[test]
fn decoding_our_own_advert_gives_back_its_values() {
    let mut advert = v2_sample();
    advert.authentication = Authentication::Pass(*b"1111\0\0\0\0");
    let mut buf = [0u8; 128];
    let len = encode_v4(&advert, Ipv4Addr::new(224, 0, 0, 18), 1, 255, 0, &mut buf).unwrap();
    let bytes = &buf[..len];
    let Decoded::Advert(received) = decode(
        Family::Ipv4,
        bytes,
        &received_for(bytes),
        Ipv4Addr::new(224, 0, 0, 18),
        &|_| None,
    ) else {
        panic!("not decoded as an advert");
    };
    assert_eq!(received.version, Version::V2);
    assert_eq!(received.vrid, 51);
    assert_eq!(received.priority, 160);
    assert_eq!(received.max_advert_interval, Duration::from_secs(1));
    assert_eq!(received.addresses, advert.addresses.to_vec());
    assert_eq!(received.auth.auth_type, 1);
    assert_eq!(&received.auth.data, b"1111\0\0\0\0");
    assert_eq!(received.ttl_or_hop_limit, 255);
    assert_eq!(received.checksum, ChecksumStatus::Valid);
}

// Input: an advert with one flipped bit in the VRRP part; the same advert cut short.
// Output: a checksum the engine will count as bad; a length error for VRID 51.
#[test]
fn damaged_adverts_become_counted_errors_not_panics() {
    let mut buf = [0u8; 128];
    let len = encode_v4(
        &v2_sample(),
        Ipv4Addr::new(224, 0, 0, 18),
        1,
        255,
        0,
        &mut buf,
    )
    .unwrap();
    let mut flipped = buf[..len].to_vec();
    flipped[23] ^= 0x01;
    let Decoded::Advert(received) = decode(
        Family::Ipv4,
        &flipped,
        &received_for(&flipped),
        Ipv4Addr::new(224, 0, 0, 18),
        &|_| None,
    ) else {
        panic!("not decoded as an advert");
    };
    assert_eq!(received.checksum, ChecksumStatus::Invalid);

    // Truncated: the IP total length still claims 40 bytes.
    let short = &buf[..len - 10];
    assert_eq!(
        decode(
            Family::Ipv4,
            short,
            &received_for(short),
            Ipv4Addr::new(224, 0, 0, 18),
            &|_| None
        ),
        Decoded::Malformed {
            vrid: 51,
            kind: MalformedKind::Length
        }
    );
    // Garbage of every length up to 64 bytes decodes to something, never a panic.
    for n in 0..64 {
        let noise: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
        let received = Received {
            len: n,
            source: "10.0.0.9".parse().unwrap(),
            destination: "224.0.0.18".parse().unwrap(),
            hop_limit: 255,
            ifindex: 2,
            timestamp: None,
        };
        let _ = decode(
            Family::Ipv4,
            &noise,
            &received,
            Ipv4Addr::new(224, 0, 0, 18),
            &|_| None,
        );
        let _ = decode(
            Family::Ipv6,
            &noise,
            &received,
            Ipv4Addr::new(224, 0, 0, 18),
            &|_| None,
        );
    }
}

// Input: a datagram the kernel stamped 30 ms before the loop read the clocks.
// Output: it arrived 30 ms before `now` on the monotonic clock (the down timer restarts
// from there, RFC 5798 §6.4.2).
#[test]
fn arrival_is_the_kernel_stamp_moved_onto_the_monotonic_clock() {
    let (wall, now) = (std::time::SystemTime::now(), std::time::Instant::now());
    let stamp = wall - Duration::from_millis(30);
    assert_eq!(
        arrival(Some(stamp), wall, now),
        now - Duration::from_millis(30)
    );
}

// Input: no stamp; a stamp ahead of the wall clock; a stamp an hour old (a clock step).
// Output: each is taken as arriving `now`, never in the future or far in the past.
#[test]
fn arrival_without_a_believable_stamp_is_now() {
    let (wall, now) = (std::time::SystemTime::now(), std::time::Instant::now());
    assert_eq!(arrival(None, wall, now), now);
    assert_eq!(
        arrival(Some(wall + Duration::from_millis(5)), wall, now),
        now
    );
    assert_eq!(
        arrival(Some(wall - Duration::from_secs(3600)), wall, now),
        now
    );
}

// Input: the same periodic advert encoded twice for one destination, then with a new
// priority.
// Output: the second time comes from the cache (the encoder is not called), with the
// same bytes; the changed advert is encoded again and replaces the cached one.
#[test]
fn a_repeated_advert_is_encoded_once() {
    let mut cache = Vec::new();
    let advert = v2_sample();
    let group: IpAddr = "224.0.0.18".parse().unwrap();
    let encode = |advert: &OutgoingAdvert, buf: &mut [u8]| {
        encode_v4(advert, Ipv4Addr::new(224, 0, 0, 18), 1, 255, 0, buf)
    };
    let first = cached(&mut cache, &advert, group, 255, None, |buf| {
        encode(&advert, buf)
    })
    .unwrap()
    .to_vec();
    let second = cached(&mut cache, &advert, group, 255, None, |_| {
        panic!("encoded again although the advert did not change")
    })
    .unwrap()
    .to_vec();
    assert_eq!(first, second);
    let lower = OutgoingAdvert {
        priority: 50,
        ..advert.clone()
    };
    let third = cached(&mut cache, &lower, group, 255, None, |buf| {
        encode(&lower, buf)
    })
    .unwrap()
    .to_vec();
    assert_ne!(third, first);
    assert_eq!(cache.len(), 1, "one entry per destination");
}

// Input: the spec §3.1 VRRPv2 sample and a VRRPv3 IPv6 advert, each encoded for the raw
// socket and as a whole frame from MAC 02:00:00:00:00:01.
// Output: the frame is the Ethernet header (group MAC, that source) followed by exactly
// the IPv4 datagram the raw socket sends; for IPv6 by the header keepalived's kernel
// writes (traffic class 0xc0, hop limit 255) and the same VRRP message, checksum included.
#[test]
fn a_frame_carries_what_the_raw_socket_sends() {
    let mac = [2, 0, 0, 0, 0, 1];
    let group: IpAddr = "224.0.0.18".parse().unwrap();
    let mut raw = [0u8; 256];
    let mut frame = [0u8; 256];
    let raw_len = encode_v4(
        &v2_sample(),
        Ipv4Addr::new(224, 0, 0, 18),
        0x12,
        255,
        0,
        &mut raw,
    )
    .unwrap();
    let frame_len = frames::encode_frame(&v2_sample(), group, 0x12, mac, &mut frame).unwrap();
    assert_eq!(
        hex(&frame[..14]),
        "01005e000012020000000001 0800".replace(' ', "")
    );
    assert_eq!(&frame[14..frame_len], &raw[..raw_len]);

    let v6 = OutgoingAdvert {
        version: Version::V3,
        advert_interval: Duration::from_millis(100),
        addresses: Arc::from(vec!["fd00::100".parse::<IpAddr>().unwrap()]),
        source: "fe80::1".parse().unwrap(),
        destinations: Arc::from(vec!["ff02::12".parse::<IpAddr>().unwrap()]),
        ..v2_sample()
    };
    let raw_len = encode_v6(&v6, "ff02::12".parse().unwrap(), &mut raw).unwrap();
    let frame_len =
        frames::encode_frame(&v6, "ff02::12".parse().unwrap(), 0, mac, &mut frame).unwrap();
    assert_eq!(
        hex(&frame[..14]),
        "333300000012020000000001 86dd".replace(' ', "")
    );
    assert_eq!(hex(&frame[14..22]), format!("6c000000{:04x}70ff", raw_len));
    assert_eq!(&frame[54..frame_len], &raw[..raw_len]);
}
