//! `MemoryMap`: the host's view of the core's memories (`docs/spec.md` §8.2):
//! which space a WRITE or READ names and whether its range fits, which memory
//! a host write goes to, and which memory's word a READ returns. The twin is
//! `spikefab_proto::message::Space` (its numbers and `Space::words`), which
//! the host uses to address the same words; the space numbers below are
//! checked against it at compile time.
//!
//! Combinational: the host port registers what it needs.

use rust_hdl::prelude::*;
use spikefab_proto::message::Space;

// The literal space numbers of `update` are the protocol's.
const _: () = assert!(
    Space::Ctrl as u16 == 0
        && Space::Neuron as u16 == 1
        && Space::Ring as u16 == 2
        && Space::Source as u16 == 3
        && Space::Fanin as u16 == 4
        && Space::XPre as u16 == 5
        && Space::Syn as u16 == 6
        && Space::ALL.len() == 7
);

/// The memory map of a core with `2^NB` neurons, `2^MB` axons, `2^DB` delay
/// slots and `2^SB` synapse words.
#[derive(LogicBlock)]
pub struct MemoryMap<const NB: usize, const MB: usize, const DB: usize, const SB: usize> {
    /// The command's space (payload word 0).
    pub space: Signal<In, Bits<16>>,
    /// Its first address (word 1).
    pub address: Signal<In, Bits<16>>,
    /// A READ's word count (word 2).
    pub count: Signal<In, Bits<16>>,
    /// The frame's payload length in words.
    pub len: Signal<In, Bits<8>>,
    /// The command is a WRITE (its words are the payload after two).
    pub is_write: Signal<In, Bit>,
    /// No such space.
    pub space_bad: Signal<Out, Bit>,
    /// The range passes the space's end.
    pub range_bad: Signal<Out, Bit>,
    /// The host writes a word this clock.
    pub write: Signal<In, Bit>,
    /// The word's address in the space.
    pub write_cell: Signal<In, Bits<16>>,
    /// Write a control register.
    pub ctrl_write: Signal<Out, Bit>,
    /// Write a neuron field.
    pub neuron_write: Signal<Out, Bit>,
    /// The neuron field written (`write_cell / N`).
    pub write_field: Signal<Out, Bits<16>>,
    /// Set a ring cell.
    pub ring_write: Signal<Out, Bit>,
    /// Write the source table.
    pub source_write: Signal<Out, Bit>,
    /// Write the fan-in table.
    pub fanin_write: Signal<Out, Bit>,
    /// Write the `x_pre` table.
    pub xpre_write: Signal<Out, Bit>,
    /// The address a READ's word was read at (one clock ago).
    pub read_cell: Signal<In, Bits<16>>,
    /// The neuron field read (`read_cell / N`).
    pub read_field: Signal<Out, Bits<16>>,
    /// Neuron memory word.
    pub neuron_word: Signal<In, Bits<16>>,
    /// Ring word.
    pub ring_word: Signal<In, Bits<16>>,
    /// Source table word.
    pub source_word: Signal<In, Bits<16>>,
    /// Fan-in table word.
    pub fanin_word: Signal<In, Bits<16>>,
    /// `x_pre` word.
    pub xpre_word: Signal<In, Bits<16>>,
    /// Synapse memory word.
    pub syn_word: Signal<In, Bits<16>>,
    /// Control register word.
    pub ctrl_word: Signal<In, Bits<16>>,
    /// The word of the space a READ names.
    pub read_word: Signal<Out, Bits<16>>,
    /// Host write to the synapse memory (for the port's owner).
    pub syn_host_write: Signal<Out, Bit>,
    space_words: Signal<Local, Bits<17>>,
    range_end: Signal<Local, Bits<17>>,
    words_ctrl: Constant<Bits<17>>,
    words_neuron: Constant<Bits<17>>,
    words_ring: Constant<Bits<17>>,
    words_source: Constant<Bits<17>>,
    words_fanin: Constant<Bits<17>>,
    words_syn: Constant<Bits<17>>,
    neuron_shift: Constant<Bits<8>>,
}

impl<const NB: usize, const MB: usize, const DB: usize, const SB: usize> Default for MemoryMap<NB, MB, DB, SB> {
    fn default() -> Self {
        let (n, m, d, s) = (1u32 << NB, 1u32 << MB, 1u32 << DB, 1u32 << SB);
        let words = |space: Space| Constant::new(space.words(n, m, d, s).to_bits());
        MemoryMap {
            space: Default::default(),
            address: Default::default(),
            count: Default::default(),
            len: Default::default(),
            is_write: Default::default(),
            space_bad: Default::default(),
            range_bad: Default::default(),
            write: Default::default(),
            write_cell: Default::default(),
            ctrl_write: Default::default(),
            neuron_write: Default::default(),
            write_field: Default::default(),
            ring_write: Default::default(),
            source_write: Default::default(),
            fanin_write: Default::default(),
            xpre_write: Default::default(),
            read_cell: Default::default(),
            read_field: Default::default(),
            neuron_word: Default::default(),
            ring_word: Default::default(),
            source_word: Default::default(),
            fanin_word: Default::default(),
            xpre_word: Default::default(),
            syn_word: Default::default(),
            ctrl_word: Default::default(),
            read_word: Default::default(),
            syn_host_write: Default::default(),
            space_words: Default::default(),
            range_end: Default::default(),
            words_ctrl: words(Space::Ctrl),
            words_neuron: words(Space::Neuron),
            words_ring: words(Space::Ring),
            words_source: words(Space::Source),
            words_fanin: words(Space::Fanin),
            words_syn: words(Space::Syn),
            neuron_shift: Constant::new((NB as u8).to_bits()),
        }
    }
}

impl<const NB: usize, const MB: usize, const DB: usize, const SB: usize> Logic for MemoryMap<NB, MB, DB, SB> {
    #[hdl_gen]
    fn update(&mut self) {
        // The range check: address + words (WRITE: len - 2; READ: count)
        // against the space's size.
        self.space_words.next = 0.into();
        match self.space.val().index() {
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
            _ => {}
        }
        self.range_end.next = bit_cast::<17, 16>(self.address.val()) + bit_cast::<17, 16>(self.count.val());
        if self.is_write.val() {
            self.range_end.next = bit_cast::<17, 16>(self.address.val()) + bit_cast::<17, 8>(self.len.val()) - 2;
        }
        self.space_bad.next = self.space.val() > 6;
        self.range_bad.next = self.range_end.val() > self.space_words.val();

        // Host writes, one word per clock.
        self.ctrl_write.next = self.write.val() & (self.space.val() == 0);
        self.neuron_write.next = self.write.val() & (self.space.val() == 1);
        self.ring_write.next = self.write.val() & (self.space.val() == 2);
        self.source_write.next = self.write.val() & (self.space.val() == 3);
        self.fanin_write.next = self.write.val() & (self.space.val() == 4);
        self.xpre_write.next = self.write.val() & (self.space.val() == 5);
        self.syn_host_write.next = self.write.val() & (self.space.val() == 6);
        self.write_field.next = 0.into();
        if self.neuron_write.val() {
            self.write_field.next = self.write_cell.val() >> self.neuron_shift.val();
        }

        // Host reads: the word of the named space, one clock after its address.
        self.read_field.next = 0.into();
        if self.space.val() == 1 {
            self.read_field.next = self.read_cell.val() >> self.neuron_shift.val();
        }
        match self.space.val().index() {
            1 => {
                self.read_word.next = self.neuron_word.val();
            }
            2 => {
                self.read_word.next = self.ring_word.val();
            }
            3 => {
                self.read_word.next = self.source_word.val();
            }
            4 => {
                self.read_word.next = self.fanin_word.val();
            }
            5 => {
                self.read_word.next = self.xpre_word.val();
            }
            6 => {
                self.read_word.next = self.syn_word.val();
            }
            _ => {
                self.read_word.next = self.ctrl_word.val();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    type Tiny = MemoryMap<4, 3, 2, 9>;

    proptest! {
        /// A WRITE or READ is refused exactly where its space does not exist
        /// or its range passes `Space::words` of the core (16 neurons, 8
        /// axons, 4 slots, 512 synapse words); a host word goes to the named
        /// space's memory, and a READ returns the named space's word.
        #[test]
        fn spaces_are_the_protocols(
            space in 0u16..10, address: u16, count: u16, len: u8, write: bool, cell: u16, words: [u16; 7],
        ) {
            let mut uut = Tiny::default();
            uut.connect_all();
            uut.space.next = space.to_bits();
            uut.address.next = address.to_bits();
            uut.count.next = count.to_bits();
            uut.len.next = len.to_bits();
            uut.is_write.next = write;
            uut.write.next = true;
            uut.write_cell.next = cell.to_bits();
            uut.read_cell.next = cell.to_bits();
            uut.ctrl_word.next = words[0].to_bits();
            uut.neuron_word.next = words[1].to_bits();
            uut.ring_word.next = words[2].to_bits();
            uut.source_word.next = words[3].to_bits();
            uut.fanin_word.next = words[4].to_bits();
            uut.xpre_word.next = words[5].to_bits();
            uut.syn_word.next = words[6].to_bits();
            assert!(simulate(&mut uut, 100));
            let named = Space::from_u16(space);
            prop_assert_eq!(uut.space_bad.val(), named.is_none());
            if let Some(s) = named {
                // A WRITE's words are its payload after space and address.
                let n = if write { len as i64 - 2 } else { count as i64 };
                let end = address as i64 + n;
                prop_assert_eq!(uut.range_bad.val(), end > s.words(16, 8, 4, 512) as i64);
                prop_assert_eq!(uut.read_word.val().to_u16(), words[space as usize]);
            }
            let enables = [
                uut.ctrl_write.val(), uut.neuron_write.val(), uut.ring_write.val(), uut.source_write.val(),
                uut.fanin_write.val(), uut.xpre_write.val(), uut.syn_host_write.val(),
            ];
            for (i, e) in enables.into_iter().enumerate() {
                prop_assert_eq!(e, i as u16 == space, "space {} enable {}", space, i);
            }
            if space == Space::Neuron as u16 {
                prop_assert_eq!(uut.write_field.val().to_u16(), cell >> 4);
                prop_assert_eq!(uut.read_field.val().to_u16(), cell >> 4);
            }
        }
    }

    #[test]
    fn synthesizes() {
        let mut uut = MemoryMap::<8, 8, 3, 16>::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_memory_map", &generate_verilog(&uut)).unwrap();
    }
}
