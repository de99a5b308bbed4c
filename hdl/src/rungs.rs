//! The Verilog rungs of the equivalence ladder: the Verilog that rust-hdl
//! emits, simulated by Icarus Verilog, and the netlist yosys makes of it for
//! the iCE40 (`synth_ice40`, `write_verilog`), simulated with yosys's own
//! `ice40/cells_sim.v`. The second rung is what catches yosys reading
//! rust-hdl's constants differently from the simulators.
//!
//! Needs `iverilog`, `vvp` and `yosys` on the PATH (`make setup` installs them).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Why a rung could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RungError {
    /// A tool is not installed.
    #[error("{tool} not found ({cause}); install it with `make setup` (Debian: apt-get install yosys iverilog)")]
    Missing {
        /// The tool.
        tool: &'static str,
        /// The OS error.
        cause: std::io::Error,
    },
    /// A tool ran and failed.
    #[error("{tool} failed ({status}):\n{output}")]
    Failed {
        /// The tool.
        tool: &'static str,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// What it printed (stdout, then stderr).
        output: String,
    },
    /// Scratch files could not be written.
    #[error("{path}: {cause}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        cause: std::io::Error,
    },
    /// yosys's iCE40 simulation library is not where it should be.
    #[error("cannot find yosys's ice40/cells_sim.v (looked in {0})")]
    NoCellLibrary(String),
}

/// A scratch folder, removed when dropped.
pub struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    /// A new empty folder under the system temp dir, named after `label`.
    pub fn new(label: &str) -> Result<Self, RungError> {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("spikefab-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|cause| RungError::Io {
            path: dir.clone(),
            cause,
        })?;
        Ok(Scratch { dir })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Write `text` to `name` in the folder; returns its path.
    pub fn write(&self, name: &str, text: &str) -> Result<PathBuf, RungError> {
        let path = self.dir.join(name);
        std::fs::write(&path, text).map_err(|cause| RungError::Io {
            path: path.clone(),
            cause,
        })?;
        Ok(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Run `tool` with `args` in `dir`; its stdout on success.
fn run(tool: &'static str, args: &[&str], dir: &Path) -> Result<String, RungError> {
    let out = Command::new(tool)
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|cause| RungError::Missing { tool, cause })?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        return Err(RungError::Failed {
            tool,
            status: out.status,
            output: format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)),
        });
    }
    Ok(stdout)
}

/// Synthesize the Verilog of module `top` for the iCE40 with yosys and
/// return the gate-level netlist (still module `top`). `dsp` maps multipliers
/// to SB_MAC16 blocks (the UP5K has eight; the HX parts have none).
pub fn synth_ice40(verilog: &str, dsp: bool) -> Result<String, RungError> {
    let scratch = Scratch::new("synth")?;
    scratch.write("top.v", verilog)?;
    let script = format!(
        "read_verilog top.v; synth_ice40 {}-top top; write_verilog -noattr synth.v",
        if dsp { "-dsp " } else { "" }
    );
    run("yosys", &["-q", "-p", &script], scratch.path())?;
    let path = scratch.path().join("synth.v");
    std::fs::read_to_string(&path).map_err(|cause| RungError::Io { path, cause })
}

/// yosys's simulation models of the iCE40 cells (`<prefix>/share/yosys/ice40/cells_sim.v`,
/// found beside the `yosys` on the PATH, or `SPIKEFAB_YOSYS_SHARE`).
pub fn ice40_cells_sim() -> Result<PathBuf, RungError> {
    let mut tried = Vec::new();
    let mut candidates = Vec::new();
    if let Ok(share) = std::env::var("SPIKEFAB_YOSYS_SHARE") {
        candidates.push(PathBuf::from(share));
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            if dir.join("yosys").is_file() {
                if let Some(prefix) = dir.parent() {
                    candidates.push(prefix.join("share/yosys"));
                }
            }
        }
    }
    candidates.push(PathBuf::from("/usr/share/yosys"));
    for share in candidates {
        let file = share.join("ice40/cells_sim.v");
        if file.is_file() {
            return Ok(file);
        }
        tried.push(share.display().to_string());
    }
    Err(RungError::NoCellLibrary(tried.join(", ")))
}

/// Compile `sources` (written to a scratch folder by name and text) together
/// with `libraries` (existing files) in Icarus Verilog, with `tb` as the top
/// module, run it beside the `data` files (e.g. for `$readmemh`), and return
/// what it printed.
pub fn icarus(
    sources: &[(&str, &str)],
    data: &[(&str, &str)],
    libraries: &[PathBuf],
    tb: &str,
) -> Result<String, RungError> {
    let scratch = Scratch::new("icarus")?;
    // cells_sim.v gives some cell ports default values, which Icarus 11
    // cannot parse; yosys's netlists connect every port they use, so the
    // library's switch to leave the defaults out changes nothing here.
    let mut args: Vec<String> = vec![
        "-g2012".into(),
        "-DNO_ICE40_DEFAULT_ASSIGNMENTS".into(),
        "-o".into(),
        "sim.vvp".into(),
        "-s".into(),
        tb.into(),
    ];
    for (name, text) in sources {
        scratch.write(name, text)?;
        args.push((*name).into());
    }
    for (name, text) in data {
        scratch.write(name, text)?;
    }
    for lib in libraries {
        args.push(lib.display().to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run("iverilog", &args, scratch.path())?;
    run("vvp", &["-n", "sim.vvp"], scratch.path())
}
