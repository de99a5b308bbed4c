//! The worked examples of `docs/spec.md` §9, executed: every cell of every
//! expected table is compared with the simulator, so the spec and the model
//! cannot drift apart.

use std::collections::HashMap;

use spikefab_sim::record::Var;
use spikefab_sim::{config, SimOptions, Simulator};

struct Example {
    name: String,
    toml: String,
    table: String,
}

/// The text of the first fenced block after `marker`.
fn block_after<'a>(spec: &'a str, marker: &str) -> Option<&'a str> {
    let at = spec.find(marker)? + marker.len();
    let open = at + spec[at..].find("```")?;
    let body = open + spec[open..].find('\n')? + 1;
    let close = body + spec[body..].find("```")?;
    Some(&spec[body..close])
}

fn examples() -> Vec<Example> {
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/spec.md")).unwrap();
    let mut out = Vec::new();
    for line in spec.lines() {
        if let Some(rest) = line.strip_prefix("<!-- example: ") {
            let name = rest.trim_end_matches("-->").trim().to_string();
            let toml = block_after(&spec, line).expect("example block").to_string();
            let table = block_after(&spec, &format!("<!-- expect: {name} -->"))
                .unwrap_or_else(|| panic!("example {name} has no expect table"))
                .to_string();
            out.push(Example { name, toml, table });
        }
    }
    out
}

/// Split `x_pre[3]` into ("x_pre", 3); plain names index 0.
fn column(name: &str) -> (&str, usize) {
    match name.split_once('[') {
        Some((base, rest)) => (base, rest.trim_end_matches(']').parse().expect("column index")),
        None => (name, 0),
    }
}

fn cell(sim: &Simulator, name: &str, fired: &HashMap<(u32, u32), u64>, tick: u32) -> String {
    let (base, i) = column(name);
    let var = |v| sim.value(i as u32, v).to_string();
    match base {
        "u" => var(Var::U),
        "v" => var(Var::V),
        "theta" => var(Var::Theta),
        "ref" => var(Var::Refractory),
        "x_post" => var(Var::XPost),
        "x_pre" => sim.state_dump().x_pre[i].to_string(),
        "w" => sim.weights()[i].to_string(),
        "cycles" => sim.cycle().to_string(),
        "fired" => fired
            .get(&(tick, i as u32))
            .map_or("-".to_string(), |c| format!("@{c}")),
        other => panic!("unknown column {other}"),
    }
}

#[test]
fn spec_examples_hold() {
    let all = examples();
    assert!(
        all.len() >= 3,
        "docs/spec.md should hold at least 3 worked examples, found {}",
        all.len()
    );
    for ex in all {
        let model = config::parse_toml(&ex.toml, None).unwrap_or_else(|e| panic!("example {}: {e}", ex.name));
        let mut sim = Simulator::new(&model.network, SimOptions::default()).unwrap();
        let mut lines = ex.table.lines().filter(|l| !l.trim().is_empty());
        let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
        assert_eq!(header[0], "tick");
        let mut rows = 0;
        for line in lines {
            let cells: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(cells.len(), header.len(), "example {}: row {line:?}", ex.name);
            let tick: u32 = cells[0].parse().unwrap();
            assert_eq!(tick, sim.tick(), "example {}: rows must be consecutive ticks", ex.name);
            sim.step_tick();
            let fired: HashMap<(u32, u32), u64> = sim.spikes().iter().map(|s| ((s.tick, s.neuron), s.cycle)).collect();
            for (name, want) in header.iter().zip(&cells).skip(1) {
                let got = cell(&sim, name, &fired, tick);
                assert_eq!(&got, want, "spec example {}: tick {tick}, column {name}", ex.name);
            }
            rows += 1;
        }
        assert!(rows > 0, "example {} has an empty table", ex.name);
    }
}
