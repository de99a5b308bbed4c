//! `Saturate`: an 18-bit two's-complement sum clamped to the symmetric 16-bit
//! state range ±32767 (`docs/spec.md` §1, sat16), mirroring
//! [`spikefab_sim::fixed::sat16`]. 18 bits hold any sum of three 16-bit state
//! values, the widest sum the core forms.

use rust_hdl::prelude::*;

/// Combinational saturation of an 18-bit sum to ±32767.
#[derive(LogicBlock)]
pub struct Saturate {
    /// The sum, 18-bit two's complement.
    pub sum: Signal<In, Bits<18>>,
    /// `sat16(sum)`, 16-bit two's complement.
    pub value: Signal<Out, Bits<16>>,
    max18: Constant<Bits<18>>,
    min18: Constant<Bits<18>>,
    max16: Constant<Bits<16>>,
    min16: Constant<Bits<16>>,
}

impl Default for Saturate {
    fn default() -> Self {
        let max = spikefab_sim::fixed::STATE_MAX as u64;
        Saturate {
            sum: Default::default(),
            value: Default::default(),
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
    use spikefab_sim::fixed::sat16;

    #[test]
    fn matches_the_model_on_every_18_bit_sum() {
        let mut uut = Saturate::default();
        uut.connect_all();
        for raw in (0u32..1 << 18)
            .step_by(3)
            .chain([0x7FFF, 0x8000, 0x38000, 0x38001, 0x3FFFF, 0x20000])
        {
            uut.sum.next = (raw as u64).to_bits();
            assert!(simulate(&mut uut, 20));
            // Interpret the 18-bit pattern as signed.
            let signed = ((raw << 14) as i32) >> 14;
            assert_eq!(uut.value.val().to_u16() as i16, sat16(signed), "sum {signed}");
        }
    }

    #[test]
    fn synthesizes() {
        let mut uut = Saturate::default();
        uut.connect_all();
        yosys_validate("spikefab_saturate", &generate_verilog(&uut)).unwrap();
    }
}
