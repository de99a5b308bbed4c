//! Running a network on a chip: load its image, stream input spikes, run
//! ticks, collect output spikes, read the state back. The same code drives a
//! board, the virtual chip (both over a [`Link`]) and the RTL core stepped
//! in-process ([`Cosim`]), so that every test of one is a test of the others.
//!
//! Recovery: a lost or damaged command or answer is retransmitted by the link.
//! A SPIKE event lost on the way back cannot be asked for again (the chip does
//! not keep them), but the TICK's answer counts them, so the loss is known
//! (and so are extra or duplicated events): the driver then puts the chip back
//! in a state it knows (the image, or the last checkpoint), replays every INPUT
//! and TICK since then (checking that the chip sends the same events again),
//! and runs the failed command anew. The chip is deterministic, so the run goes
//! on exactly as if nothing had been lost.
//!
//! Checkpoints keep replays short on a noisy line: once events have been lost,
//! the driver reads back the state a run changes (neuron state, ring, traces,
//! weights, LFSR) every [`CHECKPOINT_TICKS`] ticks at most, during replays
//! too. Each loss halves that interval and the ticks per TICK command (fewer
//! events per command, fewer lost with each); each checkpoint reached with no
//! loss since the one before doubles them back. A
//! restore writes it back after a RESET, which zeroes the chip's tick and
//! cycle counters (they are read-only, spec §8.2): the driver then adds the
//! checkpoint's counters to what the chip reports, and writes the ring rotated
//! so that each slot is read in the tick it was due.

use std::future::Future;

use spikefab_chip::config::CoreConfig;
use spikefab_chip::image::Image;
#[cfg(feature = "virtual-chip")]
use spikefab_hdl::cosim::{Cosim, CosimError};
use spikefab_proto::frame::MAX_WORDS;
use spikefab_proto::message::{ctrl, field, Answer, Command, NakCode, Reply, Space, VERSION};
use spikefab_sim::network::InputSpike;
use spikefab_sim::{Network, SpikeEvent, StateDump};

use crate::link::{Link, LinkError};

mod stream;
pub use stream::{step_of, Protocol, TickOutput, STREAM_TICKS};

/// Something that exchanges commands for replies with a chip.
pub trait Transport {
    /// Send `cmd` and return its events and final answer.
    fn exchange(&mut self, cmd: &Command) -> impl Future<Output = Result<Reply, TransportError>>;

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
                on_answer(i, self.exchange(cmd).await?.answer);
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
    async fn exchange(&mut self, cmd: &Command) -> Result<Reply, TransportError> {
        Ok(self.command(cmd).await?)
    }

    async fn stream(&mut self, steps: &[Command], on_answer: impl FnMut(usize, Answer)) -> Result<(), TransportError> {
        Ok(Link::stream(self, steps, on_answer).await?)
    }
}

#[cfg(feature = "virtual-chip")]
impl Transport for Cosim {
    fn exchange(&mut self, cmd: &Command) -> impl Future<Output = Result<Reply, TransportError>> {
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
    /// Events kept getting lost.
    #[error(
        "SPIKE events were lost {losses} times in a row (ending at tick {tick}); giving up (is the link this noisy?)"
    )]
    TooManyLosses {
        /// Losses in a row, recoveries included.
        losses: u32,
        /// The tick the run had reached.
        tick: u32,
    },
    /// A replay after a loss sent other events than the first time.
    #[error(
        "replaying up to tick {tick} after a lost event, the chip sent other spikes than the first time: \
         {replayed} where it sent {first}"
    )]
    ReplayMismatch {
        /// Tick counter after the TICK that differed.
        tick: u32,
        /// The first event that differs, as first sent (or "no event").
        first: String,
        /// The same, as replayed.
        replayed: String,
    },
    /// The network does not fit the chip.
    #[error(transparent)]
    Fit(#[from] spikefab_chip::image::FitError),
}

/// The chip's answer to INFO.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChipInfo {
    /// Its core configuration.
    pub config: CoreConfig,
}

/// A run's counters, as the last TICK answer gave them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Ticks executed since the load.
    pub tick: u32,
    /// Busy cycles since the load.
    pub cycles: u64,
}

/// Most ticks one TICK command runs: short enough that the link's timeout
/// covers it on the virtual chip and that progress is reported often.
pub const DEFAULT_TICK_CHUNK: u32 = 16;

/// Losses of events in a row (losses during a recovery included; a
/// checkpoint taken during a replay ends the row) at which the driver gives
/// up (spec §10.3).
pub const MAX_LOSSES: u32 = 8;

/// Once events have been lost, most ticks between checkpoints.
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
    /// INPUT and TICK commands since the checkpoint (or the load), with each
    /// TICK's events as the run counts them.
    history: Vec<(Command, Vec<Answer>)>,
    counters: Counters,
    /// Added to the chip's counters: those of the checkpoint last restored.
    offset: Counters,
    checkpoint: Option<Checkpoint>,
    /// Events have been lost on this link: take checkpoints.
    noisy: bool,
    /// Ticks between checkpoints now (halved by losses).
    checkpoint_ticks: u32,
    /// Ticks per TICK command now (halved by losses, up to `tick_chunk`).
    chunk: u32,
    /// A loss since the last checkpoint.
    lost_since_checkpoint: bool,
    /// Ticks per TICK command at most.
    pub tick_chunk: u32,
    /// STEPs since the checkpoint (or the load), with each one's output.
    steps: Vec<(Command, TickOutput)>,
    /// The chip's own busy-cycle counter (from its last RESET), as the STEP
    /// answers' low 32 bits extend it.
    raw_cycles: u64,
    /// Losses in a row (recoveries included) at which to give up.
    pub max_losses: u32,
    recoveries: u64,
}

impl<T: Transport> Chip<T> {
    /// Ask the chip what it is (INFO).
    pub async fn connect(mut transport: T) -> Result<Chip<T>, ChipError> {
        let cmd = Command::Info;
        let reply = transport.exchange(&cmd).await?;
        let config = match reply.answer {
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
                        answer: Box::new(reply.answer.clone()),
                    })?
            }
            answer => return Err(refused_or_unexpected(&cmd, answer)),
        };
        Ok(Chip {
            transport,
            config,
            image: None,
            history: Vec::new(),
            counters: Counters::default(),
            offset: Counters::default(),
            checkpoint: None,
            noisy: false,
            checkpoint_ticks: CHECKPOINT_TICKS,
            chunk: DEFAULT_TICK_CHUNK,
            lost_since_checkpoint: false,
            tick_chunk: DEFAULT_TICK_CHUNK,
            steps: Vec::new(),
            raw_cycles: 0,
            max_losses: MAX_LOSSES,
            recoveries: 0,
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

    /// Counters after the last TICK.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// Restores and replays done to recover lost events.
    pub fn recoveries(&self) -> u64 {
        self.recoveries
    }

    /// Lay `net` out for this chip (fails if it does not fit).
    pub fn image(&self, net: &Network) -> Result<Image, ChipError> {
        Ok(Image::new(net, self.config)?)
    }

    /// One command that must succeed with no events.
    async fn expect(&mut self, cmd: &Command) -> Result<Answer, ChipError> {
        let reply = self.transport.exchange(cmd).await?;
        match reply.answer {
            Answer::Nak { .. } => Err(refused_or_unexpected(cmd, reply.answer)),
            a if reply.events.is_empty() => Ok(a),
            a => Err(ChipError::Unexpected {
                command: cmd.name(),
                answer: Box::new(a),
            }),
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
                address: a as u16,
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
        self.history.clear();
        self.steps.clear();
        self.checkpoint = None;
        self.counters = Counters::default();
        self.offset = Counters::default();
        Ok(())
    }

    async fn write_image(&mut self, image: &Image) -> Result<(), ChipError> {
        let cmd = Command::Reset;
        match self.expect(&cmd).await? {
            Answer::ResetDone => self.raw_cycles = 0,
            a => return Err(unexpected(&cmd, a)),
        }
        for (space, words) in image.spaces() {
            self.write_space(space, words).await?;
        }
        Ok(())
    }

    /// Run from the chip's current tick up to tick `end`, feeding the input
    /// spikes of `inputs` (sorted by tick, as [`Network::inputs`] is) that fall
    /// in those ticks. `progress` sees the tick reached and the spikes so far.
    pub async fn run_until(
        &mut self,
        inputs: &[InputSpike],
        end: u32,
        progress: impl FnMut(u32, usize),
    ) -> Result<Vec<SpikeEvent>, ChipError> {
        let mut spikes = Vec::new();
        self.run_into(inputs, end, &mut spikes, progress).await?;
        Ok(spikes)
    }

    /// [`Chip::run_until`], appending the spikes to `spikes` as they come:
    /// when the run fails, the spikes of the ticks before the failure are
    /// there (and [`Chip::counters`] says the tick reached).
    pub async fn run_into(
        &mut self,
        inputs: &[InputSpike],
        end: u32,
        spikes: &mut Vec<SpikeEvent>,
        mut progress: impl FnMut(u32, usize),
    ) -> Result<(), ChipError> {
        let mut t = self.counters.tick;
        let mut next = inputs.partition_point(|s| s.tick < t);
        let first_spike = spikes.len();
        while t < end {
            let first = next;
            while next < inputs.len() && inputs[next].tick == t {
                next += 1;
            }
            for chunk in inputs[first..next].chunks(MAX_WORDS) {
                let cmd = Command::Input {
                    axons: chunk.iter().map(|s| s.axon as u16).collect(),
                };
                self.logged(&cmd).await?;
            }
            // Ticks without inputs run in one command.
            let quiet_until = inputs.get(next).map_or(end, |s| s.tick.min(end));
            let count = (quiet_until - t).clamp(1, self.chunk.min(self.tick_chunk).clamp(1, u16::MAX as u32));
            let cmd = Command::Tick { count: count as u16 };
            let events = self.logged(&cmd).await?;
            spikes.extend(events.iter().filter_map(spike_event));
            t += count;
            progress(t, spikes.len() - first_spike);
        }
        Ok(())
    }

    /// Run an INPUT or TICK, recovering from lost events; the TICK's events.
    async fn logged(&mut self, cmd: &Command) -> Result<Vec<Answer>, ChipError> {
        let mut losses = 0;
        loop {
            match self.transport.exchange(cmd).await {
                Ok(reply) => {
                    let events = self.accept(cmd, reply)?;
                    self.history.push((cmd.clone(), events.clone()));
                    let ticks_since = self.ticks_since_checkpoint();
                    if self.noisy && matches!(cmd, Command::Tick { .. }) && ticks_since >= self.checkpoint_ticks {
                        self.take_checkpoint().await?;
                    }
                    return Ok(events);
                }
                Err(e) if is_event_loss(&e) => {
                    self.noisy = true;
                    self.lost(&mut losses)?;
                    self.recover(&mut losses).await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Count one loss; give up at [`Chip::max_losses`] in a row. Shorter
    /// TICK commands and checkpoints closer together from now on.
    fn lost(&mut self, losses: &mut u32) -> Result<(), ChipError> {
        *losses += 1;
        self.lost_since_checkpoint = true;
        self.checkpoint_ticks = (self.checkpoint_ticks / 2).max(1);
        self.chunk = (self.chunk / 2).max(1);
        if *losses >= self.max_losses {
            return Err(ChipError::TooManyLosses {
                losses: *losses,
                tick: self.counters.tick,
            });
        }
        Ok(())
    }

    /// Check an INPUT's or TICK's answer, take the counters, and return the
    /// events in the run's counts (the chip's plus the restored offset).
    fn accept(&mut self, cmd: &Command, reply: Reply) -> Result<Vec<Answer>, ChipError> {
        match (cmd, &reply.answer) {
            (Command::Input { .. }, Answer::InputTaken) => Ok(reply.events),
            (Command::Tick { .. }, &Answer::TickDone { tick, cycles, .. }) => {
                self.counters = Counters {
                    tick: tick + self.offset.tick,
                    cycles: cycles + self.offset.cycles,
                };
                let (dt, dc) = (self.offset.tick, self.offset.cycles);
                Ok(reply
                    .events
                    .into_iter()
                    .map(|e| match e {
                        Answer::Spike { tick, neuron, cycle } => Answer::Spike {
                            tick: tick + dt,
                            neuron,
                            cycle: cycle + dc,
                        },
                        other => other,
                    })
                    .collect())
            }
            _ => Err(refused_or_unexpected(cmd, reply.answer)),
        }
    }

    /// Ticks run since the checkpoint (or the load).
    fn ticks_since_checkpoint(&self) -> u32 {
        self.counters.tick - self.checkpoint.as_ref().map_or(0, |c| c.at.tick)
    }

    /// Put the chip back where the history starts (the last checkpoint, or
    /// the image) and replay the history up to its last TICK, until a replay
    /// goes through. The replay checkpoints as it goes (every
    /// [`CHECKPOINT_TICKS`] and at its end), and a loss during it restarts
    /// from the latest of those, so that a long replay on a noisy line still
    /// gets through. The INPUTs after the last TICK are pending in the chip,
    /// which a checkpoint does not hold: they are sent again and stay in the
    /// history.
    async fn recover(&mut self, losses: &mut u32) -> Result<(), ChipError> {
        let mut history = std::mem::take(&mut self.history);
        let ticked = history
            .iter()
            .rposition(|(c, _)| matches!(c, Command::Tick { .. }))
            .map_or(0, |k| k + 1);
        let pending = history.split_off(ticked);
        // history[..done] is behind the current checkpoint.
        let mut done = 0;
        'again: loop {
            self.recoveries += 1;
            self.restore().await?;
            let start = done;
            for i in start..history.len() {
                let (cmd, events) = &history[i];
                match self.transport.exchange(cmd).await {
                    Ok(reply) => {
                        let again = self.accept(cmd, reply)?;
                        if &again != events {
                            let k = again.iter().zip(events).take_while(|(a, b)| a == b).count();
                            let show = |e: Option<&Answer>| e.map_or("no event".to_string(), |a| format!("{a:?}"));
                            return Err(ChipError::ReplayMismatch {
                                tick: self.counters.tick,
                                first: show(events.get(k)),
                                replayed: show(again.get(k)),
                            });
                        }
                    }
                    Err(e) if is_event_loss(&e) => {
                        self.lost(losses)?;
                        continue 'again;
                    }
                    Err(e) => return Err(e.into()),
                }
                let since = self.ticks_since_checkpoint();
                let tick = matches!(cmd, Command::Tick { .. });
                if tick && (i + 1 == history.len() || since >= self.checkpoint_ticks) {
                    self.take_checkpoint().await?;
                    done = i + 1;
                    // Progress: the losses before it are not "in a row".
                    *losses = 0;
                }
            }
            break;
        }
        // INPUTs send no events: nothing of theirs can be lost.
        for (cmd, events) in pending {
            let reply = self.transport.exchange(&cmd).await?;
            self.accept(&cmd, reply)?;
            self.history.push((cmd, events));
        }
        Ok(())
    }

    /// Write the image, with the checkpoint's state over it if there is one.
    async fn restore(&mut self) -> Result<(), ChipError> {
        let mut image = self.image.clone().expect("a TICK runs only after a load");
        let at = match &self.checkpoint {
            None => Counters::default(),
            Some(cp) => {
                let (n, d) = (self.config.neurons() as usize, self.config.delay_slots() as usize);
                image.neuron[..cp.neuron.len()].copy_from_slice(&cp.neuron);
                image.x_pre.copy_from_slice(&cp.x_pre);
                image.syn.copy_from_slice(&cp.syn);
                image.ctrl[ctrl::LFSR as usize] = cp.lfsr;
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
        Ok(())
    }

    /// Read back the state a run changes; the history starts again here.
    /// With no loss since the last one, checkpoints and TICK commands may
    /// grow again.
    async fn take_checkpoint(&mut self) -> Result<(), ChipError> {
        if !std::mem::take(&mut self.lost_since_checkpoint) {
            self.checkpoint_ticks = (self.checkpoint_ticks * 2).min(CHECKPOINT_TICKS);
            self.chunk = (self.chunk * 2).min(self.tick_chunk.max(1));
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
        self.history.clear();
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
        let (x_pre, x_post, lfsr) = if net.stdp().is_some() {
            let all = self.read_space(Space::XPre, 0, self.config.sources()).await?;
            let x_pre = (0..net.num_sources())
                .map(|s| all[image.core_source(s) as usize] as u8)
                .collect();
            let x_post = self.read_space(Space::Neuron, field::X_POST as u32 * n, nn).await?;
            (x_pre, x_post.iter().map(|&x| x as u8).collect(), c[ctrl::LFSR as usize])
        } else {
            (Vec::new(), Vec::new(), 0)
        };
        let mut weights = Vec::with_capacity(image.weight_address.len());
        if !image.weight_address.is_empty() {
            let syn = self.read_space(Space::Syn, 0, image.syn.len() as u32).await?;
            weights.extend(image.weight_address.iter().map(|&a| syn[a as usize] as u8 as i8));
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
        let [u, v, theta, refractory] = <[Vec<u16>; 4]>::try_from(fields).expect("four fields read");
        Ok(StateDump {
            ticks: raw_ticks + self.offset.tick,
            cycle: (0..4).map(|k| word(ctrl::CYCLES + k) << (16 * k)).sum::<u64>() + self.offset.cycles,
            u: u.iter().map(|&x| x as i16).collect(),
            v: v.iter().map(|&x| x as i16).collect(),
            theta: theta.iter().map(|&x| x as i16).collect(),
            refractory: refractory.iter().map(|&x| x as u8).collect(),
            x_pre,
            x_post,
            weights,
            lfsr,
            ring,
        })
    }
}

/// Events of a TICK that did not arrive as the chip counted them.
fn is_event_loss(e: &TransportError) -> bool {
    matches!(
        e,
        TransportError::Link(LinkError::EventsLost { .. } | LinkError::EventsExtra { .. })
    )
}

/// The output spike a SPIKE event reports.
pub fn spike_event(a: &Answer) -> Option<SpikeEvent> {
    match *a {
        Answer::Spike { tick, neuron, cycle } => Some(SpikeEvent {
            tick,
            cycle,
            neuron: neuron as u32,
        }),
        _ => None,
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
