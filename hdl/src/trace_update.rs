//! `TraceUpdate`: one trace's end-of-tick update (`docs/spec.md` §5.1),
//! mirroring [`spikefab_sim::fixed::trace_decay`] and `trace_bump`:
//! `min(255, x - ceil(x / 2^k) + (spiked ? bump : 0))`.

use rust_hdl::prelude::*;

/// Combinational trace update.
#[derive(LogicBlock, Default)]
pub struct TraceUpdate {
    /// The trace.
    pub x: Signal<In, Bits<8>>,
    /// Decay shift k, 0..=7.
    pub shift: Signal<In, Bits<3>>,
    /// Decay the trace (the core's decay pass); low in the bump pass, which
    /// only adds the bump to the already decayed trace.
    pub decay: Signal<In, Bit>,
    /// Added when the source or neuron spiked this tick.
    pub bump: Signal<In, Bits<8>>,
    /// It spiked this tick.
    pub spiked: Signal<In, Bit>,
    /// The trace after the tick.
    pub x_next: Signal<Out, Bits<8>>,
    rounding: Signal<Local, Bits<9>>,
    decrement: Signal<Local, Bits<9>>,
    decayed: Signal<Local, Bits<9>>,
    bumped: Signal<Local, Bits<9>>,
}

impl Logic for TraceUpdate {
    #[hdl_gen]
    fn update(&mut self) {
        // ceil(x / 2^k) = (x + 2^k - 1) >> k, in 9 bits.
        self.rounding.next = (bit_cast::<9, 1>(1.into()) << self.shift.val()) - 1;
        self.decrement.next = (bit_cast::<9, 8>(self.x.val()) + self.rounding.val()) >> self.shift.val();
        self.decayed.next = bit_cast::<9, 8>(self.x.val());
        if self.decay.val() {
            self.decayed.next = bit_cast::<9, 8>(self.x.val()) - self.decrement.val();
        }
        self.bumped.next = self.decayed.val();
        if self.spiked.val() {
            self.bumped.next = self.decayed.val() + bit_cast::<9, 8>(self.bump.val());
        }
        self.x_next.next = self.bumped.val().get_bits::<8>(0);
        if self.bumped.val().get_bit(8) {
            self.x_next.next = 255.into();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikefab_sim::fixed::{trace_bump, trace_decay};

    #[test]
    fn matches_the_model_on_every_trace_and_shift() {
        let mut uut = TraceUpdate::default();
        uut.connect_all();
        for k in 0u8..=7 {
            for x in 0u8..=255 {
                for (bump, spiked) in [(0u8, false), (200, false), (1, true), (64, true), (255, true)] {
                    for decay in [true, false] {
                        uut.x.next = x.to_bits();
                        uut.shift.next = k.to_bits();
                        uut.decay.next = decay;
                        uut.bump.next = bump.to_bits();
                        uut.spiked.next = spiked;
                        assert!(simulate(&mut uut, 20));
                        let decayed = if decay { trace_decay(x, k) } else { x };
                        let want = if spiked { trace_bump(decayed, bump) } else { decayed };
                        assert_eq!(
                            uut.x_next.val().to_u8(),
                            want,
                            "x {x} k {k} decay {decay} bump {bump} spiked {spiked}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn synthesizes() {
        let mut uut = TraceUpdate::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_trace_update", &generate_verilog(&uut)).unwrap();
    }
}
