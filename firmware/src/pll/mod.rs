//! The PLL that makes the core's clock from the board's oscillator: the
//! iCE40's ([`ice40`]) or the ECP5's ([`ecp5`]).
//!
//! [`PllSettings::solve`] finds the dividers for an exact output frequency
//! within the limits of the board's PLL. Only an exact output is accepted:
//! the UART's baud is the core clock divided by a whole number, so a clock
//! that is nearly right is wrong. [`Pll`] instantiates the primitive, a cell
//! of yosys's library for the family (the Verilog is not meant for other
//! tools). It has no simulation model; boards are simulated from
//! [`crate::top::BoardTop`] inward, at the core clock, and the PLL's
//! settings are checked here.

pub mod ecp5;
pub mod ice40;

use rust_hdl::prelude::*;
use spikefab_chip::device::Family;

pub use ecp5::Ecp5Pll;
pub use ice40::Ice40Pll;

/// Why no PLL setting gives a frequency.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PllError {
    /// The input is outside the PLL's range.
    #[error("PLL input {input} MHz is outside the {family} PLL's {range} MHz")]
    Input {
        /// The FPGA family.
        family: &'static str,
        /// Input, MHz.
        input: f64,
        /// The PLL's input range, MHz.
        range: &'static str,
    },
    /// The output is outside the PLL's range.
    #[error("PLL output {out} MHz is outside the {family} PLL's {range} MHz")]
    Output {
        /// The FPGA family.
        family: &'static str,
        /// Wanted output, MHz.
        out: f64,
        /// The PLL's output range, MHz.
        range: &'static str,
    },
    /// No dividers give exactly this output.
    #[error("no {family} PLL setting makes exactly {out} MHz from {input} MHz (nearest {nearest} MHz)")]
    Inexact {
        /// The FPGA family.
        family: &'static str,
        /// Input, MHz.
        input: f64,
        /// Wanted output, MHz.
        out: f64,
        /// The nearest the PLL makes, MHz.
        nearest: f64,
    },
}

/// One PLL setting, of the family's PLL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PllSettings {
    /// An iCE40 PLL's dividers.
    Ice40(Ice40Pll),
    /// An ECP5 PLL's dividers.
    Ecp5(Ecp5Pll),
}

impl PllSettings {
    /// The setting of `family`'s PLL that makes exactly `out_hz` from `in_hz`.
    pub fn solve(family: Family, in_hz: u32, out_hz: u32) -> Result<PllSettings, PllError> {
        Ok(match family {
            Family::Ice40 => PllSettings::Ice40(Ice40Pll::solve(in_hz, out_hz)?),
            Family::Ecp5 => PllSettings::Ecp5(Ecp5Pll::solve(in_hz, out_hz)?),
        })
    }

    /// The output frequency, Hz, from `in_hz`.
    pub fn output_hz(&self, in_hz: u32) -> f64 {
        match self {
            PllSettings::Ice40(s) => s.output_hz(in_hz),
            PllSettings::Ecp5(s) => s.output_hz(in_hz),
        }
    }

    /// The dividers, as a report lists them (`DIVR 0, DIVF 63, DIVQ 5`).
    pub fn dividers(&self) -> String {
        match self {
            PllSettings::Ice40(s) => format!("DIVR {}, DIVF {}, DIVQ {}", s.divr, s.divf, s.divq),
            PllSettings::Ecp5(s) => format!(
                "CLKI_DIV {}, CLKFB_DIV {}, CLKOP_DIV {}",
                s.clki_div, s.clkfb_div, s.clkop_div
            ),
        }
    }
}

/// The board's PLL: `clock_out` is `clock_in` multiplied as
/// [`PllSettings`] says; `locked` is high once it is stable.
#[derive(LogicBlock)]
pub struct Pll {
    /// The oscillator (the package pin for the iCE40's `SB_PLL40_PAD`).
    pub clock_in: Signal<In, Clock>,
    /// The core's clock, on a global network.
    pub clock_out: Signal<Out, Clock>,
    /// The PLL is locked.
    pub locked: Signal<Out, Bit>,
    // rust-hdl's derive skips fields named with a leading underscore.
    _settings: PllSettings,
    _pad: bool,
    _mhz: (u32, u32),
}

impl Pll {
    /// A PLL with `settings` making `out_mhz` from `in_mhz`; an iCE40 PLL is
    /// fed from its own pad when `pad`.
    pub fn new(settings: PllSettings, pad: bool, in_mhz: u32, out_mhz: u32) -> Self {
        Pll {
            clock_in: Default::default(),
            clock_out: Default::default(),
            locked: Default::default(),
            _settings: settings,
            _pad: pad,
            _mhz: (in_mhz, out_mhz),
        }
    }
}

impl Logic for Pll {
    fn update(&mut self) {}

    fn connect(&mut self) {
        self.clock_out.connect();
        self.locked.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(match &self._settings {
            PllSettings::Ice40(s) => ice40::verilog(s, self._pad),
            PllSettings::Ecp5(s) => ecp5::verilog(s, self._mhz.0, self._mhz.1),
        })
    }
}
