//! `Traces`: the tick's fourth phase when learning is on (`docs/spec.md` §6
//! phase 4, §5.1): every trace's decay, then the bump of the tick's
//! sources' `x_pre` and of the arriving neurons' `x_post`. The twin in
//! `spikefab-sim` is `Part`'s trace phase (`trace_decay`, with the offsets
//! of `TickDither::trace_offsets`, then `trace_bump`); its cycles are the
//! learning part of `CycleCosts::after_learning`.
//!
//! The decay pass reads one trace per clock (`TraceDecay`, one per source,
//! `x_pre` and a neuron's `x_post` together; `offset` steps the dither
//! offset `a` along, from the phase again at the first neuron) and writes it
//! two clocks later. An arriving neuron's `x_post` (`arrives`, from the
//! history in its words) takes its bump in the same multiply-add, as the
//! added term: `min(4095, decay(x) + post_bump)` is the decay and then the
//! bump. The `x_post` word's history bits are written back as read.
//! `TraceDrain` lets the last one land before the bump pass reads the
//! tick's sources' `x_pre` one at a time (`BumpList`, `BumpSource`,
//! `BumpWrite`). Both passes compute in the neuron pipeline's multiply-adds,
//! borrowed through `lend` (the bump pass with no decay and the bump as the
//! added term), and write back what their registers hold, clamped by
//! [`TraceUpdate`]. `done` is high in the last clock.

use rust_hdl::prelude::*;

use spikefab_sim::dither::NEURON_STEP;

use crate::trace_update::TraceUpdate;

#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
enum TracesState {
    Idle,
    TraceDecay,
    TraceDrain,
    BumpList,
    BumpSource,
    BumpWrite,
}

/// The trace phase. `NB`, `MB`, `SRCB`: the core's widths.
#[derive(LogicBlock)]
pub struct Traces<const NB: usize, const MB: usize, const SRCB: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Start the decay pass.
    pub start: Signal<In, Bit>,
    /// The source list's chosen source.
    pub list_source: Signal<In, Bits<SRCB>>,
    /// The source list has more sources.
    pub list_more: Signal<In, Bit>,
    /// The tick has a source.
    pub list_any: Signal<In, Bit>,
    /// The `x_pre` table's word.
    pub xpre_data: Signal<In, Bits<16>>,
    /// The neuron memory's `x_post` word.
    pub x_post: Signal<In, Bits<16>>,
    /// That neuron's spike arrives this tick: its `x_post` is bumped.
    pub arrives: Signal<In, Bit>,
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
    /// The phase ends this clock.
    pub done: Signal<Out, Bit>,
    /// Rewind both of the source list's walks.
    pub list_rewind: Signal<Out, Bit>,
    /// Pick the next source's list.
    pub list_choose: Signal<Out, Bit>,
    /// Move past the source.
    pub list_advance: Signal<Out, Bit>,
    /// Read the `x_pre` table at `xpre_address`.
    pub xpre_own: Signal<Out, Bit>,
    /// `x_pre` read address.
    pub xpre_address: Signal<Out, Bits<SRCB>>,
    /// Read the neuron memory (`x_post`) at `neuron_address`.
    pub neuron_own: Signal<Out, Bit>,
    /// The neuron read.
    pub neuron_address: Signal<Out, Bits<NB>>,
    /// Write a trace back: `x_pre` of `trace_source`.
    pub trace_write: Signal<Out, Bit>,
    /// The source whose traces are written.
    pub trace_source: Signal<Out, Bits<SRCB>>,
    /// Its new `x_pre`.
    pub xpre_next: Signal<Out, Bits<16>>,
    /// Write `x_post` of `trace_neuron` too (the decay pass's source is a
    /// neuron).
    pub xpost_write: Signal<Out, Bit>,
    /// The neuron whose `x_post` is written.
    pub trace_neuron: Signal<Out, Bits<NB>>,
    /// Its new `x_post`.
    pub xpost_next: Signal<Out, Bits<16>>,
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
    state: DFF<TracesState>,
    counter: DFF<Bits<SRCB>>,
    source: DFF<Bits<SRCB>>,
    decay_valid: DFF<Bit>,
    decay_source: DFF<Bits<SRCB>>,
    offset: DFF<Bits<12>>,
    decay_offset: DFF<Bits<12>>,
    wb_valid: DFF<Bit>,
    wb_source: DFF<Bits<SRCB>>,
    wb_decay: DFF<Bit>,
    wb_history: DFF<Bits<4>>,
    bump: Signal<Local, Bit>,
    decay_neuron: Signal<Local, Bit>,
    axon_base: Constant<Bits<SRCB>>,
    neuron_step: Constant<Bits<12>>,
    last_axon: Constant<Bits<SRCB>>,
    last_source: Constant<Bits<SRCB>>,
}

impl<const NB: usize, const MB: usize, const SRCB: usize> Default for Traces<NB, MB, SRCB> {
    fn default() -> Self {
        let (n, m) = (1u32 << NB, 1u32 << MB);
        Traces {
            clock: Default::default(),
            start: Default::default(),
            list_source: Default::default(),
            list_more: Default::default(),
            list_any: Default::default(),
            xpre_data: Default::default(),
            x_post: Default::default(),
            arrives: Default::default(),
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
            list_rewind: Default::default(),
            list_choose: Default::default(),
            list_advance: Default::default(),
            xpre_own: Default::default(),
            xpre_address: Default::default(),
            neuron_own: Default::default(),
            neuron_address: Default::default(),
            trace_write: Default::default(),
            trace_source: Default::default(),
            xpre_next: Default::default(),
            xpost_write: Default::default(),
            trace_neuron: Default::default(),
            xpost_next: Default::default(),
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
            source: Default::default(),
            decay_valid: Default::default(),
            decay_source: Default::default(),
            offset: Default::default(),
            decay_offset: Default::default(),
            wb_valid: Default::default(),
            wb_source: Default::default(),
            wb_decay: Default::default(),
            wb_history: Default::default(),
            bump: Default::default(),
            decay_neuron: Default::default(),
            axon_base: Constant::new(m.to_bits()),
            neuron_step: Constant::new(NEURON_STEP.to_bits()),
            last_axon: Constant::new((m - 1).to_bits()),
            last_source: Constant::new((m + n - 1).to_bits()),
        }
    }
}

impl<const NB: usize, const MB: usize, const SRCB: usize> Logic for Traces<NB, MB, SRCB> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            state,
            counter,
            source,
            decay_valid,
            decay_source,
            offset,
            decay_offset,
            wb_valid,
            wb_source,
            wb_decay,
            wb_history
        );
        self.xpre_address.next = self.list_source.val();
        self.neuron_address.next = bit_cast::<NB, SRCB>(self.counter.q.val() - self.axon_base.val());

        // The decay pass computes one clock after its read (the bump pass in
        // `BumpWrite`) in the neuron pipeline's multiply-adds, whose
        // registers hold the result the clock after; it is written then,
        // whatever the state. The decays take the offsets of the source
        // being computed (spec §5.1): an axon's x_pre takes `a`, a neuron's
        // x_pre `a` rotated by 9 bits, its x_post `a` rotated by 1 (wiring).
        // An arriving neuron's x_post adds its bump to the decay. A bump of
        // x_pre decays by 0 (which keeps a trace whatever the offset) and
        // adds the bump.
        self.bump.next = self.state.q.val() == TracesState::BumpWrite;
        self.lend.next = self.decay_valid.q.val() | self.bump.val();
        self.lend_pre_x.next = bit_cast::<16, 12>(self.xpre_data.val().get_bits::<12>(0));
        self.lend_post_x.next = bit_cast::<16, 12>(self.x_post.val().get_bits::<12>(0));
        self.lend_pre_d.next = bit_cast::<16, 13>(self.pre_decay.val());
        self.lend_post_d.next = bit_cast::<16, 13>(self.post_decay.val());
        self.lend_pre_add.next = 0.into();
        self.lend_post_add.next = 0.into();
        self.decay_neuron.next = self.decay_source.q.val() >= self.axon_base.val();
        if self.decay_neuron.val() & self.arrives.val() {
            self.lend_post_add.next = self.post_bump.val();
        }
        if self.bump.val() {
            self.lend_pre_d.next = 0.into();
            self.lend_pre_add.next = self.pre_bump.val();
        }
        self.lend_pre_r.next = self.decay_offset.q.val();
        if self.decay_neuron.val() {
            self.lend_pre_r.next = (self.decay_offset.q.val() << 9) | (self.decay_offset.q.val() >> 3);
        }
        self.lend_post_r.next = (self.decay_offset.q.val() << 1) | (self.decay_offset.q.val() >> 11);
        self.trace_pre.sum.next = self.lent_pre.val();
        self.trace_post.sum.next = self.lent_post.val();
        self.decay_valid.d.next = false;
        self.wb_valid.d.next = self.decay_valid.q.val();
        self.wb_decay.d.next = self.decay_valid.q.val();
        self.wb_source.d.next = self.decay_source.q.val();
        self.wb_history.d.next = self.x_post.val().get_bits::<4>(12);
        if self.bump.val() {
            self.wb_valid.d.next = true;
            self.wb_source.d.next = self.source.q.val();
        }
        self.trace_write.next = self.wb_valid.q.val();
        self.trace_source.next = self.wb_source.q.val();
        self.xpre_next.next = bit_cast::<16, 12>(self.trace_pre.x_next.val());
        self.xpost_write.next = self.wb_decay.q.val() & (self.wb_source.q.val() >= self.axon_base.val());
        self.trace_neuron.next = bit_cast::<NB, SRCB>(self.wb_source.q.val() - self.axon_base.val());
        self.xpost_next.next =
            bit_cast::<16, 4>(self.wb_history.q.val()) << 12 | bit_cast::<16, 12>(self.trace_post.x_next.val());

        self.busy.next = true;
        self.done.next = false;
        self.list_rewind.next = false;
        self.list_choose.next = false;
        self.list_advance.next = false;
        self.xpre_own.next = false;
        self.neuron_own.next = false;

        match self.state.q.val() {
            TracesState::Idle => {
                self.busy.next = false;
                if self.start.val() {
                    self.counter.d.next = 0.into();
                    self.offset.d.next = self.dither_phase.val();
                    self.state.d.next = TracesState::TraceDecay;
                }
            }
            TracesState::TraceDecay => {
                // Every source's x_pre (and a neuron's x_post) through its decay.
                self.xpre_own.next = true;
                self.xpre_address.next = self.counter.q.val();
                self.neuron_own.next = true;
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
                    self.state.d.next = TracesState::TraceDrain;
                }
            }
            TracesState::TraceDrain => {
                // The last decayed traces are written before any bump reads one.
                if self.list_any.val() {
                    self.state.d.next = TracesState::BumpList;
                } else {
                    self.done.next = true;
                    self.state.d.next = TracesState::Idle;
                }
            }
            TracesState::BumpList => {
                self.list_choose.next = true;
                self.state.d.next = TracesState::BumpSource;
            }
            TracesState::BumpSource => {
                self.list_advance.next = true;
                self.source.d.next = self.list_source.val();
                self.xpre_own.next = true;
                self.state.d.next = TracesState::BumpWrite;
            }
            TracesState::BumpWrite => {
                if self.list_more.val() {
                    self.state.d.next = TracesState::BumpList;
                } else {
                    self.done.next = true;
                    self.state.d.next = TracesState::Idle;
                }
            }
            _ => {
                self.state.d.next = TracesState::Idle;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthesizes() {
        let mut uut = Traces::<8, 8, 9>::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_traces", &generate_verilog(&uut)).unwrap();
    }
}
