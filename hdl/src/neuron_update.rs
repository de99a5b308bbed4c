//! `NeuronUpdate`: one neuron's work in the neuron phase (`docs/spec.md`
//! §3.3), mirroring [`spikefab_sim::NeuronParams::step`].
//!
//! A three-stage pipeline taking one neuron per clock: the inputs of cycle k
//! (the neuron's parameters, state and ring input, straight from the block
//! RAMs) give the outputs in cycle k + 3, with `out_valid` following
//! `in_valid`. The inputs used last arrive late instead of riding the
//! pipeline registers (which would cost a logic cell per bit on the UP5K):
//! `theta_inc` in cycle k + 2 and `v_reset`, `t_ref` and `refractory` in cycle
//! k + 3; the core reads them from their block RAMs with a later address.
//! Stage 1 runs the three multiply-adds ([`Decay`]: u's decay plus the ring
//! input, v's plus the bias, the threshold excess's plus θ_base; on the UP5K
//! each is one SB_MAC16, whose output register is stage 1's), stage 2 u's
//! clamp, stage 3 the v sum and the raised
//! threshold; the spike decision and the new state are
//! combinational on stage 3's registers. This is the cut that the 75 ns
//! single-cycle path (multiply, u sum, saturate, v sum, saturate, compare)
//! needed to close timing at 24 MHz on the UP5K.
//!
//! Values are 16-bit two's complement held in unsigned `Bits` (see `decay.rs`
//! for why); the u and v sums are [`Saturate`]'s. The threshold is never
//! negative, so `v ≥ θ` is "v non-negative and v ≥ θ unsigned": no signed
//! compare anywhere.
//!
//! Between neuron phases the pipeline lends its first two multipliers to the
//! trace phase (`lend`): a trace decays as a state variable does (spec §5.1),
//! and the HX8K, which has no DSP, has no room for two more multipliers. The
//! bump pass borrows them too, with no decay (`d = 0`) and the bump as the
//! added term, so that a trace's new value always comes from the
//! multipliers' registers.

use rust_hdl::prelude::*;

use crate::decay::Decay;
use crate::saturate::Saturate;

/// Pipeline latency of [`NeuronUpdate`] in clocks.
pub const NEURON_LATENCY: usize = 3;

/// Pipelined CUBA LIF update with adaptive threshold.
#[derive(LogicBlock)]
pub struct NeuronUpdate {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The inputs of this cycle are a neuron to update.
    pub in_valid: Signal<In, Bit>,
    /// Parameter: the `du` word (spec §8.2): the current decay `du`,
    /// 0..=4096, in bits 0..=12 and the current's fraction bits `u_shift`,
    /// 0..=7, in bits 13..=15.
    pub du: Signal<In, Bits<16>>,
    /// Parameter: membrane decay `dv`, 0..=4096.
    pub dv: Signal<In, Bits<16>>,
    /// Parameter: bias (two's complement).
    pub bias: Signal<In, Bits<16>>,
    /// Parameter: membrane after a spike (two's complement); late, cycle k + 3.
    pub v_reset: Signal<In, Bits<16>>,
    /// Parameter: resting threshold θ_base, 0..=32767.
    pub theta_base: Signal<In, Bits<16>>,
    /// Parameter: threshold increase per spike, 0..=32767; late, cycle k + 2.
    pub theta_inc: Signal<In, Bits<16>>,
    /// Parameter: decay of the threshold excess, 0..=4096.
    pub theta_decay: Signal<In, Bits<16>>,
    /// Parameter: refractory period; late, cycle k + 3.
    pub t_ref: Signal<In, Bits<8>>,
    /// State before: u.
    pub u: Signal<In, Bits<16>>,
    /// State before: v.
    pub v: Signal<In, Bits<16>>,
    /// State before: θ.
    pub theta: Signal<In, Bits<16>>,
    /// State before: refractory counter; late, cycle k + 3.
    pub refractory: Signal<In, Bits<8>>,
    /// This tick's delay-ring accumulator (two's complement).
    pub ring_in: Signal<In, Bits<16>>,
    /// The neuron's dither offset `a` (spec §3.1; 0 rounds toward zero): u's
    /// decay rounds with `a`, v's with `a` rotated by 6 bits, the threshold
    /// excess's with `a` rotated by 3, the current's term in v with the top
    /// `u_shift` bits of `a` rotated by 9.
    pub offset: Signal<In, Bits<12>>,
    /// The outputs are the update of the neuron that entered three clocks ago.
    pub out_valid: Signal<Out, Bit>,
    /// State after: u.
    pub u_next: Signal<Out, Bits<16>>,
    /// State after: v (not valid while `v_held`).
    pub v_next: Signal<Out, Bits<16>>,
    /// The neuron is refractory: its v does not change, and is not written
    /// back (so the pipeline need not carry it).
    pub v_held: Signal<Out, Bit>,
    /// State after: θ.
    pub theta_next: Signal<Out, Bits<16>>,
    /// State after: refractory counter.
    pub refractory_next: Signal<Out, Bits<8>>,
    /// The neuron fired.
    pub spike: Signal<Out, Bit>,
    /// Lend the decay units of u and v to the trace phase (`Traces`,
    /// spec §5.1: a trace decays as a state variable does) while the pipeline
    /// is idle: their inputs are `lend_pre_*` and `lend_post_*` instead.
    pub lend: Signal<In, Bit>,
    /// The pre-synaptic trace (zero-extended), its decay and offset.
    pub lend_pre_x: Signal<In, Bits<16>>,
    /// See `lend_pre_x`.
    pub lend_pre_d: Signal<In, Bits<16>>,
    /// See `lend_pre_x`.
    pub lend_pre_r: Signal<In, Bits<12>>,
    /// The term added to the pre-synaptic trace's decay (its bump, or 0).
    pub lend_pre_add: Signal<In, Bits<8>>,
    /// The post-synaptic trace (zero-extended), its decay and offset.
    pub lend_post_x: Signal<In, Bits<16>>,
    /// See `lend_post_x`.
    pub lend_post_d: Signal<In, Bits<16>>,
    /// See `lend_post_x`.
    pub lend_post_r: Signal<In, Bits<12>>,
    /// The term added to the post-synaptic trace's decay (its bump, or 0).
    pub lend_post_add: Signal<In, Bits<8>>,
    /// `decay(lend_pre_x, lend_pre_d, lend_pre_r) + lend_pre_add` of a clock
    /// that lent, one clock later (the multiplier's register).
    pub lent_pre: Signal<Out, Bits<16>>,
    /// The same for `lend_post_*`.
    pub lent_post: Signal<Out, Bits<16>>,
    decay_u: Decay,
    decay_v: Decay,
    decay_theta: Decay,
    sat_u: Saturate,
    sat_v: Saturate,
    // Stage 1: the multiply-adds' registers (u and v's before their
    // clamps), its valid bit, and the current term's shift and offset.
    s1_valid: DFF<Bit>,
    s1_shift: DFF<Bits<3>>,
    s1_round: DFF<Bits<7>>,
    // Stage 2: u clamped, and its term in v: u shifted down, and the carry
    // that rounding adds to it.
    s2_valid: DFF<Bit>,
    s2_u: DFF<Bits<16>>,
    s2_term: DFF<Bits<16>>,
    s2_carry: DFF<Bit>,
    s2_v_decayed: DFF<Bits<17>>,
    s2_theta: DFF<Bits<16>>,
    // Stage 3: v' and the raised threshold.
    s3_valid: DFF<Bit>,
    s3_u: DFF<Bits<16>>,
    s3_v_new: DFF<Bits<16>>,
    s3_theta: DFF<Bits<16>>,
    s3_theta_raised: DFF<Bits<16>>,
    theta_raised: Signal<Local, Bits<17>>,
    fires: Signal<Local, Bit>,
    shift: Signal<Local, Bits<3>>,
    rotated: Signal<Local, Bits<12>>,
    u_low: Signal<Local, Bits<8>>,
    u_carry: Signal<Local, Bits<8>>,
    u_shifted: Signal<Local, Bits<16>>,
    low_mask: Signal<Local, Bits<8>>,
    ones: Constant<Bits<8>>,
    // Largest threshold, as a 17-bit value.
    max17: Constant<Bits<17>>,
}

impl Default for NeuronUpdate {
    fn default() -> Self {
        let max = spikefab_sim::fixed::STATE_MAX as u64;
        NeuronUpdate {
            clock: Default::default(),
            in_valid: Default::default(),
            du: Default::default(),
            dv: Default::default(),
            bias: Default::default(),
            v_reset: Default::default(),
            theta_base: Default::default(),
            theta_inc: Default::default(),
            theta_decay: Default::default(),
            t_ref: Default::default(),
            u: Default::default(),
            v: Default::default(),
            theta: Default::default(),
            refractory: Default::default(),
            ring_in: Default::default(),
            offset: Default::default(),
            out_valid: Default::default(),
            u_next: Default::default(),
            v_next: Default::default(),
            v_held: Default::default(),
            theta_next: Default::default(),
            refractory_next: Default::default(),
            spike: Default::default(),
            lend: Default::default(),
            lend_pre_x: Default::default(),
            lend_pre_d: Default::default(),
            lend_pre_r: Default::default(),
            lend_pre_add: Default::default(),
            lend_post_x: Default::default(),
            lend_post_d: Default::default(),
            lend_post_r: Default::default(),
            lend_post_add: Default::default(),
            lent_pre: Default::default(),
            lent_post: Default::default(),
            decay_u: Default::default(),
            decay_v: Default::default(),
            decay_theta: Default::default(),
            sat_u: Default::default(),
            sat_v: Default::default(),
            s1_valid: Default::default(),
            s1_shift: Default::default(),
            s1_round: Default::default(),
            s2_valid: Default::default(),
            s2_u: Default::default(),
            s2_term: Default::default(),
            s2_carry: Default::default(),
            s2_v_decayed: Default::default(),
            s2_theta: Default::default(),
            s3_valid: Default::default(),
            s3_u: Default::default(),
            s3_v_new: Default::default(),
            s3_theta: Default::default(),
            s3_theta_raised: Default::default(),
            theta_raised: Default::default(),
            fires: Default::default(),
            shift: Default::default(),
            rotated: Default::default(),
            u_low: Default::default(),
            u_carry: Default::default(),
            u_shifted: Default::default(),
            low_mask: Default::default(),
            ones: Constant::new(0xFFu32.to_bits()),
            max17: Constant::new(max.to_bits()),
        }
    }
}

impl Logic for NeuronUpdate {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            s1_valid,
            s1_shift,
            s1_round,
            s2_valid,
            s2_u,
            s2_term,
            s2_carry,
            s2_v_decayed,
            s2_theta,
            s3_valid,
            s3_u,
            s3_v_new,
            s3_theta,
            s3_theta_raised
        );
        // Stage 1: decay(u, du) + I, decay(v, dv) + bias and θ_base +
        // decay(θ - θ_base, dθ), each one registered multiply-add (the
        // excess is never negative, and θ_base + its decay never passes θ:
        // 16 bits).
        self.decay_u.clock.next = self.clock.val();
        self.decay_v.clock.next = self.clock.val();
        self.decay_theta.clock.next = self.clock.val();
        self.decay_u.x.next = self.u.val();
        self.decay_u.d.next = bit_cast::<16, 13>(self.du.val().get_bits::<13>(0));
        self.decay_u.r.next = self.offset.val();
        self.decay_u.add.next = self.ring_in.val();
        self.decay_v.x.next = self.v.val();
        self.decay_v.d.next = self.dv.val();
        self.decay_v.r.next = (self.offset.val() << 6) | (self.offset.val() >> 6);
        self.decay_v.add.next = self.bias.val();
        self.decay_theta.x.next = self.theta.val() - self.theta_base.val();
        self.decay_theta.d.next = self.theta_decay.val();
        self.decay_theta.r.next = (self.offset.val() << 3) | (self.offset.val() >> 9);
        self.decay_theta.add.next = self.theta_base.val();
        if self.lend.val() {
            self.decay_u.x.next = self.lend_pre_x.val();
            self.decay_u.d.next = self.lend_pre_d.val();
            self.decay_u.r.next = self.lend_pre_r.val();
            self.decay_u.add.next = bit_cast::<16, 8>(self.lend_pre_add.val());
            self.decay_v.x.next = self.lend_post_x.val();
            self.decay_v.d.next = self.lend_post_d.val();
            self.decay_v.r.next = self.lend_post_r.val();
            self.decay_v.add.next = bit_cast::<16, 8>(self.lend_post_add.val());
        }
        self.lent_pre.next = self.decay_u.y.val().get_bits::<16>(0);
        self.lent_post.next = self.decay_v.y.val().get_bits::<16>(0);
        self.s1_valid.d.next = self.in_valid.val();
        // The current term's offset: the top `u_shift` bits of `a` rotated
        // by 9 (a shift right by 12 - u_shift = 5 + (7 - u_shift), and
        // 7 - u_shift is u_shift's complement).
        self.shift.next = self.du.val().get_bits::<3>(13);
        self.rotated.next = (self.offset.val() << 9) | (self.offset.val() >> 3);
        self.s1_shift.d.next = self.shift.val();
        self.s1_round.d.next = self.rotated.val().get_bits::<7>(5) >> !self.shift.val();

        // Stage 2: u <- sat16(decay(u) + I).
        self.sat_u.a.next = self.decay_u.y.val();
        self.sat_u.b.next = 0.into();
        self.sat_u.carry.next = false;
        self.s2_valid.d.next = self.s1_valid.q.val();
        self.s2_u.d.next = self.sat_u.value.val();
        self.s2_theta.d.next = self.decay_theta.y.val().get_bits::<16>(0);
        self.s2_v_decayed.d.next = self.decay_v.y.val();
        // u's term in v, (u + c) >> u_shift rounding down, as u >> u_shift
        // (arithmetic: the complement of the complement's shift for a
        // negative u) plus a carry, which stage 3's sum takes in: 1 when
        // u's low u_shift bits and c reach 2^u_shift. The carry's sum is 8
        // bits beside u's shift, not a 17-bit sum after it.
        self.u_shifted.next = self.sat_u.value.val() >> self.s1_shift.q.val();
        if self.sat_u.value.val().get_bit(15) {
            self.u_shifted.next = !((!self.sat_u.value.val()) >> self.s1_shift.q.val());
        }
        self.s2_term.d.next = self.u_shifted.val();
        self.low_mask.next = !(self.ones.val() << self.s1_shift.q.val());
        self.u_low.next =
            (bit_cast::<8, 16>(self.sat_u.value.val()) & self.low_mask.val()) + bit_cast::<8, 7>(self.s1_round.q.val());
        self.u_carry.next = self.u_low.val() >> self.s1_shift.q.val();
        self.s2_carry.d.next = self.u_carry.val().any();

        // Stage 3: v' <- sat16(decay(v) + bias + u's term) with the new u;
        // the threshold a spike would raise, saturated at 32767.
        self.sat_v.a.next = self.s2_v_decayed.q.val();
        self.sat_v.b.next = self.s2_term.q.val();
        self.sat_v.carry.next = self.s2_carry.q.val();
        self.theta_raised.next = bit_cast::<17, 16>(self.s2_theta.q.val()) + bit_cast::<17, 16>(self.theta_inc.val());
        if self.theta_raised.val() > self.max17.val() {
            self.theta_raised.next = self.max17.val();
        }
        self.s3_valid.d.next = self.s2_valid.q.val();
        self.s3_u.d.next = self.s2_u.q.val();
        self.s3_v_new.d.next = self.sat_v.value.val();
        self.s3_theta.d.next = self.s2_theta.q.val();
        self.s3_theta_raised.d.next = self.theta_raised.val().get_bits::<16>(0);

        // Outputs: fire when not refractory and v' >= θ (θ >= 0: unsigned
        // compare of a non-negative v').
        self.fires.next = !self.refractory.val().any()
            & !self.s3_v_new.q.val().get_bit(15)
            & (self.s3_v_new.q.val() >= self.s3_theta.q.val());
        self.out_valid.next = self.s3_valid.q.val();
        self.u_next.next = self.s3_u.q.val();
        self.theta_next.next = self.s3_theta.q.val();
        self.v_next.next = self.s3_v_new.q.val();
        self.v_held.next = self.refractory.val().any();
        self.refractory_next.next = self.refractory.val();
        self.spike.next = false;
        if self.refractory.val().any() {
            self.refractory_next.next = self.refractory.val() - 1;
        } else if self.fires.val() {
            self.v_next.next = self.v_reset.val();
            self.refractory_next.next = self.t_ref.val();
            self.theta_next.next = self.s3_theta_raised.q.val();
            self.spike.next = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use spikefab_sim::dither::{Offsets, OFFSET_MASK};
    use spikefab_sim::fixed::{STATE_MAX, STATE_MIN, U_SHIFT_MAX};
    use spikefab_sim::{NeuronParams, NeuronState};

    /// Drive the block with one neuron's profile, state and input; read back.
    fn run(uut: &mut NeuronUpdate, p: &NeuronParams, s: &NeuronState, input: i16, a: u16) -> (NeuronState, bool) {
        let w = |x: i16| (x as u16).to_bits::<16>();
        uut.du.next = p.du_word().to_bits();
        uut.dv.next = p.dv.to_bits();
        uut.bias.next = w(p.bias);
        uut.v_reset.next = w(p.v_reset);
        uut.theta_base.next = w(p.theta_base);
        uut.theta_inc.next = w(p.theta_inc);
        uut.theta_decay.next = p.theta_decay.to_bits();
        uut.t_ref.next = p.refractory.to_bits();
        uut.u.next = w(s.u);
        uut.v.next = w(s.v);
        uut.theta.next = w(s.theta);
        uut.refractory.next = s.refractory.to_bits();
        uut.ring_in.next = w(input);
        uut.offset.next = a.to_bits();
        uut.in_valid.next = true;
        assert!(simulate(uut, 200), "logic did not settle");
        for _ in 0..NEURON_LATENCY {
            uut.clock.next = true.into();
            assert!(simulate(uut, 200), "logic did not settle");
            uut.clock.next = false.into();
            assert!(simulate(uut, 200), "logic did not settle");
        }
        assert!(uut.out_valid.val(), "out_valid after {NEURON_LATENCY} clocks");
        let r = |b: Bits<16>| b.to_u16() as i16;
        (
            NeuronState {
                u: r(uut.u_next.val()),
                // A held v is not written back: the memory keeps it.
                v: if uut.v_held.val() { s.v } else { r(uut.v_next.val()) },
                theta: r(uut.theta_next.val()),
                refractory: uut.refractory_next.val().to_u8(),
            },
            uut.spike.val(),
        )
    }

    fn state_value() -> impl Strategy<Value = i16> {
        prop_oneof![
            Just(STATE_MIN),
            Just(STATE_MAX),
            Just(0i16),
            -2000i16..=2000,
            STATE_MIN..=STATE_MAX
        ]
    }

    fn decay_factor() -> impl Strategy<Value = u16> {
        prop_oneof![Just(0u16), Just(4096), 0u16..=4096]
    }

    prop_compose! {
        fn case()(
            du in decay_factor(), dv in decay_factor(), theta_decay in decay_factor(),
            bias in state_value(), v_reset in state_value(),
            theta_base in prop_oneof![Just(0i16), Just(STATE_MAX), 0i16..=STATE_MAX],
            theta_inc in prop_oneof![Just(0i16), Just(STATE_MAX), 0i16..=2000],
            t_ref in any::<u8>(),
            u in state_value(), v in state_value(),
            excess in prop_oneof![Just(0i16), 0i16..=STATE_MAX],
            refractory in prop_oneof![Just(0u8), any::<u8>()],
            input in state_value(),
            a in prop_oneof![Just(0u16), Just(4095), 0u16..4096],
            u_shift in prop_oneof![Just(0u8), Just(U_SHIFT_MAX), 0..=U_SHIFT_MAX],
        ) -> (NeuronParams, NeuronState, i16, u16) {
            let p = NeuronParams { du, dv, bias, v_reset, theta_base, theta_inc, theta_decay, refractory: t_ref, u_shift };
            let theta = theta_base + excess.min(STATE_MAX - theta_base);
            (p, NeuronState { u, v, theta, refractory }, input, a)
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 5000, ..ProptestConfig::default() })]
        #[test]
        fn matches_the_model((p, s, input, a) in case()) {
            let mut uut = NeuronUpdate::default();
            uut.connect_all();
            let (got, spiked) = run(&mut uut, &p, &s, input, a);
            let mut want = s;
            // The offsets of a neuron whose `a` is `a`: neuron 0 at phase `a`.
            let fired = p.step(&mut want, input, Offsets::of(a, 0, OFFSET_MASK));
            prop_assert_eq!((got, spiked), (want, fired), "params {:?} state {:?} input {} a {}", p, s, input, a);
        }
    }

    /// Every saturation point at and one past its limit: u, v (both signs)
    /// and the raised threshold.
    #[test]
    fn saturation_boundaries() {
        let mut uut = NeuronUpdate::default();
        uut.connect_all();
        let clear = NeuronParams {
            du: 4096,
            dv: 4096,
            bias: 0,
            v_reset: 0,
            theta_base: STATE_MAX,
            theta_inc: 0,
            theta_decay: 0,
            refractory: 0,
            u_shift: 0,
        };
        let check = |uut: &mut NeuronUpdate, p: NeuronParams, s: NeuronState, input: i16| {
            let mut want = s;
            let fired = p.step(&mut want, input, Offsets::ZERO);
            assert_eq!(run(uut, &p, &s, input, 0), (want, fired), "{p:?} {s:?} input {input}");
        };
        for (u0, input) in [
            (32000, 767),
            (32000, 768),
            (32000, 769),
            (-32000, -767),
            (-32000, -768),
            (-32767, -32767),
        ] {
            let p = NeuronParams { du: 0, ..clear };
            check(
                &mut uut,
                p,
                NeuronState {
                    u: u0,
                    v: 0,
                    theta: STATE_MAX,
                    refractory: 0,
                },
                input,
            );
        }
        for (input, bias) in [
            (32000, 767),
            (32000, 768),
            (-32000, -767),
            (-32000, -768),
            (STATE_MAX, STATE_MAX),
        ] {
            let p = NeuronParams { bias, ..clear };
            check(
                &mut uut,
                p,
                NeuronState {
                    u: 0,
                    v: 0,
                    theta: STATE_MAX,
                    refractory: 0,
                },
                input,
            );
        }
        for (base, inc) in [
            (32000, 766),
            (32000, 767),
            (32000, 768),
            (32000, 769),
            (STATE_MAX, STATE_MAX),
        ] {
            let p = NeuronParams {
                theta_base: base,
                theta_inc: inc,
                bias: STATE_MAX,
                ..clear
            };
            check(
                &mut uut,
                p,
                NeuronState {
                    u: 0,
                    v: 0,
                    theta: base,
                    refractory: 0,
                },
                0,
            );
        }
    }

    #[test]
    fn synthesizes() {
        let mut uut = NeuronUpdate::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_neuron_update", &generate_verilog(&uut)).unwrap();
    }
}
