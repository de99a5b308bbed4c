//! Flashing a board: find its bitstream and a flashing tool, check the file is
//! a bitstream of the board's FPGA family, run the tool and report what it said when it fails
//! (most often: no board attached).
//!
//! The boards, their tools and the tools' arguments are
//! [`spikefab_chip::board`]'s table; this module only runs them.

use std::path::{Path, PathBuf};
use std::process::Command;

use spikefab_chip::board::{Board, Flasher};

/// How far into the file the family's sync word
/// ([`spikefab_chip::device::Family::sync_word`]) must appear (after the
/// packer's comment).
const SYNC_WITHIN: usize = 4096;

/// Why flashing failed.
#[derive(Debug, thiserror::Error)]
pub enum FlashError {
    /// No bitstream was given and none was found where prebuilt ones live.
    #[error("no bitstream for `{board}`: looked for {}; build it with `make bitstreams` or pass --bitstream FILE", .tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" and "))]
    NoBitstream {
        /// The board.
        board: &'static str,
        /// Where it looked.
        tried: Vec<PathBuf>,
    },
    /// The bitstream could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not a bitstream of the board's family.
    #[error("{path}: not an {family} bitstream (no sync word {sync} in its first {SYNC_WITHIN} bytes)")]
    NotABitstream {
        /// The file.
        path: PathBuf,
        /// The board's FPGA family.
        family: &'static str,
        /// The sync word looked for, in hex.
        sync: String,
    },
    /// The tool asked for is not one this board is flashed with.
    #[error("`{tool}` does not flash the {board}; use one of: {known}")]
    UnknownTool {
        /// Asked for.
        tool: String,
        /// The board.
        board: &'static str,
        /// The board's tools.
        known: String,
    },
    /// None of the board's tools is installed.
    #[error("no flashing tool for the {board} found on PATH (tried {tried}); install one: {install}")]
    NoTool {
        /// The board.
        board: &'static str,
        /// The tools looked for.
        tried: String,
        /// Where each comes from.
        install: String,
    },
    /// The tool could not be started.
    #[error("could not start {tool}: {source}")]
    Spawn {
        /// The tool.
        tool: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// The tool ran and failed.
    #[error("{tool} failed ({status}); is the {board} plugged in, and may this user open its USB device? It said:\n{output}")]
    Failed {
        /// The tool.
        tool: &'static str,
        /// The board.
        board: &'static str,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// What it printed (stdout and stderr).
        output: String,
    },
}

/// A flashing command, ready to run or print.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The board.
    pub board: &'static Board,
    /// The tool.
    pub flasher: Flasher,
    /// The bitstream.
    pub bitstream: PathBuf,
}

impl Plan {
    /// The command line, as a shell would take it.
    pub fn command_line(&self) -> String {
        let mut words = vec![self.flasher.tool.to_string()];
        words.extend(self.flasher.args.iter().map(|a| a.to_string()));
        words.push(shell_quote(&self.bitstream.display().to_string()));
        words.join(" ")
    }

    /// Run the tool; its output is returned on success and quoted in the error on failure.
    pub fn run(&self) -> Result<String, FlashError> {
        let out = Command::new(self.flasher.tool)
            .args(self.flasher.args)
            .arg(&self.bitstream)
            .output()
            .map_err(|source| FlashError::Spawn {
                tool: self.flasher.tool,
                source,
            })?;
        let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
        output.push_str(&String::from_utf8_lossy(&out.stderr));
        if out.status.success() {
            Ok(output)
        } else {
            Err(FlashError::Failed {
                tool: self.flasher.tool,
                board: self.board.title,
                status: out.status,
                output: output.trim_end().to_string(),
            })
        }
    }
}

fn shell_quote(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Where prebuilt bitstreams are looked for when none is given: `bitstreams/`
/// under the current directory, then the one of the source tree this program
/// was built from.
pub fn default_bitstreams(board: &Board) -> Vec<PathBuf> {
    let file = board.bitstream_file();
    let here = Path::new("bitstreams").join(&file);
    let source_tree = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new(".."));
    let built_from = source_tree.join("bitstreams").join(&file);
    let same = matches!((here.canonicalize(), built_from.canonicalize()), (Ok(a), Ok(b)) if a == b);
    if same {
        vec![here]
    } else {
        vec![here, built_from]
    }
}

/// Check that `path` holds a bitstream for `board`'s FPGA family.
pub fn check_bitstream(path: &Path, board: &Board) -> Result<(), FlashError> {
    let bytes = std::fs::read(path).map_err(|source| FlashError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let head = &bytes[..bytes.len().min(SYNC_WITHIN)];
    let family = board.family();
    let sync = family.sync_word();
    if head.windows(sync.len()).any(|w| w == sync) {
        Ok(())
    } else {
        Err(FlashError::NotABitstream {
            path: path.to_path_buf(),
            family: family.name(),
            sync: sync.map(|b| format!("{b:02X}")).join(" "),
        })
    }
}

/// Is `tool` an executable on `PATH`?
pub fn installed(tool: &str) -> bool {
    which::which(tool).is_ok()
}

/// Plan flashing `board` with `bitstream` (default: the prebuilt one) using
/// `tool` (default: the first of the board's tools that is installed). With
/// `need_tool` false (a dry run) the first tool is used even if missing.
pub fn plan(
    board: &'static Board,
    bitstream: Option<&Path>,
    tool: Option<&str>,
    need_tool: bool,
) -> Result<Plan, FlashError> {
    let bitstream = match bitstream {
        Some(p) => p.to_path_buf(),
        None => {
            let tried = default_bitstreams(board);
            tried
                .iter()
                .find(|p| p.is_file())
                .cloned()
                .ok_or(FlashError::NoBitstream {
                    board: board.name,
                    tried,
                })?
        }
    };
    check_bitstream(&bitstream, board)?;
    let names = || board.flashers.iter().map(|f| f.tool).collect::<Vec<_>>().join(", ");
    let flasher = match tool {
        Some(t) => *board
            .flashers
            .iter()
            .find(|f| f.tool.eq_ignore_ascii_case(t))
            .ok_or_else(|| FlashError::UnknownTool {
                tool: t.to_string(),
                board: board.name,
                known: names(),
            })?,
        None if !need_tool => board.flashers[0],
        None => *board
            .flashers
            .iter()
            .find(|f| installed(f.tool))
            .ok_or_else(|| FlashError::NoTool {
                board: board.title,
                tried: names(),
                install: board
                    .flashers
                    .iter()
                    .map(|f| format!("{} ({})", f.tool, f.install))
                    .collect::<Vec<_>>()
                    .join(" or "),
            })?,
    };
    Ok(Plan {
        board,
        flasher,
        bitstream,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikefab_chip::board::{BOARDS, ICEBREAKER, ULX3S};

    /// `bytes` in a file called `name`, in a folder of its own that is
    /// removed when the returned guard is dropped.
    fn temp(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::Builder::new().prefix("spikefab-flash-").tempdir().unwrap();
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        (dir, p)
    }

    #[test]
    fn the_prebuilt_bitstreams_are_bitstreams_of_their_family() {
        for b in BOARDS {
            let path = default_bitstreams(b).pop().unwrap();
            check_bitstream(&path, b).unwrap();
        }
        // And not of the other family.
        let ulx3s = default_bitstreams(&ULX3S).pop().unwrap();
        let e = check_bitstream(&ulx3s, &ICEBREAKER).unwrap_err().to_string();
        assert!(e.contains("not an iCE40 bitstream (no sync word 7E AA 99 7E"), "{e}");
    }

    #[test]
    fn a_file_that_is_not_a_bitstream_is_refused_by_name() {
        let (_dir, p) = temp("net.toml", b"[simulation]\nticks = 3\n");
        let e = plan(&ICEBREAKER, Some(&p), None, false).unwrap_err().to_string();
        assert!(e.contains("net.toml") && e.contains("not an iCE40 bitstream"), "{e}");
        let e = plan(&ICEBREAKER, Some(Path::new("/nonexistent/x.bin")), None, false)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("/nonexistent/x.bin: "), "{e}");
    }

    #[test]
    fn a_dry_run_names_the_tool_its_arguments_and_the_file() {
        let (_dir, p) = temp("my board.bin", &[0xff, 0x00, 0x00, 0xff, 0x7e, 0xaa, 0x99, 0x7e, 0x51]);
        let plan = plan(&ICEBREAKER, Some(&p), None, false).unwrap();
        assert_eq!(
            plan.command_line(),
            format!("openFPGALoader -b ice40_generic '{}'", p.display())
        );
        let plan = super::plan(&ICEBREAKER, Some(&p), Some("iceprog"), false).unwrap();
        assert!(plan.command_line().starts_with("iceprog '"));
        let e = super::plan(&ICEBREAKER, Some(&p), Some("vivado"), false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`vivado`") && e.contains("openFPGALoader, iceprog"), "{e}");
    }

    #[test]
    fn the_ulx3s_is_flashed_over_jtag_with_a_bit_file() {
        let (_dir, p) = temp("ulx3s.bit", b"\xff\x00Part: LFE5U-85F\x00\xff\xff\xff\xbd\xb3\xff");
        let plan = plan(&ULX3S, Some(&p), None, false).unwrap();
        assert_eq!(
            plan.command_line(),
            format!("openFPGALoader -b ulx3s -f {}", p.display())
        );
        let plan = super::plan(&ULX3S, Some(&p), Some("fujprog"), false).unwrap();
        assert!(
            plan.command_line().starts_with("fujprog -j flash "),
            "{}",
            plan.command_line()
        );
        let (_ice40_dir, ice40) = temp(
            "icebreaker.bin",
            &[0xff, 0x00, 0x00, 0xff, 0x7e, 0xaa, 0x99, 0x7e, 0x51],
        );
        let e = super::plan(&ULX3S, Some(&ice40), None, false).unwrap_err().to_string();
        assert!(e.contains("not an ECP5 bitstream (no sync word FF FF BD B3"), "{e}");
    }
}
