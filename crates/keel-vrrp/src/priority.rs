//! Effective priority and FAULT from tracked objects (spec §3.5).
//!
//! The daemon runs scripts, watches interfaces, files and processes, and reports raw results
//! as [`crate::Input::Tracker`]; this module turns them into each tracker's health (with the
//! vrrp_script rise/fall counter) and sums their weights.

/// Names one tracked object. The daemon chooses the names; they only need to be unique across
/// kinds, e.g. `TrackerId::new("script:chk_haproxy")`, `TrackerId::new("interface:eth1")`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackerId(pub String);

impl TrackerId {
    /// A tracker id from any string.
    pub fn new(name: &str) -> Self {
        TrackerId(name.to_string())
    }
}

/// How a tracker's raw results become health.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackerKind {
    /// `vrrp_script`: runs report success/failure; OK iff the counter reaches `rise`.
    Script {
        /// `rise` (1): consecutive successes to become OK.
        rise: u32,
        /// `fall` (1): consecutive failures to become failed.
        fall: u32,
        /// `init_fail`: start failed instead of "not yet known".
        init_fail: bool,
    },
    /// `track_interface`, `track_process` (quorum judged by the daemon), `track_bfd`: up/down.
    /// Assumed up until told otherwise.
    State,
    /// `track_file`: an integer value multiplied by the weight. Starts at 0.
    File,
}

/// A tracker as an instance (or sync group) uses it: which object, with which weight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedObject {
    /// The object.
    pub id: TrackerId,
    /// How raw results become health.
    pub kind: TrackerKind,
    /// -254..=254; 0 means "FAULT while failed".
    pub weight: i32,
    /// `reverse`: flips the direction of the weight (and of FAULT for weight 0).
    pub reverse: bool,
}

impl TrackedObject {
    /// A `vrrp_script` tracker with rise 1, fall 1.
    pub fn script(id: &str, weight: i32) -> Self {
        TrackedObject {
            id: TrackerId::new(id),
            kind: TrackerKind::Script {
                rise: 1,
                fall: 1,
                init_fail: false,
            },
            weight,
            reverse: false,
        }
    }

    /// An up/down tracker (interface, process, BFD).
    pub fn state(id: &str, weight: i32) -> Self {
        TrackedObject {
            id: TrackerId::new(id),
            kind: TrackerKind::State,
            weight,
            reverse: false,
        }
    }

    /// A `track_file` tracker.
    pub fn file(id: &str, weight: i32) -> Self {
        TrackedObject {
            id: TrackerId::new(id),
            kind: TrackerKind::File,
            weight,
            reverse: false,
        }
    }
}

/// One raw result from the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackerStatus {
    /// A script run exited 0.
    Success,
    /// A script run failed (non-zero exit, signal, timeout).
    Failure,
    /// An interface/process/BFD session is up (process: within quorum).
    Up,
    /// An interface/process/BFD session is down.
    Down,
    /// A tracked file now holds this integer.
    Value(i64),
}

impl TrackerStatus {
    /// [`TrackerStatus::Up`] or [`TrackerStatus::Down`] for an interface, process or BFD
    /// session that is `up` or not.
    pub fn up_or_down(up: bool) -> Self {
        if up {
            TrackerStatus::Up
        } else {
            TrackerStatus::Down
        }
    }
}

/// What a tracker currently does to its instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Adds this (possibly negative) amount to the base priority.
    Weight(i32),
    /// Forces FAULT.
    Fault,
    /// A weight-0 script that has not reported yet: the instance waits in INIT (spec §3.5).
    Waiting,
}

/// Health of one tracker inside one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TrackerState {
    pub(crate) object: TrackedObject,
    health: Health,
    /// vrrp_script result counter r ∈ [0, rise+fall−1] (spec §3.5).
    counter: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Health {
    Unknown,
    Ok,
    Failed,
    Value(i64),
}

impl TrackerState {
    pub(crate) fn new(object: TrackedObject) -> Self {
        let (health, counter) = match object.kind {
            // spec §3.5: initial r = rise−1, or 0 with init_fail; state "init" until a result.
            TrackerKind::Script {
                init_fail: true, ..
            } => (Health::Failed, 0),
            TrackerKind::Script { rise, .. } => (Health::Unknown, rise.saturating_sub(1)),
            TrackerKind::State => (Health::Ok, 0),
            TrackerKind::File => (Health::Value(0), 0),
        };
        TrackerState {
            object,
            health,
            counter,
        }
    }

    /// Applies one raw result; returns whether the effect may have changed.
    pub(crate) fn apply(&mut self, status: TrackerStatus) -> bool {
        let before = self.health;
        match (self.object.kind, status) {
            (TrackerKind::Script { rise, fall, .. }, TrackerStatus::Success) => {
                let rise = rise.max(1);
                let max = rise + fall.max(1) - 1;
                // spec §3.5: success increments, and jumps to the maximum once OK.
                self.counter = (self.counter + 1).min(max);
                if self.counter >= rise {
                    self.counter = max;
                    self.health = Health::Ok;
                } else if self.health == Health::Unknown {
                    self.health = Health::Failed;
                }
            }
            (TrackerKind::Script { rise, .. }, TrackerStatus::Failure) => {
                let rise = rise.max(1);
                // spec §3.5: failure decrements, and drops to 0 once failed.
                self.counter = self.counter.saturating_sub(1);
                if self.counter < rise {
                    self.counter = 0;
                    self.health = Health::Failed;
                }
            }
            (TrackerKind::State, TrackerStatus::Up) => self.health = Health::Ok,
            (TrackerKind::State, TrackerStatus::Down) => self.health = Health::Failed,
            (TrackerKind::File, TrackerStatus::Value(value)) => self.health = Health::Value(value),
            // A status of the wrong kind (e.g. Up for a script) is the daemon's mistake; it
            // changes nothing rather than guessing.
            _ => {}
        }
        before != self.health
    }

    /// The tracker's current effect (spec §3.5 weight rules).
    pub(crate) fn effect(&self) -> Effect {
        let weight = self.object.weight;
        let reverse = self.object.reverse;
        match self.health {
            Health::Unknown if weight == 0 => Effect::Waiting,
            Health::Unknown => Effect::Weight(0),
            Health::Ok | Health::Failed => {
                let ok = self.health == Health::Ok;
                if weight == 0 {
                    // weight 0 ⇒ FAULT while failed; `weight 0 reverse` ⇒ FAULT while OK.
                    return if ok == reverse {
                        Effect::Fault
                    } else {
                        Effect::Weight(0)
                    };
                }
                // W>0 adds while OK, W<0 subtracts while failed; `reverse` keeps *when* the
                // weight applies and flips its sign (W>0 subtracts while OK, W<0 adds while
                // failed).
                let applies = if weight > 0 { ok } else { !ok };
                match (applies, reverse) {
                    (false, _) => Effect::Weight(0),
                    (true, false) => Effect::Weight(weight),
                    (true, true) => Effect::Weight(-weight),
                }
            }
            Health::Value(value) => {
                // spec §3.5 track_file: value×weight; weight 0: non-zero ⇒ FAULT;
                // a result below −253 ⇒ FAULT.
                if weight == 0 {
                    return if value != 0 {
                        Effect::Fault
                    } else {
                        Effect::Weight(0)
                    };
                }
                let product = value.saturating_mul(i64::from(weight));
                let product = if reverse {
                    product.saturating_neg()
                } else {
                    product
                };
                if product < -253 {
                    Effect::Fault
                } else {
                    Effect::Weight(product.clamp(-254, 254) as i32)
                }
            }
        }
    }
}

/// Sum of the trackers' effects for an instance with `base` priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Priority {
    /// `clamp(base + Σ weights, 1, 254)`, or 255 for the owner.
    pub(crate) effective: u8,
    /// A tracker forces FAULT.
    pub(crate) fault: bool,
    /// A weight-0 script has not reported yet.
    pub(crate) waiting: bool,
}

pub(crate) fn compute(base: u8, trackers: &[TrackerState]) -> Priority {
    let mut total = i32::from(base);
    let mut fault = false;
    let mut waiting = false;
    for tracker in trackers {
        match tracker.effect() {
            Effect::Weight(weight) => total += weight,
            Effect::Fault => fault = true,
            Effect::Waiting => waiting = true,
        }
    }
    // spec §3.5: the owner's priority never changes; others are clamped to 1..=254.
    let effective = if base == 255 {
        255
    } else {
        total.clamp(1, 254) as u8
    };
    Priority {
        effective,
        fault,
        waiting,
    }
}
