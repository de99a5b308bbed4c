//! `CommandCheck`: what the core does with a received frame (`docs/spec.md`
//! §10.3-§10.4): its answer (the success answer, or a NAK with its code and
//! detail, in the order the spec checks them: CRC, type, length, space,
//! count, range, sequence, input) and the action to run. The twin is the host side of
//! `spikefab_proto::message` (`NakCode` and the answers it expects); the
//! host port registers the result and runs the action.
//!
//! A command that repeats the last executed one (same sequence number and
//! type, `duplicate`) is answered again without running again: a WRITE at
//! once, a STEP with its tick's answer. A STEP that neither repeats nor follows the
//! last command (`in_order`, §10.4) is refused.

use rust_hdl::prelude::*;
use spikefab_proto::message::{kind, NakCode};

/// Where a NAK's detail word comes from. The host port keeps this, not the
/// word: every source holds still while the frame is answered (the frame,
/// its CRC and the sequence state are released only after the answer).
#[derive(Copy, Clone, Debug, PartialEq, Eq, LogicState)]
pub enum NakDetail {
    /// 0 (an unknown type).
    Zero,
    /// The payload's length in words (a bad length).
    Length,
    /// The CRC received (a bad CRC).
    Crc,
    /// Payload word 0, the space (a bad space).
    Space,
    /// Payload word 1, the address (a bad address).
    Address,
    /// Payload word 2, the count (a bad count).
    Count,
    /// The sequence number expected (a STEP out of order).
    Sequence,
    /// The payload word the host port points at (a STEP's bad axon).
    Payload,
}

/// The command decision (combinational).
#[derive(LogicBlock)]
pub struct CommandCheck {
    /// The frame's CRC is right.
    pub crc_ok: Signal<In, Bit>,
    /// The frame's type.
    pub kind: Signal<In, Bits<8>>,
    /// Its payload length in words.
    pub len: Signal<In, Bits<8>>,
    /// Payload word 2 (a READ's count).
    pub w2: Signal<In, Bits<16>>,
    /// Word 0 names no space.
    pub space_bad: Signal<In, Bit>,
    /// The addressed range passes the space's end.
    pub range_bad: Signal<In, Bit>,
    /// The frame repeats the last executed command.
    pub duplicate: Signal<In, Bit>,
    /// The frame's sequence number follows the last command answered with
    /// success (or none is, since a RESET).
    pub in_order: Signal<In, Bit>,
    /// Words of the bitmap of the core's axons (M / 16).
    pub map_words: Signal<In, Bits<8>>,
    /// The answer's type.
    pub answer_kind: Signal<Out, Bits<8>>,
    /// The answer's payload length in words.
    pub answer_len: Signal<Out, Bits<8>>,
    /// A NAK's code.
    pub nak_code: Signal<Out, Bits<16>>,
    /// Where a NAK's detail comes from.
    pub nak_detail: Signal<Out, NakDetail>,
    /// Remember the command as the last executed (for duplicates).
    pub remember: Signal<Out, Bit>,
    /// Run a WRITE.
    pub run_write: Signal<Out, Bit>,
    /// Run a READ.
    pub run_read: Signal<Out, Bit>,
    /// Reset the counters and pending inputs.
    pub run_reset: Signal<Out, Bit>,
    /// Run a STEP whose inputs are a list (checked as they are read).
    pub run_step: Signal<Out, Bit>,
    /// Run a STEP whose inputs are a bitmap.
    pub run_step_map: Signal<Out, Bit>,
    /// Answer the last STEP again.
    pub repeat_step: Signal<Out, Bit>,
    k_info: Constant<Bits<8>>,
    k_write: Constant<Bits<8>>,
    k_read: Constant<Bits<8>>,
    k_reset: Constant<Bits<8>>,
    k_step: Constant<Bits<8>>,
    k_step_map: Constant<Bits<8>>,
    k_answer: Constant<Bits<8>>,
    k_nak: Constant<Bits<8>>,
    nak_crc: Constant<Bits<16>>,
    nak_type: Constant<Bits<16>>,
    nak_length: Constant<Bits<16>>,
    nak_space: Constant<Bits<16>>,
    nak_address: Constant<Bits<16>>,
    nak_count: Constant<Bits<16>>,
    nak_seq: Constant<Bits<16>>,
}

impl Default for CommandCheck {
    fn default() -> Self {
        let code = |c: NakCode| Constant::new((c as u16).to_bits());
        CommandCheck {
            crc_ok: Default::default(),
            kind: Default::default(),
            len: Default::default(),
            w2: Default::default(),
            space_bad: Default::default(),
            range_bad: Default::default(),
            duplicate: Default::default(),
            in_order: Default::default(),
            map_words: Default::default(),
            answer_kind: Default::default(),
            answer_len: Default::default(),
            nak_code: Default::default(),
            nak_detail: Default::default(),
            remember: Default::default(),
            run_write: Default::default(),
            run_read: Default::default(),
            run_reset: Default::default(),
            run_step: Default::default(),
            run_step_map: Default::default(),
            repeat_step: Default::default(),
            k_info: Constant::new(kind::INFO.to_bits()),
            k_write: Constant::new(kind::WRITE.to_bits()),
            k_read: Constant::new(kind::READ.to_bits()),
            k_reset: Constant::new(kind::RESET.to_bits()),
            k_step: Constant::new(kind::STEP.to_bits()),
            k_step_map: Constant::new(kind::STEP_MAP.to_bits()),
            k_answer: Constant::new(kind::ANSWER.to_bits()),
            k_nak: Constant::new(kind::NAK.to_bits()),
            nak_crc: code(NakCode::BadCrc),
            nak_type: code(NakCode::UnknownType),
            nak_length: code(NakCode::BadLength),
            nak_space: code(NakCode::BadSpace),
            nak_address: code(NakCode::BadAddress),
            nak_count: code(NakCode::BadCount),
            nak_seq: code(NakCode::BadSeq),
        }
    }
}

impl Logic for CommandCheck {
    // hdl_gen has no match guards, so a nested `if` stays nested.
    #[allow(clippy::collapsible_if, clippy::collapsible_else_if)]
    #[hdl_gen]
    fn update(&mut self) {
        // Defaults: a NAK for a bad length.
        self.answer_kind.next = self.k_nak.val();
        self.answer_len.next = 3.into();
        self.nak_code.next = self.nak_length.val();
        self.nak_detail.next = NakDetail::Length;
        self.remember.next = false;
        self.run_write.next = false;
        self.run_read.next = false;
        self.run_reset.next = false;
        self.run_step.next = false;
        self.run_step_map.next = false;
        self.repeat_step.next = false;
        if !self.crc_ok.val() {
            self.nak_code.next = self.nak_crc.val();
            self.nak_detail.next = NakDetail::Crc;
        } else if self.kind.val() == self.k_info.val() {
            if self.len.val() == 0 {
                self.answer_kind.next = self.k_info.val() | self.k_answer.val();
                self.answer_len.next = 5.into();
            }
        } else if self.kind.val() == self.k_write.val() {
            if self.len.val() < 3 {
                // bad length (the default)
            } else if self.space_bad.val() {
                self.nak_code.next = self.nak_space.val();
                self.nak_detail.next = NakDetail::Space;
            } else if self.range_bad.val() {
                self.nak_code.next = self.nak_address.val();
                self.nak_detail.next = NakDetail::Address;
            } else {
                self.answer_kind.next = self.k_write.val() | self.k_answer.val();
                self.answer_len.next = 0.into();
                self.remember.next = true;
                self.run_write.next = !self.duplicate.val();
            }
        } else if self.kind.val() == self.k_read.val() {
            if self.len.val() != 3 {
                // bad length
            } else if self.space_bad.val() {
                self.nak_code.next = self.nak_space.val();
                self.nak_detail.next = NakDetail::Space;
            } else if (self.w2.val() == 0) | (self.w2.val() > 255) {
                self.nak_code.next = self.nak_count.val();
                self.nak_detail.next = NakDetail::Count;
            } else if self.range_bad.val() {
                self.nak_code.next = self.nak_address.val();
                self.nak_detail.next = NakDetail::Address;
            } else {
                self.answer_kind.next = self.k_read.val() | self.k_answer.val();
                self.answer_len.next = bit_cast::<8, 16>(self.w2.val());
                self.run_read.next = true;
            }
        } else if self.kind.val() == self.k_reset.val() {
            if self.len.val() == 0 {
                self.answer_kind.next = self.k_reset.val() | self.k_answer.val();
                self.answer_len.next = 0.into();
                self.run_reset.next = true;
            }
        } else if (self.kind.val() == self.k_step.val()) | (self.kind.val() == self.k_step_map.val()) {
            // The answer's type and length come when the tick ends.
            if (self.kind.val() == self.k_step_map.val())
                & ((self.len.val() == 0) | (self.len.val() > self.map_words.val()))
            {
                // bad length
            } else if self.duplicate.val() {
                self.repeat_step.next = true;
            } else if !self.in_order.val() {
                self.nak_code.next = self.nak_seq.val();
                self.nak_detail.next = NakDetail::Sequence;
            } else if self.kind.val() == self.k_step.val() {
                self.run_step.next = true;
            } else {
                self.run_step_map.next = true;
            }
        } else {
            self.nak_code.next = self.nak_type.val();
            self.nak_detail.next = NakDetail::Zero;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The bitmap words of the core the test checks for (M = 256).
    const MAP_WORDS: u8 = 16;

    /// What §10.2-§10.4 say the chip does with a frame: the answer's type
    /// and length or a NAK's (code, detail), and which command runs.
    #[derive(Debug, PartialEq, Default)]
    struct Decision {
        answer: Option<(u8, u8)>,
        nak: Option<(u16, u16)>,
        remember: bool,
        run: [bool; 6],
    }

    #[allow(clippy::too_many_arguments)]
    fn spec(
        crc_ok: bool,
        crc: u16,
        k: u8,
        len: u8,
        w: [u16; 3],
        space_bad: bool,
        range_bad: bool,
        dup: bool,
        in_order: bool,
        expected: u8,
    ) -> Decision {
        let nak = |code: NakCode, detail: u16| Decision {
            nak: Some((code as u16, detail)),
            ..Default::default()
        };
        let ok = |kind: u8, len: u8| Decision {
            answer: Some((kind | kind::ANSWER, len)),
            ..Default::default()
        };
        let bad_len = nak(NakCode::BadLength, len as u16);
        if !crc_ok {
            return nak(NakCode::BadCrc, crc);
        }
        match k {
            kind::INFO if len == 0 => ok(kind::INFO, 5),
            kind::WRITE if len >= 3 && space_bad => nak(NakCode::BadSpace, w[0]),
            kind::WRITE if len >= 3 && range_bad => nak(NakCode::BadAddress, w[1]),
            kind::WRITE if len >= 3 => Decision {
                remember: true,
                run: [!dup, false, false, false, false, false],
                ..ok(k, 0)
            },
            kind::READ if len == 3 && space_bad => nak(NakCode::BadSpace, w[0]),
            kind::READ if len == 3 && (w[2] == 0 || w[2] > 255) => nak(NakCode::BadCount, w[2]),
            kind::READ if len == 3 && range_bad => nak(NakCode::BadAddress, w[1]),
            kind::READ if len == 3 => Decision {
                run: [false, true, false, false, false, false],
                ..ok(k, w[2] as u8)
            },
            kind::RESET if len == 0 => Decision {
                run: [false, false, true, false, false, false],
                ..ok(k, 0)
            },
            kind::STEP_MAP if len == 0 || len > MAP_WORDS => bad_len,
            kind::STEP | kind::STEP_MAP if dup => Decision {
                run: [false, false, false, false, false, true],
                ..bad_len
            },
            kind::STEP | kind::STEP_MAP if !in_order => nak(NakCode::BadSeq, expected as u16),
            kind::STEP | kind::STEP_MAP => Decision {
                run: [false, false, false, k == kind::STEP, k == kind::STEP_MAP, false],
                ..bad_len
            },
            kind::INFO | kind::WRITE | kind::READ | kind::RESET => bad_len,
            _ => nak(NakCode::UnknownType, 0),
        }
    }

    proptest! {
        /// The decision is the spec's for every type, length, payload and
        /// check result (a STEP's answer comes when its tick ends, so only
        /// its run is compared).
        #[test]
        fn decisions_are_the_specs(
            crc_ok in prop::bool::weighted(0.9), crc: u16,
            k in prop_oneof![1u8..=8, any::<u8>()], len in prop_oneof![0u8..5, 15u8..18, any::<u8>()],
            w0 in prop_oneof![0u16..3, any::<u16>()], w1: u16, w2 in prop_oneof![0u16..3, 250u16..260, any::<u16>()],
            space_bad: bool, range_bad: bool, dup: bool, in_order: bool, expected: u8,
        ) {
            let mut uut = CommandCheck::default();
            uut.connect_all();
            uut.crc_ok.next = crc_ok;
            uut.kind.next = k.to_bits();
            uut.len.next = len.to_bits();
            uut.w2.next = w2.to_bits();
            uut.space_bad.next = space_bad;
            uut.range_bad.next = range_bad;
            uut.duplicate.next = dup;
            uut.in_order.next = in_order;
            uut.map_words.next = (MAP_WORDS as u64).to_bits();
            assert!(simulate(&mut uut, 100));
            let want = spec(crc_ok, crc, k, len, [w0, w1, w2], space_bad, range_bad, dup, in_order, expected);
            let kind_out = uut.answer_kind.val().to_u8();
            let got = Decision {
                answer: (kind_out != kind::NAK).then(|| (kind_out, uut.answer_len.val().to_u8())),
                nak: (kind_out == kind::NAK).then(|| {
                    // The word the host port sends for the detail's source.
                    let detail = match uut.nak_detail.val() {
                        NakDetail::Zero => 0,
                        NakDetail::Length => len as u16,
                        NakDetail::Crc => crc,
                        NakDetail::Space => w0,
                        NakDetail::Address => w1,
                        NakDetail::Count => w2,
                        NakDetail::Sequence => expected as u16,
                        NakDetail::Payload => panic!("no payload word is a command's detail"),
                    };
                    (uut.nak_code.val().to_u16(), detail)
                }),
                remember: uut.remember.val(),
                run: [
                    uut.run_write.val(), uut.run_read.val(), uut.run_reset.val(), uut.run_step.val(),
                    uut.run_step_map.val(), uut.repeat_step.val(),
                ],
            };
            if want.run[3..].contains(&true) {
                prop_assert_eq!((got.remember, got.run), (want.remember, want.run));
            } else {
                prop_assert_eq!(got, want);
                if kind_out == kind::NAK {
                    prop_assert_eq!(uut.answer_len.val().to_u8(), 3);
                }
            }
        }
    }

    #[test]
    fn synthesizes() {
        let mut uut = CommandCheck::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_command_check", &generate_verilog(&uut)).unwrap();
    }
}
