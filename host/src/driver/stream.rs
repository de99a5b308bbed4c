//! Running a network with STEPs (`docs/spec.md` §10.4): one
//! STEP per tick, streamed ([`Transport::stream`]), one answer per tick with
//! its output spikes, its cycle counter and the digest of its spikes' stamps.
//!
//! Recovery: a STEP damaged or lost on the way to the chip is sent again by
//! the link. An answer lost after the chip ran on cannot be asked for again;
//! the driver then puts the chip back in a state it knows (the image, or the
//! last checkpoint), replays the STEPs since then one at a time (a repeated
//! STEP is answered again, so nothing is lost that way), checking that each
//! gives the answer it gave the first time, and streams on from the tick
//! whose answer was lost. Checkpoints, once a loss has been seen: the module
//! documentation of [`crate::driver`].

use spikefab_proto::message::{Answer, Command};
use spikefab_proto::stream::{stamp_digest, SpikeWords};
use spikefab_sim::network::InputSpike;
use spikefab_sim::{Simulator, SpikeEvent};

use super::{refused_or_unexpected, unexpected, Chip, ChipError, Counters, Transport, TransportError};
use crate::link::LinkError;

/// Ticks per stream of STEPs while the line is clean.
pub const STREAM_TICKS: u32 = 256;

/// Ticks per stream of STEPs in real time (`docs/spec.md` §10.5): a stream
/// ends with its last answer, so the chip waits for the next stream's first
/// STEP (that STEP may come late). The pacing counters (16 bits) are read
/// between two streams once the next could make them wrap.
pub const PACED_STREAM_TICKS: u32 = 32_767;

/// One tick's outputs as a STEP answer gives them, in the run's counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TickOutput {
    /// The tick (from 0).
    pub tick: u32,
    /// The busy-cycle counter after it.
    pub cycles: u64,
    /// The digest of its output spikes' stamps
    /// ([`spikefab_proto::stream::stamp_digest`]).
    pub digest: u16,
    /// The neurons that spiked, ascending.
    pub neurons: Vec<u16>,
}

impl TickOutput {
    /// The golden model's next tick, run now, as a STEP's answer gives it
    /// (`sim` records its spikes: [`Simulator::set_record_spikes`]).
    pub fn of_model(sim: &mut Simulator) -> TickOutput {
        let (tick, start, before) = (sim.tick(), sim.cycle(), sim.spikes().len());
        sim.step_tick();
        let new = &sim.spikes()[before..];
        TickOutput {
            tick,
            cycles: sim.cycle(),
            digest: stamp_digest(start, new.iter().map(|s| s.cycle)),
            neurons: new.iter().map(|s| s.neuron as u16).collect(),
        }
    }

    /// The tick's spikes; their stamps are not sent (the digest is), so
    /// each `cycle` is 0.
    pub fn spikes(&self) -> impl Iterator<Item = SpikeEvent> + '_ {
        self.neurons.iter().map(move |&n| SpikeEvent {
            tick: self.tick,
            cycle: 0,
            neuron: n as u32,
        })
    }

    /// The answer a chip of `neurons` neurons gives for this tick when its
    /// counters started at 0 (no checkpoint restored).
    pub fn answer(&self, neurons: u32) -> Answer {
        Answer::Stepped {
            tick: self.tick + 1,
            cycles: self.cycles as u32,
            digest: self.digest,
            spikes: SpikeWords::shorter(&self.neurons, neurons),
        }
    }
}

/// The STEP of tick `t` with its inputs from `inputs` (sorted by tick), in
/// the shorter form for a core of `axons` axons.
pub fn step_of(inputs: &[InputSpike], t: u32, axons: u32) -> Command {
    let first = inputs.partition_point(|s| s.tick < t);
    let last = inputs.partition_point(|s| s.tick <= t);
    let axons_now: Vec<u16> = inputs[first..last].iter().map(|s| s.axon as u16).collect();
    Command::Step {
        inputs: SpikeWords::shorter(&axons_now, axons),
    }
}

fn is_answer_loss(e: &TransportError) -> bool {
    matches!(e, TransportError::Link(LinkError::AnswersLost { .. }))
}

impl<T: Transport> Chip<T> {
    /// Run from the chip's current tick up to tick `end` with one STEP per
    /// tick, feeding the input spikes of `inputs` (sorted by tick, as
    /// [`spikefab_sim::Network::inputs`] is) and appending each tick's
    /// outputs to `out` as they come. `progress` sees the tick reached and
    /// the output spikes so far, after each answer. With real-time pacing
    /// ([`Chip::set_period`]) the pacing counters are read between streams
    /// before they could wrap.
    pub async fn stream_into(
        &mut self,
        inputs: &[InputSpike],
        end: u32,
        out: &mut Vec<TickOutput>,
        mut progress: impl FnMut(u32, usize),
    ) -> Result<(), ChipError> {
        let axons = self.config.axons();
        let mut spikes = 0;
        let mut losses = 0;
        while self.counters.tick < end {
            let start = self.counters.tick;
            let span = match (self.noisy, self.pacing.period) {
                (true, _) => self.checkpoint_ticks,
                (false, 0) => STREAM_TICKS,
                (false, _) => PACED_STREAM_TICKS,
            };
            let steps: Vec<Command> = (start..start.saturating_add(span).min(end))
                .map(|t| step_of(inputs, t, axons))
                .collect();
            let mut answers = Vec::new();
            let mut so_far = spikes;
            let streamed = self
                .transport
                .stream(&steps, |i, a| {
                    if let Answer::Stepped { spikes: s, .. } = &a {
                        so_far += s.indices().len();
                        progress(start + i as u32 + 1, so_far);
                    }
                    answers.push((i, a));
                })
                .await;
            for (i, a) in answers {
                let o = self.accept_step(&steps[i], a)?;
                spikes += o.neurons.len();
                self.steps.push((steps[i].clone(), o.clone()));
                out.push(o);
            }
            match streamed {
                Ok(()) => {}
                Err(e) if is_answer_loss(&e) => {
                    self.noisy = true;
                    self.lost(&mut losses)?;
                    self.replay_steps(&mut losses).await?;
                }
                Err(e) => return Err(e.into()),
            }
            let unread = self.counters.tick.saturating_sub(self.pacing_read_tick);
            if self.pacing.period != 0 && unread + PACED_STREAM_TICKS > u16::MAX as u32 {
                // The next stream could make the counters wrap.
                self.read_pacing().await?;
            }
            progress(self.counters.tick, spikes);
            let since = self.ticks_since_checkpoint();
            if self.noisy && since >= self.checkpoint_ticks {
                self.take_checkpoint().await?;
                losses = 0;
            }
        }
        Ok(())
    }

    /// [`Chip::stream_into`] from the chip's current tick up to tick `end`,
    /// the outputs returned.
    pub async fn run_until(
        &mut self,
        inputs: &[InputSpike],
        end: u32,
        progress: impl FnMut(u32, usize),
    ) -> Result<Vec<TickOutput>, ChipError> {
        let mut out = Vec::new();
        self.stream_into(inputs, end, &mut out, progress).await?;
        Ok(out)
    }

    /// Check a STEP's answer (the tick it ran is the next one) and take its
    /// counters; its outputs in the run's counts.
    fn accept_step(&mut self, cmd: &Command, answer: Answer) -> Result<TickOutput, ChipError> {
        let Answer::Stepped {
            tick,
            cycles,
            digest,
            ref spikes,
        } = answer
        else {
            return Err(refused_or_unexpected(cmd, answer));
        };
        if tick.wrapping_add(self.offset.tick) != self.counters.tick + 1 {
            return Err(unexpected(cmd, answer));
        }
        // The answer carries the counter's low 32 bits; a tick takes far
        // fewer cycles than 2^32.
        self.raw_cycles += cycles.wrapping_sub(self.raw_cycles as u32) as u64;
        self.counters = Counters {
            tick: self.counters.tick + 1,
            cycles: self.raw_cycles + self.offset.cycles,
        };
        Ok(TickOutput {
            tick: self.counters.tick - 1,
            cycles: self.counters.cycles,
            digest,
            neurons: spikes.indices(),
        })
    }

    /// Put the chip back where the STEPs since the checkpoint start and run
    /// them again one at a time, each giving the same outputs as the first
    /// time (a checkpoint taken on the way, after
    /// [`Chip::checkpoint_ticks`](super::CHECKPOINT_TICKS) of them, shortens
    /// the next replay).
    async fn replay_steps(&mut self, losses: &mut u32) -> Result<(), ChipError> {
        let steps = std::mem::take(&mut self.steps);
        self.recoveries += 1;
        self.restore().await?;
        for (i, (cmd, first)) in steps.iter().enumerate() {
            let answer = self.transport.exchange(cmd).await?;
            let again = self.accept_step(cmd, answer)?;
            if &again != first {
                return Err(ChipError::ReplayMismatch {
                    tick: self.counters.tick,
                    first: format!("{first:?}"),
                    replayed: format!("{again:?}"),
                });
            }
            self.steps.push((cmd.clone(), again));
            let since = self.ticks_since_checkpoint();
            if i + 1 < steps.len() && since >= self.checkpoint_ticks {
                self.take_checkpoint().await?;
                *losses = 0;
            }
        }
        Ok(())
    }
}
