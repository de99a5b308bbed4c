//! Building a board's bitstream: the board top's Verilog (rust-hdl), yosys,
//! nextpnr with the board's pins and clock, the packer (the tools of the
//! board's FPGA family, `spikefab_chip::device::Family`); every tool's exit
//! code checked, timing required to close at the board's clock, and a report
//! (resources, Fmax, tool versions, git revision) written beside the bitstream.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use rust_hdl::prelude::*;
use spikefab_hdl::cores::{self, CoreVisitor};
use spikefab_hdl::report::{implement, CellNames, Flow, Implementation};
use spikefab_hdl::rungs::RungError;

use crate::pll::{Pll, PllError, PllSettings};
use crate::top::{BoardTop, PllTop};
use spikefab_chip::board::Board;

/// How long the UART is held idle once the PLL locks, microseconds.
pub const STARTUP_US: u32 = 10_000;

/// Core clocks of the start-up hold on `board` ([`STARTUP_US`]).
pub fn startup_clocks(board: &Board) -> u32 {
    board.core_mhz * STARTUP_US
}

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// No board top exists for the board's core configuration.
    #[error("{board}: no board top for the core configuration `{core}`")]
    NoTop {
        /// Board.
        board: &'static str,
        /// Core.
        core: &'static str,
    },
    /// The PLL cannot make the board's core clock.
    #[error("{board}: {source}")]
    Pll {
        /// Board.
        board: &'static str,
        /// Why.
        source: PllError,
    },
    /// A tool is missing or failed.
    #[error("{board}: {source}")]
    Tool {
        /// Board.
        board: &'static str,
        /// What happened.
        source: RungError,
    },
    /// The design routes slower than the board's clock.
    #[error("{board}: timing not met: Fmax {fmax:.2} MHz < {target} MHz (placer seed {seed}); try another --seed")]
    Timing {
        /// Board.
        board: &'static str,
        /// Achieved.
        fmax: f64,
        /// Needed.
        target: u32,
        /// Seed used.
        seed: u32,
    },
    /// Writing the outputs failed.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// OS error.
        source: std::io::Error,
    },
}

/// The PLL setting that makes `board`'s core clock from its oscillator.
pub fn pll_settings(board: &Board) -> Result<PllSettings, BuildError> {
    PllSettings::solve(
        board.core.device.family,
        board.clock_mhz * 1_000_000,
        board.core_mhz * 1_000_000,
    )
    .map_err(|source| BuildError::Pll {
        board: board.name,
        source,
    })
}

/// The Verilog of a board's top (module `top`): the PLL and the board top
/// ([`PllTop`]).
pub fn top_verilog(board: &Board) -> Result<String, BuildError> {
    top_verilog_with(board, pll_settings(board)?)
}

/// [`top_verilog`] with the board's PLL setting already solved.
fn top_verilog_with(board: &Board, pll: PllSettings) -> Result<String, BuildError> {
    let pll = Pll::new(pll, board.pll_pad, board.clock_mhz, board.core_mhz);
    emit_top(board, Some(pll), startup_clocks(board))
}

/// The Verilog of `board`'s top without its PLL ([`BoardTop`]: the core
/// clocked by the `clk` pin, `clock_ready` an input), with its UART's clocks
/// per bit and its LEDs, and a start-up hold of `startup_clocks`: the design
/// a simulation drives through its pins, where a PLL has no model.
pub fn board_top_verilog(board: &Board, startup_clocks: u32) -> Result<String, BuildError> {
    emit_top(board, None, startup_clocks)
}

/// The Verilog of `board`'s top: [`PllTop`] with `pll`, else [`BoardTop`].
fn emit_top(board: &Board, pll: Option<Pll>, startup_clocks: u32) -> Result<String, BuildError> {
    struct Top {
        pll: Option<Pll>,
        clocks_per_bit: u32,
        startup_clocks: u32,
        leds_active_low: bool,
    }
    impl CoreVisitor for Top {
        type Output = String;
        fn visit<
            const NB: usize,
            const MB: usize,
            const DB: usize,
            const SB: usize,
            const SRCB: usize,
            const RB: usize,
            const AB: usize,
            const XB: usize,
        >(
            self,
        ) -> String {
            match self.pll {
                Some(pll) => {
                    let mut top = PllTop::<NB, MB, DB, SB, SRCB, RB, AB, XB>::new(
                        pll,
                        self.clocks_per_bit,
                        self.startup_clocks,
                        self.leds_active_low,
                    );
                    top.connect_all();
                    generate_verilog(&top)
                }
                None => {
                    let mut top = BoardTop::<NB, MB, DB, SB, SRCB, RB, AB, XB>::new(
                        self.clocks_per_bit,
                        self.startup_clocks,
                        self.leds_active_low,
                    );
                    top.connect_all();
                    generate_verilog(&top)
                }
            }
        }
    }
    let top = Top {
        pll,
        clocks_per_bit: board.clocks_per_bit(),
        startup_clocks,
        leds_active_low: board.leds_active_low,
    };
    cores::visit(board.core, top).ok_or(BuildError::NoTop {
        board: board.name,
        core: board.core.name,
    })
}

/// What a build produced.
#[derive(Debug, Clone)]
pub struct Built {
    /// The bitstream.
    pub bitstream: PathBuf,
    /// The report beside it.
    pub report: PathBuf,
    /// What the tools said.
    pub implementation: Implementation,
}

/// Build `board`'s bitstream into `out/<board>.bin` (`.bit` for an ECP5)
/// with its report `out/<board>.md`; fails unless timing closes at the
/// board's clock.
pub fn build(board: &'static Board, out: &Path, seed: u32) -> Result<Built, BuildError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BuildError::Io { path, source }
    };
    std::fs::create_dir_all(out).map_err(io(out))?;
    let revision = git_revision();
    let pll = pll_settings(board)?;
    let verilog = top_verilog_with(board, pll)?;
    let constraints = board.constraints();
    let bitstream = out.join(board.bitstream_file());
    let staged = out.join(format!(".{}.new", board.bitstream_file()));
    let imp = implement(
        &verilog,
        &Flow {
            device: board.core.device,
            target_mhz: board.core_mhz as f64,
            seed,
            constraints: Some(&constraints),
            bitstream: Some(&staged),
        },
    )
    .map_err(|source| BuildError::Tool {
        board: board.name,
        source,
    })?;
    if imp.fmax_mhz < board.core_mhz as f64 {
        let _ = std::fs::remove_file(&staged);
        return Err(BuildError::Timing {
            board: board.name,
            fmax: imp.fmax_mhz,
            target: board.core_mhz,
            seed,
        });
    }
    std::fs::rename(&staged, &bitstream).map_err(io(&bitstream))?;
    let report = out.join(format!("{}.md", board.name));
    std::fs::write(&report, report_text(board, &pll, &imp, &bitstream, &revision)).map_err(io(&report))?;
    Ok(Built {
        bitstream,
        report,
        implementation: imp,
    })
}

/// The start of the report's row naming the tools (yosys; nextpnr; packer).
pub const TOOLS_ROW: &str = "| tools | ";

/// The tools row of a report written by [`build`].
pub fn tools_of(report: &str) -> Option<&str> {
    report.lines().find(|l| l.starts_with(TOOLS_ROW))
}

/// What a bitstream is built from, as git pathspecs from the top of the tree.
const BITSTREAM_SOURCES: &[&str] = &[
    ":/chip",
    ":/hdl",
    ":/firmware",
    ":/proto",
    ":/Cargo.toml",
    ":/Cargo.lock",
];

/// The git revision of the working tree (`-dirty` when what a bitstream is
/// built from has uncommitted changes).
pub fn git_revision() -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(rev) => {
            let args = [
                &["status", "--porcelain", "--untracked-files=no", "--"][..],
                BITSTREAM_SOURCES,
            ]
            .concat();
            let dirty = git(&args).is_some_and(|s| !s.is_empty());
            format!("{rev}{}", if dirty { "-dirty" } else { "" })
        }
        None => "unknown (not a git checkout)".into(),
    }
}

fn report_text(board: &Board, pll: &PllSettings, imp: &Implementation, bitstream: &Path, revision: &str) -> String {
    let bytes = std::fs::metadata(bitstream).map(|m| m.len()).unwrap_or(0);
    let pct = |(a, b): (u32, u32)| format!("{a} / {b} ({:.0}%)", 100.0 * a as f64 / b.max(1) as f64);
    let mut s = String::new();
    let _ = writeln!(s, "# {} bitstream\n", board.title);
    let _ = writeln!(
        s,
        "Made by `make bitstreams` (`spikefab-firmware build --board {}`); do not edit.\n",
        board.name
    );
    let _ = writeln!(s, "| | |\n|---|---|");
    let file = bitstream.file_name().unwrap_or_default().to_string_lossy();
    let _ = writeln!(s, "| bitstream | `{file}` ({bytes} bytes) |");
    let _ = writeln!(
        s,
        "| core | {} (N={} neurons, M={} axons, D={} delay slots, S={} synapse words) |",
        board.core.name,
        board.core.neurons(),
        board.core.axons(),
        board.core.delay_slots(),
        board.core.syn_words()
    );
    let _ = writeln!(s, "| device | {} |", imp.device.name);
    let _ = writeln!(
        s,
        "| clock | core {} MHz, from the {} MHz oscillator by the PLL ({}) |\n| UART | {} baud, 8N1, {} clocks per bit, via {} |",
        board.core_mhz,
        board.clock_mhz,
        pll.dividers(),
        board.baud,
        board.clocks_per_bit(),
        board.bridge
    );
    let names = CellNames::of(imp.device.family);
    let _ = writeln!(s, "| logic cells ({}) | {} |", names.logic, pct(imp.logic_cells));
    let _ = writeln!(
        s,
        "| LUT4 / carry / flip-flops | {} / {} / {} |",
        imp.luts, imp.carries, imp.flip_flops
    );
    let _ = writeln!(s, "| block RAM ({}) | {} |", names.bram_cell, pct(imp.bram));
    if names.spram.is_some() {
        let _ = writeln!(s, "| SPRAM (SB_SPRAM256KA) | {} |", pct(imp.spram));
    }
    let _ = writeln!(s, "| multipliers ({}) | {} |", names.dsp_cell, pct(imp.dsp));
    let _ = writeln!(
        s,
        "| Fmax | **{:.2} MHz** against the {} MHz constraint ({}; placer seed {}) |",
        imp.fmax_mhz,
        board.core_mhz,
        if imp.fmax_mhz >= board.core_mhz as f64 {
            "met"
        } else {
            "NOT met"
        },
        imp.seed
    );
    let _ = writeln!(
        s,
        "{TOOLS_ROW}{}; {}; {} |",
        imp.yosys,
        imp.nextpnr,
        imp.device.family.packer()
    );
    let _ = writeln!(s, "| source | git {revision} |");
    s
}
