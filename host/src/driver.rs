//! Running a network on a chip: load its image, stream input spikes, run
//! ticks, collect output spikes, read the state back. The same code drives a
//! board, the virtual chip (both over a [`Link`]) and the RTL core stepped
//! in-process ([`Cosim`]), so that every test of one is a test of the others.
//!
//! Recovery: a lost or damaged command, or a lost answer to a command the
//! chip can answer again, is retransmitted by the link. An answer to a STEP
//! lost after the chip ran on cannot be asked for again (`docs/spec.md`
//! §10.4); the driver then puts the chip back in a state it knows (the
//! image, or the last checkpoint), replays the STEPs since then one at a
//! time (checking that each gives the answer it gave the first time), and
//! streams on from the tick whose answer was lost ([`Chip::stream_into`]). The chip is
//! deterministic, so the run goes on exactly as if nothing had been lost.
//!
//! Checkpoints keep replays short on a noisy line: once answers have been
//! lost, the driver reads back the state a run changes (neuron state, ring,
//! traces, weights, LFSR) every [`CHECKPOINT_TICKS`] ticks at most, during
//! replays too. Each loss halves that interval; each checkpoint reached with
//! no loss since the one before doubles it back. A restore writes it back
//! after a RESET, which zeroes the chip's tick and cycle counters (they are
//! read-only, spec §8.2): the driver then adds the checkpoint's counters to
//! what the chip reports, and writes the ring rotated so that each slot is
//! read in the tick it was due.

use std::future::Future;

use spikefab_chip::config::CoreConfig;
use spikefab_chip::image::{fraction_of, Image};
#[cfg(feature = "virtual-chip")]
use spikefab_hdl::cosim::{Cosim, CosimError};
use spikefab_proto::frame::MAX_WORDS;
use spikefab_proto::message::{ctrl, field, Answer, Command, NakCode, Space, VERSION};
use spikefab_sim::{Network, StateDump};

use crate::link::{Link, LinkError};

mod stream;
pub use stream::{step_of, TickOutput, PACED_STREAM_TICKS, STREAM_TICKS};

/// Something that exchanges commands for answers with a chip.
pub trait Transport {
    /// Send `cmd` and return its answer.
    fn exchange(&mut self, cmd: &Command) -> impl Future<Output = Result<Answer, TransportError>>;

    /// Run `steps` (STEP commands, `docs/spec.md` §10.4) and give each
    /// answer, in order, to `on_answer` with the STEP's index: one at a
    /// time, unless the transport keeps many in flight ([`Link::stream`]).
    fn stream(
        &mut self,
        steps: &[Command],
        mut on_answer: impl FnMut(usize, Answer),
    ) -> impl Future<Output = Result<(), TransportError>> {
        async move {
            for (i, cmd) in steps.iter().enumerate() {
                on_answer(i, self.exchange(cmd).await?);
            }
            Ok(())
        }
    }
}

/// Why an exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// On a serial link.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// In the in-process co-simulation.
    #[cfg(feature = "virtual-chip")]
    #[error("co-simulation: {0}")]
    Cosim(#[from] CosimError),
}

impl Transport for Link {
    async fn exchange(&mut self, cmd: &Command) -> Result<Answer, TransportError> {
        Ok(self.command(cmd).await?)
    }

    async fn stream(&mut self, steps: &[Command], on_answer: impl FnMut(usize, Answer)) -> Result<(), TransportError> {
        Ok(Link::stream(self, steps, on_answer).await?)
    }
}

#[cfg(feature = "virtual-chip")]
impl Transport for Cosim {
    fn exchange(&mut self, cmd: &Command) -> impl Future<Output = Result<Answer, TransportError>> {
        std::future::ready(self.command(cmd).map_err(TransportError::from))
    }
}

/// What went wrong running on a chip.
#[derive(Debug, thiserror::Error)]
pub enum ChipError {
    /// The link failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The chip refused a command.
    #[error("the chip refused {command}: {code} (detail {detail})")]
    Refused {
        /// Command name.
        command: &'static str,
        /// Why.
        code: NakCode,
        /// The offending value.
        detail: u16,
    },
    /// An answer of the wrong kind.
    #[error("the chip answered {command} with {answer:?}")]
    Unexpected {
        /// Command name.
        command: &'static str,
        /// What came.
        answer: Box<Answer>,
    },
    /// A chip of another protocol version.
    #[error("the chip speaks protocol version {0}; this host speaks version {VERSION}")]
    Version(u16),
    /// STEP answers kept getting lost.
    #[error(
        "STEP answers were lost {losses} times in a row (ending at tick {tick}); giving up (is the link this noisy?)"
    )]
    TooManyLosses {
        /// Losses in a row, recoveries included.
        losses: u32,
        /// The tick the run had reached.
        tick: u32,
    },
    /// A replay after a loss gave another answer than the first time.
    #[error(
        "replaying up to tick {tick} after a lost answer, the chip answered otherwise than the first time: \
         {replayed} where it sent {first}"
    )]
    ReplayMismatch {
        /// Tick counter after the STEP that differed.
        tick: u32,
        /// The tick's outputs as first sent.
        first: String,
        /// The same, as replayed.
        replayed: String,
    },
    /// The network does not fit the chip.
    #[error(transparent)]
    Fit(#[from] spikefab_chip::image::FitError),
    /// A tick period the chip cannot count.
    #[error("a tick period of {0} clocks: the chip counts 1 to {max} clocks per tick (0: lockstep)", max = ctrl::MAX_PERIOD)]
    Period(u64),
}

/// Real-time pacing (`docs/spec.md` §10.5) as the chip counted it over the
/// run so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pacing {
    /// Core clocks per tick (0: lockstep).
    pub period: u32,
    /// STEPs that were ready only after their tick was due (the host or
    /// the link did not keep up).
    pub late: u64,
    /// Ticks whose busy phase ran past their period.
    pub overruns: u64,
}

/// The chip's answer to INFO.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChipInfo {
    /// Its core configuration.
    pub config: CoreConfig,
}

/// A run's counters, as the last STEP answer gave them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Ticks executed since the load.
    pub tick: u32,
    /// Busy cycles since the load.
    pub cycles: u64,
}

/// Losses of answers in a row (losses during a recovery included; a
/// checkpoint taken during a replay ends the row) at which the driver gives
/// up (spec §10.3).
pub const MAX_LOSSES: u32 = 8;

/// Once answers have been lost, most ticks between checkpoints.
pub const CHECKPOINT_TICKS: u32 = 64;

/// The state a run changes, read back at a tick boundary: what a restore
/// writes over the image.
#[derive(Debug, Clone)]
struct Checkpoint {
    /// Counters then (the run's, not the chip's raw ones).
    at: Counters,
    /// Neuron fields u, v, θ, refractory, x_post (`field × N + n`).
    neuron: Vec<u16>,
    /// The ring, in the chip's slots then.
    ring: Vec<u16>,
    /// Presynaptic traces.
    x_pre: Vec<u16>,
    /// The image's synapse words (weights changed by learning).
    syn: Vec<u16>,
    /// The learning LFSR.
    lfsr: u16,
}

/// The neuron fields a run changes: `u`, `v`, `theta`, `ref`, `x_post`, the
/// first words of the neuron space.
const STATE_FIELDS: u32 = field::X_POST as u32 + 1;

/// A chip behind a transport, with the image it holds.
pub struct Chip<T: Transport> {
    transport: T,
    config: CoreConfig,
    image: Option<Image>,
    counters: Counters,
    /// Added to the chip's counters: those of the checkpoint last restored.
    offset: Counters,
    checkpoint: Option<Checkpoint>,
    /// Answers have been lost on this link: take checkpoints.
    noisy: bool,
    /// Ticks between checkpoints now (halved by losses).
    checkpoint_ticks: u32,
    /// A loss since the last checkpoint.
    lost_since_checkpoint: bool,
    /// STEPs since the checkpoint (or the load), with each one's output.
    steps: Vec<(Command, TickOutput)>,
    /// The chip's own busy-cycle counter (from its last RESET), as the STEP
    /// answers' low 32 bits extend it.
    raw_cycles: u64,
    /// Losses in a row (recoveries included) at which to give up.
    pub max_losses: u32,
    recoveries: u64,
    /// The pacing asked for and counted so far.
    pacing: Pacing,
    /// The chip's own pacing counters as last read (they count from its
    /// last RESET or period write, mod 2^16).
    pacing_seen: (u16, u16),
    /// The run's tick when they were last read (or cleared).
    pacing_read_tick: u32,
}

impl<T: Transport> Chip<T> {
    /// Ask the chip what it is (INFO).
    pub async fn connect(mut transport: T) -> Result<Chip<T>, ChipError> {
        let cmd = Command::Info;
        let answer = transport.exchange(&cmd).await?;
        let config = match answer {
            Answer::Info {
                version,
                neurons,
                axons,
                delay_slots,
                syn_pages,
            } => {
                if version != VERSION {
                    return Err(ChipError::Version(version));
                }
                CoreConfig::from_sizes(neurons as u32, axons as u32, delay_slots as u32, syn_pages as u32 * 256)
                    .ok_or_else(|| ChipError::Unexpected {
                        command: cmd.name(),
                        answer: Box::new(answer.clone()),
                    })?
            }
            answer => return Err(refused_or_unexpected(&cmd, answer)),
        };
        Ok(Chip {
            transport,
            config,
            image: None,
            counters: Counters::default(),
            offset: Counters::default(),
            checkpoint: None,
            noisy: false,
            checkpoint_ticks: CHECKPOINT_TICKS,
            lost_since_checkpoint: false,
            steps: Vec::new(),
            raw_cycles: 0,
            max_losses: MAX_LOSSES,
            recoveries: 0,
            pacing: Pacing::default(),
            pacing_seen: (0, 0),
            pacing_read_tick: 0,
        })
    }

    /// The chip's core configuration.
    pub fn config(&self) -> CoreConfig {
        self.config
    }

    /// The transport (for its statistics).
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The transport, to send commands of one's own (tests).
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Give the transport back.
    pub fn into_transport(self) -> T {
        self.transport
    }

    /// Counters after the last STEP.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// Restores and replays done to recover lost answers.
    pub fn recoveries(&self) -> u64 {
        self.recoveries
    }

    /// The pacing asked for ([`Chip::set_period`]) and what the chip has
    /// counted so far (its counters read now, when it is paced).
    pub async fn pacing(&mut self) -> Result<Pacing, ChipError> {
        if self.pacing.period != 0 {
            self.read_pacing().await?;
        }
        Ok(self.pacing)
    }

    /// Pace the chip in real time: each tick starts no sooner than `clocks`
    /// core clocks after the one before (0: lockstep, as fast as the link
    /// allows). Kept across loads and restores; the counts start again.
    pub async fn set_period(&mut self, clocks: u32) -> Result<(), ChipError> {
        if clocks > ctrl::MAX_PERIOD {
            return Err(ChipError::Period(clocks as u64));
        }
        self.pacing = Pacing {
            period: clocks,
            ..Pacing::default()
        };
        self.write_period().await
    }

    /// Write the period's two registers (the chip's counters start again).
    async fn write_period(&mut self) -> Result<(), ChipError> {
        let p = self.pacing.period;
        for cmd in Command::writes(Space::Ctrl, ctrl::PERIOD as u32, &[p as u16, (p >> 16) as u16]) {
            match self.expect(&cmd).await? {
                Answer::Written => {}
                a => return Err(unexpected(&cmd, a)),
            }
        }
        self.pacing_seen = (0, 0);
        self.pacing_read_tick = self.counters.tick;
        Ok(())
    }

    /// Read the chip's pacing counters and add what they counted since the
    /// last read.
    async fn read_pacing(&mut self) -> Result<(), ChipError> {
        let w = self.read_space(Space::Ctrl, ctrl::LATE as u32, 2).await?;
        let (late, overruns) = (w[0], w[1]);
        self.pacing.late += late.wrapping_sub(self.pacing_seen.0) as u64;
        self.pacing.overruns += overruns.wrapping_sub(self.pacing_seen.1) as u64;
        self.pacing_seen = (late, overruns);
        self.pacing_read_tick = self.counters.tick;
        Ok(())
    }

    /// Lay `net` out for this chip (fails if it does not fit).
    pub fn image(&self, net: &Network) -> Result<Image, ChipError> {
        Ok(Image::new(net, self.config)?)
    }

    /// One command that must succeed.
    async fn expect(&mut self, cmd: &Command) -> Result<Answer, ChipError> {
        match self.transport.exchange(cmd).await? {
            a @ Answer::Nak { .. } => Err(refused_or_unexpected(cmd, a)),
            a => Ok(a),
        }
    }

    /// Write a space's words from address 0.
    pub async fn write_space(&mut self, space: Space, words: &[u16]) -> Result<(), ChipError> {
        for cmd in Command::writes(space, 0, words) {
            match self.expect(&cmd).await? {
                Answer::Written => {}
                a => return Err(unexpected(&cmd, a)),
            }
        }
        Ok(())
    }

    /// Read `count` words of a space from `address`.
    pub async fn read_space(&mut self, space: Space, address: u32, count: u32) -> Result<Vec<u16>, ChipError> {
        let mut out = Vec::with_capacity(count as usize);
        let end = address + count;
        let mut a = address;
        while a < end {
            let n = (end - a).min(MAX_WORDS as u32);
            let cmd = Command::Read {
                space,
                address: a,
                count: n as u16,
            };
            match self.expect(&cmd).await? {
                Answer::Data(d) if d.len() == n as usize => out.extend(d),
                a => return Err(unexpected(&cmd, a)),
            }
            a += n;
        }
        Ok(out)
    }

    /// Reset the counters and write every space of `image`.
    pub async fn load(&mut self, image: &Image) -> Result<(), ChipError> {
        self.write_image(image).await?;
        self.image = Some(image.clone());
        self.steps.clear();
        self.checkpoint = None;
        self.counters = Counters::default();
        self.offset = Counters::default();
        self.pacing_read_tick = 0;
        Ok(())
    }

    async fn write_image(&mut self, image: &Image) -> Result<(), ChipError> {
        let cmd = Command::Reset;
        match self.expect(&cmd).await? {
            Answer::ResetDone => self.raw_cycles = 0,
            a => return Err(unexpected(&cmd, a)),
        }
        for (space, words) in image.spaces() {
            self.write_space(space, &words).await?;
        }
        // The image's control words hold no period: pacing is the run's.
        self.pacing_seen = (0, 0);
        if self.pacing.period != 0 {
            self.write_period().await?;
        }
        Ok(())
    }

    /// Count one loss; give up at [`Chip::max_losses`] in a row.
    /// Checkpoints closer together from now on.
    fn lost(&mut self, losses: &mut u32) -> Result<(), ChipError> {
        *losses += 1;
        self.lost_since_checkpoint = true;
        self.checkpoint_ticks = (self.checkpoint_ticks / 2).max(1);
        if *losses >= self.max_losses {
            return Err(ChipError::TooManyLosses {
                losses: *losses,
                tick: self.counters.tick,
            });
        }
        Ok(())
    }

    /// Ticks run since the checkpoint (or the load).
    fn ticks_since_checkpoint(&self) -> u32 {
        self.counters.tick - self.checkpoint.as_ref().map_or(0, |c| c.at.tick)
    }

    /// Write the image, with the checkpoint's state over it if there is one
    /// (the pacing counts so far are read first: the RESET clears them).
    async fn restore(&mut self) -> Result<(), ChipError> {
        if self.pacing.period != 0 {
            self.read_pacing().await?;
        }
        let mut image = self.image.clone().expect("a STEP runs only after a load");
        let at = match &self.checkpoint {
            None => Counters::default(),
            Some(cp) => {
                let (n, d) = (self.config.neurons() as usize, self.config.delay_slots() as usize);
                image.neuron[..cp.neuron.len()].copy_from_slice(&cp.neuron);
                image.x_pre.copy_from_slice(&cp.x_pre);
                // Learning changes only the low word (the weight byte).
                for (word, &low) in image.syn.iter_mut().zip(&cp.syn) {
                    *word = (*word & !0xFFFF) | low as u32;
                }
                image.ctrl[ctrl::LFSR as usize] = cp.lfsr;
                image.set_dither_tick(cp.at.tick);
                // After the RESET the chip counts ticks from 0 again: the
                // input due in tick `at + k`, in slot `(at + k) mod D` then,
                // goes to the slot the chip reads in its tick k.
                let shift = cp.at.tick as usize % d;
                for slot in 0..d {
                    let to = (slot + d - shift) % d;
                    image.ring[to * n..(to + 1) * n].copy_from_slice(&cp.ring[slot * n..(slot + 1) * n]);
                }
                cp.at
            }
        };
        self.write_image(&image).await?;
        self.offset = at;
        self.counters = at;
        // The chip's pacing counters start again with its tick count.
        self.pacing_read_tick = at.tick;
        Ok(())
    }

    /// Read back the state a run changes; the replay starts here now. With
    /// no loss since the last one, checkpoints may grow apart again.
    async fn take_checkpoint(&mut self) -> Result<(), ChipError> {
        if !std::mem::take(&mut self.lost_since_checkpoint) {
            self.checkpoint_ticks = (self.checkpoint_ticks * 2).min(CHECKPOINT_TICKS);
        }
        let (n, d) = (self.config.neurons(), self.config.delay_slots());
        let syn_words = self.image.as_ref().map_or(0, |i| i.syn.len() as u32);
        let neuron = self.read_space(Space::Neuron, 0, STATE_FIELDS * n).await?;
        let ring = self.read_space(Space::Ring, 0, d * n).await?;
        let x_pre = self.read_space(Space::XPre, 0, self.config.sources()).await?;
        let syn = self.read_space(Space::Syn, 0, syn_words).await?;
        let lfsr = self.read_space(Space::Ctrl, ctrl::LFSR as u32, 1).await?[0];
        // The chip's slots follow its own tick count, which started at the
        // offset's tick: keep the ring in the slots of the run's ticks.
        let (nu, du) = (n as usize, d as usize);
        let shift = (self.offset.tick % d) as usize;
        let mut real_ring = vec![0u16; ring.len()];
        for slot in 0..du {
            let to = (slot + shift) % du;
            real_ring[to * nu..(to + 1) * nu].copy_from_slice(&ring[slot * nu..(slot + 1) * nu]);
        }
        self.checkpoint = Some(Checkpoint {
            at: self.counters,
            neuron,
            ring: real_ring,
            x_pre,
            syn,
            lfsr,
        });
        self.steps.clear();
        Ok(())
    }

    /// Read the whole state back, in the network's terms (the ring in time
    /// order, as [`StateDump::ring`] has it).
    pub async fn dump(&mut self, net: &Network, image: &Image) -> Result<StateDump, ChipError> {
        let n = self.config.neurons();
        let nn = net.num_neurons();
        let mut fields = Vec::new();
        for f in [field::U, field::V, field::THETA, field::REF] {
            fields.push(self.read_space(Space::Neuron, f as u32 * n, nn).await?);
        }
        let c = self.read_space(Space::Ctrl, 0, ctrl::COUNT).await?;
        let [u, v, theta, refractory] = <[Vec<u16>; 4]>::try_from(fields).expect("four fields read");
        let (x_pre, x_post, post_history, lfsr) = if net.stdp().is_some() {
            let all = self.read_space(Space::XPre, 0, self.config.sources()).await?;
            let x_pre = (0..net.num_sources())
                .map(|s| all[image.core_source(s) as usize])
                .collect();
            let words = self.read_space(Space::Neuron, field::X_POST as u32 * n, nn).await?;
            let x_post = words.iter().map(|&w| w & field::X_POST_TRACE_MASK).collect();
            let history = refractory
                .iter()
                .zip(&words)
                .map(|(&r, &x)| field::post_history(r, x))
                .collect();
            (x_pre, x_post, history, c[ctrl::LFSR as usize])
        } else {
            (Vec::new(), Vec::new(), Vec::new(), 0)
        };
        let mut weights = Vec::with_capacity(image.weight_address.len());
        let mut weight_fractions = Vec::new();
        if !image.weight_address.is_empty() {
            let syn = self.read_space(Space::Syn, 0, image.syn.len() as u32).await?;
            weights.extend(image.weight_address.iter().map(|&a| syn[a as usize] as u8 as i8));
            if net.stdp().is_some() {
                // A plastic synapse's fraction word follows its synapse word
                // (spec §8.3); a fixed synapse's fraction is 0.
                let synapses = net.synapses();
                weight_fractions = (image.weight_address.iter().enumerate())
                    .map(|(i, &a)| match synapses.plastic(i) {
                        true => fraction_of(syn[a as usize + 1] as u32),
                        false => 0,
                    })
                    .collect();
            }
        }
        let word = |i: u16| c[i as usize] as u64;
        // The chip's own tick count (from its last RESET).
        let raw_ticks = (word(ctrl::TICK) | word(ctrl::TICK + 1) << 16) as u32;
        // The ring in time order: the input due in the chip's tick `raw + j`
        // is in slot `(raw + j) mod D` (spec §4.3).
        let d = self.config.delay_slots();
        let slots = self.read_space(Space::Ring, 0, d * n).await?;
        let ring = (0..d)
            .flat_map(|j| {
                let slot = ((raw_ticks + j) % d * n) as usize;
                slots[slot..slot + nn as usize].iter().map(|&x| x as i16)
            })
            .collect();
        Ok(StateDump {
            ticks: raw_ticks + self.offset.tick,
            cycle: (0..4).map(|k| word(ctrl::CYCLES + k) << (16 * k)).sum::<u64>() + self.offset.cycles,
            u: u.iter().map(|&x| x as i16).collect(),
            v: v.iter().map(|&x| x as i16).collect(),
            theta: theta.iter().map(|&x| x as i16).collect(),
            refractory: refractory.iter().map(|&x| x as u8).collect(),
            x_pre,
            x_post,
            post_history,
            weights,
            weight_fractions,
            lfsr,
            ring,
        })
    }
}

fn refused_or_unexpected(cmd: &Command, answer: Answer) -> ChipError {
    match answer {
        Answer::Nak { code, detail, .. } => ChipError::Refused {
            command: cmd.name(),
            code,
            detail,
        },
        a => unexpected(cmd, a),
    }
}

fn unexpected(cmd: &Command, answer: Answer) -> ChipError {
    ChipError::Unexpected {
        command: cmd.name(),
        answer: Box::new(answer),
    }
}

/// Run a future to completion on a fresh single-threaded runtime (for
/// callers without one: tests driving [`Cosim`]).
pub fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts")
        .block_on(f)
}
