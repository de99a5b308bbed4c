//! `Saturate`: the saturating sum of a 17-bit and a 16-bit two's-complement
//! value, clamped to the symmetric state range ±32767 (`docs/spec.md` §1,
//! sat16), mirroring [`spikefab_sim::fixed::sat16`] of the exact sum. The
//! 17-bit term is a decay with a term already added in its multiplier
//! ([`crate::decay::Decay`]: the decayed v plus the bias); the other is u's
//! term in v (0 for u's own clamp), and a carry in completes that term (see
//! `NeuronUpdate`). The sum is formed in 18 bits, wide enough for all three,
//! so it never wraps before the clamp.

use rust_hdl::prelude::*;

/// Combinational `sat16(a + b + carry)`.
#[derive(LogicBlock)]
pub struct Saturate {
    /// First term (17-bit two's complement).
    pub a: Signal<In, Bits<17>>,
    /// Second term (16-bit two's complement; 0 when unused).
    pub b: Signal<In, Bits<16>>,
    /// Carry in: 1 more.
    pub carry: Signal<In, Bit>,
    /// `sat16(a + b + carry)`.
    pub value: Signal<Out, Bits<16>>,
    a18: Signal<Local, Bits<18>>,
    b18: Signal<Local, Bits<18>>,
    sum: Signal<Local, Bits<18>>,
    a_ext: Constant<Bits<18>>,
    b_ext: Constant<Bits<18>>,
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
            carry: Default::default(),
            value: Default::default(),
            a18: Default::default(),
            b18: Default::default(),
            sum: Default::default(),
            // Sign extensions to 18 bits: bit 17 of a 17-bit term, bits 16
            // and 17 of a 16-bit one.
            a_ext: Constant::new(0x20000u64.to_bits()),
            b_ext: Constant::new(0x30000u64.to_bits()),
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
        self.a18.next = bit_cast::<18, 17>(self.a.val());
        if self.a.val().get_bit(16) {
            self.a18.next = self.a18.val() | self.a_ext.val();
        }
        self.b18.next = bit_cast::<18, 16>(self.b.val());
        if self.b.val().get_bit(15) {
            self.b18.next = self.b18.val() | self.b_ext.val();
        }
        self.sum.next = self.a18.val() + self.b18.val() + bit_cast::<18, 1>(self.carry.val().into());
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

    /// The 17-bit terms the core forms: a state decayed (±32767) plus a
    /// 16-bit term.
    const A_MIN: i32 = STATE_MIN as i32 + i16::MIN as i32;
    const A_MAX: i32 = STATE_MAX as i32 + i16::MAX as i32;

    fn run(uut: &mut Saturate, a: i32, b: i16) -> i16 {
        uut.a.next = ((a as u32) & 0x1FFFF).to_bits();
        uut.b.next = (b as u16).to_bits();
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

    fn wide() -> impl Strategy<Value = i32> {
        prop_oneof![Just(A_MIN), Just(A_MAX), Just(0), -40i32..=40, A_MIN..=A_MAX]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 5000, ..ProptestConfig::default() })]
        #[test]
        fn matches_the_model(a in wide(), b in term()) {
            let mut uut = Saturate::default();
            uut.connect_all();
            prop_assert_eq!(run(&mut uut, a, b), sat16(a + b as i32));
        }
    }

    #[test]
    fn every_sum_around_the_limits() {
        let mut uut = Saturate::default();
        uut.connect_all();
        // Every exact sum within 3 of each limit, split both ways, and the
        // extremes.
        for target in [32767i32, -32767] {
            for d in -3..=3 {
                let s = target + d;
                assert_eq!(run(&mut uut, s, 0), sat16(s), "sum {s}");
                let b = s.clamp(-32767, 32767);
                assert_eq!(run(&mut uut, s - b, b as i16), sat16(s), "sum {s}");
            }
        }
        for (a, b) in [
            (A_MIN, STATE_MIN),
            (A_MAX, STATE_MAX),
            (A_MIN, STATE_MAX),
            (A_MAX, STATE_MIN),
        ] {
            assert_eq!(run(&mut uut, a, b), sat16(a + b as i32), "{a} + {b}");
        }
    }

    #[test]
    fn synthesizes() {
        let mut uut = Saturate::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_saturate", &generate_verilog(&uut)).unwrap();
    }
}
