//! Election rules: preemption, tie-break, answers to lower priorities, accept/strict
//! (spec §3.3, §3.7; RFC 5798 §6.4.2, §6.4.3).

mod common;

use common::*;
use keel_vrrp::{Action, GarpConfig, InitialState, Input, Instance, NotifyState, State, Timer};

fn master(cfg: keel_vrrp::InstanceConfig) -> (Instance, std::time::Instant) {
    let start = t0();
    let (mut instance, _) = started(cfg, start);
    run_alone(&mut instance, start + secs(4));
    assert_eq!(instance.state(), State::Master);
    drain(&mut instance);
    (instance, start + secs(4))
}

// Input: master at 110; a 160 router joins (BACKUP at start).
// Output: it preempts after 3 s + skew(160) of discarded lower-priority adverts: its timer
// is not reset by them (spec §3.3 live observation "preempted after 3 s + skew").
#[test]
fn higher_priority_backup_preempts_after_its_down_timer() {
    let start = t0();
    let mut lan = Lan::new(vec![config(1, 110)], start);
    lan.run_until(start + secs(10));
    let join = start + secs(10) + ms(300);
    lan.nodes
        .push(Instance::new(config(2, 160), join).expect("valid"));
    lan.alive.push(true);
    lan.input(join, 1, Input::Start);
    lan.run_until(start + secs(20));
    assert_eq!(lan.states(), vec![State::Backup, State::Master]);
    // skew(160) = 96/256 s = 375 ms
    assert_eq!(lan.became_at(1, State::Master), Some(join + us(3_375_000)));
    assert_eq!(lan.nodes[0].stats().release_master, 1);
}

// Input: same, with nopreempt on the 160 router.
// Output: it never preempts the live 110 master (spec §3.7).
#[test]
fn nopreempt_never_preempts_a_live_master() {
    let start = t0();
    let mut lan = Lan::new(vec![config(1, 110)], start);
    lan.run_until(start + secs(10));
    let mut cfg = config(2, 160);
    cfg.nopreempt = true;
    lan.nodes
        .push(Instance::new(cfg, start + secs(10)).expect("valid"));
    lan.alive.push(true);
    lan.input(start + secs(10), 1, Input::Start);
    lan.run_until(start + secs(60));
    assert_eq!(lan.states(), vec![State::Master, State::Backup]);

    // ...but takes over when that master dies.
    lan.crash(0);
    lan.run_until(start + secs(70));
    assert_eq!(lan.nodes[1].state(), State::Master);
}

// Input: nopreempt with state MASTER. Output: nopreempt cleared with a warning (spec §3.7).
#[test]
fn nopreempt_needs_state_backup() {
    let mut cfg = config(2, 160);
    cfg.nopreempt = true;
    cfg.initial_state = InitialState::Master;
    let instance = Instance::new(cfg, t0()).expect("valid");
    assert!(!instance.config().nopreempt);
    assert_eq!(instance.warnings().len(), 1);
}

// Input: preempt_delay 10 s on the 160 router joining a 110 master.
// Output: adverts are accepted until the delay ends (first lower advert + 10 s); the takeover
// comes one Master_Down_Interval after the last accepted advert (spec §3.4).
#[test]
fn preempt_delay_postpones_preemption() {
    let start = t0();
    let mut lan = Lan::new(vec![config(1, 110)], start);
    lan.run_until(start + secs(10));
    let mut cfg = config(2, 160);
    cfg.preempt_delay = secs(10);
    let join = start + secs(10) + ms(500);
    lan.nodes.push(Instance::new(cfg, join).expect("valid"));
    lan.alive.push(true);
    lan.input(join, 1, Input::Start);
    lan.run_until(start + secs(40));
    let took_over = lan
        .became_at(1, State::Master)
        .expect("preempts eventually");
    // The 110 master advertises at m + k s (m = its takeover, 3.570312 s). The first advert
    // after the join (k = 7) starts the 10 s delay, ending at m + 17 s; the advert at
    // m + 16 s is the last accepted one; takeover = m + 16 s + 3 s + skew(160).
    let m = lan.became_at(0, State::Master).expect("first master");
    assert_eq!(m, start + us(3_570_312));
    assert_eq!(took_over, m + secs(16) + us(3_375_000));
}

// Input: a BACKUP hears an advert with its own priority from another router.
// Output: accepted (no IP tie-break in BACKUP, spec §3.3); timer reset.
#[test]
fn backup_accepts_equal_priority() {
    let start = t0();
    let (mut backup, _) = started(config(9, 100), start);
    backup.handle_advert(start + secs(2), &advert(1, 100));
    assert_eq!(backup.poll_timeout(), Some(start + secs(2) + us(3_609_375)));
}

// Input: two masters at equal priority 100 (10.99.0.1 and 10.99.0.2) hear each other.
// Output: the higher primary address stays MASTER, the lower steps down (RFC 5798 §6.4.3).
#[test]
fn equal_priority_masters_keep_the_higher_address() {
    let (mut low, now) = master(config(1, 100));
    let (mut high, _) = master(config(2, 100));
    high.handle_advert(now, &advert(1, 100));
    assert_eq!(high.state(), State::Master);
    assert_eq!(
        adverts(&drain(&mut high)).len(),
        1,
        "answers the lower master at once"
    );
    low.handle_advert(now, &advert(2, 100));
    assert_eq!(low.state(), State::Backup);
}

// Input: a MASTER (150) hears a lower-priority (100) advert.
// Output: stays MASTER, sends an advert at once, re-announces its VIPs with
// garp_lower_prio_repeat, schedules the delayed burst, and runs notify_master_rx_lower_pri
// + FIFO MASTER_RX_LOWER_PRI (spec §3.3).
#[test]
fn master_answers_a_lower_priority_at_once() {
    let mut cfg = config(2, 150);
    cfg.garp = GarpConfig {
        lower_prio_repeat: 2,
        lower_prio_delay: Some(secs(5)),
        ..GarpConfig::default()
    };
    cfg.notify.master_rx_lower_pri = Some("/bin/rx_lower".into());
    cfg.notify.fifo = true;
    let (mut m, now) = master(cfg);
    m.handle_advert(now, &advert(1, 100));
    let actions = drain(&mut m);
    assert_eq!(m.state(), State::Master);
    assert!(matches!(&actions[0], Action::SendAdvert(a) if a.priority == 150));
    let garps = actions
        .iter()
        .filter(|a| matches!(a, Action::SendGratuitous { .. }))
        .count();
    assert_eq!(garps, 2);
    assert!(actions.iter().any(|a| matches!(a, Action::Notify(n)
        if n.state == NotifyState::MasterRxLowerPri && n.scripts[0].command == "/bin/rx_lower")));
    assert!(actions.contains(&Action::FifoLine(
        "INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 150".into()
    )));
    assert_eq!(m.timer(Timer::GarpLowerPrio), Some(now + secs(5)));
}

// Input: lower_prio_no_advert, lower-priority advert. Output: no advert is sent back.
#[test]
fn lower_prio_no_advert_stays_silent() {
    let mut cfg = config(2, 150);
    cfg.lower_prio_no_advert = true;
    let (mut m, now) = master(cfg);
    m.handle_advert(now, &advert(1, 100));
    assert!(adverts(&drain(&mut m)).is_empty());
}

// Input: a MASTER hears a higher priority; with and without higher_prio_send_advert.
// Output: BACKUP, VIPs removed, BACKUP notified; with the option one advert goes out first.
#[test]
fn higher_priority_makes_a_master_step_down() {
    let (mut m, now) = master(config(2, 150));
    m.handle_advert(now, &advert(1, 200));
    let actions = drain(&mut m);
    assert_eq!(m.state(), State::Backup);
    assert!(adverts(&actions).is_empty());
    assert!(matches!(&actions[0], Action::RemoveAddresses { .. }));
    assert_eq!(m.poll_timeout(), Some(now + us(3_414_062)));

    let mut cfg = config(2, 150);
    cfg.higher_prio_send_advert = true;
    let (mut m, now) = master(cfg);
    m.handle_advert(now, &advert(1, 200));
    let actions = drain(&mut m);
    assert!(matches!(&actions[0], Action::SendAdvert(a) if a.priority == 150));
}

// Input: a MASTER hears priority 0 from another stopping master.
// Output: stays MASTER and answers at once (spec §3.3).
#[test]
fn master_answers_priority_zero() {
    let (mut m, now) = master(config(2, 150));
    m.handle_advert(now, &advert(1, 0));
    assert_eq!(m.state(), State::Master);
    assert_eq!(adverts(&drain(&mut m)).len(), 1);
}

// Input: default config; `no_accept`; strict mode; owner in strict mode.
// Output: accept on; off; off; on (spec §3.7, §3.11) — carried in AddAddresses.
#[test]
fn accept_mode_defaults() {
    let accept_of = |cfg: keel_vrrp::InstanceConfig| {
        let start = t0();
        let (mut instance, _) = started(cfg, start);
        let events = run_alone(&mut instance, start + secs(5));
        events
            .into_iter()
            .find_map(|(_, a)| match a {
                Action::AddAddresses { accept, .. } => Some(accept),
                _ => None,
            })
            .expect("becomes master")
    };
    assert!(accept_of(config(1, 100)));
    let mut cfg = config(1, 100);
    cfg.accept = Some(false);
    assert!(!accept_of(cfg));
    let mut cfg = config(1, 100);
    cfg.strict = true;
    assert!(!accept_of(cfg));
    let mut cfg = config(1, 255);
    cfg.strict = true;
    assert!(accept_of(cfg));
}

// Input: strict mode with PASS auth, preempt_delay and state MASTER at priority 100.
// Output: auth dropped, delay cleared, state BACKUP, owner_ignore_adverts on (spec §3.7);
// strict with unicast peers is refused.
#[test]
fn strict_mode_corrections() {
    let mut cfg = config(1, 100);
    cfg.strict = true;
    cfg.authentication = keel_vrrp::Authentication::Pass(*b"pw\0\0\0\0\0\0");
    cfg.preempt_delay = secs(5);
    cfg.initial_state = InitialState::Master;
    let instance = Instance::new(cfg.clone(), t0()).expect("valid");
    let fixed = instance.config();
    assert_eq!(fixed.authentication, keel_vrrp::Authentication::None);
    assert!(fixed.preempt_delay.is_zero());
    assert_eq!(fixed.initial_state, InitialState::Backup);
    assert!(fixed.owner_ignore_adverts);
    assert_eq!(instance.warnings().len(), 3);

    cfg.unicast_peers = vec![keel_vrrp::UnicastPeer::new(v4(2))];
    assert!(matches!(
        Instance::new(cfg, t0()),
        Err(keel_vrrp::ConfigError::StrictUnicast { .. })
    ));
}

// Input: a MASTER whose VIP is deleted by another program.
// Output: BACKUP (no priority 0), and alone it re-elects itself and re-adds the VIP
// (spec §3.3).
#[test]
fn externally_removed_vip_triggers_reelection() {
    let (mut m, now) = master(config(1, 100));
    m.handle(now, Input::AddressRemovedExternally(vip()));
    let actions = drain(&mut m);
    assert_eq!(m.state(), State::Backup);
    assert!(adverts(&actions).is_empty());
    let events = run_alone(&mut m, now + secs(5));
    assert_eq!(m.state(), State::Master);
    assert!(
        events
            .iter()
            .any(|(_, a)| matches!(a, Action::AddAddresses { .. }))
    );

    // An address that is not ours changes nothing.
    m.handle(now + secs(5), Input::AddressRemovedExternally(v4(77)));
    assert_eq!(m.state(), State::Master);
}

// Input: two address owners (255) on one LAN; the owner at .2 hears .1's advert.
// Output: keepalived 2.2 "CONFIGURATION ERROR ... reducing local priority": .2 drops to 254
// and becomes BACKUP; .1 stays MASTER (keepalived 2.2 vrrp_state_master_rx).
#[test]
fn duplicate_owner_reduces_its_priority_and_steps_down() {
    let mut cfg = config(2, 255);
    cfg.initial_state = InitialState::Master;
    let start = t0();
    let (mut owner, _) = started(cfg, start);
    assert_eq!(owner.state(), State::Master);
    owner.handle_advert(start + ms(10), &advert(1, 255));
    assert_eq!(owner.state(), State::Backup);
    assert_eq!(owner.effective_priority(), 254);
    assert_eq!(owner.base_priority(), 254);
    assert!(owner.warnings().iter().any(|w| w.contains("address owner")));
}

// Input: a v3 MASTER (interval 1 s) steps down for a 0.5 s master at priority 200.
// Output: BACKUP with Master_Adver_Interval reset to its own 1 s (keepalived
// vrrp_state_leave_master); the next accepted advert teaches 0.5 s again.
#[test]
fn v3_master_stepping_down_resets_the_interval() {
    let mut cfg = config(2, 150);
    cfg.version = keel_vrrp::Version::V3;
    let (mut m, now) = master(cfg);
    let mut packet = advert(1, 200);
    packet.version = keel_vrrp::Version::V3;
    packet.max_advert_interval = ms(500);
    m.handle_advert(now, &packet);
    assert_eq!(m.state(), State::Backup);
    assert_eq!(m.master_advert_interval(), secs(1));
    assert_eq!(m.poll_timeout(), Some(now + secs(3) + us(414_062)));
    m.handle_advert(now + ms(500), &packet);
    assert_eq!(m.master_advert_interval(), ms(500));
}
