//! Spikefab's error types as Python exceptions: one base class,
//! `spikefab.Error`, and a subclass per kind of failure, each with the same
//! message the CLI prints.

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::{create_exception, PyErr};

use spikefab_host::load::LoadError;
use spikefab_host::session::{SessionError, Stopped};
use spikefab_host::spike_files::SpikeFileError;
use spikefab_host::state_file::StateFileError;
use spikefab_host::{outputs::OutputError, plot::PlotError};

create_exception!(
    spikefab,
    Error,
    PyException,
    "Every error of spikefab: catch this for any of them."
);
create_exception!(
    spikefab,
    ConfigError,
    Error,
    "A network (file, dict or setting) that cannot be loaded: the message names the problem and where it is."
);
create_exception!(
    spikefab,
    SimError,
    Error,
    "The golden model refused the network or a recording."
);
create_exception!(
    spikefab,
    ChipError,
    Error,
    "A chip (board or virtual) could not be opened, or a run on it failed. A run cut short carries what \
     arrived before the failure: `spikes` (a dict of arrays, as Results.spikes) and `reached` (the tick)."
);
create_exception!(
    spikefab,
    FileError,
    Error,
    "A result file or plot could not be written."
);

/// The message of `e` and of its sources, as the CLI prints a chain.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

/// A Spikefab error as the Python exception of its kind.
pub trait ToPyErr {
    /// The exception.
    fn py_err(self) -> PyErr;
}

macro_rules! kind {
    ($exception:ident: $($t:ty),+) => {
        $(impl ToPyErr for $t {
            fn py_err(self) -> PyErr {
                $exception::new_err(chain(&self))
            }
        })+
    };
}

kind!(ConfigError: LoadError, spikefab_sim::config::ConfigError);
kind!(SimError: spikefab_sim::SimError);
kind!(ChipError: SessionError);
kind!(FileError: SpikeFileError, StateFileError, PlotError, OutputError);

/// A run cut short: a `ChipError` that keeps what arrived.
pub fn stopped(py: Python<'_>, s: Stopped, spikes: Bound<'_, PyAny>) -> PyErr {
    let e = ChipError::new_err(chain(&s));
    let value = e.value(py);
    // Attributes on a fresh exception object cannot fail to set.
    let _ = value.setattr("spikes", spikes);
    let _ = value.setattr("reached", s.reached);
    e
}

/// `Result<T, E>` into `PyResult<T>` through [`ToPyErr`].
pub trait OrRaise<T> {
    /// The value, or the exception of the error's kind.
    fn or_raise(self) -> PyResult<T>;
}

impl<T, E: ToPyErr> OrRaise<T> for Result<T, E> {
    fn or_raise(self) -> PyResult<T> {
        self.map_err(ToPyErr::py_err)
    }
}
