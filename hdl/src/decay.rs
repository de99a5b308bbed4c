//! `Decay`: the multiplicative decay of `docs/spec.md` §3.1,
//! `sign(x) × ((|x| × (4096 - d)) >> 12)`, mirroring
//! [`spikefab_sim::fixed::decay`].
//!
//! All arithmetic is on unsigned `Bits` with explicit two's complement: yosys
//! 0.23 reads rust-hdl's signed constants as unsigned, so the design keeps
//! no signed type at all. One 16×16 multiplier (an SB_MAC16 on the UP5K)
//! multiplies the raw 16 bits of `x` by `keep = 4096 - d`; for a negative `x`
//! that unsigned product is the signed one plus `keep << 16`, and rounding
//! the quotient toward zero instead of down adds one when the low 12 bits
//! are not all zero:
//!
//! `y = p[27:12] + (x < 0 && p[11:0] != 0) - (x < 0 ? keep << 4 : 0)`
//!
//! (16-bit arithmetic), which no negation of `x` or of the result needs.

use rust_hdl::prelude::*;

/// Combinational decay unit.
#[derive(LogicBlock)]
pub struct Decay {
    /// The value, 16-bit two's complement in -32767..=32767.
    pub x: Signal<In, Bits<16>>,
    /// The decay factor, 0..=4096.
    pub d: Signal<In, Bits<16>>,
    /// `decay(x, d)`.
    pub y: Signal<Out, Bits<16>>,
    negative: Signal<Local, Bit>,
    keep: Signal<Local, Bits<16>>,
    product: Signal<Local, Bits<32>>,
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
            product: Default::default(),
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
        self.round.next = 0.into();
        self.correction.next = 0.into();
        if self.negative.val() {
            if self.product.val().get_bits::<12>(0).any() {
                self.round.next = 1.into();
            }
            self.correction.next = self.keep.val() << 4;
        }
        self.y.next = self.product.val().get_bits::<16>(12) + self.round.val() - self.correction.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikefab_sim::fixed::{decay, STATE_MAX, STATE_MIN};

    fn run(uut: &mut Decay, x: i16, d: u16) -> i16 {
        uut.x.next = (x as u16).to_bits();
        uut.d.next = d.to_bits();
        assert!(simulate(uut, 50), "combinational logic did not settle");
        uut.y.val().to_u16() as i16
    }

    #[test]
    fn matches_the_model_on_every_value_for_edge_factors() {
        let mut uut = Decay::default();
        uut.connect_all();
        for d in [0u16, 1, 2, 3, 100, 1234, 2048, 3001, 4000, 4095, 4096] {
            for x in (STATE_MIN..=STATE_MAX)
                .step_by(7)
                .chain([STATE_MIN, -1, 0, 1, STATE_MAX])
            {
                assert_eq!(run(&mut uut, x, d), decay(x, d), "x={x} d={d}");
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
