//! `WeightUpdate`: one STDP weight update (`docs/spec.md` §5.3) on a plastic
//! synapse's fine weight, mirroring
//! [`spikefab_sim::learning::StdpParams::depress`] and `potentiate`:
//!
//! `W ← clamp(W ± ((x · gain · 256 + r) >> lr_shift), 256 w_min, 256 w_max)`
//! with `r` the low `lr_shift` bits of the LFSR's new state.
//!
//! The block works on `V = W + 128`, the weight byte and the fraction byte
//! stored offset by 128 side by side (`V = 256 × weight + (fraction +
//! 128)`), so that the caller joins and splits them with no adder: the
//! bounds are `256 w_min + 128` and `256 w_max + 128`, and `w_next`'s high
//! byte is the new weight (`W` rounded to the nearest step, halves up), its
//! low byte the new fraction + 128.
//!
//! Two stages, one clock apart. The first registers the magnitude
//! `((x · gain + (r >> 8)) << 8 | (r & 255)) >> lr_shift`, which is
//! `(x · gain · 256 + r) >> lr_shift` with a 20-bit adder, saturated at
//! 2^16: `V` spans less than 2^16, so a larger magnitude is clamped to the
//! same bound. The first stage also registers the room to the bound the
//! update moves towards (`256 w_max + 128 - V` for a potentiation, `V -
//! 256 w_min - 128` for a depression) and that bound. The second adds or
//! subtracts the magnitude (one adder, the complement taken in front of the
//! register, the 1 a carry in) and, beside it, compares the magnitude with
//! the room (a second carry chain): where it is larger, the result is the
//! bound. So the second stage is two carry chains side by side and a
//! multiplexer, not an adder followed by two comparisons: its result feeds
//! the synapse memory's write port, the core's longest path on the UP5K.
//! This is the spec's clamp for a weight within its bounds (a potentiation
//! can only pass the upper one, a depression the lower): learning keeps a
//! plastic weight there, and the loader refuses one outside them.
//!
//! The caller writes the result back in two words of a one-port memory,
//! one clock apart: `fraction_next` is the fraction of the clock before
//! (`w_next`'s low byte less 128, two's complement, as the fraction word
//! stores it: spec §8.3).

use rust_hdl::prelude::*;

/// The weight update. See the module documentation.
#[derive(LogicBlock)]
pub struct WeightUpdate {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// `V` before: the weight byte, then the fraction + 128; first stage.
    pub w: Signal<In, Bits<16>>,
    /// The trace (12 bits): x_pre for potentiation, x_post for depression.
    pub x: Signal<In, Bits<12>>,
    /// The gain: a_plus or a_minus.
    pub gain: Signal<In, Bits<8>>,
    /// Learning-rate shift, 0..=15, stable since the clock before (a control
    /// register: its rounding mask is registered).
    pub lr_shift: Signal<In, Bits<4>>,
    /// The LFSR's state after this update's step.
    pub noise: Signal<In, Bits<16>>,
    /// Lower weight bound (two's complement); first stage.
    pub w_min: Signal<In, Bits<8>>,
    /// Upper weight bound (two's complement); first stage.
    pub w_max: Signal<In, Bits<8>>,
    /// Potentiate (add) rather than depress (subtract); first stage.
    pub potentiate: Signal<In, Bit>,
    /// `V` after.
    pub w_next: Signal<Out, Bits<16>>,
    /// The fraction of the clock before's `w_next`, as stored.
    pub fraction_next: Signal<Out, Bits<8>>,
    fraction_q: DFF<Bits<8>>,
    product: Signal<Local, Bits<32>>,
    mask: DFF<Bits<16>>,
    noise_kept: Signal<Local, Bits<16>>,
    high_sum: Signal<Local, Bits<21>>,
    widened: Signal<Local, Bits<29>>,
    rounded: Signal<Local, Bits<29>>,
    saturated: Signal<Local, Bits<17>>,
    magnitude: DFF<Bits<18>>,
    w_wide: DFF<Bits<18>>,
    subtracting: DFF<Bit>,
    v_wide: Signal<Local, Bits<18>>,
    lo_v: Signal<Local, Bits<18>>,
    hi_v: Signal<Local, Bits<18>>,
    room: DFF<Bits<18>>,
    bound: DFF<Bits<16>>,
    magnitude_plain: DFF<Bits<18>>,
    sum: Signal<Local, Bits<18>>,
    beyond: Signal<Local, Bits<18>>,
    clamped: Signal<Local, Bits<16>>,
    ones: Constant<Bits<16>>,
    limit: Constant<Bits<17>>,
    sign_ext: Constant<Bits<18>>,
    half: Constant<Bits<18>>,
}

impl Default for WeightUpdate {
    fn default() -> Self {
        WeightUpdate {
            clock: Default::default(),
            w: Default::default(),
            x: Default::default(),
            gain: Default::default(),
            lr_shift: Default::default(),
            noise: Default::default(),
            w_min: Default::default(),
            w_max: Default::default(),
            potentiate: Default::default(),
            w_next: Default::default(),
            fraction_next: Default::default(),
            fraction_q: Default::default(),
            product: Default::default(),
            mask: Default::default(),
            noise_kept: Default::default(),
            high_sum: Default::default(),
            widened: Default::default(),
            rounded: Default::default(),
            saturated: Default::default(),
            magnitude: Default::default(),
            w_wide: Default::default(),
            subtracting: Default::default(),
            v_wide: Default::default(),
            lo_v: Default::default(),
            hi_v: Default::default(),
            room: Default::default(),
            bound: Default::default(),
            magnitude_plain: Default::default(),
            sum: Default::default(),
            beyond: Default::default(),
            clamped: Default::default(),
            ones: Constant::new(0xFFFFu32.to_bits()),
            limit: Constant::new(0x10000u32.to_bits()),
            // Bits 16 and 17 set: sign extension of a 16-bit value to 18 bits.
            sign_ext: Constant::new(0x30000u32.to_bits()),
            // The bounds' low byte: a fraction of 0, offset by 128.
            half: Constant::new(0x80u32.to_bits()),
        }
    }
}

impl Logic for WeightUpdate {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            mask,
            magnitude,
            w_wide,
            subtracting,
            fraction_q,
            room,
            bound,
            magnitude_plain
        );
        // Stage 1: ((x · gain + (r >> 8)) << 8 | (r & 255)) >> lr_shift, with
        // r = noise & (2^lr_shift - 1).
        self.product.next = bit_cast::<16, 12>(self.x.val()) * bit_cast::<16, 8>(self.gain.val());
        // 2^lr_shift - 1, registered: lr_shift is a control register.
        self.mask.d.next = !(self.ones.val() << self.lr_shift.val());
        self.noise_kept.next = self.noise.val() & self.mask.q.val();
        self.high_sum.next =
            bit_cast::<21, 32>(self.product.val()) + bit_cast::<21, 8>(self.noise_kept.val().get_bits::<8>(8));
        self.widened.next =
            bit_cast::<29, 21>(self.high_sum.val()) << 8 | bit_cast::<29, 8>(bit_cast::<8, 16>(self.noise_kept.val()));
        self.rounded.next = self.widened.val() >> self.lr_shift.val();
        self.saturated.next = bit_cast::<17, 29>(self.rounded.val());
        if self.rounded.val().get_bits::<13>(16).any() {
            self.saturated.next = self.limit.val();
        }
        self.magnitude.d.next = bit_cast::<18, 17>(self.saturated.val());
        if !self.potentiate.val() {
            self.magnitude.d.next = !bit_cast::<18, 17>(self.saturated.val());
        }
        self.v_wide.next = bit_cast::<18, 16>(self.w.val());
        if self.w.val().get_bit(15) {
            self.v_wide.next = bit_cast::<18, 16>(self.w.val()) | self.sign_ext.val();
        }
        self.w_wide.d.next = self.v_wide.val();
        self.subtracting.d.next = !self.potentiate.val();
        self.magnitude_plain.d.next = bit_cast::<18, 17>(self.saturated.val());
        // The bounds as V, and the room to the one this update moves to.
        self.lo_v.next = bit_cast::<18, 8>(self.w_min.val()) << 8 | self.half.val();
        if self.w_min.val().get_bit(7) {
            self.lo_v.next = bit_cast::<18, 8>(self.w_min.val()) << 8 | self.half.val() | self.sign_ext.val();
        }
        self.hi_v.next = bit_cast::<18, 8>(self.w_max.val()) << 8 | self.half.val();
        if self.w_max.val().get_bit(7) {
            self.hi_v.next = bit_cast::<18, 8>(self.w_max.val()) << 8 | self.half.val() | self.sign_ext.val();
        }
        self.room.d.next = self.v_wide.val() - self.lo_v.val();
        self.bound.d.next = bit_cast::<16, 18>(self.lo_v.val());
        if self.potentiate.val() {
            self.room.d.next = self.hi_v.val() - self.v_wide.val();
            self.bound.d.next = bit_cast::<16, 18>(self.hi_v.val());
        }

        // Stage 2: V ± magnitude, or the bound where the magnitude is beyond
        // the room (room - magnitude < 0: both within 18 signed bits).
        self.sum.next =
            self.w_wide.q.val() + self.magnitude.q.val() + bit_cast::<18, 1>(self.subtracting.q.val().into());
        self.beyond.next = self.room.q.val() - self.magnitude_plain.q.val();
        self.clamped.next = bit_cast::<16, 18>(self.sum.val());
        if self.beyond.val().get_bit(17) {
            self.clamped.next = self.bound.q.val();
        }
        self.w_next.next = self.clamped.val();
        // Less 128 is the top bit flipped.
        self.fraction_q.d.next = bit_cast::<8, 16>(self.clamped.val()) ^ bit_cast::<8, 18>(self.half.val());
        self.fraction_next.next = self.fraction_q.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use spikefab_sim::fixed::TRACE_MAX;
    use spikefab_sim::learning::{join_weight, StdpParams};
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

    /// `V = W + 128` of a fine weight.
    fn offset(w: i16) -> u16 {
        (w as i32 + 128) as u16
    }

    /// One update on the block, as `V` in and out; the model's `W` after.
    #[allow(clippy::too_many_arguments)]
    fn update(
        uut: &mut WeightUpdate,
        rule: &StdpParams,
        w: i16,
        x: u16,
        gain: u8,
        noise: u16,
        potentiate: bool,
    ) -> (u16, i16) {
        let mut lfsr = Lfsr16::new(noise).unwrap().previous();
        let want = if potentiate {
            rule.potentiate(w, x, &mut lfsr)
        } else {
            rule.depress(w, x, &mut lfsr)
        };
        uut.w.next = offset(w).to_bits();
        uut.x.next = x.to_bits();
        uut.gain.next = gain.to_bits();
        uut.lr_shift.next = rule.lr_shift.to_bits();
        uut.noise.next = noise.to_bits();
        uut.w_min.next = (rule.w_min as u8).to_bits();
        uut.w_max.next = (rule.w_max as u8).to_bits();
        uut.potentiate.next = potentiate;
        // lr_shift is a control register: stable a clock ahead.
        assert!(clock(uut));
        assert!(clock(uut));
        (uut.w_next.val().to_u16(), want)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 5000, ..ProptestConfig::default() })]
        /// Against `StdpParams::{potentiate, depress}` on fine weights in
        /// the bounds (a plastic synapse's are), every shift, gain and trace.
        #[test]
        fn matches_the_model(
            fine in i16::MIN..=(127 << 8),
            x in prop_oneof![Just(0u16), Just(TRACE_MAX), 0..=TRACE_MAX], gain in any::<u8>(), lr_shift in 0u8..=15,
            a in any::<i8>(), b in any::<i8>(), noise in 1u16..=u16::MAX, potentiate in any::<bool>(),
        ) {
            let rule = StdpParams {
                a_plus: gain,
                a_minus: gain,
                lr_shift,
                w_min: a.min(b),
                w_max: a.max(b),
                ..StdpParams::default()
            };
            let lo = join_weight(rule.w_min, 0);
            let hi = join_weight(rule.w_max, 0);
            let w = fine.clamp(lo, hi);
            let mut uut = WeightUpdate::default();
            uut.connect_all();
            let (got, want) = update(&mut uut, &rule, w, x, gain, noise, potentiate);
            prop_assert_eq!(got, offset(want));
        }
    }

    #[test]
    fn extremes() {
        let mut uut = WeightUpdate::default();
        uut.connect_all();
        let w = |weight: i8, fraction: i8| join_weight(weight, fraction);
        for (fine, x, gain, shift, noise, lo, hi, pot) in [
            (w(127, 0), 4095u16, 255u8, 0u8, 1u16, -128i8, 127i8, true),
            (w(-128, 0), 4095, 255, 0, 1, -128, 127, false),
            (w(0, 0), 4095, 255, 15, 0xFFFF, -128, 127, true),
            (w(0, 0), 4095, 255, 12, 0xFFFF, -128, 127, false),
            (w(126, 127), 1, 1, 15, 0xFFFF, -128, 127, true),
            (w(-128, 0), 1, 1, 15, 0xFFFF, -128, 127, false),
            (w(5, -3), 1, 1, 0, 0x8000, 5, 5, false),
            (w(-3, 100), 0, 0, 15, 0x7FFF, -10, -1, true),
            (w(-100, -128), 200, 200, 8, 0x00FF, -120, 120, false),
            (w(40, 0), 4095, 255, 8, 0x1234, 0, 100, true),
        ] {
            let rule = StdpParams {
                a_plus: gain,
                a_minus: gain,
                lr_shift: shift,
                w_min: lo,
                w_max: hi,
                ..StdpParams::default()
            };
            let (got, want) = update(&mut uut, &rule, fine, x, gain, noise, pot);
            assert_eq!(got, offset(want), "W {fine} x {x} gain {gain} shift {shift}");
        }
    }

    #[test]
    fn synthesizes() {
        let mut uut = WeightUpdate::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_weight_update", &generate_verilog(&uut)).unwrap();
    }
}
