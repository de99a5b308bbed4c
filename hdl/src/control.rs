//! `ControlRegisters`: the control space (`docs/spec.md` §8.2, space 0):
//! learning on or off and the STDP rule's parameters (its post delay too), written by the host,
//! and the host's READ of every register including the LFSR and the
//! read-only tick and busy-cycle counters (which the core keeps), and the
//! real-time pacing's period and counters (the `Pacer` keeps those). The twin
//! in `spikefab-sim` is [`spikefab_sim::learning::StdpParams`] with the
//! network's `learning` flag; the register numbers are
//! `spikefab_proto::message::ctrl`'s (checked at compile time against the
//! literal numbers below: the writes' arms, kept literal so the choice is
//! one parallel case, and the reads' terms).
//! (A port may not be called `cell`: a Verilog-2001 keyword that Verilator
//! refuses.)
//!
//! A register takes the low bits of the word written (a trace decay 13, a gain 8,
//! a bound 8 as two's complement, learning and rounding bit 0, the period 24
//! over two words); a write to `LFSR` asks the core's LFSR to load the word
//! (`lfsr_load`), one to `DITHER` asks the dither block (`crate::dither`) to
//! load its state (`dither_load`), a write to the period clears the pacer
//! (`period_written`).

use rust_hdl::prelude::*;
use spikefab_proto::message::ctrl;

// The literal register numbers of `update` are the protocol's.
const _: () = assert!(
    ctrl::LEARN == 0
        && ctrl::PRE_DECAY == 1
        && ctrl::POST_DECAY == 2
        && ctrl::PRE_BUMP == 3
        && ctrl::POST_BUMP == 4
        && ctrl::A_PLUS == 5
        && ctrl::A_MINUS == 6
        && ctrl::LR_SHIFT == 7
        && ctrl::W_MIN == 8
        && ctrl::W_MAX == 9
        && ctrl::LFSR == 10
        && ctrl::TICK == 11
        && ctrl::CYCLES == 13
        && ctrl::PERIOD == 17
        && ctrl::LATE == 19
        && ctrl::OVERRUNS == 20
        && ctrl::ROUNDING == 21
        && ctrl::DITHER == 22
        && ctrl::POST_DELAY == 23
        && ctrl::COUNT == 24
);

/// The control registers.
#[derive(LogicBlock, Default)]
pub struct ControlRegisters {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The host writes `data` into register `write_address`.
    pub write: Signal<In, Bit>,
    /// The register written (its number's low [`ctrl::ADDRESS_BITS`]: the
    /// memory map refuses a range past the last register).
    pub write_address: Signal<In, Bits<{ ctrl::ADDRESS_BITS }>>,
    /// The word written.
    pub data: Signal<In, Bits<16>>,
    /// The register a READ returns (its word is `read_word` in this clock;
    /// the low bits of its number, as `write_address`).
    pub read_address: Signal<In, Bits<{ ctrl::ADDRESS_BITS }>>,
    /// The LFSR's state, for READ.
    pub lfsr_state: Signal<In, Bits<16>>,
    /// The tick counter, for READ.
    pub tick: Signal<In, Bits<32>>,
    /// The busy-cycle counter, for READ.
    pub cycles: Signal<In, Bits<64>>,
    /// The pacer's count of late STEPs, for READ.
    pub late: Signal<In, Bits<16>>,
    /// The pacer's count of overruns, for READ.
    pub overruns: Signal<In, Bits<16>>,
    /// The dither state, for READ.
    pub dither_state: Signal<In, Bits<16>>,
    /// The word of `read_address` (0 past the last register).
    pub read_word: Signal<Out, Bits<16>>,
    /// A write to `LFSR` this clock: the LFSR loads `data`.
    pub lfsr_load: Signal<Out, Bit>,
    /// A write to `DITHER` this clock: the dither state loads `data`.
    pub dither_load: Signal<Out, Bit>,
    /// The decays are dithered (`ROUNDING` bit 0).
    pub dither_on: Signal<Out, Bit>,
    /// A write to the period this clock: the pacer starts over.
    pub period_written: Signal<Out, Bit>,
    /// The tick period in core clocks (0: lockstep).
    pub period: Signal<Out, Bits<24>>,
    /// Learning on.
    pub learn: Signal<Out, Bit>,
    /// Pre-trace decay, in 1/4096.
    pub pre_decay: Signal<Out, Bits<13>>,
    /// Post-trace decay, in 1/4096.
    pub post_decay: Signal<Out, Bits<13>>,
    /// Pre-trace bump.
    pub pre_bump: Signal<Out, Bits<8>>,
    /// Post-trace bump.
    pub post_bump: Signal<Out, Bits<8>>,
    /// Potentiation gain.
    pub a_plus: Signal<Out, Bits<8>>,
    /// Depression gain.
    pub a_minus: Signal<Out, Bits<8>>,
    /// Learning-rate shift.
    pub lr_shift: Signal<Out, Bits<4>>,
    /// Lower weight bound.
    pub w_min: Signal<Out, Bits<8>>,
    /// Upper weight bound.
    pub w_max: Signal<Out, Bits<8>>,
    /// Ticks after a spike that it meets its plastic synapses.
    pub post_delay: Signal<Out, Bits<4>>,
    r_learn: DFF<Bit>,
    r_rounding: DFF<Bit>,
    r_pre_decay: DFF<Bits<13>>,
    r_post_decay: DFF<Bits<13>>,
    r_pre_bump: DFF<Bits<8>>,
    r_post_bump: DFF<Bits<8>>,
    r_a_plus: DFF<Bits<8>>,
    r_a_minus: DFF<Bits<8>>,
    r_lr_shift: DFF<Bits<4>>,
    r_w_min: DFF<Bits<8>>,
    r_w_max: DFF<Bits<8>>,
    r_period: DFF<Bits<24>>,
    r_post_delay: DFF<Bits<4>>,
}

impl Logic for ControlRegisters {
    // hdl_gen takes no match guards: a condition inside an arm stays there.
    #[allow(clippy::collapsible_match)]
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            r_learn,
            r_rounding,
            r_pre_decay,
            r_post_decay,
            r_pre_bump,
            r_post_bump,
            r_a_plus,
            r_a_minus,
            r_lr_shift,
            r_w_min,
            r_w_max,
            r_period,
            r_post_delay
        );
        // Host writes.
        self.lfsr_load.next = false;
        self.dither_load.next = false;
        self.period_written.next = false;
        if self.write.val() {
            match self.write_address.val().index() {
                0 => {
                    self.r_learn.d.next = self.data.val().get_bit(0);
                }
                1 => {
                    self.r_pre_decay.d.next = bit_cast::<13, 16>(self.data.val());
                }
                2 => {
                    self.r_post_decay.d.next = bit_cast::<13, 16>(self.data.val());
                }
                3 => {
                    self.r_pre_bump.d.next = bit_cast::<8, 16>(self.data.val());
                }
                4 => {
                    self.r_post_bump.d.next = bit_cast::<8, 16>(self.data.val());
                }
                5 => {
                    self.r_a_plus.d.next = bit_cast::<8, 16>(self.data.val());
                }
                6 => {
                    self.r_a_minus.d.next = bit_cast::<8, 16>(self.data.val());
                }
                7 => {
                    self.r_lr_shift.d.next = bit_cast::<4, 16>(self.data.val());
                }
                8 => {
                    self.r_w_min.d.next = bit_cast::<8, 16>(self.data.val());
                }
                9 => {
                    self.r_w_max.d.next = bit_cast::<8, 16>(self.data.val());
                }
                10 => {
                    self.lfsr_load.next = true;
                }
                17 => {
                    self.r_period.d.next = bit_cast::<24, 8>(self.r_period.q.val().get_bits::<8>(16)) << 16
                        | bit_cast::<24, 16>(self.data.val());
                    self.period_written.next = true;
                }
                18 => {
                    self.r_period.d.next = bit_cast::<24, 8>(bit_cast::<8, 16>(self.data.val())) << 16
                        | bit_cast::<24, 16>(bit_cast::<16, 24>(self.r_period.q.val()));
                    self.period_written.next = true;
                }
                21 => {
                    self.r_rounding.d.next = self.data.val().get_bit(0);
                }
                22 => {
                    self.dither_load.next = true;
                }
                23 => {
                    self.r_post_delay.d.next = bit_cast::<4, 16>(self.data.val());
                }
                _ => {}
            }
        }
        self.learn.next = self.r_learn.q.val();
        self.dither_on.next = self.r_rounding.q.val();
        self.pre_decay.next = self.r_pre_decay.q.val();
        self.post_decay.next = self.r_post_decay.q.val();
        self.pre_bump.next = self.r_pre_bump.q.val();
        self.post_bump.next = self.r_post_bump.q.val();
        self.a_plus.next = self.r_a_plus.q.val();
        self.a_minus.next = self.r_a_minus.q.val();
        self.lr_shift.next = self.r_lr_shift.q.val();
        self.w_min.next = self.r_w_min.q.val();
        self.w_max.next = self.r_w_max.q.val();
        self.period.next = self.r_period.q.val();
        self.post_delay.next = self.r_post_delay.q.val();

        // Host reads: each register's word ORed in where its number is
        // read (0 past the last register). A sum of products, not a chain
        // of choices: about 60 logic cells fewer on the UP5K than a match.
        self.read_word.next = 0.into();
        if (self.read_address.val() == 0) & self.r_learn.q.val() {
            self.read_word.next = self.read_word.val() | 1;
        }
        if self.read_address.val() == 1 {
            self.read_word.next = self.read_word.val() | bit_cast::<16, 13>(self.r_pre_decay.q.val());
        }
        if self.read_address.val() == 2 {
            self.read_word.next = self.read_word.val() | bit_cast::<16, 13>(self.r_post_decay.q.val());
        }
        if self.read_address.val() == 3 {
            self.read_word.next = self.read_word.val() | bit_cast::<16, 8>(self.r_pre_bump.q.val());
        }
        if self.read_address.val() == 4 {
            self.read_word.next = self.read_word.val() | bit_cast::<16, 8>(self.r_post_bump.q.val());
        }
        if self.read_address.val() == 5 {
            self.read_word.next = self.read_word.val() | bit_cast::<16, 8>(self.r_a_plus.q.val());
        }
        if self.read_address.val() == 6 {
            self.read_word.next = self.read_word.val() | bit_cast::<16, 8>(self.r_a_minus.q.val());
        }
        if self.read_address.val() == 7 {
            self.read_word.next = self.read_word.val() | bit_cast::<16, 4>(self.r_lr_shift.q.val());
        }
        if self.read_address.val() == 8 {
            self.read_word.next = self.read_word.val() | bit_cast::<16, 8>(self.r_w_min.q.val());
        }
        if self.read_address.val() == 9 {
            self.read_word.next = self.read_word.val() | bit_cast::<16, 8>(self.r_w_max.q.val());
        }
        if self.read_address.val() == 10 {
            self.read_word.next = self.read_word.val() | self.lfsr_state.val();
        }
        if self.read_address.val() == 11 {
            self.read_word.next = self.read_word.val() | bit_cast::<16, 32>(self.tick.val());
        }
        if self.read_address.val() == 12 {
            self.read_word.next = self.read_word.val() | self.tick.val().get_bits::<16>(16);
        }
        if self.read_address.val() == 13 {
            self.read_word.next = self.read_word.val() | bit_cast::<16, 64>(self.cycles.val());
        }
        if self.read_address.val() == 14 {
            self.read_word.next = self.read_word.val() | self.cycles.val().get_bits::<16>(16);
        }
        if self.read_address.val() == 15 {
            self.read_word.next = self.read_word.val() | self.cycles.val().get_bits::<16>(32);
        }
        if self.read_address.val() == 16 {
            self.read_word.next = self.read_word.val() | self.cycles.val().get_bits::<16>(48);
        }
        if self.read_address.val() == 17 {
            self.read_word.next = self.read_word.val() | bit_cast::<16, 24>(self.r_period.q.val());
        }
        if self.read_address.val() == 18 {
            self.read_word.next = self.read_word.val() | bit_cast::<16, 8>(self.r_period.q.val().get_bits::<8>(16));
        }
        if self.read_address.val() == 19 {
            self.read_word.next = self.read_word.val() | self.late.val();
        }
        if self.read_address.val() == 20 {
            self.read_word.next = self.read_word.val() | self.overruns.val();
        }
        if (self.read_address.val() == 21) & self.r_rounding.q.val() {
            self.read_word.next = self.read_word.val() | 1;
        }
        if self.read_address.val() == 22 {
            self.read_word.next = self.read_word.val() | self.dither_state.val();
        }
        if self.read_address.val() == 23 {
            self.read_word.next = self.read_word.val() | bit_cast::<16, 4>(self.r_post_delay.q.val());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use spikefab_sim::learning::StdpParams;

    fn clock(uut: &mut ControlRegisters) {
        uut.clock.next = true.into();
        assert!(simulate(uut, 100));
        uut.clock.next = false.into();
        assert!(simulate(uut, 100));
    }

    fn write(uut: &mut ControlRegisters, write_address: u16, data: u16) {
        uut.write.next = true;
        uut.write_address.next = write_address.to_bits();
        uut.data.next = data.to_bits();
        assert!(simulate(uut, 100));
        clock(uut);
        uut.write.next = false;
    }

    fn read(uut: &mut ControlRegisters, write_address: u16) -> u16 {
        uut.read_address.next = write_address.to_bits();
        assert!(simulate(uut, 100));
        uut.read_word.val().to_u16()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]
        /// A rule written as the host's image writes it (`spikefab_chip::image`)
        /// comes out as the rule, and reads back; the counters and the LFSR
        /// read back by word; a write to the LFSR asks for a load and changes
        /// no register.
        #[test]
        fn a_written_rule_is_the_rule(
            learn: bool, pre in 0u16..=4096, post in 0u16..=4096, bump_pre: u8, bump_post: u8,
            a_plus: u8, a_minus: u8, lr in 0u8..16, w_a: i8, w_b: i8, lfsr: u16, tick: u32, cycles: u64,
            junk: u16, period in 0u32..1 << 24, period_junk: u8, late: u16, overruns: u16,
            dither: bool, phase: u16, post_delay in 0u8..=spikefab_sim::learning::POST_DELAY_MAX,
        ) {
            let rule = StdpParams {
                pre_decay: pre,
                post_decay: post,
                pre_bump: bump_pre,
                post_bump: bump_post,
                a_plus,
                a_minus,
                lr_shift: lr,
                w_min: w_a.min(w_b),
                w_max: w_a.max(w_b),
                post_delay,
                ..StdpParams::default()
            };
            let mut uut = ControlRegisters::default();
            uut.connect_all();
            let words = [
                (ctrl::LEARN, learn as u16),
                (ctrl::PRE_DECAY, rule.pre_decay),
                (ctrl::POST_DECAY, rule.post_decay),
                (ctrl::PRE_BUMP, rule.pre_bump as u16),
                (ctrl::POST_BUMP, rule.post_bump as u16),
                (ctrl::A_PLUS, rule.a_plus as u16),
                (ctrl::A_MINUS, rule.a_minus as u16),
                (ctrl::LR_SHIFT, rule.lr_shift as u16),
                (ctrl::W_MIN, rule.w_min as u8 as u16),
                (ctrl::W_MAX, rule.w_max as u8 as u16),
                (ctrl::ROUNDING, dither as u16),
                (ctrl::POST_DELAY, rule.post_delay as u16),
            ];
            for (write_address, word) in words {
                write(&mut uut, write_address, word);
            }
            // The period's words; the high one keeps its low byte.
            for (k, word) in [(0, period as u16), (1, (period >> 16) as u16 | (period_junk as u16) << 8)] {
                uut.write.next = true;
                uut.write_address.next = (ctrl::PERIOD + k).to_bits();
                uut.data.next = word.to_bits();
                assert!(simulate(&mut uut, 100));
                prop_assert!(uut.period_written.val() && !uut.lfsr_load.val());
                clock(&mut uut);
            }
            uut.write.next = false;
            prop_assert_eq!(uut.period.val().to_u32(), period);
            uut.write.next = true;
            uut.write_address.next = ctrl::LFSR.to_bits();
            uut.data.next = junk.to_bits();
            assert!(simulate(&mut uut, 100));
            prop_assert!(uut.lfsr_load.val() && !uut.period_written.val());
            clock(&mut uut);
            uut.write.next = false;
            assert!(simulate(&mut uut, 100));
            prop_assert!(!uut.lfsr_load.val());
            uut.write.next = true;
            uut.write_address.next = ctrl::DITHER.to_bits();
            assert!(simulate(&mut uut, 100));
            prop_assert!(uut.dither_load.val() && !uut.lfsr_load.val() && !uut.period_written.val());
            clock(&mut uut);
            uut.write.next = false;
            assert!(simulate(&mut uut, 100));
            prop_assert!(!uut.dither_load.val());

            prop_assert_eq!(uut.learn.val(), learn);
            prop_assert_eq!(uut.dither_on.val(), dither);
            prop_assert_eq!(uut.pre_decay.val().to_u16(), rule.pre_decay);
            prop_assert_eq!(uut.post_decay.val().to_u16(), rule.post_decay);
            prop_assert_eq!(uut.pre_bump.val().to_u8(), rule.pre_bump);
            prop_assert_eq!(uut.post_bump.val().to_u8(), rule.post_bump);
            prop_assert_eq!(uut.a_plus.val().to_u8(), rule.a_plus);
            prop_assert_eq!(uut.a_minus.val().to_u8(), rule.a_minus);
            prop_assert_eq!(uut.lr_shift.val().to_u8(), rule.lr_shift);
            prop_assert_eq!(uut.w_min.val().to_u8() as i8, rule.w_min);
            prop_assert_eq!(uut.w_max.val().to_u8() as i8, rule.w_max);
            prop_assert_eq!(uut.post_delay.val().to_u8(), rule.post_delay);

            uut.lfsr_state.next = lfsr.to_bits();
            uut.tick.next = tick.to_bits();
            uut.cycles.next = cycles.to_bits();
            for (write_address, word) in words {
                prop_assert_eq!(read(&mut uut, write_address), word, "register {}", write_address);
            }
            prop_assert_eq!(read(&mut uut, ctrl::LFSR), lfsr);
            prop_assert_eq!(read(&mut uut, ctrl::TICK) as u32 | (read(&mut uut, ctrl::TICK + 1) as u32) << 16, tick);
            let c = (0..4).map(|i| (read(&mut uut, ctrl::CYCLES + i) as u64) << (16 * i)).sum::<u64>();
            prop_assert_eq!(c, cycles);
            prop_assert_eq!(read(&mut uut, ctrl::PERIOD) as u32 | (read(&mut uut, ctrl::PERIOD + 1) as u32) << 16, period);
            uut.late.next = late.to_bits();
            uut.overruns.next = overruns.to_bits();
            prop_assert_eq!((read(&mut uut, ctrl::LATE), read(&mut uut, ctrl::OVERRUNS)), (late, overruns));
            uut.dither_state.next = phase.to_bits();
            prop_assert_eq!(read(&mut uut, ctrl::DITHER), phase);
            prop_assert_eq!(read(&mut uut, ctrl::COUNT as u16), 0);
        }
    }

    #[test]
    fn synthesizes() {
        let mut uut = ControlRegisters::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_control", &generate_verilog(&uut)).unwrap();
    }
}
