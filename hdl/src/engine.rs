//! RTL simulation engines: the core behind its two byte streams, simulated
//! by rust-hdl's own simulator ([`crate::cosim::ByteChip`], the reference
//! rung) or by Verilator from the Verilog rust-hdl emits for it
//! ([`crate::verilator::VerilatedCore`], hardware speed). Both sit behind one
//! seam, [`ByteEngine`], so that the co-simulation ([`crate::cosim::Cosim`]),
//! the host's virtual chip and every test drive either unchanged.

use crate::core::Core;
use crate::cores::{self, CoreVisitor};
use crate::cosim::ByteChip;
use crate::verilator::{VerilatedCore, VerilatorError};
use spikefab_chip::config::CoreConfig;

/// A core behind its byte streams, clocked by some simulator.
///
/// Each clock the engine offers the next queued byte to the core, takes the
/// byte the core sends, if any (the host side is always ready), and clocks
/// the core: exactly what [`crate::rungs::byte_bench`] does in Verilog and
/// what the board's FIFO and UART do around the core.
pub trait ByteEngine: Send {
    /// The core's configuration.
    fn config(&self) -> CoreConfig;
    /// Which simulator runs it.
    fn kind(&self) -> EngineKind;
    /// One line on the simulator and the model (version, build).
    fn describe(&self) -> String;
    /// Queue bytes for the core; it takes them one per clock when ready.
    fn push(&mut self, bytes: &[u8]);
    /// Bytes queued that the core has not taken yet.
    fn pending(&self) -> usize;
    /// No byte queued and the core has nothing to do: clocking it would
    /// change nothing until the next byte.
    fn is_idle(&self) -> bool;
    /// Run at most `max_clocks` clocks, appending the bytes the core sends to
    /// `out`; stop early once idle, or after the clock whose byte fills
    /// `room` (a receiver with room for that many: a board's transmit
    /// buffer). Returns the clocks run.
    fn run(&mut self, max_clocks: u64, room: usize, out: &mut Vec<u8>) -> u64;
    /// Clocks run since the engine was made.
    fn clocks(&self) -> u64;
    /// Write the core's signals, every half clock from now on, to the VCD
    /// file `path` (engines that can; the others refuse).
    fn trace_to(&mut self, path: &std::path::Path) -> Result<(), EngineError> {
        let _ = path;
        Err(EngineError::NoWaveforms(self.kind()))
    }
    /// Stop writing the waveform and close its file.
    fn trace_off(&mut self) {}
}

pub use spikefab_chip::engine::{EngineKind, UnknownEngine};

/// The engine to use when none is chosen: Verilator where it is installed,
/// else rust-hdl's simulator.
pub fn preferred() -> EngineKind {
    if crate::verilator::verilator_version().is_ok() {
        EngineKind::Verilator
    } else {
        EngineKind::RustHdl
    }
}

/// Why an engine could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// No RTL core is built for this configuration.
    #[error("no RTL core for the core configuration `{name}` (the cores are {known})")]
    UnknownCore {
        /// The configuration's name.
        name: String,
        /// The registry's names.
        known: String,
    },
    /// Waveforms asked of an engine that does not write them.
    #[error("the {0} engine writes no waveforms; use the verilator engine")]
    NoWaveforms(EngineKind),
    /// Verilator could not build or load the model.
    #[error(transparent)]
    Verilator(#[from] VerilatorError),
    /// Synthesis (for a netlist model) failed.
    #[error(transparent)]
    Synthesis(#[from] crate::rungs::RungError),
}

/// The Verilog rust-hdl emits for the core of `config` (module `top`).
pub fn core_verilog(config: CoreConfig) -> Result<String, EngineError> {
    struct Emit;
    impl CoreVisitor for Emit {
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
            use rust_hdl::prelude::*;
            let mut core = Core::<NB, MB, DB, SB, SRCB, RB, AB, XB>::default();
            core.connect_all();
            generate_verilog(&core)
        }
    }
    cores::visit(config, Emit).ok_or_else(|| unknown(config))
}

/// A fresh core of `config` (all memories zero) on the engine `kind`. A
/// Verilator model is compiled on first use and cached ([`crate::verilator`]).
pub fn open(kind: EngineKind, config: CoreConfig) -> Result<Box<dyn ByteEngine>, EngineError> {
    struct RustHdl;
    impl CoreVisitor for RustHdl {
        type Output = Box<dyn ByteEngine>;
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
        ) -> Box<dyn ByteEngine> {
            Box::new(ByteChip::<Core<NB, MB, DB, SB, SRCB, RB, AB, XB>>::new())
        }
    }
    Ok(match kind {
        EngineKind::Verilator => Box::new(VerilatedCore::new(config)?),
        EngineKind::RustHdl => cores::visit(config, RustHdl).ok_or_else(|| unknown(config))?,
    })
}

fn unknown(config: CoreConfig) -> EngineError {
    EngineError::UnknownCore {
        name: config.name.to_string(),
        known: CoreConfig::known_names(),
    }
}

/// Core clocks per second of the engine `kind` on the core of `config`: a
/// scratch core (all memories zero) runs one empty STEP after another for
/// about `time` and the clocks are counted. Every tick updates every neuron
/// (N + 6 clocks and more), so the core is busy throughout; the network is
/// empty.
pub fn clock_rate(kind: EngineKind, config: CoreConfig, time: std::time::Duration) -> Result<f64, EngineError> {
    use spikefab_proto::message::Command;
    use spikefab_proto::stream::SpikeWords;
    let step = Command::Step {
        inputs: SpikeWords::List(Vec::new()),
    };
    let mut chip = open(kind, config)?;
    let mut out = Vec::new();
    let start = std::time::Instant::now();
    let (mut clocks, mut seq) = (0, 0u8);
    while start.elapsed() < time {
        // STEPs queued well ahead, each following the one before (§10.4).
        while chip.pending() < 256 {
            seq = seq.wrapping_add(1);
            chip.push(&step.frame(seq).encode());
        }
        clocks += chip.run(kind.batch_clocks(), usize::MAX, &mut out);
        out.clear();
    }
    Ok(clocks as f64 / start.elapsed().as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_names_round_trip() {
        for k in EngineKind::ALL {
            assert_eq!(k.name().parse::<EngineKind>().unwrap(), k);
        }
        assert_eq!(
            "icarus".parse::<EngineKind>().unwrap_err().to_string(),
            "no RTL engine `icarus` (the engines are verilator and rust-hdl)"
        );
    }

    #[test]
    fn unknown_core_is_named() {
        let odd = CoreConfig::from_sizes(32, 32, 8, 4096).unwrap();
        let e = open(EngineKind::RustHdl, odd).err().unwrap();
        assert_eq!(
            e.to_string(),
            "no RTL core for the core configuration `custom` (the cores are up5k, hx8k, ecp5 and tiny)"
        );
    }
}
