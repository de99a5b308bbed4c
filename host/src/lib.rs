//! Spikefab host: the serial link to a chip, the virtual chip and the
//! `spikefab` command-line tool.
//!
//! - [`link`]: the wire protocol's host end over any byte stream, with
//!   retransmission (`docs/spec.md` §10).
//! - [`driver`]: load a network, run it, read its state back, recover lost
//!   events; the same code for a board, the virtual chip and the in-process
//!   co-simulation.

pub mod driver;
pub mod faults;
pub mod link;
pub mod serial;
pub mod virtual_chip;
