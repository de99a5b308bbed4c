//! Weight histograms before and after a run (`--weights FILE.svg|png`): the
//! network's initial weights and the final ones, one bar per weight value,
//! of the plastic synapses (all synapses when none is plastic), so that what
//! learning did shows at a glance; and the recorded weights of
//! `[[record.weights]]` over time (`sim --weight-trace FILE.svg|png`).

use std::path::Path;

use plotters::prelude::*;
use spikefab_sim::record::WeightTrace;
use spikefab_sim::Network;

use crate::plot::{self, PlotError};

/// How many synapses have each weight, before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightCounts {
    /// Only the plastic synapses were counted.
    pub plastic_only: bool,
    /// `(weight, synapses before, synapses after)` for each weight from the
    /// smallest to the largest seen, gaps included.
    pub rows: Vec<(i8, u64, u64)>,
}

/// Count the weights of `net` (before) and `after` (the same synapses in
/// canonical order); `None` when the lengths differ or there is no synapse.
pub fn weight_counts(net: &Network, after: &[i8]) -> Option<WeightCounts> {
    let syn = net.synapses();
    if after.len() != syn.len() || after.is_empty() {
        return None;
    }
    let plastic_only = net.num_plastic() > 0;
    let chosen = |i: &usize| !plastic_only || syn.plastic(*i);
    let mut before = [0u64; 256];
    let mut later = [0u64; 256];
    for i in (0..after.len()).filter(chosen) {
        before[(syn.weight(i) as i16 + 128) as usize] += 1;
        later[(after[i] as i16 + 128) as usize] += 1;
    }
    let used = |k: &usize| before[*k] + later[*k] > 0;
    let lo = (0..256).find(used)?;
    let hi = (0..256).rfind(used)?;
    Some(WeightCounts {
        plastic_only,
        rows: (lo..=hi)
            .map(|k| ((k as i16 - 128) as i8, before[k], later[k]))
            .collect(),
    })
}

/// Draw the histograms of the weights of `net` before and `after` the run
/// into `path` (.svg or .png).
pub fn draw(path: &Path, net: &Network, after: &[i8], title: &str) -> Result<(), PlotError> {
    let counts = weight_counts(net, after).ok_or_else(|| PlotError::Empty {
        path: path.to_path_buf(),
        reason: format!(
            "no weights to plot ({} synapses, {} final weights)",
            net.num_synapses(),
            after.len()
        ),
    })?;
    plot::draw_on!(path, "a weight histogram", plot::SIZE, |root| plot(
        root, &counts, title
    ))
}

fn plot<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    counts: &WeightCounts,
    title: &str,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(e)?;
    let (plot_area, legend_area) = root.split_horizontally(plot::PLOT_WIDTH);
    let (lo, hi) = (counts.rows[0].0 as f64, counts.rows[counts.rows.len() - 1].0 as f64);
    let top = counts.rows.iter().map(|r| r.1.max(r.2)).max().unwrap_or(1).max(1) as f64 * 1.05;
    let mut chart = ChartBuilder::on(&plot_area)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(lo - 0.5..hi + 0.5, 0f64..top)
        .map_err(e)?;
    let which = if counts.plastic_only {
        "plastic synapses"
    } else {
        "synapses"
    };
    chart
        .configure_mesh()
        .x_desc("weight")
        .y_desc(which)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .disable_x_mesh()
        .draw()
        .map_err(e)?;
    let colours = [Palette99::pick(0).to_rgba(), Palette99::pick(1).to_rgba()];
    let mut legend = Vec::new();
    for (k, name) in ["before", "after"].into_iter().enumerate() {
        // Side by side within each weight's unit: before left, after right.
        let bars = counts.rows.iter().map(|r| {
            let (x, n) = (r.0 as f64, if k == 0 { r.1 } else { r.2 });
            let x0 = x - 0.4 + 0.4 * k as f64;
            Rectangle::new([(x0, 0.0), (x0 + 0.4, n as f64)], colours[k].filled())
        });
        chart.draw_series(bars).map_err(e)?;
        let total: u64 = counts.rows.iter().map(|r| if k == 0 { r.1 } else { r.2 }).sum();
        let mean = counts
            .rows
            .iter()
            .map(|r| r.0 as f64 * if k == 0 { r.1 } else { r.2 } as f64)
            .sum::<f64>()
            / total.max(1) as f64;
        legend.push((format!("{name} (mean {mean:.2})"), colours[k]));
    }
    plot::legend(&legend_area, legend)?;
    root.present().map_err(e)
}

/// Draw recorded weights over time into `path` (.svg or .png): a line per
/// synapse, named by its ends (`in[0] -> exc[1]`).
pub fn draw_traces(path: &Path, net: &Network, traces: &[WeightTrace], title: &str) -> Result<(), PlotError> {
    let mut lines: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for w in traces {
        let n = w.synapses.len();
        for (j, &s) in w.synapses.iter().enumerate() {
            let Some(r) = crate::state_file::synapse_row(net, s, 0) else {
                return Err(PlotError::Empty {
                    path: path.to_path_buf(),
                    reason: format!("a recorded synapse {s} the network does not have"),
                });
            };
            let points = (0..w.ticks.len())
                .filter_map(|k| w.values.get(k * n + j).map(|&v| (w.ticks[k] as f64, v as f64)))
                .collect();
            lines.push((
                format!("{}[{}] -> {}[{}]", r.pre, r.pre_index, r.post, r.post_index),
                points,
            ));
        }
    }
    if lines.iter().all(|(_, p)| p.is_empty()) {
        return Err(PlotError::Empty {
            path: path.to_path_buf(),
            reason: "no weight was recorded (add [[record.weights]], and run at least `every` ticks)".into(),
        });
    }
    plot::draw_on!(path, "a weight-trace plot", plot::SIZE, |root| plot_traces(
        root, &lines, title
    ))
}

fn plot_traces<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    lines: &[(String, Vec<(f64, f64)>)],
    title: &str,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(e)?;
    let (plot_area, legend_area) = root.split_horizontally(plot::PLOT_WIDTH);
    let all = lines.iter().flat_map(|(_, p)| p.iter());
    let (t_end, lo, hi) = all.fold((1.0f64, f64::MAX, f64::MIN), |(t, lo, hi), &(x, y)| {
        (t.max(x), lo.min(y), hi.max(y))
    });
    let mut chart = ChartBuilder::on(&plot_area)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..t_end, lo - 1.0..hi + 1.0)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc("tick")
        .y_desc("weight")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()
        .map_err(e)?;
    let mut legend = Vec::new();
    for (i, (name, points)) in lines.iter().enumerate() {
        let colour = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(points.iter().copied(), colour.stroke_width(2)))
            .map_err(e)?;
        legend.push((name.clone(), colour));
    }
    plot::named_legend(&legend_area, legend)?;
    root.present().map_err(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NET: &str = r#"
[[input]]
name = "in"
size = 3
spikes = [[0, 1]]

[[population]]
name = "n"
size = 3

[[projection]]
from = "in"
to = "n"
connect = { rule = "one_to_one" }
weight = 5
plastic = true

[[projection]]
from = "n"
to = "n"
connect = { rule = "one_to_one" }
weight = -40
"#;

    #[test]
    fn the_plastic_weights_are_counted_before_and_after() {
        let text = format!("{}{NET}", crate::spike_files::tests::LEARNING);
        let net = spikefab_sim::config::parse_toml(&text, None).unwrap().network;
        // In canonical order the three plastic synapses come first (axons).
        let mut after = net.synapses().weights().to_vec();
        after[0] = 7;
        after[2] = 3;
        let c = weight_counts(&net, &after).unwrap();
        assert!(c.plastic_only);
        assert_eq!(c.rows, vec![(3, 0, 1), (4, 0, 0), (5, 3, 1), (6, 0, 0), (7, 0, 1)]);
        assert_eq!(weight_counts(&net, &after[1..]), None);
        let path = std::env::temp_dir().join(format!("spikefab-weights-{}.svg", std::process::id()));
        draw(&path, &net, &after, "test").unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        for label in ["before (mean 5.00)", "after (mean 5.00)", "plastic synapses"] {
            assert!(svg.contains(label), "{label} is not in the plot");
        }
        let e = draw(&path, &net, &after[1..], "test").unwrap_err();
        assert!(
            e.to_string()
                .ends_with("no weights to plot (6 synapses, 5 final weights)"),
            "{e}"
        );

        // Recorded weights over time: a named line per synapse.
        let trace = WeightTrace {
            synapses: vec![0, 2],
            every: 10,
            ticks: vec![10, 20, 30],
            values: vec![5, 5, 6, 4, 7, 3],
        };
        draw_traces(&path, &net, std::slice::from_ref(&trace), "test").unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        for label in ["in[0] -&gt; n[0]", "in[2] -&gt; n[2]", "weight"] {
            assert!(svg.contains(label), "{label} is not in the plot");
        }
        let empty = WeightTrace {
            ticks: vec![],
            values: vec![],
            ..trace
        };
        let e = draw_traces(&path, &net, &[empty], "test").unwrap_err();
        assert!(e.to_string().contains("no weight was recorded"), "{e}");
    }
}
