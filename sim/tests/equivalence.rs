//! The event-driven engine against the reference stepper on random networks:
//! identical spikes (tick, neuron, cycle) and identical final state, with
//! quiescence skipping on and off. Every feature is switched on and off by the
//! generator: delays, STDP, homeostasis, refractory periods, saturation.
//!
//! `SPIKEFAB_EQUIV_CASES` sets the number of networks (default 2000; the slow
//! tier runs more).

mod reference;

use proptest::prelude::*;

use reference::generate::{build, cases_from, config, network, SIM_LIMITS};
use spikefab_sim::fixed::STATE_MAX;
use spikefab_sim::record::first_spike_divergence;
use spikefab_sim::{CycleCosts, SimOptions, Simulator};

proptest! {
    #![proptest_config(config(cases_from("SPIKEFAB_EQUIV_CASES", 2000)))]

    #[test]
    fn engine_matches_reference((r, ticks) in network(SIM_LIMITS)) {
        let net = build(&r);
        let (want_spikes, want_state) = reference::expected(&r, &net, ticks);
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
        let initial: Vec<i8> = build(&r).synapses().weights().to_vec();
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
