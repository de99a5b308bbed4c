//! `TraceUpdate`: one trace's end-of-tick update (`docs/spec.md` §5.1),
//! mirroring [`spikefab_sim::fixed::trace_decay`] and `trace_bump`:
//! `min(4095, decay(x, d, r) + (spiked ? bump : 0))`.
//!
//! The arithmetic is not here: it is the neurons' [`crate::decay::Decay`],
//! borrowed from the idle neuron pipeline (`NeuronUpdate::lend`), whose
//! registered result comes in as `sum`: in the core's decay pass
//! `decay(x, d, r)`, in its bump pass `decay(x, 0, r) + bump` (a decay by 0
//! keeps the trace: `x + bump`). This block clamps it to the trace's 12 bits.

use rust_hdl::prelude::*;

/// Combinational clamp of a trace's new value.
#[derive(LogicBlock, Default)]
pub struct TraceUpdate {
    /// The lent multiply-add's result: a decayed trace, or a trace plus its
    /// bump (0..=4350).
    pub sum: Signal<In, Bits<16>>,
    /// The trace after the pass: `min(4095, sum)`.
    pub x_next: Signal<Out, Bits<12>>,
}

impl Logic for TraceUpdate {
    #[hdl_gen]
    fn update(&mut self) {
        self.x_next.next = self.sum.val().get_bits::<12>(0);
        if self.sum.val().get_bits::<4>(12).any() {
            self.x_next.next = 4095.into();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikefab_sim::fixed::{decay, trace_bump, trace_decay, TRACE_MAX};

    /// With the neurons' multiply-add in front (as the core wires it: the
    /// decay pass's `decay(x, d, r)`, the bump pass's `decay(x, 0, r) +
    /// bump`), the block is the model's trace decay and bump.
    #[test]
    fn matches_the_model_on_every_trace() {
        let mut uut = TraceUpdate::default();
        uut.connect_all();
        let mut clamp = |sum: i32| {
            uut.sum.next = (sum as u16).to_bits();
            assert!(simulate(&mut uut, 20));
            uut.x_next.val().to_u16()
        };
        for (k, d) in [0u16, 1, 26, 248, 1024, 2048, 4095, 4096].into_iter().enumerate() {
            for x in (0..=TRACE_MAX).step_by(7).chain([1, 2, 254, 255, 256, 4094, TRACE_MAX]) {
                let spread = (x.wrapping_mul(1697) + k as u16) & 4095;
                for r in [0u16, 4095, spread] {
                    let decayed = clamp(decay(x as i16, d, r) as i32);
                    assert_eq!(decayed, trace_decay(x, d, r), "decay: x {x} d {d} r {r}");
                    for bump in [0u8, 1, 64, 200, 255] {
                        let bumped = clamp(decay(decayed as i16, 0, r) as i32 + bump as i32);
                        assert_eq!(bumped, trace_bump(decayed, bump), "bump: x {decayed} bump {bump} r {r}");
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
