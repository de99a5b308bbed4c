//! Spikefab host: the serial link to a chip, the virtual chip and the
//! `spikefab` command-line tool.
//!
//! - [`link`]: the wire protocol's host end over any byte stream, with
//!   retransmission (`docs/spec.md` §10); [`serial`] opens ports as links.
//! - [`driver`]: load a network, run it, read its state back, recover lost
//!   events; the same code for a board, the virtual chip and the in-process
//!   co-simulation.
//! - [`virtual_chip`]: the RTL core behind a pseudo-terminal, with injectable
//!   [`faults`] and a model of a board's [`line`](mod@line) (UART rate, USB latency).
//! - [`verify`]: chip against golden model, spike by spike and field by field;
//!   [`waveform`]: the tick a difference appeared in, and the core's signals
//!   around it as a VCD file.
//! - [`flash`]: put a board's bitstream on it with openFPGALoader or iceprog.
//! - [`spike_files`], [`raster`], [`summary`]: what the CLI reads, draws and prints;
//!   [`outputs`]: its output paths, checked before a run.

pub mod driver;
pub mod faults;
pub mod flash;
pub mod line;
pub mod link;
pub mod live;
pub mod outputs;
pub mod raster;
pub mod serial;
pub mod spike_files;
pub mod summary;
pub mod verify;
#[cfg(feature = "virtual-chip")]
pub mod virtual_chip;
#[cfg(feature = "virtual-chip")]
pub mod waveform;
