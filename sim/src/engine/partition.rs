//! How a network is split between threads: contiguous ranges of target
//! neurons, and each range's share of the synapses.
//!
//! A part holds the synapses *onto* its neurons, grouped by source in the
//! network's canonical order (spec §8.3), so that every part can route every
//! spike of a tick into its own delay ring without touching another's: the
//! contributions to one accumulator still arrive in the canonical order of
//! the saturating sums (spec §6), whatever the number of parts. With one part
//! the network's own arrays are borrowed, not copied.

use std::borrow::Cow;

use crate::lfsr::LFSR_PERIOD;
use crate::network::{Synapses, FLAG_PLASTIC};

/// Neurons per part are rounded up to whole 64-neuron words (the bitmaps'
/// and the block update's unit) when every part still gets at least this
/// many words.
const ALIGN_MIN_WORDS: usize = 8;

/// The first neuron of each of (at most) `parts` ranges over `n` neurons, and
/// `n` at the end: `bounds[p]..bounds[p + 1]` is part `p`, never empty
/// (except the one part of a network without neurons).
pub(super) fn bounds(n: usize, parts: usize) -> Vec<usize> {
    let parts = parts.clamp(1, n.max(1));
    let even = n.div_ceil(parts);
    let size = if even >= 64 * ALIGN_MIN_WORDS {
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

/// A part's synapses: those onto its neurons, in canonical order, with
/// targets as indices into the part.
pub(super) struct PartSynapses<'n> {
    /// `offsets[s]..offsets[s + 1]`: the synapses of source `s`.
    pub offsets: Cow<'n, [u64]>,
    /// Target, as an index into the part.
    pub target: Cow<'n, [u32]>,
    /// Weight (owned and updated in place when learning is on).
    pub weight: Cow<'n, [i8]>,
    /// Delay, 1..=255.
    pub delay: Cow<'n, [u8]>,
    /// `wexp` and [`FLAG_PLASTIC`].
    pub flags: Cow<'n, [u8]>,
    /// Sources whose synapses here share one delay and one exponent and are
    /// not plastic: routed in one tight loop.
    pub one_run: Vec<bool>,
    /// Learning with several parts: each synapse's canonical index.
    pub canonical: Option<Vec<u32>>,
    /// Learning with several parts: each plastic synapse's place among its
    /// source's plastic synapses (all parts), modulo the LFSR's period; 0 for
    /// the others. With one part the place is counted while routing.
    pub rank: Option<Vec<u16>>,
    /// `fanin_offsets[n]..fanin_offsets[n + 1]` index `fanin` for the part's
    /// neuron `n`.
    pub fanin_offsets: Cow<'n, [u64]>,
    /// Plastic synapses onto each neuron, ascending: (synapse here, source).
    pub fanin: Cow<'n, [(u32, u32)]>,
}

impl<'n> PartSynapses<'n> {
    /// The network's synapses as one part: borrowed (weights copied when
    /// `learning`, since learning changes them).
    pub fn whole(syn: &'n Synapses, learning: bool) -> Self {
        PartSynapses {
            one_run: one_run(&syn.offsets, &syn.delay, &syn.flags),
            offsets: Cow::Borrowed(&syn.offsets),
            target: Cow::Borrowed(&syn.target),
            weight: if learning {
                Cow::Owned(syn.weight.clone())
            } else {
                Cow::Borrowed(&syn.weight)
            },
            delay: Cow::Borrowed(&syn.delay),
            flags: Cow::Borrowed(&syn.flags),
            canonical: None,
            rank: None,
            fanin_offsets: Cow::Borrowed(&syn.fanin_offsets),
            fanin: Cow::Borrowed(&syn.fanin),
        }
    }

    /// The synapses onto each range of `bounds`, one pass to count and one
    /// to fill.
    pub fn split(syn: &Synapses, bounds: &[usize], learning: bool) -> Vec<PartSynapses<'static>> {
        let parts = bounds.len() - 1;
        let sources = syn.offsets.len() - 1;
        let part_of = |target: u32| bounds.partition_point(|&lo| lo <= target as usize) - 1;
        // offsets[p][s + 1]: count, then prefix sums.
        let mut offsets = vec![vec![0u64; sources + 1]; parts];
        for s in 0..sources {
            for &t in &syn.target[syn.offsets[s] as usize..syn.offsets[s + 1] as usize] {
                offsets[part_of(t)][s + 1] += 1;
            }
        }
        for o in &mut offsets {
            for s in 0..sources {
                o[s + 1] += o[s];
            }
        }
        let mut out: Vec<Fill> = offsets
            .iter()
            .map(|o| {
                let len = o[sources] as usize;
                Fill {
                    target: Vec::with_capacity(len),
                    weight: Vec::with_capacity(len),
                    delay: Vec::with_capacity(len),
                    flags: Vec::with_capacity(len),
                    canonical: if learning { Vec::with_capacity(len) } else { Vec::new() },
                    rank: if learning { Vec::with_capacity(len) } else { Vec::new() },
                }
            })
            .collect();
        for s in 0..sources {
            let mut plastic = 0u32;
            for i in syn.offsets[s] as usize..syn.offsets[s + 1] as usize {
                let t = syn.target[i];
                let p = part_of(t);
                let f = &mut out[p];
                f.target.push(t - bounds[p] as u32);
                f.weight.push(syn.weight[i]);
                f.delay.push(syn.delay[i]);
                f.flags.push(syn.flags[i]);
                if learning {
                    f.canonical.push(i as u32);
                    let is_plastic = syn.flags[i] & FLAG_PLASTIC != 0;
                    f.rank.push(if is_plastic { plastic as u16 } else { 0 });
                    if is_plastic {
                        plastic = if plastic + 1 == LFSR_PERIOD { 0 } else { plastic + 1 };
                    }
                }
            }
        }
        out.into_iter()
            .zip(offsets)
            .enumerate()
            .map(|(p, (f, offsets))| {
                let n = bounds[p + 1] - bounds[p];
                let (fanin_offsets, fanin) = if learning {
                    fanin_of(n, &offsets, &f.target, &f.flags)
                } else {
                    (vec![0; n + 1], Vec::new())
                };
                PartSynapses {
                    one_run: one_run(&offsets, &f.delay, &f.flags),
                    offsets: Cow::Owned(offsets),
                    target: Cow::Owned(f.target),
                    weight: Cow::Owned(f.weight),
                    delay: Cow::Owned(f.delay),
                    flags: Cow::Owned(f.flags),
                    canonical: learning.then_some(f.canonical),
                    rank: learning.then_some(f.rank),
                    fanin_offsets: Cow::Owned(fanin_offsets),
                    fanin: Cow::Owned(fanin),
                }
            })
            .collect()
    }

    /// The synapses of source `s`, as a range of this part's arrays.
    #[inline(always)]
    pub fn row(&self, s: usize) -> std::ops::Range<usize> {
        self.offsets[s] as usize..self.offsets[s + 1] as usize
    }

    /// Where canonical synapse `c` sits in this part, if it is here: for the
    /// whole network, or for a part split with learning on (the others keep
    /// no canonical indices).
    pub fn local(&self, c: u64) -> Option<usize> {
        match &self.canonical {
            None => (c < self.target.len() as u64).then_some(c as usize),
            Some(canonical) => canonical.binary_search(&u32::try_from(c).ok()?).ok(),
        }
    }
}

/// A part's arrays while [`PartSynapses::split`] fills them.
struct Fill {
    target: Vec<u32>,
    weight: Vec<i8>,
    delay: Vec<u8>,
    flags: Vec<u8>,
    canonical: Vec<u32>,
    rank: Vec<u16>,
}

/// Whether each source's synapses are one non-plastic run of one delay and
/// one flags byte.
fn one_run(offsets: &[u64], delay: &[u8], flags: &[u8]) -> Vec<bool> {
    offsets
        .windows(2)
        .map(|w| {
            let (lo, hi) = (w[0] as usize, w[1] as usize);
            let key = |i: usize| (delay[i], flags[i]);
            lo < hi && flags[lo] & FLAG_PLASTIC == 0 && (lo..hi).all(|i| key(i) == key(lo))
        })
        .collect()
}

/// The plastic fan-in of each of a part's `n` neurons: (synapse, source),
/// ascending synapse (which is ascending canonical index).
fn fanin_of(n: usize, offsets: &[u64], target: &[u32], flags: &[u8]) -> (Vec<u64>, Vec<(u32, u32)>) {
    let mut fanin_offsets = vec![0u64; n + 1];
    for (t, f) in target.iter().zip(flags) {
        if f & FLAG_PLASTIC != 0 {
            fanin_offsets[*t as usize + 1] += 1;
        }
    }
    for i in 0..n {
        fanin_offsets[i + 1] += fanin_offsets[i];
    }
    let mut fanin = vec![(0u32, 0u32); fanin_offsets[n] as usize];
    let mut fill = fanin_offsets.clone();
    for s in 0..offsets.len() - 1 {
        for i in offsets[s] as usize..offsets[s + 1] as usize {
            if flags[i] & FLAG_PLASTIC != 0 {
                let t = target[i] as usize;
                fanin[fill[t] as usize] = (i as u32, s as u32);
                fill[t] += 1;
            }
        }
    }
    (fanin_offsets, fanin)
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
            }
        }
        // Large parts are whole words; small ones are split evenly.
        assert_eq!(bounds(10_000, 2), vec![0, 5056, 10_000]);
        assert_eq!(bounds(10, 3), vec![0, 4, 8, 10]);
    }
}
