//! Faults the virtual chip can inject into its link, for tests and for
//! trying the host's recovery by hand (`spikefab chip --flip-rate ...`).
//!
//! Each direction has its own byte count (from 0, the first byte that
//! crosses the pseudo-terminal that way) and its own plan. On the chip's
//! side a plan can also act on whole frames ([`FrameFault`]): the chip's
//! output is clean frames, so they are found by their headers; frame faults
//! model a chip that misbehaves, byte faults the line after it.

use std::ops::Range;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use spikefab_proto::frame::{Decoder, Event, CRC_BYTES, HEADER_BYTES, SYNC};
use spikefab_proto::message::kind;

/// One fault, at a byte position of one direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The byte is lost.
    Drop,
    /// The byte arrives with these bits inverted.
    Flip(u8),
    /// These bytes arrive before it.
    Insert(Vec<u8>),
    /// The chip goes silent from this byte on: it takes no more bytes and
    /// sends none (a board that hung).
    Mute,
    /// The chip closes its end of the pseudo-terminal (a board unplugged).
    Close,
}

/// A fault on the STEP answers the chip sends, by their count (from 0;
/// answers sent again count again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameFault {
    /// These STEP answers lose their last byte (their CRC fails: the answers
    /// are lost).
    LoseAnswers(Range<u64>),
    /// This STEP answer is sent twice.
    RepeatAnswer(u64),
    /// This STEP answer carries another digest (bit 0 flipped), with a CRC
    /// that matches: a chip that misbehaves once.
    ForgeAnswer(u64),
}

/// Faults of one direction: fixed ones at byte positions and random ones.
#[derive(Debug, Clone, Default)]
pub struct FaultPlan {
    fixed: Vec<(u64, Fault)>,
    frames: Vec<FrameFault>,
    /// The frame being received, while there are frame faults.
    frame: Vec<u8>,
    answers_seen: u64,
    /// Probability that a byte has one random bit inverted.
    pub flip_rate: f64,
    /// Probability that a byte is lost.
    pub drop_rate: f64,
    rng: Option<ChaCha8Rng>,
    position: u64,
    muted: bool,
}

/// What to do with the bytes of one read or write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filtered {
    /// The bytes that cross.
    pub bytes: Vec<u8>,
    /// Close the link after them.
    pub close: bool,
}

impl FaultPlan {
    /// No faults.
    pub fn none() -> Self {
        Self::default()
    }

    /// Add a fault at byte `position` (0-based, of this direction).
    pub fn at(mut self, position: u64, fault: Fault) -> Self {
        self.fixed.push((position, fault));
        self.fixed.sort_by_key(|f| f.0);
        self
    }

    /// Random bit flips and drops with these rates, from `seed`.
    pub fn random(mut self, flip_rate: f64, drop_rate: f64, seed: u64) -> Self {
        self.flip_rate = flip_rate;
        self.drop_rate = drop_rate;
        self.rng = Some(ChaCha8Rng::seed_from_u64(seed));
        self
    }

    /// Add a fault on the STEP answers of this direction (the chip's).
    pub fn frame_fault(mut self, fault: FrameFault) -> Self {
        self.frames.push(fault);
        self
    }

    /// True when the plan changes nothing.
    pub fn is_empty(&self) -> bool {
        self.fixed.is_empty() && self.frames.is_empty() && self.flip_rate == 0.0 && self.drop_rate == 0.0
    }

    /// Apply the frame faults: whole frames out as they complete.
    fn frame_filter(&mut self, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(input.len());
        for &b in input {
            if self.frame.is_empty() && b != SYNC {
                out.push(b);
                continue;
            }
            self.frame.push(b);
            let need = match self.frame.get(3) {
                Some(&len) => HEADER_BYTES + 2 * len as usize + CRC_BYTES,
                None => continue,
            };
            if self.frame.len() < need {
                continue;
            }
            let frame = std::mem::take(&mut self.frame);
            if ![kind::STEP | kind::ANSWER, kind::STEP_MAP | kind::ANSWER].contains(&frame[1]) {
                out.extend(frame);
                continue;
            }
            let n = self.answers_seen;
            self.answers_seen += 1;
            let mut bytes = frame;
            let mut copies = 1;
            for f in &self.frames {
                match f {
                    FrameFault::LoseAnswers(r) if r.contains(&n) => {
                        bytes.pop();
                    }
                    FrameFault::RepeatAnswer(k) if *k == n => copies = 2,
                    FrameFault::ForgeAnswer(k) if *k == n => {
                        let mut d = Decoder::new();
                        if let Some(Event::Frame(mut f)) = bytes.iter().find_map(|&b| d.push(b)) {
                            f.payload[4] ^= 1;
                            bytes = f.encode();
                        }
                    }
                    _ => {}
                }
            }
            for _ in 0..copies {
                out.extend_from_slice(&bytes);
            }
        }
        out
    }

    /// True once a [`Fault::Mute`] has been reached.
    pub fn muted(&self) -> bool {
        self.muted
    }

    /// Apply the plan to the next bytes of this direction.
    pub fn filter(&mut self, input: &[u8]) -> Filtered {
        let framed;
        let input = if self.frames.is_empty() {
            input
        } else {
            framed = self.frame_filter(input);
            &framed
        };
        let mut out = Filtered::default();
        for &b in input {
            let position = self.position;
            self.position += 1;
            if self.muted {
                continue;
            }
            let mut byte = Some(b);
            while let Some((at, _)) = self.fixed.first() {
                if *at != position {
                    break;
                }
                let (_, fault) = self.fixed.remove(0);
                match fault {
                    Fault::Drop => byte = None,
                    Fault::Flip(mask) => byte = byte.map(|x| x ^ mask),
                    Fault::Insert(bytes) => out.bytes.extend(bytes),
                    Fault::Mute => {
                        self.muted = true;
                        byte = None;
                    }
                    Fault::Close => {
                        out.close = true;
                        return out;
                    }
                }
            }
            if self.muted {
                continue;
            }
            if let (Some(rng), Some(x)) = (self.rng.as_mut(), byte) {
                if rng.random_bool(self.drop_rate.clamp(0.0, 1.0)) {
                    byte = None;
                } else if rng.random_bool(self.flip_rate.clamp(0.0, 1.0)) {
                    byte = Some(x ^ (1 << rng.random_range(0..8)));
                }
            }
            out.bytes.extend(byte);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_faults_apply_at_their_positions() {
        let mut p = FaultPlan::none()
            .at(1, Fault::Drop)
            .at(3, Fault::Flip(0x80))
            .at(4, Fault::Insert(vec![9, 9]));
        assert_eq!(p.filter(&[0, 1, 2]).bytes, vec![0, 2]);
        assert_eq!(p.filter(&[3, 4]).bytes, vec![0x83, 9, 9, 4]);
        let mut q = FaultPlan::none().at(2, Fault::Close);
        assert_eq!(
            q.filter(&[5, 6, 7, 8]),
            Filtered {
                bytes: vec![5, 6],
                close: true
            }
        );
        let mut m = FaultPlan::none().at(1, Fault::Mute);
        assert_eq!(m.filter(&[1, 2, 3]).bytes, vec![1]);
        assert!(m.muted());
    }

    #[test]
    fn frame_faults_act_on_step_answers() {
        use spikefab_proto::message::Answer;
        use spikefab_proto::stream::SpikeWords;
        let answer = |tick, digest| {
            Answer::Stepped {
                tick,
                cycles: 9,
                digest,
                spikes: SpikeWords::List(vec![2]),
            }
            .frame(3)
            .encode()
        };
        let done = Answer::ResetDone.frame(3).encode();
        let stream: Vec<u8> = [answer(1, 4), done.clone(), answer(2, 5), answer(3, 6), answer(4, 7)].concat();
        let mut p = FaultPlan::none()
            .frame_fault(FrameFault::LoseAnswers(1..2))
            .frame_fault(FrameFault::RepeatAnswer(2))
            .frame_fault(FrameFault::ForgeAnswer(3));
        // Fed in pieces: frames are held until they are whole.
        let (a, b) = stream.split_at(7);
        let mut out = p.filter(a).bytes;
        out.extend(p.filter(b).bytes);
        let mut d = Decoder::new();
        let events: Vec<Event> = out.iter().filter_map(|&x| d.push(x)).collect();
        let seen: Vec<String> = events
            .iter()
            .map(|e| match e {
                Event::Frame(f) => match Answer::from_frame(f).unwrap() {
                    Answer::Stepped { tick, digest, .. } => format!("tick {tick} digest {digest}"),
                    a => format!("{a:?}"),
                },
                Event::BadCrc { .. } => "bad crc".into(),
                Event::Garbage { .. } => "garbage".into(),
            })
            .collect();
        // Tick 2's answer lost its last byte: the sync of the first copy of
        // tick 3's completes its CRC field, and the rest of that copy is
        // garbage; the second copy of tick 3's arrives, then tick 4's with
        // its digest forged (7 into 6).
        assert_eq!(
            seen,
            [
                "tick 1 digest 4",
                "ResetDone",
                "bad crc",
                "garbage",
                "tick 3 digest 6",
                "tick 4 digest 6"
            ]
        );
    }

    #[test]
    fn random_faults_follow_their_rates() {
        let mut p = FaultPlan::none().random(0.1, 0.05, 7);
        let input = vec![0u8; 100_000];
        let out = p.filter(&input).bytes;
        let dropped = input.len() - out.len();
        let flipped = out.iter().filter(|&&b| b != 0).count();
        assert!((4_000..6_000).contains(&dropped), "dropped {dropped}");
        assert!((8_000..11_000).contains(&flipped), "flipped {flipped}");
        assert!(out.iter().all(|b| b.count_ones() <= 1));
    }
}
