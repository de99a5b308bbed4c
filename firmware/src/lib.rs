//! Spikefab firmware: board tops around the core of `spikefab-hdl` and the
//! bitstream build for open iCE40 and ECP5 boards.
//!
//! - [`uart_rx`], [`uart_tx`]: the UART PHY (8N1) that carries the wire
//!   protocol of `docs/spec.md` §10 to the board's USB-UART bridge.
//! - [`link_buffer`]: the receive FIFO and the transmit buffer, in one block RAM.
//! - [`top`]: the board top: UART, link buffer, core, start-up hold, LEDs.
//! - [`board_timer`]: the start-up hold and the LEDs' stretch, from one counter.
//! - The boards themselves (part, clock, baud, pins, flashing) are data, in
//!   `spikefab_chip::board`.
//! - [`pll`]: the iCE40 or ECP5 PLL that makes the core's clock from the board's oscillator.
//! - [`build`]: yosys, nextpnr and the packer of the board's FPGA family into `bitstreams/`.
//! - [`bench`](mod@bench): a Verilog testbench that plays the host on a board top's UART pins.

pub mod bench;
pub mod board_timer;
pub mod build;
pub mod link_buffer;
pub mod pll;
pub mod top;
pub mod uart_rx;
pub mod uart_tx;
