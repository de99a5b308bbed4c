//! Synapse storage (spec §4.3) and the two passes that fill it.
//!
//! A network keeps 6 bytes per synapse: its target (`u32`), its weight
//! (`i8`) and one byte naming its *kind*, the pair (delay, flags) it shares
//! with every other synapse of that delay, exponent and plasticity. A network
//! has few kinds (a projection draws its delays from a range and has one
//! exponent and one plasticity), so they are stored once, in a table; past 256
//! kinds the index widens to two bytes. Per source, 8 bytes of row offset; per
//! plastic synapse, 8 bytes of fan-in index.
//!
//! The storage is filled without ever holding a list of whole synapses: a
//! first pass counts each source's synapses and the kinds in use
//! ([`RowCounts`]), a second pass writes each synapse straight into its
//! source's row ([`RowFill`]), and each row is then sorted into canonical
//! order in place (by delay, then target, ties in the order given).

use std::ops::Range;

use super::{pack_flags, unpack_flags, FLAG_PLASTIC, FLAG_WEXP};

/// What a synapse shares with others of its delay, exponent and plasticity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Kind {
    /// Delay in ticks, 1..=255.
    pub delay: u8,
    /// `wexp` in bits 0..=2, [`FLAG_PLASTIC`] in bit 7.
    pub flags: u8,
}

impl Kind {
    /// Whether STDP changes the weight.
    pub fn plastic(self) -> bool {
        self.flags & FLAG_PLASTIC != 0
    }

    /// The weight exponent.
    pub fn wexp(self) -> u8 {
        self.flags & FLAG_WEXP
    }

    /// The kind's place in a table of every possible kind (delay, exponent,
    /// plasticity: 256 × 8 × 2).
    fn slot(self) -> usize {
        (self.delay as usize) << 4 | pack_flags(self.flags) as usize
    }
}

/// Every possible kind slot ([`Kind::slot`]).
const SLOTS: usize = 256 << 4;

/// Synapses counted or placed together: the synapses of a network file come
/// with random draws between them, and a batch lets the memory accesses of
/// many (two cache misses each, at random places) overlap.
const BATCH: usize = 4096;

/// Bits of a target word that hold the target when the word also holds the
/// kind ([`KindIndex::InTarget`]).
const TARGET_BITS: u32 = 24;

/// Each synapse's kind, as an index into the network's kind table.
#[derive(Debug, Clone, PartialEq, Eq)]
enum KindIndex {
    /// At most 256 kinds and fewer than 2^24 neurons: in the target word's top
    /// byte, no byte of its own (5 bytes per synapse in all, not 6).
    InTarget,
    /// At most 256 kinds: one byte per synapse.
    Narrow(Vec<u8>),
    /// More: two bytes per synapse.
    Wide(Vec<u16>),
}

impl KindIndex {
    /// A column for `len` synapses of `kinds` kinds onto `num_neurons`
    /// neurons (none when the target words can hold it).
    fn zeroed(len: usize, kinds: usize, num_neurons: usize) -> Self {
        if kinds <= 1 << 8 && num_neurons <= 1 << TARGET_BITS {
            KindIndex::InTarget
        } else if kinds <= 1 << 8 {
            KindIndex::Narrow(vec![0; len])
        } else {
            KindIndex::Wide(vec![0; len])
        }
    }

    /// The kind of synapse `i`, whose target word is `word`.
    #[inline]
    fn get(&self, i: usize, word: u32) -> usize {
        match self {
            KindIndex::InTarget => (word >> TARGET_BITS) as usize,
            KindIndex::Narrow(v) => v[i] as usize,
            KindIndex::Wide(v) => v[i] as usize,
        }
    }

    /// The target in target word `word`.
    #[inline]
    fn target(&self, word: u32) -> u32 {
        match self {
            KindIndex::InTarget => word & ((1 << TARGET_BITS) - 1),
            _ => word,
        }
    }

    /// Set synapse `i`'s kind to `k`; its target word is `word`.
    #[inline]
    fn set(&mut self, i: usize, k: usize, word: &mut u32) {
        match self {
            KindIndex::InTarget => *word |= (k as u32) << TARGET_BITS,
            KindIndex::Narrow(v) => v[i] = k as u8,
            KindIndex::Wide(v) => v[i] = k as u16,
        }
    }

    fn bytes(&self) -> usize {
        match self {
            KindIndex::InTarget => 0,
            KindIndex::Narrow(v) => v.len(),
            KindIndex::Wide(v) => v.len() * 2,
        }
    }
}

/// The synapses of a network: per-source rows in canonical order (source
/// index, then delay, then target, ties in the order added), and the fan-in
/// index of plastic synapses. A synapse's *canonical index* is its place here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Synapses {
    offsets: Vec<u64>,
    target: Vec<u32>,
    weight: Vec<i8>,
    kinds: Vec<Kind>,
    kind: KindIndex,
    fanin_offsets: Vec<u64>,
    fanin: Vec<(u32, u32)>,
}

impl Synapses {
    /// Number of synapses.
    pub fn len(&self) -> usize {
        self.target.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.target.is_empty()
    }

    /// Number of sources (axons, then neurons).
    pub fn num_sources(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Per source index, where its row starts; one more entry at the end.
    pub fn offsets(&self) -> &[u64] {
        &self.offsets
    }

    /// The canonical indices of source index `s`'s synapses.
    #[inline]
    pub fn row(&self, s: usize) -> Range<usize> {
        self.offsets[s] as usize..self.offsets[s + 1] as usize
    }

    /// Every synapse's target neuron, in canonical order.
    pub fn targets(&self) -> impl ExactSizeIterator<Item = u32> + '_ {
        self.target.iter().map(|&w| self.kind.target(w))
    }

    /// Every synapse's initial weight mantissa, in canonical order.
    pub fn weights(&self) -> &[i8] {
        &self.weight
    }

    /// Target neuron of synapse `i`.
    #[inline]
    pub fn target(&self, i: usize) -> u32 {
        self.kind.target(self.target[i])
    }

    /// Initial weight mantissa of synapse `i`.
    #[inline]
    pub fn weight(&self, i: usize) -> i8 {
        self.weight[i]
    }

    /// Delay and flags of synapse `i`.
    #[inline]
    pub fn kind(&self, i: usize) -> Kind {
        self.kinds[self.kind.get(i, self.target[i])]
    }

    /// Delay of synapse `i`, in ticks.
    #[inline]
    pub fn delay(&self, i: usize) -> u8 {
        self.kind(i).delay
    }

    /// Flags of synapse `i`: `wexp` in bits 0..=2, [`FLAG_PLASTIC`] in bit 7.
    #[inline]
    pub fn flags(&self, i: usize) -> u8 {
        self.kind(i).flags
    }

    /// Whether synapse `i` is plastic.
    #[inline]
    pub fn plastic(&self, i: usize) -> bool {
        self.kind(i).plastic()
    }

    /// The distinct (delay, flags) pairs of the network's synapses.
    pub fn kinds(&self) -> &[Kind] {
        &self.kinds
    }

    /// Plastic synapses onto each neuron in turn, ascending canonical index:
    /// (synapse, source index).
    pub fn fanin(&self) -> &[(u32, u32)] {
        &self.fanin
    }

    /// The plastic synapses onto neuron `n`: (synapse, source index).
    pub fn fanin_of(&self, n: usize) -> &[(u32, u32)] {
        match self.fanin_offsets.get(n..n + 2) {
            Some(&[lo, hi]) => &self.fanin[lo as usize..hi as usize],
            _ => &[],
        }
    }

    /// Plastic synapses of source index `s`.
    pub fn plastic_in_row(&self, s: usize) -> u64 {
        self.row(s).filter(|&i| self.plastic(i)).count() as u64
    }

    /// Run headers that store the synapses of source index `s` on the chip
    /// (spec §8.3): runs of equal delay, exponent and plasticity in canonical order.
    pub fn run_headers(&self, s: usize) -> u64 {
        crate::cycles::run_headers(self.row(s).map(|i| {
            let k = self.kind(i);
            (k.delay, k.flags)
        }))
    }

    /// The row offsets, targets and weights, for a record of the network.
    pub(super) fn into_columns(self) -> (Vec<u64>, Vec<u32>, Vec<i8>) {
        let mut target = self.target;
        if self.kind == KindIndex::InTarget {
            for w in &mut target {
                *w = self.kind.target(*w);
            }
        }
        (self.offsets, target, self.weight)
    }

    /// Bytes held: the columns (the kinds in the target words when they fit
    /// there), the kind table, the offsets and the fan-in index.
    pub fn bytes(&self) -> u64 {
        (self.target.len() * 4
            + self.weight.len()
            + self.kind.bytes()
            + self.kinds.len() * 2
            + (self.offsets.len() + self.fanin_offsets.len()) * 8
            + self.fanin.len() * 8) as u64
    }
}

/// The first pass of a build: each source's synapse count and the kinds in use.
#[derive(Debug, Clone)]
pub(super) struct RowCounts {
    /// `counts[s + 1]`: synapses of source index `s`.
    counts: Vec<u64>,
    /// Source indices not yet counted (see [`BATCH`]).
    pending: Vec<u32>,
    used: Vec<bool>,
    total: u64,
    max_delay: u8,
}

impl RowCounts {
    /// Nothing counted yet, for `sources` sources.
    pub fn new(sources: usize) -> Self {
        let counts = vec![0; sources + 1];
        crate::huge_pages::advise(&counts);
        RowCounts {
            counts,
            pending: Vec::with_capacity(BATCH),
            used: vec![false; SLOTS],
            total: 0,
            max_delay: 1,
        }
    }

    /// Count one synapse of source index `src`.
    #[inline]
    pub fn add(&mut self, src: usize, kind: Kind) {
        self.pending.push(src as u32);
        if self.pending.len() == BATCH {
            self.flush();
        }
        self.used[kind.slot()] = true;
        self.total += 1;
        self.max_delay = self.max_delay.max(kind.delay);
    }

    /// Synapses counted.
    pub fn total(&self) -> u64 {
        self.total
    }

    fn flush(&mut self) {
        for &src in &self.pending {
            self.counts[src as usize + 1] += 1;
        }
        self.pending.clear();
    }

    /// Storage for what was counted, ready for the second pass.
    pub fn fill(mut self) -> RowFill {
        self.flush();
        let mut offsets = self.counts;
        for s in 1..offsets.len() {
            offsets[s] += offsets[s - 1];
        }
        let mut slot_kind = vec![u16::MAX; SLOTS];
        let mut kinds = Vec::new();
        for (slot, _) in self.used.iter().enumerate().filter(|(_, &u)| u) {
            slot_kind[slot] = kinds.len() as u16;
            kinds.push(Kind {
                delay: (slot >> 4) as u8,
                flags: unpack_flags((slot & 15) as u8),
            });
        }
        let records = vec![0; 2 * self.total as usize];
        crate::huge_pages::advise(&records);
        RowFill {
            fill: offsets.clone(),
            pending: Vec::with_capacity(BATCH),
            records,
            offsets,
            kinds,
            slot_kind,
            max_delay: self.max_delay,
        }
    }
}

/// The second pass of a build: each synapse written into its source's row.
///
/// A synapse is held as two words, its target, then its weight (bits 0..8)
/// and kind (bits 8..24), so that placing it touches one cache line (the
/// synapses come in any order, often by target); once sorted, the words are
/// split into the network's columns in place (see [`RowFill::finish`]).
#[derive(Debug, Clone)]
pub(super) struct RowFill {
    fill: Vec<u64>,
    /// Synapses not yet placed: source index, then the two words.
    pending: Vec<(u32, u32, u32)>,
    records: Vec<u32>,
    offsets: Vec<u64>,
    kinds: Vec<Kind>,
    slot_kind: Vec<u16>,
    max_delay: u8,
}

/// The second pass gave a synapse the first did not count: of source index
/// `0`, or (`None`) of a kind not seen or past the total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Uncounted(pub Option<usize>);

impl RowFill {
    /// Place one synapse of source index `src`, after those placed before.
    ///
    /// Synapses are placed [`BATCH`] at a time; a row that overflows is
    /// found when its batch is placed, or by [`RowFill::finish`].
    #[inline]
    pub fn add(&mut self, src: usize, target: u32, weight: i8, kind: Kind) -> Result<(), Uncounted> {
        let k = self.slot_kind[kind.slot()];
        if k == u16::MAX {
            return Err(Uncounted(None));
        }
        self.pending
            .push((src as u32, target, weight as u8 as u32 | (k as u32) << 8));
        if self.pending.len() == BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Uncounted> {
        let total = self.records.len() / 2;
        for &(src, target, rest) in &self.pending {
            let at = self.fill[src as usize] as usize;
            if at >= total {
                return Err(Uncounted(Some(src as usize)));
            }
            self.fill[src as usize] += 1;
            self.records[2 * at] = target;
            self.records[2 * at + 1] = rest;
        }
        self.pending.clear();
        Ok(())
    }

    /// The storage, each row sorted into canonical order, with the fan-in
    /// index, and the largest delay; or the first source index whose row the
    /// second pass did not fill as the first pass counted.
    ///
    /// The peak is the records (8 bytes per synapse) and the weight column
    /// (1) and, unless the target words hold the kinds, the kind column (1
    /// or 2); the targets then move to the front of the records, which shrink
    /// to 4 bytes per synapse.
    pub fn finish(mut self, num_neurons: usize) -> Result<(Synapses, u8), Uncounted> {
        self.flush()?;
        let RowFill {
            fill,
            mut records,
            offsets,
            kinds,
            max_delay,
            ..
        } = self;
        let sources = offsets.len() - 1;
        if let Some(s) = (0..sources).find(|&s| fill[s] != offsets[s + 1]) {
            return Err(Uncounted(Some(s)));
        }
        drop(fill);
        let (pairs, _) = records.as_chunks_mut::<2>();
        let delay = |r: &[u32; 2]| kinds[(r[1] >> 8) as usize].delay;
        for s in 0..sources {
            let row = &mut pairs[offsets[s] as usize..offsets[s + 1] as usize];
            if !row.is_sorted_by_key(|r| (delay(r), r[0])) {
                row.sort_by_key(|r| (delay(r), r[0]));
            }
        }
        let total = records.len() / 2;
        let mut weight = Vec::with_capacity(total);
        let mut kind = KindIndex::zeroed(total, kinds.len(), num_neurons);
        for i in 0..total {
            let w = records[2 * i + 1];
            weight.push(w as u8 as i8);
            let mut word = records[2 * i];
            kind.set(i, (w >> 8) as usize, &mut word);
            records[i] = word;
        }
        records.truncate(total);
        records.shrink_to_fit();
        let mut syn = Synapses {
            offsets,
            target: records,
            weight,
            kinds,
            kind,
            fanin_offsets: Vec::new(),
            fanin: Vec::new(),
        };
        syn.index_fanin(num_neurons);
        Ok((syn, max_delay))
    }
}

impl Synapses {
    /// Build the fan-in index: each neuron's plastic synapses, ascending
    /// canonical index.
    fn index_fanin(&mut self, num_neurons: usize) {
        // Without plastic synapses, no offsets either.
        if !self.kinds.iter().any(|k| k.plastic()) {
            return;
        }
        let mut offsets = vec![0u64; num_neurons + 1];
        for i in 0..self.len() {
            if self.plastic(i) {
                offsets[self.target(i) as usize + 1] += 1;
            }
        }
        for n in 0..num_neurons {
            offsets[n + 1] += offsets[n];
        }
        let mut fanin = vec![(0u32, 0u32); offsets[num_neurons] as usize];
        let mut fill = offsets.clone();
        for s in 0..self.num_sources() {
            for i in self.row(s) {
                if self.plastic(i) {
                    let t = self.target(i) as usize;
                    fanin[fill[t] as usize] = (i as u32, s as u32);
                    fill[t] += 1;
                }
            }
        }
        self.fanin_offsets = offsets;
        self.fanin = fanin;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(delay: u8, flags: u8) -> Kind {
        Kind { delay, flags }
    }

    #[test]
    fn every_kind_has_its_own_slot() {
        let mut seen = vec![false; SLOTS];
        for delay in 0..=255u8 {
            for wexp in 0..8u8 {
                for plastic in [0, FLAG_PLASTIC] {
                    let slot = kind(delay, wexp | plastic).slot();
                    assert!(!seen[slot]);
                    assert_eq!(unpack_flags(pack_flags(wexp | plastic)), wexp | plastic);
                    seen[slot] = true;
                }
            }
        }
    }

    /// Two passes over the same synapses: rows sorted by (delay, target),
    /// ties in the order given, kinds shared.
    fn two_passes(sources: usize, neurons: usize, list: &[(usize, u32, i8, Kind)]) -> Result<Synapses, Uncounted> {
        let mut counts = RowCounts::new(sources);
        for &(s, _, _, k) in list {
            counts.add(s, k);
        }
        let mut fill = counts.fill();
        for &(s, t, w, k) in list {
            fill.add(s, t, w, k)?;
        }
        fill.finish(neurons).map(|(syn, _)| syn)
    }

    #[test]
    fn rows_sort_in_place_and_kinds_are_shared() {
        let p = FLAG_PLASTIC | 2;
        let syn = two_passes(
            2,
            3,
            &[
                (1, 2, 1, kind(2, 0)),
                (1, 1, 2, kind(2, 0)),
                (0, 0, 9, kind(1, p)),
                (1, 2, 3, kind(1, 0)),
                (1, 1, 4, kind(2, 0)),
            ],
        )
        .unwrap();
        assert_eq!(syn.offsets(), [0, 1, 5]);
        assert_eq!(syn.targets().collect::<Vec<_>>(), [0, 2, 1, 1, 2]);
        assert_eq!(syn.weights(), [9, 3, 2, 4, 1]);
        let delays: Vec<u8> = (0..5).map(|i| syn.delay(i)).collect();
        assert_eq!(delays, [1, 1, 2, 2, 2]);
        assert_eq!(syn.kinds().len(), 3);
        assert_eq!(syn.flags(0), p);
        assert_eq!(syn.fanin_of(0), [(0, 0)]);
        assert!(syn.fanin_of(1).is_empty() && syn.fanin_of(2).is_empty());
        // 5 bytes a synapse: the kinds are in the target words.
        assert!(matches!(syn.kind, KindIndex::InTarget));
        assert_eq!(syn.bytes(), 5 * 5 + 3 * 2 + (3 + 4) * 8 + 8);
        // Without plastic synapses, no fan-in offsets.
        let syn = two_passes(1, 3, &[(0, 2, 1, kind(2, 0))]).unwrap();
        assert_eq!(syn.bytes(), 5 + 2 + 2 * 8);
        assert!(syn.fanin_of(2).is_empty());
    }

    #[test]
    fn more_than_256_kinds_widen_the_index() {
        let list: Vec<_> = (1..=255u8)
            .flat_map(|d| {
                [
                    (0, 0, d as i8, kind(d, 0)),
                    (0, 1, (d as i8).wrapping_neg(), kind(d, 3)),
                ]
            })
            .collect();
        let syn = two_passes(1, 2, &list).unwrap();
        assert_eq!(syn.kinds().len(), 510);
        assert!(matches!(syn.kind, KindIndex::Wide(_)));
        for (i, &(_, t, w, k)) in list.iter().enumerate() {
            assert_eq!((syn.target(i), syn.weight(i), syn.kind(i)), (t, w, k));
        }
    }

    /// The same synapses onto 2^24 neurons keep their kinds in the target
    /// words, onto more in a byte of their own: the same targets, weights and
    /// kinds either way, and the same columns for a record.
    #[test]
    fn kinds_leave_the_target_words_only_past_2_pow_24_neurons() {
        let top = (1u32 << TARGET_BITS) - 1;
        let list = [
            (0, top, 5, kind(3, 1)),
            (0, 0, -7, kind(1, 0)),
            (1, top - 1, 1, kind(255, 7)),
            (1, 12345, -128, kind(3, 1)),
        ];
        let packed = two_passes(2, 1 << TARGET_BITS, &list).unwrap();
        let apart = two_passes(2, (1 << TARGET_BITS) + 1, &list).unwrap();
        assert!(matches!(packed.kind, KindIndex::InTarget));
        assert!(matches!(apart.kind, KindIndex::Narrow(_)));
        assert_eq!(apart.bytes() - packed.bytes(), list.len() as u64);
        for i in 0..list.len() {
            let read = |s: &Synapses| (s.target(i), s.weight(i), s.kind(i));
            assert_eq!(read(&packed), read(&apart), "synapse {i}");
        }
        assert!(packed.targets().eq(apart.targets()));
        assert_eq!(packed.targets().max(), Some(top));
        assert_eq!(packed.into_columns(), apart.into_columns());
    }

    #[test]
    fn a_second_pass_that_differs_is_caught() {
        let mut counts = RowCounts::new(2);
        counts.add(0, kind(1, 0));
        let mut fill = counts.clone().fill();
        assert_eq!(fill.add(0, 0, 1, kind(2, 0)), Err(Uncounted(None)));
        fill.add(1, 0, 1, kind(1, 0)).unwrap();
        assert_eq!(fill.finish(1).unwrap_err(), Uncounted(Some(1)));
        assert_eq!(counts.clone().fill().finish(1).unwrap_err(), Uncounted(Some(0)));
        let mut fill = counts.fill();
        fill.add(0, 0, 1, kind(1, 0)).unwrap();
        fill.add(0, 0, 1, kind(1, 0)).unwrap();
        assert_eq!(fill.finish(1).unwrap_err(), Uncounted(Some(0)));
        // One too many in a row and one too few in the next: the same total.
        let mut counts = RowCounts::new(3);
        for s in [0, 1, 2] {
            counts.add(s, kind(1, 0));
        }
        let mut fill = counts.fill();
        for s in [0, 0, 2] {
            fill.add(s, 0, 1, kind(1, 0)).unwrap();
        }
        assert_eq!(fill.finish(1).unwrap_err(), Uncounted(Some(0)));
    }
}
