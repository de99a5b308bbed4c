//! Network files in physical units (`docs/units.md`): the worked example
//! of docs/units.md gives the integer file shown there, errors that name the parameter, and a neuron's rate against
//! the closed-form LIF rate at several tick lengths.

use spikefab_sim::config::{self, parse_toml};
use spikefab_sim::engine::{SimOptions, Simulator};
use spikefab_sim::quantize;

/// The worked example of `docs/units.md`: the block after `marker`.
fn doc_block(marker: &str) -> String {
    let doc = include_str!("../../docs/units.md");
    let from = doc
        .find(marker)
        .unwrap_or_else(|| panic!("docs/units.md has no {marker}"));
    let rest = &doc[from..];
    let start = rest.find("```toml\n").expect("a toml block after the marker") + "```toml\n".len();
    let len = rest[start..].find("```").expect("the block's end");
    rest[start..start + len].to_string()
}

/// CUBA in physical units (docs/units.md's worked example).
fn cuba() -> String {
    doc_block("<!-- physical -->")
}

#[test]
fn a_physical_file_is_the_integer_file_it_stands_for() {
    let physical = parse_toml(&cuba(), None).unwrap();
    let ints = parse_toml(&doc_block("<!-- integers -->"), None).unwrap();
    assert_eq!(physical.run.ticks, 200);
    let mut weights = physical.network.synapses().weights().to_vec();
    weights.dedup();
    assert_eq!(weights, [107, -74], "the weights of the two projections");
    // (Compared whole: a difference would print both networks.)
    assert!(
        physical.network == ints.network,
        "the physical file is not the integer file"
    );
    let mut sim = Simulator::new(&physical.network, SimOptions::default()).unwrap();
    sim.set_record_spikes(true);
    sim.run(200);
    assert!(!sim.spikes().is_empty());
}

fn error(text: &str) -> String {
    match parse_toml(text, None) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("accepted:\n{text}"),
    }
}

fn cuba_with(from: &str, to: &str) -> String {
    let cuba = cuba();
    assert!(cuba.contains(from), "{from}");
    cuba.replacen(from, to, 1)
}

#[test]
fn what_the_chip_cannot_hold_is_refused_by_name() {
    for (from, to, want) in [
        (
            "tau_syn = 5.0",
            "tau_syn = 0.5",
            "population[0] (exc).lif.tau_syn: 0.5 ms is shorter than a tick (dt = 1 ms); the chip's decays need tau >= dt",
        ),
        (
            "weight_mV = -18.0",
            "weight_mV = -1800.0",
            "projection[1] (inh -> exc).weight_mV: 948579.5 units is beyond the largest weight, 127 × 2^7 = 16256",
        ),
        (
            "v_th = -50.0, t_ref",
            "v_th = -50.0, unit = 0.0001, t_ref",
            "population[0] (exc).lif.v_th: 10 mV above reset is 100000 units of 0.000100 mV, beyond the 16-bit state's",
        ),
        ("dt = 1.0\n", "", "simulation.dt: values in physical units"),
        (
            "size = 80\n",
            "size = 80\nneuron = { dv = 100 }\n",
            "population[0] (exc).neuron: the population is in physical units (lif)",
        ),
        (
            "weight_mV = 1.62",
            "weight_pA = 1.62",
            "projection[0] (exc -> inh).weight_pA: a current needs the target's membrane capacitance: give c_m (pF)",
        ),
        ("delay_ms = 1.0", "delay_ms = 0.2", "projection[0] (exc -> inh).delay_ms: 0.2 ms is 0 ticks of 1 ms"),
        (
            "weight_mV = 1.62",
            "weight_mV = 1.62\nweight = 3",
            "projection[0] (exc -> inh).weight_mV: a weight in physical units sets weight and wexp",
        ),
        ("duration = 200.0", "duration = 200.0\nticks = 5", "simulation.duration: give ticks or duration, not both"),
    ] {
        let e = error(&cuba_with(from, to));
        assert!(e.starts_with(want), "{from} -> {to}:\nwant {want}\ngot  {e}");
    }
    // A physical weight onto a population in integers.
    let e = error(&format!(
        "{}\n[[population]]\nname = \"ints\"\nsize = 2\n[[projection]]\nfrom = \"exc\"\nto = \"ints\"\nconnect = {{ rule = \"all_to_all\" }}\nweight_mV = 1.0\n",
        cuba()
    ));
    assert!(e.contains("\"ints\" is in the chip's integers; give its `lif`"), "{e}");
    // A projection with no weight at all.
    let e = error(&cuba_with("weight_mV = 1.62\n", ""));
    assert!(e.starts_with("projection[0] (exc -> inh).weight: missing"), "{e}");
}

#[test]
fn currents_in_pa_go_through_the_capacitance() {
    let pa = cuba_with(
        "t_ref = 5.0, v_init = { uniform = [-60.0, -50.0] } }\n\n[[population]]\nname = \"inh\"",
        "t_ref = 5.0, v_init = { uniform = [-60.0, -50.0] } }\n\n[[population]]\nname = \"inh\"",
    );
    // 1.62 mV is 20.25 pA through 250 pF and 20 ms: g = I tau_m / C_m.
    let pa = pa
        .replace("t_ref = 5.0, v_init", "t_ref = 5.0, c_m = 250.0, v_init")
        .replacen("weight_mV = 1.62", "weight_pA = 20.25", 1);
    let a = parse_toml(&pa, None).unwrap();
    let b = parse_toml(&cuba(), None).unwrap();
    assert_eq!(a.network.synapses(), b.network.synapses());
}

#[test]
fn the_report_names_each_choice() {
    let tmp = tempfile::Builder::new().prefix("spikefab-units-").tempdir().unwrap();
    let dir = tmp.path();
    let path = dir.join("cuba.toml");
    std::fs::write(&path, cuba()).unwrap();
    let report = config::quantization(&path).unwrap().expect("physical units");
    let text = report.to_string();
    println!("{text}");
    assert!(
        text.contains("exc: unit 0.000671 mV; du 742 dv 200 u_shift 3 bias 800 threshold 14895"),
        "{text}"
    );
    assert!(text.contains("projection[1] (inh -> exc): wexp 7"), "{text}");
    // Dithered (the default), every parameter within 2%, and no PSP loses
    // charge to its current's rounding.
    assert!(report.qualities().all(|(_, q)| !q.warn()), "{text}");
    assert!(!text.contains("alone"), "{text}");

    // Rounding toward zero: the resting potential is kept by another bias
    // and unit, and an excitatory PSP alone loses 7.1% (flagged).
    std::fs::write(
        &path,
        cuba_with("seed = 2007\n", "seed = 2007\nrounding = \"toward_zero\"\n"),
    )
    .unwrap();
    let report = config::quantization(&path).unwrap().expect("physical units");
    let text = report.to_string();
    assert!(
        text.contains("exc: unit 0.000672 mV; du 742 dv 200 u_shift 0 bias 800 threshold 14885"),
        "{text}"
    );
    assert!(
        report.qualities().all(|(_, q)| !q.warn() || q.name.contains("alone")),
        "{text}"
    );
    let alone: Vec<f64> = report
        .qualities()
        .filter(|(_, q)| q.name.contains("alone") && q.warn())
        .map(|(_, q)| q.error())
        .collect();
    assert_eq!(alone.len(), 1, "{text}");
    assert!(alone.iter().all(|e| (e + 0.0709).abs() < 0.0005), "{text}");
}

/// A neuron driven by a constant current (v_rest above threshold) fires with
/// period t_ref + tau_m ln((v_rest - v_reset) / (v_rest - v_th)).
#[test]
fn a_neurons_rate_is_the_closed_form_lif_rate_at_every_dt() {
    let mut failed = Vec::new();
    for dt in [0.1, 0.25, 0.5, 1.0] {
        for (v_rest, t_ref) in [(-45.0f64, 2.0f64), (-49.0, 0.0), (-40.0, 5.0)] {
            let text = format!(
                "[simulation]\ndt = {dt}\nduration = 2000.0\n[[population]]\nname = \"n\"\nsize = 1\n\
                 lif = {{ tau_m = 20.0, v_rest = {v_rest}, v_reset = -60.0, v_th = -50.0, t_ref = {t_ref} }}\n"
            );
            let model = parse_toml(&text, None).unwrap();
            let mut sim = Simulator::new(&model.network, SimOptions::default()).unwrap();
            sim.set_record_spikes(true);
            sim.run(model.run.ticks);
            let ticks: Vec<u32> = sim.spikes().iter().map(|s| s.tick).collect();
            let period = (ticks[ticks.len() - 1] - ticks[0]) as f64 / (ticks.len() - 1) as f64 * dt;
            let log = ((v_rest + 60.0) / (v_rest + 50.0)).ln();
            let exact = t_ref + 20.0 * log;
            // The quantizer states its time constant: tau_m as dv gives it.
            let tau = quantize::effective_tau(dt, quantize::decay("tau_m", dt, 20.0).unwrap());
            let stated = t_ref + tau * log;
            // A spike lands on the first tick at or after the crossing (up
            // to one tick late); unit and truncation within 1%.
            let bound = dt + 0.01 * exact;
            println!(
                "dt {dt} v_rest {v_rest} t_ref {t_ref}: {period:.3} ms against {exact:.3} ms (tau_m {tau:.3}: {stated:.3})"
            );
            if !(period >= stated - 0.01 * exact && period - stated <= bound) {
                failed.push(format!("dt {dt}, v_rest {v_rest}: {period} ms against {stated} ms"));
            }
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
fn the_integer_form_is_written_back_and_loads_to_the_same_network() {
    let tmp = tempfile::Builder::new().prefix("spikefab-ints-").tempdir().unwrap();
    let dir = tmp.path();
    let path = dir.join("cuba.toml");
    std::fs::write(&path, cuba()).unwrap();
    let (text, report) = config::integer_toml(&path).unwrap();
    assert!(report.is_some());
    assert!(
        !text.contains("weight_mV") && !text.contains("lif") && text.contains("wexp = 7"),
        "{text}"
    );
    let ints = parse_toml(&text, None).unwrap();
    assert!(ints.network == parse_toml(&cuba(), None).unwrap().network);
    assert_eq!(ints.run.ticks, 200);
    // An integer file goes through unchanged in meaning.
    std::fs::write(&path, &text).unwrap();
    let (again, report) = config::integer_toml(&path).unwrap();
    assert!(report.is_none());
    assert!(parse_toml(&again, None).unwrap().network == ints.network);
}

/// `[stdp]` in physical units: the plastic weights share w_max's exponent,
/// the rule's integers follow, and plastic weights in integers are refused.
#[test]
fn stdp_in_physical_units_sets_the_plastic_scale() {
    let text = r#"
[simulation]
dt = 1.0
duration = 100.0
[stdp]
tau_plus = 16.0
tau_minus = 16.0
a_plus = 0.01
a_minus = 0.0105
w_max_mV = 0.6
[[input]]
name = "in"
size = 100
poisson = { p = 0.015 }
[[population]]
name = "out"
size = 1
lif = { tau_m = 10.0, tau_syn = 5.0, v_rest = -74.0, v_reset = -60.0, v_th = -54.0, t_ref = 1.0 }
[[projection]]
from = "in"
to = "out"
connect = { rule = "all_to_all" }
weight_mV = { uniform = [0.0, 0.6], seed = 1 }
plastic = true
"#;
    let model = parse_toml(text, None).unwrap();
    let rule = model.network.stdp().expect("a learning rule");
    assert_eq!(
        (rule.pre_decay, rule.post_decay, rule.pre_bump, rule.w_min),
        (248, 248, 234, 0)
    );
    // 0.6 mV is 200 units of a current with 2 fraction bits (a 10 ms
    // membrane at 1 ms: 2048 / 390 = 5.3): exponent 1, mantissa 100.
    assert_eq!(model.network.profiles()[0].u_shift, 2);
    assert_eq!(rule.w_max, 100);
    // Bump and gains keep the balance 1.05 exactly (docs/units.md rule 7).
    assert_eq!(
        (rule.post_bump, rule.a_plus, rule.a_minus, rule.lr_shift),
        (234, 140, 147, 15)
    );
    let w = model.network.synapses().weights();
    assert!(
        w.iter().all(|&x| (0..=100).contains(&x)) && w.iter().any(|&x| x > 80),
        "{w:?}"
    );
    let e = error(&text.replace("weight_mV = { uniform = [0.0, 0.6], seed = 1 }", "weight = 3"));
    assert!(
        e.starts_with("projection[0] (in -> out).weight: [stdp] sets the plastic weights' scale"),
        "{e}"
    );
    let e = error(&text.replace("plastic = true", ""));
    assert!(e.starts_with("stdp: no plastic projection"), "{e}");
}

#[test]
fn values_that_are_not_numbers_are_refused() {
    for (from, to, want) in [
        (
            "v_th = -50.0",
            "v_th = nan",
            "population[0] (exc).lif.v_th: NaN is not a number the chip can hold",
        ),
        (
            "weight_mV = 1.62",
            "weight_mV = inf",
            "projection[0] (exc -> inh).weight_mV: inf is not a number",
        ),
        (
            "delay_ms = 1.0",
            "delay_ms = nan",
            "projection[0] (exc -> inh).delay_ms: NaN is not a number",
        ),
        (
            "tau_m = 20.0",
            "tau_m = nan",
            "population[0] (exc).lif.tau_m: NaN ms is not a time constant",
        ),
        (
            "t_ref = 5.0, v_init",
            "t_ref = 5.0, v_range = [-40.0, nan], v_init",
            "population[0] (exc).lif.v_range: [-40, NaN] mV is not a range of potentials",
        ),
    ] {
        let e = error(&cuba_with(from, to));
        assert!(e.starts_with(want), "{to}: {e}");
    }
}

#[test]
fn poisson_inputs_take_a_rate_in_hz() {
    let by = |poisson: &str| {
        format!(
            "[simulation]\ndt = 0.5\nduration = 100.0\nseed = 3\n[[input]]\nname = \"in\"\nsize = 20\npoisson = {poisson}\n\
             [[population]]\nname = \"n\"\nsize = 1\n"
        )
    };
    let hz = parse_toml(&by("{ rate_hz = 40.0 }"), None).unwrap();
    let p = parse_toml(&by("{ p = 0.02 }"), None).unwrap();
    assert!(!hz.network.inputs().is_empty());
    assert_eq!(hz.network.inputs(), p.network.inputs());
    for (poisson, want) in [
        (
            "{ rate_hz = 40.0, p = 0.02 }",
            "input[0] (in).poisson.rate_hz: give p or rate_hz, not both",
        ),
        (
            "{ rate_hz = 3000.0 }",
            "input[0] (in).poisson.rate_hz: 3000 Hz is a probability of 1.5 per tick",
        ),
        (
            "{ seed = 1 }",
            "input[0] (in).poisson: give p (a probability per tick) or rate_hz",
        ),
    ] {
        let e = error(&by(poisson));
        assert!(e.starts_with(want), "{poisson}: {e}");
    }
}
