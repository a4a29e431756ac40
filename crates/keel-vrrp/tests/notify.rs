//! Notifications as actions (spec §3.8): state scripts, generic notify arguments, FIFO lines.

mod common;

use common::*;
use keel_vrrp::{Action, Input, Notification, NotifyKind, NotifyState, ScriptCall, State};

fn notifications(actions: &[Action]) -> Vec<&Notification> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Notify(n) => Some(n),
            _ => None,
        })
        .collect()
}

fn fifo(actions: &[Action]) -> Vec<&str> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::FifoLine(line) => Some(line.as_str()),
            _ => None,
        })
        .collect()
}

// Input: notify_master "/x arg1 'arg two'", generic notify "/n", FIFO; priority 160.
// Output: on MASTER: the state script with only its own args, then "/n" with
// `INSTANCE VI_1 MASTER 160` appended, then the FIFO line `INSTANCE "VI_1" MASTER 160`
// (spec §3.8, observed `notify args: INSTANCE VI_1 MASTER 160`).
#[test]
fn master_notification_runs_state_script_generic_notify_then_fifo() {
    let start = t0();
    let mut cfg = config(1, 160);
    cfg.notify.master = Some("/x arg1 'arg two'".into());
    cfg.notify.generic = Some("/n".into());
    cfg.notify.fifo = true;
    let (mut instance, startup) = started(cfg, start);
    assert_eq!(fifo(&startup), vec!["INSTANCE \"VI_1\" BACKUP 160"]);
    let events: Vec<Action> = run_alone(&mut instance, start + secs(5))
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    let n = notifications(&events);
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].kind, NotifyKind::Instance);
    assert_eq!(
        n[0].scripts,
        vec![
            ScriptCall {
                command: "/x arg1 'arg two'".into(),
                extra_args: vec![]
            },
            ScriptCall {
                command: "/n".into(),
                extra_args: vec![
                    "INSTANCE".into(),
                    "VI_1".into(),
                    "MASTER".into(),
                    "160".into()
                ],
            },
        ]
    );
    assert_eq!(fifo(&events), vec!["INSTANCE \"VI_1\" MASTER 160"]);
    let notify_at = events
        .iter()
        .position(|a| matches!(a, Action::Notify(_)))
        .unwrap_or(0);
    let fifo_at = events
        .iter()
        .position(|a| matches!(a, Action::FifoLine(_)))
        .unwrap_or(0);
    let add_at = events
        .iter()
        .position(|a| matches!(a, Action::AddAddresses { .. }))
        .unwrap_or(99);
    assert!(
        add_at < notify_at && notify_at < fifo_at,
        "addresses, then notify, then FIFO"
    );
}

// Input: a MASTER at 160 stops, with generic notify configured.
// Output: `INSTANCE VI_1 STOP 160` (spec §3.8 observed `... STOP 160`).
#[test]
fn stop_notification_carries_the_priority() {
    let start = t0();
    let mut cfg = config(1, 160);
    cfg.notify.generic = Some("/n".into());
    cfg.notify.stop = Some("/stop".into());
    let (mut instance, _) = started(cfg, start);
    run_alone(&mut instance, start + secs(5));
    instance.handle(start + secs(5), Input::Stop);
    let actions = drain(&mut instance);
    let n = notifications(&actions);
    assert_eq!(n[0].state, NotifyState::Stop);
    assert_eq!(n[0].scripts[0].command, "/stop");
    assert_eq!(
        n[0].scripts[1].extra_args,
        vec!["INSTANCE", "VI_1", "STOP", "160"]
    );
    assert_eq!(instance.state(), State::Stop);
}

// Input: no scripts or FIFO configured, a BACKUP becomes MASTER.
// Output: still one Notify (for D-Bus/SNMP), with no scripts, and no FIFO line.
#[test]
fn notification_without_scripts_is_still_reported() {
    let start = t0();
    let (mut instance, _) = started(config(1, 100), start);
    let events: Vec<Action> = run_alone(&mut instance, start + secs(5))
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    let n = notifications(&events);
    assert_eq!(n.len(), 1);
    assert!(n[0].scripts.is_empty());
    assert!(fifo(&events).is_empty());
}

// Input: a notification value. Output: keepalived's generic args and FIFO line format.
#[test]
fn generic_args_and_fifo_format() {
    let n = Notification {
        kind: NotifyKind::Group,
        name: "G".into(),
        state: NotifyState::Backup,
        priority: 0,
        scripts: vec![],
    };
    assert_eq!(n.generic_args(), vec!["GROUP", "G", "BACKUP", "0"]);
    assert_eq!(n.fifo_line(), "GROUP \"G\" BACKUP 0");
}
