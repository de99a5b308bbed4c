//! Random networks for the equivalence tests (the engine against the
//! reference here, the RTL against the engine in the workspace's `tests/`).

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::RefNet;
use spikefab_sim::dither::Rounding;
use spikefab_sim::fixed::{STATE_MAX, STATE_MIN, U_SHIFT_MAX};
use spikefab_sim::learning::StdpParams;
use spikefab_sim::network::{NetworkBuilder, Source, SynapseSpec};
use spikefab_sim::NeuronParams;

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
        prop_oneof![2 => Just(0u8), 1 => 1u8..=U_SHIFT_MAX],
    )
        .prop_map(
            move |(du, dv, bias, v_reset, theta_base, inc, theta_decay, r, u_shift)| NeuronParams {
                du,
                dv,
                bias,
                v_reset,
                theta_base,
                theta_inc: if homeostasis { inc } else { 0 },
                theta_decay,
                refractory: if refractory { r } else { 0 },
                u_shift,
            },
        )
}

fn stdp() -> impl Strategy<Value = StdpParams> {
    (
        trace_decay(),
        trace_decay(),
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        0u8..=15,
        any::<i8>(),
        any::<i8>(),
        1u16..=u16::MAX,
        prop_oneof![1 => Just(0u8), 2 => 1u8..=spikefab_sim::learning::POST_DELAY_MAX],
    )
        .prop_map(|(ps, qs, pb, qb, ap, am, lr, a, b, seed, post_delay)| StdpParams {
            pre_decay: ps,
            post_decay: qs,
            pre_bump: pb,
            post_bump: qb,
            a_plus: ap,
            a_minus: am,
            lr_shift: lr,
            w_min: a.min(b),
            w_max: a.max(b),
            lfsr_seed: seed,
            post_delay,
        })
}

/// Trace decays: the shift decays of core v1 (`4096 >> k`), the ends, and
/// any.
fn trace_decay() -> impl Strategy<Value = u16> {
    prop_oneof![2 => (0u32..=7).prop_map(|k| 4096 >> k), 1 => Just(0u16), 1 => Just(4096u16), 3 => 0u16..=4096]
}

fn weight() -> impl Strategy<Value = i8> {
    prop_oneof![3 => -40i8..=100, 1 => Just(i8::MIN), 1 => Just(i8::MAX), 1 => any::<i8>()]
}

/// The configuration of a random-network test: `cases` networks, failures
/// saved beside the test's source.
pub fn config(cases: u32) -> proptest::test_runner::Config {
    proptest::test_runner::Config {
        cases,
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::WithSource(
            "regressions",
        ))),
        ..proptest::test_runner::Config::default()
    }
}

/// The number of cases the environment variable `var` asks for, else `default`.
pub fn cases_from(var: &str, default: u32) -> u32 {
    std::env::var(var).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

/// Bounds of the generated networks.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most neurons.
    pub neurons: usize,
    /// Most input axons.
    pub axons: usize,
    /// Largest delay.
    pub max_delay: u8,
    /// Most synapses.
    pub synapses: usize,
    /// Most ticks.
    pub ticks: u32,
}

/// The bounds `sim/`'s own equivalence test uses.
pub const SIM_LIMITS: Limits = Limits {
    neurons: 32,
    axons: 8,
    max_delay: 9,
    synapses: 160,
    ticks: 64,
};

prop_compose! {
    /// A random network with every feature switched on or off, and a number of ticks to run it.
    pub fn network(limits: Limits)(
        features in (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
        n in 1usize..=limits.neurons,
        m in 0usize..=limits.axons,
        ticks in 1u32..=limits.ticks,
    )(
        profiles in prop::collection::vec(neuron_params(features.1, features.2), 1..=3),
        rule in if features.0 { stdp().prop_map(Some).boxed() } else { Just(None).boxed() },
        max_delay in if features.3 { (1u8..=limits.max_delay).boxed() } else { Just(1u8).boxed() },
        big_wexp in Just(features.4),
        dither in Just(features.5),
        n in Just(n),
        m in Just(m),
        ticks in Just(ticks),
        profile_pick in prop::collection::vec(any::<prop::sample::Index>(), n),
        v_init in prop::collection::vec(state(), n),
        raw_syn in prop::collection::vec(
            (any::<prop::sample::Index>(), any::<prop::sample::Index>(), weight(), 0u8..=7, any::<prop::sample::Index>(), any::<bool>()),
            0..=limits.synapses),
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
                rounding: if dither { Rounding::Dither } else { Rounding::TowardZero },
                synapses,
                inputs: inputs.into_iter().collect(),
            },
            ticks,
        )
    }
}

/// The network a [`RefNet`] describes.
pub fn build(r: &RefNet) -> spikefab_sim::Network {
    build_keeping(r, None)
}

/// [`build`], keeping only the synapses onto `keep` when given (one rank's
/// share: `NetworkBuilder::keep_targets`).
pub fn build_keeping(r: &RefNet, keep: Option<std::ops::Range<u32>>) -> spikefab_sim::Network {
    let mut b = NetworkBuilder::new();
    if let Some(k) = keep {
        b.keep_targets(k);
    }
    for p in &r.profiles {
        b.add_profile(*p);
    }
    if let Some(rule) = r.stdp {
        b.set_stdp(rule);
    }
    b.set_rounding(r.rounding);
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
