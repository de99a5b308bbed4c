//! What the CLI prints about networks, runs and links: one place for the
//! wording, so that `sim`, `inspect`, `run` and `verify` say the same things
//! the same way.

use std::fmt::Write;
use std::time::Duration;

use spikefab_chip::config::CoreConfig;
use spikefab_sim::network::PopulationKind;
use spikefab_sim::{Network, SpikeEvent};

use crate::driver::Pacing;
use crate::golden::GoldenRun;
use crate::link::LinkStats;

/// Populations, synapses and inputs of a network.
pub fn network(name: &str, net: &Network) -> String {
    let mut s = format!("network {name}\n");
    for p in net.populations() {
        let kind = match p.kind {
            PopulationKind::Neurons => "neurons",
            PopulationKind::Axons => "input axons",
        };
        let _ = writeln!(s, "  {:<12} {:>9} {kind}", p.name, p.size);
    }
    let bytes = net.synapse_bytes();
    let _ = writeln!(
        s,
        "  synapses {} ({} plastic), max delay {} ticks, learning {}, decays rounded {}",
        net.num_synapses(),
        net.num_plastic(),
        net.max_delay(),
        match net.stdp() {
            Some(r) if r.post_delay > 0 => format!("on (post spikes paired {} ticks late)", r.post_delay),
            Some(_) => "on".to_string(),
            None => "off".to_string(),
        },
        net.rounding().describe()
    );
    // Of one rank's share, what this rank holds.
    let held = net.synapses().len();
    let per_synapse = match held {
        0 => String::new(),
        n => format!(" ({:.2} bytes/synapse)", bytes as f64 / n as f64),
    };
    let whose = match net.share() {
        Some(share) => format!(
            " on this rank ({held} synapses onto neurons {}..{})",
            share.targets.start, share.targets.end
        ),
        None => String::new(),
    };
    let _ = write!(
        s,
        "  synapse storage {:.1} MiB{whose}{per_synapse}, input spikes scheduled {}",
        bytes as f64 / (1 << 20) as f64,
        net.inputs().len()
    );
    s
}

/// A core configuration in one line.
pub fn core(c: &CoreConfig) -> String {
    format!(
        "{} core (N={} neurons, M={} axons, D={} delay slots, S={} synapse words)",
        c.name,
        c.neurons(),
        c.axons(),
        c.delay_slots(),
        c.syn_words()
    )
}

/// Spike counts and rates per neuron population.
pub fn rates(net: &Network, spikes: &[SpikeEvent], ticks: u32, tick_us: f64) -> String {
    let seconds = (ticks as f64 * tick_us * 1e-6).max(f64::MIN_POSITIVE);
    let mut per_neuron = vec![0u64; net.num_neurons() as usize];
    for s in spikes {
        if let Some(c) = per_neuron.get_mut(s.neuron as usize) {
            *c += 1;
        }
    }
    let mut out = String::new();
    for p in net.populations().iter().filter(|p| p.kind == PopulationKind::Neurons) {
        let count: u64 = per_neuron[p.first as usize..(p.first + p.size) as usize].iter().sum();
        let _ = writeln!(
            out,
            "  {:<12} {:>9} spikes  {:>8.2} Hz per neuron (at {tick_us} us/tick)",
            p.name,
            count,
            count as f64 / p.size as f64 / seconds
        );
    }
    out.trim_end().to_string()
}

/// Busy cycles against the tick budget at a clock.
pub fn cycles(total: u64, worst: Option<u64>, ticks: u32, clock_mhz: f64, tick_us: f64) -> String {
    let per_tick = total as f64 / ticks.max(1) as f64;
    let budget = tick_us * clock_mhz;
    let mut s = format!(
        "  busy cycles {total}  mean {per_tick:.0}/tick  at {clock_mhz} MHz and {tick_us} us/tick: {:.2}x real time",
        budget / per_tick.max(1.0)
    );
    if let Some(w) = worst {
        let _ = write!(s, " (worst tick {w} cycles: {:.2}x)", budget / w.max(1) as f64);
    }
    s
}

/// Bytes, payload share, output-spike rate and recoveries of a link over
/// a run of `spikes` output spikes that took `run_time`.
pub fn link(stats: &LinkStats, spikes: usize, run_time: Duration, recoveries: u64) -> String {
    let secs = run_time.as_secs_f64().max(f64::MIN_POSITIVE);
    format!(
        "  link: {} bytes sent, {} received; payload {:.1}% of all bytes; {} output spikes in {:.2} s ({:.0} spikes/s)\n  \
         {} commands, {} retransmissions, {} damaged frames and {} stray bytes from the chip, {} recoveries by replay{}",
        stats.bytes_sent,
        stats.bytes_received,
        100.0 * stats.payload_share(),
        spikes,
        secs,
        spikes as f64 / secs,
        stats.commands,
        stats.retransmissions,
        stats.bad_frames,
        stats.garbage_bytes,
        recoveries,
        if stats.shortened > 0 {
            format!(
                "; WRITE and READ frames shortened {} times (now {} words)",
                stats.shortened, stats.frame_words
            )
        } else {
            String::new()
        }
    )
}

/// What real-time pacing counted (`docs/spec.md` §10.5), for a chip clocked
/// at `clock_mhz`.
pub fn pacing(p: &Pacing, clock_mhz: f64) -> String {
    let mut s = format!(
        "  real time: a tick every {} clocks ({:.1} µs at {clock_mhz} MHz): {} STEPs came after their tick was due, \
         {} ticks ran past their length",
        p.period,
        p.period as f64 / clock_mhz,
        p.late,
        p.overruns
    );
    if p.late > 0 {
        s.push_str("; late STEPs: the host or the link did not keep up (a lower baud rate, a busy host)");
    }
    if p.overruns > 0 {
        s.push_str("; overruns: the network needs more clocks per tick than the tick length has");
    }
    s
}

/// A golden-model run (`spikefab sim`): what ran, rates, counts, speed,
/// the plastic weights before and after, and the chip's predicted cycles.
pub fn golden(net: &Network, run: &GoldenRun, dense: bool, tick_us: f64, clock_mhz: f64) -> String {
    let (ticks, stats) = (run.ticks, run.stats);
    let mut s = String::new();
    let how = match dense {
        true => "dense updates",
        false => "quiescent neurons skipped",
    };
    let threads = match run.threads {
        1 => "1 thread".to_string(),
        t => format!("{t} threads"),
    };
    let _ = writeln!(s, "run {ticks} ticks in the golden model ({how}, {threads})");
    let _ = writeln!(s, "{}", rates(net, &run.spikes, ticks, tick_us));
    let unreached = net.inputs().iter().filter(|i| i.tick >= ticks).count();
    let _ = write!(s, "  input spikes {}", stats.input_spikes);
    if unreached > 0 {
        let _ = write!(s, " ({unreached} scheduled at or after tick {ticks} not reached)");
    }
    let _ = writeln!(
        s,
        "\n  synaptic events {}  neuron updates {} ({:.1}% of ticks x neurons)  weight updates {}",
        stats.synaptic_events,
        stats.neuron_updates,
        100.0 * stats.neuron_updates as f64 / (ticks as f64 * net.num_neurons() as f64).max(1.0),
        stats.weight_updates
    );
    let wall = run.run_time.as_secs_f64();
    let _ = writeln!(
        s,
        "  wall {:.3} s  {:.2} M synaptic events/s  {:.1}x real time",
        wall,
        stats.synaptic_events as f64 / wall / 1e6,
        ticks as f64 * tick_us * 1e-6 / wall
    );
    if net.num_plastic() > 0 {
        let show = |w: &[i8]| {
            let mean = w.iter().map(|&x| x as i64).sum::<i64>() as f64 / w.len() as f64;
            let (min, max) = (w.iter().min().unwrap_or(&0), w.iter().max().unwrap_or(&0));
            format!("mean {mean:.2} (min {min}, max {max})")
        };
        let _ = writeln!(
            s,
            "  plastic weights: before {}  after {}",
            show(&run.plastic[0]),
            show(&run.plastic[1])
        );
    }
    let core = run.core;
    let _ = writeln!(
        s,
        "chip prediction (core N={} M={} D={}, cost table v1)",
        core.neurons, core.axons, core.delay_slots
    );
    s.push_str(&cycles(
        run.state.cycle,
        Some(run.worst_tick_cycles),
        ticks,
        clock_mhz,
        tick_us,
    ));
    s
}
