//! How the router finds the instances an input is for, without scanning them all: a dense
//! (family, VRID) table per interface for adverts (RFC 5798 §5.2.3: a VRID names one virtual
//! router per interface and family), and member lists per interface and per tracker for
//! link, address and tracker events.
//!
//! Ordered maps rather than hash maps: a `HashMap`'s default hasher draws random keys from
//! the OS, and core crates draw no randomness (ARCHITECTURE.md). Only the interface name is
//! looked up in a map, and a host has few interfaces.

use std::collections::BTreeMap;

use crate::config::Family;
use crate::instance::Instance;
use crate::priority::TrackerId;

/// No instance for this (family, VRID).
const NONE: u32 = u32::MAX;

/// Slots per interface: 256 VRIDs for each of the two families.
const SLOTS: usize = 512;

/// The router's indexes over its instances; rebuilt whenever the instance list changes
/// (construction and reload), never on the packet or timer path.
#[derive(Debug, Clone, Default)]
pub(crate) struct Lookup {
    interfaces: BTreeMap<Box<str>, usize>,
    /// Per interface: instance index by `family × 256 + VRID`, or [`NONE`].
    vrids: Vec<[u32; SLOTS]>,
    /// Per interface: its instances, in index order.
    on_interface: Vec<Vec<usize>>,
    /// Per tracker: the instances that track it, in index order.
    by_tracker: BTreeMap<TrackerId, Vec<usize>>,
}

impl Lookup {
    /// Indexes `instances` (identities are unique: the router checked them).
    pub(crate) fn build(instances: &[Instance]) -> Self {
        let mut lookup = Lookup::default();
        for (index, instance) in instances.iter().enumerate() {
            let interface = instance.config.interface.as_str();
            let slot = match lookup.interfaces.get(interface) {
                Some(&slot) => slot,
                None => {
                    let slot = lookup.vrids.len();
                    lookup.interfaces.insert(interface.into(), slot);
                    lookup.vrids.push([NONE; SLOTS]);
                    lookup.on_interface.push(Vec::new());
                    slot
                }
            };
            let key = key(instance.config.family, instance.config.vrid);
            // Instance counts fit in u32 (see deadlines.rs).
            lookup.vrids[slot][key] = index as u32;
            lookup.on_interface[slot].push(index);
            for tracker in &instance.trackers {
                let members = lookup
                    .by_tracker
                    .entry(tracker.object.id.clone())
                    .or_default();
                if members.last() != Some(&index) {
                    members.push(index);
                }
            }
        }
        lookup
    }

    /// The instance for (interface, family, VRID): O(log interfaces), no allocation.
    pub(crate) fn find(&self, interface: &str, family: Family, vrid: u8) -> Option<usize> {
        let &slot = self.interfaces.get(interface)?;
        let index = self.vrids[slot][key(family, vrid)];
        (index != NONE).then_some(index as usize)
    }

    /// The instances on `interface`, in index order.
    pub(crate) fn on_interface(&self, interface: &str) -> &[usize] {
        self.interfaces
            .get(interface)
            .map_or(&[], |&slot| &self.on_interface[slot])
    }

    /// The instances tracking `id`, in index order.
    pub(crate) fn tracking(&self, id: &TrackerId) -> &[usize] {
        self.by_tracker.get(id).map_or(&[], Vec::as_slice)
    }
}

fn key(family: Family, vrid: u8) -> usize {
    let family = match family {
        Family::Ipv4 => 0,
        Family::Ipv6 => 1,
    };
    family * 256 + usize::from(vrid)
}
