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
//! * **Threads own target neurons** (NEST's scheme): the neurons are split
//!   into contiguous parts (`engine/part.rs`), each with its state, its delay ring,
//!   the synapses onto it and its plastic weights. Every part routes every
//!   spike, in the tick's one routing order, into its own ring: each
//!   accumulator sums its inputs in the order of the single-threaded engine,
//!   so saturating sums give the same result for any number of parts. The
//!   STDP noise is one LFSR stream (spec §5.4): each weight update's place in
//!   it is known in advance from static counts (plastic synapses per source,
//!   plastic fan-in per neuron), and a part draws at that place from a table
//!   of the whole cycle ([`LfsrCycle`]). Parts meet once per window of ticks:
//!   without learning a window is the smallest delay (a spike cannot reach a
//!   neuron before the next window starts), with learning one tick. So
//!   spikes, cycles and the final state are bit-identical at any thread count.
//!   A run's threads stay with it from window to window (`engine/crew.rs`):
//!   each job moves the parts to them and back.
//!
//! Busy cycles are counted alongside from the cost model, so every output
//! spike carries the cycle at which the chip will emit it.

mod crew;
mod delivery;
mod part;
mod partition;
mod ranks;
mod rows;

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::VecDeque;
use std::ops::Range;

use priority_queue::PriorityQueue;

use crate::cycles::{CoreShape, CycleCosts};
use crate::dither::{self, Rounding, TickDither};
use crate::learning::{StdpParams, POST_HISTORY_TICKS};
use crate::lfsr::{Lfsr16, LfsrCycle, LFSR_PERIOD};
use crate::network::{InputSpike, Network, FLAG_PLASTIC};
use crate::neuron::{NeuronParams, NeuronState};
use crate::record::{ProbeTrace, RunStats, SpikeEvent, StateDump, Var, WeightTrace};

use crew::{Crew, Job};
use part::{is_state_var, state_var, NeuronTick, Part, PartProbe, RoutedTick};
use partition::{weight_of, PartSynapses};
pub use ranks::Ranks;
use ranks::{In, Layout, Out};
use rows::{Bases, RowSize};

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
    /// Threads: the neurons are split into this many parts (fewer when the
    /// network has fewer neurons; more, shared by the threads, when a part
    /// would exceed 2^24 neurons), one thread each; 1 runs in the caller's
    /// thread, 0 takes one per core. Spread over ranks
    /// ([`Simulator::with_ranks`]), this many per rank. The results do not
    /// depend on it.
    pub threads: usize,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            skip_quiescent: true,
            core: None,
            costs: CycleCosts::CORE_V1,
            threads: 1,
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
    /// The worker threads could not be started.
    #[error("cannot start {threads} simulation threads: {cause}")]
    Threads {
        /// Threads asked for.
        threads: usize,
        /// The system's answer.
        cause: String,
    },
    /// A network built for one rank ([`Network::share`]) whose targets are
    /// not those this rank holds, or given to a simulation in one process.
    #[error("the network holds the synapses onto neurons {held:?}, but this process simulates neurons {want:?} (build it with the same threads, rank and ranks: Simulator::rank_targets)")]
    WrongShare {
        /// The targets the network holds.
        held: Range<u32>,
        /// The neurons this process holds.
        want: Range<u32>,
    },
    /// The ranks of one simulation disagree on what they simulate or on
    /// how many threads each runs (the split into parts depends on both).
    #[error("rank {rank} has {theirs} {what} where rank 0 has {first}: every rank must simulate the same network, built the same way, on the same number of threads")]
    RanksDisagree {
        /// The first rank that differs from rank 0.
        rank: usize,
        /// What differs.
        what: &'static str,
        /// Its figure.
        theirs: u64,
        /// Rank 0's.
        first: u64,
    },
    /// Some ranks hold their share of the synapses, others the whole
    /// network.
    #[error("rank {rank} holds {}, rank 0 {}: build every rank's network the same way", if *share { "its share of the synapses" } else { "the whole network" }, if *share { "the whole network" } else { "its share" })]
    MixedBuilds {
        /// The first rank that differs from rank 0.
        rank: usize,
        /// Whether that rank holds its share (and rank 0 the whole network).
        share: bool,
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

/// What routing one spike of a source costs: the busy cycles and the
/// synaptic events (its synapses), side by side so that a spike's
/// accounting reads one cache line.
#[derive(Debug, Clone, Copy)]
struct Route {
    cycles: u64,
    events: u64,
}

/// How often a simulation's parts met, and what this process sent the other
/// ranks ([`Simulator::exchange`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Exchange {
    /// Windows of ticks: the parts meet once at the end of each (the last
    /// job of a run, which routes the last window's spikes, is one more).
    pub meetings: u64,
    /// Bytes this rank sent in the meetings (0 in one process): the neurons
    /// that fired, 4 bytes each plus 4 per tick, and with learning the new
    /// `x_pre` of its sources.
    pub bytes_sent: u64,
}

/// Most ticks in one window: a bound on the spikes held between two meetings
/// of the parts when the smallest delay is long.
const WINDOW_MAX: u32 = 64;

/// Learning state the parts share (each part holds its own `x_post` and
/// plastic weights).
struct Learning {
    rule: StdpParams,
    /// `x_pre` of every source as of the end of the last tick routed.
    x_pre: Vec<u16>,
    /// The next `x_pre`, which the parts write while routing a tick.
    x_pre_next: Vec<u16>,
    /// The LFSR's position in its cycle after the last tick accounted.
    lfsr_at: u32,
    /// Plastic synapses of each source.
    plastic: Vec<u32>,
    /// The neurons that fired in each of the last ticks accounted (up to
    /// [`POST_HISTORY_TICKS`], the newest last): whose spikes meet their
    /// synapses `post_delay` ticks later.
    fired_history: VecDeque<Vec<u32>>,
}

/// The neurons whose spikes meet their plastic synapses in the tick whose
/// spikers are `fired` (spec §5.3), in potentiation order: those of
/// `arrived` (the spikers of `post_delay` ticks before) that also fired in
/// it, ascending, then the others, ascending (the order the core's spike
/// list holds them in); and how many of `fired` do not arrive (the entries
/// the potentiation passes over).
fn potentiation_order(fired: &[u32], arrived: &[u32]) -> (Vec<u32>, usize) {
    let (mut both, mut only) = (Vec::new(), Vec::new());
    for &n in arrived {
        if fired.binary_search(&n).is_ok() {
            both.push(n);
        } else {
            only.push(n);
        }
    }
    let skipped = fired.len() - both.len();
    both.extend(only);
    (both, skipped)
}

/// A simulation of one network. Create it with [`Simulator::new`], then
/// [`Simulator::run`] or [`Simulator::step_tick`].
pub struct Simulator<'n> {
    net: &'n Network,
    opts: SimOptions,
    core: CoreShape,
    n: usize,
    slots: usize,
    /// Ticks run between two meetings of the parts.
    window: u32,
    /// `bounds[p]..bounds[p + 1]`: the neurons of part `p` (parts of every
    /// rank).
    bounds: Vec<usize>,
    /// `axon_bounds[p]..axon_bounds[p + 1]`: the axons whose `x_pre` part
    /// `p` decays.
    axon_bounds: Vec<usize>,
    /// This process's parts: `parts[k]` is part `layout.local().start + k`.
    parts: Vec<Part>,
    /// The other processes of the simulation, if it is spread over several.
    ranks: Option<Box<dyn Ranks>>,
    /// Which parts each rank holds.
    layout: Layout,
    /// Neuron updates of the other ranks' parts, as of the last run.
    remote_updates: u64,
    /// Values of each probe that every rank holds.
    probes_synced: Vec<usize>,
    /// Recorded ticks of each weight trace whose values every rank holds.
    weights_synced: Vec<usize>,
    /// How often the parts met, and what this rank sent the others.
    exchange: Exchange,
    /// Threads the parts run on.
    threads: usize,
    /// The pool of those threads, when there are several.
    pool: Option<rayon::ThreadPool>,
    /// What routing one spike of each source costs.
    route: Vec<Route>,
    learning: Option<Learning>,
    /// Input spikes scheduled while running ([`Simulator::schedule_input`]).
    inputs: PriorityQueue<InputSpike, Reverse<InputSpike>>,
    /// The network's own input spikes (sorted, unique) are read in place:
    /// `net.inputs()[next_input..]` are still to come.
    next_input: usize,
    /// Ticks whose neuron phase has run.
    tick: u32,
    /// The dither state of the next tick (spec §3.1).
    dither_state: u16,
    cycle: u64,
    /// Busy cycles of the busiest tick so far.
    busiest: u64,
    stats: RunStats,
    record_spikes: bool,
    spikes: Vec<SpikeEvent>,
    probes: Vec<ProbeTrace>,
    weight_traces: Vec<WeightTrace>,
    /// Where each weight trace's values come from.
    weight_at: Vec<WeightAt>,
    /// Of a network that holds one rank's share: where its synapses sit in
    /// the whole rows.
    bases: Option<Bases>,
}

/// Where a weight trace's values come from.
enum WeightAt {
    /// Learning: each synapse's part, and its word there if the part is
    /// this rank's.
    Parts(Vec<(usize, Option<usize>)>),
    /// No learning: the weights never change.
    Fixed(Vec<i8>),
}

/// What [`agree`] compares beside whether each rank's network is a share.
const FIGURES: [&str; 4] = ["threads", "neurons", "axons", "synapses"];

/// Check, collectively, that every rank simulates a network of the same
/// size, built the same way, on as many threads as this one (`threads`):
/// the split into parts depends on them. Every rank sees every rank's
/// figures, so all return the same answer (none is left waiting).
fn agree(ranks: &dyn Ranks, net: &Network, threads: usize) -> Result<(), SimError> {
    let mine = [
        threads as u64,
        net.num_neurons() as u64,
        net.num_axons() as u64,
        net.num_synapses(),
        net.share().is_some() as u64,
    ];
    let mut out = Out::default();
    for x in mine {
        out.u64(x);
    }
    let all: Vec<Vec<u64>> = ranks
        .all_gather(&out.0)
        .iter()
        .map(|msg| {
            let mut m = In::new(msg);
            mine.iter().map(|_| m.u64()).collect()
        })
        .collect();
    let first = &all[0];
    for (rank, theirs) in all.iter().enumerate().skip(1) {
        if let Some(k) = (0..FIGURES.len()).find(|&k| theirs[k] != first[k]) {
            return Err(SimError::RanksDisagree {
                rank,
                what: FIGURES[k],
                theirs: theirs[k],
                first: first[k],
            });
        }
        let share = FIGURES.len();
        if theirs[share] != first[share] {
            return Err(SimError::MixedBuilds {
                rank,
                share: theirs[share] == 1,
            });
        }
    }
    Ok(())
}

/// Threads `threads` asks for: 0 is one per core.
fn resolve_threads(threads: usize) -> usize {
    match threads {
        0 => std::thread::available_parallelism().map_or(1, |t| t.get()),
        t => t,
    }
}

impl<'n> Simulator<'n> {
    /// A simulator at tick 0 with the network's reset state and its scheduled
    /// inputs queued.
    pub fn new(net: &'n Network, opts: SimOptions) -> Result<Self, SimError> {
        Self::build(net, opts, None)
    }

    /// This process's share of a simulation spread over `ranks` (each rank
    /// creates one with the same network and options, and then makes the
    /// same calls in the same order: [`Simulator::run`],
    /// [`Simulator::state_dump`] and [`Simulator::weights`] are collective).
    /// The neurons are split into `opts.threads` parts per rank; every rank
    /// ends each run with the same spikes, probe traces, weight traces and
    /// counters as one process would have, and `state_dump` gathers the
    /// state. Neurons of another rank cannot be read one by one
    /// ([`Simulator::neuron_state`]).
    ///
    /// Each rank may hold the whole network or only its share of the
    /// synapses, built with [`crate::NetworkBuilder::keep_targets`] and
    /// [`Simulator::rank_targets`] (then the ranks exchange what they need
    /// of each other's synapses here, and memory per rank falls with the
    /// rank count).
    pub fn with_ranks(net: &'n Network, opts: SimOptions, ranks: Box<dyn Ranks>) -> Result<Self, SimError> {
        Self::build(net, opts, Some(ranks))
    }

    /// The neurons rank `rank` of `ranks` holds in a simulation of a network
    /// of `neurons` neurons on `threads` threads per rank (0: one per
    /// core), as [`Simulator::with_ranks`] splits them: the targets whose
    /// synapses that rank's share of the network holds.
    pub fn rank_targets(neurons: u32, threads: usize, rank: usize, ranks: usize) -> Range<u32> {
        let bounds = partition::bounds(neurons as usize, resolve_threads(threads) * ranks);
        let local = Layout::new(rank, ranks, bounds.len() - 1).local();
        bounds[local.start] as u32..bounds[local.end] as u32
    }

    fn build(net: &'n Network, opts: SimOptions, ranks: Option<Box<dyn Ranks>>) -> Result<Self, SimError> {
        if let Some(r) = ranks.as_deref() {
            agree(r, net, resolve_threads(opts.threads))?;
        }
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
        let m = net.num_axons() as usize;
        let sources = net.num_sources() as usize;
        let slots = net.max_delay() as usize;
        let syn = net.synapses();
        let learning_on = net.stdp().is_some();
        let threads = resolve_threads(opts.threads);
        let (rank, size) = ranks.as_ref().map_or((0, 1), |r| (r.rank(), r.size()));
        let bounds = partition::bounds(n, threads * size);
        let parts_n = bounds.len() - 1;
        let axon_bounds: Vec<usize> = (0..=parts_n).map(|p| p * m / parts_n).collect();
        let layout = Layout::new(rank, size, parts_n);
        let local = layout.local();
        if let Some(share) = net.share() {
            let want = bounds[local.start] as u32..bounds[local.end] as u32;
            if share.targets != want {
                return Err(SimError::WrongShare {
                    held: share.targets.clone(),
                    want,
                });
            }
        }
        // Each source's whole row; of a share, gathered from every rank.
        let (rows, bases) = match net.share() {
            Some(_) => {
                let (rows, bases) = rows::gather(syn, ranks.as_deref(), rank);
                (rows, Some(bases))
            }
            None => ((0..sources).map(|s| RowSize::of(syn, s)).collect(), None),
        };
        let profiles = net.profiles();
        let params = |lo: usize, hi: usize| -> Vec<NeuronParams> {
            net.neuron_profiles()[lo..hi]
                .iter()
                .map(|&p| profiles[p as usize])
                .collect()
        };
        let parts = PartSynapses::split(syn, bases.as_ref(), &bounds, local.clone(), learning_on)
            .into_iter()
            .zip(local.clone())
            .map(|(s, p)| {
                let (lo, hi) = (bounds[p], bounds[p + 1]);
                let axons = learning_on.then(|| axon_bounds[p]..axon_bounds[p + 1]);
                Part::new(lo, params(lo, hi), &net.v_init()[lo..hi], slots, s, axons)
            })
            .collect();
        // A network of more than 2^24 neurons has more parts than threads
        // when few are asked for; the pool's threads share them out.
        let threads = threads.min(local.len()).max(1);
        let pool = if threads > 1 {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(|i| format!("spikefab-sim-{i}"))
                .build()
                .map_err(|e| SimError::Threads {
                    threads,
                    cause: e.to_string(),
                })?;
            Some(pool)
        } else {
            None
        };
        let learning = net.stdp().map(|rule| Learning {
            rule: *rule,
            x_pre: vec![0; sources],
            x_pre_next: vec![0; sources],
            fired_history: VecDeque::with_capacity(POST_HISTORY_TICKS + 1),
            lfsr_at: LfsrCycle::get().position(Lfsr16::new(rule.lfsr_seed).expect("validated non-zero seed")),
            plastic: rows.iter().map(|r| r.plastic as u32).collect(),
        });
        let route = rows
            .iter()
            .map(|r| {
                let plastic = if learning_on { r.plastic } else { 0 };
                Route {
                    cycles: opts.costs.route_cost(r.headers, r.synapses, plastic, learning_on),
                    events: r.synapses,
                }
            })
            .collect();
        drop(rows);
        let window = if learning_on {
            1
        } else {
            net.min_delay().map_or(WINDOW_MAX, |d| (d as u32).min(WINDOW_MAX))
        };
        Ok(Simulator {
            net,
            opts,
            core,
            n,
            slots,
            window,
            threads,
            bounds,
            axon_bounds,
            parts,
            ranks,
            layout,
            remote_updates: 0,
            probes_synced: Vec::new(),
            weights_synced: Vec::new(),
            exchange: Exchange::default(),
            pool,
            route,
            learning,
            inputs: PriorityQueue::new(),
            next_input: 0,
            tick: 0,
            dither_state: dither::STATE_SEED,
            cycle: 0,
            busiest: 0,
            stats: RunStats::default(),
            record_spikes: true,
            spikes: Vec::new(),
            probes: Vec::new(),
            weight_traces: Vec::new(),
            weight_at: Vec::new(),
            bases,
        })
    }

    /// How often the parts met so far, and what this rank sent the others.
    pub fn exchange(&self) -> Exchange {
        self.exchange
    }

    /// Threads the simulation runs on in this process.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Processes the simulation is spread over (1 unless made
    /// [`Simulator::with_ranks`]).
    pub fn ranks(&self) -> usize {
        self.layout.parts.len() - 1
    }

    /// Keep output spikes in memory (on by default); [`Simulator::take_spikes`] drains them.
    pub fn set_record_spikes(&mut self, on: bool) {
        self.record_spikes = on;
    }

    /// The part that holds neuron `n`, and `n`'s index in it.
    fn locate(&self, n: usize) -> (usize, usize) {
        let p = self.bounds.partition_point(|&lo| lo <= n) - 1;
        (p, n - self.bounds[p])
    }

    /// Part `p`'s index in `parts` if this process holds it.
    fn local_index(&self, p: usize) -> Option<usize> {
        self.layout.local().contains(&p).then(|| p - self.layout.local().start)
    }

    /// Part `p` if this process holds it.
    fn local_part(&self, p: usize) -> Option<&Part> {
        self.local_index(p).map(|k| &self.parts[k])
    }

    /// The part of neuron `n` and `n`'s index in it; panics if another rank
    /// holds it.
    fn local_neuron(&self, n: usize) -> (&Part, usize) {
        let (p, i) = self.locate(n);
        match self.local_part(p) {
            Some(part) => (part, i),
            None => panic!(
                "neuron {n} is on rank {} (this is rank {}): state_dump() gathers every rank's neurons",
                self.layout.rank_of(p),
                self.layout.rank
            ),
        }
    }

    /// The rank that holds neuron `n`.
    fn rank_of_neuron(&self, n: u32) -> usize {
        self.layout.rank_of(self.locate(n as usize).0)
    }

    /// Whether this process holds neuron `n`.
    fn holds(&self, n: u32) -> bool {
        self.rank_of_neuron(n) == self.layout.rank
    }

    /// Record `var` of `neuron` at the end of every following tick.
    pub fn add_probe(&mut self, neuron: u32, var: Var) -> Result<(), SimError> {
        if neuron as usize >= self.n {
            return Err(SimError::NoSuchNeuron {
                neuron,
                neurons: self.n as u32,
            });
        }
        let (p, i) = self.locate(neuron as usize);
        if let (true, Some(k)) = (is_state_var(var), self.local_index(p)) {
            // The neuron phase sets these: its part records them.
            self.parts[k].probes.push(PartProbe {
                index: self.probes.len(),
                neuron: i,
                var,
                values: Vec::new(),
            });
        }
        self.probes_synced.push(0);
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

    /// Busy cycles of the busiest tick so far.
    pub fn busiest_tick_cycles(&self) -> u64 {
        self.busiest
    }

    /// The core shape the cycles are predicted for.
    pub fn core(&self) -> CoreShape {
        self.core
    }

    /// Work counters so far.
    pub fn stats(&self) -> RunStats {
        let mut stats = self.stats;
        stats.neuron_updates = self.local_updates() + self.remote_updates;
        stats
    }

    /// Neuron updates of this process's parts.
    fn local_updates(&self) -> u64 {
        self.parts.iter().map(|p| p.updates).sum()
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
    /// every `every`-th tick from now on. Collective when the network holds
    /// one rank's share ([`Network::share`]): the ranks tell each other
    /// which synapses they hold.
    pub fn add_weight_record(&mut self, synapses: Vec<u64>, every: u32) -> Result<(), SimError> {
        let syn = self.net.synapses();
        let count = self.net.num_synapses();
        if let Some(&s) = synapses.iter().find(|&&s| s >= count) {
            return Err(SimError::NoSuchSynapse {
                synapse: s,
                synapses: count,
            });
        }
        // Only learning changes weights and moves them into the parts.
        let at = match (&self.learning, &self.bases) {
            (Some(_), None) => WeightAt::Parts(
                synapses
                    .iter()
                    .map(|&s| {
                        let (p, _) = self.locate(syn.target(s as usize) as usize);
                        let i = self
                            .local_part(p)
                            .map(|part| part.syn.local(s).expect("a synapse is in its target's part"));
                        (p, i)
                    })
                    .collect(),
            ),
            (Some(_), Some(_)) => WeightAt::Parts(self.shared_places(&synapses)),
            (None, None) => WeightAt::Fixed(synapses.iter().map(|&s| syn.weight(s as usize)).collect()),
            (None, Some(b)) => WeightAt::Fixed(self.shared_weights(b, &synapses)),
        };
        self.weight_at.push(at);
        self.weights_synced.push(0);
        self.weight_traces.push(WeightTrace {
            synapses,
            every: every.max(1),
            ticks: Vec::new(),
            values: Vec::new(),
        });
        Ok(())
    }

    /// Of a share with learning: the part of each of `synapses` (canonical
    /// indices), and its word there if the part is this rank's. Collective.
    fn shared_places(&self, synapses: &[u64]) -> Vec<(usize, Option<usize>)> {
        let first = self.layout.local().start;
        let mut out = Out::default();
        let mut at = vec![(usize::MAX, None); synapses.len()];
        for (k, &s) in synapses.iter().enumerate() {
            let held = self
                .parts
                .iter()
                .enumerate()
                .find_map(|(j, p)| p.syn.local(s).map(|i| (j, i)));
            if let Some((j, i)) = held {
                out.u32(k as u32);
                out.u32((first + j) as u32);
                at[k] = (first + j, Some(i));
            }
        }
        for msg in self.all_gather(out) {
            let mut m = In::new(&msg);
            while !m.is_empty() {
                let k = m.u32() as usize;
                at[k].0 = m.u32() as usize;
            }
        }
        assert!(
            at.iter().all(|&(p, _)| p != usize::MAX),
            "every synapse is held by one rank"
        );
        at
    }

    /// Of a share without learning: the weights of `synapses` (canonical
    /// indices), from the ranks that hold them. Collective.
    fn shared_weights(&self, bases: &Bases, synapses: &[u64]) -> Vec<i8> {
        let syn = self.net.synapses();
        let mut asked: Vec<(u64, usize)> = synapses.iter().enumerate().map(|(k, &s)| (s, k)).collect();
        asked.sort_unstable();
        let mut out = Out::default();
        for s in 0..syn.num_sources() {
            for (c, local) in bases.segments(syn, s) {
                let end = c + local.len() as u64;
                let from = asked.partition_point(|&(x, _)| x < c);
                for &(x, k) in asked[from..].iter().take_while(|&&(x, _)| x < end) {
                    out.u32(k as u32);
                    out.byte(syn.weight(local.start + (x - c) as usize) as u8);
                }
            }
        }
        let mut values = vec![0; synapses.len()];
        for msg in self.all_gather(out) {
            let mut m = In::new(&msg);
            while !m.is_empty() {
                let k = m.u32() as usize;
                values[k] = m.byte() as i8;
            }
        }
        values
    }

    /// Weight traces recorded so far.
    pub fn weight_traces(&self) -> &[WeightTrace] {
        &self.weight_traces
    }

    /// Current weights, canonical order (the network's without learning;
    /// gathered from the parts with it, from every rank: collective when
    /// the simulation is spread over several). Of a network that holds one
    /// rank's share, every rank's synapses are gathered.
    pub fn weights(&self) -> Cow<'_, [i8]> {
        let syn = self.net.synapses();
        if self.learning.is_none() && self.bases.is_none() {
            return Cow::Borrowed(syn.weights());
        }
        // A share: each rank's synapses, as runs of consecutive canonical indices.
        let mut out = Out::default();
        if let Some(b) = &self.bases {
            let mut runs = Out::default();
            let mut count = 0u64;
            for s in 0..syn.num_sources() {
                for (c, local) in b.segments(syn, s) {
                    runs.u64(c);
                    runs.i8s(&syn.weights()[local]);
                    count += 1;
                }
            }
            out.u64(count);
            out.0.extend_from_slice(&runs.0);
        }
        // Only the plastic weights change: each rank sends its own.
        for p in self.parts.iter().filter(|_| self.learning.is_some()) {
            let canonical = p.syn.canonical.as_ref().expect("learning keeps canonical indices");
            for (_, run) in p.syn.all_runs().filter(|(_, r)| r.flags & FLAG_PLASTIC != 0) {
                for j in run.words {
                    out.u32(canonical[j]);
                    out.byte(weight_of(p.syn.words[j]) as u8);
                }
            }
        }
        let mut w = match self.bases {
            Some(_) => vec![0; self.net.num_synapses() as usize],
            None => syn.weights().to_vec(),
        };
        for msg in self.all_gather(out) {
            let mut m = In::new(&msg);
            if self.bases.is_some() {
                for _ in 0..m.u64() {
                    let c = m.u64() as usize;
                    let run = m.bytes();
                    for (x, &b) in w[c..c + run.len()].iter_mut().zip(run) {
                        *x = b as i8;
                    }
                }
            }
            while !m.is_empty() {
                let c = m.u32() as usize;
                w[c] = m.byte() as i8;
            }
        }
        Cow::Owned(w)
    }

    /// Each synapse's weight fraction now (spec §5.3), canonical order (0
    /// for a fixed synapse); empty without learning. Gathered from every
    /// rank: collective when the simulation is spread over several.
    pub fn weight_fractions(&self) -> Vec<i8> {
        if self.learning.is_none() {
            return Vec::new();
        }
        let mut out = Out::default();
        for p in &self.parts {
            let canonical = p.syn.canonical.as_ref().expect("learning keeps canonical indices");
            for (_, run) in p.syn.all_runs().filter(|(_, r)| r.flags & FLAG_PLASTIC != 0) {
                for j in run.words {
                    out.u32(canonical[j]);
                    out.byte(p.syn.fractions[j] as u8);
                }
            }
        }
        let mut f = vec![0; self.net.num_synapses() as usize];
        for msg in self.all_gather(out) {
            let mut m = In::new(&msg);
            while !m.is_empty() {
                let c = m.u32() as usize;
                f[c] = m.byte() as i8;
            }
        }
        f
    }

    /// The plastic weights now, neuron by neuron and each neuron's in
    /// ascending canonical index (the order of [`crate::network::Synapses::fanin`]);
    /// empty without learning. Gathered from every rank: collective when the
    /// simulation is spread over several.
    pub fn plastic_weights(&self) -> Vec<i8> {
        if self.learning.is_none() {
            return Vec::new();
        }
        let mut out = Out::default();
        for p in &self.parts {
            let w: Vec<i8> = p
                .syn
                .fanin
                .iter()
                .map(|&(j, _)| weight_of(p.syn.words[j as usize]))
                .collect();
            out.i8s(&w);
        }
        let mut all = Vec::new();
        for msg in self.all_gather(out) {
            let mut m = In::new(&msg);
            while !m.is_empty() {
                all.extend(m.bytes().iter().map(|&b| b as i8));
            }
        }
        all
    }

    /// Every rank's `mine`, in rank order (this process's alone when it is
    /// the only one).
    fn all_gather(&self, mine: Out) -> Vec<Vec<u8>> {
        match &self.ranks {
            Some(r) => r.all_gather(&mine.0),
            None => vec![mine.0],
        }
    }

    /// State of neuron `n` now.
    ///
    /// # Panics
    /// If `n` is not a neuron of the network, or another rank holds it
    /// ([`Simulator::with_ranks`]).
    pub fn neuron_state(&self, n: u32) -> NeuronState {
        assert!((n as usize) < self.n, "neuron {n} of {}", self.n);
        let (part, i) = self.local_neuron(n as usize);
        part.state(i)
    }

    /// The value of `var` for `neuron` now (end of the last tick run).
    ///
    /// # Panics
    /// If `neuron` is not a neuron of the network, or another rank holds it
    /// (except for `x_pre`, which every rank has).
    pub fn value(&self, neuron: u32, var: Var) -> i32 {
        assert!((neuron as usize) < self.n, "neuron {neuron} of {}", self.n);
        match (var, &self.learning) {
            // A trace: 0 without learning.
            (Var::XPre | Var::XPost, None) => 0,
            (Var::XPre, Some(l)) => l.x_pre[(self.net.num_axons() + neuron) as usize] as i32,
            (Var::XPost, Some(_)) => {
                let (part, i) = self.local_neuron(neuron as usize);
                part.x_post[i] as i32
            }
            (Var::U | Var::V | Var::Theta | Var::Refractory, _) => {
                let (part, i) = self.local_neuron(neuron as usize);
                state_var(&part.state(i), var).expect("a neuron's state")
            }
        }
    }

    /// The input due to each neuron in each of the next `slots` ticks, in
    /// time order: `[j × N + n]` is what neuron `n` receives in tick
    /// `tick() + j` (zero beyond the network's largest delay). Collective
    /// when the simulation is spread over several ranks.
    pub fn ring_ahead(&self, slots: u32) -> Vec<i16> {
        let held = (slots as usize).min(self.slots);
        let mut out = Out::default();
        for j in 0..held {
            let slot = (self.tick as usize + j) % self.slots;
            for p in &self.parts {
                out.i16s(p.ring.cells(slot));
            }
        }
        let mut ring = vec![0; slots as usize * self.n];
        for (r, msg) in self.all_gather(out).iter().enumerate() {
            let mut m = In::new(msg);
            for j in 0..held {
                for p in self.layout.parts[r]..self.layout.parts[r + 1] {
                    let row = j * self.n + self.bounds[p];
                    let cells = m.i16s();
                    ring[row..row + cells.len()].copy_from_slice(&cells);
                }
            }
        }
        ring
    }

    /// The full state now (traces materialised to the end of the last tick;
    /// the ring over the core's delay slots), gathered from every rank:
    /// collective when the simulation is spread over several.
    pub fn state_dump(&self) -> StateDump {
        self.dump(true)
    }

    /// [`Simulator::state_dump`] without the weights (`weights` empty), for
    /// a run whose outputs do not need them: gathering them takes a byte per
    /// synapse of the whole network on every rank. Collective as
    /// `state_dump` is.
    pub fn state_without_weights(&self) -> StateDump {
        self.dump(false)
    }

    fn dump(&self, weights: bool) -> StateDump {
        let mut out = Out::default();
        for p in &self.parts {
            out.i16s(&p.u);
            out.i16s(&p.v);
            out.i16s(&p.theta);
            out.bytes(&p.refractory);
            out.u16s(&p.x_post);
        }
        let mut d = StateDump {
            ticks: self.tick,
            cycle: self.cycle,
            ..StateDump::default()
        };
        for msg in self.all_gather(out) {
            let mut m = In::new(&msg);
            while !m.is_empty() {
                d.u.extend(m.i16s());
                d.v.extend(m.i16s());
                d.theta.extend(m.i16s());
                d.refractory.extend(m.bytes());
                d.x_post.extend(m.u16s());
            }
        }
        if let Some(l) = &self.learning {
            d.x_pre = l.x_pre.clone();
            d.lfsr = LfsrCycle::get().at(l.lfsr_at).state();
            d.post_history = vec![0; self.n];
            for (i, fired) in l.fired_history.iter().rev().enumerate() {
                for &n in fired {
                    d.post_history[n as usize] |= 1 << i;
                }
            }
        }
        if weights {
            d.weights = self.weights().into_owned();
            d.weight_fractions = self.weight_fractions();
        }
        d.ring = self.ring_ahead(self.core.delay_slots);
        d
    }

    /// Run one tick: neuron phase, routing, potentiation, traces (spec §6).
    /// Ticks are counted in a `u32` (about 50 days of model time at 1 ms ticks).
    pub fn step_tick(&mut self) {
        self.run(1);
    }

    /// Run `ticks` ticks, window by window: each job routes the spikes of
    /// the previous window and runs the neuron phases of the next; a last
    /// job routes the last window's spikes.
    pub fn run(&mut self, ticks: u32) {
        // On several threads the whole run is one scope of the pool: the
        // thread that coordinates the parts is one of its workers, and the
        // others stay with the run (`engine/crew.rs`).
        match self.pool.take() {
            Some(pool) => {
                let threads = self.threads;
                pool.scope(|scope| {
                    let crew = Crew::start(scope, threads);
                    self.run_windows(ticks, Some(&crew));
                });
                self.pool = Some(pool);
            }
            None => self.run_windows(ticks, None),
        }
    }

    /// [`Simulator::run`] in the calling thread and the `crew`'s.
    fn run_windows(&mut self, ticks: u32, crew: Option<&Crew>) {
        let mut routed: Vec<RoutedTick> = Vec::new();
        let mut left = ticks;
        while left > 0 || !routed.is_empty() {
            let w = left.min(self.window);
            let (neuron_ticks, trace_dithers) = self.next_ticks(w);
            let (routed_now, neuron_ticks) = self.job(routed, neuron_ticks, crew);
            routed = routed_now;
            let fired = self.meet(neuron_ticks.len(), !routed.is_empty());
            for p in &mut self.parts {
                for probe in &mut p.probes {
                    self.probes[probe.index].values.append(&mut probe.values);
                }
            }
            self.after_routing(&routed);
            routed = neuron_ticks
                .iter()
                .zip(trace_dithers)
                .zip(fired)
                .map(|((t, d), f)| self.account(t.slot, d, &f))
                .collect();
            left -= w;
        }
        self.sync_records();
    }

    /// The neurons that fired in each of the last job's `w` neuron ticks,
    /// in every part (ascending). Spread over ranks, this is where they
    /// meet: each sends the spikes of its parts and, when the job routed a
    /// tick with learning on, its parts' slices of the next `x_pre`.
    fn meet(&mut self, w: usize, routed: bool) -> Vec<Vec<u32>> {
        self.exchange.meetings += 1;
        let parts = &self.parts;
        let fired_here = |k: usize| parts.iter().flat_map(move |p| p.fired[k].iter().copied());
        let Some(ranks) = &self.ranks else {
            return (0..w).map(|k| fired_here(k).collect()).collect();
        };
        let m = self.net.num_axons() as usize;
        // The axons and the neurons whose next `x_pre` rank `r`'s parts wrote.
        let (bounds, axon_bounds, layout) = (&self.bounds, &self.axon_bounds, &self.layout);
        let slices = |r: usize| {
            let (first, end) = (layout.parts[r], layout.parts[r + 1]);
            (axon_bounds[first]..axon_bounds[end], m + bounds[first]..m + bounds[end])
        };
        let mut out = Out::default();
        for k in 0..w {
            out.u32s(&fired_here(k).collect::<Vec<_>>());
        }
        let mut learning = self.learning.as_mut().filter(|_| routed);
        if let Some(l) = &learning {
            let (axons, neurons) = slices(layout.rank);
            out.u16s(&l.x_pre_next[axons]);
            out.u16s(&l.x_pre_next[neurons]);
        }
        self.exchange.bytes_sent += out.0.len() as u64;
        let msgs = ranks.all_gather(&out.0);
        let mut fired = vec![Vec::new(); w];
        for (r, msg) in msgs.iter().enumerate() {
            let mut m = In::new(msg);
            // Ranks hold ascending ranges of neurons: the lists stay ascending.
            for f in &mut fired {
                f.extend(m.u32s());
            }
            if let Some(l) = learning.as_deref_mut() {
                let (axons, neurons) = slices(r);
                l.x_pre_next[axons].copy_from_slice(&m.u16s());
                l.x_pre_next[neurons].copy_from_slice(&m.u16s());
            }
        }
        fired
    }

    /// After a run spread over ranks: every rank takes the probe values and
    /// recorded weights of the neurons and synapses the others hold, and
    /// their neuron-update counts.
    fn sync_records(&mut self) {
        if self.ranks.is_none() {
            return;
        }
        let mut out = Out::default();
        out.u64(self.local_updates());
        for (p, &from) in self.probes.iter().zip(&self.probes_synced) {
            if self.holds(p.neuron) {
                out.i32s(&p.values[from..]);
            }
        }
        for ((w, at), &from) in self.weight_traces.iter().zip(&self.weight_at).zip(&self.weights_synced) {
            if let WeightAt::Parts(at) = at {
                for row in w.values.chunks_exact(at.len().max(1)).skip(from) {
                    for (&x, (_, i)) in row.iter().zip(at) {
                        if i.is_some() {
                            out.byte(x as u8);
                        }
                    }
                }
            }
        }
        let msgs = self.all_gather(out);
        let owners: Vec<usize> = self.probes.iter().map(|p| self.rank_of_neuron(p.neuron)).collect();
        let layout = &self.layout;
        self.remote_updates = 0;
        for (r, msg) in msgs.iter().enumerate() {
            let mut m = In::new(msg);
            let updates = m.u64();
            if r == layout.rank {
                continue;
            }
            self.remote_updates += updates;
            for (p, _) in self.probes.iter_mut().zip(&owners).filter(|(_, &o)| o == r) {
                p.values.extend(m.i32s());
            }
            for ((w, at), &from) in self
                .weight_traces
                .iter_mut()
                .zip(&self.weight_at)
                .zip(&self.weights_synced)
            {
                let WeightAt::Parts(at) = at else { continue };
                for row in w.values.chunks_exact_mut(at.len().max(1)).skip(from) {
                    for (x, &(p, _)) in row.iter_mut().zip(at) {
                        if layout.rank_of(p) == r {
                            *x = m.byte() as i8;
                        }
                    }
                }
            }
        }
        for (synced, p) in self.probes_synced.iter_mut().zip(&self.probes) {
            *synced = p.values.len();
        }
        for (synced, w) in self.weights_synced.iter_mut().zip(&self.weight_traces) {
            *synced = w.ticks.len();
        }
    }

    /// The neuron ticks of the next `w` ticks and the dither of each one's
    /// trace phase; moves the dither state on.
    fn next_ticks(&mut self, w: u32) -> (Vec<NeuronTick>, Vec<TickDither>) {
        let rounding = self.net.rounding();
        (0..w)
            .map(|k| {
                let neuron = TickDither::new(rounding, self.dither_state);
                if rounding == Rounding::Dither {
                    self.dither_state = dither::advance(self.dither_state);
                }
                let slot = (self.tick + k) as usize % self.slots;
                (
                    NeuronTick { slot, dither: neuron },
                    TickDither::new(rounding, self.dither_state),
                )
            })
            .unzip()
    }

    /// Every part routes `routed` and runs the neuron phases of `ticks`, on
    /// this thread and the `crew`'s; hands both back. With learning, the
    /// parts' next `x_pre` is then gathered into the whole network's.
    fn job(
        &mut self,
        routed: Vec<RoutedTick>,
        ticks: Vec<NeuronTick>,
        crew: Option<&Crew>,
    ) -> (Vec<RoutedTick>, Vec<NeuronTick>) {
        if routed.is_empty() && ticks.is_empty() {
            return (routed, ticks);
        }
        let job = Job {
            routed,
            ticks,
            axons: self.net.num_axons() as usize,
            rule: self.learning.as_ref().map(|l| l.rule),
            x_pre: self
                .learning
                .as_mut()
                .map(|l| std::mem::take(&mut l.x_pre))
                .unwrap_or_default(),
            skip_quiescent: self.opts.skip_quiescent,
        };
        let job = match crew {
            Some(crew) => crew.run(&mut self.parts, job),
            None => {
                job.run(&mut self.parts);
                job
            }
        };
        if let Some(l) = &mut self.learning {
            l.x_pre = job.x_pre;
            if !job.routed.is_empty() {
                let m = self.net.num_axons() as usize;
                for p in &self.parts {
                    let x = &p.x_pre_next;
                    l.x_pre_next[x.axon_lo..x.axon_lo + x.axons.len()].copy_from_slice(&x.axons);
                    l.x_pre_next[m + p.lo..m + p.lo + p.n].copy_from_slice(&x.neurons);
                }
            }
        }
        (job.routed, job.ticks)
    }

    /// After a job has routed `routed`: the new traces, and the trace
    /// probes and weight traces of those ticks.
    fn after_routing(&mut self, routed: &[RoutedTick]) {
        if routed.is_empty() {
            return;
        }
        if let Some(l) = &mut self.learning {
            std::mem::swap(&mut l.x_pre, &mut l.x_pre_next);
        }
        for r in routed {
            let end = r.tick + 1;
            for i in 0..self.probes.len() {
                let p = &self.probes[i];
                // The rank that holds the neuron records it.
                if !is_state_var(p.var) && self.holds(p.neuron) {
                    let x = self.value(p.neuron, p.var);
                    self.probes[i].values.push(x);
                }
            }
            let first = self.layout.local().start;
            for (w, at) in self.weight_traces.iter_mut().zip(&self.weight_at) {
                if end.is_multiple_of(w.every) {
                    w.ticks.push(end);
                    match at {
                        // Another rank's synapses are filled in at the end of the run.
                        WeightAt::Parts(at) => w.values.extend(
                            at.iter()
                                .map(|&(p, i)| i.map_or(0, |i| weight_of(self.parts[p - first].syn.words[i]))),
                        ),
                        WeightAt::Fixed(values) => w.values.extend_from_slice(values),
                    }
                }
            }
        }
    }

    /// Tick `self.tick`, whose neuron phase the last job ran and in which
    /// neurons `fired` fired: its spikes in order, their cycles, the work
    /// counters and the LFSR positions of its weight updates; returns its
    /// routing for the next job.
    fn account(&mut self, slot: usize, trace_dither: TickDither, fired: &[u32]) -> RoutedTick {
        let t = self.tick;
        let m = self.net.num_axons();
        let mut sources = Vec::new();
        let own = self.net.inputs();
        while let Some(s) = own.get(self.next_input).filter(|s| s.tick == t) {
            sources.push(s.axon);
            self.next_input += 1;
        }
        let mut queued = false;
        while let Some((s, _)) = self.inputs.peek() {
            if s.tick != t {
                debug_assert!(s.tick > t);
                break;
            }
            sources.push(s.axon);
            self.inputs.pop();
            queued = true;
        }
        if queued {
            // Both lists are ascending and disjoint; routing takes axons ascending.
            sources.sort_unstable();
        }
        let inputs = sources.len();
        sources.extend(fired.iter().map(|&n| m + n));
        let costs = self.opts.costs;
        let mut cycle = self.cycle + costs.before_routing(&self.core);
        for (j, &s) in sources.iter().enumerate() {
            if j >= inputs && self.record_spikes {
                self.spikes.push(SpikeEvent {
                    tick: t,
                    cycle,
                    neuron: s - m,
                });
            }
            let route = self.route[s as usize];
            cycle += route.cycles;
            self.stats.synaptic_events += route.events;
        }
        let (mut depress_at, mut potentiate_at) = (Vec::new(), Vec::new());
        let mut arrivals = Vec::new();
        if let Some(l) = &mut self.learning {
            let step = |at: u32, draws: u64| ((at as u64 + draws) % LFSR_PERIOD as u64) as u32;
            for &s in &sources {
                depress_at.push(l.lfsr_at);
                let plastic = l.plastic[s as usize] as u64;
                l.lfsr_at = step(l.lfsr_at, plastic);
                self.stats.weight_updates += plastic;
            }
            l.fired_history.push_back(fired.to_vec());
            if l.fired_history.len() > POST_HISTORY_TICKS {
                l.fired_history.pop_front();
            }
            let delay = l.rule.post_delay as usize;
            let (order, skipped) = match l.fired_history.len().checked_sub(delay + 1) {
                Some(_) if delay == 0 => (fired.to_vec(), 0),
                Some(at) => potentiation_order(fired, &l.fired_history[at]),
                None => (Vec::new(), fired.len()),
            };
            cycle += costs.skip_cost(skipped as u64);
            arrivals = order.into_iter().map(|n| m + n).collect();
            for &s in &arrivals {
                let n = (s - m) as usize;
                potentiate_at.push(l.lfsr_at);
                let fanin = self.net.plastic_fanin(n);
                l.lfsr_at = step(l.lfsr_at, fanin);
                self.stats.weight_updates += fanin;
                cycle += costs.potentiation_cost(fanin);
            }
        }
        cycle += costs.after_learning(&self.core, self.learning.is_some(), sources.len() as u64);
        self.stats.input_spikes += inputs as u64;
        self.stats.spikes += (sources.len() - inputs) as u64;
        self.stats.ticks += 1;
        self.busiest = self.busiest.max(cycle - self.cycle);
        self.cycle = cycle;
        self.tick += 1;
        RoutedTick {
            tick: t,
            slot,
            sources,
            inputs,
            depress_at,
            potentiate_at,
            arrivals,
            trace_dither,
        }
    }
}
