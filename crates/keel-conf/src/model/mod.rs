//! The typed configuration: what keel acts on, with keepalived 2.2.7's defaults applied.
//!
//! Field names use keepalived's vocabulary (`router_id`, `virtual_router_id`, `priority`,
//! `advert_int`) so `keel --dump-conf=json` reads like the configuration it came from.
//! Durations are [`Seconds`] and serialise as seconds (f64). Source positions are kept in
//! [`Loc`] values, which never take part in equality so a printed and re-parsed
//! configuration compares equal to the original.

pub mod address;
pub mod global;
pub mod lvs;
pub mod scheduling;
pub mod track;
pub mod vrrp;

use std::net::IpAddr;

use serde::{Serialize, Serializer};

use crate::source::Span;

pub use address::{Route, Rule, VirtualAddress};
pub use global::GlobalDefs;
pub use track::{BfdInstance, TrackFile, TrackProcess, VrrpScript};
pub use vrrp::{Instance, SyncGroup};

/// A whole keepalived configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Config {
    /// Root-level keywords outside any block (spec §2.2).
    pub root: RootOptions,
    /// `global_defs { ... }` (spec §2.3).
    pub global_defs: GlobalDefs,
    /// The VRRP side: instances, sync groups, trackers and static objects (spec §2.4–§2.6).
    pub vrrp: Vrrp,
    /// The load-balancer side: virtual servers and checkers (spec §2.7).
    pub lvs: lvs::Lvs,
    /// Keywords that were accepted but that keel does not act on yet, each once, so the
    /// daemon can say "not supported yet" at startup.
    pub not_supported: Vec<NotSupported>,
}

/// Root-level keywords that are not blocks (spec §2.2).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RootOptions {
    /// `net_namespace NAME`: run in this network namespace.
    pub net_namespace: Option<String>,
    /// `net_namespace_ipvs [NAME]`: IPVS in another namespace (`Some("")` = default ns).
    pub net_namespace_ipvs: Option<String>,
    /// `namespace_with_ipsets`.
    pub namespace_with_ipsets: bool,
    /// `use_pid_dir`: pid files under /run/keepalived.
    pub use_pid_dir: bool,
    /// `instance NAME`: names pid files and dumps.
    pub instance: Option<String>,
    /// `child_wait_time SECS` (5).
    pub child_wait_time: Seconds,
    /// `linkbeat_use_polling`: poll link state instead of netlink.
    pub linkbeat_use_polling: bool,
}

impl Default for RootOptions {
    fn default() -> Self {
        RootOptions {
            net_namespace: None,
            net_namespace_ipvs: None,
            namespace_with_ipsets: false,
            use_pid_dir: false,
            instance: None,
            child_wait_time: Seconds::from_secs(5),
            linkbeat_use_polling: false,
        }
    }
}

/// The VRRP side of a configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Vrrp {
    /// `vrrp_script NAME { ... }`, in file order.
    pub scripts: Vec<VrrpScript>,
    /// `track_file NAME { ... }` (and deprecated `vrrp_track_file`).
    pub track_files: Vec<TrackFile>,
    /// `vrrp_track_process NAME { ... }`.
    pub track_processes: Vec<TrackProcess>,
    /// `bfd_instance NAME { ... }`.
    pub bfd_instances: Vec<BfdInstance>,
    /// `vrrp_sync_group NAME { ... }`.
    pub sync_groups: Vec<SyncGroup>,
    /// `vrrp_instance NAME { ... }`.
    pub instances: Vec<Instance>,
    /// `static_ipaddress { ... }`.
    pub static_ipaddress: Vec<VirtualAddress>,
    /// `static_routes { ... }`.
    pub static_routes: Vec<Route>,
    /// `static_rules { ... }`.
    pub static_rules: Vec<Rule>,
    /// `track_group NAME { group { VI ... } }`.
    pub track_groups: Vec<track::TrackGroup>,
    /// `garp_group { ... }`.
    pub garp_groups: Vec<track::GarpGroup>,
    /// `linkbeat_interfaces { IF [MII|ETHTOOL|IOCTL] }`.
    pub linkbeat_interfaces: Vec<track::LinkbeatInterface>,
    /// `interface_up_down_delays { IF down [up] }`.
    pub interface_up_down_delays: Vec<track::InterfaceDelay>,
}

/// A keyword keel accepted but does not act on yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotSupported {
    /// The keyword as written.
    pub keyword: String,
    /// Its first occurrence.
    #[serde(skip)]
    pub loc: Loc,
}

impl NotSupported {
    /// What keel says of it, in `keel -t`'s note and the daemon's start-up log alike.
    pub fn message(&self) -> String {
        format!(
            "keyword '{}' is not supported yet by keel; it has no effect",
            self.keyword
        )
    }
}

/// A script to run: program and arguments split as a shell would, and the user and group
/// to run it as (spec §2.1 "Script syntax", §3.14).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Script {
    /// Program and arguments; never empty once parsed.
    pub command: Vec<String>,
    /// `username` after the command; `None` means the default script user.
    pub user: Option<String>,
    /// `groupname` after the user.
    pub group: Option<String>,
    /// Where the command was written.
    #[serde(skip)]
    pub span: Loc,
}

/// A user and optional group (`script_user`, `user` in `vrrp_script`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UserGroup {
    /// User name.
    pub user: String,
    /// Group name; `None` means the user's primary group.
    pub group: Option<String>,
}

/// An address with an optional prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Prefix {
    /// The address.
    pub address: IpAddr,
    /// The length after `/`, if written.
    pub len: Option<u8>,
}

impl std::fmt::Display for Prefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.len {
            Some(len) => write!(f, "{}/{len}", self.address),
            None => write!(f, "{}", self.address),
        }
    }
}

/// A duration parsed from decimal seconds (keepalived's TIMER, microsecond resolution).
/// Serialises as seconds (f64).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Seconds {
    micros: u64,
}

impl Seconds {
    /// From microseconds.
    pub const fn from_micros(micros: u64) -> Self {
        Seconds { micros }
    }

    /// From whole seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Seconds {
            micros: secs * 1_000_000,
        }
    }

    /// The value in microseconds.
    pub const fn micros(self) -> u64 {
        self.micros
    }

    /// The value in seconds.
    pub fn as_f64(self) -> f64 {
        self.micros as f64 / 1e6
    }

    /// As a [`std::time::Duration`].
    pub const fn as_duration(self) -> std::time::Duration {
        std::time::Duration::from_micros(self.micros)
    }
}

impl std::fmt::Display for Seconds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let whole = self.micros / 1_000_000;
        let fraction = self.micros % 1_000_000;
        if fraction == 0 {
            write!(f, "{whole}")
        } else {
            let digits = format!("{fraction:06}");
            write!(f, "{whole}.{}", digits.trim_end_matches('0'))
        }
    }
}

impl Serialize for Seconds {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.as_f64())
    }
}

/// Where something was written. Never part of equality (a re-parsed configuration has
/// other positions) and not serialised.
#[derive(Debug, Clone, Copy, Default, Eq)]
pub struct Loc(pub Option<Span>);

impl PartialEq for Loc {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl Serialize for Loc {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_none()
    }
}

/// A keyword kept with its raw arguments because keel only records it (rare keywords).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RawKeyword {
    /// The keyword.
    pub keyword: String,
    /// Its arguments as written.
    pub args: Vec<String>,
}

impl RawKeyword {
    /// The value of the last `name` among `keywords` read as a flag: absent is `None`, a
    /// bare keyword or `true|yes|on` is true, anything else false.
    pub fn flag(keywords: &[RawKeyword], name: &str) -> Option<bool> {
        keywords.iter().rev().find(|k| k.keyword == name).map(|k| {
            k.args.first().is_none_or(|arg| {
                matches!(arg.to_ascii_lowercase().as_str(), "true" | "yes" | "on")
            })
        })
    }
}
