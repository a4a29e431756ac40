//! Addresses, routes and rules: `virtual_ipaddress`, `static_ipaddress`,
//! `virtual_routes`/`static_routes`, `virtual_rules`/`static_rules` (spec §2.4, §2.6).

use std::net::IpAddr;

use serde::Serialize;

use super::{Loc, Prefix};

/// One `virtual_ipaddress` line:
/// `ADDR[/LEN] [brd IP|+|-] [dev IF] [use_vmac] [scope S] [label L] [peer IP] [home]
/// [-nodad] [mngtmpaddr] [noprefixroute] [autojoin] [no_track] [preferred_lft N|forever]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VirtualAddress {
    /// The address.
    pub address: IpAddr,
    /// Prefix length (32/128 when not written).
    pub prefix_len: u8,
    /// `brd IP`, `brd +` or `brd -`.
    pub broadcast: Option<String>,
    /// `dev IF`.
    pub dev: Option<String>,
    /// `use_vmac`.
    pub use_vmac: bool,
    /// `scope site|link|host|nowhere|global` (or a number).
    pub scope: Option<String>,
    /// `label L`.
    pub label: Option<String>,
    /// `peer IP[/LEN]`.
    pub peer: Option<Prefix>,
    /// `home`.
    pub home: bool,
    /// `-nodad`.
    pub nodad: bool,
    /// `mngtmpaddr`.
    pub mngtmpaddr: bool,
    /// `noprefixroute`.
    pub noprefixroute: bool,
    /// `autojoin`.
    pub autojoin: bool,
    /// `no_track`.
    pub no_track: bool,
    /// `preferred_lft N|forever` (`None` = forever).
    pub preferred_lft: Option<u32>,
    /// `track_group G` (static addresses only).
    pub track_group: Option<String>,
    /// Where the line was written.
    #[serde(skip)]
    pub span: Loc,
}

/// One route: `[src IP] [to] DST [via|gw IP] [dev IF] [scope S] [table T] [metric N] ...`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    /// Route type (`unicast` unless `blackhole|unreachable|prohibit|throw|local|broadcast|...`).
    pub route_type: Option<String>,
    /// Destination (`default` is 0.0.0.0/0 or ::/0 by family).
    pub to: Prefix,
    /// `src IP`.
    pub src: Option<IpAddr>,
    /// `via|gw IP`.
    pub via: Option<IpAddr>,
    /// `dev IF`.
    pub dev: Option<String>,
    /// `table T` (number or name).
    pub table: Option<String>,
    /// `metric N` / `preference N` / `priority N`.
    pub metric: Option<u32>,
    /// `no_track`.
    pub no_track: bool,
    /// `track_group G` (static routes).
    pub track_group: Option<String>,
    /// Every other option with its value, in order (`scope`, `proto`, `mtu`, `nexthop`...).
    pub options: Vec<(String, Option<String>)>,
    /// Where the line was written.
    #[serde(skip)]
    pub span: Loc,
}

/// One rule: `from/to/table/iif/oif/fwmark/preference/...`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// `from PREFIX`.
    pub from: Option<Prefix>,
    /// `to PREFIX`.
    pub to: Option<Prefix>,
    /// `table T` / `lookup T`.
    pub table: Option<String>,
    /// `preference N` (`priority`, `order`).
    pub preference: Option<u32>,
    /// `no_track`.
    pub no_track: bool,
    /// `track_group G` (static rules).
    pub track_group: Option<String>,
    /// Every other option with its value, in order (`iif`, `oif`, `fwmark`, `inet6`...).
    pub options: Vec<(String, Option<String>)>,
    /// Where the line was written.
    #[serde(skip)]
    pub span: Loc,
}
