//! Machine-readable logs of a run, for property checks: transitions, adverts sent, the fate of
//! each delivery, and who owned each VIP when (the fake kernel address table's history).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use keel_vrrp::State;

use crate::RouterId;
use crate::network::SegmentId;

/// An instance changed state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionRecord {
    /// When.
    pub at: Duration,
    /// Which router.
    pub router: RouterId,
    /// Which instance.
    pub instance: Arc<str>,
    /// Its VRID.
    pub vrid: u8,
    /// Previous state.
    pub from: State,
    /// New state.
    pub to: State,
}

/// An advert a router emitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvertRecord {
    /// When.
    pub at: Duration,
    /// Sender.
    pub router: RouterId,
    /// VRID.
    pub vrid: u8,
    /// Advertised priority.
    pub priority: u8,
    /// The sender's advert interval (v3 backups adopt it).
    pub interval: Duration,
    /// False when the interface was down or not attached: nothing reached the wire.
    pub on_wire: bool,
}

/// What became of one copy of an advert on its way to one receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Handed to the receiver's keel-vrrp router.
    Delivered,
    /// Lost on the wire (the segment's loss probability).
    Lost,
    /// The receiver was down, its link was down, or a partition separated it on arrival.
    Unreachable,
}

/// One copy of one advert to one receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// When it was sent.
    pub sent_at: Duration,
    /// When it arrived (equal to `sent_at` for a loss).
    pub at: Duration,
    /// Sender.
    pub from: RouterId,
    /// Receiver.
    pub to: RouterId,
    /// The segment it crossed.
    pub segment: SegmentId,
    /// VRID.
    pub vrid: u8,
    /// Advertised priority.
    pub priority: u8,
    /// The sender's advert interval.
    pub interval: Duration,
    /// What happened to it.
    pub fate: Fate,
}

/// A VIP installed on one router from `from` until `until` (open while still installed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnershipSpan {
    /// The address.
    pub address: IpAddr,
    /// The router whose fake kernel held it.
    pub router: RouterId,
    /// Installed at.
    pub from: Duration,
    /// Removed at; `None` while installed.
    pub until: Option<Duration>,
}

impl OwnershipSpan {
    /// The overlap of this span with `other` and with `[window_start, window_end]`, if any
    /// time is shared. Touching ends (one removed when the other is added) do not overlap.
    pub fn overlap(
        &self,
        other: &OwnershipSpan,
        window_start: Duration,
        window_end: Duration,
    ) -> Option<(Duration, Duration)> {
        let start = self.from.max(other.from).max(window_start);
        let end = self
            .until
            .unwrap_or(Duration::MAX)
            .min(other.until.unwrap_or(Duration::MAX))
            .min(window_end);
        (start < end).then_some((start, end))
    }
}
