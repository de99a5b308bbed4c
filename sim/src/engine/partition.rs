//! How a network is split between threads: contiguous ranges of target
//! neurons, and each range's share of the synapses in the layout the engine
//! routes from.
//!
//! A part holds the synapses *onto* its neurons, grouped by source in the
//! network's canonical order (spec §8.3), so that every part can route every
//! spike of a tick into its own delay ring without touching another's: the
//! contributions to one accumulator still arrive in the canonical order of
//! the saturating sums (spec §6), whatever the number of parts.
//!
//! Within a part a source's synapses are stored as the chip stores them: runs
//! of one delay and one flags byte, each a header and then one 32-bit word per
//! synapse holding the target (an index into the part, 24 bits) and the
//! weight (8 bits). A spike reads one contiguous stream: 4 bytes per synapse,
//! one cache miss where the row starts.

use super::rows::Bases;
use crate::lfsr::LFSR_PERIOD;
use crate::network::{pack_flags, unpack_flags, Synapses, FLAG_PLASTIC};

/// Neurons per part are rounded up to whole 64-neuron words (the bitmaps'
/// and the block update's unit) when every part still gets at least this
/// many words.
const ALIGN_MIN_WORDS: usize = 8;

/// Most neurons in one part: a synapse word holds the target in 24 bits.
pub(super) const PART_NEURONS_MAX: usize = 1 << 24;

/// Words of a run header: its length (bits 12..32), flags (bits 8..12:
/// `wexp`, then plasticity) and delay (bits 0..8).
pub(super) const HEADER_WORDS: usize = 1;

/// Most synapses under one header; a longer run of one key gets several
/// headers (routing them one after the other is routing the run).
pub(super) const RUN_LEN_MAX: u32 = (1 << 20) - 1;

/// The first neuron of each of (at least `parts`, if there are that many
/// neurons, and enough that none exceeds [`PART_NEURONS_MAX`]) ranges over
/// `n` neurons, and `n` at the end: `bounds[p]..bounds[p + 1]` is part `p`,
/// never empty (except the one part of a network without neurons).
pub(super) fn bounds(n: usize, parts: usize) -> Vec<usize> {
    let parts = parts.max(n.div_ceil(PART_NEURONS_MAX)).clamp(1, n.max(1));
    let even = n.div_ceil(parts);
    let size = if even >= 64 * ALIGN_MIN_WORDS && even.next_multiple_of(64) <= PART_NEURONS_MAX {
        even.next_multiple_of(64)
    } else {
        even.max(1)
    };
    let mut b: Vec<usize> = (0..parts)
        .map(|p| p * size)
        .take_while(|&lo| lo < n || lo == 0)
        .collect();
    b.push(n);
    b
}

/// Synapse words in a 64-byte cache line.
const WORDS_PER_LINE: usize = 16;
/// Words at the start of a row that [`PartSynapses::prefetch_row`] asks for.
const PREFETCH_WORDS: usize = 4 * WORDS_PER_LINE;

/// Ask the cache for the line at `p` (a hint: no effect on results).
#[inline(always)]
fn prefetch(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults, whatever the address; `p` points into a live slice anyway.
    unsafe {
        std::arch::x86_64::_mm_prefetch(p as *const i8, std::arch::x86_64::_MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// A synapse word: target (an index into the part) and weight.
#[inline(always)]
pub(super) fn word(target: u32, weight: i8) -> u32 {
    (target << 8) | weight as u8 as u32
}

/// The target of a synapse word.
#[inline(always)]
pub(super) fn target_of(w: u32) -> u32 {
    w >> 8
}

/// The weight of a synapse word.
#[inline(always)]
pub(super) fn weight_of(w: u32) -> i8 {
    w as u8 as i8
}

/// A synapse word with its weight replaced.
#[inline(always)]
pub(super) fn with_weight(w: u32, weight: i8) -> u32 {
    (w & !0xFF) | weight as u8 as u32
}

/// A run header of no synapses yet (each adds [`ONE_MORE`]).
fn run_header(delay: u8, flags: u8) -> u32 {
    delay as u32 | (pack_flags(flags) as u32) << 8
}

/// What one more synapse adds to its run header.
const ONE_MORE: u32 = 1 << 12;

/// The length, delay and flags of a run header.
#[inline(always)]
pub(super) fn run_of(header: u32) -> (usize, u8, u8) {
    (
        (header >> 12) as usize,
        header as u8,
        unpack_flags((header >> 8) as u8 & 15),
    )
}

/// A part's synapses: runs of the synapses onto its neurons, by source.
pub(super) struct PartSynapses {
    /// `offsets[s]..offsets[s + 1]`: the runs of source `s` in `words`.
    pub offsets: Vec<u64>,
    /// Runs: a header ([`HEADER_WORDS`]), then its synapse words.
    pub words: Vec<u32>,
    /// Learning: the canonical index of the synapse in each word (a
    /// header's words take the index of its run's first synapse, so the
    /// array ascends).
    pub canonical: Option<Vec<u32>>,
    /// Learning with several parts: each plastic synapse's place among its
    /// source's plastic synapses (all parts), modulo the LFSR's period. With
    /// one part the place is counted while routing.
    pub rank: Option<Vec<u16>>,
    /// `fanin_offsets[n]..fanin_offsets[n + 1]` index `fanin` for the part's
    /// neuron `n`.
    pub fanin_offsets: Vec<u64>,
    /// Plastic synapses onto each neuron, ascending: (word, source).
    pub fanin: Vec<(u64, u32)>,
    /// Learning: each word's weight fraction (spec §5.3; a plastic
    /// synapse's, 0 for the others); empty without learning.
    pub fractions: Vec<i8>,
}

/// The key a run is cut on: delay and flags.
type Key = (u8, u8);

impl PartSynapses {
    /// The synapses onto each range of `bounds` whose index is in `keep`
    /// (this process's parts), in that order (one pass to count, one to
    /// fill; the network's arrays are read, not copied whole).
    ///
    /// Of a network that holds one rank's share, `bases` give each kept
    /// synapse's canonical index and STDP place in its whole row.
    pub fn split(
        syn: &Synapses,
        bases: Option<&Bases>,
        bounds: &[usize],
        keep: std::ops::Range<usize>,
        learning: bool,
    ) -> Vec<PartSynapses> {
        let parts = bounds.len() - 1;
        let sources = syn.num_sources();
        let size = bounds.get(1).copied().unwrap_or(0).max(1);
        // Parts are `size` neurons each but the last; `None` for another
        // process's part, else the index among those kept.
        let part_of = |target: u32| {
            let p = (target as usize / size).min(parts - 1);
            keep.contains(&p).then(|| p - keep.start)
        };
        let kept = keep.len();
        let mut last: Vec<Option<Key>> = vec![None; kept];
        // Synapses in each part's open run.
        let mut open_len = vec![0u32; kept];
        // offsets[p][s + 1]: words, then prefix sums.
        let mut offsets = vec![vec![0u64; sources + 1]; kept];
        for s in 0..sources {
            last.fill(None);
            for i in syn.row(s) {
                let Some(p) = part_of(syn.target(i)) else { continue };
                let kind = syn.kind(i);
                let key = (kind.delay, kind.flags);
                if last[p] != Some(key) || open_len[p] == RUN_LEN_MAX {
                    last[p] = Some(key);
                    open_len[p] = 0;
                    offsets[p][s + 1] += HEADER_WORDS as u64;
                }
                open_len[p] += 1;
                offsets[p][s + 1] += 1;
            }
        }
        for o in &mut offsets {
            for s in 0..sources {
                o[s + 1] += o[s];
            }
        }
        let mut out: Vec<PartSynapses> = offsets
            .into_iter()
            .enumerate()
            .map(|(k, offsets)| {
                let len = offsets[sources] as usize;
                let p = keep.start + k;
                let n = bounds[p + 1] - bounds[p];
                PartSynapses {
                    offsets,
                    words: Vec::with_capacity(len),
                    canonical: learning.then(|| Vec::with_capacity(len)),
                    rank: (learning && parts > 1).then(|| Vec::with_capacity(len)),
                    fanin_offsets: vec![0; n + 1],
                    fanin: Vec::new(),
                    fractions: Vec::new(),
                }
            })
            .collect();
        // The header of each part's open run, to count its synapses.
        let mut open = vec![0usize; kept];
        for s in 0..sources {
            last.fill(None);
            let mut plastic = 0u32;
            let mut walk = bases.map(|b| b.walk(s));
            for i in syn.row(s) {
                let (t, kind) = (syn.target(i), syn.kind(i));
                let is_plastic = kind.plastic();
                let (c, place) = match &mut walk {
                    Some(w) => w.step(kind.delay, is_plastic),
                    None => {
                        // Every part's plastic synapses count for a source's LFSR places.
                        let place = plastic as u16;
                        if is_plastic {
                            plastic = if plastic + 1 == LFSR_PERIOD { 0 } else { plastic + 1 };
                        }
                        (i as u64, place)
                    }
                };
                let Some(p) = part_of(t) else { continue };
                let key = (kind.delay, kind.flags);
                let f = &mut out[p];
                if last[p] != Some(key) || run_of(f.words[open[p]]).0 == RUN_LEN_MAX as usize {
                    last[p] = Some(key);
                    open[p] = f.words.len();
                    f.words.push(run_header(key.0, key.1));
                    if let Some(canonical) = &mut f.canonical {
                        canonical.extend([c as u32; HEADER_WORDS]);
                    }
                    if let Some(r) = &mut f.rank {
                        r.extend([0; HEADER_WORDS]);
                    }
                }
                f.words[open[p]] += ONE_MORE;
                f.words.push(word(t - bounds[keep.start + p] as u32, syn.weight(i)));
                if let Some(canonical) = &mut f.canonical {
                    canonical.push(c as u32);
                }
                if let Some(r) = &mut f.rank {
                    r.push(if is_plastic { place } else { 0 });
                }
            }
        }
        if learning {
            for f in &mut out {
                f.fill_fanin();
                f.fractions = vec![0; f.words.len()];
            }
        }
        out
    }

    /// Ask the cache for where source `s`'s row starts.
    #[inline(always)]
    pub fn prefetch_offsets(&self, s: usize) {
        prefetch(self.offsets[s..].as_ptr() as *const u8);
    }

    /// Ask the cache for the first lines (up to [`PREFETCH_WORDS`] words)
    /// of source `s`'s row.
    #[inline(always)]
    pub fn prefetch_row(&self, s: usize) {
        let row = self.row(s);
        let end = row.end.min(row.start + PREFETCH_WORDS);
        for k in (row.start..end).step_by(WORDS_PER_LINE) {
            prefetch(self.words[k..].as_ptr() as *const u8);
        }
    }

    /// The runs of source `s`, as a range of `words`.
    #[inline(always)]
    pub fn row(&self, s: usize) -> std::ops::Range<usize> {
        self.offsets[s] as usize..self.offsets[s + 1] as usize
    }

    /// The word of canonical synapse `c`, if it is in this part (learning
    /// only: the others keep no canonical indices).
    pub fn local(&self, c: u64) -> Option<usize> {
        let c = u32::try_from(c).ok()?;
        let canonical = self.canonical.as_ref()?;
        // The last word at or below `c`: a synapse's headers come before it.
        let k = canonical.partition_point(|&x| x <= c).checked_sub(1)?;
        (canonical[k] == c).then_some(k)
    }

    /// The runs of the words in `row` (a row of [`PartSynapses::row`]).
    #[inline(always)]
    pub fn runs(&self, row: std::ops::Range<usize>) -> Runs<'_> {
        Runs {
            syn: self,
            at: row.start,
            end: row.end,
        }
    }

    /// The run whose header is at word `k`.
    #[inline(always)]
    pub fn run_at(&self, k: usize) -> Run {
        let (len, delay, flags) = run_of(self.words[k]);
        let start = k + HEADER_WORDS;
        Run {
            delay,
            flags,
            words: start..start + len,
        }
    }

    /// Every run, with its source, in word order.
    pub fn all_runs(&self) -> impl Iterator<Item = (u32, Run)> + '_ {
        (0..self.offsets.len() - 1).flat_map(move |s| self.runs(self.row(s)).map(move |r| (s as u32, r)))
    }

    /// Each plastic synapse's word with its source, in word order.
    fn plastic_words(&self) -> impl Iterator<Item = (usize, u32)> + '_ {
        self.all_runs()
            .filter(|(_, r)| r.flags & FLAG_PLASTIC != 0)
            .flat_map(|(s, r)| r.words.map(move |j| (j, s)))
    }

    /// The plastic fan-in of each neuron: (word, source), ascending word
    /// (which is ascending canonical index).
    fn fill_fanin(&mut self) {
        let n = self.fanin_offsets.len() - 1;
        let mut counts = vec![0u64; n + 1];
        for (j, _) in self.plastic_words() {
            counts[target_of(self.words[j]) as usize + 1] += 1;
        }
        for i in 0..n {
            counts[i + 1] += counts[i];
        }
        let mut fanin = vec![(0u64, 0u32); counts[n] as usize];
        let mut fill = counts.clone();
        for (j, s) in self.plastic_words() {
            let t = target_of(self.words[j]) as usize;
            fanin[fill[t] as usize] = (j as u64, s);
            fill[t] += 1;
        }
        self.fanin_offsets = counts;
        self.fanin = fanin;
    }
}

/// One run of a source's synapses in a part.
pub(super) struct Run {
    /// The run's delay.
    pub delay: u8,
    /// The run's flags (`wexp`, [`FLAG_PLASTIC`]).
    pub flags: u8,
    /// Its synapse words.
    pub words: std::ops::Range<usize>,
}

/// The runs of a row, in order.
pub(super) struct Runs<'a> {
    syn: &'a PartSynapses,
    at: usize,
    end: usize,
}

impl Iterator for Runs<'_> {
    type Item = Run;

    #[inline(always)]
    fn next(&mut self) -> Option<Run> {
        if self.at >= self.end {
            return None;
        }
        let run = self.syn.run_at(self.at);
        self.at = run.words.end;
        Some(run)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_cover_every_neuron_once() {
        for n in [0usize, 1, 5, 63, 64, 100, 4096, 10_000, 10_001] {
            for parts in 1..=9 {
                let b = bounds(n, parts);
                assert_eq!(b[0], 0);
                assert_eq!(*b.last().unwrap(), n);
                assert!(b.len() - 1 <= parts.max(1));
                assert!(b.windows(2).all(|w| w[0] < w[1] || n == 0), "{n} / {parts}: {b:?}");
                // Every part but the last has the first one's size.
                assert!(
                    b.windows(2).rev().skip(1).all(|w| w[1] - w[0] == b[1] - b[0]),
                    "{n} / {parts}: {b:?}"
                );
            }
        }
        // Large parts are whole words; small ones are split evenly.
        assert_eq!(bounds(10_000, 2), vec![0, 5056, 10_000]);
        assert_eq!(bounds(10, 3), vec![0, 4, 8, 10]);
        // No part is wider than a synapse word's target field.
        let b = bounds(40_000_000, 1);
        assert_eq!(b.len(), 4);
        assert!(b.windows(2).all(|w| w[1] - w[0] <= PART_NEURONS_MAX));
    }

    #[test]
    fn words_hold_target_and_weight() {
        for (t, w) in [(0u32, 0i8), (5, -1), ((1 << 24) - 1, i8::MIN), (77, i8::MAX)] {
            let x = word(t, w);
            assert_eq!((target_of(x), weight_of(x)), (t, w));
            assert_eq!(weight_of(with_weight(x, 3)), 3);
            assert_eq!(target_of(with_weight(x, -3)), t);
        }
    }

    #[test]
    fn headers_hold_length_delay_and_flags() {
        for (delay, flags) in [(1u8, 0u8), (255, FLAG_PLASTIC | 7), (16, 3), (2, FLAG_PLASTIC)] {
            let mut h = run_header(delay, flags);
            assert_eq!(run_of(h), (0, delay, flags));
            for _ in 0..RUN_LEN_MAX {
                h += ONE_MORE;
            }
            assert_eq!(run_of(h), (RUN_LEN_MAX as usize, delay, flags));
        }
    }

    #[test]
    fn a_run_longer_than_a_header_holds_gets_several() {
        use crate::network::{NetworkBuilder, Source, SynapseSpec};
        use crate::neuron::NeuronParams;
        let n = RUN_LEN_MAX + 10;
        let mut b = NetworkBuilder::new();
        let p = b.add_profile(NeuronParams::default());
        b.add_neurons(p, n, |_| 0);
        b.add_axons(1);
        let mut counter = b.into_counter().unwrap();
        let synapse = |t: u32| SynapseSpec {
            source: Source::Axon(0),
            target: t,
            weight: (t % 7) as i8,
            wexp: 1,
            delay: 3,
            plastic: false,
        };
        for t in 0..n {
            counter.add(&synapse(t)).unwrap();
        }
        let mut placer = counter.into_placer().unwrap();
        for t in 0..n {
            placer.add(&synapse(t)).unwrap();
        }
        let net = placer.build().unwrap();
        let parts = PartSynapses::split(net.synapses(), None, &[0, n as usize], 0..1, false);
        let runs: Vec<Run> = parts[0].runs(parts[0].row(0)).collect();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].words.len(), RUN_LEN_MAX as usize);
        assert_eq!(runs[1].words.len(), 10);
        let words: Vec<u32> = runs
            .iter()
            .flat_map(|r| parts[0].words[r.words.clone()].to_vec())
            .collect();
        assert!(runs.iter().all(|r| (r.delay, r.flags) == (3, 1)));
        assert!(words
            .iter()
            .enumerate()
            .all(|(t, &w)| w == word(t as u32, (t % 7) as i8)));
    }
}
