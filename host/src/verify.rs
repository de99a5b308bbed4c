//! Cycle-exact equivalence of a chip run with the golden model: the network
//! runs on the chip and in `spikefab-sim` (cycle mode, the chip's core
//! configuration) side by side, and the full state is read back and compared
//! field by field at checkpoints and at the end. Output spikes are compared
//! as the STEP answers carry them (`docs/spec.md` §10.4): each tick's
//! spiking neurons, its busy-cycle counter and the digest of its spikes'
//! busy-cycle stamps. The first divergence names tick, cycle, neuron (or
//! source or synapse), field and both values; a digest that differs is
//! pinned to a spike's cycle by a waveform of the tick (`spikefab verify
//! --vcd`).

use std::time::{Duration, Instant};

use spikefab_chip::image::Image;
use spikefab_sim::record::Divergence;
use spikefab_sim::{Network, SimError, SpikeEvent, StateDump};

use crate::driver::{Chip, ChipError, TickOutput, Transport};

/// Why a verification could not be carried out (a divergence is a result,
/// not an error).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The chip or the link failed.
    #[error(transparent)]
    Chip(#[from] ChipError),
    /// The golden model refused the network.
    #[error("simulator: {0}")]
    Sim(#[from] SimError),
}

/// What a verification found (so far, if it was cut short).
#[derive(Debug, Clone, Default)]
pub struct Verification {
    /// Ticks run (up to the divergence, if any).
    pub ticks: u32,
    /// The chip's output spikes. A spike's `cycle` is not sent (its tick's
    /// digest is) and is 0.
    pub chip_spikes: Vec<SpikeEvent>,
    /// The golden model's, with their cycles.
    pub sim_spikes: Vec<SpikeEvent>,
    /// The chip's outputs of each tick.
    pub chip_ticks: Vec<TickOutput>,
    /// The golden model's.
    pub sim_ticks: Vec<TickOutput>,
    /// The chip's state at the last checkpoint.
    pub chip_state: StateDump,
    /// Ticks at which the full state was compared.
    pub checkpoints: Vec<u32>,
    /// The first difference, if any.
    pub divergence: Option<Divergence>,
    /// The difference is in the state read back, not in the outputs.
    pub in_state: bool,
    /// Wall time spent on the chip (link included).
    pub chip_time: Duration,
    /// Wall time spent in the golden model.
    pub sim_time: Duration,
}

impl Verification {
    /// No difference anywhere.
    pub fn identical(&self) -> bool {
        self.divergence.is_none()
    }
}

/// What to verify: `ticks` ticks, the state compared every `every` ticks
/// (`every` = `ticks`: at the end only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Ticks to run.
    pub ticks: u32,
    /// Ticks between two state comparisons.
    pub every: u32,
}

/// Run `net` (loaded on `chip` as `image`) on the chip and in the golden
/// model as `plan` says, comparing spikes after every chunk of `plan.every`
/// ticks and the full state at each of those checkpoints. Stops at the first
/// divergence. `progress` sees ticks and spikes.
pub async fn verify<T: Transport>(
    chip: &mut Chip<T>,
    net: &Network,
    image: &Image,
    plan: Plan,
    progress: impl FnMut(u32, usize),
) -> Result<Verification, VerifyError> {
    let mut v = Verification::default();
    verify_into(chip, net, image, plan, &mut v, progress).await?;
    Ok(v)
}

/// [`verify`], filling `v` as it goes: when the chip or the link fails, `v`
/// holds the chip's spikes up to the failure and the checkpoints passed.
pub async fn verify_into<T: Transport>(
    chip: &mut Chip<T>,
    net: &Network,
    image: &Image,
    plan: Plan,
    v: &mut Verification,
    mut progress: impl FnMut(u32, usize),
) -> Result<(), VerifyError> {
    let mut sim = chip.config().simulator(net)?;
    sim.set_record_spikes(true);
    let every = plan.every.max(1);
    while v.ticks < plan.ticks {
        let end = (v.ticks + every).min(plan.ticks);
        let start = Instant::now();
        let (before, first_tick) = (v.chip_spikes.len(), v.chip_ticks.len());
        let run = chip
            .stream_into(net.inputs(), end, &mut v.chip_ticks, |t, n| progress(t, before + n))
            .await;
        v.chip_spikes
            .extend(v.chip_ticks[first_tick..].iter().flat_map(TickOutput::spikes));
        v.chip_time += start.elapsed();
        run?;
        let start = Instant::now();
        v.chip_state = chip.dump(net, image).await?;
        v.chip_time += start.elapsed();

        let start = Instant::now();
        v.sim_ticks
            .extend((v.ticks..end).map(|_| TickOutput::of_model(&mut sim)));
        let sim_state = sim.state_dump();
        v.sim_time += start.elapsed();
        v.ticks = end;
        v.sim_spikes = sim.spikes().to_vec();
        v.checkpoints.push(end);
        let spikes = first_tick_divergence(&v.chip_ticks, &v.sim_ticks, first_tick);
        v.in_state = spikes.is_none();
        v.divergence = spikes.or_else(|| v.chip_state.first_divergence(&sim_state));
        if v.divergence.is_some() {
            break;
        }
    }
    Ok(())
}

/// The field a [`Divergence`] names when two ticks' spikes are the same but
/// their stamps' digests differ.
pub const DIGEST_FIELD: &str = "stamp digest";

/// The first tick from `from` on whose outputs differ (the left run's): a
/// neuron that spiked in one run only, then the digest of the spikes'
/// stamps, then the busy-cycle counter after the tick. The cycle named is
/// the tick's first (the counter after the tick before).
pub fn first_tick_divergence(left: &[TickOutput], right: &[TickOutput], from: usize) -> Option<Divergence> {
    let n = left.len().max(right.len());
    (from..n).find_map(|i| {
        let start = match i {
            0 => 0,
            _ => left.get(i - 1).or(right.get(i - 1)).map_or(0, |o| o.cycles),
        };
        let at = |field, index: u64, l: String, r: String| {
            let tick = left.get(i).or(right.get(i)).map_or(0, |o| o.tick);
            Some(Divergence {
                tick,
                cycle: start,
                index,
                field,
                left: l,
                right: r,
            })
        };
        let (a, b) = match (left.get(i), right.get(i)) {
            (Some(a), Some(b)) => (a, b),
            (Some(a), None) => return at("tick", 0, format!("ran tick {}", a.tick), "no tick".into()),
            (None, Some(b)) => return at("tick", 0, "no tick".into(), format!("ran tick {}", b.tick)),
            (None, None) => return None,
        };
        let only = |x: &TickOutput, y: &TickOutput| x.neurons.iter().copied().find(|n| !y.neurons.contains(n));
        let first_only = [only(a, b), only(b, a)].into_iter().flatten().min();
        let show = |x: &TickOutput, n: u16| match x.neurons.contains(&n) {
            true => format!("spike(tick {}, neuron {n})", x.tick),
            false => "no spike".to_string(),
        };
        if let Some(n) = first_only {
            return at("spike", n as u64, show(a, n), show(b, n));
        }
        if a.digest != b.digest {
            return at(
                DIGEST_FIELD,
                0,
                format!("{:#06x}", a.digest),
                format!("{:#06x}", b.digest),
            );
        }
        if a.cycles != b.cycles {
            return at(
                "busy cycles after the tick",
                0,
                a.cycles.to_string(),
                b.cycles.to_string(),
            );
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(tick: u32, cycles: u64, digest: u16, neurons: &[u16]) -> TickOutput {
        TickOutput {
            tick,
            cycles,
            digest,
            neurons: neurons.to_vec(),
        }
    }

    #[test]
    fn tick_outputs_are_compared_spikes_then_digest_then_cycles() {
        let model = [out(0, 100, 7, &[1, 4]), out(1, 230, 9, &[2])];
        assert_eq!(first_tick_divergence(&model, &model, 0), None);
        let d = first_tick_divergence(&[model[0].clone(), out(1, 231, 8, &[2, 3])], &model, 0).unwrap();
        assert_eq!((d.tick, d.cycle, d.index, d.field), (1, 100, 3, "spike"));
        assert_eq!(
            (d.left.as_str(), d.right.as_str()),
            ("spike(tick 1, neuron 3)", "no spike")
        );
        let d = first_tick_divergence(&[model[0].clone(), out(1, 231, 8, &[2])], &model, 0).unwrap();
        assert_eq!(
            (d.field, d.left.as_str(), d.right.as_str()),
            (DIGEST_FIELD, "0x0008", "0x0009")
        );
        let d = first_tick_divergence(&[model[0].clone(), out(1, 231, 9, &[2])], &model, 0).unwrap();
        assert_eq!((d.tick, d.left.as_str(), d.right.as_str()), (1, "231", "230"));
        let d = first_tick_divergence(&model[..1], &model, 0).unwrap();
        assert_eq!((d.tick, d.field), (1, "tick"));
        // Ticks before `from` were compared before.
        let d = first_tick_divergence(&[out(0, 1, 1, &[]), model[1].clone()], &model, 1);
        assert_eq!(d, None);
    }
}
