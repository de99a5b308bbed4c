//! Spikefab for Python: load a network (a file or a dict), run it in the
//! golden model or on a chip (a board or a virtual chip), verify the chip
//! against the model, and get spikes, probes, weights and state as numpy
//! arrays. The module sits on the same library as the `spikefab` CLI
//! (`spikefab_host::{load, golden, session}`), so the two give the same
//! results and the same error messages. `docs/python.md` is its tutorial.

use pyo3::prelude::*;

mod arrays;
mod chip;
mod errors;
mod network;
mod results;

/// Spikefab: an open neuromorphic chip, its golden model, and the link
/// between them.
///
/// ```python
/// import spikefab
/// net = spikefab.load("examples/stdp_homeostasis.toml")
/// r = net.simulate()                  # the golden model
/// r.spikes["tick"], r.weights["weight"]  # numpy arrays
/// assert net.verify(core="up5k", ticks=200)  # a virtual chip
/// ```
#[pymodule(name = "spikefab")]
fn spikefab(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(network::load_network, m)?)?;
    m.add_class::<network::Network>()?;
    m.add_class::<chip::Chip>()?;
    m.add_class::<results::Results>()?;
    m.add_class::<results::Verification>()?;
    m.add("Error", py.get_type::<errors::Error>())?;
    m.add("ConfigError", py.get_type::<errors::ConfigError>())?;
    m.add("SimError", py.get_type::<errors::SimError>())?;
    m.add("ChipError", py.get_type::<errors::ChipError>())?;
    m.add("FileError", py.get_type::<errors::FileError>())?;
    m.add(
        "CORES",
        spikefab_chip::config::CoreConfig::KNOWN
            .iter()
            .map(|c| c.name)
            .collect::<Vec<_>>(),
    )?;
    Ok(())
}
