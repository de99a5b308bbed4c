//! The cross-face tests of the RTL core (against the golden model, and built
//! into the committed bitstreams), as one test binary: its tests run side by
//! side on the machine's cores (cargo runs test binaries one after another),
//! and the engines' harness code is compiled once rather than once per file.
//! Each module is one concern; its own documentation says what it checks.

#[path = "../../sim/tests/reference/mod.rs"]
#[allow(dead_code)]
mod reference;

mod common;

mod bitstream;
mod board_netlist;
mod fuzz_rtl;
mod phase_blocks;
mod registry;
mod rtl_equivalence;
mod rtl_protocol;
mod rtl_rungs;
mod rtl_stream;
