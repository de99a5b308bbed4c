//! Population firing rates over time: each population's spikes counted in
//! bins of ticks, as Hz per neuron at the tick length, drawn as one line per
//! population (`--rates FILE.svg|png`).

use std::path::Path;

use plotters::prelude::*;
use spikefab_sim::network::PopulationKind;
use spikefab_sim::{Network, SpikeEvent};

use crate::plot::{self, PlotError};

/// Bins a plot aims for over a run (fewer for short runs).
pub const BINS: u32 = 100;

/// One population's rate in each bin.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationRate {
    /// The population.
    pub name: String,
    /// Hz per neuron in each bin of `bin` ticks (the last bin may be shorter;
    /// its rate is over its own length).
    pub hz: Vec<f64>,
}

/// Each neuron population's rate in bins of `bin` ticks over `0..ticks`,
/// with ticks of `tick_us` microseconds.
pub fn population_rates(
    net: &Network,
    spikes: &[SpikeEvent],
    ticks: u32,
    bin: u32,
    tick_us: f64,
) -> Vec<PopulationRate> {
    let bin = bin.max(1);
    let bins = ticks.div_ceil(bin) as usize;
    net.populations()
        .iter()
        .filter(|p| p.kind == PopulationKind::Neurons)
        .map(|p| {
            let range = p.first..p.first + p.size;
            let mut counts = vec![0u64; bins];
            for s in spikes.iter().filter(|s| range.contains(&s.neuron) && s.tick < ticks) {
                counts[(s.tick / bin) as usize] += 1;
            }
            let hz = counts
                .iter()
                .enumerate()
                .map(|(i, &c)| {
                    let len = bin.min(ticks - i as u32 * bin) as f64;
                    c as f64 / (p.size.max(1) as f64 * len * tick_us * 1e-6)
                })
                .collect();
            PopulationRate {
                name: p.name.clone(),
                hz,
            }
        })
        .collect()
}

/// The bin for a run of `ticks`: about [`BINS`] bins.
pub fn bin_for(ticks: u32) -> u32 {
    ticks.div_ceil(BINS).max(1)
}

/// Draw the population rates of `spikes` over `0..ticks` into `path` (.svg
/// or .png), one line per population, a legend beside the plot.
pub fn draw(
    path: &Path,
    net: &Network,
    spikes: &[SpikeEvent],
    ticks: u32,
    tick_us: f64,
    title: &str,
) -> Result<(), PlotError> {
    let bin = bin_for(ticks);
    let rates = population_rates(net, spikes, ticks, bin, tick_us);
    if rates.is_empty() {
        return Err(PlotError::Empty {
            path: path.to_path_buf(),
            reason: "the network has no neuron population to plot the rates of".into(),
        });
    }
    plot::draw_on!(path, "a rate plot", plot::SIZE, |root| plot(
        root, &rates, ticks, bin, tick_us, title
    ))
}

fn plot<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    rates: &[PopulationRate],
    ticks: u32,
    bin: u32,
    tick_us: f64,
    title: &str,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(e)?;
    let (plot_area, legend_area) = root.split_horizontally(plot::PLOT_WIDTH);
    let top = rates
        .iter()
        .flat_map(|r| r.hz.iter().copied())
        .fold(0.0f64, f64::max)
        .max(1.0)
        * 1.05;
    let mut chart = ChartBuilder::on(&plot_area)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..ticks.max(1) as f64, 0f64..top)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc(format!("tick (bins of {bin}, {tick_us} µs each)"))
        .y_desc("rate (Hz per neuron)")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .draw()
        .map_err(e)?;
    let mut legend = Vec::new();
    for (i, r) in rates.iter().enumerate() {
        let colour = Palette99::pick(i).to_rgba();
        // Each bin's rate at its middle.
        let points = r.hz.iter().enumerate().map(|(k, &hz)| {
            let start = k as u32 * bin;
            let end = (start + bin).min(ticks);
            ((start + end) as f64 / 2.0, hz)
        });
        chart
            .draw_series(LineSeries::new(points, colour.stroke_width(2)))
            .map_err(e)?;
        let mean = r.hz.iter().sum::<f64>() / r.hz.len().max(1) as f64;
        legend.push((format!("{} ({mean:.1} Hz mean)", r.name), colour));
    }
    plot::legend(&legend_area, legend)?;
    root.present().map_err(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spike(tick: u32, neuron: u32) -> SpikeEvent {
        SpikeEvent { tick, cycle: 0, neuron }
    }

    #[test]
    fn rates_are_spikes_per_neuron_per_second_in_each_bin() {
        let net = spikefab_sim::config::parse_toml(crate::spike_files::tests::TWO_POPULATIONS, None)
            .unwrap()
            .network;
        let exc = net.population("exc").unwrap().clone();
        let inh = net.population("inh").unwrap().clone();
        // Two exc spikes in ticks 0..10, one inh spike in 10..15 (a shorter
        // last bin), ticks of 1 ms.
        let spikes = [
            spike(1, exc.first),
            spike(9, exc.first + 1),
            spike(12, inh.first),
            spike(20, inh.first),
        ];
        let r = population_rates(&net, &spikes, 15, 10, 1000.0);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].name, "exc");
        let hz = |count: f64, size: u32, ticks: f64| count / (size as f64 * ticks * 1e-3);
        assert_eq!(r[0].hz, vec![hz(2.0, exc.size, 10.0), 0.0]);
        assert_eq!(
            r[1].hz,
            vec![0.0, hz(1.0, inh.size, 5.0)],
            "the spike at tick 20 is past the run"
        );
        assert_eq!((bin_for(1000), bin_for(50), bin_for(0)), (10, 1, 1));
    }

    #[test]
    fn the_plot_has_a_line_and_a_legend_per_population() {
        let net = spikefab_sim::config::parse_toml(crate::spike_files::tests::TWO_POPULATIONS, None)
            .unwrap()
            .network;
        let spikes: Vec<SpikeEvent> = (0..50).map(|t| spike(t, t % net.num_neurons())).collect();
        let path = std::env::temp_dir().join(format!("spikefab-rates-{}.svg", std::process::id()));
        draw(&path, &net, &spikes, 50, 1000.0, "test").unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let lines = svg
            .lines()
            .filter(|l| l.starts_with("<polyline") && l.contains("stroke-width=\"2\""));
        assert_eq!(lines.count(), 2, "{svg}");
        for label in ["exc (", "inh (", "rate (Hz per neuron)"] {
            assert!(svg.contains(label), "{label} is not in the plot");
        }
        let e = draw(Path::new("r.jpg"), &net, &spikes, 50, 1000.0, "test").unwrap_err();
        assert_eq!(e.to_string(), "r.jpg: a rate plot is written as .svg or .png");
    }
}
