//! One VRRP instance: its public driving API (quinn-proto shape, ARCHITECTURE.md).

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::action::Action;
use crate::config::InstanceConfig;
use crate::error::ConfigError;
use crate::fsm::State;
use crate::input::{Input, ReceivedAdvert};
use crate::priority::{self, Priority, TrackerState};
use crate::stats::Stats;
use crate::timers::{self, Timer, TimerTable};

/// One `vrrp_instance`: keepalived's VRRP state machine for one (interface, family, VRID).
///
/// Drive it with [`Instance::handle`] for every input and [`Instance::handle_timeout`] when the
/// deadline from [`Instance::poll_timeout`] passes; after each call drain
/// [`Instance::poll_action`] and carry the actions out in order. It never reads a clock.
#[derive(Debug, Clone)]
pub struct Instance {
    pub(crate) config: InstanceConfig,
    pub(crate) warnings: Vec<String>,
    /// The advertised VIPs, shared with outgoing adverts.
    pub(crate) advertised: Arc<[IpAddr]>,
    /// VIPs then excluded VIPs: what MASTER installs.
    pub(crate) installed: Arc<[IpAddr]>,
    pub(crate) destinations: Arc<[IpAddr]>,
    pub(crate) state: State,
    /// `Start` was received (an INIT instance may still wait for weight-0 scripts).
    pub(crate) started: bool,
    pub(crate) trackers: Vec<TrackerState>,
    pub(crate) priority: Priority,
    pub(crate) link_up: bool,
    /// Master_Adver_Interval: ours in v2; learned from the master in v3 (spec §3.4).
    pub(crate) master_advert_interval: Duration,
    pub(crate) master_priority: u8,
    pub(crate) master_address: Option<IpAddr>,
    /// End of the running `preempt_delay`, if one started (spec §3.4).
    pub(crate) preempt_deadline: Option<Instant>,
    pub(crate) timers: TimerTable,
    pub(crate) garp_burst_remaining: u32,
    pub(crate) actions: VecDeque<Action>,
    pub(crate) stats: Stats,
    pub(crate) last_transition: Option<Instant>,
    /// A state notification was sent at least once (keepalived `notifies_sent`).
    pub(crate) notifies_sent: bool,
    pub(crate) sync: SyncHooks,
}

/// What a [`crate::Router`] needs to coordinate a sync-group member (spec §3.6).
#[derive(Debug, Clone, Default)]
pub(crate) struct SyncHooks {
    /// The instance is in a sync group: it asks instead of becoming MASTER on its own.
    pub(crate) member: bool,
    /// Another member is in FAULT.
    pub(crate) group_fault: bool,
    /// The down timer expired; the member waits for the group to go MASTER.
    pub(crate) wants_master: bool,
    /// The member left MASTER for BACKUP by itself: the group follows.
    pub(crate) left_master: bool,
    /// As MASTER, heard a lower priority: the other members re-announce (spec §3.9).
    pub(crate) heard_lower_priority: bool,
    /// The group's state as last set by the group.
    pub(crate) group_state: Option<State>,
}

impl Instance {
    /// Creates an instance in INIT. Nothing happens until [`Input::Start`].
    ///
    /// keepalived's silent corrections (e.g. `nopreempt` cleared for `state MASTER`) are
    /// applied and listed in [`Instance::warnings`].
    pub fn new(mut config: InstanceConfig, now: Instant) -> Result<Self, ConfigError> {
        config.validate()?;
        let warnings = config.normalize();
        let trackers: Vec<TrackerState> = config
            .trackers
            .iter()
            .cloned()
            .map(TrackerState::new)
            .collect();
        let priority = priority::compute(config.priority, &trackers);
        let _ = now;
        Ok(Instance {
            advertised: config.virtual_addresses.clone().into(),
            installed: config.all_addresses().into(),
            destinations: config.destinations().into(),
            master_advert_interval: config.advert_interval,
            master_priority: 0,
            config,
            warnings,
            state: State::Init,
            started: false,
            trackers,
            priority,
            link_up: true,
            master_address: None,
            preempt_deadline: None,
            timers: TimerTable::default(),
            garp_burst_remaining: 0,
            actions: VecDeque::new(),
            stats: Stats::default(),
            last_transition: None,
            notifies_sent: false,
            sync: SyncHooks::default(),
        })
    }

    /// Processes one input at time `now`. Call [`Instance::poll_action`] afterwards.
    pub fn handle(&mut self, now: Instant, input: Input) {
        match input {
            Input::Start => self.on_start(now),
            Input::Advert(advert) => self.on_advert(now, &advert),
            Input::Malformed(kind) => self.on_malformed(kind),
            Input::LinkChanged { up } => self.on_link_changed(now, up),
            Input::Tracker { id, status } => self.on_tracker(now, &id, status),
            Input::Reload(config) => self.on_reload(now, *config),
            Input::Stop => self.on_stop(now),
            Input::AddressRemovedExternally(address) => self.on_address_removed(now, address),
        }
    }

    /// Processes a received advert without moving it: the receive hot path (no allocation
    /// when the advert is accepted in steady state).
    pub fn handle_advert(&mut self, now: Instant, advert: &ReceivedAdvert) {
        self.on_advert(now, advert);
    }

    /// Applies a reloaded configuration, keeping state (spec §5.6: unchanged instances keep
    /// their state; a changed VIP list changes addresses without a transition).
    pub fn reload(&mut self, now: Instant, config: InstanceConfig) -> Result<(), ConfigError> {
        self.apply_reload(now, config)
    }

    /// Call when the deadline returned by [`Instance::poll_timeout`] has passed (calling it
    /// early or twice is harmless: only due timers fire).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.on_timeout(now);
    }

    /// The earliest pending deadline; `None` when nothing is scheduled (INIT, FAULT, STOP).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// The next effect to carry out, in order. Drain it after every `handle*` call.
    pub fn poll_action(&mut self) -> Option<Action> {
        let action = self.actions.pop_front();
        if action.is_none() {
            // A transition queues a burst (notifies, VIPs, GARP, an advert); the queue then
            // keeps that capacity for good. At 510 instances that was 0.65 MB of the RSS
            // (issue 4, bench/vrrp/memory.sh); a steady-state event queues at most one.
            release_burst(&mut self.actions, INSTANCE_QUEUE_KEPT);
        }
        action
    }

    /// Current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Effective priority: base plus tracker weights, clamped to 1..=254; 255 for the owner.
    pub fn effective_priority(&self) -> u8 {
        self.priority.effective
    }

    /// The configured (base) priority.
    pub fn base_priority(&self) -> u8 {
        self.config.priority
    }

    /// Counters (spec §4.2).
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The instance name.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// The configuration in force (after keepalived's corrections).
    pub fn config(&self) -> &InstanceConfig {
        &self.config
    }

    /// Corrections applied to the configuration, as keepalived would log them.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Master_Adver_Interval (v3: learned from the current master).
    pub fn master_advert_interval(&self) -> Duration {
        self.master_advert_interval
    }

    /// Master_Down_Interval with the current effective priority (spec §3.4).
    pub fn master_down_interval(&self) -> Duration {
        timers::master_down_interval(
            self.config.version,
            self.priority.effective,
            self.master_advert_interval,
            self.config.down_timer_adverts,
        )
    }

    /// After an advert handled at `at`: `Some(Master_Down_Interval)` when that advert did
    /// nothing but restart the Master_Down timer from `at` (a BACKUP hearing its master,
    /// RFC 5798 §6.4.2), so that a repeat of it arriving before the timer expires would do
    /// the same. `None` otherwise, and while `preempt_delay` runs (there the same advert
    /// stops being accepted once the delay ends, spec §3.4). What the daemon's in-kernel
    /// advert filter relies on (issue 4).
    pub fn restarted_by(&self, at: Instant) -> Option<Duration> {
        if self.state != State::Backup || self.preempt_deadline.is_some() {
            return None;
        }
        let down = self.master_down_interval();
        (self.timers.deadline(Timer::MasterDown) == Some(at + down)).then_some(down)
    }

    /// The actions a takeover at `at` would start with (RFC 5798 §6.4.2: the advert first,
    /// then the addresses, gratuitous ARP and notifications), worked out on a copy: the
    /// instance itself is unchanged. A daemon runs it shortly before a Master_Down deadline
    /// that no advert has moved, so that the takeover's code and data are in memory when it
    /// comes; a page left untouched for a second can take 20–300 µs to read again on a
    /// shared virtual machine, several of them a millisecond (issue 4: failover within 1 %
    /// of 3 × 10 ms + skew).
    pub fn rehearse_takeover(&self, at: Instant) -> Vec<Action> {
        let mut copy = self.clone();
        copy.actions.clear();
        copy.become_master(at);
        copy.actions.into()
    }

    /// The deadline of one timer, if armed (for dumps and tests).
    pub fn timer(&self, timer: Timer) -> Option<Instant> {
        self.timers.deadline(timer)
    }

    /// Priority of the last accepted advert (JSON `master_priority`).
    pub fn master_priority(&self) -> u8 {
        self.master_priority
    }

    /// Source of the last accepted advert.
    pub fn master_address(&self) -> Option<IpAddr> {
        self.master_address
    }

    /// When the last state transition happened.
    pub fn last_transition(&self) -> Option<Instant> {
        self.last_transition
    }

    /// True while a tracker, the link or the sync group holds the instance in FAULT.
    pub fn is_faulty(&self) -> bool {
        self.own_fault() || self.sync.group_fault
    }

    /// A fault of this instance itself (link or tracker), not inherited from its group;
    /// with `dont_track_primary` its interface's state does not count.
    pub(crate) fn own_fault(&self) -> bool {
        self.priority.fault || (!self.link_up && self.config.track_primary)
    }
}

/// What an instance's action queue keeps after a burst (see [`Instance::poll_action`]).
const INSTANCE_QUEUE_KEPT: usize = 4;

/// Gives back an emptied queue's room beyond `keep` entries once a burst grew it past
/// twice that: reallocates only after a burst, never in steady state. The engine's queues
/// use it, and so does a daemon's queue of the engine's actions.
pub fn release_burst<T>(queue: &mut VecDeque<T>, keep: usize) {
    if queue.is_empty() && queue.capacity() > 2 * keep {
        queue.shrink_to(keep);
    }
}

#[cfg(test)]
mod release_tests {
    use super::*;

    // Input: a queue grown by a burst of 5,000 entries, then drained.
    // Output: it keeps room for `keep` entries only; a queue within twice `keep` is left
    // as it is (no reallocation in steady state), and a non-empty queue is never touched.
    #[test]
    fn a_drained_burst_gives_its_room_back() {
        let mut queue: VecDeque<u64> = (0..5_000).collect();
        release_burst(&mut queue, 64);
        assert!(
            queue.capacity() >= 5_000,
            "a queue still holding entries keeps its room"
        );
        queue.clear();
        release_burst(&mut queue, 64);
        assert!(
            queue.capacity() >= 64 && queue.capacity() < 128,
            "{}",
            queue.capacity()
        );

        let mut steady: VecDeque<u64> = VecDeque::with_capacity(100);
        let before = steady.capacity();
        release_burst(&mut steady, 64);
        assert_eq!(steady.capacity(), before);
    }
}
