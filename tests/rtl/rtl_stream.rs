//! The RTL core's streaming commands (`docs/spec.md` §10.4)
//! against the golden model: random networks run one STEP per tick, inputs in
//! the shorter of a list and a bitmap; each answer must carry the tick, the
//! busy-cycle counter, the digest of the stamps and the output spikes the
//! simulator gives for that tick, and the full state must match at the end.
//! Then the command's own rules: a repeated STEP is answered again without
//! running, a STEP out of sequence or with a bad bitmap is refused and changes
//! nothing.

use crate::{common, reference};

use proptest::prelude::*;
use proptest::test_runner::Config;

use common::cases;
use common::limits::{TINY_LIMITS, UP5K_LIMITS};
use reference::generate::{build, network};
use spikefab_chip::config::CoreConfig;
use spikefab_chip::image::Image;
use spikefab_hdl::cosim::Cosim;
use spikefab_hdl::engine::EngineKind;
use spikefab_host::driver::{block_on, step_of, Chip, TickOutput};
use spikefab_proto::frame::{Decoder, Event};
use spikefab_proto::message::{Answer, Command, NakCode};
use spikefab_proto::stream::SpikeWords;
use spikefab_sim::Network;

fn loaded(config: CoreConfig, net: &Network) -> Result<(Chip<Cosim>, Image), String> {
    let cosim = Cosim::open(EngineKind::Verilator, config).map_err(|e| e.to_string())?;
    let image = Image::new(net, config).map_err(|e| e.to_string())?;
    let mut chip = block_on(Chip::connect(cosim)).map_err(|e| e.to_string())?;
    block_on(chip.load(&image)).map_err(|e| e.to_string())?;
    Ok((chip, image))
}

/// Run `net` one STEP per tick beside the golden model; the first difference.
fn check_steps(config: CoreConfig, net: &Network, ticks: u32) -> Result<(), String> {
    let (mut chip, image) = loaded(config, net)?;
    let mut sim = config.simulator(net).map_err(|e| e.to_string())?;
    sim.set_record_spikes(true);
    for t in 0..ticks {
        let cmd = step_of(net.inputs(), t, config.axons());
        let answer = chip.transport_mut().command(&cmd).map_err(|e| e.to_string())?;
        let want = TickOutput::of_model(&mut sim).answer(config.neurons());
        if answer != want {
            return Err(format!(
                "tick {t}, {}: the chip answered {answer:?}, the model {want:?}",
                cmd.name(),
            ));
        }
    }
    let chip_state = block_on(chip.dump(net, &image)).map_err(|e| e.to_string())?;
    match chip_state.first_divergence(&sim.state_dump()) {
        None => Ok(()),
        Some(d) => Err(format!("after {ticks} STEPs: {d}")),
    }
}

proptest! {
    #![proptest_config(Config::with_cases(cases(48)))]

    #[test]
    fn tiny_steps_match_sim((r, ticks) in network(TINY_LIMITS)) {
        if let Err(e) = check_steps(CoreConfig::TINY, &build(&r), ticks) {
            prop_assert!(false, "{e}");
        }
    }
}

proptest! {
    #![proptest_config(Config::with_cases(cases(6)))]

    #[test]
    fn up5k_steps_match_sim((r, ticks) in network(UP5K_LIMITS)) {
        if let Err(e) = check_steps(CoreConfig::UP5K, &build(&r), ticks) {
            prop_assert!(false, "{e}");
        }
    }
}

#[test]
fn full_bitmaps_both_ways() {
    let net = common::filled::every_spike(256, 8);
    check_steps(CoreConfig::UP5K, &net, 8).unwrap();
}

#[test]
fn repeats_sequence_and_bad_maps() {
    let net = common::filled::every_spike(16, 8);
    let (mut chip, _) = loaded(CoreConfig::TINY, &net).unwrap();
    let cosim = chip.transport_mut();
    // After a RESET no command is remembered: any seq may start.
    assert_eq!(cosim.command_with_seq(&Command::Reset, 7).unwrap(), Answer::ResetDone);
    let map = Command::Step {
        inputs: SpikeWords::Map(vec![0xFFFF]),
    };
    let nak = |command: u8, code: NakCode, detail: u16| Answer::Nak { command, code, detail };
    let first = cosim.command_with_seq(&map, 40).unwrap();
    let second = cosim.command_with_seq(&map, 41).unwrap();
    assert_ne!(first, second);
    // The same seq again: the same answer, the tick not run again.
    assert_eq!(cosim.command_with_seq(&map, 41).unwrap(), second);
    // Out of sequence: refused, naming the seq expected; nothing runs.
    for seq in [43, 40, 0] {
        assert_eq!(
            cosim.command_with_seq(&map, seq).unwrap(),
            nak(0x08, NakCode::BadSeq, 42)
        );
    }
    // A bitmap longer than M / 16 words, or empty.
    for words in [vec![], vec![1, 0]] {
        let bad = Command::Step {
            inputs: SpikeWords::Map(words.clone()),
        };
        let r = cosim.command_with_seq(&bad, 42).unwrap();
        assert_eq!(r, nak(0x08, NakCode::BadLength, words.len() as u16));
    }
    // A list axon out of range, or not ascending.
    for (axons, detail) in [(vec![3, 16], 16), (vec![5, 5], 5)] {
        let bad = Command::Step {
            inputs: SpikeWords::List(axons),
        };
        let r = cosim.command_with_seq(&bad, 42).unwrap();
        assert_eq!(r, nak(0x07, NakCode::BadInput, detail));
    }
    // None of them ran or was remembered: seq 42 runs tick 3, and its answer
    // repeats.
    let third = cosim.command_with_seq(&map, 42).unwrap();
    match &third {
        Answer::Stepped { tick, spikes, .. } => assert_eq!((*tick, spikes.indices().len()), (3, 16)),
        a => panic!("{a:?}"),
    }
    assert_eq!(cosim.command_with_seq(&map, 42).unwrap(), third);
    // The seq after 255 is 0.
    assert_eq!(cosim.command_with_seq(&Command::Reset, 253).unwrap(), Answer::ResetDone);
    for (k, seq) in [254u8, 255, 0, 1].into_iter().enumerate() {
        match cosim.command_with_seq(&map, seq).unwrap() {
            Answer::Stepped { tick, .. } => assert_eq!(tick, 1 + k as u32, "seq {seq}"),
            a => panic!("seq {seq}: {a:?}"),
        }
    }
}

/// STEP frames pushed all at once (the host's stream), the engine run clock
/// by clock: each answer with the clock its last byte left the core.
fn answer_clocks(cosim: &mut Cosim, first_seq: u8, steps: usize) -> Vec<(u64, Answer)> {
    let step = Command::Step {
        inputs: SpikeWords::List(vec![]),
    };
    for k in 0..steps {
        cosim.send_bytes(&step.frame(first_seq.wrapping_add(k as u8)).encode());
    }
    let engine = cosim.engine_mut();
    let (mut decoder, mut out, mut got) = (Decoder::new(), Vec::new(), Vec::new());
    let start = engine.clocks();
    while got.len() < steps {
        assert!(engine.clocks() - start < 1_000_000, "no answer after a million clocks");
        out.clear();
        assert_eq!(
            engine.run(1, usize::MAX, &mut out),
            1,
            "the core went idle with STEPs to answer"
        );
        for &b in &out {
            if let Some(Event::Frame(f)) = decoder.push(b) {
                got.push((engine.clocks(), Answer::from_frame(&f).unwrap()));
            }
        }
    }
    got
}

/// Real-time pacing (`docs/spec.md` §10.5) on the Verilator core: with a
/// period of P clocks, streamed STEPs of a quiet network (every tick the same
/// length) are answered exactly P clocks apart, where lockstep answers them
/// as fast as it can; a STEP sent after its tick was due is counted late;
/// ticks longer than the period are counted as overruns (and their STEPs
/// are not late); RESET and a new period clear the counts.
#[test]
fn real_time_pacing_spaces_ticks_and_counts() {
    use spikefab_proto::message::{ctrl, Space};
    let c = CoreConfig::TINY;
    let mut b = spikefab_sim::network::NetworkBuilder::new();
    let p = b.add_profile(spikefab_sim::NeuronParams::default());
    b.add_neurons(p, c.neurons(), |_| 0);
    b.add_axons(c.axons());
    let net = b.build().unwrap();
    let (mut chip, _) = loaded(c, &net).unwrap();
    let cosim = chip.transport_mut();
    let period = |cosim: &mut Cosim, clocks: u32, seq: u8| {
        let w = Command::Write {
            space: Space::Ctrl,
            address: ctrl::PERIOD as u32,
            data: vec![clocks as u16, (clocks >> 16) as u16],
        };
        assert_eq!(cosim.command_with_seq(&w, seq).unwrap(), Answer::Written);
    };
    let counts = |cosim: &mut Cosim, seq: u8| -> (u16, u16) {
        let r = Command::Read {
            space: Space::Ctrl,
            address: ctrl::LATE as u32,
            count: 2,
        };
        match cosim.command_with_seq(&r, seq).unwrap() {
            Answer::Data(d) => (d[0], d[1]),
            a => panic!("{a:?}"),
        }
    };
    let gaps = |answers: &[(u64, Answer)]| -> Vec<u64> { answers.windows(2).map(|w| w[1].0 - w[0].0).collect() };

    // A command of known seq for the STEPs to follow.
    assert!(matches!(
        cosim.command_with_seq(&Command::Info, 10).unwrap(),
        Answer::Info { .. }
    ));
    // Lockstep: as fast as the core goes.
    let fast = gaps(&answer_clocks(cosim, 11, 6));
    let tick = *fast.iter().max().unwrap();
    assert!(
        fast.iter().all(|&g| g == tick),
        "a quiet network's ticks are alike: {fast:?}"
    );
    assert_eq!(counts(cosim, 17), (0, 0), "lockstep counts nothing");

    // Paced: exactly the period apart.
    let p = 3 * tick as u32 + 7;
    period(cosim, p, 18);
    let paced = answer_clocks(cosim, 19, 6);
    assert_eq!(gaps(&paced), vec![p as u64; 5]);
    assert!(
        matches!(paced[5].1, Answer::Stepped { tick: 12, .. }),
        "{:?}",
        paced[5].1
    );
    assert_eq!(counts(cosim, 25), (0, 0), "STEPs in time, ticks within the period");
    // A STEP sent after its tick was due (the core idle meanwhile) is late.
    let engine = cosim.engine_mut();
    let mut out = Vec::new();
    while !engine.is_idle() {
        engine.run(1000, usize::MAX, &mut out);
    }
    answer_clocks(cosim, 26, 1);
    assert_eq!(counts(cosim, 27), (1, 0));

    // A period shorter than a tick: every tick overruns, no STEP is late.
    period(cosim, 5, 28);
    assert_eq!(counts(cosim, 29), (0, 0), "a new period clears the counts");
    let over = answer_clocks(cosim, 30, 4);
    assert_eq!(
        gaps(&over),
        fast[..3].to_vec(),
        "overrunning ticks go as fast as lockstep"
    );
    assert_eq!(counts(cosim, 34), (0, 4));
    assert_eq!(cosim.command_with_seq(&Command::Reset, 35).unwrap(), Answer::ResetDone);
    assert_eq!(counts(cosim, 36), (0, 0), "RESET clears the counts");
}
