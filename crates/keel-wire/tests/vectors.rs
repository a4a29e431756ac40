//! Byte-exact vectors: keepalived's captures (spec §3.1) and packets whose bytes were
//! derived independently of keel-wire by `derive_vectors.py` (Python `struct`, `hmac`,
//! `hashlib`; its output is pasted below). Each decodes to the values a user configured
//! and re-encodes to the same bytes.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use keel_wire::advert::{AhKey, Ipv4Advert, Ipv4Envelope, emit_ipv4};
use keel_wire::auth::{ah, auth_data};
use keel_wire::ethernet::{self, Address};
use keel_wire::vrrp::{
    Addresses, Auth, ChecksumMode, ChecksumVariant, Endpoints, Family, Packet, Repr, Version,
};
use keel_wire::{Error, arp, ipv4, ipv6, ndisc};

/// The v2 capture of spec §3.1, verbatim: VRID 51, prio 160, VIP 10.99.0.100, from
/// 10.99.0.1 to 224.0.0.18, VRRP checksum 0x3403.
const V2_CAPTURE: [u8; 40] = [
    0x45, 0xc0, 0x00, 0x28, 0x00, 0x12, 0x00, 0x00, 0xff, 0x70, 0xd0, 0x1d, // IPv4
    0x0a, 0x63, 0x00, 0x01, 0xe0, 0x00, 0x00, 0x12, //
    0x21, 0x33, 0xa0, 0x01, 0x00, 0x01, 0x34, 0x03, // VRRP
    0x0a, 0x63, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

// The v3 unicast capture of spec §3.1 (VRID 52, prio 150, 0.5 s, VIPs .101/.102,
// 10.99.0.1 → 10.99.0.2, checksum 0x0dbd). The spec elides IP bytes 4..12; they are
// filled as id 0x0001, DF clear, TTL 255, protocol 112 and the consistent header checksum.
const V3_UNICAST_CAPTURE: [u8; 36] = [
    0x45, 0xc0, 0x00, 0x24, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70, 0xa5, 0xe0, 0x0a, 0x63, 0x00, 0x01,
    0x0a, 0x63, 0x00, 0x02, 0x31, 0x34, 0x96, 0x02, 0x00, 0x32, 0x0d, 0xbd, 0x0a, 0x63, 0x00, 0x65,
    0x0a, 0x63, 0x00, 0x66,
];
const V3_IPV6_VRRP: [u8; 40] = [
    0x31, 0x34, 0x96, 0x02, 0x00, 0x64, 0xdc, 0xc0, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02,
];
const V2_PASS: [u8; 40] = [
    0x45, 0xc0, 0x00, 0x28, 0x00, 0x13, 0x00, 0x00, 0xff, 0x70, 0xd0, 0x1c, 0x0a, 0x63, 0x00, 0x01,
    0xe0, 0x00, 0x00, 0x12, 0x21, 0x33, 0xa0, 0x01, 0x01, 0x01, 0xf6, 0xb6, 0x0a, 0x63, 0x00, 0x64,
    0x73, 0x65, 0x63, 0x72, 0x65, 0x74, 0x00, 0x00,
];
const V2_AH_MULTICAST: [u8; 64] = [
    0x45, 0xc0, 0x00, 0x40, 0x00, 0x14, 0x00, 0x00, 0xff, 0x33, 0xd0, 0x40, 0x0a, 0x63, 0x00, 0x01,
    0xe0, 0x00, 0x00, 0x12, 0x70, 0x04, 0x00, 0x00, 0x0a, 0x63, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
    0x68, 0xae, 0x2c, 0x31, 0xfe, 0xdb, 0xb1, 0x6a, 0x6e, 0xef, 0x5a, 0xdd, 0x21, 0x33, 0xa0, 0x01,
    0x02, 0x01, 0x32, 0x03, 0x0a, 0x63, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];
// ICV 68ae2c31fedbb16a6eef5add
const V2_AH_UNICAST: [u8; 64] = [
    0x45, 0xc0, 0x00, 0x40, 0x00, 0x15, 0x00, 0x00, 0xff, 0x33, 0xa5, 0xed, 0x0a, 0x63, 0x00, 0x01,
    0x0a, 0x63, 0x00, 0x02, 0x70, 0x04, 0x00, 0x00, 0x0a, 0x63, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07,
    0xb1, 0x25, 0x63, 0x4c, 0xbd, 0xe9, 0x67, 0x7c, 0x3f, 0xd8, 0x8e, 0xb6, 0x21, 0x33, 0xa0, 0x01,
    0x02, 0x01, 0x32, 0x03, 0x0a, 0x63, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];
// ICV b125634cbde9677c3fd88eb6
const GARP: [u8; 42] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x5e, 0x00, 0x01, 0x33, 0x08, 0x06, 0x00, 0x01,
    0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x00, 0x00, 0x5e, 0x00, 0x01, 0x33, 0x0a, 0x63, 0x00, 0x64,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0a, 0x63, 0x00, 0x64,
];
const UNSOLICITED_NA: [u8; 86] = [
    0x33, 0x33, 0x00, 0x00, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x86, 0xdd, 0x60, 0x00,
    0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0x00, 0x72, 0x71, 0x20, 0x00, 0x00, 0x00, 0x20, 0x01,
    0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x01,
    0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
];

const KEY: [u8; 8] = *b"secret\0\0";
const GROUP: Ipv4Addr = ipv4::VRRP_GROUP;

fn src() -> Ipv4Addr {
    Ipv4Addr::new(10, 99, 0, 1)
}

fn peer() -> Ipv4Addr {
    Ipv4Addr::new(10, 99, 0, 2)
}

fn v2_repr(auth: Auth) -> Repr {
    Repr {
        version: Version::V2 { adver_int: 1, auth },
        vrid: 51,
        priority: 160,
        addresses: Addresses::V4(vec![Ipv4Addr::new(10, 99, 0, 100)]),
    }
}

fn v3_unicast_repr() -> Repr {
    Repr {
        version: Version::V3 { max_adver_int: 50 },
        vrid: 52,
        priority: 150,
        addresses: Addresses::V4(vec![
            Ipv4Addr::new(10, 99, 0, 101),
            Ipv4Addr::new(10, 99, 0, 102),
        ]),
    }
}

fn encode(envelope: Ipv4Envelope, repr: &Repr, mode: ChecksumMode, ah: Option<&AhKey>) -> Vec<u8> {
    let mut buf = vec![0u8; 128];
    let len = emit_ipv4(&envelope, repr, mode, ah, &mut buf).unwrap();
    buf.truncate(len);
    buf
}

fn envelope(dst: Ipv4Addr, ident: u16) -> Ipv4Envelope {
    Ipv4Envelope {
        src_addr: src(),
        dst_addr: dst,
        ident,
        ttl: 255,
    }
}

// Input: keepalived 2.2.7's VRRPv2 advert (spec §3.1).
// Output: VRID 51, priority 160, 1 s, no auth, VIP 10.99.0.100, a standard checksum
// 0x3403; re-encoding the same values with IP id 0x12 gives the 40 captured bytes.
#[test]
fn keepalived_v2_capture_decodes_and_reencodes() {
    let advert = Ipv4Advert::parse(&V2_CAPTURE).unwrap();
    assert_eq!(advert.ip, ipv4::Repr::vrrp(src(), GROUP, 0x12, 20));
    assert_eq!(advert.ah, None);
    assert_eq!(advert.vrrp.checksum(), 0x3403);
    assert_eq!(
        advert.vrrp.checksum_variant(&advert.endpoints(), GROUP),
        ChecksumVariant::Standard
    );
    let repr = Repr::parse(&advert.vrrp).unwrap();
    assert_eq!(repr, v2_repr(Auth::None));
    assert_eq!(repr.advert_interval(), Duration::from_secs(1));
    assert_eq!(
        encode(envelope(GROUP, 0x12), &repr, ChecksumMode::Standard, None),
        V2_CAPTURE
    );
}

// Input: keepalived 2.2.7's VRRPv3 unicast advert to 10.99.0.2 (spec §3.1).
// Output: VRID 52, priority 150, 0.5 s, VIPs .101/.102; checksum 0x0dbd is the standard
// one with the peer as pseudo-header destination; re-encoding gives the same bytes.
#[test]
fn keepalived_v3_unicast_capture_decodes_and_reencodes() {
    let advert = Ipv4Advert::parse(&V3_UNICAST_CAPTURE).unwrap();
    assert_eq!(advert.ip.dst_addr, peer());
    assert_eq!(advert.vrrp.checksum(), 0x0dbd);
    assert_eq!(
        advert.vrrp.checksum_variant(&advert.endpoints(), GROUP),
        ChecksumVariant::Standard
    );
    let repr = Repr::parse(&advert.vrrp).unwrap();
    assert_eq!(repr, v3_unicast_repr());
    assert_eq!(repr.advert_interval(), Duration::from_millis(500));
    assert_eq!(
        encode(envelope(peer(), 1), &repr, ChecksumMode::Standard, None),
        V3_UNICAST_CAPTURE
    );
}

// Input: the v3 unicast advert sent with `old_unicast_checksum` (group as pseudo-dst), with
// `v3_checksum_as_v2` (no pseudo-header), and with a corrupted checksum.
// Output: checksums 0x380f and 0x2306 (computed by hand with Python), recognised as
// OldUnicast and AsV2; the corrupted one is Bad. A multicast advert never reads as
// OldUnicast, since the group is then the real destination.
#[test]
fn checksum_variants_are_told_apart() {
    let repr = v3_unicast_repr();
    let endpoints = Endpoints::V4 {
        src: src(),
        dst: peer(),
    };
    let cases = [
        (
            ChecksumMode::OldUnicast { group: GROUP },
            0x380f,
            ChecksumVariant::OldUnicast,
        ),
        (ChecksumMode::AsV2, 0x2306, ChecksumVariant::AsV2),
        (ChecksumMode::Standard, 0x0dbd, ChecksumVariant::Standard),
    ];
    for (mode, sum, variant) in cases {
        let bytes = encode(envelope(peer(), 1), &repr, mode, None);
        let advert = Ipv4Advert::parse(&bytes).unwrap();
        assert_eq!(advert.vrrp.checksum(), sum, "{mode:?}");
        assert_eq!(
            advert.vrrp.checksum_variant(&endpoints, GROUP),
            variant,
            "{mode:?}"
        );
        assert!(advert.vrrp.verify_checksum(&endpoints, mode), "{mode:?}");
    }
    let mut bytes = V3_UNICAST_CAPTURE;
    bytes[27] ^= 0x01;
    let advert = Ipv4Advert::parse(&bytes).unwrap();
    assert_eq!(
        advert.vrrp.checksum_variant(&endpoints, GROUP),
        ChecksumVariant::Bad
    );

    let multicast = encode(envelope(GROUP, 1), &repr, ChecksumMode::Standard, None);
    let advert = Ipv4Advert::parse(&multicast).unwrap();
    assert_eq!(
        advert.vrrp.checksum_variant(&advert.endpoints(), GROUP),
        ChecksumVariant::Standard
    );
}

// Input: a VRRPv3 advert over IPv6 from fe80::1 to ff02::12, VIPs 2001:db8::101/102, 1 s.
// Output: decodes with a standard IPv6 pseudo-header checksum (0xdcc0) and re-encodes.
#[test]
fn v3_ipv6_decodes_and_reencodes() {
    let endpoints = Endpoints::V6 {
        src: "fe80::1".parse().unwrap(),
        dst: ipv6::VRRP_GROUP,
    };
    let packet = Packet::new_checked(&V3_IPV6_VRRP[..], Family::Ipv6).unwrap();
    assert_eq!(
        packet.checksum_variant(&endpoints, GROUP),
        ChecksumVariant::Standard
    );
    let repr = Repr::parse(&packet).unwrap();
    let vips: Vec<Ipv6Addr> = vec![
        "2001:db8::101".parse().unwrap(),
        "2001:db8::102".parse().unwrap(),
    ];
    assert_eq!(
        repr,
        Repr {
            version: Version::V3 { max_adver_int: 100 },
            vrid: 52,
            priority: 150,
            addresses: Addresses::V6(vips),
        }
    );
    let mut out = [0u8; 40];
    repr.emit(&mut out, &endpoints, ChecksumMode::Standard)
        .unwrap();
    assert_eq!(out, V3_IPV6_VRRP);
    // A different source changes the pseudo-header, so the same bytes no longer check.
    let other = Endpoints::V6 {
        src: "fe80::2".parse().unwrap(),
        dst: ipv6::VRRP_GROUP,
    };
    assert_eq!(packet.checksum_variant(&other, GROUP), ChecksumVariant::Bad);
}

// Input: a VRRPv2 advert with `auth_type PASS`, `auth_pass secret`.
// Output: auth type 1 with data "secret\0\0" after the VIP; re-encodes byte for byte.
#[test]
fn v2_pass_decodes_and_reencodes() {
    let advert = Ipv4Advert::parse(&V2_PASS).unwrap();
    assert_eq!(advert.vrrp.auth_type(), 1);
    assert_eq!(
        advert.vrrp.checksum_variant(&advert.endpoints(), GROUP),
        ChecksumVariant::Standard
    );
    let repr = Repr::parse(&advert.vrrp).unwrap();
    assert_eq!(repr, v2_repr(Auth::Pass(auth_data(b"secret"))));
    assert_eq!(
        encode(envelope(GROUP, 0x13), &repr, ChecksumMode::Standard, None),
        V2_PASS
    );
}

// Input: a multicast VRRPv2 advert with `auth_type AH`, `auth_pass secret`, sequence 1.
// Output: IP protocol 51, AH next header 112, SPI 10.99.0.1, ICV 68ae2c31fedbb16a6eef5add
// (HMAC-MD5-96 computed by Python's hmac over the header with TOS/frag/checksum zeroed but
// TTL kept); verifies with the right key only, and re-encodes byte for byte.
#[test]
fn v2_ah_multicast_decodes_verifies_and_reencodes() {
    let advert = Ipv4Advert::parse(&V2_AH_MULTICAST).unwrap();
    assert_eq!(advert.ip.protocol, ipv4::PROTOCOL_AH);
    let ah = advert.ah.unwrap();
    assert_eq!(
        (ah.next_header, ah.spi, ah.sequence_number),
        (112, u32::from(src()), 1)
    );
    assert_eq!(
        ah.icv,
        [
            0x68, 0xae, 0x2c, 0x31, 0xfe, 0xdb, 0xb1, 0x6a, 0x6e, 0xef, 0x5a, 0xdd
        ]
    );
    assert_eq!(advert.verify_ah(&KEY, false), Ok(ah));
    assert_eq!(
        advert.verify_ah(&auth_data(b"secreT"), false),
        Err(Error::AuthFailure)
    );
    // keepalived zeroes the TTL only for unicast instances; the two ICVs differ.
    assert_eq!(advert.verify_ah(&KEY, true), Err(Error::AuthFailure));
    let repr = Repr::parse(&advert.vrrp).unwrap();
    assert_eq!(repr, v2_repr(Auth::Ah));
    let key = AhKey {
        key: KEY,
        sequence_number: 1,
        unicast: false,
    };
    assert_eq!(
        encode(
            envelope(GROUP, 0x14),
            &repr,
            ChecksumMode::Standard,
            Some(&key)
        ),
        V2_AH_MULTICAST
    );
}

// Input: the same AH advert sent unicast to 10.99.0.2, sequence 7.
// Output: ICV b125634cbde9677c3fd88eb6 (TTL zeroed in the ICV); a router that changes the
// TTL in flight does not break it, and the bytes re-encode exactly.
#[test]
fn v2_ah_unicast_zeroes_ttl_in_icv() {
    let advert = Ipv4Advert::parse(&V2_AH_UNICAST).unwrap();
    assert_eq!(advert.verify_ah(&KEY, true).unwrap().sequence_number, 7);
    let mut hopped = V2_AH_UNICAST;
    hopped[8] = 254;
    ipv4::fill_checksum(&mut hopped[..20]);
    assert!(
        Ipv4Advert::parse(&hopped)
            .unwrap()
            .verify_ah(&KEY, true)
            .is_ok()
    );
    let repr = Repr::parse(&advert.vrrp).unwrap();
    let key = AhKey {
        key: KEY,
        sequence_number: 7,
        unicast: true,
    };
    assert_eq!(
        encode(
            envelope(peer(), 0x15),
            &repr,
            ChecksumMode::Standard,
            Some(&key)
        ),
        V2_AH_UNICAST
    );
}

// Input: an AH advert whose SPI is not its source address, correctly signed.
// Output: AuthFailure (spec §3.2: keepalived rejects an SPI other than the sender).
#[test]
fn ah_spi_must_be_the_sender() {
    let mut bytes = V2_AH_MULTICAST;
    bytes[24..28].copy_from_slice(&[10, 99, 0, 9]);
    ah::sign(&KEY, &mut bytes, false).unwrap();
    let advert = Ipv4Advert::parse(&bytes).unwrap();
    assert_eq!(advert.verify_ah(&KEY, false), Err(Error::AuthFailure));
}

// Input: a gratuitous ARP for 10.99.0.100 from the VMAC of VRID 51 (spec §3.9).
// Output: the 42 bytes derived by hand — broadcast, ARP request, sender = target IP = VIP,
// target MAC all ones — and parsing gives the values back.
#[test]
fn gratuitous_arp_matches_keepalived() {
    let mac = Address::vrrp_ipv4(51);
    let vip = Ipv4Addr::new(10, 99, 0, 100);
    let mut buf = [0u8; 64];
    let len = arp::emit_gratuitous(mac, vip, &mut buf).unwrap();
    assert_eq!(&buf[..len], &GARP[..]);
    let frame = ethernet::Frame::new_checked(&GARP[..]).unwrap();
    assert_eq!(frame.destination(), Address::BROADCAST);
    assert_eq!(frame.ethertype(), ethernet::ETHERTYPE_ARP);
    let repr = arp::Repr::parse(&arp::Packet::new_checked(frame.payload()).unwrap()).unwrap();
    assert_eq!(repr, arp::Repr::gratuitous(mac, vip));
    assert!(repr.is_gratuitous());
    assert_eq!(repr.operation, arp::Operation::Request);
}

// Input: an unsolicited NA for 2001:db8::100 from 52:54:00:12:34:56, forwarding off.
// Output: the 86 bytes derived by hand (33:33:00:00:00:01, hop limit 255, O set, R and S
// clear, target link-layer option); parsing gives the values back with a good checksum.
#[test]
fn unsolicited_na_matches_keepalived() {
    let mac = Address([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    let vip: Ipv6Addr = "2001:db8::100".parse().unwrap();
    let mut buf = [0u8; 128];
    let len = ndisc::emit_unsolicited_na(mac, vip, false, &mut buf).unwrap();
    assert_eq!(&buf[..len], &UNSOLICITED_NA[..]);
    let frame = ethernet::Frame::new_checked(&UNSOLICITED_NA[..]).unwrap();
    let ip = ipv6::Packet::new_checked(frame.payload()).unwrap();
    assert_eq!(
        (ip.hop_limit(), ip.next_header(), ip.dst_addr()),
        (255, 58, ipv6::ALL_NODES)
    );
    let na = ndisc::Packet::new_checked(ip.payload()).unwrap();
    let repr = ndisc::Repr::parse(&na, ip.src_addr(), ip.dst_addr()).unwrap();
    assert_eq!(repr, ndisc::Repr::unsolicited(mac, vip, false));
    assert!(repr.override_ && !repr.router && !repr.solicited);
    // With IPv6 forwarding on, keepalived sets the Router flag.
    ndisc::emit_unsolicited_na(mac, vip, true, &mut buf).unwrap();
    assert_eq!(buf[58], 0xa0);
}

// Input: the v2 capture altered one field at a time.
// Output: the error each counter of spec §4.2 needs — never a panic.
#[test]
fn malformed_adverts_are_errors() {
    let vrrp_at = 20;
    let parse =
        |bytes: &[u8]| -> Result<Repr, Error> { Repr::parse(&Ipv4Advert::parse(bytes)?.vrrp) };
    let mut b = V2_CAPTURE;
    b[vrrp_at] = 0x41;
    assert_eq!(parse(&b), Err(Error::BadVersion(4)));
    let mut b = V2_CAPTURE;
    b[vrrp_at] = 0x22;
    assert_eq!(parse(&b), Err(Error::BadType(2)));
    let mut b = V2_CAPTURE;
    b[vrrp_at + 4] = 3;
    assert_eq!(parse(&b), Err(Error::BadAuthType(3)));
    // Count 2 in a datagram that holds one address: 8 + 2 × 4 + 8 bytes are needed.
    let mut b = V2_CAPTURE;
    b[vrrp_at + 3] = 2;
    assert_eq!(
        parse(&b),
        Err(Error::Truncated {
            needed: 24,
            available: 20
        })
    );
    // IP protocol 17 is not VRRP.
    let mut b = V2_CAPTURE;
    b[9] = 17;
    ipv4::fill_checksum(&mut b[..20]);
    assert_eq!(parse(&b), Err(Error::BadProtocol(17)));
    // A flipped VIP byte keeps the structure but breaks the checksum.
    let mut b = V2_CAPTURE;
    b[vrrp_at + 11] ^= 0x01;
    let advert = Ipv4Advert::parse(&b).unwrap();
    assert_eq!(
        advert.vrrp.checksum_variant(&advert.endpoints(), GROUP),
        ChecksumVariant::Bad
    );
}

// Input: values that cannot go on the wire.
// Output: Unencodable errors, and a buffer too small is Truncated.
#[test]
fn unencodable_reprs_are_errors() {
    let endpoints = Endpoints::V4 {
        src: src(),
        dst: GROUP,
    };
    let mut buf = [0u8; 2048];
    let too_many = Repr {
        addresses: Addresses::V4(vec![src(); 256]),
        ..v3_unicast_repr()
    };
    assert!(matches!(
        too_many.emit(&mut buf, &endpoints, ChecksumMode::Standard),
        Err(Error::Unencodable(_))
    ));
    let slow = Repr {
        version: Version::V3 {
            max_adver_int: 4096,
        },
        ..v3_unicast_repr()
    };
    assert!(matches!(
        slow.emit(&mut buf, &endpoints, ChecksumMode::Standard),
        Err(Error::Unencodable(_))
    ));
    let v6 = Endpoints::V6 {
        src: "fe80::1".parse().unwrap(),
        dst: ipv6::VRRP_GROUP,
    };
    assert!(matches!(
        v3_unicast_repr().emit(&mut buf, &v6, ChecksumMode::Standard),
        Err(Error::Unencodable(_))
    ));
    assert_eq!(
        v3_unicast_repr().emit(&mut buf[..10], &endpoints, ChecksumMode::Standard),
        Err(Error::Truncated {
            needed: 16,
            available: 10
        })
    );
    let mut small = [0u8; 63];
    let key = AhKey {
        key: KEY,
        sequence_number: 1,
        unicast: false,
    };
    assert_eq!(
        emit_ipv4(
            &envelope(GROUP, 1),
            &v2_repr(Auth::Ah),
            ChecksumMode::Standard,
            Some(&key),
            &mut small
        ),
        Err(Error::Truncated {
            needed: 64,
            available: 63
        })
    );
    assert!(matches!(
        emit_ipv4(
            &envelope(GROUP, 1),
            &v2_repr(Auth::Ah),
            ChecksumMode::Standard,
            None,
            &mut buf
        ),
        Err(Error::Unencodable(_))
    ));
}

// Input: a VRRPv2 advert over IPv6 (keepalived's variant: no authentication data), once
// with auth type 0 and once with auth type 2, then with auth type 1.
// Output: 8 + 16 bytes, decoded and re-encoded as they came (a fuzzer found the AH case
// once failed to re-encode); PASS cannot be carried without data, so it is Unsupported.
#[test]
fn v2_ipv6_carries_no_auth_data() {
    let src: Ipv6Addr = "fe80::1".parse().unwrap();
    let endpoints = Endpoints::V6 {
        src,
        dst: ipv6::VRRP_GROUP,
    };
    for auth in [Auth::None, Auth::Ah] {
        let repr = Repr {
            version: Version::V2 { adver_int: 1, auth },
            vrid: 7,
            priority: 100,
            addresses: Addresses::V6(vec!["2001:db8::7".parse().unwrap()]),
        };
        let mut buf = vec![0u8; repr.buffer_len()];
        assert_eq!(buf.len(), 24);
        repr.emit(&mut buf, &endpoints, ChecksumMode::Standard)
            .unwrap();
        let packet = Packet::new_checked(&buf[..], Family::Ipv6).unwrap();
        assert_eq!(packet.auth_data(), None);
        assert_eq!(Repr::parse(&packet).unwrap(), repr);
        if auth == Auth::None {
            buf[4] = 1;
            let packet = Packet::new_checked(&buf[..], Family::Ipv6).unwrap();
            assert!(matches!(Repr::parse(&packet), Err(Error::Unsupported(_))));
        }
    }
}
