//! The core's Verilog rungs (`docs/spec.md` §8.4): a network loaded, run and
//! read back through the byte interface of the rust-hdl core (checked against
//! `sim/` here too) is replayed byte for byte on the Verilog that rust-hdl
//! emits (Icarus) and on the yosys `synth_ice40` netlist of it (Icarus with
//! yosys's `cells_sim.v`). Both must send exactly the bytes the rust-hdl core
//! sent, so they give the same spikes, cycles and state as `sim/`.

use crate::{common, reference};

use rust_hdl::prelude::*;
use spikefab_chip::config::CoreConfig;
use spikefab_chip::image::Image;
use spikefab_hdl::cores::TinyCore;
use spikefab_hdl::cosim::{Cosim, Transcript};
use spikefab_hdl::rungs::{byte_bench, icarus, ice40_cells_sim, synth_ice40};
use spikefab_host::driver::{block_on, Chip, ChipError, TickOutput};
use spikefab_host::verify::first_tick_divergence;
use spikefab_proto::frame::{Decoder, Event};
use spikefab_sim::config;

/// A small network with every feature on: delays, STDP, homeostasis,
/// refractory periods, saturating weights.
const NET: &str = r#"
[simulation]
ticks = 12

[learning]
pre_decay = 1024
post_decay = 512
pre_bump = 90
post_bump = 70
a_plus = 40
a_minus = 30
lr_shift = 3
w_min = -20
w_max = 120
lfsr_seed = 0xBEEF

[[population]]
name = "exc"
size = 6
neuron = { du = 1024, dv = 1500, bias = 10, threshold = 300, theta_inc = 60, theta_decay = 500, refractory = 2, v_reset = -40 }

[[population]]
name = "inh"
size = 3
neuron = { du = 2048, dv = 2048, threshold = 150, refractory = 1 }

[[input]]
name = "in"
size = 5
spikes = [[0, 0], [0, 3], [1, 1], [2, 4], [3, 0], [3, 2], [5, 1], [6, 3], [8, 0], [9, 4]]

[[projection]]
from = "in"
to = "exc"
connect = { rule = "all_to_all" }
weight = { uniform = [40, 110], seed = 3 }
wexp = 2
delay = { uniform = [1, 4], seed = 4 }
plastic = true

[[projection]]
from = "exc"
to = "inh"
connect = { rule = "fixed_probability", p = 0.6, seed = 5 }
weight = 90
wexp = 2
delay = 2

[[projection]]
from = "inh"
to = "exc"
connect = { rule = "all_to_all" }
weight = -100
wexp = 3
delay = { uniform = [1, 8], seed = 6 }
"#;

/// Run the network on the rust-hdl core, recording the byte streams, and
/// check the run against `sim/`.
fn recorded_run() -> Transcript {
    let model = config::parse_toml(NET, None).unwrap();
    let (net, ticks) = (model.network, 12);
    let image = Image::new(&net, CoreConfig::TINY).unwrap();
    let mut cosim = Cosim::rust_hdl::<TinyCore>();
    cosim.record();
    let (outputs, state, cosim) = block_on(async {
        let mut chip = Chip::connect(cosim).await?;
        chip.load(&image).await?;
        let outputs = chip.run_until(net.inputs(), ticks, |_, _| {}).await?;
        let state = chip.dump(&net, &image).await?;
        Ok::<_, ChipError>((outputs, state, chip.into_transport()))
    })
    .unwrap();
    let mut sim = CoreConfig::TINY.simulator(&net).unwrap();
    sim.set_record_spikes(true);
    let model: Vec<TickOutput> = (0..ticks).map(|_| TickOutput::of_model(&mut sim)).collect();
    assert!(
        sim.spikes().len() >= 5,
        "the rung network must spike ({} spikes)",
        sim.spikes().len()
    );
    assert!(state.weights != net.synapses().weights(), "the rung network must learn");
    if let Some(d) = first_tick_divergence(&outputs, &model, 0) {
        panic!("rust-hdl core vs sim: {d}");
    }
    if let Some(d) = state.first_divergence(&sim.state_dump()) {
        panic!("rust-hdl core vs sim: {d}");
    }
    cosim.transcript().unwrap().clone()
}

/// Replay `t` on `verilog` (plus `libs`); the first difference from the
/// rust-hdl core's output, if any.
fn replay(rung: &str, verilog: &str, libs: &[std::path::PathBuf], t: &Transcript) -> Option<String> {
    let hex: String = t.sent.iter().map(|b| format!("{b:02x}\n")).collect();
    // SPIKEFAB_RUNG_DIR keeps the replay's inputs for debugging by hand.
    if let Ok(dir) = std::env::var("SPIKEFAB_RUNG_DIR") {
        let dir = std::path::Path::new(&dir);
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("bytes.hex"), &hex).unwrap();
        let want: String = t.received.iter().map(|b| format!("{b:02x}\n")).collect();
        std::fs::write(dir.join("expected.hex"), want).unwrap();
        std::fs::write(dir.join(format!("{}.v", &rung[..7].replace(' ', "_"))), verilog).unwrap();
    }
    // Ample: the rust-hdl run took fewer clocks than 20 per byte sent or received.
    let budget = 20 * (t.sent.len() + t.received.len()) as u64 + 100_000;
    let tb = byte_bench(t.sent.len(), t.received.len(), budget);
    let printed = icarus(&[("top.v", verilog), ("tb.v", &tb)], &[("bytes.hex", &hex)], libs, "tb").unwrap();
    let got: Vec<u8> = printed
        .lines()
        .filter(|l| l.len() == 2)
        .map(|l| u8::from_str_radix(l, 16).unwrap_or_else(|_| panic!("{rung}: output byte {l:?}")))
        .collect();
    if got == t.received {
        return None;
    }
    // Name the first frame that differs.
    let frames = |bytes: &[u8]| -> Vec<Event> {
        let mut d = Decoder::new();
        bytes.iter().filter_map(|&b| d.push(b)).collect()
    };
    let (a, b) = (frames(&got), frames(&t.received));
    let i = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    Some(format!(
        "{rung}: {} bytes where rust-hdl sent {}; frame {i}: {:?} vs {:?}",
        got.len(),
        t.received.len(),
        a.get(i),
        b.get(i)
    ))
}

#[test]
fn emitted_verilog_and_netlist_replay_the_run() {
    let t = recorded_run();
    let mut core = TinyCore::default();
    core.connect_all();
    let verilog = generate_verilog(&core);
    if let Some(e) = replay("emitted Verilog (Icarus)", &verilog, &[], &t) {
        panic!("{e}");
    }
    let netlist = synth_ice40(&verilog, "-dsp").unwrap();
    let cells = ice40_cells_sim().unwrap();
    if let Some(e) = replay("iCE40 netlist (synth_ice40 + cells_sim.v)", &netlist, &[cells], &t) {
        panic!("{e}");
    }
}

/// The netlist rung at scale: yosys's iCE40 netlist of the tiny core, in
/// Verilator with yosys's cell library, against `sim/` on random networks
/// (checkpointed full state, as the RTL engines are checked); in the slow
/// tier also the netlist of the UP5K core (DSPs, SPRAM) the iCEBreaker
/// bitstream is placed from.
/// `count` random networks within `limits` on the yosys netlist of
/// `config`'s core for its part's family (`VerilatedCore::netlist`) in
/// Verilator, each against the golden model.
fn netlist_runs(config: CoreConfig, limits: reference::generate::Limits, count: u32) {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;
    use reference::generate::{build, network};
    use spikefab_hdl::verilator::VerilatedCore;

    let t = std::time::Instant::now();
    let first = VerilatedCore::netlist(config).expect("the netlist model builds");
    eprintln!(
        "{} netlist model in {:.1} s ({})",
        config.name,
        t.elapsed().as_secs_f64(),
        first.library().path().display()
    );
    let lib = first.library_arc();
    let mut runner = TestRunner::deterministic();
    for i in 0..count {
        let (r, ticks) = network(limits).new_tree(&mut runner).unwrap().current();
        let chip = Cosim::new(Box::new(VerilatedCore::with_library(lib.clone(), config)));
        if let Err(e) = common::check_on(chip, &build(&r), ticks, 2) {
            panic!(
                "network {i} of {count}: {} {} netlist: {e}\n{r:?}",
                config.name,
                config.device.family.name()
            );
        }
    }
}

#[test]
fn netlist_matches_sim_on_random_networks() {
    use common::limits::{TINY_LIMITS, UP5K_LIMITS};
    use reference::generate::Limits;

    let up5k = Limits {
        ticks: 16,
        ..UP5K_LIMITS
    };
    netlist_runs(CoreConfig::TINY, TINY_LIMITS, common::cases(24));
    if common::cases(1) > 1 {
        netlist_runs(CoreConfig::UP5K, up5k, common::cases(2));
    }
}

/// The ULX3S's core as its ECP5 netlist (`synth_ecp5 -nodsp`, yosys's
/// `ecp5/cells_sim.v`: block RAMs as DP16KD, carries as CCU2C) against the
/// golden model, delays up to 16, on networks of up to 1,024 neurons and
/// axons (the wide core's 18-bit words). Slow tier: synthesis with the
/// WebAssembly yosys and the gate-level model's build take minutes.
#[test]
#[ignore = "slow tier: the ECP5 netlist's synthesis and model build take minutes (make test-slow installs the ECP5 tools)"]
fn ecp5_netlist_matches_sim_on_random_networks() {
    let ecp5 = reference::generate::Limits {
        ticks: 24,
        ..common::limits::ECP5_LIMITS
    };
    netlist_runs(CoreConfig::ECP5, ecp5, common::cases(12));
}
