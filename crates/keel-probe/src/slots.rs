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
