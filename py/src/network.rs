//! `spikefab.Network`: a network loaded from a file or built from a dict,
//! and what can be done with it: simulate it in the golden model, run it on
//! a chip, verify the chip against the model, see what it costs each core.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use spikefab_host::timing::Timing;
use spikefab_host::{capacity, golden, load, serial};
use spikefab_sim::config::{self, Budget, Model, Setting};
use spikefab_sim::network::PopulationKind;
use spikefab_sim::snapshot;

use crate::arrays;
use crate::chip::{check_every_ok, connection, core_named, Chip};
use crate::errors::{self, OrRaise};
use crate::results::{Results, Verification};

/// A spiking network and how its file says to run it (ticks, probes,
/// weight records). Load one with `spikefab.load(path)` or build one with
/// `spikefab.Network.from_dict(d)`; it does not change once made.
#[pyclass(frozen, module = "spikefab")]
pub struct Network {
    pub(crate) model: Arc<Model>,
    name: String,
}

/// `json.dumps` default for values the json module does not know: numpy
/// scalars and arrays become numbers and lists; anything else is a
/// `ConfigError` naming its type.
#[pyfunction]
fn json_default<'py>(o: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    if o.hasattr("tolist")? {
        return o.call_method0("tolist");
    }
    let kind = o.get_type().name()?;
    Err(errors::ConfigError::new_err(format!(
        "a value of type {kind} in the network: give numbers, strings, booleans, lists and dicts (numpy values are \
         taken too)"
    )))
}

/// `value` as JSON text, numpy values included.
fn to_json(value: &Bound<'_, PyAny>) -> PyResult<String> {
    let py = value.py();
    let kwargs = PyDict::new(py);
    kwargs.set_item("default", wrap_pyfunction!(json_default, py)?)?;
    py.import("json")?
        .call_method("dumps", (value,), Some(&kwargs))?
        .extract()
}

/// A settings dict (`{"population.exc.neuron.threshold": 310}`) as settings.
fn settings(set: Option<&Bound<'_, PyDict>>) -> PyResult<Vec<Setting>> {
    let Some(set) = set else {
        return Ok(Vec::new());
    };
    set.iter()
        .map(|(k, v)| {
            let path: String = k.extract()?;
            let text = to_json(&v)?;
            let value = serde_json::from_str(&text).map_err(|e| PyValueError::new_err(e.to_string()))?;
            Setting::new(&path, value).or_raise()
        })
        .collect()
}

// The signatures write the default baud rate as a number, so that Python
// shows it; it is the CLI's.
const _: () = assert!(serial::DEFAULT_BAUD == 1_000_000);

/// Ticks between two looks for a signal (Ctrl-C) in a golden-model run.
const SIGNAL_TICKS: u32 = 4096;
// A run reports progress every PROGRESS_TICKS ticks: the looks land on them.
const _: () = assert!(SIGNAL_TICKS.is_multiple_of(golden::PROGRESS_TICKS));

impl Network {
    fn ticks_or(&self, ticks: Option<u32>) -> PyResult<u32> {
        load::ticks(&self.model, ticks).or_raise()
    }
}

#[pymethods]
impl Network {
    /// Build a network from a dict in the network file's schema (the JSON
    /// form of `docs/network-format.md`): `{"simulation": {...},
    /// "population": [...], "projection": [...], "input": [...], ...}`.
    /// Errors name the key: `population[0].neuron.threshold: ...`.
    #[staticmethod]
    #[pyo3(signature = (d, name = "<dict>"))]
    fn from_dict(d: &Bound<'_, PyDict>, name: &str) -> PyResult<Network> {
        let text = to_json(d.as_any())?;
        let model = config::parse_json_as(&text, name, None, Budget::default()).or_raise()?;
        Ok(Network {
            model: Arc::new(model),
            name: name.to_string(),
        })
    }

    /// The file (or name) it came from.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// What the quantizer chose for values given in physical units (the
    /// integers, and each parameter's error), as `spikefab inspect` prints
    /// it; None for a network in the chip's integers.
    #[getter]
    fn units(&self) -> Option<String> {
        self.model.units.as_ref().map(|r| r.to_string())
    }

    /// Each population in physical units: `{name: {"unit_mV", "zero_mV",
    /// "du", "dv", "u_shift", "bias", "threshold", "refractory"}}`; a
    /// voltage (`v`, `theta`) of `x` units is `zero_mV + x * unit_mV` mV, and
    /// a current `u` of `x` units moves `v` by `x * unit_mV / 2**u_shift` mV
    /// a tick. Empty for a network in the chip's integers.
    #[getter]
    fn scales<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (name, q) in self.model.units.iter().flat_map(|r| r.populations.iter()) {
            let p = PyDict::new(py);
            p.set_item("unit_mV", q.unit)?;
            p.set_item("zero_mV", q.zero)?;
            p.set_item("du", q.du)?;
            p.set_item("dv", q.dv)?;
            p.set_item("u_shift", q.u_shift)?;
            p.set_item("bias", q.bias)?;
            p.set_item("threshold", q.threshold)?;
            p.set_item("refractory", q.refractory)?;
            d.set_item(name, p)?;
        }
        Ok(d)
    }

    /// Neurons.
    #[getter]
    fn neurons(&self) -> u32 {
        self.model.network.num_neurons()
    }

    /// Input axons.
    #[getter]
    fn axons(&self) -> u32 {
        self.model.network.num_axons()
    }

    /// Synapses.
    #[getter]
    fn synapses(&self) -> u64 {
        self.model.network.num_synapses()
    }

    /// Plastic (STDP) synapses.
    #[getter]
    fn plastic(&self) -> u64 {
        self.model.network.num_plastic()
    }

    /// The ticks the file says to run.
    #[getter]
    fn ticks(&self) -> u32 {
        self.model.run.ticks
    }

    /// The populations, in order: a list of dicts `name`, `kind`
    /// ("neurons" or "axons"), `first` (global id of the first member) and
    /// `size`.
    #[getter]
    fn populations<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for p in self.model.network.populations() {
            let d = PyDict::new(py);
            d.set_item("name", &p.name)?;
            let kind = match p.kind {
                PopulationKind::Neurons => "neurons",
                PopulationKind::Axons => "axons",
            };
            d.set_item("kind", kind)?;
            d.set_item("first", p.first)?;
            d.set_item("size", p.size)?;
            list.append(d)?;
        }
        Ok(list)
    }

    /// The input spikes: `{"tick": array, "axon": array}`.
    #[getter]
    fn inputs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let inputs = self.model.network.inputs();
        let d = PyDict::new(py);
        d.set_item("tick", arrays::array(py, inputs.iter().map(|s| s.tick).collect()))?;
        d.set_item("axon", arrays::array(py, inputs.iter().map(|s| s.axon).collect()))?;
        Ok(d)
    }

    /// Run in the golden model (software, bit- and cycle-exact to the
    /// chip) for `ticks` ticks (default: the file's), recording the spikes
    /// with their busy cycles, the file's probes and weight records and the
    /// final state. `dense`: update every neuron every tick (the same
    /// results). `core`: predict cycles for this core (default: one shaped
    /// like the network). `threads`: threads to simulate on (default: one
    /// per core; the results are the same for any number).
    #[pyo3(signature = (ticks = None, dense = false, core = None, threads = None))]
    fn simulate(
        &self,
        py: Python<'_>,
        ticks: Option<u32>,
        dense: bool,
        core: Option<&str>,
        threads: Option<usize>,
    ) -> PyResult<Results> {
        let ticks = self.ticks_or(ticks)?;
        let options = golden::Options {
            dense,
            core: core.map(core_named).transpose()?.map(|c| c.shape()),
            threads: threads.unwrap_or(0),
            weights: true,
        };
        let model = self.model.clone();
        // Ctrl-C is seen every few thousand ticks: the interpreter's lock is
        // taken back for a moment to ask.
        let mut interrupted = None;
        let run = py
            .detach(|| {
                golden::simulate(&model, ticks, options, |t, _| {
                    if t % SIGNAL_TICKS != 0 {
                        return ControlFlow::Continue(());
                    }
                    match Python::attach(|py| py.check_signals()) {
                        Ok(()) => ControlFlow::Continue(()),
                        Err(e) => {
                            interrupted = Some(e);
                            ControlFlow::Break(())
                        }
                    }
                })
            })
            .or_raise()?;
        if let Some(e) = interrupted {
            return Err(e);
        }
        Ok(Results::golden(self.model.clone(), run))
    }

    /// Run on a chip: the board on serial port `port`, or (without one) a
    /// virtual chip of `core` started for this run on `engine`
    /// ("verilator" or "rust-hdl"; default: Verilator where installed).
    /// Loads the network, runs `ticks` ticks (default: the file's), reads
    /// the final state back. `realtime`: pace ticks at `tick_us`
    /// microseconds by the chip's clock (`clock_mhz`, default: its board's).
    /// A run cut short raises `ChipError` with the spikes that arrived.
    #[pyo3(signature = (port = None, core = "up5k", ticks = None, engine = None, baud = 1_000_000,
                        timeout_ms = None, attempts = 8, realtime = false, tick_us = 1000.0, clock_mhz = None))]
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        py: Python<'_>,
        port: Option<String>,
        core: &str,
        ticks: Option<u32>,
        engine: Option<&str>,
        baud: u32,
        timeout_ms: Option<u64>,
        attempts: u32,
        realtime: bool,
        tick_us: f64,
        clock_mhz: Option<f64>,
    ) -> PyResult<Results> {
        self.ticks_or(ticks)?;
        let connection = connection(port, core, engine, baud, timeout_ms, attempts)?;
        connection.check_fit(&self.model.network).or_raise()?;
        let chip = Chip::connect(py, connection)?;
        let timing = realtime.then_some(Timing { tick_us, clock_mhz });
        chip.run_model(py, &self.model, ticks, timing)
    }

    /// Run on a chip (as `run`) and in the golden model side by side,
    /// comparing every tick's spikes, busy cycles and cycle digest, and the
    /// full state every `check_every` ticks (default: at the end). Returns
    /// a `Verification`: true when everything agreed, else it names the
    /// first difference.
    #[pyo3(signature = (port = None, core = "up5k", ticks = None, check_every = None, engine = None,
                        baud = 1_000_000, timeout_ms = None, attempts = 8))]
    #[allow(clippy::too_many_arguments)]
    fn verify(
        &self,
        py: Python<'_>,
        port: Option<String>,
        core: &str,
        ticks: Option<u32>,
        check_every: Option<u32>,
        engine: Option<&str>,
        baud: u32,
        timeout_ms: Option<u64>,
        attempts: u32,
    ) -> PyResult<Verification> {
        self.ticks_or(ticks)?;
        check_every_ok(check_every)?;
        let connection = connection(port, core, engine, baud, timeout_ms, attempts)?;
        connection.check_fit(&self.model.network).or_raise()?;
        let chip = Chip::connect(py, connection)?;
        chip.verify_model(py, &self.model, ticks, check_every)
    }

    /// What the network costs each core, as `spikefab inspect` prints it:
    /// per projection the synapse-memory words and routing clocks, which
    /// cores it fits with the predicted cycles per tick and real-time
    /// factor, and what to cut where it does not fit.
    #[pyo3(signature = (ticks = None, tick_us = 1000.0, clock_mhz = None))]
    fn inspect(&self, py: Python<'_>, ticks: Option<u32>, tick_us: f64, clock_mhz: Option<f64>) -> PyResult<String> {
        let how = capacity::Inspect {
            ticks: ticks.unwrap_or(self.model.run.ticks),
            timing: Timing { tick_us, clock_mhz },
        };
        let model = self.model.clone();
        py.detach(move || capacity::report(&model.network, how)).or_raise()
    }

    /// Save as a model snapshot (`.bin`), which `spikefab.load` and the CLI
    /// read back.
    fn save(&self, path: PathBuf) -> PyResult<()> {
        snapshot::save_model(&path, &self.model).map_err(|e| errors::FileError::new_err(e.to_string()))
    }

    fn __repr__(&self) -> String {
        let net = &self.model.network;
        format!(
            "<spikefab.Network {}: {} neurons, {} axons, {} synapses ({} plastic), {} ticks>",
            self.name,
            net.num_neurons(),
            net.num_axons(),
            net.num_synapses(),
            net.num_plastic(),
            self.model.run.ticks
        )
    }
}

/// Load a network file (`.toml`, `.json`) or a model snapshot (`.bin`).
/// `set`: values to change before the file is read, by dotted path
/// (`{"population.exc.neuron.threshold": 310}`), checked as if written in
/// the file; `seed`: the file's `[simulation] seed`; `inputs`: input spikes
/// (CSV `tick,axon` or `.bin`) instead of the file's.
#[pyfunction]
#[pyo3(name = "load", signature = (path, set = None, seed = None, inputs = None))]
pub fn load_network(
    path: PathBuf,
    set: Option<&Bound<'_, PyDict>>,
    seed: Option<u64>,
    inputs: Option<PathBuf>,
) -> PyResult<Network> {
    let mut changes = load::Changes {
        settings: settings(set)?,
        inputs,
    };
    changes.settings.extend(seed.map(Setting::seed));
    let model = load::model_with(&path, &changes).or_raise()?;
    Ok(Network {
        model: Arc::new(model),
        name: path.display().to_string(),
    })
}
