//! Plain configuration of the checker side: virtual servers, real servers, checkers.
//!
//! These mirror keepalived's blocks (spec §2.7) one to one; the daemon maps keel-conf's
//! typed config onto them. Options that keepalived inherits down the levels
//! (virtual server → real server → checker) are `Option`s here and resolved by keel-check,
//! so the inheritance rules and per-type defaults live in one place ([`Timing`]).

use std::net::IpAddr;
use std::time::Duration;

pub use keel_lb::{Family, ForwardingMethod, Protocol, ServiceSettings};

use crate::probe::ProbeSpec;

/// Everything the checker process runs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CheckConfig {
    /// `virtual_server` blocks.
    pub virtual_servers: Vec<VirtualServerConfig>,
    /// `virtual_server_group` blocks.
    pub groups: Vec<VirtualServerGroupConfig>,
    /// `rs_init_notifies` (global_defs): notify real servers that start up, too.
    pub rs_init_notifies: bool,
    /// `no_checker_emails` (global_defs): checker SMTP alerts only when a real server's
    /// state changes, not for every checker transition.
    pub no_checker_emails: bool,
}

/// `virtual_server_group NAME { ... }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualServerGroupConfig {
    /// Group name.
    pub name: String,
    /// Members.
    pub entries: Vec<GroupEntry>,
}

/// One member line of a virtual server group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupEntry {
    /// `IP [PORT]` or a range `a.b.c.d-e [PORT]`: every address from `first` to `last`.
    Range {
        /// First address.
        first: IpAddr,
        /// Last address (equal to `first` for a single address).
        last: IpAddr,
        /// Port (0 for port-less persistence).
        port: u16,
    },
    /// `fwmark N [inet|inet6]`; without a family, the real servers' family.
    Fwmark {
        /// Firewall mark.
        mark: u32,
        /// Family, if given.
        family: Option<Family>,
    },
}

/// What a `virtual_server` line names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VirtualServerTarget {
    /// `virtual_server IP PORT`.
    Address {
        /// Virtual address.
        address: IpAddr,
        /// Virtual port.
        port: u16,
    },
    /// `virtual_server fwmark N`; without a family (`ip_family`), the real servers' family.
    Fwmark {
        /// Firewall mark.
        mark: u32,
        /// Family, if given.
        family: Option<Family>,
    },
    /// `virtual_server group NAME`.
    Group {
        /// Group name.
        name: String,
    },
}

/// Timing options, at any of the three levels; unset fields inherit from the level above,
/// then take keepalived's defaults (spec §2.7, §3.13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timing {
    /// `delay_loop`: normal cadence (60 s).
    pub delay_loop: Option<Duration>,
    /// `retry`: extra attempts before an up checker goes down (1; DNS 3; MISC 0).
    pub retry: Option<u32>,
    /// `delay_before_retry` (1 s; HTTP/SSL 3 s; DNS `delay_loop`).
    pub delay_before_retry: Option<Duration>,
    /// `warmup`: the first check runs after a random delay in `[0, warmup]` (`delay_loop`).
    pub warmup: Option<Duration>,
    /// `connect_timeout` (5 s), handed to the probe.
    pub connect_timeout: Option<Duration>,
}

impl Timing {
    /// Fields of `self`, falling back to `parent`'s.
    pub fn or(self, parent: Timing) -> Timing {
        Timing {
            delay_loop: self.delay_loop.or(parent.delay_loop),
            retry: self.retry.or(parent.retry),
            delay_before_retry: self.delay_before_retry.or(parent.delay_before_retry),
            warmup: self.warmup.or(parent.warmup),
            connect_timeout: self.connect_timeout.or(parent.connect_timeout),
        }
    }
}

/// keepalived's `delay_loop` default (spec §2.7).
pub const DEFAULT_DELAY_LOOP: Duration = Duration::from_secs(60);
/// keepalived's `connect_timeout` default (spec §2.7).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// `virtual_server ... { }`.
#[derive(Debug, Clone, PartialEq)]
pub struct VirtualServerConfig {
    /// Address+port, fwmark, or group.
    pub target: VirtualServerTarget,
    /// `protocol` (TCP).
    pub protocol: Protocol,
    /// `lvs_sched`, scheduler flags, `persistence_*`, `ops`, `persistence_engine`.
    pub settings: ServiceSettings,
    /// `lvs_method` (NAT), the default for real servers.
    pub method: ForwardingMethod,
    /// `quorum` (1): the alive weight the service needs.
    pub quorum: u32,
    /// `hysteresis` (0).
    pub hysteresis: u32,
    /// `quorum_up` script.
    pub quorum_up: Option<String>,
    /// `quorum_down` script.
    pub quorum_down: Option<String>,
    /// `sorry_server` and its options.
    pub sorry_server: Option<SorryServerConfig>,
    /// `ha_suspend`: pause checkers while no virtual address is local.
    pub ha_suspend: bool,
    /// `omega`: run down notifiers at shutdown.
    pub omega: bool,
    /// `alpha`: checkers start down (default for real servers and checkers).
    pub alpha: bool,
    /// `inhibit_on_failure`: weight 0 instead of removal (default for real servers).
    pub inhibit_on_failure: bool,
    /// `smtp_alert` for the virtual server's quorum changes.
    pub smtp_alert: bool,
    /// Timing defaults for the real servers' checkers.
    pub timing: Timing,
    /// `real_server` blocks.
    pub real_servers: Vec<RealServerConfig>,
}

impl VirtualServerConfig {
    /// A TCP virtual server with keepalived's defaults and no real servers.
    pub fn new(target: VirtualServerTarget) -> Self {
        VirtualServerConfig {
            target,
            protocol: Protocol::Tcp,
            settings: ServiceSettings::default(),
            method: ForwardingMethod::Nat,
            quorum: 1,
            hysteresis: 0,
            quorum_up: None,
            quorum_down: None,
            sorry_server: None,
            ha_suspend: false,
            omega: false,
            alpha: false,
            inhibit_on_failure: false,
            smtp_alert: false,
            timing: Timing::default(),
            real_servers: Vec::new(),
        }
    }
}

/// `sorry_server IP [PORT]` with `sorry_server_inhibit` and `sorry_server_lvs_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SorryServerConfig {
    /// Address.
    pub address: IpAddr,
    /// Port; defaults like a real server's.
    pub port: Option<u16>,
    /// `sorry_server_inhibit`: keep it in the table at weight 0 while not needed.
    pub inhibit: bool,
    /// `sorry_server_lvs_method`; defaults to the virtual server's.
    pub method: Option<ForwardingMethod>,
    /// Weight while in use (1).
    pub weight: u32,
}

impl SorryServerConfig {
    /// A sorry server at `address` with defaults.
    pub fn new(address: IpAddr) -> Self {
        SorryServerConfig {
            address,
            port: None,
            inhibit: false,
            method: None,
            weight: 1,
        }
    }
}

/// `real_server IP [PORT] { }`.
#[derive(Debug, Clone, PartialEq)]
pub struct RealServerConfig {
    /// Address.
    pub address: IpAddr,
    /// Port; without it, the virtual server's (0 for fwmark services).
    pub port: Option<u16>,
    /// `weight` (1).
    pub weight: u32,
    /// `lvs_method`, overriding the virtual server's.
    pub method: Option<ForwardingMethod>,
    /// `inhibit_on_failure`, overriding the virtual server's.
    pub inhibit_on_failure: Option<bool>,
    /// `alpha`, overriding the virtual server's.
    pub alpha: Option<bool>,
    /// Timing defaults for this server's checkers.
    pub timing: Timing,
    /// `notify_up` script.
    pub notify_up: Option<String>,
    /// `notify_down` script.
    pub notify_down: Option<String>,
    /// `uthreshold`.
    pub upper_threshold: u32,
    /// `lthreshold`.
    pub lower_threshold: u32,
    /// `smtp_alert`, overriding the virtual server's.
    pub smtp_alert: Option<bool>,
    /// Checker blocks.
    pub checkers: Vec<CheckerConfig>,
}

impl RealServerConfig {
    /// A real server at `address` with weight 1 and no checkers.
    pub fn new(address: IpAddr, port: Option<u16>) -> Self {
        RealServerConfig {
            address,
            port,
            weight: 1,
            method: None,
            inhibit_on_failure: None,
            alpha: None,
            timing: Timing::default(),
            notify_up: None,
            notify_down: None,
            upper_threshold: 0,
            lower_threshold: 0,
            smtp_alert: None,
            checkers: Vec::new(),
        }
    }
}

/// One checker block (`TCP_CHECK { }`, `HTTP_GET { }`, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckerConfig {
    /// What to probe.
    pub probe: ProbeSpec,
    /// Timing, overriding the real server's.
    pub timing: Timing,
    /// `alpha`, overriding the real server's.
    pub alpha: Option<bool>,
}

impl CheckerConfig {
    /// A checker for `probe` that inherits everything.
    pub fn new(probe: ProbeSpec) -> Self {
        CheckerConfig {
            probe,
            timing: Timing::default(),
            alpha: None,
        }
    }
}
