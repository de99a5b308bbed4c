//! The ECP5 sysCLOCK PLL, `EHXPLLL` (Lattice TN1263), with the feedback
//! taken from its primary output CLKOP:
//!
//! - f_PFD = f_in / CLKI_DIV, 3.125..=400 MHz, CLKI_DIV 1..=128 (f_in 8..=400 MHz);
//! - f_out = f_in · CLKFB_DIV / CLKI_DIV, 3.125..=400 MHz, CLKFB_DIV 1..=80;
//! - f_VCO = f_out · CLKOP_DIV, 400..=800 MHz, CLKOP_DIV 1..=128.
//!
//! Among the exact settings the solver takes the smallest CLKI_DIV (the
//! highest phase-detector frequency), then the VCO nearest the middle of its
//! range (600 MHz), as Project Trellis's `ecppll` does. The instance carries
//! the loop-filter attributes Lattice's tools give this PLL (charge pump 12,
//! filter resistor 8), which `ecppll` writes too, and CLKOP's coarse phase
//! (CLKOP_DIV - 1) / 2, which puts the output at 0°.

use super::PllError;
use spikefab_chip::device::Family;

/// The family's name in errors.
const FAMILY: &str = Family::Ecp5.name();

/// The dividers of one ECP5 PLL setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ecp5Pll {
    /// Input divider: f_PFD = f_in / CLKI_DIV.
    pub clki_div: u8,
    /// Feedback divider: f_out = f_PFD · CLKFB_DIV.
    pub clkfb_div: u8,
    /// Output divider: f_VCO = f_out · CLKOP_DIV.
    pub clkop_div: u8,
}

const PFD_HZ: (u64, u64) = (3_125_000, 400_000_000);
const VCO_HZ: (u64, u64) = (400_000_000, 800_000_000);
const OUT_HZ: (u64, u64) = (3_125_000, 400_000_000);
const IN_HZ: (u64, u64) = (8_000_000, 400_000_000);

impl Ecp5Pll {
    /// The setting that makes exactly `out_hz` from `in_hz`.
    pub fn solve(in_hz: u32, out_hz: u32) -> Result<Ecp5Pll, PllError> {
        let (fin, fout) = (in_hz as u64, out_hz as u64);
        let mhz = |hz: u64| hz as f64 / 1e6;
        if !(IN_HZ.0..=IN_HZ.1).contains(&fin) {
            return Err(PllError::Input {
                family: FAMILY,
                input: mhz(fin),
                range: "8-400",
            });
        }
        if !(OUT_HZ.0..=OUT_HZ.1).contains(&fout) {
            return Err(PllError::Output {
                family: FAMILY,
                out: mhz(fout),
                range: "3.125-400",
            });
        }
        let mut nearest: Option<f64> = None;
        for clki_div in 1u8..=128 {
            let ci = clki_div as u64;
            // f_PFD = f_in / CLKI_DIV within its range.
            if fin < PFD_HZ.0 * ci || fin > PFD_HZ.1 * ci {
                continue;
            }
            let mut best: Option<(u64, Ecp5Pll)> = None;
            for clkfb_div in 1u8..=80 {
                let made = fin as f64 * clkfb_div as f64 / ci as f64;
                if nearest.is_none_or(|n| (made - fout as f64).abs() < (n - fout as f64).abs()) {
                    nearest = Some(made);
                }
                // f_in · CLKFB_DIV = f_out · CLKI_DIV, in whole hertz.
                if fin * clkfb_div as u64 != fout * ci {
                    continue;
                }
                for clkop_div in 1u8..=128 {
                    let vco = fout * clkop_div as u64;
                    if !(VCO_HZ.0..=VCO_HZ.1).contains(&vco) {
                        continue;
                    }
                    let off_middle = vco.abs_diff((VCO_HZ.0 + VCO_HZ.1) / 2);
                    if best.is_none_or(|(d, _)| off_middle < d) {
                        best = Some((
                            off_middle,
                            Ecp5Pll {
                                clki_div,
                                clkfb_div,
                                clkop_div,
                            },
                        ));
                    }
                }
            }
            if let Some((_, s)) = best {
                return Ok(s);
            }
        }
        Err(PllError::Inexact {
            family: FAMILY,
            input: mhz(fin),
            out: mhz(fout),
            nearest: nearest.unwrap_or(f64::NAN) / 1e6,
        })
    }

    /// The output frequency, Hz, from `in_hz`.
    pub fn output_hz(&self, in_hz: u32) -> f64 {
        in_hz as f64 * self.clkfb_div as f64 / self.clki_div as f64
    }

    /// The VCO's frequency, Hz, from `in_hz`.
    pub fn vco_hz(&self, in_hz: u32) -> f64 {
        self.output_hz(in_hz) * self.clkop_div as f64
    }
}

/// The instance of `s` (module `pll` in the parent's Verilog): `clock_in`
/// multiplied onto `clock_out`, `locked` once it is stable. `in_mhz` and
/// `out_mhz` are recorded as the frequency attributes Lattice's tools read.
pub(super) fn verilog(s: &Ecp5Pll, in_mhz: u32, out_mhz: u32) -> String {
    format!(
        "(* FREQUENCY_PIN_CLKI=\"{in_mhz}\" *)
(* FREQUENCY_PIN_CLKOP=\"{out_mhz}\" *)
(* ICP_CURRENT=\"12\" *) (* LPF_RESISTOR=\"8\" *) (* MFG_ENABLE_FILTEROPAMP=\"1\" *) (* MFG_GMCREF_SEL=\"2\" *)
EHXPLLL #(
    .PLLRST_ENA(\"DISABLED\"),
    .INTFB_WAKE(\"DISABLED\"),
    .STDBY_ENABLE(\"DISABLED\"),
    .DPHASE_SOURCE(\"DISABLED\"),
    .OUTDIVIDER_MUXA(\"DIVA\"),
    .OUTDIVIDER_MUXB(\"DIVB\"),
    .OUTDIVIDER_MUXC(\"DIVC\"),
    .OUTDIVIDER_MUXD(\"DIVD\"),
    .CLKI_DIV({clki}),
    .CLKOP_ENABLE(\"ENABLED\"),
    .CLKOP_DIV({clkop}),
    .CLKOP_CPHASE({cphase}),
    .CLKOP_FPHASE(0),
    .FEEDBK_PATH(\"CLKOP\"),
    .CLKFB_DIV({clkfb})
) pll (
    .RST(1'b0),
    .STDBY(1'b0),
    .CLKI(clock_in),
    .CLKOP(clock_out),
    .CLKFB(clock_out),
    .CLKINTFB(),
    .PHASESEL0(1'b0),
    .PHASESEL1(1'b0),
    .PHASEDIR(1'b1),
    .PHASESTEP(1'b1),
    .PHASELOADREG(1'b1),
    .PLLWAKESYNC(1'b0),
    .ENCLKOP(1'b0),
    .LOCK(locked)
);",
        clki = s.clki_div,
        clkop = s.clkop_div,
        cphase = (s.clkop_div - 1) / 2,
        clkfb = s.clkfb_div
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_five_megahertz_as_ecppll_makes_them() {
        // `ecppll -i 25 -o 30|40|45` (Project Trellis 1.4): CLKI_DIV, CLKFB_DIV, CLKOP_DIV.
        for (out, dividers) in [(30, (5, 6, 20)), (40, (5, 8, 15)), (45, (5, 9, 13))] {
            let s = Ecp5Pll::solve(25_000_000, out * 1_000_000).unwrap();
            assert_eq!((s.clki_div, s.clkfb_div, s.clkop_div), dividers, "{out} MHz");
            assert_eq!(s.output_hz(25_000_000), out as f64 * 1e6);
        }
        let v = verilog(&Ecp5Pll::solve(25_000_000, 30_000_000).unwrap(), 25, 30);
        assert!(v.contains(".CLKOP_DIV(20)") && v.contains(".CLKOP_CPHASE(9)"), "{v}");
    }

    #[test]
    fn every_exact_setting_is_within_the_limits() {
        for out_mhz in 4..=400u32 {
            if let Ok(s) = Ecp5Pll::solve(25_000_000, out_mhz * 1_000_000) {
                let pfd = 25e6 / s.clki_div as f64;
                assert!((3.125e6..=400e6).contains(&pfd), "{s:?}");
                assert!((400e6..=800e6).contains(&s.vco_hz(25_000_000)), "{s:?}");
                assert!(
                    (1..=128).contains(&s.clki_div) && (1..=80).contains(&s.clkfb_div),
                    "{s:?}"
                );
                assert_eq!(s.output_hz(25_000_000), out_mhz as f64 * 1e6);
            }
        }
    }

    #[test]
    fn impossible_clocks_are_named() {
        assert_eq!(
            Ecp5Pll::solve(25_000_000, 500_000_000).unwrap_err().to_string(),
            "PLL output 500 MHz is outside the ECP5 PLL's 3.125-400 MHz"
        );
        assert_eq!(
            Ecp5Pll::solve(4_000_000, 24_000_000).unwrap_err().to_string(),
            "PLL input 4 MHz is outside the ECP5 PLL's 8-400 MHz"
        );
        // 36 = 25 · 36 / 25 needs CLKI_DIV 25: a 1 MHz phase detector, below 3.125.
        let e = Ecp5Pll::solve(25_000_000, 36_000_000).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("no ECP5 PLL setting makes exactly 36 MHz from 25 MHz"),
            "{e}"
        );
    }
}
