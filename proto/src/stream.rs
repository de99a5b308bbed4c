//! Streaming (`docs/spec.md` §10.4): how a set of spikes
//! travels in a STEP command or its answer (the shorter of an index list and
//! a bitmap), the digest of a tick's output stamps, and the window of bytes a
//! host may have in flight.

use crate::frame::CRC16;

/// Bytes of commands a host may have sent whose answers have not arrived:
/// the board's receive FIFO (`firmware/`), which holds what arrives while the
/// core runs a tick.
pub const WINDOW_BYTES: usize = 256;

/// Bytes the board's transmit buffer (`firmware/`) holds between the core
/// and the UART: the core writes an answer into it and runs on while the
/// line carries it, and waits only when it is full.
pub const TX_BUFFER_BYTES: usize = 256;

/// Bytes the board holds behind the core when it stops for the line: the
/// transmit buffer, the byte waiting for the transmitter and the one it is
/// sending (the virtual chip's model of the board, `host/src/virtual_chip.rs`).
pub const TX_HELD_BYTES: usize = TX_BUFFER_BYTES + 2;

/// Words of the bitmap of `range` indices (16 per word).
pub fn map_words(range: u32) -> usize {
    range.div_ceil(16) as usize
}

/// A set of spikes (input axons or output neurons) as it travels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpikeWords {
    /// One word per spike, ascending.
    List(Vec<u16>),
    /// Bit `b` of word `w` is index `16 w + b`.
    Map(Vec<u16>),
}

impl SpikeWords {
    /// The shorter form of the ascending `indices` (each below `range`): the
    /// list while it has no more words than the bitmap of `range`, else that
    /// bitmap. The chip chooses its answers' form by the same rule.
    pub fn shorter(indices: &[u16], range: u32) -> SpikeWords {
        let words = map_words(range);
        if indices.len() <= words {
            return SpikeWords::List(indices.to_vec());
        }
        let mut map = vec![0u16; words];
        for &i in indices {
            map[i as usize / 16] |= 1 << (i % 16);
        }
        SpikeWords::Map(map)
    }

    /// The words as sent.
    pub fn words(&self) -> &[u16] {
        match self {
            SpikeWords::List(w) | SpikeWords::Map(w) => w,
        }
    }

    /// The bitmap form.
    pub fn is_map(&self) -> bool {
        matches!(self, SpikeWords::Map(_))
    }

    /// The indices, in the order sent (a map's ascending).
    pub fn indices(&self) -> Vec<u16> {
        match self {
            SpikeWords::List(w) => w.clone(),
            SpikeWords::Map(w) => w
                .iter()
                .enumerate()
                .flat_map(|(i, &bits)| {
                    (0..16)
                        .filter(move |b| bits >> b & 1 == 1)
                        .map(move |b| (16 * i + b) as u16)
                })
                .collect(),
        }
    }
}

/// The digest of a tick's output spikes' cycle stamps (§7.3), in the order the
/// spikes are routed: CRC-16/CCITT-FALSE (the frames' CRC, from 0xFFFF) over
/// each stamp's offset from `start`, the busy-cycle counter at the start of
/// the tick, modulo 2^16, low byte first. 0xFFFF for a tick without output
/// spikes. Offsets, not stamps, so that the digest of a tick does not depend
/// on where the counter started (a RESET, a restored checkpoint).
pub fn stamp_digest(start: u64, stamps: impl IntoIterator<Item = u64>) -> u16 {
    let mut d = CRC16.digest();
    for s in stamps {
        d.update(&(s.wrapping_sub(start) as u16).to_le_bytes());
    }
    d.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_list_is_kept_up_to_a_maps_length() {
        assert_eq!(map_words(256), 16);
        assert_eq!(map_words(20), 2);
        let sixteen: Vec<u16> = (0..16).map(|i| i * 16).collect();
        assert_eq!(SpikeWords::shorter(&sixteen, 256), SpikeWords::List(sixteen.clone()));
        let seventeen: Vec<u16> = (0..17).collect();
        let m = SpikeWords::shorter(&seventeen, 256);
        assert_eq!(m.words()[..2], [0xFFFF, 0x0001]);
        assert_eq!(m.words().len(), 16);
        assert_eq!(m.indices(), seventeen);
    }

    #[test]
    fn the_digest_is_the_frames_crc_over_the_stamps() {
        assert_eq!(stamp_digest(5, []), 0xFFFF);
        // Offsets 0x3231 and 0x3433 are the bytes "1234"; the offset is taken
        // modulo 2^16.
        let start = 0xABCD_0000_0100u64;
        let stamps = [start + 0x3231 + 0x5_0000, start + 0x3433];
        assert_eq!(stamp_digest(start, stamps), CRC16.checksum(b"1234"));
    }

    proptest! {
        #[test]
        fn both_forms_carry_the_same_indices(set in prop::collection::btree_set(0u16..256, 0..256)) {
            let v: Vec<u16> = set.into_iter().collect();
            let w = SpikeWords::shorter(&v, 256);
            prop_assert!(w.words().len() <= v.len().max(map_words(256)));
            prop_assert_eq!(w.indices(), v);
        }
    }
}
