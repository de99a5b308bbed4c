//! Co-simulation: the RTL core behind its byte interface, spoken to in the
//! wire protocol.
//!
//! [`ByteChip`] is the rust-hdl core behind its two byte streams, stepped
//! clock by clock (one call per clock, not rust-hdl's thread-based
//! testbench): the reference engine. [`Cosim`] speaks the wire protocol of
//! `docs/spec.md` §10 to any [`ByteEngine`] (that one, or the Verilator model
//! of [`crate::verilator`]) with `spikefab-proto`: one command and its
//! answer. Loading a network, running it and reading its
//! state back are the host's (`spikefab_host::driver`), the same code for the
//! virtual chip and a board.

use std::collections::VecDeque;
use std::path::Path;

use rust_hdl::prelude::*;
use spikefab_proto::frame::{Decoder, Event};
use spikefab_proto::message::{Answer, AnswerError, Command, NakCode};

use crate::core::Core;
use crate::engine::{self, ByteEngine, EngineError, EngineKind};
use spikefab_chip::config::CoreConfig;
/// A rust-hdl core with a byte interface that [`ByteChip`] can step.
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

impl<
        const NB: usize,
        const MB: usize,
        const DB: usize,
        const SB: usize,
        const SRCB: usize,
        const RB: usize,
        const AB: usize,
        const XB: usize,
    > ByteCore for Core<NB, MB, DB, SB, SRCB, RB, AB, XB>
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
    /// The core went idle (waiting for a byte) without sending a frame.
    #[error("the core is waiting for input and sent no answer (a frame cut short?)")]
    Idle,
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
    /// An answer with a sequence number not of the command.
    #[error("answer with seq {got}, expected {expected}")]
    Seq {
        /// Received.
        got: u8,
        /// The command's.
        expected: u8,
    },
}

/// A rust-hdl core behind its two byte streams, stepped one clock at a time.
pub struct ByteChip<C: ByteCore> {
    core: C,
    to_core: VecDeque<u8>,
    clocks: u64,
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
        }
    }

    /// One clock: present the next queued byte, take the core's output byte
    /// (the host side is always ready), clock. Returns the byte the core sent.
    pub fn step(&mut self) -> Option<u8> {
        self.core.drive(self.to_core.front().copied(), true);
        assert!(simulate(&mut self.core, 1000), "the core did not settle");
        if self.core.takes_input() {
            self.to_core.pop_front();
        }
        let out = self.core.output();
        self.core.set_clock(true);
        assert!(simulate(&mut self.core, 1000), "the core did not settle");
        self.core.set_clock(false);
        self.clocks += 1;
        out
    }
}

impl<C: ByteCore + Send> ByteEngine for ByteChip<C> {
    fn config(&self) -> CoreConfig {
        C::config()
    }

    fn kind(&self) -> EngineKind {
        EngineKind::RustHdl
    }

    fn describe(&self) -> String {
        "rust-hdl's simulator, stepping the core's Rust description".to_string()
    }

    fn push(&mut self, bytes: &[u8]) {
        self.to_core.extend(bytes);
    }

    fn pending(&self) -> usize {
        self.to_core.len()
    }

    fn is_idle(&self) -> bool {
        self.to_core.is_empty() && self.core.is_idle()
    }

    fn run(&mut self, max_clocks: u64, room: usize, out: &mut Vec<u8>) -> u64 {
        let (mut n, start) = (0, out.len());
        while n < max_clocks && !self.is_idle() && out.len() - start < room {
            out.extend(self.step());
            n += 1;
        }
        n
    }

    fn clocks(&self) -> u64 {
        self.clocks
    }
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

/// Clocks run between looks for a complete frame.
const CHUNK: u64 = 1 << 16;

/// A simulated core spoken to in frames: each command with its seq, and
/// the answer that comes back.
pub struct Cosim {
    engine: Box<dyn ByteEngine>,
    decoder: Decoder,
    /// Bytes from the core not decoded yet.
    received: VecDeque<u8>,
    frames: VecDeque<(u8, Answer)>,
    seq: u8,
    transcript: Option<Transcript>,
    /// Clocks to wait for one frame before giving up.
    pub budget: u64,
}

impl Cosim {
    /// Speak to the core behind `engine`.
    pub fn new(engine: Box<dyn ByteEngine>) -> Self {
        Cosim {
            engine,
            decoder: Decoder::new(),
            received: VecDeque::new(),
            frames: VecDeque::new(),
            seq: 0,
            transcript: None,
            budget: 50_000_000,
        }
    }

    /// A fresh core of `config` (all memories zero) on the engine `kind`.
    pub fn open(kind: EngineKind, config: CoreConfig) -> Result<Self, EngineError> {
        Ok(Self::new(engine::open(kind, config)?))
    }

    /// A fresh rust-hdl core `C` on rust-hdl's simulator.
    pub fn rust_hdl<C: ByteCore + Send + 'static>() -> Self {
        Self::new(Box::new(ByteChip::<C>::new()))
    }

    /// The engine (for its clocks, or for waveforms).
    pub fn engine_mut(&mut self) -> &mut dyn ByteEngine {
        self.engine.as_mut()
    }

    /// Which simulator runs the core.
    pub fn kind(&self) -> EngineKind {
        self.engine.kind()
    }

    /// Start recording every byte in and out (from now on).
    pub fn record(&mut self) {
        self.transcript = Some(Transcript::default());
    }

    /// The recording started by [`Cosim::record`].
    pub fn transcript(&self) -> Option<&Transcript> {
        self.transcript.as_ref()
    }

    /// Clocks run so far.
    pub fn clocks(&self) -> u64 {
        self.engine.clocks()
    }

    /// The core's configuration.
    pub fn config(&self) -> CoreConfig {
        self.engine.config()
    }

    /// Queue raw bytes for the core (tests inject garbage with it). The
    /// core takes them all before it goes idle, so a transcript records them
    /// as taken.
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        if let Some(t) = self.transcript.as_mut() {
            t.sent.extend_from_slice(bytes);
        }
        self.engine.push(bytes);
    }

    /// Decode what the core sent; a decoded frame goes to the queue
    /// [`Cosim::next_frame`] reads.
    fn decode(&mut self) -> Result<(), CosimError> {
        while let Some(b) = self.received.pop_front() {
            match self.decoder.push(b) {
                Some(Event::Frame(f)) => {
                    let a = Answer::from_frame(&f)?;
                    self.frames.push_back((f.seq, a));
                    return Ok(());
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
        let mut out = Vec::new();
        loop {
            self.decode()?;
            if let Some(f) = self.frames.pop_front() {
                return Ok(f);
            }
            let spent = self.clocks() - start;
            if spent > self.budget {
                return Err(CosimError::Timeout(self.budget));
            }
            if self.engine.is_idle() {
                return Err(CosimError::Idle);
            }
            out.clear();
            self.engine
                .run(CHUNK.min(self.budget + 1 - spent), usize::MAX, &mut out);
            if let Some(t) = self.transcript.as_mut() {
                t.received.extend_from_slice(&out);
            }
            self.received.extend(&out);
        }
    }

    /// Send a command with a fresh seq and collect its answer.
    pub fn command(&mut self, cmd: &Command) -> Result<Answer, CosimError> {
        self.seq = self.seq.wrapping_add(1);
        self.command_with_seq(cmd, self.seq)
    }

    /// Send a command with the given seq (a retransmission reuses one).
    pub fn command_with_seq(&mut self, cmd: &Command, seq: u8) -> Result<Answer, CosimError> {
        self.send_bytes(&cmd.frame(seq).encode());
        self.reply(seq)
    }

    /// The next frame, which must answer `seq`.
    pub fn reply(&mut self, seq: u8) -> Result<Answer, CosimError> {
        let (got, a) = self.next_frame()?;
        if got != seq {
            return Err(CosimError::Seq { got, expected: seq });
        }
        Ok(a)
    }

    /// A command that must succeed; its answer.
    pub fn expect_ok(&mut self, cmd: &Command) -> Result<Answer, CosimError> {
        match self.command(cmd)? {
            Answer::Nak { command, code, detail } => Err(CosimError::Nak { command, code, detail }),
            a => Ok(a),
        }
    }

    /// Write the core's signals to the VCD file `path` from now on (engines
    /// that write waveforms only; see [`ByteEngine::trace_to`]).
    pub fn trace_to(&mut self, path: &Path) -> Result<(), EngineError> {
        self.engine.trace_to(path)
    }

    /// Stop writing the waveform.
    pub fn trace_off(&mut self) {
        self.engine.trace_off()
    }
}
