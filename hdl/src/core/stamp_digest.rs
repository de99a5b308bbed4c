//! `StampDigest`: the digest of a STEP's output spikes (`docs/spec.md`
//! §10.4), CRC-16 over each spike's stamp minus the tick's first busy cycle,
//! mod 2^16, low byte first, one spike per clock. Its twin is
//! `spikefab_proto::stream::stamp_digest`.

use rust_hdl::prelude::*;

use crate::crc16::Crc16;

/// The digest of a tick's stamps, folded in as the router offers them.
#[derive(LogicBlock)]
pub struct StampDigest {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// A tick starts on this edge: the digest restarts and stamps count from
    /// `cycles`.
    pub start: Signal<In, Bit>,
    /// The busy-cycle counter's low 16 bits.
    pub cycles: Signal<In, Bits<16>>,
    /// Fold `stamp` in on this edge.
    pub fold: Signal<In, Bit>,
    /// The spike's stamp's low 16 bits.
    pub stamp: Signal<In, Bits<16>>,
    /// The digest of the stamps folded since `start`.
    pub digest: Signal<Out, Bits<16>>,
    low: Crc16,
    high: Crc16,
    value: DFF<Bits<16>>,
    base: DFF<Bits<16>>,
    offset: Signal<Local, Bits<16>>,
    init: Constant<Bits<16>>,
}

impl Default for StampDigest {
    fn default() -> Self {
        StampDigest {
            clock: Default::default(),
            start: Default::default(),
            cycles: Default::default(),
            fold: Default::default(),
            stamp: Default::default(),
            digest: Default::default(),
            low: Default::default(),
            high: Default::default(),
            value: Default::default(),
            base: Default::default(),
            offset: Default::default(),
            init: Constant::new(spikefab_proto::frame::CRC_INIT.to_bits()),
        }
    }
}

impl Logic for StampDigest {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, value, base);
        // The stamp's offset in its tick, which no RESET or checkpoint
        // restore changes.
        self.offset.next = self.stamp.val() - self.base.q.val();
        self.low.crc.next = self.value.q.val();
        self.low.data.next = self.offset.val().get_bits::<8>(0);
        self.high.crc.next = self.low.crc_next.val();
        self.high.data.next = self.offset.val().get_bits::<8>(8);
        self.digest.next = self.value.q.val();
        if self.fold.val() {
            self.value.d.next = self.high.crc_next.val();
        }
        if self.start.val() {
            self.base.d.next = self.cycles.val();
            self.value.d.next = self.init.val();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use spikefab_proto::stream::stamp_digest;

    /// The inputs settle, then a clock edge.
    fn tick(uut: &mut StampDigest) {
        assert!(simulate(uut, 50));
        uut.clock.next = true.into();
        assert!(simulate(uut, 50));
        uut.clock.next = false.into();
        assert!(simulate(uut, 50));
    }

    proptest! {
        /// Any start cycle and stamps after it, some clocks with no spike
        /// between them: the spec's digest (stamps wrap at 2^16 as the
        /// 64-bit counter's low bits do).
        #[test]
        fn folds_stamps_as_the_spec_digests_them(
            start in any::<u64>(),
            gaps in prop::collection::vec((0u64..300, 0usize..3), 0..40),
        ) {
            let mut uut = StampDigest::default();
            uut.connect_all();
            uut.start.next = true;
            uut.cycles.next = (start & 0xFFFF).into();
            tick(&mut uut);
            uut.start.next = false;
            let mut stamps = Vec::new();
            let mut at = start;
            for (gap, idle) in gaps {
                for _ in 0..idle {
                    tick(&mut uut);
                }
                at += gap;
                stamps.push(at);
                uut.fold.next = true;
                uut.stamp.next = (at & 0xFFFF).into();
                tick(&mut uut);
                uut.fold.next = false;
            }
            prop_assert_eq!(uut.digest.val().to_u16(), stamp_digest(start, stamps));
        }
    }

    #[test]
    fn synthesizes() {
        let mut uut = StampDigest::default();
        uut.connect_all();
        crate::rungs::check_verilog("stamp_digest", &generate_verilog(&uut)).unwrap();
    }
}
