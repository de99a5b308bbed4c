//! `MemoryMap`: the host's view of the core's memories (`docs/spec.md` §8.2):
//! which space a WRITE or READ names and whether its range fits, which memory
//! a host write goes to, and which memory's word a READ returns. The twin is
//! `spikefab_proto::message::Space` (its numbers and `Space::words`), which
//! the host uses to address the same words; the space numbers below are
//! checked against it at compile time. The space word's low byte names the
//! space and its high byte holds the address's bits 16-23 (§10.2); a wide
//! core (`spikefab_proto::message::wide`) has the three high spaces.
//!
//! Combinational: the host port registers what it needs.

use rust_hdl::prelude::*;
use spikefab_proto::message::{field, wide, Space};

use super::host_access::MapAccess;

// The literal space numbers of `update` are the protocol's.
const _: () = assert!(
    Space::Ctrl as u16 == 0
        && Space::Neuron as u16 == 1
        && Space::Ring as u16 == 2
        && Space::Source as u16 == 3
        && Space::Fanin as u16 == 4
        && Space::XPre as u16 == 5
        && Space::Syn as u16 == 6
        && Space::SynHi as u16 == 7
        && Space::SourceHi as u16 == 8
        && Space::FaninHi as u16 == 9
        && Space::ALL.len() == 10
);

/// The memory map of a core with `2^NB` neurons, `2^MB` axons, `2^DB` delay
/// slots and `2^SB` synapse words, whose host addresses have `AB` bits.
#[derive(LogicBlock)]
pub struct MemoryMap<const NB: usize, const MB: usize, const DB: usize, const SB: usize, const AB: usize> {
    /// The host port's access.
    pub access: MapAccess<AB>,
    /// Write a control register.
    pub ctrl_write: Signal<Out, Bit>,
    /// Write a neuron field.
    pub neuron_write: Signal<Out, Bit>,
    /// The neuron field written (`write_cell / N`).
    pub write_field: Signal<Out, Bits<{ field::ADDRESS_BITS }>>,
    /// Set a ring cell.
    pub ring_write: Signal<Out, Bit>,
    /// Write the source table.
    pub source_write: Signal<Out, Bit>,
    /// Write the fan-in table.
    pub fanin_write: Signal<Out, Bit>,
    /// Write the `x_pre` table.
    pub xpre_write: Signal<Out, Bit>,
    /// Write bits 16-17 of a synapse word (wide cores).
    pub syn_hi_write: Signal<Out, Bit>,
    /// Write bits 16-17 of a source pointer (wide cores).
    pub source_hi_write: Signal<Out, Bit>,
    /// Write bits 16-17 of a fan-in pointer (wide cores).
    pub fanin_hi_write: Signal<Out, Bit>,
    /// The neuron field read (`read_cell / N`).
    pub read_field: Signal<Out, Bits<{ field::ADDRESS_BITS }>>,
    /// Neuron memory word.
    pub neuron_word: Signal<In, Bits<16>>,
    /// Ring word.
    pub ring_word: Signal<In, Bits<16>>,
    /// Source table word (18 bits: `source` reads bits 0-15, `source_hi` bits 16-17).
    pub source_word: Signal<In, Bits<18>>,
    /// Fan-in table word (18 bits: `fanin` reads bits 0-15, `fanin_hi` bits 16-17).
    pub fanin_word: Signal<In, Bits<18>>,
    /// `x_pre` word.
    pub xpre_word: Signal<In, Bits<16>>,
    /// Synapse memory word (18 bits: `syn` reads bits 0-15, `syn_hi` bits 16-17).
    pub syn_word: Signal<In, Bits<18>>,
    /// Control register word.
    pub ctrl_word: Signal<In, Bits<16>>,
    /// Host write to the synapse memory (for the port's owner).
    pub syn_host_write: Signal<Out, Bit>,
    number: Signal<Local, Bits<8>>,
    // The space's number once it is known to be one (a command runs only
    // after the space check): the low 4 bits are enough to decode it.
    known: Signal<Local, Bits<4>>,
    span: Signal<Local, Bits<16>>,
    page: Signal<Local, Bits<8>>,
    page_bad: Signal<Local, Bit>,
    space_words: Signal<Local, Bits<20>>,
    range_end: Signal<Local, Bits<20>>,
    words_ctrl: Constant<Bits<20>>,
    words_neuron: Constant<Bits<20>>,
    words_ring: Constant<Bits<20>>,
    words_source: Constant<Bits<20>>,
    words_fanin: Constant<Bits<20>>,
    words_syn: Constant<Bits<20>>,
    words_syn_hi: Constant<Bits<20>>,
    words_source_hi: Constant<Bits<20>>,
    words_fanin_hi: Constant<Bits<20>>,
    last_space: Constant<Bits<8>>,
    page_shift: Constant<Bits<8>>,
    page_bits: Constant<Bits<8>>,
    neuron_shift: Constant<Bits<8>>,
}

impl<const NB: usize, const MB: usize, const DB: usize, const SB: usize, const AB: usize> Default
    for MemoryMap<NB, MB, DB, SB, AB>
{
    fn default() -> Self {
        let (n, m, d, s) = (1u32 << NB, 1u32 << MB, 1u32 << DB, 1u32 << SB);
        assert!((16..=19).contains(&AB) && Space::ALL.iter().all(|sp| sp.words(n, m, d, s) <= 1 << AB));
        let words = |space: Space| Constant::new(space.words(n, m, d, s).to_bits());
        let last = if wide(n, s) { Space::FaninHi } else { Space::Syn };
        MemoryMap {
            access: Default::default(),
            ctrl_write: Default::default(),
            neuron_write: Default::default(),
            write_field: Default::default(),
            ring_write: Default::default(),
            source_write: Default::default(),
            fanin_write: Default::default(),
            xpre_write: Default::default(),
            syn_hi_write: Default::default(),
            source_hi_write: Default::default(),
            fanin_hi_write: Default::default(),
            read_field: Default::default(),
            neuron_word: Default::default(),
            ring_word: Default::default(),
            source_word: Default::default(),
            fanin_word: Default::default(),
            xpre_word: Default::default(),
            syn_word: Default::default(),
            ctrl_word: Default::default(),
            syn_host_write: Default::default(),
            number: Default::default(),
            known: Default::default(),
            span: Default::default(),
            page: Default::default(),
            page_bad: Default::default(),
            space_words: Default::default(),
            range_end: Default::default(),
            words_ctrl: words(Space::Ctrl),
            words_neuron: words(Space::Neuron),
            words_ring: words(Space::Ring),
            words_source: words(Space::Source),
            words_fanin: words(Space::Fanin),
            words_syn: words(Space::Syn),
            words_syn_hi: words(Space::SynHi),
            words_source_hi: words(Space::SourceHi),
            words_fanin_hi: words(Space::FaninHi),
            last_space: Constant::new((last as u8).to_bits()),
            page_shift: Constant::new(16u8.to_bits()),
            page_bits: Constant::new(((AB - 16) as u8).to_bits()),
            neuron_shift: Constant::new((NB as u8).to_bits()),
        }
    }
}

impl<const NB: usize, const MB: usize, const DB: usize, const SB: usize, const AB: usize> Logic
    for MemoryMap<NB, MB, DB, SB, AB>
{
    #[hdl_gen]
    fn update(&mut self) {
        // The space word: the space, and the address's bits 16-23; the
        // address's bits past the core's `AB` must be 0.
        self.number.next = self.access.space.val().get_bits::<8>(0);
        self.page.next = self.access.space.val().get_bits::<8>(8);
        self.page_bad.next = (self.page.val() >> self.page_bits.val()) != 0;
        self.access.first_cell.next = bit_cast::<AB, 16>(self.access.address.val())
            | (bit_cast::<AB, 8>(self.page.val()) << self.page_shift.val());

        // The range check: address + words (WRITE: len - 2; READ: count)
        // against the space's size.
        self.space_words.next = 0.into();
        match self.number.val().index() {
            0 => {
                self.space_words.next = self.words_ctrl.val();
            }
            1 => {
                self.space_words.next = self.words_neuron.val();
            }
            2 => {
                self.space_words.next = self.words_ring.val();
            }
            3 => {
                self.space_words.next = self.words_source.val();
            }
            4 => {
                self.space_words.next = self.words_fanin.val();
            }
            5 => {
                self.space_words.next = self.words_source.val();
            }
            6 => {
                self.space_words.next = self.words_syn.val();
            }
            7 => {
                self.space_words.next = self.words_syn_hi.val();
            }
            8 => {
                self.space_words.next = self.words_source_hi.val();
            }
            9 => {
                self.space_words.next = self.words_fanin_hi.val();
            }
            _ => {}
        }
        self.span.next = self.access.count.val();
        if self.access.is_write.val() {
            self.span.next = bit_cast::<16, 8>(self.access.len.val()) - 2;
        }
        self.range_end.next = bit_cast::<20, AB>(self.access.first_cell.val()) + bit_cast::<20, 16>(self.span.val());
        self.access.space_bad.next = self.number.val() > self.last_space.val();
        self.access.range_bad.next = self.page_bad.val() | (self.range_end.val() > self.space_words.val());

        // Host writes, one word per clock.
        self.known.next = self.number.val().get_bits::<4>(0);
        self.ctrl_write.next = self.access.write.val() & (self.known.val() == 0);
        self.neuron_write.next = self.access.write.val() & (self.known.val() == 1);
        self.ring_write.next = self.access.write.val() & (self.known.val() == 2);
        self.source_write.next = self.access.write.val() & (self.known.val() == 3);
        self.fanin_write.next = self.access.write.val() & (self.known.val() == 4);
        self.xpre_write.next = self.access.write.val() & (self.known.val() == 5);
        self.syn_host_write.next = self.access.write.val() & (self.known.val() == 6);
        self.syn_hi_write.next = self.access.write.val() & (self.known.val() == 7) & (self.last_space.val() == 9);
        self.source_hi_write.next = self.access.write.val() & (self.known.val() == 8) & (self.last_space.val() == 9);
        self.fanin_hi_write.next = self.access.write.val() & (self.known.val() == 9) & (self.last_space.val() == 9);
        self.write_field.next = 0.into();
        if self.neuron_write.val() {
            self.write_field.next =
                bit_cast::<{ field::ADDRESS_BITS }, AB>(self.access.write_cell.val() >> self.neuron_shift.val());
        }

        // Host reads: the word of the named space, one clock after its address.
        self.read_field.next = 0.into();
        if self.known.val() == 1 {
            self.read_field.next =
                bit_cast::<{ field::ADDRESS_BITS }, AB>(self.access.read_cell.val() >> self.neuron_shift.val());
        }
        match self.known.val().index() {
            1 => {
                self.access.read_word.next = self.neuron_word.val();
            }
            2 => {
                self.access.read_word.next = self.ring_word.val();
            }
            3 => {
                self.access.read_word.next = self.source_word.val().get_bits::<16>(0);
            }
            4 => {
                self.access.read_word.next = self.fanin_word.val().get_bits::<16>(0);
            }
            5 => {
                self.access.read_word.next = self.xpre_word.val();
            }
            6 => {
                self.access.read_word.next = self.syn_word.val().get_bits::<16>(0);
            }
            7 => {
                self.access.read_word.next = bit_cast::<16, 2>(self.syn_word.val().get_bits::<2>(16));
            }
            8 => {
                self.access.read_word.next = bit_cast::<16, 2>(self.source_word.val().get_bits::<2>(16));
            }
            9 => {
                self.access.read_word.next = bit_cast::<16, 2>(self.fanin_word.val().get_bits::<2>(16));
            }
            _ => {
                self.access.read_word.next = self.ctrl_word.val();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Drive `uut` (a core of `n` neurons, `m` axons, `d` slots, `s` words)
    /// with one WRITE or READ and check it against `Space`: refused exactly
    /// where its space does not exist on the core or its range (the space
    /// word's high byte and the address, plus the words) passes
    /// `Space::words`; a host word goes to the named space's memory, and a
    /// READ returns the named space's word.
    #[allow(clippy::too_many_arguments)]
    fn check<const NB: usize, const MB: usize, const DB: usize, const SB: usize, const AB: usize>(
        space: u16,
        address: u16,
        count: u16,
        len: u8,
        write: bool,
        cell: u32,
        words: [u16; 10],
    ) -> Result<(), TestCaseError> {
        let (n, m, d, s) = (1u32 << NB, 1u32 << MB, 1u32 << DB, 1u32 << SB);
        let cell = cell & ((1 << AB) - 1);
        let mut uut = MemoryMap::<NB, MB, DB, SB, AB>::default();
        uut.connect_all();
        uut.access.space.next = space.to_bits();
        uut.access.address.next = address.to_bits();
        uut.access.count.next = count.to_bits();
        uut.access.len.next = len.to_bits();
        uut.access.is_write.next = write;
        uut.access.write.next = true;
        uut.access.write_cell.next = (cell as u64).to_bits();
        uut.access.read_cell.next = (cell as u64).to_bits();
        uut.ctrl_word.next = words[0].to_bits();
        uut.neuron_word.next = words[1].to_bits();
        uut.ring_word.next = words[2].to_bits();
        // An 18-bit memory word: the low space's word below the high
        // space's two bits.
        let wide_word = |lo: usize, hi: usize| (words[lo] as u32 | (words[hi] as u32 & 3) << 16).to_bits();
        uut.source_word.next = wide_word(3, 8);
        uut.fanin_word.next = wide_word(4, 9);
        uut.xpre_word.next = words[5].to_bits();
        uut.syn_word.next = wide_word(6, 7);
        assert!(simulate(&mut uut, 100));
        let number = space & 0xFF;
        let first = ((space as u32) >> 8) << 16 | address as u32;
        let named = Space::from_u16(number).filter(|sp| sp.words(n, m, d, s) > 0);
        prop_assert_eq!(uut.access.space_bad.val(), named.is_none());
        if let Some(sp) = named {
            // A WRITE's words are its payload after space and address, as a
            // 16-bit count (a WRITE of fewer than 3 words is refused for its
            // length before its range counts).
            let k = if write {
                (len as u16).wrapping_sub(2) as i64
            } else {
                count as i64
            };
            let end = first as i64 + k;
            prop_assert_eq!(uut.access.range_bad.val(), end > sp.words(n, m, d, s) as i64);
            if !uut.access.range_bad.val() {
                prop_assert_eq!(uut.access.first_cell.val().to_u32(), first);
            }
            let word = if number >= 7 {
                words[number as usize] & 3
            } else {
                words[number as usize]
            };
            prop_assert_eq!(uut.access.read_word.val().to_u16(), word);
        }
        let enables = [
            uut.ctrl_write.val(),
            uut.neuron_write.val(),
            uut.ring_write.val(),
            uut.source_write.val(),
            uut.fanin_write.val(),
            uut.xpre_write.val(),
            uut.syn_host_write.val(),
            uut.syn_hi_write.val(),
            uut.source_hi_write.val(),
            uut.fanin_hi_write.val(),
        ];
        for (i, e) in enables.into_iter().enumerate() {
            let on = i as u16 == number && (i < 7 || wide(n, s));
            prop_assert_eq!(e, on, "space {} enable {}", space, i);
        }
        if number == Space::Neuron as u16 {
            // The field's number's low bits: a command whose cells pass the
            // last field is refused by the range check before it runs.
            let field = (cell >> NB) & ((1 << field::ADDRESS_BITS) - 1);
            prop_assert_eq!(uut.write_field.val().to_u32(), field);
            prop_assert_eq!(uut.read_field.val().to_u32(), field);
        }
        Ok(())
    }

    /// Space words whose low byte is often a space and high byte often 0 or 1.
    fn space_word() -> impl Strategy<Value = u16> {
        (
            0u16..12,
            prop_oneof![Just(0u16), Just(1), Just(2), any::<u8>().prop_map(u16::from)],
        )
            .prop_map(|(number, page)| number | page << 8)
    }

    proptest! {
        /// A narrow core (16 neurons, 8 axons, 4 slots, 512 words): no high
        /// spaces, no address past 16 bits.
        #[test]
        fn a_narrow_cores_spaces_are_the_protocols(
            space in space_word(), address: u16, count: u16, len: u8, write: bool, cell: u32,
            words: [u16; 10],
        ) {
            check::<4, 3, 2, 9, 16>(space, address, count, len, write, cell, words)?;
        }

        /// A wide core (1,024 neurons and axons, 16 slots, 131,072 words):
        /// the high spaces, and `syn` addresses past 16 bits.
        #[test]
        fn a_wide_cores_spaces_are_the_protocols(
            space in space_word(), address: u16, count: u16, len: u8, write: bool, cell: u32,
            words: [u16; 10],
        ) {
            check::<10, 10, 4, 17, 17>(space, address, count, len, write, cell, words)?;
        }
    }

    #[test]
    fn synthesizes() {
        let mut uut = MemoryMap::<8, 8, 3, 16, 16>::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_memory_map", &generate_verilog(&uut)).unwrap();
        let mut uut = MemoryMap::<10, 10, 4, 17, 17>::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_memory_map_wide", &generate_verilog(&uut)).unwrap();
    }
}
