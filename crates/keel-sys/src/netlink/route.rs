//! Routes: keepalived's `virtual_routes` / `static_routes` entries.
//!
//! spec §2.6: `[src <IP>] [to] <IP>/<prefix> [via|gw <IP>] [or <IP>] [dev <if>]
//! [scope <scope>] [table <t>] [metric <m>] [protocol <p>] [blackhole|unreachable|prohibit|
//! throw] [nexthop …]`.

use std::net::IpAddr;

use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteMessage, RouteNextHop, RouteProtocol, RouteType,
};

use super::{Netlink, family_of};
use crate::error::{Error, Result};

/// `RT_TABLE_MAIN`, the table routes go to when none is given.
pub const MAIN_TABLE: u32 = 254;
/// `RTPROT_BOOT`, the protocol `ip route add` uses when none is given.
const PROTOCOL_BOOT: u8 = 3;
/// `RT_TABLE_COMPAT`: the header value when the table id does not fit in 8 bits.
const TABLE_COMPAT: u8 = 252;

/// The type of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RouteKind {
    /// A normal route (gateway or directly connected).
    #[default]
    Unicast,
    /// `blackhole`: silently discard.
    Blackhole,
    /// `unreachable`: discard with ICMP unreachable.
    Unreachable,
    /// `prohibit`: discard with ICMP administratively prohibited.
    Prohibit,
    /// `throw`: continue rule lookup past this table.
    Throw,
}

/// The scope of a route (`scope` keyword).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteScope {
    /// `global` / `universe`.
    Global,
    /// `site`.
    Site,
    /// `link`: directly attached.
    Link,
    /// `host`: local to this host.
    Host,
    /// `nowhere`.
    Nowhere,
}

/// One next hop of a multipath route (`nexthop via IP dev IF weight N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextHop {
    /// `via`.
    pub gateway: Option<IpAddr>,
    /// `dev`.
    pub ifindex: Option<u32>,
    /// `weight`, 1..=256.
    pub weight: u16,
}

/// One route, as added and deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    /// The destination prefix (`0.0.0.0` / `::` with length 0 for `default`).
    pub destination: IpAddr,
    /// The destination prefix length.
    pub prefix_len: u8,
    /// `via` / `gw`.
    pub gateway: Option<IpAddr>,
    /// `dev`.
    pub ifindex: Option<u32>,
    /// `src`: the preferred source address.
    pub source: Option<IpAddr>,
    /// `table` (default [`MAIN_TABLE`]).
    pub table: u32,
    /// `metric` / `preference`.
    pub metric: Option<u32>,
    /// `scope`; `None` picks what `ip route` picks: link for a unicast route through a
    /// device without gateway, global otherwise.
    pub scope: Option<RouteScope>,
    /// `protocol` (default `boot`, 3).
    pub protocol: Option<u8>,
    /// The route type.
    pub kind: RouteKind,
    /// `nexthop` entries of a multipath route (empty for a single path).
    pub nexthops: Vec<NextHop>,
}

impl RouteSpec {
    /// A unicast route to `destination/prefix_len` in the main table, nothing else set.
    pub fn new(destination: IpAddr, prefix_len: u8) -> RouteSpec {
        RouteSpec {
            destination,
            prefix_len,
            gateway: None,
            ifindex: None,
            source: None,
            table: MAIN_TABLE,
            metric: None,
            scope: None,
            protocol: None,
            kind: RouteKind::Unicast,
            nexthops: Vec::new(),
        }
    }
}

impl Netlink {
    /// Adds the route; fails with errno `EEXIST` if an identical one exists.
    pub async fn add_route(&self, spec: &RouteSpec) -> Result<()> {
        let message = route_message(spec)?;
        self.create("add route", RouteNetlinkMessage::NewRoute(message))
            .await
    }

    /// Deletes the route; fails with errno `ESRCH` if it is not there.
    pub async fn delete_route(&self, spec: &RouteSpec) -> Result<()> {
        let message = route_message(spec)?;
        self.acknowledged("delete route", RouteNetlinkMessage::DelRoute(message))
            .await
    }
}

fn route_message(spec: &RouteSpec) -> Result<RouteMessage> {
    let v4 = spec.destination.is_ipv4();
    let maximum = if v4 { 32 } else { 128 };
    if spec.prefix_len > maximum {
        return Err(Error::InvalidArgument(format!(
            "prefix length {} for {}",
            spec.prefix_len, spec.destination
        )));
    }
    let same_family = |ip: &IpAddr| ip.is_ipv4() == v4;
    let gateways = spec
        .gateway
        .iter()
        .chain(spec.source.iter())
        .chain(spec.nexthops.iter().filter_map(|hop| hop.gateway.as_ref()));
    for ip in gateways {
        if !same_family(ip) {
            return Err(Error::InvalidArgument(format!(
                "{ip} in a route to {}",
                spec.destination
            )));
        }
    }
    let mut message = RouteMessage::default();
    let header = &mut message.header;
    header.address_family = family_of(spec.destination);
    header.destination_prefix_length = spec.prefix_len;
    header.table = u8::try_from(spec.table).unwrap_or(TABLE_COMPAT);
    header.protocol = RouteProtocol::from(spec.protocol.unwrap_or(PROTOCOL_BOOT));
    header.kind = match spec.kind {
        RouteKind::Unicast => RouteType::Unicast,
        RouteKind::Blackhole => RouteType::BlackHole,
        RouteKind::Unreachable => RouteType::Unreachable,
        RouteKind::Prohibit => RouteType::Prohibit,
        RouteKind::Throw => RouteType::Throw,
    };
    let scope = spec.scope.unwrap_or(
        if spec.kind == RouteKind::Unicast
            && spec.gateway.is_none()
            && spec.nexthops.is_empty()
            && spec.ifindex.is_some()
            && v4
        {
            RouteScope::Link
        } else {
            RouteScope::Global
        },
    );
    header.scope = match scope {
        RouteScope::Global => netlink_packet_route::route::RouteScope::Universe,
        RouteScope::Site => netlink_packet_route::route::RouteScope::Site,
        RouteScope::Link => netlink_packet_route::route::RouteScope::Link,
        RouteScope::Host => netlink_packet_route::route::RouteScope::Host,
        RouteScope::Nowhere => netlink_packet_route::route::RouteScope::NoWhere,
    };
    let attributes = &mut message.attributes;
    attributes.push(RouteAttribute::Table(spec.table));
    if spec.prefix_len > 0 {
        attributes.push(RouteAttribute::Destination(RouteAddress::from(
            spec.destination,
        )));
    }
    if let Some(gateway) = spec.gateway {
        attributes.push(RouteAttribute::Gateway(RouteAddress::from(gateway)));
    }
    if let Some(ifindex) = spec.ifindex {
        attributes.push(RouteAttribute::Oif(ifindex));
    }
    if let Some(source) = spec.source {
        attributes.push(RouteAttribute::PrefSource(RouteAddress::from(source)));
    }
    if let Some(metric) = spec.metric {
        attributes.push(RouteAttribute::Priority(metric));
    }
    if !spec.nexthops.is_empty() {
        let mut hops = Vec::new();
        for hop in &spec.nexthops {
            if !(1..=256).contains(&hop.weight) {
                return Err(Error::InvalidArgument(format!(
                    "nexthop weight {} outside 1..=256",
                    hop.weight
                )));
            }
            let mut next = RouteNextHop::default();
            // rtnexthop.rtnh_hops holds weight - 1 (ip-route(8)).
            next.hops = (hop.weight - 1) as u8;
            next.interface_index = hop.ifindex.unwrap_or(0);
            if let Some(gateway) = hop.gateway {
                next.attributes
                    .push(RouteAttribute::Gateway(RouteAddress::from(gateway)));
            }
            hops.push(next);
        }
        attributes.push(RouteAttribute::MultiPath(hops));
    }
    Ok(message)
}
