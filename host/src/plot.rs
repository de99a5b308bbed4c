//! What the plots share (`plotters`): the output format by the file's
//! extension (SVG or PNG), a system font for the labels, the errors, and the
//! legend drawn beside the data.

use std::path::PathBuf;

use plotters::prelude::*;
use plotters::style::FontStyle;

/// Why a plot could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// Not `.svg` or `.png`.
    #[error("{path}: {what} is written as .svg or .png")]
    Format {
        /// File.
        path: PathBuf,
        /// The plot, e.g. `a raster plot`.
        what: &'static str,
    },
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
    /// Nothing to draw.
    #[error("{path}: {reason}")]
    Empty {
        /// File.
        path: PathBuf,
        /// What is missing.
        reason: String,
    },
}

/// Size of every plot in pixels.
pub const SIZE: (u32, u32) = (1200, 700);

/// Width of the data's part of a plot; the legend is drawn to its right,
/// outside the data.
pub const PLOT_WIDTH: u32 = 1000;

/// Fonts tried, in order, for the labels.
const FONTS: [&str; 4] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
];

/// Register a system font as plotters' `sans-serif`, once.
pub fn register_font() -> Result<(), PlotError> {
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
        Err(PlotError::NoFont {
            looked: FONTS.join(", "),
        })
    }
}

/// `draw_on!(path, what, size, |root| f(root))`: run `f` on a drawing area
/// of `size` pixels of the backend `path`'s extension names (SVG or PNG);
/// `f` is generic over the backend and returns `Result<(), String>`.
macro_rules! draw_on {
    ($path:expr, $what:expr, $size:expr, |$root:ident| $body:expr) => {{
        let path: &std::path::Path = $path;
        match path.extension().and_then(|e| e.to_str()) {
            Some("svg") => {
                $crate::plot::register_font()?;
                let $root = plotters::prelude::SVGBackend::new(path, $size).into_drawing_area();
                $body
            }
            Some("png") => {
                $crate::plot::register_font()?;
                let $root = plotters::prelude::BitMapBackend::new(path, $size).into_drawing_area();
                $body
            }
            _ => {
                return Err($crate::plot::PlotError::Format {
                    path: path.to_path_buf(),
                    what: $what,
                })
            }
        }
        .map_err(|reason| $crate::plot::PlotError::Draw {
            path: path.to_path_buf(),
            reason,
        })
    }};
}
pub(crate) use draw_on;

/// Lines a legend names; the rest are drawn and counted ([`named_legend`]).
pub const MAX_NAMED: usize = 12;

/// [`legend`] of the first [`MAX_NAMED`] entries, and a line that counts
/// the rest.
pub fn named_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    mut entries: Vec<(String, RGBAColor)>,
) -> Result<(), String> {
    if entries.len() > MAX_NAMED {
        let more = entries.len() - MAX_NAMED;
        entries.truncate(MAX_NAMED);
        entries.push((format!("and {more} more"), WHITE.to_rgba()));
    }
    legend(area, entries)
}

/// The legend, in `area` beside the plot: a coloured square and a label per
/// entry, one under the other.
pub fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    entries: impl IntoIterator<Item = (String, RGBAColor)>,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    for (i, (label, colour)) in entries.into_iter().enumerate() {
        let y = 60 + 22 * i as i32;
        area.draw(&Rectangle::new([(6, y - 5), (16, y + 5)], colour.filled()))
            .map_err(e)?;
        area.draw(&Text::new(label, (22, y - 7), ("sans-serif", 14)))
            .map_err(e)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_legend_names_the_first_lines_and_counts_the_rest() {
        register_font().unwrap();
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (200, 600)).into_drawing_area();
            let entries = (0..15).map(|i| (format!("line {i}"), BLACK.to_rgba())).collect();
            named_legend(&area, entries).unwrap();
            area.present().unwrap();
        }
        assert!(svg.contains("line 11") && !svg.contains("line 12"), "{svg}");
        assert!(svg.contains("and 3 more"), "{svg}");
    }
}
