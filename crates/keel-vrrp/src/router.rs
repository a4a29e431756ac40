//! All instances and sync groups of one daemon, driven with the same handle/poll pattern as a
//! single [`Instance`]. The daemon and the simulator both use this level.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use crate::action::{Action, NotifyState};
use crate::config::{Family, InstanceConfig};
use crate::deadlines::Deadlines;
use crate::error::ConfigError;
use crate::fsm::State;
use crate::group::{SyncGroup, SyncGroupConfig};
use crate::input::{Input, MalformedKind, ReceivedAdvert};
use crate::instance::Instance;
use crate::lookup::Lookup;
use crate::priority::{TrackerId, TrackerStatus};
use crate::stats::Stats;
use crate::timers::Timer;

/// Everything one daemon runs: `vrrp_instance` and `vrrp_sync_group` blocks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RouterConfig {
    /// Instances.
    pub instances: Vec<InstanceConfig>,
    /// Sync groups over those instances.
    pub sync_groups: Vec<SyncGroupConfig>,
}

/// An input for the whole router; routed to instances by (interface, family, VRID), by
/// interface, or by tracker id.
#[derive(Debug, Clone, PartialEq)]
pub enum RouterInput {
    /// Start every instance.
    Start,
    /// Stop every instance (daemon shutdown).
    Stop,
    /// An advert received on `interface`.
    Advert {
        /// Receiving interface.
        interface: String,
        /// The decoded advert.
        advert: ReceivedAdvert,
    },
    /// An undecodable packet for a known VRID on `interface`.
    Malformed {
        /// Receiving interface.
        interface: String,
        /// Family of the socket.
        family: Family,
        /// VRID from the header.
        vrid: u8,
        /// What was wrong.
        kind: MalformedKind,
    },
    /// An interface went up or down.
    LinkChanged {
        /// Interface name.
        interface: String,
        /// New state.
        up: bool,
    },
    /// A tracker result, for every instance that tracks `id`.
    Tracker {
        /// Tracker.
        id: TrackerId,
        /// Raw result.
        status: TrackerStatus,
    },
    /// An address vanished from `interface` without us removing it.
    AddressRemovedExternally {
        /// Interface name.
        interface: String,
        /// The address.
        address: IpAddr,
    },
    /// A reloaded configuration.
    Reload(RouterConfig),
}

/// Who an action comes from. The daemon looks up interfaces and scripts through it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An instance.
    Instance {
        /// Instance name.
        name: Arc<str>,
        /// Its interface.
        interface: Arc<str>,
    },
    /// A sync group.
    Group {
        /// Group name.
        name: Arc<str>,
    },
}

/// An action and where it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct RouterAction {
    /// The instance or group.
    pub source: Source,
    /// What to do.
    pub action: Action,
}

/// All instances and groups of one daemon.
#[derive(Debug, Clone)]
pub struct Router {
    instances: Vec<Instance>,
    sources: Vec<Source>,
    /// For each instance, the index of its group.
    group_of: Vec<Option<usize>>,
    groups: Vec<SyncGroup>,
    actions: VecDeque<RouterAction>,
    started: bool,
    /// Finds instances by (interface, family, VRID), interface or tracker without a scan.
    lookup: Lookup,
    /// Each instance's earliest deadline, kept current by [`Router::drain`].
    deadlines: Deadlines,
    /// Counts [`Router::handle_timeout`] calls, so each call handles an instance once.
    timeout_round: u64,
    /// For each instance, the last `timeout_round` that handled it.
    handled_in_round: Vec<u64>,
}

impl Router {
    /// Builds every instance (in INIT) and group. Nothing runs until [`RouterInput::Start`].
    pub fn new(config: RouterConfig, now: Instant) -> Result<Self, ConfigError> {
        let RouterConfig {
            mut instances,
            sync_groups,
        } = config;
        check_unique(&instances)?;
        let mut group_of = vec![None; instances.len()];
        let mut member_lists = Vec::new();
        for (group_index, group) in sync_groups.iter().enumerate() {
            let mut members = Vec::new();
            for member in &group.members {
                let position = instances.iter().position(|i| &i.name == member);
                let Some(index) = position.filter(|&index| group_of[index].is_none()) else {
                    return Err(ConfigError::BadGroupMember {
                        group: group.name.clone(),
                        instance: member.clone(),
                    });
                };
                group_of[index] = Some(group_index);
                members.push(index);
                apply_group_trackers(&mut instances[index], group);
            }
            member_lists.push(members);
        }
        let mut built = Vec::with_capacity(instances.len());
        for config in instances {
            built.push(Instance::new(config, now)?);
        }
        for (index, group) in group_of.iter().enumerate() {
            built[index].sync.member = group.is_some();
        }
        let groups = sync_groups
            .into_iter()
            .zip(member_lists)
            .map(|(config, members)| SyncGroup::new(config, members))
            .collect();
        Ok(Router {
            sources: built.iter().map(source_of).collect(),
            lookup: Lookup::build(&built),
            deadlines: Deadlines::new(built.len()),
            timeout_round: 0,
            handled_in_round: vec![0; built.len()],
            instances: built,
            group_of,
            groups,
            actions: VecDeque::new(),
            started: false,
        })
    }

    /// Processes one input at `now`. Drain [`Router::poll_action`] afterwards.
    pub fn handle(&mut self, now: Instant, input: RouterInput) {
        match input {
            RouterInput::Start => {
                self.started = true;
                self.dispatch_all(now, &Input::Start);
            }
            RouterInput::Stop => self.dispatch_all(now, &Input::Stop),
            RouterInput::Advert { interface, advert } => {
                self.handle_advert(now, &interface, &advert);
            }
            RouterInput::Malformed {
                interface,
                family,
                vrid,
                kind,
            } => {
                if let Some(index) = self.find(&interface, family, vrid) {
                    self.instances[index].handle(now, Input::Malformed(kind));
                    self.settle(now, index);
                }
            }
            RouterInput::LinkChanged { interface, up } => {
                let targets = self.lookup.on_interface(&interface).to_vec();
                self.dispatch(now, &targets, &Input::LinkChanged { up });
            }
            RouterInput::Tracker { id, status } => {
                let targets = self.lookup.tracking(&id).to_vec();
                self.dispatch(now, &targets, &Input::Tracker { id, status });
            }
            RouterInput::AddressRemovedExternally { interface, address } => {
                let targets = self.lookup.on_interface(&interface).to_vec();
                self.dispatch(now, &targets, &Input::AddressRemovedExternally(address));
            }
            RouterInput::Reload(config) => {
                if let Err(error) = self.reload(now, config) {
                    for instance in &mut self.instances {
                        instance.warnings.push(format!("reload rejected: {error}"));
                    }
                }
            }
        }
    }

    /// Routes an advert by (interface, family of its source, VRID) without moving it: the
    /// receive hot path. Returns false when no instance has that VRID (keepalived's
    /// `log_unknown_vrids` case).
    pub fn handle_advert(
        &mut self,
        now: Instant,
        interface: &str,
        advert: &ReceivedAdvert,
    ) -> bool {
        let Some(index) = self.find(interface, Family::of(advert.source), advert.vrid) else {
            return false;
        };
        self.instances[index].handle_advert(now, advert);
        self.settle(now, index);
        true
    }

    /// Call when the deadline from [`Router::poll_timeout`] has passed. Handles every
    /// instance that is due, earliest deadline first, each at most once per call; an
    /// instance that is due again at once (a zero interval) waits for the next call, which
    /// [`Router::poll_timeout`] asks for by returning a deadline at or before `now`.
    ///
    /// Cost: O(log n) per due instance, nothing for the others; no allocation when the
    /// actions queue has room.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.timeout_round += 1;
        while let Some((deadline, index)) = self.deadlines.earliest() {
            if deadline > now || self.handled_in_round[index] == self.timeout_round {
                break;
            }
            self.handled_in_round[index] = self.timeout_round;
            self.instances[index].handle_timeout(now);
            self.settle(now, index);
        }
    }

    /// The earliest deadline of all instances and groups, in O(1): call it after every
    /// `handle*` call to know when to call [`Router::handle_timeout`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadlines.earliest().map(|(deadline, _)| deadline)
    }

    /// [`Router::poll_timeout`] with the kind of timer that is due then, in O(1): lets the
    /// daemon spend extra effort on waking precisely only for what needs it, a BACKUP's
    /// takeover ([`Timer::MasterDown`], RFC 5798 §6.4.2), and not for every advert.
    pub fn next_timer(&self) -> Option<(Instant, Timer)> {
        let (_, index) = self.deadlines.earliest()?;
        self.instances[index].timers.next_timer()
    }

    /// [`Router::next_timer`] with the index (in [`Router::instances`]) of the instance
    /// it belongs to.
    pub fn next_timer_of(&self) -> Option<(Instant, Timer, usize)> {
        let (_, index) = self.deadlines.earliest()?;
        let (deadline, timer) = self.instances[index].timers.next_timer()?;
        Some((deadline, timer, index))
    }

    /// The index (in [`Router::instances`]) of the instance with `vrid` of `family` on
    /// `interface`, found as [`Router::handle_advert`] finds it.
    pub fn locate(&self, interface: &str, family: Family, vrid: u8) -> Option<usize> {
        self.find(interface, family, vrid)
    }

    /// [`Router::handle_advert`] for instance `index` (in [`Router::instances`]), already
    /// located: the daemon hands over an advert it cached for that instance.
    pub fn handle_advert_at(&mut self, index: usize, now: Instant, advert: &ReceivedAdvert) {
        if index < self.instances.len() {
            self.instances[index].handle_advert(now, advert);
            self.settle(now, index);
        }
    }

    /// Counts `count` adverts as received by instance `index` that the daemon did not hand
    /// over one by one: repeats of one it did, absorbed in the kernel (issue 4), each of
    /// which would have passed the same checks (spec §4.2 `advert_rcvd`).
    pub fn count_received(&mut self, index: usize, count: u64) {
        if let Some(instance) = self.instances.get_mut(index) {
            instance.stats.advert_rcvd += count;
        }
    }

    /// The next action, in order.
    pub fn poll_action(&mut self) -> Option<RouterAction> {
        let action = self.actions.pop_front();
        if action.is_none() {
            // Start (every instance transitions at once) leaves room for thousands of
            // actions, 0.9 MB at 510 instances (issue 4: RSS); steady state needs about one
            // per instance per interval.
            crate::instance::release_burst(&mut self.actions, self.instances.len().max(64));
        }
        action
    }

    /// Replaces the configuration: instances are matched by name; unchanged ones keep their
    /// state, changed ones are reloaded in place, new ones start, removed ones stop with a
    /// `DELETED` (with `notify_deleted`) or `FAULT` notification (spec §3.8).
    pub fn reload(&mut self, now: Instant, config: RouterConfig) -> Result<(), ConfigError> {
        // Validate the whole new configuration before touching anything.
        let mut fresh = Router::new(config, now)?;
        let mut old: Vec<Option<Instance>> = std::mem::take(&mut self.instances)
            .into_iter()
            .map(Some)
            .collect();
        for index in 0..fresh.instances.len() {
            let new_config = fresh.instances[index].config.clone();
            let member = fresh.instances[index].sync.member;
            let same = old.iter().position(|slot| {
                slot.as_ref().is_some_and(|o| {
                    o.config.name == new_config.name
                        && o.config.interface == new_config.interface
                        && o.config.family == new_config.family
                        && o.config.vrid == new_config.vrid
                })
            });
            if let Some(position) = same {
                let Some(mut running) = old[position].take() else {
                    continue;
                };
                running.sync.member = member;
                // Router::new validated this config and the identity matches, so the reload
                // cannot be refused; if it were, the instance keeps running unchanged.
                if let Err(error) = running.apply_reload(now, new_config) {
                    running.warnings.push(format!("reload rejected: {error}"));
                } else {
                    // Router::new already applied (and reported) keepalived's corrections.
                    running.warnings = fresh.instances[index].warnings.clone();
                }
                fresh.instances[index] = running;
            } else if self.started {
                fresh.instances[index].handle(now, Input::Start);
            }
        }
        for mut removed in old.into_iter().flatten() {
            let source = source_of(&removed);
            if removed.state == State::Master {
                removed.release_master(true, true);
            }
            let state = if removed.config.notify.deleted.is_some() {
                NotifyState::Deleted
            } else {
                NotifyState::Fault
            };
            removed.notify(state);
            while let Some(action) = removed.poll_action() {
                self.actions.push_back(RouterAction {
                    source: source.clone(),
                    action,
                });
            }
        }
        // Keep group states so an unchanged group does not re-notify.
        for group in &mut fresh.groups {
            if let Some(old_group) = self
                .groups
                .iter()
                .find(|g| g.config.name == group.config.name)
            {
                group.state = old_group.state;
            }
        }
        fresh.started = self.started;
        fresh.actions = std::mem::take(&mut self.actions);
        // The running instances that replaced fresh ones carry their own trackers.
        fresh.lookup = Lookup::build(&fresh.instances);
        *self = fresh;
        for index in 0..self.instances.len() {
            self.settle(now, index);
        }
        Ok(())
    }

    /// Every instance.
    pub fn instances(&self) -> &[Instance] {
        &self.instances
    }

    /// The instance called `name`.
    pub fn instance(&self, name: &str) -> Option<&Instance> {
        self.instances
            .iter()
            .find(|instance| instance.config.name == name)
    }

    /// Every sync group.
    pub fn groups(&self) -> &[SyncGroup] {
        &self.groups
    }

    /// Zeroes every instance's counters: keepalived's STATS_CLEAR signal (SIGRTMAX-1,
    /// spec §4: "write stats, zero counters"). Call it right after writing
    /// `keepalived.stats`; states, timers and everything else are untouched.
    pub fn clear_stats(&mut self) {
        for instance in &mut self.instances {
            instance.stats = Stats::default();
        }
    }

    fn find(&self, interface: &str, family: Family, vrid: u8) -> Option<usize> {
        self.lookup.find(interface, family, vrid)
    }

    fn dispatch(&mut self, now: Instant, targets: &[usize], input: &Input) {
        for &index in targets {
            self.instances[index].handle(now, input.clone());
            self.settle(now, index);
        }
    }

    fn dispatch_all(&mut self, now: Instant, input: &Input) {
        let all: Vec<usize> = (0..self.instances.len()).collect();
        self.dispatch(now, &all, input);
    }

    /// Runs the instance's group rules and moves queued actions to the router queue.
    fn settle(&mut self, now: Instant, index: usize) {
        let Some(group_index) = self.group_of[index] else {
            self.drain(index);
            return;
        };
        let group_actions = self.groups[group_index].settle(now, &mut self.instances, index);
        for position in 0..self.groups[group_index].members.len() {
            let member = self.groups[group_index].members[position];
            self.drain(member);
        }
        let source = Source::Group {
            name: Arc::clone(&self.groups[group_index].name),
        };
        for action in group_actions {
            self.actions.push_back(RouterAction {
                source: source.clone(),
                action,
            });
        }
    }

    /// Moves the instance's queued actions to the router queue and re-files its deadline.
    /// Every path that touches an instance ends here, which keeps [`Deadlines`] current.
    fn drain(&mut self, index: usize) {
        while let Some(action) = self.instances[index].poll_action() {
            self.actions.push_back(RouterAction {
                source: self.sources[index].clone(),
                action,
            });
        }
        self.deadlines
            .set(index, self.instances[index].poll_timeout());
    }
}

fn source_of(instance: &Instance) -> Source {
    Source::Instance {
        name: instance.config.name.as_str().into(),
        interface: instance.config.interface.as_str().into(),
    }
}

fn check_unique(instances: &[InstanceConfig]) -> Result<(), ConfigError> {
    for (index, a) in instances.iter().enumerate() {
        for b in &instances[..index] {
            if a.name == b.name {
                return Err(ConfigError::DuplicateInstance {
                    instance: a.name.clone(),
                });
            }
            if a.interface == b.interface && a.family == b.family && a.vrid == b.vrid {
                return Err(ConfigError::DuplicateVrid {
                    instance: a.name.clone(),
                    other: b.name.clone(),
                    interface: a.interface.clone(),
                    vrid: a.vrid,
                });
            }
        }
    }
    Ok(())
}

/// spec §3.6: member trackers must have weight 0 (others are ignored) unless
/// `sync_group_tracking_weight`; group-level trackers apply to every member.
fn apply_group_trackers(instance: &mut InstanceConfig, group: &SyncGroupConfig) {
    if !group.tracking_weight {
        instance.trackers.retain(|tracker| tracker.weight == 0);
    }
    for tracker in &group.trackers {
        if !instance.trackers.iter().any(|t| t.id == tracker.id) {
            instance.trackers.push(tracker.clone());
        }
    }
}
