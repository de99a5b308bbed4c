//! Number formats and the integer primitives of the chip (`docs/spec.md` §2).
//!
//! Every width, range and rounding rule of the model is defined here once; the
//! neuron, learning and engine modules import these and nothing else restates
//! them.
//!
//! Why a *symmetric* 16-bit range (±32767) rather than the full `i16`: the
//! decay multiplies the magnitude, and with -32768 excluded the magnitude always
//! fits in 15 bits, so the RTL needs no special case (and never meets the
//! rust-hdl `signed_bit_cast` trap on the most negative value).

/// Largest value of a 16-bit state variable (u, v, θ, ring accumulator).
pub const STATE_MAX: i16 = 32767;
/// Smallest value of a 16-bit state variable; the range is symmetric.
pub const STATE_MIN: i16 = -32767;

/// Fractional bits of a decay factor: decays are in units of 1/4096.
pub const DECAY_BITS: u32 = 12;
/// A decay of `DECAY_ONE` clears the variable in one tick.
pub const DECAY_ONE: u16 = 1 << DECAY_BITS;

/// Bits of an STDP trace (spec §2.5): 12, so that a trace bumped by up to
/// 255 per spike has room for many spikes' bumps above one.
pub const TRACE_BITS: u32 = 12;
/// Largest value of an STDP trace.
pub const TRACE_MAX: u16 = (1 << TRACE_BITS) - 1;

/// Largest `u_shift`, the current's fraction bits (spec §3.3).
pub const U_SHIFT_MAX: u8 = 7;

/// Largest weight exponent: a synapse contributes `weight << wexp`.
pub const WEIGHT_EXP_MAX: u8 = 7;

/// Largest learning-rate shift of the STDP rule.
pub const LR_SHIFT_MAX: u8 = 15;

/// Largest synaptic delay in ticks the model supports (`u8` storage).
pub const DELAY_MAX: u8 = 255;

/// Clamp a wide intermediate to the symmetric 16-bit state range.
#[inline(always)]
pub fn sat16(x: i32) -> i16 {
    x.clamp(STATE_MIN as i32, STATE_MAX as i32) as i16
}

/// Saturating add of two 16-bit state values (the result is clamped to ±32767).
#[inline(always)]
pub fn add_sat16(a: i16, b: i32) -> i16 {
    sat16(a as i32 + b)
}

/// Multiplicative decay by `d`/4096 with rounding offset `r` (0..4096, spec
/// §3.1): `sign(x) * ((|x| * (4096 - d) + r) >> 12)`.
///
/// With `r = 0` the magnitude rounds down (toward zero): every non-zero value
/// strictly shrinks when `d > 0`, so a variable with no input reaches exactly 0
/// in finitely many ticks (from either sign). With `r` spread evenly over
/// `0..4096` ([`crate::dither`]) the rounding is unbiased. `d = 0` keeps `x`
/// and `d = 4096` clears it, whatever `r`.
#[inline(always)]
pub fn decay(x: i16, d: u16, r: u16) -> i16 {
    debug_assert!(d <= DECAY_ONE);
    debug_assert!(x >= STATE_MIN);
    debug_assert!(r < DECAY_ONE);
    let keep = (DECAY_ONE - d) as u32;
    // Branch-free sign-magnitude: the sign of u is data-dependent (excitation
    // against inhibition), so a branch here mispredicts often.
    let sign = (x as i32) >> 31; // 0 or -1
    let mag = ((x as i32 ^ sign) - sign) as u32;
    let m = ((mag * keep + r as u32) >> DECAY_BITS) as i32;
    ((m ^ sign) - sign) as i16
}

/// Whether [`decay`]`(x, d, r)` is the same for every `r`: the product
/// `|x| * (4096 - d)` has no fraction to round.
#[inline(always)]
pub fn decay_is_exact(x: i16, d: u16) -> bool {
    (x.unsigned_abs() as u32 * (DECAY_ONE - d) as u32) & (DECAY_ONE as u32 - 1) == 0
}

/// The current's term in the membrane's update (spec §3.3):
/// `(u + r_s) >> u_shift`, an arithmetic shift (rounding down) of the current
/// held `u_shift` bits finer than the membrane, with `r_s` the top `u_shift`
/// bits of the 12-bit offset `r` (0 rounds down; a uniform `r` rounds without
/// bias). `u_shift = 0` is `u` itself.
#[inline(always)]
pub fn current_term(u: i16, u_shift: u8, r: u16) -> i32 {
    debug_assert!(u_shift <= U_SHIFT_MAX && r < DECAY_ONE);
    (u as i32 + (r >> (DECAY_BITS - u_shift as u32)) as i32) >> u_shift
}

/// One tick of trace decay (spec §5.1): the decay of §3.1 on a 12-bit trace,
/// `(x × (4096 - d) + r) >> 12`.
///
/// With `r = 0` (rounding toward zero) every non-zero trace loses at least 1
/// per tick when `d > 0`, so any trace is 0 after at most 4095 ticks; `d = 4096
/// >> k` is `x - ceil(x / 2^k)`. With dithered offsets the trace loses on
/// average exactly the fraction `d / 4096`.
///
/// It is [`decay`] on the trace (never negative, and never larger after), as
/// on the chip, whose trace phase uses the neurons' multipliers.
#[inline(always)]
pub fn trace_decay(x: u16, d: u16, r: u16) -> u16 {
    debug_assert!(x <= TRACE_MAX);
    decay(x as i16, d, r) as u16
}

/// Trace after a spike's bump: `min(4095, x + bump)`.
#[inline(always)]
pub fn trace_bump(x: u16, bump: u8) -> u16 {
    (x + bump as u16).min(TRACE_MAX)
}

/// The value a synapse adds to its target's ring accumulator: `weight * 2^wexp`,
/// in `-16384..=16256`.
#[inline(always)]
pub fn contribution(weight: i8, wexp: u8) -> i32 {
    debug_assert!(wexp <= WEIGHT_EXP_MAX);
    (weight as i32) << wexp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decay_rounds_toward_zero_on_both_signs() {
        // 1000 * (4096-1024) / 4096 = 750 exactly.
        assert_eq!(decay(1000, 1024, 0), 750);
        assert_eq!(decay(-1000, 1024, 0), -750);
        // 7 * 3072 / 4096 = 5.25 -> 5 ; -5.25 -> -5 (toward zero, not floor).
        assert_eq!(decay(7, 1024, 0), 5);
        assert_eq!(decay(-7, 1024, 0), -5);
        // 1 * 4095 / 4096 = 0.99 -> 0: the smallest decay still reaches zero.
        assert_eq!(decay(1, 1, 0), 0);
        assert_eq!(decay(-1, 1, 0), 0);
        assert_eq!(decay(STATE_MAX, 0, 0), STATE_MAX);
        assert_eq!(decay(STATE_MIN, 0, 0), STATE_MIN);
        assert_eq!(decay(STATE_MIN, DECAY_ONE, 0), 0);
        // 32767 * 4095 >> 12 = 32759 (32767 - 7.99..).
        assert_eq!(decay(STATE_MAX, 1, 0), 32759);
    }

    #[test]
    fn decay_reaches_zero_in_finite_ticks() {
        for d in [1u16, 7, 100, 4095] {
            let mut x = STATE_MAX;
            let mut n = 0;
            while x != 0 {
                let y = decay(x, d, 0);
                assert!(y < x, "decay must strictly shrink a positive value");
                x = y;
                n += 1;
            }
            assert!(n < 40_000_000);
        }
    }

    #[test]
    fn dithered_decay_is_unbiased_and_symmetric() {
        // Averaged over every offset, a decay loses exactly the stated
        // fraction: sum over r of (m·keep + r) >> 12 = m·keep.
        for (x, d) in [
            (7i16, 1024u16),
            (1, 1),
            (-1, 1),
            (1000, 20),
            (-12345, 4000),
            (STATE_MAX, 1),
        ] {
            let keep = (DECAY_ONE - d) as i64;
            let sum: i64 = (0..DECAY_ONE).map(|r| decay(x, d, r) as i64).sum();
            assert_eq!(sum, x as i64 * keep, "x={x} d={d}");
            for r in [0, 1, 2047, 4095] {
                assert_eq!(decay(-x, d, r), -decay(x, d, r));
                assert!(decay(x, d, r).unsigned_abs() <= x.unsigned_abs());
            }
        }
        assert_eq!(decay(7, 1024, 3071), 5); // 5.25 + 0.7498 rounds down
        assert_eq!(decay(7, 1024, 3072), 6); // 5.25 + 0.75 rounds up
        assert_eq!(decay(-7, 1024, 3072), -6);
        assert!(decay_is_exact(1000, 1024) && decay_is_exact(0, 5) && decay_is_exact(9, 0) && decay_is_exact(9, 4096));
        assert!(!decay_is_exact(7, 1024) && !decay_is_exact(-1, 1));
    }

    #[test]
    fn saturation_is_symmetric() {
        assert_eq!(sat16(40_000), 32767);
        assert_eq!(sat16(-40_000), -32767);
        assert_eq!(sat16(-32768), -32767);
        assert_eq!(add_sat16(32000, 16256), 32767);
        assert_eq!(add_sat16(-32000, -16384), -32767);
        assert_eq!(add_sat16(100, -50), 50);
    }

    #[test]
    fn trace_decay_hand_values() {
        // d = 1024 (a quarter): 100 -> 75; 3 -> floor(2.25) = 2; 1 -> 0.
        assert_eq!(trace_decay(100, 1024, 0), 75);
        assert_eq!(trace_decay(3, 1024, 0), 2);
        assert_eq!(trace_decay(1, 1024, 0), 0);
        assert_eq!(trace_decay(0, 1024, 0), 0);
        // d = 4096 clears; d = 32: floor(255 × 4064 / 4096) = 253.
        assert_eq!(trace_decay(200, 4096, 0), 0);
        assert_eq!(trace_decay(255, 32, 0), 253);
        // The offset rounds up once the dropped fraction reaches it:
        // 3 × 3072 = 9216 = 2 × 4096 + 1024.
        assert_eq!(trace_decay(3, 1024, 3071), 2);
        assert_eq!(trace_decay(3, 1024, 3072), 3);
        assert_eq!(trace_decay(1, 0, 4095), 1);
    }

    #[test]
    fn traces_rounded_toward_zero_reach_zero() {
        for d in [1u16, 25, 256, 4095, 4096] {
            let mut x = TRACE_MAX;
            for _ in 0..TRACE_MAX {
                x = trace_decay(x, d, 0);
            }
            assert_eq!(x, 0, "d={d}: every trace is 0 after 4095 ticks");
        }
    }

    #[test]
    fn trace_decay_is_the_state_decay_of_a_trace() {
        // The chip decays traces with the neurons' multipliers.
        for d in [0u16, 1, 26, 248, 1024, 4095, 4096] {
            for x in 0..=TRACE_MAX {
                for r in [0u16, 1, 2048, 4095, x.wrapping_mul(1697) & 4095] {
                    assert_eq!(trace_decay(x, d, r) as i16, decay(x as i16, d, r), "x={x} d={d} r={r}");
                }
            }
        }
    }

    #[test]
    fn trace_decay_by_a_power_of_two_is_the_shift_decay() {
        for k in 0..=7u32 {
            for x in 0..=TRACE_MAX {
                let shifted = x - ((x + (1 << k) - 1) >> k);
                assert_eq!(trace_decay(x, 4096 >> k, 0), shifted, "x={x} k={k}");
            }
        }
    }

    #[test]
    fn contribution_range() {
        assert_eq!(contribution(127, 7), 16256);
        assert_eq!(contribution(-128, 7), -16384);
        assert_eq!(contribution(-3, 2), -12);
        assert_eq!(trace_bump(250, 10), 260);
        assert_eq!(trace_bump(4090, 10), TRACE_MAX);
    }

    #[test]
    fn current_term_by_hand() {
        // No fraction bits: the current itself, whatever the offset.
        assert_eq!(current_term(-7, 0, 4095), -7);
        // 3 bits: the offset's top 3 bits are added before the shift down.
        assert_eq!(current_term(13, 3, 0), 1); // 13 / 8 = 1.625 -> 1
        assert_eq!(current_term(13, 3, 0b011 << 9), 2); // (13 + 3) >> 3
        assert_eq!(current_term(13, 3, 0b010 << 9 | 511), 1); // (13 + 2) >> 3
        assert_eq!(current_term(-13, 3, 0), -2); // rounds down
        assert_eq!(current_term(STATE_MAX, 7, 4095), (32767 + 127) >> 7);
        // Over a uniform offset the term is exact on average, either sign.
        for (u, k) in [(13i16, 3u8), (-13, 3), (1, 7), (-1, 7), (-32767, 5), (1001, 1)] {
            let sum: i64 = (0..DECAY_ONE).map(|r| current_term(u, k, r) as i64).sum();
            assert_eq!(sum, u as i64 * (DECAY_ONE as i64 >> k), "u={u} k={k}");
        }
    }
}
