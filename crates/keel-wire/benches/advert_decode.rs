//! "VRRP advert decode" (docs/benchmarks.md): the receive-path cost keel-wire adds per
//! advert — checked views, `Repr::parse` and the checksum check — for the shapes keel
//! receives. Run: `bench/wire/run.sh` (= `cargo bench -p keel-wire --bench advert_decode`).
//!
//! Each case is measured twice: in wall time (criterion's default) and in the benchmark
//! thread's CPU time. The development machine is shared by several builds at once, so wall
//! time counts the moments the thread waits for a core; CPU time does not, and is the
//! steadier figure there.

use std::hint::black_box;
use std::net::{Ipv4Addr, Ipv6Addr};

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
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

fn wall_time(c: &mut Criterion) {
    benches(c, "vrrp_advert_decode");
}

fn thread_cpu_time(c: &mut Criterion<ThreadCpuTime>) {
    benches(c, "vrrp_advert_decode_cpu");
}

fn benches<M: Measurement>(c: &mut Criterion<M>, name: &str) {
    let mut group = c.benchmark_group(name);

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
            let advert = Ipv4Advert::parse(black_box(&ah_datagram)).expect("bench input is valid");
            let ah = advert
                .verify_ah(&key.key, false)
                .expect("signed with this key");
            let variant = advert
                .vrrp
                .checksum_variant(&advert.endpoints(), VRRP_GROUP);
            (
                Repr::parse(&advert.vrrp).expect("bench input is valid"),
                variant,
                ah,
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

/// The CPU time the calling thread has used, in nanoseconds.
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID exists on Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    // Invariant: a thread's CPU time is non-negative.
    u64::try_from(ts.tv_sec).expect("non-negative") * 1_000_000_000
        + u64::try_from(ts.tv_nsec).expect("non-negative")
}

/// Criterion measurement of the benchmark thread's CPU time (criterion runs the routine on
/// the thread that calls `start` and `end`).
struct ThreadCpuTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        thread_cpu_ns()
    }

    fn end(&self, start: u64) -> u64 {
        thread_cpu_ns().saturating_sub(start)
    }

    fn add(&self, v1: &u64, v2: &u64) -> u64 {
        v1 + v2
    }

    fn zero(&self) -> u64 {
        0
    }

    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &Nanoseconds
    }
}

/// Shows CPU time in ns (µs past 10 000 ns).
struct Nanoseconds;

impl ValueFormatter for Nanoseconds {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        if typical < 10_000.0 {
            "ns (cpu)"
        } else {
            values.iter_mut().for_each(|v| *v /= 1000.0);
            "µs (cpu)"
        }
    }

    fn scale_throughputs(
        &self,
        typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let per_iteration = match throughput {
            Throughput::Bytes(n)
            | Throughput::BytesDecimal(n)
            | Throughput::Elements(n)
            | Throughput::Bits(n) => *n as f64,
        };
        let _ = typical;
        values
            .iter_mut()
            .for_each(|v| *v = per_iteration * 1e9 / *v);
        "elem/s (cpu)"
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

criterion_group!(wall, wall_time);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = thread_cpu_time
}
criterion_main!(wall, cpu);
