//! The command line: its subcommands and their arguments (clap), and the
//! parsers of the values clap checks.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Result};
use clap::{Args, Parser, Subcommand};

use spikefab_chip::board::{Board, BOARDS};
use spikefab_chip::config::CoreConfig;
use spikefab_chip::engine::EngineKind;
use spikefab_host::outputs::OutputKind;
use spikefab_host::{serial, timing};

#[derive(Parser)]
#[command(
    name = "spikefab",
    version,
    about = "Spikefab: simulate spiking networks, run them on the chip (board or virtual), verify the two agree"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run a network in the golden model (software only) and summarise it.
    Sim(SimArgs),
    /// Run a network on a chip: load it, stream its input spikes, collect output spikes and state.
    Run(ChipRunArgs),
    /// Run a network on a chip and in the golden model; report identical, or the first divergence.
    Verify {
        #[command(flatten)]
        run: ChipRunArgs,
        #[command(flatten)]
        verify: VerifyArgs,
    },
    /// Run a network on a chip live: input spikes read as they come (lines
    /// `tick,axon`, or `tick` alone to close the ticks before it), output
    /// spikes written as they leave (lines `tick,neuron`).
    Stream(StreamArgs),
    /// Sizes of a network, which core configuration it fits, predicted cycles per tick.
    Inspect {
        /// Network file (.toml, .json or a .bin snapshot).
        net: PathBuf,
        /// Ticks to simulate for the cycle prediction (default: the file's).
        #[arg(long)]
        ticks: Option<u32>,
        #[command(flatten)]
        timing: Timing,
    },
    /// Serve the RTL core on a pseudo-terminal (the virtual chip) until stopped.
    Chip {
        /// Core configuration.
        #[arg(long, value_parser = core_parser(), default_value = CoreConfig::UP5K.name)]
        core: CoreConfig,
        #[command(flatten)]
        engine: EngineArg,
        /// Also write the device path to this file (for scripts).
        #[arg(long, value_name = "FILE")]
        path_file: Option<PathBuf>,
        /// Probability that a byte crossing the link (either way) has a bit flipped.
        #[arg(long, default_value_t = 0.0)]
        flip_rate: f64,
        /// Probability that a byte crossing the link (either way) is lost.
        #[arg(long, default_value_t = 0.0)]
        drop_rate: f64,
        /// Seed of the injected faults.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[command(flatten)]
        line: LineArgs,
    },
    /// List the serial ports of this machine.
    Ports,
    /// Flash a board with its Spikefab bitstream (openFPGALoader or iceprog).
    Flash {
        /// The board (`spikefab-firmware boards` lists them).
        #[arg(long, value_parser = board_name)]
        board: &'static Board,
        /// Bitstream to flash (default: the prebuilt `bitstreams/<board>.bin`, `.bit` for an ECP5 board).
        #[arg(long, value_name = "FILE")]
        bitstream: Option<PathBuf>,
        /// Flashing tool (default: the first of openFPGALoader, iceprog that is installed).
        #[arg(long)]
        tool: Option<String>,
        /// Print the command instead of running it.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write a network file in physical units as the integer file the loader
    /// makes of it (and print what the quantizer chose, as `inspect` does).
    Quantize {
        /// Network file in physical units (.toml or .json).
        net: PathBuf,
        /// The integer network file to write (.toml).
        #[arg(long, short, value_name = "FILE")]
        out: PathBuf,
    },
    /// Import a NIR graph (snnTorch, Norse, Sinabs, Spyx, Rockpool...) as a
    /// network file in the chip's integers, and print what was chosen per
    /// layer (docs/nir.md).
    Import {
        /// The NIR graph (.nir, HDF5).
        graph: PathBuf,
        /// The network file to write (.toml).
        #[arg(long, short, value_name = "FILE")]
        out: PathBuf,
        /// The tick in seconds (NIR graphs do not store one; default: tau_mem / r
        /// where every neuron's gives the same, as snnTorch exports, else 0.001).
        #[arg(long, value_name = "SECONDS")]
        dt: Option<f64>,
        /// Check that the network fits this core configuration.
        #[arg(long, value_parser = core_parser())]
        core: Option<CoreConfig>,
        /// How time constants become decays: `euler` (d = 4096 dt / tau, the
        /// training libraries' discrete model) or `exact` (4096 (1 - e^(-dt/tau))).
        #[arg(long, value_enum, default_value_t = Steps::Euler)]
        decays: Steps,
        /// How the chip's decays round (spec §3.1).
        #[arg(long, value_enum, default_value_t = RoundingArg::Dither)]
        rounding: RoundingArg,
    },
    /// Export a network as a NIR graph (docs/nir.md): the chip's integers as
    /// NIR's float parameters, so that `import` gives the network again.
    Export {
        /// Network file (.toml, .json or a .bin snapshot).
        net: PathBuf,
        /// The NIR graph to write (.nir).
        #[arg(long, short, value_name = "FILE")]
        out: PathBuf,
        /// The tick in seconds (default: the file's `dt`).
        #[arg(long, value_name = "SECONDS")]
        dt: Option<f64>,
    },
    /// Save a network file as a compact snapshot (bincode).
    Save {
        /// Network file.
        net: PathBuf,
        /// Snapshot to write (.bin).
        out: PathBuf,
    },
    /// Draw a plot of saved results: a raster or rates from a spike file
    /// (`--spikes`) or a results snapshot (`--results`), weight histograms
    /// from a state file (`--state`) or a results snapshot, probe traces from
    /// a results snapshot.
    Plot(PlotArgs),
}

/// What `spikefab plot` draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PlotKind {
    /// Spikes, neuron against tick, population bands.
    Raster,
    /// Each population's firing rate over time.
    Rates,
    /// The probed variables over time.
    Traces,
    /// The weights' histograms before and after the run.
    Weights,
}

#[derive(Args)]
pub struct PlotArgs {
    /// The network file the results are of (.toml, .json or a .bin snapshot).
    pub net: PathBuf,
    /// What to draw.
    #[arg(long, value_enum)]
    pub kind: PlotKind,
    /// The plot to write (.svg or .png).
    #[arg(long, short, value_name = "FILE")]
    pub out: PathBuf,
    /// A spike file of `sim`, `run` or `verify` (.csv or .bin).
    #[arg(long, value_name = "FILE")]
    pub spikes: Option<PathBuf>,
    /// A state file of `sim`, `run` or `verify` (.json).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// A results snapshot of `sim --results` (.bin): spikes, probes, final state.
    #[arg(long, value_name = "FILE")]
    pub results: Option<PathBuf>,
    /// Ticks the run had (default: the state's or the results', else the last spike's).
    #[arg(long)]
    pub ticks: Option<u32>,
    /// Tick duration in microseconds, for rates in Hz.
    #[arg(long, default_value_t = 1000.0, value_parser = positive)]
    pub tick_us: f64,
}

/// The `--core` choices: the registry of core configurations, each with its sizes.
pub fn core_parser() -> impl clap::builder::TypedValueParser<Value = CoreConfig> {
    use clap::builder::{PossibleValue, TypedValueParser};
    let choices = CoreConfig::KNOWN
        .iter()
        .map(|c| PossibleValue::new(c.name).help(c.summary()));
    clap::builder::PossibleValuesParser::new(choices)
        .map(|s| CoreConfig::by_name(&s).expect("one of the possible values"))
}

/// `spikefab import --decays`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Steps {
    /// `d = 4096 dt / tau`: forward-Euler steps, as snnTorch trains and Lava's NIR import reads.
    Euler,
    /// `d = 4096 (1 - e^(-dt/tau))`: the continuous model's exact step.
    Exact,
}

/// `spikefab import --rounding`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RoundingArg {
    /// Unbiased, with the dither offsets.
    Dither,
    /// Magnitudes rounded down.
    TowardZero,
}

/// What `verify` compares and shows.
#[derive(Args, Clone)]
pub struct VerifyArgs {
    /// Compare the full state every this many ticks (default: at the end only).
    #[arg(long, value_name = "TICKS")]
    pub check_every: Option<u32>,
    /// Write the RTL core's signals to this VCD file (GTKWave, Surfer): the network rerun on a
    /// Verilator model of the core built with tracing, over --vcd-ticks, by default the ticks
    /// around the first divergence (without one, the last two ticks).
    #[arg(long, value_name = "FILE")]
    pub vcd: Option<PathBuf>,
    /// Ticks the waveform covers, as FIRST..END (END excluded), e.g. 120..124.
    #[arg(long, value_name = "FIRST..END", value_parser = tick_range, requires = "vcd")]
    pub vcd_ticks: Option<std::ops::Range<u32>>,
}

/// A positive, finite number (a tick length, a clock).
pub fn positive(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        Ok(_) => Err(format!("`{s}` is not a positive number")),
        Err(e) => Err(format!("`{s}`: {e}")),
    }
}

pub fn tick_range(s: &str) -> Result<std::ops::Range<u32>, String> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| format!("`{s}` is not a tick range FIRST..END (e.g. 120..124)"))?;
    let tick = |x: &str| x.trim().parse::<u32>().map_err(|e| format!("`{x}` in `{s}`: {e}"));
    let (a, b) = (tick(a)?, tick(b)?);
    if a >= b {
        return Err(format!("`{s}` is empty: the first tick must come before the end"));
    }
    Ok(a..b)
}

/// The simulator of a virtual chip.
#[derive(Args, Clone, Copy)]
pub struct EngineArg {
    /// RTL engine of the virtual chip: verilator (the emitted Verilog, compiled; hardware speed) or
    /// rust-hdl (the reference simulator). Default: verilator where it is installed.
    #[arg(long, value_parser = engine_parser())]
    pub engine: Option<EngineKind>,
}

pub fn engine_parser() -> impl clap::builder::TypedValueParser<Value = EngineKind> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(EngineKind::ALL.map(EngineKind::name))
        .map(|s| s.parse::<EngineKind>().expect("one of the possible values"))
}

#[derive(Args, Clone, Copy)]
pub struct Timing {
    /// Tick duration in microseconds, for rates in Hz, the real-time factor
    /// and --realtime (default: the network file's `dt` when it is in
    /// physical units, else 1000).
    #[arg(long, value_parser = positive)]
    pub tick_us: Option<f64>,
    /// Core clock in MHz, for the real-time factor and --realtime (default:
    /// the clock of the board that carries the chip's core; the iCEBreaker's,
    /// 24, for `sim`, `inspect` and cores no board carries).
    #[arg(long, value_parser = positive)]
    pub clock_mhz: Option<f64>,
}

impl Timing {
    /// As the library takes it, for a network whose tick is `dt_ms` when
    /// its file says (in physical units).
    pub fn get(&self, dt_ms: Option<f64>) -> timing::Timing {
        timing::Timing {
            tick_us: self.tick_us.or(dt_ms.map(|dt| dt * 1000.0)).unwrap_or(1000.0),
            clock_mhz: self.clock_mhz,
        }
    }
}

#[derive(Args)]
pub struct Network {
    /// Network file (.toml, .json or a .bin snapshot).
    pub net: PathBuf,
    /// Ticks to run (default: `ticks` of the file's `[simulation]`).
    #[arg(long)]
    pub ticks: Option<u32>,
    /// Input spikes instead of the file's: CSV `tick,axon` or a .bin snapshot.
    #[arg(long, value_name = "FILE")]
    pub inputs: Option<PathBuf>,
    /// Change a value of the network file before it is read (repeatable):
    /// `population.exc.neuron.threshold=310`, `projection.1.weight=25`,
    /// `learning.a_plus=9`; checked as if written in the file.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// The file's `[simulation] seed`, from which every unseeded random
    /// choice derives (the same as `--set simulation.seed=N`).
    #[arg(long)]
    pub seed: Option<u64>,
}

#[derive(Args)]
pub struct Outputs {
    /// Write output spikes: CSV (`tick,neuron,population,index` from a chip;
    /// `sim` adds each spike's busy cycle: `tick,neuron,cycle,population,index`),
    /// or a .bin snapshot (`sim` only).
    #[arg(long, value_name = "FILE")]
    pub spikes: Option<PathBuf>,
    /// Draw a raster plot (.svg or .png).
    #[arg(long, value_name = "FILE")]
    pub raster: Option<PathBuf>,
    /// Draw each population's firing rate over time (.svg or .png): Hz per
    /// neuron in about 100 bins of the run, at --tick-us.
    #[arg(long, value_name = "FILE")]
    pub rates: Option<PathBuf>,
    /// Draw histograms of the weights before and after the run (.svg or
    /// .png): the plastic synapses' (all, when none is plastic).
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
}

impl Outputs {
    /// Each output file asked for, with its kind (for
    /// [`spikefab_host::outputs::check`]).
    pub fn files(&self) -> [(Option<&PathBuf>, OutputKind); 4] {
        [
            (self.spikes.as_ref(), OutputKind::Spikes),
            (self.raster.as_ref(), OutputKind::Raster),
            (self.rates.as_ref(), OutputKind::Rates),
            (self.weights.as_ref(), OutputKind::Weights),
        ]
    }
}

#[derive(Args)]
pub struct SimArgs {
    #[command(flatten)]
    pub network: Network,
    #[command(flatten)]
    pub outputs: Outputs,
    /// Predict cycles for this core (default: a core shaped like the network).
    #[arg(long, value_parser = core_parser())]
    pub core: Option<CoreConfig>,
    /// Update every neuron every tick instead of skipping quiescent ones (same results).
    #[arg(long)]
    pub dense: bool,
    /// Threads to simulate on (default: one per core; under `mpirun`, the
    /// machine's cores over its ranks). The neurons are split between them;
    /// spikes, cycles and the final state are the same for any number, and
    /// for any number of MPI ranks (a build with the feature `mpi`).
    #[arg(long, value_name = "N")]
    pub threads: Option<std::num::NonZeroUsize>,
    /// Write probed variables as CSV (tick,neuron,var,value,population,index).
    #[arg(long, value_name = "FILE")]
    pub probes: Option<PathBuf>,
    /// Draw the probed variables over time (.svg or .png): a panel per
    /// variable, a line per probed neuron.
    #[arg(long, value_name = "FILE")]
    pub traces: Option<PathBuf>,
    /// Write the weights of [[record.weights]] as CSV
    /// (tick,synapse,projection,pre,pre_index,post,post_index,weight), or
    /// draw them over time (.svg or .png), a line per synapse.
    #[arg(long, value_name = "FILE")]
    pub weight_trace: Option<PathBuf>,
    /// Write a results snapshot (bincode): spikes, probes, stats, final state.
    #[arg(long, value_name = "FILE")]
    pub results: Option<PathBuf>,
    /// Write the final state (u, v, θ, refractory, traces, weights, LFSR, counters) as JSON, as `run` does.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Write the run's figures as JSON (build and run seconds, spikes, synaptic events; for benchmarks).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub timing: Timing,
}

#[derive(Args)]
#[group(required = true, multiple = false, id = "chip")]
pub struct Target {
    /// Serial port of a board (`spikefab ports` lists them).
    #[arg(long, value_name = "PORT")]
    pub port: Option<String>,
    /// Start a virtual chip (the RTL core behind a pseudo-terminal) and use it.
    #[arg(long = "virtual")]
    pub virtual_chip: bool,
}

/// A board's link for the virtual chip to model.
#[derive(Args, Clone, Copy)]
pub struct LineArgs {
    /// Pace the virtual chip's bytes as a board's link carries them: a UART
    /// at --line-baud and this USB latency each way (an FTDI bridge's latency
    /// timer is 1 to 16 ms). Without it the link is as fast as the pseudo-terminal.
    #[arg(long, value_name = "MS")]
    pub latency_ms: Option<f64>,
    /// The modelled UART's baud rate (with --latency-ms).
    #[arg(long, default_value_t = serial::DEFAULT_BAUD, requires = "latency_ms")]
    pub line_baud: u32,
}

impl LineArgs {
    /// The line model asked for, checked.
    pub fn model(&self) -> Result<Option<spikefab_host::line::LineModel>> {
        let Some(ms) = self.latency_ms else {
            return Ok(None);
        };
        if !(0.0..=1000.0).contains(&ms) {
            bail!("--latency-ms {ms} is outside 0 to 1000");
        }
        if self.line_baud < 300 {
            bail!("--line-baud {} is below 300", self.line_baud);
        }
        Ok(Some(spikefab_host::line::LineModel {
            baud: self.line_baud,
            latency: Duration::from_secs_f64(ms / 1000.0),
        }))
    }
}

/// The chip to talk to and the link to it.
#[derive(Args)]
pub struct ChipArgs {
    #[command(flatten)]
    pub target: Target,
    /// Core of the virtual chip.
    #[arg(long, value_parser = core_parser(), default_value = CoreConfig::UP5K.name, requires = "virtual_chip")]
    pub core: CoreConfig,
    #[command(flatten)]
    pub engine: EngineArg,
    /// Baud rate of the serial port.
    #[arg(long, default_value_t = serial::DEFAULT_BAUD)]
    pub baud: u32,
    /// Wait this long for each frame of an answer before sending again
    /// (default: 2000; 30000 for a virtual chip on the rust-hdl engine, which is slower).
    #[arg(long, value_name = "MS")]
    pub timeout_ms: Option<u64>,
    /// Transmissions of one command before giving up.
    #[arg(long, default_value_t = 8)]
    pub attempts: u32,
    #[command(flatten)]
    pub line: LineArgs,
    /// Real-time pacing (docs/spec.md §10.5): the chip starts each tick no
    /// sooner than one tick length (--tick-us) after the one before, by its
    /// own clock (--clock-mhz), and counts STEPs that come late and ticks
    /// that overrun. Default: lockstep, as fast as the link allows.
    #[arg(long)]
    pub realtime: bool,
}

#[derive(Args)]
pub struct StreamArgs {
    /// Network file (.toml, .json or a .bin snapshot); its own input spikes
    /// are not used.
    pub net: PathBuf,
    #[command(flatten)]
    pub chip: ChipArgs,
    /// Read input spikes from this file instead of standard input.
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Write output spikes to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// At the end of the input, run on up to this tick.
    #[arg(long)]
    pub ticks: Option<u32>,
    #[command(flatten)]
    pub timing: Timing,
}

#[derive(Args)]
pub struct ChipRunArgs {
    #[command(flatten)]
    pub network: Network,
    #[command(flatten)]
    pub chip: ChipArgs,
    #[command(flatten)]
    pub outputs: Outputs,
    /// Write the final state (u, v, θ, refractory, traces, weights, LFSR, counters) as JSON.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    #[command(flatten)]
    pub timing: Timing,
}

pub fn board_name(name: &str) -> Result<&'static Board, String> {
    Board::by_name(name).ok_or_else(|| {
        let known: Vec<&str> = BOARDS.iter().map(|b| b.name).collect();
        format!("no board `{name}`; the boards are: {}", known.join(", "))
    })
}
