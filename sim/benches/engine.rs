//! Engine benchmarks: `cargo bench -p spikefab-sim --bench engine` (or
//! `make bench`, which writes the output to `docs/benchmarks.md`).
//!
//! Prints Markdown. Each timing is the median of several runs of the same
//! deterministic workload; the scale run executes in a child process so its
//! peak RSS is its own.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::process::Command;
use std::time::Instant;

use priority_queue::PriorityQueue;
use rand::Rng;
use spikefab_sim::config::{self, Model};
use spikefab_sim::{SimOptions, Simulator};

const REPEATS: usize = 5;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Peak resident set of this process in bytes (Linux), if known.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

struct Timing {
    wall: f64,
    events: u64,
    updates: u64,
    spikes: u64,
}

fn time_run(model: &Model, skip: bool, ticks: u32) -> Timing {
    let mut walls = Vec::new();
    let mut last = None;
    for _ in 0..REPEATS {
        let mut sim = Simulator::new(
            &model.network,
            SimOptions {
                skip_quiescent: skip,
                ..SimOptions::default()
            },
        )
        .unwrap();
        let t = Instant::now();
        sim.run(ticks);
        walls.push(t.elapsed().as_secs_f64());
        let st = sim.stats();
        last = Some((st.synaptic_events, st.neuron_updates, st.spikes));
    }
    let (events, updates, spikes) = last.unwrap();
    Timing {
        wall: median(walls),
        events,
        updates,
        spikes,
    }
}

fn engine_table(name: &str, model: &Model, ticks: u32) {
    let n = model.network.num_neurons() as f64;
    for skip in [true, false] {
        let t = time_run(model, skip, ticks);
        println!(
            "| {name} | {} | {} | {:.2} | {:.3} | {:.2} | {:.1}% |",
            if skip { "skip quiescent" } else { "dense" },
            t.spikes,
            t.spikes as f64 / n / (ticks as f64 / 1000.0),
            t.wall,
            t.events as f64 / t.wall / 1e6,
            100.0 * t.updates as f64 / (n * ticks as f64),
        );
    }
}

/// A large network of mostly quiet neurons: 100,000 neurons each driven by
/// 10 of 1,000 sparse Poisson inputs (0.5 Hz), with weak recurrent synapses.
const SPARSE: &str = r#"
[simulation]
ticks = 1000
seed = 11
[[input]]
name = "in"
size = 1000
poisson = { p = 0.0005 }
[[population]]
name = "n"
size = 100000
neuron = { du = 743, dv = 200, threshold = 300, refractory = 2 }
[[projection]]
from = "in"
to = "n"
connect = { rule = "fixed_indegree", k = 10 }
weight = 40
[[projection]]
from = "n"
to = "n"
connect = { rule = "fixed_indegree", k = 10 }
weight = 5
delay = { uniform = [1, 8] }
"#;

/// Synthetic synaptic event stream: `per_tick` events a tick for `ticks`
/// ticks onto `n` targets with delays 1..=16, delivered by three schedulers.
fn scheduler_table() {
    let (n, ticks, per_tick, d) = (4000usize, 1000u32, 20_000usize, 16usize);
    let mut rng = config::seeded(5);
    let events: Vec<(u32, u8, i16)> = (0..per_tick * ticks as usize)
        .map(|_| {
            (
                rng.random_range(0..n as u32),
                rng.random_range(1..=d as u8),
                rng.random_range(-50..50),
            )
        })
        .collect();
    let total = events.len() as f64;
    let mut checks = Vec::new();

    // Delay ring: D slots of N accumulators; a tick reads and clears its slot.
    let ring = || {
        let mut ring = vec![0i32; d * n];
        let mut sum = 0i64;
        for t in 0..ticks as usize {
            let slot = t % d;
            for x in &mut ring[slot * n..(slot + 1) * n] {
                sum += *x as i64;
                *x = 0;
            }
            for &(target, delay, c) in &events[t * per_tick..(t + 1) * per_tick] {
                let s = (slot + delay as usize) % d;
                ring[s * n + target as usize] += c as i32;
            }
        }
        sum
    };
    // Binary heap of individual events keyed by arrival tick.
    let heap = || {
        let mut heap = BinaryHeap::new();
        let mut acc = vec![0i32; n];
        let mut sum = 0i64;
        for t in 0..ticks {
            while let Some(&Reverse((at, target, c))) = heap.peek() {
                if at != t {
                    break;
                }
                heap.pop();
                acc[target as usize] += c as i32;
            }
            for x in acc.iter_mut() {
                sum += *x as i64;
                *x = 0;
            }
            for &(target, delay, c) in &events[t as usize * per_tick..(t as usize + 1) * per_tick] {
                heap.push(Reverse((t + delay as u32, target, c)));
            }
        }
        sum
    };
    // priority-queue crate: one item per (arrival tick, target), accumulated.
    let pq = || {
        let mut pq: PriorityQueue<(u32, u32), Reverse<(u32, u32)>> = PriorityQueue::new();
        let mut sums = std::collections::HashMap::new();
        let mut acc = vec![0i32; n];
        let mut sum = 0i64;
        for t in 0..ticks {
            while let Some((&(at, target), _)) = pq.peek() {
                if at != t {
                    break;
                }
                pq.pop();
                acc[target as usize] += sums.remove(&(at, target)).unwrap_or(0);
            }
            for x in acc.iter_mut() {
                sum += *x as i64;
                *x = 0;
            }
            for &(target, delay, c) in &events[t as usize * per_tick..(t as usize + 1) * per_tick] {
                let key = (t + delay as u32, target);
                *sums.entry(key).or_insert(0i32) += c as i32;
                pq.push(key, Reverse(key));
            }
        }
        sum
    };
    println!("| scheduler | wall (s) | M events/s |");
    println!("|---|---|---|");
    let schedulers: [(&str, &dyn Fn() -> i64); 3] = [
        ("delay ring (engine)", &ring),
        ("BinaryHeap of events", &heap),
        ("priority-queue, (tick, target) items", &pq),
    ];
    for (name, f) in schedulers {
        let mut walls = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            checks.push(f());
            walls.push(t.elapsed().as_secs_f64());
        }
        let w = median(walls);
        println!("| {name} | {w:.3} | {:.1} |", total / w / 1e6);
    }
    // All three delivered the same input (the events due within the run).
    assert!(
        checks.windows(2).all(|w| w[0] == w[1]),
        "schedulers disagree: {checks:?}"
    );
}

/// 10^6 neurons, 10^8 synapses (in-degree 100), 100 ticks; run in a child.
fn scale_child() {
    let text = r#"
[simulation]
ticks = 100
seed = 3
[[population]]
name = "n"
size = 1000000
neuron = { du = 743, dv = 200, bias = 52, threshold = 1000, refractory = 5 }
v_init = { uniform = [0, 999] }
[[projection]]
from = "n"
to = "n"
connect = { rule = "fixed_indegree", k = 100 }
weight = { uniform = [-20, 12] }
delay = { uniform = [1, 16] }
"#;
    let t = Instant::now();
    let model = config::parse_toml(text, None).unwrap();
    let build = t.elapsed().as_secs_f64();
    let build_peak = peak_rss();
    let net = &model.network;
    let mut sim = Simulator::new(net, SimOptions::default()).unwrap();
    let t = Instant::now();
    sim.run(model.run.ticks);
    let wall = t.elapsed().as_secs_f64();
    let st = sim.stats();
    println!("| neurons | {} |", net.num_neurons());
    println!("| synapses | {} |", net.num_synapses());
    println!(
        "| synapse storage | {:.0} MiB, {:.2} bytes/synapse |",
        net.synapse_bytes() as f64 / (1 << 20) as f64,
        net.synapse_bytes() as f64 / net.num_synapses() as f64
    );
    println!("| build from the network file | {build:.1} s |");
    println!(
        "| run 100 ticks | {wall:.2} s, {} spikes, {:.1} M synaptic events/s |",
        st.spikes,
        st.synaptic_events as f64 / wall / 1e6
    );
    let per_synapse = |rss: u64| {
        format!(
            "{:.2} GiB, {:.1} bytes/synapse",
            rss as f64 / (1u64 << 30) as f64,
            rss as f64 / net.num_synapses() as f64
        )
    };
    if let Some(rss) = build_peak {
        println!(
            "| peak RSS of the build (file expanded, synapses sorted) | {} |",
            per_synapse(rss)
        );
    }
    if let Some(rss) = peak_rss() {
        println!(
            "| peak RSS (whole process, with the engine's own copy) | {} |",
            per_synapse(rss)
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--scale-child") {
        scale_child();
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    println!("## Engine: quiescence skipping against dense updates\n");
    println!("Median of {REPEATS} runs, one thread. Rates assume 1 ms ticks.\n");
    println!("| workload | mode | spikes | rate (Hz) | wall (s) | M synaptic events/s | neurons updated per tick |");
    println!("|---|---|---|---|---|---|---|");
    let va = config::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/va_cuba.toml"
    )))
    .unwrap();
    engine_table("Vogels-Abbott CUBA, 4000 neurons, 2%, 1000 ticks", &va, 1000);
    let sparse = config::parse_toml(SPARSE, None).unwrap();
    engine_table(
        "sparse: 100k neurons, 0.5 Hz inputs, in-degree 10+10, 1000 ticks",
        &sparse,
        1000,
    );

    println!("\n## Scheduler for synaptic events\n");
    println!("20,000 events per tick onto 4000 targets, delays 1..=16, 1000 ticks; median of 3.\n");
    scheduler_table();

    if !quick {
        println!("\n## Scale: 10^6 neurons, 10^8 synapses\n");
        println!("In-degree 100, delays 1..=16, 100 ticks; a separate process, so peak RSS is its own.\n");
        println!("| quantity | value |");
        println!("|---|---|");
        let out = Command::new(std::env::current_exe().unwrap())
            .arg("--scale-child")
            .output()
            .expect("run the scale child");
        assert!(
            out.status.success(),
            "scale child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
}
