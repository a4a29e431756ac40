//! Properties of a run, each citing the RFC or spec rule it enforces. Each returns the first
//! violation found, with the virtual time and enough detail to find it in the timeline.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use keel_vrrp::{Family, Instance, State};

use crate::{RouterId, SegmentId, Sim};

/// A property that does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The property and the rule it comes from.
    pub property: &'static str,
    /// Virtual time of the check (or of the offending event).
    pub at: Duration,
    /// What was seen.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at {:.3} ms: {} violated: {}",
            self.at.as_secs_f64() * 1e3,
            self.property,
            self.detail
        )
    }
}

impl std::error::Error for Violation {}

/// The single-master property's name.
pub const SINGLE_MASTER: &str =
    "exactly one MASTER per VRID per connected segment (RFC 5798 §6.4, spec §3.3)";
/// The preemption property's name.
pub const PREFERRED_MASTER: &str =
    "no preempting BACKUP outranks the MASTER (RFC 5798 §6.4.2 Preempt_Mode, spec §3.3/§3.7)";
/// The address-table property's name.
pub const VIPS_FOLLOW_MASTERS: &str =
    "VIPs are installed exactly on MASTERs (RFC 5798 §6.4.1/§6.4.2, spec §3.3)";
/// The sync-group property's name.
pub const SYNC_GROUP_INTACT: &str = "sync-group members never split (spec §3.6)";
/// The VIP-overlap property's name.
pub const VIP_EXCLUSIVE: &str =
    "no VIP owned by two connected routers at once once converged (RFC 5798 §1, spec §5.1)";
/// The timer-queue property's name.
pub const DEADLINE_IS_EARLIEST: &str =
    "a router's poll_timeout is the earliest deadline of its instances (CONVENTIONS.md 2)";

/// One VRID on one connected part of a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VridView {
    /// The segment.
    pub segment: SegmentId,
    /// The routers that hear each other.
    pub component: Vec<RouterId>,
    /// Family of the instances.
    pub family: Family,
    /// The VRID.
    pub vrid: u8,
    /// Each router's instance on this segment with this VRID: (router, instance name).
    pub instances: Vec<(RouterId, String)>,
}

/// Every (segment, connected component, family, VRID) with the instances in it.
pub fn vrid_views(sim: &Sim) -> Vec<VridView> {
    let mut views = Vec::new();
    for segment in sim.segment_ids() {
        for component in sim.components(segment) {
            let mut by_vrid: BTreeMap<(u8, u8), Vec<(RouterId, String)>> = BTreeMap::new();
            let mut families = BTreeMap::new();
            for &router in &component {
                let (Some(running), Some(interface)) =
                    (sim.router(router), sim.interface_on(router, segment))
                else {
                    continue;
                };
                for instance in running.instances() {
                    let config = instance.config();
                    if config.interface != interface {
                        continue;
                    }
                    let family_key = match config.family {
                        Family::Ipv4 => 4,
                        Family::Ipv6 => 6,
                    };
                    families.insert((family_key, config.vrid), config.family);
                    by_vrid
                        .entry((family_key, config.vrid))
                        .or_default()
                        .push((router, instance.name().to_string()));
                }
            }
            for (key, instances) in by_vrid {
                views.push(VridView {
                    segment,
                    component: component.clone(),
                    family: families[&key],
                    vrid: key.1,
                    instances,
                });
            }
        }
    }
    views
}

/// RFC 5798 §6.4 / spec §3.3: in every connected part of every segment, each VRID has exactly
/// one MASTER among instances that are in BACKUP or MASTER (none when all are down or in
/// FAULT).
pub fn single_master(sim: &Sim) -> Result<(), Violation> {
    for view in vrid_views(sim) {
        let states: Vec<(RouterId, State)> = view
            .instances
            .iter()
            .filter_map(|(router, name)| Some((*router, sim.state(*router, name)?)))
            .collect();
        let candidates = states
            .iter()
            .filter(|(_, state)| matches!(state, State::Backup | State::Master))
            .count();
        let masters: Vec<&str> = states
            .iter()
            .filter(|(_, state)| *state == State::Master)
            .map(|(router, _)| sim.name(*router))
            .collect();
        let expected = usize::from(candidates > 0);
        if masters.len() != expected {
            return Err(Violation {
                property: SINGLE_MASTER,
                at: sim.now(),
                detail: format!(
                    "VRID {} on {} among {{{}}}: masters {:?}",
                    view.vrid,
                    sim.segment_name(view.segment),
                    names(sim, &view.component),
                    masters
                ),
            });
        }
    }
    Ok(())
}

/// RFC 5798 §6.4.2 (Preempt_Mode) / spec §3.3, §3.7: once converged, no BACKUP that may
/// preempt has a higher effective priority than its MASTER (equal priority never preempts).
/// spec §3.6: a sync-group member is exempt while another member of its group is content
/// under its own master — the group goes MASTER only when every member wants to.
pub fn preferred_master(sim: &Sim) -> Result<(), Violation> {
    let views = vrid_views(sim);
    for view in &views {
        let Some((master_router, master)) = master_of(sim, view) else {
            continue;
        };
        for (router, name) in &view.instances {
            let Some(backup) = sim.instance(*router, name) else {
                continue;
            };
            if !outranks(backup, master) || held_by_group(sim, &views, *router, name) {
                continue;
            }
            return Err(Violation {
                property: PREFERRED_MASTER,
                at: sim.now(),
                detail: format!(
                    "VRID {}: {} (prio {}) is BACKUP under {} (prio {})",
                    view.vrid,
                    sim.name(*router),
                    backup.effective_priority(),
                    sim.name(master_router),
                    master.effective_priority()
                ),
            });
        }
    }
    Ok(())
}

/// The MASTER instance of a view, if any.
fn master_of<'a>(sim: &'a Sim, view: &VridView) -> Option<(RouterId, &'a Instance)> {
    view.instances.iter().find_map(|(router, name)| {
        let instance = sim.instance(*router, name)?;
        (instance.state() == State::Master).then_some((*router, instance))
    })
}

/// A BACKUP that would preempt `master` (RFC 5798 §6.4.2: higher priority, Preempt_Mode).
fn outranks(backup: &Instance, master: &Instance) -> bool {
    backup.state() == State::Backup
        && !backup.config().nopreempt
        && backup.effective_priority() > master.effective_priority()
}

/// Whether another member of `instance`'s sync group on `router` accepts its master, which
/// keeps the whole group BACKUP (spec §3.6 "prefers backup").
fn held_by_group(sim: &Sim, views: &[VridView], router: RouterId, instance: &str) -> bool {
    let Some(running) = sim.router(router) else {
        return false;
    };
    let Some(group) = running
        .groups()
        .iter()
        .find(|group| group.config().members.iter().any(|m| m == instance))
    else {
        return false;
    };
    group.config().members.iter().any(|member| {
        if member == instance {
            return false;
        }
        let Some(own) = running.instance(member) else {
            return false;
        };
        let view = views.iter().find(|view| {
            view.instances
                .iter()
                .any(|(r, n)| *r == router && n == member)
        });
        let master = view.and_then(|view| master_of(sim, view));
        master.is_some_and(|(_, master)| !outranks(own, master))
    })
}

/// Every running router's [`keel_vrrp::Router::poll_timeout`] (its deadline queue) equals
/// the earliest deadline found by scanning its instances, the computation the queue
/// replaced: the test-only oracle that keeps the queue honest in every random world.
pub fn deadline_is_earliest(sim: &Sim) -> Result<(), Violation> {
    for router in sim.router_ids() {
        let Some(running) = sim.router(router) else {
            continue;
        };
        let scanned = running
            .instances()
            .iter()
            .filter_map(Instance::poll_timeout)
            .min();
        let queued = running.poll_timeout();
        if queued != scanned {
            return Err(Violation {
                property: DEADLINE_IS_EARLIEST,
                at: sim.now(),
                detail: format!(
                    "{}: poll_timeout {queued:?}, scan of the instances {scanned:?}",
                    sim.name(router)
                ),
            });
        }
    }
    Ok(())
}

/// RFC 5798 §6.4.1/§6.4.2, spec §3.3: each running router's fake kernel holds exactly the
/// VIPs (and excluded VIPs) of its MASTER instances.
pub fn vips_follow_masters(sim: &Sim) -> Result<(), Violation> {
    for router in sim.router_ids() {
        let Some(running) = sim.router(router) else {
            continue;
        };
        let mut expected: Vec<IpAddr> = running
            .instances()
            .iter()
            .filter(|instance| instance.state() == State::Master)
            .flat_map(|instance| instance.config().all_addresses())
            .collect();
        expected.sort();
        expected.dedup();
        let actual = sim.addresses(router);
        if actual != expected {
            return Err(Violation {
                property: VIPS_FOLLOW_MASTERS,
                at: sim.now(),
                detail: format!(
                    "{} holds {:?}, its MASTER instances own {:?}",
                    sim.name(router),
                    actual,
                    expected
                ),
            });
        }
    }
    Ok(())
}

/// spec §3.6: on every running router, all members of a sync group are in the same state.
pub fn sync_groups_intact(sim: &Sim) -> Result<(), Violation> {
    for router in sim.router_ids() {
        let Some(running) = sim.router(router) else {
            continue;
        };
        for group in running.groups() {
            let states: Vec<(String, State)> = group
                .config()
                .members
                .iter()
                .filter_map(|member| Some((member.clone(), running.instance(member)?.state())))
                .collect();
            if states.windows(2).any(|pair| pair[0].1 != pair[1].1) {
                return Err(Violation {
                    property: SYNC_GROUP_INTACT,
                    at: sim.now(),
                    detail: format!(
                        "{} group {}: {}",
                        sim.name(router),
                        group.name(),
                        states
                            .iter()
                            .map(|(name, state)| format!("{name} {}", state.as_str()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
        }
    }
    Ok(())
}

/// RFC 5798 §1 (one router forwards for the virtual router), spec §5 pain point 1: between
/// `from` and `to` no VIP was installed on two routers that were connected (on some segment,
/// as of now) at the same time.
pub fn vip_exclusive(sim: &Sim, from: Duration, to: Duration) -> Result<(), Violation> {
    let spans: Vec<_> = sim
        .ownership()
        .iter()
        .filter(|span| span.from <= to && span.until.is_none_or(|until| until > from))
        .collect();
    for (index, a) in spans.iter().enumerate() {
        for b in &spans[index + 1..] {
            if a.address != b.address || a.router == b.router {
                continue;
            }
            let connected = sim
                .segment_ids()
                .any(|segment| sim.connected(segment, a.router, b.router));
            if !connected {
                continue;
            }
            if let Some((start, end)) = a.overlap(b, from, to) {
                return Err(Violation {
                    property: VIP_EXCLUSIVE,
                    at: start,
                    detail: format!(
                        "{} held by {} and {} from {:.3} ms to {:.3} ms",
                        a.address,
                        sim.name(a.router),
                        sim.name(b.router),
                        start.as_secs_f64() * 1e3,
                        end.as_secs_f64() * 1e3
                    ),
                });
            }
        }
    }
    Ok(())
}

/// Every check that must hold once a run has converged: single master, preferred master,
/// VIPs on masters, sync groups intact.
pub fn converged(sim: &Sim) -> Result<(), Violation> {
    single_master(sim)?;
    preferred_master(sim)?;
    vips_follow_masters(sim)?;
    sync_groups_intact(sim)
}

/// Transitions (other than leaving INIT) with `from <= at < to`.
pub fn transitions_between(sim: &Sim, from: Duration, to: Duration) -> usize {
    sim.transitions()
        .iter()
        .filter(|t| t.at >= from && t.at < to && t.from != State::Init)
        .count()
}

fn names(sim: &Sim, routers: &[RouterId]) -> String {
    routers
        .iter()
        .map(|router| sim.name(*router))
        .collect::<Vec<_>>()
        .join(",")
}
