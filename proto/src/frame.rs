//! Frames (`docs/spec.md` §10.1): `0xA5 | type | seq | len | payload | crc`.

use crc::{Crc, CRC_16_IBM_3740};

/// First byte of every frame.
pub const SYNC: u8 = 0xA5;
/// Most payload words in one frame.
pub const MAX_WORDS: usize = 255;
/// Bytes before the payload: sync, type, seq, len.
pub const HEADER_BYTES: usize = 4;
/// Bytes after the payload: the CRC.
pub const CRC_BYTES: usize = 2;

/// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR);
/// the catalogue's name for it is CRC-16/IBM-3740.
pub const CRC16: Crc<u16> = Crc::<u16>::new(&CRC_16_IBM_3740);
/// The CRC's polynomial (for the RTL's bitwise CRC).
pub const CRC_POLY: u16 = CRC_16_IBM_3740.poly;
/// The CRC's initial value.
pub const CRC_INIT: u16 = CRC_16_IBM_3740.init;

/// The CRC of a frame: over type, seq, len and the payload bytes.
pub fn frame_crc(kind: u8, seq: u8, payload: &[u16]) -> u16 {
    let mut d = CRC16.digest();
    d.update(&[kind, seq, payload.len() as u8]);
    for w in payload {
        d.update(&w.to_le_bytes());
    }
    d.finalize()
}

/// One frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Command, answer or event type.
    pub kind: u8,
    /// Sequence number of the command (echoed by the chip).
    pub seq: u8,
    /// Payload words, at most [`MAX_WORDS`].
    pub payload: Vec<u16>,
}

impl Frame {
    /// The frame's bytes on the wire.
    ///
    /// # Panics
    /// If the payload is longer than [`MAX_WORDS`] (a programming error: the
    /// message constructors never build one).
    pub fn encode(&self) -> Vec<u8> {
        assert!(
            self.payload.len() <= MAX_WORDS,
            "payload of {} words",
            self.payload.len()
        );
        let mut out = Vec::with_capacity(HEADER_BYTES + 2 * self.payload.len() + CRC_BYTES);
        out.extend([SYNC, self.kind, self.seq, self.payload.len() as u8]);
        for w in &self.payload {
            out.extend(w.to_le_bytes());
        }
        out.extend(frame_crc(self.kind, self.seq, &self.payload).to_le_bytes());
        out
    }
}

/// What the decoder saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A frame with a good CRC.
    Frame(Frame),
    /// A frame whose CRC did not match; it is discarded.
    BadCrc {
        /// Type byte as received.
        kind: u8,
        /// Seq byte as received.
        seq: u8,
        /// CRC received.
        received: u16,
        /// CRC computed over what was received.
        computed: u16,
    },
    /// Bytes skipped while hunting for [`SYNC`] (reported when the next sync arrives).
    Garbage {
        /// How many bytes.
        bytes: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Hunt,
    Kind,
    Seq,
    Len,
    Payload,
    Crc,
}

/// Byte-at-a-time frame decoder with resynchronisation (§10.1).
#[derive(Debug, Clone)]
pub struct Decoder {
    state: State,
    kind: u8,
    seq: u8,
    len: usize,
    bytes: Vec<u8>,
    skipped: usize,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder hunting for the first frame.
    pub fn new() -> Self {
        Decoder {
            state: State::Hunt,
            kind: 0,
            seq: 0,
            len: 0,
            bytes: Vec::new(),
            skipped: 0,
        }
    }

    /// Whether the decoder is inside a frame.
    pub fn in_frame(&self) -> bool {
        self.state != State::Hunt
    }

    /// Give up the frame being received (its end is not coming: a false sync
    /// or a damaged length) and hunt again from the byte after its sync, so
    /// that frames it swallowed are found. Returns the events of the rescan;
    /// the false sync counts as a skipped byte.
    pub fn abandon(&mut self) -> Vec<Event> {
        let raw: Vec<u8> = match self.state {
            State::Hunt => return Vec::new(),
            State::Kind => vec![],
            State::Seq => vec![self.kind],
            State::Len => vec![self.kind, self.seq],
            State::Payload | State::Crc => [self.kind, self.seq, self.len as u8]
                .into_iter()
                .chain(self.bytes.iter().copied())
                .collect(),
        };
        self.state = State::Hunt;
        self.skipped += 1;
        raw.into_iter().filter_map(|b| self.push(b)).collect()
    }

    /// Bytes of the frame in progress that the decoder holds (at most one
    /// frame's payload and CRC).
    pub fn held(&self) -> usize {
        self.bytes.len()
    }

    /// Bytes skipped since the last frame and not yet reported.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// Take one byte; returns what it completed, if anything.
    pub fn push(&mut self, b: u8) -> Option<Event> {
        match self.state {
            State::Hunt => {
                if b == SYNC {
                    self.state = State::Kind;
                    if self.skipped > 0 {
                        let bytes = std::mem::take(&mut self.skipped);
                        return Some(Event::Garbage { bytes });
                    }
                } else {
                    self.skipped += 1;
                }
                None
            }
            State::Kind => {
                self.kind = b;
                self.state = State::Seq;
                None
            }
            State::Seq => {
                self.seq = b;
                self.state = State::Len;
                None
            }
            State::Len => {
                self.len = b as usize;
                self.bytes.clear();
                self.state = if self.len == 0 { State::Crc } else { State::Payload };
                None
            }
            State::Payload => {
                self.bytes.push(b);
                if self.bytes.len() == 2 * self.len {
                    self.state = State::Crc;
                }
                None
            }
            State::Crc => {
                self.bytes.push(b);
                if self.bytes.len() < 2 * self.len + CRC_BYTES {
                    return None;
                }
                self.state = State::Hunt;
                let n = 2 * self.len;
                let received = u16::from_le_bytes([self.bytes[n], self.bytes[n + 1]]);
                let payload: Vec<u16> = self.bytes[..n]
                    .chunks(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect();
                let computed = frame_crc(self.kind, self.seq, &payload);
                Some(if received == computed {
                    Event::Frame(Frame {
                        kind: self.kind,
                        seq: self.seq,
                        payload,
                    })
                } else {
                    Event::BadCrc {
                        kind: self.kind,
                        seq: self.seq,
                        received,
                        computed,
                    }
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn crc_check_value() {
        assert_eq!(CRC16.checksum(b"123456789"), 0x29B1);
    }

    fn decode(bytes: &[u8]) -> Vec<Event> {
        let mut d = Decoder::new();
        bytes.iter().filter_map(|&b| d.push(b)).collect()
    }

    proptest! {
        #[test]
        fn round_trip(kind: u8, seq: u8, payload in proptest::collection::vec(any::<u16>(), 0..=MAX_WORDS)) {
            let f = Frame { kind, seq, payload };
            prop_assert_eq!(decode(&f.encode()), vec![Event::Frame(f)]);
        }

        /// Garbage without a sync byte before a frame is skipped and reported.
        #[test]
        fn resync_after_garbage(garbage in proptest::collection::vec(any::<u8>().prop_filter("no sync", |b| *b != SYNC), 1..50)) {
            let f = Frame { kind: 5, seq: 1, payload: vec![1] };
            let mut bytes = garbage.clone();
            bytes.extend(f.encode());
            prop_assert_eq!(decode(&bytes), vec![Event::Garbage { bytes: garbage.len() }, Event::Frame(f)]);
        }

        /// Any single bit flip in a frame's type, seq, payload or CRC is caught.
        #[test]
        fn bit_flips_are_caught(payload in proptest::collection::vec(any::<u16>(), 1..20), bit in 8usize..1000) {
            let f = Frame { kind: 2, seq: 9, payload };
            let mut bytes = f.encode();
            // Not the sync or the length byte (those change the framing itself).
            let bit = bit % (bytes.len() * 8);
            let byte = bit / 8;
            prop_assume!(byte != 0 && byte != 3);
            bytes[byte] ^= 1 << (bit % 8);
            let events = decode(&bytes);
            prop_assert!(matches!(events[..], [Event::BadCrc { .. }]), "{:?}", events);
        }
    }

    /// A false sync before real frames (a damaged length byte) swallows them
    /// until abandoned; abandoning finds them again.
    #[test]
    fn abandon_finds_swallowed_frames() {
        let a = Frame {
            kind: 0x90,
            seq: 4,
            payload: vec![1, 2, 3, 4, 5, 6, 7],
        };
        let b = Frame {
            kind: 0x85,
            seq: 4,
            payload: vec![9; 8],
        };
        let mut bytes = vec![SYNC, 0x90, 4, 200];
        bytes.extend(a.encode());
        bytes.extend(b.encode());
        let mut d = Decoder::new();
        assert!(
            bytes.iter().all(|&x| d.push(x).is_none()),
            "swallowed while waiting for 400 bytes"
        );
        assert!(d.in_frame());
        let events = d.abandon();
        assert_eq!(
            events,
            vec![Event::Garbage { bytes: 4 }, Event::Frame(a), Event::Frame(b)]
        );
        assert!(!d.in_frame());
        assert!(d.abandon().is_empty());
    }
}
