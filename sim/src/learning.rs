//! Pair-based STDP with 12-bit traces and stochastic rounding (`docs/spec.md` §5).
//!
//! Mirrors the RTL's learning unit: the two weight updates (depression on a
//! pre spike, potentiation on a post spike). The traces' decay is
//! [`crate::fixed::trace_decay`], with the offsets of
//! [`crate::dither::TickDither::trace_offsets`].

use serde::{Deserialize, Serialize};

use crate::fixed::{DECAY_ONE, LR_SHIFT_MAX};
use crate::lfsr::{Lfsr16, LFSR_DEFAULT_SEED};
use crate::neuron::{check_range, ParamError};

/// The core's one STDP rule (spec §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StdpParams {
    /// Decay of the presynaptic trace x_pre per tick, in 1/4096 (0..=4096;
    /// time constant `-1 / ln(1 - d / 4096)` ticks).
    pub pre_decay: u16,
    /// Decay of the postsynaptic trace x_post per tick, in 1/4096 (0..=4096).
    pub post_decay: u16,
    /// Added (saturating at 4095) to x_pre of a source on each of its spikes.
    pub pre_bump: u8,
    /// Added (saturating at 4095) to x_post of a neuron on each of its spikes.
    pub post_bump: u8,
    /// Potentiation gain A+.
    pub a_plus: u8,
    /// Depression gain A-.
    pub a_minus: u8,
    /// Learning-rate shift: Δw = (x · A + r) >> lr_shift, 0..=15.
    pub lr_shift: u8,
    /// Lower bound of plastic weights.
    pub w_min: i8,
    /// Upper bound of plastic weights.
    pub w_max: i8,
    /// Seed of the rounding-noise LFSR (non-zero).
    pub lfsr_seed: u16,
    /// Ticks after a neuron fires that its spike meets its plastic synapses
    /// (0..=[`POST_DELAY_MAX`]): then it potentiates its fan-in and bumps its
    /// x_post. 0 is the same tick; NEST's convention, a post spike one
    /// dendritic delay late and its neuron a step later than the chip's, is
    /// the delay in ticks plus 1.
    pub post_delay: u8,
}

/// Bits a plastic weight keeps below its 8-bit mantissa (spec §5.3): its
/// fine weight is `256 × weight + fraction`.
pub const WEIGHT_FRACTION_BITS: u32 = 8;

/// A plastic synapse's fine weight from its mantissa (the weight it
/// delivers) and its fraction (-128..=127).
#[inline(always)]
pub fn join_weight(weight: i8, fraction: i8) -> i16 {
    ((weight as i16) << WEIGHT_FRACTION_BITS) + fraction as i16
}

/// A fine weight's mantissa, the nearest whole step (halves up), and the
/// fraction left (-128..=127).
#[inline(always)]
pub fn split_weight(w: i16) -> (i8, i8) {
    let weight = ((w as i32 + 128) >> WEIGHT_FRACTION_BITS) as i8;
    (weight, (w as i32 - ((weight as i32) << WEIGHT_FRACTION_BITS)) as i8)
}

/// The longest [`StdpParams::post_delay`]: the spike history a neuron keeps
/// is [`POST_HISTORY_TICKS`] ticks.
pub const POST_DELAY_MAX: u8 = 11;
/// Ticks of its own spikes a neuron keeps while learning is on.
pub const POST_HISTORY_TICKS: usize = POST_DELAY_MAX as usize + 1;

impl Default for StdpParams {
    fn default() -> Self {
        StdpParams {
            pre_decay: 256,
            post_decay: 256,
            pre_bump: 64,
            post_bump: 64,
            a_plus: 16,
            a_minus: 17,
            lr_shift: 8,
            w_min: 0,
            w_max: 127,
            lfsr_seed: LFSR_DEFAULT_SEED,
            post_delay: 0,
        }
    }
}

/// Why an STDP rule is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StdpError {
    /// A field outside its range.
    #[error(transparent)]
    Range(#[from] ParamError),
    /// Bounds in the wrong order.
    #[error("w_min = {w_min} is above w_max = {w_max}")]
    Bounds {
        /// Lower bound.
        w_min: i8,
        /// Upper bound.
        w_max: i8,
    },
}

/// The rule as written in a network file (`[learning]`), before its ranges
/// are checked; missing fields default to [`StdpParams::default`]. This is
/// where the ranges of spec §5.1 live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StdpFields {
    /// See [`StdpParams::pre_decay`].
    pub pre_decay: i64,
    /// See [`StdpParams::post_decay`].
    pub post_decay: i64,
    /// See [`StdpParams::pre_bump`].
    pub pre_bump: i64,
    /// See [`StdpParams::post_bump`].
    pub post_bump: i64,
    /// See [`StdpParams::a_plus`].
    pub a_plus: i64,
    /// See [`StdpParams::a_minus`].
    pub a_minus: i64,
    /// See [`StdpParams::lr_shift`].
    pub lr_shift: i64,
    /// See [`StdpParams::w_min`].
    pub w_min: i64,
    /// See [`StdpParams::w_max`].
    pub w_max: i64,
    /// See [`StdpParams::lfsr_seed`].
    pub lfsr_seed: i64,
    /// See [`StdpParams::post_delay`].
    pub post_delay: i64,
}

impl Default for StdpFields {
    fn default() -> Self {
        StdpParams::default().into()
    }
}

impl From<StdpParams> for StdpFields {
    fn from(p: StdpParams) -> Self {
        StdpFields {
            pre_decay: p.pre_decay as i64,
            post_decay: p.post_decay as i64,
            pre_bump: p.pre_bump as i64,
            post_bump: p.post_bump as i64,
            a_plus: p.a_plus as i64,
            a_minus: p.a_minus as i64,
            lr_shift: p.lr_shift as i64,
            w_min: p.w_min as i64,
            w_max: p.w_max as i64,
            lfsr_seed: p.lfsr_seed as i64,
            post_delay: p.post_delay as i64,
        }
    }
}

impl StdpFields {
    /// Check every field against its range and convert.
    pub fn to_params(&self) -> Result<StdpParams, StdpError> {
        let decay = |f, v| check_range(f, v, 0, DECAY_ONE as i64).map(|v| v as u16);
        let byte = |f, v| check_range(f, v, 0, u8::MAX as i64).map(|v| v as u8);
        let weight = |f, v| check_range(f, v, i8::MIN as i64, i8::MAX as i64).map(|v| v as i8);
        let p = StdpParams {
            pre_decay: decay("pre_decay", self.pre_decay)?,
            post_decay: decay("post_decay", self.post_decay)?,
            pre_bump: byte("pre_bump", self.pre_bump)?,
            post_bump: byte("post_bump", self.post_bump)?,
            a_plus: byte("a_plus", self.a_plus)?,
            a_minus: byte("a_minus", self.a_minus)?,
            lr_shift: check_range("lr_shift", self.lr_shift, 0, LR_SHIFT_MAX as i64)? as u8,
            w_min: weight("w_min", self.w_min)?,
            w_max: weight("w_max", self.w_max)?,
            // The all-zero state would lock the LFSR.
            lfsr_seed: check_range("lfsr_seed", self.lfsr_seed, 1, u16::MAX as i64)? as u16,
            post_delay: check_range("post_delay", self.post_delay, 0, POST_DELAY_MAX as i64)? as u8,
        };
        if p.w_min > p.w_max {
            return Err(StdpError::Bounds {
                w_min: p.w_min,
                w_max: p.w_max,
            });
        }
        Ok(p)
    }
}

impl StdpParams {
    /// Check every field against its range.
    pub fn validate(&self) -> Result<(), StdpError> {
        StdpFields::from(*self).to_params().map(|_| ())
    }

    /// The rounding noise of one weight update drawn as the LFSR state
    /// `drawn` (the register's new state after its step): its low
    /// `lr_shift` bits.
    #[inline(always)]
    fn noise(&self, drawn: u16) -> u32 {
        let mask = (1u32 << self.lr_shift) - 1;
        drawn as u32 & mask
    }

    /// Weight change magnitude in 1/256 of a mantissa step:
    /// `(x · gain · 256 + r) >> lr_shift`.
    #[inline(always)]
    fn magnitude(&self, x: u16, gain: u8, drawn: u16) -> i32 {
        ((((x as u32 * gain as u32) << WEIGHT_FRACTION_BITS) + self.noise(drawn)) >> self.lr_shift) as i32
    }

    /// A fine weight kept within `w_min..=w_max` (in mantissa steps).
    #[inline(always)]
    fn bound(&self, w: i32) -> i16 {
        w.clamp(
            (self.w_min as i32) << WEIGHT_FRACTION_BITS,
            (self.w_max as i32) << WEIGHT_FRACTION_BITS,
        ) as i16
    }

    /// Depression of one plastic synapse's fine weight ([`join_weight`])
    /// when its source spikes (spec §5.3): `clamp(w - ((x_post · A- · 256 +
    /// r) >> lr_shift), 256 w_min, 256 w_max)`.
    #[inline(always)]
    pub fn depress(&self, w: i16, x_post: u16, lfsr: &mut Lfsr16) -> i16 {
        self.depress_drawn(w, x_post, lfsr.next_state())
    }

    /// [`StdpParams::depress`] with the LFSR's step already taken: `drawn`
    /// is its new state.
    #[inline(always)]
    pub fn depress_drawn(&self, w: i16, x_post: u16, drawn: u16) -> i16 {
        self.bound(w as i32 - self.magnitude(x_post, self.a_minus, drawn))
    }

    /// Potentiation of one plastic synapse's fine weight when its target's
    /// spike arrives (spec §5.3): `clamp(w + ((x_pre · A+ · 256 + r) >>
    /// lr_shift), 256 w_min, 256 w_max)`.
    #[inline(always)]
    pub fn potentiate(&self, w: i16, x_pre: u16, lfsr: &mut Lfsr16) -> i16 {
        self.potentiate_drawn(w, x_pre, lfsr.next_state())
    }

    /// [`StdpParams::potentiate`] with the LFSR's step already taken.
    #[inline(always)]
    pub fn potentiate_drawn(&self, w: i16, x_pre: u16, drawn: u16) -> i16 {
        self.bound(w as i32 + self.magnitude(x_pre, self.a_plus, drawn))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_by_hand() {
        let p = StdpParams {
            a_plus: 10,
            a_minus: 12,
            lr_shift: 4,
            w_min: -20,
            w_max: 50,
            ..StdpParams::default()
        };
        // Seed 0xACE1: next states 0xE270 (low 4 bits 0), 0x7138 (8), 0x389C (12).
        let mut l = Lfsr16::new(0xACE1).unwrap();
        let w = |weight: i8| join_weight(weight, 0);
        // (64*10*256 + 0) >> 4 = 10240: 5 + 40 steps = 45.
        assert_eq!(p.potentiate(w(5), 64, &mut l), w(45));
        // (64*12*256 + 8) >> 4 = 12288: 5 - 48 -> clamp -20.
        assert_eq!(p.depress(w(5), 64, &mut l), w(-20));
        // (3*10*256 + 12) >> 4 = 480, 1.875 steps: 49 + 1.875 -> clamp 50.
        assert_eq!(p.potentiate(w(49), 3, &mut l), w(50));
        // lr_shift 0: no noise, exact product.
        let q = StdpParams { lr_shift: 0, ..p };
        assert_eq!(q.depress(0, 1, &mut l), w(-12));
        // lr_shift 8, next state 0x0E27 (low 8 bits 39): (10*256 + 39) >> 8
        // = 10, a fraction of a step the mantissa does not show yet.
        let f = StdpParams { lr_shift: 8, ..p };
        assert_eq!(split_weight(f.potentiate(0, 1, &mut l)), (0, 10));
    }

    #[test]
    fn fine_weights_split_to_the_nearest_step() {
        assert_eq!(split_weight(0), (0, 0));
        assert_eq!(split_weight(127), (0, 127));
        assert_eq!(split_weight(128), (1, -128));
        assert_eq!(split_weight(-128), (0, -128));
        assert_eq!(split_weight(-129), (-1, 127));
        assert_eq!(split_weight(join_weight(127, 0)), (127, 0));
        assert_eq!(split_weight(join_weight(-128, 0)), (-128, 0));
        for w in i16::MIN..=(127 << 8) {
            let (m, f) = split_weight(w);
            assert_eq!(join_weight(m, f), w);
        }
    }

    #[test]
    fn validation() {
        let ok = StdpParams::default();
        assert!(ok.validate().is_ok());
        assert_eq!(
            StdpParams { pre_decay: 4097, ..ok }.validate().unwrap_err().to_string(),
            "pre_decay = 4097 is out of range 0..=4096"
        );
        assert!(StdpParams { lr_shift: 16, ..ok }.validate().is_err());
        assert!(StdpParams {
            w_min: 3,
            w_max: 2,
            ..ok
        }
        .validate()
        .is_err());
        assert_eq!(
            StdpParams { lfsr_seed: 0, ..ok }.validate().unwrap_err().to_string(),
            "lfsr_seed = 0 is out of range 1..=65535"
        );
    }
}
