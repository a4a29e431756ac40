//! "Handle one advert in an instance": a BACKUP receiving its master's advert in steady state
//! (validation, acceptance, down-timer reset). Results go to docs/benchmarks.md.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
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

criterion_group!(benches, handle_one_advert);
criterion_main!(benches);
