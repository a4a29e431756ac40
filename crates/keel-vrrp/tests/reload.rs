//! Reload as an input: state kept, addresses diffed (spec §5.6 pain point, issue 3).

mod common;

use common::*;
use keel_vrrp::{
    Action, ConfigError, Input, NotifyState, Router, RouterConfig, RouterInput, Source, State,
};

// Input: a MASTER reloads an identical config.
// Output: no actions at all; still MASTER with the same timers.
#[test]
fn unchanged_config_changes_nothing() {
    let start = t0();
    let (mut m, _) = started(config(1, 100), start);
    run_alone(&mut m, start + secs(5));
    let deadline = m.poll_timeout();
    m.handle(start + secs(5), Input::Reload(Box::new(config(1, 100))));
    assert!(drain(&mut m).is_empty());
    assert_eq!(m.state(), State::Master);
    assert_eq!(m.poll_timeout(), deadline);
}

// Input: a MASTER reloads with VIP .100 replaced by .101.
// Output: remove .100, add .101, announce .101; no transition, no notification.
#[test]
fn changed_vips_are_diffed_without_transition() {
    let start = t0();
    let (mut m, _) = started(config(1, 100), start);
    run_alone(&mut m, start + secs(5));
    let mut cfg = config(1, 100);
    cfg.virtual_addresses = vec![v4(101)];
    m.handle(start + secs(5), Input::Reload(Box::new(cfg)));
    let actions = drain(&mut m);
    assert_eq!(actions.len(), 3);
    assert_eq!(
        actions[0],
        Action::RemoveAddresses {
            addresses: vec![vip()]
        }
    );
    assert_eq!(
        actions[1],
        Action::AddAddresses {
            addresses: vec![v4(101)],
            accept: true
        }
    );
    assert!(
        matches!(&actions[2], Action::SendGratuitous { addresses } if addresses[..] == [v4(101)])
    );
    // The next advert carries the new list.
    let events = run_alone(&mut m, start + secs(7));
    let sent = events.iter().find_map(|(_, a)| match a {
        Action::SendAdvert(out) => Some(out.addresses.to_vec()),
        _ => None,
    });
    assert_eq!(sent, Some(vec![v4(101)]));
}

// Input: a BACKUP reloads with priority 50 instead of 100.
// Output: stays BACKUP, down timer shifted by the skew delta (spec §3.4).
#[test]
fn priority_reload_in_backup_shifts_the_timer() {
    let start = t0();
    let (mut b, _) = started(config(2, 100), start);
    let before = b.poll_timeout().expect("down timer");
    b.handle(start, Input::Reload(Box::new(config(2, 50))));
    assert_eq!(b.state(), State::Backup);
    assert_eq!(b.poll_timeout(), Some(before + us(195_312)));
    assert_eq!(b.effective_priority(), 50);
}

// Input: reload changing the VRID of a running instance.
// Output: refused with IdentityChanged; the running config stays.
#[test]
fn identity_change_is_refused_by_the_instance() {
    let start = t0();
    let (mut b, _) = started(config(2, 100), start);
    let mut cfg = config(2, 100);
    cfg.vrid = 52;
    assert!(matches!(
        b.reload(start, cfg),
        Err(ConfigError::IdentityChanged { .. })
    ));
    assert_eq!(b.config().vrid, 51);
}

// Input: a router with VI_1 (MASTER) and VI_2 reloads with VI_2 removed and VI_3 added.
// Output: VI_1 keeps MASTER silently; VI_2 is notified FAULT (no notify_deleted); VI_3
// starts in BACKUP (spec §3.8 "Deleted instance ⇒ FAULT unless notify_deleted").
#[test]
fn router_reload_adds_and_deletes_instances() {
    let start = t0();
    let vi = |name: &str, vrid: u8| {
        let mut c = config(1, 100);
        c.name = name.into();
        c.vrid = vrid;
        c
    };
    let config_a = RouterConfig {
        instances: vec![vi("VI_1", 51), vi("VI_2", 52)],
        sync_groups: vec![],
    };
    let mut router = Router::new(config_a, start).expect("valid");
    router.handle(start, RouterInput::Start);
    while let Some(deadline) = router.poll_timeout().filter(|d| *d <= start + secs(5)) {
        router.handle_timeout(deadline);
    }
    while router.poll_action().is_some() {}
    assert_eq!(
        router.instance("VI_1").map(|i| i.state()),
        Some(State::Master)
    );

    let config_b = RouterConfig {
        instances: vec![vi("VI_1", 51), vi("VI_3", 53)],
        sync_groups: vec![],
    };
    router.handle(start + secs(5), RouterInput::Reload(config_b));
    let actions: Vec<_> = std::iter::from_fn(|| router.poll_action()).collect();
    assert_eq!(
        router.instance("VI_1").map(|i| i.state()),
        Some(State::Master)
    );
    assert_eq!(
        router.instance("VI_3").map(|i| i.state()),
        Some(State::Backup)
    );
    assert!(router.instance("VI_2").is_none());
    let from = |name: &str| -> Vec<Action> {
        actions
            .iter()
            .filter(|a| matches!(&a.source, Source::Instance { name: n, .. } if &**n == name))
            .map(|a| a.action.clone())
            .collect()
    };
    assert!(from("VI_1").is_empty());
    assert!(
        from("VI_2")
            .iter()
            .any(|a| matches!(a, Action::SendAdvert(o) if o.priority == 0))
    );
    assert!(
        from("VI_2")
            .iter()
            .any(|a| matches!(a, Action::Notify(n) if n.state == NotifyState::Fault))
    );
    assert!(from("VI_3").iter().any(|a| matches!(
        a,
        Action::StateChanged {
            to: State::Backup,
            ..
        }
    )));
}
