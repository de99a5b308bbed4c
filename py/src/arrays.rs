//! Results as Python sees them: dicts of equal-length numpy arrays, one
//! entry per column (`pandas.DataFrame(d)` makes a table of one), with
//! neurons named by population and index as the CSV files name them.

use numpy::{PyArray1, PyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use spikefab_host::state_file::{self, SynapseRow};
use spikefab_sim::config::Report;
use spikefab_sim::network::PopulationKind;
use spikefab_sim::record::{ProbeTrace, Var, WeightTrace};
use spikefab_sim::{Network, SpikeEvent, StateDump};

use crate::errors::OrRaise;

/// A numpy array of strings (`dtype` a unicode string type).
pub fn strings<'py, S: AsRef<str>>(py: Python<'py>, items: &[S]) -> PyResult<Bound<'py, PyAny>> {
    let list = PyList::new(py, items.iter().map(AsRef::as_ref))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("dtype", "str")?;
    py.import("numpy")?.call_method("array", (list,), Some(&kwargs))
}

/// A numpy array of `values`.
pub fn array<'py, T: numpy::Element>(py: Python<'py>, values: Vec<T>) -> Bound<'py, PyAny> {
    PyArray1::from_vec(py, values).into_any()
}

/// A 2-D numpy array, `rows` rows of `values.len() / rows` (row-major).
pub fn matrix<'py, T: numpy::Element + Copy>(
    py: Python<'py>,
    values: &[T],
    rows: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let cols = values.len().checked_div(rows).unwrap_or(0);
    let nested: Vec<Vec<T>> = (0..rows).map(|r| values[r * cols..(r + 1) * cols].to_vec()).collect();
    let m = PyArray2::from_vec2(py, &nested).map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    Ok(m.into_any())
}

/// Each neuron's population name and index within it.
pub struct NeuronNames<'n> {
    names: Vec<&'n str>,
    index: Vec<u32>,
}

impl<'n> NeuronNames<'n> {
    /// The neurons of `net`.
    pub fn of(net: &'n Network) -> NeuronNames<'n> {
        let n = net.num_neurons() as usize;
        let (mut names, mut index) = (vec![""; n], vec![0; n]);
        for p in net.populations().iter().filter(|p| p.kind == PopulationKind::Neurons) {
            for k in 0..p.size {
                names[(p.first + k) as usize] = &p.name;
                index[(p.first + k) as usize] = k;
            }
        }
        NeuronNames { names, index }
    }

    /// Add `population` and `index` columns for `neurons` to `d`.
    fn columns(&self, py: Python<'_>, d: &Bound<'_, PyDict>, neurons: &[u32]) -> PyResult<()> {
        let names: Vec<&str> = neurons.iter().map(|&n| self.names[n as usize]).collect();
        d.set_item("population", strings(py, &names)?)?;
        d.set_item(
            "index",
            array(py, neurons.iter().map(|&n| self.index[n as usize]).collect()),
        )?;
        Ok(())
    }
}

/// The millivolts of a voltage (`v`, `theta`) of each neuron: `zero +
/// value × unit` for a population in physical units, NaN otherwise.
pub struct Millivolts(Vec<(f64, f64)>);

impl Millivolts {
    /// The neurons of `net`, scaled as `report` says.
    pub fn of(net: &Network, report: &Report) -> Millivolts {
        let mut scale = vec![(f64::NAN, f64::NAN); net.num_neurons() as usize];
        for (name, q) in &report.populations {
            if let Some(p) = net.population(name).filter(|p| p.kind == PopulationKind::Neurons) {
                scale[p.first as usize..(p.first + p.size) as usize].fill((q.zero, q.unit));
            }
        }
        Millivolts(scale)
    }

    /// `value` units of neuron `n` in mV.
    pub fn mv(&self, n: u32, value: f64) -> f64 {
        let (zero, unit) = self.0[n as usize];
        zero + value * unit
    }
}

/// Spikes as columns `tick`, `neuron` (the global id), `population`,
/// `index`, and with `cycles`, `cycle` (each spike's busy cycle).
pub fn spikes<'py>(
    py: Python<'py>,
    net: &Network,
    spikes: &[SpikeEvent],
    cycles: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let neurons: Vec<u32> = spikes.iter().map(|s| s.neuron).collect();
    d.set_item("tick", array(py, spikes.iter().map(|s| s.tick).collect()))?;
    d.set_item("neuron", array(py, neurons.clone()))?;
    NeuronNames::of(net).columns(py, &d, &neurons)?;
    if cycles {
        d.set_item("cycle", array(py, spikes.iter().map(|s| s.cycle).collect()))?;
    }
    Ok(d)
}

/// Add the synapses' ends as columns `pre`, `pre_index`, `post`,
/// `post_index` to `d`.
fn ends(py: Python<'_>, d: &Bound<'_, PyDict>, rows: &[SynapseRow<'_>]) -> PyResult<()> {
    let pre: Vec<&str> = rows.iter().map(|r| r.pre).collect();
    d.set_item("pre", strings(py, &pre)?)?;
    d.set_item("pre_index", array(py, rows.iter().map(|r| r.pre_index).collect()))?;
    let post: Vec<&str> = rows.iter().map(|r| r.post).collect();
    d.set_item("post", strings(py, &post)?)?;
    d.set_item("post_index", array(py, rows.iter().map(|r| r.post_index).collect()))?;
    Ok(())
}

/// Every synapse of `net` as columns: `synapse` (canonical index),
/// `projection`, `pre`, `pre_index`, `post`, `post_index`, `delay`,
/// `plastic`, `initial` (the network's weight), `weight` (`weights`) and
/// `fraction` (`fractions`, spec §5.3: 0 for a fixed synapse and without
/// learning).
pub fn weights<'py>(py: Python<'py>, net: &Network, weights: &[i8], fractions: &[i8]) -> PyResult<Bound<'py, PyDict>> {
    let rows = state_file::synapse_rows(net, weights).or_raise()?;
    let d = PyDict::new(py);
    d.set_item("synapse", array(py, (0..rows.len() as u64).collect()))?;
    let projections: Vec<&str> = rows.iter().map(|r| r.projection.as_str()).collect();
    d.set_item("projection", strings(py, &projections)?)?;
    ends(py, &d, &rows)?;
    d.set_item("delay", array(py, rows.iter().map(|r| r.delay).collect()))?;
    d.set_item("plastic", array(py, rows.iter().map(|r| r.plastic).collect()))?;
    d.set_item("initial", array(py, net.synapses().weights().to_vec()))?;
    d.set_item("weight", array(py, rows.iter().map(|r| r.weight).collect()))?;
    let fraction = match fractions.len() == rows.len() {
        true => fractions.to_vec(),
        false => vec![0; rows.len()],
    };
    d.set_item("fraction", array(py, fraction))?;
    Ok(d)
}

/// The state after a run: per-neuron arrays `u`, `v`, `theta`,
/// `refractory`, `x_post`, `post_history` (with `population` and `index`;
/// the traces and history empty without learning), per-source
/// `x_pre` (axons, then neurons), and `tick`, `cycle`, `lfsr`, `ring`.
pub fn state<'py>(
    py: Python<'py>,
    net: &Network,
    s: &StateDump,
    units: Option<&Report>,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("neuron", array(py, (0..net.num_neurons()).collect()))?;
    NeuronNames::of(net).columns(py, &d, &(0..net.num_neurons()).collect::<Vec<_>>())?;
    d.set_item("u", array(py, s.u.clone()))?;
    d.set_item("v", array(py, s.v.clone()))?;
    d.set_item("theta", array(py, s.theta.clone()))?;
    d.set_item("refractory", array(py, s.refractory.clone()))?;
    d.set_item("x_post", array(py, s.x_post.clone()))?;
    d.set_item("post_history", array(py, s.post_history.clone()))?;
    d.set_item("x_pre", array(py, s.x_pre.clone()))?;
    d.set_item("ring", array(py, s.ring.clone()))?;
    if let Some(report) = units {
        let mv = Millivolts::of(net, report);
        let of = |x: &[i16]| (0..).zip(x).map(|(n, &v)| mv.mv(n, v.into())).collect::<Vec<f64>>();
        d.set_item("v_mV", array(py, of(&s.v)))?;
        d.set_item("theta_mV", array(py, of(&s.theta)))?;
    }
    d.set_item("tick", s.ticks)?;
    d.set_item("cycle", s.cycle)?;
    d.set_item("lfsr", s.lfsr)?;
    Ok(d)
}

/// Probe traces by variable: `{var: {"neuron", "population", "index",
/// "values"}}`, `values[k, t]` the `k`-th probed neuron's value at the end of
/// tick `t`.
pub fn probes<'py>(
    py: Python<'py>,
    net: &Network,
    probes: &[ProbeTrace],
    units: Option<&Report>,
) -> PyResult<Bound<'py, PyDict>> {
    let mv = units.map(|r| Millivolts::of(net, r));
    let d = PyDict::new(py);
    let names = NeuronNames::of(net);
    let mut vars = Vec::new();
    for p in probes {
        if !vars.contains(&p.var) {
            vars.push(p.var);
        }
    }
    for var in vars {
        let of_var: Vec<&ProbeTrace> = probes.iter().filter(|p| p.var == var).collect();
        let neurons: Vec<u32> = of_var.iter().map(|p| p.neuron).collect();
        let values: Vec<i32> = of_var.iter().flat_map(|p| p.values.iter().copied()).collect();
        let entry = PyDict::new(py);
        entry.set_item("neuron", array(py, neurons.clone()))?;
        names.columns(py, &entry, &neurons)?;
        entry.set_item("values", matrix(py, &values, neurons.len())?)?;
        if let (Some(mv), Var::V | Var::Theta) = (&mv, var) {
            let millivolts: Vec<f64> = of_var
                .iter()
                .flat_map(|p| p.values.iter().map(|&x| mv.mv(p.neuron, x.into())))
                .collect();
            entry.set_item("values_mV", matrix(py, &millivolts, neurons.len())?)?;
        }
        d.set_item(var.name(), entry)?;
    }
    Ok(d)
}

/// Weight records, one dict each: `synapse` (canonical indices), `pre`,
/// `pre_index`, `post`, `post_index`, `tick` (the ticks sampled) and
/// `weights[k, j]`, synapse `j`'s weight at sample `k`.
pub fn weight_traces<'py>(py: Python<'py>, net: &Network, traces: &[WeightTrace]) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for t in traces {
        let d = PyDict::new(py);
        let rows: Vec<_> = t
            .synapses
            .iter()
            .filter_map(|&i| state_file::synapse_row(net, i, 0))
            .collect();
        d.set_item("synapse", array(py, t.synapses.clone()))?;
        ends(py, &d, &rows)?;
        d.set_item("tick", array(py, t.ticks.clone()))?;
        d.set_item("weights", matrix(py, &t.values, t.ticks.len())?)?;
        list.append(d)?;
    }
    Ok(list)
}
