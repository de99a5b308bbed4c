//! `Saturate`: the saturating sum of up to three 16-bit two's-complement
//! values, clamped to the symmetric state range ±32767 (`docs/spec.md` §1,
//! sat16), mirroring [`spikefab_sim::fixed::sat16`] of the exact sum. Three
//! terms is the widest sum the core forms (decayed v + u + bias); unused
//! terms are tied to 0. The sum is formed in 18 bits, wide enough for any
//! three terms, so it never wraps before the clamp.

use rust_hdl::prelude::*;

/// Combinational `sat16(a + b + c)`.
#[derive(LogicBlock)]
pub struct Saturate {
    /// First term (two's complement).
    pub a: Signal<In, Bits<16>>,
    /// Second term (two's complement).
    pub b: Signal<In, Bits<16>>,
    /// Third term (two's complement; 0 when unused).
    pub c: Signal<In, Bits<16>>,
    /// `sat16(a + b + c)`.
    pub value: Signal<Out, Bits<16>>,
    sum: Signal<Local, Bits<18>>,
    sign_ext: Constant<Bits<18>>,
    max18: Constant<Bits<18>>,
    min18: Constant<Bits<18>>,
    max16: Constant<Bits<16>>,
    min16: Constant<Bits<16>>,
}

impl Default for Saturate {
    fn default() -> Self {
        let max = spikefab_sim::fixed::STATE_MAX as u64;
        Saturate {
            a: Default::default(),
            b: Default::default(),
            c: Default::default(),
            value: Default::default(),
            sum: Default::default(),
            // Bits 16 and 17: sign extension of a 16-bit term.
            sign_ext: Constant::new(0x30000u64.to_bits()),
            max18: Constant::new(max.to_bits()),
            // -32767 as 18- and 16-bit patterns.
            min18: Constant::new(((1u64 << 18) - max).to_bits()),
            max16: Constant::new(max.to_bits()),
            min16: Constant::new(((1u64 << 16) - max).to_bits()),
        }
    }
}

impl Logic for Saturate {
    #[hdl_gen]
    fn update(&mut self) {
        self.sum.next =
            bit_cast::<18, 16>(self.a.val()) + bit_cast::<18, 16>(self.b.val()) + bit_cast::<18, 16>(self.c.val());
        if self.a.val().get_bit(15) {
            self.sum.next = self.sum.val() + self.sign_ext.val();
        }
        if self.b.val().get_bit(15) {
            self.sum.next = self.sum.val() + self.sign_ext.val();
        }
        if self.c.val().get_bit(15) {
            self.sum.next = self.sum.val() + self.sign_ext.val();
        }
        // Non-negative sums compare below max18 unsigned; negative sums
        // (bit 17 set) are at least 0x20000, and below -32767 exactly when
        // they are below its pattern.
        self.value.next = self.sum.val().get_bits::<16>(0);
        if !self.sum.val().get_bit(17) & (self.sum.val() > self.max18.val()) {
            self.value.next = self.max16.val();
        }
        if self.sum.val().get_bit(17) & (self.sum.val() < self.min18.val()) {
            self.value.next = self.min16.val();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use spikefab_sim::fixed::{sat16, STATE_MAX, STATE_MIN};

    fn run(uut: &mut Saturate, a: i16, b: i16, c: i16) -> i16 {
        uut.a.next = (a as u16).to_bits();
        uut.b.next = (b as u16).to_bits();
        uut.c.next = (c as u16).to_bits();
        assert!(simulate(uut, 20));
        uut.value.val().to_u16() as i16
    }

    fn term() -> impl Strategy<Value = i16> {
        prop_oneof![
            Just(STATE_MIN),
            Just(STATE_MAX),
            Just(0i16),
            -20i16..=20,
            STATE_MIN..=STATE_MAX
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 5000, ..ProptestConfig::default() })]
        #[test]
        fn matches_the_model(a in term(), b in term(), c in term()) {
            let mut uut = Saturate::default();
            uut.connect_all();
            prop_assert_eq!(run(&mut uut, a, b, c), sat16(a as i32 + b as i32 + c as i32));
        }
    }

    #[test]
    fn every_sum_around_the_limits() {
        let mut uut = Saturate::default();
        uut.connect_all();
        // Every exact sum within 3 of each limit, and the extremes of three terms.
        for target in [32767i32, -32767] {
            for d in -3..=3 {
                let s = target + d;
                let (a, rest) = (s.clamp(-32767, 32767), s - s.clamp(-32767, 32767));
                assert_eq!(run(&mut uut, a as i16, rest as i16, 0), sat16(s), "sum {s}");
            }
        }
        for t in [STATE_MIN, STATE_MAX] {
            assert_eq!(run(&mut uut, t, t, t), t);
        }
    }

    #[test]
    fn synthesizes() {
        let mut uut = Saturate::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_saturate", &generate_verilog(&uut)).unwrap();
    }
}
