//! The iCE40 PLL: the board's oscillator multiplied up to the core's clock.
//!
//! [`PllSettings::solve`] finds the dividers for an exact output frequency
//! within the limits of the iCE40 sysCLOCK PLL (Lattice TN1251), with the
//! SIMPLE feedback path:
//!
//! - f_PFD = f_in / (DIVR + 1), 10..=133 MHz, DIVR 0..=15;
//! - f_VCO = f_PFD · (DIVF + 1), 533..=1066 MHz, DIVF 0..=127;
//! - f_out = f_VCO / 2^DIVQ, 16..=275 MHz, DIVQ 1..=6;
//! - FILTER_RANGE from f_PFD (as icestorm's `icepll` chooses it).
//!
//! Only an exact output is accepted: the UART's baud is the core clock
//! divided by a whole number, so a clock that is nearly right is wrong.
//! [`Pll`] instantiates the primitive: `SB_PLL40_PAD` when the oscillator
//! arrives on the PLL's own pad (the iCEBreaker's pin 35), else
//! `SB_PLL40_CORE` fed from the fabric: the cell of yosys's iCE40 library
//! (`synth_ice40` knows it; the Verilog is not meant for other tools). It has
//! no simulation model; boards are simulated from [`crate::top::BoardTop`]
//! inward, at the core clock, and the PLL's settings are checked here.

use rust_hdl::prelude::*;

/// Why no PLL setting gives a frequency.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PllError {
    /// The input is outside the PLL's range.
    #[error("PLL input {0} MHz is outside the iCE40 PLL's 10-133 MHz")]
    Input(f64),
    /// The output is outside the PLL's range.
    #[error("PLL output {0} MHz is outside the iCE40 PLL's 16-275 MHz")]
    Output(f64),
    /// No dividers give exactly this output.
    #[error("no iCE40 PLL setting makes exactly {out} MHz from {input} MHz (nearest {nearest} MHz)")]
    Inexact {
        /// Input, MHz.
        input: f64,
        /// Wanted output, MHz.
        out: f64,
        /// The nearest the PLL makes, MHz.
        nearest: f64,
    },
}

/// The dividers of one PLL setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PllSettings {
    /// Reference divider: f_PFD = f_in / (DIVR + 1).
    pub divr: u8,
    /// Feedback divider: f_VCO = f_PFD · (DIVF + 1).
    pub divf: u8,
    /// Output divider: f_out = f_VCO / 2^DIVQ.
    pub divq: u8,
    /// Loop filter range for f_PFD.
    pub filter_range: u8,
}

impl PllSettings {
    /// The setting that makes exactly `out_hz` from `in_hz` (the smallest
    /// DIVR, so the highest phase-detector frequency, among exact ones).
    pub fn solve(in_hz: u32, out_hz: u32) -> Result<PllSettings, PllError> {
        let (input, out) = (in_hz as f64 / 1e6, out_hz as f64 / 1e6);
        if !(10.0..=133.0).contains(&input) {
            return Err(PllError::Input(input));
        }
        if !(16.0..=275.0).contains(&out) {
            return Err(PllError::Output(out));
        }
        let mut nearest = f64::NAN;
        for divr in 0u8..=15 {
            let r = divr as u64 + 1;
            if !(10.0..=133.0).contains(&(input / r as f64)) {
                continue;
            }
            for divf in 0u8..=127 {
                // f_VCO · (DIVR + 1) = f_in · (DIVF + 1): whole numbers of Hz.
                let vco_r = in_hz as u64 * (divf as u64 + 1);
                if vco_r < 533_000_000 * r || vco_r > 1_066_000_000 * r {
                    continue;
                }
                for divq in 1u8..=6 {
                    let made = vco_r as f64 / r as f64 / f64::from(1u32 << divq);
                    if nearest.is_nan() || (made - out_hz as f64).abs() < (nearest - out_hz as f64).abs() {
                        nearest = made;
                    }
                    if vco_r == out_hz as u64 * r * (1u64 << divq) {
                        return Ok(PllSettings {
                            divr,
                            divf,
                            divq,
                            filter_range: filter_range(in_hz as f64 / r as f64 / 1e6),
                        });
                    }
                }
            }
        }
        Err(PllError::Inexact {
            input,
            out,
            nearest: nearest / 1e6,
        })
    }

    /// The output frequency, Hz, from `in_hz`.
    pub fn output_hz(&self, in_hz: u32) -> f64 {
        in_hz as f64 * (self.divf as f64 + 1.0) / (self.divr as f64 + 1.0) / f64::from(1u32 << self.divq)
    }
}

/// The loop filter's range for a phase-detector frequency, MHz.
fn filter_range(pfd_mhz: f64) -> u8 {
    match pfd_mhz {
        f if f < 17.0 => 1,
        f if f < 26.0 => 2,
        f if f < 44.0 => 3,
        f if f < 66.0 => 4,
        f if f < 101.0 => 5,
        _ => 6,
    }
}

/// An iCE40 PLL in SIMPLE feedback: `clock_out` is `clock_in` multiplied
/// as [`PllSettings`] says; `locked` is high once it is stable.
#[derive(LogicBlock)]
pub struct Pll {
    /// The oscillator (the package pin for `SB_PLL40_PAD`).
    pub clock_in: Signal<In, Clock>,
    /// The core's clock, on a global network.
    pub clock_out: Signal<Out, Clock>,
    /// The PLL is locked.
    pub locked: Signal<Out, Bit>,
    // rust-hdl's derive skips fields named with a leading underscore.
    _settings: PllSettings,
    _pad: bool,
}

impl Pll {
    /// A PLL with `settings`, fed from its own pad when `pad`.
    pub fn new(settings: PllSettings, pad: bool) -> Self {
        Pll {
            clock_in: Default::default(),
            clock_out: Default::default(),
            locked: Default::default(),
            _settings: settings,
            _pad: pad,
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
        let s = &self._settings;
        let (cell, input) = if self._pad {
            ("SB_PLL40_PAD", "PACKAGEPIN")
        } else {
            ("SB_PLL40_CORE", "REFERENCECLK")
        };
        Verilog::Custom(format!(
            "{cell} #(
    .FEEDBACK_PATH(\"SIMPLE\"),
    .DIVR(4'd{divr}),
    .DIVF(7'd{divf}),
    .DIVQ(3'd{divq}),
    .FILTER_RANGE(3'd{filter})
) pll (
    .{input}(clock_in),
    .PLLOUTGLOBAL(clock_out),
    .LOCK(locked),
    .RESETB(1'b1),
    .BYPASS(1'b0)
);",
            divr = s.divr,
            divf = s.divf,
            divq = s.divq,
            filter = s.filter_range
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_megahertz_doubled_and_quadrupled() {
        // As icestorm's icepll gives them: 12 -> 24 and 12 -> 48 MHz.
        let s24 = PllSettings::solve(12_000_000, 24_000_000).unwrap();
        assert_eq!(
            s24,
            PllSettings {
                divr: 0,
                divf: 63,
                divq: 5,
                filter_range: 1
            }
        );
        assert_eq!(s24.output_hz(12_000_000), 24e6);
        let s48 = PllSettings::solve(12_000_000, 48_000_000).unwrap();
        assert_eq!((s48.divr, s48.divf, s48.divq), (0, 63, 4));
        assert_eq!(s48.output_hz(12_000_000), 48e6);
    }

    #[test]
    fn every_exact_setting_is_within_the_limits() {
        for out_mhz in 16..=275u32 {
            if let Ok(s) = PllSettings::solve(12_000_000, out_mhz * 1_000_000) {
                let pfd = 12.0 / (s.divr as f64 + 1.0);
                let vco = pfd * (s.divf as f64 + 1.0);
                assert!(
                    (10.0..=133.0).contains(&pfd) && (533.0..=1066.0).contains(&vco),
                    "{s:?}"
                );
                assert!((1..=6).contains(&s.divq) && s.divf <= 127 && s.divr <= 15, "{s:?}");
                assert_eq!(s.output_hz(12_000_000), out_mhz as f64 * 1e6);
            }
        }
    }

    #[test]
    fn impossible_clocks_are_named() {
        assert_eq!(
            PllSettings::solve(12_000_000, 300_000_000).unwrap_err().to_string(),
            "PLL output 300 MHz is outside the iCE40 PLL's 16-275 MHz"
        );
        assert_eq!(
            PllSettings::solve(5_000_000, 24_000_000).unwrap_err().to_string(),
            "PLL input 5 MHz is outside the iCE40 PLL's 10-133 MHz"
        );
        let e = PllSettings::solve(12_000_000, 25_000_000).unwrap_err();
        assert!(matches!(e, PllError::Inexact { .. }), "{e}");
        assert!(
            e.to_string()
                .starts_with("no iCE40 PLL setting makes exactly 25 MHz from 12 MHz"),
            "{e}"
        );
    }
}
