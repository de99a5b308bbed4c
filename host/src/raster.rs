//! Raster plots of output spikes (neuron against tick, one colour per
//! population), as SVG or PNG by the file's extension (`plotters`).

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use plotters::style::FontStyle;
use spikefab_sim::network::PopulationKind;
use spikefab_sim::{Network, SpikeEvent};

/// Why a plot could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum RasterError {
    /// Not `.svg` or `.png`.
    #[error("{0}: a raster plot is written as .svg or .png")]
    Format(PathBuf),
    /// No font to draw the labels with.
    #[error("no TrueType font found for the plot's labels (looked for {looked}); install fonts-dejavu-core")]
    NoFont {
        /// Paths tried.
        looked: String,
    },
    /// Drawing or writing failed.
    #[error("{path}: {reason}")]
    Draw {
        /// File.
        path: PathBuf,
        /// plotters' message.
        reason: String,
    },
}

/// Fonts tried, in order, for the labels.
const FONTS: [&str; 4] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
];

/// Register a system font as plotters' `sans-serif`, once.
fn register_font() -> Result<(), RasterError> {
    static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        FONTS.iter().any(|p| match std::fs::read(p) {
            Ok(bytes) => {
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok()
            }
            Err(_) => false,
        })
    });
    if ok {
        Ok(())
    } else {
        Err(RasterError::NoFont {
            looked: FONTS.join(", "),
        })
    }
}

/// Draw `spikes` of `net` over ticks `0..ticks` into `path` (.svg or .png).
pub fn draw(path: &Path, net: &Network, spikes: &[SpikeEvent], ticks: u32, title: &str) -> Result<(), RasterError> {
    let size = (1200, 700);
    match path.extension().and_then(|e| e.to_str()) {
        Some("svg") => {
            register_font()?;
            plot(
                SVGBackend::new(path, size).into_drawing_area(),
                net,
                spikes,
                ticks,
                title,
            )
        }
        Some("png") => {
            register_font()?;
            plot(
                BitMapBackend::new(path, size).into_drawing_area(),
                net,
                spikes,
                ticks,
                title,
            )
        }
        _ => return Err(RasterError::Format(path.to_path_buf())),
    }
    .map_err(|reason| RasterError::Draw {
        path: path.to_path_buf(),
        reason,
    })
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
    let neurons = net.num_neurons().max(1);
    let mut chart = ChartBuilder::on(&root)
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
            .map_err(e)?
            .label(format!("{} ({count} spikes)", p.name))
            .legend(move |(x, y)| Rectangle::new([(x, y - 4), (x + 8, y + 4)], colour.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(e)?;
    root.present().map_err(e)
}
