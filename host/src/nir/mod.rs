//! NIR, the Neuromorphic Intermediate Representation (`docs/nir.md`): its
//! files read as flat graphs ([`mod@file`]) and imported as Spikefab networks
//! ([`mod@import`]); networks exported as NIR graphs ([`mod@export`]).

pub mod export;
pub mod file;
pub mod import;
mod signal;

pub use export::{export, Export, ExportError};
pub use file::{from_bytes, read, Array, Graph, NirError, Node, MAX_DEPTH, MAX_READ_BYTES};
pub use import::{import, DtFrom, Import, ImportError, Options};
