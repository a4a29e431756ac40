//! What keepalived 2.2.7 really sends, captured on a veth pair between two network
//! namespaces by `capture_keepalived.sh` (its configuration is in the script), decoded by
//! keel-wire and re-encoded byte for byte. These pin the interpretations the spec leaves
//! open: the AH ICV (mutable fields, TTL only for unicast, 8-byte key), the PASS data, the
//! IPv4 header fields, and the GARP / NA frames.

use std::net::{Ipv4Addr, Ipv6Addr};

use keel_wire::advert::{AhKey, Ipv4Advert, Ipv4Envelope, emit_ipv4};
use keel_wire::auth::auth_data;
use keel_wire::ethernet::{self, Address, ETHERTYPE_IPV4};
use keel_wire::vrrp::{
    Addresses, Auth, ChecksumMode, ChecksumVariant, Endpoints, Family, Packet, Repr, Version,
};
use keel_wire::{Error, arp, ipv4, ipv6, ndisc};

/// VRRPv3 over IPv4 multicast: `V3_MCAST`, VRID 55, priority 150, advert_int 0.5,
/// VIPs 10.99.0.103 and .104 — the first advert after becoming MASTER.
const V3_MULTICAST: [u8; 50] = [
    0x01, 0x00, 0x5e, 0x00, 0x00, 0x12, 0x52, 0x54, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45, 0xc0,
    0x00, 0x24, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70, 0xd0, 0x32, 0x0a, 0x63, 0x00, 0x01, 0xe0, 0x00,
    0x00, 0x12, 0x31, 0x37, 0x96, 0x02, 0x00, 0x32, 0x38, 0x08, 0x0a, 0x63, 0x00, 0x67, 0x0a, 0x63,
    0x00, 0x68,
];

/// VRRPv2 with `auth_type AH`, `auth_pass secret`, multicast: `AH_MCAST`, VRID 51, VIP
/// 10.99.0.100, AH sequence 1.
const V2_AH_MULTICAST: [u8; 78] = [
    0x01, 0x00, 0x5e, 0x00, 0x00, 0x12, 0x52, 0x54, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45, 0xc0,
    0x00, 0x40, 0x00, 0x01, 0x00, 0x00, 0xff, 0x33, 0xd0, 0x53, 0x0a, 0x63, 0x00, 0x01, 0xe0, 0x00,
    0x00, 0x12, 0x70, 0x04, 0x00, 0x00, 0x0a, 0x63, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0xe5, 0x4e,
    0xde, 0xc5, 0x11, 0xa6, 0x36, 0x31, 0x7c, 0x0a, 0xbc, 0x02, 0x21, 0x33, 0x96, 0x01, 0x02, 0x01,
    0x3c, 0x03, 0x0a, 0x63, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// VRRPv2 with `auth_type AH` to unicast peer 10.99.0.2: `AH_UNICAST`, VRID 54, VIP
/// 10.99.0.102, AH sequence 1.
const V2_AH_UNICAST: [u8; 78] = [
    0x86, 0x03, 0xdb, 0xf9, 0xc5, 0x64, 0x52, 0x54, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45, 0xc0,
    0x00, 0x40, 0x00, 0x01, 0x00, 0x00, 0xff, 0x33, 0xa6, 0x01, 0x0a, 0x63, 0x00, 0x01, 0x0a, 0x63,
    0x00, 0x02, 0x70, 0x04, 0x00, 0x00, 0x0a, 0x63, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0xec, 0xf9,
    0x4d, 0x07, 0xfb, 0xf1, 0x87, 0x2b, 0xaa, 0x68, 0xc3, 0x52, 0x21, 0x36, 0x96, 0x01, 0x02, 0x01,
    0x3b, 0xfe, 0x0a, 0x63, 0x00, 0x66, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// VRRPv2 with `auth_type PASS`, `auth_pass secret`: `PASS`, VRID 52, VIP 10.99.0.101.
const V2_PASS: [u8; 54] = [
    0x01, 0x00, 0x5e, 0x00, 0x00, 0x12, 0x52, 0x54, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45, 0xc0,
    0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70, 0xd0, 0x2e, 0x0a, 0x63, 0x00, 0x01, 0xe0, 0x00,
    0x00, 0x12, 0x21, 0x34, 0x96, 0x01, 0x01, 0x01, 0x00, 0xb5, 0x0a, 0x63, 0x00, 0x65, 0x73, 0x65,
    0x63, 0x72, 0x65, 0x74, 0x00, 0x00,
];

/// VRRPv3 over IPv6: `V3_IPV6`, VRID 53, 1 s, VIP 2001:db8::100, from the interface's
/// EUI-64 link-local address (the kernel wrote traffic class 0xc0, a flow label and the checksum).
const V3_IPV6: [u8; 78] = [
    0x33, 0x33, 0x00, 0x00, 0x00, 0x12, 0x52, 0x54, 0x00, 0x00, 0x00, 0x01, 0x86, 0xdd, 0x6c, 0x0c,
    0x35, 0xb4, 0x00, 0x18, 0x70, 0xff, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0x54,
    0x00, 0xff, 0xfe, 0x00, 0x00, 0x01, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0x31, 0x35, 0x96, 0x01, 0x00, 0x64, 0xbc, 0x38, 0x20, 0x01,
    0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
];

/// The first gratuitous ARP of `V3_MCAST` for 10.99.0.103.
const GARP: [u8; 42] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x01,
    0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x52, 0x54, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x63, 0x00, 0x67,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0a, 0x63, 0x00, 0x67,
];

/// The first unsolicited neighbour advertisement of `V3_IPV6` for 2001:db8::100
/// (IPv6 forwarding off: Router flag clear).
const NA: [u8; 86] = [
    0x33, 0x33, 0x00, 0x00, 0x00, 0x01, 0x52, 0x54, 0x00, 0x00, 0x00, 0x01, 0x86, 0xdd, 0x60, 0x00,
    0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0x00, 0xa6, 0xd8, 0x20, 0x00, 0x00, 0x00, 0x20, 0x01,
    0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x01,
    0x52, 0x54, 0x00, 0x00, 0x00, 0x01,
];

/// The MAC of keepalived's interface in the capture.
const MAC: Address = Address([0x52, 0x54, 0x00, 0x00, 0x00, 0x01]);
const SRC: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 1);
const PEER: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 2);

/// Splits an Ethernet frame of the capture into its IPv4 advert.
fn advert(frame: &[u8]) -> Ipv4Advert<'_> {
    let view = ethernet::Frame::new_checked(frame).unwrap();
    assert_eq!(view.source(), MAC);
    assert_eq!(view.ethertype(), ETHERTYPE_IPV4);
    Ipv4Advert::parse(&frame[ethernet::HEADER_LEN..]).unwrap()
}

/// Encodes `repr` as keel would send it in `frame`'s place (same destination MAC).
fn reencode(frame: &[u8], dst: Ipv4Addr, ident: u16, repr: &Repr, ah: Option<&AhKey>) -> Vec<u8> {
    let view = ethernet::Frame::new_checked(frame).unwrap();
    let mut out = vec![0u8; 128];
    ethernet::Repr {
        destination: view.destination(),
        source: MAC,
        ethertype: ETHERTYPE_IPV4,
    }
    .emit(&mut out)
    .unwrap();
    let envelope = Ipv4Envelope {
        src_addr: SRC,
        dst_addr: dst,
        ident,
        ttl: 255,
    };
    let len = emit_ipv4(&envelope, repr, ChecksumMode::Standard, ah, &mut out[14..]).unwrap();
    out.truncate(14 + len);
    out
}

fn v2(vrid: u8, vip: Ipv4Addr, auth: Auth) -> Repr {
    Repr {
        version: Version::V2 { adver_int: 1, auth },
        vrid,
        priority: 150,
        addresses: Addresses::V4(vec![vip]),
    }
}

// Input: keepalived's VRRPv3 multicast advert (VRID 55, 0.5 s, two VIPs).
// Output: TOS 0xc0, TTL 255, id 1, DF clear, the multicast MAC 01:00:5e:00:00:12, a standard
// checksum with 224.0.0.18 in the pseudo-header; keel encodes the same 50 bytes.
#[test]
fn v3_multicast_matches_keepalived() {
    let advert = advert(&V3_MULTICAST);
    assert_eq!(advert.ip, ipv4::Repr::vrrp(SRC, ipv4::VRRP_GROUP, 1, 16));
    assert_eq!(
        advert
            .vrrp
            .checksum_variant(&advert.endpoints(), ipv4::VRRP_GROUP),
        ChecksumVariant::Standard
    );
    let repr = Repr::parse(&advert.vrrp).unwrap();
    let vips = vec![Ipv4Addr::new(10, 99, 0, 103), Ipv4Addr::new(10, 99, 0, 104)];
    assert_eq!(
        repr,
        Repr {
            version: Version::V3 { max_adver_int: 50 },
            vrid: 55,
            priority: 150,
            addresses: Addresses::V4(vips)
        }
    );
    assert_eq!(
        reencode(&V3_MULTICAST, ipv4::VRRP_GROUP, 1, &repr, None),
        V3_MULTICAST
    );
    assert_eq!(
        ethernet::Frame::new_checked(&V3_MULTICAST[..])
            .unwrap()
            .destination(),
        Address::ipv4_multicast(ipv4::VRRP_GROUP)
    );
}

// Input: keepalived's multicast AH advert, `auth_pass secret`.
// Output: keel-wire verifies its ICV with the 8-byte key and TTL kept in the ICV (multicast),
// rejects it with another password, and signs the same values into the same 78 bytes —
// so keel and keepalived authenticate each other.
#[test]
fn ah_multicast_matches_keepalived() {
    let advert = advert(&V2_AH_MULTICAST);
    let key = auth_data(b"secret");
    let ah = advert.verify_ah(&key, false).unwrap();
    assert_eq!((ah.spi, ah.sequence_number), (u32::from(SRC), 1));
    assert_eq!(
        advert.verify_ah(&auth_data(b"secreT"), false),
        Err(Error::AuthFailure)
    );
    let repr = Repr::parse(&advert.vrrp).unwrap();
    assert_eq!(repr, v2(51, Ipv4Addr::new(10, 99, 0, 100), Auth::Ah));
    let ah_key = AhKey {
        key,
        sequence_number: 1,
        unicast: false,
    };
    assert_eq!(
        reencode(&V2_AH_MULTICAST, ipv4::VRRP_GROUP, 1, &repr, Some(&ah_key)),
        V2_AH_MULTICAST
    );
}

// Input: keepalived's unicast AH advert to 10.99.0.2.
// Output: its ICV verifies only with the TTL zeroed (keepalived's unicast rule, spec §3.1),
// and keel signs the same values into the same bytes.
#[test]
fn ah_unicast_matches_keepalived() {
    let advert = advert(&V2_AH_UNICAST);
    let key = auth_data(b"secret");
    assert_eq!(advert.verify_ah(&key, true).unwrap().sequence_number, 1);
    assert_eq!(advert.verify_ah(&key, false), Err(Error::AuthFailure));
    let repr = Repr::parse(&advert.vrrp).unwrap();
    assert_eq!(repr, v2(54, Ipv4Addr::new(10, 99, 0, 102), Auth::Ah));
    let ah_key = AhKey {
        key,
        sequence_number: 1,
        unicast: true,
    };
    assert_eq!(
        reencode(&V2_AH_UNICAST, PEER, 1, &repr, Some(&ah_key)),
        V2_AH_UNICAST
    );
}

// Input: keepalived's PASS advert, `auth_pass secret`.
// Output: auth type 1 carrying "secret" zero padded; keel encodes the same 54 bytes.
#[test]
fn pass_matches_keepalived() {
    let advert = advert(&V2_PASS);
    let repr = Repr::parse(&advert.vrrp).unwrap();
    assert_eq!(
        repr,
        v2(
            52,
            Ipv4Addr::new(10, 99, 0, 101),
            Auth::Pass(*b"secret\0\0")
        )
    );
    assert_eq!(
        advert
            .vrrp
            .checksum_variant(&advert.endpoints(), ipv4::VRRP_GROUP),
        ChecksumVariant::Standard
    );
    assert_eq!(
        reencode(&V2_PASS, ipv4::VRRP_GROUP, 1, &repr, None),
        V2_PASS
    );
}

// Input: keepalived's VRRPv3 IPv6 advert (checksum written by the kernel, IPV6_CHECKSUM).
// Output: hop limit 255 to ff02::12 from the link-local source; the checksum is the standard
// IPv6 pseudo-header one; keel encodes the same 24-byte VRRP message.
#[test]
fn v3_ipv6_matches_keepalived() {
    let frame = ethernet::Frame::new_checked(&V3_IPV6[..]).unwrap();
    assert_eq!(
        frame.destination(),
        Address::ipv6_multicast(ipv6::VRRP_GROUP)
    );
    let ip = ipv6::Packet::new_checked(frame.payload()).unwrap();
    let src: Ipv6Addr = "fe80::5054:ff:fe00:1".parse().unwrap();
    assert_eq!(
        (ip.src_addr(), ip.dst_addr(), ip.hop_limit()),
        (src, ipv6::VRRP_GROUP, 255)
    );
    assert_eq!(ip.next_header(), ipv4::PROTOCOL_VRRP);
    assert_eq!(ip.traffic_class(), 0xc0);
    let packet = Packet::new_checked(ip.payload(), Family::Ipv6).unwrap();
    let endpoints = Endpoints::V6 {
        src,
        dst: ipv6::VRRP_GROUP,
    };
    assert_eq!(
        packet.checksum_variant(&endpoints, ipv4::VRRP_GROUP),
        ChecksumVariant::Standard
    );
    let repr = Repr::parse(&packet).unwrap();
    assert_eq!(
        repr,
        Repr {
            version: Version::V3 { max_adver_int: 100 },
            vrid: 53,
            priority: 150,
            addresses: Addresses::V6(vec!["2001:db8::100".parse().unwrap()]),
        }
    );
    let mut out = [0u8; 24];
    repr.emit(&mut out, &endpoints, ChecksumMode::Standard)
        .unwrap();
    assert_eq!(&out[..], ip.payload());
}

// Input: keepalived's gratuitous ARP for 10.99.0.103.
// Output: keel's gratuitous ARP for the same MAC and VIP is the same 42 bytes.
#[test]
fn garp_matches_keepalived() {
    let mut out = [0u8; arp::GRATUITOUS_FRAME_LEN];
    arp::emit_gratuitous(MAC, Ipv4Addr::new(10, 99, 0, 103), &mut out).unwrap();
    assert_eq!(out, GARP);
}

// Input: keepalived's unsolicited NA for 2001:db8::100 (forwarding off).
// Output: keel's NA for the same MAC and VIP is the same 86 bytes, flags O only.
#[test]
fn na_matches_keepalived() {
    let mut out = [0u8; ndisc::UNSOLICITED_FRAME_LEN];
    let vip: Ipv6Addr = "2001:db8::100".parse().unwrap();
    ndisc::emit_unsolicited_na(MAC, vip, false, &mut out).unwrap();
    assert_eq!(out, NA);
}
