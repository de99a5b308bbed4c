//! The host port's access to the memory map (`docs/spec.md` §8.2, §10.2),
//! as a pair of bundles the core joins: [`HostAccess`] on the host port,
//! [`MapAccess`] on the [`MemoryMap`](super::memory_map::MemoryMap).
// `#[join]` derives a `join` function without a doc comment; the fields of
// `MapAccess` are those of `HostAccess`, the other way.
#![allow(missing_docs)]

use rust_hdl::prelude::*;

/// The host port's access to the memory map: a WRITE's or READ's command
/// words, the range check's answer, and the cells the host writes and
/// reads (one word per clock). [`MapAccess`] is the map's side.
#[derive(LogicInterface, Default)]
#[join = "MapAccess"]
pub struct HostAccess<const AB: usize> {
    /// The command's space word (payload word 0): the space, and the
    /// address's bits 16-23 in the high byte.
    pub space: Signal<Out, Bits<16>>,
    /// Its first address (word 1).
    pub address: Signal<Out, Bits<16>>,
    /// A READ's word count (word 2).
    pub count: Signal<Out, Bits<16>>,
    /// The frame's payload length in words.
    pub len: Signal<Out, Bits<8>>,
    /// The command is a WRITE (its words are the payload after two).
    pub is_write: Signal<Out, Bit>,
    /// The command's first address in its space (`address` and the space
    /// word's high byte), cut to `AB` bits (valid when the range is).
    pub first_cell: Signal<In, Bits<AB>>,
    /// No such space.
    pub space_bad: Signal<In, Bit>,
    /// The range passes the space's end.
    pub range_bad: Signal<In, Bit>,
    /// The host writes a word this clock.
    pub write: Signal<Out, Bit>,
    /// The word's address in the space.
    pub write_cell: Signal<Out, Bits<AB>>,
    /// The cell a READ reads: the memories are addressed with it, and its
    /// word is chosen by it the clock after.
    pub read_cell: Signal<Out, Bits<AB>>,
    /// The word of the space a READ names (of the cell read a clock ago).
    pub read_word: Signal<In, Bits<16>>,
}

/// The memory map's side of [`HostAccess`]: the same signals, the other way.
#[derive(LogicInterface, Default)]
#[join = "HostAccess"]
pub struct MapAccess<const AB: usize> {
    pub space: Signal<In, Bits<16>>,
    pub address: Signal<In, Bits<16>>,
    pub count: Signal<In, Bits<16>>,
    pub len: Signal<In, Bits<8>>,
    pub is_write: Signal<In, Bit>,
    pub first_cell: Signal<Out, Bits<AB>>,
    pub space_bad: Signal<Out, Bit>,
    pub range_bad: Signal<Out, Bit>,
    pub write: Signal<In, Bit>,
    pub write_cell: Signal<In, Bits<AB>>,
    pub read_cell: Signal<In, Bits<AB>>,
    pub read_word: Signal<Out, Bits<16>>,
}
