//! The CUBA LIF neuron with adaptive threshold (`docs/spec.md` §3).
//!
//! Mirrors the RTL's neuron update block: one call of [`NeuronParams::step`]
//! is one neuron's work in the neuron phase of a tick.

use serde::{Deserialize, Serialize};

use crate::dither::Offsets;
use crate::fixed::{add_sat16, current_term, decay, decay_is_exact, DECAY_ONE, STATE_MAX, STATE_MIN, U_SHIFT_MAX};

/// Parameters shared by the neurons of one profile (spec §3.1). On the chip a
/// neuron holds a profile index; in `sim/` a population is one profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NeuronParams {
    /// Synaptic-current decay `du`, 0..=4096 (units of 1/4096 per tick).
    pub du: u16,
    /// Membrane decay `dv`, 0..=4096.
    pub dv: u16,
    /// Constant bias added to the membrane every non-refractory tick.
    pub bias: i16,
    /// Membrane value after a spike.
    pub v_reset: i16,
    /// Resting threshold θ_base, 0..=32767.
    pub theta_base: i16,
    /// Threshold increase on each spike (homeostasis), 0..=32767; 0 disables it.
    pub theta_inc: i16,
    /// Decay of the threshold excess θ - θ_base, 0..=4096.
    pub theta_decay: u16,
    /// Refractory period in ticks, 0..=255.
    pub refractory: u8,
    /// The current's fraction bits, 0..=7: the membrane integrates
    /// `u / 2^u_shift` ([`current_term`]), so a current is held `u_shift` bits
    /// finer than the membrane.
    #[serde(default)]
    pub u_shift: u8,
}

impl Default for NeuronParams {
    /// A membrane time constant of about 20 ticks, current of about 5, threshold 1000.
    fn default() -> Self {
        NeuronParams {
            du: 742,
            dv: 200,
            bias: 0,
            v_reset: 0,
            theta_base: 1000,
            theta_inc: 0,
            theta_decay: 0,
            refractory: 0,
            u_shift: 0,
        }
    }
}

/// The state of one neuron between ticks (spec §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct NeuronState {
    /// Synaptic current u.
    pub u: i16,
    /// Membrane potential v.
    pub v: i16,
    /// Current threshold θ, `theta_base..=32767`.
    pub theta: i16,
    /// Refractory ticks left.
    pub refractory: u8,
}

/// A value outside its range (the field is named as in network files).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} = {value} is out of range {min}..={max}")]
pub struct ParamError {
    /// Which parameter.
    pub field: &'static str,
    /// The value given.
    pub value: i64,
    /// Smallest allowed value.
    pub min: i64,
    /// Largest allowed value.
    pub max: i64,
}

impl ParamError {
    /// The message without the field name: `5000 is out of range 0..=4096`.
    pub fn reason(&self) -> String {
        format!("{} is out of range {}..={}", self.value, self.min, self.max)
    }
}

/// Check `value` against `min..=max`, naming `field` when it is outside.
pub fn check_range(field: &'static str, value: i64, min: i64, max: i64) -> Result<i64, ParamError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(ParamError { field, value, min, max })
    }
}

/// A profile as written in a network file (`[population.neuron]`), before its
/// ranges are checked. Every field is optional there and defaults to
/// [`NeuronParams::default`]. This is where the ranges of spec §3.1 live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NeuronFields {
    /// See [`NeuronParams::du`].
    pub du: i64,
    /// See [`NeuronParams::dv`].
    pub dv: i64,
    /// See [`NeuronParams::bias`].
    pub bias: i64,
    /// See [`NeuronParams::v_reset`].
    pub v_reset: i64,
    /// See [`NeuronParams::theta_base`].
    pub threshold: i64,
    /// See [`NeuronParams::theta_inc`].
    pub theta_inc: i64,
    /// See [`NeuronParams::theta_decay`].
    pub theta_decay: i64,
    /// See [`NeuronParams::refractory`].
    pub refractory: i64,
    /// See [`NeuronParams::u_shift`].
    pub u_shift: i64,
}

impl Default for NeuronFields {
    fn default() -> Self {
        NeuronParams::default().into()
    }
}

impl From<NeuronParams> for NeuronFields {
    fn from(p: NeuronParams) -> Self {
        NeuronFields {
            du: p.du as i64,
            dv: p.dv as i64,
            bias: p.bias as i64,
            v_reset: p.v_reset as i64,
            threshold: p.theta_base as i64,
            theta_inc: p.theta_inc as i64,
            theta_decay: p.theta_decay as i64,
            refractory: p.refractory as i64,
            u_shift: p.u_shift as i64,
        }
    }
}

impl NeuronFields {
    /// Check every field against its range and convert.
    pub fn to_params(&self) -> Result<NeuronParams, ParamError> {
        let fraction = |f, v| check_range(f, v, 0, DECAY_ONE as i64).map(|v| v as u16);
        let state = |f, v| check_range(f, v, STATE_MIN as i64, STATE_MAX as i64).map(|v| v as i16);
        let positive = |f, v| check_range(f, v, 0, STATE_MAX as i64).map(|v| v as i16);
        Ok(NeuronParams {
            du: fraction("du", self.du)?,
            dv: fraction("dv", self.dv)?,
            bias: state("bias", self.bias)?,
            v_reset: state("v_reset", self.v_reset)?,
            theta_base: positive("threshold", self.threshold)?,
            theta_inc: positive("theta_inc", self.theta_inc)?,
            theta_decay: fraction("theta_decay", self.theta_decay)?,
            refractory: check_range("refractory", self.refractory, 0, u8::MAX as i64)? as u8,
            u_shift: check_range("u_shift", self.u_shift, 0, U_SHIFT_MAX as i64)? as u8,
        })
    }
}

/// The bit of a neuron's `du` word (spec §8.2) where `u_shift` begins: the
/// word holds `du` (13 bits) below it.
pub const U_SHIFT_AT: u32 = 13;

impl NeuronParams {
    /// The neuron space's `du` word (spec §8.2): `du | u_shift << 13`.
    pub fn du_word(&self) -> u16 {
        self.du | (self.u_shift as u16) << U_SHIFT_AT
    }

    /// Check every field against its range (spec §3.1).
    pub fn validate(&self) -> Result<(), ParamError> {
        NeuronFields::from(*self).to_params().map(|_| ())
    }

    /// The state of a neuron of this profile at reset, with membrane `v_init`.
    pub fn reset_state(&self, v_init: i16) -> NeuronState {
        NeuronState {
            u: 0,
            v: v_init,
            theta: self.theta_base,
            refractory: 0,
        }
    }

    /// One tick of the neuron (spec §3.3), with `input` the value of its ring
    /// accumulator for this tick and `r` its decays' rounding offsets
    /// ([`Offsets::ZERO`] rounds toward zero). Returns whether it spiked.
    ///
    /// Order: current decays and integrates; threshold excess decays; then
    /// either the refractory counter counts down (membrane held) or the
    /// membrane decays and integrates the current's term ([`current_term`])
    /// and the bias, and fires when
    /// `v >= θ`, resetting v, starting the refractory period and raising θ.
    #[inline(always)]
    pub fn step(&self, s: &mut NeuronState, input: i16, r: Offsets) -> bool {
        s.u = add_sat16(decay(s.u, self.du, r.u), input as i32);
        s.theta = self.theta_base + decay(s.theta - self.theta_base, self.theta_decay, r.theta);
        if s.refractory > 0 {
            s.refractory -= 1;
            return false;
        }
        let current = current_term(s.u, self.u_shift, r.current);
        let v = add_sat16(decay(s.v, self.dv, r.v), current + self.bias as i32);
        if v >= s.theta {
            s.v = self.v_reset;
            s.refractory = self.refractory;
            s.theta = (s.theta as i32 + self.theta_inc as i32).min(STATE_MAX as i32) as i16;
            true
        } else {
            s.v = v;
            false
        }
    }

    /// Whether every decay of `s` is exact ([`decay_is_exact`]) and its
    /// current's term has no fraction (`u = 0` or `u_shift = 0`), so that a
    /// step of `s` does not depend on the rounding offsets. A neuron that a
    /// step with no input leaves unchanged is then at rest for good; one whose
    /// decays are inexact may move on a later tick under dithered rounding.
    #[inline(always)]
    pub fn settles(&self, s: &NeuronState) -> bool {
        decay_is_exact(s.u, self.du)
            & decay_is_exact(s.v, self.dv)
            & decay_is_exact(s.theta - self.theta_base, self.theta_decay)
            & ((s.u == 0) | (self.u_shift == 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> NeuronParams {
        NeuronParams {
            du: 1024,
            dv: 2048,
            bias: 0,
            v_reset: -100,
            theta_base: 500,
            theta_inc: 0,
            theta_decay: 0,
            refractory: 2,
            u_shift: 0,
        }
    }

    #[test]
    fn leak_of_current_and_membrane_by_hand() {
        let p = params();
        let mut s = p.reset_state(0);
        // Tick 0: u = 0*0.75 + 400 = 400; v = 0*0.5 + 400 = 400 (< 500).
        assert!(!p.step(&mut s, 400, Offsets::ZERO));
        assert_eq!((s.u, s.v), (400, 400));
        // Tick 1: u = 400*0.75 = 300; v = 400*0.5 + 300 = 500 >= 500: spike.
        assert!(p.step(&mut s, 0, Offsets::ZERO));
        assert_eq!((s.u, s.v, s.refractory), (300, -100, 2));
        // Tick 2, 3: refractory, v held at reset, u keeps decaying: 225, 168.
        assert!(!p.step(&mut s, 0, Offsets::ZERO));
        assert_eq!((s.u, s.v, s.refractory), (225, -100, 1));
        assert!(!p.step(&mut s, 0, Offsets::ZERO));
        assert_eq!((s.u, s.v, s.refractory), (168, -100, 0));
        // Tick 4: u = 168*0.75 = 126; v = -100*0.5 -> -50, + 126 = 76.
        assert!(!p.step(&mut s, 0, Offsets::ZERO));
        assert_eq!((s.u, s.v), (126, 76));
    }

    #[test]
    fn negative_membrane_decays_toward_zero() {
        let p = NeuronParams { dv: 1000, ..params() };
        let mut s = p.reset_state(-999);
        // -999 * 3096 / 4096 = -755.1 -> -755 (toward zero).
        p.step(&mut s, 0, Offsets::ZERO);
        assert_eq!(s.v, -755);
    }

    #[test]
    fn adaptive_threshold_rises_and_decays() {
        let p = NeuronParams {
            du: 4096,
            dv: 4096,
            bias: 600,
            v_reset: 0,
            theta_base: 500,
            theta_inc: 200,
            theta_decay: 2048,
            refractory: 0,
            u_shift: 0,
        };
        let mut s = p.reset_state(0);
        // Tick 0: v = 600 >= 500 -> spike, θ = 700.
        assert!(p.step(&mut s, 0, Offsets::ZERO));
        assert_eq!(s.theta, 700);
        // Tick 1: θ = 500 + 200/2 = 600; v = 0 + 600 = 600 >= 600 -> spike, θ = 800.
        assert!(p.step(&mut s, 0, Offsets::ZERO));
        assert_eq!(s.theta, 800);
        // Tick 2: θ = 500 + 150 = 650; v = 600 < 650 -> no spike.
        assert!(!p.step(&mut s, 0, Offsets::ZERO));
        assert_eq!((s.theta, s.v), (650, 600));
        // Tick 3: θ = 500 + 75 = 575; v = 0*... dv=4096 clears, + 600 = 600 >= 575 -> spike.
        assert!(p.step(&mut s, 0, Offsets::ZERO));
        assert_eq!(s.theta, 775);
    }

    #[test]
    fn saturation_at_the_limits() {
        let p = NeuronParams {
            du: 0,
            dv: 0,
            bias: 32767,
            theta_base: 32767,
            refractory: 0,
            v_reset: STATE_MIN,
            ..params()
        };
        let mut s = p.reset_state(0);
        // u saturates at +32767 with two large inputs.
        p.step(&mut s, 30000, Offsets::ZERO);
        // v = 0 + 30000 + 32767 -> 32767 >= 32767: spike, v = -32767.
        assert_eq!(s.v, STATE_MIN);
        p.step(&mut s, 30000, Offsets::ZERO);
        assert_eq!(s.u, STATE_MAX);
        // θ saturates at 32767.
        let q = NeuronParams { theta_inc: 32767, ..p };
        let mut t = q.reset_state(32767);
        assert!(q.step(&mut t, 0, Offsets::ZERO));
        assert_eq!(t.theta, STATE_MAX);
        // Negative saturation of u.
        let mut w = p.reset_state(0);
        w.u = -32000;
        p.step(&mut w, -16384, Offsets::ZERO);
        assert_eq!(w.u, STATE_MIN);
    }

    #[test]
    fn a_finer_current_enters_the_membrane_shifted() {
        let p = NeuronParams {
            du: 2048,
            dv: 4096,
            u_shift: 2,
            ..params()
        };
        let mut s = p.reset_state(0);
        // u = 0 + 90 = 90; v = 0 + 90 >> 2 = 22 (22.5 rounded down).
        assert!(!p.step(&mut s, 90, Offsets::ZERO));
        assert_eq!((s.u, s.v), (90, 22));
        // u = 45; offset's top 2 bits 3: v = (45 + 3) >> 2 = 12.
        let r = Offsets {
            current: 0b11 << 10,
            ..Offsets::ZERO
        };
        assert!(!p.step(&mut s, 0, r));
        assert_eq!((s.u, s.v), (45, 12));
        // A current that the shift rounds to nothing still keeps the neuron
        // restless under dither.
        let quiet = NeuronState {
            u: 1,
            ..p.reset_state(0)
        };
        assert!(!p.settles(&quiet) && NeuronParams { u_shift: 0, ..p }.settles(&NeuronState { u: 0, ..quiet }));
    }

    #[test]
    fn validation_names_the_field() {
        let bad = NeuronParams { dv: 5000, ..params() };
        assert_eq!(
            bad.validate().unwrap_err().to_string(),
            "dv = 5000 is out of range 0..=4096"
        );
        let bad = NeuronParams {
            theta_base: -1,
            ..params()
        };
        assert_eq!(
            bad.validate().unwrap_err().to_string(),
            "threshold = -1 is out of range 0..=32767"
        );
        let bad = NeuronFields {
            bias: -32768,
            ..NeuronFields::default()
        };
        assert_eq!(
            bad.to_params().unwrap_err().to_string(),
            "bias = -32768 is out of range -32767..=32767"
        );
        let bad = NeuronFields {
            u_shift: 8,
            ..NeuronFields::default()
        };
        assert_eq!(
            bad.to_params().unwrap_err().to_string(),
            "u_shift = 8 is out of range 0..=7"
        );
    }
}
