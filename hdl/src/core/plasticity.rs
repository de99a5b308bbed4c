//! `Plasticity`: the learning phases of a tick (`docs/spec.md` §6 phases 3
//! and 4, §5): the potentiation of each spiker's plastic fan-in, then the
//! decay of every trace and the bump of the tick's spikers. The twins in
//! `spikefab-sim` are `Simulator::potentiation_phase` (with
//! `StdpParams::potentiate`) and `Learning::trace_phase` (`trace_decay`,
//! computed by the neuron pipeline's multipliers, which this block borrows
//! through `lend`, with the offsets of `TickDither::trace_offsets`; then
//! `TraceUpdate`'s choice and `trace_bump`); the cycles are
//! `CycleCosts::potentiation_cost` and the learning part of
//! `CycleCosts::after_learning`.
//!
//! Potentiation, per spiker (`C_fanin` = 4: `PotNeuron` waits for the spike
//! list's word, `PotSpike` reads the fan-in table, `PotFanin` the fan-in
//! header, `PotHeader` takes its count), then per plastic fan-in synapse
//! (`C_pot` = 5: `PotEntry` and `PotAddress` read the entry's two words,
//! `PotSource` reads the synapse word and `x_pre`, `PotCompute` is the
//! weight update's first stage, `PotWrite` its second into the synapse
//! memory). The decay pass reads one trace per clock (`TraceDecay`, one per
//! source, `x_pre` and a neuron's `x_post` together; `offset` steps the
//! dither offset `a` along, from the phase again at the first neuron) and
//! writes it two clocks
//! later; `TraceDrain` lets the last one land before the bump pass reads
//! traces one spiker at a time (`BumpList`, `BumpSource`, `BumpWrite`).
//! Both passes compute in the neuron pipeline's multiply-adds (the bump pass
//! with no decay and the bump as the added term) and write back what their
//! registers hold, clamped by `TraceUpdate`. `done` is high in the last
//! clock.

use rust_hdl::prelude::*;

use spikefab_sim::dither::NEURON_STEP;

use crate::trace_update::TraceUpdate;

#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
enum PlasticityState {
    Idle,
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
}

/// The learning phases. `NB`, `MB`, `SB`, `SRCB`: the core's widths.
#[derive(LogicBlock)]
pub struct Plasticity<const NB: usize, const MB: usize, const SB: usize, const SRCB: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Start with the potentiation of the tick's spikers (there is one).
    pub start_potentiation: Signal<In, Bit>,
    /// Start with the trace decay (no spiker to potentiate).
    pub start_decay: Signal<In, Bit>,
    /// The source list's chosen source is a neuron.
    pub list_is_neuron: Signal<In, Bit>,
    /// The source list's chosen source.
    pub list_source: Signal<In, Bits<SRCB>>,
    /// The spike list's current neuron.
    pub list_neuron: Signal<In, Bits<NB>>,
    /// The source list has more sources.
    pub list_more: Signal<In, Bit>,
    /// The spike list has more spikers.
    pub list_more_spikes: Signal<In, Bit>,
    /// The tick has a source.
    pub list_any: Signal<In, Bit>,
    /// The fan-in table's word (read the clock before; 18 bits, the high
    /// two 0 on a narrow core).
    pub fanin_data: Signal<In, Bits<18>>,
    /// The synapse memory's word (as `fanin_data`).
    pub syn_data: Signal<In, Bits<18>>,
    /// The `x_pre` table's word.
    pub xpre_data: Signal<In, Bits<16>>,
    /// The neuron memory's `x_post` word.
    pub x_post: Signal<In, Bits<16>>,
    /// The weight update's result.
    pub w_next: Signal<In, Bits<8>>,
    /// Pre-trace decay, in 1/4096.
    pub pre_decay: Signal<In, Bits<13>>,
    /// Post-trace decay, in 1/4096.
    pub post_decay: Signal<In, Bits<13>>,
    /// The dither phase of the trace phase (`Dither::phase`: 0 with
    /// dithering off).
    pub dither_phase: Signal<In, Bits<12>>,
    /// Dithering on.
    pub dither_on: Signal<In, Bit>,
    /// The neuron pipeline's multiply-adds' registered results
    /// (`NeuronUpdate::lent_pre`, `lent_post`) for `lend_pre_*` and
    /// `lend_post_*` of the clock before.
    pub lent_pre: Signal<In, Bits<16>>,
    /// See `lent_pre`.
    pub lent_post: Signal<In, Bits<16>>,
    /// Pre-trace bump.
    pub pre_bump: Signal<In, Bits<8>>,
    /// Post-trace bump.
    pub post_bump: Signal<In, Bits<8>>,
    /// A busy cycle.
    pub busy: Signal<Out, Bit>,
    /// The learning phases end this clock.
    pub done: Signal<Out, Bit>,
    /// Rewind the spike list's walk.
    pub list_rewind_spikes: Signal<Out, Bit>,
    /// Rewind both walks.
    pub list_rewind: Signal<Out, Bit>,
    /// Move past the spiker.
    pub list_advance_spike: Signal<Out, Bit>,
    /// Pick the next source's list.
    pub list_choose: Signal<Out, Bit>,
    /// Move past the source.
    pub list_advance: Signal<Out, Bit>,
    /// Read the fan-in table at `fanin_address`.
    pub fanin_own: Signal<Out, Bit>,
    /// Fan-in table address.
    pub fanin_address: Signal<Out, Bits<NB>>,
    /// This block drives the synapse memory's port.
    pub syn_own: Signal<Out, Bit>,
    /// Synapse-memory address.
    pub syn_address: Signal<Out, Bits<SB>>,
    /// Write `syn_write_data` (a potentiated synapse).
    pub syn_write: Signal<Out, Bit>,
    /// The synapse word written.
    pub syn_write_data: Signal<Out, Bits<16>>,
    /// Read the `x_pre` table at `xpre_address`.
    pub xpre_own: Signal<Out, Bit>,
    /// `x_pre` read address.
    pub xpre_address: Signal<Out, Bits<SRCB>>,
    /// Write a trace back: `x_pre` of `trace_source`.
    pub trace_write: Signal<Out, Bit>,
    /// The source whose traces are written.
    pub trace_source: Signal<Out, Bits<SRCB>>,
    /// Its new `x_pre`.
    pub xpre_next: Signal<Out, Bits<16>>,
    /// Write `x_post` of `trace_neuron` too (the source is a neuron).
    pub xpost_write: Signal<Out, Bit>,
    /// The neuron whose `x_post` is written.
    pub trace_neuron: Signal<Out, Bits<NB>>,
    /// Its new `x_post`.
    pub xpost_next: Signal<Out, Bits<16>>,
    /// Read the neuron memory (`x_post`) at `neuron_address`.
    pub neuron_own: Signal<Out, Bit>,
    /// The neuron read.
    pub neuron_address: Signal<Out, Bits<NB>>,
    /// Step the LFSR (a potentiation's first stage).
    pub lfsr_step: Signal<Out, Bit>,
    /// The weight update's first stage is a potentiation's (x_pre, a_plus,
    /// `weight`); its result is written in the next clock.
    pub first_stage: Signal<Out, Bit>,
    /// The weight being potentiated (the synapse word's, at the first stage).
    pub weight: Signal<Out, Bits<8>>,
    /// Borrow the neuron pipeline's multipliers (`NeuronUpdate::lend`): the
    /// clock a decay or a bump computes.
    pub lend: Signal<Out, Bit>,
    /// The pre-synaptic trace (zero-extended), its decay (0 for a bump), its
    /// offset, and the term added (its bump, or 0).
    pub lend_pre_x: Signal<Out, Bits<16>>,
    /// See `lend_pre_x`.
    pub lend_pre_d: Signal<Out, Bits<16>>,
    /// See `lend_pre_x`.
    pub lend_pre_r: Signal<Out, Bits<12>>,
    /// See `lend_pre_x`.
    pub lend_pre_add: Signal<Out, Bits<8>>,
    /// The post-synaptic trace (zero-extended), as `lend_pre_x`.
    pub lend_post_x: Signal<Out, Bits<16>>,
    /// See `lend_post_x`.
    pub lend_post_d: Signal<Out, Bits<16>>,
    /// See `lend_post_x`.
    pub lend_post_r: Signal<Out, Bits<12>>,
    /// See `lend_post_x`.
    pub lend_post_add: Signal<Out, Bits<8>>,
    trace_pre: TraceUpdate,
    trace_post: TraceUpdate,
    state: DFF<PlasticityState>,
    counter: DFF<Bits<SRCB>>,
    pointer: DFF<Bits<18>>,
    remaining: DFF<Bits<16>>,
    syn_at: DFF<Bits<18>>,
    syn_target: DFF<Bits<8>>,
    source: DFF<Bits<SRCB>>,
    decay_valid: DFF<Bit>,
    decay_source: DFF<Bits<SRCB>>,
    offset: DFF<Bits<12>>,
    decay_offset: DFF<Bits<12>>,
    wb_valid: DFF<Bit>,
    wb_source: DFF<Bits<SRCB>>,
    fanin_done: Signal<Local, Bit>,
    bump: Signal<Local, Bit>,
    axon_base: Constant<Bits<SRCB>>,
    neuron_step: Constant<Bits<12>>,
    last_axon: Constant<Bits<SRCB>>,
    decay_neuron: Signal<Local, Bit>,
    last_source: Constant<Bits<SRCB>>,
}

impl<const NB: usize, const MB: usize, const SB: usize, const SRCB: usize> Default for Plasticity<NB, MB, SB, SRCB> {
    fn default() -> Self {
        let (n, m) = (1u32 << NB, 1u32 << MB);
        Plasticity {
            clock: Default::default(),
            start_potentiation: Default::default(),
            start_decay: Default::default(),
            list_is_neuron: Default::default(),
            list_source: Default::default(),
            list_neuron: Default::default(),
            list_more: Default::default(),
            list_more_spikes: Default::default(),
            list_any: Default::default(),
            fanin_data: Default::default(),
            syn_data: Default::default(),
            xpre_data: Default::default(),
            x_post: Default::default(),
            w_next: Default::default(),
            pre_decay: Default::default(),
            post_decay: Default::default(),
            dither_phase: Default::default(),
            dither_on: Default::default(),
            lent_pre: Default::default(),
            lent_post: Default::default(),
            pre_bump: Default::default(),
            post_bump: Default::default(),
            busy: Default::default(),
            done: Default::default(),
            list_rewind_spikes: Default::default(),
            list_rewind: Default::default(),
            list_advance_spike: Default::default(),
            list_choose: Default::default(),
            list_advance: Default::default(),
            fanin_own: Default::default(),
            fanin_address: Default::default(),
            syn_own: Default::default(),
            syn_address: Default::default(),
            syn_write: Default::default(),
            syn_write_data: Default::default(),
            xpre_own: Default::default(),
            xpre_address: Default::default(),
            trace_write: Default::default(),
            trace_source: Default::default(),
            xpre_next: Default::default(),
            xpost_write: Default::default(),
            trace_neuron: Default::default(),
            xpost_next: Default::default(),
            neuron_own: Default::default(),
            neuron_address: Default::default(),
            lfsr_step: Default::default(),
            first_stage: Default::default(),
            weight: Default::default(),
            lend: Default::default(),
            lend_pre_x: Default::default(),
            lend_pre_d: Default::default(),
            lend_pre_r: Default::default(),
            lend_pre_add: Default::default(),
            lend_post_x: Default::default(),
            lend_post_d: Default::default(),
            lend_post_r: Default::default(),
            lend_post_add: Default::default(),
            trace_pre: Default::default(),
            trace_post: Default::default(),
            state: Default::default(),
            counter: Default::default(),
            pointer: Default::default(),
            remaining: Default::default(),
            syn_at: Default::default(),
            syn_target: Default::default(),
            source: Default::default(),
            decay_valid: Default::default(),
            decay_source: Default::default(),
            offset: Default::default(),
            decay_offset: Default::default(),
            neuron_step: Constant::new(NEURON_STEP.to_bits()),
            last_axon: Constant::new((m - 1).to_bits()),
            decay_neuron: Default::default(),
            wb_valid: Default::default(),
            wb_source: Default::default(),
            fanin_done: Default::default(),
            bump: Default::default(),
            axon_base: Constant::new(m.to_bits()),
            last_source: Constant::new((m + n - 1).to_bits()),
        }
    }
}

impl<const NB: usize, const MB: usize, const SB: usize, const SRCB: usize> Logic for Plasticity<NB, MB, SB, SRCB> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            state,
            counter,
            pointer,
            remaining,
            syn_at,
            syn_target,
            source,
            decay_valid,
            decay_source,
            offset,
            decay_offset,
            wb_valid,
            wb_source
        );
        self.weight.next = bit_cast::<8, 18>(self.syn_data.val());
        self.syn_address.next = bit_cast::<SB, 18>(self.pointer.q.val());
        self.syn_write_data.next =
            bit_cast::<16, 8>(self.syn_target.q.val()) << 8 | bit_cast::<16, 8>(self.w_next.val());
        self.fanin_address.next = self.list_neuron.val();
        self.xpre_address.next = self.list_source.val();
        self.neuron_address.next = self.list_neuron.val();

        // Traces: the decay pass computes one clock after its read (the bump
        // pass in `BumpWrite`) in the neuron pipeline's multiply-adds, whose
        // registers hold the result the clock after; it is written then,
        // whatever the state. The decays take the offsets of the source
        // being computed (spec §5.1): an axon's x_pre takes `a`, a neuron's
        // x_pre `a` rotated by 9 bits, its x_post `a` rotated by 1 (wiring).
        // A bump decays by 0 (which keeps a trace whatever the offset) and
        // adds the bump.
        self.bump.next = self.state.q.val() == PlasticityState::BumpWrite;
        self.lend.next = self.decay_valid.q.val() | self.bump.val();
        self.lend_pre_x.next = bit_cast::<16, 8>(self.xpre_data.val().get_bits::<8>(0));
        self.lend_post_x.next = bit_cast::<16, 8>(self.x_post.val().get_bits::<8>(0));
        self.lend_pre_d.next = bit_cast::<16, 13>(self.pre_decay.val());
        self.lend_post_d.next = bit_cast::<16, 13>(self.post_decay.val());
        self.lend_pre_add.next = 0.into();
        self.lend_post_add.next = 0.into();
        if self.bump.val() {
            self.lend_pre_d.next = 0.into();
            self.lend_post_d.next = 0.into();
            self.lend_pre_add.next = self.pre_bump.val();
            self.lend_post_add.next = self.post_bump.val();
        }
        self.decay_neuron.next = self.decay_source.q.val() >= self.axon_base.val();
        self.lend_pre_r.next = self.decay_offset.q.val();
        if self.decay_neuron.val() {
            self.lend_pre_r.next = (self.decay_offset.q.val() << 9) | (self.decay_offset.q.val() >> 3);
        }
        self.lend_post_r.next = (self.decay_offset.q.val() << 1) | (self.decay_offset.q.val() >> 11);
        self.trace_pre.sum.next = self.lent_pre.val();
        self.trace_post.sum.next = self.lent_post.val();
        self.decay_valid.d.next = false;
        self.wb_valid.d.next = self.decay_valid.q.val();
        self.wb_source.d.next = self.decay_source.q.val();
        if self.bump.val() {
            self.wb_valid.d.next = true;
            self.wb_source.d.next = self.source.q.val();
        }
        self.trace_write.next = self.wb_valid.q.val();
        self.trace_source.next = self.wb_source.q.val();
        self.xpre_next.next = bit_cast::<16, 8>(self.trace_pre.x_next.val());
        self.xpost_write.next = self.wb_valid.q.val() & (self.wb_source.q.val() >= self.axon_base.val());
        self.trace_neuron.next = bit_cast::<NB, SRCB>(self.wb_source.q.val() - self.axon_base.val());
        self.xpost_next.next = bit_cast::<16, 8>(self.trace_post.x_next.val());

        self.busy.next = true;
        self.done.next = false;
        self.list_rewind_spikes.next = false;
        self.list_rewind.next = false;
        self.list_advance_spike.next = false;
        self.list_choose.next = false;
        self.list_advance.next = false;
        self.fanin_own.next = false;
        self.syn_own.next = false;
        self.syn_write.next = false;
        self.xpre_own.next = false;
        self.neuron_own.next = false;
        self.lfsr_step.next = false;
        self.first_stage.next = false;
        self.fanin_done.next = false;

        match self.state.q.val() {
            PlasticityState::Idle => {
                self.busy.next = false;
                if self.start_potentiation.val() {
                    self.list_rewind_spikes.next = true;
                    self.state.d.next = PlasticityState::PotNeuron;
                }
                if self.start_decay.val() {
                    self.counter.d.next = 0.into();
                    self.offset.d.next = self.dither_phase.val();
                    self.state.d.next = PlasticityState::TraceDecay;
                }
            }
            PlasticityState::PotNeuron => {
                // The spike list's word is on its way.
                self.state.d.next = PlasticityState::PotSpike;
            }
            PlasticityState::PotSpike => {
                self.fanin_own.next = true;
                self.list_advance_spike.next = true;
                self.state.d.next = PlasticityState::PotFanin;
            }
            PlasticityState::PotFanin => {
                self.syn_own.next = true;
                self.syn_address.next = bit_cast::<SB, 18>(self.fanin_data.val());
                self.pointer.d.next = self.fanin_data.val() + 1;
                self.state.d.next = PlasticityState::PotHeader;
            }
            PlasticityState::PotHeader => {
                self.remaining.d.next = bit_cast::<16, 18>(self.syn_data.val());
                if bit_cast::<16, 18>(self.syn_data.val()) == 0 {
                    self.fanin_done.next = true;
                } else {
                    self.state.d.next = PlasticityState::PotEntry;
                }
            }
            PlasticityState::PotEntry => {
                self.syn_own.next = true;
                self.pointer.d.next = self.pointer.q.val() + 1;
                self.state.d.next = PlasticityState::PotAddress;
            }
            PlasticityState::PotAddress => {
                self.syn_at.d.next = self.syn_data.val();
                self.syn_own.next = true;
                self.pointer.d.next = self.pointer.q.val() + 1;
                self.state.d.next = PlasticityState::PotSource;
            }
            PlasticityState::PotSource => {
                self.xpre_own.next = true;
                self.xpre_address.next = bit_cast::<SRCB, 18>(self.syn_data.val());
                self.syn_own.next = true;
                self.syn_address.next = bit_cast::<SB, 18>(self.syn_at.q.val());
                self.state.d.next = PlasticityState::PotCompute;
            }
            PlasticityState::PotCompute => {
                // x_pre and the synapse word are here: the first stage.
                self.lfsr_step.next = true;
                self.first_stage.next = true;
                self.syn_target.d.next = self.syn_data.val().get_bits::<8>(8);
                self.state.d.next = PlasticityState::PotWrite;
            }
            PlasticityState::PotWrite => {
                self.syn_own.next = true;
                self.syn_address.next = bit_cast::<SB, 18>(self.syn_at.q.val());
                self.syn_write.next = true;
                self.remaining.d.next = self.remaining.q.val() - 1;
                if self.remaining.q.val() == 1 {
                    self.fanin_done.next = true;
                } else {
                    self.state.d.next = PlasticityState::PotEntry;
                }
            }
            PlasticityState::TraceDecay => {
                // Every source's x_pre (and a neuron's x_post) through its decay.
                self.xpre_own.next = true;
                self.xpre_address.next = self.counter.q.val();
                self.neuron_own.next = true;
                self.neuron_address.next = bit_cast::<NB, SRCB>(self.counter.q.val() - self.axon_base.val());
                self.decay_valid.d.next = true;
                self.decay_source.d.next = self.counter.q.val();
                self.decay_offset.d.next = 0.into();
                if self.dither_on.val() {
                    self.decay_offset.d.next = self.offset.q.val();
                }
                // `a` of the next axon or neuron: the phase again at the
                // first neuron.
                self.offset.d.next = self.offset.q.val() + self.neuron_step.val();
                if self.counter.q.val() == self.last_axon.val() {
                    self.offset.d.next = self.dither_phase.val();
                }
                self.counter.d.next = self.counter.q.val() + 1;
                if self.counter.q.val() == self.last_source.val() {
                    self.list_rewind.next = true;
                    self.state.d.next = PlasticityState::TraceDrain;
                }
            }
            PlasticityState::TraceDrain => {
                // The last decayed traces are written before any bump reads one.
                if self.list_any.val() {
                    self.state.d.next = PlasticityState::BumpList;
                } else {
                    self.done.next = true;
                    self.state.d.next = PlasticityState::Idle;
                }
            }
            PlasticityState::BumpList => {
                self.list_choose.next = true;
                self.state.d.next = PlasticityState::BumpSource;
            }
            PlasticityState::BumpSource => {
                self.list_advance.next = true;
                self.source.d.next = self.list_source.val();
                self.xpre_own.next = true;
                self.neuron_own.next = self.list_is_neuron.val();
                self.state.d.next = PlasticityState::BumpWrite;
            }
            PlasticityState::BumpWrite => {
                if self.list_more.val() {
                    self.state.d.next = PlasticityState::BumpList;
                } else {
                    self.done.next = true;
                    self.state.d.next = PlasticityState::Idle;
                }
            }
            _ => {
                self.state.d.next = PlasticityState::Idle;
            }
        }

        // What follows a spiker's last plastic fan-in synapse: the next
        // spiker, else the trace decay.
        if self.fanin_done.val() {
            if self.list_more_spikes.val() {
                self.state.d.next = PlasticityState::PotNeuron;
            } else {
                self.counter.d.next = 0.into();
                self.offset.d.next = self.dither_phase.val();
                self.state.d.next = PlasticityState::TraceDecay;
            }
        }
    }
}
