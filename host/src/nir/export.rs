//! A network as a NIR graph: the chip's integers turned back into NIR's
//! float parameters, in the reading the import takes (`docs/nir.md`), so
//! that importing the graph gives the network again.
//!
//! - Each input population is an `Input`; an always-on axon (one that
//!   spikes on every tick of the run: the import's `bias`) is the bias of an
//!   `Affine` instead.
//! - Each neuron population is a `CubaLIF` (`du < 4096`), a `LIF` (`du =
//!   4096`) or an `IF` (`du = 4096`, `dv = 0`), its voltages in units of its
//!   threshold: `v_threshold` 1, `v_reset` and the leak (`bias 4096 / dv`)
//!   as shares of it; its time constants `tau = 4096 dt / d` (Euler steps)
//!   and `r = tau_mem / dt`, `w_in = tau_syn / dt`, snnTorch's convention,
//!   so that a weight `w` is a jump of `w` thresholds in the current.
//! - The synapses from one population onto another with one delay are a
//!   `Linear` (or `Affine`) of their summed weights (`weight × 2^wexp` over
//!   the threshold), after a `Delay` of `(delay - 1) dt` where the delay is
//!   over the chip's one tick.
//! - Neuron populations that feed no other are `Output`s.
//!
//! What NIR cannot say is refused with the population and the reason
//! (refractory periods, adaptive thresholds, learning, a bias without a
//! leak); what it leaves out is listed (initial potentials, the rounding
//! mode, the input spikes).

use std::collections::BTreeMap;

use hdf5_pure::FileBuilder;
use spikefab_sim::network::{PopulationKind, Source};
use spikefab_sim::{Network, NeuronParams};

/// The NIR format version the files say they are.
pub const VERSION: &str = "1.0.8";

/// Why a network cannot be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A population whose dynamics NIR cannot describe.
    #[error("population {population}: {reason}")]
    Population {
        /// The population.
        population: String,
        /// Why.
        reason: String,
    },
    /// A network-wide feature NIR has no form for.
    #[error("{0}")]
    Network(String),
    /// The tick.
    #[error("dt: {0} s is not a tick length (a positive number of seconds)")]
    Dt(f64),
    /// The HDF5 writer failed.
    #[error("cannot write the HDF5 file: {0}")]
    Write(String),
}

/// A network exported: the file's bytes and what NIR left out.
#[derive(Debug, Clone)]
pub struct Export {
    /// The `.nir` file.
    pub bytes: Vec<u8>,
    /// The graph's nodes: name and NIR type.
    pub nodes: Vec<(String, &'static str)>,
    /// What the graph does not hold.
    pub left_out: Vec<String>,
}

/// One node being written: its type and parameters `(name, shape, values)`.
struct NodeOut {
    kind: &'static str,
    params: Vec<(&'static str, Vec<usize>, Vec<f64>)>,
    ints: Vec<(&'static str, Vec<i64>)>,
}

/// Export `net`, whose tick is `dt` seconds and whose run is `ticks` ticks
/// (to tell an always-on axon).
pub fn export(net: &Network, dt: f64, ticks: u32) -> Result<Export, ExportError> {
    if !(dt.is_finite() && dt > 0.0) {
        return Err(ExportError::Dt(dt));
    }
    if net.stdp().is_some() && net.num_plastic() > 0 {
        return Err(ExportError::Network(
            "plastic synapses: NIR has no learning rule; export the weights learnt (a state file) as a network first"
                .into(),
        ));
    }
    let mut left_out = vec!["the input spikes".to_string()];
    if net.rounding() != spikefab_sim::dither::Rounding::Dither {
        left_out.push(format!(
            "the rounding of the decays ({}): import with --rounding toward_zero to keep it",
            net.rounding().describe()
        ));
    }
    let pops = net.populations();
    if let Some(p) = pops.iter().find(|p| p.name.contains('/')) {
        return Err(pop_error(
            p,
            "a NIR node's name cannot hold '/' (HDF5 reads it as a path)",
        ));
    }
    let name_of = |p: &spikefab_sim::network::Population| p.name.clone();
    // Always-on axons: one-axon input populations that spike on every tick.
    let mut per_axon = vec![0u32; net.num_axons() as usize];
    for s in net.inputs().iter().filter(|s| s.tick < ticks) {
        per_axon[s.axon as usize] += 1;
    }
    let always_on =
        |p: &spikefab_sim::network::Population| p.size == 1 && ticks > 0 && per_axon[p.first as usize] == ticks;

    let mut nodes: BTreeMap<String, NodeOut> = BTreeMap::new();
    let mut edges: Vec<(String, String)> = Vec::new();
    // Each neuron population's parameters, and its threshold.
    let mut theta = BTreeMap::new();
    for p in pops.iter().filter(|p| p.kind == PopulationKind::Neurons) {
        let profiles = net.neuron_profiles();
        let first = profiles[p.first as usize];
        if profiles[p.first as usize..(p.first + p.size) as usize]
            .iter()
            .any(|&q| q != first)
        {
            return Err(pop_error(p, "its neurons have different parameters"));
        }
        let q = net.profiles()[first as usize];
        let v_init = &net.v_init()[p.first as usize..(p.first + p.size) as usize];
        if v_init.iter().any(|&v| v != 0) {
            left_out.push(format!("{}'s initial potentials (NIR's neurons start at 0)", p.name));
        }
        let (node, th) = neuron_node(p, &q, dt)?;
        // A weight lands in u, which the membrane takes u_shift bits finer.
        theta.insert(p.name.clone(), th * f64::from(1u16 << q.u_shift));
        nodes.insert(name_of(p), node);
    }
    for p in pops.iter().filter(|p| p.kind == PopulationKind::Axons && !always_on(p)) {
        nodes.insert(
            name_of(p),
            NodeOut {
                kind: "Input",
                params: Vec::new(),
                ints: vec![("shape", vec![i64::from(p.size)])],
            },
        );
    }

    // The synapses, by (target, source, delay): summed weights in units of
    // the target's threshold (in u's units: times 2^u_shift).
    type Key = (String, String, u8);
    let mut matrices: BTreeMap<Key, Vec<f64>> = BTreeMap::new();
    let mut feeds = std::collections::HashSet::new();
    for s in 0..net.num_sources() {
        let source = net.source_of(s);
        let Some(from) = net.source_population(s) else { continue };
        let k = match source {
            Source::Axon(a) | Source::Neuron(a) => a - from.first,
        };
        for (_, syn) in net.synapses_of(source) {
            let Some(to) = net.population_of(PopulationKind::Neurons, syn.target) else {
                continue;
            };
            if from.name != to.name {
                feeds.insert(from.name.clone());
            }
            let x = f64::from(i32::from(syn.weight) << syn.wexp) / theta[&to.name];
            let m = matrices
                .entry((to.name.clone(), from.name.clone(), syn.delay))
                .or_insert_with(|| vec![0.0; (to.size * from.size) as usize]);
            m[((syn.target - to.first) * from.size + k) as usize] += x;
        }
    }
    // Biases: the always-on axons' weights, by target.
    let mut biases: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for ((to, from, delay), m) in &matrices {
        let p = net.population(from).expect("a source population");
        if p.kind == PopulationKind::Axons && always_on(p) {
            if *delay != 1 {
                return Err(ExportError::Network(format!(
                    "the always-on axon {from} reaches {to} with a delay of {delay} ticks; as a bias it must take one"
                )));
            }
            let b = biases.entry(to.clone()).or_insert_with(|| vec![0.0; m.len()]);
            b.iter_mut().zip(m).for_each(|(b, x)| *b += x);
        }
    }
    let mut used = nodes.keys().cloned().collect::<std::collections::HashSet<_>>();
    let mut fresh = |base: String| {
        let mut n = base;
        while !used.insert(n.clone()) {
            n.push('_');
        }
        n
    };
    for ((to, from, delay), m) in &matrices {
        let p = net.population(from).expect("a source population");
        if p.kind == PopulationKind::Axons && always_on(p) {
            continue;
        }
        let rows = net.population(to).expect("a target population").size as usize;
        let cols = p.size as usize;
        let suffix = if *delay == 1 {
            String::new()
        } else {
            format!("_d{delay}")
        };
        let mut at = from.clone();
        if *delay > 1 {
            let d = fresh(format!("delay_{from}_{to}{suffix}"));
            nodes.insert(
                d.clone(),
                NodeOut {
                    kind: "Delay",
                    params: vec![("delay", vec![cols], vec![f64::from(delay - 1) * dt; cols])],
                    ints: Vec::new(),
                },
            );
            edges.push((at, d.clone()));
            at = d;
        }
        let w = fresh(format!("w_{from}_{to}{suffix}"));
        let mut params = vec![("weight", vec![rows, cols], m.clone())];
        let kind = match (*delay == 1).then(|| biases.remove(to)).flatten() {
            Some(b) => {
                params.push(("bias", vec![rows], b));
                "Affine"
            }
            None => "Linear",
        };
        nodes.insert(
            w.clone(),
            NodeOut {
                kind,
                params,
                ints: Vec::new(),
            },
        );
        edges.push((at, w.clone()));
        edges.push((w, to.clone()));
    }
    if let Some(to) = biases.keys().next() {
        return Err(ExportError::Network(format!(
            "{to} takes an always-on axon but no other input with one tick's delay: NIR puts a bias on a weight node"
        )));
    }
    // Outputs: the neuron populations that feed no other (all of them if
    // every one does).
    let neurons: Vec<_> = pops.iter().filter(|p| p.kind == PopulationKind::Neurons).collect();
    let mut outs: Vec<_> = neurons.iter().filter(|p| !feeds.contains(&p.name)).collect();
    if outs.is_empty() {
        outs = neurons.iter().collect();
    }
    let single = outs.len() == 1;
    for p in outs {
        let o = fresh(if single {
            "output".to_string()
        } else {
            format!("output_{}", p.name)
        });
        nodes.insert(
            o.clone(),
            NodeOut {
                kind: "Output",
                params: Vec::new(),
                ints: vec![("shape", vec![i64::from(p.size)])],
            },
        );
        edges.push((p.name.clone(), o));
    }
    let bytes = write(&nodes, &edges)?;
    Ok(Export {
        bytes,
        nodes: nodes.iter().map(|(n, o)| (n.clone(), o.kind)).collect(),
        left_out,
    })
}

fn pop_error(p: &spikefab_sim::network::Population, reason: impl Into<String>) -> ExportError {
    ExportError::Population {
        population: p.name.clone(),
        reason: reason.into(),
    }
}

/// A neuron population's node, and its threshold (its voltage unit).
fn neuron_node(
    p: &spikefab_sim::network::Population,
    q: &NeuronParams,
    dt: f64,
) -> Result<(NodeOut, f64), ExportError> {
    let refuse = |reason: String| Err(pop_error(p, reason));
    if q.refractory > 0 {
        return refuse(format!(
            "a refractory period of {} ticks: NIR's neurons have none",
            q.refractory
        ));
    }
    if q.theta_inc > 0 {
        return refuse("an adaptive threshold (theta_inc): NIR's neurons have a fixed one".into());
    }
    if q.theta_base <= 0 {
        return refuse("a threshold of 0: NIR's voltages are given in units of it".into());
    }
    if q.du == 0 {
        return refuse("a synaptic current that never decays (du = 0)".into());
    }
    if q.dv == 0 && q.bias != 0 {
        return refuse("a bias without a leak (dv = 0): NIR's IF has no constant input".into());
    }
    let th = f64::from(q.theta_base);
    let n = p.size as usize;
    let tau = |d: u16| 4096.0 * dt / f64::from(d);
    let all = |x: f64| (vec![n], vec![x; n]);
    let v_reset = f64::from(q.v_reset) / th;
    let leak = match q.dv {
        0 => 0.0,
        dv => f64::from(q.bias) * 4096.0 / f64::from(dv) / th,
    };
    let mut params = Vec::new();
    let mut put = |name: &'static str, x: f64| {
        let (shape, values) = all(x);
        params.push((name, shape, values));
    };
    let kind = match (q.du, q.dv) {
        (4096, 0) => {
            put("r", 1.0);
            "IF"
        }
        (4096, dv) => {
            put("tau", tau(dv));
            put("r", tau(dv) / dt);
            put("v_leak", leak);
            "LIF"
        }
        (du, 0) => {
            return refuse(format!(
            "a synaptic current (du = {du}) into a membrane without a leak (dv = 0): NIR's IF takes its input directly"
        ))
        }
        (du, dv) => {
            put("tau_syn", tau(du));
            put("tau_mem", tau(dv));
            put("r", tau(dv) / dt);
            put("w_in", tau(du) / dt);
            put("v_leak", leak);
            "CubaLIF"
        }
    };
    put("v_threshold", 1.0);
    put("v_reset", v_reset);
    Ok((
        NodeOut {
            kind,
            params,
            ints: Vec::new(),
        },
        th,
    ))
}

/// The HDF5 file of a graph, laid out as nir writes it.
fn write(nodes: &BTreeMap<String, NodeOut>, edges: &[(String, String)]) -> Result<Vec<u8>, ExportError> {
    let mut b = FileBuilder::new();
    b.create_dataset("version")
        .with_vlen_strings(&[VERSION])
        .with_shape(&[]);
    let mut graph = b.create_group("node");
    graph
        .create_dataset("type")
        .with_vlen_strings(&["NIRGraph"])
        .with_shape(&[]);
    let flat: Vec<&str> = edges.iter().flat_map(|(a, c)| [a.as_str(), c.as_str()]).collect();
    graph
        .create_dataset("edges")
        .with_vlen_strings(&flat)
        .with_shape(&[edges.len() as u64, 2]);
    let mut group = graph.create_group("nodes");
    for (name, n) in nodes {
        let mut g = group.create_group(name);
        g.create_dataset("type").with_vlen_strings(&[n.kind]).with_shape(&[]);
        for (p, shape, values) in &n.params {
            let shape: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
            g.create_dataset(p).with_f64_data(values).with_shape(&shape);
        }
        for (p, values) in &n.ints {
            g.create_dataset(p).with_i64_data(values);
        }
        group.add_group(g.finish());
    }
    graph.add_group(group.finish());
    b.add_group(graph.finish());
    b.finish().map_err(|e| ExportError::Write(e.to_string()))
}
