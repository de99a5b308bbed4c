//! `Answer`: the payload words of the frames the core sends (`docs/spec.md`
//! §10.2), chosen word by word as the transmitter asks for them, from live
//! registers (stable while a frame is sent) and the few captured for it: no
//! answer buffer. The twin is `spikefab_proto::message` (the host's decoding
//! of the same frames):
//!
//! - STEP (either form): tick (2 words), busy cycles (low 2), the stamps'
//!   digest, then the spikes (from the host port's `SpikePacker`);
//! - INFO: version, N, M, D, S / 256;
//! - NAK: the command's type, the code, the detail.
//!
//! READ's words come from the memories through the host port, not from here.

use rust_hdl::prelude::*;
use spikefab_proto::message::{kind, VERSION};

/// The answer word mux of a core with `2^NB` neurons, `2^MB` axons, `2^DB`
/// delay slots and `2^SB` synapse words.
#[derive(LogicBlock)]
pub struct Answer<const NB: usize, const MB: usize, const DB: usize, const SB: usize> {
    /// The frame's type.
    pub kind: Signal<In, Bits<8>>,
    /// The payload word the transmitter sends next.
    pub word_index: Signal<In, Bits<8>>,
    /// The command answered (a NAK's first word).
    pub command: Signal<In, Bits<8>>,
    /// The tick counter.
    pub tick: Signal<In, Bits<32>>,
    /// The busy-cycle counter's low 32 bits.
    pub cycles: Signal<In, Bits<32>>,
    /// A NAK's code.
    pub nak_code: Signal<In, Bits<16>>,
    /// A NAK's detail.
    pub nak_detail: Signal<In, Bits<16>>,
    /// A STEP answer's digest of its stamps.
    pub digest: Signal<In, Bits<16>>,
    /// The word.
    pub word: Signal<Out, Bits<16>>,
    is_nak: Signal<Local, Bit>,
    is_info: Signal<Local, Bit>,
    k_nak: Constant<Bits<8>>,
    k_info: Constant<Bits<8>>,
    info0: Constant<Bits<16>>,
    info1: Constant<Bits<16>>,
    info2: Constant<Bits<16>>,
    info3: Constant<Bits<16>>,
    info4: Constant<Bits<16>>,
}

impl<const NB: usize, const MB: usize, const DB: usize, const SB: usize> Default for Answer<NB, MB, DB, SB> {
    fn default() -> Self {
        Answer {
            kind: Default::default(),
            word_index: Default::default(),
            command: Default::default(),
            tick: Default::default(),
            cycles: Default::default(),
            nak_code: Default::default(),
            nak_detail: Default::default(),
            digest: Default::default(),
            word: Default::default(),
            is_nak: Default::default(),
            is_info: Default::default(),
            k_nak: Constant::new(kind::NAK.to_bits()),
            k_info: Constant::new((kind::INFO | kind::ANSWER).to_bits()),
            info0: Constant::new(VERSION.to_bits()),
            info1: Constant::new(((1u32 << NB) as u16).to_bits()),
            info2: Constant::new(((1u32 << MB) as u16).to_bits()),
            info3: Constant::new(((1u32 << DB) as u16).to_bits()),
            info4: Constant::new((((1u32 << SB) >> 8) as u16).to_bits()),
        }
    }
}

impl<const NB: usize, const MB: usize, const DB: usize, const SB: usize> Logic for Answer<NB, MB, DB, SB> {
    #[hdl_gen]
    fn update(&mut self) {
        self.is_nak.next = self.kind.val() == self.k_nak.val();
        self.is_info.next = self.kind.val() == self.k_info.val();
        match self.word_index.val().index() {
            0 => {
                self.word.next = bit_cast::<16, 32>(self.tick.val());
                if self.is_nak.val() {
                    self.word.next = bit_cast::<16, 8>(self.command.val());
                }
                if self.is_info.val() {
                    self.word.next = self.info0.val();
                }
            }
            1 => {
                self.word.next = self.tick.val().get_bits::<16>(16);
                if self.is_nak.val() {
                    self.word.next = self.nak_code.val();
                }
                if self.is_info.val() {
                    self.word.next = self.info1.val();
                }
            }
            2 => {
                self.word.next = bit_cast::<16, 32>(self.cycles.val());
                if self.is_nak.val() {
                    self.word.next = self.nak_detail.val();
                }
                if self.is_info.val() {
                    self.word.next = self.info2.val();
                }
            }
            3 => {
                self.word.next = self.cycles.val().get_bits::<16>(16);
                if self.is_info.val() {
                    self.word.next = self.info3.val();
                }
            }
            _ => {
                self.word.next = self.digest.val();
                if self.is_info.val() {
                    self.word.next = self.info4.val();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use spikefab_proto::message::{Answer as Message, NakCode};
    use spikefab_proto::stream::SpikeWords;

    type Tiny = Answer<4, 3, 2, 9>;

    /// The words the block gives for a frame of type `kind`, as the
    /// transmitter asks for them.
    fn words(uut: &mut Tiny, kind: u8, len: usize) -> Vec<u16> {
        uut.kind.next = kind.to_bits();
        (0..len)
            .map(|i| {
                uut.word_index.next = (i as u8).to_bits();
                assert!(simulate(uut, 100));
                uut.word.val().to_u16()
            })
            .collect()
    }

    proptest! {
        /// Every frame's payload is what `spikefab_proto` encodes for the
        /// same answer (and decodes back); a STEP answer's head, before the
        /// spikes the packer gives.
        #[test]
        fn payloads_are_the_protocols(
            tick: u32, cycles: u32, digest: u16, command: u8, code in 1u16..=7, detail: u16,
        ) {
            let mut uut = Tiny::default();
            uut.connect_all();
            uut.tick.next = tick.to_bits();
            uut.cycles.next = cycles.to_bits();
            uut.digest.next = digest.to_bits();
            uut.command.next = command.to_bits();
            uut.nak_code.next = code.to_bits();
            uut.nak_detail.next = detail.to_bits();
            let answers = [
                Message::Info { version: VERSION, neurons: 16, axons: 8, delay_slots: 4, syn_pages: 2 },
                Message::Stepped { tick, cycles, digest, spikes: SpikeWords::List(vec![]) },
                Message::Stepped { tick, cycles, digest, spikes: SpikeWords::Map(vec![]) },
                Message::Nak { command, code: NakCode::from_u16(code).unwrap(), detail },
            ];
            for answer in answers {
                let frame = answer.frame(0);
                let got = words(&mut uut, frame.kind, frame.payload.len());
                prop_assert_eq!(&got, &frame.payload, "{:?}", answer);
            }
        }
    }

    #[test]
    fn synthesizes() {
        let mut uut = Answer::<8, 8, 3, 16>::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_answer", &generate_verilog(&uut)).unwrap();
    }
}
