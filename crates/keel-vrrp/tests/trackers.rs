//! Effective priority and FAULT from trackers and links (spec §3.5; RFC 5798 §6.4 for the
//! down-timer consequences).

mod common;

use common::*;
use keel_vrrp::{
    Action, InitialState, Input, NotifyState, State, TrackedObject, TrackerId, TrackerKind,
    TrackerStatus,
};

fn tracker(id: &str, status: TrackerStatus) -> Input {
    Input::Tracker {
        id: TrackerId::new(id),
        status,
    }
}

// Input: base 100; script chk weight +20 succeeds; interface eth1 weight −30 goes down.
// Output: 120, then 90 (spec §3.5: W>0 adds while OK, W<0 subtracts while failed).
#[test]
fn weights_add_and_subtract() {
    let start = t0();
    let mut cfg = config(2, 100);
    cfg.trackers = vec![
        TrackedObject::script("chk", 20),
        TrackedObject::state("eth1", -30),
    ];
    let (mut backup, _) = started(cfg, start);
    assert_eq!(
        backup.effective_priority(),
        100,
        "a script that has not run adds nothing"
    );
    backup.handle(start, tracker("chk", TrackerStatus::Success));
    assert_eq!(backup.effective_priority(), 120);
    backup.handle(start, tracker("eth1", TrackerStatus::Down));
    assert_eq!(backup.effective_priority(), 90);
    backup.handle(start, tracker("chk", TrackerStatus::Failure));
    assert_eq!(backup.effective_priority(), 70);
}

// Input: `weight 10 reverse` OK; `weight -10 reverse` failed.
// Output: 90; then 100 (spec §3.5: reverse flips direction).
#[test]
fn reverse_flips_the_weight() {
    let start = t0();
    let mut up = TrackedObject::state("a", 10);
    up.reverse = true;
    let mut down = TrackedObject::state("b", -10);
    down.reverse = true;
    let mut cfg = config(2, 100);
    cfg.trackers = vec![up, down];
    let (mut backup, _) = started(cfg, start);
    assert_eq!(backup.effective_priority(), 90);
    backup.handle(start, tracker("b", TrackerStatus::Down));
    assert_eq!(backup.effective_priority(), 100);
}

// Input: weights pushing above 254 or below 1. Output: clamped to 254 / 1 (spec §3.5).
#[test]
fn effective_priority_is_clamped() {
    let start = t0();
    let mut cfg = config(2, 200);
    cfg.trackers = vec![TrackedObject::state("up", 100)];
    let (backup, _) = started(cfg, start);
    assert_eq!(backup.effective_priority(), 254);
    let mut cfg = config(2, 50);
    cfg.trackers = vec![TrackedObject::state("down", -100)];
    let (mut backup, _) = started(cfg, start);
    backup.handle(start, tracker("down", TrackerStatus::Down));
    assert_eq!(backup.effective_priority(), 1);
}

// Input: the owner (255) with a weighted tracker that fails.
// Output: still 255 (spec §3.5: owner immune).
#[test]
fn owner_priority_is_immune() {
    let start = t0();
    let mut cfg = config(1, 255);
    cfg.initial_state = InitialState::Master;
    cfg.trackers = vec![TrackedObject::state("eth1", -50)];
    let (mut owner, _) = started(cfg, start);
    owner.handle(start, tracker("eth1", TrackerStatus::Down));
    assert_eq!(owner.effective_priority(), 255);
    assert_eq!(owner.state(), State::Master);
}

// Input: a MASTER whose weight-0 script fails, then recovers.
// Output: FAULT with a priority-0 advert, VIPs removed and FAULT notified; on recovery
// BACKUP with a fresh down timer (spec §3.3 FAULT, §3.5 weight 0).
#[test]
fn weight_zero_failure_means_fault() {
    let start = t0();
    let mut cfg = config(1, 100);
    cfg.trackers = vec![TrackedObject::script("chk", 0)];
    let (mut instance, actions) = started(cfg, start);
    assert_eq!(
        instance.state(),
        State::Init,
        "waits for the weight-0 script (spec §3.5)"
    );
    assert!(!became(&actions, State::Backup));
    instance.handle(start, tracker("chk", TrackerStatus::Success));
    assert_eq!(instance.state(), State::Backup);
    run_alone(&mut instance, start + secs(5));
    assert_eq!(instance.state(), State::Master);

    let fail_at = start + secs(5);
    instance.handle(fail_at, tracker("chk", TrackerStatus::Failure));
    let actions = drain(&mut instance);
    assert_eq!(instance.state(), State::Fault);
    assert!(matches!(&actions[0], Action::SendAdvert(a) if a.priority == 0));
    assert!(matches!(&actions[1], Action::RemoveAddresses { .. }));
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::Notify(n) if n.state == NotifyState::Fault))
    );
    assert_eq!(instance.poll_timeout(), None, "FAULT sends nothing");
    assert_eq!(instance.stats().pri_zero_sent, 1);

    let back_at = start + secs(8);
    instance.handle(back_at, tracker("chk", TrackerStatus::Success));
    assert_eq!(instance.state(), State::Backup);
    assert_eq!(instance.poll_timeout(), Some(back_at + us(3_609_375)));
}

// Input: `weight 0 reverse` script that succeeds. Output: FAULT while OK.
#[test]
fn weight_zero_reverse_faults_while_ok() {
    let start = t0();
    let mut chk = TrackedObject::script("chk", 0);
    chk.reverse = true;
    let mut cfg = config(1, 100);
    cfg.trackers = vec![chk];
    let (mut instance, _) = started(cfg, start);
    instance.handle(start, tracker("chk", TrackerStatus::Success));
    assert_eq!(instance.state(), State::Fault);
    instance.handle(start, tracker("chk", TrackerStatus::Failure));
    assert_eq!(instance.state(), State::Backup);
}

// Input: rise 2, fall 3, weight 10. Results: S (OK at once: initial r = rise−1),
// F, F (still OK: r 4→3→2), F (failed, r = 0), S (r = 1, still failed), S (OK).
// Output: effective priority follows exactly (spec §3.5 counter semantics).
#[test]
fn rise_and_fall_counters() {
    let start = t0();
    let mut cfg = config(2, 100);
    cfg.trackers = vec![TrackedObject {
        id: TrackerId::new("chk"),
        kind: TrackerKind::Script {
            rise: 2,
            fall: 3,
            init_fail: false,
        },
        weight: 10,
        reverse: false,
    }];
    let (mut b, _) = started(cfg, start);
    let mut seen = Vec::new();
    for status in [
        TrackerStatus::Success,
        TrackerStatus::Failure,
        TrackerStatus::Failure,
        TrackerStatus::Failure,
        TrackerStatus::Success,
        TrackerStatus::Success,
    ] {
        b.handle(start, tracker("chk", status));
        seen.push(b.effective_priority());
    }
    assert_eq!(seen, vec![110, 110, 110, 100, 100, 110]);
}

// Input: init_fail with rise 2 and weight 0. Output: FAULT at start (failed, not "waiting");
// two successes needed to leave FAULT.
#[test]
fn init_fail_starts_failed() {
    let start = t0();
    let mut cfg = config(2, 100);
    cfg.trackers = vec![TrackedObject {
        id: TrackerId::new("chk"),
        kind: TrackerKind::Script {
            rise: 2,
            fall: 1,
            init_fail: true,
        },
        weight: 0,
        reverse: false,
    }];
    let (mut b, _) = started(cfg, start);
    assert_eq!(b.state(), State::Fault);
    b.handle(start, tracker("chk", TrackerStatus::Success));
    assert_eq!(b.state(), State::Fault);
    b.handle(start, tracker("chk", TrackerStatus::Success));
    assert_eq!(b.state(), State::Backup);
}

// Input: track_file weight 5; the file holds 4, then −60.
// Output: +20; then −300 < −253 ⇒ FAULT (spec §3.5 track_file).
#[test]
fn track_file_multiplies_value_by_weight() {
    let start = t0();
    let mut cfg = config(2, 100);
    cfg.trackers = vec![TrackedObject::file("f", 5)];
    let (mut b, _) = started(cfg, start);
    b.handle(start, tracker("f", TrackerStatus::Value(4)));
    assert_eq!(b.effective_priority(), 120);
    b.handle(start, tracker("f", TrackerStatus::Value(-60)));
    assert_eq!(b.state(), State::Fault);
}

// Input: a BACKUP (100) whose down timer runs; a tracker lowers it to 50 midway.
// Output: the deadline moves later by skew(50) − skew(100) = 195.3125 ms (spec §3.4), and
// with notify_priority_changes a BACKUP_PRIORITY notification + FIFO line.
#[test]
fn priority_change_shifts_the_running_down_timer() {
    let start = t0();
    let mut cfg = config(2, 100);
    cfg.trackers = vec![TrackedObject::state("eth1", -50)];
    cfg.notify.priority_changes = true;
    cfg.notify.fifo = true;
    let (mut b, _) = started(cfg, start);
    b.handle_advert(start, &advert(1, 200));
    let before = b.poll_timeout().expect("down timer");
    b.handle(start + secs(1), tracker("eth1", TrackerStatus::Down));
    // skew(50) = 206/256 s = 804.687 ms; skew(100) = 609.375 ms
    assert_eq!(b.poll_timeout(), Some(before + us(804_687 - 609_375)));
    let actions = drain(&mut b);
    assert!(actions.contains(&Action::FifoLine(
        "INSTANCE \"VI_1\" BACKUP_PRIORITY 50".into()
    )));
}

// Input: the instance's interface goes down while MASTER, then up.
// Output: FAULT (priority 0 sent), then BACKUP (spec §3.3).
#[test]
fn link_down_means_fault() {
    let start = t0();
    let (mut m, _) = started(config(1, 100), start);
    run_alone(&mut m, start + secs(5));
    m.handle(start + secs(5), Input::LinkChanged { up: false });
    assert_eq!(m.state(), State::Fault);
    assert_eq!(m.stats().pri_zero_sent, 1);
    assert_eq!(m.stats().release_master, 1);
    m.handle(start + secs(6), Input::LinkChanged { up: true });
    assert_eq!(m.state(), State::Backup);
}

// Input: with `dont_track_primary` (track_primary false), the interface goes down while
// MASTER, then up; then a weight-0 tracker fails.
// Output: MASTER throughout the link change (no priority-0 advert), its VIPs announced
// again when the link is back (as keepalived 2.2.7 does); the tracker still puts it in
// FAULT (spec §3.5: only the instance interface is not tracked).
#[test]
fn dont_track_primary_ignores_the_link_only() {
    let start = t0();
    let mut cfg = config(1, 100);
    cfg.track_primary = false;
    cfg.trackers = vec![TrackedObject::state("chk", 0)];
    let repeat = cfg.garp.master_repeat as usize;
    let (mut m, _) = started(cfg, start);
    m.handle(start, tracker("chk", TrackerStatus::Up));
    run_alone(&mut m, start + secs(5));
    assert_eq!(m.state(), State::Master);
    m.handle(start + secs(5), Input::LinkChanged { up: false });
    assert_eq!(m.state(), State::Master);
    assert_eq!(m.stats().pri_zero_sent, 0);
    let garps = |actions: &[Action]| {
        actions
            .iter()
            .filter(|a| matches!(a, Action::SendGratuitous { .. }))
            .count()
    };
    assert_eq!(garps(&drain(&mut m)), 0, "nothing announced while down");
    m.handle(start + secs(6), Input::LinkChanged { up: true });
    assert_eq!(m.state(), State::Master);
    assert_eq!(
        garps(&drain(&mut m)),
        repeat,
        "VIPs announced again once it is back, garp_master_repeat times"
    );
    m.handle(start + secs(7), tracker("chk", TrackerStatus::Down));
    assert_eq!(m.state(), State::Fault);
}

// Input: the owner in FAULT recovers. Output: MASTER straight away (spec §3.3).
#[test]
fn owner_leaves_fault_as_master() {
    let start = t0();
    let mut cfg = config(1, 255);
    cfg.initial_state = InitialState::Master;
    let (mut owner, _) = started(cfg, start);
    owner.handle(start, Input::LinkChanged { up: false });
    assert_eq!(owner.state(), State::Fault);
    owner.handle(start + secs(1), Input::LinkChanged { up: true });
    assert_eq!(owner.state(), State::Master);
}

// Input: track_file weight 1 holds −300 (below −253 ⇒ FAULT), then −50 in one update that
// both clears the FAULT and lowers the priority to 50.
// Output: on leaving FAULT the down timer is the full Master_Down_Interval of the *new*
// priority (3 s + skew(50) = 3.804687 s), not shifted a second time.
#[test]
fn leaving_fault_arms_the_timer_with_the_current_priority() {
    let start = t0();
    let mut cfg = config(2, 100);
    cfg.trackers = vec![TrackedObject::file("f", 1)];
    let (mut b, _) = started(cfg, start);
    b.handle(start, tracker("f", TrackerStatus::Value(-300)));
    assert_eq!(b.state(), State::Fault);
    let back = start + secs(2);
    b.handle(back, tracker("f", TrackerStatus::Value(-50)));
    assert_eq!(b.state(), State::Backup);
    assert_eq!(b.effective_priority(), 50);
    assert_eq!(b.poll_timeout(), Some(back + us(3_804_687)));
}
