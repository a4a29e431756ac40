//! [`Checks`]: every virtual server, real server and checker of one daemon, driven with the
//! handle/poll contract of ARCHITECTURE.md.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use crate::action::{Action, CheckerId, CheckerPath};
use crate::config::CheckConfig;
use crate::error::ConfigError;
use crate::events;
use crate::input::Input;
use crate::probe::ProbeSpec;
use crate::state::{Checker, Globals, VirtualServer};
use crate::timers::{TimerQueue, WarmupRng};

/// The health-check state of one daemon.
///
/// ```text
/// let mut checks = Checks::new(config, now, seed)?;
/// loop {
///     checks.handle(now, input)?          // or handle_timeout(now) at poll_timeout()
///     while let Some(a) = checks.poll_action() { carry out a }
///     // on Action::LoadBalancerChanged: apply keel_lb::diff(&applied, &checks.desired())
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Checks {
    /// The configuration's process-wide flags; the rest of the configuration lives on in
    /// `virtual_servers` and `checkers`, resolved (the tree itself is dropped after start).
    pub(crate) globals: Globals,
    pub(crate) virtual_servers: Vec<VirtualServer>,
    pub(crate) checkers: BTreeMap<CheckerId, Checker>,
    pub(crate) timers: TimerQueue,
    pub(crate) rng: WarmupRng,
    pub(crate) next_id: u64,
    pub(crate) local_addresses: BTreeSet<IpAddr>,
    pub(crate) actions: VecDeque<Action>,
    pub(crate) lb_changed: bool,
    pub(crate) stopped: bool,
}

impl Checks {
    /// Builds the state at `now`: real servers start alive unless a checker has `alpha`;
    /// each checker's first probe is due after a random delay in `[0, warmup]` drawn from a
    /// generator seeded with `seed` (spec §3.13). Queues the startup notifications and one
    /// [`Action::LoadBalancerChanged`].
    pub fn new(config: CheckConfig, now: Instant, seed: u64) -> Result<Self, ConfigError> {
        let mut checks = Checks {
            globals: Globals::default(),
            virtual_servers: Vec::new(),
            checkers: BTreeMap::new(),
            timers: TimerQueue::default(),
            rng: WarmupRng::new(seed),
            next_id: 0,
            local_addresses: BTreeSet::new(),
            actions: VecDeque::new(),
            lb_changed: false,
            stopped: false,
        };
        events::on_start(&mut checks, now, config)?;
        checks.flush_lb_changed();
        Ok(checks)
    }

    /// Feeds one input. Only [`Input::Reload`] can fail; then the running configuration
    /// stays as it was.
    pub fn handle(&mut self, now: Instant, input: Input) -> Result<(), ConfigError> {
        let result = match input {
            Input::ProbeResult { checker, outcome } => {
                events::on_probe_result(self, now, checker, outcome);
                Ok(())
            }
            Input::Reload(config) => events::on_reload(self, now, config),
            Input::AddressLocal { address, local } => {
                events::on_address_local(self, address, local);
                Ok(())
            }
            Input::Stop => {
                events::on_stop(self);
                Ok(())
            }
        };
        self.flush_lb_changed();
        result
    }

    /// Call when [`Checks::poll_timeout`]'s deadline has passed: starts the probes that are
    /// due (or skips them while `ha_suspend` holds the virtual server).
    pub fn handle_timeout(&mut self, now: Instant) {
        events::on_timeout(self, now);
        self.flush_lb_changed();
    }

    /// The earliest deadline; call [`Checks::handle_timeout`] then. `None` when nothing is
    /// scheduled (stopped, or only FILE/BFD checkers).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// The next effect to carry out, in order. Drain after every `handle*` call.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The load-balancer state wanted now. Empty after [`Input::Stop`].
    pub fn desired(&self) -> keel_lb::Desired {
        crate::desired::desired(self)
    }

    /// Every checker's id, in creation order.
    pub fn checker_ids(&self) -> impl Iterator<Item = CheckerId> + '_ {
        self.checkers.keys().copied()
    }

    /// What one checker is and how it stands.
    pub fn checker(&self, id: CheckerId) -> Option<CheckerStatus> {
        let checker = self.checkers.get(&id)?;
        let vs = &self.virtual_servers[checker.vs];
        Some(CheckerStatus {
            path: checker.path,
            virtual_server: vs.name.clone(),
            real_server: vs.real_servers[checker.rs].name.clone(),
            probe: Arc::clone(&checker.probe),
            destination: checker.destination,
            up: checker.is_up,
            has_run: checker.has_run,
            next_run: self.timers.deadline(id),
        })
    }

    /// Every virtual server and its real servers, in config order (for dumps and tests).
    pub fn virtual_servers(&self) -> Vec<VirtualServerStatus> {
        self.virtual_servers
            .iter()
            .map(|vs| VirtualServerStatus {
                name: vs.name.clone(),
                quorum_up: vs.quorum_up,
                sorry_server_active: vs.sorry_active,
                suspended: vs.suspended,
                real_servers: vs
                    .real_servers
                    .iter()
                    .map(|rs| RealServerStatus {
                        name: rs.name.clone(),
                        alive: rs.alive,
                        weight: rs.effective_weight(),
                    })
                    .collect(),
            })
            .collect()
    }

    pub(crate) fn push(&mut self, action: Action) {
        self.actions.push_back(action);
    }

    pub(crate) fn allocate_id(&mut self) -> CheckerId {
        self.next_id += 1;
        CheckerId(self.next_id)
    }

    fn flush_lb_changed(&mut self) {
        if std::mem::take(&mut self.lb_changed) {
            self.push(Action::LoadBalancerChanged);
        }
    }
}

/// One checker, as [`Checks::checker`] reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckerStatus {
    /// Where it is in the configuration.
    pub path: CheckerPath,
    /// The virtual server, as keepalived prints it.
    pub virtual_server: String,
    /// The real server, as keepalived prints it.
    pub real_server: String,
    /// The probe.
    pub probe: Arc<ProbeSpec>,
    /// Where the probe connects.
    pub destination: SocketAddr,
    /// Whether the checker is up.
    pub up: bool,
    /// Whether it has produced a result yet.
    pub has_run: bool,
    /// When its next probe is due (`None` while a probe is out, or for FILE/BFD).
    pub next_run: Option<Instant>,
}

/// One virtual server, as [`Checks::virtual_servers`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualServerStatus {
    /// As keepalived prints it: `[192.168.201.15]:tcp:80`.
    pub name: String,
    /// Whether the alive weight meets the quorum.
    pub quorum_up: bool,
    /// Whether the sorry server replaces the real servers.
    pub sorry_server_active: bool,
    /// Whether `ha_suspend` holds its checkers.
    pub suspended: bool,
    /// Its real servers.
    pub real_servers: Vec<RealServerStatus>,
}

/// One real server, as [`Checks::virtual_servers`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealServerStatus {
    /// As keepalived prints it: `[1.2.3.4]:tcp:80`.
    pub name: String,
    /// Whether all its checkers are up.
    pub alive: bool,
    /// Its effective weight.
    pub weight: u32,
}
