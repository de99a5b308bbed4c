//! # spikefab-sim: the golden model of the Spikefab chip
//!
//! An event-driven, integer-only spiking-network simulator that computes
//! exactly what the Spikefab core computes (`docs/spec.md` is the contract)
//! and predicts the busy clock cycle at which the core emits every spike. It
//! is also a general simulator for networks far larger than any chip.
//!
//! ```
//! use spikefab_sim::{config, engine::{SimOptions, Simulator}};
//!
//! let model = config::parse_toml(r#"
//!     [[population]]
//!     name = "n"
//!     size = 2
//!     neuron = { du = 4096, dv = 2048, threshold = 100 }
//!
//!     [[input]]
//!     name = "in"
//!     size = 1
//!     spikes = [[0, 0]]
//!
//!     [[projection]]
//!     from = "in"
//!     to = "n"
//!     connect = { rule = "all_to_all" }
//!     weight = 120
//! "#, None).unwrap();
//! let mut sim = Simulator::new(&model.network, SimOptions::default()).unwrap();
//! sim.run(3);
//! // The input spike at tick 0 arrives (delay 1) at tick 1: v = 120 >= 100.
//! let fired: Vec<(u32, u32)> = sim.spikes().iter().map(|s| (s.tick, s.neuron)).collect();
//! assert_eq!(fired, [(1, 0), (1, 1)]);
//! ```
#![deny(missing_docs)]

pub mod config;
pub mod cycles;
pub mod dither;
pub mod engine;
pub mod fixed;
mod huge_pages;
pub mod learning;
pub mod lfsr;
#[cfg(feature = "mpi")]
pub mod mpi;
pub mod network;
pub mod neuron;
pub mod neuron_block;
pub mod quantize;
pub mod record;
pub mod snapshot;
pub mod spike_csv;

pub use cycles::{CoreShape, CycleCosts};
pub use engine::{Exchange, Ranks, SimError, SimOptions, Simulator};
pub use network::{Network, NetworkBuilder, Source, SynapseSpec};
pub use neuron::{NeuronParams, NeuronState};
pub use record::{SpikeEvent, StateDump};
