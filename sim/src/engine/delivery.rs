//! Synaptic events on their way into a part's delay ring.

use crate::fixed::{add_sat16, contribution};
use crate::network::FLAG_WEXP;

use super::partition::{target_of, weight_of};

/// Bit `i` set where `cells[i]` is non-zero (at most 64 cells).
#[inline]
pub(super) fn nonzero_mask(cells: &[i16]) -> u64 {
    let mut mask = 0u64;
    for (i, &c) in cells.iter().enumerate() {
        mask |= ((c != 0) as u64) << i;
    }
    mask
}

/// A part's delay ring: `slots` slots of one accumulator per neuron, and a
/// flag per 64-neuron word per slot, set when anything arrives there.
pub(super) struct DelayRing {
    /// `cells[slot * n + neuron]`: input due in the tick of that slot.
    cells: Vec<i16>,
    /// `touched[slot * words + w]`.
    touched: Vec<u8>,
    n: usize,
    words: usize,
    slots: usize,
}

/// The accumulators and flags of one slot.
pub(super) struct Slot<'a> {
    cells: &'a mut [i16],
    touched: &'a mut [u8],
}

impl DelayRing {
    /// A ring of `slots` slots for `n` neurons, all zero.
    pub fn new(n: usize, slots: usize) -> Self {
        let words = n.div_ceil(64);
        let cells = vec![0; slots * n];
        crate::huge_pages::advise(&cells);
        DelayRing {
            cells,
            touched: vec![0; slots * words],
            n,
            words,
            slots,
        }
    }

    /// The slot `delay` ticks after `slot`, to deliver into.
    #[inline(always)]
    pub fn slot(&mut self, slot: usize, delay: u8) -> Slot<'_> {
        let mut s = slot + delay as usize;
        if s >= self.slots {
            s -= self.slots;
        }
        Slot {
            cells: &mut self.cells[s * self.n..(s + 1) * self.n],
            touched: &mut self.touched[s * self.words..(s + 1) * self.words],
        }
    }

    /// The inputs in slot `slot`.
    pub fn cells(&self, slot: usize) -> &[i16] {
        &self.cells[slot * self.n..(slot + 1) * self.n]
    }

    /// The inputs in slot `slot`, to read and clear.
    #[inline(always)]
    pub fn cells_mut(&mut self, slot: usize) -> &mut [i16] {
        &mut self.cells[slot * self.n..(slot + 1) * self.n]
    }

    /// Whether anything arrived in word `w` of slot `slot`; clears the flag.
    #[inline(always)]
    pub fn take_touched(&mut self, slot: usize, w: usize) -> bool {
        std::mem::take(&mut self.touched[slot * self.words + w]) != 0
    }
}

impl Slot<'_> {
    /// Add one synapse's contribution to its target's accumulator. The
    /// touched flag is a plain store, with no read-modify-write chain from
    /// one event to the next.
    #[inline(always)]
    pub fn add(&mut self, target: u32, weight: i8, flags: u8) {
        let t = target as usize;
        self.cells[t] = add_sat16(self.cells[t], contribution(weight, flags & FLAG_WEXP));
        self.touched[t >> 6] = 1;
    }

    /// Add a run of synapse words of one exponent, in one loop.
    #[inline(always)]
    pub fn add_run(&mut self, words: &[u32], flags: u8) {
        let wexp = flags & FLAG_WEXP;
        for &w in words {
            let t = target_of(w) as usize;
            self.cells[t] = add_sat16(self.cells[t], contribution(weight_of(w), wexp));
            self.touched[t >> 6] = 1;
        }
    }
}
