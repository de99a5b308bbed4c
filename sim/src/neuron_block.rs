//! Up to 64 neurons of one profile updated side by side.
//!
//! [`NeuronParams::step`] is the spec's update (§3.3) written for one neuron,
//! with the branches the text has. [`step_block`] computes the same thing for
//! a block of neurons that share a profile, branch-free, so that the compiler
//! turns it into vector code (on x86-64 CPUs with AVX2, 256-bit code chosen at
//! run time): in 16-bit lanes for profiles without homeostasis, in 32-bit
//! lanes otherwise. The engine uses it wherever a 64-neuron word of
//! the active set is mostly set; the unit tests below and the engine's
//! equivalence tests against the reference stepper pin it to
//! [`NeuronParams::step`] bit for bit.
//!
//! A block may include neurons that are not due this tick (not active and
//! without input): such a neuron is at a fixed point of the update with zero
//! input for every rounding offset, its ring cell holds 0, so stepping it
//! leaves it exactly as it was and it is neither reported as fired nor as
//! busy. Under dithered rounding a neuron is busy while any of its decays is
//! inexact ([`NeuronParams::settles`]): one that did not move this tick may
//! still move on the next.

use std::ops::Sub;

use crate::dither::{rotate, TickDither, CURRENT_ROTATION, NEURON_STEP};
use crate::fixed::{current_term, DECAY_BITS, DECAY_ONE, STATE_MAX, STATE_MIN};
use crate::neuron::{NeuronParams, NeuronState};

/// Most neurons in one block (one word of the engine's bitmaps).
pub const BLOCK: usize = 64;

/// The state arrays of a block of neurons, all of the same length (at most
/// [`BLOCK`] for [`step_block`]; any for [`step_one`]), and the ring
/// accumulators due to them this tick.
pub struct Block<'a> {
    /// Synaptic currents.
    pub u: &'a mut [i16],
    /// Membrane potentials.
    pub v: &'a mut [i16],
    /// Thresholds.
    pub theta: &'a mut [i16],
    /// Refractory counters.
    pub refractory: &'a mut [u8],
    /// This tick's input of each neuron; read and cleared.
    pub input: &'a mut [i16],
    /// The network index of the arrays' first neuron.
    pub first: u32,
    /// How this tick's decays round.
    pub dither: TickDither,
}

/// What a block update found, bit `i` for the block's neuron `i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockMasks {
    /// Neurons that fired.
    pub fired: u64,
    /// Neurons that fired, had input or changed: not at a fixed point.
    pub busy: u64,
}

/// One tick (spec §3.3) for every neuron of `block`, all of profile `p`.
///
/// # Panics
/// If the arrays of `block` differ in length or are longer than [`BLOCK`].
pub fn step_block(p: &NeuronParams, block: Block<'_>) -> BlockMasks {
    let len = block.u.len();
    assert!(
        len <= BLOCK
            && block.v.len() == len
            && block.theta.len() == len
            && block.refractory.len() == len
            && block.input.len() == len,
        "a block is at most {BLOCK} neurons with one entry per array"
    );
    if len < BLOCK {
        return step_each(p, block);
    }
    let arrays = Arrays {
        u: block.u.try_into().expect("length checked"),
        v: block.v.try_into().expect("length checked"),
        theta: block.theta.try_into().expect("length checked"),
        refractory: block.refractory.try_into().expect("length checked"),
        input: block.input.try_into().expect("length checked"),
        first: block.first,
        dither: block.dither,
    };
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            return unsafe { step_full_avx2(p, arrays) };
        }
    }
    step_full_portable(p, arrays)
}

/// A full block as fixed-length arrays: the vectorised loop has no remainder.
struct Arrays<'a> {
    u: &'a mut [i16; BLOCK],
    v: &'a mut [i16; BLOCK],
    theta: &'a mut [i16; BLOCK],
    refractory: &'a mut [u8; BLOCK],
    input: &'a mut [i16; BLOCK],
    first: u32,
    dither: TickDither,
}

/// A part block: one neuron at a time with the spec's update.
fn step_each(p: &NeuronParams, mut b: Block<'_>) -> BlockMasks {
    let mut masks = BlockMasks::default();
    for i in 0..b.u.len() {
        let (fire, busy) = step_one(p, &mut b, i);
        masks.fired |= (fire as u64) << i;
        masks.busy |= (busy as u64) << i;
    }
    masks
}

/// Neuron `i` of `b` (arrays of any equal length) through
/// [`NeuronParams::step`], its input read and cleared; returns whether it
/// fired and whether it is busy (fired, had input, changed, or dithered with
/// an inexact decay).
#[inline(always)]
pub fn step_one(p: &NeuronParams, b: &mut Block<'_>, i: usize) -> (bool, bool) {
    let before = NeuronState {
        u: b.u[i],
        v: b.v[i],
        theta: b.theta[i],
        refractory: b.refractory[i],
    };
    let x = std::mem::take(&mut b.input[i]);
    let mut s = before;
    let fire = p.step(&mut s, x, b.dither.offsets(b.first.wrapping_add(i as u32)));
    (b.u[i], b.v[i], b.theta[i], b.refractory[i]) = (s.u, s.v, s.theta, s.refractory);
    // Branch-free: whether input arrived is data-dependent.
    let restless = b.dither.on() & !p.settles(&before);
    (fire, fire | (x != 0) | (s != before) | restless)
}

/// A full block with 256-bit integer vectors.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn step_full_avx2(p: &NeuronParams, a: Arrays<'_>) -> BlockMasks {
    use std::arch::x86_64::{__m256i, _mm256_loadu_si256, _mm256_movemask_epi8};
    let (fired, busy) = step_full(p, a);
    // The top bit of each byte, 32 bytes at a time.
    let pack = |flags: &[i8; BLOCK]| -> u64 {
        let half = |at: usize| {
            // SAFETY: 32 bytes at `at` or `at + 32` lie inside the 64-byte array.
            let v = unsafe { _mm256_loadu_si256(flags.as_ptr().add(at).cast::<__m256i>()) };
            _mm256_movemask_epi8(v) as u32 as u64
        };
        half(0) | half(32) << 32
    };
    BlockMasks {
        fired: pack(&fired),
        busy: pack(&busy),
    }
}

/// A full block with the compiler's baseline instruction set.
fn step_full_portable(p: &NeuronParams, a: Arrays<'_>) -> BlockMasks {
    let (fired, busy) = step_full(p, a);
    let pack = |flags: &[i8; BLOCK]| -> u64 {
        let mut mask = 0;
        for (i, &f) in flags.iter().enumerate() {
            mask |= ((f as u8 >> 7) as u64) << i;
        }
        mask
    };
    BlockMasks {
        fired: pack(&fired),
        busy: pack(&busy),
    }
}

/// The update of a full block; per neuron -1 where it fired and where it is
/// busy, 0 elsewhere (the caller packs them into masks).
#[inline(always)]
fn step_full(p: &NeuronParams, a: Arrays<'_>) -> ([i8; BLOCK], [i8; BLOCK]) {
    if p.theta_inc == 0 && p.theta_decay == 0 {
        step_full_narrow(p, a)
    } else {
        step_full_wide(p, a)
    }
}

/// `fixed::decay` on a widened value with offset `r`: a shift that rounds
/// down after adding `r` to a positive product and `4095 - r` to a negative
/// one (that is, `|x·keep| + r` rounded down, with the sign put back). The
/// second value is the product's fraction: 0 when the decay is exact.
#[inline(always)]
fn decay32(x: i32, keep: i32, r: i32) -> (i32, i32) {
    let prod = x * keep;
    let fraction = (1 << DECAY_BITS) - 1;
    ((prod + (r ^ ((prod >> 31) & fraction))) >> DECAY_BITS, prod & fraction)
}

/// The dither offset `a` (spec §3.1) of lane `i` of a block whose first
/// neuron's is `a0` (12 bits once masked).
#[inline(always)]
fn lane_offset(a0: u16, i: usize) -> u16 {
    a0.wrapping_add((i as u16).wrapping_mul(NEURON_STEP))
}

/// Any profile, in 32-bit lanes.
#[inline(always)]
fn step_full_wide(p: &NeuronParams, a: Arrays<'_>) -> ([i8; BLOCK], [i8; BLOCK]) {
    let keep_u = (DECAY_ONE - p.du) as i32;
    let keep_v = (DECAY_ONE - p.dv) as i32;
    let keep_t = (DECAY_ONE - p.theta_decay) as i32;
    let (lo, hi) = (STATE_MIN as i32, STATE_MAX as i32);
    let base = p.theta_base as i32;
    let bias = p.bias as i32;
    let v_reset = p.v_reset as i32;
    let refr = p.refractory as i32;
    let inc = p.theta_inc as i32;
    let shift = p.u_shift;
    let mut fired = [0i8; BLOCK];
    let mut busy = [0i8; BLOCK];
    let Arrays {
        u,
        v,
        theta,
        refractory: rc,
        input,
        first,
        dither,
    } = a;
    let a0 = dither.offsets(first).u;
    let mask = dither.mask as i32;
    for i in 0..BLOCK {
        let x = input[i] as i32;
        input[i] = 0;
        let (u0, v0, t0, r0) = (u[i] as i32, v[i] as i32, theta[i] as i32, rc[i] as i32);
        let ra = lane_offset(a0, i) as i32 & mask;
        let (du, fu) = decay32(u0, keep_u, ra);
        let (dt, ft) = decay32(t0 - base, keep_t, rotate(ra as u16, 3) as i32);
        let (dv, fv) = decay32(v0, keep_v, rotate(ra as u16, 6) as i32);
        let u1 = (du + x).clamp(lo, hi);
        let t1 = base + dt;
        // u1 lies in ±32767 (clamped just above).
        let current = current_term(u1 as i16, shift, rotate(ra as u16, CURRENT_ROTATION));
        let vc = (dv + current + bias).clamp(lo, hi);
        let held = r0 != 0;
        let fire = !held & (vc >= t1);
        let (v1, r1) = after_threshold(held, fire, v0, vc, v_reset, r0, refr);
        let t2 = if fire { (t1 + inc).min(hi) } else { t1 };
        u[i] = u1 as i16;
        v[i] = v1 as i16;
        theta[i] = t2 as i16;
        rc[i] = r1 as u8;
        let fraction = (u0 != 0) & (shift != 0);
        let restless = (mask != 0) & (((fu | fv | ft) != 0) | fraction);
        let changed = (x != 0) | (u1 != u0) | (v1 != v0) | (t2 != t0) | (r1 != r0) | restless;
        fired[i] = -(fire as i8);
        busy[i] = -((fire | changed) as i8);
    }
    (fired, busy)
}

/// A profile without homeostasis (`theta_inc == 0`, `theta_decay == 0`: θ stays
/// as it is), in 16-bit lanes: twice the neurons per vector. Only the membrane
/// sum, of three terms, is formed in 32 bits before it saturates.
#[inline(always)]
fn step_full_narrow(p: &NeuronParams, a: Arrays<'_>) -> ([i8; BLOCK], [i8; BLOCK]) {
    let (du, dv) = (Decay16::new(p.du), Decay16::new(p.dv));
    let bias = p.bias as i32;
    let (v_reset, refr) = (p.v_reset, p.refractory as i16);
    let shift = p.u_shift;
    let mut fired = [0i8; BLOCK];
    let mut busy = [0i8; BLOCK];
    let Arrays {
        u,
        v,
        theta,
        refractory: rc,
        input,
        first,
        dither,
    } = a;
    let a0 = dither.offsets(first).u;
    let mask = dither.mask;
    for i in 0..BLOCK {
        let x = input[i];
        input[i] = 0;
        let (u0, v0, t0, r0) = (u[i], v[i], theta[i], rc[i] as i16);
        let ra = lane_offset(a0, i) & mask;
        let (du0, fu) = du.apply(u0, ra);
        let (dv0, fv) = dv.apply(v0, rotate(ra, 6));
        // Both terms lie in ±32767, so a saturating add then the symmetric bound is exact.
        let u1 = du0.saturating_add(x).max(STATE_MIN);
        let current = current_term(u1, shift, rotate(ra, CURRENT_ROTATION));
        let vc = (dv0 as i32 + current + bias).clamp(STATE_MIN as i32, STATE_MAX as i32) as i16;
        let held = r0 != 0;
        let fire = !held & (vc >= t0);
        let (v1, r1) = after_threshold(held, fire, v0, vc, v_reset, r0, refr);
        u[i] = u1;
        v[i] = v1;
        rc[i] = r1 as u8;
        let fraction = (u0 != 0) & (shift != 0);
        let restless = (mask != 0) & (((fu | fv) != 0) | fraction);
        let changed = (x != 0) | (u1 != u0) | (v1 != v0) | (r1 != r0) | restless;
        fired[i] = -(fire as i8);
        busy[i] = -((fire | changed) as i8);
    }
    (fired, busy)
}

/// Membrane and refractory counter after the threshold test (spec §3.3), in
/// either lane width: held while refractory (counting down), reset on a spike,
/// else the integrated membrane with the counter at 0.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn after_threshold<T: Copy + Sub<Output = T> + From<i8>>(
    held: bool,
    fire: bool,
    v0: T,
    vc: T,
    v_reset: T,
    r0: T,
    refr: T,
) -> (T, T) {
    if held {
        (v0, r0 - T::from(1))
    } else if fire {
        (v_reset, refr)
    } else {
        (vc, T::from(0))
    }
}

/// `fixed::decay` by a fixed factor in 16-bit arithmetic:
/// `(|x|·keep + r) >> 12 = (|x|·16·keep + 16·r) >> 16`, the high half of a
/// 16×16 product plus the carry out of its low half and `16·r` (`keep·16` fits
/// in 16 bits unless keep = 4096, where the decay is the identity).
#[derive(Clone, Copy)]
struct Decay16 {
    keep16: u16,
    /// All ones for the identity (d = 0), else 0.
    identity: u16,
}

impl Decay16 {
    fn new(d: u16) -> Self {
        let keep = DECAY_ONE - d;
        if keep == DECAY_ONE {
            Decay16 {
                keep16: 0,
                identity: u16::MAX,
            }
        } else {
            Decay16 {
                keep16: keep << (16 - DECAY_BITS),
                identity: 0,
            }
        }
    }

    /// The decay of `x` with offset `r`, and the low half of the product
    /// (0 when the decay is exact).
    #[inline(always)]
    fn apply(self, x: i16, r: u16) -> (i16, u16) {
        let sign = x >> 15; // 0 or -1
        let mag = ((x ^ sign) - sign) as u16; // |x| <= 32767: no overflow
        let product = mag as u32 * self.keep16 as u32;
        let low = product as u16;
        let carry = (low as u32 + ((r << (16 - DECAY_BITS)) as u32)) >> 16;
        let m = ((product >> 16) + carry) as u16 | (mag & self.identity);
        (((m as i16) ^ sign) - sign, low)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dither::Rounding;
    use crate::fixed::U_SHIFT_MAX;
    use proptest::prelude::*;

    fn edge_i16() -> impl Strategy<Value = i16> {
        prop_oneof![
            Just(STATE_MIN),
            Just(STATE_MAX),
            Just(0),
            Just(1),
            Just(-1),
            STATE_MIN..=STATE_MAX
        ]
    }

    fn params() -> impl Strategy<Value = NeuronParams> {
        (
            prop_oneof![Just(0u16), Just(DECAY_ONE), 0..=DECAY_ONE],
            prop_oneof![Just(0u16), Just(DECAY_ONE), 0..=DECAY_ONE],
            edge_i16(),
            edge_i16(),
            prop_oneof![Just(0i16), Just(STATE_MAX), 0..=STATE_MAX],
            prop_oneof![Just(0i16), Just(STATE_MAX), 0..=400i16],
            prop_oneof![Just(0u16), 0..=DECAY_ONE],
            prop_oneof![Just(0u8), Just(255), 0..=5u8],
            prop_oneof![Just(0u8), Just(U_SHIFT_MAX), 0..=U_SHIFT_MAX],
        )
            .prop_map(
                |(du, dv, bias, v_reset, theta_base, theta_inc, theta_decay, refractory, u_shift)| NeuronParams {
                    du,
                    dv,
                    bias,
                    v_reset,
                    theta_base,
                    theta_inc,
                    theta_decay,
                    refractory,
                    u_shift,
                },
            )
    }

    fn state(p: NeuronParams) -> impl Strategy<Value = (NeuronState, i16)> {
        (
            edge_i16(),
            edge_i16(),
            p.theta_base..=STATE_MAX,
            prop_oneof![Just(0u8), 0..=255u8],
            prop_oneof![Just(0i16), edge_i16()],
        )
            .prop_map(|(u, v, theta, refractory, input)| {
                (
                    NeuronState {
                        u,
                        v,
                        theta,
                        refractory,
                    },
                    input,
                )
            })
    }

    /// A tick's dither (on or off) and the block's first neuron.
    fn dither() -> impl Strategy<Value = (TickDither, u32)> {
        let rounding = prop_oneof![Just(Rounding::TowardZero), Just(Rounding::Dither)];
        (rounding, any::<u16>(), prop_oneof![Just(0u32), any::<u32>()])
            .prop_map(|(r, state, first)| (TickDither::new(r, state), first))
    }

    type Case = (NeuronParams, Vec<(NeuronState, i16)>, (TickDither, u32));

    /// Mostly full blocks (the vectorised paths), sometimes part blocks.
    fn case() -> impl Strategy<Value = Case> {
        let len = prop_oneof![4 => Just(BLOCK), 1 => 0..BLOCK];
        (params(), len, dither()).prop_flat_map(|(p, len, d)| (Just(p), prop::collection::vec(state(p), len), Just(d)))
    }

    /// The portable path forced on a block of any length.
    fn portable(p: &NeuronParams, b: Block<'_>) -> BlockMasks {
        match b.u.len() {
            BLOCK => step_full_portable(
                p,
                Arrays {
                    u: b.u.try_into().unwrap(),
                    v: b.v.try_into().unwrap(),
                    theta: b.theta.try_into().unwrap(),
                    refractory: b.refractory.try_into().unwrap(),
                    input: b.input.try_into().unwrap(),
                    first: b.first,
                    dither: b.dither,
                },
            ),
            _ => step_each(p, b),
        }
    }

    /// The block against the one-neuron update, on both code paths.
    fn check(
        p: &NeuronParams,
        cells: &[(NeuronState, i16)],
        (dither, first): (TickDither, u32),
        path: fn(&NeuronParams, Block<'_>) -> BlockMasks,
    ) {
        let mut u: Vec<i16> = cells.iter().map(|c| c.0.u).collect();
        let mut v: Vec<i16> = cells.iter().map(|c| c.0.v).collect();
        let mut theta: Vec<i16> = cells.iter().map(|c| c.0.theta).collect();
        let mut refractory: Vec<u8> = cells.iter().map(|c| c.0.refractory).collect();
        let mut input: Vec<i16> = cells.iter().map(|c| c.1).collect();
        let masks = path(
            p,
            Block {
                u: &mut u,
                v: &mut v,
                theta: &mut theta,
                refractory: &mut refractory,
                input: &mut input,
                first,
                dither,
            },
        );
        let mut want = BlockMasks::default();
        for (i, &(before, x)) in cells.iter().enumerate() {
            let mut s = before;
            let fire = p.step(&mut s, x, dither.offsets(first.wrapping_add(i as u32)));
            let restless = dither.on() && !p.settles(&before);
            want.fired |= (fire as u64) << i;
            want.busy |= ((fire | (x != 0) | (s != before) | restless) as u64) << i;
            let got = NeuronState {
                u: u[i],
                v: v[i],
                theta: theta[i],
                refractory: refractory[i],
            };
            assert_eq!(got, s, "neuron {i} of {p:?} from {before:?} with input {x}");
        }
        assert_eq!(masks, want);
        assert!(input.iter().all(|&x| x == 0), "inputs are cleared");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn block_equals_one_neuron_update((p, cells, d) in case()) {
            check(&p, &cells, d, step_block);
            check(&p, &cells, d, portable);
        }
    }

    #[test]
    fn a_neuron_at_its_fixed_point_is_left_alone() {
        let p = NeuronParams {
            bias: 0,
            ..NeuronParams::default()
        };
        let s = p.reset_state(0);
        let cells = vec![(s, 0); BLOCK];
        let dithered = (TickDither::new(Rounding::Dither, 5), 64);
        check(&p, &cells, dithered, step_block);
        let mut u = vec![0; BLOCK];
        let mut v = vec![0; BLOCK];
        let mut theta = vec![p.theta_base; BLOCK];
        let mut refractory = vec![0; BLOCK];
        let mut input = vec![0; BLOCK];
        let masks = step_block(
            &p,
            Block {
                u: &mut u,
                v: &mut v,
                theta: &mut theta,
                refractory: &mut refractory,
                input: &mut input,
                first: 64,
                dither: dithered.0,
            },
        );
        assert_eq!(masks, BlockMasks::default());
    }
}
