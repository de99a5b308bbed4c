//! Spikefab host: the serial link to a chip, the virtual chip and the
//! `spikefab` command-line tool.
//!
//! - [`load`], [`golden`], [`session`]: the workflows the CLI and the Python
//!   package share: make a network ready to run, run it in the golden model,
//!   open a chip (a board or a virtual chip) and run or verify it there;
//!   [`timing`]: tick length and clock.
//! - [`link`]: the wire protocol's host end over any byte stream, with
//!   retransmission (`docs/spec.md` §10); [`serial`] opens ports as links.
//! - [`driver`]: load a network, run it (in lockstep or paced in real time),
//!   read its state back, recover lost answers; the same code for a board,
//!   the virtual chip and the in-process co-simulation.
//! - [`virtual_chip`]: the RTL core behind a pseudo-terminal, with injectable
//!   [`faults`] and a model of a board's [`line`](mod@line) (UART rate, USB latency).
//! - [`verify`]: chip against golden model, tick by tick and field by field;
//!   [`waveform`]: the tick a difference appeared in, and the core's signals
//!   around it as a VCD file.
//! - [`flash`]: put a board's bitstream on it with openFPGALoader or iceprog.
//! - [`capacity`]: `spikefab inspect`, what each projection costs each core.
//! - [`spike_files`], [`state_file`], [`raster`], [`rates`], [`weights`],
//!   [`traces`], [`summary`]: what the CLI reads, writes, draws ([`plot`])
//!   and prints;
//!   [`outputs`]: its output paths, checked before a run.

pub mod capacity;
pub mod classify;
pub mod driver;
pub mod faults;
pub mod flash;
pub mod golden;
pub mod line;
pub mod link;
pub mod live;
pub mod load;
pub mod nir;
pub mod outputs;
pub mod plot;
pub mod raster;
pub mod rates;
pub mod serial;
pub mod session;
pub mod spike_files;
pub mod state_file;
pub mod summary;
pub mod timing;
pub mod traces;
pub mod verify;
#[cfg(feature = "virtual-chip")]
pub mod virtual_chip;
#[cfg(feature = "virtual-chip")]
pub mod waveform;
pub mod weights;
