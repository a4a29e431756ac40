//! "VRRP advert decode" (docs/benchmarks.md): the receive-path cost keel-wire adds per
//! advert — checked views, `Repr::parse` and the checksum check — for the shapes keel
//! receives. Run: `cargo bench -p keel-wire --bench advert_decode`.

use std::hint::black_box;
use std::net::{Ipv4Addr, Ipv6Addr};

use criterion::{Criterion, criterion_group, criterion_main};
use keel_wire::advert::{AhKey, Ipv4Advert, Ipv4Envelope, emit_ipv4};
use keel_wire::ipv4::VRRP_GROUP;
use keel_wire::vrrp::{
    Addresses, Auth, ChecksumMode, ChecksumVariant, Endpoints, Family, Packet, Repr, Version,
};

/// keepalived's v3 unicast advert of spec §3.1 (two VIPs, 10.99.0.1 → 10.99.0.2).
const V3_UNICAST: [u8; 36] = [
    0x45, 0xc0, 0x00, 0x24, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70, 0xa5, 0xe0, 0x0a, 0x63, 0x00, 0x01,
    0x0a, 0x63, 0x00, 0x02, 0x31, 0x34, 0x96, 0x02, 0x00, 0x32, 0x0d, 0xbd, 0x0a, 0x63, 0x00, 0x65,
    0x0a, 0x63, 0x00, 0x66,
];

/// keepalived's v2 multicast advert of spec §3.1 (one VIP).
const V2_MULTICAST: [u8; 40] = [
    0x45, 0xc0, 0x00, 0x28, 0x00, 0x12, 0x00, 0x00, 0xff, 0x70, 0xd0, 0x1d, 0x0a, 0x63, 0x00, 0x01,
    0xe0, 0x00, 0x00, 0x12, 0x21, 0x33, 0xa0, 0x01, 0x00, 0x01, 0x34, 0x03, 0x0a, 0x63, 0x00, 0x64,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// The whole IPv4 receive path: IPv4 header (checksum, fragment check), VRRP view,
/// `Repr::parse` and the VRRPv3 pseudo-header checksum.
fn decode_ipv4(datagram: &[u8]) -> (Repr, ChecksumVariant) {
    let advert = Ipv4Advert::parse(datagram).expect("bench input is valid");
    let variant = advert
        .vrrp
        .checksum_variant(&advert.endpoints(), VRRP_GROUP);
    (
        Repr::parse(&advert.vrrp).expect("bench input is valid"),
        variant,
    )
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("vrrp_advert_decode");

    group.bench_function("v3_ipv4_unicast_datagram", |b| {
        b.iter(|| decode_ipv4(black_box(&V3_UNICAST)))
    });

    group.bench_function("v2_ipv4_multicast_datagram", |b| {
        b.iter(|| decode_ipv4(black_box(&V2_MULTICAST)))
    });

    // IPv6: the raw socket hands over the VRRP message alone.
    let src: Ipv6Addr = "fe80::1".parse().expect("literal");
    let endpoints = Endpoints::V6 {
        src,
        dst: keel_wire::ipv6::VRRP_GROUP,
    };
    let repr = Repr {
        version: Version::V3 { max_adver_int: 100 },
        vrid: 52,
        priority: 150,
        addresses: Addresses::V6(vec!["2001:db8::101".parse().expect("literal")]),
    };
    let mut message = vec![0u8; repr.buffer_len()];
    repr.emit(&mut message, &endpoints, ChecksumMode::Standard)
        .expect("valid repr");
    group.bench_function("v3_ipv6_message", |b| {
        b.iter(|| {
            let packet = Packet::new_checked(black_box(&message[..]), Family::Ipv6)
                .expect("bench input is valid");
            let variant = packet.checksum_variant(&endpoints, VRRP_GROUP);
            (Repr::parse(&packet).expect("bench input is valid"), variant)
        })
    });

    // AH: decode plus the HMAC-MD5 ICV check, the most expensive receive path.
    let key = AhKey {
        key: *b"secret\0\0",
        sequence_number: 1,
        unicast: false,
    };
    let ah_repr = Repr {
        version: Version::V2 {
            adver_int: 1,
            auth: Auth::Ah,
        },
        vrid: 51,
        priority: 160,
        addresses: Addresses::V4(vec![Ipv4Addr::new(10, 99, 0, 100)]),
    };
    let envelope = Ipv4Envelope {
        src_addr: Ipv4Addr::new(10, 99, 0, 1),
        dst_addr: VRRP_GROUP,
        ident: 1,
        ttl: 255,
    };
    let mut ah_datagram = vec![0u8; 64];
    emit_ipv4(
        &envelope,
        &ah_repr,
        ChecksumMode::Standard,
        Some(&key),
        &mut ah_datagram,
    )
    .expect("valid repr");
    group.bench_function("v2_ah_datagram_with_icv", |b| {
        b.iter(|| {
            let decoded = decode_ipv4(black_box(&ah_datagram));
            let advert = Ipv4Advert::parse(&ah_datagram).expect("bench input is valid");
            (
                decoded,
                advert
                    .verify_ah(&key.key, false)
                    .expect("signed with this key"),
            )
        })
    });

    // The send side, for scale: building one v3 unicast datagram.
    let v3 = Repr {
        version: Version::V3 { max_adver_int: 50 },
        vrid: 52,
        priority: 150,
        addresses: Addresses::V4(vec![
            Ipv4Addr::new(10, 99, 0, 101),
            Ipv4Addr::new(10, 99, 0, 102),
        ]),
    };
    let envelope = Ipv4Envelope {
        dst_addr: Ipv4Addr::new(10, 99, 0, 2),
        ..envelope
    };
    let mut out = [0u8; 64];
    group.bench_function("v3_ipv4_encode", |b| {
        b.iter(|| {
            emit_ipv4(
                &envelope,
                black_box(&v3),
                ChecksumMode::Standard,
                None,
                &mut out,
            )
        })
    });
    group.finish();
}

criterion_group!(advert_decode, benches);
criterion_main!(advert_decode);
