//! Each rule of `docs/spec.md` alone, through the whole engine, against values
//! computed by hand; and known behaviour from the literature.

use spikefab_sim::learning::StdpParams;
use spikefab_sim::network::{NetworkBuilder, Source, SynapseSpec};
use spikefab_sim::{NeuronParams, SimOptions, Simulator};

/// A neuron whose membrane equals its input each tick (no memory), threshold `theta`.
fn relay(theta: i16) -> NeuronParams {
    NeuronParams {
        du: 4096,
        dv: 4096,
        bias: 0,
        v_reset: 0,
        theta_base: theta,
        theta_inc: 0,
        theta_decay: 0,
        refractory: 0,
        u_shift: 0,
    }
}

fn syn(source: Source, target: u32, weight: i8, wexp: u8, delay: u8) -> SynapseSpec {
    SynapseSpec {
        source,
        target,
        weight,
        wexp,
        delay,
        plastic: false,
    }
}

#[test]
fn delay_lands_in_the_stated_tick() {
    for delay in [1u8, 2, 7, 16, 255] {
        let mut b = NetworkBuilder::new();
        let p = b.add_profile(relay(50));
        b.add_neurons(p, 1, |_| 0);
        b.add_axons(1);
        b.add_synapse(syn(Source::Axon(0), 0, 60, 0, delay));
        b.add_input(3, 0);
        let net = b.build().unwrap();
        let mut sim = Simulator::new(&net, SimOptions::default()).unwrap();
        sim.run(3 + delay as u32 + 5);
        let ticks: Vec<u32> = sim.spikes().iter().map(|s| s.tick).collect();
        assert_eq!(ticks, [3 + delay as u32], "delay {delay}");
    }
}

#[test]
fn ring_accumulator_saturates_in_routing_order() {
    // Three axons of +16256 then one of -16384, all into the same tick: the
    // ring saturates at 32767 after the second, so the sum is 32767 - 16384 =
    // 16383 (not 32384 as unsaturated arithmetic would give).
    let mut b = NetworkBuilder::new();
    let p = b.add_profile(relay(32767));
    b.add_neurons(p, 1, |_| 0);
    b.add_axons(4);
    for a in 0..3 {
        b.add_synapse(syn(Source::Axon(a), 0, 127, 7, 1));
    }
    b.add_synapse(syn(Source::Axon(3), 0, -128, 7, 1));
    for a in 0..4 {
        b.add_input(0, a);
    }
    let net = b.build().unwrap();
    let mut sim = Simulator::new(&net, SimOptions::default()).unwrap();
    sim.run(2);
    assert_eq!(sim.neuron_state(0).u, 16383);
    assert_eq!(sim.neuron_state(0).v, 16383);
}

/// Pre spike on axon 0 at `t_pre`, a teacher (axon 1) makes neuron 0 fire at
/// `t_post`; returns the plastic weight after both.
fn pair(t_pre: u32, t_post: u32) -> i8 {
    pair_late(t_pre, t_post, 0)
}

/// [`pair`] with the post spike meeting the synapse `post_delay` ticks
/// after it fires.
fn pair_late(t_pre: u32, t_post: u32, post_delay: u8) -> i8 {
    let rule = StdpParams {
        pre_decay: 1024,
        post_decay: 1024,
        pre_bump: 100,
        post_bump: 100,
        a_plus: 1,
        a_minus: 1,
        lr_shift: 0,
        w_min: -128,
        w_max: 127,
        lfsr_seed: 1,
        post_delay,
    };
    let mut b = NetworkBuilder::new();
    b.set_stdp(rule);
    let p = b.add_profile(relay(100));
    b.add_neurons(p, 1, |_| 0);
    b.add_axons(2);
    b.add_synapse(SynapseSpec {
        plastic: true,
        ..syn(Source::Axon(0), 0, 0, 0, 1)
    });
    b.add_synapse(syn(Source::Axon(1), 0, 127, 0, 1));
    b.add_input(t_pre, 0);
    b.add_input(t_post - 1, 1);
    let net = b.build().unwrap();
    let mut sim = Simulator::new(&net, SimOptions::default()).unwrap();
    sim.run(t_pre.max(t_post) + post_delay as u32 + 2);
    let fired: Vec<u32> = sim.spikes().iter().map(|s| s.tick).collect();
    assert_eq!(fired, [t_post]);
    sim.weights()[0]
}

#[test]
fn stdp_pair_at_several_delta_t() {
    // Trace after a bump of 100 and n more ticks, d = 1024 rounded toward
    // zero (x - ceil(x/4)):
    // 100, 75, 56, 42, 31, 23. With a = 1 and lr_shift = 0, Δw = trace.
    let traces = [100i8, 75, 56, 42, 31, 23];
    for (i, &x) in traces.iter().enumerate() {
        let dt = i as u32 + 1;
        // Post dt ticks after pre: potentiation by the pre trace.
        assert_eq!(pair(10, 10 + dt), x, "Δt = +{dt}");
        // Pre dt ticks after post: depression by the post trace.
        assert_eq!(pair(10 + dt, 10), -x, "Δt = -{dt}");
    }
    // Same tick: neither trace has been bumped yet; no change.
    assert_eq!(pair(10, 10), 0, "Δt = 0");
    // Far apart: the trace has decayed to 0 (at most 255 ticks).
    assert_eq!(pair(10, 300), 0);
}

#[test]
fn a_post_delay_moves_the_pairing_window() {
    // The post spike meets the synapse 3 ticks after it fires: a pair is
    // timed from there, so a pre spike 1 or 2 ticks after the post spike
    // comes before it (potentiation) and one 3 ticks after meets it in the
    // same tick (no pair).
    let traces = [100i8, 75, 56, 42, 31, 23];
    for (i, &x) in traces.iter().enumerate() {
        let dt = i as u32 + 1;
        // Post dt ticks before its meeting with the synapse.
        assert_eq!(pair_late(10 + 3 - dt, 10, 3), x, "meets {dt} ticks after the pre spike");
        // Pre dt ticks after the meeting: depression.
        assert_eq!(pair_late(10 + 3 + dt, 10, 3), -x, "pre {dt} ticks after the meeting");
    }
    assert_eq!(pair_late(13, 10, 3), 0, "pre in the tick of the meeting");
}

#[test]
fn refractory_period_holds_the_membrane() {
    // Constant drive that fires every non-refractory tick: period t_ref + 1.
    for t_ref in [0u8, 1, 3, 10] {
        let mut b = NetworkBuilder::new();
        let p = b.add_profile(NeuronParams {
            bias: 500,
            refractory: t_ref,
            ..relay(100)
        });
        b.add_neurons(p, 1, |_| 0);
        let net = b.build().unwrap();
        let mut sim = Simulator::new(&net, SimOptions::default()).unwrap();
        sim.run(50);
        let ticks: Vec<u32> = sim.spikes().iter().map(|s| s.tick).collect();
        let want: Vec<u32> = (0..50).step_by(t_ref as usize + 1).collect();
        assert_eq!(ticks, want, "t_ref {t_ref}");
    }
}

/// Firing rate of a neuron with only a bias against the closed-form rate of
/// the continuous LIF: for membrane time constant τ (in ticks), steady state
/// V∞ = bias / α with α = dv/4096, threshold θ, reset 0 and refractory r,
/// the interval is r + τ ln(V∞ / (V∞ - θ)). Tolerance: 5% of the interval
/// plus one tick (spikes fall on whole ticks; integer decay rounds toward 0).
#[test]
fn single_neuron_rate_matches_closed_form_lif() {
    for (dv, bias, theta, t_ref) in [
        (200u16, 60i16, 1000i16, 0u8),
        (200, 80, 1000, 2),
        (200, 150, 1000, 0),
        (100, 30, 1000, 5),
        (400, 200, 2000, 1),
        (50, 20, 1000, 3),
    ] {
        let alpha = dv as f64 / 4096.0;
        let tau = -1.0 / (1.0 - alpha).ln();
        let v_inf = bias as f64 / alpha;
        let interval = t_ref as f64 + tau * (v_inf / (v_inf - theta as f64)).ln();
        let mut b = NetworkBuilder::new();
        let p = b.add_profile(NeuronParams {
            du: 4096,
            dv,
            bias,
            v_reset: 0,
            theta_base: theta,
            theta_inc: 0,
            theta_decay: 0,
            refractory: t_ref,
            u_shift: 0,
        });
        b.add_neurons(p, 1, |_| 0);
        let net = b.build().unwrap();
        let mut sim = Simulator::new(&net, SimOptions::default()).unwrap();
        sim.run(20_000);
        let s = sim.spikes();
        assert!(s.len() > 10, "dv {dv} bias {bias}: too few spikes");
        let measured = (s[s.len() - 1].tick - s[0].tick) as f64 / (s.len() - 1) as f64;
        let tol = 0.05 * interval + 1.0;
        assert!(
            (measured - interval).abs() <= tol,
            "dv {dv} bias {bias} θ {theta} ref {t_ref}: interval {measured:.2} ticks, closed form {interval:.2} ± {tol:.2}"
        );
    }
}

#[test]
fn quiescent_neurons_are_skipped_and_results_unchanged() {
    let model = spikefab_sim::config::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/stdp_homeostasis.toml"
    )))
    .unwrap();
    let net = &model.network;
    let run = |skip| {
        let mut sim = Simulator::new(
            net,
            SimOptions {
                skip_quiescent: skip,
                ..SimOptions::default()
            },
        )
        .unwrap();
        sim.run(model.run.ticks);
        (sim.spikes().to_vec(), sim.state_dump(), sim.stats())
    };
    let (s1, d1, st1) = run(true);
    let (s2, d2, st2) = run(false);
    assert!(!s1.is_empty());
    assert_eq!(s1, s2);
    assert_eq!(d1, d2);
    assert_eq!(st1.synaptic_events, st2.synaptic_events);
    assert!(st1.neuron_updates <= st2.neuron_updates);
}

#[test]
fn runs_are_deterministic_to_the_byte() {
    let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/va_cuba.toml"));
    let bytes = || {
        let model = spikefab_sim::config::load(path).unwrap();
        let mut sim = Simulator::new(&model.network, SimOptions::default()).unwrap();
        sim.run(200);
        let result = spikefab_sim::snapshot::RunResult {
            core: sim.core(),
            spikes: sim.spikes().to_vec(),
            probes: sim.probes().to_vec(),
            stats: sim.stats(),
            final_state: sim.state_dump(),
        };
        (
            spikefab_sim::snapshot::encode(spikefab_sim::snapshot::Kind::Network, &model),
            spikefab_sim::snapshot::encode(spikefab_sim::snapshot::Kind::Results, &result),
        )
    };
    let a = bytes();
    let b = bytes();
    assert!(a.1.len() > 1000);
    assert_eq!(a, b);
}

#[test]
fn inputs_scheduled_while_running_and_refused_when_wrong() {
    use spikefab_sim::SimError;
    let mut b = NetworkBuilder::new();
    let p = b.add_profile(relay(50));
    b.add_neurons(p, 2, |_| 0);
    b.add_axons(2);
    b.add_synapse(syn(Source::Axon(0), 0, 60, 0, 1));
    b.add_synapse(syn(Source::Axon(1), 1, 60, 0, 2));
    b.add_input(1, 0);
    let net = b.build().unwrap();
    let mut sim = Simulator::new(&net, SimOptions::default()).unwrap();
    sim.run(3);
    // Far in the future, and now.
    sim.schedule_input(1000, 1).unwrap();
    sim.schedule_input(3, 0).unwrap();
    assert_eq!(sim.schedule_input(3, 0), Err(SimError::Duplicate { tick: 3, axon: 0 }));
    assert_eq!(
        sim.schedule_input(2, 0),
        Err(SimError::InPast {
            tick: 2,
            axon: 0,
            now: 3
        })
    );
    assert_eq!(
        sim.schedule_input(5, 2).unwrap_err().to_string(),
        "input spike at tick 5: axon 2 does not exist (2 axons)"
    );
    sim.run(1000);
    let fired: Vec<(u32, u32)> = sim.spikes().iter().map(|s| (s.tick, s.neuron)).collect();
    assert_eq!(fired, [(2, 0), (4, 0), (1002, 1)]);
}

#[test]
fn cycles_follow_the_core_not_the_network() {
    use spikefab_sim::{CoreShape, CycleCosts, SimError};
    let mut b = NetworkBuilder::new();
    let p = b.add_profile(NeuronParams {
        bias: 500,
        ..relay(100)
    });
    b.add_neurons(p, 3, |_| 0);
    let net = b.build().unwrap();
    let chip = CoreShape {
        neurons: 256,
        axons: 256,
        delay_slots: 16,
        synapses: 65536,
    };
    let mut sim = Simulator::new(
        &net,
        SimOptions {
            core: Some(chip),
            ..SimOptions::default()
        },
    )
    .unwrap();
    sim.run(2);
    // Per tick: 2 + 4 + 256 before routing; three spikes without synapses of
    // 3 + 1 (the empty run header) cycles each; 2 at the end.
    let c = CycleCosts::CORE_V1;
    assert_eq!(c.before_routing(&chip), 262);
    let stamps: Vec<u64> = sim.spikes().iter().map(|s| s.cycle).collect();
    assert_eq!(stamps, [262, 266, 270, 276 + 262, 276 + 266, 276 + 270]);
    assert_eq!(sim.cycle(), 2 * 276);
    let small = CoreShape { neurons: 2, ..chip };
    assert_eq!(
        Simulator::new(
            &net,
            SimOptions {
                core: Some(small),
                ..SimOptions::default()
            }
        )
        .err(),
        Some(SimError::CoreTooSmall {
            what: "neurons",
            needed: 3,
            available: 2
        })
    );
}

/// A current of a few units, as short ticks give (dt = 0.1 ms: `du` = 81, an
/// excitatory weight of 12 units): rounded toward zero it loses exactly one
/// unit a tick, so the membrane (no leak, `dv` = 0) collects 12 + 11 + ... + 1 =
/// 78 of the 12 × 4096 / 81 = 606.8 it should; dithered (spec §3.1) it collects
/// that on average. The neurons settle once their currents are 0, and skipping
/// the settled ones changes nothing.
#[test]
fn dithered_decays_keep_a_small_currents_charge() {
    use spikefab_sim::dither::Rounding;
    let n = 64u32;
    let run = |rounding: Rounding, skip: bool| {
        let mut b = NetworkBuilder::new();
        let p = b.add_profile(NeuronParams {
            du: 81,
            dv: 0,
            theta_base: i16::MAX,
            ..relay(0)
        });
        b.add_neurons(p, n, |_| 0);
        b.add_axons(n);
        b.set_rounding(rounding);
        for k in 0..n {
            b.add_synapse(syn(Source::Axon(k), k, 12, 0, 1));
            // Each neuron's spike in a tick of its own: a phase of its own.
            b.add_input(7 * k, k);
        }
        let net = b.build().unwrap();
        let mut sim = Simulator::new(
            &net,
            SimOptions {
                skip_quiescent: skip,
                ..SimOptions::default()
            },
        )
        .unwrap();
        sim.run(7 * n + 4000);
        (sim.state_dump(), sim.stats().neuron_updates)
    };
    let (truncated, _) = run(Rounding::TowardZero, true);
    assert!(truncated.v.iter().all(|&v| v == 78), "{:?}", truncated.v);
    assert!(truncated.u.iter().all(|&u| u == 0));

    let (dithered, updates) = run(Rounding::Dither, true);
    let (eager, all_updates) = run(Rounding::Dither, false);
    assert_eq!(dithered, eager);
    assert!(updates < all_updates / 4, "{updates} of {all_updates} updates");
    assert!(dithered.u.iter().all(|&u| u == 0), "every current has run out");
    let exact = 12.0 * 4096.0 / 81.0;
    let mean = dithered.v.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
    assert!((mean / exact - 1.0).abs() < 0.01, "mean charge {mean} against {exact}");
}

/// A current held `u_shift` bits finer than the membrane (spec §3.3) delivers
/// its charge in the membrane's unit: 64 neurons, each given 96 units of a
/// current with 3 fraction bits (12 units of v) in a tick of its own, collect
/// 12 × 4096 / 81 units of v on average (within 1%), as a 12-unit current in
/// v's unit does dithered; and the neurons settle once their currents are 0.
#[test]
fn a_finer_current_keeps_its_charge() {
    use spikefab_sim::dither::Rounding;
    let n = 64u32;
    let mut b = NetworkBuilder::new();
    let p = b.add_profile(NeuronParams {
        du: 81,
        dv: 0,
        theta_base: i16::MAX,
        u_shift: 3,
        ..relay(0)
    });
    b.add_neurons(p, n, |_| 0);
    b.add_axons(n);
    b.set_rounding(Rounding::Dither);
    for k in 0..n {
        b.add_synapse(syn(Source::Axon(k), k, 96, 0, 1));
        b.add_input(7 * k, k);
    }
    let net = b.build().unwrap();
    let run = |skip: bool| {
        let options = SimOptions {
            skip_quiescent: skip,
            ..SimOptions::default()
        };
        let mut sim = Simulator::new(&net, options).unwrap();
        sim.run(7 * n + 4000);
        sim.state_dump()
    };
    let dump = run(true);
    assert_eq!(dump, run(false));
    assert!(dump.u.iter().all(|&u| u == 0), "every current has run out");
    let exact = 96.0 / 8.0 * 4096.0 / 81.0;
    let mean = dump.v.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
    assert!((mean / exact - 1.0).abs() < 0.01, "mean charge {mean} against {exact}");
}

/// A dithered trace decays exponentially to its last unit: 64 axons, each
/// bumped once to 128 in a tick of its own, with a 16 ms trace at dt = 0.1 ms
/// (`d` = 26, about 158 ticks); the mean area under the traces is within 1%
/// of `128 / (1 - (1 - d/4096))`. Rounded toward zero the same traces lose 1
/// a tick (`x d / 4096` < 1 below 158) and keep about half of it.
#[test]
fn dithered_traces_keep_their_time_constant() {
    use spikefab_sim::dither::Rounding;
    let n = 64u32;
    let d = 26u16;
    let area = |rounding: Rounding| {
        let mut b = NetworkBuilder::new();
        b.set_stdp(StdpParams {
            pre_decay: d,
            post_decay: d,
            pre_bump: 128,
            ..StdpParams::default()
        });
        b.set_rounding(rounding);
        let p = b.add_profile(relay(i16::MAX));
        b.add_neurons(p, 1, |_| 0);
        b.add_axons(n);
        for k in 0..n {
            b.add_input(7 * k, k);
        }
        let net = b.build().unwrap();
        let mut sim = Simulator::new(&net, SimOptions::default()).unwrap();
        let mut sum = 0u64;
        for _ in 0..7 * n + 4000 {
            sim.step_tick();
            sum += sim.state_dump().x_pre[..n as usize]
                .iter()
                .map(|&x| x as u64)
                .sum::<u64>();
        }
        sum as f64 / n as f64
    };
    let exact = 128.0 / (d as f64 / 4096.0);
    let dithered = area(Rounding::Dither);
    assert!(
        (dithered / exact - 1.0).abs() < 0.01,
        "mean area {dithered} against {exact}"
    );
    // 128 + 127 + ... + 1.
    assert_eq!(area(Rounding::TowardZero), 128.0 * 129.0 / 2.0);
}
