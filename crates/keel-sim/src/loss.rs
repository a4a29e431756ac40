//! Flapping under steady random loss: how many transitions RFC timing allows, and a check
//! that keel makes no more.
//!
//! ## The bound
//!
//! Default settings: VRRPv2, advert_int 1 s, `down_timer_adverts` 3, distinct priorities, no
//! `nopreempt` or `preempt_delay`. Once the highest-priority router M is MASTER it never steps
//! down (nothing outranks it). A backup b takes over only when its down timer expires, i.e.
//! when nothing reset it for Master_Down_Interval = 3 × 1 s + Skew_Time(b) < 4 s
//! (RFC 3768 §6.4.2, spec §3.4). M advertises every second, so a takeover needs at least
//! 3 consecutive adverts of M lost on the M→b path, and two takeovers by b need two disjoint
//! such runs. After a takeover b returns to BACKUP when one of M's adverts reaches it (M also
//! answers b's lower advert at once, spec §3.3), so each takeover costs exactly 2
//! transitions. Hence, counting R = the maximal runs of ≥ 3 lost adverts on each M→backup
//! path:
//!
//! ```text
//! transitions after convergence ≤ 2 × R,  and  E[R] ≈ adverts × (1 − p) × p³ per path
//! ```
//!
//! With p = 20 %: (1 − p) p³ = 0.0064, i.e. one spurious takeover per backup every ~156 s.
//!
//! On top of the count, every takeover must be justified to the millisecond: it happens
//! exactly Master_Down_Interval after the last event that reset b's timer (entering BACKUP or
//! an accepted advert, priority ≥ b's).

use std::time::Duration;

use keel_vrrp::{State, Version};

use crate::check::Violation;
use crate::random::Failure;
use crate::timeline::Detail;
use crate::{LinkProfile, RouterId, Sim, SimRng, build, timing};

/// The numbers of one lossy run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LossReport {
    /// Backups (routers other than the top one).
    pub backups: usize,
    /// Adverts of the top router in the steady window, summed over its backups' paths.
    pub path_adverts: usize,
    /// Maximal runs of at least `rfc_down_timer_adverts` lost adverts on those paths.
    pub loss_runs: usize,
    /// Takeovers by backups in the steady window.
    pub takeovers: usize,
    /// All transitions in the steady window.
    pub transitions: usize,
}

/// One lossy run: 2–6 routers with distinct priorities, v2 defaults except that the engine
/// runs with `engine_down_timer_adverts`; the flapping bound is computed for
/// `rfc_down_timer_adverts` (3 in the RFC). Passing different values shows the check can
/// fail.
pub fn run(
    seed: u64,
    loss: f64,
    duration: Duration,
    engine_down_timer_adverts: u8,
    rfc_down_timer_adverts: u8,
) -> Result<LossReport, Failure> {
    let mut rng = SimRng::new(seed);
    let count = rng.range(2, 6) as usize;
    let mut priorities: Vec<u8> = Vec::new();
    while priorities.len() < count {
        let priority = rng.range(1, 254) as u8;
        if !priorities.contains(&priority) {
            priorities.push(priority);
        }
    }
    let profile = LinkProfile {
        latency: Duration::from_micros(rng.range(0, 2_000)),
        jitter: Duration::from_micros(rng.range(0, 2_000)),
        loss,
        ..LinkProfile::IDEAL
    };
    let configs = priorities
        .iter()
        .enumerate()
        .map(|(index, &priority)| {
            let mut instance =
                build::instance(index, 1, priority, Version::V2, Duration::from_secs(1));
            instance.down_timer_adverts = engine_down_timer_adverts;
            instance.trackers.clear();
            build::router(vec![instance], false)
        })
        .collect();
    let plan = format!(
        "seed {seed}: loss run, priorities {priorities:?}, down_timer_adverts {engine_down_timer_adverts}, wire: {profile}"
    );
    let fail = |sim: &Sim, violation: Violation| Failure {
        violation,
        plan: plan.clone(),
        timeline: sim.timeline().render(Detail::Compact),
    };
    let (mut sim, _lan, ids) = build::lan(seed, profile, configs).map_err(|error| Failure {
        violation: Violation {
            property: "the drawn world is a valid configuration",
            at: Duration::ZERO,
            detail: error.to_string(),
        },
        plan: plan.clone(),
        timeline: String::new(),
    })?;
    let simulate = |sim: &mut Sim| -> Result<(), Violation> {
        sim.start_all().map_err(as_violation)?;
        sim.run_until(duration).map_err(as_violation)
    };
    if let Err(violation) = simulate(&mut sim) {
        return Err(fail(&sim, violation));
    }
    let top_index = (0..count).max_by_key(|&i| priorities[i]).unwrap_or(0);
    let top = ids[top_index];
    let check = || -> Result<LossReport, Violation> {
        justify_takeovers(&sim, &ids, &priorities, engine_down_timer_adverts)?;
        bound_transitions(&sim, top, rfc_down_timer_adverts, duration)
    };
    check().map_err(|violation| fail(&sim, violation))
}

/// Every BACKUP→MASTER happens exactly Master_Down_Interval after the last reset of the down
/// timer (RFC 3768 §6.4.2): entering BACKUP, or an advert with priority ≥ ours arriving.
fn justify_takeovers(
    sim: &Sim,
    ids: &[RouterId],
    priorities: &[u8],
    down_timer_adverts: u8,
) -> Result<(), Violation> {
    for takeover in sim
        .transitions()
        .iter()
        .filter(|t| t.from == State::Backup && t.to == State::Master)
    {
        let Some(index) = ids.iter().position(|&r| r == takeover.router) else {
            continue;
        };
        let priority = priorities[index];
        let entered = sim
            .transitions()
            .iter()
            .filter(|t| t.router == takeover.router && t.to == State::Backup)
            .filter(|t| t.at <= takeover.at)
            .map(|t| t.at)
            .max();
        let heard = sim
            .deliveries()
            .iter()
            .filter(|d| d.to == takeover.router && d.fate == crate::Fate::Delivered)
            .filter(|d| d.priority >= priority && d.at <= takeover.at)
            .map(|d| d.at)
            .max();
        let reset = entered.max(heard).unwrap_or_default();
        let expected = reset
            + timing::master_down(
                Version::V2,
                priority,
                Duration::from_secs(1),
                down_timer_adverts,
            );
        if !timing::within_a_millisecond(takeover.at, expected) {
            return Err(Violation {
                property: "a backup takes over exactly Master_Down_Interval after it last \
                           heard an advert it accepts (RFC 3768 §6.4.2, spec §3.4)",
                at: takeover.at,
                detail: format!(
                    "{} took over at {:.3} ms; its timer was last reset at {:.3} ms, so \
                     {:.3} ms was due",
                    sim.name(takeover.router),
                    takeover.at.as_secs_f64() * 1e3,
                    reset.as_secs_f64() * 1e3,
                    expected.as_secs_f64() * 1e3
                ),
            });
        }
    }
    Ok(())
}

/// The count bound of the module docs, over the steady window (10 s after the top router
/// became MASTER until the end).
fn bound_transitions(
    sim: &Sim,
    top: RouterId,
    threshold: u8,
    end: Duration,
) -> Result<LossReport, Violation> {
    let Some(converged) = sim
        .transitions()
        .iter()
        .find(|t| t.router == top && t.to == State::Master)
        .map(|t| t.at)
    else {
        return Err(Violation {
            property: "the highest priority becomes MASTER (RFC 3768 §6.4.2)",
            at: end,
            detail: format!("{} never became MASTER", sim.name(top)),
        });
    };
    let steady = converged + Duration::from_secs(10);
    let mut report = LossReport::default();
    if let Some(step_down) = sim
        .transitions()
        .iter()
        .find(|t| t.router == top && t.at > converged)
    {
        return Err(Violation {
            property: "nothing outranks the top router, so it never leaves MASTER \
                       (RFC 3768 §6.4.3)",
            at: step_down.at,
            detail: format!("{} went {}", sim.name(top), step_down.to.as_str()),
        });
    }
    // A takeover at t ≥ steady needs its lost adverts sent after t − Master_Down_Interval,
    // which is later than steady − 4 s.
    let window_start = steady.saturating_sub(Duration::from_millis(4_100));
    for backup in sim.router_ids().filter(|&r| r != top) {
        report.backups += 1;
        let mut fates: Vec<(Duration, bool)> = sim
            .deliveries()
            .iter()
            .filter(|d| d.from == top && d.to == backup && d.sent_at >= window_start)
            .filter(|d| d.priority != 0)
            .map(|d| (d.sent_at, d.fate == crate::Fate::Lost))
            .collect();
        fates.sort_by_key(|(sent, _)| *sent);
        // Duplicated copies of one advert: it is lost only if every copy is.
        fates.dedup_by(|later, earlier| {
            if later.0 == earlier.0 {
                earlier.1 &= later.1;
                true
            } else {
                false
            }
        });
        report.path_adverts += fates.len();
        let mut run = 0usize;
        for (_, lost) in fates {
            if lost {
                run += 1;
                if run == usize::from(threshold) {
                    report.loss_runs += 1;
                }
            } else {
                run = 0;
            }
        }
    }
    report.takeovers = sim
        .transitions()
        .iter()
        .filter(|t| t.at >= steady && t.to == State::Master)
        .count();
    report.transitions = crate::check::transitions_between(sim, steady, Duration::MAX);
    if report.transitions > 2 * report.loss_runs {
        return Err(Violation {
            property: "under random loss, no more transitions than RFC timing implies: \
                       2 per run of ≥ down_timer_adverts lost adverts (RFC 3768 §6.4.2)",
            at: end,
            detail: format!(
                "{} transitions after {:.3} ms, but only {} loss runs allow {}",
                report.transitions,
                steady.as_secs_f64() * 1e3,
                report.loss_runs,
                2 * report.loss_runs
            ),
        });
    }
    Ok(report)
}

fn as_violation(error: crate::SimError) -> Violation {
    Violation {
        property: "the simulator runs (no livelock, valid requests)",
        at: Duration::ZERO,
        detail: error.to_string(),
    }
}
