//! "Handle one advert in an instance": a BACKUP receiving its master's advert in steady state
//! (validation, acceptance, down-timer reset); then the Router's cost per advert and per
//! timer at 1, 510 and 2,040 instances (issue 4). Results go to docs/benchmarks.md.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use keel_vrrp::{
    ChecksumStatus, Input, Instance, InstanceConfig, ReceivedAdvert, ReceivedAuth, Router,
    RouterConfig, RouterInput, Version,
};

fn vip() -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 99, 0, 100))
}

fn config() -> InstanceConfig {
    let mut config =
        InstanceConfig::new("VI_1", "eth0", 51, IpAddr::V4(Ipv4Addr::new(10, 99, 0, 2)));
    config.virtual_addresses = vec![vip()];
    config
}

fn advert() -> ReceivedAdvert {
    ReceivedAdvert {
        version: Version::V2,
        packet_type: 1,
        vrid: 51,
        priority: 200,
        max_advert_interval: Duration::from_secs(1),
        addresses: vec![vip()],
        auth: ReceivedAuth::NONE,
        source: IpAddr::V4(Ipv4Addr::new(10, 99, 0, 1)),
        destination: IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18)),
        ttl_or_hop_limit: 255,
        checksum: ChecksumStatus::Valid,
    }
}

fn handle_one_advert(c: &mut Criterion) {
    // A benchmark needs some origin; all times are offsets from it.
    #[allow(clippy::disallowed_methods)]
    let base = Instant::now();
    let packet = advert();

    let mut backup = Instance::new(config(), base).expect("valid config");
    backup.handle(base, Input::Start);
    while backup.poll_action().is_some() {}
    let mut now = base;
    c.bench_function("instance.handle_advert (BACKUP, steady state)", |b| {
        b.iter(|| {
            now += Duration::from_millis(1);
            backup.handle_advert(now, black_box(&packet));
            black_box(backup.poll_action())
        })
    });

    let mut backup = Instance::new(config(), base).expect("valid config");
    backup.handle(base, Input::Start);
    while backup.poll_action().is_some() {}
    let mut now = base;
    c.bench_function(
        "instance.handle(Input::Advert) incl. dropping the advert",
        |b| {
            b.iter_batched(
                || Input::Advert(packet.clone()),
                |input| {
                    now += Duration::from_millis(1);
                    backup.handle(now, input);
                },
                BatchSize::SmallInput,
            )
        },
    );

    let mut router = Router::new(
        RouterConfig {
            instances: vec![config()],
            sync_groups: vec![],
        },
        base,
    )
    .expect("valid config");
    router.handle(base, RouterInput::Start);
    while router.poll_action().is_some() {}
    let mut now = base;
    c.bench_function("router.handle_advert (route + BACKUP steady state)", |b| {
        b.iter(|| {
            now += Duration::from_millis(1);
            black_box(router.handle_advert(now, "eth0", black_box(&packet)))
        })
    });
}

/// The scale layout of bench/vrrp: per interface, VRIDs 1–255 for IPv4 then for IPv6, all
/// VRRPv3 at 1 s, one VIP each; `count` instances over as many interfaces as it takes.
fn scale_config(count: usize, priority: u8) -> RouterConfig {
    let instances = (0..count)
        .map(|n| {
            let (interface, slot) = (n / 510, n % 510);
            let vrid = (slot % 255 + 1) as u8;
            let primary = if slot < 255 {
                IpAddr::V4(Ipv4Addr::new(10, 99, interface as u8, 2))
            } else {
                IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 2))
            };
            let mut config = InstanceConfig::new(
                &format!("VI_{n}"),
                &format!("eth{interface}"),
                vrid,
                primary,
            );
            config.version = Version::V3;
            config.priority = priority;
            config.virtual_addresses = vec![scale_vip(primary)];
            config
        })
        .collect();
    RouterConfig {
        instances,
        sync_groups: vec![],
    }
}

fn scale_vip(primary: IpAddr) -> IpAddr {
    match primary {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::new(10, 99, 200, 1)),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x100)),
    }
}

/// The master's advert for each instance of [`scale_config`], with its interface.
fn scale_adverts(config: &RouterConfig) -> Vec<(String, ReceivedAdvert)> {
    config
        .instances
        .iter()
        .map(|instance| {
            let source = match instance.primary_address {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::new(10, 99, 0, 1)),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1)),
            };
            let advert = ReceivedAdvert {
                version: Version::V3,
                packet_type: 1,
                vrid: instance.vrid,
                priority: 200,
                max_advert_interval: Duration::from_secs(1),
                addresses: instance.virtual_addresses.clone(),
                auth: ReceivedAuth::NONE,
                source,
                destination: instance.multicast_group,
                ttl_or_hop_limit: 255,
                checksum: ChecksumStatus::Valid,
            };
            (instance.interface.clone(), advert)
        })
        .collect()
}

fn router_scale(c: &mut Criterion) {
    #[allow(clippy::disallowed_methods)]
    let base = Instant::now();
    for count in [1usize, 510, 2040] {
        // A BACKUP router hearing every instance's master once per second, round robin: each
        // advert is routed, accepted, and its instance's down timer re-filed last in the queue.
        let config = scale_config(count, 100);
        let adverts = scale_adverts(&config);
        let mut backup = Router::new(config, base).expect("valid config");
        backup.handle(base, RouterInput::Start);
        while backup.poll_action().is_some() {}
        let step = Duration::from_secs(1) / count as u32;
        let mut now = base;
        let mut next = 0;
        c.bench_function(&format!("router.handle_advert, {count} instances"), |b| {
            b.iter(|| {
                now += step;
                let (interface, advert) = &adverts[next];
                next = (next + 1) % count;
                black_box(backup.handle_advert(now, interface, black_box(advert)));
                black_box(backup.poll_timeout())
            })
        });

        // A MASTER router (priority 255 starts MASTER at once): all instances share one 1 s
        // schedule, so each wake-up handles every instance; throughput is per instance.
        let mut master = Router::new(scale_config(count, 255), base).expect("valid config");
        master.handle(base, RouterInput::Start);
        while master.poll_action().is_some() {}
        let mut group = c.benchmark_group(format!("router.handle_timeout, {count} masters"));
        group.throughput(Throughput::Elements(count as u64));
        group.bench_function("one advert round", |b| {
            b.iter(|| {
                // A MASTER always has its advert timer armed.
                let deadline = master.poll_timeout().expect("advert timer");
                master.handle_timeout(deadline);
                while let Some(action) = master.poll_action() {
                    black_box(action);
                }
            })
        });
        group.finish();
    }
}

criterion_group!(benches, handle_one_advert, router_scale);
criterion_main!(benches);
