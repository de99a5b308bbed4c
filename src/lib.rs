//! Spikefab: an open neuromorphic chip in three faces that agree to the bit and
//! the clock cycle. This root package gathers the faces so that the tests in
//! the top-level `tests/` can cross them; each face is its own crate.
#![deny(missing_docs)]

pub use spikefab_sim as sim;
