//! A session's deadlines, as data.

use std::time::Instant;

/// The timers of one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timer {
    /// The next periodic control packet (RFC 5880 §6.8.7).
    Transmit,
    /// No packet from the neighbour within the detection time (RFC 5880 §6.8.4).
    Detection,
}

/// The deadline of each timer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Timers {
    transmit: Option<Instant>,
    detection: Option<Instant>,
}

impl Timers {
    pub(crate) fn set(&mut self, timer: Timer, at: Option<Instant>) {
        match timer {
            Timer::Transmit => self.transmit = at,
            Timer::Detection => self.detection = at,
        }
    }

    pub(crate) fn deadline(&self, timer: Timer) -> Option<Instant> {
        match timer {
            Timer::Transmit => self.transmit,
            Timer::Detection => self.detection,
        }
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        [self.transmit, self.detection].into_iter().flatten().min()
    }

    /// Whether `timer` is due at `now`.
    pub(crate) fn due(&self, timer: Timer, now: Instant) -> bool {
        self.deadline(timer).is_some_and(|at| at <= now)
    }
}
