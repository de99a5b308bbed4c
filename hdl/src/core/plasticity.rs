//! `Plasticity`: the learning phases of a tick (`docs/spec.md` §6 phases 3
//! and 4, §5), two blocks run one after the other: [`Potentiation`] (the
//! potentiation of each arriving neuron's plastic fan-in, spec §5.3; twin
//! the engine's potentiations in `account` and `Part`) and then [`Traces`]
//! (every trace's decay, an arriving neuron's `x_post` bumped with it, then
//! the bump of the tick's sources' `x_pre`; twin `Part`'s trace phase). The
//! trace phase starts in the clock the potentiation ends, or at once when
//! the tick has no spiker or arrival (`start_decay`); `done` is high in its
//! last clock.
//! The memory ports each claims are merged here: only the `x_pre` table's
//! read port is claimed by both (by one at a time).

use rust_hdl::prelude::*;

use super::potentiation::Potentiation;
use super::syn_claim::SynClaim;
use super::traces::Traces;

/// The learning phases. `NB`, `MB`, `SB`, `SRCB`: the core's widths.
#[derive(LogicBlock)]
pub struct Plasticity<const NB: usize, const MB: usize, const SB: usize, const SRCB: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Start with the potentiation of the tick's spikers (there is one).
    pub start_potentiation: Signal<In, Bit>,
    /// Start with the trace decay (no spiker to potentiate).
    pub start_decay: Signal<In, Bit>,
    /// The source list's chosen source.
    pub list_source: Signal<In, Bits<SRCB>>,
    /// The spike list's current neuron.
    pub list_neuron: Signal<In, Bits<NB>>,
    /// The source list has more sources.
    pub list_more: Signal<In, Bit>,
    /// The spike list's current entry arrives (potentiates) this tick.
    pub list_arrives: Signal<In, Bit>,
    /// Potentiation's walk has more entries (spikers, then arrivals).
    pub list_more_arrivals: Signal<In, Bit>,
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
    /// The neuron whose `x_post` word is out arrives this tick
    /// (`PostHistory::arrives` on its stored history).
    pub x_post_arrives: Signal<In, Bit>,
    /// The weight update's result (`V`).
    pub w_next: Signal<In, Bits<16>>,
    /// The weight update's fraction of the clock before, as stored.
    pub fraction_next: Signal<In, Bits<8>>,
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
    /// The synapse memory's port: the potentiation's claim, passed up.
    pub syn: SynClaim<SB>,
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
    /// The fine weight being potentiated (`V`, at the first stage).
    pub weight: Signal<Out, Bits<16>>,
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
    potentiation: Potentiation<NB, SB, SRCB>,
    traces: Traces<NB, MB, SRCB>,
}

impl<const NB: usize, const MB: usize, const SB: usize, const SRCB: usize> Default for Plasticity<NB, MB, SB, SRCB> {
    fn default() -> Self {
        Plasticity {
            clock: Default::default(),
            start_potentiation: Default::default(),
            start_decay: Default::default(),
            list_source: Default::default(),
            list_neuron: Default::default(),
            list_more: Default::default(),
            list_arrives: Default::default(),
            list_more_arrivals: Default::default(),
            list_any: Default::default(),
            fanin_data: Default::default(),
            syn_data: Default::default(),
            xpre_data: Default::default(),
            x_post: Default::default(),
            x_post_arrives: Default::default(),
            w_next: Default::default(),
            fraction_next: Default::default(),
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
            syn: Default::default(),
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
            potentiation: Default::default(),
            traces: Default::default(),
        }
    }
}

impl<const NB: usize, const MB: usize, const SB: usize, const SRCB: usize> Logic for Plasticity<NB, MB, SB, SRCB> {
    #[hdl_gen]
    fn update(&mut self) {
        self.potentiation.clock.next = self.clock.val();
        self.potentiation.start.next = self.start_potentiation.val();
        self.potentiation.list_neuron.next = self.list_neuron.val();
        self.potentiation.list_arrives.next = self.list_arrives.val();
        self.potentiation.list_more_arrivals.next = self.list_more_arrivals.val();
        self.potentiation.fanin_data.next = self.fanin_data.val();
        self.potentiation.syn_data.next = self.syn_data.val();
        self.potentiation.w_next.next = self.w_next.val();
        self.potentiation.fraction_next.next = self.fraction_next.val();

        // The trace phase follows potentiation's last entry.
        self.traces.clock.next = self.clock.val();
        self.traces.start.next = self.start_decay.val() | self.potentiation.done.val();
        self.traces.list_source.next = self.list_source.val();
        self.traces.list_more.next = self.list_more.val();
        self.traces.list_any.next = self.list_any.val();
        self.traces.xpre_data.next = self.xpre_data.val();
        self.traces.x_post.next = self.x_post.val();
        self.traces.arrives.next = self.x_post_arrives.val();
        self.traces.pre_decay.next = self.pre_decay.val();
        self.traces.post_decay.next = self.post_decay.val();
        self.traces.dither_phase.next = self.dither_phase.val();
        self.traces.dither_on.next = self.dither_on.val();
        self.traces.lent_pre.next = self.lent_pre.val();
        self.traces.lent_post.next = self.lent_post.val();
        self.traces.pre_bump.next = self.pre_bump.val();
        self.traces.post_bump.next = self.post_bump.val();

        self.busy.next = self.potentiation.busy.val() | self.traces.busy.val();
        self.done.next = self.traces.done.val();
        self.list_rewind_spikes.next = self.potentiation.list_rewind_spikes.val();
        self.list_advance_spike.next = self.potentiation.list_advance_spike.val();
        self.list_rewind.next = self.traces.list_rewind.val();
        self.list_choose.next = self.traces.list_choose.val();
        self.list_advance.next = self.traces.list_advance.val();
        self.fanin_own.next = self.potentiation.fanin_own.val();
        self.fanin_address.next = self.potentiation.fanin_address.val();
        SynClaim::<SB>::link(&mut self.syn, &mut self.potentiation.syn);
        self.lfsr_step.next = self.potentiation.lfsr_step.val();
        self.first_stage.next = self.potentiation.first_stage.val();
        self.weight.next = self.potentiation.weight.val();
        self.xpre_own.next = self.potentiation.xpre_own.val() | self.traces.xpre_own.val();
        self.xpre_address.next = self.traces.xpre_address.val();
        if self.potentiation.xpre_own.val() {
            self.xpre_address.next = self.potentiation.xpre_address.val();
        }
        self.neuron_own.next = self.traces.neuron_own.val();
        self.neuron_address.next = self.traces.neuron_address.val();
        self.trace_write.next = self.traces.trace_write.val();
        self.trace_source.next = self.traces.trace_source.val();
        self.xpre_next.next = self.traces.xpre_next.val();
        self.xpost_write.next = self.traces.xpost_write.val();
        self.trace_neuron.next = self.traces.trace_neuron.val();
        self.xpost_next.next = self.traces.xpost_next.val();
        self.lend.next = self.traces.lend.val();
        self.lend_pre_x.next = self.traces.lend_pre_x.val();
        self.lend_pre_d.next = self.traces.lend_pre_d.val();
        self.lend_pre_r.next = self.traces.lend_pre_r.val();
        self.lend_pre_add.next = self.traces.lend_pre_add.val();
        self.lend_post_x.next = self.traces.lend_post_x.val();
        self.lend_post_d.next = self.traces.lend_post_d.val();
        self.lend_post_r.next = self.traces.lend_post_r.val();
        self.lend_post_add.next = self.traces.lend_post_add.val();
    }
}
