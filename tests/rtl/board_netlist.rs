//! Full-board co-simulation: the post-synthesis netlist of a whole board top
//! (UART receiver, FIFO, core, transmitter, start-up hold, LEDs; `synth_ice40`
//! and yosys's `cells_sim.v`) in Icarus Verilog, driven on its RX pin by the
//! host's protocol encoder through a simulated UART line, stop and wait: the
//! load, then one STEP per tick (§10.4). The bytes on its TX pin must be the
//! RTL core's, byte for byte, and the STEP answers in them the golden model's
//! (tick, cycle counter, stamp digest, spikes).
//!
//! The board top is the one the boards use (`BoardTop`), with the 16-neuron
//! test core and 8 clocks per UART bit so that the gate-level simulation stays
//! within the default test tier; the UART itself is checked at the boards'
//! 12 clocks per bit, with clock error, in `firmware/tests/uart.rs`.

use crate::{common, reference};

use rust_hdl::prelude::*;
use spikefab_chip::board::ULX3S;
use spikefab_chip::config::CoreConfig;
use spikefab_chip::image::Image;
use spikefab_firmware::bench::{board_bench, script_hex, script_words, Step};
use spikefab_firmware::build::board_top_verilog;
use spikefab_firmware::top::BoardTop;
use spikefab_hdl::cores::TinyCore;
use spikefab_hdl::cosim::Cosim;
use spikefab_hdl::rungs::{icarus, ice40_cells_sim, synth_ice40};
use spikefab_hdl::verilator::VerilatedCore;
use spikefab_host::driver::{block_on, Chip, ChipError, TickOutput, Transport, TransportError};
use spikefab_proto::frame::{Decoder, Event};
use spikefab_proto::message::{Answer, Command};
use spikefab_sim::config;

const CPB: u32 = 8;
const STARTUP: u32 = 16;
const TICKS: u32 = 32;

/// The co-simulated core, cutting its byte transcript into one step per command.
struct Segmenter {
    cosim: Cosim,
    steps: Vec<Step>,
}

impl Transport for Segmenter {
    async fn exchange(&mut self, cmd: &Command) -> Result<Answer, TransportError> {
        let sent = self.cosim.transcript().map_or(0, |t| t.sent.len());
        let answer = self.cosim.command(cmd)?;
        let t = self.cosim.transcript().expect("recording");
        self.steps.push(Step {
            send: t.sent[sent..].to_vec(),
            received_total: t.received.len(),
        });
        Ok(answer)
    }
}

#[test]
fn board_netlist_runs_a_network_over_its_uart() {
    let model = config::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/host/tests/tiny_net.toml"
    )))
    .unwrap();
    let net = model.network;
    let image = Image::new(&net, CoreConfig::TINY).unwrap();

    // The run on the rust-hdl core, recorded command by command.
    let mut cosim = Cosim::rust_hdl::<TinyCore>();
    cosim.record();
    let (steps, expected) = block_on(async {
        let mut chip = Chip::connect(Segmenter {
            cosim,
            steps: Vec::new(),
        })
        .await?;
        chip.load(&image).await?;
        chip.run_until(net.inputs(), TICKS, |_, _| {}).await?;
        let seg = chip.into_transport();
        Ok::<_, ChipError>((seg.steps, seg.cosim.transcript().unwrap().received.clone()))
    })
    .unwrap();

    // The golden model's STEP answers.
    let mut sim = CoreConfig::TINY.simulator(&net).unwrap();
    sim.set_record_spikes(true);
    let step_answers: Vec<Answer> = (0..TICKS)
        .map(|_| TickOutput::of_model(&mut sim).answer(CoreConfig::TINY.neurons()))
        .collect();
    assert!(
        sim.spikes().len() >= 6,
        "the network must spike ({} spikes)",
        sim.spikes().len()
    );

    // The board top's netlist over its UART pins.
    let mut top = BoardTop::<4, 4, 3, 12, 5, 7, 16, 1>::new(CPB, STARTUP, true);
    top.connect_all();
    let netlist = synth_ice40(&generate_verilog(&top), "-dsp").unwrap();
    let words = script_words(&steps);
    let bytes_on_wire: usize = steps.iter().map(|s| s.send.len()).sum::<usize>() + expected.len();
    let budget = (bytes_on_wire as u64) * 12 * CPB as u64 + 100 * 1000 + 200_000;
    let tb = board_bench(CPB, STARTUP, words, budget);
    let printed = icarus(
        &[("top.v", &netlist), ("tb.v", &tb)],
        &[("script.hex", &script_hex(&steps))],
        &[ice40_cells_sim().unwrap()],
        "tb",
    )
    .unwrap();
    assert!(!printed.contains("framing error"), "{printed}");
    assert!(!printed.contains("exhausted"), "{printed}");
    let got: Vec<u8> = printed
        .lines()
        .filter(|l| l.len() == 2)
        .map(|l| u8::from_str_radix(l, 16).unwrap())
        .collect();
    assert_eq!(got.len(), expected.len(), "bytes from the board's TX pin");
    assert!(got == expected, "the board sent other bytes than the core");

    // The STEP answers on the wire are the golden model's.
    let mut decoder = Decoder::new();
    let answers: Vec<Answer> = got
        .iter()
        .filter_map(|&b| match decoder.push(b) {
            Some(Event::Frame(f)) => Some(Answer::from_frame(&f).unwrap()),
            Some(e) => panic!("{e:?} from the board"),
            None => None,
        })
        .collect();
    let stepped: Vec<&Answer> = answers.iter().filter(|a| matches!(a, Answer::Stepped { .. })).collect();
    assert_eq!(
        stepped,
        step_answers.iter().collect::<Vec<_>>(),
        "STEP answers from the board"
    );
}

/// The ULX3S's whole board top (UART, link buffer and the 1,024-neuron
/// `ecp5` core; not the PLL, which has no simulation model) as its ECP5
/// netlist (`synth_ecp5 -nodsp`, its memories as RTL: yosys's DP16KD model is
/// empty), in Verilator, driven only through its `rx` and `tx` pins over a
/// simulated 8N1 line at the board's 10 clocks per bit: random networks of
/// more than 256 neurons and up to 1,024 axons are loaded (the wide core's
/// high spaces and addresses past 65,535 included) and run, and every output
/// spike and, at checkpoints, the full state read back over the line must be
/// the golden model's. Slow tier: the synthesis and the model's build take
/// two minutes, and each network about four (measured: 226-239 s for 542
/// neurons, 227-304 s for 1,020 neurons over 15 ticks).
#[test]
#[ignore = "slow tier: the ULX3S top's ECP5 netlist takes minutes to build and run (make test-slow installs the ECP5 tools)"]
fn ulx3s_board_netlist_runs_big_networks_over_its_uart() {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;
    use reference::generate::{build, network, Limits};

    let startup = 16;
    let verilog = board_top_verilog(&ULX3S, startup).unwrap();
    let t = std::time::Instant::now();
    let first = VerilatedCore::board_netlist(ULX3S.core, &verilog, ULX3S.clocks_per_bit(), startup + 4)
        .expect("the board netlist's model builds");
    eprintln!("ULX3S board netlist model in {:.1} s", t.elapsed().as_secs_f64());
    let lib = first.library_arc();
    let limits = Limits {
        ticks: 16,
        ..common::limits::ECP5_LIMITS
    };
    let mut runner = TestRunner::deterministic();
    // Two networks whatever the tier's scale: each takes about four minutes
    // (some 2.5 × 10⁷ clocks of line at 10 clocks per bit, the load and the
    // state read back at two checkpoints, at about 10⁵ clocks/s of the
    // gate-level model).
    let wanted = 2;
    let mut done = 0;
    while done < wanted {
        let (r, ticks) = network(limits).new_tree(&mut runner).unwrap().current();
        let net = build(&r);
        if net.num_neurons() <= 256 {
            continue;
        }
        let t = std::time::Instant::now();
        let chip = Cosim::new(Box::new(VerilatedCore::with_library(lib.clone(), ULX3S.core)));
        if let Err(e) = common::check_on(chip, &net, ticks, 2) {
            panic!("network {done}: {e}\n{r:?}");
        }
        eprintln!(
            "network {done}: {} neurons, {} axons, {} synapses, {ticks} ticks: identical ({:.1} s)",
            net.num_neurons(),
            net.num_axons(),
            net.num_synapses(),
            t.elapsed().as_secs_f64()
        );
        done += 1;
    }
}
