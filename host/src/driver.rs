//! Running a network on a chip: load its image, stream input spikes, run
//! ticks, collect output spikes, read the state back. The same code drives a
//! board, the virtual chip (both over a [`Link`]) and the RTL core stepped
//! in-process ([`Cosim`]), so that every test of one is a test of the others.
//!
//! Recovery: a lost or damaged command or answer is retransmitted by the link.
//! A SPIKE event lost on the way back cannot be asked for again (the chip does
//! not keep them), but the TICK's answer counts them, so the loss is known:
//! the driver then reloads the image, replays every INPUT and TICK since the
//! load (checking that the chip sends the same events again), and runs the
//! failed TICK anew. The chip is deterministic, so the run goes on exactly as
//! if nothing had been lost.

use std::future::Future;

use spikefab_hdl::config::CoreConfig;
use spikefab_hdl::cosim::{Cosim, CosimError};
use spikefab_hdl::image::Image;
use spikefab_proto::frame::MAX_WORDS;
use spikefab_proto::message::{ctrl, field, Answer, Command, NakCode, Reply, Space, VERSION};
use spikefab_sim::network::InputSpike;
use spikefab_sim::{Network, SpikeEvent, StateDump};

use crate::link::{Link, LinkError};

/// Something that exchanges commands for replies with a chip.
pub trait Transport {
    /// Send `cmd` and return its events and final answer.
    fn exchange(&mut self, cmd: &Command) -> impl Future<Output = Result<Reply, TransportError>>;
}

/// Why an exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// On a serial link.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// In the in-process co-simulation.
    #[error("co-simulation: {0}")]
    Cosim(#[from] CosimError),
}

impl Transport for Link {
    async fn exchange(&mut self, cmd: &Command) -> Result<Reply, TransportError> {
        Ok(self.command(cmd).await?)
    }
}

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
    #[error("SPIKE events were lost {0} times in a row; giving up (is the link this noisy?)")]
    TooManyLosses(u32),
    /// A replay after a loss sent other events than the first time.
    #[error("replaying up to tick {tick} after a lost event, the chip sent other spikes than the first time")]
    ReplayMismatch {
        /// Tick counter after the TICK that differed.
        tick: u32,
    },
    /// The network does not fit the chip.
    #[error(transparent)]
    Fit(#[from] spikefab_hdl::image::FitError),
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

/// A chip behind a transport, with the image it holds.
pub struct Chip<T: Transport> {
    transport: T,
    config: CoreConfig,
    image: Option<Image>,
    /// INPUT and TICK commands since the load, with each TICK's events.
    history: Vec<(Command, Vec<Answer>)>,
    counters: Counters,
    /// Ticks per TICK command at most.
    pub tick_chunk: u32,
    /// Recoveries (reload and replay) in a row allowed before giving up.
    pub max_recoveries: u32,
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
            tick_chunk: DEFAULT_TICK_CHUNK,
            max_recoveries: 4,
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

    /// Reloads and replays done to recover lost events.
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
        self.counters = Counters::default();
        Ok(())
    }

    async fn write_image(&mut self, image: &Image) -> Result<(), ChipError> {
        let cmd = Command::Reset;
        match self.expect(&cmd).await? {
            Answer::ResetDone => {}
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
        mut progress: impl FnMut(u32, usize),
    ) -> Result<Vec<SpikeEvent>, ChipError> {
        let mut t = self.counters.tick;
        let mut next = inputs.partition_point(|s| s.tick < t);
        let mut spikes = Vec::new();
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
            let count = (quiet_until - t).clamp(1, self.tick_chunk.clamp(1, u16::MAX as u32));
            let cmd = Command::Tick { count: count as u16 };
            let events = self.logged(&cmd).await?;
            spikes.extend(events.iter().filter_map(spike_event));
            t += count;
            progress(t, spikes.len());
        }
        Ok(spikes)
    }

    /// Run an INPUT or TICK, recovering from lost events; the TICK's events.
    async fn logged(&mut self, cmd: &Command) -> Result<Vec<Answer>, ChipError> {
        let mut losses = 0;
        loop {
            match self.transport.exchange(cmd).await {
                Ok(reply) => {
                    self.accept(cmd, &reply.answer)?;
                    self.history.push((cmd.clone(), reply.events.clone()));
                    return Ok(reply.events);
                }
                Err(TransportError::Link(LinkError::EventsLost { .. })) => {
                    losses += 1;
                    if losses > self.max_recoveries {
                        return Err(ChipError::TooManyLosses(losses));
                    }
                    self.recover().await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Check an INPUT's or TICK's answer and take the counters.
    fn accept(&mut self, cmd: &Command, answer: &Answer) -> Result<(), ChipError> {
        match (cmd, answer) {
            (Command::Input { .. }, Answer::InputTaken) => Ok(()),
            (Command::Tick { .. }, &Answer::TickDone { tick, cycles, .. }) => {
                self.counters = Counters { tick, cycles };
                Ok(())
            }
            _ => Err(refused_or_unexpected(cmd, answer.clone())),
        }
    }

    /// Reload the image and replay the history, until a replay goes through.
    async fn recover(&mut self) -> Result<(), ChipError> {
        let image = self.image.clone().expect("a TICK runs only after a load");
        let history = std::mem::take(&mut self.history);
        let mut losses = 0;
        'again: loop {
            self.recoveries += 1;
            self.write_image(&image).await?;
            for (cmd, events) in &history {
                match self.transport.exchange(cmd).await {
                    Ok(reply) => {
                        self.accept(cmd, &reply.answer)?;
                        if &reply.events != events {
                            return Err(ChipError::ReplayMismatch {
                                tick: self.counters.tick,
                            });
                        }
                    }
                    Err(TransportError::Link(LinkError::EventsLost { .. })) => {
                        losses += 1;
                        if losses > self.max_recoveries {
                            return Err(ChipError::TooManyLosses(losses));
                        }
                        continue 'again;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            self.history = history;
            return Ok(());
        }
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
        let ticks = (word(ctrl::TICK) | word(ctrl::TICK + 1) << 16) as u32;
        // The ring in time order: the input due in tick `ticks + j` is in slot
        // `(ticks + j) mod D` (spec §4.3).
        let d = self.config.delay_slots();
        let slots = self.read_space(Space::Ring, 0, d * n).await?;
        let ring = (0..d)
            .flat_map(|j| {
                let slot = ((ticks + j) % d * n) as usize;
                slots[slot..slot + nn as usize].iter().map(|&x| x as i16)
            })
            .collect();
        let [u, v, theta, refractory] = <[Vec<u16>; 4]>::try_from(fields).expect("four fields read");
        Ok(StateDump {
            ticks,
            cycle: (0..4).map(|k| word(ctrl::CYCLES + k) << (16 * k)).sum(),
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
