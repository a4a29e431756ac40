//! Tracked objects and static helpers (spec §2.4): `vrrp_script`, `track_file`,
//! `vrrp_track_process`, `bfd_instance`, `track_group`, `garp_group`, linkbeat and
//! interface delays.

use std::net::IpAddr;

use serde::Serialize;

use super::{Loc, RawKeyword, Script, Seconds, UserGroup};

/// `vrrp_script NAME { ... }` (spec §2.4, §3.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VrrpScript {
    /// The name referenced by `track_script`.
    pub name: String,
    /// `script "cmd args"`.
    pub script: Script,
    /// `interval S` (1).
    pub interval: Seconds,
    /// `timeout S` (= interval).
    pub timeout: Option<Seconds>,
    /// `weight -253..253` (0).
    pub weight: i32,
    /// `weight W reverse`.
    pub reverse: bool,
    /// `rise N` (1).
    pub rise: u32,
    /// `fall N` (1).
    pub fall: u32,
    /// `user USER [GROUP]`.
    pub user: Option<UserGroup>,
    /// `init_fail`: start in the failed state.
    pub init_fail: bool,
    /// Where `vrrp_script NAME` was written.
    #[serde(skip)]
    pub span: Loc,
}

/// `track_file NAME { ... }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackFile {
    /// The name referenced by `track_file`.
    pub name: String,
    /// `file PATH`.
    pub file: String,
    /// `weight N` (1).
    pub weight: i32,
    /// `weight N reverse`.
    pub reverse: bool,
    /// `init_file [VAL] [overwrite]`.
    pub init_file: Option<InitFile>,
    /// Where `track_file NAME` was written.
    #[serde(skip)]
    pub span: Loc,
}

/// `init_file [VAL] [overwrite]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct InitFile {
    /// Value written (0).
    pub value: i64,
    /// `overwrite` an existing file.
    pub overwrite: bool,
}

/// `vrrp_track_process NAME { ... }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackProcess {
    /// The name referenced by `track_process`.
    pub name: String,
    /// `process NAME [PARAMS...]`.
    pub process: Vec<String>,
    /// `param_match initial|partial` (exact when parameters are given).
    pub param_match: Option<String>,
    /// `weight -254..254` (0).
    pub weight: i32,
    /// `weight W reverse`.
    pub reverse: bool,
    /// `quorum N` (1).
    pub quorum: u32,
    /// `quorum_max N`.
    pub quorum_max: Option<u32>,
    /// `fork_delay S`.
    pub fork_delay: Option<Seconds>,
    /// `terminate_delay S`.
    pub terminate_delay: Option<Seconds>,
    /// `full_command`.
    pub full_command: bool,
    /// Where `vrrp_track_process NAME` was written.
    #[serde(skip)]
    pub span: Loc,
}

/// `bfd_instance NAME { ... }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BfdInstance {
    /// The name referenced by `track_bfd`.
    pub name: String,
    /// `neighbor_ip IP` (required).
    pub neighbor_ip: Option<IpAddr>,
    /// `source_ip IP`.
    pub source_ip: Option<IpAddr>,
    /// `min_rx` in ms (10).
    pub min_rx_ms: u32,
    /// `min_tx` in ms (10).
    pub min_tx_ms: u32,
    /// `idle_tx` in ms (1000).
    pub idle_tx_ms: u32,
    /// `multiplier` (5).
    pub multiplier: u8,
    /// `passive`.
    pub passive: bool,
    /// `ttl` / `hoplimit`.
    pub ttl: Option<u8>,
    /// `max_hops`.
    pub max_hops: Option<u8>,
    /// `multihop [BOOL]`.
    pub multihop: bool,
    /// `weight W [reverse]`.
    pub weight: i32,
    /// `weight W reverse`.
    pub reverse: bool,
    /// `vrrp` / `checker`: which processes receive events; other keywords raw.
    pub other: Vec<RawKeyword>,
    /// Where `bfd_instance NAME` was written.
    #[serde(skip)]
    pub span: Loc,
}

/// `track_group NAME { group { VI ... } }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TrackGroup {
    /// The group name (referenced by static entries' `track_group`).
    pub name: String,
    /// Instances that go FAULT if a tracked static entry is lost.
    pub group: Vec<String>,
}

/// `garp_group { ... }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GarpGroup {
    /// `garp_interval S`.
    pub garp_interval: Option<Seconds>,
    /// `gna_interval S`.
    pub gna_interval: Option<Seconds>,
    /// `interface IF` and `interfaces { IF ... }`.
    pub interfaces: Vec<String>,
    /// Where the group's interfaces end (keepalived reports problems there).
    #[serde(skip)]
    pub span: Loc,
}

/// `linkbeat_interfaces { IF [MII|ETHTOOL|IOCTL] }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkbeatInterface {
    /// The interface.
    pub interface: String,
    /// Polling method, if given.
    pub method: Option<String>,
}

/// `interface_up_down_delays { IF down [up] }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterfaceDelay {
    /// The interface.
    pub interface: String,
    /// Delay before acting on down (≤ 255 s).
    pub down: Seconds,
    /// Delay before acting on up (= down when not given).
    pub up: Seconds,
}
