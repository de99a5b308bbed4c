//! The iCE40 sysCLOCK PLL (Lattice TN1251), SIMPLE feedback:
//!
//! - f_PFD = f_in / (DIVR + 1), 10..=133 MHz, DIVR 0..=15;
//! - f_VCO = f_PFD · (DIVF + 1), 533..=1066 MHz, DIVF 0..=127;
//! - f_out = f_VCO / 2^DIVQ, 16..=275 MHz, DIVQ 1..=6;
//! - FILTER_RANGE from f_PFD (as icestorm's `icepll` chooses it).
//!
//! The primitive is `SB_PLL40_PAD` when the oscillator arrives on the PLL's
//! own pad (the iCEBreaker's pin 35), else `SB_PLL40_CORE` fed from the
//! fabric: cells of yosys's iCE40 library.

use super::PllError;
use spikefab_chip::device::Family;

/// The dividers of one iCE40 PLL setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ice40Pll {
    /// Reference divider: f_PFD = f_in / (DIVR + 1).
    pub divr: u8,
    /// Feedback divider: f_VCO = f_PFD · (DIVF + 1).
    pub divf: u8,
    /// Output divider: f_out = f_VCO / 2^DIVQ.
    pub divq: u8,
    /// Loop filter range for f_PFD.
    pub filter_range: u8,
}

impl Ice40Pll {
    /// The setting that makes exactly `out_hz` from `in_hz` (the smallest
    /// DIVR, so the highest phase-detector frequency, among exact ones).
    pub fn solve(in_hz: u32, out_hz: u32) -> Result<Ice40Pll, PllError> {
        let (input, out) = (in_hz as f64 / 1e6, out_hz as f64 / 1e6);
        if !(10.0..=133.0).contains(&input) {
            return Err(PllError::Input {
                family: FAMILY,
                input,
                range: "10-133",
            });
        }
        if !(16.0..=275.0).contains(&out) {
            return Err(PllError::Output {
                family: FAMILY,
                out,
                range: "16-275",
            });
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
                        return Ok(Ice40Pll {
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
            family: FAMILY,
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

/// The family's name in errors.
const FAMILY: &str = Family::Ice40.name();

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

/// The instance of `settings` (module `pll` in the parent's Verilog):
/// `clock_in` multiplied onto `clock_out`, `locked` once it is stable; fed
/// from its own pad when `pad`.
pub(super) fn verilog(s: &Ice40Pll, pad: bool) -> String {
    let (cell, input) = if pad {
        ("SB_PLL40_PAD", "PACKAGEPIN")
    } else {
        ("SB_PLL40_CORE", "REFERENCECLK")
    };
    format!(
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
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_megahertz_doubled_and_quadrupled() {
        // As icestorm's icepll gives them: 12 -> 24 and 12 -> 48 MHz.
        let s24 = Ice40Pll::solve(12_000_000, 24_000_000).unwrap();
        assert_eq!(
            s24,
            Ice40Pll {
                divr: 0,
                divf: 63,
                divq: 5,
                filter_range: 1
            }
        );
        assert_eq!(s24.output_hz(12_000_000), 24e6);
        let s48 = Ice40Pll::solve(12_000_000, 48_000_000).unwrap();
        assert_eq!((s48.divr, s48.divf, s48.divq), (0, 63, 4));
        assert_eq!(s48.output_hz(12_000_000), 48e6);
    }

    #[test]
    fn every_exact_setting_is_within_the_limits() {
        for out_mhz in 16..=275u32 {
            if let Ok(s) = Ice40Pll::solve(12_000_000, out_mhz * 1_000_000) {
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
            Ice40Pll::solve(12_000_000, 300_000_000).unwrap_err().to_string(),
            "PLL output 300 MHz is outside the iCE40 PLL's 16-275 MHz"
        );
        assert_eq!(
            Ice40Pll::solve(5_000_000, 24_000_000).unwrap_err().to_string(),
            "PLL input 5 MHz is outside the iCE40 PLL's 10-133 MHz"
        );
        let e = Ice40Pll::solve(12_000_000, 25_000_000).unwrap_err();
        assert!(matches!(e, PllError::Inexact { .. }), "{e}");
        assert!(
            e.to_string()
                .starts_with("no iCE40 PLL setting makes exactly 25 MHz from 12 MHz"),
            "{e}"
        );
    }
}
