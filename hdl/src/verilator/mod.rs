//! The Verilator engine: the core's emitted Verilog (the text the bitstreams
//! are built from) compiled by Verilator into a native model and driven
//! through the same byte interface as rust-hdl's simulator
//! ([`crate::engine::ByteEngine`]), 80 to 100 times faster (`docs/hardware.md`).
//!
//! [`library`] builds and caches the models (any Verilog with the core's
//! ports: the core itself, or its yosys netlist with the iCE40 or ECP5
//! cell library); [`VerilatedCore`] is one instance of a model. A model built
//! with `trace` writes the core's signals to a VCD file on request
//! ([`VerilatedCore::trace_to`]), for GTKWave or Surfer.
//!
//! Verilator is two-state: where rust-hdl's simulator or Icarus would show X
//! (a register never reset), the model reads 0. The equivalence tests
//! against `sim/` are what make the engine trustworthy, not the build.

pub mod library;
pub mod uart_host;

use std::collections::HashMap;
use std::ffi::c_void;
use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex};

pub use library::{load, models_dir, verilator_version, ModelLibrary, ModelSpec, VerilatorError};

use crate::engine::{core_verilog, ByteEngine, EngineKind};
use crate::rungs::{ecp5_cells_sim, ice40_cells_sim, synth_ice40, synth_netlist_keeping_memories};
use spikefab_chip::config::CoreConfig;
use spikefab_chip::device::Family;

/// Room for the bytes one call into the model may send.
const OUT_CHUNK: usize = 1 << 16;

/// One instance of a Verilator model of a core, behind its byte streams.
pub struct VerilatedCore {
    lib: Arc<ModelLibrary>,
    model: *mut c_void,
    config: CoreConfig,
    /// Bytes for the core: `queue[head..]` are still to be taken.
    queue: Vec<u8>,
    head: usize,
    clocks: u64,
    tracing: bool,
    out: Vec<u8>,
}

// SAFETY: the model is one C++ object with its own VerilatedContext, used by
// one thread at a time (the struct is not Sync), and the library it lives
// in is kept loaded by the Arc.
unsafe impl Send for VerilatedCore {}

impl VerilatedCore {
    /// A fresh core of `config` (all memories zero): its emitted Verilog,
    /// compiled on first use (a few seconds) and cached.
    pub fn new(config: CoreConfig) -> Result<Self, crate::engine::EngineError> {
        Self::build(config, false)
    }

    /// Like [`VerilatedCore::new`], from a model built with waveform
    /// tracing (slower; for [`VerilatedCore::trace_to`]).
    pub fn traceable(config: CoreConfig) -> Result<Self, crate::engine::EngineError> {
        Self::build(config, true)
    }

    fn build(config: CoreConfig, trace: bool) -> Result<Self, crate::engine::EngineError> {
        // The Verilog of a configuration is fixed for this program: emit it
        // and look its model up once per process.
        type Key = (CoreConfig, bool);
        static CORES: LazyLock<Mutex<HashMap<Key, Arc<ModelLibrary>>>> = LazyLock::new(Default::default);
        let mut cores = CORES.lock().unwrap_or_else(|p| p.into_inner());
        let lib = match cores.get(&(config, trace)) {
            Some(lib) => lib.clone(),
            None => {
                let mut spec = ModelSpec::new(&format!("core-{}", config.name), core_verilog(config)?);
                spec.trace = trace;
                let lib = load(&spec)?;
                cores.insert((config, trace), lib.clone());
                lib
            }
        };
        drop(cores);
        Ok(Self::with_library(lib, config))
    }

    /// A fresh core of `config` as yosys's netlist of its emitted Verilog for
    /// the part's family, simulated with yosys's cell library: the gates the
    /// bitstream is placed from. iCE40: `synth_ice40` with the part's hard
    /// blocks ([`CoreConfig::device`]) and `ice40/cells_sim.v`. ECP5:
    /// `synth_ecp5 -nodsp` (yosys has no simulation model of the ECP5's
    /// multiplier, so the netlist's multipliers are LUTs where the
    /// bitstream's are MULT18X18D; every other cell, block RAMs included, is
    /// the bitstream's) and `ecp5/cells_sim.v`. Synthesis and the model are
    /// cached; the first build takes a minute or two.
    pub fn netlist(config: CoreConfig) -> Result<Self, crate::engine::EngineError> {
        let spec = family_netlist(
            &format!("netlist-{}", config.name),
            config,
            &core_verilog(config)?,
            |n| Some(n.to_string()),
        )?;
        Ok(Self::with_library(load(&spec)?, config))
    }

    /// A whole board top of a core of `config` (`board_verilog`, the board's
    /// emitted Verilog with module `top` and the pins of
    /// [`uart_host::uart_host`]) as yosys's netlist for the part's family, as
    /// [`VerilatedCore::netlist`] makes it, driven through its pins: the bytes
    /// go to its `rx` pin and come from its `tx` pin over a simulated UART
    /// line of `clocks_per_bit`, after `startup_clocks` (the board's start-up
    /// hold). Slower than the core's netlist: every byte takes ten bits of
    /// line. Its `idle` is the wrapper's, from the frames counted each way
    /// ([`uart_host`]).
    pub fn board_netlist(
        config: CoreConfig,
        board_verilog: &str,
        clocks_per_bit: u32,
        startup_clocks: u32,
    ) -> Result<Self, crate::engine::EngineError> {
        let label = format!("board-netlist-{}-{clocks_per_bit}", config.name);
        let mut spec = family_netlist(&label, config, board_verilog, uart_host::rename_top)?;
        spec.sources.push((
            "uart_host.v".to_string(),
            uart_host::uart_host(clocks_per_bit, startup_clocks),
        ));
        Ok(Self::with_library(load(&spec)?, config))
    }

    /// A fresh instance of an already built model of a core of `config`
    /// (for example its post-synthesis netlist).
    pub fn with_library(lib: Arc<ModelLibrary>, config: CoreConfig) -> Self {
        // SAFETY: the harness's constructor takes no arguments.
        let model = unsafe { (lib.api.new)() };
        assert!(!model.is_null(), "the Verilator model could not be made");
        VerilatedCore {
            lib,
            model,
            config,
            queue: Vec::new(),
            head: 0,
            clocks: 0,
            tracing: false,
            out: vec![0; OUT_CHUNK],
        }
    }

    /// The model's library (its path, build time, tracing).
    pub fn library(&self) -> &ModelLibrary {
        &self.lib
    }

    /// The model's library, to make more instances of it
    /// ([`VerilatedCore::with_library`]).
    pub fn library_arc(&self) -> Arc<ModelLibrary> {
        self.lib.clone()
    }

    /// Write every signal of the core, at every half clock from now on, to
    /// the VCD file `path` (until [`VerilatedCore::trace_off`]). One clock
    /// is two time units; time 0 is the model's first evaluation.
    pub fn trace_to(&mut self, path: &Path) -> Result<(), VerilatorError> {
        self.lib.trace_open(self.model, path)?;
        self.tracing = true;
        Ok(())
    }

    /// Stop writing the waveform and close its file.
    pub fn trace_off(&mut self) {
        if self.tracing {
            // SAFETY: a live instance of this library.
            unsafe { (self.lib.api.trace_close)(self.model) };
            self.tracing = false;
        }
    }
}

/// The model of `verilog` (a design of a core of `config`) as yosys's
/// netlist for the part's family, simulated with yosys's cell library:
/// iCE40: `synth_ice40` with the part's hard blocks and `ice40/cells_sim.v`;
/// ECP5: `synth_ecp5 -nodsp` with the memories kept as their RTL (yosys's
/// DP16KD model is empty) and `ecp5/cells_sim.v`. `top` names the netlist's
/// top module for the model (the identity for a core, [`uart_host::rename_top`]
/// for a board behind the wrapper).
fn family_netlist(
    label: &str,
    config: CoreConfig,
    verilog: &str,
    top: impl Fn(&str) -> Option<String>,
) -> Result<ModelSpec, crate::engine::EngineError> {
    let (netlist, memories, cells, args) = match config.device.family {
        Family::Ice40 => (
            synth_ice40(verilog, config.device.synth)?,
            None,
            ice40_cells_sim()?,
            vec!["-DNO_ICE40_DEFAULT_ASSIGNMENTS".to_string()],
        ),
        Family::Ecp5 => {
            let cells = ecp5_cells_sim()?;
            let include = cells.parent().map(|d| format!("-I{}", d.display())).unwrap_or_default();
            let (netlist, memories) = synth_netlist_keeping_memories(Family::Ecp5, verilog, "-nodsp")?;
            (netlist, Some(memories), cells, vec![include])
        }
    };
    let netlist = top(&netlist).ok_or_else(|| crate::rungs::RungError::Refused {
        name: label.to_string(),
        reason: "the netlist has no module `top`".to_string(),
    })?;
    let mut spec = ModelSpec::new(label, netlist);
    if let Some(memories) = memories {
        spec.sources.push(("memories.v".to_string(), memories));
    }
    spec.libraries.push(cells);
    spec.args.extend(["-Wno-lint", "-Wno-style"].map(String::from));
    spec.args.extend(args);
    Ok(spec)
}

impl Drop for VerilatedCore {
    fn drop(&mut self) {
        self.trace_off();
        // SAFETY: made by this library's constructor, freed once.
        unsafe { (self.lib.api.free)(self.model) };
    }
}

impl ByteEngine for VerilatedCore {
    fn config(&self) -> CoreConfig {
        self.config
    }

    fn kind(&self) -> EngineKind {
        EngineKind::Verilator
    }

    fn describe(&self) -> String {
        let version = verilator_version().unwrap_or_else(|_| "Verilator".to_string());
        let version = version.split(" rev").next().unwrap_or(&version);
        match self.lib.build_time() {
            Some(t) => format!(
                "{version}, model of the emitted Verilog built in {:.1} s",
                t.as_secs_f64()
            ),
            None => format!("{version}, model of the emitted Verilog from the cache"),
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        if self.head == self.queue.len() {
            self.queue.clear();
            self.head = 0;
        }
        self.queue.extend_from_slice(bytes);
    }

    fn pending(&self) -> usize {
        self.queue.len() - self.head
    }

    fn is_idle(&self) -> bool {
        // SAFETY: a live instance of this library.
        self.pending() == 0 && unsafe { (self.lib.api.idle)(self.model) } != 0
    }

    fn run(&mut self, max_clocks: u64, room: usize, out: &mut Vec<u8>) -> u64 {
        let (mut total, mut room) = (0, room);
        while total < max_clocks && room > 0 {
            let input = &self.queue[self.head..];
            let (mut taken, mut sent) = (0usize, 0usize);
            let cap = self.out.len().min(room);
            // SAFETY: `input` and `self.out` are live buffers of the lengths
            // passed; the harness writes at most `out.len()` bytes.
            let clocks = unsafe {
                (self.lib.api.run)(
                    self.model,
                    input.as_ptr(),
                    input.len(),
                    &mut taken,
                    self.out.as_mut_ptr(),
                    cap,
                    &mut sent,
                    max_clocks - total,
                )
            };
            debug_assert!(taken <= input.len() && sent <= cap);
            self.head += taken;
            out.extend_from_slice(&self.out[..sent]);
            total += clocks;
            room -= sent;
            // The harness returns early only when idle or with `out` full.
            if sent < cap {
                break;
            }
        }
        if self.head > 1 << 16 && self.head * 2 > self.queue.len() {
            self.queue.drain(..self.head);
            self.head = 0;
        }
        self.clocks += total;
        total
    }

    fn clocks(&self) -> u64 {
        self.clocks
    }

    fn trace_to(&mut self, path: &Path) -> Result<(), crate::engine::EngineError> {
        Ok(VerilatedCore::trace_to(self, path)?)
    }

    fn trace_off(&mut self) {
        VerilatedCore::trace_off(self)
    }
}
