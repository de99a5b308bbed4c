//! Raster plots of output spikes (neuron against tick, one colour per
//! population), as SVG or PNG by the file's extension ([`crate::plot`]).

use std::path::Path;

use plotters::prelude::*;
use spikefab_sim::network::PopulationKind;
use spikefab_sim::{Network, SpikeEvent};

use crate::plot::{self, PlotError};

/// Draw `spikes` of `net` over ticks `0..ticks` into `path` (.svg or .png):
/// each population's neurons on a band of their own, a legend beside the plot.
pub fn draw(path: &Path, net: &Network, spikes: &[SpikeEvent], ticks: u32, title: &str) -> Result<(), PlotError> {
    plot::draw_on!(path, "a raster plot", plot::SIZE, |root| plot(
        root, net, spikes, ticks, title
    ))
}

fn plot<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    net: &Network,
    spikes: &[SpikeEvent],
    ticks: u32,
    title: &str,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(e)?;
    let (plot_area, legend_area) = root.split_horizontally(plot::PLOT_WIDTH);
    let neurons = net.num_neurons().max(1);
    let mut chart = ChartBuilder::on(&plot_area)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(0u32..ticks.max(1), 0u32..neurons)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc("tick")
        .y_desc("neuron")
        .disable_mesh()
        .draw()
        .map_err(e)?;
    let populations: Vec<_> = net
        .populations()
        .iter()
        .filter(|p| p.kind == PopulationKind::Neurons)
        .collect();
    // Every other population's band shaded, under the spikes.
    let x_end = ticks.max(1);
    chart
        .draw_series(
            populations
                .iter()
                .enumerate()
                .filter(|(i, _)| i % 2 == 1)
                .map(|(_, p)| {
                    Rectangle::new(
                        [(0, p.first), (x_end, p.first + p.size)],
                        RGBColor(238, 238, 238).filled(),
                    )
                }),
        )
        .map_err(e)?;
    let mut legend = Vec::new();
    for (i, p) in populations.iter().enumerate() {
        let colour = Palette99::pick(i).to_rgba();
        let range = p.first..p.first + p.size;
        let count = spikes.iter().filter(|s| range.contains(&s.neuron)).count();
        chart
            .draw_series(
                spikes
                    .iter()
                    .filter(|s| range.contains(&s.neuron))
                    .map(|s| Rectangle::new([(s.tick, s.neuron), (s.tick + 1, s.neuron + 1)], colour.filled())),
            )
            .map_err(e)?;
        legend.push((format!("{} ({count} spikes)", p.name), colour));
    }
    // The legend beside the plot: a square and a line per population.
    plot::legend(&legend_area, legend)?;
    root.present().map_err(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The legend's lines sit right of the plot, outside the data.
    #[test]
    fn the_legend_is_beside_the_plot() {
        let net = spikefab_sim::config::parse_toml(crate::spike_files::tests::TWO_POPULATIONS, None)
            .unwrap()
            .network;
        let spikes = [SpikeEvent {
            tick: 3,
            cycle: 0,
            neuron: 5,
        }];
        let path = std::env::temp_dir().join(format!("spikefab-raster-{}.svg", std::process::id()));
        draw(&path, &net, &spikes, 10, "test").unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        for label in ["exc (0 spikes)", "inh (1 spikes)"] {
            let at = svg
                .find(label)
                .unwrap_or_else(|| panic!("{label} is not in the raster"));
            let tag = &svg[svg[..at].rfind("<text").unwrap()..at];
            let x: u32 = tag
                .split("x=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            assert!(x >= plot::PLOT_WIDTH, "{label} at x = {x}");
        }
    }
}
