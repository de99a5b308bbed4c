//! `spikefab`: simulate a network, run it on a board or on the virtual chip,
//! verify the chip against the golden model, inspect what fits where.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use spikefab_chip::board::{Board, BOARDS};
use spikefab_chip::config::CoreConfig;
use spikefab_chip::engine::EngineKind;
use spikefab_chip::image::Image;
use spikefab_host::faults::FaultPlan;
use spikefab_host::outputs::{self, OutputKind};
use spikefab_host::session::{self, Connection, Session, VirtualTarget};
use spikefab_host::{
    capacity, flash, golden, live, load, raster, rates, serial, spike_files, state_file, summary, timing, verify,
};

use spikefab_sim::config::Model;
use spikefab_sim::snapshot::{self, Kind, RunResult};
use spikefab_sim::CoreShape;

#[derive(Parser)]
#[command(
    name = "spikefab",
    version,
    about = "Spikefab: simulate spiking networks, run them on the chip (board or virtual), verify the two agree"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
        /// Bitstream to flash (default: the prebuilt `bitstreams/<board>.bin`).
        #[arg(long, value_name = "FILE")]
        bitstream: Option<PathBuf>,
        /// Flashing tool (default: the first of openFPGALoader, iceprog that is installed).
        #[arg(long)]
        tool: Option<String>,
        /// Print the command instead of running it.
        #[arg(long)]
        dry_run: bool,
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
enum PlotKind {
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
struct PlotArgs {
    /// The network file the results are of (.toml, .json or a .bin snapshot).
    net: PathBuf,
    /// What to draw.
    #[arg(long, value_enum)]
    kind: PlotKind,
    /// The plot to write (.svg or .png).
    #[arg(long, short, value_name = "FILE")]
    out: PathBuf,
    /// A spike file of `sim`, `run` or `verify` (.csv or .bin).
    #[arg(long, value_name = "FILE")]
    spikes: Option<PathBuf>,
    /// A state file of `sim`, `run` or `verify` (.json).
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// A results snapshot of `sim --results` (.bin): spikes, probes, final state.
    #[arg(long, value_name = "FILE")]
    results: Option<PathBuf>,
    /// Ticks the run had (default: the state's or the results', else the last spike's).
    #[arg(long)]
    ticks: Option<u32>,
    /// Tick duration in microseconds, for rates in Hz.
    #[arg(long, default_value_t = 1000.0)]
    tick_us: f64,
}

/// The `--core` choices: the registry of core configurations, each with its sizes.
fn core_parser() -> impl clap::builder::TypedValueParser<Value = CoreConfig> {
    use clap::builder::{PossibleValue, TypedValueParser};
    let choices = CoreConfig::KNOWN
        .iter()
        .map(|c| PossibleValue::new(c.name).help(c.summary()));
    clap::builder::PossibleValuesParser::new(choices)
        .map(|s| CoreConfig::by_name(&s).expect("one of the possible values"))
}

/// What `verify` compares and shows.
#[derive(Args, Clone)]
struct VerifyArgs {
    /// Compare the full state every this many ticks (default: at the end only).
    #[arg(long, value_name = "TICKS")]
    check_every: Option<u32>,
    /// Write the RTL core's signals to this VCD file (GTKWave, Surfer): the network rerun on a
    /// Verilator model of the core built with tracing, over --vcd-ticks, by default the ticks
    /// around the first divergence (without one, the last two ticks).
    #[arg(long, value_name = "FILE")]
    vcd: Option<PathBuf>,
    /// Ticks the waveform covers, as FIRST..END (END excluded), e.g. 120..124.
    #[arg(long, value_name = "FIRST..END", value_parser = tick_range, requires = "vcd")]
    vcd_ticks: Option<std::ops::Range<u32>>,
}

fn tick_range(s: &str) -> Result<std::ops::Range<u32>, String> {
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
struct EngineArg {
    /// RTL engine of the virtual chip: verilator (the emitted Verilog, compiled; hardware speed) or
    /// rust-hdl (the reference simulator). Default: verilator where it is installed.
    #[arg(long, value_parser = engine_parser())]
    engine: Option<EngineKind>,
}

fn engine_parser() -> impl clap::builder::TypedValueParser<Value = EngineKind> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(EngineKind::ALL.map(EngineKind::name))
        .map(|s| s.parse::<EngineKind>().expect("one of the possible values"))
}

#[derive(Args, Clone, Copy)]
struct Timing {
    /// Tick duration in microseconds, for rates in Hz, the real-time factor
    /// and --realtime.
    #[arg(long, default_value_t = 1000.0)]
    tick_us: f64,
    /// Core clock in MHz, for the real-time factor and --realtime (default:
    /// the clock of the board that carries the chip's core; the iCEBreaker's,
    /// 24, for `sim`, `inspect` and cores no board carries).
    #[arg(long)]
    clock_mhz: Option<f64>,
}

impl Timing {
    /// As the library takes it.
    fn get(&self) -> timing::Timing {
        timing::Timing {
            tick_us: self.tick_us,
            clock_mhz: self.clock_mhz,
        }
    }
}

#[derive(Args)]
struct Network {
    /// Network file (.toml, .json or a .bin snapshot).
    net: PathBuf,
    /// Ticks to run (default: `ticks` of the file's `[simulation]`).
    #[arg(long)]
    ticks: Option<u32>,
    /// Input spikes instead of the file's: CSV `tick,axon` or a .bin snapshot.
    #[arg(long, value_name = "FILE")]
    inputs: Option<PathBuf>,
    /// Change a value of the network file before it is read (repeatable):
    /// `population.exc.neuron.threshold=310`, `projection.1.weight=25`,
    /// `learning.a_plus=9`; checked as if written in the file.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// The file's `[simulation] seed`, from which every unseeded random
    /// choice derives (the same as `--set simulation.seed=N`).
    #[arg(long)]
    seed: Option<u64>,
}

#[derive(Args)]
struct Outputs {
    /// Write output spikes: CSV (`tick,neuron,population,index` from a chip;
    /// `sim` adds each spike's busy cycle: `tick,neuron,cycle,population,index`),
    /// or a .bin snapshot (`sim` only).
    #[arg(long, value_name = "FILE")]
    spikes: Option<PathBuf>,
    /// Draw a raster plot (.svg or .png).
    #[arg(long, value_name = "FILE")]
    raster: Option<PathBuf>,
    /// Draw each population's firing rate over time (.svg or .png): Hz per
    /// neuron in about 100 bins of the run, at --tick-us.
    #[arg(long, value_name = "FILE")]
    rates: Option<PathBuf>,
    /// Draw histograms of the weights before and after the run (.svg or
    /// .png): the plastic synapses' (all, when none is plastic).
    #[arg(long, value_name = "FILE")]
    weights: Option<PathBuf>,
}

#[derive(Args)]
struct SimArgs {
    #[command(flatten)]
    network: Network,
    #[command(flatten)]
    outputs: Outputs,
    /// Predict cycles for this core (default: a core shaped like the network).
    #[arg(long, value_parser = core_parser())]
    core: Option<CoreConfig>,
    /// Update every neuron every tick instead of skipping quiescent ones (same results).
    #[arg(long)]
    dense: bool,
    /// Write probed variables as CSV (tick,neuron,var,value,population,index).
    #[arg(long, value_name = "FILE")]
    probes: Option<PathBuf>,
    /// Draw the probed variables over time (.svg or .png): a panel per
    /// variable, a line per probed neuron.
    #[arg(long, value_name = "FILE")]
    traces: Option<PathBuf>,
    /// Write the weights of [[record.weights]] as CSV
    /// (tick,synapse,projection,pre,pre_index,post,post_index,weight), or
    /// draw them over time (.svg or .png), a line per synapse.
    #[arg(long, value_name = "FILE")]
    weight_trace: Option<PathBuf>,
    /// Write a results snapshot (bincode): spikes, probes, stats, final state.
    #[arg(long, value_name = "FILE")]
    results: Option<PathBuf>,
    /// Write the final state (u, v, θ, refractory, traces, weights, LFSR, counters) as JSON, as `run` does.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Write the run's figures as JSON (build and run seconds, spikes, synaptic events; for benchmarks).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    #[command(flatten)]
    timing: Timing,
}

#[derive(Args)]
#[group(required = true, multiple = false, id = "chip")]
struct Target {
    /// Serial port of a board (`spikefab ports` lists them).
    #[arg(long, value_name = "PORT")]
    port: Option<String>,
    /// Start a virtual chip (the RTL core behind a pseudo-terminal) and use it.
    #[arg(long = "virtual")]
    virtual_chip: bool,
}

/// A board's link for the virtual chip to model.
#[derive(Args, Clone, Copy)]
struct LineArgs {
    /// Pace the virtual chip's bytes as a board's link carries them: a UART
    /// at --line-baud and this USB latency each way (an FTDI bridge's latency
    /// timer is 1 to 16 ms). Without it the link is as fast as the pseudo-terminal.
    #[arg(long, value_name = "MS")]
    latency_ms: Option<f64>,
    /// The modelled UART's baud rate (with --latency-ms).
    #[arg(long, default_value_t = serial::DEFAULT_BAUD, requires = "latency_ms")]
    line_baud: u32,
}

impl LineArgs {
    /// The line model asked for, checked.
    fn model(&self) -> Result<Option<spikefab_host::line::LineModel>> {
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
struct ChipArgs {
    #[command(flatten)]
    target: Target,
    /// Core of the virtual chip.
    #[arg(long, value_parser = core_parser(), default_value = CoreConfig::UP5K.name, requires = "virtual_chip")]
    core: CoreConfig,
    #[command(flatten)]
    engine: EngineArg,
    /// Baud rate of the serial port.
    #[arg(long, default_value_t = serial::DEFAULT_BAUD)]
    baud: u32,
    /// Wait this long for each frame of an answer before sending again
    /// (default: 2000; 30000 for a virtual chip on the rust-hdl engine, which is slower).
    #[arg(long, value_name = "MS")]
    timeout_ms: Option<u64>,
    /// Transmissions of one command before giving up.
    #[arg(long, default_value_t = 8)]
    attempts: u32,
    #[command(flatten)]
    line: LineArgs,
    /// Real-time pacing (docs/spec.md §10.5): the chip starts each tick no
    /// sooner than one tick length (--tick-us) after the one before, by its
    /// own clock (--clock-mhz), and counts STEPs that come late and ticks
    /// that overrun. Default: lockstep, as fast as the link allows.
    #[arg(long)]
    realtime: bool,
}

#[derive(Args)]
struct StreamArgs {
    /// Network file (.toml, .json or a .bin snapshot); its own input spikes
    /// are not used.
    net: PathBuf,
    #[command(flatten)]
    chip: ChipArgs,
    /// Read input spikes from this file instead of standard input.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// Write output spikes to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// At the end of the input, run on up to this tick.
    #[arg(long)]
    ticks: Option<u32>,
    #[command(flatten)]
    timing: Timing,
}

#[derive(Args)]
struct ChipRunArgs {
    #[command(flatten)]
    network: Network,
    #[command(flatten)]
    chip: ChipArgs,
    #[command(flatten)]
    outputs: Outputs,
    /// Write the final state (u, v, θ, refractory, traces, weights, LFSR, counters) as JSON.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    #[command(flatten)]
    timing: Timing,
}

fn main() -> ExitCode {
    match real_main() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn real_main() -> Result<ExitCode> {
    match Cli::parse().command {
        Command::Sim(args) => sim(args).map(|_| ExitCode::SUCCESS),
        Command::Run(args) => tokio_main(run(args, None)),
        Command::Verify { run: args, verify } => tokio_main(run(args, Some(verify))),
        Command::Stream(args) => tokio_main(stream(args)),
        Command::Inspect { net, ticks, timing } => inspect(&net, ticks, timing).map(|_| ExitCode::SUCCESS),
        Command::Chip {
            core,
            engine,
            path_file,
            flip_rate,
            drop_rate,
            seed,
            line,
        } => chip(core, engine.engine, path_file, flip_rate, drop_rate, seed, line).map(|_| ExitCode::SUCCESS),
        Command::Ports => ports().map(|_| ExitCode::SUCCESS),
        Command::Flash {
            board,
            bitstream,
            tool,
            dry_run,
        } => flash(board, bitstream.as_deref(), tool.as_deref(), dry_run).map(|_| ExitCode::SUCCESS),
        Command::Save { net, out } => {
            let model = load::model(&net)?;
            snapshot::save_model(&out, &model)?;
            println!("wrote {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Plot(args) => plot(&args).map(|_| ExitCode::SUCCESS),
    }
}

/// `spikefab plot`: a plot of saved results.
fn plot(args: &PlotArgs) -> Result<()> {
    let kind = match args.kind {
        PlotKind::Raster => OutputKind::Raster,
        PlotKind::Rates => OutputKind::Rates,
        PlotKind::Traces => OutputKind::Traces,
        PlotKind::Weights => OutputKind::Weights,
    };
    outputs::check_as(&args.out, kind, "--out")?;
    let model = load::model(&args.net)?;
    let net = &model.network;
    let results: Option<RunResult> = match &args.results {
        Some(p) => Some(snapshot::load(p, Kind::Results)?),
        None => None,
    };
    let title = format!("{}", args.net.display());
    let need = |what: &str| anyhow::anyhow!("--kind {} needs {what}", format!("{:?}", args.kind).to_lowercase());
    match args.kind {
        PlotKind::Raster | PlotKind::Rates => {
            let spikes = match (&args.spikes, &results) {
                (Some(p), _) => spike_files::read_outputs(p, net)?,
                (None, Some(r)) => r.spikes.clone(),
                (None, None) => return Err(need("--spikes FILE or --results FILE")),
            };
            if let Some(s) = spikes.iter().find(|s| s.neuron >= net.num_neurons()) {
                bail!(
                    "the results have a spike of neuron {}, which {} does not have",
                    s.neuron,
                    args.net.display()
                );
            }
            let ticks = args
                .ticks
                .or(results.as_ref().map(|r| r.final_state.ticks))
                .unwrap_or_else(|| spikes.last().map_or(1, |s| s.tick + 1));
            match args.kind {
                PlotKind::Raster => raster::draw(&args.out, net, &spikes, ticks, &title)?,
                _ => rates::draw(&args.out, net, &spikes, ticks, args.tick_us, &title)?,
            }
        }
        PlotKind::Traces => {
            let r = results
                .as_ref()
                .ok_or_else(|| need("--results FILE (of `sim --results`)"))?;
            spikefab_host::traces::draw(&args.out, net, &r.probes, &title)?;
        }
        PlotKind::Weights => {
            let weights = match (&args.state, &results) {
                (Some(p), _) => state_file::read_weights(p, net)?.1,
                (None, Some(r)) => r.final_state.weights.clone(),
                (None, None) => return Err(need("--state FILE or --results FILE")),
            };
            spikefab_host::weights::draw(&args.out, net, &weights, &title)?;
        }
    }
    println!("wrote {}", args.out.display());
    Ok(())
}

fn tokio_main(f: impl std::future::Future<Output = Result<ExitCode>>) -> Result<ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(f)
}

/// The model with `--set`, `--seed` and `--inputs` applied, and its ticks;
/// its description printed.
fn prepare(args: &Network) -> Result<(Model, u32)> {
    let mut changes = load::Changes::parse(&args.set, args.seed)?;
    changes.inputs = args.inputs.clone();
    let model = load::model_with(&args.net, &changes)?;
    let ticks = load::ticks(&model, args.ticks)?;
    println!("{}", summary::network(&args.net.display().to_string(), &model.network));
    Ok((model, ticks))
}

/// Write a final state as JSON (`sim --state`, `run --state`).
fn write_state(path: &Path, net: &spikefab_sim::Network, state: &spikefab_sim::StateDump) -> Result<()> {
    state_file::write(path, net, state)?;
    println!("wrote {}", path.display());
    Ok(())
}

/// Check every output path named on the command line before anything runs.
fn check_outputs(paths: &[(Option<&PathBuf>, OutputKind)]) -> Result<()> {
    for (path, kind) in paths {
        if let Some(p) = path {
            outputs::check(p, *kind)?;
        }
    }
    Ok(())
}

/// Write the spike file and the plots; `stamped`: the spikes carry their
/// busy cycles; `weights`: the final weights.
#[allow(clippy::too_many_arguments)]
fn write_outputs(
    outputs: &Outputs,
    net: &spikefab_sim::Network,
    spikes: &[spikefab_sim::SpikeEvent],
    stamped: bool,
    ticks: u32,
    tick_us: f64,
    weights: &[i8],
    title: &str,
) -> Result<()> {
    if let Some(path) = &outputs.spikes {
        match stamped {
            true => spike_files::write_spikes(path, net, spikes)?,
            false => spike_files::write_unstamped(path, net, spikes)?,
        }
        println!("wrote {}", path.display());
    }
    if let Some(path) = &outputs.raster {
        raster::draw(path, net, spikes, ticks, title)?;
        println!("wrote {}", path.display());
    }
    if let Some(path) = &outputs.rates {
        rates::draw(path, net, spikes, ticks, tick_us, title)?;
        println!("wrote {}", path.display());
    }
    if let Some(path) = &outputs.weights {
        spikefab_host::weights::draw(path, net, weights, title)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn progress_bar(ticks: u32) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(ticks as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} ticks  {msg}  [{elapsed_precise}, eta {eta}]")
            .expect("a valid template"),
    );
    bar
}

fn sim(args: SimArgs) -> Result<()> {
    check_outputs(&[
        (args.outputs.spikes.as_ref(), OutputKind::Spikes),
        (args.outputs.raster.as_ref(), OutputKind::Raster),
        (args.outputs.rates.as_ref(), OutputKind::Rates),
        (args.outputs.weights.as_ref(), OutputKind::Weights),
        (args.probes.as_ref(), OutputKind::Probes),
        (args.traces.as_ref(), OutputKind::Traces),
        (args.weight_trace.as_ref(), OutputKind::WeightTrace),
        (args.results.as_ref(), OutputKind::Results),
        (args.report.as_ref(), OutputKind::Report),
        (args.state.as_ref(), OutputKind::State),
    ])?;
    let (model, ticks) = prepare(&args.network)?;
    let net = &model.network;
    let options = golden::Options {
        dense: args.dense,
        core: args.core.map(|c| c.shape()),
    };
    let run = golden::simulate(&model, ticks, options, |_, _| ())?;
    let stats = run.stats;
    let wall = run.run_time.as_secs_f64();
    let unreached = net.inputs().iter().filter(|s| s.tick >= ticks).count();
    let timing = args.timing.get();
    let (tick_us, clock_mhz) = (timing.tick_us, timing.clock_mhz(None));
    println!(
        "run {ticks} ticks in the golden model ({})",
        if args.dense {
            "dense updates"
        } else {
            "quiescent neurons skipped"
        }
    );
    println!("{}", summary::rates(net, &run.spikes, ticks, tick_us));
    println!(
        "  input spikes {}{}",
        stats.input_spikes,
        if unreached > 0 {
            format!(" ({unreached} scheduled at or after tick {ticks} not reached)")
        } else {
            String::new()
        }
    );
    println!(
        "  synaptic events {}  neuron updates {} ({:.1}% of ticks x neurons)  weight updates {}",
        stats.synaptic_events,
        stats.neuron_updates,
        100.0 * stats.neuron_updates as f64 / (ticks as f64 * net.num_neurons() as f64).max(1.0),
        stats.weight_updates
    );
    let seconds = ticks as f64 * tick_us * 1e-6;
    println!(
        "  wall {:.3} s  {:.2} M synaptic events/s  {:.1}x real time",
        wall,
        stats.synaptic_events as f64 / wall / 1e6,
        seconds / wall
    );
    let weights = &run.state.weights;
    if net.num_plastic() > 0 {
        let plastic: Vec<usize> = net.synapses().fanin.iter().map(|&(i, _)| i as usize).collect();
        let show = |w: &[i8]| {
            let vals: Vec<i64> = plastic.iter().map(|&i| w[i] as i64).collect();
            let mean = vals.iter().sum::<i64>() as f64 / vals.len() as f64;
            let (min, max) = (vals.iter().min().unwrap_or(&0), vals.iter().max().unwrap_or(&0));
            format!("mean {mean:.2} (min {min}, max {max})")
        };
        println!(
            "  plastic weights: before {}  after {}",
            show(&net.synapses().weight),
            show(weights)
        );
    }
    let core: CoreShape = run.core;
    println!(
        "chip prediction (core N={} M={} D={}, cost table v1)",
        core.neurons, core.axons, core.delay_slots
    );
    println!(
        "{}",
        summary::cycles(run.state.cycle, Some(run.worst_tick_cycles), ticks, clock_mhz, tick_us)
    );

    write_outputs(
        &args.outputs,
        net,
        &run.spikes,
        true,
        ticks,
        tick_us,
        weights,
        "spikefab sim",
    )?;
    if let Some(path) = &args.probes {
        spike_files::write_probes(path, net, &run.probes)?;
        println!("wrote {}", path.display());
    }
    if let Some(path) = &args.weight_trace {
        if model.run.weights.is_empty() {
            bail!(
                "--weight-trace {}: the network file records no weights (add [[record.weights]])",
                path.display()
            );
        }
        match path.extension().and_then(|e| e.to_str()) {
            Some("csv") => state_file::write_weight_trace(path, net, &run.weight_traces)?,
            _ => spikefab_host::weights::draw_traces(path, net, &run.weight_traces, "spikefab sim")?,
        }
        println!("wrote {}", path.display());
    }
    if let Some(path) = &args.traces {
        spikefab_host::traces::draw(path, net, &run.probes, "spikefab sim")?;
        println!("wrote {}", path.display());
    }
    if let Some(path) = &args.state {
        write_state(path, net, &run.state)?;
    }
    if let Some(path) = &args.report {
        let report = serde_json::json!({
            "build_s": run.build_time.as_secs_f64(),
            "run_s": wall,
            "ticks": ticks,
            "neurons": net.num_neurons(),
            "synapses": net.num_synapses(),
            "spikes": stats.spikes,
            "spike_digest": format!("{:016x}", spikefab_sim::record::spike_digest(&run.spikes)),
            "synaptic_events": stats.synaptic_events,
            "peak_rss": peak_rss(),
            // Final plastic weights as fractions of the rule's range (for the STDP benchmark).
            "plastic_weights": net.stdp().map(|rule| {
                let span = (rule.w_max as f64 - rule.w_min as f64).max(1.0);
                net.synapses()
                    .fanin
                    .iter()
                    .map(|&(i, _)| (weights[i as usize] as f64 - rule.w_min as f64) / span)
                    .collect::<Vec<f64>>()
            }),
        });
        std::fs::write(path, format!("{report}\n")).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = &args.results {
        snapshot::save(path, Kind::Results, &run.result())?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// This process's peak resident set in bytes (Linux's VmHWM), if known.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

fn inspect(path: &Path, ticks: Option<u32>, timing: Timing) -> Result<()> {
    let model = load::model(path)?;
    let net = &model.network;
    let ticks = ticks.unwrap_or(model.run.ticks);
    println!("{}", summary::network(&path.display().to_string(), net));
    let how = capacity::Inspect {
        ticks,
        tick_us: timing.tick_us,
        clock_mhz: timing.clock_mhz,
    };
    println!("{}", capacity::report(net, how)?);
    Ok(())
}

/// The chip the arguments name, and the link to it.
fn connection(args: &ChipArgs) -> Result<Connection> {
    let target = match &args.target.port {
        Some(p) => session::Target::Port(p.clone()),
        None => session::Target::Virtual(Box::new(VirtualTarget {
            engine: args.engine.engine,
            line: args.line.model()?,
            ..VirtualTarget::new(args.core)
        })),
    };
    Ok(Connection {
        target,
        baud: args.baud,
        timeout: args.timeout_ms.map(Duration::from_millis),
        attempts: args.attempts,
    })
}

/// Open the chip (with `--realtime` on a virtual chip, whose core is known
/// before it starts, the tick period is checked first), say what it is, and
/// load `net` on it. What is said goes to standard error: `stream` writes
/// its spikes on standard output.
async fn open(args: &ChipArgs, timing: &Timing, net: &spikefab_sim::Network) -> Result<(Session, Image)> {
    if args.realtime && args.target.virtual_chip {
        timing.get().period(args.core).context("--realtime")?;
    }
    let connection = connection(args)?;
    if let session::Target::Virtual(v) = &connection.target {
        // Whether the network fits is said before the (slow) first build.
        Image::new(net, v.core)?;
        rtl::announce(v);
    }
    let mut session = Session::open(&connection, net).await?;
    match session.virtual_chip() {
        Some(vc) => rtl::describe(vc, args.line.model()?)?,
        None => eprintln!("chip on {}: {}", session.port(), summary::core(&session.config())),
    }
    let start = Instant::now();
    let image = session.load(net).await?;
    eprintln!(
        "loaded {} synapse-memory words and the neuron, ring, source, fan-in and trace tables in {:.2} s",
        image.syn.len(),
        start.elapsed().as_secs_f64()
    );
    if args.realtime {
        let timing = timing.get();
        let period = session.pace(&timing).await.context("--realtime")?;
        eprintln!(
            "real time: a tick every {period} clocks ({} µs at {} MHz)",
            timing.tick_us,
            timing.clock_mhz(Some(session.config()))
        );
    }
    Ok((session, image))
}

/// `stream`: the network loaded, then live input to live output; what is
/// said about it goes to standard error.
async fn stream(args: StreamArgs) -> Result<ExitCode> {
    let model = load::model(&args.net)?;
    let net = &model.network;
    let output: Box<dyn std::io::Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    let (input, name): (Box<dyn std::io::BufRead + Send>, String) = match &args.input {
        Some(path) => (
            Box::new(std::io::BufReader::new(
                std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?,
            )),
            path.display().to_string(),
        ),
        None => (Box::new(std::io::BufReader::new(std::io::stdin())), "stdin".to_string()),
    };
    let (mut session, _) = open(&args.chip, &args.timing, net).await?;
    eprintln!("reading input spikes from {name}");
    let start = Instant::now();
    let s = live::stream_live(session.chip(), net.num_axons(), input, &name, output, args.ticks).await?;
    eprintln!(
        "streamed {} ticks in {:.2} s: {} input spikes, {} output spikes",
        s.ticks,
        start.elapsed().as_secs_f64(),
        s.inputs,
        s.outputs
    );
    if args.chip.realtime {
        let pacing = session.chip().pacing().await?;
        let mhz = args.timing.get().clock_mhz(Some(session.config()));
        eprintln!("{}", summary::pacing(&pacing, mhz));
    }
    Ok(ExitCode::SUCCESS)
}

/// `run` (no verify arguments) or `verify`.
async fn run(args: ChipRunArgs, verify_args: Option<VerifyArgs>) -> Result<ExitCode> {
    check_outputs(&[
        (args.outputs.spikes.as_ref(), OutputKind::Spikes),
        (args.outputs.raster.as_ref(), OutputKind::Raster),
        (args.outputs.rates.as_ref(), OutputKind::Rates),
        (args.outputs.weights.as_ref(), OutputKind::Weights),
        (args.state.as_ref(), OutputKind::State),
        (verify_args.as_ref().and_then(|v| v.vcd.as_ref()), OutputKind::Vcd),
    ])?;
    if let Some(path) = args
        .outputs
        .spikes
        .as_ref()
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
    {
        bail!(
            "--spikes {}: a .bin spike snapshot holds each spike's busy cycle, which the chip does not send \
             (a STEP's answer carries their digest); write .csv (tick,neuron,population,index), or run \
             `spikefab sim` for the cycles",
            path.display()
        );
    }
    if verify_args.as_ref().is_some_and(|v| v.check_every == Some(0)) {
        bail!("--check-every 0: the state is compared every N ticks, N at least 1");
    }
    let (model, ticks) = prepare(&args.network)?;
    let net = &model.network;
    if !model.run.probes.is_empty() || !model.run.weights.is_empty() {
        println!(
            "note: a chip records no [[record.probe]] or [[record.weights]] (`spikefab sim` does); its state is \
             read at the end (--state)"
        );
    }
    let (mut session, image) = open(&args.chip, &args.timing, net).await?;
    let bar = progress_bar(ticks);
    let on_progress = |t: u32, n: usize| {
        bar.set_position(t as u64);
        bar.set_message(format!("{n} spikes"));
    };
    let start = Instant::now();
    let outcome = match &verify_args {
        None => session
            .run(net, &image, ticks, on_progress)
            .await
            .map(|r| (r.spikes, r.state, None)),
        Some(va) => {
            let plan = verify::Plan {
                ticks,
                every: va.check_every.unwrap_or(ticks),
            };
            session
                .verify(net, &image, plan, on_progress)
                .await
                .map(|v| (v.chip_spikes.clone(), v.chip_state.clone(), Some(v)))
        }
    };
    bar.finish_and_clear();
    // What arrived before a failure is kept: written out, and the tick named.
    let (spikes, state, verdict) = match outcome {
        Ok(x) => x,
        Err(stopped) => {
            let mut note = format!(
                "the run stopped at tick {} of {ticks}, after {} output spikes",
                stopped.reached,
                stopped.spikes.len()
            );
            if let Some(path) = &args.outputs.spikes {
                spike_files::write_unstamped(path, net, &stopped.spikes)?;
                note.push_str(&format!(" (written to {})", path.display()));
            }
            return Err(anyhow::Error::from(stopped.error).context(note));
        }
    };
    let elapsed = start.elapsed();
    let timing = args.timing.get();
    let mhz = timing.clock_mhz(Some(session.config()));
    let counters = session.chip().counters();
    println!(
        "ran {} ticks on the chip in {:.2} s: {} output spikes",
        counters.tick,
        elapsed.as_secs_f64(),
        spikes.len()
    );
    println!("{}", summary::rates(net, &spikes, counters.tick, timing.tick_us));
    println!(
        "{}",
        summary::cycles(counters.cycles, None, counters.tick, mhz, timing.tick_us)
    );
    let chip = session.chip();
    println!(
        "{}",
        summary::link(&chip.transport().stats(), spikes.len(), elapsed, chip.recoveries())
    );
    if args.chip.realtime {
        let pacing = chip.pacing().await?;
        println!("{}", summary::pacing(&pacing, mhz));
    }
    write_outputs(
        &args.outputs,
        net,
        &spikes,
        false,
        counters.tick,
        timing.tick_us,
        &state.weights,
        "spikefab run (chip)",
    )?;
    if let Some(path) = &args.state {
        write_state(path, net, &state)?;
    }
    let Some(v) = verdict else {
        return Ok(ExitCode::SUCCESS);
    };
    println!(
        "golden model: {} ticks in {:.3} s; chip (link included): {:.2} s",
        v.ticks,
        v.sim_time.as_secs_f64(),
        v.chip_time.as_secs_f64()
    );
    // A state difference is found at a checkpoint; on a virtual chip, reruns
    // on a fresh core of the same engine find the tick it appeared in.
    let mut divergence = v.divergence.clone();
    if let (Some(d), Some(vc)) = (&v.divergence, session.virtual_chip()) {
        if v.in_state {
            let good = v.checkpoints.iter().rev().nth(1).copied().unwrap_or(0);
            println!(
                "locating the first tick with a state difference (reruns of ticks {good}..{})...",
                d.tick
            );
            divergence = rtl::first_state_divergence(net, session.config(), vc, good, d.tick)
                .await?
                .or(divergence);
        }
    }
    let code = match &divergence {
        None => {
            println!(
                "VERIFIED: the chip and spikefab-sim agree: {} output spikes (tick and neuron; each tick's busy \
                 cycles and the digest of its spikes' busy cycles) and the full state (u, v, theta, refractory, \
                 traces, {} weights, LFSR, tick and cycle counters, delay ring) at tick{} {}",
                v.chip_spikes.len(),
                v.chip_state.weights.len(),
                if v.checkpoints.len() > 1 { "s" } else { "" },
                checkpoints(&v.checkpoints)
            );
            ExitCode::SUCCESS
        }
        Some(d) => {
            println!("DIVERGED (chip vs spikefab-sim): {d}");
            if d.field == verify::DIGEST_FIELD && verify_args.as_ref().is_some_and(|va| va.vcd.is_none()) {
                println!("add --vcd FILE for a waveform of the core over that tick: each spike's busy cycle");
            }
            ExitCode::from(2)
        }
    };
    if let Some(path) = verify_args.as_ref().and_then(|va| va.vcd.as_ref()) {
        let ticks = verify_args.as_ref().and_then(|va| va.vcd_ticks.clone());
        rtl::write_vcd(net, session.config(), ticks, divergence.as_ref(), v.ticks, path).await?;
    }
    Ok(code)
}

fn checkpoints(ticks: &[u32]) -> String {
    if ticks.len() <= 6 {
        return ticks.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", ");
    }
    format!("{}, {}, ..., {}", ticks[0], ticks[1], ticks[ticks.len() - 1])
}

fn chip(
    core: CoreConfig,
    engine: Option<EngineKind>,
    path_file: Option<PathBuf>,
    flip_rate: f64,
    drop_rate: f64,
    seed: u64,
    line: LineArgs,
) -> Result<()> {
    for (name, r) in [("--flip-rate", flip_rate), ("--drop-rate", drop_rate)] {
        if !(0.0..=1.0).contains(&r) {
            bail!("{name} {r} is not a probability (0 to 1)");
        }
    }
    let noisy = |s| FaultPlan::none().random(flip_rate, drop_rate, s);
    let target = VirtualTarget {
        engine,
        line: line.model()?,
        to_chip: noisy(seed),
        from_chip: noisy(seed.wrapping_add(1)),
        ..VirtualTarget::new(core)
    };
    rtl::announce(&target);
    let chip = session::start_virtual(&target)?;
    rtl::describe(&chip, target.line)?;
    let path = rtl::path(&chip).display().to_string();
    if let Some(f) = &path_file {
        std::fs::write(f, format!("{path}\n")).with_context(|| format!("cannot write {}", f.display()))?;
    }
    // On standard error, with what `rtl::describe` said.
    eprintln!("  open it with `spikefab run NET --port {path}` or any serial terminal; Ctrl-C stops it");
    let clocks = rtl::serve(chip)?;
    eprintln!("virtual chip stopped after {clocks} clocks");
    Ok(())
}

fn board_name(name: &str) -> Result<&'static Board, String> {
    Board::by_name(name).ok_or_else(|| {
        let known: Vec<&str> = BOARDS.iter().map(|b| b.name).collect();
        format!("no board `{name}`; the boards are: {}", known.join(", "))
    })
}

fn flash(board: &'static Board, bitstream: Option<&Path>, tool: Option<&str>, dry_run: bool) -> Result<()> {
    let plan = flash::plan(board, bitstream, tool, !dry_run)?;
    if dry_run {
        println!("{}", plan.command_line());
        return Ok(());
    }
    println!("flashing the {}: {}", board.title, plan.command_line());
    let said = plan.run()?;
    print!("{said}");
    println!(
        "flashed; the board's UART is its {} at {} baud (`spikefab ports` lists it)",
        board.bridge, board.baud
    );
    Ok(())
}

fn ports() -> Result<()> {
    let ports = serial::ports().context("cannot list the serial ports")?;
    if ports.is_empty() {
        println!("no serial ports found (a board's USB-UART bridge shows up as /dev/ttyUSB* or /dev/ttyACM*)");
    }
    for p in ports {
        println!("{}  {}", p.name, p.description);
    }
    Ok(())
}

/// The RTL side of the command line: what a virtual chip runs on and how
/// fast, the reruns that find the tick a difference appeared in, waveforms.
/// In a build without the `virtual-chip` feature (no rust-hdl or Verilator
/// model compiled in) there is no virtual chip and these say so. What is
/// said goes to standard error (standard output is for results: `stream`
/// writes its spikes there).
#[cfg(feature = "virtual-chip")]
mod rtl {
    use std::ops::Range;
    use std::path::Path;
    use std::time::Duration;

    use anyhow::{Context, Result};
    use spikefab_chip::config::CoreConfig;
    use spikefab_chip::engine::EngineKind;
    use spikefab_hdl::engine;
    use spikefab_host::line::{LineModel, BITS_PER_BYTE};
    use spikefab_host::session::{VirtualChip, VirtualTarget};
    use spikefab_host::{summary, waveform};
    use spikefab_sim::record::Divergence;
    use spikefab_sim::Network;

    /// Before a virtual chip starts: a Verilator model may have to be built.
    pub fn announce(target: &VirtualTarget) {
        if target.engine.unwrap_or_else(engine::preferred) == EngineKind::Verilator {
            eprintln!(
                "virtual chip: the {} core on Verilator (built on first use, then cached)",
                target.core.name
            );
        }
    }

    /// Say what a started virtual chip runs on, how fast, and the link it
    /// models.
    pub fn describe(chip: &VirtualChip, line: Option<LineModel>) -> Result<()> {
        let kind = chip.engine();
        let rate = engine::clock_rate(kind, chip.config(), Duration::from_millis(200))?;
        eprintln!(
            "virtual chip: the RTL {} on {}\n  engine {kind}: {}; {:.2} M core clocks/s on empty ticks",
            summary::core(&chip.config()),
            chip.path().display(),
            chip.engine_description(),
            rate / 1e6
        );
        if let Some(l) = line {
            eprintln!(
                "  link modelled: a UART at {} baud ({} bytes/s each way) and {} ms of latency each way",
                l.baud,
                l.baud / BITS_PER_BYTE,
                l.latency.as_secs_f64() * 1e3
            );
        }
        Ok(())
    }

    /// Serve `chip` until it stops; the clocks it ran.
    pub fn serve(chip: VirtualChip) -> Result<u64> {
        Ok(chip.wait()?.clocks)
    }

    /// The path of `chip`'s pseudo-terminal.
    pub fn path(chip: &VirtualChip) -> &Path {
        chip.path()
    }

    /// The first tick in `good..=tick` after which the core's state differs
    /// from the golden model's, by reruns on a fresh core of `chip`'s engine.
    pub async fn first_state_divergence(
        net: &Network,
        config: CoreConfig,
        chip: &VirtualChip,
        good: u32,
        tick: u32,
    ) -> Result<Option<Divergence>> {
        Ok(waveform::first_state_divergence(net, net, config, chip.engine(), good, tick).await?)
    }

    /// Rerun `net` on a Verilator model built with tracing and write the
    /// core's signals over `ticks` (by default the ticks around
    /// `divergence`) to the VCD file `path`.
    pub async fn write_vcd(
        net: &Network,
        config: CoreConfig,
        ticks: Option<Range<u32>>,
        divergence: Option<&Divergence>,
        ticks_run: u32,
        path: &Path,
    ) -> Result<()> {
        let range = ticks.unwrap_or_else(|| waveform::default_ticks(divergence, ticks_run));
        let clocks = waveform::write_vcd(net, config, range.clone(), ticks_run, path)
            .await
            .with_context(|| format!("writing the waveform {}", path.display()))?;
        println!(
            "wrote {}: every signal of the RTL core in ticks {}..{} ({clocks} clocks; one clock is 2 time units)",
            path.display(),
            range.start,
            range.end
        );
        Ok(())
    }
}

#[cfg(not(feature = "virtual-chip"))]
mod rtl {
    use std::ops::Range;
    use std::path::Path;

    use anyhow::Result;
    use spikefab_chip::config::CoreConfig;
    use spikefab_host::line::LineModel;
    use spikefab_host::session::{VirtualChip, VirtualTarget};
    use spikefab_sim::record::Divergence;
    use spikefab_sim::Network;

    pub fn announce(_: &VirtualTarget) {}

    pub fn describe(chip: &VirtualChip, _: Option<LineModel>) -> Result<()> {
        match *chip {}
    }

    pub fn serve(chip: VirtualChip) -> Result<u64> {
        match chip {}
    }

    pub fn path(chip: &VirtualChip) -> &Path {
        match *chip {}
    }

    pub async fn first_state_divergence(
        _: &Network,
        _: CoreConfig,
        chip: &VirtualChip,
        _: u32,
        _: u32,
    ) -> Result<Option<Divergence>> {
        match *chip {}
    }

    pub async fn write_vcd(
        _: &Network,
        _: CoreConfig,
        _: Option<Range<u32>>,
        _: Option<&Divergence>,
        _: u32,
        _: &Path,
    ) -> Result<()> {
        Err(anyhow::anyhow!(
            "--vcd (a waveform of the RTL core) needs the RTL core, which this spikefab was built without (cargo \
             feature `virtual-chip`, on by default: `cargo install --path host` or `make`); a board works without it \
             (--port)"
        ))
    }
}
