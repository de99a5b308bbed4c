//! `Core`: the Spikefab core (`docs/spec.md` §6-§8, §10), a byte stream of
//! commands in and a byte stream of answers and events out.
//!
//! Parameterised by address widths: `NB` = log2 N, `MB` = log2 M, `DB` =
//! log2 D, `SB` = log2 of the synapse-memory words, and two derived widths
//! Rust cannot compute in a type: `SRCB` = log2 (M + N) (source indices) and
//! `RB` = `NB + DB` (ring cells). [`crate::cores`] names the configurations
//! of §8.1 (`spikefab_chip`'s registry) as types of this block.
//!
//! One state machine runs both the commands and the tick. Every state of the
//! tick is one busy cycle (§7) except those that send a SPIKE frame, so the
//! cost table of §7.2 is the count of states each piece of work passes
//! through; the memories are the tables of §8.2, each read one clock after
//! its address.

use rust_hdl::prelude::*;
use spikefab_proto::message::{kind, NakCode, Space, VERSION};

use crate::control::ControlRegisters;
use crate::delay_ring::DelayRing;
use crate::frame_rx::FrameRx;
use crate::frame_tx::FrameTx;
use crate::lfsr::Lfsr;
use crate::memory::{Bram, SinglePortRam};
use crate::neuron_memory::NeuronMemory;
use crate::neuron_update::{NeuronUpdate, NEURON_LATENCY};
use crate::trace_update::TraceUpdate;
use crate::weight_update::WeightUpdate;

#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
enum CoreState {
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
    TickStart0,
    TickStart1,
    NeuronIssue,
    NeuronDrain,
    RouteNext,
    RouteSource,
    RouteHead,
    RouteRunHeader,
    RouteSynapse,
    DepressData,
    DepressCompute,
    DepressWrite,
    DepressFetch,
    PotNeuron,
    PotSpike,
    PotFanin,
    PotHeader,
    PotEntry,
    PotAddress,
    PotSource,
    PotCompute,
    PotWrite,
    TraceDecay,
    TraceDrain,
    BumpList,
    BumpSource,
    BumpWrite,
    TickEnd0,
    TickEnd1,
    TickDone,
}

/// The Spikefab core. See the module documentation.
#[derive(LogicBlock)]
pub struct Core<const NB: usize, const MB: usize, const DB: usize, const SB: usize, const SRCB: usize, const RB: usize>
{
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Command byte in.
    pub in_data: Signal<In, Bits<8>>,
    /// `in_data` holds a byte.
    pub in_valid: Signal<In, Bit>,
    /// The core takes the byte on this edge.
    pub in_ready: Signal<Out, Bit>,
    /// Answer or event byte out.
    pub out_data: Signal<Out, Bits<8>>,
    /// `out_data` holds a byte.
    pub out_valid: Signal<Out, Bit>,
    /// The byte is taken on this edge.
    pub out_ready: Signal<In, Bit>,
    /// The core is executing a tick (the busy counter advances).
    pub busy: Signal<Out, Bit>,
    /// Nothing to do until a byte arrives: no command or tick in progress,
    /// no frame received and waiting, nothing being sent. Stepping an idle
    /// core with no input changes nothing; simulators skip those clocks.
    pub idle: Signal<Out, Bit>,
    rx: FrameRx,
    tx: FrameTx,
    // Memories (§8.2).
    neurons: NeuronMemory<NB>,
    ring: DelayRing<RB>,
    m_source: Bram<SRCB>,
    m_fanin: Bram<NB>,
    m_xpre: Bram<SRCB>,
    m_inputs: Bram<MB>,
    m_spikes: Bram<NB>,
    m_syn: SinglePortRam<SB>,
    // Datapath.
    neuron: NeuronUpdate,
    weight: WeightUpdate,
    trace_pre: TraceUpdate,
    trace_post: TraceUpdate,
    lfsr: Lfsr,
    // Control registers (§8.2).
    control: ControlRegisters,
    tick: DFF<Bits<32>>,
    cycles: DFF<Bits<64>>,
    // Command state.
    state: DFF<CoreState>,
    after_send: DFF<CoreState>,
    w0: DFF<Bits<16>>,
    w1: DFF<Bits<16>>,
    w2: DFF<Bits<16>>,
    index: DFF<Bits<16>>,
    host_address: DFF<Bits<16>>,
    write_valid: DFF<Bit>,
    write_address: DFF<Bits<16>>,
    last_valid: DFF<Bit>,
    last_seq: DFF<Bits<8>>,
    last_kind: DFF<Bits<8>>,
    last_spikes: DFF<Bits<32>>,
    repeated: DFF<Bit>,
    ans_kind: DFF<Bits<8>>,
    ans_len: DFF<Bits<8>>,
    nak_code: DFF<Bits<16>>,
    nak_detail: DFF<Bits<16>>,
    stamp: DFF<Bits<64>>,
    ctrl_read: Signal<Local, Bits<16>>,
    /// `read_cell` one clock later: a READ's word is chosen by the cell
    /// whose memories were addressed the clock before, without the address
    /// adder in front of the choice (the core's longest path otherwise).
    read_cell_q: DFF<Bits<16>>,
    read_reg: DFF<Bits<16>>,
    space_bad: DFF<Bit>,
    range_bad: DFF<Bit>,
    pending: DFF<Bits<16>>,
    last_axon: DFF<Bits<16>>,
    input_prev: DFF<Bits<16>>,
    input_any: DFF<Bit>,
    // Tick state.
    ticks_left: DFF<Bits<16>>,
    spikes_sent: DFF<Bits<32>>,
    slot: DFF<Bits<DB>>,
    counter: DFF<Bits<16>>,
    issue_valid: DFF<Bit>,
    idx1: DFF<Bits<NB>>,
    idx2: DFF<Bits<NB>>,
    idx3: DFF<Bits<NB>>,
    idx4: DFF<Bits<NB>>,
    spike_count: DFF<Bits<16>>,
    input_index: DFF<Bits<16>>,
    spike_index: DFF<Bits<16>>,
    is_neuron: DFF<Bit>,
    source: DFF<Bits<SRCB>>,
    spiker: DFF<Bits<NB>>,
    pointer: DFF<Bits<16>>,
    run_delay: DFF<Bits<4>>,
    run_wexp: DFF<Bits<3>>,
    run_plastic: DFF<Bit>,
    run_last: DFF<Bit>,
    remaining: DFF<Bits<16>>,
    syn_target: DFF<Bits<8>>,
    syn_weight: DFF<Bits<8>>,
    syn_address: DFF<Bits<16>>,
    trace_valid: DFF<Bit>,
    trace_source: DFF<Bits<SRCB>>,
    wb_valid: DFF<Bit>,
    wb_source: DFF<Bits<SRCB>>,
    wb_pre: DFF<Bits<8>>,
    wb_post: DFF<Bits<8>>,
    // Combinational helpers.
    frame_kind: Signal<Local, Bits<8>>,
    space_words: Signal<Local, Bits<17>>,
    range_end: Signal<Local, Bits<17>>,
    duplicate: Signal<Local, Bit>,
    counted: Signal<Local, Bit>,
    spikes_now: Signal<Local, Bits<16>>,
    more_sources: Signal<Local, Bit>,
    /// A source's routing ends this clock (the next step is decided once, after the states).
    source_done: Signal<Local, Bit>,
    /// A spiker's potentiation ends this clock.
    fanin_done: Signal<Local, Bit>,
    more_spikers: Signal<Local, Bit>,
    list_word: Signal<Local, Bits<16>>,
    contribution: Signal<Local, Bits<16>>,
    weight_wide: Signal<Local, Bits<16>>,
    target_slot: Signal<Local, Bits<DB>>,
    host_write: Signal<Local, Bit>,
    host_space: Signal<Local, Bits<16>>,
    host_field: Signal<Local, Bits<16>>,
    host_cell: Signal<Local, Bits<16>>,
    read_cell: Signal<Local, Bits<16>>,
    read_field: Signal<Local, Bits<16>>,
    read_word: Signal<Local, Bits<16>>,
    neuron_address: Signal<Local, Bits<NB>>,
    trace_neuron: Signal<Local, Bit>,
    is_spike: Signal<Local, Bit>,
    lfsr_step: Signal<Local, Bit>,
    lfsr_load: Signal<Local, Bit>,
    tx_word: Signal<Local, Bits<16>>,
    tx_word_valid: Signal<Local, Bit>,
    tx_start: Signal<Local, Bit>,
    tx_kind: Signal<Local, Bits<8>>,
    tx_len: Signal<Local, Bits<8>>,
    w_x: Signal<Local, Bits<8>>,
    w_gain: Signal<Local, Bits<8>>,
    w_potentiate: Signal<Local, Bit>,
    pre_decay: Signal<Local, Bit>,
    pre_spiked: Signal<Local, Bit>,
    post_decay: Signal<Local, Bit>,
    post_spiked: Signal<Local, Bit>,
    is_nak: Signal<Local, Bit>,
    is_info: Signal<Local, Bit>,
    // Constants.
    k_info: Constant<Bits<8>>,
    k_write: Constant<Bits<8>>,
    k_read: Constant<Bits<8>>,
    k_input: Constant<Bits<8>>,
    k_tick: Constant<Bits<8>>,
    k_reset: Constant<Bits<8>>,
    k_answer: Constant<Bits<8>>,
    k_spike: Constant<Bits<8>>,
    k_nak: Constant<Bits<8>>,
    nak_crc: Constant<Bits<16>>,
    nak_type: Constant<Bits<16>>,
    nak_length: Constant<Bits<16>>,
    nak_space: Constant<Bits<16>>,
    nak_address: Constant<Bits<16>>,
    nak_input: Constant<Bits<16>>,
    nak_count: Constant<Bits<16>>,
    info0: Constant<Bits<16>>,
    info1: Constant<Bits<16>>,
    info2: Constant<Bits<16>>,
    info3: Constant<Bits<16>>,
    info4: Constant<Bits<16>>,
    words_ctrl: Constant<Bits<17>>,
    words_neuron: Constant<Bits<17>>,
    words_ring: Constant<Bits<17>>,
    words_source: Constant<Bits<17>>,
    words_fanin: Constant<Bits<17>>,
    words_syn: Constant<Bits<17>>,
    axons: Constant<Bits<16>>,
    axon_base: Constant<Bits<SRCB>>,
    last_neuron: Constant<Bits<NB>>,
    last_source: Constant<Bits<SRCB>>,
    drain_last: Constant<Bits<16>>,
    sign_ext: Constant<Bits<16>>,
    neuron_shift: Constant<Bits<8>>,
}

impl<const NB: usize, const MB: usize, const DB: usize, const SB: usize, const SRCB: usize, const RB: usize> Default
    for Core<NB, MB, DB, SB, SRCB, RB>
{
    fn default() -> Self {
        assert!(RB == NB + DB, "RB must be NB + DB");
        assert!(NB <= 8 && MB <= 8 && DB <= 4 && SB <= 16, "core v1 limits (spec §8.1)");
        assert!((1usize << SRCB) >= (1 << NB) + (1 << MB) && (1usize << (SRCB - 1)) < (1 << NB) + (1 << MB));
        let (n, m, d, s) = (1u32 << NB, 1u32 << MB, 1u32 << DB, 1u32 << SB);
        Core {
            clock: Default::default(),
            in_data: Default::default(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            out_data: Default::default(),
            out_valid: Default::default(),
            out_ready: Default::default(),
            busy: Default::default(),
            idle: Default::default(),
            rx: Default::default(),
            tx: Default::default(),
            neurons: Default::default(),
            ring: Default::default(),
            m_source: Default::default(),
            m_fanin: Default::default(),
            m_xpre: Default::default(),
            m_inputs: Default::default(),
            m_spikes: Default::default(),
            m_syn: Default::default(),
            neuron: Default::default(),
            weight: Default::default(),
            trace_pre: Default::default(),
            trace_post: Default::default(),
            lfsr: Default::default(),
            control: Default::default(),
            tick: Default::default(),
            cycles: Default::default(),
            state: Default::default(),
            after_send: Default::default(),
            w0: Default::default(),
            w1: Default::default(),
            w2: Default::default(),
            index: Default::default(),
            host_address: Default::default(),
            write_valid: Default::default(),
            write_address: Default::default(),
            last_valid: Default::default(),
            last_seq: Default::default(),
            last_kind: Default::default(),
            last_spikes: Default::default(),
            repeated: Default::default(),
            ans_kind: Default::default(),
            ans_len: Default::default(),
            nak_code: Default::default(),
            nak_detail: Default::default(),
            stamp: Default::default(),
            ctrl_read: Default::default(),
            read_cell_q: Default::default(),
            read_reg: Default::default(),
            space_bad: Default::default(),
            range_bad: Default::default(),
            pending: Default::default(),
            last_axon: Default::default(),
            input_prev: Default::default(),
            input_any: Default::default(),
            ticks_left: Default::default(),
            spikes_sent: Default::default(),
            slot: Default::default(),
            counter: Default::default(),
            issue_valid: Default::default(),
            idx1: Default::default(),
            idx2: Default::default(),
            idx3: Default::default(),
            idx4: Default::default(),
            spike_count: Default::default(),
            input_index: Default::default(),
            spike_index: Default::default(),
            is_neuron: Default::default(),
            source: Default::default(),
            spiker: Default::default(),
            pointer: Default::default(),
            run_delay: Default::default(),
            run_wexp: Default::default(),
            run_plastic: Default::default(),
            run_last: Default::default(),
            remaining: Default::default(),
            syn_target: Default::default(),
            syn_weight: Default::default(),
            syn_address: Default::default(),
            trace_valid: Default::default(),
            trace_source: Default::default(),
            wb_valid: Default::default(),
            wb_source: Default::default(),
            wb_pre: Default::default(),
            wb_post: Default::default(),
            frame_kind: Default::default(),
            space_words: Default::default(),
            range_end: Default::default(),
            duplicate: Default::default(),
            counted: Default::default(),
            spikes_now: Default::default(),
            more_sources: Default::default(),
            source_done: Default::default(),
            fanin_done: Default::default(),
            more_spikers: Default::default(),
            list_word: Default::default(),
            contribution: Default::default(),
            weight_wide: Default::default(),
            target_slot: Default::default(),
            host_write: Default::default(),
            host_space: Default::default(),
            host_field: Default::default(),
            host_cell: Default::default(),
            read_cell: Default::default(),
            read_field: Default::default(),
            read_word: Default::default(),
            neuron_address: Default::default(),
            trace_neuron: Default::default(),
            is_spike: Default::default(),
            lfsr_step: Default::default(),
            lfsr_load: Default::default(),
            tx_word: Default::default(),
            tx_word_valid: Default::default(),
            tx_start: Default::default(),
            tx_kind: Default::default(),
            tx_len: Default::default(),
            w_x: Default::default(),
            w_gain: Default::default(),
            w_potentiate: Default::default(),
            pre_decay: Default::default(),
            pre_spiked: Default::default(),
            post_decay: Default::default(),
            post_spiked: Default::default(),
            is_nak: Default::default(),
            is_info: Default::default(),
            k_info: Constant::new((kind::INFO).to_bits()),
            k_write: Constant::new((kind::WRITE).to_bits()),
            k_read: Constant::new((kind::READ).to_bits()),
            k_input: Constant::new((kind::INPUT).to_bits()),
            k_tick: Constant::new((kind::TICK).to_bits()),
            k_reset: Constant::new((kind::RESET).to_bits()),
            k_answer: Constant::new((kind::ANSWER).to_bits()),
            k_spike: Constant::new((kind::SPIKE).to_bits()),
            k_nak: Constant::new((kind::NAK).to_bits()),
            nak_crc: Constant::new((NakCode::BadCrc as u16).to_bits()),
            nak_type: Constant::new((NakCode::UnknownType as u16).to_bits()),
            nak_length: Constant::new((NakCode::BadLength as u16).to_bits()),
            nak_space: Constant::new((NakCode::BadSpace as u16).to_bits()),
            nak_address: Constant::new((NakCode::BadAddress as u16).to_bits()),
            nak_input: Constant::new((NakCode::BadInput as u16).to_bits()),
            nak_count: Constant::new((NakCode::BadCount as u16).to_bits()),
            info0: Constant::new((VERSION).to_bits()),
            info1: Constant::new(((1u32 << NB) as u16).to_bits()),
            info2: Constant::new(((1u32 << MB) as u16).to_bits()),
            info3: Constant::new(((1u32 << DB) as u16).to_bits()),
            info4: Constant::new((((1u32 << SB) >> 8) as u16).to_bits()),
            words_ctrl: Constant::new((Space::Ctrl.words(n, m, d, s)).to_bits()),
            words_neuron: Constant::new((Space::Neuron.words(n, m, d, s)).to_bits()),
            words_ring: Constant::new((Space::Ring.words(n, m, d, s)).to_bits()),
            words_source: Constant::new((Space::Source.words(n, m, d, s)).to_bits()),
            words_fanin: Constant::new((Space::Fanin.words(n, m, d, s)).to_bits()),
            words_syn: Constant::new((Space::Syn.words(n, m, d, s)).to_bits()),
            axons: Constant::new((m as u16).to_bits()),
            axon_base: Constant::new((m).to_bits()),
            last_neuron: Constant::new((n - 1).to_bits()),
            last_source: Constant::new((m + n - 1).to_bits()),
            drain_last: Constant::new((NEURON_LATENCY as u16).to_bits()),
            sign_ext: Constant::new((0xFF00u16).to_bits()),
            neuron_shift: Constant::new((NB as u8).to_bits()),
        }
    }
}

impl<const NB: usize, const MB: usize, const DB: usize, const SB: usize, const SRCB: usize, const RB: usize>
    Core<NB, MB, DB, SB, SRCB, RB>
{
    /// Nothing to do until a byte arrives: the command FSM waits for a frame,
    /// none is complete in the receiver and the transmitter has sent everything
    /// (for co-simulation, which stops stepping an idle core).
    pub fn is_idle(&self) -> bool {
        self.idle.val()
    }
}

impl<const NB: usize, const MB: usize, const DB: usize, const SB: usize, const SRCB: usize, const RB: usize> Logic
    for Core<NB, MB, DB, SB, SRCB, RB>
{
    // hdl_gen has no match guards, so a nested `if` stays nested.
    #[allow(clippy::collapsible_match)]
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            tick,
            cycles,
            state,
            after_send,
            w0,
            w1,
            w2,
            index,
            host_address,
            write_valid,
            write_address,
            last_valid,
            last_seq,
            last_kind,
            last_spikes,
            repeated,
            ans_kind,
            ans_len,
            nak_code,
            nak_detail,
            stamp,
            read_cell_q,
            read_reg,
            space_bad,
            range_bad,
            pending,
            last_axon,
            input_prev,
            input_any,
            ticks_left,
            spikes_sent,
            slot,
            counter,
            issue_valid,
            idx1,
            idx2,
            idx3,
            idx4,
            spike_count,
            input_index,
            spike_index,
            is_neuron,
            source,
            spiker,
            pointer,
            run_delay,
            run_wexp,
            run_plastic,
            run_last,
            remaining,
            syn_target,
            syn_weight,
            syn_address,
            trace_valid,
            trace_source,
            wb_valid,
            wb_source,
            wb_pre,
            wb_post
        );
        // Clocks.
        self.rx.clock.next = self.clock.val();
        self.tx.clock.next = self.clock.val();
        self.neurons.clock.next = self.clock.val();
        self.ring.clock.next = self.clock.val();
        self.m_source.clock.next = self.clock.val();
        self.m_fanin.clock.next = self.clock.val();
        self.m_xpre.clock.next = self.clock.val();
        self.m_inputs.clock.next = self.clock.val();
        self.m_spikes.clock.next = self.clock.val();
        self.m_syn.clock.next = self.clock.val();
        self.neuron.clock.next = self.clock.val();
        self.lfsr.clock.next = self.clock.val();
        self.control.clock.next = self.clock.val();
        self.weight.clock.next = self.clock.val();

        // Byte streams.
        self.rx.in_data.next = self.in_data.val();
        self.rx.in_valid.next = self.in_valid.val();
        self.in_ready.next = self.rx.in_ready.val();
        self.out_data.next = self.tx.out_data.val();
        self.out_valid.next = self.tx.out_valid.val();
        self.tx.out_ready.next = self.out_ready.val();
        self.rx.take.next = false;
        self.rx.buffer_address.next = 0.into();
        self.tx_start.next = false;
        self.tx_kind.next = self.ans_kind.q.val();
        self.tx.seq.next = self.rx.seq.val();
        self.tx_len.next = self.ans_len.q.val();
        self.tx_word_valid.next = true;
        // Answer payloads come from live registers (stable while a frame is
        // sent) and the few captured for it: no answer buffer. SPIKE: tick,
        // neuron, stamp; TICK: tick, cycles, spikes; INFO: constants; NAK:
        // command, code, detail.
        self.is_spike.next = self.ans_kind.q.val() == self.k_spike.val();
        self.is_nak.next = self.ans_kind.q.val() == self.k_nak.val();
        self.is_info.next = self.ans_kind.q.val() == (self.k_info.val() | self.k_answer.val());
        match self.tx.word_index.val().index() {
            0 => {
                self.tx_word.next = bit_cast::<16, 32>(self.tick.q.val());
                if self.is_nak.val() {
                    self.tx_word.next = bit_cast::<16, 8>(self.rx.kind.val());
                }
                if self.is_info.val() {
                    self.tx_word.next = self.info0.val();
                }
            }
            1 => {
                self.tx_word.next = self.tick.q.val().get_bits::<16>(16);
                if self.is_nak.val() {
                    self.tx_word.next = self.nak_code.q.val();
                }
                if self.is_info.val() {
                    self.tx_word.next = self.info1.val();
                }
            }
            2 => {
                self.tx_word.next = bit_cast::<16, 64>(self.cycles.q.val());
                if self.is_spike.val() {
                    self.tx_word.next = bit_cast::<16, NB>(self.spiker.q.val());
                }
                if self.is_nak.val() {
                    self.tx_word.next = self.nak_detail.q.val();
                }
                if self.is_info.val() {
                    self.tx_word.next = self.info2.val();
                }
            }
            3 => {
                self.tx_word.next = self.cycles.q.val().get_bits::<16>(16);
                if self.is_spike.val() {
                    self.tx_word.next = bit_cast::<16, 64>(self.stamp.q.val());
                }
                if self.is_info.val() {
                    self.tx_word.next = self.info3.val();
                }
            }
            4 => {
                self.tx_word.next = self.cycles.q.val().get_bits::<16>(32);
                if self.is_spike.val() {
                    self.tx_word.next = self.stamp.q.val().get_bits::<16>(16);
                }
                if self.is_info.val() {
                    self.tx_word.next = self.info4.val();
                }
            }
            5 => {
                self.tx_word.next = self.cycles.q.val().get_bits::<16>(48);
                if self.is_spike.val() {
                    self.tx_word.next = self.stamp.q.val().get_bits::<16>(32);
                }
            }
            6 => {
                self.tx_word.next = bit_cast::<16, 32>(self.last_spikes.q.val());
                if self.is_spike.val() {
                    self.tx_word.next = self.stamp.q.val().get_bits::<16>(48);
                }
            }
            _ => {
                self.tx_word.next = self.last_spikes.q.val().get_bits::<16>(16);
            }
        }

        // Frame checks.
        self.frame_kind.next = self.rx.kind.val();
        self.duplicate.next = self.last_valid.q.val()
            & (self.last_seq.q.val() == self.rx.seq.val())
            & (self.last_kind.q.val() == self.rx.kind.val());
        self.space_words.next = 0.into();
        if self.w0.q.val() == 0 {
            self.space_words.next = self.words_ctrl.val();
        }
        if self.w0.q.val() == 1 {
            self.space_words.next = self.words_neuron.val();
        }
        if self.w0.q.val() == 2 {
            self.space_words.next = self.words_ring.val();
        }
        if (self.w0.q.val() == 3) | (self.w0.q.val() == 5) {
            self.space_words.next = self.words_source.val();
        }
        if self.w0.q.val() == 4 {
            self.space_words.next = self.words_fanin.val();
        }
        if self.w0.q.val() == 6 {
            self.space_words.next = self.words_syn.val();
        }
        // End of the addressed range: address + words (WRITE: len - 2; READ: count).
        self.range_end.next = bit_cast::<17, 16>(self.w1.q.val()) + bit_cast::<17, 16>(self.w2.q.val());
        if self.frame_kind.val() == self.k_write.val() {
            self.range_end.next = bit_cast::<17, 16>(self.w1.q.val()) + bit_cast::<17, 8>(self.rx.len.val()) - 2;
        }

        // Host access (WRITE and READ): one word per clock.
        self.host_write.next = self.write_valid.q.val();
        self.host_space.next = self.w0.q.val();
        self.host_cell.next = self.write_address.q.val();
        self.host_field.next = 0.into();
        if self.host_write.val() & (self.host_space.val() == 1) {
            self.host_field.next = self.write_address.q.val() >> self.neuron_shift.val();
        }
        self.read_cell.next = self.host_address.q.val() + self.index.q.val();
        self.read_cell_q.d.next = self.read_cell.val();
        self.read_field.next = 0.into();
        if self.w0.q.val() == 1 {
            self.read_field.next = self.read_cell_q.q.val() >> self.neuron_shift.val();
        }
        self.neurons.read_field.next = self.read_field.val();

        // Default memory ports: host reads at `read_cell`, no writes.
        self.neuron_address.next = bit_cast::<NB, 16>(self.read_cell.val());
        self.neurons.host_write.next = self.host_write.val() & (self.host_space.val() == 1);
        self.neurons.host_field.next = self.host_field.val();
        self.neurons.host_cell.next = bit_cast::<NB, 16>(self.host_cell.val());
        self.neurons.host_data.next = self.rx.buffer_data.val();

        self.ring.op_valid.next = false;
        self.ring.op_clear.next = false;
        self.ring.op_set.next = false;
        self.ring.op_address.next = bit_cast::<RB, 16>(self.read_cell.val());
        self.ring.op_value.next = 0.into();
        if self.host_write.val() & (self.host_space.val() == 2) {
            self.ring.op_valid.next = true;
            self.ring.op_set.next = true;
            self.ring.op_address.next = bit_cast::<RB, 16>(self.host_cell.val());
            self.ring.op_value.next = self.rx.buffer_data.val();
        }

        self.m_source.read_address.next = bit_cast::<SRCB, 16>(self.read_cell.val());
        self.m_source.write_address.next = bit_cast::<SRCB, 16>(self.host_cell.val());
        self.m_source.write_data.next = self.rx.buffer_data.val();
        self.m_source.write_enable.next = self.host_write.val() & (self.host_space.val() == 3);
        self.m_fanin.read_address.next = bit_cast::<NB, 16>(self.read_cell.val());
        self.m_fanin.write_address.next = bit_cast::<NB, 16>(self.host_cell.val());
        self.m_fanin.write_data.next = self.rx.buffer_data.val();
        self.m_fanin.write_enable.next = self.host_write.val() & (self.host_space.val() == 4);
        self.m_xpre.read_address.next = bit_cast::<SRCB, 16>(self.read_cell.val());
        self.m_xpre.write_address.next = bit_cast::<SRCB, 16>(self.host_cell.val());
        self.m_xpre.write_data.next = self.rx.buffer_data.val();
        self.m_xpre.write_enable.next = self.host_write.val() & (self.host_space.val() == 5);
        self.m_syn.address.next = bit_cast::<SB, 16>(self.read_cell.val());
        self.m_syn.write_data.next = self.rx.buffer_data.val();
        self.m_syn.write_enable.next = false;
        if self.host_write.val() & (self.host_space.val() == 6) {
            self.m_syn.address.next = bit_cast::<SB, 16>(self.host_cell.val());
            self.m_syn.write_enable.next = true;
        }
        self.m_inputs.read_address.next = bit_cast::<MB, 16>(self.input_index.q.val());
        self.m_inputs.write_address.next = bit_cast::<MB, 16>(self.pending.q.val() + self.index.q.val());
        self.m_inputs.write_data.next = self.rx.buffer_data.val();
        self.m_inputs.write_enable.next = false;
        self.m_spikes.read_address.next = bit_cast::<NB, 16>(self.spike_index.q.val());
        self.m_spikes.write_address.next = bit_cast::<NB, 16>(self.spike_count.q.val());
        self.m_spikes.write_data.next = bit_cast::<16, NB>(self.idx4.q.val());
        self.m_spikes.write_enable.next = false;

        // Control registers: host writes.
        self.lfsr.seed.next = self.rx.buffer_data.val();
        self.lfsr_step.next = false;
        self.control.write.next = self.host_write.val() & (self.host_space.val() == 0);
        self.control.write_address.next = self.host_cell.val();
        self.control.data.next = self.rx.buffer_data.val();
        self.lfsr_load.next = self.control.lfsr_load.val();
        // Control registers: host reads, the register of the cell addressed
        // the clock before (a word one clock after its address, like the
        // memories; nothing a READ shows changes between the two clocks).
        self.control.read_address.next = self.read_cell_q.q.val();
        self.control.lfsr_state.next = self.lfsr.state.val();
        self.control.tick.next = self.tick.q.val();
        self.control.cycles.next = self.cycles.q.val();
        self.ctrl_read.next = self.control.read_word.val();
        // The word a READ returns: the space's memory, one clock after `read_cell`.
        match self.w0.q.val().index() {
            1 => {
                self.read_word.next = self.neurons.read_word.val();
            }
            2 => {
                self.read_word.next = self.ring.old_value.val();
            }
            3 => {
                self.read_word.next = self.m_source.read_data.val();
            }
            4 => {
                self.read_word.next = self.m_fanin.read_data.val();
            }
            5 => {
                self.read_word.next = self.m_xpre.read_data.val();
            }
            6 => {
                self.read_word.next = self.m_syn.read_data.val();
            }
            _ => {
                self.read_word.next = self.ctrl_read.val();
            }
        }

        // Neuron pipeline: inputs straight from the memories, one clock after
        // the issue; results written back four clocks after it.
        self.neuron.in_valid.next = self.issue_valid.q.val();
        self.neuron.du.next = self.neurons.du.val();
        self.neuron.dv.next = self.neurons.dv.val();
        self.neuron.bias.next = self.neurons.bias.val();
        self.neuron.v_reset.next = self.neurons.v_reset.val();
        self.neuron.theta_base.next = self.neurons.theta_base.val();
        self.neuron.theta_inc.next = self.neurons.theta_inc.val();
        self.neuron.theta_decay.next = self.neurons.theta_decay.val();
        self.neuron.t_ref.next = bit_cast::<8, 16>(self.neurons.t_ref.val());
        self.neuron.u.next = self.neurons.u.val();
        self.neuron.v.next = self.neurons.v.val();
        self.neuron.theta.next = self.neurons.theta.val();
        self.neuron.refractory.next = bit_cast::<8, 16>(self.neurons.refractory.val());
        self.neuron.ring_in.next = self.ring.old_value.val();
        self.issue_valid.d.next = false;
        self.idx2.d.next = self.idx1.q.val();
        self.idx3.d.next = self.idx2.q.val();
        self.idx4.d.next = self.idx3.q.val();
        self.spikes_now.next = self.spike_count.q.val();
        self.neurons.state_write.next = self.neuron.out_valid.val();
        self.neurons.state_address.next = self.idx4.q.val();
        self.neurons.u_next.next = self.neuron.u_next.val();
        self.neurons.v_next.next = self.neuron.v_next.val();
        self.neurons.theta_next.next = self.neuron.theta_next.val();
        self.neurons.refractory_next.next = bit_cast::<16, 8>(self.neuron.refractory_next.val());
        if self.neuron.out_valid.val() & self.neuron.spike.val() {
            self.m_spikes.write_enable.next = true;
            self.spike_count.d.next = self.spike_count.q.val() + 1;
            self.spikes_now.next = self.spike_count.q.val() + 1;
        }

        // Learning datapath.
        self.weight.w.next = self.syn_weight.q.val();
        self.w_x.next = bit_cast::<8, 16>(self.neurons.x_post.val());
        self.w_gain.next = self.control.a_minus.val();
        self.weight.lr_shift.next = self.control.lr_shift.val();
        self.weight.noise.next = self.lfsr.next_state.val();
        self.weight.w_min.next = self.control.w_min.val();
        self.weight.w_max.next = self.control.w_max.val();
        self.w_potentiate.next = false;
        self.trace_pre.x.next = bit_cast::<8, 16>(self.m_xpre.read_data.val());
        self.trace_pre.shift.next = self.control.pre_shift.val();
        self.pre_decay.next = true;
        self.trace_pre.bump.next = self.control.pre_bump.val();
        self.pre_spiked.next = false;
        self.trace_post.x.next = bit_cast::<8, 16>(self.neurons.x_post.val());
        self.trace_post.shift.next = self.control.post_shift.val();
        self.post_decay.next = true;
        self.trace_post.bump.next = self.control.post_bump.val();
        self.post_spiked.next = false;
        // Traces: the decay pass computes one clock after the read (and the
        // bump pass in BumpWrite) into the write-back registers; the write
        // lands one clock later, whatever the state.
        self.trace_valid.d.next = false;
        self.wb_valid.d.next = false;
        if self.trace_valid.q.val() {
            self.wb_valid.d.next = true;
            self.wb_source.d.next = self.trace_source.q.val();
            self.wb_pre.d.next = self.trace_pre.x_next.val();
            self.wb_post.d.next = self.trace_post.x_next.val();
        }
        self.trace_neuron.next = self.wb_source.q.val() >= self.axon_base.val();
        self.neurons.x_post_write.next = self.wb_valid.q.val() & self.trace_neuron.val();
        self.neurons.x_post_address.next = bit_cast::<NB, SRCB>(self.wb_source.q.val() - self.axon_base.val());
        self.neurons.x_post_next.next = bit_cast::<16, 8>(self.wb_post.q.val());
        if self.wb_valid.q.val() {
            self.m_xpre.write_address.next = self.wb_source.q.val();
            self.m_xpre.write_data.next = bit_cast::<16, 8>(self.wb_pre.q.val());
            self.m_xpre.write_enable.next = true;
        }

        // Routing helpers: the current synapse's contribution and ring slot.
        self.weight_wide.next = bit_cast::<16, 8>(bit_cast::<8, 16>(self.m_syn.read_data.val()));
        if self.m_syn.read_data.val().get_bit(7) {
            self.weight_wide.next = self.weight_wide.val() | self.sign_ext.val();
        }
        self.contribution.next = self.weight_wide.val() << self.run_wexp.q.val();
        self.target_slot.next = (bit_cast::<DB, 32>(self.tick.q.val()) + bit_cast::<DB, 4>(self.run_delay.q.val()))
            + bit_cast::<DB, 1>(1.into());
        self.more_sources.next =
            (self.input_index.q.val() < self.pending.q.val()) | (self.spike_index.q.val() < self.spike_count.q.val());
        self.list_word.next = self.m_inputs.read_data.val();
        if self.is_neuron.q.val() {
            self.list_word.next = self.m_spikes.read_data.val();
        }
        self.more_spikers.next =
            (self.input_index.q.val() < self.pending.q.val()) | (self.spike_index.q.val() < self.spike_count.q.val());

        self.write_valid.d.next = false;
        self.counted.next = false;
        self.source_done.next = false;
        self.fanin_done.next = false;

        match self.state.q.val() {
            // ---- Commands -------------------------------------------------
            CoreState::Idle => {
                if self.rx.frame_valid.val() {
                    self.state.d.next = CoreState::Head1;
                }
            }
            CoreState::Head1 => {
                self.rx.buffer_address.next = 1.into();
                self.w0.d.next = self.rx.buffer_data.val();
                self.state.d.next = CoreState::Head2;
            }
            CoreState::Head2 => {
                self.rx.buffer_address.next = 2.into();
                self.w1.d.next = self.rx.buffer_data.val();
                self.state.d.next = CoreState::Head3;
            }
            CoreState::Head3 => {
                self.w2.d.next = self.rx.buffer_data.val();
                self.state.d.next = CoreState::Validate;
            }
            CoreState::Validate => {
                // Range checks registered ahead of the dispatch (timing).
                self.space_bad.d.next = self.w0.q.val() > 6;
                self.range_bad.d.next = self.range_end.val() > self.space_words.val();
                self.state.d.next = CoreState::Check;
            }
            CoreState::Check => {
                // Defaults: a NAK for this command, then release the frame.
                self.ans_kind.d.next = self.k_nak.val();
                self.ans_len.d.next = 3.into();
                self.nak_code.d.next = self.nak_length.val();
                self.nak_detail.d.next = bit_cast::<16, 8>(self.rx.len.val());
                self.after_send.d.next = CoreState::TakeFrame;
                self.state.d.next = CoreState::SendStart;
                self.index.d.next = 0.into();
                self.host_address.d.next = self.w1.q.val();
                self.repeated.d.next = false;
                if !self.rx.crc_ok.val() {
                    self.nak_code.d.next = self.nak_crc.val();
                    self.nak_detail.d.next = self.rx.crc_received.val();
                } else if self.frame_kind.val() == self.k_info.val() {
                    if self.rx.len.val() == 0 {
                        self.ans_kind.d.next = self.k_info.val() | self.k_answer.val();
                        self.ans_len.d.next = 5.into();
                    }
                } else if self.frame_kind.val() == self.k_write.val() {
                    if self.rx.len.val() < 3 {
                        // bad length (the default)
                    } else if self.space_bad.q.val() {
                        self.nak_code.d.next = self.nak_space.val();
                        self.nak_detail.d.next = self.w0.q.val();
                    } else if self.range_bad.q.val() {
                        self.nak_code.d.next = self.nak_address.val();
                        self.nak_detail.d.next = self.w1.q.val();
                    } else {
                        self.ans_kind.d.next = self.k_write.val() | self.k_answer.val();
                        self.ans_len.d.next = 0.into();
                        self.last_valid.d.next = true;
                        self.last_seq.d.next = self.rx.seq.val();
                        self.last_kind.d.next = self.frame_kind.val();
                        if !self.duplicate.val() {
                            self.index.d.next = 2.into();
                            self.write_address.d.next = self.w1.q.val();
                            self.state.d.next = CoreState::WriteRun;
                        }
                    }
                } else if self.frame_kind.val() == self.k_read.val() {
                    if self.rx.len.val() != 3 {
                        // bad length
                    } else if self.space_bad.q.val() {
                        self.nak_code.d.next = self.nak_space.val();
                        self.nak_detail.d.next = self.w0.q.val();
                    } else if (self.w2.q.val() == 0) | (self.w2.q.val() > 255) {
                        self.nak_code.d.next = self.nak_count.val();
                        self.nak_detail.d.next = self.w2.q.val();
                    } else if self.range_bad.q.val() {
                        self.nak_code.d.next = self.nak_address.val();
                        self.nak_detail.d.next = self.w1.q.val();
                    } else {
                        self.ans_kind.d.next = self.k_read.val() | self.k_answer.val();
                        self.ans_len.d.next = bit_cast::<8, 16>(self.w2.q.val());
                        self.state.d.next = CoreState::ReadIssue;
                        self.tx_kind.next = self.k_read.val() | self.k_answer.val();
                        self.tx_len.next = bit_cast::<8, 16>(self.w2.q.val());
                        self.tx_start.next = true;
                    }
                } else if self.frame_kind.val() == self.k_input.val() {
                    if self.rx.len.val() == 0 {
                        // bad length
                    } else {
                        self.ans_kind.d.next = self.k_input.val() | self.k_answer.val();
                        self.ans_len.d.next = 0.into();
                        if self.duplicate.val() {
                            // answered again, not executed again
                        } else {
                            self.input_prev.d.next = self.last_axon.q.val();
                            self.input_any.d.next = self.pending.q.val().any();
                            self.state.d.next = CoreState::InputIssue;
                        }
                    }
                } else if self.frame_kind.val() == self.k_tick.val() {
                    if self.rx.len.val() != 1 {
                        // bad length
                    } else if self.duplicate.val() {
                        self.repeated.d.next = true;
                        self.state.d.next = CoreState::TickDone;
                    } else if self.w0.q.val() == 0 {
                        self.nak_code.d.next = self.nak_count.val();
                        self.nak_detail.d.next = 0.into();
                    } else {
                        self.ticks_left.d.next = self.w0.q.val();
                        self.spikes_sent.d.next = 0.into();
                        self.last_valid.d.next = true;
                        self.last_seq.d.next = self.rx.seq.val();
                        self.last_kind.d.next = self.frame_kind.val();
                        self.state.d.next = CoreState::TickStart0;
                    }
                } else if self.frame_kind.val() == self.k_reset.val() {
                    if self.rx.len.val() == 0 {
                        self.ans_kind.d.next = self.k_reset.val() | self.k_answer.val();
                        self.ans_len.d.next = 0.into();
                        self.tick.d.next = 0.into();
                        self.cycles.d.next = 0.into();
                        self.pending.d.next = 0.into();
                        self.last_valid.d.next = false;
                    }
                } else {
                    self.nak_code.d.next = self.nak_type.val();
                    self.nak_detail.d.next = 0.into();
                }
            }
            CoreState::WriteRun => {
                // Read payload word `index`; it is written on the next clock.
                self.rx.buffer_address.next = bit_cast::<8, 16>(self.index.q.val());
                self.write_valid.d.next = true;
                self.write_address.d.next = self.host_address.q.val() + self.index.q.val() - 2;
                self.index.d.next = self.index.q.val() + 1;
                if bit_cast::<16, 8>(self.rx.len.val()) == self.index.q.val() + 1 {
                    self.state.d.next = CoreState::WriteLast;
                }
            }
            CoreState::WriteLast => {
                self.state.d.next = CoreState::SendStart;
            }
            CoreState::ReadIssue => {
                self.tx_word_valid.next = false;
                self.state.d.next = CoreState::ReadLatch;
            }
            CoreState::ReadLatch => {
                // The word is registered before the transmitter's CRC sees it.
                self.tx_word_valid.next = false;
                self.read_reg.d.next = self.read_word.val();
                self.state.d.next = CoreState::ReadWait;
            }
            CoreState::ReadWait => {
                self.tx_word.next = self.read_reg.q.val();
                self.tx_word_valid.next = true;
                if self.tx.word_taken.val() {
                    self.index.d.next = self.index.q.val() + 1;
                    if self.index.q.val() + 1 == self.w2.q.val() {
                        self.state.d.next = CoreState::ReadDrain;
                    } else {
                        self.state.d.next = CoreState::ReadIssue;
                    }
                }
            }
            CoreState::ReadDrain => {
                self.state.d.next = CoreState::SendWait;
            }
            CoreState::InputIssue => {
                self.rx.buffer_address.next = bit_cast::<8, 16>(self.index.q.val());
                self.state.d.next = CoreState::InputTest;
            }
            CoreState::InputTest => {
                self.rx.buffer_address.next = bit_cast::<8, 16>(self.index.q.val());
                if (self.rx.buffer_data.val() >= self.axons.val())
                    | (self.input_any.q.val() & (self.rx.buffer_data.val() <= self.input_prev.q.val()))
                {
                    self.ans_kind.d.next = self.k_nak.val();
                    self.ans_len.d.next = 3.into();
                    self.nak_code.d.next = self.nak_input.val();
                    self.nak_detail.d.next = self.rx.buffer_data.val();
                    self.state.d.next = CoreState::SendStart;
                } else {
                    self.input_prev.d.next = self.rx.buffer_data.val();
                    self.input_any.d.next = true;
                    self.index.d.next = self.index.q.val() + 1;
                    if self.index.q.val() + 1 == bit_cast::<16, 8>(self.rx.len.val()) {
                        self.index.d.next = 0.into();
                        self.state.d.next = CoreState::InputApplyIssue;
                    } else {
                        self.state.d.next = CoreState::InputIssue;
                    }
                }
            }
            CoreState::InputApplyIssue => {
                self.rx.buffer_address.next = bit_cast::<8, 16>(self.index.q.val());
                self.state.d.next = CoreState::InputApply;
            }
            CoreState::InputApply => {
                self.rx.buffer_address.next = bit_cast::<8, 16>(self.index.q.val());
                self.m_inputs.write_enable.next = true;
                self.index.d.next = self.index.q.val() + 1;
                if self.index.q.val() + 1 == bit_cast::<16, 8>(self.rx.len.val()) {
                    self.pending.d.next = self.pending.q.val() + self.index.q.val() + 1;
                    self.last_axon.d.next = self.rx.buffer_data.val();
                    self.last_valid.d.next = true;
                    self.last_seq.d.next = self.rx.seq.val();
                    self.last_kind.d.next = self.frame_kind.val();
                    self.state.d.next = CoreState::SendStart;
                } else {
                    self.state.d.next = CoreState::InputApplyIssue;
                }
            }
            CoreState::SendStart => {
                self.m_source.read_address.next = self.source.q.val();
                self.tx_start.next = true;
                self.state.d.next = CoreState::SendWait;
            }
            CoreState::SendWait => {
                self.m_source.read_address.next = self.source.q.val();
                if !self.tx.busy.val() {
                    self.state.d.next = self.after_send.q.val();
                }
            }
            CoreState::TakeFrame => {
                self.rx.take.next = true;
                self.state.d.next = CoreState::Idle;
            }

            // ---- The tick (§6); every state here is a busy cycle ----------
            CoreState::TickStart0 => {
                self.counted.next = true;
                self.slot.d.next = bit_cast::<DB, 32>(self.tick.q.val());
                self.counter.d.next = 0.into();
                self.spike_count.d.next = 0.into();
                self.input_index.d.next = 0.into();
                self.spike_index.d.next = 0.into();
                self.state.d.next = CoreState::TickStart1;
            }
            CoreState::TickStart1 => {
                self.counted.next = true;
                self.state.d.next = CoreState::NeuronIssue;
            }
            CoreState::NeuronIssue => {
                // Read neuron `counter`'s state, parameters and ring cell.
                self.counted.next = true;
                self.neuron_address.next = bit_cast::<NB, 16>(self.counter.q.val());
                self.ring.op_valid.next = true;
                self.ring.op_clear.next = true;
                self.ring.op_address.next = bit_cast::<RB, DB>(self.slot.q.val()) << self.neuron_shift.val()
                    | bit_cast::<RB, NB>(bit_cast::<NB, 16>(self.counter.q.val()));
                self.issue_valid.d.next = true;
                self.idx1.d.next = bit_cast::<NB, 16>(self.counter.q.val());
                self.counter.d.next = self.counter.q.val() + 1;
                if bit_cast::<NB, 16>(self.counter.q.val()) == self.last_neuron.val() {
                    self.counter.d.next = 0.into();
                    self.state.d.next = CoreState::NeuronDrain;
                }
            }
            CoreState::NeuronDrain => {
                self.counted.next = true;
                self.counter.d.next = self.counter.q.val() + 1;
                if self.counter.q.val() == self.drain_last.val() {
                    if (self.pending.q.val().any()) | self.spikes_now.val().any() {
                        self.state.d.next = CoreState::RouteNext;
                    } else if self.control.learn.val() {
                        self.counter.d.next = 0.into();
                        self.state.d.next = CoreState::TraceDecay;
                    } else {
                        self.state.d.next = CoreState::TickEnd0;
                    }
                }
            }
            CoreState::RouteNext => {
                // Read the next source from the input list, then the spike list;
                // a neuron's SPIKE event carries this cycle (§7.3).
                self.counted.next = true;
                self.stamp.d.next = self.cycles.q.val();
                self.is_neuron.d.next = self.input_index.q.val() >= self.pending.q.val();
                self.state.d.next = CoreState::RouteSource;
            }
            CoreState::RouteSource => {
                self.counted.next = true;
                if self.is_neuron.q.val() {
                    self.source.d.next =
                        self.axon_base.val() + bit_cast::<SRCB, NB>(bit_cast::<NB, 16>(self.m_spikes.read_data.val()));
                    self.m_source.read_address.next =
                        self.axon_base.val() + bit_cast::<SRCB, NB>(bit_cast::<NB, 16>(self.m_spikes.read_data.val()));
                    self.spike_index.d.next = self.spike_index.q.val() + 1;
                    // The SPIKE event: (tick, neuron, the cycle its routing started).
                    self.ans_kind.d.next = self.k_spike.val();
                    self.ans_len.d.next = 7.into();
                    self.spiker.d.next = bit_cast::<NB, 16>(self.m_spikes.read_data.val());
                    self.spikes_sent.d.next = self.spikes_sent.q.val() + 1;
                    self.after_send.d.next = CoreState::RouteHead;
                    self.state.d.next = CoreState::SendStart;
                } else {
                    self.source.d.next = bit_cast::<SRCB, MB>(bit_cast::<MB, 16>(self.m_inputs.read_data.val()));
                    self.m_source.read_address.next =
                        bit_cast::<SRCB, MB>(bit_cast::<MB, 16>(self.m_inputs.read_data.val()));
                    self.input_index.d.next = self.input_index.q.val() + 1;
                    self.state.d.next = CoreState::RouteHead;
                }
            }
            CoreState::RouteHead => {
                // The source's first run header.
                self.counted.next = true;
                self.m_source.read_address.next = self.source.q.val();
                self.m_syn.address.next = bit_cast::<SB, 16>(self.m_source.read_data.val());
                self.pointer.d.next = self.m_source.read_data.val() + 1;
                self.state.d.next = CoreState::RouteRunHeader;
            }
            CoreState::RouteRunHeader => {
                self.counted.next = true;
                self.run_delay.d.next = bit_cast::<4, 16>(self.m_syn.read_data.val());
                self.run_wexp.d.next = self.m_syn.read_data.val().get_bits::<3>(4);
                self.run_plastic.d.next = self.m_syn.read_data.val().get_bit(7);
                self.run_last.d.next = self.m_syn.read_data.val().get_bit(8);
                self.remaining.d.next = self.m_syn.read_data.val() >> 9;
                self.m_syn.address.next = bit_cast::<SB, 16>(self.pointer.q.val());
                self.pointer.d.next = self.pointer.q.val() + 1;
                if (self.m_syn.read_data.val() >> 9) == 0 {
                    // An empty run ends the source, whatever its `last` bit
                    // (spec §8.3): a memory of zeros (a TICK before any load)
                    // cannot send the walk round the memory for ever.
                    self.source_done.next = true;
                } else if self.m_syn.read_data.val().get_bit(7) & self.control.learn.val() {
                    self.state.d.next = CoreState::DepressData;
                } else {
                    self.state.d.next = CoreState::RouteSynapse;
                }
            }
            CoreState::RouteSynapse => {
                // One synapse per clock: deliver, fetch the next word.
                self.counted.next = true;
                self.ring.op_valid.next = true;
                self.ring.op_address.next = bit_cast::<RB, DB>(self.target_slot.val()) << self.neuron_shift.val()
                    | bit_cast::<RB, NB>(self.m_syn.read_data.val().get_bits::<NB>(8));
                self.ring.op_value.next = self.contribution.val();
                self.m_syn.address.next = bit_cast::<SB, 16>(self.pointer.q.val());
                self.pointer.d.next = self.pointer.q.val() + 1;
                self.remaining.d.next = self.remaining.q.val() - 1;
                if self.remaining.q.val() == 1 {
                    if !self.run_last.q.val() {
                        self.state.d.next = CoreState::RouteRunHeader;
                    } else {
                        self.source_done.next = true;
                    }
                }
            }
            CoreState::DepressData => {
                // Deliver with the weight as read, then depress it.
                self.counted.next = true;
                self.ring.op_valid.next = true;
                self.ring.op_address.next = bit_cast::<RB, DB>(self.target_slot.val()) << self.neuron_shift.val()
                    | bit_cast::<RB, NB>(self.m_syn.read_data.val().get_bits::<NB>(8));
                self.ring.op_value.next = self.contribution.val();
                self.neuron_address.next = self.m_syn.read_data.val().get_bits::<NB>(8);
                self.syn_target.d.next = self.m_syn.read_data.val().get_bits::<8>(8);
                self.syn_weight.d.next = bit_cast::<8, 16>(self.m_syn.read_data.val());
                self.syn_address.d.next = self.pointer.q.val() - 1;
                self.state.d.next = CoreState::DepressCompute;
            }
            CoreState::DepressCompute => {
                // x_post is here: the weight update's first stage.
                self.counted.next = true;
                self.lfsr_step.next = true;
                self.state.d.next = CoreState::DepressWrite;
            }
            CoreState::DepressWrite => {
                // Its second stage, straight into the write.
                self.counted.next = true;
                self.m_syn.address.next = bit_cast::<SB, 16>(self.syn_address.q.val());
                self.m_syn.write_data.next =
                    bit_cast::<16, 8>(self.syn_target.q.val()) << 8 | bit_cast::<16, 8>(self.weight.w_next.val());
                self.m_syn.write_enable.next = true;
                self.state.d.next = CoreState::DepressFetch;
            }
            CoreState::DepressFetch => {
                self.counted.next = true;
                self.m_syn.address.next = bit_cast::<SB, 16>(self.pointer.q.val());
                self.pointer.d.next = self.pointer.q.val() + 1;
                self.remaining.d.next = self.remaining.q.val() - 1;
                if self.remaining.q.val() == 1 {
                    if !self.run_last.q.val() {
                        self.state.d.next = CoreState::RouteRunHeader;
                    } else {
                        // Depression runs only with learning on.
                        self.source_done.next = true;
                    }
                } else {
                    self.state.d.next = CoreState::DepressData;
                }
            }
            CoreState::PotNeuron => {
                self.counted.next = true;
                self.state.d.next = CoreState::PotSpike;
            }
            CoreState::PotSpike => {
                self.counted.next = true;
                self.m_fanin.read_address.next = bit_cast::<NB, 16>(self.m_spikes.read_data.val());
                self.spike_index.d.next = self.spike_index.q.val() + 1;
                self.state.d.next = CoreState::PotFanin;
            }
            CoreState::PotFanin => {
                self.counted.next = true;
                self.m_syn.address.next = bit_cast::<SB, 16>(self.m_fanin.read_data.val());
                self.pointer.d.next = self.m_fanin.read_data.val() + 1;
                self.state.d.next = CoreState::PotHeader;
            }
            CoreState::PotHeader => {
                self.counted.next = true;
                self.remaining.d.next = self.m_syn.read_data.val();
                if self.m_syn.read_data.val() == 0 {
                    self.fanin_done.next = true;
                } else {
                    self.state.d.next = CoreState::PotEntry;
                }
            }
            CoreState::PotEntry => {
                self.counted.next = true;
                self.m_syn.address.next = bit_cast::<SB, 16>(self.pointer.q.val());
                self.pointer.d.next = self.pointer.q.val() + 1;
                self.state.d.next = CoreState::PotAddress;
            }
            CoreState::PotAddress => {
                self.counted.next = true;
                self.syn_address.d.next = self.m_syn.read_data.val();
                self.m_syn.address.next = bit_cast::<SB, 16>(self.pointer.q.val());
                self.pointer.d.next = self.pointer.q.val() + 1;
                self.state.d.next = CoreState::PotSource;
            }
            CoreState::PotSource => {
                self.counted.next = true;
                self.m_xpre.read_address.next = bit_cast::<SRCB, 16>(self.m_syn.read_data.val());
                self.m_syn.address.next = bit_cast::<SB, 16>(self.syn_address.q.val());
                self.state.d.next = CoreState::PotCompute;
            }
            CoreState::PotCompute => {
                // x_pre and the synapse word are here: the first stage.
                self.counted.next = true;
                self.lfsr_step.next = true;
                self.w_x.next = bit_cast::<8, 16>(self.m_xpre.read_data.val());
                self.w_gain.next = self.control.a_plus.val();
                self.syn_weight.d.next = bit_cast::<8, 16>(self.m_syn.read_data.val());
                self.syn_target.d.next = self.m_syn.read_data.val().get_bits::<8>(8);
                self.state.d.next = CoreState::PotWrite;
            }
            CoreState::PotWrite => {
                self.counted.next = true;
                self.w_potentiate.next = true;
                self.m_syn.address.next = bit_cast::<SB, 16>(self.syn_address.q.val());
                self.m_syn.write_data.next =
                    bit_cast::<16, 8>(self.syn_target.q.val()) << 8 | bit_cast::<16, 8>(self.weight.w_next.val());
                self.m_syn.write_enable.next = true;
                self.remaining.d.next = self.remaining.q.val() - 1;
                if self.remaining.q.val() == 1 {
                    self.fanin_done.next = true;
                } else {
                    self.state.d.next = CoreState::PotEntry;
                }
            }
            CoreState::TraceDecay => {
                // Every source's x_pre (and a neuron's x_post) through its decay.
                self.counted.next = true;
                self.m_xpre.read_address.next = bit_cast::<SRCB, 16>(self.counter.q.val());
                self.neuron_address.next =
                    bit_cast::<NB, SRCB>(bit_cast::<SRCB, 16>(self.counter.q.val()) - self.axon_base.val());
                self.trace_valid.d.next = true;
                self.trace_source.d.next = bit_cast::<SRCB, 16>(self.counter.q.val());
                self.counter.d.next = self.counter.q.val() + 1;
                if bit_cast::<SRCB, 16>(self.counter.q.val()) == self.last_source.val() {
                    self.input_index.d.next = 0.into();
                    self.spike_index.d.next = 0.into();
                    self.state.d.next = CoreState::TraceDrain;
                }
            }
            CoreState::TraceDrain => {
                // The last decayed traces are written before any bump reads one.
                self.counted.next = true;
                if self.pending.q.val().any() | self.spike_count.q.val().any() {
                    self.state.d.next = CoreState::BumpList;
                } else {
                    self.state.d.next = CoreState::TickEnd0;
                }
            }
            CoreState::BumpList => {
                self.counted.next = true;
                self.is_neuron.d.next = self.input_index.q.val() >= self.pending.q.val();
                self.state.d.next = CoreState::BumpSource;
            }
            CoreState::BumpSource => {
                self.counted.next = true;
                if self.is_neuron.q.val() {
                    self.source.d.next =
                        self.axon_base.val() + bit_cast::<SRCB, NB>(bit_cast::<NB, 16>(self.m_spikes.read_data.val()));
                    self.m_xpre.read_address.next =
                        self.axon_base.val() + bit_cast::<SRCB, NB>(bit_cast::<NB, 16>(self.m_spikes.read_data.val()));
                    self.neuron_address.next = bit_cast::<NB, 16>(self.m_spikes.read_data.val());
                    self.spiker.d.next = bit_cast::<NB, 16>(self.m_spikes.read_data.val());
                    self.spike_index.d.next = self.spike_index.q.val() + 1;
                } else {
                    self.source.d.next = bit_cast::<SRCB, MB>(bit_cast::<MB, 16>(self.m_inputs.read_data.val()));
                    self.m_xpre.read_address.next =
                        bit_cast::<SRCB, MB>(bit_cast::<MB, 16>(self.m_inputs.read_data.val()));
                    self.input_index.d.next = self.input_index.q.val() + 1;
                }
                self.state.d.next = CoreState::BumpWrite;
            }
            CoreState::BumpWrite => {
                self.counted.next = true;
                self.pre_decay.next = false;
                self.pre_spiked.next = true;
                self.post_decay.next = false;
                self.post_spiked.next = true;
                self.wb_valid.d.next = true;
                self.wb_source.d.next = self.source.q.val();
                self.wb_pre.d.next = self.trace_pre.x_next.val();
                self.wb_post.d.next = self.trace_post.x_next.val();
                if self.more_spikers.val() {
                    self.state.d.next = CoreState::BumpList;
                } else {
                    self.state.d.next = CoreState::TickEnd0;
                }
            }
            CoreState::TickEnd0 => {
                self.counted.next = true;
                self.state.d.next = CoreState::TickEnd1;
            }
            CoreState::TickEnd1 => {
                self.counted.next = true;
                self.tick.d.next = self.tick.q.val() + 1;
                self.pending.d.next = 0.into();
                self.ticks_left.d.next = self.ticks_left.q.val() - 1;
                if self.ticks_left.q.val() == 1 {
                    self.state.d.next = CoreState::TickDone;
                } else {
                    self.state.d.next = CoreState::TickStart0;
                }
            }
            CoreState::TickDone => {
                self.ans_kind.d.next = self.k_tick.val() | self.k_answer.val();
                self.ans_len.d.next = 8.into();
                if !self.repeated.q.val() {
                    self.last_spikes.d.next = self.spikes_sent.q.val();
                }
                self.after_send.d.next = CoreState::TakeFrame;
                self.state.d.next = CoreState::SendStart;
            }
            _ => {
                self.state.d.next = CoreState::Idle;
            }
        }

        // What follows a source's last synapse (routing, with its
        // depressions): the next source, else potentiation of the tick's
        // spikers, else the trace decay, else the end of the tick (§6).
        if self.source_done.val() {
            if self.more_sources.val() {
                self.state.d.next = CoreState::RouteNext;
            } else if self.control.learn.val() & self.spike_count.q.val().any() {
                self.spike_index.d.next = 0.into();
                self.state.d.next = CoreState::PotNeuron;
            } else if self.control.learn.val() {
                self.counter.d.next = 0.into();
                self.state.d.next = CoreState::TraceDecay;
            } else {
                self.state.d.next = CoreState::TickEnd0;
            }
        }
        // What follows a spiker's last plastic fan-in synapse: the next
        // spiker, else the trace decay.
        if self.fanin_done.val() {
            if self.spike_index.q.val() < self.spike_count.q.val() {
                self.state.d.next = CoreState::PotNeuron;
            } else {
                self.counter.d.next = 0.into();
                self.state.d.next = CoreState::TraceDecay;
            }
        }

        // Shared read addresses.
        self.neurons.address.next = self.neuron_address.val();
        // The neuron pipeline's late inputs (see `NeuronUpdate`): theta_inc
        // two clocks after the issue, v_reset, t_ref and ref three.
        self.neurons.late.next =
            (self.state.q.val() == CoreState::NeuronIssue) | (self.state.q.val() == CoreState::NeuronDrain);
        self.neurons.address2.next = self.idx2.q.val();
        self.neurons.address3.next = self.idx3.q.val();

        // Inputs of sub-blocks whose outputs this block reads combinationally
        // are assigned once, from their final values: a default-then-override
        // here would make the emitted Verilog's always blocks wake each other
        // on the transient forever (Icarus never returns).
        self.lfsr.step.next = self.lfsr_step.val();
        self.lfsr.load.next = self.lfsr_load.val();
        self.tx.word.next = self.tx_word.val();
        self.tx.word_valid.next = self.tx_word_valid.val();
        self.tx.start.next = self.tx_start.val();
        self.tx.kind.next = self.tx_kind.val();
        self.tx.len.next = self.tx_len.val();
        self.weight.x.next = self.w_x.val();
        self.weight.gain.next = self.w_gain.val();
        self.weight.potentiate.next = self.w_potentiate.val();
        self.trace_pre.decay.next = self.pre_decay.val();
        self.trace_pre.spiked.next = self.pre_spiked.val();
        self.trace_post.decay.next = self.post_decay.val();
        self.trace_post.spiked.next = self.post_spiked.val();

        if self.counted.val() {
            self.cycles.d.next = self.cycles.q.val() + 1;
        }
        self.busy.next = self.counted.val();
        self.idle.next = (self.state.q.val() == CoreState::Idle)
            & !self.rx.frame_valid.val()
            & !self.tx.busy.val()
            & !self.tx.out_valid.val();
    }
}
