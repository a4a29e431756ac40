//! Small builders for test worlds: one address plan so scenarios read as stories
//! ("r1 prio 200, r2 prio 100 on one LAN") instead of address bookkeeping.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use keel_vrrp::{Family, InstanceConfig, RouterConfig, SyncGroupConfig, TrackedObject, Version};

use crate::{LinkProfile, RouterId, SegmentId, Sim, SimError};

/// The interface every router of a [`lan`] world uses.
pub const INTERFACE: &str = "eth0";

/// The tracker every [`instance`] carries, so a scenario can change priorities: while it
/// reports `Down`, the priority drops by [`TRACKER_WEIGHT`] (spec §3.5, weight < 0 subtracts
/// while failed).
pub const TRACKER: &str = "sim:priority";

/// How much [`TRACKER`] takes off while down.
pub const TRACKER_WEIGHT: i32 = 60;

/// Router `index`'s primary address: 192.0.2.(index + 1) (TEST-NET-1, never routed).
pub fn primary_address(index: usize) -> IpAddr {
    let host = u8::try_from(index + 1).unwrap_or(u8::MAX);
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, host))
}

/// The VIP of `vrid`: 198.51.100.vrid (TEST-NET-2).
pub fn vip(vrid: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(198, 51, 100, vrid))
}

/// Router `index`'s IPv6 link-local primary address: fe80::(index + 1).
pub fn primary_address_v6(index: usize) -> IpAddr {
    let host = u16::try_from(index + 1).unwrap_or(u16::MAX);
    IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, host))
}

/// The IPv6 VIP of `vrid`: 2001:db8::vrid (documentation prefix).
pub fn vip_v6(vrid: u8) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, u16::from(vrid)))
}

/// Router `index`'s primary address in `family`.
pub fn primary_address_in(family: Family, index: usize) -> IpAddr {
    match family {
        Family::Ipv4 => primary_address(index),
        Family::Ipv6 => primary_address_v6(index),
    }
}

/// The VIP of `vrid` in `family`.
pub fn vip_in(family: Family, vrid: u8) -> IpAddr {
    match family {
        Family::Ipv4 => vip(vrid),
        Family::Ipv6 => vip_v6(vrid),
    }
}

/// An IPv4 instance `VI_<vrid>` on [`INTERFACE`] for router `index`, with one VIP, the given
/// version and interval, keepalived's defaults otherwise, and the [`TRACKER`] tracker.
pub fn instance(
    index: usize,
    vrid: u8,
    priority: u8,
    version: Version,
    interval: Duration,
) -> InstanceConfig {
    instance_in(Family::Ipv4, index, vrid, priority, version, interval)
}

/// Like [`instance`], in `family` (IPv6 instances are always VRRPv3, spec §2.6).
pub fn instance_in(
    family: Family,
    index: usize,
    vrid: u8,
    priority: u8,
    version: Version,
    interval: Duration,
) -> InstanceConfig {
    let mut config = InstanceConfig::new(
        &format!("VI_{vrid}"),
        INTERFACE,
        vrid,
        primary_address_in(family, index),
    );
    config.version = match family {
        Family::Ipv4 => version,
        Family::Ipv6 => Version::V3,
    };
    config.priority = priority;
    config.advert_interval = interval;
    config.virtual_addresses = vec![vip_in(family, vrid)];
    config.trackers = vec![TrackedObject::state(TRACKER, -TRACKER_WEIGHT)];
    config
}

/// A router of the given instances, in a sync group `G` when `sync_group` holds.
pub fn router(instances: Vec<InstanceConfig>, sync_group: bool) -> RouterConfig {
    let sync_groups = if sync_group {
        let names: Vec<&str> = instances.iter().map(|i| i.name.as_str()).collect();
        let mut group = SyncGroupConfig::new("G", &names);
        // Members keep the weighted priority tracker (spec §3.6 sync_group_tracking_weight).
        group.tracking_weight = true;
        vec![group]
    } else {
        Vec::new()
    };
    RouterConfig {
        instances,
        sync_groups,
    }
}

/// One LAN with routers `r1..rN` from `configs`, attached through [`INTERFACE`], not started.
pub fn lan(
    seed: u64,
    profile: LinkProfile,
    configs: Vec<RouterConfig>,
) -> Result<(Sim, SegmentId, Vec<RouterId>), SimError> {
    let mut sim = Sim::new(seed);
    let segment = sim.add_segment("lan", profile);
    let mut ids = Vec::new();
    for (index, config) in configs.into_iter().enumerate() {
        let id = sim.add_router(&format!("r{}", index + 1), config)?;
        sim.attach(id, INTERFACE, segment)?;
        ids.push(id);
    }
    Ok((sim, segment, ids))
}
