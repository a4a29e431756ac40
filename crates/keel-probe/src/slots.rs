//! [`Slots`]: the table of probes in flight that the batched TCP probers share (the
//! connect prober in `tcp_batch` and the half-open engine in `syn`).
//!
//! A probe is addressed by `(index, generation)`: the index of its slot and the slot's
//! generation when the probe was put there. Releasing a probe bumps the generation, so an
//! epoll token, timer or queued send that still names the old pair finds nothing instead
//! of the next probe to use that slot. Freed indexes are reused, so the table stays as
//! large as the most probes ever in flight at once.

/// Probes `P` in flight, each in a generation-checked slot.
pub(crate) struct Slots<P> {
    slots: Vec<Slot<P>>,
    free: Vec<u32>,
    in_flight: usize,
}

struct Slot<P> {
    generation: u32,
    probe: Option<P>,
}

impl<P> Slots<P> {
    /// An empty table.
    pub fn new() -> Self {
        Slots {
            slots: Vec::new(),
            free: Vec::new(),
            in_flight: 0,
        }
    }

    /// Probes put in a slot ([`Slots::fill`]) and not yet released.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// A free slot's index and generation, taken off the free list (or a new slot): the
    /// caller then either [`Slots::fill`]s it or hands it back with [`Slots::unreserve`].
    pub fn vacant(&mut self) -> (u32, u32) {
        if let Some(index) = self.free.pop() {
            let generation = self
                .slots
                .get(index as usize)
                .map_or(0, |slot| slot.generation);
            return (index, generation);
        }
        // A slot per probe in flight (for the connect prober, each holding a
        // descriptor): far below u32::MAX.
        let index = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
        self.slots.push(Slot {
            generation: 0,
            probe: None,
        });
        (index, 0)
    }

    /// Returns slot `index` from [`Slots::vacant`], unfilled, to the free list.
    pub fn unreserve(&mut self, index: u32) {
        self.free.push(index);
    }

    /// Puts `probe` in slot `index` from [`Slots::vacant`]; it is in flight until
    /// released.
    pub fn fill(&mut self, index: u32, probe: P) {
        if let Some(slot) = self.slots.get_mut(index as usize) {
            slot.probe = Some(probe);
            self.in_flight += 1;
        }
    }

    /// The probe of `(index, generation)`, if still in flight.
    pub fn live(&self, index: u32, generation: u32) -> Option<&P> {
        let slot = self.slots.get(index as usize)?;
        (slot.generation == generation)
            .then_some(slot.probe.as_ref())
            .flatten()
    }

    /// The probe of `(index, generation)`, if still in flight, to change.
    pub fn live_mut(&mut self, index: u32, generation: u32) -> Option<&mut P> {
        let slot = self.slots.get_mut(index as usize)?;
        if slot.generation != generation {
            return None;
        }
        slot.probe.as_mut()
    }

    /// The probe in slot `index` whatever its generation, with that generation: for an
    /// answer matched by its contents rather than by a token.
    pub fn occupant(&self, index: u32) -> Option<(u32, &P)> {
        let slot = self.slots.get(index as usize)?;
        Some((slot.generation, slot.probe.as_ref()?))
    }

    /// Empties slot `index` if it still holds the probe of `generation`, and returns it.
    pub fn release(&mut self, index: u32, generation: u32) -> Option<P> {
        let slot = self.slots.get_mut(index as usize)?;
        if slot.generation != generation {
            return None;
        }
        let probe = slot.probe.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(index);
        self.in_flight -= 1;
        Some(probe)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Input: a probe put in a slot, released, and a second probe put in the same slot.
    // Output: the first probe's (index, generation) finds nothing any more (a late epoll
    // token or timer of the first probe cannot reach the second), the second's finds it,
    // and a release under the stale pair leaves the second in flight.
    #[test]
    fn a_released_slot_is_reused_under_a_new_generation() {
        let mut slots = Slots::new();
        let (index, first) = slots.vacant();
        slots.fill(index, "first");
        assert_eq!(slots.live(index, first), Some(&"first"));
        assert_eq!(slots.in_flight(), 1);
        assert_eq!(slots.release(index, first), Some("first"));
        assert_eq!(slots.in_flight(), 0);

        let (again, second) = slots.vacant();
        assert_eq!(again, index, "a freed index is reused");
        assert_ne!(second, first);
        slots.fill(again, "second");
        assert_eq!(slots.live(index, first), None);
        assert!(slots.live_mut(index, first).is_none());
        assert_eq!(slots.release(index, first), None);
        assert_eq!(slots.in_flight(), 1);
        assert_eq!(slots.occupant(index), Some((second, &"second")));
        assert_eq!(slots.release(index, second), Some("second"));
        assert_eq!(slots.occupant(index), None);
    }

    // Input: two slots reserved, the first handed back unfilled.
    // Output: nothing is in flight for it, the next reservation gets it back, and the
    // table did not grow past two slots.
    #[test]
    fn an_unfilled_reservation_goes_back_to_the_free_list() {
        let mut slots: Slots<u8> = Slots::new();
        let (a, _) = slots.vacant();
        let (b, _) = slots.vacant();
        assert_ne!(a, b);
        slots.unreserve(a);
        assert_eq!(slots.in_flight(), 0);
        assert_eq!(slots.vacant().0, a);
        assert_eq!(slots.slots.len(), 2);
    }
}
