//! How the decays round (`docs/spec.md` §3.1): toward zero, or dithered by a
//! low-discrepancy sequence so that a decay loses on average exactly the
//! fraction it states.
//!
//! Rounding every decay toward zero takes up to one unit more than the exact
//! product from each non-zero value every tick. With decays of a fraction of a
//! percent per tick (a 20 ms membrane at dt = 0.1 ms) that bias is a large share
//! of the leak, and firing rates drift. Dithered rounding adds an offset `r` in
//! `0..4096` to the 12 fractional bits before the magnitude is cut, so the
//! result rounds up on a share of ticks equal to the dropped fraction.
//!
//! The offsets are a Weyl (golden-ratio) sequence, not random draws: per
//! neuron, the tick term advances by [`TICK_STEP`] every tick, so over any run
//! of ticks the offsets spread evenly over `0..4096` and the rounding errors of
//! a steady value cancel; per tick, neighbouring neurons are [`NEURON_STEP`]
//! apart, so they do not round up together. The chip forms them with two
//! 12-bit adders (one per tick, one per neuron), and any offset is a pure
//! function of (tick, neuron), so the simulator needs no generator state.

use serde::{Deserialize, Serialize};

use crate::fixed::DECAY_BITS;

/// The offsets' range is `0..=OFFSET_MASK` (12 bits, the fraction a decay drops).
pub const OFFSET_MASK: u16 = (1 << DECAY_BITS) - 1;

/// Added to the dither phase at the end of every tick: `round(4096 × (φ - 1))`,
/// odd, so the phase visits all 4096 values every 4096 ticks.
pub const TICK_STEP: u16 = 2531;

/// Between the offsets of neurons `n` and `n + 1` in one tick:
/// `round(4096 × (√2 - 1))`.
pub const NEURON_STEP: u16 = 1697;

/// How the decays of u, v and the threshold excess round (the network's
/// `rounding` setting; `ctrl` register `dither` on the chip).
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

    /// The dither phase of tick `t` (0 for the first tick of a run):
    /// `t × TICK_STEP mod 4096`, or 0 when rounding toward zero.
    pub fn phase(self, tick: u32) -> u16 {
        match self {
            Rounding::TowardZero => 0,
            Rounding::Dither => (tick.wrapping_mul(TICK_STEP as u32) & OFFSET_MASK as u32) as u16,
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
}

/// The 12-bit value `a` rotated left by `k` bits (`0 < k < 12`): bit `i`
/// moves to bit `(i + k) mod 12`.
#[inline(always)]
pub fn rotate(a: u16, k: u32) -> u16 {
    ((a << k) | ((a & OFFSET_MASK) >> (DECAY_BITS - k))) & OFFSET_MASK
}

impl Offsets {
    /// Round toward zero.
    pub const ZERO: Offsets = Offsets { u: 0, v: 0, theta: 0 };

    /// The offsets of neuron `n` in a tick of dither phase `phase`, masked by
    /// `mask` ([`Rounding::mask`]).
    #[inline(always)]
    pub fn of(phase: u16, n: u32, mask: u16) -> Offsets {
        let a = phase.wrapping_add((n as u16).wrapping_mul(NEURON_STEP)) & mask;
        Offsets {
            u: a,
            v: rotate(a, 6),
            theta: rotate(a, 3),
        }
    }
}

/// The dither of one tick: its phase and mask, from which every neuron's
/// [`Offsets`] follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TickDither {
    /// [`Rounding::phase`] of the tick.
    pub phase: u16,
    /// [`Rounding::mask`].
    pub mask: u16,
}

impl TickDither {
    /// Round toward zero.
    pub const NONE: TickDither = TickDither { phase: 0, mask: 0 };

    /// The dither of tick `t` under `rounding`.
    pub fn new(rounding: Rounding, tick: u32) -> TickDither {
        TickDither {
            phase: rounding.phase(tick),
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_visit_every_offset_once_per_4096_ticks() {
        let mut seen = vec![false; 4096];
        for t in 0..4096 {
            seen[Rounding::Dither.phase(t) as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
        assert_eq!(Rounding::Dither.phase(4096), 0);
        assert_eq!(Rounding::Dither.phase(1), TICK_STEP);
        assert_eq!(Rounding::TowardZero.phase(77), 0);
    }

    #[test]
    fn every_field_is_evenly_spread_over_a_neurons_ticks() {
        // Over 4096 ticks each field of a neuron takes every offset once (the
        // orders are permutations of 12 bits), so the mean is exactly 2047.5.
        for n in [0u32, 1, 17, 4095, 65535] {
            let mut sums = [0u64; 3];
            let mut seen = [vec![false; 4096], vec![false; 4096], vec![false; 4096]];
            for t in 0..4096 {
                let o = Offsets::of(Rounding::Dither.phase(t), n, Rounding::Dither.mask());
                for (k, r) in [o.u, o.v, o.theta].into_iter().enumerate() {
                    sums[k] += r as u64;
                    seen[k][r as usize] = true;
                }
            }
            assert_eq!(sums, [4095 * 2048; 3], "neuron {n}");
            assert!(seen.iter().all(|s| s.iter().all(|&x| x)), "neuron {n}");
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
