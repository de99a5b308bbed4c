//! A compiled network: neurons, input axons, synapses in canonical order, the
//! fan-in index for learning, and the scheduled input spikes (`docs/spec.md` §4).
//!
//! Storage is sparse and laid out as the engine walks it: per-source runs of
//! synapses (CSR) as parallel arrays, 7 bytes per synapse (target `u32`,
//! weight `i8`, delay `u8`, flags `u8`), plus 8 bytes per *plastic* synapse for
//! the fan-in index and 8 bytes per source for the run offsets.

use serde::{Deserialize, Serialize};

use crate::cycles::CoreShape;
use crate::dither::Rounding;
use crate::fixed::{DELAY_MAX, WEIGHT_EXP_MAX};
use crate::learning::{StdpError, StdpParams};
use crate::neuron::{check_range, NeuronParams, ParamError};

/// Most neurons, axons, sources or synapses one network may have: the
/// simulator indexes them in `u32`.
pub const MAX_COUNT: u64 = u32::MAX as u64 - 1;

/// Bit of [`Synapses::flags`] marking a plastic synapse; bits 0..=2 hold `wexp`.
pub const FLAG_PLASTIC: u8 = 0x80;
/// Mask of the weight exponent in [`Synapses::flags`].
pub const FLAG_WEXP: u8 = 0x07;

/// Where a spike comes from: an input axon or a neuron.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Source {
    /// Input axon `a` (driven by the host).
    Axon(u32),
    /// Neuron `n`.
    Neuron(u32),
}

/// One synapse as given to the [`NetworkBuilder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SynapseSpec {
    /// Presynaptic source.
    pub source: Source,
    /// Postsynaptic neuron.
    pub target: u32,
    /// Signed weight mantissa.
    pub weight: i8,
    /// Weight exponent 0..=7: the synapse adds `weight << wexp`.
    pub wexp: u8,
    /// Delay in ticks, 1..=255.
    pub delay: u8,
    /// Whether STDP changes the weight.
    pub plastic: bool,
}

/// An external spike on an input axon at a tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct InputSpike {
    /// Tick at which the axon spikes.
    pub tick: u32,
    /// Input axon index.
    pub axon: u32,
}

/// What a population holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PopulationKind {
    /// Neurons (indices into the neuron array).
    Neurons,
    /// Input axons (indices into the axon array).
    Axons,
}

/// A named, contiguous group of neurons or axons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Population {
    /// Name from the network file.
    pub name: String,
    /// Neurons or axons.
    pub kind: PopulationKind,
    /// First index.
    pub first: u32,
    /// Number of members.
    pub size: u32,
}

/// Synapse storage: per-source runs in canonical order (spec §4.3), and the
/// fan-in index of plastic synapses.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Synapses {
    /// `offsets[s]..offsets[s+1]` are the synapses of source index `s`.
    pub offsets: Vec<u64>,
    /// Target neuron of each synapse.
    pub target: Vec<u32>,
    /// Initial weight of each synapse.
    pub weight: Vec<i8>,
    /// Delay of each synapse, 1..=255.
    pub delay: Vec<u8>,
    /// `wexp` in bits 0..=2, [`FLAG_PLASTIC`] in bit 7.
    pub flags: Vec<u8>,
    /// `fanin_offsets[n]..fanin_offsets[n+1]` index `fanin` for neuron `n`.
    pub fanin_offsets: Vec<u64>,
    /// Plastic synapses onto each neuron, ascending canonical index: (synapse, source index).
    pub fanin: Vec<(u32, u32)>,
}

impl Synapses {
    /// Run headers that store the synapses of source index `s` on the chip
    /// (spec §8.3): runs of equal delay, exponent and plasticity in canonical order.
    pub fn run_headers(&self, s: usize) -> u64 {
        let (lo, hi) = (self.offsets[s] as usize, self.offsets[s + 1] as usize);
        crate::cycles::run_headers((lo..hi).map(|i| (self.delay[i], self.flags[i])))
    }
}

/// A network ready to simulate. Build it with [`NetworkBuilder`] or load a
/// network file with [`crate::config`].
///
/// Serialized (snapshots) as a [`NetworkRecord`] and deserialized through
/// [`NetworkBuilder::build`], so that a snapshot gets every check a network
/// file gets: a damaged or hand-made one is an error, never a panic later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "NetworkRecord", try_from = "NetworkRecord")]
pub struct Network {
    profiles: Vec<NeuronParams>,
    neuron_profile: Vec<u16>,
    v_init: Vec<i16>,
    num_axons: u32,
    stdp: Option<StdpParams>,
    rounding: Rounding,
    synapses: Synapses,
    inputs: Vec<InputSpike>,
    max_delay: u8,
    populations: Vec<Population>,
}

/// Why a network could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A profile with a field out of range.
    #[error("profile {profile}: {source}")]
    Profile {
        /// Profile index.
        profile: usize,
        /// What is wrong.
        source: ParamError,
    },
    /// More than 65536 profiles.
    #[error("too many neuron profiles ({0}); at most 65536")]
    TooManyProfiles(usize),
    /// A neuron names a profile that does not exist.
    #[error("neuron {neuron}: profile {profile} does not exist ({count} defined)")]
    UnknownProfile {
        /// Neuron index.
        neuron: u32,
        /// Profile asked for.
        profile: u16,
        /// Profiles defined.
        count: usize,
    },
    /// The STDP rule is invalid.
    #[error("learning rule: {0}")]
    Stdp(#[from] StdpError),
    /// A synapse with a bad field.
    #[error("synapse {index}: {source}")]
    Synapse {
        /// Index in the order the synapses were added.
        index: usize,
        /// What is wrong.
        source: SynapseError,
    },
    /// An input spike on an axon that does not exist.
    #[error("input spike at tick {tick}: axon {axon} does not exist ({axons} axons)")]
    InputAxon {
        /// Tick.
        tick: u32,
        /// Axon asked for.
        axon: u32,
        /// Axons defined.
        axons: u32,
    },
    /// The same axon given twice in one tick.
    #[error("input spike at tick {tick}: axon {axon} is given twice in that tick")]
    DuplicateInput {
        /// Tick.
        tick: u32,
        /// Axon.
        axon: u32,
    },
    /// A population that names members that do not exist.
    #[error("population {name}: {first}..{end} is outside the {count} {kind} of the network")]
    Population {
        /// Its name.
        name: String,
        /// First member.
        first: u32,
        /// One past the last.
        end: u64,
        /// How many exist.
        count: u32,
        /// "neurons" or "axons".
        kind: &'static str,
    },
    /// A stored network whose parts do not fit together (a damaged snapshot).
    #[error("stored network: {0}")]
    Record(String),
    /// More neurons, axons or synapses than the simulator indexes.
    #[error("too many {what}: {count} (at most {max})")]
    TooLarge {
        /// What overflowed.
        what: &'static str,
        /// How many were given.
        count: u64,
        /// The limit.
        max: u64,
    },
}

/// Why one synapse is invalid (the field names match the network file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SynapseError {
    /// weight, wexp or delay outside its range.
    #[error(transparent)]
    Range(#[from] ParamError),
    /// Plastic synapse in a network without a learning rule.
    #[error("plastic = true needs a [learning] rule")]
    PlasticWithoutRule,
    /// Plastic weight outside the learning rule's bounds.
    #[error("plastic weight {weight} is outside the learning bounds {w_min}..={w_max}")]
    OutOfBounds {
        /// Weight.
        weight: i64,
        /// Lower bound.
        w_min: i8,
        /// Upper bound.
        w_max: i8,
    },
    /// Source or target index out of range.
    #[error("{what} {index} does not exist ({count} defined)")]
    Endpoint {
        /// "source neuron", "source axon" or "target neuron".
        what: &'static str,
        /// Index given.
        index: u32,
        /// How many exist.
        count: u32,
    },
}

/// The source index (spec §1) of `s` in a core with `num_axons` axons:
/// axons first, then neurons.
fn source_index(num_axons: u32, s: Source) -> u32 {
    match s {
        Source::Axon(a) => a,
        Source::Neuron(n) => num_axons + n,
    }
}

/// Check the value fields of a synapse (spec §4.1), shared by the builder and
/// the network-file loader so the ranges are stated once.
pub fn check_synapse_values(
    weight: i64,
    wexp: i64,
    delay: i64,
    plastic: bool,
    stdp: Option<&StdpParams>,
) -> Result<(), SynapseError> {
    check_range("weight", weight, i8::MIN as i64, i8::MAX as i64)?;
    check_range("wexp", wexp, 0, WEIGHT_EXP_MAX as i64)?;
    check_range("delay", delay, 1, DELAY_MAX as i64)?;
    if plastic {
        let rule = stdp.ok_or(SynapseError::PlasticWithoutRule)?;
        if weight < rule.w_min as i64 || weight > rule.w_max as i64 {
            return Err(SynapseError::OutOfBounds {
                weight,
                w_min: rule.w_min,
                w_max: rule.w_max,
            });
        }
    }
    Ok(())
}

/// Assembles a [`Network`]; [`NetworkBuilder::build`] validates it and puts
/// the synapses in canonical order.
#[derive(Debug, Clone, Default)]
pub struct NetworkBuilder {
    profiles: Vec<NeuronParams>,
    neuron_profile: Vec<u16>,
    v_init: Vec<i16>,
    num_axons: u32,
    stdp: Option<StdpParams>,
    rounding: Rounding,
    synapses: Vec<SynapseSpec>,
    inputs: Vec<InputSpike>,
    populations: Vec<Population>,
}

impl NetworkBuilder {
    /// An empty network.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a neuron profile; returns its index.
    pub fn add_profile(&mut self, params: NeuronParams) -> u16 {
        self.profiles.push(params);
        (self.profiles.len() - 1) as u16
    }

    /// Add `count` neurons of `profile` with membranes `v_init(i)` for the
    /// i-th; returns the index of the first.
    pub fn add_neurons(&mut self, profile: u16, count: u32, mut v_init: impl FnMut(u32) -> i16) -> u32 {
        let first = self.neuron_profile.len() as u32;
        for i in 0..count {
            self.neuron_profile.push(profile);
            self.v_init.push(v_init(i));
        }
        first
    }

    /// Add `count` input axons; returns the index of the first.
    pub fn add_axons(&mut self, count: u32) -> u32 {
        let first = self.num_axons;
        self.num_axons += count;
        first
    }

    /// Name a range of neurons or axons (for reports and recording).
    pub fn add_population(&mut self, name: &str, kind: PopulationKind, first: u32, size: u32) {
        self.populations.push(Population {
            name: name.to_string(),
            kind,
            first,
            size,
        });
    }

    /// Set the learning rule (the core has at most one).
    pub fn set_stdp(&mut self, rule: StdpParams) {
        self.stdp = Some(rule);
    }

    /// The learning rule set so far.
    pub fn stdp(&self) -> Option<&StdpParams> {
        self.stdp.as_ref()
    }

    /// Set how the decays round (toward zero unless set).
    pub fn set_rounding(&mut self, rounding: Rounding) {
        self.rounding = rounding;
    }

    /// Neurons added so far.
    pub fn num_neurons(&self) -> u32 {
        self.neuron_profile.len() as u32
    }

    /// Axons added so far.
    pub fn num_axons(&self) -> u32 {
        self.num_axons
    }

    /// Add one synapse.
    pub fn add_synapse(&mut self, s: SynapseSpec) {
        self.synapses.push(s);
    }

    /// Synapses added so far.
    pub fn num_synapses(&self) -> u64 {
        self.synapses.len() as u64
    }

    /// Reserve room for `n` more synapses.
    pub fn reserve_synapses(&mut self, n: usize) {
        self.synapses.reserve(n);
    }

    /// Schedule an input spike.
    pub fn add_input(&mut self, tick: u32, axon: u32) {
        self.inputs.push(InputSpike { tick, axon });
    }

    /// Validate and compile. Synapses are ordered by (source index, delay,
    /// target), ties kept in the order added: the canonical order (spec §4.3).
    pub fn build(self) -> Result<Network, BuildError> {
        let n = self.neuron_profile.len() as u64;
        let m = self.num_axons as u64;
        for (what, count) in [
            ("neurons", n),
            ("axons", m),
            ("sources (neurons + axons)", n + m),
            ("synapses", self.synapses.len() as u64),
        ] {
            if count > MAX_COUNT {
                return Err(BuildError::TooLarge {
                    what,
                    count,
                    max: MAX_COUNT,
                });
            }
        }
        if self.profiles.len() > 1 << 16 {
            return Err(BuildError::TooManyProfiles(self.profiles.len()));
        }
        for (profile, p) in self.profiles.iter().enumerate() {
            p.validate().map_err(|source| BuildError::Profile { profile, source })?;
        }
        for (neuron, &profile) in self.neuron_profile.iter().enumerate() {
            if profile as usize >= self.profiles.len() {
                return Err(BuildError::UnknownProfile {
                    neuron: neuron as u32,
                    profile,
                    count: self.profiles.len(),
                });
            }
        }
        if let Some(rule) = &self.stdp {
            rule.validate()?;
        }
        let num_neurons = n as u32;
        let num_axons = self.num_axons;
        let source_index = |s: Source| source_index(num_axons, s);
        let mut max_delay = 1u8;
        for (index, s) in self.synapses.iter().enumerate() {
            let err = |source| BuildError::Synapse { index, source };
            let (what, idx, count) = match s.source {
                Source::Axon(a) => ("source axon", a, num_axons),
                Source::Neuron(k) => ("source neuron", k, num_neurons),
            };
            if idx >= count {
                return Err(err(SynapseError::Endpoint {
                    what,
                    index: idx,
                    count,
                }));
            }
            if s.target >= num_neurons {
                return Err(err(SynapseError::Endpoint {
                    what: "target neuron",
                    index: s.target,
                    count: num_neurons,
                }));
            }
            check_synapse_values(
                s.weight as i64,
                s.wexp as i64,
                s.delay as i64,
                s.plastic,
                self.stdp.as_ref(),
            )
            .map_err(err)?;
            max_delay = max_delay.max(s.delay);
        }

        // Counting sort by source (stable), then a stable sort by (delay,
        // target) within each source, so ties keep insertion order. The
        // synapses are scattered once as packed 8-byte records (delay 8 |
        // target 32 | weight 8 | flags 8 bits) rather than gathered through an
        // index permutation: at 10^8 synapses that is the difference between
        // one pass of writes and 10^8 cache-missing reads.
        let sources = (n + m) as usize;
        let mut offsets = vec![0u64; sources + 1];
        for s in &self.synapses {
            offsets[source_index(s.source) as usize + 1] += 1;
        }
        for i in 0..sources {
            offsets[i + 1] += offsets[i];
        }
        let total = self.synapses.len();
        let mut packed = vec![0u64; total];
        let mut fill = offsets.clone();
        for s in &self.synapses {
            let src = source_index(s.source) as usize;
            let flags = s.wexp | if s.plastic { FLAG_PLASTIC } else { 0 };
            packed[fill[src] as usize] =
                (s.delay as u64) << 56 | (s.target as u64) << 24 | (s.weight as u8 as u64) << 16 | (flags as u64) << 8;
            fill[src] += 1;
        }
        drop(fill);
        drop(self.synapses);
        for src in 0..sources {
            packed[offsets[src] as usize..offsets[src + 1] as usize].sort_by_key(|&p| p >> 24);
        }
        let mut syn = Synapses {
            offsets,
            target: Vec::with_capacity(total),
            weight: Vec::with_capacity(total),
            delay: Vec::with_capacity(total),
            flags: Vec::with_capacity(total),
            ..Synapses::default()
        };
        for &p in &packed {
            syn.delay.push((p >> 56) as u8);
            syn.target.push((p >> 24) as u32);
            syn.weight.push((p >> 16) as u8 as i8);
            syn.flags.push((p >> 8) as u8);
        }
        drop(packed);

        // Fan-in of plastic synapses, ascending canonical index per target.
        let mut fanin_offsets = vec![0u64; n as usize + 1];
        for (i, &f) in syn.flags.iter().enumerate() {
            if f & FLAG_PLASTIC != 0 {
                fanin_offsets[syn.target[i] as usize + 1] += 1;
            }
        }
        for i in 0..n as usize {
            fanin_offsets[i + 1] += fanin_offsets[i];
        }
        let mut fanin = vec![(0u32, 0u32); fanin_offsets[n as usize] as usize];
        let mut fill = fanin_offsets.clone();
        for src in 0..sources {
            for i in syn.offsets[src]..syn.offsets[src + 1] {
                if syn.flags[i as usize] & FLAG_PLASTIC != 0 {
                    let t = syn.target[i as usize] as usize;
                    fanin[fill[t] as usize] = (i as u32, src as u32);
                    fill[t] += 1;
                }
            }
        }
        syn.fanin_offsets = fanin_offsets;
        syn.fanin = fanin;

        let inputs = checked_inputs(self.inputs, num_axons)?;
        for p in &self.populations {
            let (count, kind) = match p.kind {
                PopulationKind::Neurons => (num_neurons, "neurons"),
                PopulationKind::Axons => (num_axons, "axons"),
            };
            let end = p.first as u64 + p.size as u64;
            if end > count as u64 {
                return Err(BuildError::Population {
                    name: p.name.clone(),
                    first: p.first,
                    end,
                    count,
                    kind,
                });
            }
        }

        Ok(Network {
            profiles: self.profiles,
            neuron_profile: self.neuron_profile,
            v_init: self.v_init,
            num_axons,
            stdp: self.stdp,
            rounding: self.rounding,
            synapses: syn,
            inputs,
            max_delay,
            populations: self.populations,
        })
    }
}

/// A [`Network`] as snapshots store it: what the builder takes (profiles,
/// neurons, axons, the learning rule, the synapses in canonical order as
/// columns with per-source offsets, input spikes, populations), and nothing
/// derived from it.
///
/// Its fields are public because a record is outside data: whatever they
/// hold, [`Network`]'s `TryFrom<NetworkRecord>` checks it as the builder
/// checks a network file (tests make damaged records this way).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NetworkRecord {
    /// Neuron profiles.
    pub profiles: Vec<NeuronParams>,
    /// Each neuron's profile.
    pub neuron_profile: Vec<u16>,
    /// Each neuron's initial membrane.
    pub v_init: Vec<i16>,
    /// Input axons.
    pub num_axons: u32,
    /// The learning rule, if any.
    pub stdp: Option<StdpParams>,
    /// How the decays round.
    pub rounding: Rounding,
    /// Per source (axons, then neurons), where its synapses start; one more
    /// at the end.
    pub offsets: Vec<u64>,
    /// Synapse targets.
    pub target: Vec<u32>,
    /// Synapse weights.
    pub weight: Vec<i8>,
    /// Synapse delays.
    pub delay: Vec<u8>,
    /// Synapse flags.
    pub flags: Vec<u8>,
    /// Input spikes.
    pub inputs: Vec<InputSpike>,
    /// Populations.
    pub populations: Vec<Population>,
}

impl From<Network> for NetworkRecord {
    fn from(n: Network) -> Self {
        NetworkRecord {
            profiles: n.profiles,
            neuron_profile: n.neuron_profile,
            v_init: n.v_init,
            num_axons: n.num_axons,
            stdp: n.stdp,
            rounding: n.rounding,
            offsets: n.synapses.offsets,
            target: n.synapses.target,
            weight: n.synapses.weight,
            delay: n.synapses.delay,
            flags: n.synapses.flags,
            inputs: n.inputs,
            populations: n.populations,
        }
    }
}

impl TryFrom<NetworkRecord> for Network {
    type Error = BuildError;

    /// Rebuild a stored network with every check of [`NetworkBuilder::build`],
    /// after checking that its parts fit together.
    fn try_from(r: NetworkRecord) -> Result<Network, BuildError> {
        let bad = |what: String| Err(BuildError::Record(what));
        if r.v_init.len() != r.neuron_profile.len() {
            return bad(format!(
                "{} initial membranes for {} neurons",
                r.v_init.len(),
                r.neuron_profile.len()
            ));
        }
        let total = r.target.len();
        if [r.weight.len(), r.delay.len(), r.flags.len()] != [total; 3] {
            return bad(format!(
                "synapse columns of different lengths (targets {total}, weights {}, delays {}, flags {})",
                r.weight.len(),
                r.delay.len(),
                r.flags.len()
            ));
        }
        let sources = r.neuron_profile.len() as u64 + r.num_axons as u64;
        if r.offsets.len() as u64 != sources + 1 {
            return bad(format!("{} synapse offsets for {sources} sources", r.offsets.len()));
        }
        if r.offsets.first() != Some(&0)
            || r.offsets.last() != Some(&(total as u64))
            || r.offsets.windows(2).any(|w| w[0] > w[1])
        {
            return bad(format!("synapse offsets that do not run from 0 up to {total}"));
        }
        let mut b = NetworkBuilder::new();
        b.profiles = r.profiles;
        b.neuron_profile = r.neuron_profile;
        b.v_init = r.v_init;
        b.num_axons = r.num_axons;
        b.stdp = r.stdp;
        b.rounding = r.rounding;
        b.reserve_synapses(total);
        let axons = r.num_axons as usize;
        for src in 0..sources as usize {
            let source = if src < axons {
                Source::Axon(src as u32)
            } else {
                Source::Neuron((src - axons) as u32)
            };
            for i in r.offsets[src] as usize..r.offsets[src + 1] as usize {
                let flags = r.flags[i];
                if flags & !(FLAG_PLASTIC | FLAG_WEXP) != 0 {
                    return bad(format!("synapse {i}: flags {flags:#04x} have unknown bits"));
                }
                b.add_synapse(SynapseSpec {
                    source,
                    target: r.target[i],
                    weight: r.weight[i],
                    wexp: flags & FLAG_WEXP,
                    delay: r.delay[i],
                    plastic: flags & FLAG_PLASTIC != 0,
                });
            }
        }
        b.inputs = r.inputs;
        b.populations = r.populations;
        b.build()
    }
}

/// Sort input spikes and check that each names an existing axon once per tick.
fn checked_inputs(mut inputs: Vec<InputSpike>, num_axons: u32) -> Result<Vec<InputSpike>, BuildError> {
    inputs.sort_unstable();
    for w in inputs.windows(2) {
        if w[0] == w[1] {
            return Err(BuildError::DuplicateInput {
                tick: w[0].tick,
                axon: w[0].axon,
            });
        }
    }
    if let Some(bad) = inputs.iter().find(|s| s.axon >= num_axons) {
        return Err(BuildError::InputAxon {
            tick: bad.tick,
            axon: bad.axon,
            axons: num_axons,
        });
    }
    Ok(inputs)
}

impl Network {
    /// The same network with `inputs` instead of its own input spikes (an
    /// input file given on the command line); checked as [`NetworkBuilder::build`] checks them.
    pub fn with_inputs(mut self, inputs: Vec<InputSpike>) -> Result<Network, BuildError> {
        self.inputs = checked_inputs(inputs, self.num_axons)?;
        Ok(self)
    }

    /// The population of this kind that holds member `index`, if any.
    pub fn population_of(&self, kind: PopulationKind, index: u32) -> Option<&Population> {
        self.populations
            .iter()
            .find(|p| p.kind == kind && (p.first..p.first.saturating_add(p.size)).contains(&index))
    }

    /// Number of neurons N.
    pub fn num_neurons(&self) -> u32 {
        self.neuron_profile.len() as u32
    }

    /// Number of input axons M.
    pub fn num_axons(&self) -> u32 {
        self.num_axons
    }

    /// Number of sources, M + N: axons take source indices `0..M`, neuron `n` takes `M + n`.
    pub fn num_sources(&self) -> u32 {
        self.num_axons + self.num_neurons()
    }

    /// Source index of a source.
    pub fn source_index(&self, s: Source) -> u32 {
        source_index(self.num_axons, s)
    }

    /// The source behind a source index.
    pub fn source_of(&self, index: u32) -> Source {
        if index < self.num_axons {
            Source::Axon(index)
        } else {
            Source::Neuron(index - self.num_axons)
        }
    }

    /// The source index whose synapse `i` (canonical index) is.
    pub fn source_of_synapse(&self, i: u64) -> u32 {
        self.synapses.offsets.partition_point(|&o| o <= i) as u32 - 1
    }

    /// The population that holds the source behind source index `s`.
    pub fn source_population(&self, s: u32) -> Option<&Population> {
        match self.source_of(s) {
            Source::Axon(a) => self.population_of(PopulationKind::Axons, a),
            Source::Neuron(n) => self.population_of(PopulationKind::Neurons, n),
        }
    }

    /// Number of synapses.
    pub fn num_synapses(&self) -> u64 {
        self.synapses.target.len() as u64
    }

    /// Number of plastic synapses.
    pub fn num_plastic(&self) -> u64 {
        self.synapses.fanin.len() as u64
    }

    /// Largest synaptic delay (at least 1): the delay slots D the network needs.
    pub fn max_delay(&self) -> u8 {
        self.max_delay
    }

    /// Neuron profiles.
    pub fn profiles(&self) -> &[NeuronParams] {
        &self.profiles
    }

    /// Profile index of each neuron.
    pub fn neuron_profiles(&self) -> &[u16] {
        &self.neuron_profile
    }

    /// Membrane of each neuron at reset.
    pub fn v_init(&self) -> &[i16] {
        &self.v_init
    }

    /// The learning rule, if learning is on.
    pub fn stdp(&self) -> Option<&StdpParams> {
        self.stdp.as_ref()
    }

    /// How the decays round (spec §3.1).
    pub fn rounding(&self) -> Rounding {
        self.rounding
    }

    /// Synapse storage in canonical order.
    pub fn synapses(&self) -> &Synapses {
        &self.synapses
    }

    /// Scheduled input spikes, sorted by (tick, axon), no duplicates.
    pub fn inputs(&self) -> &[InputSpike] {
        &self.inputs
    }

    /// Named populations.
    pub fn populations(&self) -> &[Population] {
        &self.populations
    }

    /// A population by name.
    pub fn population(&self, name: &str) -> Option<&Population> {
        self.populations.iter().find(|p| p.name == name)
    }

    /// The synapses of one source, in canonical order, as
    /// [`SynapseSpec`]s with their canonical indices.
    pub fn synapses_of(&self, source: Source) -> impl Iterator<Item = (u64, SynapseSpec)> + '_ {
        let s = self.source_index(source) as usize;
        let syn = &self.synapses;
        (syn.offsets[s]..syn.offsets[s + 1]).map(move |i| {
            let k = i as usize;
            (
                i,
                SynapseSpec {
                    source,
                    target: syn.target[k],
                    weight: syn.weight[k],
                    wexp: syn.flags[k] & FLAG_WEXP,
                    delay: syn.delay[k],
                    plastic: syn.flags[k] & FLAG_PLASTIC != 0,
                },
            )
        })
    }

    /// The smallest core shape that holds this network.
    pub fn core_shape(&self) -> CoreShape {
        CoreShape {
            neurons: self.num_neurons(),
            axons: self.num_axons,
            delay_slots: self.max_delay as u32,
            synapses: self.num_synapses(),
        }
    }

    /// Bytes of synapse storage: 7 per synapse, 8 per plastic synapse (fan-in
    /// index), 8 per source and per neuron for the offsets.
    pub fn synapse_bytes(&self) -> u64 {
        let s = &self.synapses;
        (s.target.len() * 4 + s.weight.len() + s.delay.len() + s.flags.len()) as u64
            + (s.fanin.len() * 8) as u64
            + ((s.offsets.len() + s.fanin_offsets.len()) * 8) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syn(source: Source, target: u32, weight: i8, delay: u8) -> SynapseSpec {
        SynapseSpec {
            source,
            target,
            weight,
            wexp: 0,
            delay,
            plastic: false,
        }
    }

    #[test]
    fn canonical_order_is_source_delay_target_then_insertion() {
        let mut b = NetworkBuilder::new();
        let p = b.add_profile(NeuronParams::default());
        b.add_neurons(p, 3, |_| 0);
        b.add_axons(1);
        b.add_synapse(syn(Source::Neuron(0), 2, 1, 2));
        b.add_synapse(syn(Source::Neuron(0), 1, 2, 2));
        b.add_synapse(syn(Source::Neuron(0), 2, 3, 1));
        b.add_synapse(syn(Source::Axon(0), 0, 4, 3));
        b.add_synapse(syn(Source::Neuron(0), 1, 5, 2)); // multapse: after weight 2
        let net = b.build().unwrap();
        let s = net.synapses();
        // Axon 0 is source 0; neuron 0 is source 1.
        assert_eq!(s.offsets, vec![0, 1, 5, 5, 5]);
        assert_eq!(s.weight, vec![4, 3, 2, 5, 1]);
        assert_eq!(s.delay, vec![3, 1, 2, 2, 2]);
        assert_eq!(s.target, vec![0, 2, 1, 1, 2]);
        assert_eq!(net.max_delay(), 3);
    }

    #[test]
    fn fanin_lists_plastic_synapses_in_canonical_order() {
        let mut b = NetworkBuilder::new();
        b.set_stdp(StdpParams::default());
        let p = b.add_profile(NeuronParams::default());
        b.add_neurons(p, 2, |_| 0);
        b.add_axons(2);
        for (src, plastic) in [
            (Source::Neuron(0), true),
            (Source::Axon(1), true),
            (Source::Axon(0), false),
        ] {
            b.add_synapse(SynapseSpec {
                plastic,
                weight: 10,
                ..syn(src, 1, 10, 1)
            });
        }
        let net = b.build().unwrap();
        let s = net.synapses();
        assert_eq!(s.fanin_offsets, vec![0, 0, 2]);
        // Canonical: axon0 (idx 0, not plastic), axon1 (idx 1), neuron0 (idx 2).
        assert_eq!(s.fanin, vec![(1, 1), (2, 2)]);
        assert_eq!(net.num_plastic(), 2);
    }

    #[test]
    fn errors_name_the_problem() {
        let mut b = NetworkBuilder::new();
        let p = b.add_profile(NeuronParams::default());
        b.add_neurons(p, 2, |_| 0);
        b.add_synapse(syn(Source::Neuron(0), 1, 1, 0));
        assert_eq!(
            b.clone().build().unwrap_err().to_string(),
            "synapse 0: delay = 0 is out of range 1..=255"
        );
        let mut b = NetworkBuilder::new();
        let p = b.add_profile(NeuronParams::default());
        b.add_neurons(p, 2, |_| 0);
        b.add_synapse(SynapseSpec {
            plastic: true,
            ..syn(Source::Neuron(0), 5, 1, 1)
        });
        assert_eq!(
            b.build().unwrap_err().to_string(),
            "synapse 0: target neuron 5 does not exist (2 defined)"
        );
        let mut b = NetworkBuilder::new();
        b.add_axons(2);
        b.add_input(3, 1);
        b.add_input(3, 1);
        assert_eq!(
            b.build().unwrap_err().to_string(),
            "input spike at tick 3: axon 1 is given twice in that tick"
        );
    }
}
