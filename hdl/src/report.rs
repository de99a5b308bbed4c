//! Implementation: a design synthesized for an iCE40 with yosys
//! (`synth_ice40`), placed and routed with nextpnr-ice40 and, for a board,
//! packed into a bitstream with icepack; with the resources and the maximum
//! clock frequency the tools report. `make hdl-report` writes the bare core's
//! into `docs/hardware.md`; `firmware/` builds the boards' bitstreams with it.

use std::path::Path;

use spikefab_chip::device::Device;

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
    /// Pin constraints (PCF text); without them pins are left to the placer.
    pub pcf: Option<&'a str>,
    /// Where to write the bitstream (icepack); none: no bitstream.
    pub bitstream: Option<&'a Path>,
}

/// What the tools report for one design.
#[derive(Debug, Clone, PartialEq)]
pub struct Implementation {
    /// Logic cells used (LUT4 + carry + flip-flop) and available.
    pub logic_cells: (u32, u32),
    /// LUT4s after synthesis.
    pub luts: u32,
    /// Carry cells after synthesis.
    pub carries: u32,
    /// Flip-flops after synthesis.
    pub flip_flops: u32,
    /// Block RAMs (SB_RAM40_4K) used and available.
    pub bram: (u32, u32),
    /// SPRAMs (SB_SPRAM256KA) used and available.
    pub spram: (u32, u32),
    /// DSPs (SB_MAC16) used and available.
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

fn count(stat: &str, cell: &str) -> u32 {
    stat.lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            (w.next()? == cell).then(|| w.next()?.parse::<u32>().ok())?
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

/// Parse nextpnr's last "Max frequency for clock ...: X MHz" line.
fn fmax(log: &str) -> Option<f64> {
    log.lines()
        .filter(|l| l.contains("Max frequency for clock"))
        .filter_map(|l| l.split("': ").nth(1)?.split_whitespace().next()?.parse().ok())
        .next_back()
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
            pcf: None,
            bitstream: None,
        },
    )
}

/// Synthesize, place and route `verilog` (module `top`) as `flow` says, and
/// pack the bitstream if asked. A design that does not meet the target still
/// reports its Fmax (nextpnr runs with `--timing-allow-fail`; the caller
/// decides); one that does not fit or route is an error, as is any tool's
/// non-zero exit.
pub fn implement(verilog: &str, flow: &Flow) -> Result<Implementation, RungError> {
    let scratch = Scratch::new("pnr")?;
    scratch.write("top.v", verilog)?;
    let script = format!(
        "read_verilog top.v; synth_ice40 {} -top top -json top.json; tee -q -o stat.txt stat",
        flow.device.synth
    );
    run("yosys", &["-q", "-p", &script], scratch.path())?;
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
    match flow.pcf {
        Some(pcf) => {
            scratch.write("top.pcf", pcf)?;
            args.extend(["--pcf", "top.pcf"]);
        }
        None => args.push("--pcf-allow-unconstrained"),
    }
    if flow.bitstream.is_some() {
        args.extend(["--asc", "top.asc"]);
    }
    run("nextpnr-ice40", &args, scratch.path())?;
    if let Some(out) = flow.bitstream {
        run("icepack", &["top.asc", "top.bin"], scratch.path())?;
        std::fs::copy(scratch.path().join("top.bin"), out).map_err(|cause| RungError::Io {
            path: out.to_path_buf(),
            cause,
        })?;
    }
    let log = std::fs::read_to_string(scratch.path().join("pnr.log")).map_err(|cause| RungError::Io {
        path: scratch.path().join("pnr.log"),
        cause,
    })?;
    let flip_flops = [
        "SB_DFF",
        "SB_DFFE",
        "SB_DFFSR",
        "SB_DFFSS",
        "SB_DFFESR",
        "SB_DFFESS",
        "SB_DFFR",
        "SB_DFFS",
    ]
    .iter()
    .map(|c| count(&stat, c))
    .sum();
    // nextpnr prints its version on stderr.
    let version = |tool: &'static str| -> String {
        std::process::Command::new(tool)
            .arg("--version")
            .output()
            .map(|o| {
                let text = format!(
                    "{}{}",
                    String::from_utf8_lossy(&o.stdout),
                    String::from_utf8_lossy(&o.stderr)
                );
                text.lines().next().unwrap_or("").trim().to_string()
            })
            .unwrap_or_default()
    };
    Ok(Implementation {
        logic_cells: used(&log, "ICESTORM_LC"),
        luts: count(&stat, "SB_LUT4"),
        carries: count(&stat, "SB_CARRY"),
        flip_flops,
        bram: used(&log, "ICESTORM_RAM"),
        spram: used(&log, "ICESTORM_SPRAM"),
        dsp: used(&log, "ICESTORM_DSP"),
        fmax_mhz: fmax(&log).ok_or_else(|| RungError::Failed {
            tool: "nextpnr-ice40",
            status: std::process::ExitStatus::default(),
            output: "no Max frequency line in its log".into(),
        })?,
        target_mhz: flow.target_mhz,
        device: flow.device,
        seed: flow.seed,
        yosys: version("yosys"),
        nextpnr: version("nextpnr-ice40"),
    })
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
    }
}
