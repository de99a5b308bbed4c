//! `Decay`: the multiplicative decay of `docs/spec.md` §3.1 with rounding
//! offset `r`, `sign(x) × ((|x| × (4096 - d) + r) >> 12)`, mirroring
//! [`spikefab_sim::fixed::decay`], plus a term `add` that the caller sums with
//! it (`decay(x, d, r) + add`, exact in 17 bits), registered: `y` is the
//! result for the inputs of the clock before.
//!
//! One signed 16×16 multiply-add into a register, all of it in one SB_MAC16
//! on the UP5K (yosys packs the product, the sum after it and the register
//! of the sum, the DSP's output register): the signed product `P = x × keep`
//! (`keep = 4096 - d`, 13 bits, as a non-negative signed operand), plus
//! `add << 12` and a 12-bit `a`, shifted right by 12 (floor). For `x ≥ 0`,
//! `a = r`; for `x < 0`, `-((-P + r) >> 12)` is `(P + 4095 - r) >> 12`
//! rounded down, so `a = !r` (12 bits: `4095 - r`). `add << 12 | a` is a
//! concatenation: no adder in logic. With `r = 0` it rounds toward zero.
//!
//! A part whose multipliers are logic (the HX8K: no DSP) is synthesized with
//! [`LOGIC_MULTIPLIERS`] defined (`Device::logic_multipliers`), and the same
//! sum is formed as `x × 4096 + (add << 12 | a) - x × d`: the subtraction
//! `4096 - d` in front of the multiplier was the start of the HX8K's longest
//! path (the factor's block RAM, the subtraction, the multiplier: 45.75 to
//! 50.83 MHz at a 48 MHz target across placer seeds and netlists); with the
//! product joining the sum's adders instead, 51.37 to 52.49 MHz on seeds 1..5
//! (`docs/boards.md`). yosys 0.23 packs only the first form into an SB_MAC16,
//! so the UP5K keeps it. Both forms are checked against the model
//! (`hdl/tests/verilog_rungs.rs`).
//!
//! The Verilog is written here, not generated: the register has no initial
//! value (rust-hdl gives each `DFF` one, and yosys packs no register with an
//! initial value into an SB_MAC16; as a logic register the sum took a logic
//! cell per bit). Its first word is undefined until the first clock; every
//! user reads it only behind a valid bit. The operands are signed only
//! around the multiplier (`$signed`); the rest of the design keeps unsigned
//! `Bits` with explicit two's complement, because yosys 0.23 reads
//! rust-hdl's signed constants as unsigned.

use rust_hdl::prelude::*;
use spikefab_chip::device::LOGIC_MULTIPLIERS;
use spikefab_sim::fixed::{DECAY_BITS, DECAY_ONE};

// The Verilog below is written for 12 fraction bits (`a`'s width, the sum's
// bits 28..12).
const _: () = assert!(DECAY_BITS == 12);

/// Registered multiply-add: `y = decay(x, d, r) + add` of the inputs at the
/// last clock edge.
#[derive(LogicBlock, Default)]
pub struct Decay {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The value to decay (two's complement).
    pub x: Signal<In, Bits<16>>,
    /// Decay factor `d`, 0..=4096 (4096 clears).
    pub d: Signal<In, Bits<16>>,
    /// Rounding offset, 0..4096 (spec §3.1: the dither `a`).
    pub r: Signal<In, Bits<12>>,
    /// The term summed after the decay (two's complement).
    pub add: Signal<In, Bits<16>>,
    /// `decay(x, d, r) + add` of the last edge's inputs, 17-bit two's
    /// complement.
    pub y: Signal<Out, Bits<17>>,
}

/// `decay(x, d, r) + add` as the hardware forms it: bits 28..12 of the
/// 32-bit sum `x × keep + (add << 12 | a)`.
fn multiply_add(x: u16, d: u16, r: u16, add: u16) -> u64 {
    let one = DECAY_ONE as i64;
    let keep = (one - d as i64) & 0x1FFF;
    let x = x as i16 as i64;
    let r = r as i64 & (one - 1);
    let a = if x < 0 { (one - 1) ^ r } else { r };
    let sum = x * keep + (((add as i16 as i64) << DECAY_BITS) | a);
    ((sum >> DECAY_BITS) as u64) & 0x1_FFFF
}

impl Logic for Decay {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let y = multiply_add(
                self.x.val().to_u16(),
                self.d.val().to_u16(),
                self.r.val().to_u16(),
                self.add.val().to_u16(),
            );
            self.y.next = y.to_bits();
        }
    }

    fn connect(&mut self) {
        self.y.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "\
wire signed [15:0] x_signed = x;
wire [11:0] a = x[15] ? ~r : r;
wire [31:0] term = {{{{4{{add[15]}}}}, add, a}};
// No initial value: yosys packs this register into the SB_MAC16.
reg [31:0] sum;
`ifdef {logic}
// x × keep as x × 4096 - x × d: no subtraction in front of a multiplier
// built of logic.
wire signed [15:0] d_signed = {{3'b0, d[12:0]}};
wire signed [31:0] product = x_signed * d_signed;
wire [31:0] whole = {{{{4{{x[15]}}}}, x, 12'b0}};
always @(posedge clock) sum <= whole + term - $unsigned(product);
`else
wire [12:0] keep = 13'h{one:x} - d[12:0];
wire signed [15:0] keep_signed = {{3'b0, keep}};
wire signed [31:0] product = x_signed * keep_signed;
always @(posedge clock) sum <= $unsigned(product) + term;
`endif
always @(*) y = sum[28:12];
",
            one = DECAY_ONE,
            logic = LOGIC_MULTIPLIERS
        ))
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
        uut.clock.next = true.into();
        assert!(simulate(uut, 50), "did not settle");
        uut.clock.next = false.into();
        assert!(simulate(uut, 50), "did not settle");
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
