//! Fuzzing the RTL core's frame receiver and command decoder (on the
//! Verilator engine, the emitted Verilog): arbitrary bytes, and real command
//! frames with bytes flipped, dropped, inserted or made into syncs. The core
//! must always come back to idle (no hang), every byte it sends must be a
//! well-formed frame with a valid answer, and after the host's flush it must
//! answer the next command.
//!
//! Cases: `support::cases` (10,000; 1,000,000 in `make test-slow`).

#[path = "../../proto/tests/support/fuzz.rs"]
mod support;

use proptest::prelude::*;
use spikefab_chip::config::CoreConfig;
use spikefab_hdl::cosim::Cosim;
use spikefab_hdl::engine::EngineKind;
use spikefab_proto::frame::{Decoder, Event, Frame};
use spikefab_proto::message::{Answer, Command, Space};
use spikefab_proto::stream::SpikeWords;
use support::{apply, config, edit};

/// Commands of every type with fields in and out of range (a STEP runs one
/// tick of the tiny core, so a case stays short).
fn command() -> impl Strategy<Value = Command> {
    let space = prop::sample::select(Space::ALL.to_vec());
    prop_oneof![
        Just(Command::Info),
        Just(Command::Reset),
        (space.clone(), address(), prop::collection::vec(any::<u16>(), 1..40))
            .prop_map(|(space, address, data)| Command::Write { space, address, data }),
        (space, address(), 0u16..300).prop_map(|(space, address, count)| Command::Read { space, address, count }),
        prop::collection::vec(0u16..40, 0..8).prop_map(|axons| Command::Step {
            inputs: SpikeWords::List(axons)
        }),
        prop::collection::vec(any::<u16>(), 0..3).prop_map(|words| Command::Step {
            inputs: SpikeWords::Map(words)
        }),
    ]
}

/// Addresses mostly within 16 bits, some with bits 16-23 (the space word's
/// high byte).
fn address() -> impl Strategy<Value = u32> {
    prop_oneof![3 => any::<u16>().prop_map(u32::from), 1 => 0u32..1 << 24]
}

fn input() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..600),
        (
            prop::collection::vec((command(), any::<u8>()), 1..6),
            prop::collection::vec(edit(), 0..5)
        )
            .prop_map(|(cmds, edits)| {
                let mut bytes: Vec<u8> = cmds.iter().flat_map(|(c, seq)| raw(c, *seq).encode()).collect();
                for e in &edits {
                    apply(&mut bytes, e);
                }
                bytes
            }),
    ]
}

/// A command's frame, also where its fields break the rules (the encoder
/// would refuse nothing here: these are the chip's to refuse).
fn raw(c: &Command, seq: u8) -> Frame {
    c.frame(seq)
}

/// Clocks the core may take to come back to idle after a case.
const BUDGET: u64 = 2_000_000;

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_core_takes_any_bytes(bytes in input()) {
        let mut chip = Cosim::open(EngineKind::Verilator, CoreConfig::TINY).expect("the Verilator model builds");
        // The bytes, then the host's flush (which completes a frame left cut
        // short: the core refuses it with a NAK).
        chip.send_bytes(&bytes);
        chip.send_bytes(&[0; 516]);
        let mut out = Vec::new();
        let engine = chip.engine_mut();
        let mut clocks = 0;
        while !engine.is_idle() {
            prop_assert!(clocks < BUDGET, "not idle after {clocks} clocks");
            clocks += engine.run(1 << 14, usize::MAX, &mut out);
        }
        let mut d = Decoder::new();
        for b in out {
            match d.push(b) {
                Some(Event::Frame(f)) => {
                    prop_assert!(Answer::from_frame(&f).is_ok(), "the core sent {f:?}");
                }
                Some(e) => prop_assert!(false, "the core sent a bad frame: {e:?}"),
                None => {}
            }
        }
        prop_assert!(!d.in_frame(), "the core stopped inside a frame");
        // The next command is answered.
        match chip.command(&Command::Info) {
            Ok(a) => prop_assert!(matches!(a, Answer::Info { .. }), "{a:?}"),
            Err(e) => prop_assert!(false, "no answer after the flush: {e}"),
        }
    }
}

/// Found by the fuzzing above: a tick on a core never loaded (every memory
/// 0, so every neuron fires and every source's first run header is 0) walked
/// the synapse memory round and round and never answered. A run header of
/// count 0 now ends the source (spec §8.3).
#[test]
fn a_tick_before_any_load_does_not_hang_the_core() {
    let step = Command::Step {
        inputs: SpikeWords::List(vec![]),
    };
    for kind in EngineKind::ALL {
        let mut chip = Cosim::open(kind, CoreConfig::TINY).unwrap();
        chip.budget = 100_000;
        for t in 1..=2 {
            match chip.command(&step).unwrap() {
                Answer::Stepped { tick, spikes, .. } => {
                    // θ = 0 and v = 0: every neuron fires every tick.
                    assert_eq!((tick, spikes.indices()), (t, (0..16).collect::<Vec<u16>>()));
                }
                a => panic!("{kind}: {a:?}"),
            }
        }
    }
}
