//! `HostPort`: the core's side of the link (`docs/spec.md` §10): frames in
//! ([`FrameRx`]), their checks ([`CommandCheck`], with the
//! [`MemoryMap`](super::memory_map)'s range check registered ahead), the
//! commands run (WRITE and READ one word per clock through the memory map,
//! a STEP's inputs into the source list and its tick by the sequencer,
//! RESET), and frames out ([`FrameTx`], with the payload words of [`Answer`]
//! and, for a STEP's answer, of the [`SpikePacker`]). The twin is the host's
//! `spikefab_proto` (frames, messages and `stream`) with the golden model
//! behind it: `spikefab_sim::Simulator`'s writes, reads, inputs and ticks.
//!
//! None of these clocks is a busy cycle (§7.1): the host port waits while
//! the tick runs (`Ticking`), folding each spiker's stamp into the tick's
//! digest in the clock the router offers it (§10.4).

use rust_hdl::prelude::*;

use super::answer::Answer;
use super::command_check::{CommandCheck, NakDetail};
use super::spike_packer::SpikePacker;
use crate::crc16::Crc16;
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
    InputIssue,
    InputTest,
    InputApplyIssue,
    InputApply,
    SendStart,
    SendWait,
    TakeFrame,
    Ticking,
    TickDone,
    MapIssue,
    MapLoad,
    MapBit,
    StepRun,
    StepAnswer,
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
    /// The tick counter (a STEP's answer).
    pub tick: Signal<In, Bits<32>>,
    /// The busy-cycle counter's low 32 bits (a STEP's answer).
    pub cycles: Signal<In, Bits<32>>,
    /// The router offers a spiker's stamp.
    pub stamp_valid: Signal<In, Bit>,
    /// The stamp's low 16 bits.
    pub stamp: Signal<In, Bits<16>>,
    /// A STEP's inputs are in: its tick may start (the pacer).
    pub step_ready: Signal<Out, Bit>,
    /// Start it now (the pacer, §10.5).
    pub step_go: Signal<In, Bit>,
    /// Run a tick (the sequencer).
    pub tick_start: Signal<Out, Bit>,
    /// The sequencer's tick ends.
    pub tick_done: Signal<In, Bit>,
    /// RESET: counters to 0, pending inputs forgotten.
    pub reset: Signal<Out, Bit>,
    /// Write a STEP's axon into the source list.
    pub input_write: Signal<Out, Bit>,
    /// Its offset among the STEP's axons.
    pub input_offset: Signal<Out, Bits<16>>,
    /// The axons written join the pending ones.
    pub input_commit: Signal<Out, Bit>,
    /// The payload word read (WRITE data, STEP axons).
    pub data: Signal<Out, Bits<16>>,
    /// The command's space (payload word 0).
    pub space: Signal<Out, Bits<16>>,
    /// Its address (word 1).
    pub address: Signal<Out, Bits<16>>,
    /// A READ's count (word 2).
    pub count: Signal<Out, Bits<16>>,
    /// The frame's payload length in words.
    pub len: Signal<Out, Bits<8>>,
    /// The frame is a WRITE.
    pub is_write: Signal<Out, Bit>,
    /// The memory map: the command's first address (`AB` bits).
    pub first_cell: Signal<In, Bits<AB>>,
    /// The memory map: no such space.
    pub space_bad: Signal<In, Bit>,
    /// The memory map: the range passes the space's end.
    pub range_bad: Signal<In, Bit>,
    /// Write `data` at `write_cell` of `space`.
    pub write: Signal<Out, Bit>,
    /// The cell written.
    pub write_cell: Signal<Out, Bits<AB>>,
    /// The cell a READ reads: the memories are addressed with it, and its
    /// word is chosen by it the clock after (it holds from `ReadIssue`
    /// through `ReadLatch`, where the word is taken).
    pub read_cell: Signal<Out, Bits<AB>>,
    /// That word (from the memory map).
    pub read_word: Signal<In, Bits<16>>,
    /// Neurons in the spike list (a STEP's answer).
    pub spike_total: Signal<In, Bits<16>>,
    /// The spike list's current neuron.
    pub list_neuron: Signal<In, Bits<NB>>,
    /// A spiker is left in the spike list.
    pub list_more_spikes: Signal<In, Bit>,
    /// The spike list's walk back to its start.
    pub list_rewind_spikes: Signal<Out, Bit>,
    /// Move past the current spiker.
    pub list_advance_spike: Signal<Out, Bit>,
    rx: FrameRx,
    tx: FrameTx,
    answer: Answer<NB, MB, DB, SB>,
    check: CommandCheck,
    packer: SpikePacker<NB>,
    digest_lo: Crc16,
    digest_hi: Crc16,
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
    last_valid: DFF<Bit>,
    last_seq: DFF<Bits<8>>,
    last_kind: DFF<Bits<8>>,
    ans_kind: DFF<Bits<8>>,
    ans_len: DFF<Bits<8>>,
    nak_code: DFF<Bits<16>>,
    nak_detail: DFF<NakDetail>,
    // The STEP's last axon (an axon is below 2^MB).
    input_prev: DFF<Bits<MB>>,
    input_any: DFF<Bit>,
    order_valid: DFF<Bit>,
    order_seq: DFF<Bits<8>>,
    step_answer: DFF<Bit>,
    digest: DFF<Bits<16>>,
    // The complement of the low 16 bits of the tick's first busy cycle.
    tick_base: DFF<Bits<16>>,
    map_bits: DFF<Bits<16>>,
    map_bit: DFF<Bits<4>>,
    map_word: DFF<Bits<8>>,
    candidate: Signal<Local, Bits<16>>,
    offset: Signal<Local, Bits<16>>,
    next_seq: Signal<Local, Bits<8>>,
    bad_axon: Signal<Local, Bit>,
    few: DFF<Bit>,
    list_len: DFF<Bits<8>>,
    packed_word: Signal<Local, Bit>,
    pack_start: Signal<Local, Bit>,
    pack_map: Signal<Local, Bit>,
    last_word: Signal<Local, Bit>,
    tx_kind: Signal<Local, Bits<8>>,
    tx_len: Signal<Local, Bits<8>>,
    tx_start: Signal<Local, Bit>,
    tx_word: Signal<Local, Bits<16>>,
    tx_word_valid: Signal<Local, Bit>,
    k_write: Constant<Bits<8>>,
    k_nak: Constant<Bits<8>>,
    k_reset: Constant<Bits<8>>,
    nak_input: Constant<Bits<16>>,
    axons: Constant<Bits<16>>,
    k_list_answer: Constant<Bits<8>>,
    k_map_answer: Constant<Bits<8>>,
    axon_words: Constant<Bits<8>>,
    neuron_words: Constant<Bits<16>>,
    crc_init: Constant<Bits<16>>,
}

impl<const NB: usize, const MB: usize, const DB: usize, const SB: usize, const AB: usize> Default
    for HostPort<NB, MB, DB, SB, AB>
{
    fn default() -> Self {
        use spikefab_proto::message::{kind, NakCode};
        use spikefab_proto::stream::map_words;
        assert!(NB >= 4 && MB >= 4, "STEP's bitmaps need N and M of 16 or more");
        HostPort {
            clock: Default::default(),
            in_data: Default::default(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            out_data: Default::default(),
            out_valid: Default::default(),
            out_ready: Default::default(),
            idle: Default::default(),
            tick: Default::default(),
            cycles: Default::default(),
            stamp_valid: Default::default(),
            stamp: Default::default(),
            step_ready: Default::default(),
            step_go: Default::default(),
            tick_start: Default::default(),
            tick_done: Default::default(),
            reset: Default::default(),
            input_write: Default::default(),
            input_offset: Default::default(),
            input_commit: Default::default(),
            data: Default::default(),
            space: Default::default(),
            address: Default::default(),
            count: Default::default(),
            len: Default::default(),
            is_write: Default::default(),
            first_cell: Default::default(),
            space_bad: Default::default(),
            range_bad: Default::default(),
            write: Default::default(),
            write_cell: Default::default(),
            read_cell: Default::default(),
            read_word: Default::default(),
            spike_total: Default::default(),
            list_neuron: Default::default(),
            list_more_spikes: Default::default(),
            list_rewind_spikes: Default::default(),
            list_advance_spike: Default::default(),
            rx: Default::default(),
            tx: Default::default(),
            answer: Default::default(),
            check: Default::default(),
            packer: Default::default(),
            digest_lo: Default::default(),
            digest_hi: Default::default(),
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
            last_valid: Default::default(),
            last_seq: Default::default(),
            last_kind: Default::default(),
            ans_kind: Default::default(),
            ans_len: Default::default(),
            nak_code: Default::default(),
            nak_detail: Default::default(),
            input_prev: Default::default(),
            input_any: Default::default(),
            order_valid: Default::default(),
            order_seq: Default::default(),
            step_answer: Default::default(),
            digest: Default::default(),
            tick_base: Default::default(),
            map_bits: Default::default(),
            map_bit: Default::default(),
            map_word: Default::default(),
            candidate: Default::default(),
            offset: Default::default(),
            next_seq: Default::default(),
            bad_axon: Default::default(),
            few: Default::default(),
            list_len: Default::default(),
            packed_word: Default::default(),
            pack_start: Default::default(),
            pack_map: Default::default(),
            last_word: Default::default(),
            tx_kind: Default::default(),
            tx_len: Default::default(),
            tx_start: Default::default(),
            tx_word: Default::default(),
            tx_word_valid: Default::default(),
            k_write: Constant::new(kind::WRITE.to_bits()),
            k_nak: Constant::new(kind::NAK.to_bits()),
            k_reset: Constant::new(kind::RESET.to_bits()),
            nak_input: Constant::new((NakCode::BadInput as u16).to_bits()),
            axons: Constant::new(((1u32 << MB) as u16).to_bits()),
            k_list_answer: Constant::new((kind::STEP | kind::ANSWER).to_bits()),
            k_map_answer: Constant::new((kind::STEP_MAP | kind::ANSWER).to_bits()),
            axon_words: Constant::new((map_words(1 << MB) as u8).to_bits()),
            neuron_words: Constant::new((map_words(1 << NB) as u16).to_bits()),
            crc_init: Constant::new(spikefab_proto::frame::CRC_INIT.to_bits()),
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
            last_valid,
            last_seq,
            last_kind,
            ans_kind,
            ans_len,
            nak_code,
            nak_detail,
            input_prev,
            input_any,
            order_valid,
            order_seq,
            step_answer,
            digest,
            tick_base,
            few,
            list_len,
            map_bits,
            map_bit,
            map_word
        );
        self.rx.clock.next = self.clock.val();
        self.tx.clock.next = self.clock.val();
        self.rx.in_data.next = self.in_data.val();
        self.rx.in_valid.next = self.in_valid.val();
        self.in_ready.next = self.rx.in_ready.val();
        self.out_data.next = self.tx.out_data.val();
        self.out_valid.next = self.tx.out_valid.val();
        self.tx.out_ready.next = self.out_ready.val();
        self.tx.seq.next = self.rx.seq.val();
        self.rx.take.next = false;
        // The payload word at `index` unless a state reads another: WRITE
        // data, a STEP's axons, and a NAK's payload detail (a bad axon, a
        // space, address or count) while its answer is sent.
        self.rx.buffer_address.next = bit_cast::<8, 16>(self.index.q.val());

        // What the rest of the core sees of the command: WRITE data, and the
        // axon of a STEP (a bitmap's is made from its bit).
        self.candidate.next = self.rx.buffer_data.val();
        if self.state.q.val() == PortState::MapBit {
            self.candidate.next =
                bit_cast::<16, 8>(self.map_word.q.val()) << 4 | bit_cast::<16, 4>(self.map_bit.q.val());
        }
        self.data.next = self.candidate.val();
        // Each axon in range and above the one before (§10.2).
        // (An axon in range has MB bits, so the order takes MB of them.)
        self.bad_axon.next = (self.candidate.val() >= self.axons.val())
            | (self.input_any.q.val() & (bit_cast::<MB, 16>(self.candidate.val()) <= self.input_prev.q.val()));
        self.space.next = self.w0.q.val();
        self.address.next = self.w1.q.val();
        self.count.next = self.w2.q.val();
        self.len.next = self.rx.len.val();
        self.is_write.next = self.rx.kind.val() == self.k_write.val();
        self.write.next = self.write_valid.q.val();
        self.write_cell.next = self.write_address.q.val();
        // A READ's cell: the first, counted up as each word is taken (after
        // the clock that latched it).
        self.read_cell.next = self.host_address.q.val();
        self.input_offset.next = self.index.q.val();
        self.last_word.next = self.index.q.val() + 1 == bit_cast::<16, 8>(self.rx.len.val());

        self.check.crc_ok.next = self.rx.crc_ok.val();
        self.check.kind.next = self.rx.kind.val();
        self.check.len.next = self.rx.len.val();
        self.check.w2.next = self.w2.q.val();
        self.check.space_bad.next = self.space_bad_q.q.val();
        self.check.range_bad.next = self.range_bad_q.q.val();
        self.check.duplicate.next = self.last_valid.q.val()
            & (self.last_seq.q.val() == self.rx.seq.val())
            & (self.last_kind.q.val() == self.rx.kind.val());
        // Eight bits, so that 255 is followed by 0 (a comparison with the sum
        // itself would be 32 bits wide in the Verilog).
        self.next_seq.next = self.order_seq.q.val() + 1;
        self.check.in_order.next = !self.order_valid.q.val() | (self.next_seq.val() == self.rx.seq.val());
        self.check.map_words.next = self.axon_words.val();

        self.answer.kind.next = self.ans_kind.q.val();
        self.answer.word_index.next = self.tx.word_index.val();
        self.answer.command.next = self.rx.kind.val();
        self.answer.tick.next = self.tick.val();
        self.answer.cycles.next = self.cycles.val();
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
                self.answer.nak_detail.next = bit_cast::<16, 8>(self.next_seq.val());
            }
            _ => {
                self.answer.nak_detail.next = self.rx.buffer_data.val();
            }
        }
        self.answer.digest.next = self.digest.q.val();
        self.tx_kind.next = self.ans_kind.q.val();
        self.tx_len.next = self.ans_len.q.val();
        self.tx_start.next = false;
        self.tx_word.next = self.answer.word.val();
        self.tx_word_valid.next = true;
        // A STEP's answer: its spikes after the five head words.
        self.packed_word.next = self.step_answer.q.val() & (self.tx.word_index.val() >= 5);
        self.packer.clock.next = self.clock.val();
        self.packer.neuron.next = self.list_neuron.val();
        self.packer.more.next = self.list_more_spikes.val();
        self.pack_start.next = false;
        self.pack_map.next = false;
        // Registered off the answer's path: the spike list is complete long
        // before the tick ends.
        self.few.d.next = self.spike_total.val() <= self.neuron_words.val();
        self.list_len.d.next = bit_cast::<8, 16>(self.spike_total.val()) + 5;
        self.digest_lo.crc.next = self.digest.q.val();
        // The digest takes each stamp's offset in its tick (spec §10.4), which
        // no RESET or checkpoint restore changes: the stamp plus the tick's
        // first cycle complemented, plus 1 (the complement is taken in front
        // of `tick_base`'s flip-flops, where it costs no logic cell).
        self.offset.next = self.stamp.val() + self.tick_base.q.val() + 1;
        self.digest_lo.data.next = self.offset.val().get_bits::<8>(0);
        self.digest_hi.crc.next = self.digest_lo.crc_next.val();
        self.digest_hi.data.next = self.offset.val().get_bits::<8>(8);

        self.write_valid.d.next = false;
        self.tick_start.next = false;
        self.step_ready.next = self.state.q.val() == PortState::StepRun;
        self.reset.next = false;
        self.input_write.next = false;
        self.input_commit.next = false;

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
                self.space_bad_q.d.next = self.space_bad.val();
                self.range_bad_q.d.next = self.range_bad.val();
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
                self.host_address.d.next = self.first_cell.val();
                self.step_answer.d.next = false;
                if self.check.remember.val() {
                    self.last_valid.d.next = true;
                    self.last_seq.d.next = self.rx.seq.val();
                    self.last_kind.d.next = self.rx.kind.val();
                }
                if self.check.run_write.val() {
                    self.index.d.next = 2.into();
                    self.write_address.d.next = self.first_cell.val();
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
                    self.last_valid.d.next = false;
                }
                if self.check.run_step.val() | self.check.run_step_map.val() {
                    // One tick, after its inputs are written.
                    self.input_any.d.next = false;
                    self.map_word.d.next = 0.into();
                    self.state.d.next = PortState::InputIssue;
                    if self.check.run_step_map.val() {
                        self.state.d.next = PortState::MapIssue;
                    } else if self.rx.len.val() == 0 {
                        self.state.d.next = PortState::StepRun;
                    }
                }
                if self.check.repeat_step.val() {
                    self.state.d.next = PortState::StepAnswer;
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
                self.read_reg.d.next = self.read_word.val();
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
            PortState::InputIssue => {
                self.state.d.next = PortState::InputTest;
            }
            PortState::InputTest => {
                if self.bad_axon.val() {
                    self.ans_kind.d.next = self.k_nak.val();
                    self.ans_len.d.next = 3.into();
                    self.nak_code.d.next = self.nak_input.val();
                    self.nak_detail.d.next = NakDetail::Payload;
                    self.state.d.next = PortState::SendStart;
                } else {
                    self.input_prev.d.next = bit_cast::<MB, 16>(self.rx.buffer_data.val());
                    self.input_any.d.next = true;
                    self.index.d.next = self.index.q.val() + 1;
                    if self.last_word.val() {
                        self.index.d.next = 0.into();
                        self.state.d.next = PortState::InputApplyIssue;
                    } else {
                        self.state.d.next = PortState::InputIssue;
                    }
                }
            }
            PortState::InputApplyIssue => {
                self.state.d.next = PortState::InputApply;
            }
            PortState::InputApply => {
                // Every axon checked: into the source list.
                self.input_write.next = true;
                self.index.d.next = self.index.q.val() + 1;
                if self.last_word.val() {
                    self.input_commit.next = true;
                    self.state.d.next = PortState::StepRun;
                } else {
                    self.state.d.next = PortState::InputApplyIssue;
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
                // A STEP must follow the last command answered with success.
                if self.ans_kind.q.val() != self.k_nak.val() {
                    self.order_valid.d.next = self.rx.kind.val() != self.k_reset.val();
                    self.order_seq.d.next = self.rx.seq.val();
                }
                self.rx.take.next = true;
                self.state.d.next = PortState::Idle;
            }
            PortState::MapIssue => {
                self.rx.buffer_address.next = self.map_word.q.val();
                self.state.d.next = PortState::MapLoad;
            }
            PortState::MapLoad => {
                self.map_bits.d.next = self.rx.buffer_data.val();
                self.map_bit.d.next = 0.into();
                self.state.d.next = PortState::MapBit;
            }
            PortState::MapBit => {
                // One bit per clock; a set bit's axon joins the pending ones
                // at once (a bitmap's axons ascend, and its length check
                // keeps them below M: none can fail).
                self.map_bits.d.next = self.map_bits.q.val() >> 1;
                self.map_bit.d.next = self.map_bit.q.val() + 1;
                if self.map_bit.q.val().all() {
                    self.map_word.d.next = self.map_word.q.val() + 1;
                    if self.map_word.q.val() + 1 == self.rx.len.val() {
                        self.state.d.next = PortState::StepRun;
                    } else {
                        self.state.d.next = PortState::MapIssue;
                    }
                }
                if self.map_bits.q.val().get_bit(0) {
                    self.input_write.next = true;
                    self.input_commit.next = true;
                }
            }
            PortState::StepRun => {
                // The inputs are in; the tick starts when the pacer says.
                if self.step_go.val() {
                    self.tick_start.next = true;
                    self.tick_base.d.next = !bit_cast::<16, 32>(self.cycles.val());
                    self.digest.d.next = self.crc_init.val();
                    self.last_valid.d.next = true;
                    self.last_seq.d.next = self.rx.seq.val();
                    self.last_kind.d.next = self.rx.kind.val();
                    self.state.d.next = PortState::Ticking;
                }
            }
            PortState::StepAnswer => {
                // The answer in the shorter form (§10.4), its spikes packed
                // from the spike list as the transmitter asks for them.
                self.pack_start.next = true;
                self.pack_map.next = !self.few.q.val();
                self.step_answer.d.next = true;
                self.ans_kind.d.next = self.k_map_answer.val();
                self.ans_len.d.next = bit_cast::<8, 16>(self.neuron_words.val()) + 5;
                if self.few.q.val() {
                    self.ans_kind.d.next = self.k_list_answer.val();
                    self.ans_len.d.next = self.list_len.q.val();
                }
                self.state.d.next = PortState::SendStart;
            }
            PortState::Ticking => {
                // The tick runs; each spiker's stamp into the digest.
                if self.stamp_valid.val() {
                    self.digest.d.next = self.digest_hi.crc_next.val();
                }
                if self.tick_done.val() {
                    self.state.d.next = PortState::TickDone;
                }
            }
            PortState::TickDone => {
                // The spike list's size settles into `few` and `list_len`.
                self.state.d.next = PortState::StepAnswer;
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
        self.packer.start.next = self.pack_start.val();
        self.packer.map.next = self.pack_map.val();
        self.packer.take.next = self.packed_word.val() & self.tx.word_taken.val();
        self.list_rewind_spikes.next = self.packer.rewind.val();
        self.list_advance_spike.next = self.packer.advance.val();
        self.tx.word.next = self.tx_word.val();
        self.tx.word_valid.next = self.tx_word_valid.val();
        self.idle.next = (self.state.q.val() == PortState::Idle)
            & !self.rx.frame_valid.val()
            & !self.tx.busy.val()
            & !self.tx.out_valid.val();
    }
}
