//! Co-simulation: the RTL core stepped directly (one call per clock, not
//! rust-hdl's thread-based testbench), driven through its byte interface with
//! the wire protocol of `docs/spec.md` §10 from `spikefab-proto`.
//!
//! [`Cosim`] loads a network's [`Image`] with WRITE commands, streams input
//! spikes with INPUT and runs ticks with TICK, collecting SPIKE events, then
//! reads the whole state back with READ into a `spikefab-sim`
//! [`StateDump`], so that a run compares with the golden model field by field.

use std::collections::VecDeque;

use rust_hdl::prelude::*;
use spikefab_proto::frame::{Decoder, Event};
use spikefab_proto::message::{ctrl, field, Answer, AnswerError, Command, NakCode, Space};
use spikefab_sim::{Network, SpikeEvent, StateDump};

use crate::config::CoreConfig;
use crate::core::Core;
use crate::image::Image;

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
}

impl<const NB: usize, const MB: usize, const DB: usize, const SB: usize, const SRCB: usize, const RB: usize> ByteCore
    for Core<NB, MB, DB, SB, SRCB, RB>
{
    fn config() -> CoreConfig {
        let mut c = CoreConfig {
            name: "custom",
            neuron_bits: NB as u32,
            axon_bits: MB as u32,
            slot_bits: DB as u32,
            syn_bits: SB as u32,
        };
        for known in [CoreConfig::UP5K, CoreConfig::TINY] {
            if (CoreConfig { name: known.name, ..c }) == known {
                c.name = known.name;
            }
        }
        c
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

/// The final answer of a command and the events that came before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// SPIKE events, in order.
    pub events: Vec<Answer>,
    /// The final answer (success or NAK).
    pub answer: Answer,
}

/// A simulated core behind its byte streams.
pub struct Cosim<C: ByteCore> {
    core: C,
    to_core: VecDeque<u8>,
    decoder: Decoder,
    frames: VecDeque<(u8, Answer)>,
    clocks: u64,
    seq: u8,
    /// Clocks to wait for one frame before giving up.
    pub budget: u64,
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

impl<C: ByteCore> Default for Cosim<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: ByteCore> Cosim<C> {
    /// A core fresh from configuration (all memories zero).
    pub fn new() -> Self {
        let mut core = C::default();
        core.connect_all();
        core.drive(None, true);
        core.set_clock(false);
        assert!(simulate(&mut core, 1000), "the core did not settle");
        Cosim {
            core,
            to_core: VecDeque::new(),
            decoder: Decoder::new(),
            frames: VecDeque::new(),
            clocks: 0,
            seq: 0,
            budget: 50_000_000,
            transcript: None,
        }
    }

    /// Start recording every byte in and out (from now on).
    pub fn record(&mut self) {
        self.transcript = Some(Transcript::default());
    }

    /// The recording started by [`Cosim::record`].
    pub fn transcript(&self) -> Option<&Transcript> {
        self.transcript.as_ref()
    }

    /// Clocks stepped so far.
    pub fn clocks(&self) -> u64 {
        self.clocks
    }

    /// The core's configuration.
    pub fn config(&self) -> CoreConfig {
        C::config()
    }

    /// Queue raw bytes for the core (tests inject garbage with it).
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        self.to_core.extend(bytes);
    }

    /// One clock: present the next byte, sample both streams, clock.
    pub fn step(&mut self) -> Result<(), CosimError> {
        self.core.drive(self.to_core.front().copied(), true);
        assert!(simulate(&mut self.core, 1000), "the core did not settle");
        if self.core.takes_input() {
            let b = self.to_core.pop_front();
            if let (Some(t), Some(b)) = (self.transcript.as_mut(), b) {
                t.sent.push(b);
            }
        }
        if let Some(b) = self.core.output() {
            if let Some(t) = self.transcript.as_mut() {
                t.received.push(b);
            }
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
        self.core.set_clock(true);
        assert!(simulate(&mut self.core, 1000), "the core did not settle");
        self.core.set_clock(false);
        self.clocks += 1;
        Ok(())
    }

    /// The next frame from the core, with its seq.
    pub fn next_frame(&mut self) -> Result<(u8, Answer), CosimError> {
        let start = self.clocks;
        loop {
            if let Some(f) = self.frames.pop_front() {
                return Ok(f);
            }
            if self.clocks - start > self.budget {
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

    /// Write a whole space's words from address 0.
    pub fn write_space(&mut self, space: Space, words: &[u16]) -> Result<(), CosimError> {
        for cmd in Command::writes(space, 0, words) {
            match self.expect_ok(&cmd)? {
                Answer::Written => {}
                a => return Err(CosimError::Unexpected(a)),
            }
        }
        Ok(())
    }

    /// Read `count` words of a space from `address`.
    pub fn read_space(&mut self, space: Space, address: u32, count: u32) -> Result<Vec<u16>, CosimError> {
        let mut out = Vec::with_capacity(count as usize);
        let mut a = address;
        while a < address + count {
            let n = (address + count - a).min(255);
            match self.expect_ok(&Command::Read {
                space,
                address: a as u16,
                count: n as u16,
            })? {
                Answer::Data(d) => out.extend(d),
                a => return Err(CosimError::Unexpected(a)),
            }
            a += n;
        }
        Ok(out)
    }

    /// Reset the counters and load every space of `image`.
    pub fn load(&mut self, image: &Image) -> Result<(), CosimError> {
        match self.expect_ok(&Command::Reset)? {
            Answer::ResetDone => {}
            a => return Err(CosimError::Unexpected(a)),
        }
        for (space, words) in image.spaces() {
            self.write_space(space, words)?;
        }
        Ok(())
    }

    /// Run `ticks` ticks of `net` (loaded as `image`) with the network's own
    /// input spikes; the output spikes in order.
    pub fn run(&mut self, net: &Network, ticks: u32) -> Result<Vec<SpikeEvent>, CosimError> {
        let mut inputs: Vec<(u32, u32)> = net.inputs().iter().map(|s| (s.tick, s.axon)).collect();
        inputs.sort_unstable();
        let mut next = 0;
        let mut spikes = Vec::new();
        let mut t = 0;
        while t < ticks {
            let mut axons = Vec::new();
            while next < inputs.len() && inputs[next].0 == t {
                axons.push(inputs[next].1 as u16);
                next += 1;
            }
            for chunk in axons.chunks(255) {
                match self.expect_ok(&Command::Input { axons: chunk.to_vec() })? {
                    Answer::InputTaken => {}
                    a => return Err(CosimError::Unexpected(a)),
                }
            }
            // Ticks without inputs run in one command.
            let quiet_until = inputs.get(next).map_or(ticks, |s| s.0.min(ticks));
            let count = (quiet_until - t).clamp(1, u16::MAX as u32);
            let r = self.command(&Command::Tick { count: count as u16 })?;
            for e in r.events {
                if let Answer::Spike { tick, neuron, cycle } = e {
                    spikes.push(SpikeEvent {
                        tick,
                        cycle,
                        neuron: neuron as u32,
                    });
                }
            }
            match r.answer {
                Answer::TickDone { .. } => {}
                Answer::Nak { command, code, detail } => return Err(CosimError::Nak { command, code, detail }),
                a => return Err(CosimError::Unexpected(a)),
            }
            t += count;
        }
        Ok(spikes)
    }

    /// Read the whole state back, in the network's terms.
    pub fn dump(&mut self, net: &Network, image: &Image) -> Result<StateDump, CosimError> {
        let config = self.config();
        let n = config.neurons();
        let nn = net.num_neurons() as usize;
        let fieldv = |this: &mut Self, f: u16| this.read_space(Space::Neuron, f as u32 * n, nn as u32);
        let u = fieldv(self, field::U)?;
        let v = fieldv(self, field::V)?;
        let theta = fieldv(self, field::THETA)?;
        let refractory = fieldv(self, field::REF)?;
        let c = self.read_space(Space::Ctrl, 0, ctrl::COUNT)?;
        let learning = net.stdp().is_some();
        let (x_pre, x_post, lfsr) = if learning {
            let all = self.read_space(Space::XPre, 0, config.sources())?;
            let x_pre = (0..net.num_sources())
                .map(|s| all[image.core_source(s) as usize] as u8)
                .collect();
            let x_post = fieldv(self, field::X_POST)?.iter().map(|&x| x as u8).collect();
            (x_pre, x_post, c[ctrl::LFSR as usize])
        } else {
            (Vec::new(), Vec::new(), 0)
        };
        let mut weights = Vec::with_capacity(image.weight_address.len());
        if !image.weight_address.is_empty() {
            let syn = self.read_space(Space::Syn, 0, image.syn.len() as u32)?;
            weights.extend(image.weight_address.iter().map(|&a| syn[a as usize] as u8 as i8));
        }
        let word = |i: u16| c[i as usize] as u64;
        Ok(StateDump {
            ticks: (word(ctrl::TICK) | word(ctrl::TICK + 1) << 16) as u32,
            cycle: (0..4).map(|k| word(ctrl::CYCLES + k) << (16 * k)).sum(),
            u: u.iter().map(|&x| x as i16).collect(),
            v: v.iter().map(|&x| x as i16).collect(),
            theta: theta.iter().map(|&x| x as i16).collect(),
            refractory: refractory.iter().map(|&x| x as u8).collect(),
            x_pre,
            x_post,
            weights,
            lfsr,
        })
    }
}
