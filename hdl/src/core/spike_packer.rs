//! `SpikePacker`: the output spikes of a STEP's tick as the words of its
//! answer (`docs/spec.md` §10.4), in the form the answer's type names: the
//! spike list's neurons one per word, or the bitmap of N, 16 neurons per word.
//! Its twin is `spikefab_proto::stream::SpikeWords::shorter` (the host port
//! chooses the form by the same rule).
//!
//! It walks the spike list of [`SourceList`](super::source_list) (ascending
//! neurons, one clock from index to word): `rewind` at the start, `advance`
//! past each neuron used. A word is ready (`valid`) once the list word it
//! needs is out; the transmitter takes it (`take`) when it has sent it. For a
//! bitmap word the packer first takes in every spiker of that word's 16
//! neurons (two clocks each); the UART's byte time is far longer. The word
//! and `valid` are registered: the transmitter's path does not reach back
//! into the spike list's comparisons.

use rust_hdl::prelude::*;

/// The spike list's walk, as the packer makes it (the host port passes it
/// on to the [`SourceList`](super::source_list)).
#[derive(LogicInterface, Default)]
pub struct SpikeListLink<const NB: usize> {
    /// The spike list's current neuron (one clock after its index).
    pub neuron: Signal<In, Bits<NB>>,
    /// A spiker is left in the spike list.
    pub more: Signal<In, Bit>,
    /// The spike list's walk back to its start.
    pub rewind: Signal<Out, Bit>,
    /// Move past the current spiker.
    pub advance: Signal<Out, Bit>,
}

/// The packer of a core with `2^NB` neurons.
#[derive(LogicBlock)]
pub struct SpikePacker<const NB: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Start a new answer's spikes (the list walk rewinds).
    pub start: Signal<In, Bit>,
    /// The answer's form is the bitmap (with `start`).
    pub map: Signal<In, Bit>,
    /// The word is taken on this edge.
    pub take: Signal<In, Bit>,
    /// The spike list.
    pub list: SpikeListLink<NB>,
    /// The next word.
    pub word: Signal<Out, Bits<16>>,
    /// `word` is ready.
    pub valid: Signal<Out, Bit>,
    is_map: DFF<Bit>,
    settle: DFF<Bit>,
    bits: DFF<Bits<16>>,
    map_word: DFF<Bits<8>>,
    ready: DFF<Bit>,
    word_q: DFF<Bits<16>>,
    one: Constant<Bits<16>>,
}

impl<const NB: usize> Default for SpikePacker<NB> {
    fn default() -> Self {
        assert!(NB >= 4, "the bitmap needs N >= 16");
        SpikePacker {
            clock: Default::default(),
            start: Default::default(),
            map: Default::default(),
            take: Default::default(),
            list: Default::default(),
            word: Default::default(),
            valid: Default::default(),
            is_map: Default::default(),
            settle: Default::default(),
            bits: Default::default(),
            map_word: Default::default(),
            ready: Default::default(),
            word_q: Default::default(),
            one: Constant::new(1u16.to_bits()),
        }
    }
}

impl<const NB: usize> Logic for SpikePacker<NB> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, is_map, settle, bits, map_word, ready, word_q);
        self.list.rewind.next = false;
        self.list.advance.next = false;
        self.word.next = self.word_q.q.val();
        self.valid.next = self.ready.q.val();
        // The list's memory reads a moved index on the next edge: its word
        // is out one clock later.
        self.settle.d.next = false;
        self.word_q.d.next = bit_cast::<16, NB>(self.list.neuron.val());
        self.ready.d.next = !self.settle.q.val() & !self.take.val();
        if self.is_map.q.val() {
            self.word_q.d.next = self.bits.q.val();
            if !self.settle.q.val()
                & self.list.more.val()
                & (bit_cast::<8, NB>(self.list.neuron.val() >> 4) == self.map_word.q.val())
            {
                // A spiker of this word's 16 neurons: its bit, then the next.
                self.bits.d.next =
                    self.bits.q.val() | (self.one.val() << bit_cast::<16, NB>(self.list.neuron.val() & 15));
                self.list.advance.next = true;
                self.settle.d.next = true;
                self.ready.d.next = false;
            }
        }
        if self.take.val() {
            if self.is_map.q.val() {
                self.bits.d.next = 0.into();
                self.map_word.d.next = self.map_word.q.val() + 1;
            } else {
                self.list.advance.next = true;
                self.settle.d.next = true;
            }
        }
        if self.start.val() {
            self.list.rewind.next = true;
            self.ready.d.next = false;
            self.is_map.d.next = self.map.val();
            self.settle.d.next = true;
            self.bits.d.next = 0.into();
            self.map_word.d.next = 0.into();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use spikefab_proto::stream::SpikeWords;

    type Packer = SpikePacker<5>;

    /// The spike list as `SourceList` keeps it: an index, its word one clock later.
    struct List {
        spikes: Vec<u16>,
        index: usize,
        out: u16,
    }

    fn clock(uut: &mut Packer, list: &mut List) {
        uut.list.neuron.next = (list.out as u64).to_bits();
        uut.list.more.next = list.index < list.spikes.len();
        assert!(simulate(uut, 100));
        let (rewind, advance) = (uut.list.rewind.val(), uut.list.advance.val());
        uut.clock.next = true.into();
        assert!(simulate(uut, 100));
        uut.clock.next = false.into();
        list.out = list.spikes.get(list.index).copied().unwrap_or(0x1a);
        if advance {
            list.index += 1;
        }
        if rewind {
            list.index = 0;
        }
        uut.list.neuron.next = (list.out as u64).to_bits();
        uut.list.more.next = list.index < list.spikes.len();
        assert!(simulate(uut, 100));
    }

    /// The words the packer gives for `spikes` (ascending, < 32) in the form
    /// `SpikeWords::shorter` chooses, taking each as soon as it is valid.
    fn pack(spikes: &[u16]) -> SpikeWords {
        let want = SpikeWords::shorter(spikes, 32);
        let words = want.words().len();
        let mut uut = Packer::default();
        uut.connect_all();
        let mut list = List {
            spikes: spikes.to_vec(),
            index: 7,
            out: 0x13,
        };
        uut.start.next = true;
        uut.map.next = want.is_map();
        clock(&mut uut, &mut list);
        uut.start.next = false;
        let mut got = Vec::new();
        let mut clocks = 0;
        while got.len() < words {
            uut.take.next = false;
            assert!(simulate(&mut uut, 100));
            if uut.valid.val() {
                got.push(uut.word.val().index() as u16);
                uut.take.next = true;
            }
            clock(&mut uut, &mut list);
            clocks += 1;
            assert!(clocks < 1000, "no word");
        }
        if want.is_map() {
            SpikeWords::Map(got)
        } else {
            SpikeWords::List(got)
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn packs_as_the_protocol_says(set in prop::collection::btree_set(0u16..32, 0..32)) {
            let spikes: Vec<u16> = set.into_iter().collect();
            prop_assert_eq!(pack(&spikes), SpikeWords::shorter(&spikes, 32));
        }
    }

    #[test]
    fn both_forms() {
        assert_eq!(pack(&[3]), SpikeWords::List(vec![3]));
        assert_eq!(pack(&[0, 1, 17, 31]), SpikeWords::Map(vec![3, 0x8002]));
        assert_eq!(pack(&[]), SpikeWords::List(vec![]));
    }
}
