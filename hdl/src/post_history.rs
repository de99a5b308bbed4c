//! `PostHistory`: a neuron's spikes of the last 12 ticks and whether its
//! spike meets its plastic synapses now (`docs/spec.md` §5.3, the post
//! delay `P`). The history's bit `i` is set when the neuron fired `i + 1`
//! ticks before the current tick; it lives in the neuron's own words, in
//! the bits its state leaves free (`spikefab_proto::message::field`): bits
//! 0-7 in the `REF` word's high byte, bits 8-11 in the `X_POST` word's top
//! nibble. The twin in `spikefab-sim` is the engine's `fired_history` (and
//! [`spikefab_sim::StateDump::post_history`]).
//!
//! Combinational. In the neuron phase's write-back (`shift`, learning on)
//! the history moves up a tick and takes the neuron's spike as bit 0, and
//! `arrives` is bit `P` of the new history: the neuron fired `P` ticks ago
//! (with `P = 0`: now). In the trace phase (`shift` low) the words are the
//! stored ones, already shifted this tick, and `arrives` is the same bit.

use rust_hdl::prelude::*;
use spikefab_proto::message::field;

// The literal positions of `update` are the protocol's.
const _: () =
    assert!(field::REF_HISTORY_SHIFT == 8 && field::X_POST_HISTORY_SHIFT == 12 && field::X_POST_TRACE_MASK == 0x0FFF);

/// A neuron's post-spike history. See the module documentation.
#[derive(LogicBlock, Default)]
pub struct PostHistory {
    /// The neuron's `REF` word (refractory counter and history bits 0-7).
    pub ref_word: Signal<In, Bits<16>>,
    /// The neuron's `X_POST` word (trace and history bits 8-11).
    pub x_post_word: Signal<In, Bits<16>>,
    /// Move the history up a tick, taking `spike` as bit 0.
    pub shift: Signal<In, Bit>,
    /// The neuron fired this tick.
    pub spike: Signal<In, Bit>,
    /// The post delay `P` (0..=11).
    pub post_delay: Signal<In, Bits<4>>,
    /// The new history's bits 0-7, for the `REF` word's high byte.
    pub ref_high: Signal<Out, Bits<8>>,
    /// The `X_POST` word with the new history's bits 8-11.
    pub x_post_next: Signal<Out, Bits<16>>,
    /// The neuron fired `P` ticks ago: its spike meets its synapses now.
    pub arrives: Signal<Out, Bit>,
    history: Signal<Local, Bits<16>>,
    next: Signal<Local, Bits<16>>,
    delayed: Signal<Local, Bits<16>>,
}

impl Logic for PostHistory {
    #[hdl_gen]
    fn update(&mut self) {
        self.history.next = (self.ref_word.val() >> 8) | (self.x_post_word.val() >> 12) << 8;
        self.next.next = self.history.val();
        if self.shift.val() {
            self.next.next = bit_cast::<16, 12>(bit_cast::<12, 16>(self.history.val() << 1));
            if self.spike.val() {
                self.next.next = self.next.val() | 1;
            }
        }
        self.ref_high.next = bit_cast::<8, 16>(self.next.val());
        self.x_post_next.next = (self.next.val() >> 8) << 12 | (self.x_post_word.val() & 0x0FFF);
        self.delayed.next = self.next.val() >> bit_cast::<16, 4>(self.post_delay.val());
        self.arrives.next = self.delayed.val().get_bit(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use spikefab_sim::learning::POST_DELAY_MAX;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]
        /// Against the words' layout (`field::post_history`): a shift moves
        /// the 12 bits up and takes the spike, the refractory counter and
        /// the trace stay, and `arrives` is bit `P` of the result.
        #[test]
        fn shifts_and_reads_the_history(
            refractory: u8, trace in 0u16..4096, history in 0u16..4096, shift: bool, spike: bool,
            post_delay in 0u8..=POST_DELAY_MAX,
        ) {
            let ref_word = (history << 8) | refractory as u16;
            let x_post_word = (history >> 8) << 12 | trace;
            prop_assert_eq!(field::post_history(ref_word, x_post_word), history);
            let mut uut = PostHistory::default();
            uut.connect_all();
            uut.ref_word.next = ref_word.to_bits();
            uut.x_post_word.next = x_post_word.to_bits();
            uut.shift.next = shift;
            uut.spike.next = spike;
            uut.post_delay.next = post_delay.to_bits();
            assert!(simulate(&mut uut, 20));
            let next = if shift { (history << 1 | spike as u16) & 0xFFF } else { history };
            let ref_next = (uut.ref_high.val().to_u16() << 8) | refractory as u16;
            let x_post_next = uut.x_post_next.val().to_u16();
            prop_assert_eq!(field::post_history(ref_next, x_post_next), next);
            prop_assert_eq!(x_post_next & field::X_POST_TRACE_MASK, trace);
            prop_assert_eq!(uut.arrives.val(), next >> post_delay & 1 == 1);
        }
    }

    #[test]
    fn synthesizes() {
        let mut uut = PostHistory::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_post_history", &generate_verilog(&uut)).unwrap();
    }
}
