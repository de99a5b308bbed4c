//! `Decay`: the multiplicative decay of `docs/spec.md` §3.1 with rounding
//! offset `r`, `sign(x) × ((|x| × (4096 - d) + r) >> 12)`, mirroring
//! [`spikefab_sim::fixed::decay`], plus a term `add` that the caller sums with
//! it (`decay(x, d, r) + add`, exact in 17 bits).
//!
//! One signed 16×16 multiply-add, all of it in one SB_MAC16 on the UP5K
//! (yosys packs the product and the sum after it): the signed product `P = x
//! × keep` (`keep = 4096 - d`, 13 bits, as a non-negative signed operand), plus
//! `add << 12` and a 12-bit `a`, shifted right by 12 (floor). For `x ≥ 0`,
//! `a = r`; for `x < 0`, `-((-P + r) >> 12)` is `(P + 4095 - r) >> 12`
//! rounded down, so `a = !r` (12 bits: `4095 - r`). `add << 12 | a` is a
//! concatenation: no adder in logic. With `r = 0` it rounds toward zero.
//!
//! The operands are signed only here, around the multiplier (`$signed` in the
//! Verilog); the rest of the design keeps unsigned `Bits` with explicit two's
//! complement, because yosys 0.23 reads rust-hdl's signed constants as
//! unsigned, and there are no signed constants in this block.

use rust_hdl::prelude::*;

/// Combinational decay unit with a sum after it.
#[derive(LogicBlock)]
pub struct Decay {
    /// The value, 16-bit two's complement in -32767..=32767.
    pub x: Signal<In, Bits<16>>,
    /// The decay factor, 0..=4096.
    pub d: Signal<In, Bits<16>>,
    /// The rounding offset, 0..4096 (0 rounds toward zero).
    pub r: Signal<In, Bits<12>>,
    /// A term added to the decayed value (two's complement; 0 for none).
    pub add: Signal<In, Bits<16>>,
    /// `decay(x, d, r) + add`, 17-bit two's complement.
    pub y: Signal<Out, Bits<17>>,
    keep: Signal<Local, Bits<13>>,
    x_signed: Signal<Local, Signed<16>>,
    keep_signed: Signal<Local, Signed<16>>,
    product: Signal<Local, Signed<32>>,
    addend: Signal<Local, Bits<12>>,
    term: Signal<Local, Bits<32>>,
    sum: Signal<Local, Bits<32>>,
    one: Constant<Bits<16>>,
    sign_ext: Constant<Bits<32>>,
}

impl Default for Decay {
    fn default() -> Self {
        Decay {
            x: Default::default(),
            d: Default::default(),
            r: Default::default(),
            add: Default::default(),
            y: Default::default(),
            keep: Default::default(),
            x_signed: Default::default(),
            keep_signed: Default::default(),
            product: Default::default(),
            addend: Default::default(),
            term: Default::default(),
            sum: Default::default(),
            one: Constant::new(spikefab_sim::fixed::DECAY_ONE.to_bits()),
            // Bits 28-31: `add`'s sign, extended above `add << 12`.
            sign_ext: Constant::new(0xF000_0000u64.to_bits()),
        }
    }
}

impl Logic for Decay {
    #[hdl_gen]
    fn update(&mut self) {
        self.keep.next = bit_cast::<13, 16>(self.one.val() - self.d.val());
        self.x_signed.next = signed_cast(self.x.val());
        self.keep_signed.next = signed_cast(bit_cast::<16, 13>(self.keep.val()));
        self.product.next = self.x_signed.val() * self.keep_signed.val();
        self.addend.next = self.r.val();
        if self.x.val().get_bit(15) {
            self.addend.next = !self.r.val();
        }
        self.term.next = bit_cast::<32, 16>(self.add.val()) << 12 | bit_cast::<32, 12>(self.addend.val());
        if self.add.val().get_bit(15) {
            self.term.next = self.term.val() | self.sign_ext.val();
        }
        self.sum.next = unsigned_cast(self.product.val()) + self.term.val();
        self.y.next = self.sum.val().get_bits::<17>(12);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikefab_sim::fixed::{decay, STATE_MAX, STATE_MIN};

    /// `decay(x, d, r) + add` as the block computes it.
    fn run(uut: &mut Decay, x: i16, d: u16, r: u16, add: i16) -> i32 {
        uut.x.next = (x as u16).to_bits();
        uut.d.next = d.to_bits();
        uut.r.next = r.to_bits();
        uut.add.next = (add as u16).to_bits();
        assert!(simulate(uut, 50), "combinational logic did not settle");
        // 17-bit two's complement.
        ((uut.y.val().to_u32() << 15) as i32) >> 15
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
                    assert_eq!(run(&mut uut, x, d, r, 0), decay(x, d, r) as i32, "x={x} d={d} r={r}");
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 3000, ..Default::default() })]
        /// The term after the decay is summed exactly, in 17 bits, whatever
        /// the signs (the ring's input after u's decay, the bias after v's,
        /// the resting threshold after the excess's).
        #[test]
        fn adds_its_term_exactly(
            x in STATE_MIN..=STATE_MAX, d in 0u16..=4096, r in 0u16..4096, add in proptest::prelude::any::<i16>(),
        ) {
            let mut uut = Decay::default();
            uut.connect_all();
            proptest::prop_assert_eq!(run(&mut uut, x, d, r, add), decay(x, d, r) as i32 + add as i32);
        }
    }

    #[test]
    fn synthesizes() {
        let mut uut = Decay::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_decay", &generate_verilog(&uut)).unwrap();
    }
}
