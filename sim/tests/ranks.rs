//! The engine spread over MPI ranks against one process: random networks
//! (the generator of `equivalence.rs`, every feature on and off; delays
//! shifted up in some so that the ranks meet once per window of several
//! ticks) give every rank the same spikes with their cycles, probes, weight
//! traces, counters and final state as one process, on 1, 2 and 4 ranks of
//! 1 or 2 threads each, in two runs with an input scheduled between them.
//! Half the networks are built per rank (each rank holds only the synapses
//! onto its own neurons), half whole on every rank. Ranks that would split
//! a network differently are refused on every rank.
//!
//! Run by `cargo test --features mpi`: this program starts `mpirun` on
//! itself once per rank count (`SPIKEFAB_MPI_RANKS`, default "1 2 4") and
//! fails if any run fails. `SPIKEFAB_RANK_CASES` sets the number of
//! networks (default 1,000; the slow tier runs more).

#[allow(dead_code)]
mod reference;
mod runs;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

use reference::generate::{build, build_keeping, cases_from, network, SIM_LIMITS};
use runs::{difference, outcome, shifted, WIDE};
use spikefab_sim::mpi::{local_mpirun, Mpi};
use spikefab_sim::{SimOptions, Simulator};

/// Set in the ranks' environment by the launcher.
const WORKER: &str = "SPIKEFAB_RANKS_WORKER";

/// The longest one `mpirun` may take before the test calls it hung.
const TIMEOUT: Duration = Duration::from_secs(900);

fn main() -> ExitCode {
    // `cargo test -- --list` and filters: this test has no name to filter on.
    if std::env::args().any(|a| a == "--list") {
        println!("ranks: test");
        return ExitCode::SUCCESS;
    }
    match std::env::var_os(WORKER) {
        Some(_) => worker(),
        None => launcher(),
    }
}

/// Start `mpirun` on this program for each rank count.
fn launcher() -> ExitCode {
    let exe = std::env::current_exe().expect("the test's own path");
    let counts = std::env::var("SPIKEFAB_MPI_RANKS").unwrap_or_else(|_| "1 2 4".into());
    for ranks in counts.split_whitespace() {
        let ranks: usize = ranks.parse().expect("SPIKEFAB_MPI_RANKS: rank counts");
        let start = Instant::now();
        let mut child = match local_mpirun(ranks).arg(&exe).env(WORKER, "1").spawn() {
            Ok(c) => c,
            Err(e) => {
                eprintln!(
                    "cannot start mpirun ({e}): install Open MPI (Debian: apt-get install openmpi-bin libopenmpi-dev)"
                );
                return ExitCode::FAILURE;
            }
        };
        let status = loop {
            if let Some(status) = child.try_wait().expect("mpirun's status") {
                break status;
            }
            if start.elapsed() > TIMEOUT {
                let _ = child.kill();
                eprintln!("{ranks} ranks: no result after {TIMEOUT:?} (a hung collective?)");
                return ExitCode::FAILURE;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        if !status.success() {
            eprintln!("{ranks} ranks: mpirun {status}");
            return ExitCode::FAILURE;
        }
        println!(
            "{ranks} ranks: every network agrees ({:.1} s)",
            start.elapsed().as_secs_f64()
        );
    }
    println!("test result: ok. 1 passed; 0 failed");
    ExitCode::SUCCESS
}

/// One rank: every network spread over the world against one process.
fn worker() -> ExitCode {
    let mpi = Mpi::init().expect("MPI");
    mpi.abort_on_panic();
    let (rank, size) = (mpi.rank(), mpi.size());
    let cases = cases_from("SPIKEFAB_RANK_CASES", 1000);
    // Every rank draws the same networks.
    let mut runner = TestRunner::deterministic();
    if size > 1 {
        ranks_that_disagree_are_refused(&mpi, rank);
    }
    for case in 0..cases {
        let limits = if case % 10 == 9 { WIDE } else { SIM_LIMITS };
        let (r, ticks) = network(limits).new_tree(&mut runner).expect("a network").current();
        let shift = [0u8, 0, 1, 3, 4][case as usize % 5];
        let r = shifted(r, shift);
        let net = build(&r);
        let opts = SimOptions {
            threads: 1 + case as usize % 2,
            skip_quiescent: case % 3 != 0,
            ..SimOptions::default()
        };
        // Half the networks are built per rank: each rank keeps the
        // synapses onto its own neurons only.
        let per_rank = matches!(case % 4, 1 | 2);
        let share = per_rank.then(|| {
            let targets = Simulator::rank_targets(net.num_neurons(), opts.threads, rank, size);
            build_keeping(&r, Some(targets))
        });
        let mine = share.as_ref().unwrap_or(&net);
        let sim = Simulator::with_ranks(mine, opts, Box::new(mpi.ranks())).expect("a simulator");
        assert_eq!(sim.ranks(), size);
        let got = outcome(sim, mine, ticks);
        let want = outcome(
            Simulator::new(&net, SimOptions { threads: 1, ..opts }).unwrap(),
            &net,
            ticks,
        );
        if let Some(d) = difference(&got, &want) {
            panic!(
                "network {case} ({} neurons, {} synapses, {} threads per rank, {}): rank {rank} of {size} against one process: {d}",
                net.num_neurons(),
                net.num_synapses(),
                opts.threads,
                if per_rank { "built per rank" } else { "whole on every rank" }
            );
        }
    }
    if rank == 0 {
        println!("{size} ranks: {cases} networks agree with one process");
    }
    ExitCode::SUCCESS
}

/// Ranks that split a network differently (other thread counts, some built
/// per rank and some whole) are refused on every rank, naming the first
/// difference, instead of hanging or computing garbage.
fn ranks_that_disagree_are_refused(mpi: &Mpi, rank: usize) {
    let mut runner = TestRunner::deterministic();
    let (r, _) = network(WIDE).new_tree(&mut runner).expect("a network").current();
    let net = build(&r);
    let opts = |threads| SimOptions {
        threads,
        ..SimOptions::default()
    };
    let err = Simulator::with_ranks(&net, opts(1 + rank), Box::new(mpi.ranks()))
        .err()
        .expect("threads that differ are refused");
    assert_eq!(
        err.to_string(),
        "rank 1 has 2 threads where rank 0 has 1: every rank must simulate the same network, built the same way, on the same number of threads"
    );
    let targets = Simulator::rank_targets(net.num_neurons(), 1, rank, mpi.size());
    let share = build_keeping(&r, Some(targets));
    let mine = if rank == 0 { &net } else { &share };
    let err = Simulator::with_ranks(mine, opts(1), Box::new(mpi.ranks()))
        .err()
        .expect("a whole network beside shares is refused");
    assert_eq!(
        err.to_string(),
        "rank 1 holds its share of the synapses, rank 0 the whole network: build every rank's network the same way"
    );
}
