//! `mpirun -np N spikefab sim NET` (feature `mpi`) writes what one process
//! writes: the same spikes, probes, weight trace, final state and results
//! snapshot, byte for byte, on 2 and 4 ranks, with and without learning and
//! with several threads per rank; commands other than `sim` refuse to run as
//! several ranks. Without an output that names every synapse (`--state`,
//! `--weight-trace`, `--weights`) each rank builds only the synapses onto
//! its own neurons, from a network file or a model snapshot, and says so.

use std::path::Path;
use std::process::Output;

use spikefab_sim::mpi::local_mpirun;

const BIN: &str = env!("CARGO_BIN_EXE_spikefab");

fn example(name: &str) -> String {
    format!("{}/../examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A fresh directory for one run's files, removed when dropped.
fn dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("spikefab-mpi-{name}-"))
        .tempdir()
        .unwrap()
}

/// What a run asks for beyond spikes, results and probes.
#[derive(Clone, Copy, PartialEq)]
enum Asked {
    /// Nothing more: each rank builds its own share of the synapses.
    Shares,
    /// The final state (which names every synapse).
    State,
    /// The final state and the weight trace.
    StateAndWeights,
}

/// The output files `sim` is asked for, in `d`.
fn outputs(d: &Path, asked: Asked) -> Vec<String> {
    let mut args = Vec::new();
    for (flag, file) in [
        ("--spikes", "spikes.csv"),
        ("--state", "state.json"),
        ("--results", "results.bin"),
        ("--probes", "probes.csv"),
        ("--weight-trace", "weights.csv"),
    ] {
        if (flag == "--weight-trace" && asked != Asked::StateAndWeights)
            || (flag == "--state" && asked == Asked::Shares)
        {
            continue;
        }
        args.push(flag.to_string());
        args.push(d.join(file).display().to_string());
    }
    args
}

fn check(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Every file of `one` and `many` has the same bytes.
fn same_files(one: &Path, many: &Path, what: &str) {
    let mut names: Vec<_> = std::fs::read_dir(one)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert!(names.len() >= 3, "{what}: {names:?}");
    for name in names {
        let (a, b) = (std::fs::read(one.join(&name)).unwrap(), std::fs::read(many.join(&name)));
        let b = b.unwrap_or_else(|e| panic!("{what}: {name:?} not written: {e}"));
        assert!(a == b, "{what}: {name:?} differs from one process's");
    }
}

/// `net` (a file named `name`) on ranks against one process.
fn agree(name: &str, net: &str, ticks: &str, asked: Asked) {
    let one_dir = dir(&format!("{name}-one"));
    let one = one_dir.path();
    let mut args = vec!["sim".to_string(), net.to_string(), "--ticks".into(), ticks.into()];
    args.extend(outputs(one, asked));
    let o = std::process::Command::new(BIN).args(&args).output().unwrap();
    check(&o, "one process");
    for (ranks, threads) in [(2, "1"), (4, "1"), (2, "2")] {
        let what = format!("{name} on {ranks} ranks of {threads} threads");
        let many_dir = dir(&format!("{name}-{ranks}-{threads}"));
        let many = many_dir.path();
        let report = many.join("report.json");
        let mut args = vec!["sim".to_string(), net.to_string(), "--ticks".into(), ticks.into()];
        args.extend(outputs(many, asked));
        args.extend([
            "--threads".into(),
            threads.into(),
            "--report".into(),
            report.display().to_string(),
        ]);
        let o = local_mpirun(ranks).arg(BIN).args(&args).output().unwrap();
        check(&o, &what);
        // Rank 0 alone writes and prints.
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(
            out.matches("wrote").count(),
            outputs(many, asked).len() / 2,
            "{what}: {out}"
        );
        let build = match asked {
            Asked::Shares => format!("each of the {ranks} ranks builds the synapses onto its own neurons"),
            _ => format!("each of the {ranks} ranks builds the whole network: --state names every synapse"),
        };
        assert_eq!(out.matches(&build).count(), 1, "{what}: {out}");
        let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
        assert_eq!(report["ranks"], ranks, "{what}");
        std::fs::remove_file(many.join("report.json")).unwrap();
        same_files(one, many, &what);
    }
}

/// The Vogels-Abbott network: no learning, windows of several ticks.
#[test]
fn cuba_on_ranks_writes_what_one_process_writes() {
    agree("cuba", &example("va_cuba.toml"), "300", Asked::State);
    agree("cuba-shares", &example("va_cuba.toml"), "300", Asked::Shares);
    // A model snapshot is built per rank too.
    let snap_dir = dir("cuba-snapshot");
    let snap = snap_dir.path().join("cuba.bin");
    let o = std::process::Command::new(BIN)
        .args(["save", &example("va_cuba.toml"), snap.to_str().unwrap()])
        .output()
        .unwrap();
    check(&o, "spikefab save");
    agree("cuba-snapshot", snap.to_str().unwrap(), "300", Asked::Shares);
}

/// STDP and homeostasis, with the plastic weights recorded: the ranks meet
/// every tick and exchange `x_pre`.
#[test]
fn learning_on_ranks_writes_what_one_process_writes() {
    let net_dir = dir("stdp-net");
    let net = net_dir.path().join("stdp.toml");
    let text = std::fs::read_to_string(example("stdp_homeostasis.toml")).unwrap();
    let record = "\n[[record.weights]]\nfrom = \"in\"\nto = \"exc\"\nevery = 7\n";
    std::fs::write(&net, text + record).unwrap();
    agree("stdp", net.to_str().unwrap(), "400", Asked::StateAndWeights);
    agree("stdp-shares", &example("stdp_homeostasis.toml"), "400", Asked::Shares);
}

/// Only `sim` spreads over ranks: the others say so and fail.
#[test]
fn other_commands_refuse_to_run_as_ranks() {
    let o = local_mpirun(2)
        .args([BIN, "inspect", &example("va_cuba.toml")])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("`spikefab inspect` runs in one process: only `spikefab sim` spreads over MPI ranks (2 started)"),
        "{err}"
    );
}

/// A failure on one rank stops every rank with the error named, instead of
/// leaving the others waiting: rank 0 alone checks the output folder.
#[test]
fn a_bad_output_folder_stops_every_rank() {
    let o = local_mpirun(2)
        .args([BIN, "sim", &example("va_cuba.toml"), "--ticks", "10"])
        .args(["--spikes", "/nonexistent-folder/spikes.csv"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("error (rank 0)"), "{err}");
    assert!(err.contains("/nonexistent-folder"), "{err}");
}
