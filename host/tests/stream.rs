//! STEPs streamed to the virtual chip (tiny core) over a real pseudo-terminal
//! with `Link::stream` (`docs/spec.md` §10.4): many in flight, answered in
//! order. A clean stream gives, tick by tick, exactly the golden model's
//! answer (tick, cycle counter, stamp digest, spikes); through bit flips and
//! dropped bytes both ways the link sends again what was refused or lost on
//! the way in, so the stream is exact up to its end or up to an answer lost
//! after its STEP ran, which it reports; through a modelled board link the
//! window keeps the chip's receive FIFO from overflowing.

use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use spikefab_chip::config::CoreConfig;
use spikefab_chip::image::Image;
use spikefab_host::driver::{step_of, Chip, TickOutput};
use spikefab_host::faults::FaultPlan;
use spikefab_host::line::LineModel;
use spikefab_host::link::{Link, LinkError, LinkSettings, LinkStats};
use spikefab_host::serial;
use spikefab_host::virtual_chip::{ChipOptions, ChipStats, VirtualChip};
use spikefab_proto::frame::{Decoder, Event};
use spikefab_proto::message::{Answer, Command};
use spikefab_proto::stream::SpikeWords;
use spikefab_sim::{config, Network, StateDump};

const TICKS: u32 = 150;

fn network() -> Network {
    config::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tiny_net.toml")))
        .expect("the test network loads")
        .network
}

/// The STEP of each tick and the golden model's answer to it.
fn expected(net: &Network, ticks: u32) -> (Vec<Command>, Vec<Answer>) {
    let c = CoreConfig::TINY;
    let steps = (0..ticks).map(|t| step_of(net.inputs(), t, c.axons())).collect();
    let answers = model_outputs(net, ticks)
        .iter()
        .map(|o| o.answer(c.neurons()))
        .collect();
    (steps, answers)
}

/// The chip on `port` with `net` loaded, over a link that waits `timeout`
/// for an answer.
async fn loaded(port: &str, net: &Network, timeout: Duration) -> (Chip<Link>, Image) {
    let settings = LinkSettings { timeout, attempts: 8 };
    let link = serial::open(port, serial::DEFAULT_BAUD, settings).unwrap();
    let mut chip = Chip::connect(link).await.unwrap();
    let image = chip.image(net).unwrap();
    chip.load(&image).await.unwrap();
    (chip, image)
}

/// Load the network on a virtual tiny chip with these faults and line, and
/// stream its STEPs; the answers in order, how the stream ended, the link's
/// and the chip's counts, and the wall time of the stream.
fn stream(
    to_chip: FaultPlan,
    from_chip: FaultPlan,
    line: Option<LineModel>,
    steps: &[Command],
) -> (Vec<Answer>, Result<(), LinkError>, LinkStats, ChipStats, Duration) {
    let net = network();
    let chip = VirtualChip::start(ChipOptions {
        to_chip,
        from_chip,
        line,
        ..ChipOptions::new(CoreConfig::TINY)
    })
    .expect("the virtual chip starts");
    let port = chip.path().to_str().unwrap().to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (answers, end, stats, time) = rt.block_on(async {
        let (mut chip, _) = loaded(&port, &net, Duration::from_millis(300)).await;
        let mut answers = Vec::new();
        let loading = chip.transport().stats().bytes_received;
        let start = Instant::now();
        let end = chip
            .transport_mut()
            .stream(steps, |i, a| {
                assert_eq!(i, answers.len(), "answers come in order, once each");
                answers.push(a);
            })
            .await;
        let mut stats = chip.transport().stats();
        // The stream's bytes back, not the load's.
        stats.bytes_received -= loading;
        (answers, end, stats, start.elapsed())
    });
    let chip_stats = chip.stop().unwrap();
    (answers, end, stats, chip_stats, time)
}

#[test]
fn a_clean_stream_is_the_golden_models() {
    let (steps, want) = expected(&network(), TICKS);
    let (got, end, stats, chip, _) = stream(FaultPlan::none(), FaultPlan::none(), None, &steps);
    end.unwrap();
    assert_eq!(got, want);
    assert_eq!((stats.retransmissions, chip.fifo_full), (0, 0));
    assert!(
        want.iter()
            .any(|a| matches!(a, Answer::Stepped { spikes, .. } if spikes.is_map())),
        "the test network must fill a bitmap some tick"
    );
}

#[test]
fn steps_damaged_or_lost_on_the_way_in_are_sent_again() {
    let (steps, want) = expected(&network(), TICKS);
    let mut retransmitted = 0;
    for seed in 0..4 {
        let (got, end, stats, _, _) = stream(
            FaultPlan::none().random(2e-3, 2e-3, 100 + seed),
            FaultPlan::none(),
            None,
            &steps,
        );
        end.unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert_eq!(got, want, "seed {seed}");
        retransmitted += stats.retransmissions;
    }
    assert!(retransmitted > 0, "the noise must have made the link send again");
}

#[test]
fn a_noisy_stream_is_exact_up_to_a_lost_answer() {
    let (steps, want) = expected(&network(), TICKS);
    let (mut completed, mut lost) = (0, 0);
    for seed in 0..4 {
        let (got, end, _, _, _) = stream(
            FaultPlan::none().random(2e-3, 2e-3, 300 + seed),
            FaultPlan::none().random(1e-3, 1e-3, 400 + seed),
            None,
            &steps,
        );
        assert_eq!(
            got[..],
            want[..got.len()],
            "seed {seed}: every answer given is the model's"
        );
        match end {
            Ok(()) => {
                assert_eq!(got.len(), want.len());
                completed += 1;
            }
            Err(LinkError::AnswersLost { index, .. }) => {
                assert_eq!(
                    index,
                    got.len(),
                    "seed {seed}: the loss is reported where the answers stop"
                );
                lost += 1;
            }
            Err(e) => panic!("seed {seed}: {e}"),
        }
    }
    eprintln!("4 noisy streams: {completed} complete, {lost} stopped at a lost answer");
    assert!(lost > 0, "answers damaged on the way back must be found out");
}

#[test]
fn a_modelled_board_link_paces_the_stream_and_the_window_holds() {
    let (steps, want) = expected(&network(), TICKS);
    let model = LineModel {
        baud: 115_200,
        latency: Duration::from_millis(2),
    };
    let (got, end, stats, chip, time) = stream(FaultPlan::none(), FaultPlan::none(), Some(model), &steps);
    end.unwrap();
    assert_eq!(got, want);
    assert_eq!(chip.fifo_full, 0, "the window keeps the FIFO from overflowing");
    // The bytes back cannot arrive faster than the line carries them.
    let least = model.byte_time() * stats.bytes_received as u32;
    assert!(time >= least, "{time:?} for {} bytes back", stats.bytes_received);
}

/// The golden model's outputs of each tick, as [`TickOutput`]s.
fn model_outputs(net: &Network, ticks: u32) -> Vec<TickOutput> {
    let mut sim = CoreConfig::TINY.simulator(net).unwrap();
    sim.set_record_spikes(true);
    (0..ticks).map(|_| TickOutput::of_model(&mut sim)).collect()
}

/// Run the network with STEPs through the driver on a virtual tiny chip with
/// these faults: every tick's outputs, the final state, the driver's
/// recoveries and the link's counts.
fn drive(to_chip: FaultPlan, from_chip: FaultPlan, ticks: u32) -> (Vec<TickOutput>, StateDump, u64, LinkStats) {
    let net = network();
    let chip = VirtualChip::start(ChipOptions {
        to_chip,
        from_chip,
        ..ChipOptions::new(CoreConfig::TINY)
    })
    .expect("the virtual chip starts");
    let port = chip.path().to_str().unwrap().to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (mut chip, image) = loaded(&port, &net, Duration::from_millis(100)).await;
        let mut out = Vec::new();
        chip.stream_into(net.inputs(), ticks, &mut out, |_, _| {})
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let state = chip.dump(&net, &image).await.unwrap();
        (out, state, chip.recoveries(), chip.transport().stats())
    })
}

#[test]
fn the_driver_streams_exactly_through_damage_both_ways() {
    let net = network();
    let want = model_outputs(&net, 300);
    let mut sim = CoreConfig::TINY.simulator(&net).unwrap();
    sim.run(300);
    let mut recoveries = 0;
    for seed in 0..3 {
        let (got, state, r, stats) = drive(
            FaultPlan::none().random(2e-3, 2e-3, 500 + seed),
            FaultPlan::none().random(1e-3, 1e-3, 600 + seed),
            300,
        );
        assert_eq!(got, want, "seed {seed}: nothing lost, nothing twice");
        assert_eq!(state.first_divergence(&sim.state_dump()), None, "seed {seed}");
        eprintln!("seed {seed}: {r} recoveries, {} retransmissions", stats.retransmissions);
        recoveries += r;
    }
    assert!(
        recoveries > 0,
        "answers lost after the chip ran on must have been replayed"
    );
}

#[test]
fn a_host_that_ignores_the_window_would_overflow_a_board() {
    // 120 STEPs written at once through a modelled 115,200-baud line: while
    // the chip sends an answer (16 bytes, 1.4 ms), more STEPs arrive than it
    // takes, and the receive FIFO fills. The virtual chip holds what a board
    // would lose, and counts it.
    let chip = VirtualChip::start(ChipOptions {
        line: Some(LineModel {
            baud: 115_200,
            latency: Duration::from_millis(1),
        }),
        ..ChipOptions::new(CoreConfig::TINY)
    })
    .expect("the virtual chip starts");
    let mut port = serialport::new(chip.path().to_str().unwrap(), 115_200)
        .timeout(Duration::from_millis(200))
        .open()
        .unwrap();
    let empty = Command::Step {
        inputs: SpikeWords::List(vec![]),
    };
    let bytes: Vec<u8> = (1..=120u8).flat_map(|seq| empty.frame(seq).encode()).collect();
    port.write_all(&bytes).unwrap();
    // Every STEP is answered, in order (the model holds rather than drops).
    let (mut decoder, mut seqs, mut buf) = (Decoder::new(), Vec::new(), [0u8; 4096]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while seqs.len() < 120 && Instant::now() < deadline {
        let n = port.read(&mut buf).unwrap_or(0);
        for &b in &buf[..n] {
            match decoder.push(b) {
                Some(Event::Frame(f)) => {
                    assert!(matches!(Answer::from_frame(&f), Ok(Answer::Stepped { .. })), "{f:?}");
                    seqs.push(f.seq);
                }
                // A stray byte between frames is skipped, as a host skips
                // it (one extra byte was read once, in a loaded CI run, where
                // is unknown); one inside a frame fails its CRC, and the test.
                Some(Event::Garbage { bytes }) => eprintln!("{bytes} bytes between frames"),
                Some(e) => panic!("{e:?} after {} answers", seqs.len()),
                None => {}
            }
        }
    }
    assert_eq!(seqs, (1..=120).collect::<Vec<u8>>());
    drop(port);
    let stats = chip.stop().unwrap();
    assert!(stats.fifo_full > 0, "{stats:?}");
}
