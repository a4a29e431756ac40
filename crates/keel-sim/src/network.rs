//! Virtual L2 segments: who hears whom, and what the wire does to a packet on the way.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::RouterId;

/// Identifies a segment of a [`crate::Sim`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SegmentId(pub(crate) usize);

impl SegmentId {
    /// The segment's index, in creation order.
    pub fn index(self) -> usize {
        self.0
    }
}

/// What a segment does to every packet crossing it. Each delivery (one per receiver) draws
/// its own fate, as receivers on a real LAN lose packets independently.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkProfile {
    /// Fixed one-way delay.
    pub latency: Duration,
    /// Extra delay drawn uniformly in `[0, jitter]`.
    pub jitter: Duration,
    /// Probability that a delivery is lost.
    pub loss: f64,
    /// Probability that a delivery arrives twice (the copy with its own delay).
    pub duplicate: f64,
    /// Probability that a delivery is held back by up to `reorder_delay` more, so that later
    /// packets overtake it.
    pub reorder: f64,
    /// The largest hold-back of a reordered delivery.
    pub reorder_delay: Duration,
}

impl LinkProfile {
    /// A perfect wire: no delay, no loss. Timing checks "to the millisecond" use this.
    pub const IDEAL: LinkProfile = LinkProfile {
        latency: Duration::ZERO,
        jitter: Duration::ZERO,
        loss: 0.0,
        duplicate: 0.0,
        reorder: 0.0,
        reorder_delay: Duration::ZERO,
    };

    /// The longest time a delivery can spend on this wire.
    pub fn max_delay(&self) -> Duration {
        let reorder = if self.reorder > 0.0 {
            self.reorder_delay
        } else {
            Duration::ZERO
        };
        self.latency + self.jitter + reorder
    }

    /// This profile with `loss` replaced.
    pub fn with_loss(self, loss: f64) -> LinkProfile {
        LinkProfile { loss, ..self }
    }
}

impl Default for LinkProfile {
    fn default() -> Self {
        LinkProfile::IDEAL
    }
}

impl fmt::Display for LinkProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "latency {} ms, jitter {} ms, loss {:.0}%, dup {:.0}%, reorder {:.0}%",
            self.latency.as_secs_f64() * 1e3,
            self.jitter.as_secs_f64() * 1e3,
            self.loss * 100.0,
            self.duplicate * 100.0,
            self.reorder * 100.0
        )
    }
}

/// One broadcast domain. Routers attach to it through one of their interfaces.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    pub(crate) name: String,
    pub(crate) profile: LinkProfile,
    /// Partition group of each attached router; absent means group 0. Routers hear each
    /// other only inside one group.
    pub(crate) groups: BTreeMap<RouterId, usize>,
    /// Attached routers and the interface each uses, in attachment order.
    pub(crate) members: Vec<(RouterId, String)>,
}

impl Segment {
    pub(crate) fn new(name: &str, profile: LinkProfile) -> Self {
        Segment {
            name: name.to_string(),
            profile,
            groups: BTreeMap::new(),
            members: Vec::new(),
        }
    }

    /// The partition group of `router` (0 when not split).
    pub(crate) fn group(&self, router: RouterId) -> usize {
        self.groups.get(&router).copied().unwrap_or(0)
    }

    /// The interface `router` attaches with, if attached.
    pub(crate) fn interface_of(&self, router: RouterId) -> Option<&str> {
        self.members
            .iter()
            .find(|(member, _)| *member == router)
            .map(|(_, interface)| interface.as_str())
    }
}
