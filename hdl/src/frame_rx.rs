//! `FrameRx`: the receiving half of the wire protocol (`docs/spec.md` §10.1).
//!
//! Takes bytes, hunts for the sync byte, stores the payload words in its
//! buffer and checks the CRC. A complete frame (good CRC or not) is held,
//! with `in_ready` low, until the core takes it; the core reads the payload
//! through the buffer's read port. After a frame the receiver hunts for the
//! next sync byte.

use rust_hdl::prelude::*;

use crate::crc16::Crc16;
use crate::memory::Bram;

#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
enum RxState {
    Hunt,
    Kind,
    Seq,
    Len,
    Lo,
    Hi,
    CrcLo,
    CrcHi,
    Full,
}

/// Frame receiver with a one-frame payload buffer (256 words).
#[derive(LogicBlock)]
pub struct FrameRx {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Incoming byte.
    pub in_data: Signal<In, Bits<8>>,
    /// `in_data` holds a byte.
    pub in_valid: Signal<In, Bit>,
    /// The byte is taken on this edge when `in_valid` is high too.
    pub in_ready: Signal<Out, Bit>,
    /// A complete frame is held.
    pub frame_valid: Signal<Out, Bit>,
    /// Its type.
    pub kind: Signal<Out, Bits<8>>,
    /// Its sequence number.
    pub seq: Signal<Out, Bits<8>>,
    /// Its payload length in words.
    pub len: Signal<Out, Bits<8>>,
    /// Its CRC matched.
    pub crc_ok: Signal<Out, Bit>,
    /// The CRC it carried.
    pub crc_received: Signal<Out, Bits<16>>,
    /// Release the held frame on this edge.
    pub take: Signal<In, Bit>,
    /// Payload word to read.
    pub buffer_address: Signal<In, Bits<8>>,
    /// The payload word, one clock after its address.
    pub buffer_data: Signal<Out, Bits<16>>,
    state: DFF<RxState>,
    r_kind: DFF<Bits<8>>,
    r_seq: DFF<Bits<8>>,
    r_len: DFF<Bits<8>>,
    count: DFF<Bits<8>>,
    low: DFF<Bits<8>>,
    crc: DFF<Bits<16>>,
    crc_low: DFF<Bits<8>>,
    received: DFF<Bits<16>>,
    buffer: Bram<8>,
    crc_unit: Crc16,
    byte_in: Signal<Local, Bit>,
    sync: Constant<Bits<8>>,
    crc_init: Constant<Bits<16>>,
}

impl Default for FrameRx {
    fn default() -> Self {
        FrameRx {
            clock: Default::default(),
            in_data: Default::default(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            frame_valid: Default::default(),
            kind: Default::default(),
            seq: Default::default(),
            len: Default::default(),
            crc_ok: Default::default(),
            crc_received: Default::default(),
            take: Default::default(),
            buffer_address: Default::default(),
            buffer_data: Default::default(),
            state: Default::default(),
            r_kind: Default::default(),
            r_seq: Default::default(),
            r_len: Default::default(),
            count: Default::default(),
            low: Default::default(),
            crc: Default::default(),
            crc_low: Default::default(),
            received: Default::default(),
            buffer: Default::default(),
            crc_unit: Default::default(),
            byte_in: Default::default(),
            sync: Constant::new(spikefab_proto::frame::SYNC.to_bits()),
            crc_init: Constant::new(spikefab_proto::frame::CRC_INIT.to_bits()),
        }
    }
}

impl Logic for FrameRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state, r_kind, r_seq, r_len, count, low, crc, crc_low, received);
        self.buffer.clock.next = self.clock.val();
        self.buffer.read_address.next = self.buffer_address.val();
        self.buffer_data.next = self.buffer.read_data.val();
        self.buffer.write_address.next = self.count.q.val();
        self.buffer.write_data.next = bit_cast::<16, 8>(self.in_data.val()) << 8 | bit_cast::<16, 8>(self.low.q.val());
        self.buffer.write_enable.next = false;
        self.crc_unit.crc.next = self.crc.q.val();
        self.crc_unit.data.next = self.in_data.val();

        self.in_ready.next = self.state.q.val() != RxState::Full;
        self.byte_in.next = self.in_valid.val() & (self.state.q.val() != RxState::Full);
        self.frame_valid.next = self.state.q.val() == RxState::Full;
        self.kind.next = self.r_kind.q.val();
        self.seq.next = self.r_seq.q.val();
        self.len.next = self.r_len.q.val();
        self.crc_received.next = self.received.q.val();
        self.crc_ok.next = self.received.q.val() == self.crc.q.val();

        match self.state.q.val() {
            RxState::Hunt => {
                if self.byte_in.val() & (self.in_data.val() == self.sync.val()) {
                    self.crc.d.next = self.crc_init.val();
                    self.state.d.next = RxState::Kind;
                }
            }
            RxState::Kind => {
                if self.byte_in.val() {
                    self.r_kind.d.next = self.in_data.val();
                    self.crc.d.next = self.crc_unit.crc_next.val();
                    self.state.d.next = RxState::Seq;
                }
            }
            RxState::Seq => {
                if self.byte_in.val() {
                    self.r_seq.d.next = self.in_data.val();
                    self.crc.d.next = self.crc_unit.crc_next.val();
                    self.state.d.next = RxState::Len;
                }
            }
            RxState::Len => {
                if self.byte_in.val() {
                    self.r_len.d.next = self.in_data.val();
                    self.count.d.next = 0.into();
                    self.crc.d.next = self.crc_unit.crc_next.val();
                    if self.in_data.val().any() {
                        self.state.d.next = RxState::Lo;
                    } else {
                        self.state.d.next = RxState::CrcLo;
                    }
                }
            }
            RxState::Lo => {
                if self.byte_in.val() {
                    self.low.d.next = self.in_data.val();
                    self.crc.d.next = self.crc_unit.crc_next.val();
                    self.state.d.next = RxState::Hi;
                }
            }
            RxState::Hi => {
                if self.byte_in.val() {
                    self.buffer.write_enable.next = true;
                    self.crc.d.next = self.crc_unit.crc_next.val();
                    self.count.d.next = self.count.q.val() + 1;
                    if self.count.q.val() + 1 == self.r_len.q.val() {
                        self.state.d.next = RxState::CrcLo;
                    } else {
                        self.state.d.next = RxState::Lo;
                    }
                }
            }
            RxState::CrcLo => {
                if self.byte_in.val() {
                    self.crc_low.d.next = self.in_data.val();
                    self.state.d.next = RxState::CrcHi;
                }
            }
            RxState::CrcHi => {
                if self.byte_in.val() {
                    self.received.d.next =
                        bit_cast::<16, 8>(self.in_data.val()) << 8 | bit_cast::<16, 8>(self.crc_low.q.val());
                    self.state.d.next = RxState::Full;
                }
            }
            RxState::Full => {
                if self.take.val() {
                    self.state.d.next = RxState::Hunt;
                }
            }
            _ => {
                self.state.d.next = RxState::Hunt;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikefab_proto::frame::Frame;

    fn clock(uut: &mut FrameRx) {
        uut.clock.next = true.into();
        assert!(simulate(uut, 200));
        uut.clock.next = false.into();
        assert!(simulate(uut, 200));
    }

    /// Feed bytes; return every held frame as (kind, seq, payload, crc_ok).
    fn receive(bytes: &[u8]) -> Vec<(u8, u8, Vec<u16>, bool)> {
        let mut uut = FrameRx::default();
        uut.connect_all();
        let mut out = Vec::new();
        let mut i = 0;
        let mut guard = 0;
        while i < bytes.len() || uut.frame_valid.val() {
            guard += 1;
            assert!(guard < 100_000);
            uut.take.next = false;
            uut.in_valid.next = i < bytes.len();
            uut.in_data.next = bytes.get(i).copied().unwrap_or(0).to_bits();
            assert!(simulate(&mut uut, 200));
            if uut.frame_valid.val() {
                let len = uut.len.val().to_u8();
                let mut payload = Vec::new();
                for w in 0..len {
                    uut.in_valid.next = false;
                    uut.buffer_address.next = w.to_bits();
                    assert!(simulate(&mut uut, 200));
                    clock(&mut uut);
                    payload.push(uut.buffer_data.val().to_u16());
                }
                out.push((uut.kind.val().to_u8(), uut.seq.val().to_u8(), payload, uut.crc_ok.val()));
                uut.in_valid.next = false;
                uut.take.next = true;
                assert!(simulate(&mut uut, 200));
                clock(&mut uut);
                continue;
            }
            if uut.in_ready.val() && i < bytes.len() {
                i += 1;
            }
            clock(&mut uut);
        }
        out
    }

    #[test]
    fn frames_garbage_and_bad_crcs() {
        let a = Frame {
            kind: 2,
            seq: 7,
            payload: (0..40).map(|x| x * 1111).collect(),
        };
        let b = Frame {
            kind: 1,
            seq: 8,
            payload: vec![],
        };
        let c = Frame {
            kind: 5,
            seq: 9,
            payload: vec![0xA5A5, 0x00FF],
        };
        let mut bytes = vec![0x00, 0x13, 0xFF];
        bytes.extend(a.encode());
        bytes.extend(b.encode());
        let mut bad = c.encode();
        bad[5] ^= 0x10;
        bytes.extend(bad);
        bytes.extend(c.encode());
        let got = receive(&bytes);
        assert_eq!(
            got,
            vec![
                (2, 7, a.payload.clone(), true),
                (1, 8, vec![], true),
                (5, 9, vec![0xA5A5 ^ 0x1000, 0x00FF], false),
                (5, 9, c.payload.clone(), true),
            ]
        );
    }
}
