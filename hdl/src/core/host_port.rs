//! `HostPort`: the core's side of the link (`docs/spec.md` §10): frames in
//! ([`FrameRx`]), their checks ([`CommandCheck`], with the
//! [`MemoryMap`](super::memory_map)'s range check registered ahead), the
//! commands run (WRITE and READ one word per clock through the memory map,
//! a STEP by the [`StepPort`], RESET), and frames out ([`FrameTx`], with the
//! payload words of [`Answer`] and, for a STEP's answer, of the
//! [`SpikePacker`]). The twin is the host's `spikefab_proto` (frames, messages
//! and `stream`) with the golden model behind it: `spikefab_sim::Simulator`'s
//! writes, reads, inputs and ticks.
//!
//! None of these clocks is a busy cycle (§7.1): the host port waits while
//! the step port runs a STEP and its tick.

use rust_hdl::prelude::*;

use super::answer::Answer;
use super::command_check::{CommandCheck, NakDetail};
use super::history::History;
use super::host_access::HostAccess;
use super::spike_packer::{SpikeListLink, SpikePacker};
use super::step_port::{StepLink, StepPort};
use crate::frame_rx::FrameRx;
use crate::frame_tx::FrameTx;

#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
enum PortState {
    Idle,
    Head1,
    Head2,
    Head3,
    Validate,
    Check,
    WriteRun,
    WriteLast,
    ReadIssue,
    ReadLatch,
    ReadWait,
    ReadDrain,
    SendStart,
    SendWait,
    TakeFrame,
    Step,
}

/// The host port of a core with `2^NB` neurons, `2^MB` axons, `2^DB` delay
/// slots and `2^SB` synapse words.
#[derive(LogicBlock)]
pub struct HostPort<const NB: usize, const MB: usize, const DB: usize, const SB: usize, const AB: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Command byte in.
    pub in_data: Signal<In, Bits<8>>,
    /// `in_data` holds a byte.
    pub in_valid: Signal<In, Bit>,
    /// The byte is taken on this edge.
    pub in_ready: Signal<Out, Bit>,
    /// Answer or event byte out.
    pub out_data: Signal<Out, Bits<8>>,
    /// `out_data` holds a byte.
    pub out_valid: Signal<Out, Bit>,
    /// The byte is taken on this edge.
    pub out_ready: Signal<In, Bit>,
    /// Nothing to do until a byte arrives.
    pub idle: Signal<Out, Bit>,
    /// A STEP's inputs and tick (the step port's).
    pub step: StepLink,
    /// The spike list a STEP's answer is packed from.
    pub list: SpikeListLink<NB>,
    /// RESET: counters to 0, pending inputs forgotten.
    pub reset: Signal<Out, Bit>,
    /// The payload word read (a WRITE's data).
    pub data: Signal<Out, Bits<16>>,
    /// The memory map: a WRITE's or READ's words, its range, the cells.
    pub access: HostAccess<AB>,
    rx: FrameRx,
    tx: FrameTx,
    answer: Answer<NB, MB, DB, SB>,
    check: CommandCheck,
    history: History,
    step_port: StepPort<NB, MB>,
    packer: SpikePacker<NB>,
    state: DFF<PortState>,
    w0: DFF<Bits<16>>,
    w1: DFF<Bits<16>>,
    w2: DFF<Bits<16>>,
    index: DFF<Bits<16>>,
    host_address: DFF<Bits<AB>>,
    write_valid: DFF<Bit>,
    write_address: DFF<Bits<AB>>,
    read_reg: DFF<Bits<16>>,
    space_bad_q: DFF<Bit>,
    range_bad_q: DFF<Bit>,
    ans_kind: DFF<Bits<8>>,
    ans_len: DFF<Bits<8>>,
    nak_code: DFF<Bits<16>>,
    nak_detail: DFF<NakDetail>,
    step_answer: DFF<Bit>,
    packed_word: Signal<Local, Bit>,
    last_word: Signal<Local, Bit>,
    tx_kind: Signal<Local, Bits<8>>,
    tx_len: Signal<Local, Bits<8>>,
    tx_start: Signal<Local, Bit>,
    tx_word: Signal<Local, Bits<16>>,
    tx_word_valid: Signal<Local, Bit>,
    k_write: Constant<Bits<8>>,
    k_nak: Constant<Bits<8>>,
    nak_input: Constant<Bits<16>>,
    axon_words: Constant<Bits<8>>,
}

impl<const NB: usize, const MB: usize, const DB: usize, const SB: usize, const AB: usize> Default
    for HostPort<NB, MB, DB, SB, AB>
{
    fn default() -> Self {
        use spikefab_proto::message::{kind, NakCode};
        use spikefab_proto::stream::map_words;
        HostPort {
            clock: Default::default(),
            in_data: Default::default(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            out_data: Default::default(),
            out_valid: Default::default(),
            out_ready: Default::default(),
            idle: Default::default(),
            reset: Default::default(),
            data: Default::default(),
            access: Default::default(),
            rx: Default::default(),
            tx: Default::default(),
            answer: Default::default(),
            check: Default::default(),
            history: Default::default(),
            step: Default::default(),
            step_port: Default::default(),
            list: Default::default(),
            packer: Default::default(),
            state: Default::default(),
            w0: Default::default(),
            w1: Default::default(),
            w2: Default::default(),
            index: Default::default(),
            host_address: Default::default(),
            write_valid: Default::default(),
            write_address: Default::default(),
            read_reg: Default::default(),
            space_bad_q: Default::default(),
            range_bad_q: Default::default(),
            ans_kind: Default::default(),
            ans_len: Default::default(),
            nak_code: Default::default(),
            nak_detail: Default::default(),
            step_answer: Default::default(),
            packed_word: Default::default(),
            last_word: Default::default(),
            tx_kind: Default::default(),
            tx_len: Default::default(),
            tx_start: Default::default(),
            tx_word: Default::default(),
            tx_word_valid: Default::default(),
            k_write: Constant::new(kind::WRITE.to_bits()),
            k_nak: Constant::new(kind::NAK.to_bits()),
            nak_input: Constant::new((NakCode::BadInput as u16).to_bits()),
            axon_words: Constant::new((map_words(1 << MB) as u8).to_bits()),
        }
    }
}

impl<const NB: usize, const MB: usize, const DB: usize, const SB: usize, const AB: usize> Logic
    for HostPort<NB, MB, DB, SB, AB>
{
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            state,
            w0,
            w1,
            w2,
            index,
            host_address,
            write_valid,
            write_address,
            read_reg,
            space_bad_q,
            range_bad_q,
            ans_kind,
            ans_len,
            nak_code,
            nak_detail,
            step_answer
        );
        self.rx.clock.next = self.clock.val();
        self.tx.clock.next = self.clock.val();
        self.step_port.clock.next = self.clock.val();
        StepLink::link(&mut self.step, &mut self.step_port.link);
        self.packer.clock.next = self.clock.val();
        SpikeListLink::<NB>::link(&mut self.list, &mut self.packer.list);
        self.rx.in_data.next = self.in_data.val();
        self.rx.in_valid.next = self.in_valid.val();
        self.in_ready.next = self.rx.in_ready.val();
        self.out_data.next = self.tx.out_data.val();
        self.out_valid.next = self.tx.out_valid.val();
        self.tx.out_ready.next = self.out_ready.val();
        self.tx.seq.next = self.rx.seq.val();
        self.rx.take.next = false;
        // The payload word at `index` unless a state reads another: WRITE
        // data, and a NAK's payload detail (a bad axon, a space, address or
        // count) while its answer is sent.
        self.rx.buffer_address.next = bit_cast::<8, 16>(self.index.q.val());

        self.data.next = self.rx.buffer_data.val();
        self.access.space.next = self.w0.q.val();
        self.access.address.next = self.w1.q.val();
        self.access.count.next = self.w2.q.val();
        self.access.len.next = self.rx.len.val();
        self.access.is_write.next = self.rx.kind.val() == self.k_write.val();
        self.access.write.next = self.write_valid.q.val();
        self.access.write_cell.next = self.write_address.q.val();
        // A READ's cell: the first, counted up as each word is taken (after
        // the clock that latched it).
        self.access.read_cell.next = self.host_address.q.val();
        self.last_word.next = self.index.q.val() + 1 == bit_cast::<16, 8>(self.rx.len.val());

        self.check.crc_ok.next = self.rx.crc_ok.val();
        self.check.kind.next = self.rx.kind.val();
        self.check.len.next = self.rx.len.val();
        self.check.w2.next = self.w2.q.val();
        self.check.space_bad.next = self.space_bad_q.q.val();
        self.check.range_bad.next = self.range_bad_q.q.val();
        self.check.duplicate.next = self.history.duplicate.val();
        self.check.in_order.next = self.history.in_order.val();
        self.check.map_words.next = self.axon_words.val();
        // What the frame did: run (a STEP when its tick starts), reset, or
        // succeeded, which a STEP must follow.
        self.history.clock.next = self.clock.val();
        self.history.seq.next = self.rx.seq.val();
        self.history.kind.next = self.rx.kind.val();
        self.history.remember.next = ((self.state.q.val() == PortState::Check) & self.check.remember.val())
            | ((self.state.q.val() == PortState::Step) & self.step_port.remember.val());
        self.history.forget.next = (self.state.q.val() == PortState::Check) & self.check.run_reset.val();
        self.history.answered.next =
            (self.state.q.val() == PortState::TakeFrame) & (self.ans_kind.q.val() != self.k_nak.val());

        // A STEP: run by the step port from `Check` on (it reads the
        // payload while it runs), or its answer sent again.
        self.step_port.start.next =
            (self.state.q.val() == PortState::Check) & (self.check.run_step.val() | self.check.run_step_map.val());
        self.step_port.map.next = self.check.run_step_map.val();
        self.step_port.again.next = (self.state.q.val() == PortState::Check) & self.check.repeat_step.val();
        self.step_port.len.next = self.rx.len.val();
        self.step_port.buffer_data.next = self.rx.buffer_data.val();
        self.step_port.index.next = self.index.q.val();
        self.step_port.last_word.next = self.last_word.val();

        self.answer.kind.next = self.ans_kind.q.val();
        self.answer.word_index.next = self.tx.word_index.val();
        self.answer.command.next = self.rx.kind.val();
        self.answer.tick.next = self.step.tick.val();
        self.answer.cycles.next = self.step.cycles.val();
        self.answer.nak_code.next = self.nak_code.q.val();
        // A NAK's detail, from where the check said (all of them hold
        // still until the frame is taken; a payload word is the one at
        // `index`, which the buffer is read at while the answer is sent:
        // the space, address or count of a WRITE or READ, a STEP's bad axon).
        match self.nak_detail.q.val() {
            NakDetail::Zero => {
                self.answer.nak_detail.next = 0.into();
            }
            NakDetail::Length => {
                self.answer.nak_detail.next = bit_cast::<16, 8>(self.rx.len.val());
            }
            NakDetail::Crc => {
                self.answer.nak_detail.next = self.rx.crc_received.val();
            }
            NakDetail::Sequence => {
                self.answer.nak_detail.next = bit_cast::<16, 8>(self.history.next_seq.val());
            }
            _ => {
                self.answer.nak_detail.next = self.rx.buffer_data.val();
            }
        }
        self.answer.digest.next = self.step_port.digest.val();
        self.tx_kind.next = self.ans_kind.q.val();
        self.tx_len.next = self.ans_len.q.val();
        self.tx_start.next = false;
        self.tx_word.next = self.answer.word.val();
        self.tx_word_valid.next = true;
        // A STEP's answer: its spikes after the five head words.
        self.packed_word.next = self.step_answer.q.val() & (self.tx.word_index.val() >= 5);

        self.write_valid.d.next = false;
        self.reset.next = false;

        match self.state.q.val() {
            PortState::Idle => {
                // Word 0 is out when a frame arrives (`Head1`).
                self.rx.buffer_address.next = 0.into();
                if self.rx.frame_valid.val() {
                    self.state.d.next = PortState::Head1;
                }
            }
            PortState::Head1 => {
                self.rx.buffer_address.next = 1.into();
                self.w0.d.next = self.rx.buffer_data.val();
                self.state.d.next = PortState::Head2;
            }
            PortState::Head2 => {
                self.rx.buffer_address.next = 2.into();
                self.w1.d.next = self.rx.buffer_data.val();
                self.state.d.next = PortState::Head3;
            }
            PortState::Head3 => {
                self.w2.d.next = self.rx.buffer_data.val();
                self.state.d.next = PortState::Validate;
            }
            PortState::Validate => {
                // The range check registered ahead of the decision (timing).
                self.space_bad_q.d.next = self.access.space_bad.val();
                self.range_bad_q.d.next = self.access.range_bad.val();
                self.state.d.next = PortState::Check;
            }
            PortState::Check => {
                // The answer (sent next, then the frame is released), and the
                // command's run.
                self.ans_kind.d.next = self.check.answer_kind.val();
                self.ans_len.d.next = self.check.answer_len.val();
                self.nak_code.d.next = self.check.nak_code.val();
                self.nak_detail.d.next = self.check.nak_detail.val();
                self.state.d.next = PortState::SendStart;
                // The payload word a NAK's detail is (the buffer is read at
                // `index` while the answer is sent).
                self.index.d.next = 0.into();
                if self.check.nak_detail.val() == NakDetail::Address {
                    self.index.d.next = 1.into();
                }
                if self.check.nak_detail.val() == NakDetail::Count {
                    self.index.d.next = 2.into();
                }
                self.host_address.d.next = self.access.first_cell.val();
                self.step_answer.d.next = false;
                if self.check.run_write.val() {
                    self.index.d.next = 2.into();
                    self.write_address.d.next = self.access.first_cell.val();
                    self.state.d.next = PortState::WriteRun;
                }
                if self.check.run_read.val() {
                    self.tx_kind.next = self.check.answer_kind.val();
                    self.tx_len.next = self.check.answer_len.val();
                    self.tx_start.next = true;
                    self.state.d.next = PortState::ReadIssue;
                }
                if self.check.run_reset.val() {
                    self.reset.next = true;
                }
                if self.check.run_step.val() | self.check.run_step_map.val() | self.check.repeat_step.val() {
                    self.state.d.next = PortState::Step;
                }
            }
            PortState::WriteRun => {
                // Payload word `index` is read (the buffer's address by
                // default); it is written on the next clock.
                self.write_valid.d.next = true;
                // The first cell, then one up after each word written.
                if self.write_valid.q.val() {
                    self.write_address.d.next = self.write_address.q.val() + 1;
                }
                self.index.d.next = self.index.q.val() + 1;
                if self.last_word.val() {
                    self.state.d.next = PortState::WriteLast;
                }
            }
            PortState::WriteLast => {
                self.state.d.next = PortState::SendStart;
            }
            PortState::ReadIssue => {
                self.tx_word_valid.next = false;
                self.state.d.next = PortState::ReadLatch;
            }
            PortState::ReadLatch => {
                // The word is registered before the transmitter's CRC sees it.
                self.tx_word_valid.next = false;
                self.read_reg.d.next = self.access.read_word.val();
                self.state.d.next = PortState::ReadWait;
            }
            PortState::ReadWait => {
                self.tx_word.next = self.read_reg.q.val();
                if self.tx.word_taken.val() {
                    self.index.d.next = self.index.q.val() + 1;
                    self.host_address.d.next = self.host_address.q.val() + 1;
                    if self.index.q.val() + 1 == self.w2.q.val() {
                        self.state.d.next = PortState::ReadDrain;
                    } else {
                        self.state.d.next = PortState::ReadIssue;
                    }
                }
            }
            PortState::ReadDrain => {
                self.state.d.next = PortState::SendWait;
            }
            PortState::Step => {
                // The step port runs (moving the payload cursor); it ends
                // with a NAK or the answer.
                self.rx.buffer_address.next = self.step_port.buffer_address.val();
                if self.step_port.next_word.val() {
                    self.index.d.next = self.index.q.val() + 1;
                }
                if self.step_port.first_word.val() {
                    self.index.d.next = 0.into();
                }
                if self.step_port.bad_input.val() {
                    self.ans_kind.d.next = self.k_nak.val();
                    self.ans_len.d.next = 3.into();
                    self.nak_code.d.next = self.nak_input.val();
                    self.nak_detail.d.next = NakDetail::Payload;
                    self.state.d.next = PortState::SendStart;
                }
                if self.step_port.answer.val() {
                    self.step_answer.d.next = true;
                    self.ans_kind.d.next = self.step_port.answer_kind.val();
                    self.ans_len.d.next = self.step_port.answer_len.val();
                    self.state.d.next = PortState::SendStart;
                }
            }
            PortState::SendStart => {
                self.tx_start.next = true;
                self.state.d.next = PortState::SendWait;
            }
            PortState::SendWait => {
                if !self.tx.busy.val() {
                    self.state.d.next = PortState::TakeFrame;
                }
            }
            PortState::TakeFrame => {
                self.rx.take.next = true;
                self.state.d.next = PortState::Idle;
            }
            _ => {
                self.state.d.next = PortState::Idle;
            }
        }

        // Inputs of sub-blocks whose outputs are read combinationally are
        // assigned once, from their final values (see `Core`).
        self.tx.start.next = self.tx_start.val();
        self.tx.kind.next = self.tx_kind.val();
        self.tx.len.next = self.tx_len.val();
        if self.packed_word.val() {
            self.tx_word.next = self.packer.word.val();
            self.tx_word_valid.next = self.packer.valid.val();
        }
        // A STEP's answer: its spikes packed from the spike list as the
        // transmitter asks for them.
        self.packer.start.next = self.step_port.answer.val();
        self.packer.map.next = self.step_port.answer_map.val();
        self.packer.take.next = self.packed_word.val() & self.tx.word_taken.val();
        self.tx.word.next = self.tx_word.val();
        self.tx.word_valid.next = self.tx_word_valid.val();
        self.idle.next = (self.state.q.val() == PortState::Idle)
            & !self.rx.frame_valid.val()
            & !self.tx.busy.val()
            & !self.tx.out_valid.val();
    }
}
