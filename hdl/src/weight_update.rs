//! `WeightUpdate`: one STDP weight update (`docs/spec.md` §5.3), mirroring
//! [`spikefab_sim::learning::StdpParams::depress`] and `potentiate`:
//!
//! `w ← clamp(w ± ((x · gain + r) >> lr_shift), w_min, w_max)` with `r` the
//! low `lr_shift` bits of the LFSR's new state.
//!
//! Two stages, one clock apart: the magnitude `(x · gain + r) >> lr_shift`
//! from `x`, `gain`, `lr_shift` and `noise` is registered on the clock edge
//! (the multiplier and the shifter, the long path) with the weight `w` and
//! the direction `potentiate`; in the next cycle the registered operands and
//! the bounds give `w_next` combinationally (the add and the clamp, in front
//! of the synapse memory's write), with no input of the caller's on that
//! path.
//!
//! The second stage ends at the synapse memory's data input (the SPRAM's on
//! the UP5K, one of the core's long paths), so it is kept narrow: the magnitude is registered
//! saturated at 256. That changes no result: a weight is 8-bit, so with a
//! magnitude of 256 or more the sum passes every 8-bit bound (w + m ≥ 128 >
//! w_max, w − m ≤ −129 < w_min) and is clamped to the same bound as with the
//! exact magnitude. The sum then fits 10 bits (−384..=383).
//!
//! Signed values are compared without signed types (see `decay.rs`): the
//! 10-bit two's-complement result has its sign bit flipped, which maps signed
//! order onto unsigned order, and the bounds are mapped the same way. When
//! `w_min > w_max` (registers the host may write, never a valid network) the
//! upper bound wins, as it always has.

use rust_hdl::prelude::*;

/// Combinational weight update.
#[derive(LogicBlock)]
pub struct WeightUpdate {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Weight before (8-bit two's complement); first stage.
    pub w: Signal<In, Bits<8>>,
    /// The trace (12 bits): x_pre for potentiation, x_post for depression.
    pub x: Signal<In, Bits<12>>,
    /// The gain: a_plus or a_minus.
    pub gain: Signal<In, Bits<8>>,
    /// Learning-rate shift, 0..=15, stable since the clock before (a control
    /// register: its rounding mask is registered).
    pub lr_shift: Signal<In, Bits<4>>,
    /// The LFSR's state after this update's step.
    pub noise: Signal<In, Bits<16>>,
    /// Lower weight bound (two's complement); second stage.
    pub w_min: Signal<In, Bits<8>>,
    /// Upper weight bound (two's complement); second stage.
    pub w_max: Signal<In, Bits<8>>,
    /// Potentiate (add) rather than depress (subtract); first stage.
    pub potentiate: Signal<In, Bit>,
    /// Weight after.
    pub w_next: Signal<Out, Bits<8>>,
    product: Signal<Local, Bits<32>>,
    mask: DFF<Bits<21>>,
    rounded: Signal<Local, Bits<21>>,
    saturated: Signal<Local, Bits<9>>,
    magnitude: DFF<Bits<10>>,
    w_wide: DFF<Bits<10>>,
    subtracting: DFF<Bit>,
    sum: Signal<Local, Bits<10>>,
    sum_ordered: Signal<Local, Bits<10>>,
    min_ordered: Signal<Local, Bits<10>>,
    max_ordered: Signal<Local, Bits<10>>,
    clamped: Signal<Local, Bits<10>>,
    ones: Constant<Bits<21>>,
    limit: Constant<Bits<9>>,
    sign_ext: Constant<Bits<10>>,
    sign_bit: Constant<Bits<10>>,
}

impl Default for WeightUpdate {
    fn default() -> Self {
        WeightUpdate {
            w: Default::default(),
            x: Default::default(),
            gain: Default::default(),
            lr_shift: Default::default(),
            noise: Default::default(),
            w_min: Default::default(),
            w_max: Default::default(),
            potentiate: Default::default(),
            w_next: Default::default(),
            product: Default::default(),
            mask: Default::default(),
            rounded: Default::default(),
            saturated: Default::default(),
            magnitude: Default::default(),
            clock: Default::default(),
            w_wide: Default::default(),
            subtracting: Default::default(),
            sum: Default::default(),
            sum_ordered: Default::default(),
            min_ordered: Default::default(),
            max_ordered: Default::default(),
            clamped: Default::default(),
            ones: Constant::new(0x1FFFFFu32.to_bits()),
            limit: Constant::new(256u32.to_bits()),
            // Bits 8 and 9 set: sign extension of an 8-bit value to 10 bits.
            sign_ext: Constant::new(0x300u32.to_bits()),
            sign_bit: Constant::new(0x200u32.to_bits()),
        }
    }
}

impl Logic for WeightUpdate {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, mask, magnitude, w_wide, subtracting);
        // Stage 1: (x · gain + r) >> lr_shift, with r = noise & (2^lr_shift - 1);
        // the sum needs 21 bits (4095 · 255 + 32767).
        self.product.next = bit_cast::<16, 12>(self.x.val()) * bit_cast::<16, 8>(self.gain.val());
        // 2^lr_shift - 1 as the complement of a shifted constant: each bit is
        // a function of lr_shift alone (one LUT), where the subtraction
        // was a carry chain in front of the adder; registered, since
        // lr_shift is a control register the host writes between ticks
        // (its LUT and flip-flop share a logic cell, off the long path).
        self.mask.d.next = !(self.ones.val() << self.lr_shift.val());
        self.rounded.next = (bit_cast::<21, 32>(self.product.val())
            + (bit_cast::<21, 16>(self.noise.val()) & self.mask.q.val()))
            >> self.lr_shift.val();
        // Saturated at 256 (see the module documentation).
        self.saturated.next = bit_cast::<9, 21>(self.rounded.val());
        if self.rounded.val().get_bits::<13>(8).any() {
            self.saturated.next = self.limit.val();
        }
        // Registered as the term stage 2 adds: the magnitude, or for a
        // depression its complement (w - m = w + !m + 1, the 1 a carry in),
        // so that one adder serves both directions and the complement costs
        // no logic cell of its own (it is taken in front of the flip-flops).
        self.magnitude.d.next = bit_cast::<10, 9>(self.saturated.val());
        if !self.potentiate.val() {
            self.magnitude.d.next = !bit_cast::<10, 9>(self.saturated.val());
        }
        // w in 10-bit two's complement, and the direction.
        self.w_wide.d.next = bit_cast::<10, 8>(self.w.val());
        if self.w.val().get_bit(7) {
            self.w_wide.d.next = bit_cast::<10, 8>(self.w.val()) | self.sign_ext.val();
        }
        self.subtracting.d.next = !self.potentiate.val();

        // Stage 2: w ± magnitude.
        self.sum.next =
            self.w_wide.q.val() + self.magnitude.q.val() + bit_cast::<10, 1>(self.subtracting.q.val().into());

        // Clamp in "ordered" space (sign bit flipped: signed order = unsigned order).
        self.sum_ordered.next = self.sum.val() ^ self.sign_bit.val();
        self.min_ordered.next = bit_cast::<10, 8>(self.w_min.val()) ^ self.sign_bit.val();
        if self.w_min.val().get_bit(7) {
            self.min_ordered.next = (bit_cast::<10, 8>(self.w_min.val()) | self.sign_ext.val()) ^ self.sign_bit.val();
        }
        self.max_ordered.next = bit_cast::<10, 8>(self.w_max.val()) ^ self.sign_bit.val();
        if self.w_max.val().get_bit(7) {
            self.max_ordered.next = (bit_cast::<10, 8>(self.w_max.val()) | self.sign_ext.val()) ^ self.sign_bit.val();
        }
        self.clamped.next = self.sum.val();
        if self.sum_ordered.val() < self.min_ordered.val() {
            self.clamped.next = self.min_ordered.val() ^ self.sign_bit.val();
        }
        if self.sum_ordered.val() > self.max_ordered.val() {
            self.clamped.next = self.max_ordered.val() ^ self.sign_bit.val();
        }
        self.w_next.next = self.clamped.val().get_bits::<8>(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use spikefab_sim::fixed::TRACE_MAX;
    use spikefab_sim::learning::StdpParams;
    use spikefab_sim::lfsr::Lfsr16;

    /// Settle, clock the magnitude register, settle: the inputs held across
    /// both stages.
    fn clock(uut: &mut WeightUpdate) -> bool {
        let mut ok = simulate(uut, 50);
        uut.clock.next = true.into();
        ok &= simulate(uut, 50);
        uut.clock.next = false.into();
        ok & simulate(uut, 50)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 5000, ..ProptestConfig::default() })]
        #[test]
        fn matches_the_model(
            w in any::<i8>(), x in prop_oneof![Just(0u16), Just(TRACE_MAX), 0..=TRACE_MAX], gain in any::<u8>(), lr_shift in 0u8..=15,
            a in any::<i8>(), b in any::<i8>(), seed in 1u16..=u16::MAX, potentiate in any::<bool>(),
        ) {
            let rule = StdpParams {
                a_plus: gain,
                a_minus: gain,
                lr_shift,
                w_min: a.min(b),
                w_max: a.max(b),
                ..StdpParams::default()
            };
            let mut lfsr = Lfsr16::new(seed).unwrap();
            let want = if potentiate { rule.potentiate(w, x, &mut lfsr) } else { rule.depress(w, x, &mut lfsr) };
            let mut uut = WeightUpdate::default();
            uut.connect_all();
            uut.w.next = (w as u8).to_bits();
            uut.x.next = x.to_bits();
            uut.gain.next = gain.to_bits();
            uut.lr_shift.next = lr_shift.to_bits();
            uut.noise.next = lfsr.state().to_bits();
            uut.w_min.next = (rule.w_min as u8).to_bits();
            uut.w_max.next = (rule.w_max as u8).to_bits();
            uut.potentiate.next = potentiate;
            // lr_shift is a control register: stable a clock ahead.
            prop_assert!(clock(&mut uut));
            prop_assert!(clock(&mut uut));
            prop_assert_eq!(uut.w_next.val().to_u8() as i8, want);
        }
    }

    #[test]
    fn extremes() {
        let mut uut = WeightUpdate::default();
        uut.connect_all();
        for (w, x, gain, shift, noise, lo, hi, pot) in [
            (127i8, 4095u16, 255u8, 0u8, 1u16, -128i8, 127i8, true),
            (-128, 4095, 255, 0, 1, -128, 127, false),
            (0, 4095, 255, 15, 0xFFFF, -128, 127, true),
            (0, 4095, 255, 12, 0xFFFF, -128, 127, false),
            (127, 255, 255, 0, 1, -128, 127, true),
            (-128, 255, 255, 0, 1, -128, 127, false),
            (0, 255, 255, 15, 0xFFFF, -128, 127, true),
            (5, 1, 1, 0, 0x8000, 5, 5, false),
            (-3, 0, 0, 15, 0x7FFF, -10, -1, true),
            (-100, 200, 200, 8, 0x00FF, -120, 120, false),
        ] {
            let rule = StdpParams {
                a_plus: gain,
                a_minus: gain,
                lr_shift: shift,
                w_min: lo,
                w_max: hi,
                ..StdpParams::default()
            };
            let mut lfsr = Lfsr16::new(noise).unwrap().previous();
            let want = if pot {
                rule.potentiate(w, x, &mut lfsr)
            } else {
                rule.depress(w, x, &mut lfsr)
            };
            uut.w.next = (w as u8).to_bits();
            uut.x.next = x.to_bits();
            uut.gain.next = gain.to_bits();
            uut.lr_shift.next = shift.to_bits();
            uut.noise.next = noise.to_bits();
            uut.w_min.next = (lo as u8).to_bits();
            uut.w_max.next = (hi as u8).to_bits();
            uut.potentiate.next = pot;
            assert!(clock(&mut uut));
            assert!(clock(&mut uut));
            assert_eq!(
                uut.w_next.val().to_u8() as i8,
                want,
                "w {w} x {x} gain {gain} shift {shift}"
            );
        }
    }

    #[test]
    fn synthesizes() {
        let mut uut = WeightUpdate::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_weight_update", &generate_verilog(&uut)).unwrap();
    }
}
