//! RTL engine benchmark: core clocks per second of each engine (Verilator on
//! the emitted Verilog, rust-hdl's simulator, Verilator on the iCE40 netlist)
//! for each core configuration, on an idle and on a busy network, driven
//! from Rust through the byte interface exactly as the tests and the
//! virtual chip drive it; and the demo's time in the chip over the
//! pseudo-terminal, per engine. One thread; side by side in one run.
//!
//! `cargo bench -p spikefab --bench rtl_engines -- [--out docs/hardware.md] [--seconds S]`
//! (`make bench-rtl`, part of `make bench`) prints Markdown and, with
//! `--out`, replaces the block between `<!-- engines:begin -->` and
//! `<!-- engines:end -->` of that file.

#[path = "../tests/rtl/common/filled.rs"]
#[allow(dead_code)]
mod filled;
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use filled::{filled_network, FilledSpec};
use spikefab_chip::config::CoreConfig;
use spikefab_hdl::cosim::Cosim;
use spikefab_hdl::engine::EngineKind;
use spikefab_hdl::verilator::VerilatedCore;
use spikefab_host::driver::{block_on, Chip};
use spikefab_host::link::LinkSettings;
use spikefab_host::serial;
use spikefab_host::verify::{verify, Plan};
use spikefab_host::virtual_chip::{ChipOptions, VirtualChip};
use spikefab_sim::network::NetworkBuilder;
use spikefab_sim::{config, Network, NeuronParams};

/// Most ticks one measurement runs (and the busy network's input horizon).
const TICKS: u32 = 20_000;

const BEGIN: &str = "<!-- engines:begin -->";
const END: &str = "<!-- engines:end -->";

/// The busy network of every configuration: the filled network of this
/// recipe (synapse memory 95 % full, STDP, homeostasis and dithered decays on).
const BUSY: FilledSpec = FilledSpec {
    seed: 32,
    stdp: true,
    homeostasis: true,
    long_refractory: false,
    fill: 95,
    dither: true,
};

/// Every neuron of the core, no synapse, no input: each tick is the neuron
/// phase and the tick's fixed costs only.
fn idle_network(c: CoreConfig) -> Network {
    let mut b = NetworkBuilder::new();
    let p = b.add_profile(NeuronParams::default());
    b.add_neurons(p, c.neurons(), |_| 0);
    b.add_axons(c.axons());
    b.build().expect("a valid network")
}

/// What one measurement saw.
struct Speed {
    clocks: u64,
    ticks: u32,
    spikes: usize,
    busy_cycles: u64,
    seconds: f64,
}

impl Speed {
    fn rate(&self) -> f64 {
        self.clocks as f64 / self.seconds
    }
}

/// Load `net` into a fresh core behind `cosim` and run it tick by tick for
/// about `budget` of wall time (at most `max_ticks`); the load is not timed.
fn measure(cosim: Cosim, net: &Network, budget: Duration, max_ticks: u32) -> Speed {
    block_on(async {
        let mut chip = Chip::connect(cosim).await.expect("the core answers");
        let image = chip.image(net).expect("the network fits");
        chip.load(&image).await.expect("the network loads");
        let clocks0 = chip.transport().clocks();
        let start = Instant::now();
        let mut spikes = 0;
        let mut t = 0;
        while t < max_ticks && (t == 0 || start.elapsed() < budget) {
            t += 1;
            spikes += chip
                .run_until(net.inputs(), t, |_, _| {})
                .await
                .expect("the run goes on")
                .iter()
                .map(|o| o.neurons.len())
                .sum::<usize>();
        }
        Speed {
            clocks: chip.transport().clocks() - clocks0,
            ticks: t,
            spikes,
            busy_cycles: chip.counters().cycles,
            seconds: start.elapsed().as_secs_f64(),
        }
    })
}

/// The demo (`make demo`): the STDP + homeostasis example, 1,000 ticks,
/// verified at 250, 500, 750 and 1,000, on a virtual UP5K chip over its
/// pseudo-terminal; the seconds spent in the chip (link included).
fn demo(engine: EngineKind) -> f64 {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/stdp_homeostasis.toml");
    let net = config::load(&path).expect("the demo network loads").network;
    let chip = VirtualChip::start(ChipOptions {
        engine,
        ..ChipOptions::new(CoreConfig::UP5K)
    })
    .expect("the virtual chip starts");
    let port = chip.path().display().to_string();
    let settings = LinkSettings {
        timeout: Duration::from_secs(60),
        attempts: 8,
    };
    block_on(async {
        let link = serial::open(&port, serial::DEFAULT_BAUD, settings).expect("the pty opens");
        let mut chip = Chip::connect(link).await.expect("the chip answers");
        let image = chip.image(&net).expect("the demo fits");
        chip.load(&image).await.expect("the demo loads");
        let plan = Plan {
            ticks: 1000,
            every: 250,
        };
        let v = verify(&mut chip, &net, &image, plan, |_, _| {})
            .await
            .expect("the demo runs");
        assert!(v.identical(), "the demo diverged on {engine}: {:?}", v.divergence);
        v.chip_time.as_secs_f64()
    })
}

fn main() {
    let support::BenchArgs { out, seconds, date } = support::BenchArgs::parse();
    let budget = Duration::from_secs_f64(seconds);

    let mut md = String::new();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l[l.find(':').map_or(0, |i| i + 2)..].to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let verilator = spikefab_hdl::verilator::verilator_version().unwrap_or_else(|e| e.to_string());
    md.push_str(&format!(
        "Made by `make bench-rtl` (`cargo bench -p spikefab --bench rtl_engines -- --out docs/hardware.md --seconds {seconds}`) \
         on {date}, {cpu}, one thread; {}.\n\n",
        verilator.split(" rev").next().unwrap_or(&verilator)
    ));
    md.push_str(
        "Core clocks per second of wall time, through the byte interface (the same driver as the tests and the \
         virtual chip: commands framed, answers decoded), the load not counted. *Idle*: every neuron of the core, \
         no synapse and no input (each tick is the neuron phase). *Busy*: a network that fills the core (every \
         neuron and axon, synapse memory 95 % full, STDP and homeostasis on; `tests/rtl/common/filled.rs`, seed 32).\n\n",
    );
    md.push_str("| core | network | Verilator (emitted Verilog) | rust-hdl simulator | Verilator / rust-hdl | Verilator (iCE40 netlist) | ticks, spikes/tick, busy cycles/tick |\n");
    md.push_str("|---|---|---|---|---|---|---|\n");
    for c in [CoreConfig::TINY, CoreConfig::HX8K, CoreConfig::UP5K] {
        let netlist = VerilatedCore::netlist(c)
            .expect("the netlist model builds")
            .library_arc();
        for (label, net) in [("idle", idle_network(c)), ("busy", filled_network(c, &BUSY, TICKS))] {
            let fast = measure(Cosim::open(EngineKind::Verilator, c).unwrap(), &net, budget, TICKS);
            let slow = measure(Cosim::open(EngineKind::RustHdl, c).unwrap(), &net, budget, TICKS);
            let gates = measure(
                Cosim::new(Box::new(VerilatedCore::with_library(netlist.clone(), c))),
                &net,
                budget,
                TICKS,
            );
            let row = format!(
                "| `{}` | {label} | **{:.2} M/s** | {:.0} k/s | {:.0}x | {:.0} k/s | {}, {:.1}, {:.0} |\n",
                c.name,
                fast.rate() / 1e6,
                slow.rate() / 1e3,
                fast.rate() / slow.rate(),
                gates.rate() / 1e3,
                fast.ticks,
                fast.spikes as f64 / fast.ticks as f64,
                fast.busy_cycles as f64 / fast.ticks as f64,
            );
            eprint!("{row}");
            md.push_str(&row);
        }
    }
    md.push_str("\nThe demo (`make demo`: `examples/stdp_homeostasis.toml`, 1,000 ticks, full state checked 4 times, on a virtual UP5K chip over its pseudo-terminal), time in the chip, link included:\n\n");
    md.push_str("| engine | chip time |\n|---|---|\n");
    for engine in EngineKind::ALL {
        let t = demo(engine);
        let row = format!("| {engine} | {t:.2} s |\n");
        eprint!("{row}");
        md.push_str(&row);
    }
    println!("{md}");
    if let Some(path) = out {
        support::write_block(&path, BEGIN, END, &md);
    }
}
