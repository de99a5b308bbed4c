//! Network files (`docs/network-format.md`): the serde model of a network in
//! TOML or JSON, its validation, and its expansion into a [`Network`].
//!
//! Every value is range-checked before anything runs, and an error names the
//! section, the field and the reason, e.g.
//! `projection[2] (exc -> inh).delay: 0 is out of range 1..=255`.

mod error;
mod expand;
mod overrides;
mod physical;
mod value;

use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

pub use error::ConfigError;
pub use expand::Keep;
pub use overrides::Setting;
pub use physical::{LifSection, Lowered, Report, StdpSection};
pub use value::{FloatSpec, IntSampler, IntSpec};

use crate::dither::Rounding;
use crate::learning::StdpFields;
use crate::network::{Network, NetworkRecord};
use crate::neuron::NeuronFields;
use crate::record::Var;

/// A network file as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkFile {
    /// Run length and the default seed.
    #[serde(default)]
    pub simulation: SimulationSection,
    /// The STDP rule; learning is off without it.
    pub learning: Option<StdpFields>,
    /// The STDP rule in physical units (instead of `[learning]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdp: Option<StdpSection>,
    /// Neuron populations, `[[population]]`.
    #[serde(default, rename = "population")]
    pub populations: Vec<PopulationSection>,
    /// Input-axon populations, `[[input]]`.
    #[serde(default, rename = "input")]
    pub inputs: Vec<InputSection>,
    /// Projections, `[[projection]]`.
    #[serde(default, rename = "projection")]
    pub projections: Vec<ProjectionSection>,
    /// What to record.
    #[serde(default)]
    pub record: RecordSection,
}

/// `[simulation]`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimulationSection {
    /// Ticks to run (also the horizon of Poisson inputs); default
    /// [`DEFAULT_TICKS`], or `duration / dt`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticks: Option<u32>,
    /// Seed from which every unseeded random choice derives its own seed.
    pub seed: u64,
    /// Tick length in ms: needed by values in physical units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dt: Option<f64>,
    /// Run length in ms (with `dt`, instead of `ticks`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    /// How the decays round (spec §3.1): `"toward_zero"` or `"dither"`;
    /// default `"dither"` in a file with values in physical units (the
    /// quantizer's choice), `"toward_zero"` otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rounding: Option<Rounding>,
}

/// Ticks run when a file gives neither `ticks` nor `duration`.
pub const DEFAULT_TICKS: u32 = 1000;

/// `[[population]]`: neurons sharing one profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationSection {
    /// Unique name.
    pub name: String,
    /// Number of neurons.
    pub size: i64,
    /// The profile in the chip's integers (default [`NeuronFields::default`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub neuron: Option<NeuronFields>,
    /// The profile in physical units (instead of `neuron` and `v_init`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lif: Option<LifSection>,
    /// Membrane at reset (default 0).
    pub v_init: Option<IntSpec>,
}

impl PopulationSection {
    /// How messages name the `i`-th population: `population[0] (exc)`.
    pub fn item(&self, i: usize) -> String {
        format!("population[{i}] ({})", self.name)
    }
}

/// `[[input]]`: input axons and the spikes they carry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSection {
    /// Unique name.
    pub name: String,
    /// Number of axons.
    pub size: i64,
    /// Bernoulli spikes, independent per axon and tick.
    pub poisson: Option<PoissonSection>,
    /// Explicit spikes `[[tick, index], ...]`.
    #[serde(default)]
    pub spikes: Vec<Vec<i64>>,
    /// CSV file of `tick,index` rows, relative to the network file.
    pub file: Option<PathBuf>,
}

/// `poisson = { p = 0.01, seed = 1, start = 0, stop = 1000 }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoissonSection {
    /// Spike probability per axon per tick, 0..=1 (or `rate_hz`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p: Option<f64>,
    /// Rate in Hz per axon (physical units: with `[simulation] dt`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_hz: Option<f64>,
    /// Seed; derived from `[simulation] seed` if absent.
    pub seed: Option<u64>,
    /// First tick (default 0).
    pub start: Option<u32>,
    /// One past the last tick (default `[simulation] ticks`).
    pub stop: Option<u32>,
}

/// `[[projection]]`: synapses from one population to another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectionSection {
    /// Source population (neurons or inputs).
    pub from: String,
    /// Target population (neurons).
    pub to: String,
    /// Connection rule.
    pub connect: Connect,
    /// Weight mantissa, -128..=127 (or `weight_mV`, `weight_pA`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<IntSpec>,
    /// Weight exponent, 0..=7 (default 0; chosen with physical weights).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wexp: Option<i64>,
    /// Delay in ticks, 1..=255 (default 1; or `delay_ms`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay: Option<IntSpec>,
    /// Weight in mV: the jump of the target's synaptic current `g`.
    #[serde(rename = "weight_mV", skip_serializing_if = "Option::is_none")]
    pub weight_mv: Option<FloatSpec>,
    /// Weight in pA: a current jump (`g = I tau_m / c_m`).
    #[serde(rename = "weight_pA", skip_serializing_if = "Option::is_none")]
    pub weight_pa: Option<FloatSpec>,
    /// Delay in ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<FloatSpec>,
    /// Whether STDP changes these weights (needs `[learning]`).
    #[serde(default)]
    pub plastic: bool,
}

impl InputSection {
    /// How messages name the `i`-th input: `input[0] (in)`.
    pub fn item(&self, i: usize) -> String {
        format!("input[{i}] ({})", self.name)
    }
}

impl ProjectionSection {
    /// How messages name the `i`-th projection: `projection[2] (inh -> exc)`.
    pub fn item(&self, i: usize) -> String {
        format!("projection[{i}] ({} -> {})", self.from, self.to)
    }
}

fn yes() -> bool {
    true
}

/// How a projection connects its populations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum Connect {
    /// Every source to every target.
    AllToAll {
        /// Within one population, also connect a neuron to itself.
        #[serde(default)]
        allow_autapses: bool,
    },
    /// Source i to target i (sizes must match).
    OneToOne,
    /// Each pair independently with probability `p`.
    FixedProbability {
        /// Connection probability, 0..=1.
        p: f64,
        /// Seed.
        seed: Option<u64>,
        /// Within one population, allow a neuron onto itself.
        #[serde(default)]
        allow_autapses: bool,
    },
    /// Each target gets exactly `k` sources drawn uniformly.
    FixedIndegree(DegreeRule),
    /// Each source gets exactly `k` targets drawn uniformly.
    FixedOutdegree(DegreeRule),
    /// Explicit synapses `[pre, post]`, `[pre, post, weight]` or
    /// `[pre, post, weight, delay]` (indices within the populations).
    List {
        /// The synapses.
        synapses: Vec<Vec<i64>>,
    },
}

/// The fields of `fixed_indegree` and `fixed_outdegree`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DegreeRule {
    /// Partners per target (in-degree) or per source (out-degree).
    pub k: i64,
    /// Seed.
    pub seed: Option<u64>,
    /// Within one population, allow a neuron onto itself.
    #[serde(default)]
    pub allow_autapses: bool,
    /// Allow the same pair more than once (draws with replacement).
    #[serde(default = "yes")]
    pub allow_multapses: bool,
}

/// `[record]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecordSection {
    /// Record output spikes (default true).
    pub spikes: bool,
    /// State probes, `[[record.probe]]`.
    pub probe: Vec<ProbeSection>,
    /// Weight recordings, `[[record.weights]]`.
    pub weights: Vec<WeightsSection>,
}

impl Default for RecordSection {
    fn default() -> Self {
        RecordSection {
            spikes: true,
            probe: Vec::new(),
            weights: Vec::new(),
        }
    }
}

/// `[[record.weights]]`: the weights of the synapses from some neurons (or
/// axons) of one population to some neurons of another, every `every` ticks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightsSection {
    /// Presynaptic population (neurons or inputs).
    pub from: String,
    /// Postsynaptic population.
    pub to: String,
    /// Indices within `from` (default: all).
    pub pre: Option<Vec<i64>>,
    /// Indices within `to` (default: all).
    pub post: Option<Vec<i64>>,
    /// Ticks between two samples (default 1).
    pub every: Option<i64>,
}

/// Most synapses one `[[record.weights]]` may record.
pub const MAX_RECORDED_SYNAPSES: usize = 65_536;

/// Synapses whose weights are recorded every `every` ticks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightRecord {
    /// Their canonical indices, ascending.
    pub synapses: Vec<u64>,
    /// Ticks between two samples.
    pub every: u32,
}

/// `[[record.probe]]`: variables of some neurons, every tick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeSection {
    /// Population.
    pub population: String,
    /// Indices within it (default: all).
    pub neurons: Option<Vec<i64>>,
    /// Variables: u, v, theta, refractory, x_pre, x_post.
    pub vars: Vec<String>,
}

/// What to run and record, from the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSpec {
    /// Ticks to run.
    pub ticks: u32,
    /// Record output spikes.
    pub record_spikes: bool,
    /// (neuron, variable) pairs to probe every tick.
    pub probes: Vec<(u32, Var)>,
    /// Weights to record.
    pub weights: Vec<WeightRecord>,
}

/// Limits on what loading a network file may build; a file that passes one is
/// refused (with the count and the limit) before anything is allocated. The
/// memory this machine has available is a limit too, always.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Neurons and axons.
    pub neurons: u64,
    /// Synapses.
    pub synapses: u64,
    /// Random draws of one rule (pairs tested by `fixed_probability`,
    /// axon-ticks of a Poisson input).
    pub draws: u64,
}

impl Default for Budget {
    /// What the simulator can index, and 2^36 draws (hours of drawing).
    fn default() -> Self {
        Budget {
            neurons: crate::network::MAX_COUNT,
            synapses: crate::network::MAX_COUNT,
            draws: expand::MAX_DRAWS,
        }
    }
}

/// A loaded network file: the network and how to run it, and what the
/// quantizer chose if the file was in physical units. Deserialized
/// (snapshots) with its probes checked against its neurons; a snapshot holds
/// integers, so it has no quantizer report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ModelRecord")]
pub struct Model {
    /// The compiled network.
    pub network: Network,
    /// Run settings.
    pub run: RunSpec,
    /// The quantizer's choices and errors, for a file in physical units.
    #[serde(skip)]
    pub units: Option<Report>,
}

/// A [`Model`] as stored, before its probes are checked.
#[derive(Deserialize)]
struct ModelRecord {
    network: Network,
    run: RunSpec,
}

/// A [`Model`] as a snapshot stores it, its network not yet rebuilt: to
/// rebuild it for one rank ([`StoredModel::into_model`]).
#[derive(Deserialize)]
pub struct StoredModel {
    network: NetworkRecord,
    run: RunSpec,
}

impl StoredModel {
    /// The model, its network rebuilt (keeping only the synapses onto the
    /// targets `keep` gives, when given: [`crate::network::NetworkBuilder::keep_targets`])
    /// and its probes and weight records checked, as a snapshot's are.
    pub fn into_model(self, keep: Option<Keep>) -> Result<Model, String> {
        let network = Network::from_record(self.network, keep).map_err(|e| e.to_string())?;
        Model::try_from(ModelRecord { network, run: self.run })
    }
}

impl TryFrom<ModelRecord> for Model {
    type Error = String;

    fn try_from(r: ModelRecord) -> Result<Model, String> {
        let n = r.network.num_neurons();
        if let Some((neuron, var)) = r.run.probes.iter().find(|p| p.0 >= n) {
            return Err(format!(
                "probe of {} on neuron {neuron}, which does not exist ({n} neurons)",
                var.name()
            ));
        }
        let synapses = r.network.num_synapses();
        for (i, w) in r.run.weights.iter().enumerate() {
            if w.every == 0 || w.synapses.is_empty() || w.synapses.len() > MAX_RECORDED_SYNAPSES {
                return Err(format!(
                    "weight recording {i}: {} synapses every {} ticks (1 to {MAX_RECORDED_SYNAPSES} synapses, every 1 or more)",
                    w.synapses.len(),
                    w.every
                ));
            }
            if let Some(&s) = w.synapses.iter().find(|&&s| s >= synapses) {
                return Err(format!(
                    "weight recording {i}: synapse {s}, which does not exist ({synapses} synapses)"
                ));
            }
        }
        Ok(Model {
            network: r.network,
            run: r.run,
            units: None,
        })
    }
}

/// Load a `.toml` or `.json` network file; input files it names are read
/// relative to its folder.
pub fn load(path: &Path) -> Result<Model, ConfigError> {
    expand::build(&read_file(path)?, path.parent(), Budget::default())
}

/// The text of the file at `path`.
fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|cause| ConfigError::Read {
        path: path.to_path_buf(),
        cause,
    })
}

/// The network file at `path` as written (no expansion).
pub fn read_file(path: &Path) -> Result<NetworkFile, ConfigError> {
    parse_file(&read(path)?, path)
}

/// [`load`] with `settings` (`--set`, `--seed`) applied to the file's tree
/// first: the changed file is checked and expanded as if written so.
pub fn load_with(path: &Path, settings: &[Setting]) -> Result<Model, ConfigError> {
    if settings.is_empty() {
        return load(path);
    }
    expand::build(&file_with(path, settings)?, path.parent(), Budget::default())
}

/// [`load_with`], keeping only the synapses onto the targets `keep` gives
/// for the network's neuron count: one rank's share of a simulation spread
/// over ranks (`Simulator::rank_targets`). A file that records weights
/// (`[[record.weights]]`, whose selections need every synapse) is built
/// whole all the same: [`crate::Network::share`] tells which it is.
pub fn load_keeping(path: &Path, settings: &[Setting], keep: Keep) -> Result<Model, ConfigError> {
    let file = match settings.is_empty() {
        true => read_file(path)?,
        false => file_with(path, settings)?,
    };
    expand::build_keeping(&file, path.parent(), Budget::default(), Some(keep))
}

/// The network file at `path` as written, with `settings` applied to its
/// tree (no expansion).
pub fn file_with(path: &Path, settings: &[Setting]) -> Result<NetworkFile, ConfigError> {
    let text = read(path)?;
    let label = path.display().to_string();
    let mut tree: serde_json::Value = match path.extension().and_then(|e| e.to_str()) {
        Some("toml") => {
            let table: toml::Table = toml::from_str(&text).map_err(|e| ConfigError::Toml {
                file: label.clone(),
                message: e.to_string().trim_end().to_string(),
            })?;
            serde_json::to_value(table).map_err(|e| ConfigError::Toml {
                file: label.clone(),
                message: e.to_string(),
            })?
        }
        Some("json") => {
            // Syntax and schema errors with their lines, before any change.
            from_json(&text, &label)?;
            serde_json::from_str(&text).expect("the file just read as JSON")
        }
        _ => return Err(ConfigError::Extension(path.to_path_buf())),
    };
    for s in settings {
        s.apply(&mut tree)?;
    }
    serde_path_to_error::deserialize(tree).map_err(|e| ConfigError::Changed {
        file: label,
        path: e.path().to_string(),
        message: e.into_inner().to_string(),
    })
}

/// What the quantizer chose for the network file at `path`, if it has
/// values in physical units (`spikefab inspect` prints it).
pub fn quantization(path: &Path) -> Result<Option<Report>, ConfigError> {
    Ok(physical::lower(&read_file(path)?)?.report)
}

/// The network file at `path` in the chip's integers, as TOML: its values in
/// physical units replaced by what the quantizer chose (an integer file is
/// written back as it reads), input files named by absolute paths (the text
/// may be saved elsewhere); and the quantizer's report.
pub fn integer_toml(path: &Path) -> Result<(String, Option<Report>), ConfigError> {
    let parsed = read_file(path)?;
    let lowered = physical::lower(&parsed)?;
    let report = lowered.report;
    let mut file = lowered.file.into_owned();
    // A bare file name's parent is "", which has no absolute form: it is ".".
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let base = std::path::absolute(dir).map_err(|cause| ConfigError::Read {
        path: path.to_path_buf(),
        cause,
    })?;
    for input in &mut file.inputs {
        if let Some(f) = input.file.as_mut().filter(|f| f.is_relative()) {
            *f = base.join(&*f);
        }
    }
    let toml = toml::to_string(&file).map_err(|e| ConfigError::Toml {
        file: path.display().to_string(),
        message: format!("cannot write the integer form: {e}"),
    })?;
    Ok((toml, report))
}

/// Parse a network file's text by the extension of `path` (no expansion).
pub fn parse_file(text: &str, path: &Path) -> Result<NetworkFile, ConfigError> {
    let label = path.display().to_string();
    match path.extension().and_then(|e| e.to_str()) {
        Some("toml") => from_toml(text, &label),
        Some("json") => from_json(text, &label),
        _ => Err(ConfigError::Extension(path.to_path_buf())),
    }
}

/// Load a network from TOML text; `base` is the folder for input files.
pub fn parse_toml(text: &str, base: Option<&Path>) -> Result<Model, ConfigError> {
    parse_toml_within(text, base, Budget::default())
}

/// [`parse_toml`] within `budget`.
pub fn parse_toml_within(text: &str, base: Option<&Path>, budget: Budget) -> Result<Model, ConfigError> {
    expand::build(&from_toml(text, "<string>")?, base, budget)
}

/// Load a network from JSON text; `base` is the folder for input files.
pub fn parse_json(text: &str, base: Option<&Path>) -> Result<Model, ConfigError> {
    parse_json_within(text, base, Budget::default())
}

/// [`parse_json`] within `budget`.
pub fn parse_json_within(text: &str, base: Option<&Path>, budget: Budget) -> Result<Model, ConfigError> {
    parse_json_as(text, "<string>", base, budget)
}

/// [`parse_json_within`], the text named `label` in messages (a Python
/// package's network given as a dict, say).
pub fn parse_json_as(text: &str, label: &str, base: Option<&Path>, budget: Budget) -> Result<Model, ConfigError> {
    expand::build(&from_json(text, label)?, base, budget)
}

fn from_toml(text: &str, label: &str) -> Result<NetworkFile, ConfigError> {
    toml::from_str(text).map_err(|e| ConfigError::Toml {
        file: label.to_string(),
        message: e.to_string().trim_end().to_string(),
    })
}

fn from_json(text: &str, label: &str) -> Result<NetworkFile, ConfigError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        ConfigError::Json {
            file: label.to_string(),
            path,
            line: inner.line(),
            column: inner.column(),
            message: inner.to_string(),
        }
    })
}

/// The generator every random choice in a network file uses: ChaCha8, whose
/// stream is fixed for a seed on every platform.
pub fn seeded(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// The seed of an unseeded random choice: a hash of the file's global seed,
/// the section, its index and the field, so that adding a seed to one place
/// does not shift the draws anywhere else.
pub fn derive_seed(global: u64, section: &str, index: usize, field: &str) -> u64 {
    // SplitMix64 finaliser over the bytes of the name.
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut h = mix(global ^ 0x9E37_79B9_7F4A_7C15);
    for b in section.bytes().chain((index as u64).to_le_bytes()).chain(field.bytes()) {
        h = mix(h ^ b as u64);
    }
    h
}
