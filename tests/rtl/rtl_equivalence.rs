//! The RTL core against the golden model (`docs/spec.md` §6-§8): random
//! networks, every feature switched on and off by the generator (delays,
//! STDP, homeostasis, refractory periods, saturation), loaded into a core
//! through its byte interface with the wire protocol and run in chunks of
//! ticks. Every output spike must match in tick, neuron and busy cycle, and
//! the full state (u, v, θ, refractory counters, traces, weights, LFSR,
//! counters and the delay ring) bit for bit at checkpoints during the run.
//!
//! On the Verilator engine (the emitted Verilog), every core configuration:
//! `tiny`, `hx8k`, the `up5k` core the iCEBreaker bitstream is built from,
//! including networks that fill it (all 256 neurons and axons, more than
//! 60,000 synapses, 2,000-tick runs), and the ULX3S's `ecp5` core with its 16
//! delay slots (filled too). On rust-hdl's own simulator, the reference rung,
//! fewer and smaller networks.
//!
//! `SPIKEFAB_RTL_SCALE` multiplies every count (`make test-slow`: 10).

use crate::{common, reference};

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

use common::filled::{filled_network, filled_spec};
use common::limits::{ECP5_LIMITS, HX8K_LIMITS, TINY_LIMITS, UP5K_LIMITS};
use common::{cases, check_on};
use reference::generate::{build, network};
use spikefab_chip::config::CoreConfig;
use spikefab_hdl::cores::{Hx8kCore, TinyCore};
use spikefab_hdl::cosim::Cosim;
use spikefab_hdl::engine::EngineKind;

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..Config::default()
    }
}

fn verilator(c: CoreConfig) -> Cosim {
    Cosim::open(EngineKind::Verilator, c).expect("the Verilator model builds (make setup installs Verilator)")
}

proptest! {
    #![proptest_config(config(cases(320)))]

    #[test]
    fn tiny_matches_sim_a((r, ticks) in network(TINY_LIMITS)) {
        if let Err(e) = check_on(verilator(CoreConfig::TINY), &build(&r), ticks, 3) {
            prop_assert!(false, "{e}");
        }
    }

    #[test]
    fn tiny_matches_sim_b((r, ticks) in network(TINY_LIMITS)) {
        if let Err(e) = check_on(verilator(CoreConfig::TINY), &build(&r), ticks, 3) {
            prop_assert!(false, "{e}");
        }
    }
}

proptest! {
    #![proptest_config(config(cases(160)))]

    #[test]
    fn hx8k_matches_sim((r, ticks) in network(HX8K_LIMITS)) {
        if let Err(e) = check_on(verilator(CoreConfig::HX8K), &build(&r), ticks, 2) {
            prop_assert!(false, "{e}");
        }
    }

    #[test]
    fn up5k_matches_sim((r, ticks) in network(UP5K_LIMITS)) {
        if let Err(e) = check_on(verilator(CoreConfig::UP5K), &build(&r), ticks, 2) {
            prop_assert!(false, "{e}");
        }
    }
}

proptest! {
    #![proptest_config(config(cases(80)))]

    #[test]
    fn ecp5_matches_sim((r, ticks) in network(ECP5_LIMITS)) {
        if let Err(e) = check_on(verilator(CoreConfig::ECP5), &build(&r), ticks, 2) {
            prop_assert!(false, "{e}");
        }
    }
}

proptest! {
    #![proptest_config(config(cases(24)))]

    /// Filled tiny and HX8K cores, 500 ticks.
    #[test]
    fn filled_small_cores_match_sim(spec in filled_spec(), hx8k in any::<bool>()) {
        let c = if hx8k { CoreConfig::HX8K } else { CoreConfig::TINY };
        let net = filled_network(c, &spec, 500);
        if let Err(e) = check_on(verilator(c), &net, 500, 5) {
            prop_assert!(false, "{spec:?}: {e}");
        }
    }
}

proptest! {
    #![proptest_config(config(cases(8)))]

    /// Filled UP5K cores, 2,000 ticks (the busy-cycle counter's second word
    /// moves), the full state compared every 500.
    #[test]
    fn filled_up5k_matches_sim(spec in filled_spec()) {
        let net = filled_network(CoreConfig::UP5K, &spec, 2000);
        if let Err(e) = check_on(verilator(CoreConfig::UP5K), &net, 2000, 4) {
            prop_assert!(false, "{spec:?}: {e}");
        }
    }
}

proptest! {
    #![proptest_config(config(cases(4)))]

    /// Filled ECP5 cores (delays up to 16), 1,000 ticks.
    #[test]
    fn filled_ecp5_matches_sim(spec in filled_spec()) {
        let net = filled_network(CoreConfig::ECP5, &spec, 1000);
        if let Err(e) = check_on(verilator(CoreConfig::ECP5), &net, 1000, 4) {
            prop_assert!(false, "{spec:?}: {e}");
        }
    }
}

proptest! {
    #![proptest_config(config(cases(40)))]

    /// The reference rung: rust-hdl's simulator of the same cores.
    #[test]
    fn rust_hdl_tiny_matches_sim((r, ticks) in network(TINY_LIMITS)) {
        if let Err(e) = check_on(Cosim::rust_hdl::<TinyCore>(), &build(&r), ticks, 2) {
            prop_assert!(false, "{e}");
        }
    }
}

proptest! {
    #![proptest_config(config(cases(5)))]

    #[test]
    fn rust_hdl_hx8k_matches_sim((r, ticks) in network(HX8K_LIMITS)) {
        if let Err(e) = check_on(Cosim::rust_hdl::<Hx8kCore>(), &build(&r), ticks, 2) {
            prop_assert!(false, "{e}");
        }
    }
}

/// The filled networks must fill: on the UP5K, every neuron and axon, more
/// than 60,000 synapses with runs longer than 127, delays up to D, ticks with
/// more than 255 input spikes, refractory periods past 200; and they must be
/// alive (spikes, learning, saturation) in most draws.
#[test]
fn filled_networks_fill_the_core_and_fire() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use spikefab_sim::fixed::STATE_MAX;
    use spikefab_sim::network::Source;

    let c = CoreConfig::UP5K;
    let mut runner = TestRunner::deterministic();
    let (mut spiking, mut learned, mut saturated, mut long_refractory, mut biggest) = (0, 0, 0, 0, 0u64);
    let draws = 12;
    for _ in 0..draws {
        let spec = filled_spec().new_tree(&mut runner).unwrap().current();
        let net = filled_network(c, &spec, 300);
        assert_eq!((net.num_neurons(), net.num_axons()), (c.neurons(), c.axons()));
        assert_eq!(net.max_delay() as u32, c.delay_slots(), "{spec:?}");
        biggest = biggest.max(net.num_synapses());
        let longest_run = (0..c.axons())
            .map(|a| net.synapses_of(Source::Axon(a)).count())
            .max()
            .unwrap();
        assert!(longest_run > 127, "{spec:?}: longest run {longest_run}");
        let busiest_tick = net
            .inputs()
            .chunk_by(|a, b| a.tick == b.tick)
            .map(|s| s.len())
            .max()
            .unwrap();
        assert_eq!(
            busiest_tick,
            c.axons() as usize,
            "{spec:?}: a tick where every axon spikes"
        );
        long_refractory += net.profiles().iter().any(|p| p.refractory > 200) as u32;
        let mut sim = c.simulator(&net).unwrap();
        sim.run(300);
        let state = sim.state_dump();
        spiking += (sim.spikes().len() > 100) as u32;
        learned += (state.weights != net.synapses().weights()) as u32;
        saturated += state.u.iter().chain(&state.v).any(|&x| x.abs() == STATE_MAX) as u32;
    }
    assert!(
        biggest >= 60_000,
        "the largest filled UP5K network has {biggest} synapses"
    );
    for (what, count, least) in [
        ("spiking (over 100 spikes)", spiking, draws * 2 / 3),
        ("learning", learned, 2),
        ("saturating", saturated, 2),
        ("with refractory periods past 200", long_refractory, 2),
    ] {
        assert!(count >= least, "only {count} of {draws} filled networks were {what}");
    }
}
