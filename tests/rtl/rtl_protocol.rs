//! The RTL core's byte interface under bad input (`docs/spec.md` §10): every
//! malformed or out-of-range command gets a NAK naming the problem and
//! changes no state; garbage and cut-off frames are skipped or refused; a
//! retransmitted command is answered again without running twice.

use spikefab_chip::config::CoreConfig;
use spikefab_chip::image::Image;
use spikefab_hdl::cosim::Cosim;
use spikefab_hdl::engine::EngineKind;
use spikefab_host::driver::{block_on, Chip};
use spikefab_proto::frame::Frame;
use spikefab_proto::message::{ctrl, kind, Answer, Command, NakCode, Space};
use spikefab_proto::stream::SpikeWords;
use spikefab_sim::config;

const NET: &str = r#"
[simulation]
ticks = 6

[learning]
pre_decay = 1024
post_decay = 1024
pre_bump = 64
post_bump = 64
a_plus = 8
a_minus = 8
lr_shift = 4
w_min = 0
w_max = 100

[[population]]
name = "n"
size = 4
neuron = { du = 1024, dv = 2048, threshold = 100 }

[[input]]
name = "in"
size = 4
spikes = [[0, 0], [0, 2], [1, 1], [3, 3]]

[[projection]]
from = "in"
to = "n"
connect = { rule = "one_to_one" }
weight = 90
wexp = 1
plastic = true
delay = 2
"#;

/// A chip on the engine `kind` loaded with the test network.
fn loaded(kind: EngineKind) -> (Chip<Cosim>, spikefab_sim::Network, Image) {
    let net = config::parse_toml(NET, None).unwrap().network;
    let image = Image::new(&net, CoreConfig::TINY).unwrap();
    let mut chip = block_on(Chip::connect(Cosim::open(kind, CoreConfig::TINY).unwrap())).unwrap();
    block_on(chip.load(&image)).unwrap();
    (chip, net, image)
}

/// Every word of every space.
fn snapshot(chip: &mut Chip<Cosim>) -> Vec<Vec<u16>> {
    let c = CoreConfig::TINY;
    Space::ALL
        .iter()
        .map(|&s| {
            block_on(chip.read_space(s, 0, s.words(c.neurons(), c.axons(), c.delay_slots(), c.syn_words()))).unwrap()
        })
        .collect()
}

fn nak(chip: &mut Cosim, frame: Frame) -> (u8, NakCode, u16) {
    chip.send_bytes(&frame.encode());
    match chip.reply(frame.seq).unwrap() {
        Answer::Nak { command, code, detail } => (command, code, detail),
        a => panic!("expected a NAK for {frame:?}, got {a:?}"),
    }
}

fn raw(kind: u8, seq: u8, payload: &[u16]) -> Frame {
    Frame {
        kind,
        seq,
        payload: payload.to_vec(),
    }
}

#[test]
fn bad_commands_are_refused_and_change_nothing() {
    for kind in EngineKind::ALL {
        bad_commands_are_refused_and_change_nothing_on(kind);
    }
}

fn bad_commands_are_refused_and_change_nothing_on(kind: EngineKind) {
    let (mut chip, _, _) = loaded(kind);
    let before = snapshot(&mut chip);
    // The last command answered with success: a STEP must follow it (seq 101).
    chip.transport_mut().command_with_seq(&Command::Info, 100).unwrap();
    let c = CoreConfig::TINY;
    let syn_end = c.syn_words() as u16;
    let cases: Vec<(Frame, (u8, NakCode, u16))> = vec![
        (raw(0x42, 1, &[]), (0x42, NakCode::UnknownType, 0)),
        (raw(kind::INFO, 2, &[7]), (kind::INFO, NakCode::BadLength, 1)),
        (raw(kind::WRITE, 3, &[6, 0]), (kind::WRITE, NakCode::BadLength, 2)),
        (raw(kind::WRITE, 4, &[7, 0, 1]), (kind::WRITE, NakCode::BadSpace, 7)),
        (
            raw(kind::WRITE, 5, &[6, syn_end - 1, 1, 2]),
            (kind::WRITE, NakCode::BadAddress, syn_end - 1),
        ),
        (
            raw(kind::WRITE, 6, &[0, ctrl::COUNT as u16, 1]),
            (kind::WRITE, NakCode::BadAddress, ctrl::COUNT as u16),
        ),
        (raw(kind::READ, 7, &[1, 0]), (kind::READ, NakCode::BadLength, 2)),
        (raw(kind::READ, 8, &[1, 0, 0]), (kind::READ, NakCode::BadCount, 0)),
        (raw(kind::READ, 9, &[1, 0, 256]), (kind::READ, NakCode::BadCount, 256)),
        (raw(kind::READ, 10, &[9, 0, 1]), (kind::READ, NakCode::BadSpace, 9)),
        (raw(kind::READ, 11, &[3, 30, 3]), (kind::READ, NakCode::BadAddress, 30)),
        // Protocol v1's INPUT and TICK are no longer commands.
        (raw(0x04, 12, &[3]), (0x04, NakCode::UnknownType, 0)),
        (raw(0x05, 13, &[1]), (0x05, NakCode::UnknownType, 0)),
        (raw(kind::RESET, 19, &[0]), (kind::RESET, NakCode::BadLength, 1)),
        (raw(kind::STEP, 102, &[3]), (kind::STEP, NakCode::BadSeq, 101)),
        (raw(kind::STEP, 101, &[16]), (kind::STEP, NakCode::BadInput, 16)),
        (raw(kind::STEP, 101, &[7, 9, 8]), (kind::STEP, NakCode::BadInput, 8)),
        (raw(kind::STEP, 101, &[5, 5]), (kind::STEP, NakCode::BadInput, 5)),
        (raw(kind::STEP_MAP, 101, &[]), (kind::STEP_MAP, NakCode::BadLength, 0)),
        (
            raw(kind::STEP_MAP, 101, &[1, 0]),
            (kind::STEP_MAP, NakCode::BadLength, 2),
        ),
    ];
    for (frame, want) in cases {
        assert_eq!(nak(chip.transport_mut(), frame.clone()), want, "{frame:?}");
    }
    // A bad CRC: the frame is refused whole, with the CRC it carried.
    let mut bytes = Command::Write {
        space: Space::Neuron,
        address: 0,
        data: vec![1234],
    }
    .frame(20)
    .encode();
    let n = bytes.len();
    bytes[n - 1] ^= 0x5A;
    let carried = u16::from_le_bytes([bytes[n - 2], bytes[n - 1]]);
    chip.transport_mut().send_bytes(&bytes);
    match chip.transport_mut().reply(20).unwrap() {
        Answer::Nak { command, code, detail } => {
            assert_eq!((command, code, detail), (kind::WRITE, NakCode::BadCrc, carried))
        }
        a => panic!("{a:?}"),
    }
    assert_eq!(snapshot(&mut chip), before, "a refused command changed the state");
}

#[test]
fn garbage_and_cut_frames() {
    for kind in EngineKind::ALL {
        garbage_and_cut_frames_on(kind);
    }
}

fn garbage_and_cut_frames_on(kind: EngineKind) {
    let (mut chip, _, _) = loaded(kind);
    // Bytes outside a frame are skipped.
    chip.transport_mut().send_bytes(&[0x00, 0x13, 0x37, 0xFF]);
    assert!(matches!(
        chip.transport_mut().expect_ok(&Command::Info).unwrap(),
        Answer::Info { .. }
    ));
    // A frame cut short swallows the start of the next one and fails its CRC;
    // the retransmission goes through.
    let cut = Command::Write {
        space: Space::XPre,
        address: 0,
        data: vec![9, 9, 9],
    }
    .frame(40)
    .encode();
    chip.transport_mut().send_bytes(&cut[..7]);
    let read = Command::Read {
        space: Space::XPre,
        address: 0,
        count: 3,
    };
    chip.transport_mut().send_bytes(&read.frame(41).encode());
    match chip.transport_mut().reply(40).unwrap() {
        Answer::Nak { code, .. } => assert_eq!(code, NakCode::BadCrc),
        a => panic!("{a:?}"),
    }
    // The tail of the swallowed frame is skipped as garbage; resend the read.
    match chip.transport_mut().command_with_seq(&read, 42).unwrap() {
        Answer::Data(d) => assert_eq!(d, vec![0, 0, 0], "the cut WRITE must not have landed"),
        a => panic!("{a:?}"),
    }
}

#[test]
fn retransmitted_commands_run_once() {
    for kind in EngineKind::ALL {
        retransmitted_commands_run_once_on(kind);
    }
}

fn retransmitted_commands_run_once_on(kind: EngineKind) {
    let (mut chip, net, image) = loaded(kind);
    let step = |axons: &[u16]| Command::Step {
        inputs: SpikeWords::List(axons.to_vec()),
    };
    let steps = [step(&[0, 2]), step(&[1]), step(&[]), step(&[3])];
    // A command of known seq for the STEPs to follow.
    chip.transport_mut().command_with_seq(&Command::Info, 6).unwrap();
    let mut first = Vec::new();
    for (k, cmd) in steps.iter().enumerate() {
        let seq = 7 + k as u8;
        let answer = chip.transport_mut().command_with_seq(cmd, seq).unwrap();
        // Sent again (its answer lost): answered again with the counters
        // its tick left, not run again.
        let again = chip.transport_mut().command_with_seq(cmd, seq).unwrap();
        assert_eq!(again, answer, "STEP {k} repeated");
        first.push(answer);
    }
    // The same answers and state as each STEP once on a fresh chip.
    let (mut fresh, _, _) = loaded(kind);
    fresh.transport_mut().command_with_seq(&Command::Info, 6).unwrap();
    let once: Vec<Answer> = steps
        .iter()
        .enumerate()
        .map(|(k, cmd)| fresh.transport_mut().command_with_seq(cmd, 7 + k as u8).unwrap())
        .collect();
    assert_eq!(once, first);
    assert_eq!(
        block_on(fresh.dump(&net, &image)).unwrap(),
        block_on(chip.dump(&net, &image)).unwrap()
    );
    let spikes: usize = first
        .iter()
        .enumerate()
        .map(|(k, a)| match a {
            Answer::Stepped { tick, spikes, .. } => {
                assert_eq!(*tick, k as u32 + 1, "one tick per STEP");
                spikes.indices().len()
            }
            a => panic!("{a:?}"),
        })
        .sum();
    assert!(spikes > 0, "the test network must spike");
}
