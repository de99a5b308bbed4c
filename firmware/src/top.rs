//! `BoardTop`: a Spikefab core behind the board's UART; [`PllTop`]: the
//! board's pins, with the core's clock made by the PLL.
//!
//! RX pin -> [`UartRx`] -> the 256-byte receive FIFO -> the core's byte
//! input; the core's byte output -> the 256-byte transmit buffer ->
//! [`UartTx`] -> TX pin, the two queues in one block RAM ([`LinkBuffer`]),
//! with the core held (its busy counter frozen, spec §10) while the transmit
//! buffer is full. For the
//! first `startup_clocks` after configuration the RX line is read as idle and
//! the TX pin held high, so that nothing the bridge sends while the FPGA starts is
//! taken for a byte; the hold counts only once `clock_ready` (the PLL's lock)
//! is high. Two LEDs (active low or high, as the board wires them):
//! `led_activity` lights while the core runs a tick or a byte arrives
//! (stretched to be seen), `led_error` after a framing error or a receive
//! FIFO overflow (stretched too): a broken or lost byte is shown, and the host
//! retransmits the frame it was part of (its CRC fails or it is cut). The
//! hold and the stretch are a [`BoardTimer`]'s.

use rust_hdl::prelude::*;
use spikefab_hdl::core::Core;

use crate::board_timer::BoardTimer;
use crate::link_buffer::LinkBuffer;
use crate::pll::Pll;
use crate::uart_rx::UartRx;
use crate::uart_tx::UartTx;

/// Bits of the board timer's counter: an LED is lit for one to two periods
/// of 2^20 clocks after its event (44-87 ms at 24 MHz, 22-44 ms at 48), and
/// the start-up hold lasts at most 2^20 clocks.
pub const TIMER_BITS: usize = 20;

/// A core (widths as [`Core`]'s) behind a UART of `clocks_per_bit`.
#[derive(LogicBlock)]
pub struct BoardTop<
    const NB: usize,
    const MB: usize,
    const DB: usize,
    const SB: usize,
    const SRCB: usize,
    const RB: usize,
    const AB: usize,
    const XB: usize,
> {
    /// The core's clock.
    pub clk: Signal<In, Clock>,
    /// The clock is stable (the PLL is locked): the start-up hold begins.
    pub clock_ready: Signal<In, Bit>,
    /// UART from the USB bridge.
    pub rx: Signal<In, Bit>,
    /// UART to the USB bridge.
    pub tx: Signal<Out, Bit>,
    /// Activity LED (lit while a tick runs or a byte arrives).
    pub led_activity: Signal<Out, Bit>,
    /// Error LED (lit after a broken or lost byte).
    pub led_error: Signal<Out, Bit>,
    uart_rx: UartRx,
    uart_tx: UartTx,
    link: LinkBuffer,
    core: Core<NB, MB, DB, SB, SRCB, RB, AB, XB>,
    timer: BoardTimer<TIMER_BITS>,
    rx_line: Signal<Local, Bit>,
    leds_active_low: Constant<Bit>,
}

impl<
        const NB: usize,
        const MB: usize,
        const DB: usize,
        const SB: usize,
        const SRCB: usize,
        const RB: usize,
        const AB: usize,
        const XB: usize,
    > BoardTop<NB, MB, DB, SB, SRCB, RB, AB, XB>
{
    /// A board top whose UART runs at clock / `clocks_per_bit` baud, holding
    /// its UART idle for `startup_clocks` (1..=2^20) after configuration, with
    /// LEDs lit by a low output when `leds_active_low`.
    pub fn new(clocks_per_bit: u32, startup_clocks: u32, leds_active_low: bool) -> Self {
        BoardTop {
            clk: Default::default(),
            clock_ready: Default::default(),
            rx: Default::default(),
            tx: Default::default(),
            led_activity: Default::default(),
            led_error: Default::default(),
            uart_rx: UartRx::new(clocks_per_bit),
            uart_tx: UartTx::new(clocks_per_bit),
            link: Default::default(),
            core: Default::default(),
            timer: BoardTimer::new(startup_clocks),
            rx_line: Default::default(),
            leds_active_low: Constant::new(leds_active_low),
        }
    }
}

impl<
        const NB: usize,
        const MB: usize,
        const DB: usize,
        const SB: usize,
        const SRCB: usize,
        const RB: usize,
        const AB: usize,
        const XB: usize,
    > Logic for BoardTop<NB, MB, DB, SB, SRCB, RB, AB, XB>
{
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clk, uart_rx, uart_tx, link, core, timer);

        // Start-up hold, counted once the clock is stable.
        self.timer.clock_ready.next = self.clock_ready.val();
        self.rx_line.next = self.rx.val() | !self.timer.started.val();
        self.uart_rx.rx.next = self.rx_line.val();
        self.tx.next = self.uart_tx.tx.val() | !self.timer.started.val();

        // RX -> receive FIFO -> core -> transmit buffer -> TX.
        self.link.rx_valid.next = self.uart_rx.valid.val();
        self.link.rx_data.next = self.uart_rx.data.val();
        self.core.in_data.next = self.link.core_in_data.val();
        self.core.in_valid.next = self.link.core_in_valid.val();
        self.link.core_in_ready.next = self.core.in_ready.val();
        self.link.core_out_data.next = self.core.out_data.val();
        self.link.core_out_valid.next = self.core.out_valid.val();
        self.core.out_ready.next = self.link.core_out_ready.val();
        self.uart_tx.data.next = self.link.tx_data.val();
        self.uart_tx.start.next = self.link.tx_start.val();
        self.link.tx_ready.next = self.uart_tx.ready.val();

        // LEDs.
        self.timer.activity.next = self.core.busy.val() | self.uart_rx.valid.val();
        self.timer.error.next = self.uart_rx.framing_error.val() | self.link.overflow.val();
        self.led_activity.next = self.timer.activity_lit.val() ^ self.leds_active_low.val();
        self.led_error.next = self.timer.error_lit.val() ^ self.leds_active_low.val();
    }
}

/// A board's top (module `top`): the oscillator pin into the PLL, the PLL's
/// clock and lock into a [`BoardTop`].
#[derive(LogicBlock)]
pub struct PllTop<
    const NB: usize,
    const MB: usize,
    const DB: usize,
    const SB: usize,
    const SRCB: usize,
    const RB: usize,
    const AB: usize,
    const XB: usize,
> {
    /// The oscillator pin.
    pub clk: Signal<In, Clock>,
    /// UART from the USB bridge.
    pub rx: Signal<In, Bit>,
    /// UART to the USB bridge.
    pub tx: Signal<Out, Bit>,
    /// Activity LED.
    pub led_activity: Signal<Out, Bit>,
    /// Error LED.
    pub led_error: Signal<Out, Bit>,
    pll: Pll,
    board: BoardTop<NB, MB, DB, SB, SRCB, RB, AB, XB>,
}

impl<
        const NB: usize,
        const MB: usize,
        const DB: usize,
        const SB: usize,
        const SRCB: usize,
        const RB: usize,
        const AB: usize,
        const XB: usize,
    > PllTop<NB, MB, DB, SB, SRCB, RB, AB, XB>
{
    /// `pll` around a [`BoardTop`] made by [`BoardTop::new`] with the other
    /// arguments.
    pub fn new(pll: Pll, clocks_per_bit: u32, startup_clocks: u32, leds_active_low: bool) -> Self {
        PllTop {
            clk: Default::default(),
            rx: Default::default(),
            tx: Default::default(),
            led_activity: Default::default(),
            led_error: Default::default(),
            pll,
            board: BoardTop::new(clocks_per_bit, startup_clocks, leds_active_low),
        }
    }
}

impl<
        const NB: usize,
        const MB: usize,
        const DB: usize,
        const SB: usize,
        const SRCB: usize,
        const RB: usize,
        const AB: usize,
        const XB: usize,
    > Logic for PllTop<NB, MB, DB, SB, SRCB, RB, AB, XB>
{
    #[hdl_gen]
    fn update(&mut self) {
        self.pll.clock_in.next = self.clk.val();
        self.board.clk.next = self.pll.clock_out.val();
        self.board.clock_ready.next = self.pll.locked.val();
        self.board.rx.next = self.rx.val();
        self.tx.next = self.board.tx.val();
        self.led_activity.next = self.board.led_activity.val();
        self.led_error.next = self.board.led_error.val();
    }
}
