//! A NIR graph as a Spikefab network (`docs/nir.md` states the mapping and
//! its conventions).
//!
//! - `Input` nodes that nothing feeds are input axons; `CubaLIF`, `LIF` and
//!   `IF` nodes are populations; `Output` nodes name the populations whose
//!   spikes are the result. `Input` and `Output` nodes inside the graph (the
//!   ends of a nested graph) pass their signal on.
//! - `Affine`, `Linear`, `Scale`, `Delay` and `Flatten` between spiking
//!   nodes compose into synapses (the private `signal` module): one per source
//!   channel, target neuron and delay, with the product of the weights on
//!   the way. An `Affine` bias becomes synapses from an always-on axon
//!   (`bias`, a spike every tick), so it reaches the neuron through its
//!   synaptic current as NIR's equations say.
//! - Every neuron is scaled so that `v_reset` is 0 and `v_threshold` is 1;
//!   neurons of a node that then differ (time constants, leak) become
//!   populations of their own. Each population is quantized by the physical
//!   units' quantizer (`sim::quantize::lif`), with the time constants turned
//!   into decays by forward-Euler steps unless told otherwise (the discrete
//!   model the training libraries use) and a voltage unit fine enough for
//!   the threshold and coarse enough for the largest weight.
//! - A weight keeps its postsynaptic potential's area, in the per-tick
//!   reading of NIR's equations that snnTorch's export and Lava's import share: a
//!   spike of weight `w` adds `w_in w dt / tau_syn` to the current `I`, of
//!   which the membrane takes `r I dt / tau_mem` a tick; so the chip's
//!   current jumps by `r w_in w (du/4096)(dv/4096)` units of the membrane
//!   (`r w` for an `IF`, which has no leak).
//! - Each connection takes the chip's one tick (spec §4.2) plus its `Delay`
//!   nodes' ticks.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use spikefab_sim::config::{
    ConfigError, Connect, InputSection, IntSpec, NetworkFile, PoissonSection, PopulationSection, ProjectionSection,
    RecordSection, SimulationSection,
};
use spikefab_sim::dither::Rounding;
use spikefab_sim::neuron::NeuronFields;
use spikefab_sim::quantize::{self, Discretization, Lif, LifInts, QuantError};

use super::signal::{self, Signal};
use super::{Array, Graph, Node};

/// The tick when neither `--dt` nor the graph's resistances give one: 1 ms.
pub const DEFAULT_DT: f64 = 1e-3;

/// Ticks the imported file runs for (its `duration` is this many ticks).
pub const TICKS: u32 = 1000;

/// The most channels a node may have: far beyond any core (and a bound on
/// what a damaged or hostile graph can make the importer allocate).
pub const MAX_CHANNELS: usize = 1 << 20;

/// The most weighted terms a layer's composed weights may hold before they
/// are merged (16 M: far beyond any core's synapse memory).
pub const MAX_TERMS: usize = 1 << 24;

/// The widest range of potentials, in thresholds, the import gives a
/// population for the sake of its weights: the threshold stays at 16 units
/// or more.
const MAX_REACH: f64 = 2048.0;

/// The largest weight in the chip's units, `127 × 2^7`.
const LARGEST_WEIGHT: f64 = 16256.0;

/// How a graph is imported.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// The tick, seconds (NIR's time unit); none: from the graph or
    /// [`DEFAULT_DT`] ([`DtFrom`]).
    pub dt: Option<f64>,
    /// How time constants become decays (default: Euler steps, the training
    /// libraries' discrete model).
    pub discretization: Discretization,
    /// How the chip's decays round (default: dithered).
    pub rounding: Rounding,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            dt: None,
            discretization: Discretization::Euler,
            rounding: Rounding::Dither,
        }
    }
}

/// Where the tick came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtFrom {
    /// Given (`--dt`).
    Given,
    /// From the resistances: every LIF and CubaLIF neuron has `r = tau_mem /
    /// dt` for one `dt`, the convention of snnTorch's export.
    Resistance,
    /// [`DEFAULT_DT`]: NIR graphs do not store their tick.
    Default,
}

/// An imported graph: the network file and what was chosen.
#[derive(Debug, Clone)]
pub struct Import {
    /// The network, in the chip's integers (with `dt` and a duration).
    pub file: NetworkFile,
    /// The tick, seconds.
    pub dt: f64,
    /// Where it came from.
    pub dt_from: DtFrom,
    /// How the decays were made and round.
    pub options: Options,
    /// Each population: its NIR node, the node's neurons it holds, its
    /// integers and their quality.
    pub populations: Vec<PopulationReport>,
    /// Each projection: what its weights became.
    pub projections: Vec<ProjectionReport>,
    /// The populations whose spikes the graph's `Output` nodes take.
    pub outputs: Vec<String>,
}

impl Import {
    /// The imported network, loaded (the file as TOML, read back by the
    /// network loader, as `spikefab import` checks it).
    pub fn model(&self) -> Result<spikefab_sim::config::Model, ConfigError> {
        let text = toml::to_string(&self.file).map_err(|e| ConfigError::Toml {
            file: "<imported NIR graph>".into(),
            message: e.to_string(),
        })?;
        spikefab_sim::config::parse_toml(&text, None)
    }
}

/// One population of an imported graph.
#[derive(Debug, Clone)]
pub struct PopulationReport {
    /// Its name in the file.
    pub name: String,
    /// The NIR node it comes from.
    pub node: String,
    /// The node's neurons it holds, in order.
    pub neurons: Vec<u32>,
    /// The quantizer's choices, in units of the neuron's `v_threshold -
    /// v_reset`.
    pub ints: LifInts,
}

/// One projection of an imported graph.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectionReport {
    /// `source -> target`.
    pub name: String,
    /// Synapses written.
    pub synapses: usize,
    /// Synapses left out because their weight rounds to 0.
    pub zero: usize,
    /// The weight exponent.
    pub wexp: u8,
    /// The largest rounding error of a weight, as a share of the largest
    /// weight.
    pub worst: f64,
}

/// Why a graph cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A node the chip cannot express, or one whose parameters are wrong.
    #[error("node {node} ({kind}): {reason}")]
    Node {
        /// The node.
        node: String,
        /// Its NIR type.
        kind: String,
        /// Why.
        reason: String,
    },
    /// A parameter the chip's integers cannot hold.
    #[error("node {node} ({kind}): {cause}")]
    Quantize {
        /// The node.
        node: String,
        /// Its NIR type.
        kind: String,
        /// The quantizer's reason.
        cause: QuantError,
    },
    /// The tick.
    #[error("--dt: {0} s is not a tick length (a positive number of seconds)")]
    Dt(f64),
    /// An edge naming a node the graph does not have.
    #[error("edge {from} -> {to}: {missing} is not a node of the graph")]
    Edge {
        /// Its source.
        from: String,
        /// Its target.
        to: String,
        /// The name not found.
        missing: String,
    },
    /// Nothing to run.
    #[error("the graph has no spiking node (CubaLIF, LIF or IF): nothing for the chip to run")]
    NoNeurons,
}

/// The three neuron types the chip runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Model {
    Cuba,
    Lif,
    If,
}

/// A neuron node's parameters, one value per neuron (seconds, NIR's volts).
#[derive(Debug, Clone)]
struct Neurons {
    model: Model,
    tau_syn: Vec<f64>,
    tau_mem: Vec<f64>,
    r: Vec<f64>,
    w_in: Vec<f64>,
    v_leak: Vec<f64>,
    v_threshold: Vec<f64>,
    v_reset: Vec<f64>,
}

/// What a node does.
#[derive(Debug, Clone)]
enum Op {
    /// Graph input (no edge into it) or a nested graph's end (passes on).
    Input(usize),
    /// Graph output (no edge out of it) or a nested graph's end.
    Output(usize),
    Neurons(Neurons),
    Matrix {
        cols: usize,
        weight: Vec<f64>,
        bias: Option<Vec<f64>>,
    },
    Scale(Vec<f64>),
    /// Seconds per channel.
    Delay(Vec<f64>),
    Flatten,
}

impl Op {
    /// How many channels it takes, if fixed.
    fn takes(&self) -> Option<usize> {
        match self {
            Op::Input(n) | Op::Output(n) => Some(*n),
            Op::Neurons(p) => Some(p.v_threshold.len()),
            Op::Matrix { cols, .. } => Some(*cols),
            Op::Scale(v) | Op::Delay(v) => Some(v.len()),
            Op::Flatten => None,
        }
    }
}

/// One node, named, with its type for messages.
struct Parsed<'g> {
    name: &'g str,
    kind: &'g str,
    op: Op,
}

impl Parsed<'_> {
    fn error(&self, reason: impl Into<String>) -> ImportError {
        ImportError::Node {
            node: self.name.to_string(),
            kind: self.kind.to_string(),
            reason: reason.into(),
        }
    }
}

/// Import `graph` as a network.
pub fn import(graph: &Graph, options: Options) -> Result<Import, ImportError> {
    let nodes: Vec<Parsed> = graph
        .nodes
        .iter()
        .map(|(name, node)| parse(name, node))
        .collect::<Result<_, _>>()?;
    let index: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (n.name, i)).collect();
    let mut preds = vec![Vec::new(); nodes.len()];
    let mut feeds = vec![false; nodes.len()];
    for (a, b) in &graph.edges {
        let find = |x: &String| {
            index.get(x.as_str()).copied().ok_or_else(|| ImportError::Edge {
                from: a.clone(),
                to: b.clone(),
                missing: x.clone(),
            })
        };
        let (a, b) = (find(a)?, find(b)?);
        preds[b].push(a);
        feeds[a] = true;
    }
    if !nodes.iter().any(|n| matches!(n.op, Op::Neurons(_))) {
        return Err(ImportError::NoNeurons);
    }
    let (dt, dt_from) = match options.dt {
        Some(dt) if !(dt.is_finite() && dt > 0.0) => return Err(ImportError::Dt(dt)),
        Some(dt) => (dt, DtFrom::Given),
        None => match dt_from_resistance(&nodes) {
            Some(dt) => (dt, DtFrom::Resistance),
            None => (DEFAULT_DT, DtFrom::Default),
        },
    };
    let mut flow = Flow {
        nodes: &nodes,
        preds: &preds,
        dt,
        memo: vec![None; nodes.len()],
        visiting: vec![false; nodes.len()],
    };

    // Populations: each neuron node's neurons, grouped by what they share
    // once scaled to v_reset = 0 and v_threshold = 1.
    let mut pops: Vec<Pop> = Vec::new();
    let mut place: HashMap<(usize, u32), (usize, u32)> = HashMap::new();
    for (i, n) in nodes.iter().enumerate() {
        let Op::Neurons(p) = &n.op else { continue };
        let mut groups: Vec<(Key, Vec<u32>)> = Vec::new();
        let mut group_of: HashMap<Key, usize> = HashMap::new();
        for j in 0..p.v_threshold.len() {
            let key = key_of(n, p, j)?;
            let g = *group_of.entry(key).or_insert_with(|| {
                groups.push((key, Vec::new()));
                groups.len() - 1
            });
            groups[g].1.push(j as u32);
        }
        let several = groups.len() > 1;
        for (g, (key, members)) in groups.into_iter().enumerate() {
            for (local, &j) in members.iter().enumerate() {
                place.insert((i, j), (pops.len(), local as u32));
            }
            pops.push(Pop {
                name: if several {
                    format!("{}#{g}", n.name)
                } else {
                    n.name.to_string()
                },
                node: i,
                key,
                members,
            });
        }
    }

    // Each population's input, quantized.
    let mut populations = Vec::new();
    let mut synapses: Vec<BTreeMap<Pre, Vec<Synapse>>> = Vec::new();
    let mut uses_bias = false;
    let mut inputs: HashMap<usize, Signal> = HashMap::new();
    for pop in &pops {
        let n = &nodes[pop.node];
        let Op::Neurons(p) = &n.op else {
            unreachable!("a population comes from a neuron node")
        };
        let input = match inputs.entry(pop.node) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(flow.input(pop.node)?),
        };
        // Each member's terms and constant, with its gain (r w_in per
        // threshold distance).
        let members: Vec<(u32, f64, &signal::Channel)> = pop
            .members
            .iter()
            .map(|&j| {
                let j = j as usize;
                let gain = p.r[j] * p.w_in[j] / (p.v_threshold[j] - p.v_reset[j]);
                (j as u32, gain, &input[j])
            })
            .collect();
        let largest = members
            .iter()
            .flat_map(|(_, g, c)| {
                c.terms
                    .iter()
                    .map(|t| t.weight)
                    .chain([c.constant])
                    .map(move |w| (w * g).abs())
            })
            .fold(0.0, f64::max);
        let quantized = |range| {
            quantize::lif(
                &pop.lif(p.model, range, options.discretization),
                dt * 1e3,
                options.rounding,
            )
            .map_err(|cause| ImportError::Quantize {
                node: n.name.to_string(),
                kind: n.kind.to_string(),
                cause,
            })
        };
        let mut ints = quantized(None)?;
        // The finest unit is the best one, unless the largest weight would
        // not fit: then the range of a power of two thresholds that puts it
        // within 127 × 2^7 (a power of two, so that the choice does not move
        // with the last bits of the weights: an exported network imports as
        // itself).
        if largest * factor(&ints) / ints.unit > LARGEST_WEIGHT {
            let need = largest * factor(&ints) / LARGEST_WEIGHT * 32767.0 * 1.02;
            let reach = 2f64.powi(need.log2().ceil() as i32);
            if !reach.is_finite() || reach > MAX_REACH {
                return Err(n.error(format!(
                    "an input weight of {largest:.4} thresholds: with weights of at most 127 × 2^7 units its \
                     threshold would be under {} units",
                    32767.0 / MAX_REACH
                )));
            }
            ints = quantized(Some((-reach, reach)))?;
        }
        let per = factor(&ints) / ints.unit;
        for x in ints.quality.iter_mut().filter(|x| x.unit == "mV") {
            x.unit = "x (v_th - v_reset)";
        }
        let mut into: BTreeMap<Pre, Vec<Synapse>> = BTreeMap::new();
        for (j, gain, c) in members {
            let post = place[&(pop.node, j)].1;
            for t in &c.terms {
                let pre = match &nodes[t.source].op {
                    Op::Input(_) => Pre::Input(t.source, t.index),
                    _ => {
                        let (q, local) = place[&(t.source, t.index)];
                        Pre::Population(q, local)
                    }
                };
                let delay = t.delay.saturating_add(1);
                if delay > 255 {
                    return Err(n.error(format!(
                        "the Delay nodes on its input from {} add {} ticks of {dt} s; a synapse holds at most 255 \
                             ticks (one of them the chip's own)",
                        nodes[t.source].name, t.delay
                    )));
                }
                into.entry(pre.group()).or_default().push(Synapse {
                    pre: pre.index(),
                    post,
                    units: t.weight * gain * per,
                    delay,
                });
            }
            if c.constant != 0.0 {
                uses_bias = true;
                into.entry(Pre::Bias).or_default().push(Synapse {
                    pre: 0,
                    post,
                    units: c.constant * gain * per,
                    delay: 1,
                });
            }
        }
        synapses.push(into);
        populations.push(PopulationReport {
            name: pop.name.clone(),
            node: n.name.to_string(),
            neurons: pop.members.clone(),
            ints,
        });
    }

    // Outputs: spiking layers as they are.
    let mut outputs = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        if !matches!(n.op, Op::Output(_)) || feeds[i] {
            continue;
        }
        let input = flow.input(i)?;
        let source = input.first().and_then(|c| c.terms.first()).map(|t| t.source);
        let plain = input.iter().enumerate().all(|(k, c)| {
            c.constant == 0.0
                && c.terms.len() == 1
                && c.terms[0].weight == 1.0
                && c.terms[0].delay == 0
                && c.terms[0].index == k as u32
                && Some(c.terms[0].source) == source
        });
        match source.filter(|&s| plain && matches!(nodes[s].op, Op::Neurons(_))) {
            Some(s) => outputs.extend(pops.iter().filter(|p| p.node == s).map(|p| p.name.clone())),
            None => {
                return Err(n.error(
                    "the chip's outputs are spikes: an Output must take a spiking layer (CubaLIF, LIF, IF) as it is, \
                     not through weights, delays or from an Input",
                ))
            }
        }
    }

    // The file.
    let bias_name = ["bias", "bias#"]
        .into_iter()
        .find(|b| !graph.nodes.contains_key(*b))
        .unwrap_or("bias##");
    let mut file = NetworkFile {
        simulation: SimulationSection {
            ticks: None,
            seed: 0,
            dt: Some(dt * 1e3),
            duration: Some(f64::from(TICKS) * dt * 1e3),
            rounding: Some(options.rounding),
        },
        learning: None,
        stdp: None,
        populations: Vec::new(),
        inputs: Vec::new(),
        projections: Vec::new(),
        record: RecordSection::default(),
    };
    for (i, n) in nodes.iter().enumerate() {
        if let Op::Input(size) = n.op {
            if preds[i].is_empty() {
                file.inputs.push(input_section(n.name, size, None));
            }
        }
    }
    if uses_bias {
        let always = PoissonSection {
            p: Some(1.0),
            rate_hz: None,
            seed: None,
            start: None,
            stop: None,
        };
        file.inputs.push(input_section(bias_name, 1, Some(always)));
    }
    let mut projections = Vec::new();
    for ((pop, report), into) in pops.iter().zip(&populations).zip(synapses) {
        let q = &report.ints;
        file.populations.push(PopulationSection {
            name: pop.name.clone(),
            size: pop.members.len() as i64,
            neuron: Some(NeuronFields {
                du: q.du.into(),
                dv: q.dv.into(),
                bias: q.bias.into(),
                v_reset: 0,
                threshold: q.threshold.into(),
                theta_inc: 0,
                theta_decay: 0,
                refractory: 0,
                u_shift: q.u_shift.into(),
            }),
            lif: None,
            v_init: Some(IntSpec::Const(q.v_init.0.into())),
        });
        for (pre, list) in into {
            let from = match pre {
                Pre::Input(i, _) => nodes[i].name.to_string(),
                Pre::Population(q, _) => pops[q].name.clone(),
                Pre::Bias => bias_name.to_string(),
            };
            let name = format!("{from} -> {}", pop.name);
            let units: Vec<f64> = list.iter().map(|s| s.units).collect();
            let n = &nodes[pop.node];
            let wexp = quantize::exponent_for("weight", &units).map_err(|cause| ImportError::Quantize {
                node: n.name.to_string(),
                kind: n.kind.to_string(),
                cause,
            })?;
            let largest = units.iter().fold(0.0f64, |m, u| m.max(u.abs()));
            let mut worst = 0.0f64;
            let mut kept = Vec::new();
            for s in &list {
                let m = quantize::mantissa(s.units, wexp);
                worst = worst.max((f64::from(m) * f64::from(1u16 << wexp) - s.units).abs());
                if m != 0 {
                    kept.push(vec![s.pre.into(), s.post.into(), m.into(), s.delay.into()]);
                }
            }
            projections.push(ProjectionReport {
                name,
                synapses: kept.len(),
                zero: list.len() - kept.len(),
                wexp,
                worst: if largest > 0.0 { worst / largest } else { 0.0 },
            });
            if kept.is_empty() {
                continue;
            }
            file.projections.push(ProjectionSection {
                from,
                to: pop.name.clone(),
                connect: Connect::List { synapses: kept },
                weight: None,
                wexp: Some(wexp.into()),
                delay: None,
                weight_mv: None,
                weight_pa: None,
                delay_ms: None,
                plastic: false,
            });
        }
    }
    Ok(Import {
        file,
        dt,
        dt_from,
        options,
        populations,
        projections,
        outputs,
    })
}

fn input_section(name: &str, size: usize, poisson: Option<PoissonSection>) -> InputSection {
    InputSection {
        name: name.to_string(),
        size: size as i64,
        poisson,
        spikes: Vec::new(),
        file: None,
    }
}

/// What a weight of 1 (times the gain) is in `ints`' units of `u`, before
/// dividing by the unit: the area-keeping factor `(du/4096)(dv/4096)`, or
/// the jump `du/4096` without a leak, times `2^u_shift` (spec §3.3).
fn factor(ints: &LifInts) -> f64 {
    let dv = if ints.dv == 0 { 1.0 } else { f64::from(ints.dv) / 4096.0 };
    f64::from(1u16 << ints.u_shift) * f64::from(ints.du) / 4096.0 * dv
}

/// What makes two neurons of a node one population: their time constants,
/// and their leak and start as shares of the threshold distance (bit
/// patterns).
type Key = [u64; 4];

fn key_of(n: &Parsed, p: &Neurons, j: usize) -> Result<Key, ImportError> {
    let span = p.v_threshold[j] - p.v_reset[j];
    if span <= 0.0 {
        return Err(n.error(format!(
            "neuron {j}: v_threshold {} is not above v_reset {}",
            p.v_threshold[j], p.v_reset[j]
        )));
    }
    let leak = match p.model {
        Model::If => 0.0,
        _ => (p.v_leak[j] - p.v_reset[j]) / span,
    };
    let start = -p.v_reset[j] / span;
    Ok([
        p.tau_syn[j].to_bits(),
        p.tau_mem[j].to_bits(),
        leak.to_bits(),
        start.to_bits(),
    ])
}

/// One population: a node's neurons that share a [`Key`].
struct Pop {
    name: String,
    node: usize,
    key: Key,
    members: Vec<u32>,
}

impl Pop {
    /// The quantizer's view of it: time constants in ms, voltages as shares
    /// of the threshold distance from reset.
    fn lif(&self, model: Model, v_range: Option<(f64, f64)>, discretization: Discretization) -> Lif {
        let [tau_syn, tau_mem, leak, start] = self.key.map(f64::from_bits);
        Lif {
            tau_m: if model == Model::If {
                f64::INFINITY
            } else {
                tau_mem * 1e3
            },
            tau_syn: (model == Model::Cuba).then_some(tau_syn * 1e3),
            v_rest: leak,
            v_reset: 0.0,
            v_th: 1.0,
            t_ref: 0.0,
            c_m: None,
            theta_inc: 0.0,
            tau_theta: None,
            v_init: (start, start),
            v_range,
            unit: None,
            // The current in v's unit, as the graph's equations have it: a
            // trained graph's weights are large (thresholds, not fractions
            // of a mV), and fraction bits would make them need a coarser
            // voltage unit (docs/nir.md).
            u_shift: Some(0),
            discretization,
        }
    }
}

/// A synapse's source, before its projection is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Pre {
    /// Input node, channel.
    Input(usize, u32),
    /// Population, neuron within it.
    Population(usize, u32),
    /// The always-on axon.
    Bias,
}

impl Pre {
    /// The projection it belongs to (its index set aside).
    fn group(self) -> Pre {
        match self {
            Pre::Input(i, _) => Pre::Input(i, 0),
            Pre::Population(p, _) => Pre::Population(p, 0),
            Pre::Bias => Pre::Bias,
        }
    }

    fn index(self) -> u32 {
        match self {
            Pre::Input(_, k) | Pre::Population(_, k) => k,
            Pre::Bias => 0,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Synapse {
    pre: u32,
    post: u32,
    units: f64,
    delay: u32,
}

/// The signals of the graph, worked out node by node.
struct Flow<'a, 'g> {
    nodes: &'a [Parsed<'g>],
    preds: &'a [Vec<usize>],
    dt: f64,
    memo: Vec<Option<Signal>>,
    visiting: Vec<bool>,
}

impl Flow<'_, '_> {
    /// The sum of what node `i`'s predecessors put out (empty channels if
    /// none feeds it), checked against what it takes.
    fn input(&mut self, i: usize) -> Result<Signal, ImportError> {
        let n = &self.nodes[i];
        let mut sum: Option<Signal> = None;
        for &p in &self.preds[i].clone() {
            let s = self.output(p)?;
            if let Some(k) = n.op.takes().filter(|&k| k != s.len()) {
                return Err(n.error(format!(
                    "takes {k} channels, but {} ({}) gives {}",
                    self.nodes[p].name,
                    self.nodes[p].kind,
                    s.len()
                )));
            }
            sum = Some(match sum {
                None => s,
                Some(a) if a.len() != s.len() => {
                    return Err(n.error(format!(
                        "its inputs differ in size ({} and {} channels)",
                        a.len(),
                        s.len()
                    )))
                }
                Some(a) => signal::add(a, &s),
            });
        }
        Ok(sum.unwrap_or_else(|| vec![signal::Channel::default(); n.op.takes().unwrap_or(0)]))
    }

    /// What node `i` puts out.
    fn output(&mut self, i: usize) -> Result<Signal, ImportError> {
        if let Some(s) = &self.memo[i] {
            return Ok(s.clone());
        }
        let n = &self.nodes[i];
        let out = match &n.op {
            Op::Neurons(p) => signal::spikes(i, p.v_threshold.len()),
            Op::Input(k) if self.preds[i].is_empty() => signal::spikes(i, *k),
            _ => {
                if self.visiting[i] {
                    return Err(n.error(
                        "it is on a loop without a neuron (weights that feed themselves): a loop must pass through a \
                         spiking node",
                    ));
                }
                if self.preds[i].is_empty() {
                    return Err(n.error("nothing feeds it"));
                }
                self.visiting[i] = true;
                let x = self.input(i)?;
                self.visiting[i] = false;
                match &n.op {
                    Op::Matrix { weight, bias, cols } => {
                        // What composing the weights would build, before it
                        // is built.
                        let terms: usize = weight
                            .iter()
                            .enumerate()
                            .filter(|(_, w)| **w != 0.0)
                            .map(|(k, _)| x[k % cols].terms.len())
                            .fold(0, usize::saturating_add);
                        if terms > MAX_TERMS {
                            return Err(n.error(format!(
                                "its weights composed with what feeds it make {terms} synapses; at most {MAX_TERMS}"
                            )));
                        }
                        let mut y = signal::matrix(weight, &x);
                        for (c, b) in y.iter_mut().zip(bias.iter().flatten()) {
                            c.constant += b;
                        }
                        y
                    }
                    Op::Scale(f) => signal::scale(f, x),
                    Op::Delay(seconds) => {
                        let ticks = seconds.iter().map(|s| (s / self.dt).round() as u32).collect::<Vec<_>>();
                        signal::delay(&ticks, x)
                    }
                    _ => x,
                }
            }
        };
        self.memo[i] = Some(out.clone());
        Ok(out)
    }
}

/// `tau_mem / r`, if every LIF and CubaLIF neuron has the same one and no
/// `r` is 1 (NIR's default): the tick snnTorch's export writes into `r`.
fn dt_from_resistance(nodes: &[Parsed]) -> Option<f64> {
    let mut ratios = nodes.iter().filter_map(|n| match &n.op {
        Op::Neurons(p) if p.model != Model::If => Some(p),
        _ => None,
    });
    let mut dt = None;
    for p in ratios.by_ref() {
        for (tau, r) in p.tau_mem.iter().zip(&p.r) {
            if *r == 1.0 || *r <= 0.0 {
                return None;
            }
            let x = tau / r;
            match dt {
                None => dt = Some(x),
                Some(d) if ((x - d) / d).abs() > 1e-6 => return None,
                Some(_) => {}
            }
        }
    }
    // The parameters are often float32: the tick to their 6 digits.
    dt.map(|d| {
        let scale = 10f64.powi(5 - d.log10().floor() as i32);
        (d * scale).round() / scale
    })
}

/// A node as the importer sees it.
fn parse<'g>(name: &'g str, node: &'g Node) -> Result<Parsed<'g>, ImportError> {
    let kind = node.kind.as_str();
    let mut n = Parsed {
        name,
        kind,
        op: Op::Flatten,
    };
    let p = Params { n: &n, node };
    n.op = match kind {
        "Input" | "Output" => {
            let shape = p.finite("shape")?;
            if shape.is_empty() || shape.iter().any(|&d| !(d >= 1.0 && d.fract() == 0.0)) {
                return Err(n.error(format!("shape {shape:?} is not a list of positive sizes")));
            }
            let size = shape.iter().product::<f64>();
            if size > MAX_CHANNELS as f64 {
                return Err(n.error(format!("shape {shape:?} is over {MAX_CHANNELS} channels")));
            }
            let size = size as usize;
            if kind == "Input" {
                Op::Input(size)
            } else {
                Op::Output(size)
            }
        }
        "CubaLIF" | "LIF" | "IF" => {
            let v_threshold = p.finite("v_threshold")?;
            let k = v_threshold.len();
            if !(1..=MAX_CHANNELS).contains(&k) {
                return Err(n.error(format!("{k} neurons (v_threshold's length); 1 to {MAX_CHANNELS}")));
            }
            let model = match kind {
                "CubaLIF" => Model::Cuba,
                "LIF" => Model::Lif,
                _ => Model::If,
            };
            let or = |param, default: f64| match node.params.contains_key(param) {
                true => p.vector(param, k),
                false => Ok(vec![default; k]),
            };
            let tau = |param| match model {
                Model::If => Ok(vec![f64::INFINITY; k]),
                _ => p.vector(param, k),
            };
            Op::Neurons(Neurons {
                model,
                tau_syn: match model {
                    Model::Cuba => p.vector("tau_syn", k)?,
                    _ => vec![0.0; k],
                },
                tau_mem: tau(if model == Model::Cuba { "tau_mem" } else { "tau" })?,
                r: p.vector("r", k)?,
                w_in: match model {
                    Model::Cuba => or("w_in", 1.0)?,
                    _ => vec![1.0; k],
                },
                v_leak: match model {
                    Model::If => vec![0.0; k],
                    _ => p.vector("v_leak", k)?,
                },
                v_reset: or("v_reset", 0.0)?,
                v_threshold,
            })
        }
        "Affine" | "Linear" => {
            let w = p.array("weight")?;
            let [rows, cols] = w.shape[..] else {
                return Err(n.error(format!(
                    "weight has shape {:?}; the chip takes a matrix [outputs, inputs]",
                    w.shape
                )));
            };
            let weight = p.finite("weight")?;
            if rows == 0 || cols == 0 || rows > MAX_CHANNELS || cols > MAX_CHANNELS || weight.len() != rows * cols {
                return Err(n.error(format!(
                    "weight of shape {:?} holds {} values",
                    w.shape,
                    weight.len()
                )));
            }
            let bias = match kind {
                "Affine" => Some(p.vector("bias", rows)?),
                _ => None,
            };
            Op::Matrix { cols, weight, bias }
        }
        "Scale" => Op::Scale(p.channels("scale")?),
        "Delay" => {
            let d = p.channels("delay")?;
            if let Some(x) = d.iter().find(|&&x| x < 0.0) {
                return Err(n.error(format!("delay {x} s is negative")));
            }
            Op::Delay(d)
        }
        "Flatten" => Op::Flatten,
        "Conv1d" | "Conv2d" => {
            return Err(n.error(
                "convolutions have no chip form yet: unroll the layer into an Affine (its dense weight matrix) \
                 before export",
            ))
        }
        "SumPool2d" | "AvgPool2d" => {
            return Err(n.error("pooling has no chip form yet: unroll it into an Affine before export"))
        }
        "LI" | "CubaLI" | "I" => {
            return Err(n.error(
                "a neuron without spikes (an integrator readout) has no chip form: the chip's neurons spike; read \
                 out the spike counts of a LIF or CubaLIF layer instead",
            ))
        }
        "Threshold" => return Err(n.error("a threshold without a membrane has no chip form")),
        _ => return Err(n.error("an unknown NIR node type; the chip takes Input, Output, Affine, Linear, Scale, Delay, Flatten, CubaLIF, LIF and IF")),
    };
    Ok(n)
}

/// A node's parameters, read with errors that name them.
struct Params<'a, 'g> {
    n: &'a Parsed<'g>,
    node: &'g Node,
}

impl Params<'_, '_> {
    fn array(&self, param: &str) -> Result<&Array, ImportError> {
        self.node
            .params
            .get(param)
            .ok_or_else(|| self.n.error(format!("has no parameter {param}")))
    }

    /// The values, each a finite number.
    fn finite(&self, param: &str) -> Result<Vec<f64>, ImportError> {
        let a = self.array(param)?;
        match a.values.iter().position(|x| !x.is_finite()) {
            Some(i) => Err(self.n.error(format!("{param}[{i}] is {}, not a number", a.values[i]))),
            None => Ok(a.values.clone()),
        }
    }

    /// One value per channel: 1 to [`MAX_CHANNELS`] of them.
    fn channels(&self, param: &str) -> Result<Vec<f64>, ImportError> {
        let v = self.finite(param)?;
        match v.len() {
            1..=MAX_CHANNELS => Ok(v),
            len => Err(self
                .n
                .error(format!("{param} has {len} values; 1 to {MAX_CHANNELS} channels"))),
        }
    }

    /// `k` values: the parameter's own, or one value for all.
    fn vector(&self, param: &str, k: usize) -> Result<Vec<f64>, ImportError> {
        let v = self.finite(param)?;
        match v.len() {
            1 => Ok(vec![v[0]; k]),
            len if len == k => Ok(v),
            len => Err(self.n.error(format!("{param} has {len} values for {k} channels"))),
        }
    }
}

impl std::fmt::Display for Import {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = String::new();
        let from = match self.dt_from {
            DtFrom::Given => "as given",
            DtFrom::Resistance => "from r = tau_mem / dt, snnTorch's convention",
            DtFrom::Default => "the default: NIR graphs do not store their tick; give --dt",
        };
        let steps = match self.options.discretization {
            Discretization::Euler => "Euler steps",
            Discretization::Exact => "exact exponentials",
        };
        let _ = writeln!(
            s,
            "NIR graph imported: dt = {} s ({from}); decays by {steps}, rounded {}; voltages in units of each \
             neuron's v_threshold - v_reset (errors beyond {}% flagged):",
            self.dt,
            self.options.rounding.describe(),
            quantize::WARN_ABOVE * 100.0
        );
        for p in &self.populations {
            let q = &p.ints;
            let _ = writeln!(
                s,
                "  population {} (node {}, {} neurons): unit 1/{:.1}; du {} dv {} bias {} threshold {}",
                p.name,
                p.node,
                p.neurons.len(),
                1.0 / q.unit,
                q.du,
                q.dv,
                q.bias,
                q.threshold
            );
            for x in &q.quality {
                let _ = writeln!(s, "    {x}");
            }
        }
        for p in &self.projections {
            let _ = writeln!(
                s,
                "  projection {}: {} synapses ({} rounded to 0 and left out), wexp {}, largest rounding error {:.2}% \
                 of the largest weight",
                p.name,
                p.synapses,
                p.zero,
                p.wexp,
                p.worst * 100.0
            );
        }
        let _ = write!(s, "  outputs: {}", self.outputs.join(", "));
        f.write_str(&s)
    }
}
