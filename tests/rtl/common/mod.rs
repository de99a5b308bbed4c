//! What the cross-face tests share: running a network on an RTL engine and
//! in the golden model with checkpoints, the number of cases per tier, and
//! networks that fill a core.

#![allow(dead_code)]

pub mod filled;
pub mod limits;

use spikefab_chip::image::Image;
use spikefab_hdl::cosim::Cosim;
use spikefab_host::driver::{block_on, Chip};
use spikefab_host::verify::{verify, Plan, VerifyError};
use spikefab_sim::Network;

/// `default` scaled by `SPIKEFAB_RTL_SCALE` (1 in `make test`; the slow
/// tier, `make test-slow`, runs ten times as many).
pub fn cases(default: u32) -> u32 {
    let scale: u32 = std::env::var("SPIKEFAB_RTL_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    default * scale.max(1)
}

/// Load `net` into the core behind `cosim` and run it for `ticks` ticks
/// beside the golden model of the same core, comparing every STEP's answer
/// (the tick's spiking neurons, busy-cycle counter and digest of the spikes'
/// busy cycles) and, at `checkpoints` evenly spaced ticks (the last one at
/// the end), the full state: u, v, θ, refractory counters, traces,
/// weights, the LFSR, the counters and the delay ring. The first divergence,
/// named, if any.
pub fn check_on(cosim: Cosim, net: &Network, ticks: u32, checkpoints: u32) -> Result<(), String> {
    let config = cosim.config();
    let kind = cosim.kind();
    let image = Image::new(net, config).map_err(|e| format!("does not fit the {} core: {e}", config.name))?;
    let every = ticks.div_ceil(checkpoints.max(1)).max(1);
    let v = block_on(async {
        let mut chip = Chip::connect(cosim).await?;
        chip.load(&image).await.map_err(VerifyError::from)?;
        let plan = Plan { ticks, every };
        verify(&mut chip, net, &image, plan, |_, _| {}).await
    })
    .map_err(|e| format!("{kind} {} core: {e}", config.name))?;
    match v.divergence {
        None => Ok(()),
        Some(d) => Err(format!(
            "{kind} {} core vs sim (checkpoints {:?}): {d}",
            config.name, v.checkpoints
        )),
    }
}
