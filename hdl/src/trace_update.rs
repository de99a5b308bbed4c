//! `TraceUpdate`: one trace's end-of-tick update (`docs/spec.md` §5.1),
//! mirroring [`spikefab_sim::fixed::trace_decay`] and `trace_bump`:
//! `min(255, decay(x, d, r) + (spiked ? bump : 0))`.
//!
//! The decay itself is not here: it is the neurons' [`crate::decay::Decay`],
//! borrowed from the idle neuron pipeline (`NeuronUpdate::lend`), whose
//! result comes in as `decayed`. This block picks the decayed or the kept
//! trace and adds the bump, saturating at 255.

use rust_hdl::prelude::*;

/// Combinational trace update.
#[derive(LogicBlock, Default)]
pub struct TraceUpdate {
    /// The trace.
    pub x: Signal<In, Bits<8>>,
    /// `decay(x, d, r)` (the lent multiplier's result; a trace's decay is at
    /// most the trace, so its low 8 bits).
    pub decayed: Signal<In, Bits<16>>,
    /// Decay the trace (the core's decay pass); low in the bump pass, which
    /// only adds the bump to the already decayed trace.
    pub decay: Signal<In, Bit>,
    /// Added when the source or neuron spiked this tick.
    pub bump: Signal<In, Bits<8>>,
    /// It spiked this tick.
    pub spiked: Signal<In, Bit>,
    /// The trace after the tick.
    pub x_next: Signal<Out, Bits<8>>,
    kept: Signal<Local, Bits<9>>,
    bumped: Signal<Local, Bits<9>>,
}

impl Logic for TraceUpdate {
    #[hdl_gen]
    fn update(&mut self) {
        self.kept.next = bit_cast::<9, 8>(self.x.val());
        if self.decay.val() {
            self.kept.next = bit_cast::<9, 8>(self.decayed.val().get_bits::<8>(0));
        }
        self.bumped.next = self.kept.val();
        if self.spiked.val() {
            self.bumped.next = self.kept.val() + bit_cast::<9, 8>(self.bump.val());
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
    use spikefab_sim::fixed::{decay, trace_bump, trace_decay};

    /// With the neurons' decay in front (as the core wires it), the block is
    /// the model's trace update.
    #[test]
    fn matches_the_model_on_every_trace() {
        let mut uut = TraceUpdate::default();
        uut.connect_all();
        for (k, d) in [0u16, 1, 26, 248, 1024, 2048, 4095, 4096].into_iter().enumerate() {
            for x in 0u8..=255 {
                let spread = ((x as u16).wrapping_mul(1697) + k as u16) & 4095;
                for r in [0u16, 4095, spread] {
                    for (bump, spiked) in [(0u8, false), (200, false), (1, true), (255, true)] {
                        for on in [true, false] {
                            uut.x.next = x.to_bits();
                            uut.decayed.next = (decay(x as i16, d, r) as u16).to_bits();
                            uut.decay.next = on;
                            uut.bump.next = bump.to_bits();
                            uut.spiked.next = spiked;
                            assert!(simulate(&mut uut, 20));
                            let decayed = if on { trace_decay(x, d, r) } else { x };
                            let want = if spiked { trace_bump(decayed, bump) } else { decayed };
                            assert_eq!(
                                uut.x_next.val().to_u8(),
                                want,
                                "x {x} d {d} r {r} decay {on} bump {bump} spiked {spiked}"
                            );
                        }
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
