//! Timers as data (CONVENTIONS.md 2): one deadline per checker, kept in an ordered set so
//! that `poll_timeout` stays cheap with thousands of checkers.
//!
//! There is a single kind of timer, "run this checker's probe"; what the run means (normal
//! cadence, a retry, the warmup) is decided when the deadline is set.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::action::CheckerId;

/// Pending probe deadlines, one at most per checker.
#[derive(Debug, Clone, Default)]
pub struct TimerQueue {
    by_time: BTreeSet<(Instant, CheckerId)>,
    by_checker: BTreeMap<CheckerId, Instant>,
}

impl TimerQueue {
    /// Arms `checker`'s timer at `deadline`, replacing any earlier setting.
    pub fn set(&mut self, checker: CheckerId, deadline: Instant) {
        self.cancel(checker);
        self.by_time.insert((deadline, checker));
        self.by_checker.insert(checker, deadline);
    }

    /// Disarms `checker`'s timer.
    pub fn cancel(&mut self, checker: CheckerId) {
        if let Some(deadline) = self.by_checker.remove(&checker) {
            self.by_time.remove(&(deadline, checker));
        }
    }

    /// The deadline of `checker`, if armed.
    pub fn deadline(&self, checker: CheckerId) -> Option<Instant> {
        self.by_checker.get(&checker).copied()
    }

    /// The earliest deadline.
    pub fn next(&self) -> Option<Instant> {
        self.by_time.first().map(|(deadline, _)| *deadline)
    }

    /// Disarms and returns the earliest checker due at or before `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<CheckerId> {
        let &(deadline, checker) = self.by_time.first()?;
        if deadline > now {
            return None;
        }
        self.by_time.remove(&(deadline, checker));
        self.by_checker.remove(&checker);
        Some(checker)
    }

    /// Disarms everything.
    pub fn clear(&mut self) {
        self.by_time.clear();
        self.by_checker.clear();
    }
}

/// The seeded generator for warmup delays. keel-check draws no randomness of its own
/// (ARCHITECTURE.md, "The one rule"): the caller picks the seed, so runs replay exactly.
/// SplitMix64 (Steele, Lea, Flood 2014): small, fast, and good enough to spread probes.
#[derive(Debug, Clone)]
pub struct WarmupRng(u64);

impl WarmupRng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        WarmupRng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A delay uniformly in `[0, warmup]`, in whole microseconds (spec §3.13: "random delay
    /// ≤ warmup before the first check").
    pub fn warmup_delay(&mut self, warmup: Duration) -> Duration {
        let micros = u64::try_from(warmup.as_micros()).unwrap_or(u64::MAX);
        if micros == 0 {
            return Duration::ZERO;
        }
        let span = micros.saturating_add(1);
        Duration::from_micros(self.next_u64() % span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: three checkers armed out of order, one re-armed. Output: they come due in
    // deadline order and the re-armed one only at its new deadline.
    #[test]
    fn queue_yields_due_checkers_in_deadline_order() {
        // Any Instant works as the origin; the test only uses offsets from it.
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        let mut queue = TimerQueue::default();
        queue.set(CheckerId(1), t0 + Duration::from_secs(3));
        queue.set(CheckerId(2), t0 + Duration::from_secs(1));
        queue.set(CheckerId(3), t0 + Duration::from_secs(2));
        queue.set(CheckerId(2), t0 + Duration::from_secs(5));
        assert_eq!(queue.next(), Some(t0 + Duration::from_secs(2)));
        assert_eq!(
            queue.pop_due(t0 + Duration::from_secs(3)),
            Some(CheckerId(3))
        );
        assert_eq!(
            queue.pop_due(t0 + Duration::from_secs(3)),
            Some(CheckerId(1))
        );
        assert_eq!(queue.pop_due(t0 + Duration::from_secs(3)), None);
        assert_eq!(
            queue.deadline(CheckerId(2)),
            Some(t0 + Duration::from_secs(5))
        );
    }

    // Input: 10,000 draws with warmup 2 s. Output: all within [0, 2 s], spread over it.
    #[test]
    fn warmup_delays_stay_within_bounds() {
        let mut rng = WarmupRng::new(42);
        let warmup = Duration::from_secs(2);
        let draws: Vec<Duration> = (0..10_000).map(|_| rng.warmup_delay(warmup)).collect();
        assert!(draws.iter().all(|d| *d <= warmup));
        assert!(draws.iter().any(|d| *d < Duration::from_millis(100)));
        assert!(draws.iter().any(|d| *d > Duration::from_millis(1900)));
        assert_eq!(
            WarmupRng::new(1).warmup_delay(Duration::ZERO),
            Duration::ZERO
        );
    }
}
