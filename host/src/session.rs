//! A chip to run networks on: a board's serial port, or a virtual chip (the
//! RTL core behind a pseudo-terminal) started for the session; and the runs
//! on it: load a network, run it for some ticks, or verify it against the
//! golden model. What the CLI's `run`, `verify` and `stream` and the Python
//! package's `run` and `verify` share.

use std::time::{Duration, Instant};

use spikefab_chip::config::CoreConfig;
use spikefab_chip::engine::EngineKind;
use spikefab_chip::image::{FitError, Image};
use spikefab_sim::{Network, SpikeEvent, StateDump};

use crate::driver::{Chip, ChipError, Counters, TickOutput};
use crate::faults::FaultPlan;
use crate::line::LineModel;
use crate::link::{Link, LinkSettings};
use crate::serial::{self, OpenError};
use crate::timing::{PeriodError, Timing};
use crate::verify::{self, Plan, Verification, VerifyError};

#[cfg(feature = "virtual-chip")]
pub use crate::virtual_chip::VirtualChip;

/// No virtual chip in a build without the `virtual-chip` feature: the type
/// has no values.
#[cfg(not(feature = "virtual-chip"))]
pub enum VirtualChip {}

/// Which chip.
#[derive(Debug, Clone)]
pub enum Target {
    /// A board on this serial port.
    Port(String),
    /// A virtual chip started for the session.
    Virtual(Box<VirtualTarget>),
}

/// A virtual chip to start.
#[derive(Debug, Clone)]
pub struct VirtualTarget {
    /// Its core.
    pub core: CoreConfig,
    /// Its RTL engine; none: Verilator where it is installed.
    pub engine: Option<EngineKind>,
    /// A board's link to model (UART rate, USB latency); none: as fast as
    /// the pseudo-terminal.
    pub line: Option<LineModel>,
    /// Faults on the bytes the host sends.
    pub to_chip: FaultPlan,
    /// Faults on the bytes the chip sends.
    pub from_chip: FaultPlan,
}

impl VirtualTarget {
    /// The core `core` on the preferred engine, a perfect link.
    pub fn new(core: CoreConfig) -> VirtualTarget {
        VirtualTarget {
            core,
            engine: None,
            line: None,
            to_chip: FaultPlan::none(),
            from_chip: FaultPlan::none(),
        }
    }
}

/// A chip and the link to it.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Which chip.
    pub target: Target,
    /// The serial port's baud rate.
    pub baud: u32,
    /// How long to wait for each frame of an answer before sending again;
    /// none: 2 s, or 30 s for a virtual chip on rust-hdl's simulator (which
    /// may take seconds over a busy tick).
    pub timeout: Option<Duration>,
    /// Transmissions of one command before giving up.
    pub attempts: u32,
}

impl Connection {
    /// Whether `net` fits the virtual chip this connection would start,
    /// before it is started (a board's core is known once it answers:
    /// [`Session::load`] checks then).
    pub fn check_fit(&self, net: &Network) -> Result<(), SessionError> {
        if let Target::Virtual(v) = &self.target {
            Image::new(net, v.core)?;
        }
        Ok(())
    }

    /// `target` at the default baud rate, timeout and attempts.
    pub fn new(target: Target) -> Connection {
        Connection {
            target,
            baud: serial::DEFAULT_BAUD,
            timeout: None,
            attempts: 8,
        }
    }
}

/// Why a session could not start or a run on it failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The network does not fit the chip's core.
    #[error(transparent)]
    Fit(#[from] FitError),
    /// This build has no virtual chip.
    #[error(
        "a virtual chip needs the RTL core, which this spikefab was built without (cargo feature `virtual-chip`, on \
         by default); a board works without it"
    )]
    NoVirtualChip,
    /// The virtual chip could not start.
    #[cfg(feature = "virtual-chip")]
    #[error(transparent)]
    VirtualChip(#[from] crate::virtual_chip::VirtualChipError),
    /// The serial port could not be opened.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// Nothing on the port answered as a Spikefab chip.
    #[error("no Spikefab chip answers on {port}: {source}")]
    NoChip {
        /// The port.
        port: String,
        /// What happened.
        source: ChipError,
    },
    /// The chip or the link failed.
    #[error(transparent)]
    Chip(#[from] ChipError),
    /// The golden model refused the network, or the chip failed during a
    /// verification.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The tick length cannot be paced on this chip.
    #[error(transparent)]
    Period(#[from] PeriodError),
}

/// A run on a chip cut short: the error, and what arrived before it.
#[derive(Debug, thiserror::Error)]
#[error("the run stopped at tick {reached} of {ticks}, after {} output spikes: {error}", spikes.len())]
pub struct Stopped {
    /// What failed.
    pub error: SessionError,
    /// The ticks asked for.
    pub ticks: u32,
    /// The tick the chip had reached.
    pub reached: u32,
    /// The output spikes received before the failure (cycle 0: the chip
    /// sends each tick's digest of them instead).
    pub spikes: Vec<SpikeEvent>,
}

/// A finished run on a chip.
#[derive(Debug, Clone)]
pub struct ChipRun {
    /// The output spikes, in order (cycle 0: the chip sends each tick's
    /// digest of them instead).
    pub spikes: Vec<SpikeEvent>,
    /// The chip's state after the last tick, read back.
    pub state: StateDump,
    /// The chip's tick and busy-cycle counters at the end.
    pub counters: Counters,
    /// Wall time of the run, the link included.
    pub elapsed: Duration,
}

/// An open chip.
pub struct Session {
    chip: Chip<Link>,
    port: String,
    // Kept to the end: dropping it stops the virtual chip.
    virtual_chip: Option<VirtualChip>,
}

impl Session {
    /// Open `connection`'s chip (a virtual chip is started first;
    /// [`Connection::check_fit`] says before that whether a network fits
    /// it, [`Session::load`] after).
    pub async fn connect(connection: &Connection) -> Result<Session, SessionError> {
        let (port, virtual_chip) = match &connection.target {
            Target::Port(p) => (p.clone(), None),
            Target::Virtual(v) => {
                let chip = start_virtual(v)?;
                (virtual_path(&chip), Some(chip))
            }
        };
        let timeout = connection.timeout.unwrap_or_else(|| match &virtual_chip {
            Some(c) if virtual_engine(c) == EngineKind::RustHdl => Duration::from_secs(30),
            _ => Duration::from_secs(2),
        });
        let settings = LinkSettings {
            timeout,
            attempts: connection.attempts.max(1),
        };
        let mut link = serial::open(&port, connection.baud, settings)?;
        if virtual_chip.is_some() {
            link.set_silence_hint("the virtual chip stopped answering (its thread failed or was stopped)");
        }
        let chip = Chip::connect(link).await.map_err(|source| SessionError::NoChip {
            port: port.clone(),
            source,
        })?;
        Ok(Session {
            chip,
            port,
            virtual_chip,
        })
    }

    /// The chip.
    pub fn chip(&mut self) -> &mut Chip<Link> {
        &mut self.chip
    }

    /// The chip's core.
    pub fn config(&self) -> CoreConfig {
        self.chip.config()
    }

    /// The port the chip is on (a pseudo-terminal for a virtual chip).
    pub fn port(&self) -> &str {
        &self.port
    }

    /// The virtual chip, if the session started one.
    pub fn virtual_chip(&self) -> Option<&VirtualChip> {
        self.virtual_chip.as_ref()
    }

    /// Load `net`; its memory image, which [`Session::run`] and
    /// [`Session::verify`] read the state back with.
    pub async fn load(&mut self, net: &Network) -> Result<Image, SessionError> {
        let image = self.chip.image(net)?;
        self.chip.load(&image).await?;
        Ok(image)
    }

    /// Pace the chip in real time at `timing`'s tick length.
    pub async fn pace(&mut self, timing: &Timing) -> Result<u32, SessionError> {
        let period = timing.period(self.config())?;
        self.chip.set_period(period).await?;
        Ok(period)
    }

    /// Run the loaded `net` (its memory image `image`) from tick 0 to
    /// `ticks` and read its state back; `progress` sees the tick reached and
    /// the spikes so far.
    pub async fn run(
        &mut self,
        net: &Network,
        image: &Image,
        ticks: u32,
        progress: impl FnMut(u32, usize),
    ) -> Result<ChipRun, Stopped> {
        let start = Instant::now();
        let mut outputs = Vec::new();
        let streamed = self.chip.stream_into(net.inputs(), ticks, &mut outputs, progress).await;
        let spikes: Vec<SpikeEvent> = outputs.iter().flat_map(TickOutput::spikes).collect();
        let state = match streamed {
            Ok(()) => self.chip.dump(net, image).await,
            Err(e) => Err(e),
        };
        match state {
            Ok(state) => Ok(ChipRun {
                spikes,
                state,
                counters: self.chip.counters(),
                elapsed: start.elapsed(),
            }),
            Err(e) => Err(self.stopped(e.into(), ticks, spikes)),
        }
    }

    /// Run the loaded `net` on the chip and in the golden model as `plan`
    /// says, comparing outputs tick by tick and the full state at each
    /// checkpoint, to the first difference.
    pub async fn verify(
        &mut self,
        net: &Network,
        image: &Image,
        plan: Plan,
        progress: impl FnMut(u32, usize),
    ) -> Result<Verification, Stopped> {
        let mut v = Verification::default();
        match verify::verify_into(&mut self.chip, net, image, plan, &mut v, progress).await {
            Ok(()) => Ok(v),
            Err(e) => Err(self.stopped(e.into(), plan.ticks, v.chip_spikes)),
        }
    }

    fn stopped(&self, error: SessionError, ticks: u32, spikes: Vec<SpikeEvent>) -> Stopped {
        Stopped {
            error,
            ticks,
            reached: self.chip.counters().tick,
            spikes,
        }
    }
}

/// Start the virtual chip `v` on its own thread (what [`Session::connect`]
/// does for a [`Target::Virtual`]; `spikefab chip` serves one this way).
#[cfg(feature = "virtual-chip")]
pub fn start_virtual(v: &VirtualTarget) -> Result<VirtualChip, SessionError> {
    use crate::virtual_chip::ChipOptions;
    Ok(VirtualChip::start(ChipOptions {
        config: v.core,
        engine: v.engine.unwrap_or_else(spikefab_hdl::engine::preferred),
        to_chip: v.to_chip.clone(),
        from_chip: v.from_chip.clone(),
        line: v.line,
    })?)
}

/// Start the virtual chip `v`: not in this build.
#[cfg(not(feature = "virtual-chip"))]
pub fn start_virtual(_: &VirtualTarget) -> Result<VirtualChip, SessionError> {
    Err(SessionError::NoVirtualChip)
}

#[cfg(feature = "virtual-chip")]
fn virtual_path(chip: &VirtualChip) -> String {
    chip.path().display().to_string()
}

#[cfg(not(feature = "virtual-chip"))]
fn virtual_path(chip: &VirtualChip) -> String {
    match *chip {}
}

#[cfg(feature = "virtual-chip")]
fn virtual_engine(chip: &VirtualChip) -> EngineKind {
    chip.engine()
}

#[cfg(not(feature = "virtual-chip"))]
fn virtual_engine(chip: &VirtualChip) -> EngineKind {
    match *chip {}
}
