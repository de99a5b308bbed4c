//! `NeuronUpdate`: one neuron's work in the neuron phase (`docs/spec.md`
//! §3.3), mirroring [`spikefab_sim::NeuronParams::step`].
//!
//! Combinational: the core's controller decides where pipeline registers go
//! (after the three multipliers is the natural cut). Values are 16-bit two's
//! complement held in unsigned `Bits` (see `decay.rs` for why); the u and v
//! sums are [`Saturate`]'s (exact in 18 bits, then clamped to ±32767). The
//! threshold is never negative, so `v ≥ θ` is "v non-negative and v ≥ θ
//! unsigned": no signed compare anywhere.

use rust_hdl::prelude::*;

use crate::decay::Decay;
use crate::saturate::Saturate;

/// Combinational CUBA LIF update with adaptive threshold.
#[derive(LogicBlock)]
pub struct NeuronUpdate {
    /// Profile: current decay `du`, 0..=4096.
    pub du: Signal<In, Bits<16>>,
    /// Profile: membrane decay `dv`, 0..=4096.
    pub dv: Signal<In, Bits<16>>,
    /// Profile: bias (two's complement).
    pub bias: Signal<In, Bits<16>>,
    /// Profile: membrane after a spike (two's complement).
    pub v_reset: Signal<In, Bits<16>>,
    /// Profile: resting threshold θ_base, 0..=32767.
    pub theta_base: Signal<In, Bits<16>>,
    /// Profile: threshold increase per spike, 0..=32767.
    pub theta_inc: Signal<In, Bits<16>>,
    /// Profile: decay of the threshold excess, 0..=4096.
    pub theta_decay: Signal<In, Bits<16>>,
    /// Profile: refractory period.
    pub t_ref: Signal<In, Bits<8>>,
    /// State before: u.
    pub u: Signal<In, Bits<16>>,
    /// State before: v.
    pub v: Signal<In, Bits<16>>,
    /// State before: θ.
    pub theta: Signal<In, Bits<16>>,
    /// State before: refractory counter.
    pub refractory: Signal<In, Bits<8>>,
    /// This tick's delay-ring accumulator (two's complement).
    pub ring_in: Signal<In, Bits<16>>,
    /// State after: u.
    pub u_next: Signal<Out, Bits<16>>,
    /// State after: v.
    pub v_next: Signal<Out, Bits<16>>,
    /// State after: θ.
    pub theta_next: Signal<Out, Bits<16>>,
    /// State after: refractory counter.
    pub refractory_next: Signal<Out, Bits<8>>,
    /// The neuron fired.
    pub spike: Signal<Out, Bit>,
    decay_u: Decay,
    decay_v: Decay,
    decay_theta: Decay,
    sat_u: Saturate,
    sat_v: Saturate,
    u_new: Signal<Local, Bits<16>>,
    theta_decayed: Signal<Local, Bits<16>>,
    v_new: Signal<Local, Bits<16>>,
    theta_raised: Signal<Local, Bits<17>>,
    fires: Signal<Local, Bit>,
    // Largest threshold, as a 17-bit value.
    max17: Constant<Bits<17>>,
}

impl Default for NeuronUpdate {
    fn default() -> Self {
        let max = spikefab_sim::fixed::STATE_MAX as u64;
        NeuronUpdate {
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
            u_next: Default::default(),
            v_next: Default::default(),
            theta_next: Default::default(),
            refractory_next: Default::default(),
            spike: Default::default(),
            decay_u: Default::default(),
            decay_v: Default::default(),
            decay_theta: Default::default(),
            sat_u: Default::default(),
            sat_v: Default::default(),
            u_new: Default::default(),
            theta_decayed: Default::default(),
            v_new: Default::default(),
            theta_raised: Default::default(),
            fires: Default::default(),
            max17: Constant::new(max.to_bits()),
        }
    }
}

impl Logic for NeuronUpdate {
    #[hdl_gen]
    fn update(&mut self) {
        // u <- sat16(decay(u, du) + I)
        self.decay_u.x.next = self.u.val();
        self.decay_u.d.next = self.du.val();
        self.sat_u.a.next = self.decay_u.y.val();
        self.sat_u.b.next = self.ring_in.val();
        self.sat_u.c.next = 0.into();
        self.u_new.next = self.sat_u.value.val();

        // θ <- θ_base + decay(θ - θ_base, dθ); the excess is never negative.
        self.decay_theta.x.next = self.theta.val() - self.theta_base.val();
        self.decay_theta.d.next = self.theta_decay.val();
        self.theta_decayed.next = self.theta_base.val() + self.decay_theta.y.val();

        // v' <- sat16(decay(v, dv) + u + bias), with the new u.
        self.decay_v.x.next = self.v.val();
        self.decay_v.d.next = self.dv.val();
        self.sat_v.a.next = self.decay_v.y.val();
        self.sat_v.b.next = self.u_new.val();
        self.sat_v.c.next = self.bias.val();
        self.v_new.next = self.sat_v.value.val();

        // Fire when not refractory and v' >= θ (θ >= 0: unsigned compare of a non-negative v').
        self.fires.next = !self.refractory.val().any()
            & !self.v_new.val().get_bit(15)
            & (self.v_new.val() >= self.theta_decayed.val());
        self.theta_raised.next =
            bit_cast::<17, 16>(self.theta_decayed.val()) + bit_cast::<17, 16>(self.theta_inc.val());
        if self.theta_raised.val() > self.max17.val() {
            self.theta_raised.next = self.max17.val();
        }

        self.u_next.next = self.u_new.val();
        self.theta_next.next = self.theta_decayed.val();
        self.v_next.next = self.v.val();
        self.refractory_next.next = self.refractory.val();
        self.spike.next = false;
        if self.refractory.val().any() {
            self.refractory_next.next = self.refractory.val() - 1;
        } else if self.fires.val() {
            self.v_next.next = self.v_reset.val();
            self.refractory_next.next = self.t_ref.val();
            self.theta_next.next = self.theta_raised.val().get_bits::<16>(0);
            self.spike.next = true;
        } else {
            self.v_next.next = self.v_new.val();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use spikefab_sim::fixed::{STATE_MAX, STATE_MIN};
    use spikefab_sim::{NeuronParams, NeuronState};

    /// Drive the block with one neuron's profile, state and input; read back.
    fn run(uut: &mut NeuronUpdate, p: &NeuronParams, s: &NeuronState, input: i16) -> (NeuronState, bool) {
        let w = |x: i16| (x as u16).to_bits::<16>();
        uut.du.next = p.du.to_bits();
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
        assert!(simulate(uut, 100), "combinational logic did not settle");
        let r = |b: Bits<16>| b.to_u16() as i16;
        (
            NeuronState {
                u: r(uut.u_next.val()),
                v: r(uut.v_next.val()),
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
        ) -> (NeuronParams, NeuronState, i16) {
            let p = NeuronParams { du, dv, bias, v_reset, theta_base, theta_inc, theta_decay, refractory: t_ref };
            let theta = theta_base + excess.min(STATE_MAX - theta_base);
            (p, NeuronState { u, v, theta, refractory }, input)
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 5000, ..ProptestConfig::default() })]
        #[test]
        fn matches_the_model((p, s, input) in case()) {
            let mut uut = NeuronUpdate::default();
            uut.connect_all();
            let (got, spiked) = run(&mut uut, &p, &s, input);
            let mut want = s;
            let fired = p.step(&mut want, input);
            prop_assert_eq!((got, spiked), (want, fired), "params {:?} state {:?} input {}", p, s, input);
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
        };
        let check = |uut: &mut NeuronUpdate, p: NeuronParams, s: NeuronState, input: i16| {
            let mut want = s;
            let fired = p.step(&mut want, input);
            assert_eq!(run(uut, &p, &s, input), (want, fired), "{p:?} {s:?} input {input}");
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
        yosys_validate("spikefab_neuron_update", &generate_verilog(&uut)).unwrap();
    }
}
