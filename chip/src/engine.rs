//! The RTL engines a virtual chip or a test can run the core on, by name:
//! pure data, so that the command line knows them in a build without the
//! RTL (`spikefab-host` without its `virtual-chip` feature). The engines
//! themselves are `spikefab_hdl::engine`'s.

use std::fmt;
use std::str::FromStr;

/// The simulators an RTL core runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EngineKind {
    /// Verilator, on the Verilog rust-hdl emits for the core (the text the
    /// bitstreams are built from), compiled to a native model.
    Verilator,
    /// rust-hdl's own simulator, stepping the Rust description of the core:
    /// the reference rung, 80 to 100 times slower (`docs/hardware.md`).
    RustHdl,
}

impl EngineKind {
    /// Both engines, fastest first.
    pub const ALL: [EngineKind; 2] = [EngineKind::Verilator, EngineKind::RustHdl];

    /// The name used on the command line (`verilator`, `rust-hdl`).
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Verilator => "verilator",
            EngineKind::RustHdl => "rust-hdl",
        }
    }

    /// Clocks to run per call to an engine so that one call takes a few
    /// milliseconds: enough to amortise the call, short enough to look at
    /// the outside world often.
    pub fn batch_clocks(self) -> u64 {
        match self {
            EngineKind::Verilator => 1 << 15,
            EngineKind::RustHdl => 1 << 9,
        }
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not an engine's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no RTL engine `{0}` (the engines are verilator and rust-hdl)")]
pub struct UnknownEngine(pub String);

impl FromStr for EngineKind {
    type Err = UnknownEngine;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EngineKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| UnknownEngine(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_strangers_are_named() {
        for k in EngineKind::ALL {
            assert_eq!(k.name().parse::<EngineKind>(), Ok(k));
        }
        assert_eq!(
            "icarus".parse::<EngineKind>().unwrap_err().to_string(),
            "no RTL engine `icarus` (the engines are verilator and rust-hdl)"
        );
    }
}
