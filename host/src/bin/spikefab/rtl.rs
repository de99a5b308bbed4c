//! The RTL side of the command line: what a virtual chip runs on and how
//! fast, the reruns that find the tick a difference appeared in, waveforms.
//! In a build without the `virtual-chip` feature (no rust-hdl or Verilator
//! model compiled in) there is no virtual chip and these say so. What is
//! said goes to standard error (standard output is for results: `stream`
//! writes its spikes there).

use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use spikefab_chip::config::CoreConfig;
use spikefab_chip::engine::EngineKind;
use spikefab_hdl::engine;
use spikefab_host::line::{LineModel, BITS_PER_BYTE};
use spikefab_host::session::{VirtualChip, VirtualTarget};
use spikefab_host::{summary, waveform};
use spikefab_sim::record::Divergence;
use spikefab_sim::Network;

/// Before a virtual chip starts: a Verilator model may have to be built.
pub fn announce(target: &VirtualTarget) {
    if target.engine.unwrap_or_else(engine::preferred) == EngineKind::Verilator {
        eprintln!(
            "virtual chip: the {} core on Verilator (built on first use, then cached)",
            target.core.name
        );
    }
}

/// Say what a started virtual chip runs on, how fast, and the link it
/// models.
pub fn describe(chip: &VirtualChip, line: Option<LineModel>) -> Result<()> {
    let kind = chip.engine();
    let rate = engine::clock_rate(kind, chip.config(), Duration::from_millis(200))?;
    eprintln!(
        "virtual chip: the RTL {} on {}\n  engine {kind}: {}; {:.2} M core clocks/s on empty ticks",
        summary::core(&chip.config()),
        chip.path().display(),
        chip.engine_description(),
        rate / 1e6
    );
    if let Some(l) = line {
        eprintln!(
            "  link modelled: a UART at {} baud ({} bytes/s each way) and {} ms of latency each way",
            l.baud,
            l.baud / BITS_PER_BYTE,
            l.latency.as_secs_f64() * 1e3
        );
    }
    Ok(())
}

/// Serve `chip` until it stops; the clocks it ran.
pub fn serve(chip: VirtualChip) -> Result<u64> {
    Ok(chip.wait()?.clocks)
}

/// The path of `chip`'s pseudo-terminal.
pub fn path(chip: &VirtualChip) -> &Path {
    chip.path()
}

/// The first tick in `good..=tick` after which the core's state differs
/// from the golden model's, by reruns on a fresh core of `chip`'s engine.
pub async fn first_state_divergence(
    net: &Network,
    config: CoreConfig,
    chip: &VirtualChip,
    good: u32,
    tick: u32,
) -> Result<Option<Divergence>> {
    Ok(waveform::first_state_divergence(net, net, config, chip.engine(), good, tick).await?)
}

/// Rerun `net` on a Verilator model built with tracing and write the
/// core's signals over `ticks` (by default the ticks around
/// `divergence`) to the VCD file `path`.
pub async fn write_vcd(
    net: &Network,
    config: CoreConfig,
    ticks: Option<Range<u32>>,
    divergence: Option<&Divergence>,
    ticks_run: u32,
    path: &Path,
) -> Result<()> {
    let range = ticks.unwrap_or_else(|| waveform::default_ticks(divergence, ticks_run));
    let clocks = waveform::write_vcd(net, config, range.clone(), ticks_run, path)
        .await
        .with_context(|| format!("writing the waveform {}", path.display()))?;
    println!(
        "wrote {}: every signal of the RTL core in ticks {}..{} ({clocks} clocks; one clock is 2 time units)",
        path.display(),
        range.start,
        range.end
    );
    Ok(())
}
