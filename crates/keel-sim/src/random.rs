//! Seeded random scenarios: a world of 2–6 routers with random priorities, intervals,
//! `nopreempt` and `preempt_delay`, then a series of disturbances (crash, graceful stop,
//! restart, partition and heal, priority change, link flap, loss burst). After each
//! disturbance the runner checks the properties of [`crate::check`] and, on an ideal wire,
//! the exact takeover times of [`crate::timing`]. A failure carries the seed, the plan and the
//! timeline.
//!
//! Bound used for "within master-down interval plus one advert" (RFC 5798 §6.4.2, spec §3.4),
//! measured from the disturbance (from the end of a loss burst):
//!
//! ```text
//! settle = Master_Down_Interval(priority 1, largest interval) + largest interval
//!        + largest preempt_delay + 2 × largest wire delay
//! ```
//! the slowest possible detection of a silent master (the lowest priority has the largest
//! skew), one more advert for a dual master to hear the winner, the preemption hold-off, and
//! a round trip on the wire.

use std::fmt;
use std::time::Duration;

use keel_vrrp::{Family, InitialState, RouterConfig, State, TrackerStatus, UnicastPeer, Version};

use crate::build::{self, INTERFACE, TRACKER};
use crate::check::{self, Violation};
use crate::record::Fate;
use crate::timeline::Detail;
use crate::{LinkProfile, RouterId, RouterStatus, SegmentId, Sim, SimRng, timing};

mod predict;

pub use predict::Prediction;

/// What kind of world to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Every router runs two instances (VRIDs 1 and 2) in one sync group (spec §3.6).
    pub sync_group: bool,
    /// Zero latency and jitter, no duplicates or reordering: takeover times are checked to
    /// the millisecond.
    pub ideal_wire: bool,
    /// Routers send adverts to each other as unicast peers instead of multicast (spec §3.11).
    pub unicast: bool,
    /// IPv6 instances (VRRPv3, ff02::12) instead of IPv4.
    pub ipv6: bool,
    /// Disturbances per run.
    pub disturbances: usize,
}

/// One router of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct RouterPlan {
    /// Base priority (255 = address owner, which starts MASTER).
    pub priority: u8,
    /// Base priority of the second sync-group member (VI_2): `priority` lowered by one
    /// offset shared by all routers, so members differ but routers keep their order.
    pub second_priority: u8,
    /// Advert interval.
    pub interval: Duration,
    /// `nopreempt`.
    pub nopreempt: bool,
    /// `preempt_delay` (zero = none).
    pub preempt_delay: Duration,
}

/// A drawn world.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The seed it was drawn from.
    pub seed: u64,
    /// VRRP version of every instance.
    pub version: Version,
    /// The routers.
    pub routers: Vec<RouterPlan>,
    /// The wire.
    pub profile: LinkProfile,
    /// Whether routers run a two-member sync group.
    pub sync_group: bool,
    /// Whether every router lists every other as a unicast peer.
    pub unicast: bool,
    /// Address family of every instance.
    pub family: Family,
}

impl Plan {
    /// Draws a world from `seed`.
    pub fn draw(seed: u64, options: &Options) -> Plan {
        let mut rng = SimRng::new(seed);
        let count = rng.range(2, 6) as usize;
        // IPv6 is always VRRPv3 (spec §2.6).
        let version = if !options.ipv6 && rng.chance(0.5) {
            Version::V2
        } else {
            Version::V3
        };
        // v2: 1 s (RFC 3768 requires equal intervals); v3: 0.1–1 s, sometimes per router.
        let base = match version {
            Version::V2 => Duration::from_secs(1),
            Version::V3 => Duration::from_millis(10 * rng.range(10, 100)),
        };
        let mixed = version == Version::V3 && rng.chance(0.25);
        let with_owner = rng.chance(0.1);
        let offset = if options.sync_group && rng.chance(0.3) {
            rng.range(1, 40) as u8
        } else {
            0
        };
        let routers = (0..count)
            .map(|index| {
                let interval = if mixed {
                    Duration::from_millis(10 * rng.range(10, 100))
                } else {
                    base
                };
                if with_owner && index == 0 {
                    return RouterPlan {
                        priority: 255,
                        second_priority: 255,
                        interval,
                        nopreempt: false,
                        preempt_delay: Duration::ZERO,
                    };
                }
                let priority = rng.range(1, 254) as u8;
                // One offset for every router keeps the routers' order the same on both VRIDs;
                // crossed orders make groups livelock (FINDINGS.md, tests/scenarios.rs).
                let second_priority = priority.saturating_sub(offset).max(1);
                let nopreempt = rng.chance(0.2);
                let preempt_delay = if !nopreempt && rng.chance(0.2) {
                    base * (rng.range(1, 5) as u32)
                } else {
                    Duration::ZERO
                };
                RouterPlan {
                    priority,
                    second_priority,
                    interval,
                    nopreempt,
                    preempt_delay,
                }
            })
            .collect();
        let profile = if options.ideal_wire {
            LinkProfile::IDEAL
        } else {
            LinkProfile {
                latency: Duration::from_micros(rng.range(0, 5_000)),
                jitter: Duration::from_micros(rng.range(0, 5_000)),
                loss: 0.0,
                duplicate: rng.range(0, 5) as f64 / 100.0,
                reorder: rng.range(0, 5) as f64 / 100.0,
                reorder_delay: Duration::from_micros(rng.range(0, 10_000)),
            }
        };
        Plan {
            seed,
            version,
            routers,
            profile,
            sync_group: options.sync_group,
            unicast: options.unicast,
            family: if options.ipv6 {
                Family::Ipv6
            } else {
                Family::Ipv4
            },
        }
    }

    /// The keel-vrrp configuration of router `index`.
    pub fn router_config(&self, index: usize) -> RouterConfig {
        let plan = &self.routers[index];
        let vrids: &[u8] = if self.sync_group { &[1, 2] } else { &[1] };
        let instances = vrids
            .iter()
            .map(|&vrid| {
                let priority = if vrid == 2 {
                    plan.second_priority
                } else {
                    plan.priority
                };
                let mut config = build::instance_in(
                    self.family,
                    index,
                    vrid,
                    priority,
                    self.version,
                    plan.interval,
                );
                config.nopreempt = plan.nopreempt;
                config.preempt_delay = plan.preempt_delay;
                if plan.priority == 255 {
                    config.initial_state = InitialState::Master;
                }
                if self.unicast {
                    config.unicast_peers = (0..self.routers.len())
                        .filter(|&peer| peer != index)
                        .map(|peer| UnicastPeer::new(build::primary_address_in(self.family, peer)))
                        .collect();
                }
                config
            })
            .collect();
        build::router(instances, self.sync_group)
    }

    /// The VRIDs every router runs.
    pub fn vrids(&self) -> Vec<u8> {
        if self.sync_group { vec![1, 2] } else { vec![1] }
    }

    /// The largest advert interval.
    pub fn max_interval(&self) -> Duration {
        self.routers
            .iter()
            .map(|router| router.interval)
            .max()
            .unwrap_or(Duration::from_secs(1))
    }

    /// How long after a disturbance a single master must exist (module docs): the slowest
    /// detection of a silent master, one more advert, and a round trip on the wire.
    ///
    /// Sync groups whose members have different priorities get one more
    /// Master_Down_Interval plus interval: when clamping at 1 ties two routers on one VRID,
    /// both may step down with their whole group (spec §3.6) and regroup at the next down
    /// timer.
    pub fn single_master_bound(&self) -> Duration {
        let interval = self.max_interval();
        let down = timing::master_down(self.version, 1, interval, 3);
        let crossed = self.sync_group
            && self
                .routers
                .iter()
                .any(|router| router.second_priority != router.priority);
        let regroup = if crossed {
            down + interval
        } else {
            Duration::ZERO
        };
        down + interval + regroup + self.profile.max_delay() * 2 + Duration::from_millis(1)
    }

    /// How long after a disturbance the preferred router must be master: the single-master
    /// bound, then (when some router has `preempt_delay`) the first lower advert within one
    /// interval, the delay, and one more Master_Down_Interval of discarded adverts (spec §3.4).
    pub fn settle_bound(&self) -> Duration {
        let interval = self.max_interval();
        let delay = self
            .routers
            .iter()
            .map(|router| router.preempt_delay)
            .max()
            .unwrap_or_default();
        let preemption = if delay.is_zero() {
            Duration::ZERO
        } else {
            interval + delay + timing::master_down(self.version, 1, interval, 3)
        };
        self.single_master_bound() + preemption
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "seed {}: {:?}/{:?}, {} routers{}{}, wire: {}",
            self.seed,
            self.version,
            self.family,
            self.routers.len(),
            if self.unicast { ", unicast peers" } else { "" },
            if self.sync_group {
                ", sync group G = {VI_1, VI_2}"
            } else {
                ""
            },
            self.profile
        )?;
        for (index, router) in self.routers.iter().enumerate() {
            writeln!(
                f,
                "  r{}: prio {}{}, advert_int {} ms{}{}",
                index + 1,
                router.priority,
                if self.sync_group && router.second_priority != router.priority {
                    format!(" (VI_2 prio {})", router.second_priority)
                } else {
                    String::new()
                },
                router.interval.as_millis(),
                if router.nopreempt { ", nopreempt" } else { "" },
                if router.preempt_delay.is_zero() {
                    String::new()
                } else {
                    format!(", preempt_delay {} ms", router.preempt_delay.as_millis())
                }
            )?;
        }
        Ok(())
    }
}

/// What a passing run did, for the test's totals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Disturbances applied.
    pub disturbances: usize,
    /// Property checks that passed.
    pub checks: usize,
    /// Takeover times checked to the millisecond.
    pub timed_takeovers: usize,
    /// Transitions in the run (not counting INIT→BACKUP).
    pub transitions: usize,
}

/// A failing run: the seed, what broke, and the story.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The violated property.
    pub violation: Violation,
    /// The drawn world.
    pub plan: String,
    /// The timeline, compact.
    pub timeline: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.violation)?;
        writeln!(f, "{}", self.plan)?;
        write!(f, "timeline:\n{}", self.timeline)
    }
}

impl std::error::Error for Failure {}

/// Draws a world from `seed` and runs it through `options.disturbances` disturbances,
/// checking the properties after each.
pub fn run(seed: u64, options: &Options) -> Result<Outcome, Failure> {
    run_verbose(seed, options).map(|(outcome, _)| outcome)
}

/// Like [`run`], also returning the full timeline of a passing run (for replaying a seed).
pub fn run_verbose(seed: u64, options: &Options) -> Result<(Outcome, String), Failure> {
    let plan = Plan::draw(seed, options);
    let mut runner = match Runner::new(&plan) {
        Ok(runner) => runner,
        Err(violation) => return Err(fail(&plan, None, violation, Detail::Compact)),
    };
    let result = runner.run(options.disturbances);
    match result {
        Ok(()) => Ok((
            runner.outcome(),
            runner.sim.timeline().render(Detail::Compact),
        )),
        Err(violation) => Err(fail(&plan, Some(&runner.sim), violation, Detail::Compact)),
    }
}

fn fail(plan: &Plan, sim: Option<&Sim>, violation: Violation, detail: Detail) -> Failure {
    Failure {
        violation,
        plan: plan.to_string(),
        timeline: sim.map_or_else(String::new, |sim| sim.timeline().render(detail)),
    }
}

/// A disturbance the runner can apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Disturbance {
    Crash(RouterId),
    Stop(RouterId),
    Restart(RouterId),
    Partition,
    Heal,
    Tracker(RouterId, bool),
    Link(RouterId, bool),
    LossBurst,
    VipRemoved(RouterId),
    Reload(RouterId),
}

struct Runner<'a> {
    plan: &'a Plan,
    sim: Sim,
    lan: SegmentId,
    ids: Vec<RouterId>,
    rng: SimRng,
    partitioned: bool,
    tracker_down: Vec<bool>,
    link_down: Vec<bool>,
    outcome: Outcome,
}

impl<'a> Runner<'a> {
    fn new(plan: &'a Plan) -> Result<Self, Violation> {
        let configs = (0..plan.routers.len())
            .map(|index| plan.router_config(index))
            .collect();
        let (sim, lan, ids) =
            build::lan(plan.seed, plan.profile, configs).map_err(|error| Violation {
                property: "the drawn world is a valid configuration",
                at: Duration::ZERO,
                detail: error.to_string(),
            })?;
        let mut rng = SimRng::new(plan.seed);
        let rng = rng.fork();
        let count = ids.len();
        Ok(Runner {
            plan,
            sim,
            lan,
            ids,
            rng,
            partitioned: false,
            tracker_down: vec![false; count],
            link_down: vec![false; count],
            outcome: Outcome::default(),
        })
    }

    fn outcome(&self) -> Outcome {
        let mut outcome = self.outcome.clone();
        outcome.transitions = check::transitions_between(&self.sim, Duration::ZERO, Duration::MAX);
        outcome
    }

    fn run(&mut self, disturbances: usize) -> Result<(), Violation> {
        self.sim.start_all().map_err(sim_violation)?;
        self.settle(Duration::ZERO, None)?;
        for round in 0..disturbances {
            let disturbance = self.choose();
            let before = Snapshot::take(&self.sim, self.lan, &self.plan.vrids());
            let text = self.describe(disturbance);
            self.sim.note(format!("disturbance {}: {text}", round + 1));
            let at = self.apply(disturbance)?;
            self.outcome.disturbances += 1;
            self.settle(at, Some((disturbance, &before)))?;
        }
        Ok(())
    }

    /// Runs to the settle bound with the always-true invariants checked at every step, then
    /// checks convergence, predicted takeovers, and a quiet stable window.
    fn settle(
        &mut self,
        at: Duration,
        cause: Option<(Disturbance, &Snapshot)>,
    ) -> Result<(), Violation> {
        let single = at + self.plan.single_master_bound();
        self.run_checked(single)?;
        if let Err(violation) = check::single_master(&self.sim) {
            // A handover may be on the wire at the bound: the old master steps down when the
            // new master's first advert arrives, at most one wire delay later.
            let delay = self.plan.profile.max_delay() * 2;
            let handover = self
                .sim
                .transitions()
                .iter()
                .any(|t| t.at + delay >= single && t.to == State::Master);
            if !handover || delay.is_zero() {
                return Err(violation);
            }
            self.run_checked(single + delay + Duration::from_millis(1))?;
            check::single_master(&self.sim)?;
        }
        self.outcome.checks += 1;
        let bound = at + self.plan.settle_bound();
        self.run_checked(bound)?;
        check::converged(&self.sim)?;
        self.outcome.checks += 1;
        if let Some((disturbance, before)) = cause {
            self.check_predictions(disturbance, before, at, bound)?;
        }
        let stable_end = bound + self.plan.max_interval() * 3;
        self.sim.run_until(stable_end).map_err(sim_violation)?;
        let late = check::transitions_between(&self.sim, bound, stable_end);
        if late > 0 {
            return Err(Violation {
                property: "converged routers stay put: no transition in the quiet window \
                           after the settle bound (RFC 5798 §6.4)",
                at: stable_end,
                detail: format!("{late} transitions after the settle bound"),
            });
        }
        check::vip_exclusive(&self.sim, bound, stable_end)?;
        check::single_master(&self.sim)?;
        self.outcome.checks += 2;
        Ok(())
    }

    /// Runs to `until` with the invariants that hold at every instant checked after each step.
    fn run_checked(&mut self, until: Duration) -> Result<(), Violation> {
        self.sim
            .run_until_with(until, |sim| {
                check::vips_follow_masters(sim)?;
                check::deadline_is_earliest(sim)?;
                check::sync_groups_intact(sim)
            })
            .map_err(|error| match error {
                crate::RunError::Violation(violation) => violation,
                crate::RunError::Sim(error) => sim_violation(error),
            })
    }

    fn check_predictions(
        &mut self,
        disturbance: Disturbance,
        before: &Snapshot,
        at: Duration,
        bound: Duration,
    ) -> Result<(), Violation> {
        let predictions = predict::takeovers(&self.sim, self.plan, disturbance, before, at);
        for prediction in predictions {
            let first = self
                .sim
                .transitions()
                .iter()
                .find(|t| t.at >= at && t.vrid == prediction.vrid && t.to == State::Master);
            let Some(first) = first else {
                return Err(Violation {
                    property: prediction.property,
                    at: bound,
                    detail: format!(
                        "VRID {}: no takeover; expected {} at {:.3} ms",
                        prediction.vrid,
                        names(&self.sim, &prediction.routers),
                        prediction.at.as_secs_f64() * 1e3
                    ),
                });
            };
            // Predictions use arrival times from the delivery log, so they are exact on any
            // wire.
            let on_time = timing::within_a_millisecond(first.at, prediction.at);
            if !on_time || !prediction.routers.contains(&first.router) {
                return Err(Violation {
                    property: prediction.property,
                    at: first.at,
                    detail: format!(
                        "VRID {}: {} took over at {:.3} ms; expected {} at {:.3} ms",
                        prediction.vrid,
                        self.sim.name(first.router),
                        first.at.as_secs_f64() * 1e3,
                        names(&self.sim, &prediction.routers),
                        prediction.at.as_secs_f64() * 1e3
                    ),
                });
            }
            self.outcome.timed_takeovers += 1;
        }
        if let Some(expected) =
            predict::transition_count(&self.sim, self.plan, disturbance, before, at)
        {
            let seen = check::transitions_between(&self.sim, at, bound);
            if seen != expected {
                return Err(Violation {
                    property: "a rejoining or re-prioritised router causes only the \
                               transitions preemption implies (RFC 5798 §6.4.2/§6.4.3)",
                    at: bound,
                    detail: format!("{seen} transitions, expected {expected}"),
                });
            }
        }
        Ok(())
    }

    fn choose(&mut self) -> Disturbance {
        let running: Vec<usize> = (0..self.ids.len())
            .filter(|&i| self.sim.status(self.ids[i]) == Some(RouterStatus::Running))
            .collect();
        let down: Vec<usize> = (0..self.ids.len())
            .filter(|i| !running.contains(i))
            .collect();
        let master = self.master_router(1);
        loop {
            let roll = self.rng.below(112);
            let pick_running = |rng: &mut SimRng| {
                if let Some(master) = master.filter(|_| rng.chance(0.6)) {
                    return Some(master);
                }
                rng.pick(&running).map(|&i| self.ids[i])
            };
            let choice = match roll {
                0..=14 if running.len() > 1 => pick_running(&mut self.rng).map(Disturbance::Crash),
                15..=29 if running.len() > 1 => pick_running(&mut self.rng).map(Disturbance::Stop),
                30..=49 => self
                    .rng
                    .pick(&down)
                    .map(|&i| Disturbance::Restart(self.ids[i])),
                50..=59 if !self.partitioned && self.ids.len() > 1 => Some(Disturbance::Partition),
                60..=69 if self.partitioned => Some(Disturbance::Heal),
                70..=84 => pick_running(&mut self.rng)
                    .map(|router| Disturbance::Tracker(router, self.tracker_down[router.index()])),
                85..=92 => {
                    let index = self.rng.below(self.ids.len() as u64) as usize;
                    Some(Disturbance::Link(self.ids[index], self.link_down[index]))
                }
                93..=99 => Some(Disturbance::LossBurst),
                100..=105 => master.map(Disturbance::VipRemoved),
                106..=111 => pick_running(&mut self.rng).map(Disturbance::Reload),
                _ => None,
            };
            if let Some(choice) = choice {
                return choice;
            }
        }
    }

    /// Applies a disturbance; returns the time settling is measured from.
    fn apply(&mut self, disturbance: Disturbance) -> Result<Duration, Violation> {
        let sim = &mut self.sim;
        match disturbance {
            Disturbance::Crash(router) => sim.crash(router),
            Disturbance::Stop(router) => sim.stop(router),
            Disturbance::Restart(router) => sim.start(router),
            Disturbance::Partition => {
                let mut left = Vec::new();
                let mut right = Vec::new();
                for &router in &self.ids {
                    if self.rng.chance(0.5) {
                        left.push(router);
                    } else {
                        right.push(router);
                    }
                }
                if left.is_empty() {
                    left.push(right.remove(0));
                } else if right.is_empty() {
                    right.push(left.remove(0));
                }
                self.partitioned = true;
                sim.partition(self.lan, &[&left, &right])
            }
            Disturbance::Heal => {
                self.partitioned = false;
                sim.heal(self.lan)
            }
            Disturbance::Tracker(router, up) => {
                self.tracker_down[router.index()] = !up;
                let status = if up {
                    TrackerStatus::Up
                } else {
                    TrackerStatus::Down
                };
                sim.set_tracker(router, TRACKER, status)
            }
            Disturbance::Link(router, up) => {
                self.link_down[router.index()] = !up;
                sim.set_link(router, INTERFACE, up)
            }
            Disturbance::VipRemoved(router) => {
                sim.remove_address_externally(router, build::vip_in(self.plan.family, 1))
            }
            Disturbance::Reload(router) => {
                let config = self.plan.router_config(router.index());
                sim.reload(router, config)
            }
            Disturbance::LossBurst => {
                let loss = self.rng.range(30, 100) as f64 / 100.0;
                let length = self.plan.max_interval() * (self.rng.range(1, 6) as u32);
                sim.set_profile(self.lan, self.plan.profile.with_loss(loss))
                    .map_err(sim_violation)?;
                let end = sim.now() + length;
                self.run_checked(end)?;
                self.sim.set_profile(self.lan, self.plan.profile)
            }
        }
        .map_err(sim_violation)?;
        Ok(self.sim.now())
    }

    fn describe(&self, disturbance: Disturbance) -> String {
        let name = |router: RouterId| self.sim.name(router).to_string();
        match disturbance {
            Disturbance::Crash(router) => format!("crash {}", name(router)),
            Disturbance::Stop(router) => format!("graceful stop of {}", name(router)),
            Disturbance::Restart(router) => format!("restart {}", name(router)),
            Disturbance::Partition => "partition the LAN".to_string(),
            Disturbance::Heal => "heal the LAN".to_string(),
            Disturbance::Tracker(router, up) => format!(
                "{} priority {} by {}",
                name(router),
                if up { "back up" } else { "down" },
                build::TRACKER_WEIGHT
            ),
            Disturbance::Link(router, up) => {
                format!("link {} {}", name(router), if up { "up" } else { "down" })
            }
            Disturbance::LossBurst => "loss burst".to_string(),
            Disturbance::Reload(router) => format!("{} reloads an unchanged config", name(router)),
            Disturbance::VipRemoved(router) => format!(
                "another program deletes {} from {}",
                build::vip_in(self.plan.family, 1),
                name(router)
            ),
        }
    }

    fn master_router(&self, vrid: u8) -> Option<RouterId> {
        self.ids
            .iter()
            .copied()
            .find(|&router| self.sim.state(router, &format!("VI_{vrid}")) == Some(State::Master))
    }
}

/// The state of the world just before a disturbance.
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    /// (router, vrid, state, effective priority) of every running instance.
    pub(crate) instances: Vec<(RouterId, u8, State, u8)>,
    /// The LAN.
    pub(crate) lan: SegmentId,
    /// Components of the LAN.
    pub(crate) components: Vec<Vec<RouterId>>,
}

impl Snapshot {
    fn take(sim: &Sim, lan: SegmentId, vrids: &[u8]) -> Snapshot {
        let mut instances = Vec::new();
        for router in sim.router_ids() {
            for &vrid in vrids {
                if let Some(instance) = sim.instance(router, &format!("VI_{vrid}")) {
                    instances.push((
                        router,
                        vrid,
                        instance.state(),
                        instance.effective_priority(),
                    ));
                }
            }
        }
        Snapshot {
            instances,
            lan,
            components: sim.components(lan),
        }
    }

    pub(crate) fn component_of(&self, router: RouterId) -> Option<&Vec<RouterId>> {
        self.components.iter().find(|c| c.contains(&router))
    }

    pub(crate) fn state(&self, router: RouterId, vrid: u8) -> Option<(State, u8)> {
        self.instances
            .iter()
            .find(|(r, v, _, _)| *r == router && *v == vrid)
            .map(|(_, _, state, priority)| (*state, *priority))
    }

    pub(crate) fn master(&self, component: &[RouterId], vrid: u8) -> Option<RouterId> {
        component.iter().copied().find(|&router| {
            self.state(router, vrid)
                .is_some_and(|(state, _)| state == State::Master)
        })
    }
}

fn sim_violation(error: crate::SimError) -> Violation {
    Violation {
        property: "the simulator runs (no livelock, valid requests)",
        at: Duration::ZERO,
        detail: error.to_string(),
    }
}

fn names(sim: &Sim, routers: &[RouterId]) -> String {
    routers
        .iter()
        .map(|router| sim.name(*router))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Whether a delivery reached its receiver.
pub(crate) fn delivered(fate: Fate) -> bool {
    fate == Fate::Delivered
}
