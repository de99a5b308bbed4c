//! Expansion of a [`NetworkFile`] into a [`Network`]: resolve names, check
//! every value, draw random connectivity, weights, delays and inputs.

use std::collections::HashMap;
use std::path::Path;

use rand::seq::index::sample;
use rand::Rng;

use super::{
    derive_seed, seeded, Budget, ConfigError, Connect, DegreeRule, InputSection, IntSpec, Model, NetworkFile,
    PoissonSection, ProjectionSection, RunSpec, WeightRecord, WeightsSection, MAX_RECORDED_SYNAPSES,
};
use crate::fixed::{STATE_MAX, STATE_MIN};
use crate::learning::{StdpError, StdpParams};
use crate::network::{
    check_synapse_values, Network, NetworkBuilder, PopulationKind, Source, SynapseError, SynapseSink, SynapseSpec,
    MAX_COUNT,
};
use crate::neuron::check_range;
use crate::record::Var;

/// Most random draws one rule may make (pairs tested by `fixed_probability`,
/// axon-ticks of a Poisson input): beyond this a file would run for hours, so
/// it is refused with a pointer to the cheaper way.
pub(super) const MAX_DRAWS: u64 = 1 << 36;

/// Bytes a neuron or axon needs at the peak of building and simulating it
/// (builder, network, simulator state and copies of its profile).
const BYTES_PER_SOURCE: u64 = 48;

/// Where a population's members start.
#[derive(Clone, Copy)]
struct Placed {
    kind: PopulationKind,
    first: u32,
    size: u32,
}

/// Which targets' synapses a build keeps, from the network's neuron count:
/// one rank's share ([`crate::network::NetworkBuilder::keep_targets`]).
pub type Keep<'a> = &'a dyn Fn(u32) -> std::ops::Range<u32>;

pub(super) fn build(file: &NetworkFile, base: Option<&Path>, budget: Budget) -> Result<Model, ConfigError> {
    build_keeping(file, base, budget, None)
}

/// [`build`], keeping only the synapses onto the targets `keep` gives, when
/// given; a file that records weights (`[[record.weights]]`, whose
/// selections need every synapse) is built whole all the same.
pub(super) fn build_keeping(
    file: &NetworkFile,
    base: Option<&Path>,
    budget: Budget,
    keep: Option<Keep>,
) -> Result<Model, ConfigError> {
    // Physical units become the integers they stand for, first.
    let lowered = super::physical::lower(file)?;
    let file: &NetworkFile = &lowered.file;
    let global = file.simulation.seed;
    let ticks = file.simulation.ticks.unwrap_or(super::DEFAULT_TICKS);
    let mut b = NetworkBuilder::new();
    b.set_rounding(file.simulation.rounding.unwrap_or_default());
    // Every mistake found, each section checked even after one failed; a
    // name whose section failed is known, so that what refers to it is
    // skipped rather than reported as an unknown name.
    let mut errors: Vec<ConfigError> = Vec::new();
    let mut failed: Vec<&str> = Vec::new();

    if file.populations.is_empty() {
        errors.push(ConfigError::invalid(
            "network",
            "population",
            "no [[population]]: a network needs at least one population of neurons",
        ));
    }

    if let Some(rule) = &file.learning {
        match rule.to_params() {
            Ok(p) => b.set_stdp(p),
            Err(StdpError::Range(r)) => errors.push(ConfigError::invalid("learning", r.field, r.reason())),
            Err(other) => errors.push(ConfigError::invalid("learning", "w_min", other)),
        }
    }

    let mut names: HashMap<&str, Placed> = HashMap::new();

    for (i, pop) in file.populations.iter().enumerate() {
        let item = pop.item(i);
        let mut add = || {
            let size = size_of(&item, pop.size)?;
            check_source_budget(&item, b.num_neurons() as u64 + b.num_axons() as u64, size, budget)?;
            let params = pop
                .neuron
                .unwrap_or_default()
                .to_params()
                .map_err(|e| ConfigError::invalid(&item, format!("neuron.{}", e.field), e.reason()))?;
            let v_init = pop.v_init.unwrap_or(IntSpec::Const(0));
            check_spec_range(&item, "v_init", &v_init, STATE_MIN as i64, STATE_MAX as i64)?;
            let mut draw = v_init.sampler(derive_seed(global, "population", i, "v_init"));
            let placed = Placed {
                kind: PopulationKind::Neurons,
                first: b.num_neurons(),
                size,
            };
            claim(&mut names, &item, &pop.name, placed)?;
            let profile = b.add_profile(params);
            b.add_neurons(profile, size, |_| draw.draw() as i16);
            b.add_population(&pop.name, PopulationKind::Neurons, placed.first, size);
            Ok::<(), ConfigError>(())
        };
        if let Err(e) = add() {
            errors.push(e);
            failed.push(&pop.name);
        }
    }

    for (i, input) in file.inputs.iter().enumerate() {
        let item = input.item(i);
        let mut add = || {
            let size = size_of(&item, input.size)?;
            check_source_budget(&item, b.num_neurons() as u64 + b.num_axons() as u64, size, budget)?;
            let placed = Placed {
                kind: PopulationKind::Axons,
                first: b.num_axons(),
                size,
            };
            claim(&mut names, &item, &input.name, placed)?;
            let mut spikes = input_spikes(
                &item,
                input,
                size,
                ticks,
                derive_seed(global, "input", i, "poisson"),
                base,
                budget,
            )?;
            spikes.sort_unstable();
            if let Some(w) = spikes.windows(2).find(|w| w[0] == w[1]) {
                return Err(ConfigError::invalid(
                    &item,
                    "spikes",
                    format!(
                        "index {} spikes twice at tick {} (poisson, spikes and file are merged)",
                        w[0].1, w[0].0
                    ),
                ));
            }
            let first = b.add_axons(size);
            b.add_population(&input.name, PopulationKind::Axons, first, size);
            for (tick, idx) in spikes {
                b.add_input(tick, first + idx);
            }
            Ok(())
        };
        if let Err(e) = add() {
            errors.push(e);
            failed.push(&input.name);
        }
    }

    // The synapses in two passes over the projections (the same seeds give
    // the same synapses): one counts and checks them, one writes them into
    // place, so that no list of whole synapses is held.
    let stdp = b.stdp().copied();
    if let Some(keep) = keep.filter(|_| file.record.weights.is_empty()) {
        b.keep_targets(keep(b.num_neurons()));
    }
    let mut counter = match b.into_counter() {
        Ok(c) => c,
        Err(e) => {
            errors.push(ConfigError::invalid("network", "", e));
            return Err(ConfigError::all(errors));
        }
    };
    let projections = Projections {
        file,
        names: &names,
        failed: &failed,
        stdp: stdp.as_ref(),
        budget,
    };
    projections.expand(&mut counter, &mut errors);

    let mut probes = Vec::new();
    for (i, probe) in file.record.probe.iter().enumerate() {
        if failed.contains(&probe.population.as_str()) {
            continue;
        }
        let item = format!("record.probe[{i}]");
        let result = (|| {
            let pop = names.get(probe.population.as_str()).copied().ok_or_else(|| {
                ConfigError::invalid(
                    &item,
                    "population",
                    format!("unknown population \"{}\"", probe.population),
                )
            })?;
            if pop.kind == PopulationKind::Axons {
                return Err(ConfigError::invalid(
                    &item,
                    "population",
                    "inputs have no state to probe",
                ));
            }
            let vars = probe
                .vars
                .iter()
                .map(|name| {
                    Var::from_name(name).ok_or_else(|| {
                        let all: Vec<&str> = Var::ALL.iter().map(|v| v.name()).collect();
                        ConfigError::invalid(
                            &item,
                            "vars",
                            format!("unknown variable \"{name}\" (one of {})", all.join(", ")),
                        )
                    })
                })
                .collect::<Result<Vec<Var>, _>>()?;
            let members: Vec<u32> = match &probe.neurons {
                None => (0..pop.size).collect(),
                Some(list) => list
                    .iter()
                    .enumerate()
                    .map(|(j, &k)| index_in(&item, &format!("neurons[{j}]"), k, pop.size))
                    .collect::<Result<_, _>>()?,
            };
            for k in members {
                for &var in &vars {
                    probes.push((pop.first + k, var));
                }
            }
            Ok(())
        })();
        if let Err(e) = result {
            errors.push(e);
        }
    }

    if !errors.is_empty() {
        return Err(ConfigError::all(errors));
    }
    let mut placer = counter
        .into_placer()
        .map_err(|e| ConfigError::invalid("network", "", e))?;
    projections.expand(&mut placer, &mut errors);
    if !errors.is_empty() {
        return Err(ConfigError::all(errors));
    }
    let network = placer.build().map_err(|e| ConfigError::invalid("network", "", e))?;
    let mut weights = Vec::new();
    for (i, w) in file.record.weights.iter().enumerate() {
        match weight_record(&network, i, w) {
            Ok(r) => weights.push(r),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(ConfigError::all(errors));
    }
    Ok(Model {
        network,
        run: RunSpec {
            ticks,
            record_spikes: file.record.spikes,
            probes,
            weights,
        },
        units: lowered.report,
    })
}

/// The file's projections, expanded once per pass of the build.
struct Projections<'a> {
    file: &'a NetworkFile,
    names: &'a HashMap<&'a str, Placed>,
    failed: &'a [&'a str],
    stdp: Option<&'a StdpParams>,
    budget: Budget,
}

impl Projections<'_> {
    /// Give every projection's synapses to `sink`, in file order; each
    /// projection's mistakes go to `errors` (a projection whose populations
    /// failed is skipped, and after the first mistake nothing is drawn).
    fn expand(&self, sink: &mut dyn SynapseSink, errors: &mut Vec<ConfigError>) {
        let Projections {
            file,
            names,
            failed,
            stdp,
            budget,
        } = *self;
        let global = file.simulation.seed;
        for (i, proj) in file.projections.iter().enumerate() {
            if failed.contains(&proj.from.as_str()) || failed.contains(&proj.to.as_str()) {
                continue;
            }
            let item = proj.item(i);
            let find = |field: &str, name: &str| {
                names.get(name).copied().ok_or_else(|| {
                    let mut known: Vec<&str> = names.keys().copied().collect();
                    known.sort_unstable();
                    ConfigError::invalid(
                        &item,
                        field,
                        format!("unknown population \"{name}\" (known: {})", known.join(", ")),
                    )
                })
            };
            let result = (|| {
                let from = find("from", &proj.from)?;
                let to = find("to", &proj.to)?;
                if to.kind == PopulationKind::Axons {
                    return Err(ConfigError::invalid(
                        &item,
                        "to",
                        format!("\"{}\" is an input; projections end on neuron populations", proj.to),
                    ));
                }
                project(sink, &item, i, proj, from, to, global, stdp, budget, errors.is_empty())
            })();
            if let Err(e) = result {
                errors.push(e);
            }
        }
    }
}

/// The synapses `[[record.weights]]` number `i` names, in the built network.
fn weight_record(net: &Network, i: usize, w: &WeightsSection) -> Result<WeightRecord, ConfigError> {
    let item = format!("record.weights[{i}] ({} -> {})", w.from, w.to);
    let pop = |field: &str, name: &str| {
        net.population(name)
            .ok_or_else(|| ConfigError::invalid(&item, field, format!("unknown population \"{name}\"")))
    };
    let from = pop("from", &w.from)?;
    let to = pop("to", &w.to)?;
    if to.kind == PopulationKind::Axons {
        return Err(ConfigError::invalid(&item, "to", "inputs have no synapses onto them"));
    }
    let members = |field: &str, list: &Option<Vec<i64>>, size: u32| -> Result<Vec<u32>, ConfigError> {
        match list {
            None => Ok((0..size).collect()),
            Some(l) => l
                .iter()
                .enumerate()
                .map(|(j, &k)| index_in(&item, &format!("{field}[{j}]"), k, size))
                .collect(),
        }
    };
    let pre = members("pre", &w.pre, from.size)?;
    let post: std::collections::HashSet<u32> = members("post", &w.post, to.size)?
        .into_iter()
        .map(|k| to.first + k)
        .collect();
    let every = match w.every {
        None => 1,
        Some(e) if (1..=u32::MAX as i64).contains(&e) => e as u32,
        Some(e) => {
            return Err(ConfigError::invalid(
                &item,
                "every",
                format!("{e} is out of range 1..={}", u32::MAX),
            ))
        }
    };
    let syn = net.synapses();
    let mut synapses = Vec::new();
    for k in pre {
        let source = match from.kind {
            PopulationKind::Axons => Source::Axon(from.first + k),
            PopulationKind::Neurons => Source::Neuron(from.first + k),
        };
        let s = net.source_index(source) as usize;
        synapses.extend(syn.row(s).filter(|&x| post.contains(&syn.target(x))).map(|x| x as u64));
    }
    synapses.sort_unstable();
    if synapses.is_empty() {
        return Err(ConfigError::invalid(&item, "", "no synapse joins these neurons"));
    }
    if synapses.len() > MAX_RECORDED_SYNAPSES {
        return Err(ConfigError::invalid(
            &item,
            "",
            format!(
                "{} synapses; one recording holds at most {MAX_RECORDED_SYNAPSES} (choose `pre` and `post`)",
                synapses.len()
            ),
        ));
    }
    Ok(WeightRecord { synapses, every })
}

/// Register a population name; names are unique across neurons and inputs.
fn claim<'a>(
    names: &mut HashMap<&'a str, Placed>,
    item: &str,
    name: &'a str,
    placed: Placed,
) -> Result<(), ConfigError> {
    if name.is_empty() {
        return Err(ConfigError::invalid(item, "name", "must not be empty"));
    }
    if names.insert(name, placed).is_some() {
        return Err(ConfigError::invalid(
            item,
            "name",
            format!("\"{name}\" is already used by another population or input"),
        ));
    }
    Ok(())
}

/// Bytes a synapse needs to be built and simulated: the build peaks at 10
/// (8-byte records being sorted, then 2 of columns beside them), the network
/// keeps 6 and the engine's copy adds 4 plus its share of the run headers
/// (11.7 in all measured at 10^8 synapses, neurons included).
const BUILD_BYTES_PER_SYNAPSE: u64 = 12;

/// Refuse `size` more neurons or axons (after `before`) when the network
/// would pass the budget or the memory this machine has available.
fn check_source_budget(item: &str, before: u64, size: u32, budget: Budget) -> Result<(), ConfigError> {
    let total = before + size as u64;
    let what = format!("{size} makes {total} neurons and axons in all");
    check_fits(
        item,
        "size",
        &what,
        total,
        budget.neurons.min(MAX_COUNT),
        total * BYTES_PER_SOURCE,
    )
}

/// Refuse `count` more synapses (after `before`) when the network would pass
/// the simulator's index limit, the budget, or the memory this machine has
/// available.
fn check_synapse_budget(item: &str, before: u64, count: u64, budget: Budget) -> Result<(), ConfigError> {
    let total = before.saturating_add(count);
    if total > MAX_COUNT {
        return Err(ConfigError::invalid(
            item,
            "connect",
            format!("makes {count} synapses, {total} in all: more than the {MAX_COUNT} a network may have"),
        ));
    }
    let what = format!("makes {count} synapses, {total} in all");
    check_fits(
        item,
        "connect",
        &what,
        total,
        budget.synapses,
        total.saturating_mul(BUILD_BYTES_PER_SYNAPSE),
    )
}

/// Refuse what `what` says of `item.field` when its `total` passes `limit`,
/// or the `bytes` it needs to build pass the memory available.
fn check_fits(item: &str, field: &str, what: &str, total: u64, limit: u64, bytes: u64) -> Result<(), ConfigError> {
    if total > limit {
        return Err(ConfigError::invalid(
            item,
            field,
            format!("{what}: more than the {limit} allowed"),
        ));
    }
    match available_memory() {
        Some(available) if bytes > available => Err(ConfigError::invalid(
            item,
            field,
            format!(
                "{what}, which needs about {:.1} GiB to build; {:.1} GiB is available",
                bytes as f64 / (1u64 << 30) as f64,
                available as f64 / (1u64 << 30) as f64
            ),
        )),
        _ => Ok(()),
    }
}

/// Memory available to this process (Linux `MemAvailable`), if known.
fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// `value` checked against `min..=max` with the model's own range check, as
/// an error on `item.field`.
fn in_range(item: &str, field: &'static str, value: i64, min: i64, max: i64) -> Result<i64, ConfigError> {
    check_range(field, value, min, max).map_err(|e| ConfigError::invalid(item, field, e.reason()))
}

fn size_of(item: &str, size: i64) -> Result<u32, ConfigError> {
    in_range(item, "size", size, 1, u32::MAX as i64 / 2).map(|s| s as u32)
}

fn index_in(item: &str, field: &str, value: i64, size: u32) -> Result<u32, ConfigError> {
    if (0..size as i64).contains(&value) {
        Ok(value as u32)
    } else {
        Err(ConfigError::invalid(
            item,
            field,
            format!("index {value} is out of range 0..{size}"),
        ))
    }
}

fn check_spec_range(item: &str, field: &'static str, spec: &IntSpec, min: i64, max: i64) -> Result<(), ConfigError> {
    let (lo, hi) = spec.bounds();
    if lo > hi {
        return Err(ConfigError::invalid(
            item,
            field,
            format!("uniform range [{lo}, {hi}] is empty"),
        ));
    }
    for v in [lo, hi] {
        in_range(item, field, v, min, max)?;
    }
    Ok(())
}

fn probability(item: &str, field: &str, p: f64) -> Result<f64, ConfigError> {
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(ConfigError::invalid(item, field, format!("{p} is out of range 0..=1")))
    }
}

/// The spikes of one input population as (tick, index), unsorted.
fn input_spikes(
    item: &str,
    input: &InputSection,
    size: u32,
    ticks: u32,
    default_seed: u64,
    base: Option<&Path>,
    budget: Budget,
) -> Result<Vec<(u32, u32)>, ConfigError> {
    let mut out = Vec::new();
    if let Some(PoissonSection {
        p, seed, start, stop, ..
    }) = &input.poisson
    {
        let Some(p) = *p else {
            return Err(ConfigError::invalid(
                item,
                "poisson",
                "give p (a probability per tick) or rate_hz (with [simulation] dt)",
            ));
        };
        let p = probability(item, "poisson.p", p)?;
        let (start, stop) = (start.unwrap_or(0), stop.unwrap_or(ticks));
        if start > stop {
            return Err(ConfigError::invalid(
                item,
                "poisson",
                format!("start {start} is after stop {stop}"),
            ));
        }
        let draws = (stop - start) as u64 * size as u64;
        if draws > budget.draws {
            return Err(ConfigError::invalid(
                item,
                "poisson",
                format!(
                    "{draws} axon-ticks is more than {}; give the spikes as a file instead",
                    budget.draws
                ),
            ));
        }
        let mut rng = seeded(seed.unwrap_or(default_seed));
        for t in start..stop {
            for a in 0..size {
                if rng.random_bool(p) {
                    out.push((t, a));
                }
            }
        }
    }
    for (j, row) in input.spikes.iter().enumerate() {
        let field = format!("spikes[{j}]");
        let [tick, idx] = row[..] else {
            return Err(ConfigError::invalid(
                item,
                field,
                format!("expected [tick, index], got {} numbers", row.len()),
            ));
        };
        if !(0..=u32::MAX as i64).contains(&tick) {
            return Err(ConfigError::invalid(
                item,
                field,
                format!("tick {tick} is out of range 0..=4294967295"),
            ));
        }
        out.push((tick as u32, index_in(item, &field, idx, size)?));
    }
    if let Some(rel) = &input.file {
        let path = match base {
            Some(dir) => dir.join(rel),
            None => rel.clone(),
        };
        read_spike_file(item, &path, size, &mut out)?;
    }
    Ok(out)
}

/// Read an input population's spike file ([`crate::spike_csv`]).
fn read_spike_file(item: &str, path: &Path, size: u32, out: &mut Vec<(u32, u32)>) -> Result<(), ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::invalid(item, "file", format!("cannot read {}: {e}", path.display())))?;
    let err = |line: u64, reason: String| ConfigError::InputFile {
        file: path.to_path_buf(),
        line,
        reason,
    };
    for (tick, idx) in crate::spike_csv::parse_spikes(&text).map_err(|e| err(e.line, e.reason))? {
        if idx >= size {
            return Err(ConfigError::invalid(
                item,
                "file",
                format!(
                    "{}: axon {idx} at tick {tick} is out of range 0..{size}",
                    path.display()
                ),
            ));
        }
        out.push((tick, idx));
    }
    Ok(())
}

/// Expand one projection into synapses.
#[allow(clippy::too_many_arguments)]
fn project(
    sink: &mut dyn SynapseSink,
    item: &str,
    index: usize,
    proj: &ProjectionSection,
    from: Placed,
    to: Placed,
    global: u64,
    stdp: Option<&StdpParams>,
    budget: Budget,
    generate: bool,
) -> Result<(), ConfigError> {
    let same = from.kind == to.kind && from.first == to.first;
    // A list whose every synapse gives its weight needs no default.
    let listed = matches!(&proj.connect, Connect::List { synapses } if synapses.iter().all(|s| s.len() >= 3));
    let Some(weight) = proj.weight.or(listed.then_some(IntSpec::Const(0))) else {
        return Err(ConfigError::invalid(
            item,
            "weight",
            "missing: give weight (a mantissa, with wexp) or weight_mV / weight_pA (physical units)",
        ));
    };
    let (wexp, delay) = (proj.wexp.unwrap_or(0), proj.delay.unwrap_or(IntSpec::Const(1)));
    check_spec_range(item, "weight", &weight, i8::MIN as i64, i8::MAX as i64)?;
    check_spec_range(item, "delay", &delay, 1, crate::fixed::DELAY_MAX as i64)?;
    // Check the constant fields once, with a weight in range.
    let (lo, hi) = weight.bounds();
    for w in [lo, hi] {
        check_synapse_values(w, wexp, 1, proj.plastic, stdp).map_err(|e| synapse_error(item, "", e))?;
    }
    let mut weights = weight.sampler(derive_seed(global, "projection", index, "weight"));
    let mut delays = delay.sampler(derive_seed(global, "projection", index, "delay"));
    let source = |k: u32| match from.kind {
        PopulationKind::Neurons => Source::Neuron(from.first + k),
        PopulationKind::Axons => Source::Axon(from.first + k),
    };
    let mut add = |sink: &mut dyn SynapseSink, pre: u32, post: u32, w: Option<i64>, d: Option<i64>, field: &str| {
        let weight = w.unwrap_or_else(|| weights.draw());
        let delay = d.unwrap_or_else(|| delays.draw());
        check_synapse_values(weight, wexp, delay, proj.plastic, stdp).map_err(|e| synapse_error(item, field, e))?;
        sink.add(&SynapseSpec {
            source: source(pre),
            target: to.first + post,
            weight: weight as i8,
            wexp: wexp as u8,
            delay: delay as u8,
            plastic: proj.plastic,
        })
        .map_err(|e| ConfigError::invalid(item, field, e))
    };
    let (n_pre, n_post) = (from.size, to.size);
    let pairs = n_pre as u64 * n_post as u64;
    // Refuse a rule that cannot fit before drawing anything: `count` is the
    // number of synapses it makes (expected, for fixed_probability).
    let before = sink.num_synapses();
    let fits = |count: u64| check_synapse_budget(item, before, count, budget);
    let seed_of = |s: Option<u64>| s.unwrap_or_else(|| derive_seed(global, "projection", index, "connect"));
    match &proj.connect {
        // Without `generate` (the file has failed already), a rule's fields
        // are checked and nothing is drawn.
        _ if !generate && !matches!(proj.connect, Connect::List { .. }) => {
            check_rule(item, &proj.connect, n_pre, n_post, same)?;
        }
        Connect::AllToAll { allow_autapses } => {
            fits(pairs)?;
            for pre in 0..n_pre {
                for post in 0..n_post {
                    if same && pre == post && !allow_autapses {
                        continue;
                    }
                    add(sink, pre, post, None, None, "")?;
                }
            }
        }
        Connect::OneToOne => {
            check_rule(item, &proj.connect, n_pre, n_post, same)?;
            for k in 0..n_pre {
                add(sink, k, k, None, None, "")?;
            }
        }
        Connect::FixedProbability {
            p,
            seed,
            allow_autapses,
        } => {
            check_rule(item, &proj.connect, n_pre, n_post, same)?;
            let p = *p;
            if pairs > budget.draws {
                return Err(ConfigError::invalid(
                    item,
                    "connect",
                    format!(
                        "fixed_probability draws once per pair ({pairs} pairs, at most {}); use fixed_indegree",
                        budget.draws
                    ),
                ));
            }
            fits((p * pairs as f64).ceil() as u64)?;
            let mut rng = seeded(seed_of(*seed));
            for pre in 0..n_pre {
                for post in 0..n_post {
                    if same && pre == post && !allow_autapses {
                        continue;
                    }
                    if rng.random_bool(p) {
                        add(sink, pre, post, None, None, "")?;
                    }
                }
            }
        }
        Connect::FixedIndegree(rule) | Connect::FixedOutdegree(rule) => {
            let DegreeRule {
                k: _,
                seed,
                allow_autapses,
                allow_multapses,
            } = rule;
            let indegree = matches!(proj.connect, Connect::FixedIndegree(_));
            // For each "owner" (a target for in-degree, a source for
            // out-degree) draw k partners from the other side.
            let (owners, pool) = if indegree { (n_post, n_pre) } else { (n_pre, n_post) };
            let exclude_self = same && !allow_autapses;
            let choices = pool - u32::from(exclude_self);
            let k = check_rule(item, &proj.connect, n_pre, n_post, same)?;
            fits(owners as u64 * k as u64)?;
            let mut rng = seeded(seed_of(*seed));
            let mut partners = Vec::with_capacity(k as usize);
            for owner in 0..owners {
                partners.clear();
                if *allow_multapses {
                    partners.extend((0..k).map(|_| rng.random_range(0..choices)));
                } else {
                    partners.extend(
                        sample(&mut rng, choices as usize, k as usize)
                            .into_iter()
                            .map(|x| x as u32),
                    );
                }
                for &x in &partners {
                    // Skip over the owner itself when autapses are excluded.
                    let partner = if exclude_self && x >= owner { x + 1 } else { x };
                    let (pre, post) = if indegree { (partner, owner) } else { (owner, partner) };
                    add(sink, pre, post, None, None, "")?;
                }
            }
        }
        Connect::List { synapses } => {
            for (j, row) in synapses.iter().enumerate() {
                let field = format!("connect.synapses[{j}]");
                if !(2..=4).contains(&row.len()) {
                    return Err(ConfigError::invalid(
                        item,
                        field,
                        format!(
                            "expected [pre, post], [pre, post, weight] or [pre, post, weight, delay], got {} numbers",
                            row.len()
                        ),
                    ));
                }
                let pre = index_in(item, &field, row[0], n_pre)?;
                let post = index_in(item, &field, row[1], n_post)?;
                add(sink, pre, post, row.get(2).copied(), row.get(3).copied(), &field)?;
            }
        }
    }
    Ok(())
}

/// Check a connection rule's own fields against the populations' sizes; for
/// the degree rules, their `k`.
fn check_rule(item: &str, connect: &Connect, n_pre: u32, n_post: u32, same: bool) -> Result<u32, ConfigError> {
    match connect {
        Connect::OneToOne if n_pre != n_post => Err(ConfigError::invalid(
            item,
            "connect",
            format!("one_to_one needs equal sizes, got {n_pre} and {n_post}"),
        )),
        Connect::FixedProbability { p, .. } => probability(item, "connect.p", *p).map(|_| 0),
        Connect::FixedIndegree(rule) | Connect::FixedOutdegree(rule) => {
            let indegree = matches!(connect, Connect::FixedIndegree(_));
            let pool = if indegree { n_pre } else { n_post };
            let choices = pool - u32::from(same && !rule.allow_autapses);
            if rule.allow_multapses {
                if rule.k > 0 && choices == 0 {
                    return Err(ConfigError::invalid(item, "connect.k", "no partner to draw from"));
                }
                check_k(item, rule.k, u32::MAX as i64)
            } else {
                check_k(item, rule.k, choices as i64)
            }
        }
        _ => Ok(0),
    }
}

fn check_k(item: &str, k: i64, max: i64) -> Result<u32, ConfigError> {
    in_range(item, "connect.k", k, 0, max).map(|k| k as u32)
}

/// A synapse error as a config error: `field` is the list entry, if any;
/// range errors name their own field.
fn synapse_error(item: &str, field: &str, e: SynapseError) -> ConfigError {
    let join = |f: &str| {
        if field.is_empty() {
            f.to_string()
        } else {
            format!("{field}.{f}")
        }
    };
    match e {
        SynapseError::Range(r) => ConfigError::invalid(item, join(r.field), r.reason()),
        SynapseError::PlasticWithoutRule | SynapseError::OutOfBounds { .. } => {
            ConfigError::invalid(item, join("plastic"), e)
        }
        SynapseError::Endpoint { .. } => ConfigError::invalid(item, field, e),
    }
}
