//! Looking inside a run: rerun a network on a fresh in-process core to find
//! the first tick whose state differs from the golden model, and write the
//! core's signals over a range of ticks to a VCD file (GTKWave, Surfer).
//!
//! The core is deterministic, so a rerun from the load repeats the run that
//! diverged, clock for clock; the waveform is Verilator's, from a model of
//! the emitted Verilog built with tracing (a separate, slower build, cached
//! like the others).

use std::ops::Range;
use std::path::Path;

use spikefab_chip::config::CoreConfig;
use spikefab_hdl::cosim::Cosim;
use spikefab_hdl::engine::{EngineError, EngineKind};
use spikefab_hdl::verilator::VerilatedCore;
use spikefab_sim::record::Divergence;
use spikefab_sim::Network;

use crate::driver::{Chip, ChipError};

/// Why a rerun failed.
#[derive(Debug, thiserror::Error)]
pub enum WaveformError {
    /// The engine could not be made.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The rerun failed.
    #[error(transparent)]
    Chip(#[from] ChipError),
    /// The golden model refused the network.
    #[error("simulator: {0}")]
    Sim(#[from] spikefab_sim::SimError),
    /// A tick range that is empty or reaches past the run.
    #[error("tick range {start}..{end} is empty or ends after tick {ticks} (the ticks run)")]
    BadRange {
        /// First tick.
        start: u32,
        /// One past the last.
        end: u32,
        /// Ticks run.
        ticks: u32,
    },
}

/// A network loaded on a fresh core of `config` on `engine`, at tick 0.
async fn fresh(net: &Network, config: CoreConfig, engine: Cosim) -> Result<Chip<Cosim>, ChipError> {
    let mut chip = Chip::connect(engine).await?;
    debug_assert_eq!(chip.config(), config);
    let image = chip.image(net)?;
    chip.load(&image).await?;
    Ok(chip)
}

/// The first tick count after which the full state of a core of `config`
/// on `engine` holding `loaded` differs from the golden model of `golden`
/// (the same network, unless a test says otherwise), searched in
/// `good + 1 ..= bad` (the states agree after `good` ticks, not after
/// `bad`) by reruns on fresh cores; with the divergence there. `None` if the
/// reruns never differ (the difference was not the core's: a board, a link).
pub async fn first_state_divergence(
    loaded: &Network,
    golden: &Network,
    config: CoreConfig,
    engine: EngineKind,
    good: u32,
    bad: u32,
) -> Result<Option<Divergence>, WaveformError> {
    let state_at = |ticks: u32| async move {
        let mut chip = fresh(loaded, config, Cosim::open(engine, config)?).await?;
        chip.run_until(loaded.inputs(), ticks, |_, _| {}).await?;
        let image = chip.image(loaded)?;
        let got = chip.dump(golden, &image).await?;
        let mut sim = config.simulator(golden)?;
        sim.run(ticks);
        Ok::<_, WaveformError>(got.first_divergence(&sim.state_dump()))
    };
    let (mut lo, mut hi) = (good, bad);
    let Some(mut found) = state_at(hi).await? else {
        return Ok(None);
    };
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        match state_at(mid).await? {
            Some(d) => {
                hi = mid;
                found = d;
            }
            None => lo = mid,
        }
    }
    Ok(Some(found))
}

/// The ticks a waveform shows by default: the tick of the first divergence
/// and the one before it, or without a divergence the last two ticks run.
pub fn default_ticks(divergence: Option<&Divergence>, ticks_run: u32) -> Range<u32> {
    let end = match divergence {
        // A spike is wrong in its own tick.
        Some(d) if d.field == "spike" => d.tick + 1,
        // A state read after `d.tick` ticks was made wrong by tick d.tick - 1.
        Some(d) => d.tick,
        None => ticks_run,
    }
    .clamp(1, ticks_run.max(1));
    end.saturating_sub(2)..end
}

/// Rerun `net` on a fresh Verilator model of `config` built with tracing
/// and write every signal of the core to the VCD file `path` from the start
/// of tick `ticks.start` to the end of tick `ticks.end - 1` (the INPUT and
/// TICK commands of those ticks, with the clocks in between). `ticks_run`
/// bounds the range. Returns the core clocks written.
pub async fn write_vcd(
    net: &Network,
    config: CoreConfig,
    ticks: Range<u32>,
    ticks_run: u32,
    path: &Path,
) -> Result<u64, WaveformError> {
    if ticks.is_empty() || ticks.end > ticks_run {
        return Err(WaveformError::BadRange {
            start: ticks.start,
            end: ticks.end,
            ticks: ticks_run,
        });
    }
    let core = VerilatedCore::traceable(config)?;
    let mut chip = fresh(net, config, Cosim::new(Box::new(core))).await?;
    chip.run_until(net.inputs(), ticks.start, |_, _| {}).await?;
    let before = chip.transport().clocks();
    chip.transport_mut().trace_to(path)?;
    let run = chip.run_until(net.inputs(), ticks.end, |_, _| {}).await;
    chip.transport_mut().trace_off();
    run?;
    Ok(chip.transport().clocks() - before)
}
