//! Hostile and random inputs never panic, and the instance's invariants hold (quality bar:
//! "bad input never panics").

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use common::*;
use keel_vrrp::{
    AhStatus, ChecksumStatus, ConfigError, Input, Instance, MalformedKind, ReceivedAdvert,
    ReceivedAuth, State, TrackedObject, TrackerId, TrackerStatus, Version,
};

fn random_advert(rng: &mut Rng) -> ReceivedAdvert {
    let interval = match rng.next() % 4 {
        0 => Duration::ZERO,
        1 => Duration::MAX,
        2 => Duration::from_secs(1),
        _ => Duration::from_nanos(rng.next()),
    };
    ReceivedAdvert {
        version: if rng.next() % 2 == 0 {
            Version::V2
        } else {
            Version::V3
        },
        packet_type: rng.byte() % 4,
        vrid: if rng.next() % 4 == 0 { rng.byte() } else { 51 },
        priority: rng.byte(),
        max_advert_interval: interval,
        addresses: (0..rng.next() % 3)
            .map(|_| IpAddr::V4(Ipv4Addr::new(10, 99, 0, rng.byte())))
            .collect(),
        auth: ReceivedAuth {
            ah: [
                None,
                Some(AhStatus::Valid),
                Some(AhStatus::Invalid),
                Some(AhStatus::OtherProtocol),
            ][(rng.next() % 4) as usize],
            auth_type: rng.byte() % 4,
            data: [rng.byte(); 8],
        },
        source: IpAddr::V4(Ipv4Addr::new(10, 99, 0, rng.byte())),
        destination: if rng.next() % 2 == 0 {
            IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18))
        } else {
            v4(2)
        },
        ttl_or_hop_limit: if rng.next() % 2 == 0 { 255 } else { rng.byte() },
        checksum: [
            ChecksumStatus::Valid,
            ChecksumStatus::ValidOldUnicast,
            ChecksumStatus::Invalid,
        ][(rng.next() % 3) as usize],
    }
}

// Input: 20 000 random inputs (adverts with absurd intervals, trackers, links, stops,
// starts, reloads) to v2 and v3 instances, with time moving on.
// Output: no panic; effective priority stays ≥ 1; a MASTER always has its advert timer.
#[test]
fn random_inputs_never_panic() {
    for version in [Version::V2, Version::V3] {
        let mut rng = Rng(0x5eed_0000 + version as u64);
        let start = t0();
        let mut cfg = config(2, 100);
        cfg.version = version;
        cfg.trackers = vec![
            TrackedObject::script("chk", -30),
            TrackedObject::state("eth1", 0),
        ];
        let mut instance = Instance::new(cfg.clone(), start).expect("valid");
        let mut now = start;
        for _ in 0..10_000 {
            now += Duration::from_micros(rng.next() % 2_000_000);
            let input = match rng.next() % 12 {
                0 => Input::Start,
                1 => Input::Stop,
                2 => Input::LinkChanged {
                    up: rng.next() % 2 == 0,
                },
                3 => Input::Tracker {
                    id: TrackerId::new(["chk", "eth1", "other"][(rng.next() % 3) as usize]),
                    status: [
                        TrackerStatus::Success,
                        TrackerStatus::Failure,
                        TrackerStatus::Up,
                        TrackerStatus::Down,
                        TrackerStatus::Value(rng.next() as i64),
                    ][(rng.next() % 5) as usize],
                },
                4 => Input::Malformed(MalformedKind::Length),
                5 => Input::AddressRemovedExternally(vip()),
                6 => {
                    let mut changed = cfg.clone();
                    changed.priority = 1 + rng.byte() % 254;
                    Input::Reload(Box::new(changed))
                }
                _ => Input::Advert(random_advert(&mut rng)),
            };
            instance.handle(now, input);
            while let Some(deadline) = instance.poll_timeout().filter(|d| *d <= now) {
                instance.handle_timeout(deadline.max(now));
            }
            while instance.poll_action().is_some() {}
            assert!(instance.effective_priority() >= 1);
            if instance.state() == State::Master {
                assert!(
                    instance.poll_timeout().is_some(),
                    "a master always has its advert timer"
                );
            }
        }
    }
}

// Input: configs with absurd durations and repeats.
// Output: ConfigError values, never a panic.
#[test]
fn absurd_config_values_are_errors() {
    let mut cfg = config(1, 100);
    cfg.preempt_delay = Duration::MAX;
    assert!(matches!(
        Instance::new(cfg, t0()),
        Err(ConfigError::OutOfRange {
            keyword: "preempt_delay",
            ..
        })
    ));
    let mut cfg = config(1, 100);
    cfg.garp.master_refresh = Some(Duration::MAX);
    assert!(matches!(
        Instance::new(cfg, t0()),
        Err(ConfigError::OutOfRange { .. })
    ));
    let mut cfg = config(1, 100);
    cfg.garp.master_repeat = u32::MAX;
    assert!(matches!(
        Instance::new(cfg, t0()),
        Err(ConfigError::OutOfRange { .. })
    ));
    let mut cfg = config(1, 100);
    cfg.down_timer_adverts = 0;
    assert!(matches!(
        Instance::new(cfg, t0()),
        Err(ConfigError::InvalidDownTimerAdverts { .. })
    ));
    let mut cfg = config(1, 100);
    cfg.vrid = 0;
    assert!(matches!(
        Instance::new(cfg, t0()),
        Err(ConfigError::InvalidVrid { .. })
    ));
}

// Input: a v3 advert claiming Duration::MAX as its interval, accepted by a BACKUP.
// Output: not learned (no such 12-bit value exists); the down timer stays finite.
#[test]
fn impossible_v3_interval_is_not_learned() {
    let start = t0();
    let mut cfg = config(2, 100);
    cfg.version = Version::V3;
    let (mut backup, _) = started(cfg, start);
    let mut packet = advert(1, 200);
    packet.version = Version::V3;
    packet.max_advert_interval = Duration::MAX;
    backup.handle_advert(start, &packet);
    assert_eq!(backup.master_advert_interval(), secs(1));
    assert_eq!(backup.poll_timeout(), Some(start + us(3_609_375)));
}
