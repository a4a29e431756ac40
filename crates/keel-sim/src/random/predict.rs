//! Who must take over, and when, after a disturbance: computed from the RFC timers and the
//! run's delivery log (when each backup last heard the master), never from keel-vrrp's state.

use std::time::Duration;

use keel_vrrp::{InitialState, State};

use super::{Disturbance, Plan, Snapshot, delivered};
use crate::{RouterId, Sim, timing};

/// Property names of the timing checks.
const CRASH: &str = "after a silent master the highest backup takes over at \
                     down_timer_adverts × Master_Adver_Interval + Skew_Time after the last advert \
                     it heard (RFC 5798 §6.4.2, spec §3.4)";
const STOP: &str = "a graceful stop hands over in Skew_Time (priority-0 advert, RFC 5798 \
                    §6.4.2/§6.4.3, spec §3.3)";
const PREEMPT: &str = "a higher-priority backup preempts after Master_Down_Interval of lower \
                       adverts, plus preempt_delay when set (RFC 5798 §6.4.2, spec §3.4)";

/// An expected first takeover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prediction {
    /// VRID.
    pub vrid: u8,
    /// When the first BACKUP→MASTER (or INIT/FAULT→MASTER for an owner) must happen.
    pub at: Duration,
    /// Who may be first (several when priorities and hearing times tie).
    pub routers: Vec<RouterId>,
    /// The rule being checked.
    pub property: &'static str,
}

/// The takeovers a disturbance at `at` implies.
pub(crate) fn takeovers(
    sim: &Sim,
    plan: &Plan,
    disturbance: Disturbance,
    before: &Snapshot,
    at: Duration,
) -> Vec<Prediction> {
    let mut per_router: Vec<(u8, RouterId, Duration, &'static str)> = Vec::new();
    for vrid in plan.vrids() {
        match disturbance {
            Disturbance::Crash(master)
            | Disturbance::Stop(master)
            | Disturbance::Link(master, false) => {
                let stopping = matches!(disturbance, Disturbance::Stop(_));
                let Some(component) = before.component_of(master) else {
                    continue;
                };
                if before.state(master, vrid).map(|(state, _)| state) != Some(State::Master) {
                    continue;
                }
                for &backup in component.iter().filter(|&&r| r != master) {
                    if let Some(time) = silent_master(sim, before, master, backup, vrid, at) {
                        per_router.push((vrid, backup, time, if stopping { STOP } else { CRASH }));
                    }
                }
            }
            Disturbance::Partition => {
                // Each new part without the old master sees it fall silent.
                for component in &before.components {
                    let Some(master) = before.master(component, vrid) else {
                        continue;
                    };
                    for &backup in component.iter().filter(|&&r| r != master) {
                        if sim
                            .components(before.lan)
                            .iter()
                            .any(|c| c.contains(&master) && c.contains(&backup))
                        {
                            continue;
                        }
                        if let Some(time) = silent_master(sim, before, master, backup, vrid, at) {
                            per_router.push((vrid, backup, time, CRASH));
                        }
                    }
                }
            }
            Disturbance::Restart(_) | Disturbance::Tracker(..) | Disturbance::Link(_, true) => {
                for (backup, time) in preemptions(sim, disturbance, before, vrid, at) {
                    per_router.push((vrid, backup, time, PREEMPT));
                }
            }
            Disturbance::VipRemoved(master) => {
                // spec §3.3: the master goes BACKUP (its down timer restarts) and falls
                // silent; whoever's timer ends first takes over, possibly the old master.
                let Some(component) = before.component_of(master) else {
                    continue;
                };
                let Some((State::Master, priority)) = before.state(master, vrid) else {
                    continue;
                };
                for &backup in component.iter().filter(|&&r| r != master) {
                    if let Some(time) = silent_master(sim, before, master, backup, vrid, at) {
                        per_router.push((vrid, backup, time, CRASH));
                    }
                }
                if let Some(instance) = sim.instance(master, &format!("VI_{vrid}")) {
                    let config = instance.config();
                    let own = timing::master_down(
                        config.version,
                        priority,
                        config.advert_interval,
                        config.down_timer_adverts,
                    );
                    per_router.push((vrid, master, at + own, CRASH));
                }
            }
            Disturbance::Heal | Disturbance::LossBurst | Disturbance::Reload(_) => {}
        }
    }
    if plan.sync_group && group_held_back(before) {
        // A group held back by one member (spec §3.6) has members whose timers already
        // expired; when it moves depends on the other member alone. Not predicted.
        return Vec::new();
    }
    aggregate(plan, per_router)
}

/// Whether, before the disturbance, some router's sync group was kept BACKUP by a member
/// that accepted its master while another member outranked its own.
fn group_held_back(before: &Snapshot) -> bool {
    before.components.iter().any(|component| {
        component.iter().any(|&router| {
            let outranking: Vec<bool> = [1u8, 2]
                .iter()
                .map(|&vrid| {
                    let Some((State::Backup, priority)) = before.state(router, vrid) else {
                        return false;
                    };
                    before
                        .master(component, vrid)
                        .and_then(|master| before.state(master, vrid))
                        .is_some_and(|(_, master_priority)| priority > master_priority)
                })
                .collect();
            outranking.iter().any(|&o| o) && !outranking.iter().all(|&o| o)
        })
    })
}

/// How many transitions (not counting INIT→*) a rejoin or priority change implies, when that
/// is certain: one preempting router (2 per VRID: it goes MASTER, the old master BACKUP), or
/// none.
pub(crate) fn transition_count(
    sim: &Sim,
    plan: &Plan,
    disturbance: Disturbance,
    before: &Snapshot,
    at: Duration,
) -> Option<usize> {
    if matches!(disturbance, Disturbance::Reload(_)) {
        // spec §5 pain point 6: reloading an unchanged configuration changes nothing.
        return Some(0);
    }
    let router = match disturbance {
        Disturbance::Restart(router)
        | Disturbance::Link(router, true)
        | Disturbance::Tracker(router, _) => router,
        _ => return None,
    };
    let mut total = 0;
    for vrid in plan.vrids() {
        let component = sim
            .components(before.lan)
            .into_iter()
            .find(|c| c.contains(&router))?;
        let master = before.master(&component, vrid)?;
        if matches!(disturbance, Disturbance::Link(..)) {
            // FAULT → BACKUP (or MASTER for an owner) of the router whose link came back.
            total += 1;
        }
        let preempting = preemptions(sim, disturbance, before, vrid, at);
        if plan.sync_group {
            // spec §3.6: the group moves only if every member's VRID has the same preemptor.
            let other = preemptions(sim, disturbance, before, 3 - vrid, at);
            let routers = |list: &[(RouterId, Duration)]| {
                let mut routers: Vec<RouterId> = list.iter().map(|(r, _)| *r).collect();
                routers.sort();
                routers
            };
            if routers(&preempting) != routers(&other) || group_held_back(before) {
                return None;
            }
        }
        match preempting.len() {
            0 => {}
            1 if old_master_may_flap(sim, master, preempting[0].0, vrid) => return None,
            1 => {
                let owner_restart = matches!(disturbance, Disturbance::Restart(_))
                    && preempting[0].0 == router
                    && is_starting_owner(sim, router);
                // The preemptor's own INIT→MASTER is not counted, its BACKUP→MASTER is.
                // A sync-group owner passes through BACKUP (the group decides), so its
                // BACKUP→MASTER counts like anyone's.
                total += if owner_restart && !plan.sync_group {
                    1
                } else {
                    2
                };
                if matches!(disturbance, Disturbance::Link(..))
                    && preempting[0].0 == router
                    && is_starting_owner(sim, router)
                {
                    // FAULT→MASTER was already counted above.
                    total -= 1;
                }
            }
            _ => return None,
        }
    }
    Some(total)
}

/// When `backup` takes over from a `master` that fell silent at `at` (crash, link down,
/// partition) or stopped (priority-0 advert), from the last advert copy it received.
fn silent_master(
    sim: &Sim,
    before: &Snapshot,
    master: RouterId,
    backup: RouterId,
    vrid: u8,
    at: Duration,
) -> Option<Duration> {
    let (state, priority) = before.state(backup, vrid)?;
    if state != State::Backup || sim.state(backup, &format!("VI_{vrid}")).is_none() {
        return None;
    }
    let config = sim.instance(backup, &format!("VI_{vrid}"))?.config();
    let from_master = |d: &&crate::DeliveryRecord| {
        d.from == master && d.to == backup && d.vrid == vrid && delivered(d.fate)
    };
    // The last copy to arrive sets the timer: a priority-0 advert to Skew_Time (spec §3.3,
    // RFC 5798 §6.4.2), any other to Master_Down_Interval. On a jittery wire the periodic
    // advert sent just before a stop can arrive after the priority-0 one.
    let last = sim
        .deliveries()
        .iter()
        .filter(from_master)
        .rfind(|d| d.sent_at <= at)?;
    if last.priority == 0 {
        return Some(last.at + timing::skew(config.version, priority, last.interval));
    }
    Some(
        last.at
            + timing::master_down(
                config.version,
                priority,
                last.interval,
                config.down_timer_adverts,
            ),
    )
}

/// Backups that must preempt the master of their component after a rejoin or priority
/// change, with their predicted takeover times.
fn preemptions(
    sim: &Sim,
    disturbance: Disturbance,
    before: &Snapshot,
    vrid: u8,
    at: Duration,
) -> Vec<(RouterId, Duration)> {
    let name = format!("VI_{vrid}");
    let touched = match disturbance {
        Disturbance::Restart(router)
        | Disturbance::Tracker(router, _)
        | Disturbance::Link(router, _) => router,
        _ => return Vec::new(),
    };
    let Some(component) = sim
        .components(before.lan)
        .into_iter()
        .find(|c| c.contains(&touched))
    else {
        return Vec::new();
    };
    let Some(master) = before.master(&component, vrid) else {
        return Vec::new();
    };
    let Some(master_instance) = sim.instance(master, &name) else {
        return Vec::new();
    };
    if master_instance.state() == State::Fault {
        return Vec::new();
    }
    let master_priority = master_instance.effective_priority();
    let mut result = Vec::new();
    for &candidate in component.iter().filter(|&&r| r != master) {
        let Some(instance) = sim.instance(candidate, &name) else {
            continue;
        };
        let config = instance.config();
        let rejoined = candidate == touched
            && matches!(
                disturbance,
                Disturbance::Restart(_) | Disturbance::Link(_, true)
            );
        let state_now_ok = rejoined
            || before
                .state(candidate, vrid)
                .is_some_and(|(s, _)| s == State::Backup);
        let priority = instance.effective_priority();
        if rejoined && !(config.priority == 255 && config.initial_state == InitialState::Master) {
            // A rejoining backup starts its down timer with its own interval (spec §3.3,
            // §3.4). If the master's first advert arrives after that (a slower v3 master),
            // it takes over by silence, whatever its priority; RFC 5798 §6.4.2.
            let own_down = timing::master_down(
                config.version,
                priority,
                config.advert_interval,
                config.down_timer_adverts,
            );
            let expiry = at + own_down;
            let heard_in_time = sim.deliveries().iter().any(|d| {
                d.from == master
                    && d.to == candidate
                    && d.vrid == vrid
                    && delivered(d.fate)
                    && d.at >= at
                    && d.at <= expiry
            });
            if !heard_in_time {
                result.push((candidate, expiry));
                continue;
            }
        }
        if !state_now_ok || config.nopreempt || priority <= master_priority {
            continue;
        }
        if rejoined
            && config.priority == 255
            && (config.initial_state == InitialState::Master
                || matches!(disturbance, Disturbance::Link(..)))
        {
            // spec §3.3/§3.11: the owner starts (or leaves FAULT) as MASTER at once.
            result.push((candidate, at));
            continue;
        }
        let from_master = |d: &&crate::DeliveryRecord| {
            d.from == master && d.to == candidate && d.vrid == vrid && delivered(d.fate)
        };
        let (mut heard, mut interval) = if rejoined {
            (at, config.advert_interval)
        } else {
            match sim
                .deliveries()
                .iter()
                .filter(from_master)
                // Accepted: everything heard before the change, and later adverts that still
                // outrank or equal us (one may be on the wire when our priority changes).
                .rfind(|d| d.at <= at || d.priority >= priority)
            {
                Some(d) => (d.at, d.interval),
                None => continue,
            }
        };
        if !config.preempt_delay.is_zero() {
            // spec §3.4: the first lower advert starts preempt_delay; adverts keep being
            // accepted (resetting the timer) until it ends.
            let Some(first) = sim
                .deliveries()
                .iter()
                .filter(from_master)
                .find(|d| d.at >= at && d.priority < priority)
            else {
                continue;
            };
            let end = first.at + config.preempt_delay;
            if let Some(last) = sim
                .deliveries()
                .iter()
                .filter(from_master)
                .rfind(|d| d.at >= first.at && d.at < end)
            {
                heard = last.at;
                interval = last.interval;
            }
        }
        result.push((
            candidate,
            heard
                + timing::master_down(
                    config.version,
                    priority,
                    interval,
                    config.down_timer_adverts,
                ),
        ));
    }
    result
}

/// keepalived compat (spec §3.4, `vrrp_state_leave_master`): a master that steps down re-arms
/// its down timer with its *own* interval, not the new master's (RFC 5798 §6.4.3 says the
/// new master's). If the new master advertises more slowly than that timer, the old master
/// takes over once more before settling, so the transition count is not certain.
fn old_master_may_flap(sim: &Sim, master: RouterId, new_master: RouterId, vrid: u8) -> bool {
    let name = format!("VI_{vrid}");
    let (Some(old), Some(new)) = (sim.instance(master, &name), sim.instance(new_master, &name))
    else {
        return true;
    };
    let own_down = timing::master_down(
        old.config().version,
        old.effective_priority(),
        old.config().advert_interval,
        old.config().down_timer_adverts,
    );
    new.config().advert_interval + Duration::from_millis(20) >= own_down
}

fn is_starting_owner(sim: &Sim, router: RouterId) -> bool {
    sim.instance(router, "VI_1")
        .is_some_and(|i| i.config().priority == 255)
}

/// Per-router times → per-VRID predictions. In a sync group a router goes MASTER only when
/// all its members want to (spec §3.6): the later of its members' times.
fn aggregate(
    plan: &Plan,
    per_router: Vec<(u8, RouterId, Duration, &'static str)>,
) -> Vec<Prediction> {
    let mut predictions = Vec::new();
    for vrid in plan.vrids() {
        let mut times: Vec<(RouterId, Duration, &'static str)> = Vec::new();
        for &(v, router, _, property) in per_router.iter().filter(|(v, ..)| *v == vrid) {
            let time = if plan.sync_group {
                let member_times: Vec<Duration> = per_router
                    .iter()
                    .filter(|(_, r, ..)| *r == router)
                    .map(|(_, _, t, _)| *t)
                    .collect();
                if member_times.len() < plan.vrids().len() {
                    continue;
                }
                member_times.into_iter().max().unwrap_or_default()
            } else {
                per_router
                    .iter()
                    .find(|(vv, r, ..)| *vv == v && *r == router)
                    .map(|(_, _, t, _)| *t)
                    .unwrap_or_default()
            };
            times.push((router, time, property));
        }
        let Some(&(_, best, property)) = times.iter().min_by_key(|(_, t, _)| *t) else {
            continue;
        };
        let tolerance = Duration::from_micros(2);
        let routers = times
            .iter()
            .filter(|(_, t, _)| *t <= best + tolerance)
            .map(|(r, ..)| *r)
            .collect();
        predictions.push(Prediction {
            vrid,
            at: best,
            routers,
            property,
        });
    }
    predictions
}
