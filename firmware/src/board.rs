//! The boards: part, clock, UART, pins, the core configuration each holds,
//! and how each is flashed. One table; the build, the docs and
//! `spikefab flash` read it.

use spikefab_hdl::config::CoreConfig;
use spikefab_hdl::report::Device;

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
    /// The FPGA.
    pub device: Device,
    /// Oscillator frequency, MHz; the core runs on it (no PLL).
    pub clock_mhz: u32,
    /// UART baud rate: clock / baud is a whole number, and the bridge makes it exactly.
    pub baud: u32,
    /// The USB-UART bridge.
    pub bridge: &'static str,
    /// The core configuration in its bitstream.
    pub core: CoreConfig,
    /// Top-level port and package pin, for the PCF.
    pub pins: &'static [(&'static str, &'static str, &'static str)],
    /// Flashing tools, in order of preference.
    pub flashers: &'static [Flasher],
}

impl Board {
    /// Clocks per UART bit.
    pub fn clocks_per_bit(&self) -> u32 {
        self.clock_mhz * 1_000_000 / self.baud
    }

    /// The pin constraints file.
    pub fn pcf(&self) -> String {
        let mut s = format!(
            "# {}: pins of the Spikefab board top (generated from firmware/src/board.rs)\n",
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

/// The iCEBreaker: iCE40 UP5K, 12 MHz oscillator, FTDI FT2232H (channel B is
/// the UART). 12 MHz / 1 Mbaud = 12 clocks per bit; the FT2232H makes 1 Mbaud
/// exactly (3 MHz / 3).
pub const ICEBREAKER: Board = Board {
    name: "icebreaker",
    title: "iCEBreaker (iCE40UP5K-SG48, 12 MHz, FTDI FT2232H)",
    device: Device::UP5K_SG48,
    clock_mhz: 12,
    baud: 1_000_000,
    bridge: "FTDI FT2232H, channel B (/dev/ttyUSB1 on Linux)",
    core: CoreConfig::UP5K,
    pins: &[
        ("clk", "35", "12 MHz oscillator"),
        ("rx", "6", "UART from the FTDI"),
        ("tx", "9", "UART to the FTDI"),
        ("led_red_n", "11", "red LED, active low"),
        ("led_green_n", "37", "green LED, active low"),
    ],
    flashers: &[
        Flasher {
            tool: "openFPGALoader",
            args: &["-b", "icebreaker"],
        },
        Flasher {
            tool: "iceprog",
            args: &[],
        },
    ],
};

/// Every supported board.
pub const BOARDS: &[Board] = &[ICEBREAKER];
