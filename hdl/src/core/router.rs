//! `Router`: the routing phase of a tick (`docs/spec.md` §6 phase 2, §8.3,
//! §8.4): for each source of the [`SourceList`](super::source_list), in
//! order, its synapses from the synapse memory into the delay ring, and with
//! learning on the depression of each plastic one. The twin in
//! `spikefab-sim` is `Simulator::route` (called by `step_tick` for each
//! source), and its cycles are `CycleCosts::route_cost`.
//!
//! A source costs `C_route` = 3 clocks (`Next`: choose the list; `Source`:
//! the list word is out, look up the source table; `Head`: the table word is
//! out, read the first run header), then one clock per run header and per
//! synapse, and 4 more per plastic synapse with learning on (`DepressData`
//! delivers and reads `x_post` and the synapse's fraction word,
//! `DepressCompute` is the weight update's first stage, `DepressWrite` its
//! second into the synapse word, `DepressFraction` writes the fraction word,
//! `DepressFetch` reads the next word). With learning off the walk steps over
//! a plastic run's fraction words: the address moves on by 2 per synapse,
//! in the same clock. A neuron's stamp, the busy cycle its routing
//! started (§7.3), is offered to the host port in `Source` (`stamp_valid`),
//! which folds it into the STEP's digest in that clock (§10.4).
//!
//! When a source ends and the list has no more, `done` is high for that
//! clock and the block goes idle: the sequencer decides what follows.

use rust_hdl::prelude::*;

use super::syn_claim::SynClaim;

#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
enum RouterState {
    Idle,
    Next,
    Source,
    Head,
    RunHeader,
    Synapse,
    DepressData,
    DepressCompute,
    DepressWrite,
    DepressFraction,
    DepressFetch,
}

/// The routing phase. `NB`, `DB`, `SB`, `SRCB`, `RB`: the core's widths.
#[derive(LogicBlock)]
pub struct Router<const NB: usize, const DB: usize, const SB: usize, const SRCB: usize, const RB: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Start routing the tick's sources (the list has at least one).
    pub start: Signal<In, Bit>,
    /// Learning is on (plastic synapses are depressed).
    pub learn: Signal<In, Bit>,
    /// The tick's slot in the delay ring (`t mod D`).
    pub slot: Signal<In, Bits<DB>>,
    /// The busy-cycle counter's low 16 bits (a spiker's stamp).
    pub cycles: Signal<In, Bits<16>>,
    /// The source list's chosen source is a neuron.
    pub list_is_neuron: Signal<In, Bit>,
    /// The source list's chosen source.
    pub list_source: Signal<In, Bits<SRCB>>,
    /// The source list has more sources.
    pub list_more: Signal<In, Bit>,
    /// The source table's word (read the clock before; 18 bits, the high
    /// two 0 on a narrow core).
    pub source_data: Signal<In, Bits<18>>,
    /// The synapse memory's word (read the clock before; as `source_data`).
    pub syn_data: Signal<In, Bits<18>>,
    /// The weight update's result (`V`: the weight byte, then the fraction
    /// + 128).
    pub w_next: Signal<In, Bits<16>>,
    /// The weight update's fraction of the clock before, as stored (two's
    /// complement).
    pub fraction_next: Signal<In, Bits<8>>,
    /// A busy cycle.
    pub busy: Signal<Out, Bit>,
    /// The last source's routing ends this clock.
    pub done: Signal<Out, Bit>,
    /// Pick the next source's list.
    pub list_choose: Signal<Out, Bit>,
    /// Move past the source.
    pub list_advance: Signal<Out, Bit>,
    /// A spiker's routing starts: `stamp` is its stamp.
    pub stamp_valid: Signal<Out, Bit>,
    /// The cycle its routing started (the low 16 bits).
    pub stamp: Signal<Out, Bits<16>>,
    /// The router reads the source table at `source_address`.
    pub source_own: Signal<Out, Bit>,
    /// Source-table address.
    pub source_address: Signal<Out, Bits<SRCB>>,
    /// The synapse memory's port: the router reads a spiker's synapses and writes back a depressed one.
    pub syn: SynClaim<SB>,
    /// Add `ring_value` into the ring cell `ring_address`.
    pub ring_add: Signal<Out, Bit>,
    /// Ring cell: slot × N + target.
    pub ring_address: Signal<Out, Bits<RB>>,
    /// The synapse's contribution.
    pub ring_value: Signal<Out, Bits<16>>,
    /// The router reads the neuron memory (a plastic synapse's `x_post`).
    pub neuron_own: Signal<Out, Bit>,
    /// The neuron read.
    pub neuron_address: Signal<Out, Bits<NB>>,
    /// Step the LFSR (a depression's first stage).
    pub lfsr_step: Signal<Out, Bit>,
    /// The fine weight being depressed (the weight update's `V`: the weight
    /// byte, then the fraction word's byte + 128), in `DepressCompute`.
    pub weight: Signal<Out, Bits<16>>,
    state: DFF<RouterState>,
    source: DFF<Bits<SRCB>>,
    pointer: DFF<Bits<18>>,
    run_delay: DFF<Bits<4>>,
    run_wexp: DFF<Bits<3>>,
    run_last: DFF<Bit>,
    run_skip: DFF<Bit>,
    remaining: DFF<Bits<7>>,
    syn_target: DFF<Bits<8>>,
    syn_weight: DFF<Bits<8>>,
    syn_at: DFF<Bits<18>>,
    stamp_q: DFF<Bits<16>>,
    source_done: Signal<Local, Bit>,
    header_skip: Signal<Local, Bit>,
    weight_wide: Signal<Local, Bits<16>>,
    contribution: Signal<Local, Bits<16>>,
    target_slot: Signal<Local, Bits<DB>>,
    target_cell: Signal<Local, Bits<RB>>,
    sign_ext: Constant<Bits<16>>,
    neuron_shift: Constant<Bits<8>>,
    offset: Constant<Bits<8>>,
}

impl<const NB: usize, const DB: usize, const SB: usize, const SRCB: usize, const RB: usize> Default
    for Router<NB, DB, SB, SRCB, RB>
{
    fn default() -> Self {
        Router {
            clock: Default::default(),
            start: Default::default(),
            learn: Default::default(),
            slot: Default::default(),
            cycles: Default::default(),
            list_is_neuron: Default::default(),
            list_source: Default::default(),
            list_more: Default::default(),
            source_data: Default::default(),
            syn_data: Default::default(),
            w_next: Default::default(),
            fraction_next: Default::default(),
            busy: Default::default(),
            done: Default::default(),
            list_choose: Default::default(),
            list_advance: Default::default(),
            stamp_valid: Default::default(),
            stamp: Default::default(),
            source_own: Default::default(),
            source_address: Default::default(),
            syn: Default::default(),
            ring_add: Default::default(),
            ring_address: Default::default(),
            ring_value: Default::default(),
            neuron_own: Default::default(),
            neuron_address: Default::default(),
            lfsr_step: Default::default(),
            weight: Default::default(),
            state: Default::default(),
            source: Default::default(),
            pointer: Default::default(),
            run_delay: Default::default(),
            run_wexp: Default::default(),
            run_last: Default::default(),
            run_skip: Default::default(),
            remaining: Default::default(),
            syn_target: Default::default(),
            syn_weight: Default::default(),
            syn_at: Default::default(),
            stamp_q: Default::default(),
            source_done: Default::default(),
            header_skip: Default::default(),
            weight_wide: Default::default(),
            contribution: Default::default(),
            target_slot: Default::default(),
            target_cell: Default::default(),
            sign_ext: Constant::new(0xFF00u16.to_bits()),
            neuron_shift: Constant::new((NB as u8).to_bits()),
            offset: Constant::new(0x80u8.to_bits()),
        }
    }
}

impl<const NB: usize, const DB: usize, const SB: usize, const SRCB: usize, const RB: usize> Logic
    for Router<NB, DB, SB, SRCB, RB>
{
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, state, source, pointer, run_delay, run_wexp, run_last, run_skip, remaining, syn_target,
            syn_weight, syn_at, stamp_q
        );
        self.stamp.next = self.stamp_q.q.val();
        // In `DepressCompute` the fraction word is on `syn_data`.
        self.weight.next = bit_cast::<16, 8>(self.syn_weight.q.val()) << 8
            | bit_cast::<16, 8>(bit_cast::<8, 18>(self.syn_data.val()) ^ self.offset.val());
        // The synapse word on `syn_data`: its contribution and its ring cell.
        self.weight_wide.next = bit_cast::<16, 8>(bit_cast::<8, 18>(self.syn_data.val()));
        if self.syn_data.val().get_bit(7) {
            self.weight_wide.next = self.weight_wide.val() | self.sign_ext.val();
        }
        self.contribution.next = self.weight_wide.val() << self.run_wexp.q.val();
        self.target_slot.next =
            (self.slot.val() + bit_cast::<DB, 4>(self.run_delay.q.val())) + bit_cast::<DB, 1>(1.into());
        self.target_cell.next = bit_cast::<RB, DB>(self.target_slot.val()) << self.neuron_shift.val()
            | bit_cast::<RB, NB>(self.syn_data.val().get_bits::<NB>(8));
        self.ring_address.next = self.target_cell.val();
        self.ring_value.next = self.contribution.val();
        self.neuron_address.next = self.syn_data.val().get_bits::<NB>(8);
        self.source_address.next = self.source.q.val();
        self.syn.address.next = bit_cast::<SB, 18>(self.pointer.q.val());
        self.syn.data.next =
            bit_cast::<16, 8>(self.syn_target.q.val()) << 8 | bit_cast::<16, 8>(self.w_next.val().get_bits::<8>(8));
        // A plastic run with learning off: its fraction words are stepped over.
        self.header_skip.next = self.syn_data.val().get_bit(7) & !self.learn.val();

        self.busy.next = true;
        self.done.next = false;
        self.list_choose.next = false;
        self.list_advance.next = false;
        self.stamp_valid.next = false;
        self.source_own.next = false;
        self.syn.own.next = false;
        self.syn.write.next = false;
        self.ring_add.next = false;
        self.neuron_own.next = false;
        self.lfsr_step.next = false;
        self.source_done.next = false;

        match self.state.q.val() {
            RouterState::Idle => {
                self.busy.next = false;
                if self.start.val() {
                    self.state.d.next = RouterState::Next;
                }
            }
            RouterState::Next => {
                // Choose the next source's list; a neuron's stamp is this
                // cycle (§7.3).
                self.list_choose.next = true;
                self.stamp_q.d.next = self.cycles.val();
                self.state.d.next = RouterState::Source;
            }
            RouterState::Source => {
                self.list_advance.next = true;
                self.source.d.next = self.list_source.val();
                self.source_own.next = true;
                self.source_address.next = self.list_source.val();
                self.state.d.next = RouterState::Head;
                self.stamp_valid.next = self.list_is_neuron.val();
            }
            RouterState::Head => {
                // The source table's word: the first run header's address.
                self.source_own.next = true;
                self.syn.own.next = true;
                self.syn.address.next = bit_cast::<SB, 18>(self.source_data.val());
                self.pointer.d.next = self.source_data.val() + 1;
                self.state.d.next = RouterState::RunHeader;
            }
            RouterState::RunHeader => {
                self.run_delay.d.next = bit_cast::<4, 18>(self.syn_data.val());
                self.run_wexp.d.next = self.syn_data.val().get_bits::<3>(4);
                self.run_last.d.next = self.syn_data.val().get_bit(8);
                self.run_skip.d.next = self.header_skip.val();
                self.remaining.d.next = self.syn_data.val().get_bits::<7>(9);
                self.syn.own.next = true;
                self.pointer.d.next = self.pointer.q.val() + 1 + bit_cast::<18, 1>(self.header_skip.val().into());
                if self.syn_data.val().get_bits::<7>(9) == 0 {
                    // An empty run ends the source, whatever its `last` bit
                    // (spec §8.3): a memory of zeros (a TICK before any load)
                    // cannot send the walk round the memory for ever.
                    self.source_done.next = true;
                } else if self.syn_data.val().get_bit(7) & self.learn.val() {
                    self.state.d.next = RouterState::DepressData;
                } else {
                    self.state.d.next = RouterState::Synapse;
                }
            }
            RouterState::Synapse => {
                // One synapse per clock: deliver, fetch the next word.
                self.ring_add.next = true;
                self.syn.own.next = true;
                self.pointer.d.next = self.pointer.q.val() + 1 + bit_cast::<18, 1>(self.run_skip.q.val().into());
                self.remaining.d.next = self.remaining.q.val() - 1;
                if self.remaining.q.val() == 1 {
                    if !self.run_last.q.val() {
                        self.state.d.next = RouterState::RunHeader;
                    } else {
                        self.source_done.next = true;
                    }
                }
            }
            RouterState::DepressData => {
                // Deliver with the weight as read, then depress it; read its
                // fraction word (at `pointer`, which stays there).
                self.ring_add.next = true;
                self.neuron_own.next = true;
                self.syn.own.next = true;
                self.syn_target.d.next = self.syn_data.val().get_bits::<8>(8);
                self.syn_weight.d.next = bit_cast::<8, 18>(self.syn_data.val());
                self.syn_at.d.next = self.pointer.q.val() - 1;
                self.state.d.next = RouterState::DepressCompute;
            }
            RouterState::DepressCompute => {
                // x_post and the fraction are here: the weight update's first
                // stage.
                self.lfsr_step.next = true;
                self.state.d.next = RouterState::DepressWrite;
            }
            RouterState::DepressWrite => {
                // Its second stage, straight into the write.
                self.syn.own.next = true;
                self.syn.address.next = bit_cast::<SB, 18>(self.syn_at.q.val());
                self.syn.write.next = true;
                self.state.d.next = RouterState::DepressFraction;
            }
            RouterState::DepressFraction => {
                // The fraction word, at `pointer`.
                self.syn.own.next = true;
                self.syn.data.next = bit_cast::<16, 8>(self.fraction_next.val());
                self.syn.write.next = true;
                self.pointer.d.next = self.pointer.q.val() + 1;
                self.state.d.next = RouterState::DepressFetch;
            }
            RouterState::DepressFetch => {
                self.syn.own.next = true;
                self.pointer.d.next = self.pointer.q.val() + 1;
                self.remaining.d.next = self.remaining.q.val() - 1;
                if self.remaining.q.val() == 1 {
                    if !self.run_last.q.val() {
                        self.state.d.next = RouterState::RunHeader;
                    } else {
                        self.source_done.next = true;
                    }
                } else {
                    self.state.d.next = RouterState::DepressData;
                }
            }
            _ => {
                self.state.d.next = RouterState::Idle;
            }
        }

        // What follows a source's last synapse: the next source, else the
        // sequencer's choice.
        if self.source_done.val() {
            if self.list_more.val() {
                self.state.d.next = RouterState::Next;
            } else {
                self.done.next = true;
                self.state.d.next = RouterState::Idle;
            }
        }
    }
}
