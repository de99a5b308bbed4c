//! `Lfsr`: the learning unit's 16-bit Galois LFSR (`docs/spec.md` §5.2),
//! mirroring [`spikefab_sim::lfsr::Lfsr16`].

use rust_hdl::prelude::*;

/// The LFSR register: `load` sets it to `seed`; otherwise `step` advances it
/// one state per clock. `state` is the register's value.
#[derive(LogicBlock)]
pub struct Lfsr {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Load `seed` on this clock edge (wins over `step`).
    pub load: Signal<In, Bit>,
    /// The seed to load (non-zero).
    pub seed: Signal<In, Bits<16>>,
    /// Advance one step on this clock edge.
    pub step: Signal<In, Bit>,
    /// Current state.
    pub state: Signal<Out, Bits<16>>,
    /// The state after one more step (what the next update will use).
    pub next_state: Signal<Out, Bits<16>>,
    register: DFF<Bits<16>>,
    shifted: Signal<Local, Bits<16>>,
    taps: Constant<Bits<16>>,
}

impl Default for Lfsr {
    fn default() -> Self {
        Lfsr {
            clock: Default::default(),
            load: Default::default(),
            seed: Default::default(),
            step: Default::default(),
            state: Default::default(),
            next_state: Default::default(),
            register: Default::default(),
            shifted: Default::default(),
            taps: Constant::new(spikefab_sim::lfsr::LFSR_TAPS.to_bits()),
        }
    }
}

impl Logic for Lfsr {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, register);
        // Outputs are assigned once, from a local: an output assigned a
        // default and then overridden toggles transiently whenever this
        // block re-evaluates, which wakes the readers of the emitted Verilog.
        self.shifted.next = self.register.q.val() >> 1;
        if self.register.q.val().get_bit(0) {
            self.shifted.next = (self.register.q.val() >> 1) ^ self.taps.val();
        }
        self.next_state.next = self.shifted.val();
        self.state.next = self.register.q.val();
        if self.load.val() {
            self.register.d.next = self.seed.val();
        } else if self.step.val() {
            self.register.d.next = self.shifted.val();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikefab_sim::lfsr::Lfsr16;

    fn clock(uut: &mut Lfsr) {
        uut.clock.next = true.into();
        assert!(simulate(uut, 20));
        uut.clock.next = false.into();
        assert!(simulate(uut, 20));
    }

    #[test]
    fn follows_the_model_through_a_full_period() {
        let mut uut = Lfsr::default();
        uut.connect_all();
        uut.seed.next = 0xACE1u16.to_bits();
        uut.load.next = true;
        uut.step.next = false;
        clock(&mut uut);
        uut.load.next = false;
        let mut model = Lfsr16::new(0xACE1).unwrap();
        for i in 0..65535u32 {
            // Stall on some cycles: the register must hold.
            let step = i % 7 != 3;
            uut.step.next = step;
            assert!(simulate(&mut uut, 20));
            let mut peek = model;
            assert_eq!(uut.next_state.val().to_u16(), peek.next_state(), "cycle {i}");
            clock(&mut uut);
            if step {
                model.next_state();
            }
            assert_eq!(uut.state.val().to_u16(), model.state(), "cycle {i}");
        }
    }

    #[test]
    fn synthesizes() {
        let mut uut = Lfsr::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_lfsr", &generate_verilog(&uut)).unwrap();
    }
}
