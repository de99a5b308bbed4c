//! The RTL core's streaming commands (`docs/spec.md` §10.4, protocol v2)
//! against the golden model: random networks run one STEP per tick, inputs in
//! the shorter of a list and a bitmap; each answer must carry the tick, the
//! busy-cycle counter, the digest of the stamps and the output spikes the
//! simulator gives for that tick, and the full state must match at the end.
//! Then the command's own rules: a repeated STEP is answered again without
//! running, a STEP out of sequence or with a bad bitmap is refused and changes
//! nothing.

#[path = "../sim/tests/reference/mod.rs"]
#[allow(dead_code)]
mod reference;

mod common;

use proptest::prelude::*;
use proptest::test_runner::Config;

use common::cases;
use reference::generate::{build, network, Limits};
use spikefab_chip::config::CoreConfig;
use spikefab_chip::image::Image;
use spikefab_hdl::cosim::Cosim;
use spikefab_hdl::engine::EngineKind;
use spikefab_host::driver::{block_on, step_of, Chip, TickOutput};
use spikefab_proto::message::{Answer, Command, NakCode};
use spikefab_proto::stream::SpikeWords;
use spikefab_sim::Network;

const TINY_LIMITS: Limits = Limits {
    neurons: 16,
    axons: 16,
    max_delay: 8,
    synapses: 120,
    ticks: 40,
};

const UP5K_LIMITS: Limits = Limits {
    neurons: 256,
    axons: 256,
    max_delay: 8,
    synapses: 1500,
    ticks: 24,
};

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
        let reply = chip.transport_mut().command(&cmd).map_err(|e| e.to_string())?;
        let want = TickOutput::of_model(&mut sim).answer(config.neurons());
        if !reply.events.is_empty() || reply.answer != want {
            return Err(format!(
                "tick {t}, {}: the chip answered {:?} (events {:?}), the model {want:?}",
                cmd.name(),
                reply.answer,
                reply.events
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
    assert_eq!(
        cosim.command_with_seq(&Command::Reset, 7).unwrap().answer,
        Answer::ResetDone
    );
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
            cosim.command_with_seq(&map, seq).unwrap().answer,
            nak(0x08, NakCode::BadSeq, 42)
        );
    }
    // A bitmap longer than M / 16 words, or empty.
    for words in [vec![], vec![1, 0]] {
        let bad = Command::Step {
            inputs: SpikeWords::Map(words.clone()),
        };
        let r = cosim.command_with_seq(&bad, 42).unwrap();
        assert_eq!(r.answer, nak(0x08, NakCode::BadLength, words.len() as u16));
    }
    // A list axon out of range, or not ascending.
    for (axons, detail) in [(vec![3, 16], 16), (vec![5, 5], 5)] {
        let bad = Command::Step {
            inputs: SpikeWords::List(axons),
        };
        let r = cosim.command_with_seq(&bad, 42).unwrap();
        assert_eq!(r.answer, nak(0x07, NakCode::BadInput, detail));
    }
    // None of them ran or was remembered: seq 42 runs tick 3, and its answer
    // repeats.
    let third = cosim.command_with_seq(&map, 42).unwrap();
    match &third.answer {
        Answer::Stepped { tick, spikes, .. } => assert_eq!((*tick, spikes.indices().len()), (3, 16)),
        a => panic!("{a:?}"),
    }
    assert_eq!(cosim.command_with_seq(&map, 42).unwrap(), third);
    // The seq after 255 is 0.
    assert_eq!(
        cosim.command_with_seq(&Command::Reset, 253).unwrap().answer,
        Answer::ResetDone
    );
    for (k, seq) in [254u8, 255, 0, 1].into_iter().enumerate() {
        match cosim.command_with_seq(&map, seq).unwrap().answer {
            Answer::Stepped { tick, .. } => assert_eq!(tick, 1 + k as u32, "seq {seq}"),
            a => panic!("seq {seq}: {a:?}"),
        }
    }
}
