//! Synaptic events on their way into a part's delay ring.

use crate::fixed::{add_sat16, contribution};
use crate::network::FLAG_WEXP;

/// Bit `i` set where `cells[i]` is non-zero (at most 64 cells).
#[inline]
pub(super) fn nonzero_mask(cells: &[i16]) -> u64 {
    let mut mask = 0u64;
    for (i, &c) in cells.iter().enumerate() {
        mask |= ((c != 0) as u64) << i;
    }
    mask
}

/// Synaptic events of one spike on their way into the delay ring.
///
/// The ring slot of the last delay seen is kept in registers: a source's
/// synapses come in runs of one delay (spec §8.3), so most events reuse it.
/// The touched flag of a word is a plain store, with no read-modify-write
/// chain from one event to the next.
pub(super) struct Delivery<'a> {
    ring: &'a mut [i16],
    touched: &'a mut [u8],
    n: usize,
    words: usize,
    slots: usize,
    slot: usize,
    /// Delay whose slot `ring_base` and `touch_base` are for.
    delay: u8,
    ring_base: usize,
    touch_base: usize,
}

impl<'a> Delivery<'a> {
    pub fn new(ring: &'a mut [i16], touched: &'a mut [u8], n: usize, slots: usize, slot: usize) -> Self {
        Delivery {
            ring,
            touched,
            n,
            words: n.div_ceil(64),
            slots,
            slot,
            delay: 0,
            ring_base: 0,
            touch_base: 0,
        }
    }

    /// Synapses of one delay and one flags byte, in one loop.
    #[inline(always)]
    pub fn deliver_run(&mut self, targets: &[u32], weights: &[i8], delay: u8, flags: u8) {
        let mut s = self.slot + delay as usize;
        if s >= self.slots {
            s -= self.slots;
        }
        let ring = &mut self.ring[s * self.n..(s + 1) * self.n];
        let touched = &mut self.touched[s * self.words..(s + 1) * self.words];
        let wexp = flags & FLAG_WEXP;
        for (&target, &w) in targets.iter().zip(weights) {
            let target = target as usize;
            ring[target] = add_sat16(ring[target], contribution(w, wexp));
            touched[target >> 6] = 1;
        }
    }

    /// Add one synapse's contribution to its target's accumulator `delay` ticks ahead.
    #[inline(always)]
    pub fn deliver(&mut self, target: u32, delay: u8, weight: i8, flags: u8) {
        if delay != self.delay {
            let mut s = self.slot + delay as usize;
            if s >= self.slots {
                s -= self.slots;
            }
            self.delay = delay;
            self.ring_base = s * self.n;
            self.touch_base = s * self.words;
        }
        let target = target as usize;
        let cell = &mut self.ring[self.ring_base + target];
        *cell = add_sat16(*cell, contribution(weight, flags & FLAG_WEXP));
        self.touched[self.touch_base + (target >> 6)] = 1;
    }
}
