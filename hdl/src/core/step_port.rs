//! `StepPort`: a STEP's run on the core's side (`docs/spec.md` §10.2,
//! §10.4): its inputs checked and put into the source list (a STEP's axon
//! list, or a STEP_MAP's bitmap one bit per clock), its tick started when
//! the pacer says and its spikers' stamps folded into the tick's digest, and
//! the answer's form chosen (the host port's
//! [`SpikePacker`](super::spike_packer::SpikePacker) packs its spikes). The
//! [`HostPort`](super::host_port::HostPort) starts it on a STEP its check
//! runs (or answers again) and sends the answer or the NAK it ends with.
//!
//! The twins are `spikefab_proto::stream` (`SpikeWords`' axons and the
//! shorter answer form, `stamp_digest`) and the golden model's inputs and
//! tick (`spikefab_sim::Simulator`). None of these clocks is a busy cycle
//! (§7.1).

use rust_hdl::prelude::*;

use crate::crc16::Crc16;

#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
enum StepState {
    Idle,
    InputIssue,
    InputTest,
    InputApplyIssue,
    InputApply,
    MapIssue,
    MapLoad,
    MapBit,
    StepRun,
    Ticking,
    TickDone,
    StepAnswer,
}

/// What a STEP needs of the rest of the core: the source list's inputs, the
/// pacer and sequencer's tick, the router's stamps, the counters and the
/// spike list's size. The host port passes it through to its [`StepPort`].
#[derive(LogicInterface, Default)]
pub struct StepLink {
    /// Write a STEP's axon into the source list.
    pub input_write: Signal<Out, Bit>,
    /// Its offset among the STEP's axons.
    pub input_offset: Signal<Out, Bits<16>>,
    /// The axon.
    pub input_data: Signal<Out, Bits<16>>,
    /// The axons written join the pending ones.
    pub input_commit: Signal<Out, Bit>,
    /// The inputs are in: the tick may start (the pacer).
    pub step_ready: Signal<Out, Bit>,
    /// Start it now (the pacer, §10.5).
    pub step_go: Signal<In, Bit>,
    /// Run a tick (the sequencer).
    pub tick_start: Signal<Out, Bit>,
    /// The sequencer's tick ends.
    pub tick_done: Signal<In, Bit>,
    /// The tick counter (a STEP's answer).
    pub tick: Signal<In, Bits<32>>,
    /// The busy-cycle counter's low 32 bits (a STEP's answer).
    pub cycles: Signal<In, Bits<32>>,
    /// The router offers a spiker's stamp.
    pub stamp_valid: Signal<In, Bit>,
    /// The stamp's low 16 bits.
    pub stamp: Signal<In, Bits<16>>,
    /// Neurons in the spike list.
    pub spike_total: Signal<In, Bits<16>>,
}

/// The STEP side of a core with `2^NB` neurons and `2^MB` axons.
#[derive(LogicBlock)]
pub struct StepPort<const NB: usize, const MB: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The rest of the core.
    pub link: StepLink,
    /// Run a STEP (its inputs, then its tick).
    pub start: Signal<In, Bit>,
    /// With `start`: its inputs are a bitmap.
    pub map: Signal<In, Bit>,
    /// Answer the last STEP again (a duplicate).
    pub again: Signal<In, Bit>,
    /// The frame's payload length in words.
    pub len: Signal<In, Bits<8>>,
    /// The payload word read (the clock after its address).
    pub buffer_data: Signal<In, Bits<16>>,
    /// The payload word to read.
    pub buffer_address: Signal<Out, Bits<8>>,
    /// The host port's payload cursor (word 0 when a STEP starts).
    pub index: Signal<In, Bits<16>>,
    /// `index` is the payload's last word.
    pub last_word: Signal<In, Bit>,
    /// Move the cursor to the next word.
    pub next_word: Signal<Out, Bit>,
    /// Move the cursor back to word 0.
    pub first_word: Signal<Out, Bit>,
    /// The axon at `index` is out of range or out of order: the STEP ends
    /// with a NAK whose detail is that word (nothing was put in the list).
    pub bad_input: Signal<Out, Bit>,
    /// The tick starts: the STEP is now the last executed command.
    pub remember: Signal<Out, Bit>,
    /// The answer is ready to send: its type and length.
    pub answer: Signal<Out, Bit>,
    /// The answer's type (list or bitmap form).
    pub answer_kind: Signal<Out, Bits<8>>,
    /// The answer's payload length in words.
    pub answer_len: Signal<Out, Bits<8>>,
    /// The answer's form is the bitmap (with `answer`).
    pub answer_map: Signal<Out, Bit>,
    /// The tick's digest of its spikers' stamps (§10.4).
    pub digest: Signal<Out, Bits<16>>,
    digest_lo: Crc16,
    digest_hi: Crc16,
    state: DFF<StepState>,
    // The STEP's last axon (an axon is below 2^MB).
    input_prev: DFF<Bits<MB>>,
    input_any: DFF<Bit>,
    map_bits: DFF<Bits<16>>,
    map_bit: DFF<Bits<4>>,
    map_word: DFF<Bits<8>>,
    digest_q: DFF<Bits<16>>,
    // The complement of the low 16 bits of the tick's first busy cycle.
    tick_base: DFF<Bits<16>>,
    few: DFF<Bit>,
    list_len: DFF<Bits<8>>,
    axon: Signal<Local, Bits<16>>,
    bad_axon: Signal<Local, Bit>,
    offset: Signal<Local, Bits<16>>,
    axons: Constant<Bits<16>>,
    k_list_answer: Constant<Bits<8>>,
    k_map_answer: Constant<Bits<8>>,
    neuron_words: Constant<Bits<16>>,
    crc_init: Constant<Bits<16>>,
}

impl<const NB: usize, const MB: usize> Default for StepPort<NB, MB> {
    fn default() -> Self {
        use spikefab_proto::message::kind;
        use spikefab_proto::stream::map_words;
        assert!(NB >= 4 && MB >= 4, "STEP's bitmaps need N and M of 16 or more");
        StepPort {
            clock: Default::default(),
            link: Default::default(),
            start: Default::default(),
            map: Default::default(),
            again: Default::default(),
            len: Default::default(),
            buffer_data: Default::default(),
            buffer_address: Default::default(),
            index: Default::default(),
            last_word: Default::default(),
            next_word: Default::default(),
            first_word: Default::default(),
            bad_input: Default::default(),
            remember: Default::default(),
            answer: Default::default(),
            answer_kind: Default::default(),
            answer_len: Default::default(),
            answer_map: Default::default(),
            digest: Default::default(),
            digest_lo: Default::default(),
            digest_hi: Default::default(),
            state: Default::default(),
            input_prev: Default::default(),
            input_any: Default::default(),
            map_bits: Default::default(),
            map_bit: Default::default(),
            map_word: Default::default(),
            digest_q: Default::default(),
            tick_base: Default::default(),
            few: Default::default(),
            list_len: Default::default(),
            axon: Default::default(),
            bad_axon: Default::default(),
            offset: Default::default(),
            axons: Constant::new(((1u32 << MB) as u16).to_bits()),
            k_list_answer: Constant::new((kind::STEP | kind::ANSWER).to_bits()),
            k_map_answer: Constant::new((kind::STEP_MAP | kind::ANSWER).to_bits()),
            neuron_words: Constant::new((map_words(1 << NB) as u16).to_bits()),
            crc_init: Constant::new(spikefab_proto::frame::CRC_INIT.to_bits()),
        }
    }
}

impl<const NB: usize, const MB: usize> Logic for StepPort<NB, MB> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, state, input_prev, input_any, map_bits, map_bit, map_word, digest_q, tick_base, few, list_len
        );
        self.buffer_address.next = bit_cast::<8, 16>(self.index.val());
        self.link.input_offset.next = self.index.val();

        // The axon: the payload word read, or a bitmap's made from its bit.
        self.axon.next = self.buffer_data.val();
        if self.state.q.val() == StepState::MapBit {
            self.axon.next = bit_cast::<16, 8>(self.map_word.q.val()) << 4 | bit_cast::<16, 4>(self.map_bit.q.val());
        }
        self.link.input_data.next = self.axon.val();
        // Each axon in range and above the one before (§10.2).
        // (An axon in range has MB bits, so the order takes MB of them.)
        self.bad_axon.next = (self.axon.val() >= self.axons.val())
            | (self.input_any.q.val() & (bit_cast::<MB, 16>(self.axon.val()) <= self.input_prev.q.val()));

        // The answer's form (§10.4), registered off its path: the spike
        // list is complete long before the tick ends.
        self.few.d.next = self.link.spike_total.val() <= self.neuron_words.val();
        self.list_len.d.next = bit_cast::<8, 16>(self.link.spike_total.val()) + 5;
        self.answer_map.next = !self.few.q.val();
        self.answer_kind.next = self.k_map_answer.val();
        self.answer_len.next = bit_cast::<8, 16>(self.neuron_words.val()) + 5;
        if self.few.q.val() {
            self.answer_kind.next = self.k_list_answer.val();
            self.answer_len.next = self.list_len.q.val();
        }

        // The digest takes each stamp's offset in its tick (spec §10.4), which
        // no RESET or checkpoint restore changes: the stamp plus the tick's
        // first cycle complemented, plus 1 (the complement is taken in front
        // of `tick_base`'s flip-flops, where it costs no logic cell).
        self.digest.next = self.digest_q.q.val();
        self.digest_lo.crc.next = self.digest_q.q.val();
        self.offset.next = self.link.stamp.val() + self.tick_base.q.val() + 1;
        self.digest_lo.data.next = self.offset.val().get_bits::<8>(0);
        self.digest_hi.crc.next = self.digest_lo.crc_next.val();
        self.digest_hi.data.next = self.offset.val().get_bits::<8>(8);

        self.link.step_ready.next = self.state.q.val() == StepState::StepRun;
        self.link.tick_start.next = false;
        self.link.input_write.next = false;
        self.link.input_commit.next = false;
        self.bad_input.next = false;
        self.remember.next = false;
        self.answer.next = false;
        self.next_word.next = false;
        self.first_word.next = false;

        match self.state.q.val() {
            StepState::Idle => {
                if self.start.val() {
                    // One tick, after its inputs are written.
                    self.input_any.d.next = false;
                    self.map_word.d.next = 0.into();
                    self.state.d.next = StepState::InputIssue;
                    if self.map.val() {
                        self.state.d.next = StepState::MapIssue;
                    } else if self.len.val() == 0 {
                        self.state.d.next = StepState::StepRun;
                    }
                }
                if self.again.val() {
                    self.state.d.next = StepState::StepAnswer;
                }
            }
            StepState::InputIssue => {
                self.state.d.next = StepState::InputTest;
            }
            StepState::InputTest => {
                if self.bad_axon.val() {
                    self.bad_input.next = true;
                    self.state.d.next = StepState::Idle;
                } else {
                    self.input_prev.d.next = bit_cast::<MB, 16>(self.buffer_data.val());
                    self.input_any.d.next = true;
                    self.next_word.next = true;
                    if self.last_word.val() {
                        self.first_word.next = true;
                        self.state.d.next = StepState::InputApplyIssue;
                    } else {
                        self.state.d.next = StepState::InputIssue;
                    }
                }
            }
            StepState::InputApplyIssue => {
                self.state.d.next = StepState::InputApply;
            }
            StepState::InputApply => {
                // Every axon checked: into the source list.
                self.link.input_write.next = true;
                self.next_word.next = true;
                if self.last_word.val() {
                    self.link.input_commit.next = true;
                    self.state.d.next = StepState::StepRun;
                } else {
                    self.state.d.next = StepState::InputApplyIssue;
                }
            }
            StepState::MapIssue => {
                self.buffer_address.next = self.map_word.q.val();
                self.state.d.next = StepState::MapLoad;
            }
            StepState::MapLoad => {
                self.map_bits.d.next = self.buffer_data.val();
                self.map_bit.d.next = 0.into();
                self.state.d.next = StepState::MapBit;
            }
            StepState::MapBit => {
                // One bit per clock; a set bit's axon joins the pending ones
                // at once (a bitmap's axons ascend, and its length check
                // keeps them below M: none can fail).
                self.map_bits.d.next = self.map_bits.q.val() >> 1;
                self.map_bit.d.next = self.map_bit.q.val() + 1;
                if self.map_bit.q.val().all() {
                    self.map_word.d.next = self.map_word.q.val() + 1;
                    if self.map_word.q.val() + 1 == self.len.val() {
                        self.state.d.next = StepState::StepRun;
                    } else {
                        self.state.d.next = StepState::MapIssue;
                    }
                }
                if self.map_bits.q.val().get_bit(0) {
                    self.link.input_write.next = true;
                    self.link.input_commit.next = true;
                }
            }
            StepState::StepRun => {
                // The inputs are in; the tick starts when the pacer says.
                if self.link.step_go.val() {
                    self.link.tick_start.next = true;
                    self.tick_base.d.next = !bit_cast::<16, 32>(self.link.cycles.val());
                    self.digest_q.d.next = self.crc_init.val();
                    self.remember.next = true;
                    self.state.d.next = StepState::Ticking;
                }
            }
            StepState::Ticking => {
                // The tick runs; each spiker's stamp into the digest.
                if self.link.stamp_valid.val() {
                    self.digest_q.d.next = self.digest_hi.crc_next.val();
                }
                if self.link.tick_done.val() {
                    self.state.d.next = StepState::TickDone;
                }
            }
            StepState::TickDone => {
                // The spike list's size settles into `few` and `list_len`.
                self.state.d.next = StepState::StepAnswer;
            }
            StepState::StepAnswer => {
                // The answer in the shorter form.
                self.answer.next = true;
                self.state.d.next = StepState::Idle;
            }
            _ => {
                self.state.d.next = StepState::Idle;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthesizes() {
        let mut uut = StepPort::<5, 5>::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_step_port", &generate_verilog(&uut)).unwrap();
    }
}
