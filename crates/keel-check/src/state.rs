//! The state keel-check keeps: virtual servers, their real servers, and the checkers, with
//! every inherited option resolved.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use keel_lb::{Family, ForwardingMethod, ServiceKey};

use crate::action::{CheckerId, CheckerPath};
use crate::config::{
    CheckConfig, DEFAULT_CONNECT_TIMEOUT, DEFAULT_DELAY_LOOP, GroupEntry, RealServerConfig,
    SorryServerConfig, Timing, VirtualServerConfig, VirtualServerTarget,
};
use crate::error::ConfigError;
use crate::probe::{ProbeKind, ProbeSpec};

/// Largest group range keel expands into services.
const MAX_RANGE: u128 = 65_536;

/// A virtual server as it runs.
#[derive(Debug, Clone)]
pub(crate) struct VirtualServer {
    pub config: VirtualServerConfig,
    /// keepalived's `FMT_VS`: `[192.168.201.15]:tcp:80`, `FWM 1`, `[GROUP]:0`.
    pub name: String,
    /// The kernel services this virtual server programs (several for a group).
    pub services: Vec<ServiceKey>,
    /// Its virtual addresses, for `ha_suspend`.
    pub addresses: Vec<IpAddr>,
    /// A fwmark service is never suspended: it has no address of its own.
    pub has_fwmark: bool,
    /// `quorum` after keepalived's corrections.
    pub quorum: u64,
    /// `hysteresis` after keepalived's corrections.
    pub hysteresis: u64,
    pub quorum_up: bool,
    /// The sorry server is in the pool (in place of the alive real servers).
    pub sorry_active: bool,
    pub suspended: bool,
    pub sorry: Option<SorryServer>,
    pub real_servers: Vec<RealServer>,
}

/// A sorry server with defaults resolved.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SorryServer {
    pub config: SorryServerConfig,
    pub method: ForwardingMethod,
}

/// A real server as it runs.
#[derive(Debug, Clone)]
pub(crate) struct RealServer {
    pub config: RealServerConfig,
    /// keepalived's `FMT_RS`: `[1.2.3.4]:tcp:80`.
    pub name: String,
    pub port: u16,
    pub method: ForwardingMethod,
    pub inhibit: bool,
    pub smtp_alert: bool,
    pub alive: bool,
    pub failed_checkers: usize,
    /// Weight set by a `misc_dynamic` or FILE checker, in place of the configured one.
    pub dynamic_weight: Option<DynamicWeight>,
    pub checkers: Vec<CheckerId>,
}

impl RealServer {
    /// The weight the server counts with, clamped like keepalived's `real_weight()` to what
    /// IPVS accepts.
    pub fn effective_weight(&self) -> u32 {
        let weight = match self.dynamic_weight {
            None => i64::from(self.config.weight),
            Some(DynamicWeight::Absolute(weight)) => i64::from(weight),
            Some(DynamicWeight::Offset(offset)) => {
                i64::from(self.config.weight).saturating_add(offset)
            }
        };
        // Within 0..=i32::MAX, so the conversion cannot fail.
        u32::try_from(weight.clamp(0, i64::from(i32::MAX))).unwrap_or(0)
    }
}

/// A weight a checker imposes on its real server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DynamicWeight {
    /// `misc_dynamic`: exit status − 2.
    Absolute(u32),
    /// FILE_CHECK: added to the configured weight.
    Offset(i64),
}

/// Timing of one checker after inheritance and defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ResolvedTiming {
    pub delay_loop: Duration,
    pub retry: u32,
    pub delay_before_retry: Duration,
    pub warmup: Duration,
    pub connect_timeout: Duration,
}

/// One checker as it runs.
#[derive(Debug, Clone)]
pub(crate) struct Checker {
    /// Position in the configuration (`path.virtual_server` and `path.real_server` index
    /// `Checks::virtual_servers` too).
    pub path: CheckerPath,
    pub vs: usize,
    pub rs: usize,
    pub probe: Arc<ProbeSpec>,
    pub destination: SocketAddr,
    pub timing: ResolvedTiming,
    pub alpha: bool,
    pub is_up: bool,
    pub has_run: bool,
    /// Failures counted towards `retry` since the last success.
    pub retry_it: u32,
    /// A probe is out; its result is awaited.
    pub running: bool,
}

/// The process-wide flags of a [`CheckConfig`], all that is read of it once it is built.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Globals {
    pub rs_init_notifies: bool,
    pub no_checker_emails: bool,
}

impl Globals {
    pub fn of(config: &CheckConfig) -> Globals {
        Globals {
            rs_init_notifies: config.rs_init_notifies,
            no_checker_emails: config.no_checker_emails,
        }
    }
}

/// A checker before it gets an id: the parts that come from configuration.
#[derive(Debug, Clone)]
pub(crate) struct CheckerPlan {
    /// Index in the real server's `checkers`.
    pub index: usize,
    pub probe: Arc<ProbeSpec>,
    pub destination: SocketAddr,
    pub timing: ResolvedTiming,
    pub alpha: bool,
}

/// The whole configuration resolved: virtual servers (real servers without checker ids
/// yet) and, per real server, the checkers to create.
pub(crate) struct Built {
    pub virtual_servers: Vec<VirtualServer>,
    /// `plans[vs][rs]` = the checkers of that real server, in config order.
    pub plans: Vec<Vec<Vec<CheckerPlan>>>,
}

/// Resolves `config` (spec §2.7 inheritance and defaults, keepalived's quorum corrections).
pub(crate) fn build(config: &CheckConfig) -> Result<Built, ConfigError> {
    let mut virtual_servers = Vec::with_capacity(config.virtual_servers.len());
    let mut plans = Vec::with_capacity(config.virtual_servers.len());
    let mut seen = std::collections::BTreeSet::new();
    let mut probes = ProbeInterner::default();
    for vs_config in &config.virtual_servers {
        let (vs, vs_plans) = build_virtual_server(config, vs_config, &mut probes)?;
        for key in &vs.services {
            if !seen.insert(*key) {
                return Err(ConfigError::DuplicateService(key.to_string()));
            }
        }
        virtual_servers.push(vs);
        plans.push(vs_plans);
    }
    Ok(Built {
        virtual_servers,
        plans,
    })
}

fn build_virtual_server(
    config: &CheckConfig,
    vs: &VirtualServerConfig,
    probes: &mut ProbeInterner,
) -> Result<(VirtualServer, Vec<Vec<CheckerPlan>>), ConfigError> {
    let rs_family = vs
        .real_servers
        .first()
        .map(|rs| Family::of(rs.address))
        .unwrap_or_default();
    let protocol = vs.protocol;
    let (name, services, addresses, default_port) = match &vs.target {
        VirtualServerTarget::Address { address, port } => (
            format!("{}", ServiceKey::address(*address, *port, protocol)),
            vec![ServiceKey::address(*address, *port, protocol)],
            vec![*address],
            Some(*port),
        ),
        VirtualServerTarget::Fwmark { mark, family } => (
            format!("FWM {mark}"),
            vec![ServiceKey::fwmark(*mark, family.unwrap_or(rs_family))],
            Vec::new(),
            None,
        ),
        VirtualServerTarget::Group { name } => {
            let group = config
                .groups
                .iter()
                .find(|group| &group.name == name)
                .ok_or_else(|| ConfigError::UnknownGroup(name.clone()))?;
            let mut services = Vec::new();
            let mut addresses = Vec::new();
            let mut default_port = None;
            for entry in &group.entries {
                match *entry {
                    GroupEntry::Range { first, last, port } => {
                        default_port.get_or_insert(port);
                        for address in expand_range(name, first, last)? {
                            services.push(ServiceKey::address(address, port, protocol));
                            addresses.push(address);
                        }
                    }
                    GroupEntry::Fwmark { mark, family } => {
                        services.push(ServiceKey::fwmark(mark, family.unwrap_or(rs_family)));
                    }
                }
            }
            (format!("[{name}]:0"), services, addresses, default_port)
        }
    };
    let has_fwmark = services
        .iter()
        .any(|key| matches!(key, ServiceKey::Fwmark { .. }));
    // The port servers are named and probed by: the service's, or the first group
    // member's; per-service ports are worked out when the load balancer is built.
    let fwmark_only = default_port.is_none();
    let vs_timing = vs.timing;
    if vs_timing.delay_loop == Some(Duration::ZERO)
        || vs_timing.delay_before_retry == Some(Duration::ZERO)
    {
        return Err(ConfigError::ZeroDelay {
            virtual_server: name,
        });
    }

    let mut real_servers = Vec::with_capacity(vs.real_servers.len());
    let mut plans = Vec::with_capacity(vs.real_servers.len());
    for rs in &vs.real_servers {
        let method = rs.method.unwrap_or(vs.method);
        let port = server_port(rs.port, default_port, method, fwmark_only);
        let rs_timing = rs.timing.or(vs_timing);
        let rs_alpha = rs.alpha.unwrap_or(vs.alpha);
        let mut rs_plans = Vec::with_capacity(rs.checkers.len());
        for (index, checker) in rs.checkers.iter().enumerate() {
            let timing = resolve_timing(&checker.probe.kind, checker.timing.or(rs_timing));
            if timing.delay_loop.is_zero() || timing.delay_before_retry.is_zero() {
                return Err(ConfigError::ZeroDelay {
                    virtual_server: name,
                });
            }
            let destination = SocketAddr::new(
                checker.probe.connect.connect_ip.unwrap_or(rs.address),
                checker.probe.connect.connect_port.unwrap_or(port),
            );
            rs_plans.push(CheckerPlan {
                index,
                probe: probes.intern(&checker.probe),
                destination,
                timing,
                alpha: checker.alpha.unwrap_or(rs_alpha),
            });
        }
        real_servers.push(RealServer {
            name: format!("[{}]:{}:{port}", rs.address, protocol.as_str()),
            port,
            method,
            inhibit: rs.inhibit_on_failure.unwrap_or(vs.inhibit_on_failure),
            smtp_alert: rs.smtp_alert.unwrap_or(vs.smtp_alert),
            alive: false,
            failed_checkers: 0,
            dynamic_weight: None,
            checkers: Vec::with_capacity(rs.checkers.len()),
            config: RealServerConfig {
                checkers: Vec::new(),
                ..rs.clone()
            },
        });
        plans.push(rs_plans);
    }

    // keepalived compat (check_data.c): a quorum above the total weight could never be
    // met, so it is lowered to the total; hysteresis is kept below the quorum.
    let total_weight: u64 = vs.real_servers.iter().map(|rs| u64::from(rs.weight)).sum();
    let quorum = u64::from(vs.quorum).min(total_weight);
    let hysteresis = u64::from(vs.hysteresis).min(quorum.saturating_sub(1));

    let sorry = vs.sorry_server.map(|config| {
        let method = config.method.unwrap_or(vs.method);
        SorryServer { config, method }
    });

    let virtual_server = VirtualServer {
        config: VirtualServerConfig {
            real_servers: Vec::new(),
            ..vs.clone()
        },
        name,
        services,
        addresses,
        has_fwmark,
        quorum,
        hysteresis,
        quorum_up: false,
        sorry_active: false,
        suspended: vs.ha_suspend && !has_fwmark,
        sorry,
        real_servers,
    };
    Ok((virtual_server, plans))
}

/// One shared copy of each distinct probe: thousands of real servers usually carry the same
/// checker (a `TCP_CHECK` with the same options), and a checker's probe never changes once
/// built, so equal probes share one allocation. Only the last distinct probe is
/// remembered: configurations repeat a checker block server after server.
#[derive(Default)]
struct ProbeInterner {
    last: Option<Arc<ProbeSpec>>,
}

impl ProbeInterner {
    fn intern(&mut self, probe: &ProbeSpec) -> Arc<ProbeSpec> {
        match &self.last {
            Some(last) if **last == *probe => Arc::clone(last),
            _ => {
                let shared = Arc::new(probe.clone());
                self.last = Some(Arc::clone(&shared));
                shared
            }
        }
    }
}

/// A server's port (check_data.c rules): as configured for NAT, else the service's port;
/// DR/TUN destinations of a fwmark service take port 0, of an address service its port.
fn server_port(
    configured: Option<u16>,
    service_port: Option<u16>,
    method: ForwardingMethod,
    fwmark: bool,
) -> u16 {
    match (method, configured) {
        (ForwardingMethod::Nat, Some(port)) => port,
        (_, _) if fwmark => 0,
        (ForwardingMethod::Nat, None) => service_port.unwrap_or(0),
        (_, configured) => service_port.or(configured).unwrap_or(0),
    }
}

/// Checker timing after inheritance, with spec §2.7 defaults: delay_loop 60 s, retry by
/// type, delay_before_retry by type (DNS: delay_loop), warmup = delay_loop, connect_timeout
/// 5 s. FILE and BFD checkers are event-driven: no retries.
fn resolve_timing(kind: &ProbeKind, timing: Timing) -> ResolvedTiming {
    let delay_loop = timing.delay_loop.unwrap_or(DEFAULT_DELAY_LOOP);
    let retry = if kind.is_scheduled() {
        timing.retry.unwrap_or_else(|| kind.default_retry())
    } else {
        0
    };
    ResolvedTiming {
        delay_loop,
        retry,
        delay_before_retry: timing
            .delay_before_retry
            .or_else(|| kind.default_delay_before_retry())
            .unwrap_or(delay_loop),
        warmup: timing.warmup.unwrap_or(delay_loop),
        connect_timeout: timing.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
    }
}

fn expand_range(group: &str, first: IpAddr, last: IpAddr) -> Result<Vec<IpAddr>, ConfigError> {
    let invalid = || ConfigError::InvalidRange {
        group: group.to_string(),
    };
    let (start, end, v6) = match (first, last) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            (u128::from(u32::from(a)), u128::from(u32::from(b)), false)
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), true),
        _ => return Err(invalid()),
    };
    if end < start {
        return Err(invalid());
    }
    if end - start >= MAX_RANGE {
        return Err(ConfigError::RangeTooLarge {
            group: group.to_string(),
        });
    }
    Ok((start..=end)
        .map(|value| {
            if v6 {
                IpAddr::V6(Ipv6Addr::from(value))
            } else {
                // Both ends are IPv4 here, so every value in between fits in 32 bits.
                IpAddr::V4(Ipv4Addr::from(value as u32))
            }
        })
        .collect())
}
