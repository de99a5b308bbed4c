//! Network files: valid files load as written; every malformed file gets an
//! error naming the section, the field and the reason.

use std::path::Path;

use spikefab_sim::config::{self, ConfigError};
use spikefab_sim::snapshot::{self, Kind, SnapshotError};

const BASE: &str = r#"
[simulation]
ticks = 10

[[population]]
name = "n"
size = 4

[[input]]
name = "in"
size = 2
spikes = [[0, 1]]
"#;

fn with(extra: &str) -> String {
    format!("{BASE}\n{extra}")
}

fn err(text: &str) -> String {
    config::parse_toml(text, None).unwrap_err().to_string()
}

#[test]
fn examples_load() {
    for name in ["va_cuba.toml", "stdp_homeostasis.toml"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples").join(name);
        let model = config::load(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(model.network.num_synapses() > 0);
    }
}

#[test]
fn connection_rules_build_what_they_say() {
    let m = config::parse_toml(
        &with(
            r#"
[[population]]
name = "m"
size = 10

[[projection]]
from = "n"
to = "n"
connect = { rule = "all_to_all" }
weight = 1

[[projection]]
from = "in"
to = "m"
connect = { rule = "fixed_indegree", k = 2, allow_multapses = false }
weight = { uniform = [-5, 5], seed = 1 }
delay = { uniform = [1, 3], seed = 2 }

[[projection]]
from = "m"
to = "m"
connect = { rule = "fixed_outdegree", k = 9, allow_multapses = false }
weight = 2

[[projection]]
from = "n"
to = "m"
connect = { rule = "list", synapses = [[0, 1], [3, 9, -7], [2, 2, 5, 4]] }
weight = 3
"#,
        ),
        None,
    )
    .unwrap();
    let net = &m.network;
    // all_to_all without autapses: 4 * 3; in-degree 2 of 2 inputs onto 10;
    // out-degree 9 of 10 without autapses or multapses: every other neuron; 3 listed.
    assert_eq!(net.num_synapses(), 12 + 20 + 90 + 3);
    let m0 = net.population("m").unwrap().first;
    let n3 = spikefab_sim::Source::Neuron(3);
    let listed: Vec<_> = net
        .synapses_of(n3)
        .map(|(_, s)| (s.target, s.weight, s.delay))
        .collect();
    // Neuron 3's synapses: to n0, n1, n2 (weight 1), and m9 with weight -7.
    assert_eq!(listed, [(0, 1, 1), (1, 1, 1), (2, 1, 1), (m0 + 9, -7, 1)]);
    for k in 0..10 {
        let targets: Vec<u32> = net
            .synapses_of(spikefab_sim::Source::Neuron(m0 + k))
            .map(|(_, s)| s.target - m0)
            .collect();
        let mut want: Vec<u32> = (0..10).filter(|&x| x != k).collect();
        want.sort();
        let mut got = targets.clone();
        got.sort();
        assert_eq!(
            got, want,
            "fixed_outdegree 9 of 10 without autapses is every other neuron"
        );
    }
}

#[test]
fn fixed_probability_is_near_p_and_seeded() {
    let text = |seed: u64| {
        format!(
            r#"
[[population]]
name = "a"
size = 300
[[projection]]
from = "a"
to = "a"
connect = {{ rule = "fixed_probability", p = 0.1, seed = {seed} }}
weight = 1
"#
        )
    };
    let a = config::parse_toml(&text(1), None).unwrap().network;
    let b = config::parse_toml(&text(1), None).unwrap().network;
    let c = config::parse_toml(&text(2), None).unwrap().network;
    assert_eq!(a, b);
    assert!(a.synapses().targets().ne(c.synapses().targets()));
    let expected = 0.1 * 300.0 * 299.0;
    let got = a.num_synapses() as f64;
    // Binomial sd is ~50; allow 5 sd.
    assert!((got - expected).abs() < 250.0, "{got} synapses, expected ~{expected}");
}

#[test]
fn json_loads_like_toml() {
    let json = r#"{
        "population": [{"name": "n", "size": 2, "neuron": {"threshold": 5}}],
        "input": [{"name": "in", "size": 1, "spikes": [[0, 0]]}],
        "projection": [{"from": "in", "to": "n", "connect": {"rule": "all_to_all"}, "weight": 9}]
    }"#;
    let m = config::parse_json(json, None).unwrap();
    assert_eq!(m.network.num_synapses(), 2);
    assert_eq!(m.network.profiles()[0].theta_base, 5);
}

#[test]
fn errors_name_the_field() {
    let cases: &[(&str, &str)] = &[
        (
            r#"
[[projection]]
from = "in"
to = "n"
connect = { rule = "all_to_all" }
weight = 1
delay = 0
"#,
            "projection[0] (in -> n).delay: 0 is out of range 1..=255",
        ),
        (
            r#"
[[projection]]
from = "in"
to = "n"
connect = { rule = "all_to_all" }
weight = 300
"#,
            "projection[0] (in -> n).weight: 300 is out of range -128..=127",
        ),
        (
            r#"
[[projection]]
from = "in"
to = "nope"
connect = { rule = "all_to_all" }
weight = 1
"#,
            "projection[0] (in -> nope).to: unknown population \"nope\" (known: in, n)",
        ),
        (
            r#"
[[projection]]
from = "n"
to = "in"
connect = { rule = "all_to_all" }
weight = 1
"#,
            "projection[0] (n -> in).to: \"in\" is an input; projections end on neuron populations",
        ),
        (
            r#"
[[projection]]
from = "in"
to = "n"
connect = { rule = "all_to_all" }
weight = 1
plastic = true
"#,
            "projection[0] (in -> n).plastic: plastic = true needs a [learning] rule",
        ),
        (
            r#"
[[projection]]
from = "in"
to = "n"
connect = { rule = "all_to_all" }
weight = { uniform = [5, 2] }
"#,
            "projection[0] (in -> n).weight: uniform range [5, 2] is empty",
        ),
        (
            r#"
[[projection]]
from = "in"
to = "n"
connect = { rule = "fixed_probability", p = 1.5 }
weight = 1
"#,
            "projection[0] (in -> n).connect.p: 1.5 is out of range 0..=1",
        ),
        (
            r#"
[[projection]]
from = "in"
to = "n"
connect = { rule = "list", synapses = [[0, 1], [1, 4]] }
weight = 1
"#,
            "projection[0] (in -> n).connect.synapses[1]: index 4 is out of range 0..4",
        ),
        (
            r#"
[[projection]]
from = "in"
to = "n"
connect = { rule = "list", synapses = [[0, 1, 2, 0]] }
weight = 1
"#,
            "projection[0] (in -> n).connect.synapses[0].delay: 0 is out of range 1..=255",
        ),
        (
            r#"
[[projection]]
from = "n"
to = "n"
connect = { rule = "fixed_indegree", k = 4, allow_multapses = false }
weight = 1
"#,
            "projection[0] (n -> n).connect.k: 4 is out of range 0..=3",
        ),
        (
            r#"
[learning]
w_min = 10
w_max = 5
"#,
            "learning.w_min: w_min = 10 is above w_max = 5",
        ),
        (
            r#"
[learning]
lr_shift = 16
"#,
            "learning.lr_shift: 16 is out of range 0..=15",
        ),
        (
            r#"
[[record.probe]]
population = "n"
vars = ["voltage"]
"#,
            "record.probe[0].vars: unknown variable \"voltage\" (one of u, v, theta, refractory, x_pre, x_post)",
        ),
    ];
    for (extra, want) in cases {
        assert_eq!(&err(&with(extra)), want);
    }
    // Errors inside populations and inputs.
    let pop = |neuron: &str| format!("[[population]]\nname = \"p\"\nsize = 3\nneuron = {{ {neuron} }}\n");
    assert_eq!(
        err(&pop("dv = 5000")),
        "population[0] (p).neuron.dv: 5000 is out of range 0..=4096"
    );
    assert_eq!(
        err(&pop("bias = -40000")),
        "population[0] (p).neuron.bias: -40000 is out of range -32767..=32767"
    );
    assert_eq!(
        err("[[population]]\nname = \"p\"\nsize = 0\n"),
        "population[0] (p).size: 0 is out of range 1..=2147483647"
    );
    let one = "[[population]]\nname = \"p\"\nsize = 1\n";
    assert_eq!(
        err(&format!("{one}[[input]]\nname = \"i\"\nsize = 2\nspikes = [[0, 2]]\n")),
        "input[0] (i).spikes[0]: index 2 is out of range 0..2"
    );
    assert_eq!(
        err(&format!(
            "{one}[[input]]\nname = \"i\"\nsize = 2\nspikes = [[3, 1], [3, 1]]\n"
        )),
        "input[0] (i).spikes: index 1 spikes twice at tick 3 (poisson, spikes and file are merged)"
    );
    assert_eq!(
        err(&with("[[population]]\nname = \"n\"\nsize = 1\n")),
        "population[1] (n).name: \"n\" is already used by another population or input"
    );
}

#[test]
fn syntax_and_schema_errors_point_at_the_line() {
    // A misspelt field is refused, with its line.
    let e = err(&with(
        "[[projection]]\nfrom = \"in\"\nto = \"n\"\nconnect = { rule = \"all_to_all\" }\nwieght = 1\n",
    ));
    assert!(e.contains("unknown field `wieght`"), "{e}");
    assert!(e.contains("line 18"), "{e}");
    // An unknown connection rule.
    let e = err(&with(
        "[[projection]]\nfrom = \"in\"\nto = \"n\"\nconnect = { rule = \"some\" }\nweight = 1\n",
    ));
    assert!(e.contains("unknown variant `some`"), "{e}");
    // A weight of the wrong type.
    let e = err(&with(
        "[[projection]]\nfrom = \"in\"\nto = \"n\"\nconnect = { rule = \"all_to_all\" }\nweight = \"heavy\"\n",
    ));
    assert!(e.contains("an integer or { uniform = [lo, hi], seed = N }"), "{e}");
    // JSON errors carry the path of the field.
    let e = config::parse_json(r#"{"population": [{"name": "n", "size": "big"}]}"#, None)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("<string>:1:"), "{e}");
    assert!(e.contains("population[0].size"), "{e}");
}

/// Every mistake of a file is reported (up to 20), each with its section,
/// field and reason; a file with no population is refused.
#[test]
fn every_error_of_a_file_is_reported() {
    let text = r#"
[learning]
pre_decay = 5000

[[population]]
name = "a"
size = 0

[[population]]
name = "b"
size = 4
neuron = { dv = 9000 }

[[population]]
name = "c"
size = 4

[[projection]]
from = "a"
to = "c"
connect = { rule = "all_to_all" }
weight = 1

[[projection]]
from = "c"
to = "nowhere"
connect = { rule = "all_to_all" }
weight = 1

[[projection]]
from = "c"
to = "c"
connect = { rule = "all_to_all" }
weight = 300
"#;
    assert_eq!(
        err(text),
        "5 problems:\n  \
         - learning.pre_decay: 5000 is out of range 0..=4096\n  \
         - population[0] (a).size: 0 is out of range 1..=2147483647\n  \
         - population[1] (b).neuron.dv: 9000 is out of range 0..=4096\n  \
         - projection[1] (c -> nowhere).to: unknown population \"nowhere\" (known: c)\n  \
         - projection[2] (c -> c).weight: 300 is out of range -128..=127"
    );
    let many: String = (0..30)
        .map(|i| format!("[[population]]\nname = \"p{i}\"\nsize = -1\n"))
        .collect();
    let e = err(&many);
    assert!(e.starts_with("30 problems:\n  - population[0] (p0).size: "), "{e}");
    assert!(e.ends_with("\n  - and 10 more"), "{e}");
    assert_eq!(e.lines().count(), 22, "{e}");
    assert_eq!(
        err("[simulation]\nticks = 10\n"),
        "network.population: no [[population]]: a network needs at least one population of neurons"
    );
}

#[test]
fn input_files_are_read_and_bad_rows_named() {
    let tmp = tempfile::Builder::new().prefix("spikefab-inputs-").tempdir().unwrap();
    let dir = tmp.path();
    let net = dir.join("net.toml");
    std::fs::write(
        &net,
        "[[population]]\nname = \"n\"\nsize = 1\n[[input]]\nname = \"i\"\nsize = 3\nfile = \"spikes.csv\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("spikes.csv"), "tick,index\n# comment\n0,2\n5, 1\n").unwrap();
    let m = config::load(&net).unwrap();
    let got: Vec<(u32, u32)> = m.network.inputs().iter().map(|s| (s.tick, s.axon)).collect();
    assert_eq!(got, [(0, 2), (5, 1)]);

    std::fs::write(dir.join("spikes.csv"), "0,2\n1,x\n").unwrap();
    let e = config::load(&net).unwrap_err();
    assert!(matches!(e, ConfigError::InputFile { line: 2, .. }), "{e}");
    assert!(
        e.to_string()
            .ends_with("spikes.csv:2: axon `x` is not a whole number from 0 to 4294967295"),
        "{e}"
    );
    std::fs::write(dir.join("spikes.csv"), "0,7\n").unwrap();
    let e = config::load(&net).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "input[0] (i).file: {}: axon 7 at tick 0 is out of range 0..3",
            dir.join("spikes.csv").display()
        )
    );
    // A missing file: the section, the path and the OS error, once each.
    std::fs::remove_file(dir.join("spikes.csv")).unwrap();
    let e = config::load(&net).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "input[0] (i).file: cannot read {}: No such file or directory (os error 2)",
            dir.join("spikes.csv").display()
        )
    );
    std::fs::remove_dir_all(dir).unwrap();
    assert!(matches!(
        config::load(&dir.join("none.toml")),
        Err(ConfigError::Read { .. })
    ));
    assert!(matches!(
        config::load(Path::new("x.yaml")),
        Err(ConfigError::Read { .. } | ConfigError::Extension(_))
    ));
}

#[test]
fn snapshots_round_trip_and_refuse_damage() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/stdp_homeostasis.toml");
    let model = config::load(&path).unwrap();
    let bytes = snapshot::encode(Kind::Network, &model);
    let back: config::Model = snapshot::decode(Kind::Network, &bytes, Path::new("m.bin")).unwrap();
    assert_eq!(back, model);
    // One rank's share of the same snapshot: the whole network's counts, the
    // synapses onto its targets.
    let stored: config::StoredModel = snapshot::decode(Kind::Network, &bytes, Path::new("m.bin")).unwrap();
    let half = |n: u32| 0..n / 2;
    let share = stored.into_model(Some(&half)).unwrap();
    let (whole, part) = (&model.network, &share.network);
    assert_eq!(
        part.share().map(|s| s.targets.clone()),
        Some(0..whole.num_neurons() / 2)
    );
    assert_eq!(
        (part.num_synapses(), part.num_plastic()),
        (whole.num_synapses(), whole.num_plastic())
    );
    assert!(part.synapses().len() < whole.synapses().len());
    for s in 0..whole.num_sources() {
        let src = whole.source_of(s);
        let onto = |x: &spikefab_sim::SynapseSpec| x.target < whole.num_neurons() / 2;
        let want: Vec<_> = whole.synapses_of(src).map(|(_, x)| x).filter(onto).collect();
        let got: Vec<_> = part.synapses_of(src).map(|(_, x)| x).collect();
        assert_eq!(got, want, "source {s}");
    }
    assert_eq!(share.run, model.run);
    // Bytes per synapse of the snapshot stay compact (varint encoding).
    assert!((bytes.len() as f64) < 16.0 * model.network.num_synapses() as f64 + 40_000.0);

    let p = Path::new("m.bin");
    let e = snapshot::decode::<config::Model>(Kind::Network, &bytes[..bytes.len() / 2], p).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("m.bin: truncated: the header says the payload has "),
        "{e}"
    );
    let e = snapshot::decode::<config::Model>(Kind::Results, &bytes, p).unwrap_err();
    assert_eq!(e.to_string(), "m.bin: snapshot kind 1 where Results (2) was expected");
    let e = snapshot::decode::<config::Model>(Kind::Network, b"not a snapshot", p).unwrap_err();
    assert_eq!(e.to_string(), "m.bin: not a Spikefab snapshot (bad magic)");
    let mut extra = bytes.clone();
    extra.push(0);
    let e = snapshot::decode::<config::Model>(Kind::Network, &extra, p).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("m.bin: damaged: the header says the payload has "),
        "{e}"
    );
    // A few damaged bytes anywhere in the payload: the checksum says so.
    for at in [30, bytes.len() / 3, bytes.len() - 1] {
        let mut bad = bytes.clone();
        bad[at] ^= 0x24;
        let e = snapshot::decode::<config::Model>(Kind::Network, &bad, p).unwrap_err();
        assert!(
            e.to_string().starts_with("m.bin: damaged: the payload's checksum is "),
            "{e}"
        );
    }
    let mut old = bytes.clone();
    old[9] = 1;
    let e = snapshot::decode::<config::Model>(Kind::Network, &old, p).unwrap_err();
    assert_eq!(
        e.to_string(),
        "m.bin: snapshot format version 1 (this build reads 8; save the network again with `spikefab save`)"
    );
}

/// A snapshot made by hand, with a good checksum, goes through the checks a
/// network file gets: the mistake is named, never a panic later.
#[test]
fn hand_made_snapshots_are_checked_like_network_files() {
    use serde::Serialize;
    use spikefab_sim::network::{InputSpike, NetworkRecord as Record, Population, PopulationKind};
    use spikefab_sim::NeuronParams;

    #[derive(Serialize)]
    struct Model {
        network: Record,
        run: config::RunSpec,
    }
    let good = Record {
        profiles: vec![NeuronParams::default()],
        neuron_profile: vec![0, 0],
        v_init: vec![0, 0],
        num_axons: 1,
        stdp: None,
        rounding: Default::default(),
        // Source 0 (the axon) has two synapses, the neurons none.
        offsets: vec![0, 2, 2, 2],
        target: vec![0, 1],
        weight: vec![5, 6],
        delay: vec![1, 2],
        flags: vec![0, 1],
        inputs: vec![InputSpike { tick: 0, axon: 0 }],
        populations: vec![Population {
            name: "n".into(),
            kind: PopulationKind::Neurons,
            first: 0,
            size: 2,
        }],
    };
    let run = || config::RunSpec {
        ticks: 5,
        record_spikes: true,
        probes: vec![],
        weights: vec![],
    };
    let decode = |r: Record| {
        let bytes = snapshot::encode(Kind::Network, &Model { network: r, run: run() });
        snapshot::decode::<config::Model>(Kind::Network, &bytes, Path::new("h.bin"))
    };
    let net = decode(good.clone()).unwrap().network;
    assert_eq!((net.num_neurons(), net.num_synapses()), (2, 2));

    let cases: Vec<(Record, &str)> = vec![
        (
            Record {
                target: vec![0, 7],
                ..good.clone()
            },
            "synapse 1: target neuron 7 does not exist (2 defined)",
        ),
        (
            Record {
                delay: vec![1, 0],
                ..good.clone()
            },
            "synapse 1: delay = 0 is out of range 1..=255",
        ),
        (
            Record {
                flags: vec![0, 0x40],
                ..good.clone()
            },
            "synapse 1: flags 0x40 have unknown bits",
        ),
        (
            Record {
                flags: vec![0, 0x80],
                ..good.clone()
            },
            "synapse 1: plastic = true needs a [learning] rule",
        ),
        (
            Record {
                offsets: vec![0, 3, 2, 2],
                ..good.clone()
            },
            "synapse offsets that do not run from 0 up to 2",
        ),
        (
            Record {
                offsets: vec![0, 2],
                ..good.clone()
            },
            "2 synapse offsets for 3 sources",
        ),
        (
            Record {
                weight: vec![5],
                ..good.clone()
            },
            "synapse columns of different lengths",
        ),
        (
            Record {
                v_init: vec![0],
                ..good.clone()
            },
            "1 initial membranes for 2 neurons",
        ),
        (
            Record {
                neuron_profile: vec![0, 3],
                ..good.clone()
            },
            "neuron 1: profile 3 does not exist (1 defined)",
        ),
        (
            Record {
                inputs: vec![InputSpike { tick: 0, axon: 4 }],
                ..good.clone()
            },
            "input spike at tick 0: axon 4 does not exist",
        ),
        (
            Record {
                populations: vec![Population {
                    name: "n".into(),
                    kind: PopulationKind::Neurons,
                    first: 1,
                    size: 2,
                }],
                ..good.clone()
            },
            "population n: 1..3 is outside the 2 neurons of the network",
        ),
    ];
    // Found by fuzzing: a probe on a neuron the network does not have.
    let probing = Model {
        network: good.clone(),
        run: config::RunSpec {
            probes: vec![(86, spikefab_sim::record::Var::V)],
            ..run()
        },
    };
    let bytes = snapshot::encode(Kind::Network, &probing);
    let e = snapshot::decode::<config::Model>(Kind::Network, &bytes, Path::new("h.bin")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "h.bin: invalid snapshot: probe of v on neuron 86, which does not exist (2 neurons)"
    );
    let recording = |synapses: Vec<u64>, every: u32| Model {
        network: good.clone(),
        run: config::RunSpec {
            weights: vec![config::WeightRecord { synapses, every }],
            ..run()
        },
    };
    for (model, want) in [
        (
            recording(vec![0, 99], 1),
            "weight recording 0: synapse 99, which does not exist",
        ),
        (recording(vec![0], 0), "weight recording 0: 1 synapses every 0 ticks"),
        (recording(vec![], 5), "weight recording 0: 0 synapses every 5 ticks"),
    ] {
        let bytes = snapshot::encode(Kind::Network, &model);
        let e = snapshot::decode::<config::Model>(Kind::Network, &bytes, Path::new("h.bin")).unwrap_err();
        assert!(
            e.to_string().starts_with(&format!("h.bin: invalid snapshot: {want}")),
            "{e}"
        );
    }
    for (record, want) in cases {
        let e = decode(record).unwrap_err();
        assert!(matches!(e, SnapshotError::Decode { .. }), "{e}");
        assert!(e.to_string().starts_with("h.bin: invalid snapshot: "), "{e}");
        assert!(e.to_string().contains(want), "{e}\nshould say: {want}");
    }
}

#[test]
fn oversized_networks_are_refused_before_building() {
    let pop = |name: &str, size: u64| format!("[[population]]\nname = \"{name}\"\nsize = {size}\n");
    let proj = |connect: &str| format!("[[projection]]\nfrom = \"a\"\nto = \"b\"\nconnect = {connect}\nweight = 1\n");
    let e = err(&(pop("a", 100_000) + &pop("b", 100_000) + &proj("{ rule = \"all_to_all\" }")));
    assert_eq!(
        e,
        "projection[0] (a -> b).connect: makes 10000000000 synapses, 10000000000 in all: more than the 4294967294 a network may have"
    );
    let e = err(&(pop("a", 300_000) + &pop("b", 300_000) + &proj("{ rule = \"fixed_probability\", p = 0.0001 }")));
    assert!(
        e.ends_with(
            "fixed_probability draws once per pair (90000000000 pairs, at most 68719476736); use fixed_indegree"
        ),
        "{e}"
    );
    let e = err("[simulation]\nticks = 4000000000\n[[input]]\nname = \"i\"\nsize = 100\npoisson = { p = 0.1 }\n");
    assert!(e.contains("400000000000 axon-ticks is more than 68719476736"), "{e}");
}

#[test]
fn a_network_larger_than_memory_gets_an_error_not_an_abort() {
    let info = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let available: u64 = info
        .lines()
        .find(|l| l.starts_with("MemAvailable:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .map_or(0, |kib: u64| kib * 1024);
    // 4e9 synapses need about 45 GiB to build and run; only meaningful where less is available.
    if available == 0 || available > 40 << 30 {
        return;
    }
    let text = "[[population]]\nname = \"a\"\nsize = 1000000\n[[projection]]\nfrom = \"a\"\nto = \"a\"\n\
                connect = { rule = \"fixed_indegree\", k = 4000 }\nweight = 1\n";
    let e = err(text);
    assert!(e.contains("which needs about 44.7 GiB to build"), "{e}");
}

/// `--set` and `--seed` (`config::load_with`): a changed file is the file
/// written with the change, checked the same way; no change is `load`.
#[test]
fn settings_change_the_file_before_it_is_read() {
    use config::Setting;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/stdp_homeostasis.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let base = path.parent();
    let set = |s: &[&str]| -> Vec<Setting> { s.iter().map(|x| Setting::parse(x).unwrap()).collect() };
    let load = |s: &[Setting]| config::load_with(&path, s);

    // The same as writing the change into the file.
    let changed = load(&set(&[
        "population.inh.neuron.threshold=310",
        "projection.1.weight=25",
        "learning.a_plus=9",
    ]))
    .unwrap();
    let written = text
        .replace("threshold = 300", "threshold = 310")
        .replace("weight = 30\n", "weight = 25\n")
        .replace("a_plus = 8", "a_plus = 9");
    assert_eq!(changed, config::parse_toml(&written, base).unwrap());
    assert_eq!(load(&[]).unwrap(), config::load(&path).unwrap());
    // --seed redraws every unseeded random choice: the Poisson inputs and
    // the random weights and delays.
    let reseeded = load(&[Setting::seed(7)]).unwrap();
    assert_eq!(
        reseeded,
        config::parse_toml(&text.replace("seed = 42", "seed = 7"), base).unwrap()
    );
    assert_ne!(reseeded.network.inputs(), config::load(&path).unwrap().network.inputs());

    // Checked as the file is.
    let err = |s: &[&str]| load(&set(s)).unwrap_err().to_string();
    assert_eq!(
        err(&["projection.1.delay=0"]),
        "projection[1] (exc -> inh).delay: 0 is out of range 1..=255"
    );
    assert_eq!(
        err(&["population.exc.neuron.treshold=3"]),
        format!(
            "{} (with --set): population[0].neuron.treshold: unknown field `treshold`, expected one of `du`, `dv`, \
             `bias`, `v_reset`, `threshold`, `theta_inc`, `theta_decay`, `refractory`, `u_shift`",
            path.display()
        )
    );
    assert_eq!(
        err(&["population.exd.size=3"]),
        "--set population.exd.size=3: `population` has no element `exd`; its elements: 0 (exc), 1 (inh)"
    );
}

/// `[[record.weights]]` names synapses by their populations and indices;
/// the simulator samples their weights every `every` ticks.
#[test]
fn recorded_weights_are_the_named_synapses_sampled() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/stdp_homeostasis.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let with_record = |record: &str| format!("{text}\n{record}\n");
    let model = config::parse_toml(
        &with_record("[[record.weights]]\nfrom = \"in\"\nto = \"exc\"\npre = [0, 3]\npost = [1]\nevery = 25"),
        path.parent(),
    )
    .unwrap();
    let net = &model.network;
    let w = &model.run.weights;
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].every, 25);
    // in[0] -> exc[1] and in[3] -> exc[1], in canonical order.
    let syn = net.synapses();
    let exc = net.population("exc").unwrap().first;
    assert_eq!(w[0].synapses.len(), 2);
    for (&s, axon) in w[0].synapses.iter().zip([0u32, 3]) {
        let (lo, hi) = (syn.offsets()[axon as usize], syn.offsets()[axon as usize + 1]);
        assert!(
            (lo..hi).contains(&s) && syn.target(s as usize) == exc + 1,
            "synapse {s}"
        );
    }
    let mut sim = spikefab_sim::Simulator::new(net, spikefab_sim::SimOptions::default()).unwrap();
    sim.add_weight_record(w[0].synapses.clone(), w[0].every).unwrap();
    let mut want = Vec::new();
    for t in 1..=100 {
        sim.step_tick();
        if t % 25 == 0 {
            want.extend(w[0].synapses.iter().map(|&s| sim.weights()[s as usize]));
        }
    }
    let trace = &sim.weight_traces()[0];
    assert_eq!(trace.ticks, vec![25, 50, 75, 100]);
    assert_eq!(trace.values, want);

    let err = |record: &str| {
        config::parse_toml(&with_record(record), path.parent())
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err("[[record.weights]]\nfrom = \"inn\"\nto = \"exc\""),
        "record.weights[0] (inn -> exc).from: unknown population \"inn\""
    );
    assert_eq!(
        err("[[record.weights]]\nfrom = \"exc\"\nto = \"in\""),
        "record.weights[0] (exc -> in).to: inputs have no synapses onto them"
    );
    assert_eq!(
        err("[[record.weights]]\nfrom = \"exc\"\nto = \"exc\""),
        "record.weights[0] (exc -> exc): no synapse joins these neurons"
    );
    assert_eq!(
        err("[[record.weights]]\nfrom = \"in\"\nto = \"exc\"\npost = [32]"),
        "record.weights[0] (in -> exc).post[0]: index 32 is out of range 0..32"
    );
    assert_eq!(
        err("[[record.weights]]\nfrom = \"in\"\nto = \"exc\"\nevery = 0"),
        "record.weights[0] (in -> exc).every: 0 is out of range 1..=4294967295"
    );
}
