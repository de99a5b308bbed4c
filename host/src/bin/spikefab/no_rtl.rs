//! The RTL side of the command line in a build without the `virtual-chip`
//! feature: there is no virtual chip, and what needs one says so.

use std::ops::Range;
use std::path::Path;

use anyhow::Result;
use spikefab_chip::config::CoreConfig;
use spikefab_host::line::LineModel;
use spikefab_host::session::{VirtualChip, VirtualTarget};
use spikefab_sim::record::Divergence;
use spikefab_sim::Network;

pub fn announce(_: &VirtualTarget) {}

pub fn describe(chip: &VirtualChip, _: Option<LineModel>) -> Result<()> {
    match *chip {}
}

pub fn serve(chip: VirtualChip) -> Result<u64> {
    match chip {}
}

pub fn path(chip: &VirtualChip) -> &Path {
    match *chip {}
}

pub async fn first_state_divergence(
    _: &Network,
    _: CoreConfig,
    chip: &VirtualChip,
    _: u32,
    _: u32,
) -> Result<Option<Divergence>> {
    match *chip {}
}

pub async fn write_vcd(
    _: &Network,
    _: CoreConfig,
    _: Option<Range<u32>>,
    _: Option<&Divergence>,
    _: u32,
    _: &Path,
) -> Result<()> {
    Err(anyhow::anyhow!(
        "--vcd (a waveform of the RTL core) needs the RTL core, which this spikefab was built without (cargo \
         feature `virtual-chip`, on by default: `cargo install --path host` or `make`); a board works without it \
         (--port)"
    ))
}
