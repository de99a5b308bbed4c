//! `Decay`: the multiplicative decay of `docs/spec.md` §3.1 with rounding
//! offset `r`, `sign(x) × ((|x| × (4096 - d) + r) >> 12)`, mirroring
//! [`spikefab_sim::fixed::decay`].
//!
//! All arithmetic is on unsigned `Bits` with explicit two's complement: yosys
//! 0.23 reads rust-hdl's signed constants as unsigned, so the design keeps
//! no signed type at all. One 16×16 multiplier (an SB_MAC16 on the UP5K)
//! multiplies the raw 16 bits of `x` by `keep = 4096 - d`; for a negative `x`
//! that unsigned product `p` is the signed one `P` plus `keep << 16`, and
//! `-((-P + r) >> 12)` is `(P + 4095 - r) >> 12` rounded down, so with
//! `a = r` for `x ≥ 0` and `a = !r` (12 bits: `4095 - r`) for `x < 0`:
//!
//! `y = p[27:12] + carry(p[11:0] + a) - (x < 0 ? keep << 4 : 0)`
//!
//! (16-bit arithmetic; the carry is bit 12 of a 12-bit sum), which no
//! negation of `x` or of the result needs. With `r = 0` it rounds toward zero.

use rust_hdl::prelude::*;

/// Combinational decay unit.
#[derive(LogicBlock)]
pub struct Decay {
    /// The value, 16-bit two's complement in -32767..=32767.
    pub x: Signal<In, Bits<16>>,
    /// The decay factor, 0..=4096.
    pub d: Signal<In, Bits<16>>,
    /// The rounding offset, 0..4096 (0 rounds toward zero).
    pub r: Signal<In, Bits<12>>,
    /// `decay(x, d)`.
    pub y: Signal<Out, Bits<16>>,
    negative: Signal<Local, Bit>,
    keep: Signal<Local, Bits<16>>,
    product: Signal<Local, Bits<32>>,
    addend: Signal<Local, Bits<12>>,
    fraction: Signal<Local, Bits<13>>,
    round: Signal<Local, Bits<16>>,
    correction: Signal<Local, Bits<16>>,
    one: Constant<Bits<16>>,
}

impl Default for Decay {
    fn default() -> Self {
        Decay {
            x: Default::default(),
            d: Default::default(),
            y: Default::default(),
            negative: Default::default(),
            keep: Default::default(),
            r: Default::default(),
            product: Default::default(),
            addend: Default::default(),
            fraction: Default::default(),
            round: Default::default(),
            correction: Default::default(),
            one: Constant::new(spikefab_sim::fixed::DECAY_ONE.to_bits()),
        }
    }
}

impl Logic for Decay {
    #[hdl_gen]
    fn update(&mut self) {
        self.negative.next = self.x.val().get_bit(15);
        self.keep.next = self.one.val() - self.d.val();
        self.product.next = self.x.val() * self.keep.val();
        self.addend.next = self.r.val();
        self.correction.next = 0.into();
        if self.negative.val() {
            self.addend.next = !self.r.val();
            self.correction.next = self.keep.val() << 4;
        }
        self.fraction.next =
            bit_cast::<13, 12>(self.product.val().get_bits::<12>(0)) + bit_cast::<13, 12>(self.addend.val());
        self.round.next = bit_cast::<16, 1>(self.fraction.val().get_bits::<1>(12));
        self.y.next = self.product.val().get_bits::<16>(12) + self.round.val() - self.correction.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikefab_sim::fixed::{decay, STATE_MAX, STATE_MIN};

    fn run(uut: &mut Decay, x: i16, d: u16, r: u16) -> i16 {
        uut.x.next = (x as u16).to_bits();
        uut.d.next = d.to_bits();
        uut.r.next = r.to_bits();
        assert!(simulate(uut, 50), "combinational logic did not settle");
        uut.y.val().to_u16() as i16
    }

    #[test]
    fn matches_the_model_on_every_value_for_edge_factors() {
        let mut uut = Decay::default();
        uut.connect_all();
        for d in [0u16, 1, 2, 3, 100, 1234, 2048, 3001, 4000, 4095, 4096] {
            for (k, x) in (STATE_MIN..=STATE_MAX)
                .step_by(7)
                .chain([STATE_MIN, -1, 0, 1, STATE_MAX])
                .enumerate()
            {
                // Toward zero, the extreme offsets, and one spread over 0..4096.
                let spread = (k as u16).wrapping_mul(1697) & 4095;
                for r in [0u16, 1, 4095, spread] {
                    assert_eq!(run(&mut uut, x, d, r), decay(x, d, r), "x={x} d={d} r={r}");
                }
            }
        }
    }

    #[test]
    fn synthesizes() {
        let mut uut = Decay::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_decay", &generate_verilog(&uut)).unwrap();
    }
}
