//! The event-driven engine against the reference stepper on random networks:
//! identical spikes (tick, neuron, cycle) and identical final state, with
//! quiescence skipping on and off. Every feature is switched on and off by the
//! generator: delays, STDP, homeostasis, refractory periods, saturation.
//!
//! `SPIKEFAB_EQUIV_CASES` sets the number of networks (default 2000; the slow
//! tier runs more).

mod reference;

use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

use reference::RefNet;
use spikefab_sim::fixed::{STATE_MAX, STATE_MIN};
use spikefab_sim::learning::StdpParams;
use spikefab_sim::network::{NetworkBuilder, Source, SynapseSpec};
use spikefab_sim::record::first_spike_divergence;
use spikefab_sim::{CycleCosts, NeuronParams, SimOptions, Simulator, SpikeEvent};

fn decay() -> impl Strategy<Value = u16> {
    prop_oneof![Just(0u16), Just(4096), 1u16..=700, 0u16..=4096]
}

fn state() -> impl Strategy<Value = i16> {
    prop_oneof![Just(STATE_MIN), Just(STATE_MAX), -1500i16..=1500, STATE_MIN..=STATE_MAX]
}

fn neuron_params(homeostasis: bool, refractory: bool) -> impl Strategy<Value = NeuronParams> {
    (
        decay(),
        decay(),
        prop_oneof![3 => -50i16..=400, 1 => state()],
        prop_oneof![2 => -300i16..=300, 1 => state()],
        prop_oneof![3 => 0i16..=1200, 1 => 0i16..=STATE_MAX, 1 => Just(STATE_MAX)],
        prop_oneof![0i16..=400, Just(STATE_MAX)],
        decay(),
        0u8..=6,
    )
        .prop_map(
            move |(du, dv, bias, v_reset, theta_base, inc, theta_decay, r)| NeuronParams {
                du,
                dv,
                bias,
                v_reset,
                theta_base,
                theta_inc: if homeostasis { inc } else { 0 },
                theta_decay,
                refractory: if refractory { r } else { 0 },
            },
        )
}

fn stdp() -> impl Strategy<Value = StdpParams> {
    (
        0u8..=7,
        0u8..=7,
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        0u8..=15,
        any::<i8>(),
        any::<i8>(),
        1u16..=u16::MAX,
    )
        .prop_map(|(ps, qs, pb, qb, ap, am, lr, a, b, seed)| StdpParams {
            pre_shift: ps,
            post_shift: qs,
            pre_bump: pb,
            post_bump: qb,
            a_plus: ap,
            a_minus: am,
            lr_shift: lr,
            w_min: a.min(b),
            w_max: a.max(b),
            lfsr_seed: seed,
        })
}

fn weight() -> impl Strategy<Value = i8> {
    prop_oneof![3 => -40i8..=100, 1 => Just(i8::MIN), 1 => Just(i8::MAX), 1 => any::<i8>()]
}

prop_compose! {
    fn network()(
        features in (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
        n in 1usize..=32,
        m in 0usize..=8,
        ticks in 1u32..=64,
    )(
        profiles in prop::collection::vec(neuron_params(features.1, features.2), 1..=3),
        rule in if features.0 { stdp().prop_map(Some).boxed() } else { Just(None).boxed() },
        max_delay in if features.3 { (1u8..=9).boxed() } else { Just(1u8).boxed() },
        big_wexp in Just(features.4),
        n in Just(n),
        m in Just(m),
        ticks in Just(ticks),
        profile_pick in prop::collection::vec(any::<prop::sample::Index>(), n),
        v_init in prop::collection::vec(state(), n),
        raw_syn in prop::collection::vec(
            (any::<prop::sample::Index>(), any::<prop::sample::Index>(), weight(), 0u8..=7, any::<prop::sample::Index>(), any::<bool>()),
            0..=160),
        raw_in in prop::collection::vec((0..ticks, any::<prop::sample::Index>()), 0..=60),
    ) -> (RefNet, u32) {
        let synapses = raw_syn
            .into_iter()
            .map(|(src, tgt, weight, wexp, delay, plastic)| {
                let s = src.index(n + m);
                let source = if s < m { Source::Axon(s as u32) } else { Source::Neuron((s - m) as u32) };
                let plastic = plastic && rule.is_some();
                let weight = match (plastic, &rule) {
                    (true, Some(r)) => weight.clamp(r.w_min, r.w_max),
                    _ => weight,
                };
                SynapseSpec {
                    source,
                    target: tgt.index(n) as u32,
                    weight,
                    // Large exponents drive the ring and u into saturation.
                    wexp: if big_wexp { wexp } else { wexp.min(2) },
                    delay: 1 + delay.index(max_delay as usize) as u8,
                    plastic,
                }
            })
            .collect();
        let inputs: BTreeSet<(u32, u32)> = if m == 0 {
            BTreeSet::new()
        } else {
            raw_in.into_iter().map(|(t, a)| (t, a.index(m) as u32)).collect()
        };
        let np = profiles.len();
        (
            RefNet {
                neuron_profile: profile_pick.iter().map(|i| i.index(np)).collect(),
                profiles,
                v_init,
                axons: m,
                stdp: rule,
                synapses,
                inputs: inputs.into_iter().collect(),
            },
            ticks,
        )
    }
}

fn build(r: &RefNet) -> spikefab_sim::Network {
    let mut b = NetworkBuilder::new();
    for p in &r.profiles {
        b.add_profile(*p);
    }
    if let Some(rule) = r.stdp {
        b.set_stdp(rule);
    }
    for (k, &p) in r.neuron_profile.iter().enumerate() {
        let v = r.v_init[k];
        b.add_neurons(p as u16, 1, |_| v);
    }
    b.add_axons(r.axons as u32);
    for s in &r.synapses {
        b.add_synapse(*s);
    }
    for &(t, a) in &r.inputs {
        b.add_input(t, a);
    }
    b.build().expect("generated networks are valid")
}

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
    fn engine_matches_reference((r, ticks) in network()) {
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
        let (r, ticks) = network().new_tree(&mut runner).unwrap().current();
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
