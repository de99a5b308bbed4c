//! One part of a simulation: a contiguous range of neurons with everything
//! only they touch (their state, their delay ring, the synapses onto them,
//! their `x_post`), as NEST gives each thread the targets it owns.
//!
//! A part runs the neuron phase of its neurons and routes every spike of a
//! tick into its own ring, depressing and potentiating its own plastic
//! synapses; the simulator hands every part the same tick descriptions
//! ([`RoutedTick`], [`NeuronTick`]) and merges what they found. Nothing a
//! part computes depends on how many parts there are.

use crate::dither::TickDither;
use crate::fixed::{trace_bump, trace_decay};
use crate::learning::{join_weight, split_weight, StdpParams};
use crate::lfsr::LfsrCycle;
use crate::network::FLAG_PLASTIC;
use crate::neuron::{NeuronParams, NeuronState};
use crate::neuron_block::{step_block, step_one, Block, BLOCK};
use crate::record::Var;

use super::delivery::{nonzero_mask, DelayRing};
use super::partition::{target_of, weight_of, with_weight, PartSynapses};

/// Fewest due neurons in a word for which the block update beats the
/// one-by-one loop (either gives the same result).
const BLOCK_MIN: u32 = 12;

/// The value of `var` in `s`; `None` for the traces, which are not a
/// neuron's state.
pub(super) fn state_var(s: &NeuronState, var: Var) -> Option<i32> {
    match var {
        Var::U => Some(s.u as i32),
        Var::V => Some(s.v as i32),
        Var::Theta => Some(s.theta as i32),
        Var::Refractory => Some(s.refractory as i32),
        Var::XPre | Var::XPost => None,
    }
}

/// Whether `var` is part of a neuron's state (set by the neuron phase),
/// not a trace.
pub(super) fn is_state_var(var: Var) -> bool {
    state_var(&NeuronState::default(), var).is_some()
}

/// Spikes ahead of the one being routed whose row offsets are prefetched.
const PREFETCH_OFFSETS: usize = 8;
/// Spikes ahead whose rows' first lines are prefetched (their offsets were
/// asked for earlier).
const PREFETCH_ROWS: usize = 3;

/// A tick whose neuron phase a job runs.
#[derive(Debug, Clone, Copy)]
pub(super) struct NeuronTick {
    /// Its ring slot.
    pub slot: usize,
    /// Its decays' dither.
    pub dither: TickDither,
}

/// A tick whose spikes a job routes, the same for every part.
#[derive(Debug, Clone, Default)]
pub(super) struct RoutedTick {
    /// The tick.
    pub tick: u32,
    /// Its ring slot.
    pub slot: usize,
    /// Sources in routing order (spec §6): the tick's input axons ascending,
    /// then the neurons that fired (source index = axons + neuron) ascending.
    pub sources: Vec<u32>,
    /// How many of `sources` are input axons.
    pub inputs: usize,
    /// Learning: the LFSR's position before each source's depressions.
    pub depress_at: Vec<u32>,
    /// Learning: the LFSR's position before each arriving neuron's
    /// potentiations (one per entry of `arrivals`).
    pub potentiate_at: Vec<u32>,
    /// The dither of the tick's trace phase.
    pub trace_dither: TickDither,
    /// Learning: the neurons (source indices) whose spikes meet their
    /// plastic synapses this tick, in potentiation order (spec §5.3): the
    /// spikers of `post_delay` ticks before.
    pub arrivals: Vec<u32>,
}

/// What every part reads during a job.
pub(super) struct Shared<'a> {
    /// Input axons of the network (source indices below are axons).
    pub axons: usize,
    /// The STDP rule when learning is on.
    pub rule: Option<&'a StdpParams>,
    /// The LFSR's cycle, to draw at a position.
    pub cycle: &'static LfsrCycle,
    /// `x_pre` of every source as of the end of the last routed tick.
    pub x_pre: &'a [u16],
    /// Skip neurons at a fixed point.
    pub skip_quiescent: bool,
}

/// The next `x_pre` of the sources whose traces a part decays: a range of
/// axons and its own neurons (empty without learning). The part writes it
/// while routing a tick; the simulator then copies it into the next `x_pre`
/// of the whole network.
#[derive(Default)]
pub(super) struct XPreNext {
    /// First axon of `axons`.
    pub axon_lo: usize,
    /// `x_pre` of axons `axon_lo..`.
    pub axons: Vec<u16>,
    /// `x_pre` of the part's neurons.
    pub neurons: Vec<u16>,
}

/// A probe on one of the part's neurons of a variable the neuron phase sets.
pub(super) struct PartProbe {
    /// Index in the simulator's probe list.
    pub index: usize,
    /// The neuron, as an index into the part.
    pub neuron: usize,
    /// The variable.
    pub var: Var,
    /// Values of the ticks run since the simulator last took them.
    pub values: Vec<i32>,
}

/// Neurons `lo..lo + n` and what only they touch.
pub(super) struct Part {
    /// First neuron.
    pub lo: usize,
    /// Neurons.
    pub n: usize,
    words: usize,
    params: Vec<NeuronParams>,
    /// The profile of each 64-neuron word when all its neurons share one.
    word_profile: Vec<Option<NeuronParams>>,
    pub u: Vec<i16>,
    pub v: Vec<i16>,
    pub theta: Vec<i16>,
    pub refractory: Vec<u8>,
    /// Bit per neuron: not at a fixed point.
    active: Vec<u64>,
    /// The inputs due to these neurons in the coming ticks.
    pub ring: DelayRing,
    /// The synapses onto these neurons.
    pub syn: PartSynapses,
    /// `x_post` of each neuron (learning).
    pub x_post: Vec<u16>,
    /// The next `x_pre` this part writes (learning).
    pub x_pre_next: XPreNext,
    /// Probes on these neurons' u, v, θ and refractory counters.
    pub probes: Vec<PartProbe>,
    /// The neurons that fired (network indices, ascending) in each neuron
    /// tick of the last job.
    pub fired: Vec<Vec<u32>>,
    /// Neuron updates computed so far.
    pub updates: u64,
}

impl Part {
    /// Neurons `lo..lo + params.len()` at their reset state with initial
    /// potentials `v_init`, a ring of `slots` ticks, and their synapses;
    /// with learning, the part decays the `x_pre` of `axons` and of its
    /// neurons.
    pub fn new(
        lo: usize,
        params: Vec<NeuronParams>,
        v_init: &[i16],
        slots: usize,
        syn: PartSynapses,
        learning: Option<std::ops::Range<usize>>,
    ) -> Self {
        let n = params.len();
        let words = n.div_ceil(BLOCK);
        let mut active = vec![!0u64; words];
        if !n.is_multiple_of(BLOCK) {
            active[words - 1] = (1u64 << (n % BLOCK)) - 1;
        }
        Part {
            lo,
            n,
            words,
            word_profile: params
                .chunks(BLOCK)
                .map(|c| c.iter().all(|p| *p == c[0]).then_some(c[0]))
                .collect(),
            theta: params.iter().map(|p| p.theta_base).collect(),
            params,
            u: vec![0; n],
            v: v_init.to_vec(),
            refractory: vec![0; n],
            active,
            ring: DelayRing::new(n, slots),
            syn,
            x_post: if learning.is_some() { vec![0; n] } else { Vec::new() },
            x_pre_next: match learning {
                Some(axons) => XPreNext {
                    axon_lo: axons.start,
                    axons: vec![0; axons.len()],
                    neurons: vec![0; n],
                },
                None => XPreNext::default(),
            },
            probes: Vec::new(),
            fired: Vec::new(),
            updates: 0,
        }
    }

    /// One job: route `routed` in order, then the neuron phases of `ticks`.
    pub fn job(&mut self, routed: &[RoutedTick], ticks: &[NeuronTick], sh: &Shared) {
        match (sh.rule, routed) {
            (None, _) => {
                for r in routed {
                    for (j, &src) in r.sources.iter().enumerate() {
                        self.prefetch(&r.sources, j);
                        self.route(src as usize, r.slot);
                    }
                }
            }
            (Some(rule), [r]) => self.route_learning(r, rule, sh),
            (Some(_), []) => {}
            (Some(_), _) => unreachable!("learning routes one tick per job"),
        }
        self.fired.resize_with(ticks.len(), Vec::new);
        for (k, t) in ticks.iter().enumerate() {
            let mut fired = std::mem::take(&mut self.fired[k]);
            fired.clear();
            self.neuron_phase(t, sh.skip_quiescent, &mut fired);
            self.fired[k] = fired;
            for k in 0..self.probes.len() {
                let p = &self.probes[k];
                let value = state_var(&self.state(p.neuron), p.var).expect("trace probes are the simulator's");
                self.probes[k].values.push(value);
            }
        }
    }

    /// Update the neurons due in tick `t`, pushing those that fire.
    fn neuron_phase(&mut self, t: &NeuronTick, skip_quiescent: bool, fired: &mut Vec<u32>) {
        let mut updates = 0u64;
        for w in 0..self.words {
            let (lo, hi) = (w * BLOCK, ((w + 1) * BLOCK).min(self.n));
            let touched = self.ring.take_touched(t.slot, w);
            let mut bits = if skip_quiescent {
                let active = self.active[w];
                if touched && active != !0 {
                    active | nonzero_mask(&self.ring.cells(t.slot)[lo..hi])
                } else {
                    active
                }
            } else if hi - lo == BLOCK {
                !0
            } else {
                (1u64 << (hi - lo)) - 1
            };
            let due = bits.count_ones();
            updates += due as u64;
            if due == 0 {
                self.active[w] = 0;
                continue;
            }
            if let (true, Some(p)) = (due >= BLOCK_MIN, &self.word_profile[w]) {
                // The whole word side by side: its neurons that are not due
                // are at a fixed point and stay as they are.
                let masks = step_block(
                    p,
                    Block {
                        u: &mut self.u[lo..hi],
                        v: &mut self.v[lo..hi],
                        theta: &mut self.theta[lo..hi],
                        refractory: &mut self.refractory[lo..hi],
                        input: &mut self.ring.cells_mut(t.slot)[lo..hi],
                        first: (self.lo + lo) as u32,
                        dither: t.dither,
                    },
                );
                debug_assert_eq!(masks.busy & !bits, 0, "a neuron not due changed");
                let mut f = masks.fired;
                while f != 0 {
                    fired.push((self.lo + lo + f.trailing_zeros() as usize) as u32);
                    f &= f - 1;
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
                input: self.ring.cells_mut(t.slot),
                first: self.lo as u32,
                dither: t.dither,
            };
            while bits != 0 {
                let b = bits.trailing_zeros();
                bits &= bits - 1;
                let i = lo + b as usize;
                let (fire, busy) = step_one(&self.params[i], &mut all, i);
                if fire {
                    fired.push((self.lo + i) as u32);
                }
                still_active |= (busy as u64) << b;
            }
            self.active[w] = still_active;
        }
        self.updates += updates;
    }

    /// While routing `sources[j]`, ask the cache for the rows of the sources
    /// a few spikes on (a spike's row starts at a random place: its first
    /// lines are misses the hardware's prefetcher cannot foresee).
    #[inline(always)]
    fn prefetch(&self, sources: &[u32], j: usize) {
        if let Some(&s) = sources.get(j + PREFETCH_OFFSETS) {
            self.syn.prefetch_offsets(s as usize);
        }
        if let Some(&s) = sources.get(j + PREFETCH_ROWS) {
            self.syn.prefetch_row(s as usize);
        }
    }

    /// Deliver the synapses of source `src` here into the ring (no learning:
    /// the weights are the network's).
    #[inline]
    fn route(&mut self, src: usize, slot: usize) {
        for run in self.syn.runs(self.syn.row(src)) {
            self.ring
                .slot(slot, run.delay)
                .add_run(&self.syn.words[run.words], run.flags);
        }
    }

    /// A tick's routing with learning on (spec §5.3, §6): deliver and depress
    /// in source order, potentiate the fan-in of this part's neurons that
    /// fired, then the trace phase of this part's traces into `x_pre_next`.
    fn route_learning(&mut self, r: &RoutedTick, rule: &StdpParams, sh: &Shared) {
        let cycle = sh.cycle;
        for (j, (&src, &at)) in r.sources.iter().zip(&r.depress_at).enumerate() {
            self.prefetch(&r.sources, j);
            let row = self.syn.row(src as usize);
            // With one part a source's plastic synapses are all here, in
            // order: the register steps through them.
            let mut lfsr = cycle.at(at);
            let mut k = row.start;
            while k < row.end {
                // Runs one at a time: the loop writes the words they read.
                let run = self.syn.run_at(k);
                k = run.words.end;
                let syn = &mut self.syn;
                let mut slot = self.ring.slot(r.slot, run.delay);
                if run.flags & FLAG_PLASTIC == 0 {
                    slot.add_run(&syn.words[run.words], run.flags);
                    continue;
                }
                for j in run.words {
                    let x = syn.words[j];
                    let (target, w) = (target_of(x), weight_of(x));
                    slot.add(target, w, run.flags);
                    let drawn = match &syn.rank {
                        Some(rank) => cycle.state(at + rank[j] as u32 + 1),
                        None => lfsr.next_state(),
                    };
                    // x_post as of the end of the previous tick (spec §5.3).
                    let fine = join_weight(w, syn.fractions[j]);
                    let (w, f) = split_weight(rule.depress_drawn(fine, self.x_post[target as usize], drawn));
                    syn.words[j] = with_weight(x, w);
                    syn.fractions[j] = f;
                }
            }
        }
        // This part's neurons among the tick's spikers and arrivals.
        let spiked = &r.sources[r.inputs..];
        let (lo, hi) = ((sh.axons + self.lo) as u32, (sh.axons + self.lo + self.n) as u32);
        let first = spiked.partition_point(|&s| s < lo);
        let last = spiked.partition_point(|&s| s < hi);
        let mine = |s: &&u32| (lo..hi).contains(*s);
        let (words, fractions) = (&mut self.syn.words, &mut self.syn.fractions);
        for (&s, &at) in r.arrivals.iter().zip(&r.potentiate_at).filter(|(s, _)| mine(s)) {
            let nrn = (s - lo) as usize;
            let fanin = &self.syn.fanin[self.syn.fanin_offsets[nrn] as usize..self.syn.fanin_offsets[nrn + 1] as usize];
            // A neuron's potentiations are consecutive draws.
            let mut lfsr = cycle.at(at);
            for &(j, src) in fanin {
                let (x, f) = (&mut words[j as usize], &mut fractions[j as usize]);
                let fine = join_weight(weight_of(*x), *f);
                let (w, frac) = split_weight(rule.potentiate(fine, sh.x_pre[src as usize], &mut lfsr));
                *x = with_weight(*x, w);
                *f = frac;
            }
        }
        // The trace phase (spec §5.1): decay with the dither after the
        // tick's neuron phase, then bump this tick's spikers.
        let (pre, post, d) = (rule.pre_decay, rule.post_decay, r.trace_dither);
        let x_pre = &mut self.x_pre_next;
        for (k, x) in x_pre.axons.iter_mut().enumerate() {
            let a = x_pre.axon_lo + k;
            *x = trace_decay(sh.x_pre[a], pre, d.trace_offsets(a as u32).axon);
        }
        let old = &sh.x_pre[lo as usize..hi as usize];
        for (i, (x, y)) in x_pre.neurons.iter_mut().zip(self.x_post.iter_mut()).enumerate() {
            let o = d.trace_offsets((self.lo + i) as u32);
            *x = trace_decay(old[i], pre, o.pre);
            *y = trace_decay(*y, post, o.post);
        }
        let axon_hi = x_pre.axon_lo + x_pre.axons.len();
        for &a in &r.sources[..r.inputs] {
            let a = a as usize;
            if (x_pre.axon_lo..axon_hi).contains(&a) {
                let x = &mut x_pre.axons[a - x_pre.axon_lo];
                *x = trace_bump(*x, rule.pre_bump);
            }
        }
        for &s in &spiked[first..last] {
            let i = (s - lo) as usize;
            x_pre.neurons[i] = trace_bump(x_pre.neurons[i], rule.pre_bump);
        }
        for &s in r.arrivals.iter().filter(mine) {
            let i = (s - lo) as usize;
            self.x_post[i] = trace_bump(self.x_post[i], rule.post_bump);
        }
    }

    /// The state of neuron `i` of the part.
    pub fn state(&self, i: usize) -> NeuronState {
        NeuronState {
            u: self.u[i],
            v: self.v[i],
            theta: self.theta[i],
            refractory: self.refractory[i],
        }
    }
}
