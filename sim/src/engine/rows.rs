//! Whole rows from shares: a network built for one rank
//! ([`crate::network::NetworkBuilder::keep_targets`]) holds, of each
//! source's row, only the synapses onto the rank's neurons. What the engine
//! needs of the whole row (its synapses and plastic synapses, for cycles and
//! LFSR positions; its run headers, for cycles; and where each kept synapse
//! sits in it, for canonical indices and STDP draws) the ranks learn from
//! each other in one exchange when a simulation starts ([`gather`]).
//!
//! A row is sorted by delay, then target, and ranks hold ascending ranges of
//! targets, so each delay's synapses in the whole row are the ranks' own of
//! that delay, one rank after the other. Each rank sends, per source and
//! delay it holds, a *segment*: its synapses, plastic synapses, and the
//! maximal runs of one flags byte its synapses begin and end with. Folding
//! the segments in (delay, rank) order gives the whole row's run headers (a
//! run that spans ranks is counted once) and each segment's place.

use std::ops::Range;

use super::ranks::{In, Out, Ranks};
use crate::cycles::{run_headers, RUN_MAX};
use crate::lfsr::LFSR_PERIOD;
use crate::network::Synapses;

/// Sources per message of the exchange: bounds what it holds at once.
const CHUNK: usize = 1 << 16;

/// What a source's whole row holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct RowSize {
    /// Synapses.
    pub synapses: u64,
    /// Plastic synapses.
    pub plastic: u64,
    /// Run headers that store it on the chip (spec §8.3).
    pub headers: u64,
}

impl RowSize {
    /// Source `s`'s row of a whole network, in one pass over it.
    pub fn of(syn: &Synapses, s: usize) -> RowSize {
        let mut plastic = 0;
        let headers = run_headers(syn.row(s).map(|i| {
            let k = syn.kind(i);
            plastic += k.plastic() as u64;
            (k.delay, k.flags)
        }));
        RowSize {
            synapses: syn.row(s).len() as u64,
            plastic,
            headers,
        }
    }
}

/// Source `s`'s kept synapses of each delay in turn, as places in `syn`
/// (ascending delay: one range per segment).
fn by_delay(syn: &Synapses, s: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    let row = syn.row(s);
    let mut at = row.start;
    std::iter::from_fn(move || {
        if at == row.end {
            return None;
        }
        let (start, delay) = (at, syn.delay(at));
        while at < row.end && syn.delay(at) == delay {
            at += 1;
        }
        Some(start..at)
    })
}

/// Where this rank's segments (each source's kept synapses of one delay)
/// sit in the whole rows.
#[derive(Debug, Clone, Default)]
pub(super) struct Bases {
    /// The canonical index where each source's row starts; one more at the
    /// end.
    row_start: Vec<u64>,
    /// `seg_at[s]..seg_at[s + 1]`: source `s`'s segments, ascending delay.
    seg_at: Vec<u64>,
    /// Synapses of the whole row before each segment.
    before: Vec<u32>,
    /// Plastic synapses of the whole row before each segment, modulo the
    /// LFSR's period.
    plastic_before: Vec<u16>,
}

impl Bases {
    /// A walk over source `s`'s kept synapses, in storage order.
    pub fn walk(&self, s: usize) -> RowWalk<'_> {
        RowWalk {
            bases: self,
            row_start: self.row_start[s],
            seg: self.seg_at[s] as usize,
            delay: None,
            next: 0,
            plastic: 0,
        }
    }

    /// Source `s`'s kept synapses as runs of consecutive canonical indices:
    /// (first canonical index, their places in `syn`).
    pub fn segments<'a>(&'a self, syn: &'a Synapses, s: usize) -> impl Iterator<Item = (u64, Range<usize>)> + 'a {
        let before = &self.before[self.seg_at[s] as usize..];
        by_delay(syn, s)
            .zip(before)
            .map(move |(local, &b)| (self.row_start[s] + b as u64, local))
    }
}

/// The canonical index and STDP place of each of a source's kept synapses
/// in turn ([`Bases::walk`]).
pub(super) struct RowWalk<'a> {
    bases: &'a Bases,
    row_start: u64,
    seg: usize,
    delay: Option<u8>,
    next: u64,
    plastic: u32,
}

impl RowWalk<'_> {
    /// The next synapse, of `delay`, plastic or not: its canonical index and
    /// its place among its source's plastic synapses (modulo the LFSR's
    /// period; the place a plastic synapse takes).
    #[inline]
    pub fn step(&mut self, delay: u8, plastic: bool) -> (u64, u16) {
        if self.delay != Some(delay) {
            if self.delay.is_some() {
                self.seg += 1;
            }
            self.delay = Some(delay);
            self.next = self.row_start + self.bases.before[self.seg] as u64;
            self.plastic = self.bases.plastic_before[self.seg] as u32;
        }
        let here = (self.next, self.plastic as u16);
        self.next += 1;
        if plastic {
            self.plastic = if self.plastic + 1 == LFSR_PERIOD {
                0
            } else {
                self.plastic + 1
            };
        }
        here
    }
}

/// One rank's synapses of one source and delay, as the exchange carries
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment {
    delay: u8,
    synapses: u32,
    plastic: u32,
    /// The flags and length of the maximal run of one flags byte the
    /// segment begins with...
    first: (u8, u32),
    /// ...and ends with (the same run when there is one).
    last: (u8, u32),
    /// Whether the segment is one run.
    single: bool,
    /// Run headers of the runs between the first and the last.
    inner: u32,
}

impl Segment {
    fn write(&self, out: &mut Out) {
        out.byte(self.delay);
        out.u32(self.synapses);
        out.u32(self.plastic);
        out.byte(self.first.0);
        out.u32(self.first.1);
        out.byte(self.last.0);
        out.u32(self.last.1);
        out.byte(self.single as u8);
        out.u32(self.inner);
    }

    fn read(m: &mut In) -> Segment {
        Segment {
            delay: m.byte(),
            synapses: m.u32(),
            plastic: m.u32(),
            first: (m.byte(), m.u32()),
            last: (m.byte(), m.u32()),
            single: m.byte() != 0,
            inner: m.u32(),
        }
    }
}

/// Headers of a maximal run of `len` synapses.
fn headers(len: u32) -> u64 {
    len.div_ceil(RUN_MAX) as u64
}

/// The segments of source `s`'s kept synapses, ascending delay.
fn segments(syn: &Synapses, s: usize, runs: &mut Vec<(u8, u32)>, out: &mut Vec<Segment>) {
    out.clear();
    for local in by_delay(syn, s) {
        let delay = syn.delay(local.start);
        let (mut synapses, mut plastic) = (0u32, 0u32);
        runs.clear();
        for i in local {
            let k = syn.kind(i);
            synapses += 1;
            plastic += k.plastic() as u32;
            match runs.last_mut() {
                Some((f, len)) if *f == k.flags => *len += 1,
                _ => runs.push((k.flags, 1)),
            }
        }
        let inner = runs[1..runs.len().saturating_sub(1).max(1)]
            .iter()
            .map(|&(_, len)| headers(len) as u32)
            .sum();
        out.push(Segment {
            delay,
            synapses,
            plastic,
            first: runs[0],
            last: runs[runs.len() - 1],
            single: runs.len() == 1,
            inner,
        });
    }
}

/// Every source's whole-row size, and where this rank's segments sit, from
/// every rank's share of the synapses `syn`; `rank` is this process among
/// `ranks` (none: this process holds every synapse). Collective.
pub(super) fn gather(syn: &Synapses, ranks: Option<&dyn Ranks>, rank: usize) -> (Vec<RowSize>, Bases) {
    let sources = syn.num_sources();
    let mut sizes = Vec::with_capacity(sources);
    let mut bases = Bases {
        row_start: Vec::with_capacity(sources + 1),
        seg_at: Vec::with_capacity(sources + 1),
        ..Bases::default()
    };
    bases.row_start.push(0);
    bases.seg_at.push(0);
    let (mut runs, mut segs) = (Vec::new(), Vec::new());
    let mut entries: Vec<(Segment, usize)> = Vec::new();
    for chunk in (0..sources).step_by(CHUNK) {
        let end = (chunk + CHUNK).min(sources);
        let mut out = Out::default();
        for s in chunk..end {
            segments(syn, s, &mut runs, &mut segs);
            out.u32(segs.len() as u32);
            for g in &segs {
                g.write(&mut out);
            }
        }
        let msgs = match ranks {
            Some(r) => r.all_gather(&out.0),
            None => vec![out.0],
        };
        let mut ins: Vec<In> = msgs.iter().map(|m| In::new(m)).collect();
        for _ in chunk..end {
            entries.clear();
            for (r, m) in ins.iter_mut().enumerate() {
                for _ in 0..m.u32() {
                    entries.push((Segment::read(m), r));
                }
            }
            // Stable: within a delay, rank order.
            entries.sort_by_key(|(g, _)| g.delay);
            let size = fold(&entries, rank, &mut bases);
            let start = *bases.row_start.last().expect("a start");
            bases.row_start.push(start + size.synapses);
            bases.seg_at.push(bases.before.len() as u64);
            sizes.push(size);
        }
    }
    (sizes, bases)
}

/// One source's segments in (delay, rank) order: its whole row's size; the
/// places of `rank`'s segments are pushed onto `bases`.
fn fold(entries: &[(Segment, usize)], rank: usize, bases: &mut Bases) -> RowSize {
    let mut size = RowSize::default();
    // The run still open: delay, flags, length.
    let mut open: Option<(u8, u8, u32)> = None;
    for &(g, r) in entries {
        if r == rank {
            bases.before.push(size.synapses as u32);
            bases.plastic_before.push((size.plastic % LFSR_PERIOD as u64) as u16);
        }
        size.synapses += g.synapses as u64;
        size.plastic += g.plastic as u64;
        let first = match open {
            Some((d, f, len)) if d == g.delay && f == g.first.0 => len + g.first.1,
            Some((_, _, len)) => {
                size.headers += headers(len);
                g.first.1
            }
            None => g.first.1,
        };
        if g.single {
            open = Some((g.delay, g.first.0, first));
            continue;
        }
        size.headers += headers(first) + g.inner as u64;
        open = Some((g.delay, g.last.0, g.last.1));
    }
    if let Some((_, _, len)) = open {
        size.headers += headers(len);
    }
    size.headers = size.headers.max(1);
    size
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{NetworkBuilder, Source, SynapseSpec};
    use crate::{learning::StdpParams, NeuronParams};
    use proptest::prelude::*;

    /// A segment of the runs `runs` (flags, length) of one delay.
    fn seg(delay: u8, runs: &[(u8, u32)]) -> Segment {
        let n = runs.len();
        Segment {
            delay,
            synapses: runs.iter().map(|r| r.1).sum(),
            plastic: 0,
            first: runs[0],
            last: runs[n - 1],
            single: n == 1,
            inner: runs[1..n.saturating_sub(1).max(1)]
                .iter()
                .map(|r| headers(r.1) as u32)
                .sum(),
        }
    }

    #[test]
    fn a_run_across_ranks_is_counted_once() {
        let mut b = Bases::default();
        // 100 + 100 synapses of one flags byte on two ranks: 200 in one run, 2 headers.
        let two = [(seg(1, &[(0, 100)]), 0), (seg(1, &[(0, 100)]), 1)];
        assert_eq!(fold(&two, 1, &mut b).headers, 2);
        assert_eq!(b.before, [100]);
        // Flags 0 then 3 on rank 0, 3 then 0 on rank 1: 0 | 3 3 | 0.
        let mixed = [(seg(1, &[(0, 5), (3, 1)]), 0), (seg(1, &[(3, 2), (0, 1)]), 1)];
        assert_eq!(fold(&mixed, 0, &mut b).headers, 3);
        // Another delay ends a run: 1 + 1.
        let delays = [(seg(1, &[(0, 5)]), 0), (seg(2, &[(0, 5)]), 1)];
        assert_eq!(fold(&delays, 0, &mut b).headers, 2);
        // Three ranks in one run of 127 + 1.
        let three = [
            (seg(4, &[(1, 100)]), 0),
            (seg(4, &[(1, 27)]), 1),
            (seg(4, &[(1, 1)]), 2),
        ];
        assert_eq!(fold(&three, 2, &mut b).headers, 2);
        assert_eq!(fold(&[], 0, &mut b).headers, 1);
    }

    fn any_synapse() -> impl Strategy<Value = SynapseSpec> {
        (0u32..3, 0u32..6, -5i8..5, 0u8..3, 1u8..4, any::<bool>(), 0usize..4).prop_map(
            |(source, target, weight, wexp, delay, plastic, repeat)| SynapseSpec {
                source: Source::Neuron(source),
                target,
                weight,
                // Long runs of one kind now and then.
                wexp: if repeat == 0 { wexp } else { 0 },
                delay,
                plastic,
            },
        )
    }

    proptest! {
        /// On one rank holding every synapse, the fold gives each row's
        /// size as the whole network counts it, and canonical indices and
        /// STDP places as the rows hold them.
        #[test]
        fn one_rank_folds_to_the_whole_rows(
            list in prop::collection::vec(any_synapse(), 0..400),
        ) {
            let mut b = NetworkBuilder::new();
            b.set_stdp(StdpParams { w_min: -5, w_max: 5, ..StdpParams::default() });
            let p = b.add_profile(NeuronParams::default());
            b.add_neurons(p, 6, |_| 0);
            for s in &list {
                b.add_synapse(*s);
            }
            let net = b.build().unwrap();
            let syn = net.synapses();
            let (sizes, bases) = gather(syn, None, 0);
            prop_assert_eq!(sizes.len(), syn.num_sources());
            for (s, &size) in sizes.iter().enumerate() {
                prop_assert_eq!(size, RowSize::of(syn, s));
                let mut walk = bases.walk(s);
                let mut place = 0u16;
                for i in syn.row(s) {
                    let k = syn.kind(i);
                    prop_assert_eq!(walk.step(k.delay, k.plastic()), (i as u64, place));
                    place += k.plastic() as u16;
                }
                let covered: Vec<usize> = bases.segments(syn, s).flat_map(|(c, r)| {
                    assert_eq!(c, r.start as u64);
                    r
                }).collect();
                prop_assert_eq!(covered, syn.row(s).collect::<Vec<_>>());
            }
        }
    }
}
