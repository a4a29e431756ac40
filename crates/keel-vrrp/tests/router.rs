//! The Router at scale (issue 4): inputs reach exactly the instances they name among
//! hundreds, its deadline queue always agrees with a scan of the instances, late wake-ups
//! handle every due instance, and SIGRTMAX-1's clear zeroes the counters (spec §4).

mod common;

use std::net::{IpAddr, Ipv6Addr};
use std::time::Instant;

use common::*;
use keel_vrrp::{
    Action, InstanceConfig, ReceivedAdvert, Router, RouterConfig, RouterInput, State, Stats, Timer,
    TrackedObject, TrackerId, TrackerStatus,
};

// Input: 1,020 instances: on eth0 and eth1, VRIDs 1–255 over IPv4 (v2) and over IPv6 (v3).
// Adverts for (eth1, IPv6, VRID 9), (eth0, IPv4, VRID 255), then for an unknown interface
// and an IPv6 VRID nobody has on eth0.
// Output: each known advert is counted by exactly the instance with that identity; the
// unknown ones are reported as unknown (keepalived's log_unknown_vrids) and counted nowhere.
#[test]
fn adverts_reach_exactly_their_instance_among_a_thousand() {
    let start = t0();
    let mut config = scale(2);
    config.instances.retain(|i| i.name != "eth0-v6-77");
    let mut router = started_router(config, start);

    let to_v6 = v6_advert(9);
    assert!(router.handle_advert(start + ms(10), "eth1", &to_v6));
    let mut to_v4 = advert(1, 200);
    to_v4.vrid = 255;
    to_v4.addresses = vec![vip()];
    assert!(router.handle_advert(start + ms(20), "eth0", &to_v4));
    assert!(!router.handle_advert(start + ms(30), "eth7", &to_v4));
    assert!(!router.handle_advert(start + ms(40), "eth0", &v6_advert(77)));

    let counted: Vec<&str> = router
        .instances()
        .iter()
        .filter(|i| i.stats().advert_rcvd > 0)
        .map(|i| i.name())
        .collect();
    assert_eq!(counted, vec!["eth0-v4-255", "eth1-v6-9"]);
    assert_eq!(
        router
            .instance("eth1-v6-9")
            .and_then(|i| i.master_address()),
        Some(to_v6.source)
    );
}

// Input: the same 1,020 instances; eth1 goes down; a tracker followed by three instances
// (weight −50) fails.
// Output: exactly the 510 eth1 instances enter FAULT; exactly the three tracking instances
// drop to priority 50; every other instance is untouched.
#[test]
fn link_and_tracker_events_reach_exactly_their_instances() {
    let start = t0();
    let mut config = scale(2);
    let trackers = ["eth0-v4-3", "eth0-v6-200", "eth1-v4-1"];
    for instance in &mut config.instances {
        if trackers.contains(&instance.name.as_str()) {
            instance.trackers = vec![TrackedObject::state("chk", -50)];
        }
    }
    let mut router = started_router(config, start);

    router.handle(
        start + ms(5),
        RouterInput::LinkChanged {
            interface: "eth1".into(),
            up: false,
        },
    );
    router.handle(
        start + ms(6),
        RouterInput::Tracker {
            id: TrackerId::new("chk"),
            status: TrackerStatus::Down,
        },
    );

    for instance in router.instances() {
        let on_eth1 = instance.config().interface == "eth1";
        let expected = if on_eth1 { State::Fault } else { State::Backup };
        assert_eq!(instance.state(), expected, "{}", instance.name());
        let tracked = trackers.contains(&instance.name());
        let priority = if tracked { 50 } else { 100 };
        assert_eq!(
            instance.effective_priority(),
            priority,
            "{}",
            instance.name()
        );
    }
}

// Input: two backups on one router, priorities 100 and 200 (down intervals 3.609 s and
// 3.218 s); the daemon wakes late, at 4 s, and calls handle_timeout once.
// Output: next_timer names the HIGH backup's takeover first; both take over in that one
// call, the one whose deadline passed first first; the next deadline is each one's advert
// timer, 1 s later.
#[test]
fn a_late_wake_up_handles_every_due_instance_earliest_first() {
    let start = t0();
    let mut low = config(2, 100);
    low.name = "LOW".into();
    let mut high = config(2, 200);
    high.name = "HIGH".into();
    high.vrid = 52;
    let mut router = started_router(
        RouterConfig {
            instances: vec![low, high],
            sync_groups: vec![],
        },
        start,
    );
    assert_eq!(
        router.next_timer(),
        Some((start + us(3_218_750), Timer::MasterDown))
    );

    router.handle_timeout(start + secs(4));
    let masters: Vec<String> = std::iter::from_fn(|| router.poll_action())
        .filter(|a| matches!(a.action, Action::SendAdvert(_)))
        .map(|a| match a.source {
            keel_vrrp::Source::Instance { name, .. } => name.to_string(),
            keel_vrrp::Source::Group { name } => name.to_string(),
        })
        .collect();
    assert_eq!(masters, vec!["HIGH", "LOW"]);
    assert_eq!(router.next_timer(), Some((start + secs(5), Timer::Advert)));
}

// Input: 64 instances (IPv4 and IPv6) on two interfaces, driven by 3,000 seeded random inputs (adverts of
// random priority, priority 0 and from unknown VRIDs, link flaps, tracker results, timeouts
// at the deadline or late, a reload that drops and adds instances, stop and start).
// Output: after every input, poll_timeout equals the earliest deadline found by scanning
// every instance (the computation the deadline queue replaced).
#[test]
fn poll_timeout_always_equals_the_scan_of_every_instance() {
    let start = t0();
    for seed in 1..=20u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let mut config = scale(1);
        config.instances.retain(|i| i.vrid <= 32);
        for (n, instance) in config.instances.iter_mut().enumerate() {
            instance.priority = 50 + (n as u8 % 4) * 40;
            instance.trackers = vec![TrackedObject::script(&format!("s{}", n % 3), -20)];
            if n % 2 == 1 {
                instance.interface = "eth1".into();
            }
        }
        let mut router = started_router(config.clone(), start);
        let mut now = start;
        for step in 0..150 {
            now += ms(rng.below(400));
            let index = rng.below(64) as usize;
            let instance = &config.instances[index];
            match rng.below(10) {
                0..=3 => {
                    let mut packet = match instance.primary_address {
                        IpAddr::V4(_) => advert(1, 200),
                        IpAddr::V6(_) => v6_advert(instance.vrid),
                    };
                    packet.vrid = instance.vrid;
                    packet.priority = [0, 1, 100, 200, 254][rng.below(5) as usize];
                    router.handle_advert(now, &instance.interface, &packet);
                }
                4 => router.handle(
                    now,
                    RouterInput::LinkChanged {
                        interface: ["eth0", "eth1"][rng.below(2) as usize].into(),
                        up: rng.below(2) == 0,
                    },
                ),
                5 => router.handle(
                    now,
                    RouterInput::Tracker {
                        id: TrackerId::new(&format!("s{}", rng.below(3))),
                        status: if rng.below(2) == 0 {
                            TrackerStatus::Success
                        } else {
                            TrackerStatus::Failure
                        },
                    },
                ),
                6 => {
                    let mut reloaded = config.clone();
                    reloaded.instances.retain(|_| rng.below(4) != 0);
                    router.handle(now, RouterInput::Reload(reloaded));
                }
                7 => router.handle(now, RouterInput::Reload(config.clone())),
                8 => {
                    router.handle(now, RouterInput::Stop);
                    router.handle(now, RouterInput::Start);
                }
                _ => {
                    if let Some(deadline) = router.poll_timeout() {
                        now = now.max(deadline) + ms(rng.below(3));
                        router.handle_timeout(now);
                    }
                }
            }
            while router.poll_action().is_some() {}
            assert_eq!(
                router.poll_timeout(),
                scan(&router),
                "seed {seed}, step {step}"
            );
            assert_eq!(
                router.next_timer().map(|(deadline, _)| deadline),
                router.poll_timeout(),
                "seed {seed}, step {step}: next_timer names the same deadline"
            );
        }
    }
}

// Input: a master and a backup router exchange adverts for 10 s, then the backup's router
// clears its stats (SIGRTMAX-1) and hears one more advert.
// Output: before the clear, the counters are non-zero; after it every counter of the
// keepalived.stats block is 0 while the state is still BACKUP; the next advert counts 1.
#[test]
fn clear_stats_zeroes_every_counter_and_keeps_state() {
    let start = t0();
    let one = |priority| RouterConfig {
        instances: vec![config(if priority == 200 { 1 } else { 2 }, priority)],
        sync_groups: vec![],
    };
    let mut master = started_router(one(200), start);
    let mut backup = started_router(one(100), start);
    let mut now = start;
    while now < start + secs(10) {
        let Some(deadline) = master.poll_timeout() else {
            break;
        };
        now = deadline;
        master.handle_timeout(now);
        while let Some(action) = master.poll_action() {
            if let Action::SendAdvert(out) = action.action {
                backup.handle_advert(now, "eth0", &received(&out));
            }
        }
        while backup.poll_action().is_some() {}
    }
    let before = *backup.instances()[0].stats();
    assert!(before.advert_rcvd >= 4, "{before:?}");

    backup.clear_stats();

    let instance = &backup.instances()[0];
    assert_eq!(*instance.stats(), Stats::default());
    assert_eq!(instance.state(), State::Backup);
    assert!(
        instance
            .stats()
            .keepalived_stats_block("VI_1")
            .lines()
            .filter(|line| line.contains(':') && !line.ends_with(':'))
            .skip(1)
            .all(|line| line.ends_with(": 0")),
        "{}",
        instance.stats().keepalived_stats_block("VI_1")
    );
    backup.handle_advert(now + ms(1), "eth0", &advert(1, 200));
    assert_eq!(backup.instances()[0].stats().advert_rcvd, 1);
}

// Input: 510 instances on eth0, all BACKUP; the master's advert for (IPv4, VRID 7), the
// same advert again later, a priority-0 advert, and a lower-priority one on a preempting
// instance; then a preempt_delay instance hearing a lower priority.
// Output (what the daemon's in-kernel advert filter relies on): `locate` finds the instance
// `handle_advert` routes to; `restarted_by` gives the Master_Down_Interval exactly when the
// advert restarted the down timer from its arrival and nothing else; `next_timer_of` names
// the instance of the earliest deadline; `count_received` adds to advert_rcvd only.
#[test]
fn what_an_absorbed_repeat_of_an_advert_needs_from_the_engine() {
    let start = t0();
    let mut router = started_router(scale(1), start);
    let index = router
        .locate("eth0", keel_vrrp::Family::Ipv4, 7)
        .expect("located");
    assert_eq!(router.instances()[index].name(), "eth0-v4-7");
    assert_eq!(router.locate("eth1", keel_vrrp::Family::Ipv4, 7), None);
    let mut master = advert(1, 200);
    master.vrid = 7;
    let at = start + ms(500);
    assert!(router.handle_advert(at, "eth0", &master));
    let down = router.instances()[index].master_down_interval();
    assert_eq!(router.instances()[index].restarted_by(at), Some(down));
    assert_eq!(router.instances()[index].restarted_by(at + ms(1)), None);
    // Every other instance is due before this one now; the earliest is named with its timer.
    let (deadline, timer, first) = router.next_timer_of().expect("a deadline");
    assert_eq!(
        (timer, Some(deadline)),
        (Timer::MasterDown, router.poll_timeout())
    );
    assert_eq!(router.instances()[first].poll_timeout(), Some(deadline));
    assert_ne!(first, index);

    // The same advert handed to the instance by index: the same restart, one more count.
    let again = at + ms(100);
    router.handle_advert_at(index, again, &master);
    assert_eq!(router.instances()[index].restarted_by(again), Some(down));
    router.count_received(index, 40);
    let stats = *router.instances()[index].stats();
    assert_eq!(
        stats,
        Stats {
            advert_rcvd: 42,
            ..Stats::default()
        }
    );

    // Priority 0 arms Skew_Time, not Master_Down_Interval: not a repeatable restart.
    let mut stopping = master.clone();
    stopping.priority = 0;
    let later = at + ms(900);
    router.handle_advert(later, "eth0", &stopping);
    assert_eq!(router.instances()[index].restarted_by(later), None);

    // A lower priority than ours, with preemption: discarded, the timer keeps running.
    let mut lower = master.clone();
    lower.priority = 50;
    lower.vrid = 8;
    let eight = router.locate("eth0", keel_vrrp::Family::Ipv4, 8).unwrap();
    router.handle_advert(at, "eth0", &lower);
    assert_eq!(router.instances()[eight].restarted_by(at), None);

    // preempt_delay running: accepted, but not repeatable.
    let mut config = scale(1);
    config.instances[8].preempt_delay = secs(5);
    let mut delayed = started_router(config, start);
    delayed.handle_advert(at, "eth0", &lower);
    let nine = delayed.locate("eth0", keel_vrrp::Family::Ipv4, 9).unwrap();
    assert_eq!(nine, 8);
    let mut lower9 = lower.clone();
    lower9.vrid = 9;
    delayed.handle_advert(at, "eth0", &lower9);
    assert!(delayed.instances()[nine].timer(Timer::MasterDown) > Some(at));
    assert_eq!(delayed.instances()[nine].restarted_by(at), None);
}

// Input: a BACKUP instance among 510 that heard its master (priority 200) once; its
// takeover rehearsed at the Master_Down deadline, then the deadline served for real.
// Output: the rehearsal leaves the instance as it was (BACKUP, same deadline, nothing
// queued, same counters), and it names exactly the actions the real takeover then
// performs, in order: the state change, the advert at our priority, the VIPs.
#[test]
fn a_rehearsed_takeover_is_the_real_one_without_its_effects() {
    let start = t0();
    let mut router = started_router(scale(1), start);
    while router.poll_action().is_some() {}
    let index = router
        .locate("eth0", keel_vrrp::Family::Ipv4, 7)
        .expect("located");
    let mut master = advert(1, 200);
    master.vrid = 7;
    let at = start + ms(500);
    assert!(router.handle_advert(at, "eth0", &master));
    while router.poll_action().is_some() {}
    let instance = &router.instances()[index];
    let deadline = instance.timer(Timer::MasterDown).expect("armed");
    let stats = *instance.stats();

    let rehearsed = instance.rehearse_takeover(deadline);

    let instance = &router.instances()[index];
    assert_eq!(instance.state(), State::Backup);
    assert_eq!(instance.timer(Timer::MasterDown), Some(deadline));
    assert_eq!(*instance.stats(), stats);
    assert!(
        router.poll_action().is_none(),
        "the rehearsal queued nothing"
    );
    assert!(
        matches!(
            rehearsed.as_slice(),
            [
                Action::StateChanged {
                    from: State::Backup,
                    to: State::Master
                },
                Action::SendAdvert(advert),
                Action::AddAddresses { .. },
                ..
            ] if advert.priority == 100
        ),
        "{rehearsed:?}"
    );

    // Every other instance is due first (they heard nothing); serve them all up to the
    // deadline, then take this instance's actions.
    router.handle_timeout(deadline);
    let real: Vec<Action> = std::iter::from_fn(|| router.poll_action())
        .filter(|action| {
            matches!(&action.source, keel_vrrp::Source::Instance { name, .. } if &**name == "eth0-v4-7")
        })
        .map(|action| action.action)
        .collect();
    assert_eq!(router.instances()[index].state(), State::Master);
    assert_eq!(real, rehearsed);
}

/// `interfaces` × 510 instances named `<interface>-v4-<vrid>` / `<interface>-v6-<vrid>`.
fn scale(interfaces: usize) -> RouterConfig {
    let mut instances = Vec::new();
    for interface in 0..interfaces {
        let name = format!("eth{interface}");
        for vrid in 1..=255u8 {
            let mut v4 = InstanceConfig::new(&format!("{name}-v4-{vrid}"), &name, vrid, v4(2));
            v4.virtual_addresses = vec![vip()];
            instances.push(v4);
        }
        for vrid in 1..=255u8 {
            let mut v6 = InstanceConfig::new(&format!("{name}-v6-{vrid}"), &name, vrid, link(2));
            v6.virtual_addresses = vec![vip6()];
            instances.push(v6);
        }
    }
    RouterConfig {
        instances,
        sync_groups: vec![],
    }
}

fn link(last: u16) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, last))
}

fn vip6() -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x100))
}

/// A valid VRRPv3 IPv6 advert from fe80::1 for `vrid`, matching [`scale`]'s v6 instances.
fn v6_advert(vrid: u8) -> ReceivedAdvert {
    let mut packet = advert(1, 200);
    packet.version = keel_vrrp::Version::V3;
    packet.vrid = vrid;
    packet.addresses = vec![vip6()];
    packet.source = link(1);
    packet.destination = IpAddr::V6(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12));
    packet
}

fn started_router(config: RouterConfig, now: Instant) -> Router {
    let mut router = Router::new(config, now).expect("scenario configs are valid");
    router.handle(now, RouterInput::Start);
    while router.poll_action().is_some() {}
    router
}

/// The oracle: the scan `Router::poll_timeout` used to do.
fn scan(router: &Router) -> Option<Instant> {
    router
        .instances()
        .iter()
        .filter_map(|instance| instance.poll_timeout())
        .min()
}
