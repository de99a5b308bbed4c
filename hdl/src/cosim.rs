//! Co-simulation: the RTL core stepped directly (one call per clock, not
//! rust-hdl's thread-based testbench), driven through its byte interface.
//!
//! [`ByteChip`] is the core behind its two byte streams, stepped clock by
//! clock (the virtual chip of `spikefab-host` serves it on a pseudo-terminal);
//! [`Cosim`] speaks the wire protocol of `docs/spec.md` §10 to it with
//! `spikefab-proto`: one command, its SPIKE events and its final answer.
//! Loading a network, running it and reading its state back are the host's
//! (`spikefab_host::driver`), the same code for the virtual chip and a board.

use std::collections::VecDeque;

use rust_hdl::prelude::*;
use spikefab_proto::frame::{Decoder, Event};
use spikefab_proto::message::{Answer, AnswerError, Command, NakCode, Reply};

use crate::config::CoreConfig;
use crate::core::Core;

/// A core with a byte interface that [`Cosim`] can drive.
pub trait ByteCore: Block + Default {
    /// The core's configuration.
    fn config() -> CoreConfig;
    /// Present a byte (or none) and whether the output byte is taken.
    fn drive(&mut self, byte: Option<u8>, out_ready: bool);
    /// Set the clock level.
    fn set_clock(&mut self, high: bool);
    /// The core takes the presented byte on the next edge.
    fn takes_input(&self) -> bool;
    /// The byte the core presents, if any.
    fn output(&self) -> Option<u8>;
    /// Nothing to do until a byte arrives.
    fn is_idle(&self) -> bool;
}

impl<const NB: usize, const MB: usize, const DB: usize, const SB: usize, const SRCB: usize, const RB: usize> ByteCore
    for Core<NB, MB, DB, SB, SRCB, RB>
{
    fn config() -> CoreConfig {
        CoreConfig::from_sizes(1 << NB, 1 << MB, 1 << DB, 1 << SB).expect("widths give powers of two")
    }

    fn drive(&mut self, byte: Option<u8>, out_ready: bool) {
        self.in_valid.next = byte.is_some();
        self.in_data.next = byte.unwrap_or(0).to_bits();
        self.out_ready.next = out_ready;
    }

    fn set_clock(&mut self, high: bool) {
        self.clock.next = high.into();
    }

    fn takes_input(&self) -> bool {
        self.in_valid.val() && self.in_ready.val()
    }

    fn output(&self) -> Option<u8> {
        self.out_valid.val().then(|| self.out_data.val().to_u8())
    }

    fn is_idle(&self) -> bool {
        Core::is_idle(self)
    }
}

/// What went wrong talking to the simulated core.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CosimError {
    /// No complete frame within the clock budget.
    #[error("no answer within {0} clocks")]
    Timeout(u64),
    /// The core refused a command.
    #[error("the core refused command 0x{command:02x}: {code} (detail {detail})")]
    Nak {
        /// Command type.
        command: u8,
        /// Why.
        code: NakCode,
        /// Offending value.
        detail: u16,
    },
    /// A frame from the core failed its CRC.
    #[error("a frame from the core failed its CRC (type 0x{0:02x})")]
    BadCrc(u8),
    /// Bytes from the core outside any frame.
    #[error("{0} bytes from the core outside any frame")]
    Garbage(usize),
    /// A frame that is not a valid answer.
    #[error(transparent)]
    Answer(#[from] AnswerError),
    /// An answer of the wrong kind.
    #[error("unexpected answer {0:?}")]
    Unexpected(Answer),
    /// An answer with a sequence number not of the command.
    #[error("answer with seq {got}, expected {expected}")]
    Seq {
        /// Received.
        got: u8,
        /// The command's.
        expected: u8,
    },
}

/// A core behind its two byte streams, stepped one clock at a time.
pub struct ByteChip<C: ByteCore> {
    core: C,
    to_core: VecDeque<u8>,
    clocks: u64,
    transcript: Option<Transcript>,
}

/// Every byte that crossed the core's interface, for replaying a run on the
/// Verilog rungs ([`crate::rungs::byte_bench`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transcript {
    /// Bytes the core took, in order.
    pub sent: Vec<u8>,
    /// Bytes the core sent, in order.
    pub received: Vec<u8>,
}

impl<C: ByteCore> Default for ByteChip<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: ByteCore> ByteChip<C> {
    /// A core fresh from configuration (all memories zero).
    pub fn new() -> Self {
        let mut core = C::default();
        core.connect_all();
        core.drive(None, true);
        core.set_clock(false);
        assert!(simulate(&mut core, 1000), "the core did not settle");
        ByteChip {
            core,
            to_core: VecDeque::new(),
            clocks: 0,
            transcript: None,
        }
    }

    /// The core's configuration.
    pub fn config(&self) -> CoreConfig {
        C::config()
    }

    /// Start recording every byte in and out (from now on).
    pub fn record(&mut self) {
        self.transcript = Some(Transcript::default());
    }

    /// The recording started by [`ByteChip::record`].
    pub fn transcript(&self) -> Option<&Transcript> {
        self.transcript.as_ref()
    }

    /// Clocks stepped so far.
    pub fn clocks(&self) -> u64 {
        self.clocks
    }

    /// Queue bytes for the core; it takes them one per clock when ready.
    pub fn push(&mut self, bytes: &[u8]) {
        self.to_core.extend(bytes);
    }

    /// Bytes queued that the core has not taken yet.
    pub fn pending(&self) -> usize {
        self.to_core.len()
    }

    /// No byte queued and the core has nothing to do: stepping it would
    /// change nothing until the next byte.
    pub fn is_idle(&self) -> bool {
        self.to_core.is_empty() && self.core.is_idle()
    }

    /// One clock: present the next queued byte, take the core's output byte
    /// (the host side is always ready), clock. Returns the byte the core sent.
    pub fn step(&mut self) -> Option<u8> {
        self.core.drive(self.to_core.front().copied(), true);
        assert!(simulate(&mut self.core, 1000), "the core did not settle");
        if self.core.takes_input() {
            let b = self.to_core.pop_front();
            if let (Some(t), Some(b)) = (self.transcript.as_mut(), b) {
                t.sent.push(b);
            }
        }
        let out = self.core.output();
        if let (Some(t), Some(b)) = (self.transcript.as_mut(), out) {
            t.received.push(b);
        }
        self.core.set_clock(true);
        assert!(simulate(&mut self.core, 1000), "the core did not settle");
        self.core.set_clock(false);
        self.clocks += 1;
        out
    }
}

/// A simulated core spoken to in frames: each command with its seq, the
/// SPIKE events and final answer that come back.
pub struct Cosim<C: ByteCore> {
    chip: ByteChip<C>,
    decoder: Decoder,
    frames: VecDeque<(u8, Answer)>,
    seq: u8,
    /// Clocks to wait for one frame before giving up.
    pub budget: u64,
}

impl<C: ByteCore> Default for Cosim<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: ByteCore> Cosim<C> {
    /// A core fresh from configuration (all memories zero).
    pub fn new() -> Self {
        Cosim {
            chip: ByteChip::new(),
            decoder: Decoder::new(),
            frames: VecDeque::new(),
            seq: 0,
            budget: 50_000_000,
        }
    }

    /// Start recording every byte in and out (from now on).
    pub fn record(&mut self) {
        self.chip.record();
    }

    /// The recording started by [`Cosim::record`].
    pub fn transcript(&self) -> Option<&Transcript> {
        self.chip.transcript()
    }

    /// Clocks stepped so far.
    pub fn clocks(&self) -> u64 {
        self.chip.clocks()
    }

    /// The core's configuration.
    pub fn config(&self) -> CoreConfig {
        C::config()
    }

    /// Queue raw bytes for the core (tests inject garbage with it).
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        self.chip.push(bytes);
    }

    /// One clock; a decoded frame goes to the queue [`Cosim::next_frame`] reads.
    pub fn step(&mut self) -> Result<(), CosimError> {
        if let Some(b) = self.chip.step() {
            match self.decoder.push(b) {
                Some(Event::Frame(f)) => {
                    let a = Answer::from_frame(&f)?;
                    self.frames.push_back((f.seq, a));
                }
                Some(Event::BadCrc { kind, .. }) => return Err(CosimError::BadCrc(kind)),
                Some(Event::Garbage { bytes }) => return Err(CosimError::Garbage(bytes)),
                None => {}
            }
        }
        Ok(())
    }

    /// The next frame from the core, with its seq.
    pub fn next_frame(&mut self) -> Result<(u8, Answer), CosimError> {
        let start = self.clocks();
        loop {
            if let Some(f) = self.frames.pop_front() {
                return Ok(f);
            }
            if self.clocks() - start > self.budget {
                return Err(CosimError::Timeout(self.budget));
            }
            self.step()?;
        }
    }

    /// Send a command with a fresh seq and collect its reply.
    pub fn command(&mut self, cmd: &Command) -> Result<Reply, CosimError> {
        self.seq = self.seq.wrapping_add(1);
        self.command_with_seq(cmd, self.seq)
    }

    /// Send a command with the given seq (a retransmission reuses one).
    pub fn command_with_seq(&mut self, cmd: &Command, seq: u8) -> Result<Reply, CosimError> {
        self.send_bytes(&cmd.frame(seq).encode());
        self.reply(seq)
    }

    /// Collect frames up to the final answer for `seq`.
    pub fn reply(&mut self, seq: u8) -> Result<Reply, CosimError> {
        let mut events = Vec::new();
        loop {
            let (got, a) = self.next_frame()?;
            if got != seq {
                return Err(CosimError::Seq { got, expected: seq });
            }
            match a {
                Answer::Spike { .. } => events.push(a),
                answer => return Ok(Reply { events, answer }),
            }
        }
    }

    /// A command that must succeed with no events; its answer.
    pub fn expect_ok(&mut self, cmd: &Command) -> Result<Answer, CosimError> {
        let r = self.command(cmd)?;
        match r.answer {
            Answer::Nak { command, code, detail } => Err(CosimError::Nak { command, code, detail }),
            a if r.events.is_empty() => Ok(a),
            a => Err(CosimError::Unexpected(a)),
        }
    }
}
