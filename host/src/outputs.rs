//! Output files named on the command line, checked before a run starts: the
//! extension says the format, and the folder must be there, so that an hour
//! of simulation is not lost to a typo in a path.

use std::path::{Path, PathBuf};

/// What an output file holds, and so which extensions it may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    /// Output spikes: CSV or a snapshot.
    Spikes,
    /// A raster plot.
    Raster,
    /// A plot of population rates.
    Rates,
    /// Weight histograms.
    Weights,
    /// Probe traces.
    Traces,
    /// Recorded weights as CSV.
    WeightTrace,
    /// The final state as JSON.
    State,
    /// Probed variables as CSV.
    Probes,
    /// A results snapshot.
    Results,
    /// A run report as JSON.
    Report,
    /// A waveform.
    Vcd,
    /// A network file in the chip's integers.
    Network,
}

impl OutputKind {
    /// The option that names it, and the extensions it may have.
    fn spec(self) -> (&'static str, &'static [&'static str]) {
        match self {
            OutputKind::Spikes => ("--spikes", &["csv", "bin"]),
            OutputKind::Raster => ("--raster", &["svg", "png"]),
            OutputKind::Rates => ("--rates", &["svg", "png"]),
            OutputKind::Weights => ("--weights", &["svg", "png"]),
            OutputKind::Traces => ("--traces", &["svg", "png"]),
            OutputKind::WeightTrace => ("--weight-trace", &["csv", "svg", "png"]),
            OutputKind::State => ("--state", &["json"]),
            OutputKind::Probes => ("--probes", &["csv"]),
            OutputKind::Results => ("--results", &["bin"]),
            OutputKind::Report => ("--report", &["json"]),
            OutputKind::Vcd => ("--vcd", &["vcd"]),
            OutputKind::Network => ("--out", &["toml"]),
        }
    }
}

/// Why an output file cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutputError {
    /// An extension the format does not have.
    #[error("{option} {path}: the file must end in {}", list(.allowed))]
    Extension {
        /// The option.
        option: &'static str,
        /// The path given.
        path: PathBuf,
        /// Allowed extensions.
        allowed: &'static [&'static str],
    },
    /// The folder is not there.
    #[error("{option} {path}: the folder {folder} does not exist")]
    NoFolder {
        /// The option.
        option: &'static str,
        /// The path given.
        path: PathBuf,
        /// Its folder.
        folder: PathBuf,
    },
    /// The path is a folder.
    #[error("{option} {path}: is a folder, not a file")]
    IsFolder {
        /// The option.
        option: &'static str,
        /// The path given.
        path: PathBuf,
    },
}

fn list(allowed: &[&str]) -> String {
    let dotted: Vec<String> = allowed.iter().map(|e| format!(".{e}")).collect();
    match dotted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Check that `path` can hold an output of `kind`.
pub fn check(path: &Path, kind: OutputKind) -> Result<(), OutputError> {
    check_as(path, kind, kind.spec().0)
}

/// [`check`] for a file of `kind` given by another option (`spikefab plot
/// --out`), which the error names.
pub fn check_as(path: &Path, kind: OutputKind, option: &'static str) -> Result<(), OutputError> {
    let allowed = kind.spec().1;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if !allowed.contains(&ext) {
        return Err(OutputError::Extension {
            option,
            path: path.to_path_buf(),
            allowed,
        });
    }
    if path.is_dir() {
        return Err(OutputError::IsFolder {
            option,
            path: path.to_path_buf(),
        });
    }
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        return Err(OutputError::NoFolder {
            option,
            path: path.to_path_buf(),
            folder: folder.to_path_buf(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_and_folders_are_checked() {
        assert!(check(Path::new("out.csv"), OutputKind::Spikes).is_ok());
        assert!(check(Path::new("out.bin"), OutputKind::Spikes).is_ok());
        assert_eq!(
            check(Path::new("plot.jpg"), OutputKind::Raster)
                .unwrap_err()
                .to_string(),
            "--raster plot.jpg: the file must end in .svg or .png"
        );
        assert_eq!(
            check(Path::new("s.txt"), OutputKind::Spikes).unwrap_err().to_string(),
            "--spikes s.txt: the file must end in .csv or .bin"
        );
        assert_eq!(
            check(Path::new("/no/such/dir/state.json"), OutputKind::State)
                .unwrap_err()
                .to_string(),
            "--state /no/such/dir/state.json: the folder /no/such/dir does not exist"
        );
        let dir = std::env::temp_dir().join(format!("spikefab-out-{}.json", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(matches!(
            check(&dir, OutputKind::Report),
            Err(OutputError::IsFolder { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
