//! Implementation: a design synthesized with yosys (`synth_ice40` or
//! `synth_ecp5`), placed and routed with nextpnr (nextpnr-ice40 or
//! nextpnr-ecp5) and, for a board, packed into a bitstream (icepack or
//! ecppack); with the resources and the maximum clock frequency the tools
//! report. The part's [`Family`] names the tools. `make hdl-report` writes the
//! bare core's into `docs/hardware.md`; `firmware/` builds the boards'
//! bitstreams with it.

use std::path::Path;

use spikefab_chip::device::{Device, Family};

use crate::rungs::{run, RungError, Scratch};

/// What to implement and what to keep.
#[derive(Debug, Clone, Copy)]
pub struct Flow<'a> {
    /// The part.
    pub device: Device,
    /// Clock constraint, MHz.
    pub target_mhz: f64,
    /// nextpnr's placer seed.
    pub seed: u32,
    /// Pin constraints in the family's format (PCF or LPF text); without
    /// them pins are left to the placer.
    pub constraints: Option<&'a str>,
    /// Where to write the bitstream; none: no bitstream.
    pub bitstream: Option<&'a Path>,
}

/// What the tools report for one design. Cells are named as the part's
/// family has them ([`CellNames`]): on the iCE40 a logic cell is a LUT4 with
/// its carry and flip-flop (ICESTORM_LC); on the ECP5 it is a LUT4 position
/// of a slice (TRELLIS_COMB: LUT4s, carry halves and route-throughs) and the
/// flip-flops are counted apart.
#[derive(Debug, Clone, PartialEq)]
pub struct Implementation {
    /// Logic cells used and available.
    pub logic_cells: (u32, u32),
    /// LUT4s after synthesis.
    pub luts: u32,
    /// Carry cells after synthesis (iCE40 SB_CARRY, ECP5 CCU2C: two bits each).
    pub carries: u32,
    /// Flip-flops after synthesis.
    pub flip_flops: u32,
    /// Block RAMs used and available (SB_RAM40_4K, 4 kbit; DP16KD, 18 kbit).
    pub bram: (u32, u32),
    /// SPRAMs (SB_SPRAM256KA) used and available; none on the other parts.
    pub spram: (u32, u32),
    /// Multipliers used and available (SB_MAC16; MULT18X18D).
    pub dsp: (u32, u32),
    /// Maximum clock frequency after routing, MHz.
    pub fmax_mhz: f64,
    /// The constraint it was routed for, MHz.
    pub target_mhz: f64,
    /// The part.
    pub device: Device,
    /// nextpnr's placer seed.
    pub seed: u32,
    /// yosys's version line.
    pub yosys: String,
    /// nextpnr's version line.
    pub nextpnr: String,
}

/// The names a family's tools give the cells an [`Implementation`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellNames {
    /// nextpnr's logic cell.
    pub logic: &'static str,
    /// yosys's LUT4.
    pub lut: &'static str,
    /// yosys's carry cell.
    pub carry: &'static str,
    /// yosys's flip-flops.
    pub flip_flops: &'static [&'static str],
    /// nextpnr's block RAM.
    pub bram: &'static str,
    /// nextpnr's SPRAM (none: the family has none).
    pub spram: Option<&'static str>,
    /// nextpnr's multiplier.
    pub dsp: &'static str,
    /// The block RAM's primitive, for reports.
    pub bram_cell: &'static str,
    /// The multiplier's primitive, for reports.
    pub dsp_cell: &'static str,
}

impl CellNames {
    /// The names of `family`'s tools.
    pub fn of(family: Family) -> CellNames {
        match family {
            Family::Ice40 => CellNames {
                logic: "ICESTORM_LC",
                lut: "SB_LUT4",
                carry: "SB_CARRY",
                flip_flops: &[
                    "SB_DFF",
                    "SB_DFFE",
                    "SB_DFFSR",
                    "SB_DFFSS",
                    "SB_DFFESR",
                    "SB_DFFESS",
                    "SB_DFFR",
                    "SB_DFFS",
                ],
                bram: "ICESTORM_RAM",
                spram: Some("ICESTORM_SPRAM"),
                dsp: "ICESTORM_DSP",
                bram_cell: "SB_RAM40_4K",
                dsp_cell: "SB_MAC16",
            },
            Family::Ecp5 => CellNames {
                logic: "TRELLIS_COMB",
                lut: "LUT4",
                carry: "CCU2C",
                flip_flops: &["TRELLIS_FF"],
                bram: "DP16KD",
                spram: None,
                dsp: "MULT18X18D",
                bram_cell: "DP16KD",
                dsp_cell: "MULT18X18D",
            },
        }
    }
}

/// The last count of `cell` in yosys's `stat`, which writes `CELL COUNT`
/// (yosys 0.23) or `COUNT CELL` (yosys 0.70).
fn count(stat: &str, cell: &str) -> u32 {
    stat.lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let (a, b) = (w.next()?, w.next()?);
            if a == cell {
                b.parse::<u32>().ok()
            } else if b == cell {
                a.parse::<u32>().ok()
            } else {
                None
            }
        })
        .next_back()
        .unwrap_or(0)
}

fn used(log: &str, what: &str) -> (u32, u32) {
    log.lines()
        .filter_map(|l| {
            let rest = l.split_once(&format!("{what}:"))?.1;
            let (a, b) = rest.split_once('/')?;
            Some((a.trim().parse().ok()?, b.split_whitespace().next()?.parse().ok()?))
        })
        .next_back()
        .unwrap_or((0, 0))
}

/// nextpnr's Fmax: the slowest clock of its last timing report (the lines
/// "Max frequency for clock 'NAME': X MHz"; a report ends where another line
/// comes between them or a clock is named again: the last report is the one
/// after routing).
fn fmax(log: &str) -> Option<f64> {
    let mut last: Vec<(&str, f64)> = Vec::new();
    let mut in_report = false;
    for line in log.lines() {
        let clock = line.split_once("Max frequency for clock '").and_then(|(_, rest)| {
            let (name, rest) = rest.split_once("': ")?;
            Some((name, rest.split_whitespace().next()?.parse::<f64>().ok()?))
        });
        match clock {
            Some(c) if in_report && last.iter().all(|(name, _)| *name != c.0) => last.push(c),
            Some(c) => {
                last = vec![c];
                in_report = true;
            }
            None => in_report = false,
        }
    }
    last.into_iter().map(|(_, f)| f).reduce(f64::min)
}

/// Synthesize, place and route `verilog` (module `top`) for the UP5K in the
/// sg48 package at `target_mhz`, with placer seed `seed`, pins unconstrained.
pub fn implement_up5k(verilog: &str, target_mhz: f64, seed: u32) -> Result<Implementation, RungError> {
    implement(
        verilog,
        &Flow {
            device: Device::UP5K_SG48,
            target_mhz,
            seed,
            constraints: None,
            bitstream: None,
        },
    )
}

/// Synthesize, place and route `verilog` (module `top`) as `flow` says, and
/// pack the bitstream if asked, with the tools of the part's [`Family`]. A
/// design that does not meet the target still reports its Fmax (nextpnr runs
/// with `--timing-allow-fail`; the caller decides); one that does not fit or
/// route is an error, as is any tool's non-zero exit.
pub fn implement(verilog: &str, flow: &Flow) -> Result<Implementation, RungError> {
    let family = flow.device.family;
    let names = CellNames::of(family);
    let scratch = Scratch::new("pnr")?;
    scratch.write("top.v", verilog)?;
    let defines = flow.device.verilog_defines();
    let read = if defines.is_empty() {
        "read_verilog top.v".to_string()
    } else {
        format!("read_verilog {defines} top.v")
    };
    let script = format!(
        "{read}; {} {} -top top; {}write_json top.json; tee -q -o stat.txt stat",
        family.synth_pass(),
        flow.device.synth,
        family.synth_cleanup()
    );
    run(flow.device.yosys, &["-q", "-p", &script], scratch.path())?;
    let stat = std::fs::read_to_string(scratch.path().join("stat.txt")).map_err(|cause| RungError::Io {
        path: scratch.path().join("stat.txt"),
        cause,
    })?;
    let freq = format!("{}", flow.target_mhz);
    let seed = flow.seed.to_string();
    let mut args: Vec<&str> = flow.device.nextpnr.to_vec();
    args.extend([
        "--json",
        "top.json",
        "--freq",
        &freq,
        "--seed",
        &seed,
        "--timing-allow-fail",
    ]);
    args.extend(["--log", "pnr.log", "-q"]);
    let constraints = family.constraints();
    let (constraints_file, constraints_option, unconstrained) = (
        format!("top.{constraints}"),
        format!("--{constraints}"),
        format!("--{constraints}-allow-unconstrained"),
    );
    match flow.constraints {
        Some(text) => {
            scratch.write(&constraints_file, text)?;
            args.extend([constraints_option.as_str(), constraints_file.as_str()]);
        }
        None => args.push(&unconstrained),
    }
    if flow.bitstream.is_some() {
        args.extend([family.routed_option(), "top.routed"]);
    }
    run(family.nextpnr(), &args, scratch.path())?;
    if let Some(out) = flow.bitstream {
        let packed = [family.packer_options(), &["top.routed", "top.bitstream"]].concat();
        run(family.packer(), &packed, scratch.path())?;
        std::fs::copy(scratch.path().join("top.bitstream"), out).map_err(|cause| RungError::Io {
            path: out.to_path_buf(),
            cause,
        })?;
    }
    let log = std::fs::read_to_string(scratch.path().join("pnr.log")).map_err(|cause| RungError::Io {
        path: scratch.path().join("pnr.log"),
        cause,
    })?;
    let flip_flops = names.flip_flops.iter().map(|c| count(&stat, c)).sum();
    Ok(Implementation {
        logic_cells: used(&log, names.logic),
        luts: count(&stat, names.lut),
        carries: count(&stat, names.carry),
        flip_flops,
        bram: used(&log, names.bram),
        spram: names.spram.map_or((0, 0), |spram| used(&log, spram)),
        dsp: used(&log, names.dsp),
        fmax_mhz: fmax(&log).ok_or_else(|| RungError::Failed {
            tool: family.nextpnr(),
            status: std::process::ExitStatus::default(),
            output: "no Max frequency line in its log".into(),
        })?,
        target_mhz: flow.target_mhz,
        device: flow.device,
        seed: flow.seed,
        yosys: version(flow.device.yosys),
        nextpnr: version(family.nextpnr()),
    })
}

/// A tool's version: the first line of `--version` that names it (nextpnr
/// prints it on stderr; the WebAssembly builds first say they are starting).
fn version(tool: &str) -> String {
    std::process::Command::new(tool)
        .arg("--version")
        .output()
        .map(|o| {
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            text.lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with("Preparing to run"))
                .unwrap_or("")
                .to_string()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_tool_logs() {
        let log = "Info: Device utilisation:\nInfo: \t         ICESTORM_LC:  4701/ 5280    89%\n\
                   Info: \t        ICESTORM_RAM:    29/   30    96%\n\
                   Info: Max frequency for clock 'clk': 22.28 MHz (FAIL at 24.00 MHz)\n\
                   Info: Max frequency for clock 'clk': 25.10 MHz (PASS at 24.00 MHz)\n";
        assert_eq!(used(log, "ICESTORM_LC"), (4701, 5280));
        assert_eq!(used(log, "ICESTORM_RAM"), (29, 30));
        assert_eq!(used(log, "ICESTORM_DSP"), (0, 0));
        assert_eq!(fmax(log), Some(25.10));
        let stat = "   Number of cells:   7\n     SB_CARRY    939\n     SB_LUT4   3836\n";
        assert_eq!((count(stat, "SB_LUT4"), count(stat, "SB_CARRY")), (3836, 939));
        // yosys 0.70 puts the count first.
        let stat = "     6250 cells\n      497   CCU2C\n     3324   LUT4\n     1485   TRELLIS_FF\n";
        assert_eq!(
            (count(stat, "LUT4"), count(stat, "CCU2C"), count(stat, "TRELLIS_FF")),
            (3324, 497, 1485)
        );
        let log = "Info: \t          TRELLIS_FF:    1485/  83640     1%\n\
                   Info: \t        TRELLIS_COMB:    4596/  83640     5%\n\
                   Info: Max frequency for clock '$glbnet$board.activity.clock': 43.70 MHz (PASS at 30.00 MHz)\n";
        assert_eq!(used(log, "TRELLIS_COMB"), (4596, 83640));
        assert_eq!(fmax(log), Some(43.70));
        // Two clocks in the last report: the slower one counts.
        let log = "Info: Max frequency for clock 'a': 20.00 MHz (FAIL at 30.00 MHz)\nInfo: x\n\
                   Info: Max frequency for clock 'a': 41.00 MHz (PASS at 30.00 MHz)\n\
                   Info: Max frequency for clock 'b': 35.50 MHz (PASS at 30.00 MHz)\n";
        assert_eq!(fmax(log), Some(35.50));
    }
}
