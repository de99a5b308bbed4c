//! `DelayRing`: the delay-ring accumulators (`docs/spec.md` §4.3) in one block
//! RAM, taking one operation per clock: *accumulate* a contribution into a
//! cell with 16-bit saturation (routing), *read and clear* a cell (the
//! neuron phase), or *set* a cell (the host's WRITE; its READ accumulates 0).
//! Every operation reports the cell's old value one clock later. Mirrors the ring of [`spikefab_sim::engine`] with
//! [`spikefab_sim::fixed::add_sat16`].
//!
//! The address is the caller's `{slot, neuron}`; with N and D powers of two
//! that is a plain concatenation.
//!
//! Pipeline: an operation presents its address to the RAM in the cycle it
//! arrives (stage 1); in the next cycle (stage 2) the old value is read, the
//! new one computed and written back. The RAM's read of operation k+1 happens
//! on the same clock edge as the write of operation k, so when both address
//! the same cell the old value is taken from operation k's result instead of
//! the RAM (forwarding; the address compare is made a clock early, when
//! operation k+1 arrives, to keep it off the saturating add's path). An
//! operation two back has been written before the read, so one forwarding
//! register suffices, whatever the RAM's collision behaviour.

use rust_hdl::prelude::*;

/// Delay-ring accumulators: `2^A` cells of 16 bits.
#[derive(LogicBlock)]
pub struct DelayRing<const A: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// An operation arrives this cycle.
    pub op_valid: Signal<In, Bit>,
    /// The operation reads and clears the cell (else it accumulates).
    pub op_clear: Signal<In, Bit>,
    /// The operation sets the cell to `op_value` (wins over `op_clear`).
    pub op_set: Signal<In, Bit>,
    /// The cell.
    pub op_address: Signal<In, Bits<A>>,
    /// The contribution to add (two's complement), for an accumulate.
    pub op_value: Signal<In, Bits<16>>,
    /// A clear issued in the previous cycle completes in this one.
    pub cleared_valid: Signal<Out, Bit>,
    /// The cell's value before the operation of the previous cycle, whatever
    /// its kind.
    pub old_value: Signal<Out, Bits<16>>,
    ram: RAM<Bits<16>, A>,
    stage_valid: DFF<Bit>,
    stage_clear: DFF<Bit>,
    stage_set: DFF<Bit>,
    stage_address: DFF<Bits<A>>,
    stage_value: DFF<Bits<16>>,
    stage_zero: DFF<Bit>,
    stage_add: DFF<Bits<17>>,
    last_result: DFF<Bits<16>>,
    forward: DFF<Bit>,
    old: Signal<Local, Bits<16>>,
    term: Signal<Local, Bits<17>>,
    sum: Signal<Local, Bits<17>>,
    over: Signal<Local, Bit>,
    under: Signal<Local, Bit>,
    result: Signal<Local, Bits<16>>,
    sign17: Constant<Bits<17>>,
    max16: Constant<Bits<16>>,
    min16: Constant<Bits<16>>,
}

impl<const A: usize> Default for DelayRing<A> {
    fn default() -> Self {
        DelayRing {
            clock: Default::default(),
            op_valid: Default::default(),
            op_clear: Default::default(),
            op_set: Default::default(),
            op_address: Default::default(),
            op_value: Default::default(),
            cleared_valid: Default::default(),
            old_value: Default::default(),
            // Every accumulator starts at 0 (spec §3.2); explicit, so that the
            // emitted Verilog and the block RAM's INIT say so too.
            ram: RAM::new((0..1u64 << A).map(|a| (a.to_bits(), 0u16.to_bits())).collect()),
            stage_valid: Default::default(),
            stage_clear: Default::default(),
            stage_set: Default::default(),
            stage_address: Default::default(),
            stage_value: Default::default(),
            stage_zero: Default::default(),
            stage_add: Default::default(),
            last_result: Default::default(),
            forward: Default::default(),
            old: Default::default(),
            term: Default::default(),
            sum: Default::default(),
            over: Default::default(),
            under: Default::default(),
            result: Default::default(),
            // Bit 16: sign extension of a 16-bit term to 17 bits.
            sign17: Constant::new(0x10000u32.to_bits()),
            max16: Constant::new((spikefab_sim::fixed::STATE_MAX as u16).to_bits()),
            min16: Constant::new((spikefab_sim::fixed::STATE_MIN as u16).to_bits()),
        }
    }
}

impl<const A: usize> Logic for DelayRing<A> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            stage_valid,
            stage_clear,
            stage_set,
            stage_address,
            stage_value,
            stage_zero,
            stage_add,
            last_result,
            forward
        );
        self.ram.read_clock.next = self.clock.val();
        self.ram.write_clock.next = self.clock.val();

        // Stage 1: present the read, register the operation.
        self.ram.read_address.next = self.op_address.val();
        self.stage_valid.d.next = self.op_valid.val();
        self.stage_clear.d.next = self.op_clear.val();
        self.stage_set.d.next = self.op_set.val();
        self.stage_address.d.next = self.op_address.val();
        self.stage_value.d.next = self.op_value.val();
        // The adder's operands, decided here so that stage 2 has one adder and
        // one choice after it: a clear adds 0 to 0, a set adds its value to 0.
        self.stage_zero.d.next = self.op_clear.val() | self.op_set.val();
        self.stage_add.d.next = bit_cast::<17, 16>(self.op_value.val());
        if self.op_value.val().get_bit(15) {
            self.stage_add.d.next = bit_cast::<17, 16>(self.op_value.val()) | self.sign17.val();
        }
        if self.op_clear.val() & !self.op_set.val() {
            self.stage_add.d.next = 0.into();
        }
        // Whether the arriving operation will need the result of the one in
        // stage 2 now (compared a clock early, off the saturating path).
        self.forward.d.next = self.stage_valid.q.val() & (self.stage_address.q.val() == self.op_address.val());

        // Stage 2: the old value, forwarded from the operation written on the
        // edge of this read when it addressed the same cell.
        self.old.next = self.ram.read_data.val();
        if self.forward.q.val() {
            self.old.next = self.last_result.q.val();
        }
        // The saturating add (spec §1: sat16 clamps to ±32767) in 17 bits:
        // above 32767 when bit 16 is clear and bit 15 set; below -32767 when
        // bit 16 is set and bit 15 clear, or the sum is -32768. A set's value
        // is stored as it is, whatever it is.
        self.term.next = bit_cast::<17, 16>(self.old.val());
        if self.old.val().get_bit(15) {
            self.term.next = bit_cast::<17, 16>(self.old.val()) | self.sign17.val();
        }
        if self.stage_zero.q.val() {
            self.term.next = 0.into();
        }
        self.sum.next = self.term.val() + self.stage_add.q.val();
        self.over.next = !self.sum.val().get_bit(16) & self.sum.val().get_bit(15) & !self.stage_set.q.val();
        self.under.next = self.sum.val().get_bit(16)
            & (!self.sum.val().get_bit(15) | !self.sum.val().get_bits::<15>(0).any())
            & !self.stage_set.q.val();
        self.result.next = bit_cast::<16, 17>(self.sum.val());
        if self.over.val() {
            self.result.next = self.max16.val();
        }
        if self.under.val() {
            self.result.next = self.min16.val();
        }
        self.ram.write_address.next = self.stage_address.q.val();
        self.ram.write_data.next = self.result.val();
        self.ram.write_enable.next = self.stage_valid.q.val();
        self.last_result.d.next = self.result.val();

        self.cleared_valid.next = self.stage_valid.q.val() & self.stage_clear.q.val();
        self.old_value.next = self.old.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use spikefab_sim::fixed::{add_sat16, contribution};

    const A: usize = 5;

    /// One operation: None is an idle cycle; Some((kind, cell, value)) with
    /// kind 0 accumulate, 1 clear, 2 set.
    type Op = Option<(u8, u32, i16)>;

    fn ops() -> impl Strategy<Value = Vec<Op>> {
        let op = prop_oneof![
            1 => Just(None),
            6 => (0u8..3, 0u32..4, any::<i8>(), 0u8..=7)
                .prop_map(|(k, a, w, e)| Some((k, a, contribution(w, e) as i16))),
            3 => (0u8..3, 0u32..(1 << A), any::<i8>(), 0u8..=7)
                .prop_map(|(k, a, w, e)| Some((k, a, contribution(w, e) as i16))),
            1 => (0u32..4, any::<i16>()).prop_map(|(a, v)| Some((2, a, v))),
        ];
        prop::collection::vec(op, 1..200)
    }

    fn clock(uut: &mut DelayRing<A>) {
        uut.clock.next = true.into();
        assert!(simulate(uut, 200));
        uut.clock.next = false.into();
        assert!(simulate(uut, 200));
    }

    /// Run the operations back to back, then clear every cell; return every
    /// old value in order (each operation reports one).
    fn run(ops: &[Op]) -> Vec<i16> {
        let mut uut = DelayRing::<A>::default();
        uut.connect_all();
        let all_clears = (0..1u32 << A).map(|a| Some((1u8, a, 0i16)));
        let mut out = Vec::new();
        let mut previous_valid = false;
        for op in ops.iter().copied().chain(all_clears).chain([None]) {
            match op {
                Some((kind, address, value)) => {
                    uut.op_valid.next = true;
                    uut.op_clear.next = kind == 1;
                    uut.op_set.next = kind == 2;
                    uut.op_address.next = (address as u64).to_bits();
                    uut.op_value.next = (value as u16).to_bits();
                }
                None => uut.op_valid.next = false,
            }
            assert!(simulate(&mut uut, 200));
            if previous_valid {
                out.push(uut.old_value.val().to_u16() as i16);
            }
            previous_valid = op.is_some();
            clock(&mut uut);
        }
        out
    }

    fn model(ops: &[Op]) -> Vec<i16> {
        let mut cells = [0i16; 1 << A];
        let mut out = Vec::new();
        let all_clears = (0..1u32 << A).map(|a| Some((1u8, a, 0i16)));
        for (kind, address, value) in ops.iter().copied().chain(all_clears).flatten() {
            let cell = &mut cells[address as usize];
            out.push(*cell);
            *cell = match kind {
                0 => add_sat16(*cell, value as i32),
                1 => 0,
                _ => value,
            };
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
        #[test]
        fn matches_the_model(ops in ops()) {
            prop_assert_eq!(run(&ops), model(&ops));
        }
    }

    #[test]
    fn back_to_back_hits_on_one_cell_saturate_in_order() {
        // +16256 three times then -16384, every cycle on cell 3: 16383, as in
        // the engine's saturation test; then a clear reads it.
        let mut ops: Vec<Op> = vec![Some((0, 3, 16256)); 3];
        ops.push(Some((0, 3, -16384)));
        ops.push(Some((1, 3, 0)));
        let got = run(&ops);
        assert_eq!(got[4], 16383);
        assert_eq!(got, model(&ops));
    }

    #[test]
    fn synthesizes() {
        let mut uut = DelayRing::<8>::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_delay_ring", &generate_verilog(&uut)).unwrap();
    }
}
