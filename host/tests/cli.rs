//! The `spikefab` binary end to end: a verified run on the virtual chip, and
//! clear errors (exit code 1, the problem and where it is named) for bad
//! arguments, bad files, a missing port and a network too big for the chip.

use std::path::PathBuf;
use std::process::{Command, Output};

use crate::nir_files;

fn spikefab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spikefab"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// `spikefab` with `input` on its standard input.
fn spikefab_fed(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    use std::process::Stdio;

    let mut child = Command::new(env!("CARGO_BIN_EXE_spikefab"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A network in physical units: `inspect` prints the quantizer's choices,
/// `quantize` writes the integer file, which runs as the original does.
#[test]
fn physical_units_are_quantized_inspected_and_written_out() {
    let tmp = Scratch::new();
    let cuba = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/va_cuba.toml");
    let o = spikefab(&["inspect", cuba, "--ticks", "20"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.contains("physical units quantized (dt = 1 ms"), "{out}");
    assert!(
        out.contains("  exc: unit 0.000671 mV; du 742 dv 200 u_shift 3 bias 800 threshold 14895"),
        "{out}"
    );
    let ints = tmp.file("va_ints.toml");
    let o = spikefab(&["quantize", cuba, "-o", ints.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.contains("projection[2] (inh -> exc): wexp 7"), "{out}");
    let written = std::fs::read_to_string(&ints).unwrap();
    assert!(
        written.contains("threshold = 14895")
            && written.contains("rounding = \"dither\"")
            && !written.contains("weight_mV"),
        "{written}"
    );
    let digest = |net: &str| {
        let report = tmp.file(&format!("report-{}.json", net.len()));
        let o = spikefab(&["sim", net, "--ticks", "50", "--report", report.to_str().unwrap()]);
        assert!(o.status.success(), "{}", text(&o).1);
        let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
        r["spike_digest"].as_str().unwrap().to_string()
    };
    assert_eq!(digest(cuba), digest(ints.to_str().unwrap()));
    // A file named without a directory, from the directory it is in.
    let here = tmp.file("here.toml");
    std::fs::copy(cuba, &here).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_spikefab"))
        .args(["quantize", "here.toml", "-o", "here_ints.toml"])
        .current_dir(here.parent().unwrap())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o).1);
    // The same integers; only the header line names the file as given.
    let body = |t: &str| t.split_once('\n').unwrap().1.to_string();
    assert_eq!(
        body(&std::fs::read_to_string(tmp.file("here_ints.toml")).unwrap()),
        body(&written)
    );
    let o = spikefab(&["quantize", cuba, "-o", "ints.json"]);
    assert_eq!(text(&o).1.trim(), "error: --out ints.json: the file must end in .toml");
    // Rates in Hz take the file's tick unless --tick-us says otherwise.
    let rates = |extra: &[&str]| {
        let o = spikefab(&[&["sim", cuba, "--ticks", "20"], extra].concat());
        let (out, err) = text(&o);
        assert!(o.status.success(), "{err}");
        out
    };
    assert!(rates(&["--set", "simulation.dt=0.1"]).contains("Hz per neuron (at 100 us/tick)"));
    assert!(rates(&[]).contains("Hz per neuron (at 1000 us/tick)"));
    assert!(rates(&["--tick-us", "500"]).contains("Hz per neuron (at 500 us/tick)"));
}

fn net() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tiny_net.toml").to_string()
}

/// `spikefab import` writes a network that `sim` runs, prints what it
/// chose per layer, and refuses a core the network does not fit; `export`
/// writes it back as NIR.
#[test]
fn a_nir_graph_is_imported_run_and_checked_against_a_core() {
    let tmp = Scratch::new();
    let graph = nir_files::graphs_dir().join("1.0.8/snntorch_like.nir");
    let graph = graph.to_str().unwrap();
    let net = tmp.file("imported.toml");
    let o = spikefab(&["import", graph, "-o", net.to_str().unwrap(), "--core", "up5k"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.contains("dt = 0.001 s (from r = tau_mem / dt"), "{out}");
    assert!(out.contains("population lif1 (node lif1, 8 neurons)"), "{out}");
    assert!(out.contains("projection lif2 -> lif2: 12 synapses"), "{out}");
    assert!(out.contains("fits the up5k core"), "{out}");
    let written = std::fs::read_to_string(&net).unwrap();
    assert!(written.contains("output populations: lif2"), "{written}");
    let o = spikefab(&["sim", net.to_str().unwrap(), "--ticks", "50"]);
    assert!(o.status.success(), "{}", text(&o).1);
    // Exported back as NIR (the file's dt), and refused without a tick.
    let graph_out = tmp.file("exported.nir");
    let o = spikefab(&["export", net.to_str().unwrap(), "-o", graph_out.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.contains("lif1 (CubaLIF), lif2 (LIF), output (Output)"), "{out}");
    assert!(graph_out.is_file());
    let tiny = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tiny_net.toml");
    let o = spikefab(&["export", tiny, "-o", graph_out.to_str().unwrap()]);
    assert!(
        text(&o).1.contains("has no dt: give the tick with --dt SECONDS"),
        "{}",
        text(&o).1
    );
    let o = spikefab(&["export", tiny, "-o", "graph.toml", "--dt", "0.001"]);
    assert!(
        text(&o).1.contains("a NIR graph's file name ends in .nir"),
        "{}",
        text(&o).1
    );
    // 16 input axons and the bias axon: one more than the tiny core's 16.
    let o = spikefab(&["import", graph, "-o", net.to_str().unwrap(), "--core", "tiny"]);
    let (_, err) = text(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("does not fit the tiny core") && err.contains("17"),
        "{err}"
    );
    let o = spikefab(&["import", graph, "-o", net.to_str().unwrap(), "--dt=-1"]);
    assert!(text(&o).1.contains("--dt: -1 s is not a tick length"), "{}", text(&o).1);
}

/// A fresh folder for one test's files, removed when the test ends.
struct Scratch(tempfile::TempDir);

impl Scratch {
    fn new() -> Self {
        Scratch(tempfile::Builder::new().prefix("spikefab-cli-").tempdir().unwrap())
    }

    /// `name` in the folder.
    fn file(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }
}

/// `verify` writes its spike file, raster and state; the spikes are the
/// golden model's, whose file adds their busy cycles.
#[test]
fn verify_on_the_virtual_chip_writes_its_outputs() {
    let tmp = Scratch::new();
    let (spikes, raster, state) = (tmp.file("s.csv"), tmp.file("r.svg"), tmp.file("state.json"));
    let o = spikefab(&[
        "verify",
        &net(),
        "--virtual",
        "--core",
        "tiny",
        "--ticks",
        "80",
        "--check-every",
        "40",
        "--spikes",
        spikes.to_str().unwrap(),
        "--raster",
        raster.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    assert!(out.contains("VERIFIED: the chip and spikefab-sim agree"), "{out}");
    assert!(out.contains("at ticks 40, 80"), "{out}");
    let csv = std::fs::read_to_string(&spikes).unwrap();
    assert!(
        csv.starts_with("tick,neuron,population,index\n") && csv.lines().count() > 5,
        "{csv}"
    );
    assert!(std::fs::read_to_string(&raster).unwrap().contains("<svg"));
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(json["ticks"], 80);
    // The golden model's spike file names the same spikes, with their cycles.
    let model = tmp.file("model.csv");
    let o = spikefab(&[
        "sim",
        &net(),
        "--core",
        "tiny",
        "--ticks",
        "80",
        "--spikes",
        model.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o).1);
    let model = std::fs::read_to_string(&model).unwrap();
    assert!(model.starts_with("tick,neuron,cycle,population,index\n"), "{model}");
    let key = |l: &str, skip_cycle: bool| {
        let f: Vec<&str> = l.split(',').collect();
        match skip_cycle {
            true => [f[0], f[1], f[3], f[4]].join(","),
            false => l.to_string(),
        }
    };
    let chip_rows: Vec<String> = csv.lines().skip(1).map(|l| key(l, false)).collect();
    let model_rows: Vec<String> = model.lines().skip(1).map(|l| key(l, true)).collect();
    assert_eq!(chip_rows, model_rows, "the chip's spikes are the model's");
}

/// `sim --core C` states real time at the clock of the board that carries C
/// (the ULX3S's 30 MHz for `ecp5`), else at the iCEBreaker's 24 MHz.
#[test]
fn sim_states_real_time_at_the_cores_board_clock() {
    for (extra, clock) in [(&["--core", "ecp5"][..], "at 30 MHz"), (&[][..], "at 24 MHz")] {
        let o = spikefab(&[&["sim", &net(), "--ticks", "5"][..], extra].concat());
        let (out, err) = text(&o);
        assert!(o.status.success(), "{err}");
        assert!(out.contains(clock), "{extra:?}: {out}");
    }
}

#[test]
fn a_spike_snapshot_is_refused_on_a_chip() {
    let tmp = Scratch::new();
    let o = spikefab(&[
        "run",
        &net(),
        "--virtual",
        "--spikes",
        tmp.file("s.bin").to_str().unwrap(),
    ]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(
        err.contains(
            "a .bin spike snapshot holds each spike's busy cycle, which the chip does not send (a STEP's answer \
             carries their digest); write .csv"
        ),
        "{err}"
    );
}

/// `--realtime` paces the virtual chip and reports what it counted: with a
/// tick length far shorter than a tick of the network every tick overruns
/// (and so no STEP is counted late); with a long one none does, and the
/// results are lockstep's.
#[test]
fn realtime_counts_and_reports() {
    let run = |tick_us: &str| {
        let o = spikefab(&[
            "verify",
            &net(),
            "--virtual",
            "--core",
            "tiny",
            "--realtime",
            "--tick-us",
            tick_us,
        ]);
        let (out, err) = text(&o);
        assert!(o.status.success(), "{out}\n{err}");
        assert!(out.contains("VERIFIED"), "{out}");
        (out, err)
    };
    let (out, err) = run("0.5");
    assert!(
        err.contains("real time: a tick every 12 clocks (0.5 µs at 24 MHz)"),
        "{err}"
    );
    assert!(
        out.contains(
            "real time: a tick every 12 clocks (0.5 µs at 24 MHz): 0 STEPs came after their tick was due, 300 ticks \
             ran past their length"
        ),
        "{out}"
    );
    // Whether a STEP comes late depends on how fast the host and the
    // virtual chip's engine take turns; a tick of this network is far
    // shorter than 2,400 clocks, so none overruns.
    let (out, _) = run("100");
    let line = out
        .lines()
        .find(|l| l.contains("real time: a tick every 2400 clocks"))
        .expect(&out);
    assert!(
        line.contains(" STEPs came after their tick was due, 0 ticks ran past their length"),
        "{line}"
    );
}

#[test]
fn a_chip_target_is_required_and_exclusive() {
    let o = spikefab(&["run", &net()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("--port <PORT>"), "{}", text(&o).1);
    let o = spikefab(&["run", &net(), "--virtual", "--port", "/dev/ttyUSB0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("cannot be used with"), "{}", text(&o).1);
}

#[test]
fn errors_name_the_problem_and_where() {
    let tmp = Scratch::new();
    let cases: Vec<(Vec<String>, String)> =
        {
            let bad_csv = tmp.file("bad.csv");
            std::fs::write(&bad_csv, "tick,axon\n0,1\n2,-3\n").unwrap();
            let far_axon = tmp.file("far.csv");
            std::fs::write(&far_axon, "tick,axon\n0,1\n5,99\n").unwrap();
            let not_a_tty = tmp.file("plain-file");
            std::fs::write(&not_a_tty, "").unwrap();
            let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/stdp_homeostasis.toml");
            let long_delay = tmp.file("long_delay.toml");
            std::fs::write(
                &long_delay,
                std::fs::read_to_string(net())
                    .unwrap()
                    .replace("weight = 30\ndelay = 1", "weight = 30\ndelay = 12"),
            )
            .unwrap();
            let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
            vec![
            (
                s(&["sim", &net(), "--inputs", bad_csv.to_str().unwrap()]),
                format!(
                    "error: {}:3: axon `-3` is not a whole number from 0 to 4294967295",
                    bad_csv.display()
                ),
            ),
            (
                s(&["sim", &net(), "--inputs", far_axon.to_str().unwrap()]),
                format!(
                    "error: input spikes of {}: input spike at tick 5: axon 99 does not exist (16 axons)",
                    far_axon.display()
                ),
            ),
            (
                s(&["run", &net(), "--port", "/dev/spikefab-missing"]),
                "error: no serial port /dev/spikefab-missing; `spikefab ports` lists the ports of this machine".into(),
            ),
            (
                s(&["run", &net(), "--port", not_a_tty.to_str().unwrap()]),
                format!("error: cannot open serial port {}", not_a_tty.display()),
            ),
            (
                s(&["verify", example, "--virtual", "--core", "tiny"]),
                "error: the network needs 40 neurons, the tiny core has 16".into(),
            ),
            (
                s(&["sim", "/no/such/net.toml"]),
                "error: cannot read /no/such/net.toml: No such file or directory".into(),
            ),
            (
                s(&["sim", &net(), "--raster", "plot.jpg"]),
                "error: --raster plot.jpg: the file must end in .svg or .png".into(),
            ),
            (
                s(&["sim", &net(), "--ticks", "0"]),
                "error: nothing to run: 0 ticks (give --ticks N, or ticks in the file's [simulation])".into(),
            ),
            (
                s(&["sim", &net(), "--spikes", "/no/such/dir/s.csv"]),
                "error: --spikes /no/such/dir/s.csv: the folder /no/such/dir does not exist".into(),
            ),
            (
                s(&["verify", &net(), "--virtual", "--core", "tiny", "--state", "out.txt"]),
                "error: --state out.txt: the file must end in .json".into(),
            ),
            (
                s(&["verify", &net(), "--virtual", "--core", "tiny", "--check-every", "0"]),
                "error: --check-every 0: the state is compared every N ticks, N at least 1".into(),
            ),
            (
                s(&["run", long_delay.to_str().unwrap(), "--virtual", "--core", "tiny"]),
                "error: a synapse from `exc` neuron 1 to `inh` neuron 0 (synapse 114 in canonical order) has a delay \
                 of 12 ticks; the tiny core's delays go up to 8"
                    .into(),
            ),
            (
                s(&["chip", "--flip-rate", "2"]),
                "error: --flip-rate 2 is not a probability (0 to 1)".into(),
            ),
            (
                s(&["run", &net(), "--virtual", "--core", "tiny", "--realtime", "--tick-us", "1000000"]),
                "error: --realtime: a tick of 1000000 µs at 24 MHz is 24000000 clocks; the chip paces 1 to \
                 16777215 clocks per tick (set the tick length or the clock)"
                    .into(),
            ),
        ]
        };
    for (args, want) in cases {
        let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        let o = spikefab(&args);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {out}\n{err}");
        assert!(err.starts_with(&want), "{args:?}: want `{want}`, got `{err}`");
        assert!(!err.contains("panicked"), "{err}");
    }
    // Arguments clap refuses exit with 2, the usage error's code.
    let o = spikefab(&["sim", &net(), "--tick-us", "0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o)
            .1
            .starts_with("error: invalid value '0' for '--tick-us <TICK_US>': `0` is not a positive number"),
        "{}",
        text(&o).1
    );
}

#[test]
fn inspect_reports_fit_and_cycles() {
    let o = spikefab(&[
        "inspect",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/stdp_homeostasis.toml"),
        "--ticks",
        "200",
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.contains("  up5k: fits, "), "{out}");
    assert!(
        out.contains("  tiny: does not fit: the network needs 40 neurons, the tiny core has 16"),
        "{out}"
    );
    assert!(out.contains("from 200 ticks of the golden model"), "{out}");
    assert!(out.contains("  in -> exc: 2048 synapses (2048 plastic)"), "{out}");
}

#[test]
fn flash_prints_its_command_and_names_what_is_missing() {
    let tmp = Scratch::new();
    let o = spikefab(&["flash", "--board", "hx8k", "--dry-run"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    assert!(
        out.starts_with("openFPGALoader -b ice40_generic ") && out.trim_end().ends_with("hx8k.bin"),
        "{out}"
    );
    let o = spikefab(&["flash", "--board", "ulx3s", "--dry-run"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    assert!(
        out.starts_with("openFPGALoader -b ulx3s -f ") && out.trim_end().ends_with("ulx3s.bit"),
        "{out}"
    );

    let o = spikefab(&["flash", "--board", "de10"]);
    let (_, err) = text(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("no board `de10`; the boards are: icebreaker, hx8k, ulx3s"),
        "{err}"
    );

    let o = spikefab(&["flash", "--board", "icebreaker", "--bitstream", &net()]);
    let (_, err) = text(&o);
    assert!(!o.status.success());
    assert!(err.contains("tiny_net.toml: not an iCE40 bitstream"), "{err}");

    // With no flashing tool on PATH, it says which it looked for and how to get them.
    let empty = tmp.file("no-tools");
    std::fs::create_dir_all(&empty).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_spikefab"))
        .args(["flash", "--board", "icebreaker"])
        .env("PATH", &empty)
        .output()
        .unwrap();
    let (_, err) = text(&o);
    assert!(!o.status.success());
    assert!(
        err.contains(
            "no flashing tool for the iCEBreaker (iCE40UP5K-SG48, 12 MHz, FTDI FT2232H) found on PATH \
             (tried openFPGALoader, iceprog); install one: openFPGALoader (apt-get install openfpgaloader) \
             or iceprog (apt-get install fpga-icestorm)"
        ),
        "{err}"
    );
}

/// Both RTL engines serve the virtual chip; the start-up says which runs
/// and how fast; a missing Verilator is named with the way to install it.
#[test]
fn the_virtual_chip_runs_on_either_engine() {
    for engine in ["verilator", "rust-hdl"] {
        let o = spikefab(&[
            "verify",
            &net(),
            "--virtual",
            "--core",
            "tiny",
            "--engine",
            engine,
            "--ticks",
            "30",
        ]);
        let (out, err) = text(&o);
        assert!(o.status.success(), "{engine}: {out}\n{err}");
        assert!(err.contains(&format!("engine {engine}: ")), "{err}");
        assert!(err.contains("core clocks/s"), "{err}");
        assert!(out.contains("VERIFIED"), "{out}");
    }
    let o = spikefab(&["chip", "--engine", "icarus"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).1.contains("[possible values: verilator, rust-hdl]"),
        "{}",
        text(&o).1
    );

    // No Verilator on the PATH.
    let o = Command::new(env!("CARGO_BIN_EXE_spikefab"))
        .args([
            "run",
            &net(),
            "--virtual",
            "--core",
            "tiny",
            "--engine",
            "verilator",
            "--ticks",
            "5",
        ])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(
        err.contains("Verilator not found") && err.contains("make setup") && err.contains("apt-get install verilator"),
        "{err}"
    );
}

/// A link that fails mid-run: the spikes that arrived are written, and the
/// error names the tick reached.
#[test]
fn a_run_cut_short_keeps_its_spikes_and_names_the_tick() {
    let tmp = Scratch::new();
    use spikefab_chip::config::CoreConfig;
    use spikefab_host::faults::{Fault, FaultPlan};
    use spikefab_host::virtual_chip::{ChipOptions, VirtualChip};

    let chip = VirtualChip::start(ChipOptions {
        from_chip: FaultPlan::none().at(3000, Fault::Close),
        ..ChipOptions::new(CoreConfig::TINY)
    })
    .unwrap();
    let spikes = tmp.file("cut.csv");
    let o = spikefab(&[
        "run",
        &net(),
        "--port",
        chip.path().to_str().unwrap(),
        "--ticks",
        "300",
        "--timeout-ms",
        "500",
        "--spikes",
        spikes.to_str().unwrap(),
    ]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(
        err.lines().any(|l| l.starts_with("error: the run stopped at tick ")),
        "{err}"
    );
    assert!(err.contains(&format!("(written to {})", spikes.display())), "{err}");
    let csv = std::fs::read_to_string(&spikes).unwrap();
    assert!(
        csv.starts_with("tick,neuron,population,index\n") && csv.lines().count() > 1,
        "{csv}"
    );
}

#[test]
fn every_core_of_the_registry_is_a_choice() {
    use spikefab_chip::config::CoreConfig;
    for command in ["chip", "run", "verify", "sim"] {
        let o = spikefab(&[command, "--help"]);
        let (out, err) = text(&o);
        assert!(o.status.success(), "{command} --help: {err}");
        for config in CoreConfig::KNOWN {
            assert!(
                out.contains(config.name) && out.contains(&config.summary()),
                "`spikefab {command} --help` does not offer the {} core ({}):\n{out}",
                config.name,
                config.summary()
            );
        }
    }
    let (_, err) = text(&spikefab(&["chip", "--core", "huge"]));
    assert!(
        err.contains("invalid value 'huge'") && err.contains(&CoreConfig::known_names().replace(" and", ",")),
        "{err}"
    );
}

/// `stream`: the network's input spikes fed line by line on standard input
/// (with a tick marker at the end) give, on standard output, exactly the
/// golden model's output spikes; a line out of tick order is named.
#[test]
fn stream_reads_inputs_as_they_come_and_writes_the_models_spikes() {
    use spikefab_chip::config::CoreConfig;

    let ticks = 120;
    let model = spikefab_sim::config::load(std::path::Path::new(&net())).unwrap();
    let mut sim = CoreConfig::TINY.simulator(&model.network).unwrap();
    sim.run(ticks);
    let want: Vec<String> = sim
        .spikes()
        .iter()
        .map(|s| format!("{},{}", s.tick, s.neuron))
        .collect();
    assert!(want.len() > 5, "the network must spike");

    let mut lines = String::from("tick,axon\n");
    for s in model.network.inputs().iter().filter(|s| s.tick < ticks) {
        lines.push_str(&format!("{},{}\n", s.tick, s.axon));
    }
    lines.push_str(&format!("{ticks}\n"));
    let stream = ["stream", &net(), "--virtual", "--core", "tiny"];
    let o = spikefab_fed(&stream, lines.as_bytes());
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    assert_eq!(out.lines().collect::<Vec<_>>(), want, "{err}");
    assert!(err.contains(&format!("streamed {ticks} ticks")), "{err}");

    let o = spikefab_fed(&stream, b"4,1\n# ok\n3,2\n");
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("error: stdin:3: tick 3 after tick 4: input lines must come in tick order"),
        "{err}"
    );
}

/// `stream` is live: the spikes of the ticks whose inputs are closed come out
/// while standard input is still open, before the rest of the input is sent.
#[test]
fn stream_writes_spikes_before_its_input_ends() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;
    use std::time::Duration;

    use spikefab_chip::config::CoreConfig;

    let (first, ticks) = (60, 120);
    let model = spikefab_sim::config::load(std::path::Path::new(&net())).unwrap();
    let mut sim = CoreConfig::TINY.simulator(&model.network).unwrap();
    sim.run(ticks);
    let line = |s: &spikefab_sim::SpikeEvent| format!("{},{}", s.tick, s.neuron);
    let early: Vec<String> = sim.spikes().iter().filter(|s| s.tick < first).map(line).collect();
    let all: Vec<String> = sim.spikes().iter().map(line).collect();
    assert!(
        !early.is_empty() && all.len() > early.len(),
        "the network must spike in both halves"
    );
    let inputs = |range: std::ops::Range<u32>| -> String {
        let mut text: String = model
            .network
            .inputs()
            .iter()
            .filter(|s| range.contains(&s.tick))
            .map(|s| format!("{},{}\n", s.tick, s.axon))
            .collect();
        text.push_str(&format!("{}\n", range.end));
        text
    };

    let mut child = Command::new(env!("CARGO_BIN_EXE_spikefab"))
        .args(["stream", &net(), "--virtual", "--core", "tiny"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines() {
            if tx.send(l.unwrap()).is_err() {
                return;
            }
        }
    });
    stdin.write_all(inputs(0..first).as_bytes()).unwrap();
    stdin.flush().unwrap();
    let mut got = Vec::new();
    while got.len() < early.len() {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(l) => got.push(l),
            Err(e) => panic!(
                "{e}: only {} of the first {first} ticks' spikes came out: {got:?}",
                got.len()
            ),
        }
    }
    assert_eq!(got, early, "the first ticks' spikes, with the input still open");
    stdin.write_all(inputs(first..ticks).as_bytes()).unwrap();
    drop(stdin);
    got.extend(rx.iter());
    assert!(child.wait().unwrap().success());
    assert_eq!(got, all);
}

/// `sim`'s spike and probe files name each neuron's population and its index
/// in it beside the global id; `sim --state` writes the final state.
#[test]
fn sim_outputs_name_populations() {
    let tmp = Scratch::new();
    let (spikes, probes, state) = (
        tmp.file("sim_spikes.csv"),
        tmp.file("sim_probes.csv"),
        tmp.file("sim_state.json"),
    );
    let (rates, weights) = (tmp.file("sim_rates.svg"), tmp.file("sim_weights.svg"));
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/stdp_homeostasis.toml");
    let o = spikefab(&[
        "sim",
        example,
        "--ticks",
        "200",
        "--spikes",
        spikes.to_str().unwrap(),
        "--probes",
        probes.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
        "--rates",
        rates.to_str().unwrap(),
        "--weights",
        weights.to_str().unwrap(),
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    // One command each: the population rates and the weights before and after.
    let svg = std::fs::read_to_string(&rates).unwrap();
    assert!(
        svg.contains("exc (") && svg.contains("inh (") && svg.contains("Hz per neuron"),
        "{svg}"
    );
    let svg = std::fs::read_to_string(&weights).unwrap();
    assert!(svg.contains("before (mean") && svg.contains("after (mean") && svg.contains("plastic synapses"));
    // The final state, as `run --state` writes it.
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(json["ticks"], 200);
    // Every synapse named by its endpoints; the plastic ones learned.
    let weights = json["weights"].as_array().unwrap();
    let first = &weights[0];
    assert_eq!(
        (
            &first["projection"],
            &first["pre"],
            &first["pre_index"],
            &first["post"],
            &first["plastic"]
        ),
        (
            &serde_json::json!("in -> exc"),
            &serde_json::json!("in"),
            &serde_json::json!(0),
            &serde_json::json!("exc"),
            &serde_json::json!(true)
        ),
    );
    let model = spikefab_sim::config::load(std::path::Path::new(example))
        .unwrap()
        .network;
    assert_eq!(weights.len() as u64, model.num_synapses());
    let learned = weights
        .iter()
        .zip(model.synapses().weights())
        .filter(|(w, &w0)| w["weight"] != w0)
        .count();
    assert!(learned > 0, "STDP changed no weight in 200 ticks");
    let populations = json["populations"].as_array().unwrap();
    assert!(
        populations
            .iter()
            .any(|p| p["name"] == "in" && p["kind"] == "inputs" && p["size"] == 64),
        "{populations:?}"
    );
    let csv = std::fs::read_to_string(&spikes).unwrap();
    let mut rows = csv.lines();
    assert_eq!(rows.next(), Some("tick,neuron,cycle,population,index"));
    let mut populations = std::collections::BTreeSet::new();
    for row in rows {
        let f: Vec<&str> = row.split(',').collect();
        assert_eq!(f.len(), 5, "{row}");
        let (neuron, index): (u32, u32) = (f[1].parse().unwrap(), f[4].parse().unwrap());
        assert!(index <= neuron, "{row}");
        populations.insert(f[3].to_string());
    }
    assert!(!populations.is_empty() && !populations.contains(""), "{populations:?}");
    let csv = std::fs::read_to_string(&probes).unwrap();
    let mut rows = csv.lines();
    assert_eq!(rows.next(), Some("tick,neuron,var,value,population,index"));
    // The example probes neurons 0 and 1 of `exc`.
    let probed: std::collections::BTreeSet<(String, String)> = rows
        .map(|r| {
            let f: Vec<&str> = r.split(',').collect();
            (f[4].to_string(), f[5].to_string())
        })
        .collect();
    let want: std::collections::BTreeSet<(String, String)> = [("exc", "0"), ("exc", "1")]
        .map(|(p, i)| (p.to_string(), i.to_string()))
        .into();
    assert_eq!(probed, want);
}

/// `--set` and `--seed` change the network file for one run (a sweep is a
/// shell loop), checked as the file is; a snapshot cannot take them.
#[test]
fn settings_change_one_run() {
    let tmp = Scratch::new();
    let o = spikefab(&[
        "sim",
        &net(),
        "--set",
        "simulation.ticks=7",
        "--seed",
        "3",
        "--set",
        "population.exc.neuron.threshold=250",
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    assert!(out.contains("run 7 ticks in the golden model"), "{out}");
    let o = spikefab(&["sim", &net(), "--set", "population.exc.neuron.threshold=-250"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        err.trim(),
        "error: population[0] (exc).neuron.threshold: -250 is out of range 0..=32767"
    );
    let snapshot = tmp.file("net.bin");
    assert!(spikefab(&["save", &net(), snapshot.to_str().unwrap()]).status.success());
    let o = spikefab(&["sim", snapshot.to_str().unwrap(), "--seed", "2"]);
    let (_, err) = text(&o);
    assert_eq!(
        err.trim(),
        format!(
            "error: settings (--set, --seed) change a .toml or .json network file; {} is a snapshot",
            snapshot.display()
        )
    );
}

/// `[[record.weights]]` (here given with `--set`) and `sim --weight-trace`:
/// the chosen synapses' weights every `every` ticks, named by their ends.
#[test]
fn recorded_weights_are_written_with_their_synapses() {
    let tmp = Scratch::new();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/stdp_homeostasis.toml");
    let record = |out: &PathBuf| {
        spikefab(&[
            "sim",
            example,
            "--ticks",
            "200",
            "--set",
            "record.weights=[{ from = \"in\", to = \"exc\", pre = [0], post = [0, 1], every = 50 }]",
            "--weight-trace",
            out.to_str().unwrap(),
        ])
    };
    let csv = tmp.file("weight_trace.csv");
    let o = record(&csv);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    let written = std::fs::read_to_string(&csv).unwrap();
    let rows: Vec<&str> = written.lines().collect();
    assert_eq!(rows[0], "tick,synapse,projection,pre,pre_index,post,post_index,weight");
    assert_eq!(rows.len(), 1 + 4 * 2, "{written}");
    let ticks: Vec<&str> = rows[1..].iter().map(|r| r.split(',').next().unwrap()).collect();
    assert_eq!(ticks, ["50", "50", "100", "100", "150", "150", "200", "200"]);
    assert!(
        rows[1..].iter().all(|r| r.contains(",in -> exc,in,0,exc,")),
        "{written}"
    );
    // The same as a plot: a line per synapse, named by its ends.
    let svg = tmp.file("weight_trace.svg");
    let o = record(&svg);
    assert!(o.status.success(), "{}", text(&o).1);
    let drawn = std::fs::read_to_string(&svg).unwrap();
    assert!(drawn.contains("in[0] -&gt; exc[0]") && drawn.contains("in[0] -&gt; exc[1]"));
    // Without a recording the option is refused, not silently empty.
    let o = spikefab(&["sim", &net(), "--weight-trace", csv.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o)
            .1
            .contains("the network file records no weights (add [[record.weights]])"),
        "{}",
        text(&o).1
    );
}

/// `spikefab plot` draws saved results: rates and a raster from a spike file
/// or a results snapshot, weight histograms from a state file, traces from a
/// results snapshot; what a kind needs, a wrong file or format is named.
#[test]
fn plot_draws_saved_results() {
    let tmp = Scratch::new();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/stdp_homeostasis.toml");
    let (spikes, state, results) = (
        tmp.file("plot_s.csv"),
        tmp.file("plot_state.json"),
        tmp.file("plot_r.bin"),
    );
    let s = |p: &std::path::PathBuf| p.to_str().unwrap().to_string();
    let o = spikefab(&[
        "sim",
        example,
        "--ticks",
        "200",
        "--spikes",
        &s(&spikes),
        "--state",
        &s(&state),
        "--results",
        &s(&results),
    ]);
    assert!(o.status.success(), "{}", text(&o).1);
    for (kind, from, file, needle) in [
        ("rates", "--spikes", &spikes, "Hz per neuron"),
        ("raster", "--results", &results, "exc ("),
        ("weights", "--state", &state, "before (mean"),
        ("traces", "--results", &results, "exc[0]"),
    ] {
        let out = tmp.file(&format!("plot_{kind}.svg"));
        let o = spikefab(&["plot", example, "--kind", kind, "--out", &s(&out), from, &s(file)]);
        let (stdout, err) = text(&o);
        assert!(o.status.success(), "{kind}: {stdout}\n{err}");
        let svg = std::fs::read_to_string(&out).unwrap();
        assert!(svg.contains(needle), "{kind}: no `{needle}` in the plot");
    }
    let cases = [
        (
            vec![
                "--kind",
                "traces",
                "--out",
                "t.svg",
                "--spikes",
                spikes.to_str().unwrap(),
            ],
            "error: --kind traces needs --results FILE (of `sim --results`)".to_string(),
        ),
        (
            vec![
                "--kind",
                "rates",
                "--out",
                "r.jpg",
                "--spikes",
                spikes.to_str().unwrap(),
            ],
            "error: --out r.jpg: the file must end in .svg or .png".to_string(),
        ),
    ];
    for (args, want) in cases {
        let mut all = vec!["plot", example];
        all.extend(args);
        let o = spikefab(&all);
        assert_eq!(o.status.code(), Some(1));
        assert_eq!(text(&o).1.trim(), want);
    }
    // A state of another network.
    let o = spikefab(&[
        "plot",
        &net(),
        "--kind",
        "weights",
        "--out",
        "w.svg",
        "--state",
        &s(&state),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o)
            .1
            .ends_with("weights; the network has 184 synapses (a state of another network?)\n"),
        "{}",
        text(&o).1
    );
}
