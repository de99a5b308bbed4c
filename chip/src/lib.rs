//! # spikefab-chip: the chip as data
//!
//! What the host, the RTL and the board build all need to know about the
//! chip, with no hardware description in it (so a board run compiles no
//! rust-hdl): [`config`] (the registry of core configurations, `docs/spec.md`
//! §8.1), [`device`] (the FPGA parts and their families' flows), [`board`] (the boards: part, clock,
//! pins, flashing), [`image`] (a network laid out in the core's memory
//! spaces, §8.2-8.3, and the check that it fits) and [`usage`] (what each
//! projection costs a core).
#![deny(missing_docs)]

pub mod board;
pub mod config;
pub mod device;
pub mod engine;
pub mod image;
pub mod usage;
