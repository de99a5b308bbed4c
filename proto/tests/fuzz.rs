//! Fuzzing the host's decoders of the chip's bytes (stable Rust, proptest):
//! the frame decoder on arbitrary bytes and on mutated streams of real
//! frames, with its resynchronisation (`abandon`) at random points, and the
//! answer decoder on arbitrary frames. No panic; the decoder's buffer stays
//! within one frame; what comes out is consistent with what went in.
//!
//! Cases per target: `support::cases` (10,000; 1,000,000 in `make test-slow`).

#[path = "support/fuzz.rs"]
mod support;

use proptest::prelude::*;
use spikefab_proto::frame::{Decoder, Event, Frame, CRC_BYTES, HEADER_BYTES, MAX_WORDS};
use spikefab_proto::message::{Answer, Command, Space};
use spikefab_proto::stream::SpikeWords;
use support::{apply, config, edit};

/// Answers the chip sends, as frames.
fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        prop::collection::vec(any::<u16>(), 1..=MAX_WORDS).prop_map(Answer::Data),
        Just(Answer::Written),
        Just(Answer::ResetDone),
        (
            any::<u32>(),
            any::<u32>(),
            any::<u16>(),
            any::<bool>(),
            prop::collection::vec(any::<u16>(), 0..=16)
        )
            .prop_map(|(tick, cycles, digest, map, words)| Answer::Stepped {
                tick,
                cycles,
                digest,
                spikes: if map {
                    SpikeWords::Map(words)
                } else {
                    SpikeWords::List(words)
                },
            }),
    ]
}

/// Feed `bytes`, abandoning the frame in progress at the positions in
/// `abandon_at`; every event, and the most bytes the decoder held.
fn decode(bytes: &[u8], abandon_at: &[usize]) -> (Vec<Event>, usize) {
    let mut d = Decoder::new();
    let mut events = Vec::new();
    let mut held = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if abandon_at.contains(&i) {
            events.extend(d.abandon());
        }
        events.extend(d.push(b));
        held = held.max(d.held());
    }
    (events, held)
}

const MOST_HELD: usize = HEADER_BYTES + 2 * MAX_WORDS + CRC_BYTES;

proptest! {
    #![proptest_config(config())]

    /// Arbitrary bytes: events only, within one frame's worth of memory;
    /// every good frame re-encodes to bytes that were in the input.
    #[test]
    fn the_frame_decoder_takes_any_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..1500),
        abandon_at in prop::collection::vec(0usize..1500, 0..4),
    ) {
        let (events, held) = decode(&bytes, &abandon_at);
        prop_assert!(held <= MOST_HELD, "held {held} bytes");
        for e in &events {
            if let Event::Frame(f) = e {
                prop_assert!(f.payload.len() <= MAX_WORDS);
                let enc = f.encode();
                prop_assert!(bytes.windows(enc.len()).any(|w| w == enc.as_slice()), "{f:?} not in the input");
            }
        }
    }

    /// Real answer streams with a few bytes flipped, dropped, inserted or
    /// turned into a sync: no panic; without mutations exactly the frames.
    #[test]
    fn mutated_answer_streams_decode_safely(
        answers in prop::collection::vec((answer(), any::<u8>()), 1..12),
        mutations in prop::collection::vec(edit(), 0..6),
        abandon_at in prop::collection::vec(0usize..3000, 0..3),
    ) {
        let frames: Vec<Frame> = answers.iter().map(|(a, seq)| a.frame(*seq)).collect();
        let mut bytes: Vec<u8> = frames.iter().flat_map(Frame::encode).collect();
        if mutations.is_empty() && abandon_at.is_empty() {
            let (events, _) = decode(&bytes, &[]);
            let want: Vec<Event> = frames.iter().cloned().map(Event::Frame).collect();
            prop_assert_eq!(events, want);
        }
        for m in &mutations {
            apply(&mut bytes, m);
        }
        let (events, held) = decode(&bytes, &abandon_at);
        prop_assert!(held <= MOST_HELD);
        for e in events {
            if let Event::Frame(f) = e {
                // A frame with a good CRC decodes to an answer or a clear error.
                let _ = Answer::from_frame(&f);
            }
        }
    }

    /// Any frame: an answer that encodes back to the same frame, or an error.
    #[test]
    fn the_answer_decoder_takes_any_frame(
        kind in prop_oneof![any::<u8>(), prop::sample::select(vec![0x81u8, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x90, 0xFF])],
        seq: u8,
        payload in prop::collection::vec(any::<u16>(), 0..=MAX_WORDS),
    ) {
        let f = Frame { kind, seq, payload };
        if let Ok(a) = Answer::from_frame(&f) {
            prop_assert_eq!(a.frame(seq), f);
        }
    }

    /// Commands split into frames of any size still cover the same words.
    #[test]
    fn commands_split_into_the_same_words(words in 1usize..300, count in 1u16..=255, data in prop::collection::vec(any::<u16>(), 1..=253)) {
        let read = Command::Read { space: Space::Syn, address: 100, count };
        let pieces = read.split(words).unwrap();
        prop_assert_eq!(pieces.iter().map(Command::split_words).sum::<usize>(), count as usize);
        let write = Command::Write { space: Space::Syn, address: 7, data: data.clone() };
        let back: Vec<u16> = write
            .split(words)
            .unwrap()
            .into_iter()
            .flat_map(|c| match c {
                Command::Write { data, .. } => data,
                _ => unreachable!(),
            })
            .collect();
        prop_assert_eq!(back, data);
    }
}
