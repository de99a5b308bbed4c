//! The event-driven engine (`docs/spec.md` §6 for the tick, §7 for cycles).
//!
//! Time advances in ticks; inside a tick only what changes is touched:
//!
//! * **Synaptic events** go into a delay ring of 16-bit accumulators, one slot
//!   per tick of delay (delays are bounded, so a ring beats a heap: O(1) per
//!   event, no allocation), with a per-slot flag for each 64-neuron word
//!   that received anything (a plain store per event; the neuron phase finds
//!   the neurons with non-zero input in a flagged word by scanning it).
//! * **External input spikes**: the network's own are sorted already and read
//!   in place; spikes scheduled while running can be for any future tick, so
//!   they wait in a priority queue (`priority-queue`), keyed by (tick, axon).
//!   A second copy of a spike already due is refused.
//! * **Quiescent neurons are skipped.** A neuron whose update with zero input
//!   changes nothing and does not fire is at a fixed point: every later update
//!   without input would change nothing either. Such a neuron leaves the
//!   active set until non-zero input reaches it (inputs that cancel to 0 in
//!   its accumulator are no input to the update). This is bit-identical to updating every
//!   neuron every tick by construction; [`SimOptions::skip_quiescent`] turns it
//!   off for comparison.
//! * **Words of one profile are updated side by side**: where most of a
//!   64-neuron word is due and its neurons share a profile, the whole word
//!   goes through the branch-free block update ([`crate::neuron_block`]),
//!   which vectorises.
//! * **Traces decay in one pass per tick**: the dithered decay depends on the
//!   tick, so every trace steps every tick, in a branch-free loop.
//!
//! Busy cycles are counted alongside from the cost model, so every output
//! spike carries the cycle at which the chip will emit it.

use std::cmp::Reverse;

use priority_queue::PriorityQueue;

use crate::cycles::{CoreShape, CycleCosts};
use crate::dither::{self, Rounding, TickDither};
use crate::fixed::{add_sat16, contribution, trace_bump, trace_decay};
use crate::learning::StdpParams;
use crate::lfsr::Lfsr16;
use crate::network::{InputSpike, Network, FLAG_PLASTIC, FLAG_WEXP};
use crate::neuron::{NeuronParams, NeuronState};
use crate::neuron_block::{step_block, step_one, Block, BLOCK};
use crate::record::{ProbeTrace, RunStats, SpikeEvent, StateDump, Var, WeightTrace};

/// How the engine runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimOptions {
    /// Skip neurons at a fixed point (bit-identical; faster when activity is sparse).
    pub skip_quiescent: bool,
    /// The core the cycle predictions are for; `None` for the smallest core
    /// that holds the network ([`Network::core_shape`]).
    pub core: Option<CoreShape>,
    /// The cycle cost table.
    pub costs: CycleCosts,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            skip_quiescent: true,
            core: None,
            costs: CycleCosts::CORE_V1,
        }
    }
}

/// Why a simulation request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The core is smaller than the network.
    #[error("core too small for the network: {what} {needed} > {available}")]
    CoreTooSmall {
        /// Which dimension.
        what: &'static str,
        /// What the network needs.
        needed: u64,
        /// What the core has.
        available: u64,
    },
    /// An input spike on an axon that does not exist.
    #[error("input spike at tick {tick}: axon {axon} does not exist ({axons} axons)")]
    NoSuchAxon {
        /// Tick.
        tick: u32,
        /// Axon.
        axon: u32,
        /// Axons in the network.
        axons: u32,
    },
    /// An input spike for a tick that has already run.
    #[error("input spike at tick {tick} on axon {axon}: tick {tick} has already run (now at tick {now})")]
    InPast {
        /// Tick.
        tick: u32,
        /// Axon.
        axon: u32,
        /// Next tick to run.
        now: u32,
    },
    /// The same input spike scheduled twice.
    #[error("input spike at tick {tick}: axon {axon} is already scheduled for that tick")]
    Duplicate {
        /// Tick.
        tick: u32,
        /// Axon.
        axon: u32,
    },
    /// A weight record of a synapse that does not exist.
    #[error("weight record of synapse {synapse}: it does not exist ({synapses} synapses)")]
    NoSuchSynapse {
        /// The synapse asked for.
        synapse: u64,
        /// Synapses in the network.
        synapses: u64,
    },
    /// A probe on a neuron that does not exist.
    #[error("probe on neuron {neuron}: it does not exist ({neurons} neurons)")]
    NoSuchNeuron {
        /// Neuron.
        neuron: u32,
        /// Neurons in the network.
        neurons: u32,
    },
}

/// Fewest due neurons in a word for which the block update beats the
/// one-by-one loop (either gives the same result).
const BLOCK_MIN: u32 = 12;

/// Learning state, present when the network has a rule.
struct Learning {
    rule: StdpParams,
    /// x_pre of each source as of the end of the last tick run.
    x_pre: Vec<u8>,
    /// x_post of each neuron as of the end of the last tick run.
    x_post: Vec<u8>,
    lfsr: Lfsr16,
}

impl Learning {
    /// The trace phase of a tick (spec §5.1): decay every trace with the
    /// offsets of `dither` (the state after this tick's neuron phase), then
    /// bump those of this tick's spikers. Every trace every tick: a
    /// branch-free loop that vectorises.
    fn trace_phase(&mut self, dither: TickDither, axons: usize, inputs: &[u32], spiked: &[u32]) {
        let (pre, post) = (self.rule.pre_decay, self.rule.post_decay);
        let (axon_pre, neuron_pre) = self.x_pre.split_at_mut(axons);
        for (a, x) in axon_pre.iter_mut().enumerate() {
            *x = trace_decay(*x, pre, dither.trace_offsets(a as u32).axon);
        }
        for (n, (x, y)) in neuron_pre.iter_mut().zip(self.x_post.iter_mut()).enumerate() {
            let r = dither.trace_offsets(n as u32);
            *x = trace_decay(*x, pre, r.pre);
            *y = trace_decay(*y, post, r.post);
        }
        for &a in inputs {
            let x = &mut self.x_pre[a as usize];
            *x = trace_bump(*x, self.rule.pre_bump);
        }
        for &n in spiked {
            let x = &mut self.x_pre[axons + n as usize];
            *x = trace_bump(*x, self.rule.pre_bump);
            let x = &mut self.x_post[n as usize];
            *x = trace_bump(*x, self.rule.post_bump);
        }
    }
}

/// A simulation of one network. Create it with [`Simulator::new`], then
/// [`Simulator::run`] or [`Simulator::step_tick`].
pub struct Simulator<'n> {
    net: &'n Network,
    opts: SimOptions,
    core: CoreShape,
    n: usize,
    words: usize,
    slots: usize,
    params: Vec<NeuronParams>,
    /// The profile of each 64-neuron word when all its neurons share one
    /// (those words are updated as a block, [`crate::neuron_block`]).
    word_profile: Vec<Option<NeuronParams>>,
    u: Vec<i16>,
    v: Vec<i16>,
    theta: Vec<i16>,
    refractory: Vec<u8>,
    /// Bit per neuron: not at a fixed point.
    active: Vec<u64>,
    /// `ring[slot * n + neuron]`: input due in the tick of that slot.
    ring: Vec<i16>,
    /// `touched[slot * words + w]`: non-zero when a synapse delivered into a
    /// neuron of word `w` in that slot; its neurons with non-zero input are due.
    touched: Vec<u8>,
    /// Weights as learning leaves them, canonical order; empty without learning.
    weights: Vec<i8>,
    /// Run headers of each source (spec §8.3), for the routing cost.
    headers: Vec<u32>,
    /// Sources whose synapses share one delay and one exponent and are not
    /// plastic: routed in one tight loop.
    one_run: Vec<bool>,
    learning: Option<Learning>,
    /// Input spikes scheduled while running ([`Simulator::schedule_input`]).
    inputs: PriorityQueue<InputSpike, Reverse<InputSpike>>,
    /// The network's own input spikes (sorted, unique) are read in place:
    /// `net.inputs()[next_input..]` are still to come.
    next_input: usize,
    tick: u32,
    /// The dither state of this tick (spec §3.1).
    dither_state: u16,
    cycle: u64,
    stats: RunStats,
    spiked: Vec<u32>,
    inputs_now: Vec<u32>,
    record_spikes: bool,
    spikes: Vec<SpikeEvent>,
    probes: Vec<ProbeTrace>,
    weight_traces: Vec<WeightTrace>,
}

impl<'n> Simulator<'n> {
    /// A simulator at tick 0 with the network's reset state and its scheduled
    /// inputs queued.
    pub fn new(net: &'n Network, opts: SimOptions) -> Result<Self, SimError> {
        let core = opts.core.unwrap_or_else(|| net.core_shape());
        let need = net.core_shape();
        for (what, needed, available) in [
            ("neurons", need.neurons as u64, core.neurons as u64),
            ("axons", need.axons as u64, core.axons as u64),
            ("delay slots", need.delay_slots as u64, core.delay_slots as u64),
            ("synapses", need.synapses, core.synapses),
        ] {
            if needed > available {
                return Err(SimError::CoreTooSmall {
                    what,
                    needed,
                    available,
                });
            }
        }
        let n = net.num_neurons() as usize;
        let words = n.div_ceil(64);
        let slots = net.max_delay() as usize;
        let profiles = net.profiles();
        let params: Vec<NeuronParams> = net.neuron_profiles().iter().map(|&p| profiles[p as usize]).collect();
        let theta = params.iter().map(|p| p.theta_base).collect();
        let word_profile = params
            .chunks(BLOCK)
            .map(|c| c.iter().all(|p| *p == c[0]).then_some(c[0]))
            .collect();
        let mut active = vec![!0u64; words];
        if !n.is_multiple_of(64) {
            active[words - 1] = (1u64 << (n % 64)) - 1;
        }
        let learning = net.stdp().map(|rule| Learning {
            rule: *rule,
            x_pre: vec![0; net.num_sources() as usize],
            x_post: vec![0; n],
            lfsr: Lfsr16::new(rule.lfsr_seed).expect("validated non-zero seed"),
        });
        Ok(Simulator {
            net,
            opts,
            core,
            n,
            words,
            slots,
            params,
            word_profile,
            u: vec![0; n],
            v: net.v_init().to_vec(),
            theta,
            refractory: vec![0; n],
            active,
            ring: vec![0; slots * n],
            touched: vec![0; slots * words],
            // Only learning changes weights; without it the network's are read.
            weights: if net.stdp().is_some() {
                net.synapses().weight.clone()
            } else {
                Vec::new()
            },
            one_run: (0..net.num_sources() as usize)
                .map(|s| {
                    let syn = net.synapses();
                    let (lo, hi) = (syn.offsets[s] as usize, syn.offsets[s + 1] as usize);
                    let key = |i: usize| (syn.delay[i], syn.flags[i]);
                    lo < hi && syn.flags[lo] & FLAG_PLASTIC == 0 && (lo..hi).all(|i| key(i) == key(lo))
                })
                .collect(),
            headers: (0..net.num_sources() as usize)
                .map(|s| net.synapses().run_headers(s) as u32)
                .collect(),
            learning,
            inputs: PriorityQueue::new(),
            next_input: 0,
            tick: 0,
            dither_state: dither::STATE_SEED,
            cycle: 0,
            stats: RunStats::default(),
            spiked: Vec::new(),
            inputs_now: Vec::new(),
            record_spikes: true,
            spikes: Vec::new(),
            probes: Vec::new(),
            weight_traces: Vec::new(),
        })
    }

    /// Keep output spikes in memory (on by default); [`Simulator::take_spikes`] drains them.
    pub fn set_record_spikes(&mut self, on: bool) {
        self.record_spikes = on;
    }

    /// Record `var` of `neuron` at the end of every following tick.
    pub fn add_probe(&mut self, neuron: u32, var: Var) -> Result<(), SimError> {
        if neuron as usize >= self.n {
            return Err(SimError::NoSuchNeuron {
                neuron,
                neurons: self.n as u32,
            });
        }
        self.probes.push(ProbeTrace {
            neuron,
            var,
            values: Vec::new(),
        });
        Ok(())
    }

    /// Schedule an input spike on `axon` at `tick` (now or later).
    pub fn schedule_input(&mut self, tick: u32, axon: u32) -> Result<(), SimError> {
        if axon >= self.net.num_axons() {
            return Err(SimError::NoSuchAxon {
                tick,
                axon,
                axons: self.net.num_axons(),
            });
        }
        if tick < self.tick {
            return Err(SimError::InPast {
                tick,
                axon,
                now: self.tick,
            });
        }
        let s = InputSpike { tick, axon };
        let own = &self.net.inputs()[self.next_input..];
        if self.inputs.get(&s).is_some() || own.binary_search(&s).is_ok() {
            return Err(SimError::Duplicate { tick, axon });
        }
        self.inputs.push(s, Reverse(s));
        Ok(())
    }

    /// The next tick to run (= ticks executed so far).
    pub fn tick(&self) -> u32 {
        self.tick
    }

    /// Busy cycles so far.
    pub fn cycle(&self) -> u64 {
        self.cycle
    }

    /// The core shape the cycles are predicted for.
    pub fn core(&self) -> CoreShape {
        self.core
    }

    /// Work counters so far.
    pub fn stats(&self) -> RunStats {
        self.stats
    }

    /// Output spikes recorded so far.
    pub fn spikes(&self) -> &[SpikeEvent] {
        &self.spikes
    }

    /// Take the recorded output spikes, leaving none.
    pub fn take_spikes(&mut self) -> Vec<SpikeEvent> {
        std::mem::take(&mut self.spikes)
    }

    /// Probe traces recorded so far.
    pub fn probes(&self) -> &[ProbeTrace] {
        &self.probes
    }

    /// Record the weights of `synapses` (canonical indices) at the end of
    /// every `every`-th tick from now on.
    pub fn add_weight_record(&mut self, synapses: Vec<u64>, every: u32) -> Result<(), SimError> {
        let count = self.net.num_synapses();
        if let Some(&s) = synapses.iter().find(|&&s| s >= count) {
            return Err(SimError::NoSuchSynapse {
                synapse: s,
                synapses: count,
            });
        }
        self.weight_traces.push(WeightTrace {
            synapses,
            every: every.max(1),
            ticks: Vec::new(),
            values: Vec::new(),
        });
        Ok(())
    }

    /// Weight traces recorded so far.
    pub fn weight_traces(&self) -> &[WeightTrace] {
        &self.weight_traces
    }

    /// Current weights, canonical order.
    pub fn weights(&self) -> &[i8] {
        if self.learning.is_some() {
            &self.weights
        } else {
            &self.net.synapses().weight
        }
    }

    /// State of neuron `n` now.
    ///
    /// # Panics
    /// If `n` is not a neuron of the network.
    pub fn neuron_state(&self, n: u32) -> NeuronState {
        let i = n as usize;
        NeuronState {
            u: self.u[i],
            v: self.v[i],
            theta: self.theta[i],
            refractory: self.refractory[i],
        }
    }

    /// The value of `var` for `neuron` now (end of the last tick run).
    ///
    /// # Panics
    /// If `neuron` is not a neuron of the network.
    pub fn value(&self, neuron: u32, var: Var) -> i32 {
        let i = neuron as usize;
        match var {
            Var::U => self.u[i] as i32,
            Var::V => self.v[i] as i32,
            Var::Theta => self.theta[i] as i32,
            Var::Refractory => self.refractory[i] as i32,
            Var::XPre => self
                .learning
                .as_ref()
                .map_or(0, |l| l.x_pre[(self.net.num_axons() + neuron) as usize] as i32),
            Var::XPost => self.learning.as_ref().map_or(0, |l| l.x_post[i] as i32),
        }
    }

    /// The input due to each neuron in each of the next `slots` ticks, in
    /// time order: `[j × N + n]` is what neuron `n` receives in tick
    /// `tick() + j` (zero beyond the network's largest delay).
    pub fn ring_ahead(&self, slots: u32) -> Vec<i16> {
        let mut out = vec![0; slots as usize * self.n];
        for j in 0..(slots as usize).min(self.slots) {
            let slot = (self.tick as usize + j) % self.slots;
            out[j * self.n..(j + 1) * self.n].copy_from_slice(&self.ring[slot * self.n..(slot + 1) * self.n]);
        }
        out
    }

    /// The full state now (traces materialised to the end of the last tick;
    /// the ring over the core's delay slots).
    pub fn state_dump(&self) -> StateDump {
        let (x_pre, x_post, lfsr) = match &self.learning {
            Some(l) => (l.x_pre.clone(), l.x_post.clone(), l.lfsr.state()),
            None => (Vec::new(), Vec::new(), 0),
        };
        StateDump {
            ticks: self.tick,
            cycle: self.cycle,
            u: self.u.clone(),
            v: self.v.clone(),
            theta: self.theta.clone(),
            refractory: self.refractory.clone(),
            x_pre,
            x_post,
            weights: self.weights().to_vec(),
            lfsr,
            ring: self.ring_ahead(self.core.delay_slots),
        }
    }

    /// Run `ticks` ticks.
    pub fn run(&mut self, ticks: u32) {
        for _ in 0..ticks {
            self.step_tick();
        }
    }

    /// Run one tick: neuron phase, routing, potentiation, traces (spec §6).
    /// Ticks are counted in a `u32` (about 50 days of model time at 1 ms ticks).
    pub fn step_tick(&mut self) {
        let t = self.tick;
        let slot = t as usize % self.slots;
        let costs = self.opts.costs;
        let mut cycle = self.cycle + costs.before_routing(&self.core);

        let rounding = self.net.rounding();
        self.neuron_phase(slot, TickDither::new(rounding, self.dither_state));
        if rounding == Rounding::Dither {
            self.dither_state = dither::advance(self.dither_state);
        }

        // Routing: this tick's input spikes in ascending axon order, then the
        // neurons that fired, ascending.
        self.inputs_now.clear();
        let own = self.net.inputs();
        while let Some(s) = own.get(self.next_input).filter(|s| s.tick == t) {
            self.inputs_now.push(s.axon);
            self.next_input += 1;
        }
        let mut queued = false;
        while let Some((s, _)) = self.inputs.peek() {
            if s.tick != t {
                debug_assert!(s.tick > t);
                break;
            }
            self.inputs_now.push(s.axon);
            self.inputs.pop();
            queued = true;
        }
        if queued {
            // Both lists are ascending and disjoint; routing takes axons ascending.
            self.inputs_now.sort_unstable();
        }
        let learning_on = self.learning.is_some();
        let inputs_now = std::mem::take(&mut self.inputs_now);
        for &a in &inputs_now {
            let (syn, plastic) = self.route(a as usize, slot);
            cycle += costs.route_cost(self.headers[a as usize] as u64, syn, plastic, learning_on);
        }
        let spiked = std::mem::take(&mut self.spiked);
        let m = self.net.num_axons() as usize;
        for &nrn in &spiked {
            if self.record_spikes {
                self.spikes.push(SpikeEvent {
                    tick: t,
                    cycle,
                    neuron: nrn,
                });
            }
            let (syn, plastic) = self.route(m + nrn as usize, slot);
            cycle += costs.route_cost(self.headers[m + nrn as usize] as u64, syn, plastic, learning_on);
        }
        self.stats.input_spikes += inputs_now.len() as u64;
        self.stats.spikes += spiked.len() as u64;

        if learning_on {
            cycle += self.potentiation_phase(&spiked);
            let dither = TickDither::new(rounding, self.dither_state);
            let l = self.learning.as_mut().expect("learning on");
            l.trace_phase(dither, m, &inputs_now, &spiked);
        }
        let spikers = (inputs_now.len() + spiked.len()) as u64;
        cycle += costs.after_learning(&self.core, learning_on, spikers);

        self.inputs_now = inputs_now;
        self.spiked = spiked;
        self.cycle = cycle;
        self.tick += 1;
        self.stats.ticks += 1;
        if !self.probes.is_empty() {
            let mut probes = std::mem::take(&mut self.probes);
            for p in &mut probes {
                p.values.push(self.value(p.neuron, p.var));
            }
            self.probes = probes;
        }
        if !self.weight_traces.is_empty() {
            let mut traces = std::mem::take(&mut self.weight_traces);
            for w in &mut traces {
                if self.tick.is_multiple_of(w.every) {
                    w.ticks.push(self.tick);
                    let weights = self.weights();
                    w.values.extend(w.synapses.iter().map(|&s| weights[s as usize]));
                }
            }
            self.weight_traces = traces;
        }
    }

    /// Update the neurons due this tick; fills `self.spiked` in ascending order.
    fn neuron_phase(&mut self, slot: usize, dither: TickDither) {
        self.spiked.clear();
        let base = slot * self.n;
        let pbase = slot * self.words;
        let mut updates = 0u64;
        for w in 0..self.words {
            let touched = std::mem::take(&mut self.touched[pbase + w]) != 0;
            let mut bits = if self.opts.skip_quiescent {
                let active = self.active[w];
                if touched && active != !0 {
                    let (lo, hi) = (w * BLOCK, ((w + 1) * BLOCK).min(self.n));
                    active | nonzero_mask(&self.ring[base + lo..base + hi])
                } else {
                    active
                }
            } else {
                let rem = self.n - w * 64;
                if rem >= 64 {
                    !0
                } else {
                    (1u64 << rem) - 1
                }
            };
            let due = bits.count_ones();
            updates += due as u64;
            if due == 0 {
                self.active[w] = 0;
                continue;
            }
            if let (true, Some(p)) = (due >= BLOCK_MIN, &self.word_profile[w]) {
                // Update the whole word side by side: the neurons in it that
                // are not due are at a fixed point and stay as they are.
                let (lo, hi) = (w * BLOCK, ((w + 1) * BLOCK).min(self.n));
                let masks = step_block(
                    p,
                    Block {
                        u: &mut self.u[lo..hi],
                        v: &mut self.v[lo..hi],
                        theta: &mut self.theta[lo..hi],
                        refractory: &mut self.refractory[lo..hi],
                        input: &mut self.ring[base + lo..base + hi],
                        first: lo as u32,
                        dither,
                    },
                );
                debug_assert_eq!(masks.busy & !bits, 0, "a neuron not due changed");
                let mut fired = masks.fired;
                while fired != 0 {
                    self.spiked.push((lo + fired.trailing_zeros() as usize) as u32);
                    fired &= fired - 1;
                }
                self.active[w] = masks.busy;
                continue;
            }
            let mut still_active = 0u64;
            let mut all = Block {
                u: &mut self.u,
                v: &mut self.v,
                theta: &mut self.theta,
                refractory: &mut self.refractory,
                input: &mut self.ring[base..base + self.n],
                first: 0,
                dither,
            };
            while bits != 0 {
                let b = bits.trailing_zeros();
                bits &= bits - 1;
                let i = w * 64 + b as usize;
                let (fired, busy) = step_one(&self.params[i], &mut all, i);
                if fired {
                    self.spiked.push(i as u32);
                }
                still_active |= (busy as u64) << b;
            }
            self.active[w] = still_active;
        }
        self.stats.neuron_updates += updates;
    }

    /// Route one spike of source index `src` in tick `t`: deliver every
    /// synapse into the ring, depress the plastic ones when learning is on.
    /// Returns (synapses visited, plastic ones among them).
    #[inline]
    fn route(&mut self, src: usize, slot: usize) -> (u64, u64) {
        let syn = self.net.synapses();
        let (lo, hi) = (syn.offsets[src] as usize, syn.offsets[src + 1] as usize);
        let targets = &syn.target[lo..hi];
        let delays = &syn.delay[lo..hi];
        let flags = &syn.flags[lo..hi];
        let mut to = Delivery::new(&mut self.ring, &mut self.touched, self.n, self.slots, slot);
        let mut plastic = 0u64;
        if self.one_run[src] {
            // Not plastic, so the network's weights are the current ones.
            to.deliver_run(targets, &syn.weight[lo..hi], delays[0], flags[0]);
            self.stats.synaptic_events += targets.len() as u64;
            return (targets.len() as u64, 0);
        }
        match self.learning.as_mut() {
            // Without learning the weights are the network's own.
            None => {
                let weights = &syn.weight[lo..hi];
                for i in 0..targets.len() {
                    to.deliver(targets[i], delays[i], weights[i], flags[i]);
                }
            }
            Some(l) => {
                let weights = &mut self.weights[lo..hi];
                for i in 0..targets.len() {
                    let w = weights[i];
                    to.deliver(targets[i], delays[i], w, flags[i]);
                    if flags[i] & FLAG_PLASTIC != 0 {
                        // x_post as of the end of the previous tick (spec §5.3).
                        let x = l.x_post[targets[i] as usize];
                        weights[i] = l.rule.depress(w, x, &mut l.lfsr);
                        plastic += 1;
                    }
                }
            }
        }
        let visited = (hi - lo) as u64;
        self.stats.synaptic_events += visited;
        self.stats.weight_updates += plastic;
        (visited, plastic)
    }

    /// Potentiate the plastic fan-in of each neuron that fired; returns cycles.
    fn potentiation_phase(&mut self, spiked: &[u32]) -> u64 {
        let syn = self.net.synapses();
        let costs = self.opts.costs;
        let l = self.learning.as_mut().expect("learning on");
        let mut cycles = 0;
        for &nrn in spiked {
            let lo = syn.fanin_offsets[nrn as usize] as usize;
            let hi = syn.fanin_offsets[nrn as usize + 1] as usize;
            for &(i, src) in &syn.fanin[lo..hi] {
                let x = l.x_pre[src as usize];
                let w = &mut self.weights[i as usize];
                *w = l.rule.potentiate(*w, x, &mut l.lfsr);
            }
            self.stats.weight_updates += (hi - lo) as u64;
            cycles += costs.potentiation_cost((hi - lo) as u64);
        }
        cycles
    }
}

/// Bit `i` set where `cells[i]` is non-zero (at most 64 cells).
#[inline]
fn nonzero_mask(cells: &[i16]) -> u64 {
    let mut mask = 0u64;
    for (i, &c) in cells.iter().enumerate() {
        mask |= ((c != 0) as u64) << i;
    }
    mask
}

/// Synaptic events of one spike on their way into the delay ring.
///
/// The ring slot of the last delay seen is kept in registers: a source's
/// synapses come in runs of one delay (spec §8.3), so most events reuse it.
/// The touched flag of a word is a plain store, with no read-modify-write
/// chain from one event to the next.
struct Delivery<'a> {
    ring: &'a mut [i16],
    touched: &'a mut [u8],
    n: usize,
    words: usize,
    slots: usize,
    slot: usize,
    /// Delay whose slot `ring_base` and `touch_base` are for.
    delay: u8,
    ring_base: usize,
    touch_base: usize,
}

impl<'a> Delivery<'a> {
    fn new(ring: &'a mut [i16], touched: &'a mut [u8], n: usize, slots: usize, slot: usize) -> Self {
        Delivery {
            ring,
            touched,
            n,
            words: n.div_ceil(64),
            slots,
            slot,
            delay: 0,
            ring_base: 0,
            touch_base: 0,
        }
    }

    /// Synapses of one delay and one flags byte, in one loop.
    #[inline(always)]
    fn deliver_run(&mut self, targets: &[u32], weights: &[i8], delay: u8, flags: u8) {
        let mut s = self.slot + delay as usize;
        if s >= self.slots {
            s -= self.slots;
        }
        let ring = &mut self.ring[s * self.n..(s + 1) * self.n];
        let touched = &mut self.touched[s * self.words..(s + 1) * self.words];
        let wexp = flags & FLAG_WEXP;
        for (&target, &w) in targets.iter().zip(weights) {
            let target = target as usize;
            ring[target] = add_sat16(ring[target], contribution(w, wexp));
            touched[target >> 6] = 1;
        }
    }

    /// Add one synapse's contribution to its target's accumulator `delay` ticks ahead.
    #[inline(always)]
    fn deliver(&mut self, target: u32, delay: u8, weight: i8, flags: u8) {
        if delay != self.delay {
            let mut s = self.slot + delay as usize;
            if s >= self.slots {
                s -= self.slots;
            }
            self.delay = delay;
            self.ring_base = s * self.n;
            self.touch_base = s * self.words;
        }
        let target = target as usize;
        let cell = &mut self.ring[self.ring_base + target];
        *cell = add_sat16(*cell, contribution(weight, flags & FLAG_WEXP));
        self.touched[self.touch_base + (target >> 6)] = 1;
    }
}
