//! The simulator: topology, disturbances and queries. Driving (virtual time, deliveries,
//! carrying out actions) lives in `drive.rs`.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use keel_vrrp::{Instance, Router, RouterConfig, RouterInput, State, TrackerId, TrackerStatus};

use crate::error::SimError;
use crate::network::{LinkProfile, Segment, SegmentId};
use crate::record::{AdvertRecord, DeliveryRecord, OwnershipSpan, TransitionRecord};
use crate::rng::SimRng;
use crate::timeline::{Event, Timeline};

/// Identifies a router of a [`Sim`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RouterId(pub(crate) usize);

impl RouterId {
    /// The router's index, in creation order.
    pub fn index(self) -> usize {
        self.0
    }
}

/// Whether a router's daemon runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouterStatus {
    /// Created, never started.
    NotStarted,
    /// The daemon runs.
    Running,
    /// Died silently (power loss, kill -9): no goodbye advert, VIPs gone with the machine.
    Crashed,
    /// Stopped gracefully (SIGTERM): sent its priority-0 adverts and released its VIPs.
    Stopped,
}

/// A deterministic world of VRRP routers on virtual L2 segments.
///
/// Each router is a real [`keel_vrrp::Router`]. Time is virtual: it only moves in
/// [`Sim::step`] / [`Sim::run_until`], jumping from one deadline or delivery to the next, so a
/// minute of VRRP runs in microseconds and every run replays exactly from its seed.
pub struct Sim {
    pub(crate) seed: u64,
    /// The Instant that stands for virtual time zero. keel-vrrp only compares and offsets
    /// Instants, so any origin works; offsets from it are exact.
    pub(crate) base: Instant,
    pub(crate) now: Duration,
    pub(crate) rng: SimRng,
    pub(crate) segments: Vec<Segment>,
    pub(crate) nodes: Vec<Node>,
    pub(crate) queue: BinaryHeap<Reverse<crate::drive::Queued>>,
    pub(crate) sequence: u64,
    pub(crate) steps_at_now: u64,
    pub(crate) timeline: Timeline,
    pub(crate) transitions: Vec<TransitionRecord>,
    pub(crate) adverts: Vec<AdvertRecord>,
    pub(crate) deliveries: Vec<DeliveryRecord>,
    pub(crate) ownership: Vec<OwnershipSpan>,
    pub(crate) gratuitous_sent: u64,
}

/// One simulated machine: the keel-vrrp router plus its fake kernel.
pub(crate) struct Node {
    pub(crate) name: Arc<str>,
    pub(crate) config: RouterConfig,
    pub(crate) router: Option<Router>,
    pub(crate) status: RouterStatus,
    /// The fake kernel address table: VIPs installed now, with their open ownership span.
    pub(crate) addresses: BTreeMap<IpAddr, usize>,
    pub(crate) links_down: BTreeSet<String>,
    /// The last result of each tracker, replayed to a restarted daemon (its scripts and
    /// interface watchers report the current state again).
    pub(crate) trackers: BTreeMap<String, TrackerStatus>,
    /// Interface → segment.
    pub(crate) attachments: BTreeMap<String, SegmentId>,
    /// Instance name → VRID, for transition records.
    pub(crate) vrids: BTreeMap<String, u8>,
}

impl Sim {
    /// An empty world whose random choices all derive from `seed`.
    pub fn new(seed: u64) -> Self {
        Sim {
            seed,
            // keel-sim is test tooling at the edge, not a core crate: it may read the clock,
            // once, to get an origin for virtual time. Nothing depends on its value.
            base: Instant::now(),
            now: Duration::ZERO,
            rng: SimRng::new(seed),
            segments: Vec::new(),
            nodes: Vec::new(),
            queue: BinaryHeap::new(),
            sequence: 0,
            steps_at_now: 0,
            timeline: Timeline::default(),
            transitions: Vec::new(),
            adverts: Vec::new(),
            deliveries: Vec::new(),
            ownership: Vec::new(),
            gratuitous_sent: 0,
        }
    }

    /// Adds an L2 segment with a wire profile.
    pub fn add_segment(&mut self, name: &str, profile: LinkProfile) -> SegmentId {
        self.segments.push(Segment::new(name, profile));
        SegmentId(self.segments.len() - 1)
    }

    /// Adds a router (not started). The configuration is checked by building a keel-vrrp
    /// router from it, so a config keel refuses is an error here too.
    pub fn add_router(&mut self, name: &str, config: RouterConfig) -> Result<RouterId, SimError> {
        if self.nodes.iter().any(|node| &*node.name == name) {
            return Err(SimError::DuplicateRouter(name.to_string()));
        }
        Router::new(config.clone(), self.instant(self.now)).map_err(|source| SimError::Config {
            router: name.to_string(),
            source,
        })?;
        let vrids = config
            .instances
            .iter()
            .map(|instance| (instance.name.clone(), instance.vrid))
            .collect();
        self.nodes.push(Node {
            name: name.into(),
            config,
            router: None,
            status: RouterStatus::NotStarted,
            addresses: BTreeMap::new(),
            links_down: BTreeSet::new(),
            trackers: BTreeMap::new(),
            attachments: BTreeMap::new(),
            vrids,
        });
        Ok(RouterId(self.nodes.len() - 1))
    }

    /// Plugs `interface` of `router` into `segment`.
    pub fn attach(
        &mut self,
        router: RouterId,
        interface: &str,
        segment: SegmentId,
    ) -> Result<(), SimError> {
        self.node(router)?;
        let seg = self
            .segments
            .get_mut(segment.0)
            .ok_or(SimError::UnknownSegment(segment.0))?;
        if seg.interface_of(router).is_some() {
            return Err(SimError::AlreadyAttached {
                router: self.nodes[router.0].name.to_string(),
                segment: seg.name.clone(),
            });
        }
        seg.members.push((router, interface.to_string()));
        self.nodes[router.0]
            .attachments
            .insert(interface.to_string(), segment);
        Ok(())
    }

    /// Starts (or restarts) a router's daemon: a fresh keel-vrrp router from its configuration,
    /// so keepalived's startup rules apply (spec §3.3 `vrrp_init_state`). No-op while running.
    pub fn start(&mut self, router: RouterId) -> Result<(), SimError> {
        self.node(router)?;
        if self.nodes[router.0].status == RouterStatus::Running {
            return Ok(());
        }
        let now = self.instant(self.now);
        let node = &mut self.nodes[router.0];
        let mut fresh =
            Router::new(node.config.clone(), now).map_err(|source| SimError::Config {
                router: node.name.to_string(),
                source,
            })?;
        // Interfaces that are down now are down for the new daemon too, and trackers report
        // their current results again.
        for interface in node.links_down.clone() {
            fresh.handle(
                now,
                RouterInput::LinkChanged {
                    interface,
                    up: false,
                },
            );
        }
        for (tracker, status) in &node.trackers {
            let id = TrackerId::new(tracker);
            fresh.handle(
                now,
                RouterInput::Tracker {
                    id,
                    status: *status,
                },
            );
        }
        fresh.handle(now, RouterInput::Start);
        node.router = Some(fresh);
        node.status = RouterStatus::Running;
        let name = Arc::clone(&node.name);
        self.log(Event::Started { router: name });
        self.carry_out(router);
        Ok(())
    }

    /// Starts every router, in creation order, at the current time.
    pub fn start_all(&mut self) -> Result<(), SimError> {
        for index in 0..self.nodes.len() {
            self.start(RouterId(index))?;
        }
        Ok(())
    }

    /// Kills a router silently: it sends nothing more, its VIPs vanish with the machine, and
    /// adverts in flight to it are lost.
    pub fn crash(&mut self, router: RouterId) -> Result<(), SimError> {
        self.node(router)?;
        let node = &mut self.nodes[router.0];
        if node.status != RouterStatus::Running {
            return Ok(());
        }
        node.router = None;
        node.status = RouterStatus::Crashed;
        let name = Arc::clone(&node.name);
        self.log(Event::Crashed {
            router: Arc::clone(&name),
        });
        let installed: Vec<IpAddr> = self.nodes[router.0].addresses.keys().copied().collect();
        for address in installed {
            self.uninstall(router, address);
        }
        Ok(())
    }

    /// Stops a router gracefully (daemon shutdown, `Input::Stop`): masters send priority 0 and
    /// remove their VIPs (spec §3.3 Stop; RFC 5798 §6.4.3).
    pub fn stop(&mut self, router: RouterId) -> Result<(), SimError> {
        self.node(router)?;
        if self.nodes[router.0].status != RouterStatus::Running {
            return Ok(());
        }
        self.input(router, RouterInput::Stop)?;
        let node = &mut self.nodes[router.0];
        node.router = None;
        node.status = RouterStatus::Stopped;
        let name = Arc::clone(&node.name);
        self.log(Event::Stopped { router: name });
        Ok(())
    }

    /// Feeds a tracker result to a router (priority change or FAULT, spec §3.5). A stopped or
    /// crashed router gets it when it starts again.
    pub fn set_tracker(
        &mut self,
        router: RouterId,
        tracker: &str,
        status: TrackerStatus,
    ) -> Result<(), SimError> {
        let name = Arc::clone(&self.node(router)?.name);
        self.nodes[router.0]
            .trackers
            .insert(tracker.to_string(), status);
        self.log(Event::Tracker {
            router: name,
            tracker: tracker.to_string(),
            status: format!("{status:?}"),
        });
        if self.nodes[router.0].status != RouterStatus::Running {
            return Ok(());
        }
        let id = TrackerId::new(tracker);
        self.input(router, RouterInput::Tracker { id, status })
    }

    /// Reloads a router's configuration (SIGHUP): the running daemon gets
    /// `RouterInput::Reload`; a stopped one starts with it next time. keel-vrrp keeps the
    /// state of unchanged instances (spec §3.8, §5 pain point 6).
    pub fn reload(&mut self, router: RouterId, config: RouterConfig) -> Result<(), SimError> {
        self.node(router)?;
        Router::new(config.clone(), self.instant(self.now)).map_err(|source| SimError::Config {
            router: self.nodes[router.0].name.to_string(),
            source,
        })?;
        let node = &mut self.nodes[router.0];
        node.vrids = config
            .instances
            .iter()
            .map(|instance| (instance.name.clone(), instance.vrid))
            .collect();
        node.config = config.clone();
        let name = Arc::clone(&node.name);
        self.log(Event::Note(format!("{name} reloads its configuration")));
        self.input(router, RouterInput::Reload(config))
    }

    /// Takes an interface down or up: it neither sends nor receives while down, and the
    /// daemon is told (FAULT, spec §3.3).
    pub fn set_link(
        &mut self,
        router: RouterId,
        interface: &str,
        up: bool,
    ) -> Result<(), SimError> {
        let node = &mut self
            .nodes
            .get_mut(router.0)
            .ok_or(SimError::UnknownRouter(router.0))?;
        let changed = if up {
            node.links_down.remove(interface)
        } else {
            node.links_down.insert(interface.to_string())
        };
        if !changed {
            return Ok(());
        }
        let name = Arc::clone(&node.name);
        self.log(Event::Link {
            router: name,
            interface: interface.to_string(),
            up,
        });
        if self.nodes[router.0].status != RouterStatus::Running {
            return Ok(());
        }
        let interface = interface.to_string();
        self.input(router, RouterInput::LinkChanged { interface, up })
    }

    /// Another program deletes a VIP from a router's interface (spec §3.3: a MASTER goes
    /// BACKUP and the re-election restores it).
    pub fn remove_address_externally(
        &mut self,
        router: RouterId,
        address: IpAddr,
    ) -> Result<(), SimError> {
        self.node(router)?;
        if !self.nodes[router.0].addresses.contains_key(&address) {
            return Ok(());
        }
        self.uninstall(router, address);
        if self.nodes[router.0].status != RouterStatus::Running {
            return Ok(());
        }
        let interfaces: Vec<String> = self.nodes[router.0]
            .config
            .instances
            .iter()
            .filter(|instance| {
                instance.virtual_addresses.contains(&address)
                    || instance.excluded_addresses.contains(&address)
            })
            .map(|instance| instance.interface.clone())
            .collect();
        for interface in interfaces {
            self.input(
                router,
                RouterInput::AddressRemovedExternally { interface, address },
            )?;
        }
        Ok(())
    }

    /// Splits a segment: routers hear each other only within one of `groups`. Attached
    /// routers not listed form one more group together.
    pub fn partition(
        &mut self,
        segment: SegmentId,
        groups: &[&[RouterId]],
    ) -> Result<(), SimError> {
        let seg = self
            .segments
            .get_mut(segment.0)
            .ok_or(SimError::UnknownSegment(segment.0))?;
        seg.groups.clear();
        let rest = groups.len() + 1;
        for (router, _) in &seg.members {
            seg.groups.insert(*router, rest);
        }
        for (index, group) in groups.iter().enumerate() {
            for router in group.iter() {
                seg.groups.insert(*router, index + 1);
            }
        }
        let mut named: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for (router, _) in &seg.members {
            named
                .entry(seg.group(*router))
                .or_default()
                .push(self.nodes[router.0].name.to_string());
        }
        let segment = seg.name.clone();
        self.log(Event::Partition {
            segment,
            groups: named.into_values().collect(),
        });
        Ok(())
    }

    /// Joins every group of a segment again.
    pub fn heal(&mut self, segment: SegmentId) -> Result<(), SimError> {
        let seg = self
            .segments
            .get_mut(segment.0)
            .ok_or(SimError::UnknownSegment(segment.0))?;
        seg.groups.clear();
        let segment = seg.name.clone();
        self.log(Event::Healed { segment });
        Ok(())
    }

    /// Changes a segment's wire (e.g. a loss burst and its end).
    pub fn set_profile(
        &mut self,
        segment: SegmentId,
        profile: LinkProfile,
    ) -> Result<(), SimError> {
        let seg = self
            .segments
            .get_mut(segment.0)
            .ok_or(SimError::UnknownSegment(segment.0))?;
        seg.profile = profile;
        let segment = seg.name.clone();
        self.log(Event::Profile {
            segment,
            profile: profile.to_string(),
        });
        Ok(())
    }

    /// Adds a free-text line to the timeline (scenario drivers mark their steps with it).
    pub fn note(&mut self, text: impl Into<String>) {
        self.log(Event::Note(text.into()));
    }

    /// The seed this world was built from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Virtual time since the start.
    pub fn now(&self) -> Duration {
        self.now
    }

    /// The Instant keel-vrrp sees for virtual time `at`.
    pub fn instant(&self, at: Duration) -> Instant {
        self.base + at
    }

    /// Virtual time of an Instant keel-vrrp returned.
    pub fn virtual_time(&self, instant: Instant) -> Duration {
        instant.saturating_duration_since(self.base)
    }

    /// Every router id, in creation order.
    pub fn router_ids(&self) -> impl Iterator<Item = RouterId> + '_ {
        (0..self.nodes.len()).map(RouterId)
    }

    /// The router called `name`.
    pub fn router_id(&self, name: &str) -> Option<RouterId> {
        self.nodes
            .iter()
            .position(|node| &*node.name == name)
            .map(RouterId)
    }

    /// A router's name (`"?"` for an id of another world).
    pub fn name(&self, router: RouterId) -> &str {
        self.nodes.get(router.0).map_or("?", |node| &node.name)
    }

    /// Whether a router's daemon runs.
    pub fn status(&self, router: RouterId) -> Option<RouterStatus> {
        self.nodes.get(router.0).map(|node| node.status)
    }

    /// The running keel-vrrp router, if the daemon runs.
    pub fn router(&self, router: RouterId) -> Option<&Router> {
        self.nodes.get(router.0)?.router.as_ref()
    }

    /// A router's configuration.
    pub fn config(&self, router: RouterId) -> Option<&RouterConfig> {
        self.nodes.get(router.0).map(|node| &node.config)
    }

    /// One instance of a running router.
    pub fn instance(&self, router: RouterId, name: &str) -> Option<&Instance> {
        self.router(router)?.instance(name)
    }

    /// The state of one instance (`None` when the router is down or has no such instance).
    pub fn state(&self, router: RouterId, instance: &str) -> Option<State> {
        self.instance(router, instance).map(Instance::state)
    }

    /// The VIPs a router's fake kernel holds now.
    pub fn addresses(&self, router: RouterId) -> Vec<IpAddr> {
        self.nodes
            .get(router.0)
            .map(|node| node.addresses.keys().copied().collect())
            .unwrap_or_default()
    }

    /// Whether `interface` of `router` is up.
    pub fn link_up(&self, router: RouterId, interface: &str) -> bool {
        self.nodes
            .get(router.0)
            .is_some_and(|node| !node.links_down.contains(interface))
    }

    /// Every segment id.
    pub fn segment_ids(&self) -> impl Iterator<Item = SegmentId> + '_ {
        (0..self.segments.len()).map(SegmentId)
    }

    /// A segment's name.
    pub fn segment_name(&self, segment: SegmentId) -> &str {
        self.segments.get(segment.0).map_or("?", |seg| &seg.name)
    }

    /// A segment's current wire profile.
    pub fn profile(&self, segment: SegmentId) -> Option<LinkProfile> {
        self.segments.get(segment.0).map(|seg| seg.profile)
    }

    /// The interface through which `router` attaches to `segment`.
    pub fn interface_on(&self, router: RouterId, segment: SegmentId) -> Option<&str> {
        self.segments.get(segment.0)?.interface_of(router)
    }

    /// Whether a packet from `a` reaches `b` over `segment` now: both attached, same
    /// partition group, both interfaces up.
    pub fn connected(&self, segment: SegmentId, a: RouterId, b: RouterId) -> bool {
        let Some(seg) = self.segments.get(segment.0) else {
            return false;
        };
        let (Some(ia), Some(ib)) = (seg.interface_of(a), seg.interface_of(b)) else {
            return false;
        };
        seg.group(a) == seg.group(b) && self.link_up(a, ia) && self.link_up(b, ib)
    }

    /// The running routers of `segment`, grouped by who hears whom (connected components),
    /// each sorted; routers whose interface is down are alone.
    pub fn components(&self, segment: SegmentId) -> Vec<Vec<RouterId>> {
        let Some(seg) = self.segments.get(segment.0) else {
            return Vec::new();
        };
        let mut groups: BTreeMap<(usize, Option<RouterId>), Vec<RouterId>> = BTreeMap::new();
        for (router, interface) in &seg.members {
            if self.nodes[router.0].status != RouterStatus::Running {
                continue;
            }
            let key = if self.link_up(*router, interface) {
                (seg.group(*router), None)
            } else {
                (usize::MAX, Some(*router))
            };
            groups.entry(key).or_default().push(*router);
        }
        groups
            .into_values()
            .map(|mut group| {
                group.sort();
                group
            })
            .collect()
    }

    /// The readable record of the run.
    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    /// Every state transition, in order.
    pub fn transitions(&self) -> &[TransitionRecord] {
        &self.transitions
    }

    /// Every advert emitted, in order.
    pub fn adverts(&self) -> &[AdvertRecord] {
        &self.adverts
    }

    /// The fate of every advert copy, in the order fates were decided.
    pub fn deliveries(&self) -> &[DeliveryRecord] {
        &self.deliveries
    }

    /// Who owned each VIP when (every install, closed when removed).
    pub fn ownership(&self) -> &[OwnershipSpan] {
        &self.ownership
    }

    /// Gratuitous ARP / NA messages sent by all routers (one per action).
    pub fn gratuitous_sent(&self) -> u64 {
        self.gratuitous_sent
    }

    pub(crate) fn node(&self, router: RouterId) -> Result<&Node, SimError> {
        self.nodes
            .get(router.0)
            .ok_or(SimError::UnknownRouter(router.0))
    }

    /// Hands one input to a running router and carries out what it asks.
    pub(crate) fn input(&mut self, router: RouterId, input: RouterInput) -> Result<(), SimError> {
        let now = self.instant(self.now);
        let node = self
            .nodes
            .get_mut(router.0)
            .ok_or(SimError::UnknownRouter(router.0))?;
        if let Some(running) = node.router.as_mut() {
            running.handle(now, input);
            self.carry_out(router);
        }
        Ok(())
    }

    pub(crate) fn log(&mut self, event: Event) {
        self.timeline.push(self.now, event);
    }
}

impl fmt::Debug for Sim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sim")
            .field("seed", &self.seed)
            .field("now", &self.now)
            .field("routers", &self.nodes.len())
            .field("segments", &self.segments.len())
            .finish_non_exhaustive()
    }
}
