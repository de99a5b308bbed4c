//! A phase block's claim on the synapse memory's one port, as a pair of
//! bundles the core joins: [`SynClaim`] on the router and on the
//! potentiation (passed up through the plasticity block), [`SynPort`] on
//! [`SynapseMemories`](super::synapse_memories::SynapseMemories), once per
//! claimant.
// `#[join]` derives a `join` function without a doc comment; the fields of
// `SynPort` are those of `SynClaim`, the other way.
#![allow(missing_docs)]

use rust_hdl::prelude::*;

/// A block's use of the synapse memory's port this clock: whether it owns
/// the port, the address it reads (or writes), and a write of a synapse
/// word's low 16 bits (a weight update).
#[derive(LogicInterface, Default)]
#[join = "SynPort"]
pub struct SynClaim<const SB: usize> {
    /// The block drives the port.
    pub own: Signal<Out, Bit>,
    /// The synapse-memory address.
    pub address: Signal<Out, Bits<SB>>,
    /// Write `data` at `address`.
    pub write: Signal<Out, Bit>,
    /// The synapse word written (its low 16 bits).
    pub data: Signal<Out, Bits<16>>,
}

/// The synapse memories' side of a [`SynClaim`]: the same signals, the
/// other way.
#[derive(LogicInterface, Default)]
#[join = "SynClaim"]
pub struct SynPort<const SB: usize> {
    pub own: Signal<In, Bit>,
    pub address: Signal<In, Bits<SB>>,
    pub write: Signal<In, Bit>,
    pub data: Signal<In, Bits<16>>,
}
