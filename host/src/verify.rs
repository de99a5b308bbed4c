//! Cycle-exact equivalence of a chip run with the golden model: the network
//! runs on the chip and in `spikefab-sim` (cycle mode, the chip's core
//! configuration) side by side; output spikes are compared in tick, neuron and
//! busy cycle, and the full state is read back and compared field by field at
//! checkpoints and at the end. The first divergence names tick, cycle, neuron
//! (or source or synapse), field and both values.

use std::time::{Duration, Instant};

use spikefab_chip::image::Image;
use spikefab_sim::record::{first_spike_divergence, Divergence};
use spikefab_sim::{Network, SimError, SpikeEvent, StateDump};

use crate::driver::{Chip, ChipError, Transport};

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
    /// The chip's output spikes.
    pub chip_spikes: Vec<SpikeEvent>,
    /// The golden model's.
    pub sim_spikes: Vec<SpikeEvent>,
    /// The chip's state at the last checkpoint.
    pub chip_state: StateDump,
    /// Ticks at which the full state was compared.
    pub checkpoints: Vec<u32>,
    /// The first difference, if any.
    pub divergence: Option<Divergence>,
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

/// Run `net` (loaded on `chip` as `image`) for `ticks` ticks on the chip and
/// in the golden model, comparing spikes after every chunk of `every` ticks and
/// the full state at each of those checkpoints (`every` = `ticks`: at the end
/// only). Stops at the first divergence. `progress` sees ticks and spikes.
pub async fn verify<T: Transport>(
    chip: &mut Chip<T>,
    net: &Network,
    image: &Image,
    ticks: u32,
    every: u32,
    progress: impl FnMut(u32, usize),
) -> Result<Verification, VerifyError> {
    let mut v = Verification::default();
    verify_into(chip, net, image, ticks, every, &mut v, progress).await?;
    Ok(v)
}

/// [`verify`], filling `v` as it goes: when the chip or the link fails, `v`
/// holds the chip's spikes up to the failure and the checkpoints passed.
pub async fn verify_into<T: Transport>(
    chip: &mut Chip<T>,
    net: &Network,
    image: &Image,
    ticks: u32,
    every: u32,
    v: &mut Verification,
    mut progress: impl FnMut(u32, usize),
) -> Result<(), VerifyError> {
    let mut sim = chip.config().simulator(net)?;
    sim.set_record_spikes(true);
    let every = every.max(1);
    while v.ticks < ticks {
        let end = (v.ticks + every).min(ticks);
        let start = Instant::now();
        let before = v.chip_spikes.len();
        let run = chip
            .run_into(net.inputs(), end, &mut v.chip_spikes, |t, n| progress(t, before + n))
            .await;
        v.chip_time += start.elapsed();
        run?;
        let start = Instant::now();
        v.chip_state = chip.dump(net, image).await?;
        v.chip_time += start.elapsed();

        let start = Instant::now();
        sim.run(end - v.ticks);
        let sim_state = sim.state_dump();
        v.sim_time += start.elapsed();
        v.ticks = end;
        v.sim_spikes = sim.spikes().to_vec();
        v.checkpoints.push(end);
        v.divergence =
            first_spike_divergence(&v.chip_spikes, &v.sim_spikes).or_else(|| v.chip_state.first_divergence(&sim_state));
        if v.divergence.is_some() {
            break;
        }
    }
    Ok(())
}
