//! `Dither`: the decays' rounding offsets (`docs/spec.md` §3.1), mirroring
//! [`spikefab_sim::dither`]. It holds the dither state (the `DITHER` control
//! register: the host loads it, and it takes 16 steps of the LFSR, one XOR
//! network of [`spikefab_sim::dither::advance_masks`], in the clock after each
//! tick's neuron phase ends) and hands the neuron pipeline the offset `a` of
//! the neuron it takes in each clock: the state's low 12 bits for the first,
//! then `NEURON_STEP` more per neuron, all modulo 4096. With dithering off the
//! offsets are 0 and the state stands still. `NeuronUpdate` forms the rotated
//! offsets of v and θ by wiring. `phase` gives `Traces` the state the
//! trace phase's offsets start from.

use rust_hdl::prelude::*;
use spikefab_sim::dither::{advance_masks, NEURON_STEP};

/// The dither state and the neuron phase's offsets.
#[derive(LogicBlock)]
pub struct Dither {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Dithering on (`ROUNDING` bit 0).
    pub on: Signal<In, Bit>,
    /// Load the state from `data` (a host write to `DITHER`).
    pub load: Signal<In, Bit>,
    /// The word written.
    pub data: Signal<In, Bits<16>>,
    /// The neuron pipeline takes a neuron this clock (`NeuronUpdate::in_valid`).
    pub issue: Signal<In, Bit>,
    /// The offset `a` of the neuron taken this clock (0 with dithering off).
    pub offset: Signal<Out, Bits<12>>,
    /// The state, for READ.
    pub state: Signal<Out, Bits<16>>,
    /// The state's low 12 bits, 0 with dithering off: the trace phase's
    /// offsets start from it (`Traces`).
    pub phase: Signal<Out, Bits<12>>,
    r_state: DFF<Bits<16>>,
    r_offset: DFF<Bits<12>>,
    was_issuing: DFF<Bit>,
    advanced: Signal<Local, Bits<16>>,
    neuron_step: Constant<Bits<12>>,
    m0: Constant<Bits<16>>,
    m1: Constant<Bits<16>>,
    m2: Constant<Bits<16>>,
    m3: Constant<Bits<16>>,
    m4: Constant<Bits<16>>,
    m5: Constant<Bits<16>>,
    m6: Constant<Bits<16>>,
    m7: Constant<Bits<16>>,
    m8: Constant<Bits<16>>,
    m9: Constant<Bits<16>>,
    m10: Constant<Bits<16>>,
    m11: Constant<Bits<16>>,
    m12: Constant<Bits<16>>,
    m13: Constant<Bits<16>>,
    m14: Constant<Bits<16>>,
    m15: Constant<Bits<16>>,
}

impl Default for Dither {
    fn default() -> Self {
        let m = advance_masks().map(|x| Constant::new(x.to_bits()));
        let [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15] = m;
        Dither {
            clock: Default::default(),
            on: Default::default(),
            load: Default::default(),
            data: Default::default(),
            issue: Default::default(),
            offset: Default::default(),
            state: Default::default(),
            phase: Default::default(),
            r_state: Default::default(),
            r_offset: Default::default(),
            was_issuing: Default::default(),
            advanced: Default::default(),
            neuron_step: Constant::new(NEURON_STEP.to_bits()),
            m0,
            m1,
            m2,
            m3,
            m4,
            m5,
            m6,
            m7,
            m8,
            m9,
            m10,
            m11,
            m12,
            m13,
            m14,
            m15,
        }
    }
}

impl Logic for Dither {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, r_state, r_offset, was_issuing);
        // 16 LFSR steps: bit i of the new state is the parity of the old
        // state's bits in mask i.
        self.advanced.next = bit_cast::<16, 1>((self.r_state.q.val() & self.m0.val()).xor().into())
            | (bit_cast::<16, 1>((self.r_state.q.val() & self.m1.val()).xor().into()) << 1)
            | (bit_cast::<16, 1>((self.r_state.q.val() & self.m2.val()).xor().into()) << 2)
            | (bit_cast::<16, 1>((self.r_state.q.val() & self.m3.val()).xor().into()) << 3)
            | (bit_cast::<16, 1>((self.r_state.q.val() & self.m4.val()).xor().into()) << 4)
            | (bit_cast::<16, 1>((self.r_state.q.val() & self.m5.val()).xor().into()) << 5)
            | (bit_cast::<16, 1>((self.r_state.q.val() & self.m6.val()).xor().into()) << 6)
            | (bit_cast::<16, 1>((self.r_state.q.val() & self.m7.val()).xor().into()) << 7)
            | (bit_cast::<16, 1>((self.r_state.q.val() & self.m8.val()).xor().into()) << 8)
            | (bit_cast::<16, 1>((self.r_state.q.val() & self.m9.val()).xor().into()) << 9)
            | (bit_cast::<16, 1>((self.r_state.q.val() & self.m10.val()).xor().into()) << 10)
            | (bit_cast::<16, 1>((self.r_state.q.val() & self.m11.val()).xor().into()) << 11)
            | (bit_cast::<16, 1>((self.r_state.q.val() & self.m12.val()).xor().into()) << 12)
            | (bit_cast::<16, 1>((self.r_state.q.val() & self.m13.val()).xor().into()) << 13)
            | (bit_cast::<16, 1>((self.r_state.q.val() & self.m14.val()).xor().into()) << 14)
            | (bit_cast::<16, 1>((self.r_state.q.val() & self.m15.val()).xor().into()) << 15);
        self.was_issuing.d.next = self.issue.val();
        if self.load.val() {
            self.r_state.d.next = self.data.val();
        } else if self.on.val() & self.was_issuing.q.val() & !self.issue.val() {
            self.r_state.d.next = self.advanced.val();
        }
        // Between neuron phases the next offset is the state's low 12 bits;
        // each neuron taken moves it on by one step.
        self.r_offset.d.next = 0.into();
        if self.on.val() {
            if self.issue.val() {
                self.r_offset.d.next = self.r_offset.q.val() + self.neuron_step.val();
            } else {
                self.r_offset.d.next = self.r_state.q.val().get_bits::<12>(0);
            }
        }
        self.offset.next = self.r_offset.q.val();
        self.state.next = self.r_state.q.val();
        self.phase.next = 0.into();
        if self.on.val() {
            self.phase.next = self.r_state.q.val().get_bits::<12>(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikefab_sim::dither::{advance, Rounding, TickDither, STATE_SEED};

    fn clock(uut: &mut Dither) {
        uut.clock.next = true.into();
        assert!(simulate(uut, 100));
        uut.clock.next = false.into();
        assert!(simulate(uut, 100));
    }

    /// Ticks of `n` neurons, with gaps between them as the core has: the
    /// offsets are the model's for every neuron of every tick.
    #[test]
    fn offsets_follow_the_model_tick_after_tick() {
        for (on, start) in [(true, STATE_SEED), (true, 0xFFFF), (false, 77)] {
            let rounding = if on { Rounding::Dither } else { Rounding::TowardZero };
            let mut uut = Dither::default();
            uut.connect_all();
            uut.on.next = on;
            uut.load.next = true;
            uut.data.next = start.to_bits();
            assert!(simulate(&mut uut, 100));
            clock(&mut uut);
            uut.load.next = false;
            let n = 37u32;
            let mut state = start;
            for t in 0..20u32 {
                for _ in 0..3 + t % 4 {
                    clock(&mut uut);
                }
                assert_eq!(uut.state.val().to_u16(), state, "tick {t}");
                let dither = TickDither::new(rounding, state);
                for k in 0..n {
                    uut.issue.next = true;
                    assert!(simulate(&mut uut, 100));
                    assert_eq!(uut.offset.val().to_u16(), dither.offsets(k).u, "tick {t} neuron {k}");
                    clock(&mut uut);
                }
                uut.issue.next = false;
                assert!(simulate(&mut uut, 100));
                if on {
                    state = advance(state);
                }
            }
        }
    }

    #[test]
    fn synthesizes() {
        let mut uut = Dither::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_dither", &generate_verilog(&uut)).unwrap();
    }
}
