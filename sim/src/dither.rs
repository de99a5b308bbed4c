//! How the decays round (`docs/spec.md` §3.1): toward zero, or dithered by
//! pseudo-random offsets so that a decay loses on average exactly the
//! fraction it states.
//!
//! Rounding every decay toward zero takes up to one unit more than the exact
//! product from each non-zero value every tick. With decays of a fraction of a
//! percent per tick (a 20 ms membrane at dt = 0.1 ms) that bias is a large share
//! of the leak, and firing rates drift. Dithered rounding adds an offset `r` in
//! `0..4096` to the 12 fractional bits before the magnitude is cut, so the
//! result rounds up on a share of ticks equal to the dropped fraction.
//!
//! The offsets come from a 16-bit LFSR (the learning rule's polynomial,
//! [`crate::lfsr`]) stepped [`STEPS_PER_TICK`] times per tick: each tick
//! draws a fresh phase, and each neuron's offset is that phase plus
//! [`NEURON_STEP`] per neuron. A neuron's offsets from tick to tick must be
//! independent of its past, not merely evenly spread: a low-discrepancy
//! sequence (a golden-ratio Weyl step per tick, tried first) visits the
//! interval that ends a small current's last unit at regular intervals, so
//! the tail of a decay is cut to about half its length, and a 12-unit current
//! with `du` = 81 delivered 9% less charge than it should (independent
//! offsets: within 0.3%; `sim/tests/behaviour.rs`). On the chip the 16 steps
//! are one XOR network ([`advance_masks`]) and the per-neuron term one 12-bit
//! adder.

use serde::{Deserialize, Serialize};

use crate::fixed::DECAY_BITS;
use crate::lfsr::Lfsr16;

/// The offsets' range is `0..=OFFSET_MASK` (12 bits, the fraction a decay drops).
pub const OFFSET_MASK: u16 = (1 << DECAY_BITS) - 1;

/// LFSR steps of the dither state after each tick's neuron phase: a whole
/// new 16-bit state.
pub const STEPS_PER_TICK: u32 = 16;

/// The dither state at the start of a run (any non-zero LFSR state).
pub const STATE_SEED: u16 = 0x5EED;

/// Between the offsets of neurons `n` and `n + 1` in one tick:
/// `round(4096 × (√2 - 1))`.
pub const NEURON_STEP: u16 = 1697;

/// How the decays of u, v and the threshold excess round (the network's
/// `rounding` setting; `ctrl` register `rounding` on the chip).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// Magnitudes rounded down: every decay loses up to one unit too much.
    #[default]
    TowardZero,
    /// Magnitudes rounded with the offsets of [`Offsets::of`]: unbiased.
    Dither,
}

impl Rounding {
    /// How the decays round, in words: `toward zero` or `with dither`.
    pub fn describe(self) -> &'static str {
        match self {
            Rounding::TowardZero => "toward zero",
            Rounding::Dither => "with dither",
        }
    }

    /// All ones (12 bits) when dithering, else 0: masks a neuron's offsets.
    pub fn mask(self) -> u16 {
        match self {
            Rounding::TowardZero => 0,
            Rounding::Dither => OFFSET_MASK,
        }
    }
}

/// The rounding offsets of one neuron's three decays in one tick, each in
/// `0..=OFFSET_MASK`; all 0 rounds toward zero. The three are the same 12 bits
/// `a` rotated by 0, 6 and 3 bits (wiring only, on the chip), so that the
/// three decays of a neuron do not round up together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Offsets {
    /// For the decay of u: `a = (phase + n × NEURON_STEP) mod 4096`.
    pub u: u16,
    /// For the decay of v: `rotate(a, 6)`.
    pub v: u16,
    /// For the decay of the threshold excess: `rotate(a, 3)`.
    pub theta: u16,
    /// For the current's term in the membrane (its top `u_shift` bits,
    /// [`crate::fixed::current_term`]): `rotate(a, 9)`.
    pub current: u16,
}

/// The offset `a` of neuron (or axon) `n` in a tick of dither phase `phase`:
/// `(phase + n × NEURON_STEP) mod 4096`, masked by `mask` (spec §3.1).
#[inline(always)]
fn offset(phase: u16, n: u32, mask: u16) -> u16 {
    phase.wrapping_add((n as u16).wrapping_mul(NEURON_STEP)) & mask
}

/// The 12-bit value `a` rotated left by `k` bits (`0 < k < 12`): bit `i`
/// moves to bit `(i + k) mod 12`.
#[inline(always)]
pub fn rotate(a: u16, k: u32) -> u16 {
    ((a << k) | ((a & OFFSET_MASK) >> (DECAY_BITS - k))) & OFFSET_MASK
}

impl Offsets {
    /// Round toward zero.
    pub const ZERO: Offsets = Offsets {
        u: 0,
        v: 0,
        theta: 0,
        current: 0,
    };

    /// The offsets of neuron `n` in a tick of dither phase `phase`, masked by
    /// `mask` ([`Rounding::mask`]).
    #[inline(always)]
    pub fn of(phase: u16, n: u32, mask: u16) -> Offsets {
        let a = offset(phase, n, mask);
        Offsets {
            u: a,
            v: rotate(a, 6),
            theta: rotate(a, 3),
            current: rotate(a, CURRENT_ROTATION),
        }
    }
}

/// The dither state after one tick: [`STEPS_PER_TICK`] steps of the LFSR.
pub fn advance(state: u16) -> u16 {
    let mut l = Lfsr16::new(state).expect("the dither state is never 0");
    for _ in 1..STEPS_PER_TICK {
        l.next_state();
    }
    l.next_state()
}

/// The dither state in tick `t` of a run (the state of tick 0 is
/// [`STATE_SEED`]): for a run resumed at tick `t`. Takes `16 t` steps.
pub fn state_at(tick: u32) -> u16 {
    (0..tick).fold(STATE_SEED, |s, _| advance(s))
}

/// [`advance`] as a linear map over GF(2): bit `i` of the new state is the
/// parity of the old state's bits in `advance_masks()[i]`. The RTL's XOR
/// network.
pub fn advance_masks() -> [u16; 16] {
    let mut masks = [0u16; 16];
    for j in 0..16 {
        let column = advance(1 << j);
        for (i, m) in masks.iter_mut().enumerate() {
            *m |= ((column >> i) & 1) << j;
        }
    }
    masks
}

/// The dither of one tick: its phase (the low 12 bits of the dither state)
/// and mask, from which every neuron's [`Offsets`] follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TickDither {
    /// The tick's phase: the dither state's low 12 bits (0 when rounding
    /// toward zero).
    pub phase: u16,
    /// [`Rounding::mask`].
    pub mask: u16,
}

impl TickDither {
    /// Round toward zero.
    pub const NONE: TickDither = TickDither { phase: 0, mask: 0 };

    /// The dither of a tick with dither state `state` under `rounding`.
    pub fn new(rounding: Rounding, state: u16) -> TickDither {
        TickDither {
            phase: state & rounding.mask(),
            mask: rounding.mask(),
        }
    }

    /// Whether the decays are dithered (the offsets are not all 0).
    #[inline(always)]
    pub fn on(self) -> bool {
        self.mask != 0
    }

    /// The offsets of neuron `n`.
    #[inline(always)]
    pub fn offsets(self, n: u32) -> Offsets {
        Offsets::of(self.phase, n, self.mask)
    }

    /// The trace offsets of axon or neuron `i` in the trace phase (spec
    /// §5.1), whose tick dither is the state after this tick's neuron phase:
    /// `a` as for neuron `i`; an axon's `x_pre` takes `a`, a neuron's `x_pre`
    /// `a` rotated by 9 bits and its `x_post` `a` rotated by 1 bit.
    #[inline(always)]
    pub fn trace_offsets(self, i: u32) -> TraceOffsets {
        let a = offset(self.phase, i, self.mask);
        TraceOffsets {
            axon: a,
            pre: rotate(a, TRACE_PRE_ROTATION),
            post: rotate(a, TRACE_POST_ROTATION),
        }
    }
}

/// Rotation of a neuron's offset for its current's term in the membrane: its
/// top bits are `a`'s bits 2, 1, 0, which are not the top bits of the
/// decays' offsets (`a`'s 11-9 for u, 5-3 for v, 8-6 for θ).
pub const CURRENT_ROTATION: u32 = 9;

/// Rotation of a neuron's offset for its pre-synaptic trace.
pub const TRACE_PRE_ROTATION: u32 = 9;
/// Rotation of a neuron's offset for its post-synaptic trace.
pub const TRACE_POST_ROTATION: u32 = 1;

/// The rounding offsets of the traces of axon or neuron `i` in one tick
/// (spec §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TraceOffsets {
    /// Offset of axon `i`'s `x_pre`: `a`.
    pub axon: u16,
    /// Offset of neuron `i`'s `x_pre`: `rotate(a, 9)`.
    pub pre: u16,
    /// Offset of neuron `i`'s `x_post`: `rotate(a, 1)`.
    pub post: u16,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_is_the_lfsr_sixteen_steps_a_tick() {
        let mut l = Lfsr16::new(STATE_SEED).unwrap();
        for t in 1..5 {
            for _ in 0..16 {
                l.next_state();
            }
            assert_eq!(state_at(t), l.state());
        }
        // The masks reproduce the steps on any state.
        let masks = advance_masks();
        for s in [1u16, 0x8000, STATE_SEED, 0xFFFF, 0x1234] {
            let by_masks = (0..16)
                .map(|i| (((s & masks[i]).count_ones() & 1) as u16) << i)
                .sum::<u16>();
            assert_eq!(by_masks, advance(s), "{s:#x}");
        }
        assert_eq!(TickDither::new(Rounding::Dither, 0xFABC).phase, 0xABC);
        assert_eq!(TickDither::new(Rounding::TowardZero, 0xFABC), TickDither::NONE);
    }

    #[test]
    fn every_field_is_evenly_spread_over_a_neurons_ticks() {
        // Sixteen steps a tick visit every non-zero state once per 65535
        // ticks (16 and 65535 are coprime): each 12-bit phase 16 times, 0
        // fifteen times. The offsets are the phase plus a constant, rotated:
        // each field of a neuron takes every value as often.
        for n in [0u32, 1, 17, 65535] {
            let mut counts = [vec![0u32; 4096], vec![0u32; 4096], vec![0u32; 4096]];
            let mut state = STATE_SEED;
            for _ in 0..65535 {
                let o = TickDither::new(Rounding::Dither, state).offsets(n);
                for (k, r) in [o.u, o.v, o.theta].into_iter().enumerate() {
                    counts[k][r as usize] += 1;
                }
                state = advance(state);
            }
            assert_eq!(state, STATE_SEED);
            for c in &counts {
                assert_eq!(c.iter().filter(|&&x| x == 16).count(), 4095, "neuron {n}");
                assert_eq!(c.iter().filter(|&&x| x == 15).count(), 1, "neuron {n}");
            }
        }
    }

    #[test]
    fn neighbours_and_fields_follow_the_spec_formula() {
        let o = Offsets::of(100, 2, OFFSET_MASK);
        let a = (100 + 2 * NEURON_STEP as u32) % 4096;
        assert_eq!(o.u as u32, a);
        assert_eq!(o.v as u32, (a % 64) * 64 + a / 64);
        assert_eq!(o.theta as u32, (a % 512) * 8 + a / 512);
        assert_eq!(
            (rotate(0xFC0, 6), rotate(0x801, 3), rotate(0x800, 1)),
            (0x03F, 0x00C, 1)
        );
        assert_eq!(Offsets::of(100, 2, Rounding::TowardZero.mask()), Offsets::ZERO);
    }
}
