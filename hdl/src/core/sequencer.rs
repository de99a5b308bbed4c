//! `Sequencer`: the order of a tick's phases (`docs/spec.md` §6) and its
//! fixed costs (§7.2), deciding once what follows each phase; it also runs
//! the neuron phase, issuing one neuron per clock into the `NeuronUpdate`
//! pipeline and appending its spikers to the spike list. The twin in
//! `spikefab-sim` is `Simulator::step_tick` (`neuron_phase`, then routing,
//! potentiation and traces), and the cycles are `CycleCosts::before_routing`
//! (`C_start` = 2: `Start0`, `Start1`; `C_fill` + N × `C_neuron`:
//! `NeuronIssue` per neuron, `NeuronDrain` for the pipeline's depth) and the
//! fixed part of `CycleCosts::after_learning` (`C_end` = 2: `End0`, `End1`).
//!
//! A TICK command of k ticks runs k ticks back to back; `done` is high in the
//! last clock of the last one.

use rust_hdl::prelude::*;

use crate::neuron_update::NEURON_LATENCY;

#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
enum SequencerState {
    Idle,
    Start0,
    Start1,
    NeuronIssue,
    NeuronDrain,
    Routing,
    Learning,
    End0,
    End1,
}

/// The tick's phases. `NB`, `DB`, `RB`: the core's widths.
#[derive(LogicBlock)]
pub struct Sequencer<const NB: usize, const DB: usize, const RB: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Run `ticks` ticks.
    pub start: Signal<In, Bit>,
    /// How many (at least 1).
    pub ticks: Signal<In, Bits<16>>,
    /// The tick counter's slot in the delay ring (`t mod D`).
    pub slot: Signal<In, Bits<DB>>,
    /// Learning is on.
    pub learn: Signal<In, Bit>,
    /// The tick has a source to route (an input or a spike, including one
    /// appended this clock).
    pub list_any: Signal<In, Bit>,
    /// The spike list is not empty.
    pub list_any_spikes: Signal<In, Bit>,
    /// The routing phase ends this clock.
    pub router_done: Signal<In, Bit>,
    /// The learning phases end this clock.
    pub plasticity_done: Signal<In, Bit>,
    /// The neuron pipeline's result is valid (`NeuronUpdate::out_valid`).
    pub neuron_valid: Signal<In, Bit>,
    /// And it fired.
    pub neuron_spike: Signal<In, Bit>,
    /// A busy cycle of the sequencer's own states.
    pub busy: Signal<Out, Bit>,
    /// The last tick ends this clock.
    pub done: Signal<Out, Bit>,
    /// A tick starts: the spike list empties.
    pub new_tick: Signal<Out, Bit>,
    /// A tick ends: the tick counter advances, the pending inputs are used.
    pub tick_end: Signal<Out, Bit>,
    /// Start the routing phase.
    pub router_start: Signal<Out, Bit>,
    /// Start learning with potentiation.
    pub potentiation_start: Signal<Out, Bit>,
    /// Start learning with the trace decay.
    pub decay_start: Signal<Out, Bit>,
    /// The sequencer reads the neuron memory at `neuron_address`.
    pub neuron_own: Signal<Out, Bit>,
    /// The neuron issued.
    pub neuron_address: Signal<Out, Bits<NB>>,
    /// Read and clear the ring cell `ring_address`.
    pub ring_clear: Signal<Out, Bit>,
    /// The issued neuron's cell in this tick's slot.
    pub ring_address: Signal<Out, Bits<RB>>,
    /// A neuron enters the pipeline (its memory words are out).
    pub issue_valid: Signal<Out, Bit>,
    /// The neuron two clocks after its issue (late parameter reads).
    pub address2: Signal<Out, Bits<NB>>,
    /// Three clocks after.
    pub address3: Signal<Out, Bits<NB>>,
    /// Four clocks after: the neuron whose result is out (its write-back).
    pub address4: Signal<Out, Bits<NB>>,
    /// The neuron phase's states (the memories serve its late reads).
    pub late: Signal<Out, Bit>,
    /// Append `address4` to the spike list.
    pub spike_write: Signal<Out, Bit>,
    state: DFF<SequencerState>,
    ticks_left: DFF<Bits<16>>,
    counter: DFF<Bits<16>>,
    issued: DFF<Bit>,
    idx1: DFF<Bits<NB>>,
    idx2: DFF<Bits<NB>>,
    idx3: DFF<Bits<NB>>,
    idx4: DFF<Bits<NB>>,
    last_neuron: Constant<Bits<NB>>,
    drain_last: Constant<Bits<16>>,
    neuron_shift: Constant<Bits<8>>,
}

impl<const NB: usize, const DB: usize, const RB: usize> Default for Sequencer<NB, DB, RB> {
    fn default() -> Self {
        Sequencer {
            clock: Default::default(),
            start: Default::default(),
            ticks: Default::default(),
            slot: Default::default(),
            learn: Default::default(),
            list_any: Default::default(),
            list_any_spikes: Default::default(),
            router_done: Default::default(),
            plasticity_done: Default::default(),
            neuron_valid: Default::default(),
            neuron_spike: Default::default(),
            busy: Default::default(),
            done: Default::default(),
            new_tick: Default::default(),
            tick_end: Default::default(),
            router_start: Default::default(),
            potentiation_start: Default::default(),
            decay_start: Default::default(),
            neuron_own: Default::default(),
            neuron_address: Default::default(),
            ring_clear: Default::default(),
            ring_address: Default::default(),
            issue_valid: Default::default(),
            address2: Default::default(),
            address3: Default::default(),
            address4: Default::default(),
            late: Default::default(),
            spike_write: Default::default(),
            state: Default::default(),
            ticks_left: Default::default(),
            counter: Default::default(),
            issued: Default::default(),
            idx1: Default::default(),
            idx2: Default::default(),
            idx3: Default::default(),
            idx4: Default::default(),
            last_neuron: Constant::new(((1u32 << NB) - 1).to_bits()),
            drain_last: Constant::new((NEURON_LATENCY as u16).to_bits()),
            neuron_shift: Constant::new((NB as u8).to_bits()),
        }
    }
}

impl<const NB: usize, const DB: usize, const RB: usize> Logic for Sequencer<NB, DB, RB> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state, ticks_left, counter, issued, idx1, idx2, idx3, idx4);
        // The neuron pipeline: a neuron's memory words are out one clock
        // after its issue, its result four clocks after.
        self.issued.d.next = false;
        self.issue_valid.next = self.issued.q.val();
        self.idx2.d.next = self.idx1.q.val();
        self.idx3.d.next = self.idx2.q.val();
        self.idx4.d.next = self.idx3.q.val();
        self.address2.next = self.idx2.q.val();
        self.address3.next = self.idx3.q.val();
        self.address4.next = self.idx4.q.val();
        self.spike_write.next = self.neuron_valid.val() & self.neuron_spike.val();
        self.neuron_address.next = bit_cast::<NB, 16>(self.counter.q.val());
        self.ring_address.next = bit_cast::<RB, DB>(self.slot.val()) << self.neuron_shift.val()
            | bit_cast::<RB, NB>(bit_cast::<NB, 16>(self.counter.q.val()));
        self.late.next =
            (self.state.q.val() == SequencerState::NeuronIssue) | (self.state.q.val() == SequencerState::NeuronDrain);

        self.busy.next = true;
        self.done.next = false;
        self.new_tick.next = false;
        self.tick_end.next = false;
        self.router_start.next = false;
        self.potentiation_start.next = false;
        self.decay_start.next = false;
        self.neuron_own.next = false;
        self.ring_clear.next = false;

        match self.state.q.val() {
            SequencerState::Idle => {
                self.busy.next = false;
                if self.start.val() {
                    self.ticks_left.d.next = self.ticks.val();
                    self.state.d.next = SequencerState::Start0;
                }
            }
            SequencerState::Start0 => {
                self.new_tick.next = true;
                self.counter.d.next = 0.into();
                self.state.d.next = SequencerState::Start1;
            }
            SequencerState::Start1 => {
                self.state.d.next = SequencerState::NeuronIssue;
            }
            SequencerState::NeuronIssue => {
                // Read neuron `counter`'s state, parameters and ring cell.
                self.neuron_own.next = true;
                self.ring_clear.next = true;
                self.issued.d.next = true;
                self.idx1.d.next = bit_cast::<NB, 16>(self.counter.q.val());
                self.counter.d.next = self.counter.q.val() + 1;
                if bit_cast::<NB, 16>(self.counter.q.val()) == self.last_neuron.val() {
                    self.counter.d.next = 0.into();
                    self.state.d.next = SequencerState::NeuronDrain;
                }
            }
            SequencerState::NeuronDrain => {
                self.counter.d.next = self.counter.q.val() + 1;
                if self.counter.q.val() == self.drain_last.val() {
                    // Routing if the tick has a source, else learning's trace
                    // phase, else the end.
                    if self.list_any.val() {
                        self.router_start.next = true;
                        self.state.d.next = SequencerState::Routing;
                    } else if self.learn.val() {
                        self.decay_start.next = true;
                        self.state.d.next = SequencerState::Learning;
                    } else {
                        self.state.d.next = SequencerState::End0;
                    }
                }
            }
            SequencerState::Routing => {
                self.busy.next = false;
                // After routing: potentiation of the spikers, else the trace
                // decay, else the end of the tick.
                if self.router_done.val() {
                    if self.learn.val() & self.list_any_spikes.val() {
                        self.potentiation_start.next = true;
                        self.state.d.next = SequencerState::Learning;
                    } else if self.learn.val() {
                        self.decay_start.next = true;
                        self.state.d.next = SequencerState::Learning;
                    } else {
                        self.state.d.next = SequencerState::End0;
                    }
                }
            }
            SequencerState::Learning => {
                self.busy.next = false;
                if self.plasticity_done.val() {
                    self.state.d.next = SequencerState::End0;
                }
            }
            SequencerState::End0 => {
                self.state.d.next = SequencerState::End1;
            }
            SequencerState::End1 => {
                self.tick_end.next = true;
                self.ticks_left.d.next = self.ticks_left.q.val() - 1;
                if self.ticks_left.q.val() == 1 {
                    self.done.next = true;
                    self.state.d.next = SequencerState::Idle;
                } else {
                    self.state.d.next = SequencerState::Start0;
                }
            }
            _ => {
                self.state.d.next = SequencerState::Idle;
            }
        }
    }
}
