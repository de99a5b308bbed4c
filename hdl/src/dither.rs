//! `Dither`: the decays' rounding offsets (`docs/spec.md` §3.1), mirroring
//! [`spikefab_sim::dither`]. It holds the dither phase (the `DITHER` control
//! register: the host loads it, and it advances by
//! [`spikefab_sim::dither::TICK_STEP`] in the clock after each tick's neuron
//! phase ends) and hands the neuron pipeline the offset `a` of the neuron it
//! takes in each clock: the phase for the first, then `NEURON_STEP` more per
//! neuron, all modulo 4096. With dithering off the offsets are 0 and the phase
//! stands still. Two 12-bit adders and 25 flip-flops; `NeuronUpdate` forms the
//! rotated offsets of v and θ by wiring.

use rust_hdl::prelude::*;
use spikefab_sim::dither::{NEURON_STEP, TICK_STEP};

/// The dither phase and the neuron phase's offsets.
#[derive(LogicBlock)]
pub struct Dither {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Dithering on (`ROUNDING` bit 0).
    pub on: Signal<In, Bit>,
    /// Load the phase from `data` (a host write to `DITHER`).
    pub load: Signal<In, Bit>,
    /// The word written.
    pub data: Signal<In, Bits<16>>,
    /// The neuron pipeline takes a neuron this clock (`NeuronUpdate::in_valid`).
    pub issue: Signal<In, Bit>,
    /// The offset `a` of the neuron taken this clock (0 with dithering off).
    pub offset: Signal<Out, Bits<12>>,
    /// The phase, for READ.
    pub phase: Signal<Out, Bits<12>>,
    r_phase: DFF<Bits<12>>,
    r_offset: DFF<Bits<12>>,
    was_issuing: DFF<Bit>,
    tick_step: Constant<Bits<12>>,
    neuron_step: Constant<Bits<12>>,
}

impl Default for Dither {
    fn default() -> Self {
        Dither {
            clock: Default::default(),
            on: Default::default(),
            load: Default::default(),
            data: Default::default(),
            issue: Default::default(),
            offset: Default::default(),
            phase: Default::default(),
            r_phase: Default::default(),
            r_offset: Default::default(),
            was_issuing: Default::default(),
            tick_step: Constant::new(TICK_STEP.to_bits()),
            neuron_step: Constant::new(NEURON_STEP.to_bits()),
        }
    }
}

impl Logic for Dither {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, r_phase, r_offset, was_issuing);
        self.was_issuing.d.next = self.issue.val();
        if self.load.val() {
            self.r_phase.d.next = bit_cast::<12, 16>(self.data.val());
        } else if self.on.val() & self.was_issuing.q.val() & !self.issue.val() {
            self.r_phase.d.next = self.r_phase.q.val() + self.tick_step.val();
        }
        // Between neuron phases the next offset is the phase's; each neuron
        // taken moves it on by one step.
        self.r_offset.d.next = 0.into();
        if self.on.val() {
            if self.issue.val() {
                self.r_offset.d.next = self.r_offset.q.val() + self.neuron_step.val();
            } else {
                self.r_offset.d.next = self.r_phase.q.val();
            }
        }
        self.offset.next = self.r_offset.q.val();
        self.phase.next = self.r_phase.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikefab_sim::dither::{Rounding, TickDither};

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
        for (on, start) in [(true, 0u16), (true, 4000), (false, 77)] {
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
            for t in 0..20u32 {
                for _ in 0..3 + t % 4 {
                    clock(&mut uut);
                }
                // The phase a run resumed at `start` would have at tick t.
                let phase = (start as u32 + rounding.phase(t) as u32) % 4096;
                assert_eq!(uut.phase.val().to_u16() as u32, if on { phase } else { start as u32 });
                let dither = TickDither {
                    phase: phase as u16,
                    mask: rounding.mask(),
                };
                for k in 0..n {
                    uut.issue.next = true;
                    assert!(simulate(&mut uut, 100));
                    assert_eq!(uut.offset.val().to_u16(), dither.offsets(k).u, "tick {t} neuron {k}");
                    clock(&mut uut);
                }
                uut.issue.next = false;
                assert!(simulate(&mut uut, 100));
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
