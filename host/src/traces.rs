//! Probe traces (`spikefab sim --traces FILE.svg|png`): the probed variables
//! of `[[record.probe]]` over time, one panel per variable (u, v, θ, ...),
//! one line per probed neuron, named by population and index.

use std::path::Path;

use plotters::prelude::*;
use spikefab_sim::network::PopulationKind;
use spikefab_sim::record::{ProbeTrace, Var};
use spikefab_sim::Network;

use crate::plot::{self, PlotError};

/// Draw `probes` of `net` into `path` (.svg or .png).
pub fn draw(path: &Path, net: &Network, probes: &[ProbeTrace], title: &str) -> Result<(), PlotError> {
    let vars: Vec<Var> = Var::ALL
        .into_iter()
        .filter(|v| probes.iter().any(|p| p.var == *v))
        .collect();
    if vars.is_empty() {
        return Err(PlotError::Empty {
            path: path.to_path_buf(),
            reason: "nothing was probed: add [[record.probe]] to the network file".into(),
        });
    }
    let height = 120 + 260 * vars.len() as u32;
    plot::draw_on!(path, "a trace plot", (plot::SIZE.0, height), |root| plot(
        root, net, probes, &vars, title
    ))
}

/// `exc[3]`: the neuron's population and index in it.
fn label(net: &Network, neuron: u32) -> String {
    match net.population_of(PopulationKind::Neurons, neuron) {
        Some(p) => format!("{}[{}]", p.name, neuron - p.first),
        None => format!("neuron {neuron}"),
    }
}

fn plot<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    net: &Network,
    probes: &[ProbeTrace],
    vars: &[Var],
    title: &str,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(e)?;
    let root = root.titled(title, ("sans-serif", 22)).map_err(e)?;
    let panels = root.split_evenly((vars.len(), 1));
    for (panel, &var) in panels.iter().zip(vars) {
        let (plot_area, legend_area) = panel.split_horizontally(plot::PLOT_WIDTH);
        let lines: Vec<&ProbeTrace> = probes.iter().filter(|p| p.var == var).collect();
        let ticks = lines.iter().map(|p| p.values.len()).max().unwrap_or(1).max(1) as f64;
        let (lo, hi) = lines
            .iter()
            .flat_map(|p| p.values.iter())
            .fold((i32::MAX, i32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        let pad = ((hi - lo) as f64 * 0.05).max(1.0);
        let mut chart = ChartBuilder::on(&plot_area)
            .margin(10)
            .x_label_area_size(34)
            .y_label_area_size(64)
            .build_cartesian_2d(0f64..ticks, lo as f64 - pad..hi as f64 + pad)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc("tick")
            .y_desc(var.name())
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()
            .map_err(e)?;
        let mut legend = Vec::new();
        for (i, p) in lines.iter().enumerate() {
            let colour = Palette99::pick(i).to_rgba();
            let points = p.values.iter().enumerate().map(|(t, &v)| (t as f64, v as f64));
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(1)))
                .map_err(e)?;
            legend.push((label(net, p.neuron), colour));
        }
        plot::named_legend(&legend_area, legend)?;
    }
    root.present().map_err(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panel_per_variable_and_a_named_line_per_neuron() {
        let net = spikefab_sim::config::parse_toml(crate::spike_files::tests::TWO_POPULATIONS, None)
            .unwrap()
            .network;
        let trace = |neuron, var, values: &[i32]| ProbeTrace {
            neuron,
            var,
            values: values.to_vec(),
        };
        let probes = [
            trace(1, Var::V, &[0, 5, 9, 0]),
            trace(4, Var::V, &[0, 2, 4, 6]),
            trace(4, Var::Theta, &[10, 10, 12, 11]),
        ];
        let path = std::env::temp_dir().join(format!("spikefab-traces-{}.svg", std::process::id()));
        draw(&path, &net, &probes, "test").unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        for label in ["exc[1]", "inh[0]", "\nv\n", "\ntheta\n"] {
            assert!(svg.contains(label), "{label} is not in the plot");
        }
        let e = draw(&path, &net, &[], "test").unwrap_err();
        assert!(
            e.to_string()
                .ends_with("nothing was probed: add [[record.probe]] to the network file"),
            "{e}"
        );
    }
}
