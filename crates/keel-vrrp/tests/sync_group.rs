//! Sync groups through the Router API (spec §3.6): members move together, group trackers,
//! `GROUP NAME STATE 0` notifications.

mod common;

use std::time::Instant;

use common::*;
use keel_vrrp::{
    Action, NotifyState, Router, RouterAction, RouterConfig, RouterInput, Source, State,
    SyncGroupConfig, TrackedObject, TrackerId, TrackerStatus,
};

/// VI_1 on eth0 (VRID 51) and VI_2 on eth1 (VRID 52), in group G, source 10.99.0.<last>.
fn router_config(last: u8, priorities: (u8, u8)) -> RouterConfig {
    let mut vi1 = config(last, priorities.0);
    vi1.name = "VI_1".into();
    let mut vi2 = config(last, priorities.1);
    vi2.name = "VI_2".into();
    vi2.interface = "eth1".into();
    vi2.vrid = 52;
    let mut group = SyncGroupConfig::new("G", &["VI_1", "VI_2"]);
    group.notify.fifo = true;
    RouterConfig {
        instances: vec![vi1, vi2],
        sync_groups: vec![group],
    }
}

/// Two routers on two shared segments (eth0, eth1), zero latency.
struct Pair {
    routers: [Router; 2],
    alive: [bool; 2],
    log: Vec<(Instant, usize, RouterAction)>,
}

impl Pair {
    fn new(a: RouterConfig, b: RouterConfig, now: Instant) -> Self {
        let mut pair = Pair {
            routers: [
                Router::new(a, now).expect("valid"),
                Router::new(b, now).expect("valid"),
            ],
            alive: [true, true],
            log: Vec::new(),
        };
        pair.input(now, 0, RouterInput::Start);
        pair.input(now, 1, RouterInput::Start);
        pair
    }

    fn input(&mut self, now: Instant, index: usize, input: RouterInput) {
        self.routers[index].handle(now, input);
        self.flush(now, index);
    }

    fn flush(&mut self, now: Instant, index: usize) {
        let mut queue = vec![index];
        while let Some(from) = queue.pop() {
            while let Some(action) = self.routers[from].poll_action() {
                if let (Action::SendAdvert(out), Source::Instance { interface, .. }) =
                    (&action.action, &action.source)
                {
                    let to = 1 - from;
                    if self.alive[to] && self.alive[from] {
                        self.routers[to].handle_advert(now, interface, &received(out));
                        queue.push(to);
                    }
                }
                self.log.push((now, from, action));
            }
        }
    }

    fn run_until(&mut self, until: Instant) {
        loop {
            let next = (0..2)
                .filter(|&i| self.alive[i])
                .filter_map(|i| self.routers[i].poll_timeout().map(|t| (t, i)))
                .min();
            match next {
                Some((deadline, index)) if deadline <= until => {
                    self.routers[index].handle_timeout(deadline);
                    self.flush(deadline, index);
                }
                _ => break,
            }
        }
    }

    fn states(&self, index: usize) -> Vec<State> {
        self.routers[index]
            .instances()
            .iter()
            .map(|i| i.state())
            .collect()
    }

    fn fifo(&self, index: usize) -> Vec<String> {
        self.log
            .iter()
            .filter(|(_, n, a)| *n == index && matches!(a.source, Source::Group { .. }))
            .filter_map(|(_, _, a)| match &a.action {
                Action::FifoLine(line) => Some(line.clone()),
                _ => None,
            })
            .collect()
    }
}

// Input: router A (200/150) and B (100/100) start together.
// Output: A's two members become MASTER at the same instant (when the *last* member's
// timer expires, spec §3.6 "only when every member wants MASTER"); B stays BACKUP;
// A's group reports `GROUP "G" BACKUP 0` then `GROUP "G" MASTER 0`.
#[test]
fn members_become_master_together() {
    let start = t0();
    let mut pair = Pair::new(
        router_config(1, (200, 150)),
        router_config(2, (100, 100)),
        start,
    );
    pair.run_until(start + secs(10));
    assert_eq!(pair.states(0), vec![State::Master, State::Master]);
    assert_eq!(pair.states(1), vec![State::Backup, State::Backup]);
    let master_times: Vec<_> = pair
        .log
        .iter()
        .filter(|(_, n, a)| {
            *n == 0
                && matches!(
                    a.action,
                    Action::StateChanged {
                        to: State::Master,
                        ..
                    }
                )
        })
        .map(|(t, _, _)| *t)
        .collect();
    // VI_2 (150) is the later one: 3 s + skew(150) = 3.414062 s.
    assert_eq!(
        master_times,
        vec![start + us(3_414_062), start + us(3_414_062)]
    );
    assert_eq!(
        pair.fifo(0),
        vec!["GROUP \"G\" BACKUP 0", "GROUP \"G\" MASTER 0"]
    );
    assert_eq!(pair.fifo(1), vec!["GROUP \"G\" BACKUP 0"]);
    // Instance notifications: VI_2 moved by itself and notifies MASTER; VI_1 only followed
    // the group, so keepalived sends no duplicate instance notification for it.
    let master_notifies: Vec<_> = pair
        .log
        .iter()
        .filter(|(_, n, a)| {
            *n == 0 && matches!(&a.action, Action::Notify(x) if x.state == NotifyState::Master)
        })
        .map(|(_, _, a)| a.source.clone())
        .collect();
    assert_eq!(master_notifies.len(), 2);
    assert!(matches!(&master_notifies[0], Source::Instance { name, .. } if &**name == "VI_2"));
    assert!(matches!(&master_notifies[1], Source::Group { name } if &**name == "G"));
}

// Input: A is MASTER for both; A's eth1 goes down.
// Output: both of A's members go FAULT (one FAULT ⇒ all FAULT), each sending priority 0;
// B takes over both members, after skew; never a split group on either router.
#[test]
fn one_member_fault_takes_the_group_down() {
    let start = t0();
    let mut pair = Pair::new(
        router_config(1, (200, 150)),
        router_config(2, (100, 100)),
        start,
    );
    pair.run_until(start + secs(10));
    let down_at = start + secs(10) + ms(100);
    pair.input(
        down_at,
        0,
        RouterInput::LinkChanged {
            interface: "eth1".into(),
            up: false,
        },
    );
    assert_eq!(pair.states(0), vec![State::Fault, State::Fault]);
    pair.run_until(start + secs(12));
    assert_eq!(pair.states(1), vec![State::Master, State::Master]);
    let took: Vec<_> = pair
        .log
        .iter()
        .filter(|(_, n, a)| {
            *n == 1
                && matches!(
                    a.action,
                    Action::StateChanged {
                        to: State::Master,
                        ..
                    }
                )
        })
        .map(|(t, _, _)| *t)
        .collect();
    assert_eq!(took, vec![down_at + us(609_375), down_at + us(609_375)]);
    assert_eq!(pair.routers[0].groups()[0].state(), State::Fault);

    // Input: eth1 comes back. Output: A's members leave FAULT together and preempt B
    // together; B's members step down together.
    let up_at = start + secs(20);
    pair.input(
        up_at,
        0,
        RouterInput::LinkChanged {
            interface: "eth1".into(),
            up: true,
        },
    );
    assert_eq!(pair.states(0), vec![State::Backup, State::Backup]);
    pair.run_until(start + secs(30));
    assert_eq!(pair.states(0), vec![State::Master, State::Master]);
    assert_eq!(pair.states(1), vec![State::Backup, State::Backup]);
}

// Input: B holds both members, A's VI_1 timer expires first, VI_2's later.
// Output: A's VI_1 does not go MASTER alone: it waits (wants MASTER) until VI_2 also
// wants it — at no instant is A's group split.
#[test]
fn a_group_never_splits() {
    let start = t0();
    let mut pair = Pair::new(
        router_config(1, (200, 150)),
        router_config(2, (100, 100)),
        start,
    );
    pair.run_until(start + secs(30));
    let mut states = [[State::Init; 2]; 2];
    let mut last_time = None;
    for (time, node, action) in &pair.log {
        if last_time.is_some_and(|t| t != *time) {
            for s in &states {
                let split = s.contains(&State::Master) && s.iter().any(|x| *x != State::Master);
                assert!(!split, "split group at {time:?}: {s:?}");
            }
        }
        last_time = Some(*time);
        if let (Action::StateChanged { to, .. }, Source::Instance { name, .. }) =
            (&action.action, &action.source)
        {
            let member = usize::from(&**name == "VI_2");
            states[*node][member] = *to;
        }
    }
}

// Input: a group-level weight-0 tracker "chk" fails on router A.
// Output: every member of A goes FAULT (spec §3.6 group trackers apply to all members).
#[test]
fn group_tracker_applies_to_every_member() {
    let start = t0();
    let mut cfg = router_config(1, (200, 150));
    cfg.sync_groups[0].trackers = vec![TrackedObject::state("chk", 0)];
    let mut router = Router::new(cfg, start).expect("valid");
    router.handle(start, RouterInput::Start);
    router.handle(
        start,
        RouterInput::Tracker {
            id: TrackerId::new("chk"),
            status: TrackerStatus::Down,
        },
    );
    let states: Vec<_> = router.instances().iter().map(|i| i.state()).collect();
    assert_eq!(states, vec![State::Fault, State::Fault]);
}

// Input: a member tracker with weight −50 inside a group, with and without
// sync_group_tracking_weight. Output: ignored (priority stays 200) / applied (150).
#[test]
fn member_weights_need_sync_group_tracking_weight() {
    let start = t0();
    for (tracking_weight, expected) in [(false, 200), (true, 150)] {
        let mut cfg = router_config(1, (200, 150));
        cfg.instances[0].trackers = vec![TrackedObject::state("eth9", -50)];
        cfg.sync_groups[0].tracking_weight = tracking_weight;
        let mut router = Router::new(cfg, start).expect("valid");
        router.handle(start, RouterInput::Start);
        router.handle(
            start,
            RouterInput::Tracker {
                id: TrackerId::new("eth9"),
                status: TrackerStatus::Down,
            },
        );
        assert_eq!(
            router.instance("VI_1").map(|i| i.effective_priority()),
            Some(expected)
        );
    }
}

// Input: A is MASTER for both members (garp_lower_prio_repeat 2 on both); VI_1 hears a
// lower-priority advert.
// Output: VI_1 answers and re-announces; VI_2 re-announces too (keepalived: sync-group
// members with garp_lower_prio_repeat also re-GARP, spec §3.9).
#[test]
fn lower_priority_advert_makes_every_member_reannounce() {
    let start = t0();
    let mut cfg = router_config(1, (200, 150));
    for instance in &mut cfg.instances {
        instance.garp.lower_prio_repeat = 2;
    }
    let mut router = Router::new(cfg, start).expect("valid");
    router.handle(start, RouterInput::Start);
    while let Some(deadline) = router.poll_timeout().filter(|d| *d <= start + secs(5)) {
        router.handle_timeout(deadline);
    }
    while router.poll_action().is_some() {}
    assert!(router.handle_advert(start + secs(5), "eth0", &advert(2, 100)));
    let actions: Vec<_> = std::iter::from_fn(|| router.poll_action()).collect();
    let garps_of = |name: &str| {
        actions
            .iter()
            .filter(|a| matches!(&a.source, Source::Instance { name: n, .. } if &**n == name))
            .filter(|a| matches!(a.action, Action::SendGratuitous { .. }))
            .count()
    };
    assert_eq!((garps_of("VI_1"), garps_of("VI_2")), (2, 2));
}

// Input: router A holds group G as MASTER and reloads an identical configuration.
// Output: no actions at all — no transition, no instance or group notification.
#[test]
fn reload_keeps_group_state_silently() {
    let start = t0();
    let mut router = Router::new(router_config(1, (200, 150)), start).expect("valid");
    router.handle(start, RouterInput::Start);
    while let Some(deadline) = router.poll_timeout().filter(|d| *d <= start + secs(5)) {
        router.handle_timeout(deadline);
    }
    while router.poll_action().is_some() {}
    assert_eq!(router.groups()[0].state(), State::Master);
    router.handle(
        start + secs(5),
        RouterInput::Reload(router_config(1, (200, 150))),
    );
    let actions: Vec<_> = std::iter::from_fn(|| router.poll_action()).collect();
    assert!(actions.is_empty(), "{actions:?}");
    assert_eq!(router.groups()[0].state(), State::Master);
    let states: Vec<_> = router.instances().iter().map(|i| i.state()).collect();
    assert_eq!(states, vec![State::Master, State::Master]);
}

// Input: a group naming an unknown instance. Output: BadGroupMember.
#[test]
fn unknown_member_is_an_error() {
    let mut cfg = router_config(1, (200, 150));
    cfg.sync_groups[0].members.push("VI_9".into());
    assert!(matches!(
        Router::new(cfg, t0()),
        Err(keel_vrrp::ConfigError::BadGroupMember { .. })
    ));
}
