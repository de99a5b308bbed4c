//! Commands, answers and events (`docs/spec.md` §10.2) and the memory map
//! they address (§8.2).

use crate::frame::{Frame, MAX_WORDS};
use crate::stream::SpikeWords;

/// Protocol version reported by INFO.
pub const VERSION: u16 = 6;

/// Frame types.
pub mod kind {
    /// Command: core configuration.
    pub const INFO: u8 = 0x01;
    /// Command: write words into a space.
    pub const WRITE: u8 = 0x02;
    /// Command: read words from a space.
    pub const READ: u8 = 0x03;
    /// Command: reset the counters and pending inputs.
    pub const RESET: u8 = 0x06;
    /// Command: run one tick with input axons given as a list; also the
    /// type of its answer's list form (with [`ANSWER`]).
    pub const STEP: u8 = 0x07;
    /// Command: run one tick with input axons given as a bitmap; also
    /// the type of its answer's bitmap form (with [`ANSWER`]).
    pub const STEP_MAP: u8 = 0x08;
    /// A success answer is its command's type with this bit set.
    pub const ANSWER: u8 = 0x80;
    /// Error answer.
    pub const NAK: u8 = 0xFF;
}

/// Memory spaces (§8.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum Space {
    /// Control registers ([`ctrl`]).
    Ctrl = 0,
    /// Neuron state and parameters, `field × N + n` ([`field`]).
    Neuron = 1,
    /// Delay-ring accumulators, `slot × N + n`.
    Ring = 2,
    /// Per source: address of its first run header in `syn`.
    Source = 3,
    /// Per neuron: address of its fan-in header in `syn`.
    Fanin = 4,
    /// Per source: pre-synaptic trace.
    XPre = 5,
    /// Synapse memory.
    Syn = 6,
    /// Bits 16-17 of each `syn` word, in bits 0-1 (wide cores only, [`wide`]).
    SynHi = 7,
    /// Bits 16-17 of each `source` pointer, in bits 0-1 (wide cores only).
    SourceHi = 8,
    /// Bits 16-17 of each `fanin` pointer, in bits 0-1 (wide cores only).
    FaninHi = 9,
}

/// Whether a core with `n` neurons and `s` synapse-memory words is *wide*
/// (§8.2): its synapse targets need more than 8 bits or its synapse
/// addresses more than 16, so its `syn` words are 18 bits and its `source`
/// and `fanin` pointers 18, and the host reaches their bits 16-17 through
/// the spaces [`Space::SynHi`], [`Space::SourceHi`] and [`Space::FaninHi`].
pub const fn wide(n: u32, s: u32) -> bool {
    n > 256 || s > 65_536
}

/// Width in bits of a wide core's `syn`, `source` and `fanin` words.
pub const WIDE_BITS: u32 = 18;

/// Largest address (plus one) a WRITE or READ can name: 16 bits in the
/// address word and 8 in the space word's high byte (§10.2).
pub const ADDRESS_LIMIT: u32 = 1 << 24;

impl Space {
    /// All spaces, by number.
    pub const ALL: [Space; 10] = [
        Space::Ctrl,
        Space::Neuron,
        Space::Ring,
        Space::Source,
        Space::Fanin,
        Space::XPre,
        Space::Syn,
        Space::SynHi,
        Space::SourceHi,
        Space::FaninHi,
    ];

    /// The space numbered `n`.
    pub fn from_u16(n: u16) -> Option<Space> {
        Space::ALL.get(n as usize).copied()
    }

    /// Words in this space on a core with `n` neurons, `m` axons, `d` delay
    /// slots and `s` synapse-memory words (0: the core has no such space).
    pub fn words(self, n: u32, m: u32, d: u32, s: u32) -> u32 {
        let hi = |words: u32| if wide(n, s) { words } else { 0 };
        match self {
            Space::Ctrl => ctrl::COUNT,
            Space::Neuron => field::COUNT * n,
            Space::Ring => d * n,
            Space::Source | Space::XPre => m + n,
            Space::Fanin => n,
            Space::Syn => s,
            Space::SynHi => hi(s),
            Space::SourceHi => hi(m + n),
            Space::FaninHi => hi(n),
        }
    }

    /// The space that holds bits 16-17 of this one's words on a wide core.
    pub fn high_part(self) -> Option<Space> {
        match self {
            Space::Syn => Some(Space::SynHi),
            Space::Source => Some(Space::SourceHi),
            Space::Fanin => Some(Space::FaninHi),
            _ => None,
        }
    }

    /// The space word of a WRITE or READ at `address`: the space in the low
    /// byte, the address's bits 16-23 in the high byte (§10.2).
    pub fn word(self, address: u32) -> u16 {
        self as u16 | ((address >> 16) as u16 & 0xFF) << 8
    }
}

/// Control registers (space 0).
pub mod ctrl {
    /// Bit 0: learning on.
    pub const LEARN: u16 = 0;
    /// STDP pre-trace decay, in 1/4096 (13 bits).
    pub const PRE_DECAY: u16 = 1;
    /// STDP post-trace decay, in 1/4096 (13 bits).
    pub const POST_DECAY: u16 = 2;
    /// Pre-trace bump.
    pub const PRE_BUMP: u16 = 3;
    /// Post-trace bump.
    pub const POST_BUMP: u16 = 4;
    /// Potentiation gain.
    pub const A_PLUS: u16 = 5;
    /// Depression gain.
    pub const A_MINUS: u16 = 6;
    /// Learning-rate shift.
    pub const LR_SHIFT: u16 = 7;
    /// Lower weight bound (8-bit two's complement).
    pub const W_MIN: u16 = 8;
    /// Upper weight bound (8-bit two's complement).
    pub const W_MAX: u16 = 9;
    /// LFSR state (writing loads it).
    pub const LFSR: u16 = 10;
    /// Tick counter, low word (high word at +1); read-only, RESET clears it.
    pub const TICK: u16 = 11;
    /// Busy-cycle counter, lowest word (four words); read-only, RESET clears it.
    pub const CYCLES: u16 = 13;
    /// Tick period in core clocks for real-time pacing (§10.5), low word;
    /// bits 16-23 in the low byte of the next register. 0: lockstep. Writing
    /// either word zeroes `LATE` and `OVERRUNS`.
    pub const PERIOD: u16 = 17;
    /// STEPs ready only after their tick was due (mod 2^16); read-only,
    /// RESET clears it.
    pub const LATE: u16 = 19;
    /// Ticks whose busy phase ended after their period (mod 2^16);
    /// read-only, RESET clears it.
    pub const OVERRUNS: u16 = 20;
    /// How the decays round (bit 0: dithered; 0 rounds toward zero).
    pub const ROUNDING: u16 = 21;
    /// The dither state (16 bits, an LFSR state; its low 12 bits are the
    /// offset of neuron 0 in the next tick); it takes 16 LFSR steps after each
    /// tick's neuron phase while dithering is on.
    pub const DITHER: u16 = 22;
    /// Ticks after a neuron fires that its spike meets its plastic synapses
    /// (0..=11, 4 bits; `docs/spec.md` §5.3).
    pub const POST_DELAY: u16 = 23;
    /// Number of registers.
    pub const COUNT: u32 = 24;
    /// Bits of a register's number: the fewest that hold `COUNT - 1`. A
    /// command's range is checked against `COUNT` before it runs, so the
    /// core decodes only these bits.
    pub const ADDRESS_BITS: usize = (u32::BITS - (COUNT - 1).leading_zeros()) as usize;
    /// The longest tick period, in core clocks (24 bits).
    pub const MAX_PERIOD: u32 = (1 << 24) - 1;
}

/// Fields of the `neuron` space (address `field × N + n`).
pub mod field {
    /// Synaptic current.
    pub const U: u16 = 0;
    /// Membrane.
    pub const V: u16 = 1;
    /// Threshold.
    pub const THETA: u16 = 2;
    /// Refractory counter (bits 0-7) and the low 8 bits of the post-spike
    /// history (bits 8-15; [`post_history`]).
    pub const REF: u16 = 3;
    /// Post-synaptic trace (bits 0-11) and the post-spike history's bits
    /// 8-11 (bits 12-15).
    pub const X_POST: u16 = 4;
    /// Current decay.
    pub const DU: u16 = 5;
    /// Membrane decay.
    pub const DV: u16 = 6;
    /// Bias.
    pub const BIAS: u16 = 7;
    /// Membrane after a spike.
    pub const V_RESET: u16 = 8;
    /// Resting threshold.
    pub const THRESHOLD: u16 = 9;
    /// Threshold increase per spike.
    pub const THETA_INC: u16 = 10;
    /// Threshold excess decay.
    pub const THETA_DECAY: u16 = 11;
    /// Refractory period.
    pub const REFRACTORY: u16 = 12;
    /// Number of fields.
    pub const COUNT: u32 = 13;
    /// Bits of a field's number: the fewest that hold `COUNT - 1`. A
    /// command's range is checked against the space's end before it runs,
    /// so the core decodes only these bits.
    pub const ADDRESS_BITS: usize = (u32::BITS - (COUNT - 1).leading_zeros()) as usize;

    /// Where the `REF` word holds the post-spike history's low bits.
    pub const REF_HISTORY_SHIFT: u32 = 8;
    /// Where the `X_POST` word holds the history's high bits (above the
    /// 12-bit trace).
    pub const X_POST_HISTORY_SHIFT: u32 = 12;
    /// The history's bits held in the `REF` word.
    pub const REF_HISTORY_BITS: u32 = 16 - REF_HISTORY_SHIFT;
    /// The trace's bits of the `X_POST` word.
    pub const X_POST_TRACE_MASK: u16 = (1 << X_POST_HISTORY_SHIFT) - 1;

    /// A neuron's post-spike history (spec §5.3, 12 bits: bit `i` set when
    /// it fired `i + 1` ticks before the next tick) from its `REF` and
    /// `X_POST` words.
    pub fn post_history(ref_word: u16, x_post_word: u16) -> u16 {
        ref_word >> REF_HISTORY_SHIFT | (x_post_word >> X_POST_HISTORY_SHIFT) << REF_HISTORY_BITS
    }
}

/// NAK codes (§10.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[repr(u16)]
pub enum NakCode {
    /// The frame's CRC did not match.
    #[error("bad CRC")]
    BadCrc = 1,
    /// Unknown command type.
    #[error("unknown command type")]
    UnknownType = 2,
    /// Payload length wrong for the command.
    #[error("bad payload length")]
    BadLength = 3,
    /// No such memory space.
    #[error("no such memory space")]
    BadSpace = 4,
    /// Address range past the end of the space.
    #[error("address out of range")]
    BadAddress = 5,
    /// Input axon out of range or not ascending.
    #[error("bad input axon")]
    BadInput = 6,
    /// A count of 0 (or above 255 for READ).
    #[error("bad count")]
    BadCount = 7,
    /// A STEP whose `seq` does not follow the last command run.
    #[error("STEP out of sequence")]
    BadSeq = 8,
}

impl NakCode {
    /// The code numbered `n`.
    pub fn from_u16(n: u16) -> Option<NakCode> {
        use NakCode::*;
        [
            BadCrc,
            UnknownType,
            BadLength,
            BadSpace,
            BadAddress,
            BadInput,
            BadCount,
            BadSeq,
        ]
        .into_iter()
        .find(|c| *c as u16 == n)
    }
}

/// A command from the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Ask for the core configuration.
    Info,
    /// Write `data` (1..=253 words) at `address` of `space`.
    Write {
        /// Space.
        space: Space,
        /// First word (below [`ADDRESS_LIMIT`]).
        address: u32,
        /// Words.
        data: Vec<u16>,
    },
    /// Read `count` (1..=255) words.
    Read {
        /// Space.
        space: Space,
        /// First word (below [`ADDRESS_LIMIT`]).
        address: u32,
        /// Words.
        count: u16,
    },
    /// Reset counters and pending inputs.
    Reset,
    /// Run one tick whose input axons (joining any pending) are `inputs`
    /// (§10.4).
    Step {
        /// The tick's input axons, as a list (STEP) or a bitmap (STEP_MAP).
        inputs: SpikeWords,
    },
}

/// Most data words in one WRITE.
pub const MAX_WRITE_WORDS: usize = MAX_WORDS - 2;

impl Command {
    /// The command's type byte.
    pub fn kind(&self) -> u8 {
        match self {
            Command::Info => kind::INFO,
            Command::Write { .. } => kind::WRITE,
            Command::Read { .. } => kind::READ,
            Command::Reset => kind::RESET,
            Command::Step {
                inputs: SpikeWords::List(_),
            } => kind::STEP,
            Command::Step {
                inputs: SpikeWords::Map(_),
            } => kind::STEP_MAP,
        }
    }

    /// The command's name as the spec writes it (`STEP`), for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Info => "INFO",
            Command::Write { .. } => "WRITE",
            Command::Read { .. } => "READ",
            Command::Reset => "RESET",
            Command::Step {
                inputs: SpikeWords::List(_),
            } => "STEP",
            Command::Step {
                inputs: SpikeWords::Map(_),
            } => "STEP_MAP",
        }
    }

    /// The command as a frame with sequence number `seq`.
    ///
    /// # Panics
    /// If a WRITE carries more than [`MAX_WRITE_WORDS`] words, or a STEP more
    /// than 255 words (split them; [`Command::writes`] does), or a WRITE or
    /// READ names an address past [`ADDRESS_LIMIT`].
    pub fn frame(&self, seq: u8) -> Frame {
        let payload = match self {
            Command::Info | Command::Reset => vec![],
            Command::Write { space, address, data } => {
                assert!(data.len() <= MAX_WRITE_WORDS, "WRITE of {} words", data.len());
                assert!(*address < ADDRESS_LIMIT, "WRITE at address {address}");
                let mut p = vec![space.word(*address), *address as u16];
                p.extend(data);
                p
            }
            Command::Read { space, address, count } => {
                assert!(*address < ADDRESS_LIMIT, "READ at address {address}");
                vec![space.word(*address), *address as u16, *count]
            }
            Command::Step { inputs } => {
                assert!(
                    inputs.words().len() <= MAX_WORDS,
                    "STEP of {} words",
                    inputs.words().len()
                );
                inputs.words().to_vec()
            }
        };
        Frame {
            kind: self.kind(),
            seq,
            payload,
        }
    }

    /// WRITE commands that store `data` from `address` on, each as long as a
    /// frame allows.
    pub fn writes(space: Space, address: u32, data: &[u16]) -> Vec<Command> {
        Self::writes_of(space, address, data, MAX_WRITE_WORDS)
    }

    fn writes_of(space: Space, address: u32, data: &[u16], words: usize) -> Vec<Command> {
        data.chunks(words.max(1))
            .enumerate()
            .map(|(i, chunk)| Command::Write {
                space,
                address: address + (i * words.max(1)) as u32,
                data: chunk.to_vec(),
            })
            .collect()
    }

    /// Words the command moves that can be split across frames: the data of
    /// a WRITE, the count of a READ; 0 for the others.
    pub fn split_words(&self) -> usize {
        match self {
            Command::Write { data, .. } => data.len(),
            Command::Read { count, .. } => *count as usize,
            _ => 0,
        }
    }

    /// The same effect as commands of at most `words` words each: a WRITE
    /// or READ cut into consecutive pieces (both can be repeated without
    /// harm, so a host may send the pieces under new sequence numbers);
    /// `None` for the other commands, which must go whole.
    pub fn split(&self, words: usize) -> Option<Vec<Command>> {
        let words = words.max(1);
        match self {
            Command::Write { space, address, data } => Some(Self::writes_of(*space, *address, data, words)),
            Command::Read { space, address, count } => Some(
                (0..*count as usize)
                    .step_by(words)
                    .map(|i| Command::Read {
                        space: *space,
                        address: address + i as u32,
                        count: (*count as usize - i).min(words) as u16,
                    })
                    .collect(),
            ),
            _ => None,
        }
    }
}

/// What the chip sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Core configuration.
    Info {
        /// Protocol version.
        version: u16,
        /// Neurons N.
        neurons: u16,
        /// Axons M.
        axons: u16,
        /// Delay slots D.
        delay_slots: u16,
        /// Synapse-memory words / 256.
        syn_pages: u16,
    },
    /// A WRITE succeeded.
    Written,
    /// The words of a READ.
    Data(Vec<u16>),
    /// A RESET succeeded.
    ResetDone,
    /// A STEP's tick ran (§10.4).
    Stepped {
        /// Tick counter after the tick.
        tick: u32,
        /// The busy-cycle counter's low 32 bits after the tick.
        cycles: u32,
        /// [`crate::stream::stamp_digest`] of the tick's output spikes.
        digest: u16,
        /// The tick's output spikes, as a list or a bitmap of N.
        spikes: SpikeWords,
    },
    /// A command was refused.
    Nak {
        /// Type of the refused command.
        command: u8,
        /// Why.
        code: NakCode,
        /// The offending value (§10.2).
        detail: u16,
    },
}

/// Why a frame from the chip is not a valid answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    /// Unknown type byte.
    #[error("unknown answer type 0x{0:02x}")]
    UnknownType(u8),
    /// Payload length wrong for the type.
    #[error("answer type 0x{kind:02x} with {got} payload words (expected {expected})")]
    Length {
        /// Type.
        kind: u8,
        /// Words received.
        got: usize,
        /// Words expected.
        expected: usize,
    },
    /// NAK with an unknown code.
    #[error("NAK with unknown code {0}")]
    UnknownCode(u16),
}

/// Words of a STEP answer before its spikes: tick (2), cycles (2), digest.
pub const STEPPED_HEAD: usize = 5;

fn u32_of(w: &[u16]) -> u32 {
    w[0] as u32 | (w[1] as u32) << 16
}

/// Split a u32 into two words, low first.
pub fn words_u32(x: u32) -> [u16; 2] {
    [x as u16, (x >> 16) as u16]
}

impl Answer {
    /// Decode a frame from the chip.
    pub fn from_frame(f: &Frame) -> Result<Answer, AnswerError> {
        let p = &f.payload;
        let need = |n: usize| -> Result<(), AnswerError> {
            if p.len() == n {
                Ok(())
            } else {
                Err(AnswerError::Length {
                    kind: f.kind,
                    got: p.len(),
                    expected: n,
                })
            }
        };
        Ok(match f.kind {
            k if k == kind::INFO | kind::ANSWER => {
                need(5)?;
                Answer::Info {
                    version: p[0],
                    neurons: p[1],
                    axons: p[2],
                    delay_slots: p[3],
                    syn_pages: p[4],
                }
            }
            k if k == kind::WRITE | kind::ANSWER => {
                need(0)?;
                Answer::Written
            }
            k if k == kind::READ | kind::ANSWER => Answer::Data(p.clone()),
            k if k == kind::RESET | kind::ANSWER => {
                need(0)?;
                Answer::ResetDone
            }
            k if k == kind::STEP | kind::ANSWER || k == kind::STEP_MAP | kind::ANSWER => {
                if p.len() < STEPPED_HEAD {
                    return Err(AnswerError::Length {
                        kind: f.kind,
                        got: p.len(),
                        expected: STEPPED_HEAD,
                    });
                }
                let words = p[STEPPED_HEAD..].to_vec();
                Answer::Stepped {
                    tick: u32_of(&p[0..2]),
                    cycles: u32_of(&p[2..4]),
                    digest: p[4],
                    spikes: if k == kind::STEP | kind::ANSWER {
                        SpikeWords::List(words)
                    } else {
                        SpikeWords::Map(words)
                    },
                }
            }
            kind::NAK => {
                need(3)?;
                Answer::Nak {
                    command: p[0] as u8,
                    code: NakCode::from_u16(p[1]).ok_or(AnswerError::UnknownCode(p[1]))?,
                    detail: p[2],
                }
            }
            k => return Err(AnswerError::UnknownType(k)),
        })
    }

    /// The answer as a frame with sequence number `seq` (what the chip sends).
    pub fn frame(&self, seq: u8) -> Frame {
        let (kind, payload): (u8, Vec<u16>) = match self {
            Answer::Info {
                version,
                neurons,
                axons,
                delay_slots,
                syn_pages,
            } => (
                kind::INFO | kind::ANSWER,
                vec![*version, *neurons, *axons, *delay_slots, *syn_pages],
            ),
            Answer::Written => (kind::WRITE | kind::ANSWER, vec![]),
            Answer::Data(d) => (kind::READ | kind::ANSWER, d.clone()),
            Answer::ResetDone => (kind::RESET | kind::ANSWER, vec![]),
            Answer::Stepped {
                tick,
                cycles,
                digest,
                spikes,
            } => {
                let mut p = words_u32(*tick).to_vec();
                p.extend(words_u32(*cycles));
                p.push(*digest);
                p.extend(spikes.words());
                let k = if spikes.is_map() { kind::STEP_MAP } else { kind::STEP };
                (k | kind::ANSWER, p)
            }
            Answer::Nak { command, code, detail } => (kind::NAK, vec![*command as u16, *code as u16, *detail]),
        };
        Frame { kind, seq, payload }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_reads_split_into_consecutive_pieces() {
        let w = Command::Write {
            space: Space::Syn,
            address: 10,
            data: (0..7).collect(),
        };
        let pieces = w.split(3).unwrap();
        assert_eq!(
            pieces,
            vec![
                Command::Write {
                    space: Space::Syn,
                    address: 10,
                    data: vec![0, 1, 2]
                },
                Command::Write {
                    space: Space::Syn,
                    address: 13,
                    data: vec![3, 4, 5]
                },
                Command::Write {
                    space: Space::Syn,
                    address: 16,
                    data: vec![6]
                },
            ]
        );
        let r = Command::Read {
            space: Space::Ring,
            address: 4,
            count: 5,
        };
        assert_eq!(
            r.split(2).unwrap(),
            vec![
                Command::Read {
                    space: Space::Ring,
                    address: 4,
                    count: 2
                },
                Command::Read {
                    space: Space::Ring,
                    address: 6,
                    count: 2
                },
                Command::Read {
                    space: Space::Ring,
                    address: 8,
                    count: 1
                },
            ]
        );
        assert_eq!((w.split_words(), r.split_words()), (7, 5));
        assert!(Command::Reset.split(1).is_none());
        assert!(Command::Step {
            inputs: SpikeWords::List(vec![1, 2])
        }
        .split(1)
        .is_none());
    }

    #[test]
    fn answers_round_trip() {
        for a in [
            Answer::Info {
                version: VERSION,
                neurons: 256,
                axons: 256,
                delay_slots: 8,
                syn_pages: 256,
            },
            Answer::Written,
            Answer::Data(vec![1, 2, 3]),
            Answer::ResetDone,
            Answer::Stepped {
                tick: 70_000,
                cycles: 0xdead_beef,
                digest: 0x1234,
                spikes: SpikeWords::List(vec![1, 7]),
            },
            Answer::Stepped {
                tick: 1,
                cycles: 3,
                digest: 0xFFFF,
                spikes: SpikeWords::Map(vec![0xFFFF; 16]),
            },
            Answer::Nak {
                command: kind::READ,
                code: NakCode::BadAddress,
                detail: 999,
            },
        ] {
            assert_eq!(Answer::from_frame(&a.frame(4)), Ok(a));
        }
    }

    #[test]
    fn bad_answers_are_named() {
        let f = Frame {
            kind: kind::STEP | kind::ANSWER,
            seq: 0,
            payload: vec![1],
        };
        assert_eq!(
            Answer::from_frame(&f).unwrap_err().to_string(),
            "answer type 0x87 with 1 payload words (expected 5)"
        );
        let f = Frame {
            kind: 0x42,
            seq: 0,
            payload: vec![],
        };
        assert_eq!(
            Answer::from_frame(&f).unwrap_err().to_string(),
            "unknown answer type 0x42"
        );
    }

    #[test]
    fn addresses_past_16_bits_go_in_the_space_words_high_byte() {
        let w = Command::Write {
            space: Space::Syn,
            address: 0x1_2345,
            data: vec![7],
        };
        assert_eq!(w.frame(0).payload, [0x0106, 0x2345, 7]);
        let r = Command::Read {
            space: Space::SynHi,
            address: 0xAB_0001,
            count: 2,
        };
        assert_eq!(r.frame(0).payload, [0xAB07, 0x0001, 2]);
        // A split crosses the 16-bit boundary into the next page.
        let pieces = Command::writes(Space::Syn, 0xFFFF, &[1, 2, 3]);
        let pieces = pieces[0].split(1).unwrap();
        let heads: Vec<[u16; 2]> = pieces
            .iter()
            .map(|c| [c.frame(0).payload[0], c.frame(0).payload[1]])
            .collect();
        assert_eq!(heads, [[0x0006, 0xFFFF], [0x0106, 0x0000], [0x0106, 0x0001]]);
    }

    #[test]
    fn only_wide_cores_have_the_high_spaces() {
        for space in [Space::SynHi, Space::SourceHi, Space::FaninHi] {
            assert_eq!(space.words(256, 256, 8, 65_536), 0, "{space:?}");
        }
        assert_eq!(Space::SynHi.words(1024, 1024, 16, 131_072), 131_072);
        assert_eq!(Space::SourceHi.words(1024, 1024, 16, 131_072), 2048);
        assert_eq!(Space::FaninHi.words(1024, 1024, 16, 131_072), 1024);
        assert!(wide(512, 4096) && wide(16, 131_072) && !wide(256, 65_536));
        assert_eq!(Space::Syn.high_part(), Some(Space::SynHi));
        assert_eq!(Space::Ring.high_part(), None);
    }

    #[test]
    fn writes_split_at_frame_size() {
        let data: Vec<u16> = (0..600).collect();
        let w = Command::writes(Space::Syn, 10, &data);
        assert_eq!(w.len(), 3);
        match &w[2] {
            Command::Write { address, data, .. } => assert_eq!((*address, data.len()), (10 + 506, 94)),
            other => panic!("{other:?}"),
        }
    }
}
