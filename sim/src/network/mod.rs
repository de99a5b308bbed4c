//! A compiled network: neurons, input axons, synapses in canonical order, the
//! fan-in index for learning, and the scheduled input spikes (`docs/spec.md` §4).
//!
//! Storage is sparse and laid out as the engine walks it: per-source rows of
//! synapses (CSR), 6 bytes per synapse ([`Synapses`]), plus 8 bytes per
//! *plastic* synapse for the fan-in index and 8 bytes per source for the row
//! offsets. A network file is built in two passes over its synapses
//! ([`NetworkBuilder::into_counter`]), so that no list of whole synapses is
//! ever held.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::cycles::CoreShape;
use crate::dither::Rounding;
use crate::fixed::{DELAY_MAX, WEIGHT_EXP_MAX};
use crate::learning::{StdpError, StdpParams};
use crate::neuron::{check_range, NeuronParams, ParamError};

mod synapses;

pub use synapses::{Kind, Synapses};
use synapses::{RowCounts, RowFill, Uncounted};

/// Most neurons, axons, sources or synapses one network may have: the
/// simulator indexes them in `u32`.
pub const MAX_COUNT: u64 = u32::MAX as u64 - 1;

/// Bit of [`Synapses::flags`] marking a plastic synapse; bits 0..=2 hold `wexp`.
pub const FLAG_PLASTIC: u8 = 0x80;
/// Mask of the weight exponent in [`Synapses::flags`].
pub const FLAG_WEXP: u8 = 0x07;

/// Flags in 4 bits (`wexp` in bits 0..=2, plasticity in bit 3), for tables
/// and run headers that pack them beside a delay.
pub(crate) fn pack_flags(flags: u8) -> u8 {
    (flags & FLAG_WEXP) | (flags & FLAG_PLASTIC) >> 4
}

/// The flags [`pack_flags`] packed.
pub(crate) fn unpack_flags(packed: u8) -> u8 {
    (packed & FLAG_WEXP) | (packed & 8) << 4
}

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
    share: Option<Share>,
}

/// What a network built for one rank ([`NetworkBuilder::keep_targets`])
/// knows of the whole network beyond the synapses it holds: every synapse
/// was checked and counted in the first pass of its build, and only those
/// onto its targets were placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    /// The target neurons whose synapses the network holds.
    pub targets: Range<u32>,
    /// Synapses of the whole network.
    pub synapses: u64,
    /// Plastic synapses of the whole network.
    pub plastic: u64,
    /// The smallest delay of the whole network, if it has synapses.
    pub min_delay: Option<u8>,
    /// Plastic synapses onto each neuron of the whole network (empty
    /// without learning).
    pub fanin: Vec<u32>,
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
    /// The second pass of a two-pass build gave other synapses than the first.
    #[error("two-pass build: {0}")]
    SecondPass(PassMismatch),
    /// A stored network whose parts do not fit together (a damaged snapshot).
    #[error("stored network: {0}")]
    Record(String),
    /// Targets to keep ([`NetworkBuilder::keep_targets`]) that are not
    /// neurons of the network.
    #[error("targets to keep {lo}..{hi} are not a range of the {neurons} neurons")]
    KeepTargets {
        /// First target.
        lo: u32,
        /// One past the last.
        hi: u32,
        /// Neurons of the network.
        neurons: u32,
    },
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
    keep: Option<Range<u32>>,
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

    /// Build only the synapses onto `targets` (one rank's neurons: see
    /// `Simulator::rank_targets`): every synapse is still checked and
    /// counted, so errors and the whole network's counts ([`Share`]) are
    /// those of the whole build, but only these are placed and kept.
    pub fn keep_targets(&mut self, targets: Range<u32>) {
        self.keep = Some(targets);
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
        self.into_counter()?.into_placer()?.build()
    }

    /// Check everything but the synapses and start a two-pass build: give
    /// every synapse to the [`SynapseCounter`], then the same synapses in the
    /// same order to the [`SynapsePlacer`] it becomes. Synapses already added
    /// with [`NetworkBuilder::add_synapse`] come first. The passes hold 8
    /// bytes per synapse while placing and 10 at the peak of the final split
    /// into the network's 6, where a list of [`SynapseSpec`]s takes 16.
    pub fn into_counter(mut self) -> Result<SynapseCounter, BuildError> {
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
        if let Some(k) = &self.keep {
            if k.start > k.end || k.end as u64 > n {
                return Err(BuildError::KeepTargets {
                    lo: k.start,
                    hi: k.end,
                    neurons: n as u32,
                });
            }
        }
        let listed = std::mem::take(&mut self.synapses);
        let whole = self.keep.clone().map(|targets| WholeCount {
            share: Share {
                targets,
                synapses: 0,
                plastic: 0,
                min_delay: None,
                fanin: match self.stdp {
                    Some(_) => vec![0; n as usize],
                    None => Vec::new(),
                },
            },
            max_delay: 1,
        });
        let mut counter = SynapseCounter {
            check: SynapseCheck {
                num_neurons: n as u32,
                num_axons: self.num_axons,
                stdp: self.stdp,
            },
            counts: RowCounts::new((n + m) as usize),
            builder: self,
            listed: Vec::new(),
            whole,
        };
        for s in &listed {
            counter.add(s)?;
        }
        counter.listed = listed;
        Ok(counter)
    }
}

/// What each synapse is checked against.
#[derive(Debug, Clone)]
struct SynapseCheck {
    num_neurons: u32,
    num_axons: u32,
    stdp: Option<StdpParams>,
}

impl SynapseCheck {
    /// Synapse `index` checked: its source index and kind.
    fn check(&self, index: usize, s: &SynapseSpec) -> Result<(usize, Kind), BuildError> {
        let err = |source| BuildError::Synapse { index, source };
        let (what, idx, count) = match s.source {
            Source::Axon(a) => ("source axon", a, self.num_axons),
            Source::Neuron(k) => ("source neuron", k, self.num_neurons),
        };
        if idx >= count {
            return Err(err(SynapseError::Endpoint {
                what,
                index: idx,
                count,
            }));
        }
        if s.target >= self.num_neurons {
            return Err(err(SynapseError::Endpoint {
                what: "target neuron",
                index: s.target,
                count: self.num_neurons,
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
        let kind = Kind {
            delay: s.delay,
            flags: s.wexp | if s.plastic { FLAG_PLASTIC } else { 0 },
        };
        Ok((source_index(self.num_axons, s.source) as usize, kind))
    }
}

/// Either pass of a two-pass build ([`NetworkBuilder::into_counter`]), for
/// code that gives the same synapses to both.
pub trait SynapseSink {
    /// Take one synapse (see [`SynapseCounter::add`], [`SynapsePlacer::add`]).
    fn add(&mut self, s: &SynapseSpec) -> Result<(), BuildError>;
    /// Synapses taken so far.
    fn num_synapses(&self) -> u64;
}

impl SynapseSink for SynapseCounter {
    fn add(&mut self, s: &SynapseSpec) -> Result<(), BuildError> {
        SynapseCounter::add(self, s)
    }
    fn num_synapses(&self) -> u64 {
        SynapseCounter::num_synapses(self)
    }
}

impl SynapseSink for SynapsePlacer {
    fn add(&mut self, s: &SynapseSpec) -> Result<(), BuildError> {
        SynapsePlacer::add(self, s)
    }
    fn num_synapses(&self) -> u64 {
        SynapsePlacer::num_synapses(self)
    }
}

/// The first pass of a two-pass build ([`NetworkBuilder::into_counter`]):
/// checks and counts every synapse.
#[derive(Debug)]
pub struct SynapseCounter {
    builder: NetworkBuilder,
    check: SynapseCheck,
    counts: RowCounts,
    listed: Vec<SynapseSpec>,
    whole: Option<WholeCount>,
}

/// A build that keeps some targets only: the whole network's counts, taken
/// in its first pass, and its largest delay (the network's own).
#[derive(Debug)]
struct WholeCount {
    share: Share,
    max_delay: u8,
}

impl SynapseCounter {
    /// Check and count one synapse; an error names it by its place in the
    /// order given.
    pub fn add(&mut self, s: &SynapseSpec) -> Result<(), BuildError> {
        let index = match &self.whole {
            Some(w) => w.share.synapses,
            None => self.counts.total(),
        };
        if index >= MAX_COUNT {
            return Err(BuildError::TooLarge {
                what: "synapses",
                count: index + 1,
                max: MAX_COUNT,
            });
        }
        let (src, kind) = self.check.check(index as usize, s)?;
        if let Some(w) = &mut self.whole {
            let share = &mut w.share;
            share.synapses += 1;
            share.min_delay = Some(share.min_delay.map_or(s.delay, |d| d.min(s.delay)));
            w.max_delay = w.max_delay.max(s.delay);
            if s.plastic {
                share.plastic += 1;
                share.fanin[s.target as usize] += 1;
            }
            if !share.targets.contains(&s.target) {
                return Ok(());
            }
        }
        self.counts.add(src, kind);
        Ok(())
    }

    /// Synapses counted so far.
    pub fn num_synapses(&self) -> u64 {
        match &self.whole {
            Some(w) => w.share.synapses,
            None => self.counts.total(),
        }
    }

    /// The second pass: storage for every synapse counted, the synapses
    /// added with [`NetworkBuilder::add_synapse`] already in it.
    pub fn into_placer(self) -> Result<SynapsePlacer, BuildError> {
        let mut placer = SynapsePlacer {
            builder: self.builder,
            check: self.check,
            fill: self.counts.fill(),
            placed: 0,
            whole: self.whole,
        };
        for s in &self.listed {
            placer.add(s)?;
        }
        Ok(placer)
    }
}

/// The second pass of a two-pass build: places each synapse in its row.
#[derive(Debug)]
pub struct SynapsePlacer {
    builder: NetworkBuilder,
    check: SynapseCheck,
    fill: RowFill,
    placed: u64,
    whole: Option<WholeCount>,
}

/// How the second pass of a two-pass build differed from the first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PassMismatch {
    /// A synapse of a delay, exponent and plasticity the first pass never saw.
    #[error("synapse {0} has a delay, exponent and plasticity the first pass did not count")]
    Kind(u64),
    /// A source whose synapses the first pass counted differently.
    #[error("source {0} has a different number of synapses than the first pass counted")]
    Row(usize),
    /// Fewer or more synapses in all than the first pass counted.
    #[error("{placed} synapses given, {counted} counted")]
    Total {
        /// Synapses the first pass counted.
        counted: u64,
        /// Synapses the second pass was given.
        placed: u64,
    },
}

impl SynapsePlacer {
    /// Place one synapse: the same, in the same order, as given to the
    /// [`SynapseCounter`].
    pub fn add(&mut self, s: &SynapseSpec) -> Result<(), BuildError> {
        let index = self.placed;
        let (src, kind) = self.check.check(index as usize, s)?;
        self.placed += 1;
        if self
            .whole
            .as_ref()
            .is_some_and(|w| !w.share.targets.contains(&s.target))
        {
            return Ok(());
        }
        self.fill.add(src, s.target, s.weight, kind).map_err(|Uncounted(row)| {
            BuildError::SecondPass(match row {
                None => PassMismatch::Kind(index),
                Some(row) => PassMismatch::Row(row),
            })
        })?;
        Ok(())
    }

    /// Synapses placed so far.
    pub fn num_synapses(&self) -> u64 {
        self.placed
    }

    /// Sort each row into canonical order, index the plastic fan-in, check
    /// the inputs and populations: the network.
    pub fn build(self) -> Result<Network, BuildError> {
        let b = self.builder;
        let (num_neurons, num_axons) = (self.check.num_neurons, self.check.num_axons);
        let (synapses, kept_max_delay) = self
            .fill
            .finish(num_neurons as usize)
            .map_err(|Uncounted(row)| BuildError::SecondPass(PassMismatch::Row(row.unwrap_or(0))))?;
        if let Some(w) = &self.whole {
            if self.placed != w.share.synapses {
                return Err(BuildError::SecondPass(PassMismatch::Total {
                    counted: w.share.synapses,
                    placed: self.placed,
                }));
            }
        }
        let max_delay = self.whole.as_ref().map_or(kept_max_delay, |w| w.max_delay);
        let share = self.whole.map(|w| w.share);
        let inputs = checked_inputs(b.inputs, num_axons)?;
        for p in &b.populations {
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
            profiles: b.profiles,
            neuron_profile: b.neuron_profile,
            v_init: b.v_init,
            num_axons,
            stdp: b.stdp,
            rounding: b.rounding,
            synapses,
            inputs,
            max_delay,
            populations: b.populations,
            share,
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
    /// # Panics
    /// If the network holds one rank's share only ([`Network::share`]): a
    /// record (a snapshot) is of a whole network.
    fn from(n: Network) -> Self {
        assert!(
            n.share.is_none(),
            "a network built for one rank holds part of its synapses and cannot be stored"
        );
        let delay = (0..n.synapses.len()).map(|i| n.synapses.delay(i)).collect();
        let flags = (0..n.synapses.len()).map(|i| n.synapses.flags(i)).collect();
        let (offsets, target, weight) = n.synapses.into_columns();
        NetworkRecord {
            profiles: n.profiles,
            neuron_profile: n.neuron_profile,
            v_init: n.v_init,
            num_axons: n.num_axons,
            stdp: n.stdp,
            rounding: n.rounding,
            offsets,
            target,
            weight,
            delay,
            flags,
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
        Network::from_record(r, None)
    }
}

impl Network {
    /// A stored network rebuilt as `TryFrom<NetworkRecord>` rebuilds it;
    /// with `keep`, keeping only the synapses onto the targets it gives for
    /// the network's neuron count ([`NetworkBuilder::keep_targets`]: one
    /// rank's share).
    pub fn from_record(r: NetworkRecord, keep: Option<&dyn Fn(u32) -> Range<u32>>) -> Result<Network, BuildError> {
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
        b.inputs = r.inputs;
        b.populations = r.populations;
        let axons = r.num_axons as usize;
        let synapse = |src: usize, i: usize| SynapseSpec {
            source: if src < axons {
                Source::Axon(src as u32)
            } else {
                Source::Neuron((src - axons) as u32)
            },
            target: r.target[i],
            weight: r.weight[i],
            wexp: r.flags[i] & FLAG_WEXP,
            delay: r.delay[i],
            plastic: r.flags[i] & FLAG_PLASTIC != 0,
        };
        if let Some(i) = r.flags.iter().position(|f| f & !(FLAG_PLASTIC | FLAG_WEXP) != 0) {
            return bad(format!("synapse {i}: flags {:#04x} have unknown bits", r.flags[i]));
        }
        if let Some(keep) = keep {
            b.keep_targets(keep(b.num_neurons()));
        }
        let mut counter = b.into_counter()?;
        for src in 0..sources as usize {
            for i in r.offsets[src] as usize..r.offsets[src + 1] as usize {
                counter.add(&synapse(src, i))?;
            }
        }
        let mut placer = counter.into_placer()?;
        for src in 0..sources as usize {
            for i in r.offsets[src] as usize..r.offsets[src + 1] as usize {
                placer.add(&synapse(src, i))?;
            }
        }
        placer.build()
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

    /// The source index whose synapse `i` (canonical index) is. Of a network
    /// that holds one rank's share, `i` is a place in that share
    /// ([`Network::synapses`]).
    pub fn source_of_synapse(&self, i: u64) -> u32 {
        self.synapses.offsets().partition_point(|&o| o <= i) as u32 - 1
    }

    /// The population that holds the source behind source index `s`.
    pub fn source_population(&self, s: u32) -> Option<&Population> {
        match self.source_of(s) {
            Source::Axon(a) => self.population_of(PopulationKind::Axons, a),
            Source::Neuron(n) => self.population_of(PopulationKind::Neurons, n),
        }
    }

    /// Number of synapses (of the whole network, also when it holds one
    /// rank's share).
    pub fn num_synapses(&self) -> u64 {
        match &self.share {
            Some(s) => s.synapses,
            None => self.synapses.len() as u64,
        }
    }

    /// Number of plastic synapses (of the whole network).
    pub fn num_plastic(&self) -> u64 {
        match &self.share {
            Some(s) => s.plastic,
            None => self.synapses.fanin().len() as u64,
        }
    }

    /// Plastic synapses onto neuron `n` (of the whole network).
    pub fn plastic_fanin(&self, n: usize) -> u64 {
        match &self.share {
            Some(s) => s.fanin.get(n).map_or(0, |&c| c as u64),
            None => self.synapses.fanin_of(n).len() as u64,
        }
    }

    /// Largest synaptic delay (at least 1): the delay slots D the network
    /// needs (of the whole network).
    pub fn max_delay(&self) -> u8 {
        self.max_delay
    }

    /// Smallest synaptic delay of the whole network, if it has synapses.
    pub fn min_delay(&self) -> Option<u8> {
        match &self.share {
            Some(s) => s.min_delay,
            None => self.synapses.kinds().iter().map(|k| k.delay).min(),
        }
    }

    /// What the network knows of the whole network when it holds the
    /// synapses of some targets only ([`NetworkBuilder::keep_targets`]);
    /// `None` for a whole network.
    pub fn share(&self) -> Option<&Share> {
        self.share.as_ref()
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

    /// Synapse storage in canonical order: of a network that holds one
    /// rank's share ([`Network::share`]), the synapses onto its targets only
    /// (each source's row holds those, in canonical order, and their
    /// places here are not canonical indices).
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
    /// [`SynapseSpec`]s with their canonical indices. Of a network that holds
    /// one rank's share, those onto its targets, with their places in that
    /// share ([`Network::synapses`]).
    pub fn synapses_of(&self, source: Source) -> impl Iterator<Item = (u64, SynapseSpec)> + '_ {
        let s = self.source_index(source) as usize;
        let syn = &self.synapses;
        syn.row(s).map(move |i| {
            let kind = syn.kind(i);
            (
                i as u64,
                SynapseSpec {
                    source,
                    target: syn.target(i),
                    weight: syn.weight(i),
                    wexp: kind.wexp(),
                    delay: kind.delay,
                    plastic: kind.plastic(),
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

    /// Bytes of synapse storage ([`Synapses::bytes`]): 6 per synapse, 8 per
    /// plastic synapse (fan-in index), 8 per source and per neuron for the
    /// offsets, 2 per kind.
    pub fn synapse_bytes(&self) -> u64 {
        self.synapses.bytes()
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
        assert_eq!(s.offsets(), [0, 1, 5, 5, 5]);
        assert_eq!(s.weights(), [4, 3, 2, 5, 1]);
        assert_eq!((0..5).map(|i| s.delay(i)).collect::<Vec<_>>(), [3, 1, 2, 2, 2]);
        assert_eq!(s.targets().collect::<Vec<_>>(), [0, 2, 1, 1, 2]);
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
        assert!(s.fanin_of(0).is_empty());
        // Canonical: axon0 (idx 0, not plastic), axon1 (idx 1), neuron0 (idx 2).
        assert_eq!(s.fanin(), [(1, 1), (2, 2)]);
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

    use proptest::prelude::*;

    fn any_synapse(neurons: u32, axons: u32) -> impl Strategy<Value = SynapseSpec> {
        (
            prop_oneof![(0..axons).prop_map(Source::Axon), (0..neurons).prop_map(Source::Neuron)],
            0..neurons,
            -20i8..20,
            0u8..8,
            prop_oneof![1u8..4, 1u8..=255],
            any::<bool>(),
        )
            .prop_map(|(source, target, weight, wexp, delay, plastic)| SynapseSpec {
                source,
                target,
                weight,
                wexp,
                delay,
                plastic,
            })
    }

    /// A builder of 5 neurons, 3 axons, a learning rule with bounds ±20 and
    /// `list`'s synapses.
    fn five_neurons_three_axons(list: &[SynapseSpec]) -> NetworkBuilder {
        let mut b = NetworkBuilder::new();
        b.set_stdp(StdpParams {
            w_min: -20,
            w_max: 20,
            ..StdpParams::default()
        });
        let p = b.add_profile(NeuronParams::default());
        b.add_neurons(p, 5, |_| 0);
        b.add_axons(3);
        for s in list {
            b.add_synapse(*s);
        }
        b
    }

    proptest! {
        /// The two-pass build gives each source's synapses in the order of
        /// a stable sort by (delay, target), whatever order they came in,
        /// and a network's record gives the same network back.
        #[test]
        fn two_passes_give_the_canonical_order(
            list in prop::collection::vec(any_synapse(5, 3), 0..300),
        ) {
            let b = five_neurons_three_axons(&list);
            let net = b.build().unwrap();
            let mut want = list.clone();
            want.sort_by_key(|s| (net.source_index(s.source), s.delay, s.target));
            let got: Vec<SynapseSpec> = (0..net.num_sources())
                .flat_map(|i| net.synapses_of(net.source_of(i)).map(|(_, s)| s))
                .collect();
            prop_assert_eq!(&got, &want);
            let syn = net.synapses();
            for n in 0..5 {
                let plastic: Vec<u32> = (0..syn.len() as u32)
                    .filter(|&i| syn.plastic(i as usize) && syn.target(i as usize) == n as u32)
                    .collect();
                let fanin: Vec<u32> = syn.fanin_of(n).iter().map(|&(i, _)| i).collect();
                prop_assert_eq!(fanin, plastic);
            }
            let back = Network::try_from(NetworkRecord::from(net.clone())).unwrap();
            prop_assert_eq!(back, net);
        }

        /// A build that keeps some targets holds, of each row, the whole
        /// row's synapses onto them in the same order, and the whole
        /// network's counts.
        #[test]
        fn a_share_holds_the_rows_onto_its_targets(
            list in prop::collection::vec(any_synapse(5, 3), 0..300),
            lo in 0u32..=5,
            len in 0u32..=5,
        ) {
            let hi = (lo + len).min(5);
            let mut b = five_neurons_three_axons(&list);
            let whole = b.clone().build().unwrap();
            b.keep_targets(lo..hi);
            let part = b.build().unwrap();
            let share = part.share().unwrap();
            prop_assert_eq!(share.targets.clone(), lo..hi);
            prop_assert_eq!(part.num_synapses(), whole.num_synapses());
            prop_assert_eq!(part.num_plastic(), whole.num_plastic());
            prop_assert_eq!(part.max_delay(), whole.max_delay());
            prop_assert_eq!(part.min_delay(), whole.min_delay());
            prop_assert_eq!(part.core_shape(), whole.core_shape());
            for n in 0..5 {
                prop_assert_eq!(part.plastic_fanin(n), whole.plastic_fanin(n));
            }
            for s in 0..whole.num_sources() {
                let src = whole.source_of(s);
                let want: Vec<SynapseSpec> = whole
                    .synapses_of(src)
                    .map(|(_, x)| x)
                    .filter(|x| (lo..hi).contains(&x.target))
                    .collect();
                let got: Vec<SynapseSpec> = part.synapses_of(src).map(|(_, x)| x).collect();
                prop_assert_eq!(got, want);
            }
        }
    }

    #[test]
    fn targets_to_keep_must_be_neurons() {
        let mut b = NetworkBuilder::new();
        let p = b.add_profile(NeuronParams::default());
        b.add_neurons(p, 4, |_| 0);
        #[allow(clippy::reversed_empty_ranges)]
        for bad in [2..5, 3..2] {
            let mut b = b.clone();
            b.keep_targets(bad);
            assert!(matches!(b.build(), Err(BuildError::KeepTargets { neurons: 4, .. })));
        }
        b.keep_targets(4..4);
        assert_eq!(b.build().unwrap().share().unwrap().targets, 4..4);
    }
}
