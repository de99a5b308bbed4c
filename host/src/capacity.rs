//! `spikefab inspect` as a capacity guide: what each projection costs (the
//! synapse-memory words of `spikefab_chip::usage` and its routing clocks per
//! tick, from the golden model's spikes), which core configurations the
//! network fits with each one's predicted busy cycles and real-time factor,
//! and, where it does not fit, what to reduce.

use std::fmt::Write;
use std::ops::ControlFlow;

use spikefab_chip::config::CoreConfig;
use spikefab_chip::image::{FitError, Image};
use spikefab_chip::usage::{projection_name, projections, ProjectionUsage};
use spikefab_sim::cycles::CycleCosts;
use spikefab_sim::network::PopulationKind;
use spikefab_sim::{Network, SimError, SimOptions, Simulator};

use crate::timing::Timing;
use crate::{golden, summary};

/// What the report is asked for: the run's length and timing.
#[derive(Debug, Clone, Copy)]
pub struct Inspect {
    /// Ticks the golden model runs for the spike counts and cycles.
    pub ticks: u32,
    /// Tick length, for the real-time factor, and the core clock (default:
    /// each core's board's).
    pub timing: Timing,
}

/// The projections and the cores, as `spikefab inspect` prints them.
pub fn report(net: &Network, how: Inspect) -> Result<String, SimError> {
    let mut s = String::new();
    let usage = projections(net);
    // Spikes of every population over the run: the golden model's (the same
    // spikes on every core) and the inputs.
    let mut sim = Simulator::new(net, SimOptions::default())?;
    sim.set_record_spikes(true);
    sim.run(how.ticks);
    let mut spikes_of = std::collections::HashMap::<&str, u64>::new();
    let name = |kind, id| net.population_of(kind, id).map_or("?", |p| p.name.as_str());
    for sp in sim.spikes() {
        *spikes_of.entry(name(PopulationKind::Neurons, sp.neuron)).or_default() += 1;
    }
    for i in net.inputs().iter().filter(|i| i.tick < how.ticks) {
        *spikes_of.entry(name(PopulationKind::Axons, i.axon)).or_default() += 1;
    }
    let learning = net.stdp().is_some();
    let costs = CycleCosts::CORE_V1;
    let size_of = |pre: &str| net.population(pre).map_or(1, |p| p.size as u64);
    let mut rows: Vec<&ProjectionUsage> = usage.iter().collect();
    rows.sort_by_key(|p| std::cmp::Reverse(p.words()));
    let _ = writeln!(
        s,
        "projections (pre -> post), by synapse-memory words; routing clocks per tick from {} ticks of the golden model:",
        how.ticks
    );
    for p in &rows {
        let pre = p.pre.as_str();
        let spikes = spikes_of.get(pre).copied().unwrap_or(0) as f64 / how.ticks.max(1) as f64;
        let clocks = spikes * p.clocks_per_spike(size_of(pre), &costs, learning);
        let _ = writeln!(
            s,
            "  {}: {} synapses ({} plastic) = {} words ({} synapse, {} fraction, {} run-header, {} fan-in); routing {:.1} \
             spikes/tick \
             of {pre} through it: ~{:.0} clocks/tick",
            p.name(),
            p.synapses,
            p.plastic,
            p.words(),
            p.synapses,
            p.plastic,
            p.headers,
            p.fanin,
            spikes,
            clocks
        );
    }
    if rows.is_empty() {
        let _ = writeln!(s, "  (no synapses)");
    }
    let _ = writeln!(s, "cores:");
    let mut fitted = false;
    for &config in CoreConfig::KNOWN {
        let mhz = how.timing.clock_mhz(Some(config));
        match Image::new(net, config) {
            Ok(image) => {
                fitted = true;
                let mut sim = Simulator::new(
                    net,
                    SimOptions {
                        core: Some(config.shape()),
                        ..SimOptions::default()
                    },
                )?;
                let worst = golden::step(&mut sim, how.ticks, |_, _| ControlFlow::Continue(()));
                let _ = writeln!(
                    s,
                    "  {}: fits, {} of {} synapse-memory words ({:.1}%)\n  {}",
                    config.name,
                    image.syn.len(),
                    config.syn_words(),
                    100.0 * image.syn.len() as f64 / config.syn_words() as f64,
                    summary::cycles(sim.cycle(), Some(worst), how.ticks, mhz, how.timing.tick_us)
                );
            }
            Err(e) => {
                let _ = writeln!(s, "  {}: does not fit: {e}", config.name);
                let _ = writeln!(s, "    to fit: {}", advice(net, &usage, &e));
            }
        }
    }
    if !fitted {
        let _ = writeln!(s, "  (no core holds it: the golden model runs it with `spikefab sim`)");
    }
    Ok(s.trim_end().to_string())
}

/// What to reduce so that the network fits, for the reason it does not.
pub fn advice(net: &Network, usage: &[ProjectionUsage], e: &FitError) -> String {
    match e {
        FitError::TooBig {
            what,
            needed,
            available,
            ..
        } => {
            let kind = if *what == "neurons" {
                PopulationKind::Neurons
            } else {
                PopulationKind::Axons
            };
            let mut pops: Vec<_> = net.populations().iter().filter(|p| p.kind == kind).collect();
            pops.sort_by_key(|p| std::cmp::Reverse(p.size));
            let list: Vec<String> = pops.iter().map(|p| format!("{} ({})", p.name, p.size)).collect();
            format!(
                "{} fewer {what}, from the populations {}",
                needed - available,
                list.join(", ")
            )
        }
        FitError::Delay { available, .. } => {
            let syn = net.synapses();
            let mut long: Vec<String> = Vec::new();
            for s in 0..net.num_sources() {
                for i in syn.row(s as usize) {
                    if syn.delay(i) as u32 > *available {
                        let pre = net.source_population(s);
                        let post = net.population_of(PopulationKind::Neurons, syn.target(i));
                        let name = projection_name(
                            pre.map_or("?", |p| p.name.as_str()),
                            post.map_or("?", |p| p.name.as_str()),
                        );
                        if !long.contains(&name) {
                            long.push(name);
                        }
                    }
                }
            }
            format!("delays of at most {available} ticks in {}", long.join(", "))
        }
        FitError::SynapseMemory { needed, available, .. } => {
            let over = needed - available;
            let mut rows: Vec<&ProjectionUsage> = usage.iter().collect();
            rows.sort_by_key(|p| std::cmp::Reverse(p.words()));
            // The smallest projection whose words alone cover the excess.
            let cut = rows.iter().rev().find(|p| p.words() >= over).or(rows.first());
            let mut a = format!("{over} words fewer");
            if let Some(p) = cut {
                let _ = write!(
                    a,
                    "; for example projection {}: {} {}synapses = {} words",
                    p.name(),
                    p.synapses,
                    if p.plastic == p.synapses && p.plastic > 0 {
                        "plastic "
                    } else {
                        ""
                    },
                    p.words()
                );
                if p.plastic > 0 {
                    let _ = write!(a, " (made static, it would need {} words fewer)", p.plastic_words());
                }
            }
            a
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_names_projections_cores_and_what_to_cut() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
        let net = spikefab_sim::config::load(&dir.join("stdp_homeostasis.toml"))
            .unwrap()
            .network;
        let how = Inspect {
            ticks: 200,
            timing: Timing::default(),
        };
        let r = report(&net, how).unwrap();
        let lines: Vec<&str> = r.lines().collect();
        // The plastic input projection is the largest: 2,048 synapses, each
        // with two fan-in words.
        assert!(
            lines[1].starts_with("  in -> exc: 2048 synapses (2048 plastic) = "),
            "{r}"
        );
        assert!(r.contains("  up5k: fits, "), "{r}");
        assert!(r.contains("at 24 MHz and 1000 us/tick"), "{r}");
        assert!(
            r.contains("  tiny: does not fit: the network needs 40 neurons, the tiny core has 16"),
            "{r}"
        );
        assert!(
            r.contains("    to fit: 24 fewer neurons, from the populations exc (32), inh (8)"),
            "{r}"
        );
        // The HX8K core holds the neurons but not the synapses: the projection
        // to cut is named.
        let hx8k = lines
            .iter()
            .position(|l| l.starts_with("  hx8k: does not fit"))
            .expect(&r);
        assert!(
            lines[hx8k + 1].starts_with("    to fit: ")
                && lines[hx8k + 1].contains("words fewer; for example projection in -> exc: 2048 plastic synapses"),
            "{}",
            lines[hx8k + 1]
        );
    }
}
