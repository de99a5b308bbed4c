//! `spikefab`: simulate a network, run it on a board or on the virtual chip,
//! verify the chip against the golden model, inspect what fits where.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{CommandFactory, FromArgMatches};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use spikefab_chip::board::Board;
use spikefab_chip::config::CoreConfig;
use spikefab_chip::engine::EngineKind;
use spikefab_chip::image::Image;
use spikefab_host::faults::FaultPlan;
use spikefab_host::outputs::{self, OutputKind};
use spikefab_host::session::{self, Connection, Session, VirtualTarget};
use spikefab_host::{
    capacity, flash, golden, live, load, nir, raster, rates, serial, spike_files, state_file, summary, verify,
};

use spikefab_sim::config::{Keep, Model};
use spikefab_sim::dither::Rounding;
use spikefab_sim::quantize::Discretization;
use spikefab_sim::snapshot::{self, Kind, RunResult};
use spikefab_sim::Simulator;

use args::{ChipArgs, ChipRunArgs, Cli, Command, LineArgs, Network, Outputs, PlotArgs, PlotKind, SimArgs, StreamArgs};
use args::{RoundingArg, Steps, Timing, VerifyArgs};
use world::World;

mod args;
#[cfg_attr(feature = "virtual-chip", path = "rtl.rs")]
#[cfg_attr(not(feature = "virtual-chip"), path = "no_rtl.rs")]
mod rtl;
mod world;

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
    let matches = Cli::command().get_matches();
    let command = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli.command,
        Err(e) => e.exit(),
    };
    if !matches!(command, Command::Sim(_)) {
        world::refuse_ranks(matches.subcommand_name().unwrap_or_default())?;
    }
    match command {
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
        Command::Import {
            graph,
            out,
            dt,
            core,
            decays,
            rounding,
        } => {
            let options = nir::Options {
                dt,
                discretization: match decays {
                    Steps::Euler => Discretization::Euler,
                    Steps::Exact => Discretization::Exact,
                },
                rounding: match rounding {
                    RoundingArg::Dither => Rounding::Dither,
                    RoundingArg::TowardZero => Rounding::TowardZero,
                },
            };
            import(&graph, &out, options, core).map(|_| ExitCode::SUCCESS)
        }
        Command::Export { net, out, dt } => export(&net, &out, dt).map(|_| ExitCode::SUCCESS),
        Command::Save { net, out } => {
            let model = load::model(&net)?;
            snapshot::save_model(&out, &model)?;
            println!("wrote {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Plot(args) => plot(&args).map(|_| ExitCode::SUCCESS),
        Command::Quantize { net, out } => {
            outputs::check_as(&out, OutputKind::Network, "--out")?;
            let (text, report) = spikefab_sim::config::integer_toml(&net)?;
            match report {
                Some(r) => println!("{r}"),
                None => println!("{} has no values in physical units: written as it reads", net.display()),
            }
            let header = format!(
                "# {} in the chip's integers, written by `spikefab quantize` (docs/units.md).\n",
                net.display()
            );
            std::fs::write(&out, header + &text).with_context(|| format!("cannot write {}", out.display()))?;
            println!("wrote {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `spikefab import`: a NIR graph as a network file, checked by loading it
/// (and against `core`).
fn import(graph: &Path, out: &Path, options: nir::Options, core: Option<CoreConfig>) -> Result<()> {
    outputs::check_as(out, OutputKind::Network, "--out")?;
    let imported = nir::import(&nir::read(graph)?, options)?;
    let text = toml::to_string(&imported.file).context("cannot write the network as TOML")?;
    let model = spikefab_sim::config::parse_toml(&text, None)
        .with_context(|| format!("the network imported from {} does not load", graph.display()))?;
    println!("{imported}");
    if let Some(core) = core {
        Image::new(&model.network, core)
            .with_context(|| format!("{} does not fit the {} core", graph.display(), core.name))?;
        println!("fits the {} core", core.name);
    }
    let header = format!(
        "# {} imported by `spikefab import` (docs/nir.md): dt = {} s, {} ticks; the inputs carry no spikes (add them,\n\
         # or stream them with `spikefab stream`); output populations: {}.\n",
        graph.display(),
        imported.dt,
        nir::import::TICKS,
        imported.outputs.join(", ")
    );
    std::fs::write(out, header + &text).with_context(|| format!("cannot write {}", out.display()))?;
    println!("wrote {}", out.display());
    Ok(())
}

/// `spikefab export`: a network as a NIR graph.
fn export(net: &Path, out: &Path, dt: Option<f64>) -> Result<()> {
    if out.extension().is_none_or(|e| e != "nir") {
        bail!("--out {}: a NIR graph's file name ends in .nir", out.display());
    }
    let model = load::model(net)?;
    let Some(dt) = dt.or(dt_of(&model).map(|ms| ms / 1000.0)) else {
        bail!("{} has no dt: give the tick with --dt SECONDS", net.display());
    };
    let e = nir::export(&model.network, dt, model.run.ticks)?;
    std::fs::write(out, &e.bytes).with_context(|| format!("cannot write {}", out.display()))?;
    let nodes: Vec<String> = e.nodes.iter().map(|(n, k)| format!("{n} ({k})")).collect();
    println!("NIR graph of {} (dt = {dt} s): {}", net.display(), nodes.join(", "));
    for l in &e.left_out {
        println!("  not in the graph: {l}");
    }
    println!("wrote {}", out.display());
    Ok(())
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
/// its description printed when `show`. With `keep`, only the synapses onto
/// the targets it gives are built ([`load::model_keeping`]).
fn prepare(args: &Network, keep: Option<Keep>, show: bool) -> Result<(Model, u32)> {
    let mut changes = load::Changes::parse(&args.set, args.seed)?;
    changes.inputs = args.inputs.clone();
    let model = match keep {
        Some(keep) => load::model_keeping(&args.net, &changes, keep)?,
        None => load::model_with(&args.net, &changes)?,
    };
    let ticks = load::ticks(&model, args.ticks)?;
    if show {
        println!("{}", summary::network(&args.net.display().to_string(), &model.network));
    }
    Ok((model, ticks))
}

/// Why each rank of `sim` must build the whole network, if an output asks
/// for it: the outputs that name every synapse by its endpoints.
fn whole_network_for(args: &SimArgs) -> Option<&'static str> {
    [
        (args.state.is_some(), "--state"),
        (args.outputs.weights.is_some(), "--weights"),
        (args.weight_trace.is_some(), "--weight-trace"),
    ]
    .into_iter()
    .find_map(|(asked, flag)| asked.then_some(flag))
}

/// Write a final state as JSON (`sim --state`, `run --state`).
fn write_state(path: &Path, net: &spikefab_sim::Network, state: &spikefab_sim::StateDump) -> Result<()> {
    state_file::write(path, net, state)?;
    println!("wrote {}", path.display());
    Ok(())
}

/// Check every output path named on the command line before anything runs.
fn check_outputs<'a>(paths: impl IntoIterator<Item = (Option<&'a PathBuf>, OutputKind)>) -> Result<()> {
    for (path, kind) in paths {
        if let Some(p) = path {
            outputs::check(p, kind)?;
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
    let world = World::join()?;
    // Rank 0 alone writes, so it alone checks where; a failure on one rank
    // stops them all.
    if world.rank() == 0 {
        world.settle(check_outputs(args.outputs.files().into_iter().chain([
            (args.probes.as_ref(), OutputKind::Probes),
            (args.traces.as_ref(), OutputKind::Traces),
            (args.weight_trace.as_ref(), OutputKind::WeightTrace),
            (args.results.as_ref(), OutputKind::Results),
            (args.report.as_ref(), OutputKind::Report),
            (args.state.as_ref(), OutputKind::State),
        ])))?;
    }
    let threads = args.threads.map_or_else(|| world.default_threads(), |t| t.get());
    // Spread over ranks, each builds only the synapses onto its own neurons,
    // unless an output names every synapse.
    let (rank, size) = (world.rank(), world.size());
    let whole_for = whole_network_for(&args);
    let targets = move |n: u32| Simulator::rank_targets(n, threads, rank, size);
    let keep = (size > 1 && whole_for.is_none()).then_some(&targets as Keep);
    // Every rank runs the simulation; rank 0 shows it and writes the outputs.
    let lead = rank == 0;
    let (model, ticks) = world.settle(prepare(&args.network, keep, lead))?;
    let net = &model.network;
    if size > 1 && lead {
        let why = match (net.share(), whole_for) {
            (Some(_), _) => None,
            (None, Some(flag)) => Some(format!("{flag} names every synapse")),
            (None, None) => Some("[[record.weights]] selects synapses by their endpoints".into()),
        };
        match why {
            None => println!("each of the {size} ranks builds the synapses onto its own neurons"),
            Some(why) => println!("each of the {size} ranks builds the whole network: {why}"),
        }
    }
    let options = golden::Options {
        dense: args.dense,
        core: args.core.map(|c| c.shape()),
        threads,
        // The outputs that hold or plot the final weights.
        weights: args.results.is_some() || args.state.is_some() || args.outputs.weights.is_some(),
    };
    let bar = if lead {
        progress_bar(ticks)
    } else {
        ProgressBar::hidden()
    };
    let run = golden::simulate_on(&model, ticks, options, world.ranks(), |t, n| {
        bar.set_position(t as u64);
        bar.set_message(format!("{n} spikes"));
        ControlFlow::Continue(())
    });
    bar.finish_and_clear();
    let run = world.settle(run.map_err(anyhow::Error::from))?;
    if !lead {
        return Ok(());
    }
    let timing = args.timing.get(dt_of(&model));
    let (tick_us, clock_mhz) = (timing.tick_us, timing.clock_mhz(args.core));
    println!("{}", summary::golden(net, &run, args.dense, tick_us, clock_mhz));
    let weights = &run.state.weights;
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
        let report = run.report(net);
        std::fs::write(path, format!("{report}\n")).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = &args.results {
        snapshot::save(path, Kind::Results, &run.result())?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// The tick of a network file in physical units, ms.
fn dt_of(model: &Model) -> Option<f64> {
    model.units.as_ref().map(|u| u.dt)
}

fn inspect(path: &Path, ticks: Option<u32>, timing: Timing) -> Result<()> {
    let model = load::model(path)?;
    let net = &model.network;
    let ticks = ticks.unwrap_or(model.run.ticks);
    println!("{}", summary::network(&path.display().to_string(), net));
    if let Some(report) = &model.units {
        println!("{report}");
    }
    let how = capacity::Inspect {
        ticks,
        timing: timing.get(dt_of(&model)),
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
async fn open(args: &ChipArgs, timing: &Timing, model: &Model) -> Result<(Session, Image)> {
    let net = &model.network;
    if args.realtime && args.target.virtual_chip {
        timing.get(dt_of(model)).period(args.core).context("--realtime")?;
    }
    let connection = connection(args)?;
    // Whether the network fits is said before the (slow) first build.
    connection.check_fit(net)?;
    if let session::Target::Virtual(v) = &connection.target {
        rtl::announce(v);
    }
    let mut session = Session::connect(&connection).await?;
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
        let timing = timing.get(dt_of(model));
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
    let (mut session, _) = open(&args.chip, &args.timing, &model).await?;
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
        let mhz = args.timing.get(dt_of(&model)).clock_mhz(Some(session.config()));
        eprintln!("{}", summary::pacing(&pacing, mhz));
    }
    Ok(ExitCode::SUCCESS)
}

/// `run` (no verify arguments) or `verify`.
async fn run(args: ChipRunArgs, verify_args: Option<VerifyArgs>) -> Result<ExitCode> {
    check_outputs(args.outputs.files().into_iter().chain([
        (args.state.as_ref(), OutputKind::State),
        (verify_args.as_ref().and_then(|v| v.vcd.as_ref()), OutputKind::Vcd),
    ]))?;
    if let Some(path) = args.outputs.spikes.as_ref().filter(|p| load::is_snapshot(p)) {
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
    let (model, ticks) = prepare(&args.network, None, true)?;
    let net = &model.network;
    if !model.run.probes.is_empty() || !model.run.weights.is_empty() {
        println!(
            "note: a chip records no [[record.probe]] or [[record.weights]] (`spikefab sim` does); its state is \
             read at the end (--state)"
        );
    }
    let (mut session, image) = open(&args.chip, &args.timing, &model).await?;
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
    let timing = args.timing.get(dt_of(&model));
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
