//! `spikefab.Results` (what a run produced, in the golden model or on a
//! chip) and `spikefab.Verification` (a chip run checked against the golden
//! model): numpy arrays out, and the CLI's files and plots written from
//! them.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use spikefab_host::golden::GoldenRun;
use spikefab_host::outputs::{self, OutputKind};
use spikefab_host::verify::Verification as Verified;
use spikefab_host::{raster, rates, spike_files, state_file, traces, weights};
use spikefab_sim::config::Model;
use spikefab_sim::record::{ProbeTrace, RunStats, WeightTrace};
use spikefab_sim::{SpikeEvent, StateDump};

use crate::arrays;
use crate::errors::OrRaise;

/// `tick_us` as a tick length: a positive number of microseconds.
fn tick_length(tick_us: f64) -> PyResult<()> {
    match tick_us.is_finite() && tick_us > 0.0 {
        true => Ok(()),
        false => Err(PyValueError::new_err(format!(
            "tick_us={tick_us}: a tick lasts a positive number of microseconds"
        ))),
    }
}

/// What a run produced: its spikes, final state and weights, and in the
/// golden model its probe traces, weight records, counts and each spike's
/// busy cycle. Each property builds fresh numpy arrays.
#[pyclass(frozen, module = "spikefab")]
pub struct Results {
    model: Arc<Model>,
    source: String,
    spikes: Vec<SpikeEvent>,
    state: StateDump,
    probes: Vec<ProbeTrace>,
    weight_traces: Vec<WeightTrace>,
    stats: Option<RunStats>,
}

impl Results {
    /// A golden-model run's.
    pub fn golden(model: Arc<Model>, run: GoldenRun) -> Results {
        Results {
            model,
            source: "golden model".to_string(),
            spikes: run.spikes,
            state: run.state,
            probes: run.probes,
            weight_traces: run.weight_traces,
            stats: Some(run.stats),
        }
    }

    /// A chip run's (on `port`).
    pub fn chip(model: Arc<Model>, port: String, spikes: Vec<SpikeEvent>, state: StateDump) -> Results {
        Results {
            model,
            source: format!("chip on {port}"),
            spikes,
            state,
            probes: Vec::new(),
            weight_traces: Vec::new(),
            stats: None,
        }
    }

    fn is_golden(&self) -> bool {
        self.stats.is_some()
    }

    fn title(&self) -> String {
        format!("spikefab ({})", self.source)
    }
}

#[pymethods]
impl Results {
    /// Where the run ran: "golden model" or "chip on PORT".
    #[getter]
    fn source(&self) -> &str {
        &self.source
    }

    /// Ticks run.
    #[getter]
    fn ticks(&self) -> u32 {
        self.state.ticks
    }

    /// Busy cycles of the whole run (the chip's counter, or the golden
    /// model's prediction of it).
    #[getter]
    fn cycles(&self) -> u64 {
        self.state.cycle
    }

    /// Output spikes in order: `{"tick", "neuron", "population", "index"}`
    /// arrays (`neuron` the global id, `index` within the population), and
    /// from the golden model `"cycle"`, each spike's busy cycle.
    #[getter]
    fn spikes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        arrays::spikes(py, &self.model.network, &self.spikes, self.is_golden())
    }

    /// Every synapse after the run: `{"synapse", "projection", "pre",
    /// "pre_index", "post", "post_index", "delay", "plastic", "initial",
    /// "weight", "fraction"}` arrays, canonical order (`fraction`: a plastic
    /// weight's 1/256 steps, spec §5.3).
    #[getter]
    fn weights<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        arrays::weights(
            py,
            &self.model.network,
            &self.state.weights,
            &self.state.weight_fractions,
        )
    }

    /// The final state: per-neuron `u`, `v`, `theta`, `refractory`,
    /// `x_post`, `post_history` (with `neuron`, `population`, `index`),
    /// per-source `x_pre`,
    /// the delay `ring`, and `tick`, `cycle`, `lfsr`; for a network in
    /// physical units also `v_mV` and `theta_mV` (NaN for a population in
    /// integers).
    #[getter]
    fn state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        arrays::state(py, &self.model.network, &self.state, self.model.units.as_ref())
    }

    /// The file's probes (golden model only; a chip records none), by
    /// variable: `{"v": {"neuron", "population", "index", "values"}}`,
    /// `values[k, t]` the k-th probed neuron's value at the end of tick t;
    /// `v` and `theta` of a network in physical units also in mV
    /// (`values_mV`, NaN for a population in integers).
    #[getter]
    fn probes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        arrays::probes(py, &self.model.network, &self.probes, self.model.units.as_ref())
    }

    /// The file's `[[record.weights]]` (golden model only), one dict each:
    /// `synapse`, `pre`, `pre_index`, `post`, `post_index`, `tick` and
    /// `weights[k, j]`, synapse j's weight at sample k.
    #[getter]
    fn weight_traces<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        arrays::weight_traces(py, &self.model.network, &self.weight_traces)
    }

    /// Counts of the run (golden model only, else None): `spikes`,
    /// `input_spikes`, `synaptic_events`, `neuron_updates`,
    /// `weight_updates`.
    #[getter]
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(s) = self.stats else {
            return Ok(None);
        };
        let d = PyDict::new(py);
        d.set_item("spikes", s.spikes)?;
        d.set_item("input_spikes", s.input_spikes)?;
        d.set_item("synaptic_events", s.synaptic_events)?;
        d.set_item("neuron_updates", s.neuron_updates)?;
        d.set_item("weight_updates", s.weight_updates)?;
        Ok(Some(d))
    }

    /// Each neuron population's firing rate in Hz per neuron over bins of
    /// `bin` ticks (default: about 100 bins over the run), ticks of
    /// `tick_us` microseconds: `{"tick": first tick of each bin, name: Hz,
    /// ...}`.
    #[pyo3(signature = (bin = None, tick_us = 1000.0))]
    fn rates<'py>(&self, py: Python<'py>, bin: Option<u32>, tick_us: f64) -> PyResult<Bound<'py, PyDict>> {
        if bin == Some(0) {
            return Err(PyValueError::new_err("bin=0: a bin is 1 tick or more"));
        }
        tick_length(tick_us)?;
        let ticks = self.state.ticks;
        let bin = bin.unwrap_or_else(|| rates::bin_for(ticks));
        let d = PyDict::new(py);
        d.set_item("tick", arrays::array(py, (0..ticks).step_by(bin as usize).collect()))?;
        for p in rates::population_rates(&self.model.network, &self.spikes, ticks, bin, tick_us) {
            d.set_item(p.name, arrays::array(py, p.hz))?;
        }
        Ok(d)
    }

    /// Write the spikes as the CLI does: CSV (`tick,neuron,cycle,population,
    /// index` from the golden model, `tick,neuron,population,index` from a
    /// chip) or, from the golden model, a `.bin` snapshot.
    fn write_spikes(&self, path: PathBuf) -> PyResult<()> {
        let net = &self.model.network;
        outputs::check(&path, OutputKind::Spikes).or_raise()?;
        match self.is_golden() {
            true => spike_files::write_spikes(&path, net, &self.spikes),
            false => spike_files::write_unstamped(&path, net, &self.spikes),
        }
        .or_raise()
    }

    /// Write the final state as JSON (populations, neurons, synapse rows
    /// with their ends), as `spikefab run --state` does.
    fn write_state(&self, path: PathBuf) -> PyResult<()> {
        outputs::check(&path, OutputKind::State).or_raise()?;
        state_file::write(&path, &self.model.network, &self.state).or_raise()
    }

    /// Write the probe traces as CSV (`tick,neuron,var,value,population,index`).
    fn write_probes(&self, path: PathBuf) -> PyResult<()> {
        outputs::check(&path, OutputKind::Probes).or_raise()?;
        spike_files::write_probes(&path, &self.model.network, &self.probes).or_raise()
    }

    /// Draw a plot (`.svg` or `.png`) as the CLI does: `kind` "raster"
    /// (spikes with population bands), "rates" (each population's rate over
    /// time, at `tick_us`), "weights" (histograms before and after),
    /// "traces" (the probes) or "weight_traces" (the recorded weights).
    #[pyo3(signature = (kind, path, tick_us = 1000.0))]
    fn plot(&self, kind: &str, path: PathBuf, tick_us: f64) -> PyResult<()> {
        tick_length(tick_us)?;
        let (net, title) = (&self.model.network, self.title());
        let output = match kind {
            "raster" => OutputKind::Raster,
            "rates" => OutputKind::Rates,
            "weights" => OutputKind::Weights,
            "traces" => OutputKind::Traces,
            "weight_traces" => OutputKind::WeightTrace,
            _ => {
                return Err(PyValueError::new_err(format!(
                    "no plot kind `{kind}`; the kinds are: raster, rates, weights, traces, weight_traces"
                )))
            }
        };
        outputs::check(&path, output).or_raise()?;
        let ticks = self.state.ticks;
        match kind {
            "raster" => raster::draw(&path, net, &self.spikes, ticks, &title),
            "rates" => rates::draw(&path, net, &self.spikes, ticks, tick_us, &title),
            "weights" => weights::draw(&path, net, &self.state.weights, &title),
            "traces" => traces::draw(&path, net, &self.probes, &title),
            _ => weights::draw_traces(&path, net, &self.weight_traces, &title),
        }
        .or_raise()
    }

    fn __repr__(&self) -> String {
        format!(
            "<spikefab.Results from the {}: {} ticks, {} spikes, {} cycles>",
            self.source,
            self.state.ticks,
            self.spikes.len(),
            self.state.cycle
        )
    }
}

/// A chip run checked against the golden model, tick by tick and at each
/// checkpoint field by field. True when everything agreed.
#[pyclass(frozen, module = "spikefab")]
pub struct Verification {
    chip: Py<Results>,
    golden_spikes: Vec<SpikeEvent>,
    model: Arc<Model>,
    v: Verified,
}

impl Verification {
    /// `v`, run on the chip on `port`.
    pub fn new(py: Python<'_>, model: Arc<Model>, port: String, v: Verified) -> PyResult<Verification> {
        let chip = Results::chip(model.clone(), port, v.chip_spikes.clone(), v.chip_state.clone());
        Ok(Verification {
            chip: Py::new(py, chip)?,
            golden_spikes: v.sim_spikes.clone(),
            model,
            v,
        })
    }
}

#[pymethods]
impl Verification {
    /// The chip and the golden model agreed on every spike, every tick's
    /// busy cycles and cycle digest, and the full state at every checkpoint.
    #[getter]
    fn verified(&self) -> bool {
        self.v.identical()
    }

    fn __bool__(&self) -> bool {
        self.v.identical()
    }

    /// The first difference (tick, cycle, field, both values), or None.
    #[getter]
    fn divergence(&self) -> Option<String> {
        self.v.divergence.as_ref().map(|d| d.to_string())
    }

    /// The tick of the first difference, or None.
    #[getter]
    fn divergence_tick(&self) -> Option<u32> {
        self.v.divergence.as_ref().map(|d| d.tick)
    }

    /// Ticks run (up to the difference, if any).
    #[getter]
    fn ticks(&self) -> u32 {
        self.v.ticks
    }

    /// The ticks at which the full state was compared.
    #[getter]
    fn checkpoints(&self) -> Vec<u32> {
        self.v.checkpoints.clone()
    }

    /// The chip's run: its spikes and its state at the last checkpoint.
    #[getter]
    fn chip(&self, py: Python<'_>) -> Py<Results> {
        self.chip.clone_ref(py)
    }

    /// The golden model's spikes, as `Results.spikes` with their cycles.
    #[getter]
    fn golden_spikes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        arrays::spikes(py, &self.model.network, &self.golden_spikes, true)
    }

    fn __repr__(&self) -> String {
        match &self.v.divergence {
            None => format!(
                "<spikefab.Verification VERIFIED: {} ticks, {} spikes, state compared at ticks {:?}>",
                self.v.ticks,
                self.v.chip_spikes.len(),
                self.v.checkpoints
            ),
            Some(d) => format!("<spikefab.Verification DIVERGED: {d}>"),
        }
    }
}
