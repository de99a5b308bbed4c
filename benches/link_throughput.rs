//! Link benchmark: ticks/s and output spikes/s of each board's core through
//! a model of that board's link (its UART's baud rate, 1 ms of USB latency
//! each way; `host/src/line.rs`) on the Verilator virtual chip: one STEP and
//! one answer per tick, streamed (`docs/spec.md` §10.4), with the bytes each
//! way per spike.
//!
//! `cargo bench -p spikefab --bench link_throughput -- [--out docs/boards.md] [--seconds S]`
//! (`make bench-link`, part of `make bench`) prints Markdown and, with
//! `--out`, replaces the block between `<!-- link:begin -->` and
//! `<!-- link:end -->` of that file.

use std::path::Path;
use std::time::{Duration, Instant};

#[path = "../tests/rtl/common/filled.rs"]
#[allow(dead_code)]
mod filled;
mod support;

use spikefab_chip::board::{Board, BOARDS};
use spikefab_chip::config::CoreConfig;
use spikefab_host::driver::{block_on, Chip};
use spikefab_host::line::LineModel;
use spikefab_host::link::{Link, LinkSettings};
use spikefab_host::serial;
use spikefab_host::virtual_chip::{ChipOptions, VirtualChip};
use spikefab_sim::network::NetworkBuilder;
use spikefab_sim::{config, Network, NeuronParams};

const BEGIN: &str = "<!-- link:begin -->";
const END: &str = "<!-- link:end -->";

/// Ticks of input the networks carry (more than any measurement runs).
const HORIZON: u32 = 100_000;

/// USB latency each way.
const LATENCY: Duration = Duration::from_millis(1);

/// `board`'s link: its UART's baud rate and [`LATENCY`] each way.
fn line(board: &Board) -> LineModel {
    LineModel {
        baud: board.baud,
        latency: LATENCY,
    }
}

/// Every neuron and axon of core `c`, no synapse, no input: nothing
/// spikes, so the link carries only the ticks.
fn quiet(c: CoreConfig) -> Network {
    let mut b = NetworkBuilder::new();
    let p = b.add_profile(NeuronParams::default());
    b.add_neurons(p, c.neurons(), |_| 0);
    b.add_axons(c.axons());
    b.build().expect("a valid network")
}

/// The demo network (`examples/stdp_homeostasis.toml`), its inputs as long as
/// the measurements need.
fn demo() -> Network {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/stdp_homeostasis.toml");
    let text = std::fs::read_to_string(&path).expect("the demo network reads");
    let text = text.replace("ticks = 2000", &format!("ticks = {HORIZON}"));
    config::parse_toml(&text, Some(path.parent().unwrap()))
        .expect("the demo network parses")
        .network
}

/// What one run through the link saw.
struct Throughput {
    ticks: u32,
    seconds: f64,
    inputs: usize,
    outputs: usize,
    bytes_out: u64,
    bytes_in: u64,
    fifo_full: u64,
}

impl Throughput {
    fn per(&self, bytes: u64, spikes: usize) -> String {
        if spikes == 0 {
            "-".into()
        } else {
            format!("{:.2}", bytes as f64 / spikes as f64)
        }
    }
}

/// Run `net` on a virtual chip of `board`'s core behind the model of its
/// line for about `budget` of wall time (whole streams of `chunk` ticks);
/// `None` if the network does not fit the core.
fn measure(board: &Board, net: &Network, budget: Duration, chunk: u32) -> Option<Throughput> {
    if spikefab_chip::image::Image::new(net, board.core).is_err() {
        return None;
    }
    let chip = VirtualChip::start(ChipOptions {
        line: Some(line(board)),
        ..ChipOptions::new(board.core)
    })
    .expect("the virtual chip starts");
    let port = chip.path().display().to_string();
    let settings = LinkSettings {
        timeout: Duration::from_secs(5),
        attempts: 3,
    };
    let (ticks, seconds, outputs, bytes_out, bytes_in) = block_on(async {
        let link: Link = serial::open(&port, serial::DEFAULT_BAUD, settings).expect("the port opens");
        let mut chip = Chip::connect(link).await.expect("the chip answers");
        let image = chip.image(net).expect("the network fits");
        chip.load(&image).await.expect("the network loads");
        let before = chip.transport().stats();
        let start = Instant::now();
        let (mut ticks, mut outputs) = (0, 0);
        while start.elapsed() < budget {
            let out = chip
                .run_until(net.inputs(), ticks + chunk, |_, _| {})
                .await
                .expect("the run streams");
            outputs += out.iter().map(|o| o.neurons.len()).sum::<usize>();
            ticks += chunk;
        }
        let seconds = start.elapsed().as_secs_f64();
        let after = chip.transport().stats();
        (
            ticks,
            seconds,
            outputs,
            after.bytes_sent - before.bytes_sent,
            after.bytes_received - before.bytes_received,
        )
    });
    let stats = chip.stop().expect("the virtual chip stops");
    Some(Throughput {
        ticks,
        seconds,
        inputs: net.inputs().iter().filter(|s| s.tick < ticks).count(),
        outputs,
        bytes_out,
        bytes_in,
        fifo_full: stats.fifo_full,
    })
}

fn main() {
    let support::BenchArgs { out, seconds, date } = support::BenchArgs::parse();
    let budget = Duration::from_secs_f64(seconds);
    let mut md = format!(
        "Made by `make bench-link` (`cargo bench -p spikefab --bench link_throughput -- --out docs/boards.md \
         --seconds {seconds}`) on {date}: each board's core on the Verilator virtual chip behind a model of the \
         board's link (its UART's baud rate and {} ms of latency each way, `spikefab chip --latency-ms 1 \
         --line-baud B`), the load not counted: one STEP and one answer per tick, streamed within the 256-byte \
         window. Bytes per spike: host to chip per input spike, chip to host per output spike.\n\n",
        LATENCY.as_millis()
    );
    md.push_str("| board (core, baud) | network | ticks/s | output spikes/s | ticks run | bytes/input spike (to chip) | bytes/output spike (to host) | bytes/tick each way | FIFO full |\n");
    md.push_str("|---|---|---|---|---|---|---|---|---|\n");
    for board in BOARDS {
        let c = board.core;
        for (name, net) in [
            ("quiet (no spikes)", quiet(c)),
            ("demo (`stdp_homeostasis`)", demo()),
            (
                "every axon and neuron, every tick",
                filled::every_spike(c.neurons(), HORIZON),
            ),
        ] {
            let label = format!("{} (`{}`, {})", board.name, c.name, board.baud);
            let row = match measure(board, &net, budget, 200) {
                Some(t) => format!(
                    "| {label} | {name} | {:.0} | {:.0} | {} | {} | {} | {:.0} / {:.0} | {} |\n",
                    t.ticks as f64 / t.seconds,
                    t.outputs as f64 / t.seconds,
                    t.ticks,
                    t.per(t.bytes_out, t.inputs),
                    t.per(t.bytes_in, t.outputs),
                    t.bytes_out as f64 / t.ticks as f64,
                    t.bytes_in as f64 / t.ticks as f64,
                    t.fifo_full,
                ),
                None => format!("| {label} | {name} | does not fit the core | | | | | | |\n"),
            };
            eprint!("{row}");
            md.push_str(&row);
        }
    }
    print!("{md}");
    if let Some(path) = out {
        support::write_block(&path, BEGIN, END, &md);
    }
}
