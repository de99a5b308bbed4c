//! `spikefab-firmware`: build the boards' bitstreams (`make bitstreams`), or
//! print a board top's Verilog and pin constraints.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use spikefab_chip::board::{Board, BOARDS};
use spikefab_firmware::build::{build, top_verilog};

#[derive(Parser)]
#[command(name = "spikefab-firmware", version, about = "Spikefab board tops and bitstreams")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Synthesize, place, route and pack bitstreams (with a report beside each).
    Build {
        /// Board name, or `all`.
        #[arg(long, default_value = "all")]
        board: String,
        /// Output folder.
        #[arg(long, default_value = "bitstreams")]
        out: PathBuf,
        /// nextpnr placer seed.
        #[arg(long, default_value_t = 1)]
        seed: u32,
    },
    /// Print a board top's Verilog.
    Verilog {
        /// Board name.
        #[arg(long)]
        board: String,
    },
    /// Print a board's pin constraints (a PCF for an iCE40 board, an LPF for an ECP5 one).
    #[command(alias = "pcf")]
    Constraints {
        /// Board name.
        #[arg(long)]
        board: String,
    },
    /// List the boards.
    Boards,
}

fn board(name: &str) -> Result<&'static Board> {
    Board::by_name(name).with_context(|| {
        let known: Vec<&str> = BOARDS.iter().map(|b| b.name).collect();
        format!("no board `{name}`; the boards are: {}", known.join(", "))
    })
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Build { board: name, out, seed } => {
            let boards: Vec<&'static Board> = if name == "all" {
                BOARDS.iter().collect()
            } else {
                vec![board(&name)?]
            };
            for b in boards {
                let family = b.family();
                eprintln!(
                    "building {} ({}, {}, {}; a few minutes)",
                    b.title,
                    b.core.device.yosys,
                    family.nextpnr(),
                    family.packer()
                );
                let built = build(b, &out, seed)?;
                let imp = &built.implementation;
                println!(
                    "{}: {} ({} of {} logic cells, {} BRAM, {} SPRAM, {} multipliers; Fmax {:.2} MHz at {} MHz), report {}",
                    b.name,
                    built.bitstream.display(),
                    imp.logic_cells.0,
                    imp.logic_cells.1,
                    imp.bram.0,
                    imp.spram.0,
                    imp.dsp.0,
                    imp.fmax_mhz,
                    b.core_mhz,
                    built.report.display()
                );
            }
        }
        Command::Verilog { board: name } => print!("{}", top_verilog(board(&name)?)?),
        Command::Constraints { board: name } => print!("{}", board(&name)?.constraints()),
        Command::Boards => {
            for b in BOARDS {
                println!(
                    "{:<12} {} ({} core at {} MHz, {} baud)",
                    b.name, b.title, b.core.name, b.core_mhz, b.baud
                );
            }
        }
    }
    Ok(())
}
