//! The core's phase blocks, each alone against its twin in the golden model
//! (`docs/spec.md` §6): the [`Router`] routes one tick's sources as
//! `Simulator::route` does, the [`Plasticity`] block potentiates and updates
//! the traces as `potentiation_phase` and `Learning` do, and the
//! [`Sequencer`] runs the phases in `step_tick`'s order with its cycle costs.
//!
//! Each block is stepped on its own, with the memories it reads and writes
//! (the synapse memory, the source and fan-in tables, the traces, the ring)
//! kept here as plain arrays filled from the golden model's state before the
//! phase, read one clock after their address as the block RAMs are, and
//! compared with the golden model's state after it. Words a block reads
//! from a port it did not claim the clock before are garbage here, so a
//! block that relies on another's port fails.

use crate::common;

use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_hdl::prelude::*;

use common::filled::{filled_network, filled_spec, stdp};
use spikefab_chip::config::{source_bits, CoreConfig};
use spikefab_chip::image::{fraction_of, fraction_word, Image};
use spikefab_hdl::core::plasticity::Plasticity;
use spikefab_hdl::core::router::Router;
use spikefab_proto::message::field;
use spikefab_sim::dither::{self, Rounding};
use spikefab_sim::fixed::{add_sat16, decay, TRACE_MAX};
use spikefab_sim::lfsr::Lfsr16;
use spikefab_sim::network::FLAG_PLASTIC;
use spikefab_sim::{CycleCosts, Network, NetworkBuilder, NeuronParams, Source, StateDump, SynapseSpec};

const C: CoreConfig = CoreConfig::TINY;
const NB: usize = C.neuron_bits as usize;
const MB: usize = C.axon_bits as usize;
const DB: usize = C.slot_bits as usize;
const SB: usize = C.syn_bits as usize;
const SRCB: usize = source_bits(C.neuron_bits, C.axon_bits) as usize;
const RB: usize = NB + DB;
/// What a memory port not claimed the clock before reads.
const GARBAGE: u16 = 0xDEAD;

fn edge<L: Block>(uut: &mut L, clock: impl Fn(&mut L) -> &mut Signal<In, Clock>) {
    clock(uut).next = true.into();
    assert!(simulate(uut, 1000));
    clock(uut).next = false.into();
    assert!(simulate(uut, 1000));
}

/// A read port of a block RAM: the word at `address` after the edge if the
/// block claimed the port, else garbage.
fn read_port<T: Copy + From<u16>>(own: bool, words: &[T], address: usize) -> T {
    if own {
        words[address]
    } else {
        T::from(GARBAGE)
    }
}

/// The synapse memory's single port on a clock edge: a write of the low
/// word (the high bits are the host's), or a read whose word is out after
/// the edge (a write leaves the output as it was); garbage if the block did
/// not claim the port.
fn syn_port(syn: &mut [u32], q: &mut u32, own: bool, address: usize, write: Option<u16>) {
    match (own, write) {
        (false, _) => *q = GARBAGE as u32,
        (true, Some(word)) => syn[address] = (syn[address] & !0xFFFF) | word as u32,
        (true, None) => *q = syn[address],
    }
}

/// The golden model's state before tick `t` and after it, with the tick's
/// spikes (neuron, busy cycle).
fn around_tick(net: &Network, t: u32) -> (StateDump, StateDump, Vec<(u32, u64)>) {
    let mut sim = C.simulator(net).unwrap();
    sim.run(t);
    let before = sim.state_dump();
    sim.take_spikes();
    sim.step_tick();
    let spikes = sim.spikes().iter().map(|s| (s.neuron, s.cycle)).collect();
    (before, sim.state_dump(), spikes)
}

/// The ring in the core's layout (`slot × N + n`) from a dump's time order
/// starting at tick `t`.
fn ring_cells(dump: &StateDump, net_neurons: usize, t: u32) -> Vec<i16> {
    let (n, d) = (C.neurons() as usize, C.delay_slots() as usize);
    let mut cells = vec![0i16; n * d];
    for j in 0..d {
        let slot = (t as usize + j) % d;
        cells[slot * n..slot * n + net_neurons].copy_from_slice(&dump.ring[j * net_neurons..(j + 1) * net_neurons]);
    }
    cells
}

/// The synapse memory of `image` with the weights and fractions of `dump`.
fn syn_words(net: &Network, image: &Image, dump: &StateDump) -> Vec<u32> {
    let mut syn = image.syn.clone();
    syn.resize(C.syn_words() as usize, 0);
    for (i, (&a, &w)) in image.weight_address.iter().zip(&dump.weights).enumerate() {
        syn[a as usize] = (syn[a as usize] & !0xFF) | w as u8 as u32;
        if net.synapses().plastic(i) {
            syn[a as usize + 1] = fraction_word(dump.weight_fractions[i]);
        }
    }
    syn
}

/// Every weight and plastic synapse's fraction in `syn` against `dump`'s,
/// but those of `skip`'s targets.
fn check_weights(
    net: &Network,
    image: &Image,
    syn: &[u32],
    dump: &StateDump,
    skip: &[u32],
) -> Result<(), TestCaseError> {
    let synapses = net.synapses();
    for (i, &a) in image.weight_address.iter().enumerate() {
        if skip.contains(&synapses.target(i)) {
            continue;
        }
        prop_assert_eq!(syn[a as usize] as u8 as i8, dump.weights[i], "weight of synapse {}", i);
        if synapses.plastic(i) {
            prop_assert_eq!(
                fraction_of(syn[a as usize + 1]),
                dump.weight_fractions[i],
                "fraction of synapse {}",
                i
            );
        }
    }
    Ok(())
}

/// `WeightUpdate` as the phase blocks see it: `w_next` (`V`) from the clock
/// after a first stage, `fraction_next` one clock later.
#[derive(Default)]
struct WeightModel {
    w_next: u16,
    fraction_next: u8,
}

impl WeightModel {
    /// The clock edge, with the new fine weight `W` if a first stage was
    /// this clock.
    fn edge(&mut self, first_stage: Option<i16>) {
        self.fraction_next = self.w_next as u8 ^ 0x80;
        if let Some(w) = first_stage {
            self.w_next = (w as i32 + 128) as u16;
        }
    }
}

/// The fine weight `W` of a block's `V` output.
fn fine_of(v: u16) -> i16 {
    (v as i16).wrapping_sub(128)
}

/// A network that learns on every tick: the tiny core's neurons driven to
/// fire often, half of all synapses plastic (recurrent and from the axons),
/// a random STDP rule, inputs on most ticks.
fn learning_network(seed: u64, ticks: u32) -> Network {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (n, m, d) = (C.neurons(), C.axons(), C.delay_slots() as u8);
    let mut builder = NetworkBuilder::new();
    let profile = builder.add_profile(NeuronParams {
        du: rng.random_range(0..=2048),
        dv: rng.random_range(0..=2048),
        bias: rng.random_range(0..=300),
        v_reset: rng.random_range(-200..=0),
        theta_base: rng.random_range(100..=1500),
        theta_inc: rng.random_range(0..=100),
        theta_decay: rng.random_range(0..=4096),
        refractory: rng.random_range(0..=3),
        u_shift: rng.random_range(0..=3),
    });
    let rule = stdp(&mut rng);
    builder.set_stdp(rule);
    if rng.random_bool(0.5) {
        builder.set_rounding(Rounding::Dither);
    }
    builder.add_neurons(profile, n, |_| 0);
    builder.add_axons(m);
    for _ in 0..rng.random_range(50..400) {
        let source = if rng.random_bool(0.5) {
            Source::Axon(rng.random_range(0..m))
        } else {
            Source::Neuron(rng.random_range(0..n))
        };
        builder.add_synapse(SynapseSpec {
            source,
            target: rng.random_range(0..n),
            weight: rng.random_range(rule.w_min..=rule.w_max),
            wexp: rng.random_range(0..=3),
            delay: rng.random_range(1..=d),
            plastic: rng.random_bool(0.5),
        });
    }
    for t in 0..ticks {
        for axon in 0..m {
            if rng.random_bool(0.2) {
                builder.add_input(t, axon);
            }
        }
    }
    builder.build().expect("a valid network")
}

/// A tick of `net` with sources to route (inputs or spikes), drawn from
/// `pick`: one where a spiker has plastic inputs to potentiate if there is
/// one.
fn busy_tick(net: &Network, ticks: u32, pick: u32) -> Option<u32> {
    let mut sim = C.simulator(net).unwrap();
    let syn = net.synapses();
    let (mut busy, mut learning) = (Vec::new(), Vec::new());
    for t in 0..ticks {
        sim.take_spikes();
        sim.step_tick();
        if !sim.spikes().is_empty() || net.inputs().iter().any(|i| i.tick == t) {
            busy.push(t);
        }
        let n = |s: &spikefab_sim::SpikeEvent| s.neuron as usize;
        if sim.spikes().iter().any(|s| !syn.fanin_of(n(s)).is_empty()) {
            learning.push(t);
        }
    }
    let from = if learning.is_empty() { busy } else { learning };
    (!from.is_empty()).then(|| from[pick as usize % from.len()])
}

/// The source lists as the core's `SourceList` serves them: the tick's input
/// axons, then its spikers; each list's word one clock after its index.
/// Potentiation's walk goes on past the spikers into the arrivals that did
/// not fire (spec §5.3), each entry with its arrival flag.
struct Lists {
    inputs: Vec<u32>,
    spikers: Vec<u32>,
    /// Whether each spiker arrives too.
    spiker_arrives: Vec<bool>,
    /// The arrivals that did not fire, ascending.
    arrivals_only: Vec<u32>,
    input_index: usize,
    spike_index: usize,
    chosen_neuron: bool,
    input_q: u32,
    spike_q: u32,
    arrives_q: bool,
}

/// The list commands a block gives in one clock.
#[derive(Default)]
struct ListCommands {
    choose: bool,
    advance: bool,
    advance_spike: bool,
    rewind_spikes: bool,
    rewind: bool,
}

impl Lists {
    /// Tick `t`'s lists, both walks at their start; `after` is the state
    /// after the tick (whose history says who arrives).
    fn new(net: &Network, image: &Image, t: u32, spikes: &[(u32, u64)], after: &StateDump) -> Self {
        let spikers: Vec<u32> = spikes.iter().map(|s| s.0).collect();
        let arrives = |n: u32| arrives(net, after, n as usize);
        Lists {
            spiker_arrives: spikers.iter().map(|&n| arrives(n)).collect(),
            arrivals_only: (0..net.num_neurons())
                .filter(|&n| arrives(n) && !spikers.contains(&n))
                .collect(),
            inputs: net
                .inputs()
                .iter()
                .filter(|i| i.tick == t)
                .map(|i| image.core_source(i.axon))
                .collect(),
            spikers,
            input_index: 0,
            spike_index: 0,
            chosen_neuron: false,
            input_q: GARBAGE as u32,
            spike_q: GARBAGE as u32,
            arrives_q: false,
        }
    }
    /// The arrivals in potentiation's order (the walk's entries that arrive).
    fn arrivals(&self) -> Vec<u32> {
        let both = self.spikers.iter().zip(&self.spiker_arrives).filter(|(_, &a)| a);
        both.map(|(&n, _)| n)
            .chain(self.arrivals_only.iter().copied())
            .collect()
    }
    /// Entry `i` of potentiation's walk: its neuron and arrival flag.
    fn entry(&self, i: usize) -> (u32, bool) {
        match (
            self.spikers.get(i),
            self.arrivals_only.get(i.wrapping_sub(self.spikers.len())),
        ) {
            (Some(&n), _) => (n, self.spiker_arrives[i]),
            (None, Some(&n)) => (n, true),
            (None, None) => (GARBAGE as u32, false),
        }
    }
    fn more_arrivals(&self) -> bool {
        self.spike_index < self.spikers.len() + self.arrivals_only.len()
    }
    fn word(list: &[u32], i: usize) -> u32 {
        list.get(i).copied().unwrap_or(GARBAGE as u32)
    }
    /// The chosen source, as the block's `SRCB`-bit input sees it.
    fn source(&self) -> u16 {
        let s = if self.chosen_neuron {
            C.axons() + self.spike_q
        } else {
            self.input_q
        };
        (s & ((1 << SRCB) - 1)) as u16
    }
    /// The spike list's word, as the block's `NB`-bit input sees it.
    fn neuron(&self) -> u8 {
        (self.spike_q & ((1 << NB) - 1)) as u8
    }
    fn more_spikes(&self) -> bool {
        self.spike_index < self.spikers.len()
    }
    fn more(&self) -> bool {
        self.input_index < self.inputs.len() || self.more_spikes()
    }
    /// Both walks are at their ends.
    fn walked(&self) -> bool {
        self.input_index == self.inputs.len() && self.spike_index == self.spikers.len()
    }
    /// A clock edge: this clock's indices are read, then the commands apply.
    fn clock(&mut self, c: ListCommands) {
        self.input_q = Lists::word(&self.inputs, self.input_index);
        (self.spike_q, self.arrives_q) = self.entry(self.spike_index);
        if c.choose {
            self.chosen_neuron = self.input_index >= self.inputs.len();
        }
        if c.advance {
            if self.chosen_neuron {
                self.spike_index += 1;
            } else {
                self.input_index += 1;
            }
        }
        if c.advance_spike {
            self.spike_index += 1;
        }
        if c.rewind_spikes || c.rewind {
            self.spike_index = 0;
        }
        if c.rewind {
            self.input_index = 0;
        }
    }
}

/// Whether neuron `n`'s spike meets its synapses in the tick that left
/// `after` (spec §5.3: bit `post_delay` of its history then).
fn arrives(net: &Network, after: &StateDump, n: usize) -> bool {
    let delay = net.stdp().map_or(0, |r| r.post_delay);
    after.post_history.get(n).is_some_and(|h| h >> delay & 1 == 1)
}

/// The traces in the core's layout: x_pre by core source index, x_post by
/// neuron (the core's N words, each with the top bits of the history in
/// `history`, as the neuron memory holds them).
fn core_traces(image: &Image, dump: &StateDump, history: &StateDump) -> (Vec<u16>, Vec<u16>) {
    let mut x_pre = vec![0u16; 1 << SRCB];
    for (s, &x) in dump.x_pre.iter().enumerate() {
        x_pre[image.core_source(s as u32) as usize] = x;
    }
    let mut x_post = dump.x_post.clone();
    for (x, &h) in x_post.iter_mut().zip(&history.post_history) {
        *x |= (h >> field::REF_HISTORY_BITS) << field::X_POST_HISTORY_SHIFT;
    }
    x_post.resize(C.neurons() as usize, 0);
    (x_pre, x_post)
}

/// The memories learning works on, as routing leaves them.
struct Routed {
    syn: Vec<u32>,
    lfsr: Lfsr16,
    lists: Lists,
}

/// Route tick `t` of `net` on the router alone; compare the ring, the
/// weights depression leaves, the spikers' stamps offered to the host port
/// and the busy cycles with the golden model's.
fn route_tick(
    net: &Network,
    image: &Image,
    t: u32,
    (before, after, spikes): &(StateDump, StateDump, Vec<(u32, u64)>),
) -> Result<Routed, TestCaseError> {
    let net_neurons = net.num_neurons() as usize;
    let learn = net.stdp().is_some();
    let costs = CycleCosts::CORE_V1;

    let mut lists = Lists::new(net, image, t, spikes, after);
    let syn_of = net.synapses();
    // Each source's cost, by its index in the network (axons, then neurons).
    let net_sources = lists
        .inputs
        .iter()
        .copied()
        .chain(lists.spikers.iter().map(|&n| net.num_axons() + n));
    let expected_cycles: u64 = net_sources
        .map(|s| {
            let s = s as usize;
            let (lo, hi) = (syn_of.offsets()[s] as usize, syn_of.offsets()[s + 1] as usize);
            let plastic = (lo..hi).filter(|&i| syn_of.flags(i) & FLAG_PLASTIC != 0).count() as u64;
            costs.route_cost(image.headers[s] as u64, (hi - lo) as u64, plastic, learn)
        })
        .sum();

    let mut ring = ring_cells(before, net_neurons, t);
    let d = C.delay_slots() as usize;
    let slot = t as usize % d;
    ring[slot * C.neurons() as usize..(slot + 1) * C.neurons() as usize].fill(0);
    let mut syn = syn_words(net, image, before);
    let (_, x_post) = core_traces(image, before, before);
    let rule = net.stdp().copied();
    let mut lfsr = Lfsr16::new(before.lfsr.max(1)).unwrap();

    let mut uut = Router::<NB, DB, SB, SRCB, RB>::default();
    uut.connect_all();
    let start_cycle = before.cycle + costs.before_routing(&C.shape());
    let mut cycles = start_cycle;
    let (mut source_q, mut syn_q, mut xpost_q) = (GARBAGE as u32, GARBAGE as u32, GARBAGE);
    let mut weight = WeightModel::default();
    let mut stamps = Vec::new();
    uut.start.next = true;
    let mut clocks = 0;
    loop {
        uut.learn.next = learn;
        uut.slot.next = (slot as u8).to_bits();
        uut.cycles.next = (cycles as u16).to_bits();
        uut.list_is_neuron.next = lists.chosen_neuron;
        uut.list_source.next = lists.source().to_bits();
        uut.list_more.next = lists.more();
        uut.source_data.next = source_q.to_bits();
        uut.syn_data.next = syn_q.to_bits();
        uut.w_next.next = weight.w_next.to_bits();
        uut.fraction_next.next = weight.fraction_next.to_bits();
        assert!(simulate(&mut uut, 1000));
        let done = uut.done.val();
        // The clock edge: the memories, the list, the link.
        let first_stage = uut.lfsr_step.val().then(|| {
            // The weight update's first stage: x_post and the fraction word are out.
            let r = rule.expect("a depression with learning off");
            r.depress(fine_of(uut.weight.val().to_u16()), xpost_q & TRACE_MAX, &mut lfsr)
        });
        weight.edge(first_stage);
        source_q = read_port(uut.source_own.val(), &image.source, uut.source_address.val().index());
        xpost_q = read_port(uut.neuron_own.val(), &x_post, uut.neuron_address.val().index());
        let write = uut.syn.write.val().then(|| uut.syn.data.val().to_u16());
        syn_port(
            &mut syn,
            &mut syn_q,
            uut.syn.own.val(),
            uut.syn.address.val().index(),
            write,
        );
        if uut.ring_add.val() {
            let a = uut.ring_address.val().index();
            ring[a] = add_sat16(ring[a], uut.ring_value.val().to_u16() as i16 as i32);
        }
        if uut.stamp_valid.val() {
            // Offered in `Source`, with the spiker chosen in the list.
            stamps.push((lists.neuron() as u32, uut.stamp.val().to_u16()));
        }
        prop_assert!(
            !uut.list_choose.val() || lists.more(),
            "a source chosen past the list's end"
        );
        lists.clock(ListCommands {
            choose: uut.list_choose.val(),
            advance: uut.list_advance.val(),
            ..ListCommands::default()
        });
        if uut.busy.val() {
            cycles += 1;
        }
        edge(&mut uut, |u| &mut u.clock);
        uut.start.next = false;
        clocks += 1;
        prop_assert!(clocks < 100_000, "routing does not end");
        if done {
            break;
        }
    }
    prop_assert!(lists.walked(), "every source routed");
    let want: Vec<(u32, u16)> = spikes.iter().map(|&(n, c)| (n, c as u16)).collect();
    prop_assert_eq!(&stamps, &want, "stamps offered (neuron, low 16 bits)");
    prop_assert_eq!(cycles - start_cycle, expected_cycles, "busy cycles");
    prop_assert_eq!(ring, ring_cells(after, net_neurons, t + 1), "ring");
    // Depression's weights (potentiation, later in the tick, changes the
    // fan-in of the tick's arrivals: those are left to the plasticity test).
    check_weights(net, image, &syn, after, &lists.arrivals())?;
    Ok(Routed { syn, lfsr, lists })
}

/// The trace write-back the block does this clock, into the tables.
fn land_traces(uut: &Plasticity<NB, MB, SB, SRCB>, x_pre: &mut [u16], x_post: &mut [u16]) {
    if uut.trace_write.val() {
        x_pre[uut.trace_source.val().index()] = uut.xpre_next.val().to_u16();
    }
    if uut.xpost_write.val() {
        x_post[uut.trace_neuron.val().index()] = uut.xpost_next.val().to_u16();
    }
}

/// Run the learning phases of a tick on the plasticity block alone, after
/// `routed`; compare every weight, trace and the busy cycles with the golden
/// model's.
fn learn_tick(
    net: &Network,
    image: &Image,
    (before, after, _): &(StateDump, StateDump, Vec<(u32, u64)>),
    routed: Routed,
) -> Result<(), TestCaseError> {
    let costs = CycleCosts::CORE_V1;
    let rule = *net.stdp().unwrap();
    // Routing has walked both lists to their ends.
    let Routed {
        mut syn,
        mut lfsr,
        mut lists,
    } = routed;
    let mut fanin = image.fanin.clone();
    fanin.resize(C.neurons() as usize, 0);
    // The history is the tick's (after its neuron phase) all along.
    let (mut x_pre, mut x_post) = core_traces(image, before, after);
    let syn_of = net.synapses();
    let fanin_of = |n: u32| syn_of.fanin_of(n as usize).len() as u64;
    let spikers = (lists.inputs.len() + lists.spikers.len()) as u64;
    let arrivals = lists.arrivals();
    let skipped = lists.spiker_arrives.iter().filter(|&&a| !a).count() as u64;
    let expected_cycles = arrivals
        .iter()
        .map(|&n| costs.potentiation_cost(fanin_of(n)))
        .sum::<u64>()
        + costs.skip_cost(skipped)
        + costs.after_learning(&C.shape(), true, spikers)
        - costs.tick_end as u64;

    let mut uut = Plasticity::<NB, MB, SB, SRCB>::default();
    uut.connect_all();
    uut.pre_decay.next = rule.pre_decay.to_bits();
    uut.post_decay.next = rule.post_decay.to_bits();
    // The trace phase's dither: the state after the tick's neuron phase.
    let dither = net.rounding() == Rounding::Dither;
    uut.dither_on.next = dither;
    uut.dither_phase.next = if dither {
        (dither::state_at(before.ticks + 1) & dither::OFFSET_MASK).to_bits()
    } else {
        0u16.to_bits()
    };
    uut.pre_bump.next = rule.pre_bump.to_bits();
    uut.post_bump.next = rule.post_bump.to_bits();
    let (mut fanin_q, mut syn_q, mut xpre_q, mut xpost_q) = (GARBAGE as u32, GARBAGE as u32, GARBAGE, GARBAGE);
    let mut xpost_arrives = false;
    let mut weight = WeightModel::default();
    let (mut cycles, mut clocks) = (0u64, 0u32);
    let potentiate = !lists.spikers.is_empty() || !lists.arrivals_only.is_empty();
    uut.start_potentiation.next = potentiate;
    uut.start_decay.next = !potentiate;
    loop {
        uut.list_source.next = lists.source().to_bits();
        uut.list_neuron.next = lists.neuron().to_bits();
        uut.list_arrives.next = lists.arrives_q;
        uut.list_more.next = lists.more();
        uut.list_more_arrivals.next = lists.more_arrivals();
        uut.list_any.next = spikers > 0;
        uut.fanin_data.next = fanin_q.to_bits();
        uut.syn_data.next = syn_q.to_bits();
        uut.xpre_data.next = xpre_q.to_bits();
        uut.x_post.next = xpost_q.to_bits();
        uut.x_post_arrives.next = xpost_arrives;
        uut.w_next.next = weight.w_next.to_bits();
        uut.fraction_next.next = weight.fraction_next.to_bits();
        assert!(simulate(&mut uut, 1000));
        // The neuron pipeline's lent multiply-adds (`NeuronUpdate::lend`),
        // registered: what they compute now is `lent_*` after the edge (and
        // on a clock that does not lend, a neuron's value: garbage here).
        let lent = |x: LiteralType, d: LiteralType, r: LiteralType, add: LiteralType| {
            if uut.lend.val() {
                (decay(x as u16 as i16, d as u16, r as u16) as u16).wrapping_add(add as u16)
            } else {
                GARBAGE
            }
        };
        let lent_pre = lent(
            uut.lend_pre_x.val().into(),
            uut.lend_pre_d.val().into(),
            uut.lend_pre_r.val().into(),
            uut.lend_pre_add.val().into(),
        );
        let lent_post = lent(
            uut.lend_post_x.val().into(),
            uut.lend_post_d.val().into(),
            uut.lend_post_r.val().into(),
            uut.lend_post_add.val().into(),
        );
        let done = uut.done.val();
        prop_assert_eq!(uut.lfsr_step.val(), uut.first_stage.val());
        // The first stage: x_pre and the fraction word are out.
        let first_stage = uut
            .lfsr_step
            .val()
            .then(|| rule.potentiate(fine_of(uut.weight.val().to_u16()), xpre_q & TRACE_MAX, &mut lfsr));
        weight.edge(first_stage);
        fanin_q = read_port(uut.fanin_own.val(), &fanin, uut.fanin_address.val().index());
        xpre_q = read_port(uut.xpre_own.val(), &x_pre, uut.xpre_address.val().index());
        xpost_q = read_port(uut.neuron_own.val(), &x_post, uut.neuron_address.val().index());
        // `PostHistory` on the words read: the neuron's arrival.
        xpost_arrives = uut.neuron_own.val() && arrives(net, after, uut.neuron_address.val().index());
        let write = uut.syn.write.val().then(|| uut.syn.data.val().to_u16());
        syn_port(
            &mut syn,
            &mut syn_q,
            uut.syn.own.val(),
            uut.syn.address.val().index(),
            write,
        );
        land_traces(&uut, &mut x_pre, &mut x_post);
        lists.clock(ListCommands {
            choose: uut.list_choose.val(),
            advance: uut.list_advance.val(),
            advance_spike: uut.list_advance_spike.val(),
            rewind_spikes: uut.list_rewind_spikes.val(),
            rewind: uut.list_rewind.val(),
        });
        if uut.busy.val() {
            cycles += 1;
        }
        edge(&mut uut, |u| &mut u.clock);
        uut.lent_pre.next = lent_pre.to_bits();
        uut.lent_post.next = lent_post.to_bits();
        uut.start_potentiation.next = false;
        uut.start_decay.next = false;
        clocks += 1;
        prop_assert!(clocks < 100_000, "learning does not end");
        if done {
            break;
        }
    }
    // The last trace write lands one clock after `done`.
    assert!(simulate(&mut uut, 1000));
    land_traces(&uut, &mut x_pre, &mut x_post);
    prop_assert_eq!(cycles, expected_cycles, "busy cycles");
    check_weights(net, image, &syn, after, &[])?;
    prop_assert_eq!(lfsr.state(), after.lfsr, "LFSR");
    let (want_pre, want_post) = core_traces(image, after, after);
    prop_assert_eq!(x_pre, want_pre, "x_pre");
    prop_assert_eq!(x_post, want_post, "x_post");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: common::cases(32), ..ProptestConfig::default() })]

    /// The router against `Simulator::route` on filled tiny-core networks
    /// (with and without STDP) and on networks that learn all the time, on a
    /// tick with sources; with STDP, then the plasticity block against
    /// `potentiation_phase` and the trace updates.
    #[test]
    fn the_router_and_plasticity_run_a_tick_as_the_golden_model(
        spec in filled_spec(), learning: bool, pick: u32,
    ) {
        let ticks = 12;
        let net = if learning { learning_network(spec.seed, ticks) } else { filled_network(C, &spec, ticks) };
        if let Some(t) = busy_tick(&net, ticks, pick) {
            let image = Image::new(&net, C).unwrap();
            let states = around_tick(&net, t);
            let routed = route_tick(&net, &image, t, &states)?;
            if net.stdp().is_some() {
                learn_tick(&net, &image, &states, routed)?;
            }
        }
    }
}
