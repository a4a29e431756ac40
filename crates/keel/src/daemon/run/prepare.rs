//! Preparing a takeover that is about to come (issue 4, "Failover at the limit").
//!
//! A BACKUP runs its takeover code rarely: once per failover. On a shared virtual machine
//! memory that was not touched for a while is slow to touch again (the host reclaims it
//! behind the guest's back): here, of 16,384 pages read again after 1 s untouched, 500 took
//! more than 20 µs and the slowest 305 µs; after 5 s, 1,322. The first takeover code to run
//! after seconds as BACKUP (the engine's MASTER transition, the advert's encoding, the
//! allocator's free lists) was measured to take 100–970 µs instead of about 10 µs, no
//! page fault or context switch counted: up to 2.7 % of a 10 ms instance's bound (3 × 10
//! ms + skew), where issue 4 allows 1 %.
//!
//! So when a Master_Down deadline is less than [`PREPARE_AHEAD`] away and no advert moved
//! it, the loop rehearses the takeover: the engine works out the transition on a copy of
//! the instance ([`keel_vrrp::Instance::rehearse_takeover`]) and the advert it would send
//! is encoded into the endpoint's cache and send buffers, sending nothing. The real
//! takeover then finds its code and data in memory. In steady state adverts keep every
//! deadline at least Master_Down_Interval − advert_int ahead, so nothing is rehearsed and
//! the loop wakes no more often than before; a master that dies costs one rehearsal per
//! [`WARM_FOR`] however many of its instances take over.

use std::time::{Duration, Instant};

use keel_vrrp::{Action, Timer};

use super::Daemon;
use crate::daemon::timing;

/// How long before a takeover deadline the loop rehearses it: long enough for a
/// rehearsal slowed by cold memory (a millisecond measured) to end before the deadline,
/// shorter than any Master_Down_Interval less an advert interval (at least 20 ms at
/// `advert_int 0.01`), so that a live master's adverts always move the deadline first.
pub(super) const PREPARE_AHEAD: Duration = Duration::from_millis(5);

/// How long a rehearsal keeps memory warm enough for the takeovers that follow it (memory
/// measured cold after a second; this is well inside that).
const WARM_FOR: Duration = Duration::from_millis(50);

/// When the last rehearsal ran.
#[derive(Debug, Default)]
pub(super) struct Preparation {
    last: Option<Instant>,
}

impl Preparation {
    /// Whether a takeover at `deadline` finds memory warmed by a rehearsal.
    fn covers(&self, deadline: Instant) -> bool {
        self.last.is_some_and(|at| deadline <= at + WARM_FOR)
    }
}

impl Daemon {
    /// When the loop wakes for `timer` due at `deadline`: [`PREPARE_AHEAD`] before a
    /// takeover no rehearsal covers, else as [`timing::wake_before`] says.
    pub(super) fn wake_for(&self, deadline: Instant, timer: Timer) -> Instant {
        match timer {
            Timer::MasterDown if !self.preparation.covers(deadline) => {
                deadline.checked_sub(PREPARE_AHEAD).unwrap_or(deadline)
            }
            _ => timing::wake_before(deadline, timer),
        }
    }

    /// Rehearses the next takeover when it is due within [`PREPARE_AHEAD`] (the adverts
    /// the kernel absorbed were handed over first, so the deadline stands), no rehearsal
    /// covers it, and there is time left before the spin to the deadline begins.
    pub(super) fn prepare_takeover(&mut self) {
        let Some((deadline, Timer::MasterDown, index)) = self.router.next_timer_of() else {
            return;
        };
        let now = Instant::now();
        if deadline > now + PREPARE_AHEAD
            || deadline <= now + timing::SPIN_WINDOW
            || self.preparation.covers(deadline)
        {
            return;
        }
        self.preparation.last = Some(now);
        let instance = &self.router.instances()[index];
        let name = instance.name().to_string();
        for action in instance.rehearse_takeover(deadline) {
            if let Action::SendAdvert(advert) = action {
                self.prepare_advert(&name, &advert);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: no rehearsal yet; then one at t.
    // Output: nothing is covered before; after it, deadlines up to t + WARM_FOR are, and
    // a later one is not.
    #[test]
    fn a_rehearsal_covers_the_takeovers_that_follow_it_closely() {
        let t = Instant::now();
        let mut preparation = Preparation::default();
        assert!(!preparation.covers(t + Duration::from_millis(1)));
        preparation.last = Some(t);
        assert!(preparation.covers(t + Duration::from_millis(1)));
        assert!(preparation.covers(t + WARM_FOR));
        assert!(!preparation.covers(t + WARM_FOR + Duration::from_millis(1)));
    }
}
