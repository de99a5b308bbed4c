//! # spikefab-hdl: the Spikefab core in rust-hdl
//!
//! The chip's core ([`core::Core`]: a byte stream of commands in, answers and
//! events out, `docs/spec.md` §6-§10) built from blocks that each implement a
//! part of the spec exactly and are tested bit for bit against their twins in
//! `spikefab-sim` (one file per block, named after it):
//!
//! | block | spec | model twin |
//! |---|---|---|
//! | [`saturate::Saturate`] | §1 | `spikefab_sim::fixed::sat16` |
//! | [`decay::Decay`] | §3.1 | `spikefab_sim::fixed::decay` (with its rounding offset) |
//! | [`dither::Dither`] | §3.1 | `spikefab_sim::dither` (the phase and each neuron's offset) |
//! | [`neuron_update::NeuronUpdate`] | §3.3 | `spikefab_sim::NeuronParams::step` |
//! | [`control::ControlRegisters`] | §8.2 | `spikefab_sim::learning::StdpParams` and the learning flag |
//! | [`neuron_memory::NeuronMemory`] | §8.2 | the neuron state and parameters (`field × N + n`) |
//! | [`post_history::PostHistory`] | §5.3 | the engine's spike history (`StateDump::post_history`) |
//! | [`delay_ring::DelayRing`] | §4.3 | the engine's ring with `spikefab_sim::fixed::add_sat16` |
//! | [`trace_update::TraceUpdate`] | §5.1 | `spikefab_sim::fixed::{trace_decay, trace_bump}` |
//! | [`lfsr::Lfsr`] | §5.2 | `spikefab_sim::lfsr::Lfsr16` |
//! | [`weight_update::WeightUpdate`] | §5.3 | `spikefab_sim::learning::StdpParams::{depress, potentiate}` |
//! | [`crc16::Crc16`], [`frame_rx::FrameRx`], [`frame_tx::FrameTx`] | §10.1 | `spikefab_proto::frame` |
//! | [`core::Core`] and its phase blocks ([`core::host_port`], [`core::sequencer`], [`core::router`], [`core::plasticity`], ...) | §6-§10 | `spikefab_sim::Simulator` in cycle mode; each block its part (see [`core`]) |
//!
//! Around them: [`cores`] (the RTL type of every configuration of
//! `spikefab_chip`'s registry, and dispatch on a configuration), [`memory`] (block RAM
//! and SPRAM wrappers), [`engine`] (the core behind its byte interface on either
//! simulator: [`cosim`], rust-hdl's, stepped directly, the reference; and
//! [`verilator`], the emitted Verilog compiled by Verilator, hardware speed),
//! [`rungs`] (Icarus and yosys-netlist simulation) and [`report`]
//! (yosys + nextpnr for the UP5K).
//!
//! ```
//! use rust_hdl::prelude::*;
//! use spikefab_hdl::decay::Decay;
//!
//! let mut uut = Decay::default();
//! uut.connect_all();
//! uut.x.next = (-1000i16 as u16).to_bits();
//! uut.d.next = 1024u16.to_bits(); // keep 3/4
//! uut.clock.next = true.into(); // registered: y follows a clock edge
//! assert!(simulate(&mut uut, 50));
//! // y is 17-bit two's complement (the decay plus `add`, here 0).
//! assert_eq!(uut.y.val().get_bits::<16>(0).to_u16() as i16, -750);
//! ```
#![deny(missing_docs)]

pub mod cache;
pub mod control;
pub mod core;
pub mod cores;
pub mod cosim;
pub mod crc16;
pub mod decay;
pub mod delay_ring;
pub mod dither;
pub mod engine;
pub mod frame_rx;
pub mod frame_tx;
pub mod lfsr;
pub mod memory;
pub mod neuron_memory;
pub mod neuron_update;
pub mod post_history;
pub mod report;
pub mod rungs;
pub mod saturate;
pub mod trace_update;
pub mod verilator;
pub mod weight_update;
