//! The learning unit's 16-bit Galois LFSR (`docs/spec.md` §5.4).
//!
//! STDP uses stochastic rounding; its noise comes from this register so that a
//! run is reproducible bit for bit in `sim/` and in the RTL. The feedback
//! polynomial is x^16 + x^14 + x^13 + x^11 + 1 (maximal length: 65535 states).

use serde::{Deserialize, Serialize};

/// Galois feedback mask of x^16 + x^14 + x^13 + x^11 + 1.
pub const LFSR_TAPS: u16 = 0xB400;

/// Default seed of the learning LFSR.
pub const LFSR_DEFAULT_SEED: u16 = 0xACE1;

/// 16-bit Galois LFSR. Its state is never zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Lfsr16(u16);

impl Lfsr16 {
    /// A register holding `seed`; `None` for the forbidden all-zero seed.
    pub fn new(seed: u16) -> Option<Self> {
        (seed != 0).then_some(Lfsr16(seed))
    }

    /// Current state.
    pub fn state(self) -> u16 {
        self.0
    }

    /// The register one step earlier: the state whose next state is this one.
    /// The taps' bit 15 is set and a right shift clears bit 15, so bit 15 of a
    /// state is the bit its step shifted out.
    pub fn previous(self) -> Lfsr16 {
        let out = self.0 >> 15;
        let taps = if out == 1 { LFSR_TAPS } else { 0 };
        Lfsr16(((self.0 ^ taps) << 1) | out)
    }

    /// Advance one step (shift right; if the bit shifted out was 1, XOR the
    /// taps) and return the new state.
    #[inline(always)]
    pub fn next_state(&mut self) -> u16 {
        let out = self.0 & 1;
        self.0 >>= 1;
        if out != 0 {
            self.0 ^= LFSR_TAPS;
        }
        self.0
    }
}

impl Default for Lfsr16 {
    fn default() -> Self {
        Lfsr16(LFSR_DEFAULT_SEED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_steps_by_hand() {
        // 0xACE1 = 1010_1100_1110_0001: lsb 1 -> 0x5670 ^ 0xB400 = 0xE270.
        let mut l = Lfsr16::new(0xACE1).unwrap();
        assert_eq!(l.next_state(), 0xE270);
        // 0xE270: lsb 0 -> 0x7138.
        assert_eq!(l.next_state(), 0x7138);
        // 0x7138 -> 0x389C -> 0x1C4E -> 0x0E27
        assert_eq!(l.next_state(), 0x389C);
        assert_eq!(l.next_state(), 0x1C4E);
        assert_eq!(l.next_state(), 0x0E27);
        // 0x0E27 lsb 1 -> 0x0713 ^ 0xB400 = 0xB313
        assert_eq!(l.next_state(), 0xB313);
    }

    #[test]
    fn previous_undoes_a_step() {
        let mut l = Lfsr16::new(1).unwrap();
        for _ in 0..65535 {
            let before = l;
            l.next_state();
            assert_eq!(l.previous(), before);
        }
    }

    #[test]
    fn maximal_period() {
        let mut l = Lfsr16::new(1).unwrap();
        let mut n = 0u32;
        loop {
            n += 1;
            if l.next_state() == 1 {
                break;
            }
        }
        assert_eq!(n, 65535);
        assert!(Lfsr16::new(0).is_none());
    }
}
