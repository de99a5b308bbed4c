//! A network made ready to run: read from a network file (`.toml`, `.json`)
//! or a snapshot (`.bin`), with settings (`--set PATH=VALUE`, `--seed`)
//! applied to the file, input spikes from another file, and the number of
//! ticks to run. The first step of every workflow, for the CLI and the
//! Python package alike.

use std::path::{Path, PathBuf};

use spikefab_sim::config::{self, ConfigError, Model, Setting};
use spikefab_sim::network::BuildError;
use spikefab_sim::snapshot::{self, SnapshotError};

use crate::spike_files::{self, SpikeFileError};

/// Why a network could not be made ready to run.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The network file, or a setting, is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The snapshot could not be read.
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    /// Settings change a file's text, and a snapshot has none.
    #[error("settings (--set, --seed) change a .toml or .json network file; {} is a snapshot", .0.display())]
    SettingsOnSnapshot(PathBuf),
    /// The input spike file could not be read.
    #[error(transparent)]
    InputFile(#[from] SpikeFileError),
    /// The input spikes do not fit the network.
    #[error("input spikes of {}: {source}", path.display())]
    Inputs {
        /// The input spike file.
        path: PathBuf,
        /// What is wrong with them.
        source: BuildError,
    },
    /// Zero ticks to run.
    #[error("nothing to run: 0 ticks (give --ticks N, or ticks in the file's [simulation])")]
    NoTicks,
}

/// What to change in a network as it is loaded.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// Settings applied to the file's tree before it is read, in order.
    pub settings: Vec<Setting>,
    /// Input spikes (CSV `tick,axon` or a `.bin` snapshot) replacing the
    /// file's.
    pub inputs: Option<PathBuf>,
}

impl Changes {
    /// `--set` texts (each `PATH=VALUE`, checked) and `--seed`.
    pub fn parse(settings: &[String], seed: Option<u64>) -> Result<Changes, ConfigError> {
        let mut parsed = settings
            .iter()
            .map(|s| Setting::parse(s))
            .collect::<Result<Vec<_>, _>>()?;
        parsed.extend(seed.map(Setting::seed));
        Ok(Changes {
            settings: parsed,
            inputs: None,
        })
    }
}

/// Whether `path` names a snapshot (`.bin`) rather than a text file.
pub fn is_snapshot(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()) == Some("bin")
}

/// Load a network file (`.toml`, `.json`) or a model snapshot (`.bin`) as
/// it is.
pub fn model(path: &Path) -> Result<Model, LoadError> {
    if is_snapshot(path) {
        Ok(snapshot::load_model(path)?)
    } else {
        Ok(config::load(path)?)
    }
}

/// Load `path` with `changes` applied.
pub fn model_with(path: &Path, changes: &Changes) -> Result<Model, LoadError> {
    let model = if changes.settings.is_empty() {
        model(path)?
    } else if is_snapshot(path) {
        return Err(LoadError::SettingsOnSnapshot(path.to_path_buf()));
    } else {
        config::load_with(path, &changes.settings)?
    };
    with_inputs(model, changes)
}

/// `model` with the input file of `changes`, if it names one.
fn with_inputs(mut model: Model, changes: &Changes) -> Result<Model, LoadError> {
    if let Some(inputs) = &changes.inputs {
        let spikes = spike_files::read_inputs(inputs)?;
        model.network = model.network.with_inputs(spikes).map_err(|source| LoadError::Inputs {
            path: inputs.clone(),
            source,
        })?;
    }
    Ok(model)
}

/// [`model_with`], keeping only the synapses onto the targets `keep` gives
/// for the network's neuron count (one rank's share:
/// [`config::load_keeping`], [`snapshot::load_model_keeping`]); a network
/// file that records weights is loaded whole
/// ([`spikefab_sim::Network::share`] tells which).
pub fn model_keeping(path: &Path, changes: &Changes, keep: config::Keep) -> Result<Model, LoadError> {
    let model = if !is_snapshot(path) {
        config::load_keeping(path, &changes.settings, keep)?
    } else if changes.settings.is_empty() {
        snapshot::load_model_keeping(path, keep)?
    } else {
        return Err(LoadError::SettingsOnSnapshot(path.to_path_buf()));
    };
    with_inputs(model, changes)
}

/// The ticks to run: `asked`, else the file's; never zero.
pub fn ticks(model: &Model, asked: Option<u32>) -> Result<u32, LoadError> {
    match asked.unwrap_or(model.run.ticks) {
        0 => Err(LoadError::NoTicks),
        t => Ok(t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_on_a_snapshot_are_refused_by_name() {
        let changes = Changes::parse(&["simulation.ticks=5".into()], None).unwrap();
        let e = model_with(Path::new("net.bin"), &changes).unwrap_err();
        assert!(matches!(e, LoadError::SettingsOnSnapshot(_)), "{e}");
        assert!(e.to_string().contains("net.bin is a snapshot"), "{e}");
    }

    #[test]
    fn a_bad_setting_names_itself() {
        let e = Changes::parse(&["learning.a_plus".into()], None).unwrap_err();
        assert!(e.to_string().contains("learning.a_plus"), "{e}");
    }

    #[test]
    fn zero_ticks_is_an_error() {
        let model = config::parse_toml(
            "[simulation]\nticks = 0\n[[population]]\nname = \"a\"\nsize = 1\n",
            None,
        )
        .unwrap();
        assert!(matches!(ticks(&model, None), Err(LoadError::NoTicks)));
        assert_eq!(ticks(&model, Some(3)).unwrap(), 3);
    }
}
