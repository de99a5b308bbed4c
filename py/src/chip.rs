//! `spikefab.Chip`: a chip (a board's port, or a virtual chip started for
//! it) kept open across runs, so that a sweep loads network after network
//! without reopening the port or restarting the virtual chip. `Network.run`
//! and `Network.verify` open one for a single run.

use std::sync::{Arc, Mutex};

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

use spikefab_chip::config::CoreConfig;
use spikefab_chip::engine::EngineKind;
use spikefab_chip::image::Image;
use spikefab_host::session::{Connection, Session, SessionError, Stopped, Target, VirtualTarget};
use spikefab_host::timing::Timing;
use spikefab_host::{load, verify};
use spikefab_sim::config::Model;
use spikefab_sim::Network;

use crate::arrays;
use crate::errors::{self, OrRaise, ToPyErr};
use crate::results::{Results, Verification};

/// A core by name, or a `ValueError` naming the cores.
pub fn core_named(name: &str) -> PyResult<CoreConfig> {
    CoreConfig::by_name(name).ok_or_else(|| {
        let known: Vec<&str> = CoreConfig::KNOWN.iter().map(|c| c.name).collect();
        PyValueError::new_err(format!("no core `{name}`; the cores are: {}", known.join(", ")))
    })
}

/// An RTL engine by name, or a `ValueError` naming the engines.
fn engine_named(name: Option<&str>) -> PyResult<Option<EngineKind>> {
    name.map(|n| {
        n.parse::<EngineKind>()
            .map_err(|e| PyValueError::new_err(e.to_string()))
    })
    .transpose()
}

/// The chip asked for: the board on `port`, else a virtual chip of `core`.
pub fn connection(
    port: Option<String>,
    core: &str,
    engine: Option<&str>,
    baud: u32,
    timeout_ms: Option<u64>,
    attempts: u32,
) -> PyResult<Connection> {
    let target = match port {
        Some(p) => Target::Port(p),
        None => Target::Virtual(Box::new(VirtualTarget {
            engine: engine_named(engine)?,
            ..VirtualTarget::new(core_named(core)?)
        })),
    };
    Ok(Connection {
        target,
        baud,
        timeout: timeout_ms.map(std::time::Duration::from_millis),
        attempts,
    })
}

/// Why a run on a chip ended early: before it (loading, pacing), or during
/// it, with what had arrived.
enum Failure {
    Before(Box<SessionError>),
    During(Box<Stopped>),
}

impl From<SessionError> for Failure {
    fn from(e: SessionError) -> Failure {
        Failure::Before(Box::new(e))
    }
}

impl From<Stopped> for Failure {
    fn from(s: Stopped) -> Failure {
        Failure::During(Box::new(s))
    }
}

impl Failure {
    /// The exception: a run cut short carries the spikes that arrived.
    fn raise(self, py: Python<'_>, model: &Model) -> PyErr {
        match self {
            Failure::Before(e) => e.py_err(),
            Failure::During(s) => match arrays::spikes(py, &model.network, &s.spikes, false) {
                Ok(d) => errors::stopped(py, *s, d.into_any()),
                Err(e) => e,
            },
        }
    }
}

/// An open chip: the runtime its link runs on, and the chip.
struct Open {
    runtime: tokio::runtime::Runtime,
    live: Live,
}

/// The chip's session.
struct Live {
    session: Session,
    /// The last run paced the chip (the next unpaced run sets it back).
    paced: bool,
}

impl Live {
    /// Load `net` and pace the chip at `timing` (none: lockstep, the
    /// period of an earlier paced run cleared).
    async fn load(&mut self, net: &Network, timing: Option<&Timing>) -> Result<Image, SessionError> {
        let image = self.session.load(net).await?;
        match timing {
            Some(t) => {
                self.session.pace(t).await?;
            }
            None if self.paced => self.session.chip().set_period(0).await?,
            None => {}
        }
        self.paced = timing.is_some();
        Ok(image)
    }
}

/// `check_every` as `verify` takes it: a positive number of ticks.
pub fn check_every_ok(check_every: Option<u32>) -> PyResult<()> {
    match check_every {
        Some(0) => Err(PyValueError::new_err(
            "check_every=0: the state is compared every N ticks, N at least 1",
        )),
        _ => Ok(()),
    }
}

/// A chip kept open: the board on a serial port (`Chip(port="/dev/ttyUSB1")`)
/// or a virtual chip of a core (`Chip(core="up5k")`, the default), started
/// now and stopped by `close()` or at the end of a `with` block. `run` and
/// `verify` load a network on it and run it; the chip stays open between
/// them.
#[pyclass(frozen, module = "spikefab")]
pub struct Chip {
    open: Mutex<Option<Open>>,
    port: String,
    core: CoreConfig,
}

impl Chip {
    /// Open `connection`'s chip.
    pub fn connect(py: Python<'_>, connection: Connection) -> PyResult<Chip> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| errors::ChipError::new_err(format!("cannot start the async runtime: {e}")))?;
        let session = py
            .detach(|| runtime.block_on(Session::connect(&connection)))
            .or_raise()?;
        Ok(Chip {
            port: session.port().to_string(),
            core: session.config(),
            open: Mutex::new(Some(Open {
                runtime,
                live: Live { session, paced: false },
            })),
        })
    }

    /// Run `f` on the open chip, without the interpreter's lock.
    fn with_open<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut Open) -> Result<T, Failure> + Send,
    ) -> Result<T, Option<Failure>> {
        py.detach(|| {
            let mut open = self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            match open.as_mut() {
                Some(o) => f(o).map_err(Some),
                None => Err(None),
            }
        })
    }

    fn closed(&self) -> PyErr {
        PyRuntimeError::new_err(format!("the chip on {} is closed", self.port))
    }

    /// Load `model` and run it for `ticks` ticks, paced at `timing` if given.
    pub fn run_model(
        &self,
        py: Python<'_>,
        model: &Arc<Model>,
        ticks: Option<u32>,
        timing: Option<Timing>,
    ) -> PyResult<Results> {
        let ticks = load::ticks(model, ticks).or_raise()?;
        let net = &model.network;
        let outcome = self.with_open(py, |Open { runtime, live }| {
            runtime.block_on(async {
                let image = live.load(net, timing.as_ref()).await?;
                Ok::<_, Failure>(live.session.run(net, &image, ticks, |_, _| ()).await?)
            })
        });
        match outcome {
            Ok(run) => Ok(Results::chip(model.clone(), self.port.clone(), run.spikes, run.state)),
            Err(Some(f)) => Err(f.raise(py, model)),
            Err(None) => Err(self.closed()),
        }
    }

    /// Load `model` and verify it against the golden model.
    pub fn verify_model(
        &self,
        py: Python<'_>,
        model: &Arc<Model>,
        ticks: Option<u32>,
        check_every: Option<u32>,
    ) -> PyResult<Verification> {
        let ticks = load::ticks(model, ticks).or_raise()?;
        check_every_ok(check_every)?;
        let plan = verify::Plan {
            ticks,
            every: check_every.unwrap_or(ticks),
        };
        let net = &model.network;
        let outcome = self.with_open(py, |Open { runtime, live }| {
            runtime.block_on(async {
                let image = live.load(net, None).await?;
                Ok::<_, Failure>(live.session.verify(net, &image, plan, |_, _| ()).await?)
            })
        });
        match outcome {
            Ok(v) => Verification::new(py, model.clone(), self.port.clone(), v),
            Err(Some(f)) => Err(f.raise(py, model)),
            Err(None) => Err(self.closed()),
        }
    }
}

#[pymethods]
impl Chip {
    /// Open the board on serial port `port`, or (without one) start a
    /// virtual chip of `core` ("up5k", "hx8k", "ecp5" or "tiny") on `engine`
    /// ("verilator" or "rust-hdl"; default: Verilator where installed).
    #[new]
    #[pyo3(signature = (port = None, core = "up5k", engine = None, baud = 1_000_000, timeout_ms = None, attempts = 8))]
    fn new(
        py: Python<'_>,
        port: Option<String>,
        core: &str,
        engine: Option<&str>,
        baud: u32,
        timeout_ms: Option<u64>,
        attempts: u32,
    ) -> PyResult<Chip> {
        Chip::connect(py, connection(port, core, engine, baud, timeout_ms, attempts)?)
    }

    /// The port the chip is on (a pseudo-terminal for a virtual chip).
    #[getter]
    fn port(&self) -> &str {
        &self.port
    }

    /// The chip's core ("up5k", "hx8k", "ecp5" or "tiny").
    #[getter]
    fn core(&self) -> &str {
        self.core.name
    }

    /// Load `net` and run it for `ticks` ticks (default: its file's);
    /// `realtime`: pace ticks at `tick_us` microseconds by the chip's clock
    /// (`clock_mhz`, default: its board's). As `Network.run`.
    #[pyo3(signature = (net, ticks = None, realtime = false, tick_us = 1000.0, clock_mhz = None))]
    fn run(
        &self,
        py: Python<'_>,
        net: &crate::network::Network,
        ticks: Option<u32>,
        realtime: bool,
        tick_us: f64,
        clock_mhz: Option<f64>,
    ) -> PyResult<Results> {
        let timing = realtime.then_some(Timing { tick_us, clock_mhz });
        self.run_model(py, &net.model, ticks, timing)
    }

    /// Load `net` and verify it against the golden model, the full state
    /// compared every `check_every` ticks (default: at the end). As
    /// `Network.verify`.
    #[pyo3(signature = (net, ticks = None, check_every = None))]
    fn verify(
        &self,
        py: Python<'_>,
        net: &crate::network::Network,
        ticks: Option<u32>,
        check_every: Option<u32>,
    ) -> PyResult<Verification> {
        self.verify_model(py, &net.model, ticks, check_every)
    }

    /// Close the port (a virtual chip stops). Runs after this raise an error.
    fn close(&self, py: Python<'_>) {
        let open = py.detach(|| self.open.lock().unwrap_or_else(|p| p.into_inner()).take());
        drop(open);
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close(py);
        false
    }

    fn __repr__(&self) -> String {
        let state = match self.open.lock().map(|o| o.is_some()) {
            Ok(true) => "open",
            _ => "closed",
        };
        format!("<spikefab.Chip {} core on {} ({state})>", self.core.name, self.port)
    }
}
