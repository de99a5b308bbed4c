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
//! Each `start` runs one tick (a STEP's, §10.4); `done` is high in its last
//! clock.

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
    /// Run a tick.
    pub start: Signal<In, Bit>,
    /// The tick counter's slot in the delay ring (`t mod D`).
    pub slot: Signal<In, Bits<DB>>,
    /// Learning is on.
    pub learn: Signal<In, Bit>,
    /// The tick has a source to route (an input or a spike, including one
    /// appended this clock).
    pub list_any: Signal<In, Bit>,
    /// The spike list is not empty.
    pub list_any_spikes: Signal<In, Bit>,
    /// The tick has an arrival that did not fire (spec §5.3; including one
    /// written this clock).
    pub list_any_arrivals: Signal<In, Bit>,
    /// The routing phase ends this clock.
    pub router_done: Signal<In, Bit>,
    /// The learning phases end this clock.
    pub plasticity_done: Signal<In, Bit>,
    /// The neuron pipeline's result is valid (`NeuronUpdate::out_valid`).
    pub neuron_valid: Signal<In, Bit>,
    /// And it fired.
    pub neuron_spike: Signal<In, Bit>,
    /// And its spike meets its plastic synapses now (`PostHistory::arrives`,
    /// learning on).
    pub neuron_arrives: Signal<In, Bit>,
    /// A busy cycle of the sequencer's own states.
    pub busy: Signal<Out, Bit>,
    /// The tick ends this clock.
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
    /// Add `address4`, which arrives but did not fire, to the arrivals.
    pub arrival_write: Signal<Out, Bit>,
    state: DFF<SequencerState>,
    counter: DFF<Bits<NB>>,
    issued: DFF<Bit>,
    idx1: DFF<Bits<NB>>,
    idx2: DFF<Bits<NB>>,
    idx3: DFF<Bits<NB>>,
    idx4: DFF<Bits<NB>>,
    last_neuron: Constant<Bits<NB>>,
    drain_last: Constant<Bits<NB>>,
    neuron_shift: Constant<Bits<8>>,
}

impl<const NB: usize, const DB: usize, const RB: usize> Default for Sequencer<NB, DB, RB> {
    fn default() -> Self {
        assert!(
            DB <= 4 && RB == NB + DB,
            "a ring cell per neuron and delay slot, 16 slots at most (spec §8.1)"
        );
        Sequencer {
            clock: Default::default(),
            start: Default::default(),
            slot: Default::default(),
            learn: Default::default(),
            list_any: Default::default(),
            list_any_spikes: Default::default(),
            list_any_arrivals: Default::default(),
            router_done: Default::default(),
            plasticity_done: Default::default(),
            neuron_valid: Default::default(),
            neuron_spike: Default::default(),
            neuron_arrives: Default::default(),
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
            arrival_write: Default::default(),
            state: Default::default(),
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
        dff_setup!(self, clock, state, counter, issued, idx1, idx2, idx3, idx4);
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
        self.arrival_write.next = self.neuron_valid.val() & !self.neuron_spike.val() & self.neuron_arrives.val();
        self.neuron_address.next = self.counter.q.val();
        self.ring_address.next =
            bit_cast::<RB, DB>(self.slot.val()) << self.neuron_shift.val() | bit_cast::<RB, NB>(self.counter.q.val());
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
                self.idx1.d.next = self.counter.q.val();
                self.counter.d.next = self.counter.q.val() + 1;
                if self.counter.q.val() == self.last_neuron.val() {
                    self.counter.d.next = 0.into();
                    self.state.d.next = SequencerState::NeuronDrain;
                }
            }
            SequencerState::NeuronDrain => {
                self.counter.d.next = self.counter.q.val() + 1;
                if self.counter.q.val() == self.drain_last.val() {
                    // Routing if the tick has a source, else potentiation of
                    // the arrivals, else learning's trace phase, else the end.
                    if self.list_any.val() {
                        self.router_start.next = true;
                        self.state.d.next = SequencerState::Routing;
                    } else if self.learn.val() & self.list_any_arrivals.val() {
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
            SequencerState::Routing => {
                self.busy.next = false;
                // After routing: potentiation's walk of the spikers and
                // arrivals, else the trace decay, else the end of the tick.
                if self.router_done.val() {
                    if self.learn.val() & (self.list_any_spikes.val() | self.list_any_arrivals.val()) {
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
                self.done.next = true;
                self.state.d.next = SequencerState::Idle;
            }
            _ => {
                self.state.d.next = SequencerState::Idle;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use spikefab_sim::{CoreShape, CycleCosts};

    type Tiny = Sequencer<3, 2, 5>;
    const N: u32 = 8;

    /// One tick as the environment of the sequencer sees it.
    #[derive(Debug, Clone)]
    struct Tick {
        any: bool,
        spikes: bool,
        arrivals: bool,
        route_clocks: u32,
        learn_clocks: u32,
        fired: Vec<bool>,
        arrives: Vec<bool>,
    }

    fn tick() -> impl Strategy<Value = Tick> {
        (
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            1u32..20,
            1u32..20,
            prop::collection::vec(any::<bool>(), N as usize),
            prop::collection::vec(any::<bool>(), N as usize),
        )
            .prop_map(
                |(any, spikes, arrivals, route_clocks, learn_clocks, fired, arrives)| Tick {
                    any: any || spikes,
                    spikes,
                    arrivals,
                    route_clocks,
                    learn_clocks,
                    fired,
                    arrives,
                },
            )
    }

    proptest! {
        /// Each start runs `step_tick`'s phases in order, once: the neuron
        /// phase issues every neuron once, in order, clearing its ring
        /// cell in the tick's slot and appending the spikers in order;
        /// routing runs if the tick has a source; with learning,
        /// potentiation if a neuron spiked or arrives, then the traces; the
        /// arrivals that did not fire are written as arrivals; the busy cycles
        /// of its own states are `CycleCosts`' fixed costs, and `done` comes
        /// in the tick's last clock. Ticks started back to back.
        #[test]
        fn ticks_run_the_golden_models_phases(learn: bool, slot in 0u8..4, ticks in prop::collection::vec(tick(), 1..4)) {
            let costs = CycleCosts::CORE_V1;
            let shape = CoreShape { neurons: N, axons: 8, delay_slots: 4, synapses: 512 };
            let mut uut = Tiny::default();
            uut.connect_all();
            uut.learn.next = learn;
            uut.slot.next = slot.to_bits();
            uut.start.next = true;
            let mut pipeline = [None::<u32>; NEURON_LATENCY + 1];
            let (mut k, mut own_busy, mut issued, mut cleared, mut appended) = (0usize, 0u64, vec![], vec![], vec![]);
            let mut arrived = vec![];
            let (mut routing, mut learning) = (None::<u32>, None::<u32>);
            let mut phases: Vec<&str> = vec![];
            let (mut clocks, mut issued_before) = (0, None::<u32>);
            loop {
                let t = &ticks[k.min(ticks.len() - 1)];
                // The pipeline: a neuron's result NEURON_LATENCY clocks after its words are out.
                let out = pipeline[NEURON_LATENCY];
                uut.neuron_valid.next = out.is_some();
                uut.neuron_spike.next = out.is_some_and(|n| t.fired[n as usize]);
                uut.neuron_arrives.next = out.is_some_and(|n| t.arrives[n as usize]);
                uut.list_any.next = t.any;
                uut.list_any_spikes.next = t.spikes;
                uut.list_any_arrivals.next = t.arrivals;
                uut.router_done.next = routing == Some(1);
                uut.plasticity_done.next = learning == Some(1);
                assert!(simulate(&mut uut, 100));
                if uut.busy.val() {
                    own_busy += 1;
                }
                let issue = uut.neuron_own.val().then(|| uut.neuron_address.val().index() as u32);
                if let Some(n) = issue {
                    issued.push(n);
                    prop_assert!(uut.late.val());
                }
                if uut.ring_clear.val() {
                    cleared.push(uut.ring_address.val().index() as u32);
                }
                if uut.spike_write.val() {
                    appended.push(uut.address4.val().index() as u32);
                }
                if uut.arrival_write.val() {
                    arrived.push(uut.address4.val().index() as u32);
                }
                if let Some(n) = out {
                    prop_assert_eq!(uut.address4.val().index() as u32, n, "the neuron written back");
                }
                for (flag, name) in [
                    (uut.router_start.val(), "route"),
                    (uut.potentiation_start.val(), "potentiate"),
                    (uut.decay_start.val(), "traces"),
                    (uut.tick_end.val(), "end"),
                ] {
                    if flag {
                        phases.push(name);
                    }
                }
                routing = match routing {
                    Some(1) => None,
                    Some(r) => Some(r - 1),
                    None if uut.router_start.val() => Some(t.route_clocks),
                    None => None,
                };
                learning = match learning {
                    Some(1) => None,
                    Some(l) => Some(l - 1),
                    None if uut.potentiation_start.val() || uut.decay_start.val() => Some(t.learn_clocks),
                    None => None,
                };
                let done = uut.done.val();
                let ended = uut.tick_end.val();
                pipeline.rotate_right(1);
                pipeline[0] = None;
                pipeline[1] = if uut.issue_valid.val() { issued_before } else { None };
                issued_before = issue;
                uut.clock.next = true.into();
                assert!(simulate(&mut uut, 100));
                uut.clock.next = false.into();
                uut.start.next = false;
                assert!(simulate(&mut uut, 100));
                clocks += 1;
                prop_assert!(clocks < 10_000);
                if ended {
                    // The tick's record, against the golden model's order and costs.
                    let mut want = vec![];
                    if t.any {
                        want.push("route");
                    }
                    if learn && (t.spikes || t.arrivals) {
                        want.push("potentiate");
                    } else if learn {
                        want.push("traces");
                    }
                    want.push("end");
                    prop_assert_eq!(&phases, &want, "tick {}", k);
                    prop_assert_eq!(own_busy, costs.before_routing(&shape) + costs.tick_end as u64);
                    prop_assert_eq!(&issued, &(0..N).collect::<Vec<_>>());
                    prop_assert_eq!(&cleared, &(0..N).map(|n| (slot as u32) << 3 | n).collect::<Vec<_>>());
                    let fired: Vec<u32> = (0..N).filter(|&n| t.fired[n as usize]).collect();
                    prop_assert_eq!(&appended, &fired);
                    let only: Vec<u32> = (0..N).filter(|&n| t.arrives[n as usize] && !t.fired[n as usize]).collect();
                    prop_assert_eq!(&arrived, &only);
                    arrived.clear();
                    prop_assert!(done, "done in the tick's last clock");
                    (own_busy, issued, cleared, appended, phases) = (0, vec![], vec![], vec![], vec![]);
                    k += 1;
                    if k == ticks.len() {
                        break;
                    }
                    // The next tick starts in the next clock.
                    uut.start.next = true;
                } else {
                    prop_assert!(!done, "done only in a tick's last clock");
                }
            }
            prop_assert_eq!(k, ticks.len());
        }
    }

    #[test]
    fn synthesizes() {
        let mut uut = Sequencer::<8, 3, 11>::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_sequencer", &generate_verilog(&uut)).unwrap();
    }
}
