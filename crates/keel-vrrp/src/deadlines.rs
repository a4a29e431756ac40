//! The router's deadline queue: each instance's earliest deadline in an indexed binary
//! min-heap, so [`crate::Router::poll_timeout`] is O(1) and moving one instance's deadline
//! is O(log n).
//!
//! Why indexed rather than a plain heap with lazy deletion: on a BACKUP every accepted advert
//! pushes the down timer later, so a lazily invalidated heap would collect one stale entry
//! per advert until its old deadline surfaced (about 3.6 adverts' worth per instance) and
//! would have to grow. Here each instance holds at most one slot, found through
//! `position`, and its key is changed in place: the heap never exceeds the number of
//! instances and never allocates after [`Deadlines::new`].
//!
//! Timers stay data (CONVENTIONS.md 2): the per-kind table lives in each instance
//! ([`crate::TimerTable`]); this is only an index over the tables' minima.

use std::time::Instant;

/// Marks an instance that has no deadline (not in the heap).
const ABSENT: u32 = u32::MAX;

/// Every instance's earliest deadline, ordered by (deadline, instance index).
#[derive(Debug, Clone, Default)]
pub(crate) struct Deadlines {
    /// The scheduled instances in heap order: `heap[0]` has the earliest key. Keys live
    /// in the slots so a comparison reads only this array.
    heap: Vec<Slot>,
    /// For each instance, its position in `heap`, or [`ABSENT`].
    position: Vec<u32>,
}

/// One scheduled instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Slot {
    deadline: Instant,
    /// Instance indices fit in u32: a router holds at most one instance per (interface,
    /// family, VRID), far below 2^32.
    index: u32,
}

impl Deadlines {
    /// A queue for `count` instances, none scheduled.
    pub(crate) fn new(count: usize) -> Self {
        Deadlines {
            heap: Vec::with_capacity(count),
            position: vec![ABSENT; count],
        }
    }

    /// The earliest deadline and its instance; ties go to the lowest index, the order in
    /// which a scan over the instances would meet them.
    pub(crate) fn earliest(&self) -> Option<(Instant, usize)> {
        self.heap
            .first()
            .map(|slot| (slot.deadline, slot.index as usize))
    }

    /// Records instance `index`'s earliest deadline (`None`: nothing scheduled).
    pub(crate) fn set(&mut self, index: usize, deadline: Option<Instant>) {
        let position = self.position[index];
        match (position == ABSENT, deadline) {
            (true, None) => {}
            (true, Some(deadline)) => {
                let at = self.heap.len();
                self.heap.push(Slot {
                    deadline,
                    index: index as u32,
                });
                self.position[index] = at as u32;
                self.sift_up(at);
            }
            (false, None) => self.remove_at(position as usize),
            (false, Some(deadline)) => {
                let at = position as usize;
                let old = self.heap[at].deadline;
                if deadline == old {
                    return;
                }
                self.heap[at].deadline = deadline;
                if deadline < old {
                    self.sift_up(at);
                } else {
                    self.sift_down(at);
                }
            }
        }
    }

    fn remove_at(&mut self, at: usize) {
        let last = self.heap.len() - 1;
        self.swap(at, last);
        if let Some(removed) = self.heap.pop() {
            self.position[removed.index as usize] = ABSENT;
        }
        if at < self.heap.len() {
            self.sift_down(at);
            self.sift_up(at);
        }
    }

    fn sift_up(&mut self, mut at: usize) {
        while at > 0 {
            let parent = (at - 1) / 2;
            if self.heap[at] >= self.heap[parent] {
                break;
            }
            self.swap(at, parent);
            at = parent;
        }
    }

    fn sift_down(&mut self, mut at: usize) {
        let len = self.heap.len();
        loop {
            let left = 2 * at + 1;
            if left >= len {
                break;
            }
            let right = left + 1;
            let child = if right < len && self.heap[right] < self.heap[left] {
                right
            } else {
                left
            };
            if self.heap[child] >= self.heap[at] {
                break;
            }
            self.swap(at, child);
            at = child;
        }
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.heap.swap(a, b);
        self.position[self.heap[a].index as usize] = a as u32;
        self.position[self.heap[b].index as usize] = b as u32;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// The test-only oracle: the scan the heap replaced.
    fn scan(deadlines: &[Option<Instant>]) -> Option<(Instant, usize)> {
        deadlines
            .iter()
            .enumerate()
            .filter_map(|(index, deadline)| deadline.map(|at| (at, index)))
            .min()
    }

    /// A small deterministic generator (xorshift64*), so the property runs are reproducible
    /// without a dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, bound: u64) -> u64 {
            self.next() % bound
        }
    }

    // Input: 200 seeds × 2,000 random updates (arm, move earlier, move later, disarm, re-set
    // the same value; deadlines drawn from a narrow range so ties are common) over 1–64
    // instances. Output: after every update the heap's earliest (deadline, index) equals the
    // scan's.
    #[test]
    fn earliest_always_equals_the_scan() {
        // Any Instant works as the origin; only offsets from it matter.
        #[allow(clippy::disallowed_methods)]
        let base = Instant::now();
        for seed in 1..=200u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
            let count = 1 + rng.below(64) as usize;
            let mut heap = Deadlines::new(count);
            let mut oracle = vec![None; count];
            for step in 0..2_000 {
                let index = rng.below(count as u64) as usize;
                let deadline = match rng.below(5) {
                    0 => None,
                    1 => oracle[index],
                    _ => Some(base + Duration::from_millis(rng.below(50))),
                };
                heap.set(index, deadline);
                oracle[index] = deadline;
                assert_eq!(
                    heap.earliest(),
                    scan(&oracle),
                    "seed {seed}, step {step}: instance {index} set to {deadline:?}"
                );
                assert!(heap.heap.len() <= count);
            }
        }
    }

    // Input: three instances armed at 3, 1, 2 s; the 1 s one is disarmed, then the 3 s one
    // moved to 0.5 s. Output: earliest is instance 1, then 2, then 0.
    #[test]
    fn moving_and_disarming_reorders_the_queue() {
        #[allow(clippy::disallowed_methods)]
        let base = Instant::now();
        let at = |millis| Some(base + Duration::from_millis(millis));
        let mut heap = Deadlines::new(3);
        assert_eq!(heap.earliest(), None);
        heap.set(0, at(3_000));
        heap.set(1, at(1_000));
        heap.set(2, at(2_000));
        assert_eq!(heap.earliest(), Some((base + Duration::from_secs(1), 1)));
        heap.set(1, None);
        assert_eq!(heap.earliest(), Some((base + Duration::from_secs(2), 2)));
        heap.set(0, at(500));
        assert_eq!(
            heap.earliest(),
            Some((base + Duration::from_millis(500), 0))
        );
        heap.set(0, None);
        heap.set(2, None);
        assert_eq!(heap.earliest(), None);
    }
}
