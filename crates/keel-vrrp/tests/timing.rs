//! Timing scenarios: skew, Master_Down_Interval, startup rules, priority 0 (spec §3.3, §3.4;
//! RFC 3768 §6.1, RFC 5798 §6.1).

mod common;

use common::*;
use keel_vrrp::{Action, InitialState, Input, State, Timer, Version};

// Input: a v2 BACKUP at priority 100 that heard the master's last advert at t.
// Output: MASTER at exactly t + 3 × 1 s + (256−100)/256 s = t + 3.609375 s (RFC 3768 §6.1).
#[test]
fn v2_backup_takes_over_at_three_intervals_plus_skew() {
    let start = t0();
    let (mut backup, actions) = started(config(2, 100), start);
    assert!(became(&actions, State::Backup));
    let last_advert = start + ms(500);
    backup.handle_advert(last_advert, &advert(1, 200));
    assert_eq!(backup.poll_timeout(), Some(last_advert + us(3_609_375)));

    backup.handle_timeout(last_advert + us(3_609_374));
    assert_eq!(
        backup.state(),
        State::Backup,
        "one microsecond early is still BACKUP"
    );
    let events = run_alone(&mut backup, last_advert + secs(10));
    let (when, _) = events
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
        .expect("takes over");
    assert_eq!(*when, last_advert + us(3_609_375));
}

// Input: master (prio 200) crashes; backups at 150 and 100 on one LAN.
// Output: the 150 router takes over after 3 × advert_int + skew(150), alone; the 100 router
// hears it and stays BACKUP (RFC 5798 §6.4.2).
#[test]
fn highest_backup_takes_over_alone_after_a_crash() {
    let start = t0();
    let mut lan = Lan::new(vec![config(1, 200), config(2, 150), config(3, 100)], start);
    lan.run_until(start + secs(10));
    assert_eq!(
        lan.states(),
        vec![State::Master, State::Backup, State::Backup]
    );

    let last_send = lan.nodes[0]
        .timer(Timer::Advert)
        .expect("master advert timer")
        - secs(1);
    lan.crash(0);
    lan.run_until(start + secs(20));
    assert_eq!(lan.states()[1..], [State::Master, State::Backup]);
    // skew(150) = 106/256 s = 414.0625 ms
    assert_eq!(
        lan.became_at(1, State::Master),
        Some(last_send + us(3_414_062))
    );
    assert_eq!(lan.nodes[2].stats().become_master, 0);
}

// Input: v3, 0.5 s interval on the master, the backup configured with 1 s, priority 200.
// Output: the backup learns 0.5 s; down = 3 × 0.5 + 56 × 0.5/256 = 1.609375 s
// (RFC 5798 §6.4.2 Master_Adver_Interval).
#[test]
fn v3_backup_learns_the_masters_interval() {
    let start = t0();
    let mut cfg = config(2, 200);
    cfg.version = Version::V3;
    let (mut backup, _) = started(cfg, start);
    assert_eq!(backup.master_down_interval(), us(3_000_000 + 218_750));
    let mut packet = advert(1, 250);
    packet.version = Version::V3;
    packet.max_advert_interval = ms(500);
    backup.handle_advert(start, &packet);
    assert_eq!(backup.master_advert_interval(), ms(500));
    assert_eq!(backup.poll_timeout(), Some(start + us(1_609_375)));
}

// Input: v3 backup learned 0.5 s, then becomes MASTER.
// Output: as MASTER it advertises its own configured 1 s (learned interval reset, spec §3.4).
#[test]
fn v3_learned_interval_is_reset_on_becoming_master() {
    let start = t0();
    let mut cfg = config(2, 200);
    cfg.version = Version::V3;
    let (mut backup, _) = started(cfg, start);
    let mut packet = advert(1, 250);
    packet.version = Version::V3;
    packet.max_advert_interval = ms(500);
    backup.handle_advert(start, &packet);
    let events = run_alone(&mut backup, start + secs(5));
    assert_eq!(backup.state(), State::Master);
    assert_eq!(backup.master_advert_interval(), secs(1));
    let sent: Vec<_> = events
        .iter()
        .filter_map(|(t, a)| matches!(a, Action::SendAdvert(_)).then_some(*t))
        .collect();
    assert_eq!(sent[1] - sent[0], secs(1));
}

// Input: down_timer_adverts 5, priority 100, v2.
// Output: Master_Down_Interval = 5 s + 609.375 ms (spec §3.4).
#[test]
fn down_timer_adverts_multiplies_the_interval() {
    let start = t0();
    let mut cfg = config(2, 100);
    cfg.down_timer_adverts = 5;
    let (backup, _) = started(cfg, start);
    assert_eq!(backup.poll_timeout(), Some(start + us(5_609_375)));
}

// Input: a BACKUP (prio 110) receives priority 0 from the stopping master.
// Output: it takes over after skew only: (256−110)/256 s = 570.312 ms
// (spec §3.3 live observation 0.575 s; RFC 3768 §6.4.2).
#[test]
fn priority_zero_advert_hands_over_after_skew() {
    let start = t0();
    let (mut backup, _) = started(config(2, 110), start);
    backup.handle_advert(start, &advert(1, 160));
    backup.handle_advert(start + secs(1), &advert(1, 0));
    assert_eq!(backup.stats().pri_zero_rcvd, 1);
    assert_eq!(backup.poll_timeout(), Some(start + secs(1) + us(570_312)));
}

// Input: the master of a pair stops gracefully.
// Output: it sends one priority-0 advert, removes its VIPs and notifies STOP; the backup
// is MASTER skew time later (spec §3.3 Stop).
#[test]
fn graceful_stop_hands_over_in_skew_time() {
    let start = t0();
    let mut lan = Lan::new(vec![config(1, 160), config(2, 110)], start);
    lan.run_until(start + secs(10));
    let stop_at = start + secs(10) + ms(250);
    lan.input(stop_at, 0, Input::Stop);
    assert_eq!(lan.nodes[0].state(), State::Stop);
    assert_eq!(lan.nodes[0].stats().pri_zero_sent, 1);
    let stop_actions: Vec<_> = lan
        .log
        .iter()
        .filter(|(t, n, _)| *t == stop_at && *n == 0)
        .map(|(_, _, a)| a)
        .collect();
    assert!(matches!(stop_actions[0], Action::SendAdvert(a) if a.priority == 0));
    assert!(
        matches!(stop_actions[1], Action::RemoveAddresses { addresses } if addresses == &vec![vip()])
    );
    lan.crash(0);
    lan.run_until(start + secs(20));
    assert_eq!(lan.became_at(1, State::Master), Some(stop_at + us(570_312)));
}

// Input: state MASTER, priority 255 (the address owner).
// Output: MASTER immediately at start, advert first, then VIPs (spec §3.3, RFC 5798 §6.4.1).
#[test]
fn owner_with_state_master_starts_master_at_once() {
    let start = t0();
    let mut cfg = config(1, 255);
    cfg.initial_state = InitialState::Master;
    let (owner, actions) = started(cfg, start);
    assert_eq!(owner.state(), State::Master);
    assert!(
        matches!(&actions[0], Action::RemoveAddresses { .. }),
        "leftover VIPs removed at init"
    );
    assert!(matches!(
        actions[1],
        Action::StateChanged {
            from: State::Init,
            to: State::Master
        }
    ));
    assert!(matches!(&actions[2], Action::SendAdvert(a) if a.priority == 255));
    assert!(matches!(&actions[3], Action::AddAddresses { .. }));
}

// Input: state MASTER, priority 150 (not owner), nobody else on the LAN.
// Output: BACKUP first, MASTER after master_adver_int + skew(prio 1) = 1 s + 255/256 s
// (spec §3.3 vrrp_init_state).
#[test]
fn state_master_non_owner_waits_about_one_interval() {
    let start = t0();
    let mut cfg = config(1, 150);
    cfg.initial_state = InitialState::Master;
    let (mut instance, actions) = started(cfg, start);
    assert!(became(&actions, State::Backup));
    assert_eq!(instance.poll_timeout(), Some(start + secs(1) + us(996_093)));
    run_alone(&mut instance, start + secs(3));
    assert_eq!(instance.state(), State::Master);
}

// Input: state BACKUP (default), priority 100, alone.
// Output: "Entering BACKUP STATE (init)" with the BACKUP notification, MASTER after the full
// Master_Down_Interval (spec §3.3).
#[test]
fn backup_start_notifies_backup_then_waits_the_full_down_interval() {
    let start = t0();
    let (mut instance, actions) = started(config(1, 100), start);
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::Notify(n) if n.state.as_str() == "BACKUP"))
    );
    let events = run_alone(&mut instance, start + secs(5));
    assert_eq!(events[0].0, start + us(3_609_375));
}

// Input: a master sends adverts for 10 s.
// Output: one advert every advert_int exactly, counted in advert_sent (spec §3.3).
#[test]
fn master_advertises_every_interval() {
    let start = t0();
    let mut cfg = config(1, 255);
    cfg.initial_state = InitialState::Master;
    let (mut master, actions) = started(cfg, start);
    assert_eq!(adverts(&actions).len(), 1);
    let events = run_alone(&mut master, start + secs(10));
    let times: Vec<_> = events
        .iter()
        .filter_map(|(t, a)| matches!(a, Action::SendAdvert(_)).then_some(*t))
        .collect();
    assert_eq!(times.len(), 10);
    assert!(
        times
            .iter()
            .enumerate()
            .all(|(i, t)| *t == start + secs(i as u64 + 1))
    );
    assert_eq!(master.stats().advert_sent, 11);
}
