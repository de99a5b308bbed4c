//! `History`: what the core remembers of the commands before
//! (`docs/spec.md` §10.3-§10.4): the last executed command's sequence number
//! and type, so that a retransmitted one is answered again instead of run
//! again (`duplicate`), and the sequence number of the last command answered
//! with success, which a STEP must follow (`in_order`; none is remembered
//! after a RESET). The twin is the host side of `spikefab_proto` (its
//! retransmissions, and the sequence numbers it gives STEPs); the host port
//! tells this block what each frame did.

use rust_hdl::prelude::*;

/// The command history.
#[derive(LogicBlock)]
pub struct History {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The frame's sequence number.
    pub seq: Signal<In, Bits<8>>,
    /// The frame's type.
    pub kind: Signal<In, Bits<8>>,
    /// The frame is now the last executed command.
    pub remember: Signal<In, Bit>,
    /// A RESET: no command is the last executed one.
    pub forget: Signal<In, Bit>,
    /// The frame was answered with success (it is released on this edge).
    pub answered: Signal<In, Bit>,
    /// The frame repeats the last executed command.
    pub duplicate: Signal<Out, Bit>,
    /// The sequence number a STEP must have.
    pub next_seq: Signal<Out, Bits<8>>,
    /// The frame's sequence number is `next_seq`, or no command is answered
    /// with success since a RESET.
    pub in_order: Signal<Out, Bit>,
    last_valid: DFF<Bit>,
    last_seq: DFF<Bits<8>>,
    last_kind: DFF<Bits<8>>,
    order_valid: DFF<Bit>,
    order_seq: DFF<Bits<8>>,
    k_reset: Constant<Bits<8>>,
}

impl Default for History {
    fn default() -> Self {
        History {
            clock: Default::default(),
            seq: Default::default(),
            kind: Default::default(),
            remember: Default::default(),
            forget: Default::default(),
            answered: Default::default(),
            duplicate: Default::default(),
            next_seq: Default::default(),
            in_order: Default::default(),
            last_valid: Default::default(),
            last_seq: Default::default(),
            last_kind: Default::default(),
            order_valid: Default::default(),
            order_seq: Default::default(),
            k_reset: Constant::new(spikefab_proto::message::kind::RESET.to_bits()),
        }
    }
}

impl Logic for History {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, last_valid, last_seq, last_kind, order_valid, order_seq);
        self.duplicate.next = self.last_valid.q.val()
            & (self.last_seq.q.val() == self.seq.val())
            & (self.last_kind.q.val() == self.kind.val());
        // Eight bits, so that 255 is followed by 0 (a comparison with the sum
        // itself would be 32 bits wide in the Verilog).
        self.next_seq.next = self.order_seq.q.val() + 1;
        self.in_order.next = !self.order_valid.q.val() | (self.next_seq.val() == self.seq.val());
        if self.remember.val() {
            self.last_valid.d.next = true;
            self.last_seq.d.next = self.seq.val();
            self.last_kind.d.next = self.kind.val();
        }
        if self.forget.val() {
            self.last_valid.d.next = false;
        }
        if self.answered.val() {
            self.order_valid.d.next = self.kind.val() != self.k_reset.val();
            self.order_seq.d.next = self.seq.val();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use spikefab_proto::message::kind;

    /// One clock with these inputs; the outputs before the edge.
    fn clock(uut: &mut History, seq: u8, k: u8, remember: bool, forget: bool, answered: bool) -> (bool, bool, u8) {
        uut.seq.next = seq.to_bits();
        uut.kind.next = k.to_bits();
        uut.remember.next = remember;
        uut.forget.next = forget;
        uut.answered.next = answered;
        assert!(simulate(uut, 100));
        let seen = (uut.duplicate.val(), uut.in_order.val(), uut.next_seq.val().to_u8());
        uut.clock.next = true.into();
        assert!(simulate(uut, 100));
        uut.clock.next = false.into();
        assert!(simulate(uut, 100));
        seen
    }

    proptest! {
        /// Against the spec's rules (§10.3-§10.4): a duplicate repeats the
        /// last executed (seq, type), which a RESET forgets; a STEP follows
        /// the last success, unless that was a RESET.
        #[test]
        fn remembers_as_the_spec_says(
            frames in prop::collection::vec((0u8..4, prop_oneof![Just(kind::STEP), Just(kind::WRITE), Just(kind::RESET)], 0u8..4), 1..40)
        ) {
            let mut uut = History::default();
            uut.connect_all();
            // The last executed (seq, type); the last success's seq, and
            // whether a STEP must follow it.
            let (mut last, mut order, mut order_valid) = (None, 0u8, false);
            for (seq, k, what) in frames {
                let (remember, answered) = (what & 1 == 1, what & 2 == 2);
                let forget = k == kind::RESET && remember;
                let seen = clock(&mut uut, seq, k, remember, forget, answered);
                let next = order.wrapping_add(1);
                prop_assert_eq!(seen, (last == Some((seq, k)), !order_valid || next == seq, next));
                if remember {
                    last = (!forget).then_some((seq, k));
                }
                if answered {
                    (order, order_valid) = (seq, k != kind::RESET);
                }
            }
        }
    }

    #[test]
    fn synthesizes() {
        let mut uut = History::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_history", &generate_verilog(&uut)).unwrap();
    }
}
