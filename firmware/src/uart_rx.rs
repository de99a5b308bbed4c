//! `UartRx`: the receiving half of the board's UART (8 data bits, no parity,
//! 1 stop bit, LSB first). The line goes through a two-flop synchronizer; a
//! falling edge starts a byte, each bit is sampled in its middle (counted from
//! the start edge in clocks), and the stop bit is checked: a byte whose stop
//! bit is low is not delivered but reported on `framing_error`, and the
//! receiver then waits for the line to go idle (high) before the next start.

use rust_hdl::prelude::*;

use crate::uart_tx::COUNT_BITS;

/// Receiver states.
#[derive(Copy, Clone, Debug, PartialEq, Eq, LogicState)]
pub enum RxState {
    /// Line idle, waiting for a start bit.
    Idle,
    /// In the start bit, waiting for its middle.
    Start,
    /// Sampling data bits.
    Data,
    /// Sampling the stop bit.
    Stop,
    /// After a framing error: waiting for the line to be high.
    WaitIdle,
}

/// UART receiver; `clocks_per_bit` = clock / baud (at least 4).
#[derive(LogicBlock)]
pub struct UartRx {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The RX pin (asynchronous).
    pub rx: Signal<In, Bit>,
    /// The last byte received.
    pub data: Signal<Out, Bits<8>>,
    /// High for one clock when `data` holds a new byte.
    pub valid: Signal<Out, Bit>,
    /// High for one clock when a byte's stop bit was low (the byte is dropped).
    pub framing_error: Signal<Out, Bit>,
    sync: BitSynchronizer,
    state: DFF<RxState>,
    count: DFF<Bits<COUNT_BITS>>,
    bit: DFF<Bits<4>>,
    shift: DFF<Bits<8>>,
    valid_q: DFF<Bit>,
    error_q: DFF<Bit>,
    last_count: Constant<Bits<COUNT_BITS>>,
    half_count: Constant<Bits<COUNT_BITS>>,
    msb: Constant<Bits<8>>,
}

impl UartRx {
    /// A receiver for `clocks_per_bit` clocks per bit.
    pub fn new(clocks_per_bit: u32) -> Self {
        assert!(
            (4..1 << COUNT_BITS).contains(&clocks_per_bit),
            "clocks per bit {clocks_per_bit}"
        );
        UartRx {
            clock: Default::default(),
            rx: Default::default(),
            data: Default::default(),
            valid: Default::default(),
            framing_error: Default::default(),
            sync: Default::default(),
            state: Default::default(),
            count: Default::default(),
            bit: Default::default(),
            shift: Default::default(),
            valid_q: Default::default(),
            error_q: Default::default(),
            last_count: Constant::new((clocks_per_bit - 1).to_bits()),
            // The synchronizer delays the line by 2 clocks: count that much
            // less to land in the middle of each bit.
            half_count: Constant::new((clocks_per_bit / 2).saturating_sub(3).to_bits()),
            msb: Constant::new(0x80u32.to_bits()),
        }
    }
}

impl Logic for UartRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state, count, bit, shift, valid_q, error_q);
        clock!(self, clock, sync);
        self.sync.sig_in.next = self.rx.val();
        self.data.next = self.shift.q.val();
        self.valid.next = self.valid_q.q.val();
        self.framing_error.next = self.error_q.q.val();
        self.valid_q.d.next = false;
        self.error_q.d.next = false;
        self.count.d.next = self.count.q.val() + 1;
        match self.state.q.val() {
            RxState::Idle => {
                self.count.d.next = 0.into();
                if !self.sync.sig_out.val() {
                    self.state.d.next = RxState::Start;
                }
            }
            RxState::Start => {
                if self.count.q.val() == self.half_count.val() {
                    self.count.d.next = 0.into();
                    self.bit.d.next = 0.into();
                    if self.sync.sig_out.val() {
                        // A glitch, not a start bit.
                        self.state.d.next = RxState::Idle;
                    } else {
                        self.state.d.next = RxState::Data;
                    }
                }
            }
            RxState::Data => {
                if self.count.q.val() == self.last_count.val() {
                    self.count.d.next = 0.into();
                    if self.sync.sig_out.val() {
                        self.shift.d.next = (self.shift.q.val() >> 1) | self.msb.val();
                    } else {
                        self.shift.d.next = self.shift.q.val() >> 1;
                    }
                    self.bit.d.next = self.bit.q.val() + 1;
                    if self.bit.q.val() == 7 {
                        self.state.d.next = RxState::Stop;
                    }
                }
            }
            RxState::Stop => {
                if self.count.q.val() == self.last_count.val() {
                    self.count.d.next = 0.into();
                    if self.sync.sig_out.val() {
                        self.valid_q.d.next = true;
                        self.state.d.next = RxState::Idle;
                    } else {
                        self.error_q.d.next = true;
                        self.state.d.next = RxState::WaitIdle;
                    }
                }
            }
            RxState::WaitIdle => {
                self.count.d.next = 0.into();
                if self.sync.sig_out.val() {
                    self.state.d.next = RxState::Idle;
                }
            }
            _ => {
                self.state.d.next = RxState::Idle;
            }
        }
    }
}
