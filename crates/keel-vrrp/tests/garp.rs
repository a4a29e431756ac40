//! Gratuitous ARP / unsolicited NA schedule as timers (spec §3.9).

mod common;

use std::time::Instant;

use common::*;
use keel_vrrp::{Action, GarpConfig, State};

fn garp_times(cfg: keel_vrrp::InstanceConfig, until_secs: u64) -> (Instant, Vec<Instant>) {
    let start = t0();
    let (mut instance, _) = started(cfg, start);
    let events = run_alone(&mut instance, start + secs(until_secs));
    assert_eq!(instance.state(), State::Master);
    let became = events
        .iter()
        .find(|(_, a)| {
            matches!(
                a,
                Action::StateChanged {
                    to: State::Master,
                    ..
                }
            )
        })
        .map(|(t, _)| *t)
        .expect("becomes master");
    let times = events
        .iter()
        .filter(|(_, a)| matches!(a, Action::SendGratuitous { .. }))
        .map(|(t, _)| *t)
        .collect();
    (became, times)
}

// Input: defaults (repeat 5, delay 5 s). Output: 5 messages when becoming MASTER, 5 more
// 5 s later, then none (spec §3.9).
#[test]
fn default_schedule_is_two_bursts_of_five() {
    let (m, times) = garp_times(config(1, 100), 30);
    assert_eq!(times.len(), 10);
    assert!(times[..5].iter().all(|t| *t == m));
    assert!(times[5..].iter().all(|t| *t == m + secs(5)));
}

// Input: vrrp_min_garp. Output: one message, no second burst.
#[test]
fn min_garp_sends_one() {
    let mut cfg = config(1, 100);
    cfg.garp = GarpConfig::min_garp();
    let (m, times) = garp_times(cfg, 30);
    assert_eq!(times, vec![m]);
}

// Input: repeat 3, garp_interval 100 ms, no delay. Output: messages at m, m+100, m+200 ms.
#[test]
fn interval_spaces_the_burst() {
    let mut cfg = config(1, 100);
    cfg.garp = GarpConfig {
        master_repeat: 3,
        master_delay: None,
        interval: ms(100),
        ..GarpConfig::default()
    };
    let (m, times) = garp_times(cfg, 30);
    assert_eq!(times, vec![m, m + ms(100), m + ms(200)]);
}

// Input: refresh every 10 s with 2 messages, no second burst, repeat 1.
// Output: 1 at m, then 2 at m+10, m+20 … (spec §3.9 garp_master_refresh).
#[test]
fn refresh_repeats_while_master() {
    let mut cfg = config(1, 100);
    cfg.garp = GarpConfig {
        master_repeat: 1,
        master_delay: None,
        master_refresh: Some(secs(10)),
        master_refresh_repeat: 2,
        ..GarpConfig::default()
    };
    let (m, times) = garp_times(cfg, 34);
    assert_eq!(
        times,
        vec![
            m,
            m + secs(10),
            m + secs(10),
            m + secs(20),
            m + secs(20),
            m + secs(30),
            m + secs(30)
        ]
    );
}

// Input: a MASTER with a pending delayed burst steps down.
// Output: the delayed burst never happens (timers stop with MASTER).
#[test]
fn leaving_master_cancels_pending_announcements() {
    let start = t0();
    let (mut instance, _) = started(config(2, 100), start);
    run_alone(&mut instance, start + secs(4));
    assert_eq!(instance.state(), State::Master);
    instance.handle_advert(start + secs(4), &advert(9, 200));
    drain(&mut instance);
    // The new master keeps advertising every second past the old delayed-burst time (8.6 s).
    let mut later = Vec::new();
    for k in 5..12 {
        later.extend(run_alone(&mut instance, start + secs(k)));
        instance.handle_advert(start + secs(k), &advert(9, 200));
        later.extend(
            drain(&mut instance)
                .into_iter()
                .map(|a| (start + secs(k), a)),
        );
    }
    assert_eq!(instance.state(), State::Backup);
    assert!(
        !later
            .iter()
            .any(|(_, a)| matches!(a, Action::SendGratuitous { .. }))
    );
}

// Input: an instance with excluded addresses. Output: announcements cover VIPs and eVIPs.
#[test]
fn announcements_cover_excluded_addresses() {
    let start = t0();
    let mut cfg = config(1, 100);
    cfg.excluded_addresses = vec![v4(200)];
    cfg.garp = GarpConfig::min_garp();
    let (mut instance, _) = started(cfg, start);
    let events = run_alone(&mut instance, start + secs(5));
    let announced = events.iter().find_map(|(_, a)| match a {
        Action::SendGratuitous { addresses } => Some(addresses.to_vec()),
        _ => None,
    });
    assert_eq!(announced, Some(vec![vip(), v4(200)]));
}
