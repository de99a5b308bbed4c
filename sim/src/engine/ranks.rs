//! Simulations spread over several processes (MPI ranks, NEST's scheme):
//! each rank holds a contiguous share of the parts, and the ranks meet once
//! per window of ticks to exchange the neurons that fired (and, with
//! learning, the new `x_pre` of their sources). Everything else a rank
//! needs (the tick's routing order, spike cycles, LFSR positions, counters)
//! it computes itself from the exchanged spikes, as every rank does, so all
//! ranks hold the same spikes and the same records after each run.
//!
//! The engine sees the processes through [`Ranks`], one collective; the MPI
//! implementation is `spikefab_sim::mpi` (cargo feature `mpi`).

/// The processes one simulation is spread over, and the one collective the
/// engine needs of them.
pub trait Ranks: Send {
    /// This process's rank, from 0.
    fn rank(&self) -> usize;
    /// Processes in all.
    fn size(&self) -> usize;
    /// Every rank's `mine`, in rank order. Collective: every rank calls it
    /// at the same point of the same simulation.
    fn all_gather(&self, mine: &[u8]) -> Vec<Vec<u8>>;
}

/// A message being written: little-endian fields, read back by [`In`] in
/// the same order by the same program on another rank.
#[derive(Default)]
pub(super) struct Out(pub Vec<u8>);

impl Out {
    pub fn byte(&mut self, x: u8) {
        self.0.push(x);
    }

    pub fn u32(&mut self, x: u32) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }

    pub fn u64(&mut self, x: u64) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }

    /// A length, then the values.
    pub fn u32s(&mut self, xs: &[u32]) {
        self.u32(xs.len() as u32);
        for &x in xs {
            self.u32(x);
        }
    }

    /// A length, then the values.
    pub fn i32s(&mut self, xs: &[i32]) {
        self.u32(xs.len() as u32);
        for &x in xs {
            self.u32(x as u32);
        }
    }

    /// A length, then the values.
    pub fn i16s(&mut self, xs: &[i16]) {
        self.pairs(xs.len(), xs.iter().map(|x| x.to_le_bytes()));
    }

    /// A length, then the values.
    pub fn u16s(&mut self, xs: &[u16]) {
        self.pairs(xs.len(), xs.iter().map(|x| x.to_le_bytes()));
    }

    /// A length `n`, then `n` 2-byte values (read back by [`In::pairs`]).
    fn pairs(&mut self, n: usize, values: impl Iterator<Item = [u8; 2]>) {
        self.u32(n as u32);
        self.0.extend(values.flatten());
    }

    /// A length, then the values (read back by [`In::bytes`]).
    pub fn i8s(&mut self, xs: &[i8]) {
        self.u32(xs.len() as u32);
        self.0.extend(xs.iter().map(|&x| x as u8));
    }

    /// A length, then the bytes.
    pub fn bytes(&mut self, xs: &[u8]) {
        self.u32(xs.len() as u32);
        self.0.extend_from_slice(xs);
    }
}

/// A message being read (written by [`Out`] on a rank of this simulation:
/// a short or malformed one is a bug, and panics).
pub(super) struct In<'a> {
    bytes: &'a [u8],
}

impl<'a> In<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        In { bytes }
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        head
    }

    pub fn byte(&mut self) -> u8 {
        self.take(1)[0]
    }

    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take(4).try_into().expect("4 bytes"))
    }

    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take(8).try_into().expect("8 bytes"))
    }

    pub fn u32s(&mut self) -> Vec<u32> {
        let n = self.u32() as usize;
        (0..n).map(|_| self.u32()).collect()
    }

    pub fn i32s(&mut self) -> Vec<i32> {
        let n = self.u32() as usize;
        (0..n).map(|_| self.u32() as i32).collect()
    }

    /// A length, then that many 2-byte values read by `from`.
    fn pairs<T>(&mut self, from: fn([u8; 2]) -> T) -> Vec<T> {
        let n = self.u32() as usize;
        self.take(2 * n).chunks_exact(2).map(|c| from([c[0], c[1]])).collect()
    }

    pub fn i16s(&mut self) -> Vec<i16> {
        self.pairs(i16::from_le_bytes)
    }

    pub fn u16s(&mut self) -> Vec<u16> {
        self.pairs(u16::from_le_bytes)
    }

    pub fn bytes(&mut self) -> &'a [u8] {
        let n = self.u32() as usize;
        self.take(n)
    }

    /// Whether everything has been read.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// Which parts each rank holds.
pub(super) struct Layout {
    /// This process's rank.
    pub rank: usize,
    /// `parts[r]..parts[r + 1]`: the parts of rank `r` (indices over all
    /// ranks' parts).
    pub parts: Vec<usize>,
}

impl Layout {
    /// `parts` parts over `ranks` ranks, as evenly as they go; this is `rank`.
    pub fn new(rank: usize, ranks: usize, parts: usize) -> Self {
        Layout {
            rank,
            parts: (0..=ranks).map(|r| r * parts / ranks).collect(),
        }
    }

    /// This rank's parts.
    pub fn local(&self) -> std::ops::Range<usize> {
        self.parts[self.rank]..self.parts[self.rank + 1]
    }

    /// The rank that holds part `p`.
    pub fn rank_of(&self, p: usize) -> usize {
        self.parts.partition_point(|&first| first <= p) - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_back_in_order() {
        let mut o = Out::default();
        o.u32(7);
        o.u64(u64::MAX - 3);
        o.u32s(&[1, 2, 3]);
        o.i32s(&[-5, i32::MIN]);
        o.i16s(&[-1, 300, i16::MAX]);
        o.bytes(&[9, 8]);
        o.byte(200);
        let mut i = In::new(&o.0);
        assert_eq!(i.u32(), 7);
        assert_eq!(i.u64(), u64::MAX - 3);
        assert_eq!(i.u32s(), [1, 2, 3]);
        assert_eq!(i.i32s(), [-5, i32::MIN]);
        assert_eq!(i.i16s(), [-1, 300, i16::MAX]);
        assert_eq!(i.bytes(), [9, 8]);
        assert_eq!(i.byte(), 200);
        assert!(i.is_empty());
    }

    #[test]
    fn every_part_has_one_rank() {
        for parts in 1..12 {
            for ranks in 1..6 {
                let l = Layout::new(0, ranks, parts);
                assert_eq!(l.parts[0], 0);
                assert_eq!(l.parts[ranks], parts);
                for p in 0..parts {
                    let r = l.rank_of(p);
                    assert!(
                        (l.parts[r]..l.parts[r + 1]).contains(&p),
                        "{parts} parts, {ranks} ranks, part {p}"
                    );
                }
            }
        }
    }
}
