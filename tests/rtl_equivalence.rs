//! The RTL core against the golden model (`docs/spec.md` §6-§7): random
//! networks, every feature switched on and off by the generator (delays,
//! STDP, homeostasis, refractory periods, saturation), loaded into the tiny
//! core through its byte interface and run tick by tick. The output spikes
//! must match in tick, neuron and busy cycle, and the final state (u, v, θ,
//! refractory counters, traces, weights, LFSR, counters) bit for bit.
//!
//! The HX8K core (128 neurons, 128 axons, 2,048 synapse words), a
//! different set of address widths, runs a tenth as many larger networks.
//!
//! `SPIKEFAB_RTL_CASES` sets the number of networks per tiny-core test
//! function (two functions, so that the default 2 × 100 run on both CPU
//! cores); the slow tier runs thousands.

#[path = "../sim/tests/reference/mod.rs"]
#[allow(dead_code)]
mod reference;

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

use reference::generate::{build, network, Limits};
use spikefab_hdl::config::CoreConfig;
use spikefab_hdl::core::{Hx8kCore, TinyCore};
use spikefab_hdl::cosim::{ByteCore, Cosim};
use spikefab_hdl::image::Image;
use spikefab_host::driver::{block_on, Chip, ChipError};
use spikefab_sim::record::first_spike_divergence;
use spikefab_sim::Network;

/// Networks that fit the tiny core (16 neurons, 16 axons, D = 8).
const TINY_LIMITS: Limits = Limits {
    neurons: 16,
    axons: 16,
    max_delay: 8,
    synapses: 120,
    ticks: 40,
};

/// Networks that use the HX8K core's wider addresses.
const HX8K_LIMITS: Limits = Limits {
    neurons: 128,
    axons: 128,
    max_delay: 8,
    synapses: 400,
    ticks: 16,
};

fn cases() -> u32 {
    std::env::var("SPIKEFAB_RTL_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100)
}

/// Run `net` for `ticks` on the RTL core `C` and in `sim/`; the first divergence, if any.
fn compare<C: ByteCore>(net: &Network, ticks: u32) -> Result<(), String> {
    let config: CoreConfig = C::config();
    let image = Image::new(net, config).map_err(|e| format!("does not fit: {e}"))?;
    let (spikes, state) = block_on(async {
        let mut chip = Chip::connect(Cosim::<C>::new()).await?;
        chip.load(&image).await?;
        let spikes = chip.run_until(net.inputs(), ticks, |_, _| {}).await?;
        Ok::<_, ChipError>((spikes, chip.dump(net, &image).await?))
    })
    .map_err(|e| format!("chip: {e}"))?;
    let mut sim = config.simulator(net).map_err(|e| e.to_string())?;
    sim.run(ticks);
    if let Some(d) = first_spike_divergence(&spikes, sim.spikes()) {
        return Err(format!("RTL vs sim: {d}"));
    }
    if let Some(d) = state.first_divergence(&sim.state_dump()) {
        return Err(format!("RTL vs sim: {d}"));
    }
    Ok(())
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config(cases()))]

    #[test]
    fn rtl_matches_sim_a((r, ticks) in network(TINY_LIMITS)) {
        let net = build(&r);
        if let Err(e) = compare::<TinyCore>(&net, ticks) {
            prop_assert!(false, "{e}");
        }
    }

    #[test]
    fn rtl_matches_sim_b((r, ticks) in network(TINY_LIMITS)) {
        let net = build(&r);
        if let Err(e) = compare::<TinyCore>(&net, ticks) {
            prop_assert!(false, "{e}");
        }
    }
}

proptest! {
    #![proptest_config(config(cases().div_ceil(10)))]

    #[test]
    fn hx8k_rtl_matches_sim((r, ticks) in network(HX8K_LIMITS)) {
        let net = build(&r);
        if let Err(e) = compare::<Hx8kCore>(&net, ticks) {
            prop_assert!(false, "{e}");
        }
    }
}
