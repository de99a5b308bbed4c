//! `spikefab-sim`: run a network file in the golden model and summarise it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use spikefab_sim::config::{self, Model};
use spikefab_sim::network::PopulationKind;
use spikefab_sim::snapshot::{self, Kind, RunResult};
use spikefab_sim::{CoreShape, SimOptions, Simulator};

#[derive(Parser)]
#[command(
    name = "spikefab-sim",
    version,
    about = "Spikefab golden model: event-driven, bit- and cycle-exact"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a network (.toml, .json, or a network snapshot .bin) and print a summary.
    Run {
        /// Network file.
        net: PathBuf,
        /// Ticks to run (default: the file's [simulation] ticks).
        #[arg(long)]
        ticks: Option<u32>,
        /// Update every neuron every tick instead of skipping quiescent ones (same results, for comparison).
        #[arg(long)]
        dense: bool,
        /// Write output spikes as CSV (tick,neuron,cycle).
        #[arg(long, value_name = "FILE")]
        spikes: Option<PathBuf>,
        /// Write probed variables as CSV (tick,neuron,var,value).
        #[arg(long, value_name = "FILE")]
        probes: Option<PathBuf>,
        /// Write a results snapshot (bincode): spikes, probes, stats, final state.
        #[arg(long, value_name = "FILE")]
        results: Option<PathBuf>,
        /// Tick duration in microseconds, for rates in Hz and the real-time factor.
        #[arg(long, default_value_t = 1000.0)]
        tick_us: f64,
        /// Core clock in MHz, for the real-time factor.
        #[arg(long, default_value_t = 12.0)]
        clock_mhz: f64,
    },
    /// Validate a network file and print its size.
    Check {
        /// Network file.
        net: PathBuf,
    },
    /// Save a network file as a compact snapshot (bincode).
    Save {
        /// Network file.
        net: PathBuf,
        /// Snapshot to write.
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    match real_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn real_main() -> Result<()> {
    match Cli::parse().command {
        Command::Check { net } => {
            let model = load(&net)?;
            describe(&net, &model);
            Ok(())
        }
        Command::Save { net, out } => {
            let model = load(&net)?;
            snapshot::save_model(&out, &model)?;
            println!("wrote {}", out.display());
            Ok(())
        }
        Command::Run {
            net,
            ticks,
            dense,
            spikes,
            probes,
            results,
            tick_us,
            clock_mhz,
        } => {
            let model = load(&net)?;
            describe(&net, &model);
            run(&model, ticks, dense, tick_us, clock_mhz, spikes, probes, results)
        }
    }
}

fn load(path: &Path) -> Result<Model> {
    if path.extension().and_then(|e| e.to_str()) == Some("bin") {
        Ok(snapshot::load(path, Kind::Network)?)
    } else {
        Ok(config::load(path)?)
    }
}

fn describe(path: &Path, model: &Model) {
    let net = &model.network;
    println!("network {}", path.display());
    for p in net.populations() {
        let kind = match p.kind {
            PopulationKind::Neurons => "neurons",
            PopulationKind::Axons => "input axons",
        };
        println!("  {:<12} {:>9} {kind}", p.name, p.size);
    }
    let bytes = net.synapse_bytes();
    println!(
        "  synapses {} ({} plastic), max delay {} ticks, learning {}",
        net.num_synapses(),
        net.num_plastic(),
        net.max_delay(),
        if net.stdp().is_some() { "on" } else { "off" }
    );
    println!(
        "  synapse storage {:.1} MiB ({:.2} bytes/synapse), input spikes scheduled {}",
        bytes as f64 / (1 << 20) as f64,
        bytes as f64 / net.num_synapses().max(1) as f64,
        net.inputs().len()
    );
}

#[allow(clippy::too_many_arguments)]
fn run(
    model: &Model,
    ticks: Option<u32>,
    dense: bool,
    tick_us: f64,
    clock_mhz: f64,
    spikes_csv: Option<PathBuf>,
    probes_csv: Option<PathBuf>,
    results: Option<PathBuf>,
) -> Result<()> {
    let net = &model.network;
    let ticks = ticks.unwrap_or(model.run.ticks);
    let opts = SimOptions {
        skip_quiescent: !dense,
        ..SimOptions::default()
    };
    let mut sim = Simulator::new(net, opts)?;
    sim.set_record_spikes(model.run.record_spikes || spikes_csv.is_some() || results.is_some());
    for &(n, var) in &model.run.probes {
        sim.add_probe(n, var)?;
    }
    let start = Instant::now();
    let mut max_tick_cycles = 0;
    for _ in 0..ticks {
        let before = sim.cycle();
        sim.step_tick();
        max_tick_cycles = max_tick_cycles.max(sim.cycle() - before);
    }
    let wall = start.elapsed().as_secs_f64();
    let stats = sim.stats();
    let unreached = net.inputs().iter().filter(|s| s.tick >= ticks).count();

    println!(
        "run {ticks} ticks ({})",
        if dense {
            "dense updates"
        } else {
            "quiescent neurons skipped"
        }
    );
    let seconds = ticks as f64 * tick_us * 1e-6;
    let mut per_neuron = vec![0u64; net.num_neurons() as usize];
    for s in sim.spikes() {
        per_neuron[s.neuron as usize] += 1;
    }
    for p in net.populations().iter().filter(|p| p.kind == PopulationKind::Neurons) {
        let count: u64 = per_neuron[p.first as usize..(p.first + p.size) as usize].iter().sum();
        println!(
            "  {:<12} {:>9} spikes  {:>8.2} Hz per neuron (at {tick_us} us/tick)",
            p.name,
            count,
            count as f64 / p.size as f64 / seconds.max(f64::MIN_POSITIVE)
        );
    }
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
    println!(
        "  wall {:.3} s  {:.2} M synaptic events/s  {:.1}x real time",
        wall,
        stats.synaptic_events as f64 / wall / 1e6,
        seconds / wall
    );
    if net.num_plastic() > 0 {
        let plastic: Vec<usize> = net.synapses().fanin.iter().map(|&(i, _)| i as usize).collect();
        let summary = |w: &[i8]| {
            let vals: Vec<i64> = plastic.iter().map(|&i| w[i] as i64).collect();
            let mean = vals.iter().sum::<i64>() as f64 / vals.len() as f64;
            format!(
                "mean {mean:.2} (min {}, max {})",
                vals.iter().min().unwrap(),
                vals.iter().max().unwrap()
            )
        };
        println!(
            "  plastic weights: before {}  after {}",
            summary(&net.synapses().weight),
            summary(sim.weights())
        );
    }
    let core: CoreShape = sim.core();
    let per_tick = sim.cycle() as f64 / ticks.max(1) as f64;
    let budget = tick_us * clock_mhz;
    println!(
        "chip prediction (core N={} M={} D={}, cost table v1)",
        core.neurons, core.axons, core.delay_slots
    );
    println!(
        "  busy cycles {}  mean {:.0}/tick  max {}/tick  at {clock_mhz} MHz: {:.2}x real time (mean), {:.2}x (worst tick)",
        sim.cycle(),
        per_tick,
        max_tick_cycles,
        budget / per_tick.max(1.0),
        budget / (max_tick_cycles.max(1)) as f64
    );

    if let Some(path) = spikes_csv {
        let mut w = csv_writer(&path)?;
        writeln!(w, "tick,neuron,cycle")?;
        for s in sim.spikes() {
            writeln!(w, "{},{},{}", s.tick, s.neuron, s.cycle)?;
        }
        w.flush()?;
        println!("wrote {}", path.display());
    }
    if let Some(path) = probes_csv {
        let mut w = csv_writer(&path)?;
        writeln!(w, "tick,neuron,var,value")?;
        for p in sim.probes() {
            for (t, v) in p.values.iter().enumerate() {
                writeln!(w, "{t},{},{},{v}", p.neuron, p.var.name())?;
            }
        }
        w.flush()?;
        println!("wrote {}", path.display());
    }
    if let Some(path) = results {
        let result = RunResult {
            core,
            spikes: sim.spikes().to_vec(),
            probes: sim.probes().to_vec(),
            stats,
            final_state: sim.state_dump(),
        };
        snapshot::save(&path, Kind::Results, &result)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn csv_writer(path: &Path) -> Result<std::io::BufWriter<std::fs::File>> {
    let f = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    Ok(std::io::BufWriter::new(f))
}
