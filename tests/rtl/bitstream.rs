//! The committed bitstreams still come from this source: a board is rebuilt
//! from scratch with its family's open flow; it must place, route and meet
//! timing at the board's clock, and, when the tools are the versions the
//! committed report names, be the committed bitstream byte for byte (the
//! tools are deterministic for a fixed placer seed), so a change to the core
//! or the board top without `make bitstreams` fails here.
//!
//! The default tier rebuilds the HX8K breakout (the quicker of the iCE40
//! boards to place and route); the slow tier (`make test-slow`) the ULX3S,
//! whose WebAssembly tools take about a minute and a half more.

use std::path::Path;

use spikefab_chip::board::{Board, HX8K_BREAKOUT, ULX3S};
use spikefab_firmware::build::{build, tools_of, BuildError};

/// The placer seed `make bitstreams` uses.
const SEED: u32 = 1;

fn rebuilds_meets_timing_and_matches_the_committed_one(board: &'static Board) {
    let out = std::env::temp_dir().join(format!("spikefab-bitstream-{}-{}", board.name, std::process::id()));
    let built = match build(board, &out, SEED) {
        Ok(b) => b,
        Err(e @ BuildError::Timing { .. }) => panic!("{e}"),
        Err(e) => panic!("build failed: {e}"),
    };
    let imp = &built.implementation;
    assert!(imp.fmax_mhz >= board.core_mhz as f64, "{imp:?}");
    assert!(imp.logic_cells.0 <= imp.logic_cells.1 && imp.bram.0 <= imp.bram.1);
    assert!(
        imp.luts > 0 && imp.flip_flops > 0,
        "the synthesis counts were read: {imp:?}"
    );

    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("bitstreams");
    let report = std::fs::read_to_string(committed.join(format!("{}.md", board.name))).unwrap();
    let rebuilt_report = std::fs::read_to_string(&built.report).unwrap();
    let (tools_then, tools_now) = (tools_of(&report).unwrap(), tools_of(&rebuilt_report).unwrap());
    if tools_then == tools_now {
        let then = std::fs::read(committed.join(board.bitstream_file())).unwrap();
        let now = std::fs::read(&built.bitstream).unwrap();
        assert!(
            then == now,
            "bitstreams/{} is not what this source builds with the same tools; run `make bitstreams`",
            board.bitstream_file()
        );
    } else {
        eprintln!("other tool versions than the committed report's ({tools_now} vs {tools_then}): bytes not compared");
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn the_hx8k_bitstream_rebuilds_meets_timing_and_matches_the_committed_one() {
    rebuilds_meets_timing_and_matches_the_committed_one(&HX8K_BREAKOUT);
}

#[test]
#[ignore = "slow tier: the ECP5 flow's WebAssembly tools (make ecp5-tools) take about a minute and a half"]
fn the_ulx3s_bitstream_rebuilds_meets_timing_and_matches_the_committed_one() {
    rebuilds_meets_timing_and_matches_the_committed_one(&ULX3S);
}
