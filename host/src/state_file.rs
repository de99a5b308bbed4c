//! The final state as JSON (`spikefab sim|run|verify --state FILE.json`),
//! in the network's terms: the populations with their ranges of global ids,
//! the neuron and trace arrays by global id, and every synapse's weight with
//! its projection, its pre- and postsynaptic population and index, its delay
//! and whether it is plastic, in canonical order (`docs/spec.md` §4.4); and
//! the weights of `[[record.weights]]` over time as CSV.

use std::path::Path;

use serde::Serialize;
use spikefab_chip::usage::projection_name;
use spikefab_sim::network::{PopulationKind, Source};
use spikefab_sim::record::WeightTrace;
use spikefab_sim::{Network, StateDump};

/// Why the state file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum StateFileError {
    /// The weights do not belong to this network.
    #[error("the state holds {got} weights, the network has {expected} synapses")]
    Mismatch {
        /// The network's synapses.
        expected: u64,
        /// The state's weights.
        got: usize,
    },
    /// A state file that is not one of this network's.
    #[error("{path}: {reason}")]
    Read {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Writing failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A population as the state file lists it.
#[derive(Debug, Serialize)]
struct PopulationRow<'a> {
    name: &'a str,
    /// `neurons` or `inputs`.
    kind: &'static str,
    /// Its first global id (neuron or axon).
    first: u32,
    size: u32,
}

/// One synapse with its weight.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct SynapseRow<'a> {
    /// `pre -> post` by population name.
    pub projection: String,
    /// The presynaptic population.
    pub pre: &'a str,
    /// The presynaptic axon's or neuron's index in it.
    pub pre_index: u32,
    /// The postsynaptic population.
    pub post: &'a str,
    /// The postsynaptic neuron's index in it.
    pub post_index: u32,
    /// Delay in ticks.
    pub delay: u8,
    /// Learning changes it.
    pub plastic: bool,
    /// Its weight now.
    pub weight: i8,
}

/// The state file's contents.
#[derive(Debug, Serialize)]
struct StateFile<'a> {
    ticks: u32,
    cycle: u64,
    populations: Vec<PopulationRow<'a>>,
    u: &'a [i16],
    v: &'a [i16],
    theta: &'a [i16],
    refractory: &'a [u8],
    x_pre: &'a [u16],
    x_post: &'a [u16],
    post_history: &'a [u16],
    weights: Vec<SynapseRow<'a>>,
    weight_fractions: &'a [i8],
    lfsr: u16,
    ring: &'a [i16],
}

/// The population and index of a member, or `?` outside every population
/// (a network built without names).
fn place(net: &Network, kind: PopulationKind, id: u32) -> (&str, u32) {
    match net.population_of(kind, id) {
        Some(p) => (p.name.as_str(), id - p.first),
        None => ("?", id),
    }
}

/// The population and index of source index `s`.
fn source_place(net: &Network, s: u32) -> (&str, u32) {
    match net.source_of(s) {
        Source::Axon(a) => place(net, PopulationKind::Axons, a),
        Source::Neuron(n) => place(net, PopulationKind::Neurons, n),
    }
}

/// Synapse `i` (canonical index) of source `s` at `pre` with `weight`.
fn row<'a>(net: &'a Network, (pre, pre_index): (&'a str, u32), i: usize, weight: i8) -> SynapseRow<'a> {
    let syn = net.synapses();
    let (post, post_index) = place(net, PopulationKind::Neurons, syn.target(i));
    SynapseRow {
        projection: projection_name(pre, post),
        pre,
        pre_index,
        post,
        post_index,
        delay: syn.delay(i),
        plastic: syn.plastic(i),
        weight,
    }
}

/// Synapse `i` (canonical index) of `net` with `weight`; `None` past the
/// last synapse.
pub fn synapse_row(net: &Network, i: u64, weight: i8) -> Option<SynapseRow<'_>> {
    (i < net.num_synapses()).then(|| row(net, source_place(net, net.source_of_synapse(i)), i as usize, weight))
}

/// Every synapse of `net` with its weight in `weights` (canonical order).
pub fn synapse_rows<'a>(net: &'a Network, weights: &[i8]) -> Result<Vec<SynapseRow<'a>>, StateFileError> {
    if weights.len() as u64 != net.num_synapses() {
        return Err(StateFileError::Mismatch {
            expected: net.num_synapses(),
            got: weights.len(),
        });
    }
    let syn = net.synapses();
    let mut rows = Vec::with_capacity(weights.len());
    for s in 0..net.num_sources() {
        let pre = source_place(net, s);
        let range = syn.row(s as usize);
        for (i, &weight) in range.clone().zip(&weights[range]) {
            rows.push(row(net, pre, i, weight));
        }
    }
    Ok(rows)
}

/// The ticks run and the final weights (canonical order) of a state file
/// this tool wrote for `net`; every synapse row must name the ends the
/// network's synapse of that index has.
pub fn read_weights(path: &Path, net: &Network) -> Result<(u32, Vec<i8>), StateFileError> {
    let bad = |reason: String| StateFileError::Read {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let ticks = json["ticks"]
        .as_u64()
        .and_then(|t| u32::try_from(t).ok())
        .ok_or_else(|| bad("no `ticks` count (a state file of `spikefab ... --state`?)".into()))?;
    let rows = json["weights"]
        .as_array()
        .ok_or_else(|| bad("no `weights` list".into()))?;
    let want = synapse_rows(net, net.synapses().weights())?;
    if rows.len() != want.len() {
        return Err(bad(format!(
            "{} weights; the network has {} synapses (a state of another network?)",
            rows.len(),
            want.len()
        )));
    }
    let mut weights = Vec::with_capacity(rows.len());
    for (i, (row, w)) in rows.iter().zip(&want).enumerate() {
        let same = row["pre"] == w.pre
            && row["pre_index"] == w.pre_index
            && row["post"] == w.post
            && row["post_index"] == w.post_index;
        if !same {
            return Err(bad(format!(
                "weights[{i}] is not synapse {i} of the network ({} {}[{}] -> {}[{}])",
                w.projection, w.pre, w.pre_index, w.post, w.post_index
            )));
        }
        let weight = row["weight"]
            .as_i64()
            .and_then(|x| i8::try_from(x).ok())
            .ok_or_else(|| bad(format!("weights[{i}].weight is not a weight (-128..=127)")))?;
        weights.push(weight);
    }
    Ok((ticks, weights))
}

/// Write the recorded weights as CSV, one row per synapse and sample:
/// `tick,synapse,projection,pre,pre_index,post,post_index,weight` (`synapse`
/// its canonical index).
pub fn write_weight_trace(path: &Path, net: &Network, traces: &[WeightTrace]) -> Result<(), StateFileError> {
    let mut text = String::from("tick,synapse,projection,pre,pre_index,post,post_index,weight\n");
    for w in traces {
        // Each recorded synapse's ends, once.
        let ends = w
            .synapses
            .iter()
            .map(|&s| {
                synapse_row(net, s, 0).ok_or_else(|| StateFileError::Read {
                    path: path.display().to_string(),
                    reason: format!(
                        "recorded synapse {s} is not in the network ({} synapses)",
                        net.num_synapses()
                    ),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        for (k, &tick) in w.ticks.iter().enumerate() {
            let values = &w.values[k * w.synapses.len()..(k + 1) * w.synapses.len()];
            for ((&s, r), &weight) in w.synapses.iter().zip(&ends).zip(values) {
                text.push_str(&format!(
                    "{tick},{s},{},{},{},{},{},{weight}\n",
                    r.projection, r.pre, r.pre_index, r.post, r.post_index
                ));
            }
        }
    }
    std::fs::write(path, text).map_err(|source| StateFileError::Write {
        path: path.display().to_string(),
        source,
    })
}

/// Write `state` of `net` to `path` as JSON.
pub fn write(path: &Path, net: &Network, state: &StateDump) -> Result<(), StateFileError> {
    let file = StateFile {
        ticks: state.ticks,
        cycle: state.cycle,
        populations: net
            .populations()
            .iter()
            .map(|p| PopulationRow {
                name: &p.name,
                kind: match p.kind {
                    PopulationKind::Neurons => "neurons",
                    PopulationKind::Axons => "inputs",
                },
                first: p.first,
                size: p.size,
            })
            .collect(),
        u: &state.u,
        v: &state.v,
        theta: &state.theta,
        refractory: &state.refractory,
        x_pre: &state.x_pre,
        x_post: &state.x_post,
        post_history: &state.post_history,
        weights: synapse_rows(net, &state.weights)?,
        weight_fractions: &state.weight_fractions,
        lfsr: state.lfsr,
        ring: &state.ring,
    };
    let json = serde_json::to_string_pretty(&file).expect("a state serializes");
    std::fs::write(path, json).map_err(|source| StateFileError::Write {
        path: path.display().to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_synapse_is_named_by_its_endpoints() {
        let text = "[simulation]\nticks = 5\n\n[[input]]\nname = \"in\"\nsize = 2\nspikes = [[0, 1]]\n\n\
                    [[population]]\nname = \"a\"\nsize = 2\n\n[[population]]\nname = \"b\"\nsize = 3\n\n\
                    [[projection]]\nfrom = \"in\"\nto = \"a\"\nconnect = { rule = \"one_to_one\" }\nweight = 5\n\
                    delay = 2\nplastic = true\n\n[[projection]]\nfrom = \"a\"\nto = \"b\"\n\
                    connect = { rule = \"all_to_all\" }\nweight = -3\n";
        let text = format!("{}{text}", crate::spike_files::tests::LEARNING);
        let net = spikefab_sim::config::parse_toml(&text, None).unwrap().network;
        let mut weights = net.synapses().weights().to_vec();
        weights[0] = 9;
        let rows = synapse_rows(&net, &weights).unwrap();
        assert_eq!(rows.len(), 2 + 2 * 3);
        let show: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "{} {}[{}] {}[{}] d{} {} w{}",
                    r.projection, r.pre, r.pre_index, r.post, r.post_index, r.delay, r.plastic, r.weight
                )
            })
            .collect();
        assert_eq!(
            show,
            [
                "in -> a in[0] a[0] d2 true w9",
                "in -> a in[1] a[1] d2 true w5",
                "a -> b a[0] b[0] d1 false w-3",
                "a -> b a[0] b[1] d1 false w-3",
                "a -> b a[0] b[2] d1 false w-3",
                "a -> b a[1] b[0] d1 false w-3",
                "a -> b a[1] b[1] d1 false w-3",
                "a -> b a[1] b[2] d1 false w-3",
            ]
        );
        let e = synapse_rows(&net, &weights[1..]).unwrap_err();
        assert_eq!(e.to_string(), "the state holds 7 weights, the network has 8 synapses");

        // Read back from a state file, and refused for another network.
        let mut sim = spikefab_sim::Simulator::new(&net, spikefab_sim::SimOptions::default()).unwrap();
        sim.run(5);
        let path = std::env::temp_dir().join(format!("spikefab-state-{}.json", std::process::id()));
        write(&path, &net, &sim.state_dump()).unwrap();
        assert_eq!(read_weights(&path, &net).unwrap(), (5, sim.weights().to_vec()));
        let other = spikefab_sim::config::parse_toml(&text.replace("size = 3", "size = 2"), None)
            .unwrap()
            .network;
        let e = read_weights(&path, &other).unwrap_err().to_string();
        assert!(
            e.ends_with("8 weights; the network has 6 synapses (a state of another network?)"),
            "{e}"
        );
        std::fs::remove_file(&path).unwrap();
    }
}
