//! `Core`: the Spikefab core (`docs/spec.md` §6-§8, §10), a byte stream of
//! commands in and a byte stream of answers and events out.
//!
//! Parameterised by address widths: `NB` = log2 N, `MB` = log2 M, `DB` =
//! log2 D, `SB` = log2 of the synapse-memory words, and four derived widths
//! Rust cannot compute in a type: `SRCB` = log2 (M + N) (source indices),
//! `RB` = `NB + DB` (ring cells), `AB` = the host addresses' width
//! (`spikefab_chip::config::cell_bits`) and `XB` = the address width of the
//! memory of the synapse words' bits 16-17 (`high_bits`: 1 on a narrow core,
//! whose high memories are never written and leave the netlist).
//! [`crate::cores`] names the configurations of §8.1 (`spikefab_chip`'s
//! registry) as types of this block.
//!
//! This block holds the neuron memory and the delay ring, the synapse
//! memories' block, the datapath blocks and the two counters (tick and busy
//! cycles), and wires them to the phase blocks, each the twin of one part of
//! the golden model:
//!
//! | block | runs | spec | twin in `spikefab-sim` |
//! |---|---|---|---|
//! | [`host_port::HostPort`] | frames, WRITE / READ / RESET, a STEP handed on | §10 | `spikefab_proto` and the simulator's host side |
//! | [`command_check::CommandCheck`] | a frame's answer or NAK | §10.3-§10.4 | `spikefab_proto::message::NakCode` |
//! | [`history::History`] | duplicates and STEP order | §10.3-§10.4 | the host link's retransmissions and sequence numbers |
//! | [`answer::Answer`] | answer payloads | §10.2 | `spikefab_proto::message` |
//! | [`step_port::StepPort`] | a STEP's inputs, tick, digest and spikes | §10.2, §10.4 | `spikefab_proto::stream` (`SpikeWords`, `stamp_digest`) |
//! | [`memory_map::MemoryMap`] | spaces, ranges, host access ([`host_access`]) | §8.2 | `spikefab_proto::message::Space` |
//! | [`synapse_memories::SynapseMemories`] | source, fan-in, `x_pre`, synapse words; the port claims ([`syn_claim`]) | §8.2 | `spikefab_chip::image::Image` |
//! | [`sequencer::Sequencer`] | the phases of a tick, the neuron phase | §6, §7.2 | `Simulator::step_tick`, `neuron_phase` |
//! | [`source_list::SourceList`] | the tick's inputs and spikers | §6 phase 2 | `step_tick`'s `inputs_now` and `spiked` |
//! | [`router::Router`] | routing and depression | §6 phase 2, §8.3 | `Simulator::route` |
//! | [`plasticity::Plasticity`] | the learning phases, one after the other: | §6 phases 3-4, §5 | |
//! | [`potentiation::Potentiation`] | potentiation of the arrivals | §6 phase 3, §5.3 | the potentiations of `Simulator::account` and `Part` |
//! | [`traces::Traces`] | trace decay and bumps | §6 phase 4, §5.1 | `Learning::trace_phase` |
//!
//! One phase block runs at a time; a block that ends raises `done` in its
//! last clock and the sequencer starts the next in the same clock, so a
//! tick's busy cycles are the states the phases pass through (the cost
//! table of §7.2), whatever block runs them. A memory's port is the host
//! port's unless the running phase block claims it (`*_own`).

pub mod answer;
pub mod command_check;
pub mod diagram;
pub mod history;
pub mod host_access;
pub mod host_port;
pub mod memory_map;
pub mod pacer;
pub mod plasticity;
pub mod potentiation;
pub mod router;
pub mod sequencer;
pub mod source_list;
pub mod spike_packer;
pub mod step_port;
pub mod syn_claim;
pub mod synapse_memories;
pub mod traces;

use rust_hdl::prelude::*;

use crate::control::ControlRegisters;
use crate::delay_ring::DelayRing;
use crate::dither::Dither;
use crate::lfsr::Lfsr;
use crate::neuron_memory::NeuronMemory;
use crate::neuron_update::NeuronUpdate;
use crate::post_history::PostHistory;
use crate::weight_update::WeightUpdate;
use host_access::HostAccess;
use host_port::HostPort;
use memory_map::MemoryMap;
use pacer::Pacer;
use plasticity::Plasticity;
use router::Router;
use sequencer::Sequencer;
use source_list::SourceList;
use spikefab_proto::message::ctrl;
use syn_claim::SynClaim;
use synapse_memories::SynapseMemories;

/// The Spikefab core. See the module documentation.
#[derive(LogicBlock, Default)]
pub struct Core<
    const NB: usize,
    const MB: usize,
    const DB: usize,
    const SB: usize,
    const SRCB: usize,
    const RB: usize,
    const AB: usize,
    const XB: usize,
> {
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
    host: HostPort<NB, MB, DB, SB, AB>,
    pacer: Pacer,
    map: MemoryMap<NB, MB, DB, SB, AB>,
    sequencer: Sequencer<NB, DB, RB>,
    list: SourceList<NB, MB, SRCB>,
    router: Router<NB, DB, SB, SRCB, RB>,
    plasticity: Plasticity<NB, MB, SB, SRCB>,
    // Memories (§8.2).
    neurons: NeuronMemory<NB>,
    ring: DelayRing<RB>,
    synapses: SynapseMemories<NB, MB, SB, SRCB, AB, XB>,
    // Datapath.
    neuron: NeuronUpdate,
    history: PostHistory,
    weight: WeightUpdate,
    lfsr: Lfsr,
    dither: Dither,
    control: ControlRegisters,
    tick: DFF<Bits<32>>,
    cycles: DFF<Bits<64>>,
    slot: Signal<Local, Bits<DB>>,
    counted: Signal<Local, Bit>,
}

impl<
        const NB: usize,
        const MB: usize,
        const DB: usize,
        const SB: usize,
        const SRCB: usize,
        const RB: usize,
        const AB: usize,
        const XB: usize,
    > Core<NB, MB, DB, SB, SRCB, RB, AB, XB>
{
    /// Nothing to do until a byte arrives: the command FSM waits for a frame,
    /// none is complete in the receiver and the transmitter has sent everything
    /// (for co-simulation, which stops stepping an idle core).
    pub fn is_idle(&self) -> bool {
        self.idle.val()
    }
}

impl<
        const NB: usize,
        const MB: usize,
        const DB: usize,
        const SB: usize,
        const SRCB: usize,
        const RB: usize,
        const AB: usize,
        const XB: usize,
    > Logic for Core<NB, MB, DB, SB, SRCB, RB, AB, XB>
{
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, tick, cycles);
        self.host.clock.next = self.clock.val();
        self.sequencer.clock.next = self.clock.val();
        self.list.clock.next = self.clock.val();
        self.router.clock.next = self.clock.val();
        self.plasticity.clock.next = self.clock.val();
        self.neurons.clock.next = self.clock.val();
        self.ring.clock.next = self.clock.val();
        self.synapses.clock.next = self.clock.val();
        self.neuron.clock.next = self.clock.val();
        self.weight.clock.next = self.clock.val();
        self.lfsr.clock.next = self.clock.val();
        self.dither.clock.next = self.clock.val();
        self.control.clock.next = self.clock.val();
        self.slot.next = bit_cast::<DB, 32>(self.tick.q.val());

        // The link.
        self.host.in_data.next = self.in_data.val();
        self.host.in_valid.next = self.in_valid.val();
        self.in_ready.next = self.host.in_ready.val();
        self.out_data.next = self.host.out_data.val();
        self.out_valid.next = self.host.out_valid.val();
        self.host.out_ready.next = self.out_ready.val();
        self.idle.next = self.host.idle.val() & self.pacer.settled.val();
        self.host.step.tick.next = self.tick.q.val();
        self.host.step.cycles.next = self.cycles.q.val().get_bits::<32>(0);
        self.host.step.stamp.next = self.router.stamp.val();
        self.host.step.stamp_valid.next = self.router.stamp_valid.val();
        self.host.step.tick_done.next = self.sequencer.done.val();
        self.host.step.step_go.next = self.pacer.go.val();
        self.pacer.clock.next = self.clock.val();
        self.pacer.period.next = self.control.period.val();
        self.pacer.ready.next = self.host.step.step_ready.val();
        self.pacer.tick_done.next = self.sequencer.done.val();
        self.pacer.clear.next = self.host.reset.val() | self.control.period_written.val();
        self.host.step.spike_total.next = self.list.spike_total.val();
        self.host.list.neuron.next = self.list.neuron.val();
        self.host.list.more.next = self.list.more_spikes.val();
        HostAccess::<AB>::join(&mut self.host.access, &mut self.map.access);
        self.map.neuron_word.next = self.neurons.read_word.val();
        self.map.ring_word.next = self.ring.old_value.val();
        self.map.source_word.next = self.synapses.source_word.val();
        self.map.fanin_word.next = self.synapses.fanin_word.val();
        self.map.xpre_word.next = self.synapses.xpre_word.val();
        self.map.syn_word.next = self.synapses.syn_word.val();
        self.map.ctrl_word.next = self.control.read_word.val();

        // The tick's phases.
        self.sequencer.start.next = self.host.step.tick_start.val();
        self.sequencer.slot.next = self.slot.val();
        self.sequencer.learn.next = self.control.learn.val();
        self.sequencer.list_any.next = self.list.any.val();
        self.sequencer.list_any_spikes.next = self.list.any_spikes.val();
        self.sequencer.list_any_arrivals.next = self.list.any_arrivals.val();
        self.sequencer.router_done.next = self.router.done.val();
        self.sequencer.plasticity_done.next = self.plasticity.done.val();
        self.sequencer.neuron_valid.next = self.neuron.out_valid.val();
        self.sequencer.neuron_spike.next = self.neuron.spike.val();
        self.sequencer.neuron_arrives.next = self.history.arrives.val() & self.control.learn.val();
        self.list.input_write.next = self.host.step.input_write.val();
        self.list.input_offset.next = self.host.step.input_offset.val();
        self.list.input_data.next = self.host.step.input_data.val();
        self.list.input_commit.next = self.host.step.input_commit.val();
        self.list.inputs_clear.next = self.sequencer.tick_end.val() | self.host.reset.val();
        self.list.spike_write.next = self.sequencer.spike_write.val();
        self.list.spike_neuron.next = self.sequencer.address4.val();
        self.list.spike_arrives.next = self.history.arrives.val() & self.control.learn.val();
        self.list.arrival_write.next = self.sequencer.arrival_write.val();
        self.list.new_tick.next = self.sequencer.new_tick.val();
        self.list.rewind.next = self.plasticity.list_rewind.val();
        self.list.rewind_spikes.next = self.plasticity.list_rewind_spikes.val() | self.host.list.rewind.val();
        self.list.choose.next = self.router.list_choose.val() | self.plasticity.list_choose.val();
        self.list.advance.next = self.router.list_advance.val() | self.plasticity.list_advance.val();
        self.list.advance_spike.next = self.plasticity.list_advance_spike.val() | self.host.list.advance.val();
        self.router.start.next = self.sequencer.router_start.val();
        self.router.learn.next = self.control.learn.val();
        self.router.slot.next = self.slot.val();
        self.router.cycles.next = self.cycles.q.val().get_bits::<16>(0);
        self.router.list_is_neuron.next = self.list.is_neuron.val();
        self.router.list_source.next = self.list.source.val();
        self.router.list_more.next = self.list.more.val();
        self.router.source_data.next = self.synapses.source_word.val();
        self.router.syn_data.next = self.synapses.syn_word.val();
        self.router.w_next.next = self.weight.w_next.val();
        self.router.fraction_next.next = self.weight.fraction_next.val();
        self.plasticity.start_potentiation.next = self.sequencer.potentiation_start.val();
        self.plasticity.start_decay.next = self.sequencer.decay_start.val();
        self.plasticity.list_source.next = self.list.source.val();
        self.plasticity.list_neuron.next = self.list.neuron.val();
        self.plasticity.list_more.next = self.list.more.val();
        self.plasticity.list_arrives.next = self.list.arrives.val();
        self.plasticity.list_more_arrivals.next = self.list.more_arrivals.val();
        self.plasticity.list_any.next = self.list.any.val();
        self.plasticity.fanin_data.next = self.synapses.fanin_word.val();
        self.plasticity.syn_data.next = self.synapses.syn_word.val();
        self.plasticity.xpre_data.next = self.synapses.xpre_word.val();
        self.plasticity.x_post.next = self.neurons.x_post.val();
        self.plasticity.x_post_arrives.next = self.history.arrives.val();
        self.plasticity.w_next.next = self.weight.w_next.val();
        self.plasticity.fraction_next.next = self.weight.fraction_next.val();
        self.plasticity.pre_decay.next = self.control.pre_decay.val();
        self.plasticity.post_decay.next = self.control.post_decay.val();
        self.plasticity.dither_phase.next = self.dither.phase.val();
        self.plasticity.dither_on.next = self.control.dither_on.val();
        // The trace phase borrows the neuron pipeline's multipliers.
        self.neuron.lend.next = self.plasticity.lend.val();
        self.neuron.lend_pre_x.next = self.plasticity.lend_pre_x.val();
        self.neuron.lend_pre_d.next = self.plasticity.lend_pre_d.val();
        self.neuron.lend_pre_r.next = self.plasticity.lend_pre_r.val();
        self.neuron.lend_pre_add.next = self.plasticity.lend_pre_add.val();
        self.neuron.lend_post_x.next = self.plasticity.lend_post_x.val();
        self.neuron.lend_post_d.next = self.plasticity.lend_post_d.val();
        self.neuron.lend_post_r.next = self.plasticity.lend_post_r.val();
        self.neuron.lend_post_add.next = self.plasticity.lend_post_add.val();
        self.plasticity.lent_pre.next = self.neuron.lent_pre.val();
        self.plasticity.lent_post.next = self.neuron.lent_post.val();
        self.plasticity.pre_bump.next = self.control.pre_bump.val();
        self.plasticity.post_bump.next = self.control.post_bump.val();

        // Memory ports: the host's, unless the running phase claims them.
        self.neurons.address.next = bit_cast::<NB, AB>(self.host.access.read_cell.val());
        if self.sequencer.neuron_own.val() {
            self.neurons.address.next = self.sequencer.neuron_address.val();
        }
        if self.router.neuron_own.val() {
            self.neurons.address.next = self.router.neuron_address.val();
        }
        if self.plasticity.neuron_own.val() {
            self.neurons.address.next = self.plasticity.neuron_address.val();
        }
        self.neurons.late.next = self.sequencer.late.val();
        self.neurons.address2.next = self.sequencer.address2.val();
        self.neurons.address3.next = self.sequencer.address3.val();
        self.neurons.host_write.next = self.map.neuron_write.val();
        self.neurons.host_field.next = self.map.write_field.val();
        self.neurons.host_cell.next = bit_cast::<NB, AB>(self.host.access.write_cell.val());
        self.neurons.host_data.next = self.host.data.val();
        self.neurons.read_field.next = self.map.read_field.val();
        self.neurons.state_write.next = self.neuron.out_valid.val();
        self.neurons.state_address.next = self.sequencer.address4.val();
        self.neurons.u_next.next = self.neuron.u_next.val();
        self.neurons.v_next.next = self.neuron.v_next.val();
        self.neurons.v_held.next = self.neuron.v_held.val();
        self.neurons.theta_next.next = self.neuron.theta_next.val();
        self.neurons.refractory_next.next =
            bit_cast::<16, 8>(self.history.ref_high.val()) << 8 | bit_cast::<16, 8>(self.neuron.refractory_next.val());
        self.neurons.x_post_state.next = self.history.x_post_next.val();
        self.neurons.x_post_write.next = self.plasticity.xpost_write.val();
        self.neurons.x_post_address.next = self.plasticity.trace_neuron.val();
        self.neurons.x_post_next.next = self.plasticity.xpost_next.val();

        self.ring.op_valid.next = false;
        self.ring.op_clear.next = false;
        self.ring.op_set.next = false;
        self.ring.op_address.next = bit_cast::<RB, AB>(self.host.access.read_cell.val());
        self.ring.op_value.next = self.host.data.val();
        if self.map.ring_write.val() {
            self.ring.op_valid.next = true;
            self.ring.op_set.next = true;
            self.ring.op_address.next = bit_cast::<RB, AB>(self.host.access.write_cell.val());
        }
        if self.sequencer.ring_clear.val() {
            self.ring.op_valid.next = true;
            self.ring.op_clear.next = true;
            self.ring.op_address.next = self.sequencer.ring_address.val();
        }
        if self.router.ring_add.val() {
            self.ring.op_valid.next = true;
            self.ring.op_address.next = self.router.ring_address.val();
            self.ring.op_value.next = self.router.ring_value.val();
        }

        self.synapses.read_cell.next = self.host.access.read_cell.val();
        self.synapses.write_cell.next = self.host.access.write_cell.val();
        self.synapses.data.next = self.host.data.val();
        self.synapses.source_write.next = self.map.source_write.val();
        self.synapses.source_hi_write.next = self.map.source_hi_write.val();
        self.synapses.fanin_write.next = self.map.fanin_write.val();
        self.synapses.fanin_hi_write.next = self.map.fanin_hi_write.val();
        self.synapses.xpre_write.next = self.map.xpre_write.val();
        self.synapses.syn_write.next = self.map.syn_host_write.val();
        self.synapses.syn_hi_write.next = self.map.syn_hi_write.val();
        self.synapses.router_source_own.next = self.router.source_own.val();
        self.synapses.router_source_address.next = self.router.source_address.val();
        SynClaim::<SB>::join(&mut self.router.syn, &mut self.synapses.router_syn);
        self.synapses.learn_fanin_own.next = self.plasticity.fanin_own.val();
        self.synapses.learn_fanin_address.next = self.plasticity.fanin_address.val();
        self.synapses.learn_xpre_own.next = self.plasticity.xpre_own.val();
        self.synapses.learn_xpre_address.next = self.plasticity.xpre_address.val();
        self.synapses.learn_trace_write.next = self.plasticity.trace_write.val();
        self.synapses.learn_trace_source.next = self.plasticity.trace_source.val();
        self.synapses.learn_trace.next = self.plasticity.xpre_next.val();
        SynClaim::<SB>::join(&mut self.plasticity.syn, &mut self.synapses.learn_syn);

        // Control registers: host writes, and READ of the cell addressed the
        // clock before (like the memories).
        self.control.write.next = self.map.ctrl_write.val();
        self.control.write_address.next = bit_cast::<{ ctrl::ADDRESS_BITS }, AB>(self.host.access.write_cell.val());
        self.control.data.next = self.host.data.val();
        self.control.read_address.next = bit_cast::<{ ctrl::ADDRESS_BITS }, AB>(self.host.access.read_cell.val());
        self.control.lfsr_state.next = self.lfsr.state.val();
        self.control.tick.next = self.tick.q.val();
        self.control.cycles.next = self.cycles.q.val();
        self.control.late.next = self.pacer.late.val();
        self.control.overruns.next = self.pacer.overruns.val();
        self.control.dither_state.next = self.dither.state.val();

        // A neuron's post-spike history (spec §5.3), in its `ref` and `x_post`
        // words: moved on at the pipeline's write-back, when the late reads
        // give the written-back neuron's words (learning on), and read as
        // stored in the trace phase.
        self.history.ref_word.next = self.neurons.refractory.val();
        self.history.x_post_word.next = self.neurons.x_post.val();
        self.history.shift.next = self.neuron.out_valid.val() & self.control.learn.val();
        self.history.spike.next = self.neuron.spike.val();
        self.history.post_delay.next = self.control.post_delay.val();

        // The neuron pipeline: inputs straight from the memories, one clock
        // after the issue; results written back four clocks after it.
        self.neuron.in_valid.next = self.sequencer.issue_valid.val();
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
        self.neuron.offset.next = self.dither.offset.val();
        self.dither.on.next = self.control.dither_on.val();
        self.dither.load.next = self.control.dither_load.val();
        self.dither.data.next = self.host.data.val();
        self.dither.issue.next = self.sequencer.issue_valid.val();

        // Learning's arithmetic: a depression (the router's) unless
        // potentiation claims a stage.
        self.lfsr.seed.next = self.host.data.val();
        self.lfsr.load.next = self.control.lfsr_load.val();
        self.lfsr.step.next = self.router.lfsr_step.val() | self.plasticity.lfsr_step.val();
        self.weight.noise.next = self.lfsr.next_state.val();
        self.weight.lr_shift.next = self.control.lr_shift.val();
        self.weight.w_min.next = self.control.w_min.val();
        self.weight.w_max.next = self.control.w_max.val();
        self.weight.potentiate.next = self.plasticity.first_stage.val();
        if self.plasticity.first_stage.val() {
            self.weight.w.next = self.plasticity.weight.val();
            self.weight.x.next = self.synapses.xpre_word.val().get_bits::<12>(0);
            self.weight.gain.next = self.control.a_plus.val();
        } else {
            self.weight.w.next = self.router.weight.val();
            self.weight.x.next = self.neurons.x_post.val().get_bits::<12>(0);
            self.weight.gain.next = self.control.a_minus.val();
        }

        // The counters (§7.1, §8.2).
        self.counted.next = self.sequencer.busy.val() | self.router.busy.val() | self.plasticity.busy.val();
        self.busy.next = self.counted.val();
        if self.counted.val() {
            self.cycles.d.next = self.cycles.q.val() + 1;
        }
        if self.sequencer.tick_end.val() {
            self.tick.d.next = self.tick.q.val() + 1;
        }
        if self.host.reset.val() {
            self.tick.d.next = 0.into();
            self.cycles.d.next = 0.into();
        }
    }
}
