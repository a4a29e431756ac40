//! The load-balancer side: `virtual_server_group`, `virtual_server`, `real_server`,
//! checkers and `SSL` (spec §2.7).
//!
//! Values are what keepalived 2.2.7 runs with after its own fix-ups (spec §2.7 defaults,
//! `validate_check_config`): a missing scheduler is `wlc`, a missing forwarding method is
//! NAT, a quorum larger than the real servers' total weight is reduced, and checker
//! options inherited from the real server or virtual server are resolved into each
//! checker, so keel-check reads one value per option.

pub mod checker;

use std::net::{IpAddr, Ipv4Addr};

use serde::Serialize;

use super::{Loc, Script, Seconds};

pub use checker::{
    Checker, CheckerKind, CheckerOptions, DnsCheck, DnsType, FileCheck, HttpCheck, HttpProtocol,
    MiscCheck, SmtpCheck, StatusRange, UdpCheck, Url,
};

/// Everything of the configuration that drives the load balancer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Lvs {
    /// `SSL { ... }`: the TLS context of `SSL_GET` checkers; `None` means keepalived's
    /// auto-generated context.
    pub ssl: Option<SslContext>,
    /// `virtual_server_group NAME { ... }`, in file order.
    pub virtual_server_groups: Vec<VirtualServerGroup>,
    /// `virtual_server ... { ... }`, in file order.
    pub virtual_servers: Vec<VirtualServer>,
}

impl Lvs {
    /// Every script the checker process may run (`quorum_up`/`quorum_down`,
    /// `notify_up`/`notify_down`, `MISC_CHECK misc_path`), for the script-security check
    /// (spec §3.14).
    pub fn scripts(&self) -> impl Iterator<Item = &Script> {
        self.virtual_servers.iter().flat_map(|vs| {
            let quorum = vs.quorum_up.iter().chain(vs.quorum_down.iter());
            let real = vs.real_servers.iter().flat_map(|rs| {
                let notify = rs.notify_up.iter().chain(rs.notify_down.iter());
                let misc = rs.checkers.iter().filter_map(|c| match &c.kind {
                    CheckerKind::Misc(misc) => Some(&misc.misc_path),
                    _ => None,
                });
                notify.chain(misc)
            });
            quorum.chain(real)
        })
    }
}

/// `SSL { password; ca; certificate; key }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SslContext {
    /// `password`: the private key's pass phrase.
    pub password: Option<String>,
    /// `ca`: CA certificate file.
    pub ca: Option<String>,
    /// `certificate`: client certificate file.
    pub certificate: Option<String>,
    /// `key`: client key file.
    pub key: Option<String>,
}

/// An address family (`ip_family`, `fwmark N inet6`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// IPv4.
    Inet,
    /// IPv6.
    Inet6,
}

impl Family {
    /// The family of an address.
    pub fn of(address: IpAddr) -> Self {
        if address.is_ipv4() {
            Family::Inet
        } else {
            Family::Inet6
        }
    }

    /// The keyword spelling.
    pub fn keyword(self) -> &'static str {
        match self {
            Family::Inet => "inet",
            Family::Inet6 => "inet6",
        }
    }
}

/// `virtual_server_group NAME { ... }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VirtualServerGroup {
    /// The group's name, referenced by `virtual_server group NAME`.
    pub name: String,
    /// Its entries; never empty (keepalived removes an empty group).
    pub entries: Vec<GroupEntry>,
    /// Where the group was written.
    pub loc: Loc,
}

/// One line of a `virtual_server_group`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum GroupEntry {
    /// `IP [PORT]` or a range `a.b.c.d-e`, `a.b.c.d/nn` (`first == last` for one address).
    Range {
        /// First address of the range.
        first: IpAddr,
        /// Last address of the range (inclusive).
        last: IpAddr,
        /// The port; 0 when none was written.
        port: u16,
    },
    /// `fwmark N [inet|inet6]`.
    Fwmark {
        /// The firewall mark.
        mark: u32,
        /// The family, when written.
        family: Option<Family>,
    },
}

/// What a `virtual_server` serves.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Service {
    /// `virtual_server IP PORT`.
    Address {
        /// The virtual IP.
        address: IpAddr,
        /// The port (0 only for persistent services).
        port: u16,
    },
    /// `virtual_server fwmark N`.
    Fwmark {
        /// The firewall mark.
        mark: u32,
    },
    /// `virtual_server group NAME`.
    Group {
        /// The `virtual_server_group` name.
        name: String,
    },
}

impl std::fmt::Display for Service {
    /// keepalived's `FMT_VS` spelling: `[10.0.0.1]:80`, `FWM 1`, `[G]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Service::Address { address, port } => write!(f, "[{address}]:{port}"),
            Service::Fwmark { mark } => write!(f, "FWM {mark}"),
            Service::Group { name } => write!(f, "[{name}]"),
        }
    }
}

/// An IPVS scheduler (`lvs_sched`, spec §2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheduler {
    /// Round robin.
    Rr,
    /// Weighted round robin.
    Wrr,
    /// Least connection.
    Lc,
    /// Weighted least connection (keepalived's default).
    Wlc,
    /// Locality-based least connection.
    Lblc,
    /// Locality-based least connection with replication.
    Lblcr,
    /// Destination hashing.
    Dh,
    /// Source hashing.
    Sh,
    /// Maglev hashing.
    Mh,
    /// Shortest expected delay.
    Sed,
    /// Never queue.
    Nq,
    /// Weighted failover.
    Fo,
    /// Weighted overflow.
    Ovf,
    /// Weighted random twos choice.
    Twos,
}

impl Scheduler {
    /// Every scheduler with its keyword.
    pub const ALL: [(&'static str, Scheduler); 14] = [
        ("rr", Scheduler::Rr),
        ("wrr", Scheduler::Wrr),
        ("lc", Scheduler::Lc),
        ("wlc", Scheduler::Wlc),
        ("lblc", Scheduler::Lblc),
        ("lblcr", Scheduler::Lblcr),
        ("dh", Scheduler::Dh),
        ("sh", Scheduler::Sh),
        ("mh", Scheduler::Mh),
        ("sed", Scheduler::Sed),
        ("nq", Scheduler::Nq),
        ("fo", Scheduler::Fo),
        ("ovf", Scheduler::Ovf),
        ("twos", Scheduler::Twos),
    ];

    /// The keyword spelling (`rr`, `wlc`, ...).
    pub fn keyword(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, s)| *s == self)
            .map_or("wlc", |(k, _)| k)
    }
}

/// The scheduler flag bits IPVS receives (`flag-1/2/3`). keepalived's named flags are
/// these bits: `sh-fallback` and `mh-fallback` are flag-1 (IP_VS_SVC_F_SCHED1),
/// `sh-port` and `mh-port` are flag-2 (IP_VS_SVC_F_SCHED2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
pub struct SchedulerFlags {
    /// IP_VS_SVC_F_SCHED1: `flag-1`, `sh-fallback`, `mh-fallback`.
    pub flag_1: bool,
    /// IP_VS_SVC_F_SCHED2: `flag-2`, `sh-port`, `mh-port`.
    pub flag_2: bool,
    /// IP_VS_SVC_F_SCHED3: `flag-3`.
    pub flag_3: bool,
}

/// The IPVS forwarding method (`lvs_method`, *dep* `lb_kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "method", rename_all = "UPPERCASE")]
pub enum Method {
    /// Masquerading (keepalived's default).
    Nat,
    /// Direct routing.
    Dr,
    /// IP tunnelling, with the kernel's tunnel options.
    Tun {
        /// The encapsulation (`ipip` unless written).
        tunnel: Tunnel,
        /// The checksum option, when written.
        checksum: Option<TunnelChecksum>,
    },
}

/// `lvs_method TUN type ...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Tunnel {
    /// IP in IP (default).
    Ipip,
    /// Generic UDP encapsulation on a port.
    Gue {
        /// The GUE destination port.
        port: u16,
    },
    /// GRE.
    Gre,
}

/// The tunnel checksum option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TunnelChecksum {
    /// `nocsum`.
    Nocsum,
    /// `csum`.
    Csum,
    /// `remcsum` (GUE only).
    Remcsum,
}

/// The transport protocol of an address-based service (`protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// SCTP.
    Sctp,
}

impl Protocol {
    /// The keyword spelling.
    pub fn keyword(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }
}

/// `persistence_granularity`: an IPv4 netmask or an IPv6 prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    /// A solid IPv4 netmask such as 255.255.255.0.
    Netmask(Ipv4Addr),
    /// An IPv6 prefix length 1..128.
    PrefixLen(u8),
}

/// `sorry_server IP [PORT]` with its options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SorryServer {
    /// Its address.
    pub address: IpAddr,
    /// Its port; 0 when none was written (the service's port is used).
    pub port: u16,
    /// `sorry_server_inhibit`: keep it with weight 0 instead of removing it.
    pub inhibit: bool,
    /// `sorry_server_lvs_method`; `None` means the virtual server's method.
    pub lvs_method: Option<Method>,
}

/// `virtual_server IP PORT | fwmark N | group NAME { ... }` (spec §2.7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VirtualServer {
    /// What it serves.
    pub service: Service,
    /// `ip_family`, or the family learned from the addresses; `None` when nothing fixes it.
    pub ip_family: Option<Family>,
    /// `lvs_sched` (*dep* `lb_algo`); wlc with a warning when missing.
    pub lvs_sched: Scheduler,
    /// Scheduler flags.
    pub scheduler_flags: SchedulerFlags,
    /// `ops`: one-packet scheduling (UDP only).
    pub ops: bool,
    /// `hashed` (deprecated flag; accepted for `sh` only).
    pub hashed: bool,
    /// `lvs_method` (*dep* `lb_kind`); NAT with a warning when missing.
    pub lvs_method: Method,
    /// `protocol`; `None` for fwmark services, whose protocol IPVS ignores. keepalived 2.2.7
    /// defaults a missing protocol to UDP, with a warning.
    pub protocol: Option<Protocol>,
    /// `delay_loop` (60 s): the checkers' default interval.
    pub delay_loop: Seconds,
    /// `persistence_timeout [S]` in seconds (a bare keyword means 360).
    pub persistence_timeout: Option<u32>,
    /// `persistence_granularity`.
    pub persistence_granularity: Option<Granularity>,
    /// `persistence_engine NAME` (`sip`).
    pub persistence_engine: Option<String>,
    /// `quorum` (1): the total weight of alive real servers needed to keep the service.
    pub quorum: u32,
    /// `hysteresis` (0).
    pub hysteresis: u32,
    /// `quorum_up SCRIPT`.
    pub quorum_up: Option<Script>,
    /// `quorum_down SCRIPT`.
    pub quorum_down: Option<Script>,
    /// `sorry_server`.
    pub sorry_server: Option<SorryServer>,
    /// `alpha`: real servers start down until their first successful check.
    pub alpha: bool,
    /// `omega`: run down notifiers at shutdown.
    pub omega: bool,
    /// `inhibit_on_failure`: the default of the real servers.
    pub inhibit_on_failure: bool,
    /// `ha_suspend`: no checks while the virtual address is not local.
    pub ha_suspend: bool,
    /// `virtualhost NAME`: the default HTTP `Host:` of its checkers.
    pub virtualhost: Option<String>,
    /// `smtp_alert [BOOL]`.
    pub smtp_alert: Option<bool>,
    /// `snmp_name NAME`.
    pub snmp_name: Option<String>,
    /// `weight` (1): the weight of real servers that give none.
    pub weight: u32,
    /// `connect_timeout` default for the checkers.
    pub connect_timeout: Option<Seconds>,
    /// `retry` default for the checkers.
    pub retry: Option<u32>,
    /// `delay_before_retry` default for the checkers.
    pub delay_before_retry: Option<Seconds>,
    /// `warmup` default for the checkers.
    pub warmup: Option<Seconds>,
    /// The real servers, in file order, without duplicates.
    pub real_servers: Vec<RealServer>,
    /// Where the virtual server was written.
    pub loc: Loc,
}

impl VirtualServer {
    /// A virtual server with keepalived's defaults, before its block is read.
    pub fn new(service: Service, loc: Loc) -> Self {
        VirtualServer {
            service,
            ip_family: None,
            lvs_sched: Scheduler::Wlc,
            scheduler_flags: SchedulerFlags::default(),
            ops: false,
            hashed: false,
            lvs_method: Method::Nat,
            protocol: None,
            delay_loop: Seconds::from_secs(60),
            persistence_timeout: None,
            persistence_granularity: None,
            persistence_engine: None,
            quorum: 1,
            hysteresis: 0,
            quorum_up: None,
            quorum_down: None,
            sorry_server: None,
            alpha: false,
            omega: false,
            inhibit_on_failure: false,
            ha_suspend: false,
            virtualhost: None,
            smtp_alert: None,
            snmp_name: None,
            weight: 1,
            connect_timeout: None,
            retry: None,
            delay_before_retry: None,
            warmup: None,
            real_servers: Vec::new(),
            loc,
        }
    }
}

/// `real_server IP [PORT] { ... }` (spec §2.7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RealServer {
    /// Its address.
    pub address: IpAddr,
    /// Its port; 0 when none was written (fwmark services, or the service's port).
    pub port: u16,
    /// `weight` (the virtual server's `weight`, 1 by default).
    pub weight: u32,
    /// `inhibit_on_failure [BOOL]`: weight 0 instead of removal when down (the virtual
    /// server's setting, as read before this real server, unless written).
    pub inhibit_on_failure: bool,
    /// `notify_up SCRIPT`.
    pub notify_up: Option<Script>,
    /// `notify_down SCRIPT`.
    pub notify_down: Option<Script>,
    /// `lvs_method`; `None` means the virtual server's.
    pub lvs_method: Option<Method>,
    /// `uthreshold`: upper connection threshold.
    pub uthreshold: Option<u32>,
    /// `lthreshold`: lower connection threshold.
    pub lthreshold: Option<u32>,
    /// `smtp_alert [BOOL]`.
    pub smtp_alert: Option<bool>,
    /// `virtualhost NAME`.
    pub virtualhost: Option<String>,
    /// `snmp_name NAME`.
    pub snmp_name: Option<String>,
    /// `alpha [BOOL]` default for its checkers.
    pub alpha: Option<bool>,
    /// `retry` default for its checkers.
    pub retry: Option<u32>,
    /// `delay_before_retry` default for its checkers.
    pub delay_before_retry: Option<Seconds>,
    /// `connect_timeout` default for its checkers.
    pub connect_timeout: Option<Seconds>,
    /// `delay_loop` default for its checkers.
    pub delay_loop: Option<Seconds>,
    /// `warmup` default for its checkers.
    pub warmup: Option<Seconds>,
    /// Its checkers; alive iff all are up (spec §3.13).
    pub checkers: Vec<Checker>,
    /// Where the real server was written.
    pub loc: Loc,
}

impl RealServer {
    /// A real server with keepalived's defaults, before its block is read.
    pub fn new(address: IpAddr, port: u16, weight: u32, loc: Loc) -> Self {
        RealServer {
            address,
            port,
            weight,
            inhibit_on_failure: false,
            notify_up: None,
            notify_down: None,
            lvs_method: None,
            uthreshold: None,
            lthreshold: None,
            smtp_alert: None,
            virtualhost: None,
            snmp_name: None,
            alpha: None,
            retry: None,
            delay_before_retry: None,
            connect_timeout: None,
            delay_loop: None,
            warmup: None,
            checkers: Vec::new(),
            loc,
        }
    }
}
