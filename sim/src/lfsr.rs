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

/// Steps before the register returns to a state: every non-zero state once.
pub const LFSR_PERIOD: u32 = 65535;

/// The register's whole cycle as a table, so that any number of steps is one
/// look-up: threads that each own part of a tick's weight updates draw the
/// one noise stream of spec §5.4 at the positions the single-threaded order
/// gives them, without stepping through each other's draws.
pub struct LfsrCycle {
    /// `states[i]`: the state `i` steps after state 1.
    states: Vec<u16>,
    /// `position[s]`: the `i` with `states[i] == s` (unused for 0).
    position: Vec<u16>,
}

impl LfsrCycle {
    /// The table (built once, 256 KiB, shared by every simulator).
    pub fn get() -> &'static LfsrCycle {
        static CYCLE: std::sync::OnceLock<LfsrCycle> = std::sync::OnceLock::new();
        CYCLE.get_or_init(|| {
            let mut states = Vec::with_capacity(LFSR_PERIOD as usize);
            let mut position = vec![0u16; 1 << 16];
            let mut l = Lfsr16(1);
            for i in 0..LFSR_PERIOD {
                states.push(l.0);
                position[l.0 as usize] = i as u16;
                l.next_state();
            }
            LfsrCycle { states, position }
        })
    }

    /// Where `l` sits in the cycle (0..[`LFSR_PERIOD`]).
    #[inline]
    pub fn position(&self, l: Lfsr16) -> u32 {
        self.position[l.0 as usize] as u32
    }

    /// The state at `position` (0..2·[`LFSR_PERIOD`]: one wrap is taken).
    #[inline(always)]
    pub fn state(&self, position: u32) -> u16 {
        let p = if position >= LFSR_PERIOD {
            position - LFSR_PERIOD
        } else {
            position
        };
        self.states[p as usize]
    }

    /// The register at `position`.
    pub fn at(&self, position: u32) -> Lfsr16 {
        Lfsr16(self.state(position % LFSR_PERIOD))
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
    fn cycle_table_jumps_as_steps_do() {
        let c = LfsrCycle::get();
        let mut l = Lfsr16::new(0xACE1).unwrap();
        let start = c.position(l);
        for k in 1..200_000u32 {
            l.next_state();
            assert_eq!(c.at(start + k), l, "{k} steps");
        }
        assert_eq!(c.state(LFSR_PERIOD + 3), c.state(3));
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
