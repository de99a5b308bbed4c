//! A run in the golden model (`spikefab sim`, `spikefab.simulate` in
//! Python): the network's probes and weight records set up as its file
//! asks, every tick stepped, and everything the run produced kept: spikes
//! with their busy cycles, probe traces, weight traces, the final state,
//! counts, and the chip's predicted cycles.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use spikefab_sim::config::Model;
use spikefab_sim::record::{spike_digest, ProbeTrace, RunStats, WeightTrace};
use spikefab_sim::snapshot::RunResult;
use spikefab_sim::{CoreShape, Exchange, Network, Ranks, SimError, SimOptions, Simulator, SpikeEvent, StateDump};

/// How to run the golden model.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Update every neuron every tick instead of skipping quiescent ones
    /// (the same results, slower on sparse activity).
    pub dense: bool,
    /// Predict cycles for this core (default: a core shaped like the
    /// network).
    pub core: Option<CoreShape>,
    /// Threads ([`SimOptions::threads`]: 0 for one per core; the results
    /// do not depend on it).
    pub threads: usize,
    /// Keep the final weights in the run's state (an output needs them);
    /// without, `state.weights` is empty
    /// ([`Simulator::state_without_weights`]).
    pub weights: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            dense: false,
            core: None,
            threads: 1,
            weights: true,
        }
    }
}

/// Ticks run between two calls of a run's progress function: the threads
/// meet at least this seldom for it.
pub const PROGRESS_TICKS: u32 = 256;

/// Everything a golden-model run produced.
#[derive(Debug, Clone)]
pub struct GoldenRun {
    /// Ticks run.
    pub ticks: u32,
    /// Output spikes in order, each with its busy cycle.
    pub spikes: Vec<SpikeEvent>,
    /// The probes of the file's `[[record.probe]]`, one value per tick.
    pub probes: Vec<ProbeTrace>,
    /// The weight records of the file's `[[record.weights]]`.
    pub weight_traces: Vec<WeightTrace>,
    /// The state after the last tick.
    pub state: StateDump,
    /// The plastic weights before the first tick and after the last, in
    /// fan-in order ([`Simulator::plastic_weights`]; empty without learning).
    pub plastic: [Vec<i8>; 2],
    /// Counts of spikes, events and updates.
    pub stats: RunStats,
    /// The core the cycles are predicted for.
    pub core: CoreShape,
    /// The busy cycles of the busiest tick.
    pub worst_tick_cycles: u64,
    /// Threads the run took (in each process).
    pub threads: usize,
    /// Processes (MPI ranks) the run was spread over.
    pub ranks: usize,
    /// How often the parts met, and what this process sent the other ranks.
    pub exchange: Exchange,
    /// Time to set the simulator up.
    pub build_time: Duration,
    /// Time to run the ticks.
    pub run_time: Duration,
}

impl GoldenRun {
    /// The run as a results snapshot (`sim --results`).
    pub fn result(&self) -> RunResult {
        RunResult {
            core: self.core,
            spikes: self.spikes.clone(),
            probes: self.probes.clone(),
            stats: self.stats,
            final_state: self.state.clone(),
        }
    }

    /// The run's figures as JSON (`sim --report`, for the benchmarks):
    /// build and run seconds, sizes, spikes and their digest, synaptic
    /// events, this process's peak resident set, and the final plastic
    /// weights as fractions of the learning rule's range.
    pub fn report(&self, net: &Network) -> serde_json::Value {
        serde_json::json!({
            "threads": self.threads,
            "ranks": self.ranks,
            "meetings": self.exchange.meetings,
            "exchange_bytes": self.exchange.bytes_sent,
            "build_s": self.build_time.as_secs_f64(),
            "run_s": self.run_time.as_secs_f64(),
            "ticks": self.ticks,
            "neurons": net.num_neurons(),
            "synapses": net.num_synapses(),
            "spikes": self.stats.spikes,
            "spike_digest": format!("{:016x}", spike_digest(&self.spikes)),
            "synaptic_events": self.stats.synaptic_events,
            "peak_rss": peak_rss(),
            "plastic_weights": net.stdp().map(|rule| {
                let span = (rule.w_max as f64 - rule.w_min as f64).max(1.0);
                self.plastic[1]
                    .iter()
                    .map(|&w| (w as f64 - rule.w_min as f64) / span)
                    .collect::<Vec<f64>>()
            }),
        })
    }
}

/// This process's peak resident set in bytes (Linux's VmHWM), if known.
pub fn peak_rss() -> Option<u64> {
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

/// Run `model` for `ticks` ticks in the golden model, recording what its
/// file asks; `progress` sees the ticks done and the spikes so far every
/// [`PROGRESS_TICKS`] ticks and at the end, and may stop the run there (the
/// run then holds the ticks done).
pub fn simulate(
    model: &Model,
    ticks: u32,
    options: Options,
    progress: impl FnMut(u32, usize) -> ControlFlow<()>,
) -> Result<GoldenRun, SimError> {
    simulate_on(model, ticks, options, None, progress)
}

/// [`simulate`] spread over `ranks` when given ([`Simulator::with_ranks`]:
/// every rank calls this with the same arguments, and every rank's run
/// holds the whole result; `progress` must take the same decisions on every
/// rank).
pub fn simulate_on(
    model: &Model,
    ticks: u32,
    options: Options,
    ranks: Option<Box<dyn Ranks>>,
    progress: impl FnMut(u32, usize) -> ControlFlow<()>,
) -> Result<GoldenRun, SimError> {
    let build = Instant::now();
    let opts = SimOptions {
        skip_quiescent: !options.dense,
        core: options.core,
        threads: options.threads,
        ..SimOptions::default()
    };
    let mut sim = match ranks {
        Some(ranks) => Simulator::with_ranks(&model.network, opts, ranks)?,
        None => Simulator::new(&model.network, opts)?,
    };
    sim.set_record_spikes(true);
    for &(n, var) in &model.run.probes {
        sim.add_probe(n, var)?;
    }
    for w in &model.run.weights {
        sim.add_weight_record(w.synapses.clone(), w.every)?;
    }
    let build_time = build.elapsed();
    let before = sim.plastic_weights();
    let start = Instant::now();
    let worst = step(&mut sim, ticks, progress);
    let run_time = start.elapsed();
    Ok(GoldenRun {
        ticks: sim.tick(),
        stats: sim.stats(),
        core: sim.core(),
        probes: sim.probes().to_vec(),
        weight_traces: sim.weight_traces().to_vec(),
        state: match options.weights {
            true => sim.state_dump(),
            false => sim.state_without_weights(),
        },
        plastic: [before, sim.plastic_weights()],
        spikes: sim.take_spikes(),
        worst_tick_cycles: worst,
        threads: sim.threads(),
        ranks: sim.ranks(),
        exchange: sim.exchange(),
        build_time,
        run_time,
    })
}

/// Run `sim` up to `ticks` ticks, [`PROGRESS_TICKS`] at a time;
/// `progress` sees the ticks done and the spikes so far after each, and may
/// stop there. The busy cycles of the busiest tick.
pub fn step(sim: &mut Simulator, ticks: u32, mut progress: impl FnMut(u32, usize) -> ControlFlow<()>) -> u64 {
    let mut done = 0;
    while done < ticks {
        let now = PROGRESS_TICKS.min(ticks - done);
        sim.run(now);
        done += now;
        if progress(done, sim.spikes().len()).is_break() {
            break;
        }
    }
    sim.busiest_tick_cycles()
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikefab_sim::config;

    const NET: &str = r#"
[simulation]
ticks = 600
[[input]]
name = "in"
size = 2
poisson = { p = 0.3 }
[[population]]
name = "out"
size = 3
neuron = { threshold = 150 }
[[projection]]
from = "in"
to = "out"
connect = { rule = "all_to_all" }
weight = 100
[[record.probe]]
population = "out"
vars = ["v"]
"#;

    #[test]
    fn keeps_what_the_simulator_saw() {
        let model = config::parse_toml(NET, None).unwrap();
        let mut seen = Vec::new();
        let run = simulate(&model, 600, Options::default(), |t, _| {
            seen.push(t);
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(seen, [256, 512, 600]);
        let cut = simulate(&model, 600, Options::default(), |t, _| match t >= 300 {
            true => ControlFlow::Break(()),
            false => ControlFlow::Continue(()),
        })
        .unwrap();
        assert_eq!((cut.ticks, cut.state.ticks), (512, 512));
        assert!(cut.spikes.iter().all(|s| s.tick < 512) && cut.probes.iter().all(|p| p.values.len() == 512));
        // Tick by tick, the busiest tick found by hand.
        let mut sim = Simulator::new(&model.network, SimOptions::default()).unwrap();
        sim.set_record_spikes(true);
        let mut worst = 0;
        for _ in 0..600 {
            let before = sim.cycle();
            sim.step_tick();
            worst = worst.max(sim.cycle() - before);
        }
        assert_eq!(run.spikes, sim.spikes());
        assert_eq!(run.state, sim.state_dump());
        assert_eq!(run.probes.len(), 3);
        assert!(run.probes.iter().all(|p| p.values.len() == 600));
        assert_eq!(run.worst_tick_cycles, worst);
        assert!(worst > 0 && worst < run.state.cycle);
        let dense = simulate(
            &model,
            600,
            Options {
                dense: true,
                ..Options::default()
            },
            |_, _| ControlFlow::Continue(()),
        )
        .unwrap();
        let threaded = simulate(
            &model,
            600,
            Options {
                threads: 3,
                ..Options::default()
            },
            |_, _| ControlFlow::Continue(()),
        )
        .unwrap();
        assert_eq!(threaded.spikes, run.spikes);
        assert_eq!(threaded.state, run.state);
        assert_eq!(dense.spikes, run.spikes);
    }
}
