//! `FrameTx`: the sending half of the wire protocol (`docs/spec.md` §10.1).
//!
//! Started with a type, sequence number and length, it sends the sync byte
//! and the header, then asks for the payload one word at a time
//! (`word_index`; the core answers with `word` and `word_valid`), then the
//! CRC. Bytes leave on a valid/ready stream; nothing moves while `out_ready`
//! is low.

use rust_hdl::prelude::*;

use crate::crc16::Crc16;

#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
enum TxState {
    Idle,
    Sync,
    Kind,
    Seq,
    Len,
    Lo,
    Hi,
    CrcLo,
    CrcHi,
}

/// Frame transmitter.
#[derive(LogicBlock)]
pub struct FrameTx {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Start a frame on this edge (only while not `busy`).
    pub start: Signal<In, Bit>,
    /// Type of the frame to start.
    pub kind: Signal<In, Bits<8>>,
    /// Its sequence number.
    pub seq: Signal<In, Bits<8>>,
    /// Its payload length in words.
    pub len: Signal<In, Bits<8>>,
    /// A frame is being sent.
    pub busy: Signal<Out, Bit>,
    /// Index of the payload word wanted.
    pub word_index: Signal<Out, Bits<8>>,
    /// The payload word `word_index`.
    pub word: Signal<In, Bits<16>>,
    /// `word` is valid.
    pub word_valid: Signal<In, Bit>,
    /// `word` is taken on this edge.
    pub word_taken: Signal<Out, Bit>,
    /// Outgoing byte.
    pub out_data: Signal<Out, Bits<8>>,
    /// `out_data` holds a byte.
    pub out_valid: Signal<Out, Bit>,
    /// The byte is taken on this edge.
    pub out_ready: Signal<In, Bit>,
    state: DFF<TxState>,
    r_kind: DFF<Bits<8>>,
    r_seq: DFF<Bits<8>>,
    r_len: DFF<Bits<8>>,
    index: DFF<Bits<8>>,
    high: DFF<Bits<8>>,
    crc: DFF<Bits<16>>,
    crc_unit: Crc16,
    sent: Signal<Local, Bit>,
    sync: Constant<Bits<8>>,
    crc_init: Constant<Bits<16>>,
}

impl Default for FrameTx {
    fn default() -> Self {
        FrameTx {
            clock: Default::default(),
            start: Default::default(),
            kind: Default::default(),
            seq: Default::default(),
            len: Default::default(),
            busy: Default::default(),
            word_index: Default::default(),
            word: Default::default(),
            word_valid: Default::default(),
            word_taken: Default::default(),
            out_data: Default::default(),
            out_valid: Default::default(),
            out_ready: Default::default(),
            state: Default::default(),
            r_kind: Default::default(),
            r_seq: Default::default(),
            r_len: Default::default(),
            index: Default::default(),
            high: Default::default(),
            crc: Default::default(),
            crc_unit: Default::default(),
            sent: Default::default(),
            sync: Constant::new(spikefab_proto::frame::SYNC.to_bits()),
            crc_init: Constant::new(spikefab_proto::frame::CRC_INIT.to_bits()),
        }
    }
}

impl Logic for FrameTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state, r_kind, r_seq, r_len, index, high, crc);
        self.busy.next = self.state.q.val() != TxState::Idle;
        self.word_index.next = self.index.q.val();
        self.word_taken.next = false;
        self.out_valid.next = true;
        self.out_data.next = 0.into();
        match self.state.q.val() {
            TxState::Idle => {
                self.out_valid.next = false;
            }
            TxState::Sync => {
                self.out_data.next = self.sync.val();
            }
            TxState::Kind => {
                self.out_data.next = self.r_kind.q.val();
            }
            TxState::Seq => {
                self.out_data.next = self.r_seq.q.val();
            }
            TxState::Len => {
                self.out_data.next = self.r_len.q.val();
            }
            TxState::Lo => {
                self.out_data.next = self.word.val().get_bits::<8>(0);
                self.out_valid.next = self.word_valid.val();
            }
            TxState::Hi => {
                self.out_data.next = self.high.q.val();
            }
            TxState::CrcLo => {
                self.out_data.next = self.crc.q.val().get_bits::<8>(0);
            }
            TxState::CrcHi => {
                self.out_data.next = self.crc.q.val().get_bits::<8>(8);
            }
            _ => {
                self.out_valid.next = false;
            }
        }
        self.sent.next = self.out_valid.val() & self.out_ready.val();
        self.crc_unit.crc.next = self.crc.q.val();
        self.crc_unit.data.next = self.out_data.val();

        match self.state.q.val() {
            TxState::Idle => {
                if self.start.val() {
                    self.r_kind.d.next = self.kind.val();
                    self.r_seq.d.next = self.seq.val();
                    self.r_len.d.next = self.len.val();
                    self.index.d.next = 0.into();
                    self.crc.d.next = self.crc_init.val();
                    self.state.d.next = TxState::Sync;
                }
            }
            TxState::Sync => {
                if self.sent.val() {
                    self.state.d.next = TxState::Kind;
                }
            }
            TxState::Kind => {
                if self.sent.val() {
                    self.crc.d.next = self.crc_unit.crc_next.val();
                    self.state.d.next = TxState::Seq;
                }
            }
            TxState::Seq => {
                if self.sent.val() {
                    self.crc.d.next = self.crc_unit.crc_next.val();
                    self.state.d.next = TxState::Len;
                }
            }
            TxState::Len => {
                if self.sent.val() {
                    self.crc.d.next = self.crc_unit.crc_next.val();
                    if self.r_len.q.val().any() {
                        self.state.d.next = TxState::Lo;
                    } else {
                        self.state.d.next = TxState::CrcLo;
                    }
                }
            }
            TxState::Lo => {
                if self.sent.val() {
                    self.crc.d.next = self.crc_unit.crc_next.val();
                    self.high.d.next = self.word.val().get_bits::<8>(8);
                    self.word_taken.next = true;
                    self.state.d.next = TxState::Hi;
                }
            }
            TxState::Hi => {
                if self.sent.val() {
                    self.crc.d.next = self.crc_unit.crc_next.val();
                    self.index.d.next = self.index.q.val() + 1;
                    if self.index.q.val() + 1 == self.r_len.q.val() {
                        self.state.d.next = TxState::CrcLo;
                    } else {
                        self.state.d.next = TxState::Lo;
                    }
                }
            }
            TxState::CrcLo => {
                if self.sent.val() {
                    self.state.d.next = TxState::CrcHi;
                }
            }
            TxState::CrcHi => {
                if self.sent.val() {
                    self.state.d.next = TxState::Idle;
                }
            }
            _ => {
                self.state.d.next = TxState::Idle;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikefab_proto::frame::{Decoder, Event, Frame};

    /// Send a frame with the receiver ready only every `stall`-th cycle and
    /// the words arriving a cycle late; decode what came out.
    fn send(f: &Frame, stall: usize) -> Vec<Event> {
        let mut uut = FrameTx::default();
        uut.connect_all();
        let mut rx = Decoder::new();
        let mut events = Vec::new();
        uut.kind.next = f.kind.to_bits();
        uut.seq.next = f.seq.to_bits();
        uut.len.next = (f.payload.len() as u8).to_bits();
        uut.start.next = true;
        let mut cycle = 0usize;
        let mut last_index = usize::MAX;
        loop {
            let idx = uut.word_index.val().to_u8() as usize;
            // A word becomes valid one cycle after its index first appears.
            uut.word_valid.next = idx == last_index;
            last_index = idx;
            uut.word.next = f.payload.get(idx).copied().unwrap_or(0).to_bits();
            uut.out_ready.next = cycle.is_multiple_of(stall);
            assert!(simulate(&mut uut, 200));
            if uut.out_valid.val() && uut.out_ready.val() {
                if let Some(e) = rx.push(uut.out_data.val().to_u8()) {
                    events.push(e);
                }
            }
            uut.clock.next = true.into();
            assert!(simulate(&mut uut, 200));
            uut.clock.next = false.into();
            uut.start.next = false;
            assert!(simulate(&mut uut, 200));
            cycle += 1;
            if !uut.busy.val() {
                return events;
            }
            assert!(cycle < 100_000);
        }
    }

    #[test]
    fn frames_decode_on_the_host() {
        for (f, stall) in [
            (
                Frame {
                    kind: 0x90,
                    seq: 3,
                    payload: vec![1, 2, 3, 0xFFFF, 0xA5A5, 6, 7],
                },
                1,
            ),
            (
                Frame {
                    kind: 0x82,
                    seq: 255,
                    payload: vec![],
                },
                3,
            ),
            (
                Frame {
                    kind: 0x83,
                    seq: 0,
                    payload: (0..255).collect(),
                },
                2,
            ),
        ] {
            assert_eq!(send(&f, stall), vec![Event::Frame(f)]);
        }
    }
}
