//! `UartTx`: the sending half of the board's UART (8N1, LSB first). It takes
//! a byte when `ready` and `start` are both high and drives the TX pin from a
//! register (no glitches on the pin); `ready` is low until the stop bit ends.

use rust_hdl::prelude::*;

/// Bits of the UARTs' bit-time counters (transmitter and receiver): up to
/// 4,095 clocks per bit, 9,600 baud at 39 MHz.
pub const COUNT_BITS: usize = 12;

/// UART transmitter; `clocks_per_bit` = clock / baud.
#[derive(LogicBlock)]
pub struct UartTx {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Byte to send.
    pub data: Signal<In, Bits<8>>,
    /// `data` holds a byte to send.
    pub start: Signal<In, Bit>,
    /// Idle: a byte presented now is taken on this edge.
    pub ready: Signal<Out, Bit>,
    /// The TX pin (idle high).
    pub tx: Signal<Out, Bit>,
    busy: DFF<Bit>,
    count: DFF<Bits<COUNT_BITS>>,
    bit: DFF<Bits<4>>,
    frame: DFF<Bits<10>>,
    line: DFF<Bit>,
    last_count: Constant<Bits<COUNT_BITS>>,
    stop_bit: Constant<Bits<10>>,
}

impl UartTx {
    /// A transmitter for `clocks_per_bit` clocks per bit.
    pub fn new(clocks_per_bit: u32) -> Self {
        assert!(
            (2..1 << COUNT_BITS).contains(&clocks_per_bit),
            "clocks per bit {clocks_per_bit}"
        );
        UartTx {
            clock: Default::default(),
            data: Default::default(),
            start: Default::default(),
            ready: Default::default(),
            tx: Default::default(),
            busy: Default::default(),
            count: Default::default(),
            bit: Default::default(),
            frame: Default::default(),
            line: DFF::default(),
            last_count: Constant::new((clocks_per_bit - 1).to_bits()),
            stop_bit: Constant::new(0x200u32.to_bits()),
        }
    }
}

impl Logic for UartTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, busy, count, bit, frame, line);
        self.ready.next = !self.busy.q.val();
        // The pin idles high; `line` holds the inverted level so that its
        // reset value (0) is the idle line.
        self.tx.next = !self.line.q.val();
        self.count.d.next = self.count.q.val() + 1;
        if !self.busy.q.val() {
            self.count.d.next = 0.into();
            self.line.d.next = false;
            if self.start.val() {
                // Stop bit (1), data LSB first, start bit (0): sent from bit 0.
                self.frame.d.next = (bit_cast::<10, 8>(self.data.val()) << 1) | self.stop_bit.val();
                self.busy.d.next = true;
                self.bit.d.next = 0.into();
                // The start bit goes out from the next clock on.
                self.line.d.next = true;
            }
        } else if self.count.q.val() == self.last_count.val() {
            self.count.d.next = 0.into();
            self.bit.d.next = self.bit.q.val() + 1;
            self.frame.d.next = self.frame.q.val() >> 1;
            self.line.d.next = !self.frame.q.val().get_bit(1);
            if self.bit.q.val() == 9 {
                self.busy.d.next = false;
                self.line.d.next = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::COUNT_BITS;
    use spikefab_chip::board::BOARDS;

    /// Every board's bit time fits the transmitter's and the receiver's
    /// counters (their constructors would refuse it).
    #[test]
    fn every_boards_bit_time_fits_the_counters() {
        for b in BOARDS {
            assert!(
                b.clocks_per_bit() < 1 << COUNT_BITS,
                "{}: {} clocks per bit",
                b.name,
                b.clocks_per_bit()
            );
        }
    }
}
