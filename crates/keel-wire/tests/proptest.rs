//! Properties over generated inputs: every `Repr` survives emit → parse unchanged, and no
//! decoder panics on arbitrary or mutated bytes.

use std::net::{Ipv4Addr, Ipv6Addr};

use keel_wire::advert::{AhKey, Ipv4Advert, Ipv4Envelope, emit_ipv4};
use keel_wire::auth::ah;
use keel_wire::ethernet::{self, Address};
use keel_wire::vrrp::{
    self, Addresses, Auth, ChecksumMode, ChecksumVariant, Endpoints, Family, Repr, Version,
};
use keel_wire::{arp, ipv4, ipv6, ndisc};
use proptest::prelude::*;

fn ipv4_addr() -> impl Strategy<Value = Ipv4Addr> {
    any::<u32>().prop_map(Ipv4Addr::from)
}

fn ipv6_addr() -> impl Strategy<Value = Ipv6Addr> {
    any::<u128>().prop_map(Ipv6Addr::from)
}

fn mac() -> impl Strategy<Value = Address> {
    any::<[u8; 6]>().prop_map(Address)
}

fn auth_v4() -> impl Strategy<Value = Auth> {
    prop_oneof![
        Just(Auth::None),
        any::<[u8; 8]>().prop_map(Auth::Pass),
        Just(Auth::Ah)
    ]
}

/// A VRRP advert of either family and version, with the endpoints it travels between.
fn advert() -> impl Strategy<Value = (Repr, Endpoints)> {
    let v4 = (
        prop_oneof![
            (any::<u8>(), auth_v4()).prop_map(|(adver_int, auth)| Version::V2 { adver_int, auth }),
            (0u16..=0x0fff).prop_map(|max_adver_int| Version::V3 { max_adver_int }),
        ],
        any::<u8>(),
        any::<u8>(),
        prop::collection::vec(ipv4_addr(), 0..20),
        ipv4_addr(),
        ipv4_addr(),
    )
        .prop_map(|(version, vrid, priority, addrs, src, dst)| {
            let repr = Repr {
                version,
                vrid,
                priority,
                addresses: Addresses::V4(addrs),
            };
            (repr, Endpoints::V4 { src, dst })
        });
    let v6 = (
        prop_oneof![
            // keepalived's VRRPv2 over IPv6 carries no auth data: no PASS.
            (any::<u8>(), prop_oneof![Just(Auth::None), Just(Auth::Ah)])
                .prop_map(|(adver_int, auth)| Version::V2 { adver_int, auth }),
            (0u16..=0x0fff).prop_map(|max_adver_int| Version::V3 { max_adver_int }),
        ],
        any::<u8>(),
        any::<u8>(),
        prop::collection::vec(ipv6_addr(), 0..8),
        ipv6_addr(),
        ipv6_addr(),
    )
        .prop_map(|(version, vrid, priority, addrs, src, dst)| {
            let repr = Repr {
                version,
                vrid,
                priority,
                addresses: Addresses::V6(addrs),
            };
            (repr, Endpoints::V6 { src, dst })
        });
    prop_oneof![v4, v6]
}

/// Runs every decoder over `bytes`; they may fail but must not panic.
fn decode_everything(bytes: &[u8]) {
    let group = ipv4::VRRP_GROUP;
    let endpoints = Endpoints::V4 {
        src: Ipv4Addr::LOCALHOST,
        dst: group,
    };
    if let Ok(advert) = Ipv4Advert::parse(bytes) {
        let _ = Repr::parse(&advert.vrrp);
        let _ = advert.vrrp.checksum_variant(&advert.endpoints(), group);
        let _ = advert.verify_ah(b"secret\0\0", false);
        let _ = advert.verify_ah(b"secret\0\0", true);
    }
    let _ = ah::verify(b"secret\0\0", bytes, true);
    for family in [Family::Ipv4, Family::Ipv6] {
        if let Ok(packet) = vrrp::Packet::new_checked(bytes, family) {
            let _ = Repr::parse(&packet);
            let _ = packet.checksum_variant(&endpoints, group);
            let v6 = Endpoints::V6 {
                src: Ipv6Addr::LOCALHOST,
                dst: ipv6::VRRP_GROUP,
            };
            let _ = packet.checksum_variant(&v6, group);
            let _ = packet.auth_data();
            let _ = packet.advert_interval();
            assert_eq!(packet.ip_addrs().count(), usize::from(packet.count()));
        }
    }
    if let Ok(frame) = ethernet::Frame::new_checked(bytes) {
        let _ = ethernet::Repr::parse(&frame);
        if let Ok(packet) = arp::Packet::new_checked(frame.payload()) {
            let _ = arp::Repr::parse(&packet);
        }
        if let Ok(ip) = ipv6::Packet::new_checked(frame.payload()) {
            let _ = ipv6::Repr::parse(&ip);
            if let Ok(na) = ndisc::Packet::new_checked(ip.payload()) {
                let _ = ndisc::Repr::parse(&na, ip.src_addr(), ip.dst_addr());
            }
        }
    }
    if let Ok(na) = ndisc::Packet::new_checked(bytes) {
        let _ = ndisc::Repr::parse(&na, Ipv6Addr::LOCALHOST, ipv6::ALL_NODES);
    }
    if let Ok(packet) = ah::Packet::new_checked(bytes) {
        let _ = ah::Repr::parse(&packet);
        let _ = packet.icv();
        let _ = packet.payload();
    }
}

proptest! {
    // Input: any advert, endpoints and standard checksum.
    // Output: parse(emit(repr)) == repr, the message is exactly buffer_len() bytes, and the
    // checksum reads as Standard.
    #[test]
    fn vrrp_repr_roundtrips((repr, endpoints) in advert()) {
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut buf, &endpoints, ChecksumMode::Standard).unwrap();
        let packet = vrrp::Packet::new_checked(&buf[..], endpoints.family()).unwrap();
        prop_assert_eq!(packet.message_len(), buf.len());
        prop_assert_eq!(Repr::parse(&packet).unwrap(), repr);
        prop_assert_eq!(
            packet.checksum_variant(&endpoints, ipv4::VRRP_GROUP),
            ChecksumVariant::Standard
        );
    }

    // Input: a VRRPv3 IPv4 advert sent with `v3_checksum_as_v2` or `old_unicast_checksum`.
    // Output: it verifies under that mode; the classifier names it, or another variant that
    // matches too by coincidence — never Bad.
    #[test]
    fn v3_checksum_variants_are_recognised(
        max_adver_int in 0u16..=0x0fff,
        addrs in prop::collection::vec(ipv4_addr(), 0..20),
        src in ipv4_addr(),
        dst in ipv4_addr(),
        old in any::<bool>(),
    ) {
        let repr = Repr {
            version: Version::V3 { max_adver_int },
            vrid: 1,
            priority: 100,
            addresses: Addresses::V4(addrs),
        };
        let endpoints = Endpoints::V4 { src, dst };
        let group = ipv4::VRRP_GROUP;
        let (mode, variant) = if old {
            (ChecksumMode::OldUnicast { group }, ChecksumVariant::OldUnicast)
        } else {
            (ChecksumMode::AsV2, ChecksumVariant::AsV2)
        };
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut buf, &endpoints, mode).unwrap();
        let packet = vrrp::Packet::new_checked(&buf[..], Family::Ipv4).unwrap();
        prop_assert!(packet.verify_checksum(&endpoints, mode));
        // The classifier may name another variant only when that one matches too (the
        // pseudo-header can sum to zero by coincidence).
        let seen = packet.checksum_variant(&endpoints, group);
        let seen_mode = match seen {
            ChecksumVariant::Standard => ChecksumMode::Standard,
            ChecksumVariant::AsV2 => ChecksumMode::AsV2,
            ChecksumVariant::OldUnicast => ChecksumMode::OldUnicast { group },
            ChecksumVariant::Bad => return Err(TestCaseError::fail("checksum read as Bad")),
        };
        prop_assert!(seen == variant || packet.verify_checksum(&endpoints, seen_mode), "{:?}", seen);
    }

    // Input: any IPv4 advert (AH ones with a key, sequence and unicast flag) in a datagram.
    // Output: it splits back into the same IP values, AH sequence and VRRP values, and the
    // AH ICV verifies with the key it was signed with.
    #[test]
    fn ipv4_advert_roundtrips(
        (repr, endpoints) in advert(),
        ident in any::<u16>(),
        ttl in any::<u8>(),
        key in any::<[u8; 8]>(),
        sequence_number in any::<u32>(),
        unicast in any::<bool>(),
    ) {
        let Endpoints::V4 { src, dst } = endpoints else { return Ok(()) };
        let envelope = Ipv4Envelope { src_addr: src, dst_addr: dst, ident, ttl };
        let is_ah = matches!(repr.version, Version::V2 { auth: Auth::Ah, .. });
        let ah_key = AhKey { key, sequence_number, unicast };
        let ah_key = is_ah.then_some(&ah_key);
        let mut buf = vec![0u8; keel_wire::advert::ipv4_len(&repr)];
        let len = emit_ipv4(&envelope, &repr, ChecksumMode::Standard, ah_key, &mut buf).unwrap();
        prop_assert_eq!(len, buf.len());
        let advert = Ipv4Advert::parse(&buf).unwrap();
        prop_assert_eq!((advert.ip.src_addr, advert.ip.dst_addr), (src, dst));
        prop_assert_eq!((advert.ip.ident, advert.ip.ttl, advert.ip.tos), (ident, ttl, 0xc0));
        prop_assert_eq!(Repr::parse(&advert.vrrp).unwrap(), repr);
        if is_ah {
            let ah = advert.verify_ah(&key, unicast).unwrap();
            prop_assert_eq!(ah.sequence_number, sequence_number);
            prop_assert_eq!(ah.spi, u32::from(src));
        } else {
            prop_assert!(advert.ah.is_none());
        }
    }

    // Input: any IPv4 header values.
    // Output: parse(emit) gives them back, with a valid header checksum.
    #[test]
    fn ipv4_repr_roundtrips(
        src_addr in ipv4_addr(), dst_addr in ipv4_addr(), protocol in any::<u8>(),
        tos in any::<u8>(), ident in any::<u16>(), dont_fragment in any::<bool>(),
        ttl in any::<u8>(), payload_len in 0usize..64,
    ) {
        let repr = ipv4::Repr { src_addr, dst_addr, protocol, tos, ident, dont_fragment, ttl, payload_len };
        let mut buf = vec![0u8; ipv4::HEADER_LEN + payload_len];
        repr.emit(&mut buf).unwrap();
        prop_assert_eq!(ipv4::Repr::parse(&ipv4::Packet::new_checked(&buf[..]).unwrap()).unwrap(), repr);
    }

    // Input: any IPv6 header values.
    // Output: parse(emit) gives them back.
    #[test]
    fn ipv6_repr_roundtrips(
        src_addr in ipv6_addr(), dst_addr in ipv6_addr(), next_header in any::<u8>(),
        hop_limit in any::<u8>(), payload_len in 0usize..64, traffic_class in any::<u8>(),
    ) {
        let repr = ipv6::Repr { traffic_class, src_addr, dst_addr, next_header, hop_limit, payload_len };
        let mut buf = vec![0u8; ipv6::HEADER_LEN + payload_len];
        repr.emit(&mut buf).unwrap();
        prop_assert_eq!(ipv6::Repr::parse(&ipv6::Packet::new_checked(&buf[..]).unwrap()).unwrap(), repr);
    }

    // Input: any Ethernet/IPv4 ARP values.
    // Output: parse(emit) gives them back.
    #[test]
    fn arp_repr_roundtrips(
        op in any::<u16>(), sha in mac(), spa in ipv4_addr(), tha in mac(), tpa in ipv4_addr(),
    ) {
        let repr = arp::Repr {
            operation: arp::Operation::from(op),
            sender_hardware_addr: sha,
            sender_protocol_addr: spa,
            target_hardware_addr: tha,
            target_protocol_addr: tpa,
        };
        let mut buf = [0u8; arp::PACKET_LEN];
        repr.emit(&mut buf).unwrap();
        prop_assert_eq!(arp::Repr::parse(&arp::Packet::new_checked(&buf[..]).unwrap()).unwrap(), repr);
    }

    // Input: any NA values, with or without the link-layer option, between any addresses.
    // Output: parse(emit) gives them back (the checksum verifies).
    #[test]
    fn ndisc_repr_roundtrips(
        router in any::<bool>(), solicited in any::<bool>(), override_ in any::<bool>(),
        target_addr in ipv6_addr(), target_lladdr in proptest::option::of(mac()),
        src in ipv6_addr(), dst in ipv6_addr(),
    ) {
        let repr = ndisc::Repr { router, solicited, override_, target_addr, target_lladdr };
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut buf, src, dst).unwrap();
        let packet = ndisc::Packet::new_checked(&buf[..]).unwrap();
        prop_assert_eq!(ndisc::Repr::parse(&packet, src, dst).unwrap(), repr);
    }

    // Input: arbitrary bytes.
    // Output: every decoder returns (Ok or Err) without panicking.
    #[test]
    fn decoders_never_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        decode_everything(&bytes);
    }

    // Input: a valid advert datagram with a few bytes overwritten or the end cut off.
    // Output: no decoder panics (these reach deeper than random bytes do).
    #[test]
    fn decoders_never_panic_on_mutated_adverts(
        (repr, endpoints) in advert(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let Endpoints::V4 { src, dst } = endpoints else { return Ok(()) };
        let envelope = Ipv4Envelope { src_addr: src, dst_addr: dst, ident: 1, ttl: 255 };
        let key = AhKey { key: [1; 8], sequence_number: 1, unicast: false };
        let is_ah = matches!(repr.version, Version::V2 { auth: Auth::Ah, .. });
        let mut buf = vec![0u8; keel_wire::advert::ipv4_len(&repr)];
        emit_ipv4(&envelope, &repr, ChecksumMode::Standard, is_ah.then_some(&key), &mut buf).unwrap();
        for (at, value) in edits {
            let i = at.index(buf.len());
            buf[i] = value;
        }
        decode_everything(&buf);
        decode_everything(&buf[..cut.index(buf.len() + 1)]);
    }
}
