//! NIR graphs imported as networks: the integers of a small graph worked out
//! by hand, every supported node type, an imported network that spikes as
//! NIR's equations say, every graph the chip cannot run refused with its
//! node and reason, and random graphs that never make the importer panic.
//! The graphs are written by each pinned nir version (`make nir-graphs`).

use std::collections::BTreeMap;

use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use spikefab_host::nir::{self, import, Array, DtFrom, Graph, ImportError, Node, Options};
use spikefab_sim::config::{Connect, NetworkFile};
use spikefab_sim::quantize::Discretization;
use spikefab_sim::{SimOptions, Simulator};

use crate::support;

use crate::nir_files as files;

use files::{cases, graphs_dir};

fn graph(version: &str, name: &str) -> Graph {
    nir::read(&graphs_dir().join(version).join(format!("{name}.nir"))).unwrap_or_else(|e| panic!("{e}"))
}

/// The synapses `[pre, post, weight, delay]` and exponent of the
/// projection `from -> to`.
fn synapses(file: &NetworkFile, from: &str, to: &str) -> (Vec<Vec<i64>>, i64) {
    let p = file
        .projections
        .iter()
        .find(|p| p.from == from && p.to == to)
        .unwrap_or_else(|| panic!("no projection {from} -> {to}"));
    match &p.connect {
        Connect::List { synapses } => (synapses.clone(), p.wexp.unwrap()),
        c => panic!("{c:?}"),
    }
}

/// The feedforward graph of `graphs.py`: Input(4) -> Affine -> CubaLIF(3),
/// tau_syn 5 ms, tau_mem 20 ms, r = 0.5, 1.25, 2, v_threshold 1, v_reset
/// -0.1, v_leak 0, weight (k - 6) / 10 row by row, bias 0.1, -0.2, 0.3. No
/// --dt and r = 1 nowhere but not tau_mem / dt either: dt is the default
/// 1 ms.
///
/// By hand:
/// - Euler decays: du = 4096 × 1/5 = 819.2 → 819, dv = 4096 × 1/20 = 204.8
///   → 205.
/// - Scaled by the threshold distance 1.1: rest (v_leak) and start (v = 0)
///   are both 0.1 / 1.1 = 0.0909 above reset; threshold 1. The range
///   [-1, 2] makes the unit 2 / 32767; the bias is round(0.0909 × 32767/2 ×
///   205/4096) = round(74.54) = 75, and the unit that makes 75 × 4096/205
///   units exactly 0.0909 is 1/16483.9: threshold 16484, start 1498.5 → 1499.
/// - A weight w onto neuron j is w r_j / 1.1 × (819/4096)(205/4096) ×
///   16483.9 = 164.96 w r_j / 1.1 units: the largest, 0.5 × 2 → 149.96,
///   needs wexp 1. Neuron 0, w = -0.6: -44.99 / 2 → -22; neuron 2, w =
///   0.5: 149.96 / 2 → 75; w = 0 (neuron 1, input 2) is no synapse.
/// - The bias: 0.1 × 0.5 / 1.1 × 164.96 = 7.50 → 7 (wexp 0), -0.2 × 1.25 /
///   1.1 × 164.96 = -37.5 → -37 (37.49), 0.3 × 2 / 1.1 × 164.96 = 90.0.
#[test]
fn the_feedforward_graph_gives_the_integers_worked_out_by_hand() {
    for version in ["1.0.7", "1.0.8"] {
        let imp = import(&graph(version, "feedforward"), Options::default()).unwrap();
        assert_eq!((imp.dt, imp.dt_from), (1e-3, DtFrom::Default));
        let pop = &imp.file.populations[0];
        let n = pop.neuron.as_ref().unwrap();
        assert_eq!((pop.name.as_str(), pop.size), ("lif", 3));
        assert_eq!(
            (n.du, n.dv, n.bias, n.threshold, n.v_reset, n.refractory),
            (819, 205, 75, 16484, 0, 0)
        );
        assert_eq!(pop.v_init, Some(spikefab_sim::config::IntSpec::Const(1499)));
        let (list, wexp) = synapses(&imp.file, "input", "lif");
        assert_eq!(wexp, 1);
        assert_eq!(list.len(), 11);
        assert_eq!(list[0], vec![0, 0, -22, 1]);
        assert_eq!(list[10], vec![3, 2, 75, 1]);
        assert!(
            !list.iter().any(|s| s[0] == 2 && s[1] == 1),
            "a zero weight is no synapse"
        );
        let (bias, wexp) = synapses(&imp.file, "bias", "lif");
        assert_eq!(
            (bias, wexp),
            (vec![vec![0, 0, 7, 1], vec![0, 1, -37, 1], vec![0, 2, 90, 1]], 0)
        );
        let axon = imp.file.inputs.iter().find(|i| i.name == "bias").unwrap();
        assert_eq!(
            axon.poisson.as_ref().and_then(|p| p.p),
            Some(1.0),
            "the bias axon spikes every tick"
        );
        assert_eq!(imp.outputs, vec!["lif".to_string()]);
    }
}

/// Every node type the chip takes (`every_node`: Linear, LIF, Scale, Delay,
/// IF, a recurrent edge), at dt = 0.1 ms: the LIF's two neurons differ and
/// become two populations; the Delay's 1 ms and 2.5 ms are 10 and 25 ticks
/// beyond the chip's one; the Scale's -0.5 turns a weight negative; the IF
/// has no leak (dv = 0); a 500 ms time constant at 0.1 ms is flagged.
#[test]
fn every_supported_node_type_imports() {
    for version in ["1.0.7", "1.0.8"] {
        let g = graph(version, "every_node");
        let options = Options {
            dt: Some(1e-4),
            ..Options::default()
        };
        let imp = import(&g, options).unwrap();
        let names: Vec<&str> = imp.file.populations.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["if", "lif#0", "lif#1"]);
        let field = |name: &str| {
            imp.file
                .populations
                .iter()
                .find(|p| p.name == name)
                .unwrap()
                .neuron
                .unwrap()
        };
        assert_eq!((field("if").dv, field("if").du), (0, 4096));
        // tau 0.1 ms = dt: all of v goes each tick; 500 ms: 0.82 → 1.
        assert_eq!((field("lif#0").dv, field("lif#1").dv), (4096, 1));
        let (a, _) = synapses(&imp.file, "lif#0", "if");
        let (b, _) = synapses(&imp.file, "lif#1", "if");
        assert_eq!((a[0][3], b[0][3]), (11, 26));
        assert!(a[0][2] > 0 && b[0][2] < 0, "{a:?} {b:?}");
        // The IF's spikes come back to the LIF through the Linear, one tick.
        assert_eq!(synapses(&imp.file, "if", "lif#0").0[0][3], 1);
        let report = imp.to_string();
        assert!(
            report.contains("tau_m 500.000000 ms -> 409.600000 ms (-18.08%)  WARNING"),
            "{report}"
        );
        assert!(report.contains("outputs: if"), "{report}");
        // At the default tick (1 ms) the 0.1 ms neuron is refused by name.
        let e = import(&g, Options::default()).unwrap_err().to_string();
        assert!(
            e.starts_with("node lif (LIF): tau_m: 0.1 ms is shorter than a tick (dt = 1 ms)"),
            "{e}"
        );
        let e = import(
            &g,
            Options {
                dt: Some(0.0),
                ..options
            },
        )
        .unwrap_err();
        assert!(matches!(e, ImportError::Dt(_)), "{e}");
    }
}

/// The membrane of NIR's equations in the per-tick reading (forward Euler, a
/// spike of weight w adds w_in w dt / tau_syn to I), with every connection
/// one tick long as on the chip, from the graph's own parameters: what the
/// imported network must do.
struct Reference {
    layers: Vec<Layer>,
}

struct Layer {
    tau_syn: Option<f64>,
    tau_mem: f64,
    r: f64,
    w_in: f64,
    v_th: f64,
    i: Vec<f64>,
    v: Vec<f64>,
    spiked: Vec<bool>,
}

impl Layer {
    fn of(node: &Node, n: usize) -> Layer {
        let p = |k: &str| node.params[k].values[0];
        let cuba = node.kind == "CubaLIF";
        Layer {
            tau_syn: cuba.then(|| p("tau_syn")),
            tau_mem: if cuba { p("tau_mem") } else { p("tau") },
            r: p("r"),
            w_in: if cuba { p("w_in") } else { 1.0 },
            v_th: p("v_threshold"),
            i: vec![0.0; n],
            v: vec![0.0; n],
            spiked: vec![false; n],
        }
    }

    /// One tick with `input` (weights times last tick's spikes).
    fn step(&mut self, input: &[f64], dt: f64) {
        for (j, &x) in input.iter().enumerate() {
            let drive = match self.tau_syn {
                Some(ts) => {
                    self.i[j] += dt / ts * (-self.i[j] + self.w_in * x);
                    self.i[j]
                }
                None => x,
            };
            self.v[j] += dt / self.tau_mem * (-self.v[j] + self.r * drive);
            self.spiked[j] = self.v[j] > self.v_th;
            if self.spiked[j] {
                self.v[j] = 0.0;
            }
        }
    }
}

fn times(w: &Array, x: &[bool]) -> Vec<f64> {
    let cols = w.shape[1];
    w.values
        .chunks(cols)
        .map(|row| row.iter().zip(x).filter(|(_, s)| **s).map(|(w, _)| w).sum())
        .collect()
}

/// The `snntorch_like` graph (Input 16 -> Affine -> CubaLIF 8 -> Linear ->
/// LIF 4 with recurrent inhibition, r = tau_mem / dt and w_in = tau_syn / dt
/// as snnTorch exports): the tick is found from r, and the golden model of
/// the imported network spikes as the float equations do: the same count
/// per neuron within 3% (+2), and most spikes within a tick of the
/// equations' own.
#[test]
fn an_imported_network_spikes_as_the_graph_equations_do() {
    for version in ["1.0.7", "1.0.8"] {
        let g = graph(version, "snntorch_like");
        let imp = import(&g, Options::default()).unwrap();
        assert_eq!(imp.dt_from, DtFrom::Resistance);
        assert!((imp.dt - 1e-3).abs() < 1e-12, "{}", imp.dt);
        let ticks = 3000u32;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let input: Vec<Vec<bool>> = (0..ticks)
            .map(|_| (0..16).map(|_| rng.random_bool(0.15)).collect())
            .collect();
        let mut file = imp.file.clone();
        file.simulation.duration = Some(f64::from(ticks));
        let axons = file.inputs.iter_mut().find(|i| i.name == "input").unwrap();
        for (t, row) in input.iter().enumerate() {
            for (k, _) in row.iter().enumerate().filter(|(_, s)| **s) {
                axons.spikes.push(vec![t as i64, k as i64]);
            }
        }
        let model = spikefab_sim::config::parse_toml(&toml::to_string(&file).unwrap(), None).unwrap();
        let net = &model.network;
        let mut sim = Simulator::new(net, SimOptions::default()).unwrap();
        sim.set_record_spikes(true);
        sim.run(ticks);
        let mut chip = vec![vec![false; 12]; ticks as usize];
        for s in sim.spikes() {
            chip[s.tick as usize][s.neuron as usize] = true;
        }
        let first = |name: &str| net.population(name).unwrap().first as usize;
        let (l1, l2) = (first("lif1"), first("lif2"));

        let node = |k: &str| &g.nodes[k];
        let mut r = Reference {
            layers: vec![Layer::of(node("lif1"), 8), Layer::of(node("lif2"), 4)],
        };
        let bias = &node("fc1").params["bias"].values;
        let (mut count, mut same) = ([0u32; 12], [0u32; 12]);
        let mut chip_count = [0u32; 12];
        let dt = imp.dt;
        for t in 0..ticks as usize {
            let last = |x: &[Vec<bool>], k: usize| if t == 0 { vec![false; k] } else { x[t - 1].clone() };
            let mut in1 = times(&node("fc1").params["weight"], &last(&input, 16));
            if t >= 1 {
                // The bias axon's spike of tick 0 arrives in tick 1.
                in1.iter_mut().zip(bias).for_each(|(x, b)| *x += b);
            }
            let s1 = r.layers[0].spiked.clone();
            let s2 = r.layers[1].spiked.clone();
            let in2: Vec<f64> = times(&node("fc2").params["weight"], &s1)
                .iter()
                .zip(times(&node("rec").params["weight"], &s2))
                .map(|(a, b)| a + b)
                .collect();
            r.layers[0].step(&in1, dt);
            r.layers[1].step(&in2, dt);
            let now: Vec<bool> = r.layers[0].spiked.iter().chain(&r.layers[1].spiked).copied().collect();
            for j in 0..12 {
                let c = chip[t][if j < 8 { l1 + j } else { l2 + j - 8 }];
                count[j] += now[j] as u32;
                chip_count[j] += c as u32;
                // A chip spike within a tick of the equations' one.
                let near = (t.saturating_sub(1)..=(t + 1).min(ticks as usize - 1))
                    .any(|u| chip[u][if j < 8 { l1 + j } else { l2 + j - 8 }]);
                same[j] += (now[j] && near) as u32;
            }
        }
        let total: u32 = count.iter().sum();
        assert!(total > 500, "the reference spikes too little to compare: {count:?}");
        for j in 0..12 {
            let (a, b) = (f64::from(count[j]), f64::from(chip_count[j]));
            assert!(
                (a - b).abs() <= 0.03 * a + 2.0,
                "neuron {j}: {a} spikes in the equations, {b} on the chip (all: {count:?}, {chip_count:?})"
            );
        }
        let together: u32 = same.iter().sum();
        // Timing drifts where a membrane creeps up to the threshold (a tiny
        // difference moves the spike) and spreads to the next layer; 79% of
        // the spikes land within a tick (Exact decays instead of the Euler
        // steps the graph was made with: 6.6% fewer spikes in one neuron,
        // which the counts catch).
        assert!(
            f64::from(together) > 0.75 * f64::from(total),
            "{together} of {total} spikes within a tick ({same:?})"
        );
    }
}

/// Exact exponentials instead of Euler steps: the decays of the same graph
/// change as the rule says.
#[test]
fn exact_decays_are_an_option() {
    let g = graph("1.0.8", "feedforward");
    let options = Options {
        discretization: Discretization::Exact,
        ..Options::default()
    };
    let n = import(&g, options).unwrap().file.populations[0].neuron.unwrap();
    // 4096 (1 - e^(-1/5)) = 742.5, 4096 (1 - e^(-1/20)) = 199.8.
    assert_eq!((n.du, n.dv), (742, 200));
}

/// Every graph of `graphs.py` that reads but that the chip cannot run, in
/// both versions: refused with the words of its `.import_error` file (the
/// node, its type and why).
#[test]
fn graphs_the_chip_cannot_run_are_refused_by_name() {
    let files = cases("import_error");
    assert!(files.len() >= 22, "{} cases", files.len());
    for words_file in files {
        let words = std::fs::read_to_string(&words_file).unwrap();
        let g = nir::read(&words_file.with_extension("nir")).unwrap_or_else(|e| panic!("{e}"));
        let e = import(&g, Options::default()).expect_err(&words).to_string();
        assert!(
            e.contains(words.trim()),
            "{}: {e}\nwanted: {words}",
            words_file.display()
        );
    }
}

/// A node of a random graph: a type the importer knows (or one it does
/// not) and parameters of random lengths and values, NaN and 0 included.
fn node() -> impl Strategy<Value = Node> {
    let kinds = vec![
        "Input", "Output", "Affine", "Linear", "Scale", "Delay", "Flatten", "CubaLIF", "LIF", "IF", "LI", "Conv2d",
        "Other",
    ];
    let params = vec![
        "shape",
        "weight",
        "bias",
        "scale",
        "delay",
        "tau_syn",
        "tau_mem",
        "tau",
        "r",
        "w_in",
        "v_leak",
        "v_threshold",
        "v_reset",
    ];
    let value = prop_oneof![
        Just(f64::NAN),
        Just(0.0),
        Just(1.0),
        Just(-1.0),
        Just(1e300),
        1e-5..2.0f64,
        -3.0..3.0f64,
    ];
    let array = (
        prop::collection::vec(1usize..4, 0..3),
        prop::collection::vec(value, 0..10),
    )
        .prop_map(|(shape, values)| Array {
            shape: if shape.iter().product::<usize>() == values.len() {
                shape
            } else {
                vec![values.len()]
            },
            values,
        });
    (
        prop::sample::select(kinds),
        prop::collection::btree_map(prop::sample::select(params), array, 0..8),
    )
        .prop_map(|(kind, params)| Node {
            kind: kind.to_string(),
            params: params.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        })
}

proptest! {
    #![proptest_config(support::config())]

    /// Random graphs (random nodes, random edges, loops included): an error
    /// or a network, never a panic; a network always loads.
    #[test]
    fn random_graphs_never_panic(
        nodes in prop::collection::vec(node(), 1..6),
        edges in prop::collection::vec((0usize..7, 0usize..7), 0..10),
        dt in prop_oneof![Just(None), Just(Some(1e-3)), Just(Some(0.0)), Just(Some(f64::NAN)), (1e-5..1e-2f64).prop_map(Some)],
    ) {
        let names: Vec<String> = (0..nodes.len()).map(|i| format!("n{i}")).collect();
        let g = Graph {
            version: "1.0.8".into(),
            nodes: names.iter().cloned().zip(nodes).collect::<BTreeMap<_, _>>(),
            edges: edges.iter().map(|&(a, b)| (format!("n{a}"), format!("n{b}"))).collect(),
        };
        if let Ok(imp) = import(&g, Options { dt, ..Options::default() }) {
            let text = toml::to_string(&imp.file).unwrap();
            spikefab_sim::config::parse_toml(&text, None).unwrap_or_else(|e| panic!("{e}\n{text}"));
        }
    }
}

/// Import, export and import again: the same network, integer for integer
/// (every supported node type, a bias, delays, a recurrent edge); and both
/// pinned nir versions read the exported file as the graph it is.
#[test]
fn an_exported_network_imports_as_itself() {
    for (name, dt) in [("snntorch_like", None), ("every_node", Some(1e-4))] {
        let options = Options {
            dt,
            ..Options::default()
        };
        let first = import(&graph("1.0.8", name), options).unwrap();
        let model = first.model().unwrap();
        let e = nir::export(&model.network, first.dt, model.run.ticks).unwrap_or_else(|e| panic!("{name}: {e}"));
        let again = import(&nir::from_bytes(&e.bytes, name).unwrap(), options).unwrap();
        assert_eq!(again.file.populations, first.file.populations, "{name}");
        let sorted = |f: &NetworkFile| {
            let mut p = f.projections.clone();
            p.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
            p
        };
        assert_eq!(sorted(&again.file), sorted(&first.file), "{name}");
        // A network file does not say which populations are the result: the
        // export takes those that feed no other, or all where each does
        // (every_node's three feed each other).
        assert!(first.outputs.iter().all(|o| again.outputs.contains(o)), "{name}");
        if name == "snntorch_like" {
            assert_eq!(again.outputs, first.outputs);
        }

        let path = std::env::temp_dir().join(format!("spikefab-export-{}-{name}.nir", std::process::id()));
        std::fs::write(&path, &e.bytes).unwrap();
        let kinds: Vec<String> = e.nodes.iter().map(|(n, k)| format!("{n}:{k}")).collect();
        for version in ["1.0.7", "1.0.8"] {
            let python = graphs_dir().join(format!("../nir-venv-{version}/bin/python"));
            let out = std::process::Command::new(&python)
                .arg("-c")
                .arg(
                    "import nir, sys; g = nir.read(sys.argv[1]); \
                     print(' '.join(sorted(f'{n}:{type(v).__name__}' for n, v in g.nodes.items())))",
                )
                .arg(&path)
                .output()
                .unwrap_or_else(|e| panic!("{}: {e} (`make nir-graphs` makes the venvs)", python.display()));
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            assert_eq!(
                String::from_utf8_lossy(&out.stdout).trim(),
                kinds.join(" "),
                "nir {version}"
            );
        }
        std::fs::remove_file(&path).unwrap();
    }
}

/// What NIR cannot say is refused by population and reason.
#[test]
fn networks_nir_cannot_hold_are_refused_by_name() {
    let net = |neuron: &str, extra: &str| {
        let text = format!(
            "[[population]]\nname = \"p\"\nsize = 2\nneuron = {{ {neuron} }}\n[[input]]\nname = \"in\"\nsize = 2\n\
             [[projection]]\nfrom = \"in\"\nto = \"p\"\nconnect = {{ rule = \"one_to_one\" }}\nweight = 50\n{extra}"
        );
        spikefab_sim::config::parse_toml(&text, None).unwrap().network
    };
    let refused = |n: &spikefab_sim::Network| nir::export(n, 1e-3, 100).unwrap_err().to_string();
    let e = refused(&net("du = 800, dv = 200, threshold = 1000, refractory = 3", ""));
    assert_eq!(
        e,
        "population p: a refractory period of 3 ticks: NIR's neurons have none"
    );
    let e = refused(&net(
        "du = 800, dv = 200, threshold = 1000, theta_inc = 5, theta_decay = 10",
        "",
    ));
    assert!(e.starts_with("population p: an adaptive threshold"), "{e}");
    let e = refused(&net("du = 800, dv = 0, threshold = 1000", ""));
    assert!(e.contains("into a membrane without a leak"), "{e}");
    let e = refused(&net(
        "du = 800, dv = 200, threshold = 1000",
        "plastic = true\n[learning]\npre_decay = 256\npost_decay = 256\na_plus = 1\na_minus = 1\nw_max = 100",
    ));
    assert!(e.starts_with("plastic synapses: NIR has no learning rule"), "{e}");
    assert!(matches!(
        nir::export(&net("du = 800, dv = 200, threshold = 1000", ""), 0.0, 100),
        Err(nir::ExportError::Dt(_))
    ));
}
