//! Timers as data (CONVENTIONS.md 2): one deadline slot per kind; `poll_timeout` is the minimum.
//!
//! Time is `std::time::Instant`, always passed in by the caller. The simulator builds Instants
//! from one fixed base plus virtual offsets, so every deadline here is exact to the nanosecond
//! and runs are reproducible.

use std::time::{Duration, Instant};

use crate::config::Version;

/// The deadlines an instance can have pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timer {
    /// MASTER: send the next periodic advert.
    Advert,
    /// BACKUP: no advert for Master_Down_Interval ⇒ become MASTER (RFC 5798 §6.4.2).
    MasterDown,
    /// MASTER: the second gratuitous burst, `garp_master_delay` after becoming MASTER.
    GarpDelayed,
    /// MASTER: the periodic `garp_master_refresh` burst.
    GarpRefresh,
    /// MASTER: the next message of a burst spaced by `garp_interval`.
    GarpBurst,
    /// MASTER: the delayed burst after a lower-priority advert (`garp_lower_prio_delay`).
    GarpLowerPrio,
}

impl Timer {
    /// Every timer, in the order expired timers are handled.
    pub const ALL: [Timer; 6] = [
        Timer::MasterDown,
        Timer::Advert,
        Timer::GarpBurst,
        Timer::GarpDelayed,
        Timer::GarpLowerPrio,
        Timer::GarpRefresh,
    ];

    fn index(self) -> usize {
        match self {
            Timer::MasterDown => 0,
            Timer::Advert => 1,
            Timer::GarpBurst => 2,
            Timer::GarpDelayed => 3,
            Timer::GarpLowerPrio => 4,
            Timer::GarpRefresh => 5,
        }
    }
}

/// The table of deadlines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimerTable {
    deadlines: [Option<Instant>; 6],
}

impl TimerTable {
    /// Arms `timer` at `deadline`, replacing any previous deadline.
    pub fn set(&mut self, timer: Timer, deadline: Instant) {
        self.deadlines[timer.index()] = Some(deadline);
    }

    /// Disarms `timer`.
    pub fn stop(&mut self, timer: Timer) {
        self.deadlines[timer.index()] = None;
    }

    /// Disarms every timer.
    pub fn stop_all(&mut self) {
        self.deadlines = [None; 6];
    }

    /// The deadline of `timer`, if armed.
    pub fn deadline(&self, timer: Timer) -> Option<Instant> {
        self.deadlines[timer.index()]
    }

    /// The earliest deadline.
    pub fn next(&self) -> Option<Instant> {
        self.deadlines.iter().flatten().min().copied()
    }

    /// The earliest deadline and its timer; on a tie, the timer handled first
    /// ([`Timer::ALL`] order, so a takeover wins over an advert).
    pub fn next_timer(&self) -> Option<(Instant, Timer)> {
        Timer::ALL
            .iter()
            .filter_map(|&timer| self.deadline(timer).map(|at| (at, timer)))
            .min_by_key(|&(at, _)| at)
    }

    /// Disarms and returns `timer` if its deadline is at or before `now`.
    pub fn expire(&mut self, timer: Timer, now: Instant) -> bool {
        match self.deadlines[timer.index()] {
            Some(deadline) if deadline <= now => {
                self.deadlines[timer.index()] = None;
                true
            }
            _ => false,
        }
    }
}

/// Skew_Time (spec §3.4; RFC 3768 §6.1, RFC 5798 §6.1), in whole microseconds like keepalived's
/// integer TIMER_HZ arithmetic: v2 (256 − prio)/256 s; v3 (256 − prio) × interval / 256.
pub fn skew_time(version: Version, priority: u8, master_advert_interval: Duration) -> Duration {
    let weight = 256 - u64::from(priority);
    let micros = match version {
        Version::V2 => weight * 1_000_000 / 256,
        Version::V3 => weight * duration_micros(master_advert_interval) / 256,
    };
    Duration::from_micros(micros)
}

/// Master_Down_Interval = down_timer_adverts × Master_Adver_Interval + Skew_Time (spec §3.4).
pub fn master_down_interval(
    version: Version,
    priority: u8,
    master_advert_interval: Duration,
    down_timer_adverts: u8,
) -> Duration {
    master_advert_interval * u32::from(down_timer_adverts)
        + skew_time(version, priority, master_advert_interval)
}

fn duration_micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX / 256)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: v2, priority 100. Output: skew = 156/256 s = 609.375 ms exactly (RFC 3768 §6.1).
    #[test]
    fn v2_skew_for_priority_100_is_609375_microseconds() {
        let skew = skew_time(Version::V2, 100, Duration::from_secs(1));
        assert_eq!(skew, Duration::from_micros(609_375));
        let down = master_down_interval(Version::V2, 100, Duration::from_secs(1), 3);
        assert_eq!(down, Duration::from_micros(3_609_375));
    }

    // Input: v2, priority 110 (keepalived live test, spec §3.3). Output: 570.312 ms
    // (integer microseconds, as keepalived truncates).
    #[test]
    fn v2_skew_truncates_like_keepalived() {
        assert_eq!(
            skew_time(Version::V2, 110, Duration::from_secs(1)),
            Duration::from_micros(570_312)
        );
    }

    // Input: v3, priority 200, master interval 0.5 s. Output: skew = 56 × 0.5 / 256 s
    // = 109.375 ms, down = 1.609375 s (RFC 5798 §6.1).
    #[test]
    fn v3_skew_scales_with_the_master_interval() {
        let interval = Duration::from_millis(500);
        assert_eq!(
            skew_time(Version::V3, 200, interval),
            Duration::from_micros(109_375)
        );
        assert_eq!(
            master_down_interval(Version::V3, 200, interval, 3),
            Duration::from_micros(1_609_375)
        );
    }

    // Input: two armed timers. Output: poll gives the earliest; expire only fires when due.
    #[test]
    fn table_reports_the_earliest_deadline() {
        // Any Instant works as the origin; the test only uses offsets from it.
        #[allow(clippy::disallowed_methods)]
        let base = Instant::now();
        let mut table = TimerTable::default();
        table.set(Timer::Advert, base + Duration::from_secs(2));
        table.set(Timer::MasterDown, base + Duration::from_secs(1));
        assert_eq!(table.next(), Some(base + Duration::from_secs(1)));
        assert!(!table.expire(Timer::Advert, base + Duration::from_secs(1)));
        assert!(table.expire(Timer::MasterDown, base + Duration::from_secs(1)));
        assert_eq!(table.next(), Some(base + Duration::from_secs(2)));
    }

    // Input: MasterDown and Advert armed at the same instant, GarpRefresh earlier, then
    // GarpRefresh stopped. Output: GarpRefresh first; then MasterDown wins the tie.
    #[test]
    fn next_timer_names_the_earliest_and_breaks_ties_in_handling_order() {
        #[allow(clippy::disallowed_methods)]
        let base = Instant::now();
        let mut table = TimerTable::default();
        assert_eq!(table.next_timer(), None);
        table.set(Timer::Advert, base + Duration::from_secs(1));
        table.set(Timer::MasterDown, base + Duration::from_secs(1));
        table.set(Timer::GarpRefresh, base);
        assert_eq!(table.next_timer(), Some((base, Timer::GarpRefresh)));
        table.stop(Timer::GarpRefresh);
        assert_eq!(
            table.next_timer(),
            Some((base + Duration::from_secs(1), Timer::MasterDown))
        );
    }
}
