//! The event-driven engine against the reference stepper on random networks:
//! identical spikes (tick, neuron, cycle) and identical final state, with
//! quiescence skipping on and off. Every feature is switched on and off by the
//! generator: delays, STDP, homeostasis, refractory periods, saturation.
//!
//! `SPIKEFAB_EQUIV_CASES` sets the number of networks (default 2000; the slow
//! tier runs more).

mod reference;

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

use reference::generate::{build, network, SIM_LIMITS};
use spikefab_sim::fixed::STATE_MAX;
use spikefab_sim::record::first_spike_divergence;
use spikefab_sim::{CycleCosts, SimOptions, Simulator, SpikeEvent};

fn cases() -> u32 {
    std::env::var("SPIKEFAB_EQUIV_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000)
}

proptest! {
    #![proptest_config(Config {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..Config::default()
    })]

    #[test]
    fn engine_matches_reference((r, ticks) in network(SIM_LIMITS)) {
        let net = build(&r);
        let costs = CycleCosts::CORE_V1;
        let core = net.core_shape();
        let (spikes, want_state) = reference::run(&r, ticks, &costs, &core);
        let want_spikes: Vec<SpikeEvent> = spikes
            .iter()
            .map(|&(tick, neuron, cycle)| SpikeEvent { tick, neuron, cycle })
            .collect();
        for skip_quiescent in [true, false] {
            let mut sim = Simulator::new(&net, SimOptions { skip_quiescent, ..SimOptions::default() }).unwrap();
            sim.run(ticks);
            if let Some(d) = first_spike_divergence(sim.spikes(), &want_spikes) {
                prop_assert!(false, "skip_quiescent={skip_quiescent}: engine vs reference: {d}");
            }
            if let Some(d) = sim.state_dump().first_divergence(&want_state) {
                prop_assert!(false, "skip_quiescent={skip_quiescent}: engine vs reference: {d}");
            }
        }
    }
}

/// The generator must actually exercise the model: over a fixed sample of
/// networks, spikes, saturation, plasticity and refractoriness all occur.
#[test]
fn generator_exercises_every_feature() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut spiking, mut saturated, mut learned, mut refractory, mut delayed) = (0, 0, 0, 0, 0);
    for _ in 0..300 {
        let (r, ticks) = network(SIM_LIMITS).new_tree(&mut runner).unwrap().current();
        let (spikes, out) = reference::run(&r, ticks, &CycleCosts::CORE_V1, &build(&r).core_shape());
        spiking += !spikes.is_empty() as u32;
        saturated += out.u.iter().chain(&out.v).any(|&x| x.abs() == STATE_MAX) as u32;
        let initial: Vec<i8> = build(&r).synapses().weight.clone();
        learned += (out.weights != initial) as u32;
        refractory += out.refractory.iter().any(|&x| x > 0) as u32;
        delayed += r.synapses.iter().any(|s| s.delay > 1) as u32;
    }
    for (what, count) in [
        ("spiking", spiking),
        ("saturated", saturated),
        ("learned", learned),
        ("refractory", refractory),
        ("delayed", delayed),
    ] {
        assert!(count >= 20, "only {count} of 300 generated networks were {what}");
    }
}
