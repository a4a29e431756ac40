//! A BACKUP's repeated adverts, absorbed in the kernel (issue 4: CPU at 510 instances ×
//! 0.1 s; keel-sys `socket::filter` says what the kernel side does).
//!
//! When an advert the loop handed to the engine did nothing but restart an instance's
//! Master_Down timer from its arrival ([`keel_vrrp::Instance::restarted_by`], RFC 5798
//! §6.4.2), the VRRP socket's filter is armed with that advert's fingerprint and the
//! instance's Master_Down_Interval. Repeats of it that come within that interval of the
//! previous one then stay in the kernel, which records the last arrival and counts them.
//!
//! The engine still decides everything, from the arrivals the kernel recorded:
//!
//! - **Before a Master_Down timer can fire** (when it is due within [`ABSORB_AHEAD`], before
//!   the loop sleeps, spins or serves timers): the instance's absorbed adverts are handed
//!   over as one, the cached advert at the last arrival, and the rest are counted. Every
//!   absorbed advert came while the timer it restarted still ran, so the engine restarts it
//!   from the last one as it would have after each. An advert after a longer silence is not
//!   absorbed: it reaches the socket, in order, after the expiry.
//! - **Before the engine sees an advert of the instance from the socket** (another
//!   priority, a gap, another sender): what was absorbed is handed over first, in arrival
//!   order.
//! - **Before any other input** (a tracker, a link, a reload) every instance's absorbed
//!   adverts are handed over, and every filter is disarmed: the input may change how the
//!   instance treats the same advert, so the next one is read and judged again.
//! - **When the instance changes state or sends** (it became MASTER, FAULT, …), its filter
//!   is disarmed, and an advert absorbed in between is handed over.
//!
//! What this saves: the backup's socket queue, wake-ups, `recvmmsg` with its control
//! messages, decoding and the engine's per-advert work, for all but a few adverts per
//! Master_Down_Interval (docs/benchmarks.md).

use std::time::{Duration, Instant};

use keel_sys::socket::Received;
use keel_sys::socket::filter::{Fingerprint, monotonic_ns};
use keel_vrrp::{Family, ReceivedAdvert, Timer};

use keel_vrrp::Router;

use super::Daemon;
use crate::daemon::log;
use crate::daemon::net::Endpoint;

/// How far ahead of a Master_Down deadline the absorbed adverts are handed over: the
/// deadlines of instances whose master advertised in the same burst fall together, and
/// one wake-up serves them all.
pub(super) const ABSORB_AHEAD: Duration = Duration::from_millis(20);

/// How much shorter than Master_Down_Interval the longest absorbed gap is: the kernel's
/// arrival times and the ones the engine got (`SO_TIMESTAMPNS`) are read from two clocks;
/// an advert within this margin of the expiry is read from the socket instead.
const LIMIT_MARGIN: Duration = Duration::from_millis(1);

/// An instance whose repeated adverts its socket's filter absorbs.
#[derive(Debug)]
pub(super) struct Absorbing {
    /// The endpoint whose VRRP socket has the filter.
    endpoint: usize,
    /// The filter's count when the engine was last handed its adverts.
    fed: u64,
    /// The advert the filter absorbs repeats of.
    advert: ReceivedAdvert,
}

/// A moment read on both clocks: `Instant` and CLOCK_MONOTONIC ns (the kernel's).
#[derive(Debug, Clone, Copy)]
struct Reference {
    now: Instant,
    ns: u64,
}

impl Reference {
    fn read() -> Reference {
        let now = Instant::now();
        Reference {
            now,
            ns: monotonic_ns(),
        }
    }

    /// The Instant of kernel time `ns` (never after the reference).
    fn instant(self, ns: u64) -> Instant {
        let ago = Duration::from_nanos(self.ns.saturating_sub(ns));
        self.now.checked_sub(ago).unwrap_or(self.now)
    }

    /// The kernel time of `at`.
    fn ns(self, at: Instant) -> u64 {
        let ago = self.now.saturating_duration_since(at).as_nanos();
        self.ns
            .saturating_sub(u64::try_from(ago).unwrap_or(u64::MAX))
    }
}

/// The instances whose repeated adverts their socket's filter absorbs, by engine index.
#[derive(Debug, Default)]
pub(super) struct Absorber {
    slots: Vec<Option<Absorbing>>,
    /// How many slots are `Some`: 0 on a master, so its paths cost one comparison.
    armed: usize,
}

impl Absorber {
    /// After the engine handled `advert` (read from `endpoint`'s VRRP socket as `bytes`,
    /// described by `received`) at `at`: arms the socket's filter with it when it did
    /// nothing but restart the instance's Master_Down timer.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn arm(
        &mut self,
        router: &Router,
        endpoints: &[Endpoint],
        endpoint: usize,
        interface: &str,
        at: Instant,
        bytes: &[u8],
        received: &Received,
        advert: &ReceivedAdvert,
    ) {
        // A socket without a filter (a kernel without eBPF) costs nothing more. The
        // instance is found by the socket's family, as absorb_before finds it.
        let Some((filter, family)) = endpoints
            .get(endpoint)
            .and_then(|e| Some((e.filter()?, e.family)))
        else {
            return;
        };
        let Some(index) = router.locate(interface, family, advert.vrid) else {
            return;
        };
        let Some(down) = router.instances()[index].restarted_by(at) else {
            return;
        };
        let fingerprint = match family {
            Family::Ipv4 => Fingerprint::ipv4(bytes),
            Family::Ipv6 => Fingerprint::ipv6(bytes, received),
        };
        let Some(fingerprint) = fingerprint.filter(|f| f.vrid() == advert.vrid) else {
            return;
        };
        let limit = down.saturating_sub(LIMIT_MARGIN);
        // The count before arming: whatever the filter absorbs from now on is new.
        let fed = filter.absorbed(advert.vrid).count;
        filter.arm(
            &fingerprint,
            Reference::read().ns(at),
            u64::try_from(limit.as_nanos()).unwrap_or(u64::MAX),
        );
        if self.slots.len() <= index {
            self.slots.resize_with(index + 1, || None);
        }
        match &mut self.slots[index] {
            // Re-armed (after a gap, or with a new advert): the cached advert's allocation
            // is reused.
            Some(previous) if previous.endpoint == endpoint => {
                previous.fed = fed;
                copy_advert(&mut previous.advert, advert);
            }
            slot => {
                log::detail(&format!(
                    "({}) repeats of {}'s advert are absorbed in the kernel",
                    router.instances()[index].name(),
                    advert.source
                ));
                match slot.take() {
                    Some(previous) => disarm_slot(endpoints, &previous),
                    None => self.armed += 1,
                }
                *slot = Some(Absorbing {
                    endpoint,
                    fed,
                    advert: advert.clone(),
                });
            }
        }
    }

    /// Hands the engine what the filters absorbed for every instance whose Master_Down
    /// timer is due by `horizon`, earliest first, stopping at the first one that absorbed
    /// nothing (that timer is really due).
    pub(super) fn absorb_due(
        &mut self,
        router: &mut Router,
        endpoints: &[Endpoint],
        horizon: Instant,
    ) {
        if self.armed == 0 {
            return;
        }
        let reference = Reference::read();
        while let Some((deadline, Timer::MasterDown, index)) = router.next_timer_of() {
            if deadline > horizon || !self.absorb(router, endpoints, index, reference) {
                return;
            }
        }
    }

    /// Hands the engine what was absorbed for the instance with `vrid` of `family` on
    /// `interface`, before the engine sees an advert of it read from the socket.
    pub(super) fn absorb_before(
        &mut self,
        router: &mut Router,
        endpoints: &[Endpoint],
        interface: &str,
        family: Family,
        vrid: u8,
    ) {
        if self.armed == 0 {
            return;
        }
        if let Some(index) = router.locate(interface, family, vrid) {
            self.absorb(router, endpoints, index, Reference::read());
        }
    }

    /// Hands the engine what every filter absorbed (before a dump, so the counters are
    /// current).
    pub(super) fn absorb_all(&mut self, router: &mut Router, endpoints: &[Endpoint]) {
        if self.armed == 0 {
            return;
        }
        let reference = Reference::read();
        for index in 0..self.slots.len() {
            self.absorb(router, endpoints, index, reference);
        }
    }

    /// Hands the engine what every filter absorbed and disarms them all: before an input
    /// that may change how an instance treats the same advert, before a reload, and
    /// before endpoints are closed.
    pub(super) fn stop(&mut self, router: &mut Router, endpoints: &[Endpoint]) {
        if self.armed == 0 {
            return;
        }
        for index in 0..self.slots.len() {
            self.disarm(router, endpoints, index);
        }
    }

    /// Whether instance `index`'s adverts are being absorbed.
    pub(super) fn is_armed(&self, index: usize) -> bool {
        self.armed > 0 && self.slots.get(index).is_some_and(Option::is_some)
    }

    /// Disarms instance `index`'s filter; an advert it absorbed meanwhile is handed over.
    pub(super) fn disarm(&mut self, router: &mut Router, endpoints: &[Endpoint], index: usize) {
        let Some(absorbing) = self.slots.get_mut(index).and_then(Option::take) else {
            return;
        };
        self.armed -= 1;
        disarm_slot(endpoints, &absorbing);
        hand_over(router, endpoints, index, &absorbing, Reference::read());
    }

    /// Hands the engine instance `index`'s absorbed adverts, if new ones came; disarms the
    /// filter when that advert no longer just restarts the timer. Returns whether anything
    /// was handed over.
    fn absorb(
        &mut self,
        router: &mut Router,
        endpoints: &[Endpoint],
        index: usize,
        reference: Reference,
    ) -> bool {
        let Some(absorbing) = self.slots.get_mut(index).and_then(Option::as_mut) else {
            return false;
        };
        let Some((count, at)) = hand_over(router, endpoints, index, absorbing, reference) else {
            return false;
        };
        absorbing.fed = count;
        if router.instances()[index].restarted_by(at).is_none() {
            self.disarm(router, endpoints, index);
        }
        true
    }
}

/// Feeds the engine `absorbing`'s adverts absorbed since `absorbing.fed`: the cached advert
/// at the last arrival, the others counted. Returns the filter's count and the arrival
/// handed over, or `None` when nothing new came.
fn hand_over(
    router: &mut Router,
    endpoints: &[Endpoint],
    index: usize,
    absorbing: &Absorbing,
    reference: Reference,
) -> Option<(u64, Instant)> {
    let filter = endpoints.get(absorbing.endpoint)?.filter()?;
    let absorbed = filter.absorbed(absorbing.advert.vrid);
    if absorbed.count <= absorbing.fed {
        return None;
    }
    let at = reference.instant(absorbed.last_ns);
    router.handle_advert_at(index, at, &absorbing.advert);
    router.count_received(index, absorbed.count - absorbing.fed - 1);
    Some((absorbed.count, at))
}

/// `*into = from.clone()` in the allocation `into` already has (a derived `clone_from`
/// would allocate a new address list).
fn copy_advert(into: &mut ReceivedAdvert, from: &ReceivedAdvert) {
    let ReceivedAdvert {
        version,
        packet_type,
        vrid,
        priority,
        max_advert_interval,
        addresses,
        auth,
        source,
        destination,
        ttl_or_hop_limit,
        checksum,
    } = from;
    into.version = *version;
    into.packet_type = *packet_type;
    into.vrid = *vrid;
    into.priority = *priority;
    into.max_advert_interval = *max_advert_interval;
    into.addresses.clone_from(addresses);
    into.auth = *auth;
    into.source = *source;
    into.destination = *destination;
    into.ttl_or_hop_limit = *ttl_or_hop_limit;
    into.checksum = *checksum;
}

fn disarm_slot(endpoints: &[Endpoint], absorbing: &Absorbing) {
    if let Some(filter) = endpoints.get(absorbing.endpoint).and_then(Endpoint::filter) {
        filter.disarm(absorbing.advert.vrid);
    }
}

impl Daemon {
    /// [`Absorber::absorb_due`] on this daemon's engine and sockets.
    pub(super) fn absorb_due(&mut self, horizon: Instant) {
        let wire = &mut self.wire;
        wire.absorber
            .absorb_due(&mut self.router, &wire.endpoints, horizon);
    }

    /// [`Absorber::absorb_all`].
    pub(super) fn absorb_all(&mut self) {
        let wire = &mut self.wire;
        wire.absorber.absorb_all(&mut self.router, &wire.endpoints);
    }

    /// [`Absorber::stop`].
    pub(super) fn stop_absorbing(&mut self) {
        let wire = &mut self.wire;
        wire.absorber.stop(&mut self.router, &wire.endpoints);
    }

    /// Disarms instance `name`'s filter (it changed state, or sends adverts itself).
    pub(super) fn disarm_instance(&mut self, name: &str) {
        let wire = &mut self.wire;
        if let Some(index) = wire.instances.get(name).map(|io| io.index) {
            wire.absorber
                .disarm(&mut self.router, &wire.endpoints, index);
        }
    }
}
