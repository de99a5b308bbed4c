//! The engine on several threads against itself on one and against the
//! reference stepper: random networks (every feature on and off, the same
//! generator as `equivalence.rs`) give identical spikes with their cycles,
//! probes, weight traces, work counters and final state for 1, 2, 3, 4 and 7
//! threads. Delays are shifted up in some networks so that the parts meet
//! once per window of several ticks, and runs are cut in two with an input
//! scheduled between the halves.
//!
//! `SPIKEFAB_THREAD_CASES` sets the number of networks (default 300; the
//! slow tier runs more).

mod reference;
mod runs;

use proptest::prelude::*;

use reference::generate::{build, build_keeping, cases_from, config, network, SIM_LIMITS};
use runs::{difference, outcome, shifted, Outcome, WIDE};
use spikefab_sim::record::first_spike_divergence;
use spikefab_sim::{Network, SimOptions, Simulator};

fn cases() -> u32 {
    cases_from("SPIKEFAB_THREAD_CASES", 300)
}

const THREADS: [usize; 5] = [1, 2, 3, 4, 7];

/// Run `net` for `ticks` on `threads` threads ([`runs::outcome`]).
fn run(net: &Network, ticks: u32, threads: usize, skip_quiescent: bool) -> Outcome {
    let opts = SimOptions {
        threads,
        skip_quiescent,
        ..SimOptions::default()
    };
    outcome(Simulator::new(net, opts).unwrap(), net, ticks)
}

/// Every thread count gives `one`'s outcome.
fn check_threads(net: &Network, ticks: u32, skip_quiescent: bool) -> Result<(), TestCaseError> {
    let one = run(net, ticks, 1, skip_quiescent);
    for threads in &THREADS[1..] {
        let got = run(net, ticks, *threads, skip_quiescent);
        if let Some(d) = difference(&got, &one) {
            prop_assert!(false, "{threads} threads vs 1: {d}");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(cases()))]

    /// Small networks, parts of a few neurons each; one thread checked
    /// against the reference stepper (without the mid-run input).
    #[test]
    fn threads_agree_on_small_networks((r, ticks) in network(SIM_LIMITS), shift in prop_oneof![Just(0u8), 1u8..=4], skip in any::<bool>()) {
        let r = shifted(r, shift);
        let net = build(&r);
        let (want, want_state) = reference::expected(&r, &net, ticks);
        for threads in THREADS {
            let mut sim = Simulator::new(&net, SimOptions { threads, skip_quiescent: skip, ..SimOptions::default() }).unwrap();
            sim.run(ticks);
            if let Some(d) = first_spike_divergence(sim.spikes(), &want) {
                prop_assert!(false, "{threads} threads vs reference: {d}");
            }
            if let Some(d) = sim.state_dump().first_divergence(&want_state) {
                prop_assert!(false, "{threads} threads vs reference: {d}");
            }
        }
        check_threads(&net, ticks, skip)?;
        // Built as the share of one process that holds every target: the
        // whole rows come from the exchange of shares (of one).
        let all = build_keeping(&r, Some(0..net.num_neurons()));
        if let Some(d) = difference(&run(&all, ticks, 3, skip), &run(&net, ticks, 1, skip)) {
            prop_assert!(false, "a share of every target vs the whole network: {d}");
        }
    }
}

proptest! {
    #![proptest_config(config(cases() / 10))]

    /// Networks of up to 1200 neurons: parts of whole words, block updates.
    #[test]
    fn threads_agree_on_wide_networks((r, ticks) in network(WIDE), shift in prop_oneof![Just(0u8), 1u8..=4]) {
        let net = build(&shifted(r, shift));
        check_threads(&net, ticks, true)?;
    }
}

/// A share of other targets than the process holds is refused, naming both.
#[test]
fn a_share_must_be_the_process_own() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (r, _) = network(WIDE).new_tree(&mut runner).unwrap().current();
    let n = build(&r).num_neurons();
    let half = build_keeping(&r, Some(0..n / 2));
    let err = Simulator::new(&half, SimOptions::default()).err().expect("refused");
    assert!(
        err.to_string().starts_with(&format!(
            "the network holds the synapses onto neurons 0..{}, but this process simulates neurons 0..{n}",
            n / 2
        )),
        "{err}"
    );
    let own = Simulator::rank_targets(n, 2, 1, 2);
    assert_eq!(own.end, n);
    assert!(own.start > 0 && own.start < n);
}

/// The thread count asked for is the one used, up to one per neuron; 0 takes
/// every core.
#[test]
fn thread_counts() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (r, _) = network(WIDE).new_tree(&mut runner).unwrap().current();
    let net = build(&r);
    let n = net.num_neurons() as usize;
    for threads in [1, 2, 7] {
        let sim = Simulator::new(
            &net,
            SimOptions {
                threads,
                ..SimOptions::default()
            },
        )
        .unwrap();
        assert_eq!(sim.threads(), threads.min(n));
    }
    let cores = std::thread::available_parallelism().unwrap().get();
    let sim = Simulator::new(
        &net,
        SimOptions {
            threads: 0,
            ..SimOptions::default()
        },
    )
    .unwrap();
    assert_eq!(sim.threads(), cores.min(n));
}
