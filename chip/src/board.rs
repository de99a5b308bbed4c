//! The boards: part, clock, UART, pins, the core configuration each holds,
//! and how each is flashed. One table; the build, the docs and
//! `spikefab flash` read it.

use crate::config::CoreConfig;

/// How a bitstream gets onto a board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flasher {
    /// The program.
    pub tool: &'static str,
    /// Its arguments before the bitstream's path.
    pub args: &'static [&'static str],
}

/// One supported board.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Board {
    /// Short name (`--board`, file names).
    pub name: &'static str,
    /// What it is.
    pub title: &'static str,
    /// Oscillator frequency, MHz.
    pub clock_mhz: u32,
    /// The core's clock, MHz: made from the oscillator by the FPGA's PLL
    /// (an exact multiple the PLL can make; timing must close at it).
    pub core_mhz: u32,
    /// The oscillator arrives on the PLL's own pad (`SB_PLL40_PAD`); else
    /// the PLL is fed from the fabric (`SB_PLL40_CORE`).
    pub pll_pad: bool,
    /// UART baud rate: core clock / baud is a whole number, and the bridge makes it exactly.
    pub baud: u32,
    /// The USB-UART bridge.
    pub bridge: &'static str,
    /// The core configuration in its bitstream (whose part, `core.device`,
    /// is the board's FPGA).
    pub core: CoreConfig,
    /// The LEDs light when driven low.
    pub leds_active_low: bool,
    /// Top-level port, package pin and what it is, for the PCF.
    pub pins: &'static [(&'static str, &'static str, &'static str)],
    /// Flashing tools, in order of preference.
    pub flashers: &'static [Flasher],
}

impl Board {
    /// Core clocks per UART bit.
    pub fn clocks_per_bit(&self) -> u32 {
        self.core_mhz * 1_000_000 / self.baud
    }

    /// The pin constraints file.
    pub fn pcf(&self) -> String {
        let mut s = format!(
            "# {}: pins of the Spikefab board top (generated from chip/src/board.rs)\n",
            self.title
        );
        for (port, pin, what) in self.pins {
            s.push_str(&format!("set_io {port} {pin}  # {what}\n"));
        }
        s
    }

    /// The board called `name`.
    pub fn by_name(name: &str) -> Option<&'static Board> {
        BOARDS.iter().find(|b| b.name == name)
    }
}

/// The iCEBreaker: iCE40 UP5K, 12 MHz oscillator on pin 35 (the PLL's pad),
/// FTDI FT2232H (channel B is the UART). The core runs at 24 MHz from the PLL
/// (12 × 64 / 32, exact; core v2 closes timing there on every placer seed
/// 1..5); 24 clocks per bit at 1 Mbaud, which the FT2232H makes exactly
/// (3 MHz / 3).
pub const ICEBREAKER: Board = Board {
    name: "icebreaker",
    title: "iCEBreaker (iCE40UP5K-SG48, 12 MHz, FTDI FT2232H)",
    clock_mhz: 12,
    core_mhz: 24,
    pll_pad: true,
    baud: 1_000_000,
    bridge: "FTDI FT2232H, channel B (/dev/ttyUSB1 on Linux)",
    core: CoreConfig::UP5K,
    leds_active_low: true,
    pins: &[
        ("clk", "35", "12 MHz oscillator"),
        ("rx", "6", "UART from the FTDI (its TXD)"),
        ("tx", "9", "UART to the FTDI (its RXD)"),
        ("led_activity", "37", "green LED, active low"),
        ("led_error", "11", "red LED, active low"),
    ],
    flashers: FT2232_ICE40,
};

/// The iCE40-HX8K Breakout Board (Lattice ICE40HX8K-B-EVN): HX8K in the
/// CT256 BGA, 12 MHz oscillator on J3 (the PLL is fed from the fabric),
/// FTDI FT2232H (channel B is the UART, as on the iCEBreaker), eight
/// active-high LEDs of which two are used. The core runs at 36 MHz from the
/// PLL (12 × 48 / 16, exact; core v2 closes timing there on every placer
/// seed 1..5), 36 clocks per bit at 1 Mbaud.
pub const HX8K_BREAKOUT: Board = Board {
    name: "hx8k",
    title: "iCE40-HX8K Breakout Board (iCE40HX8K-CT256, 12 MHz, FTDI FT2232H)",
    clock_mhz: 12,
    core_mhz: 36,
    pll_pad: false,
    baud: 1_000_000,
    bridge: "FTDI FT2232H, channel B (/dev/ttyUSB1 on Linux)",
    core: CoreConfig::HX8K,
    leds_active_low: false,
    pins: &[
        ("clk", "J3", "12 MHz oscillator"),
        ("rx", "B10", "UART from the FTDI (its TXD)"),
        ("tx", "B12", "UART to the FTDI (its RXD)"),
        ("led_activity", "B5", "LED D9 (LED0), active high"),
        ("led_error", "B4", "LED D8 (LED1), active high"),
    ],
    flashers: FT2232_ICE40,
};

/// Both boards program their SPI flash through channel A of the FT2232H, with
/// the pinout openFPGALoader calls `ice40_generic` (and iceprog assumes).
const FT2232_ICE40: &[Flasher] = &[
    Flasher {
        tool: "openFPGALoader",
        args: &["-b", "ice40_generic"],
    },
    Flasher {
        tool: "iceprog",
        args: &[],
    },
];

/// Every supported board.
pub const BOARDS: &[Board] = &[ICEBREAKER, HX8K_BREAKOUT];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_uart_divides_its_core_clock_exactly() {
        for b in BOARDS {
            assert_eq!(
                b.clocks_per_bit() as u64 * b.baud as u64,
                b.core_mhz as u64 * 1_000_000,
                "{}: {} MHz / {} baud is not a whole number of clocks",
                b.name,
                b.core_mhz,
                b.baud
            );
            assert!(
                b.clocks_per_bit() >= 4,
                "{}: the receiver needs 4 clocks per bit",
                b.name
            );
            assert_eq!(Board::by_name(b.name), Some(b));
        }
    }
}
