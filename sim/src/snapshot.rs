//! Compact binary snapshots of networks and run results (`bincode` 2).
//!
//! A snapshot is an 8-byte magic `SPIKEFAB`, a kind byte, a format version
//! byte, the payload's length (8 bytes, little-endian) and CRC-32 (4 bytes,
//! ISO-HDLC, little-endian), then the payload: the bincode (standard
//! configuration) encoding of the value. Reading checks all of them before
//! decoding, and a network is rebuilt through [`crate::NetworkBuilder`]'s
//! checks ([`crate::network::NetworkRecord`]), so that a damaged or
//! hand-made snapshot is an error that says what is wrong, never a panic.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::config::{Keep, Model, StoredModel};
use crate::cycles::CoreShape;
use crate::record::{ProbeTrace, RunStats, SpikeEvent, StateDump};

const MAGIC: &[u8; 8] = b"SPIKEFAB";
/// The format version this build writes and reads.
pub const VERSION: u8 = 8;
/// Bytes before the payload: magic, kind, version, length, CRC.
const HEADER: usize = 8 + 1 + 1 + 8 + 4;
/// The payload's checksum.
const CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// What a snapshot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A [`Model`]: network and run settings.
    Network = 1,
    /// A [`RunResult`].
    Results = 2,
    /// Input spikes: a `Vec<`[`crate::network::InputSpike`]`>`.
    Inputs = 3,
    /// Output spikes: a `Vec<`[`SpikeEvent`]`>`.
    Spikes = 4,
}

/// Everything a run produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunResult {
    /// The core the cycles were predicted for.
    pub core: CoreShape,
    /// Output spikes, with predicted cycles.
    pub spikes: Vec<SpikeEvent>,
    /// Probed variables.
    pub probes: Vec<ProbeTrace>,
    /// Work counters.
    pub stats: RunStats,
    /// State at the end of the run.
    pub final_state: StateDump,
}

/// Why a snapshot could not be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// File I/O failed.
    #[error("{path}: {cause}")]
    Io {
        /// File.
        path: PathBuf,
        /// OS error (shown in the message, so not also a `source()`).
        cause: std::io::Error,
    },
    /// Not a Spikefab snapshot of the expected kind and version.
    #[error("{path}: {reason}")]
    Format {
        /// File.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The payload did not decode, or what it holds is not valid.
    #[error("{path}: invalid snapshot: {reason}")]
    Decode {
        /// File.
        path: PathBuf,
        /// bincode's message.
        reason: String,
    },
}

/// Encode `value` as a snapshot of `kind`.
pub fn encode<T: Serialize>(kind: Kind, value: &T) -> Vec<u8> {
    let body = bincode::serde::encode_to_vec(value, bincode::config::standard())
        .expect("in-memory bincode encoding of plain data cannot fail");
    let mut out = Vec::with_capacity(HEADER + body.len());
    out.extend_from_slice(MAGIC);
    out.push(kind as u8);
    out.push(VERSION);
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&CRC32.checksum(&body).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// Decode a snapshot of `kind`; `path` only labels errors.
pub fn decode<T: DeserializeOwned>(kind: Kind, bytes: &[u8], path: &Path) -> Result<T, SnapshotError> {
    let format = |reason: String| SnapshotError::Format {
        path: path.to_path_buf(),
        reason,
    };
    if bytes.len() < 10 || &bytes[..8] != MAGIC {
        return Err(format("not a Spikefab snapshot (bad magic)".into()));
    }
    if bytes[8] != kind as u8 {
        return Err(format(format!(
            "snapshot kind {} where {:?} ({}) was expected",
            bytes[8], kind, kind as u8
        )));
    }
    if bytes[9] != VERSION {
        return Err(format(format!(
            "snapshot format version {} (this build reads {VERSION}; save the network again with `spikefab save`)",
            bytes[9]
        )));
    }
    if bytes.len() < HEADER {
        return Err(format(format!(
            "truncated: {} bytes, shorter than the header",
            bytes.len()
        )));
    }
    let declared = u64::from_le_bytes(bytes[10..18].try_into().expect("8 bytes"));
    let body = &bytes[HEADER..];
    if declared != body.len() as u64 {
        return Err(format(format!(
            "{} the header says the payload has {declared} bytes, the file has {}",
            if declared > body.len() as u64 {
                "truncated:"
            } else {
                "damaged:"
            },
            body.len()
        )));
    }
    let crc = u32::from_le_bytes(bytes[18..22].try_into().expect("4 bytes"));
    let computed = CRC32.checksum(body);
    if crc != computed {
        return Err(format(format!(
            "damaged: the payload's checksum is {computed:#010x}, the header says {crc:#010x}"
        )));
    }
    let decode_error = |reason: String| SnapshotError::Decode {
        path: path.to_path_buf(),
        reason,
    };
    let (value, used) = bincode::serde::decode_from_slice(body, bincode::config::standard()).map_err(|e| {
        decode_error(match e {
            // What a check (the network's rebuild) said, as it said it.
            bincode::error::DecodeError::OtherString(s) => s,
            e => e.to_string(),
        })
    })?;
    if used != body.len() {
        return Err(decode_error(format!("{} trailing bytes", body.len() - used)));
    }
    Ok(value)
}

/// Write a snapshot file.
pub fn save<T: Serialize>(path: &Path, kind: Kind, value: &T) -> Result<(), SnapshotError> {
    std::fs::write(path, encode(kind, value)).map_err(|cause| SnapshotError::Io {
        path: path.to_path_buf(),
        cause,
    })
}

/// Read a snapshot file.
pub fn load<T: DeserializeOwned>(path: &Path, kind: Kind) -> Result<T, SnapshotError> {
    let bytes = std::fs::read(path).map_err(|cause| SnapshotError::Io {
        path: path.to_path_buf(),
        cause,
    })?;
    decode(kind, &bytes, path)
}

/// Save a loaded network file.
pub fn save_model(path: &Path, model: &Model) -> Result<(), SnapshotError> {
    save(path, Kind::Network, model)
}

/// Load a saved network (its network checked as a network file's is, its
/// probes against its neurons).
pub fn load_model(path: &Path) -> Result<Model, SnapshotError> {
    load(path, Kind::Network)
}

/// [`load_model`], keeping only the synapses onto the targets `keep` gives
/// for the network's neuron count (one rank's share:
/// [`crate::network::NetworkBuilder::keep_targets`]). Its weight records,
/// canonical indices, hold as they are.
pub fn load_model_keeping(path: &Path, keep: Keep) -> Result<Model, SnapshotError> {
    let stored: StoredModel = load(path, Kind::Network)?;
    stored.into_model(Some(keep)).map_err(|reason| SnapshotError::Decode {
        path: path.to_path_buf(),
        reason,
    })
}
