//! Small builders for test worlds: one address plan so scenarios read as stories
//! ("r1 prio 200, r2 prio 100 on one LAN") instead of address bookkeeping.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use keel_vrrp::{InstanceConfig, RouterConfig, SyncGroupConfig, TrackedObject, Version};

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

/// An IPv4 instance `VI_<vrid>` on [`INTERFACE`] for router `index`, with one VIP, the given
/// version and interval, keepalived's defaults otherwise, and the [`TRACKER`] tracker.
pub fn instance(
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
        primary_address(index),
    );
    config.version = version;
    config.priority = priority;
    config.advert_interval = interval;
    config.virtual_addresses = vec![vip(vrid)];
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
