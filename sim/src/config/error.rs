//! Errors of network files: each names the file, or the item and field, and
//! the reason.

use std::path::PathBuf;

/// Why a network file could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {cause}")]
    Read {
        /// File.
        path: PathBuf,
        /// The OS error (shown in the message, so not also a `source()`).
        cause: std::io::Error,
    },
    /// Not TOML or JSON by its extension.
    #[error("{0}: unknown network file type (expected .toml or .json)")]
    Extension(PathBuf),
    /// TOML syntax or schema error (the message has line, column and key).
    #[error("{file}: {message}")]
    Toml {
        /// File name (or `<string>`).
        file: String,
        /// toml's message, with the offending line.
        message: String,
    },
    /// JSON syntax or schema error.
    #[error("{file}:{line}:{column}: {path}: {message}")]
    Json {
        /// File name (or `<string>`).
        file: String,
        /// Field path of the error, e.g. `projection[0].weight`.
        path: String,
        /// Line.
        line: usize,
        /// Column.
        column: usize,
        /// serde's message.
        message: String,
    },
    /// A value that parses but is not valid: names the item, the field and why.
    #[error("{item}{}: {reason}", dotted(field))]
    Invalid {
        /// The section, e.g. `projection[2] (exc -> inh)`.
        item: String,
        /// The field, e.g. `delay`.
        field: String,
        /// Why.
        reason: String,
    },
    /// Several of the above, in file order (the first 20 shown).
    #[error("{} problems:{}", .0.len(), list(.0))]
    Several(Vec<ConfigError>),
    /// A `--set` (or `--seed`) that cannot be applied to the file.
    #[error("--set {setting}: {reason}")]
    Setting {
        /// The setting as given.
        setting: String,
        /// Why.
        reason: String,
    },
    /// The file with its `--set` changes does not read as a network file.
    #[error("{file} (with --set): {path}: {message}")]
    Changed {
        /// File name.
        file: String,
        /// Field path of the error, e.g. `population[0].neuron.threshold`.
        path: String,
        /// serde's message.
        message: String,
    },
    /// A bad row in an input spike file.
    #[error("{file}:{line}: {reason}")]
    InputFile {
        /// File.
        file: PathBuf,
        /// 1-based line.
        line: u64,
        /// Why.
        reason: String,
    },
}

/// Most problems a [`ConfigError::Several`] shows.
pub const MAX_REPORTED: usize = 20;

fn list(errors: &[ConfigError]) -> String {
    let mut s: String = errors.iter().take(MAX_REPORTED).map(|e| format!("\n  - {e}")).collect();
    if errors.len() > MAX_REPORTED {
        s.push_str(&format!("\n  - and {} more", errors.len() - MAX_REPORTED));
    }
    s
}

fn dotted(field: &str) -> String {
    if field.is_empty() {
        String::new()
    } else {
        format!(".{field}")
    }
}

impl ConfigError {
    /// One error, or [`ConfigError::Several`] for more.
    pub(crate) fn all(mut errors: Vec<ConfigError>) -> Self {
        if errors.len() == 1 {
            errors.remove(0)
        } else {
            ConfigError::Several(errors)
        }
    }

    /// An [`ConfigError::Invalid`] from displayable parts.
    pub(crate) fn invalid(item: impl Into<String>, field: impl Into<String>, reason: impl ToString) -> Self {
        ConfigError::Invalid {
            item: item.into(),
            field: field.into(),
            reason: reason.to_string(),
        }
    }
}
