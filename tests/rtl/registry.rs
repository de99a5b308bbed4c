//! The registry of core configurations (`spikefab_chip::for_each_core!`) is
//! the one place a configuration is written: every entry gets an RTL core
//! on both engines that reports the entry's own sizes over the wire, the
//! golden model's shape, and a board top for every board that holds it. A
//! configuration added to the registry is checked here without editing this
//! test (the CLI's choices are checked in `host/tests/cli.rs`).

use spikefab_chip::board::BOARDS;
use spikefab_chip::config::CoreConfig;
use spikefab_firmware::pll::PllSettings;
use spikefab_hdl::cosim::Cosim;
use spikefab_hdl::engine::EngineKind;
use spikefab_proto::message::{Answer, Command};

/// The configuration a core reports in its INFO answer.
fn reported(chip: &mut Cosim) -> CoreConfig {
    match chip.command(&Command::Info).expect("INFO is answered") {
        Answer::Info {
            neurons,
            axons,
            delay_slots,
            syn_pages,
            ..
        } => CoreConfig::from_sizes(neurons as u32, axons as u32, delay_slots as u32, syn_pages as u32 * 256)
            .expect("power-of-two sizes"),
        other => panic!("INFO answered {other:?}"),
    }
}

#[test]
fn every_configuration_is_built_by_both_engines_and_reports_itself() {
    assert!(!CoreConfig::KNOWN.is_empty());
    for (i, config) in CoreConfig::KNOWN.iter().enumerate() {
        assert_eq!(CoreConfig::by_name(config.name), Some(*config), "names are unique");
        assert!(
            CoreConfig::KNOWN[..i].iter().all(|k| !k.same_sizes(config)),
            "{}: two entries with the same sizes",
            config.name
        );
        let shape = config.shape();
        assert_eq!(
            (shape.neurons, shape.axons, shape.delay_slots, shape.synapses),
            (
                config.neurons(),
                config.axons(),
                config.delay_slots(),
                config.syn_words() as u64
            ),
            "{}: the golden model's shape",
            config.name
        );
        for kind in EngineKind::ALL {
            let mut chip = Cosim::open(kind, *config).unwrap_or_else(|e| panic!("{} on {kind}: {e}", config.name));
            assert_eq!(reported(&mut chip), *config, "{} on {kind}", config.name);
        }
    }
}

#[test]
fn every_board_has_a_top_for_its_core() {
    for board in BOARDS {
        assert!(
            CoreConfig::KNOWN.contains(&board.core),
            "{}: its core {} is not in the registry",
            board.name,
            board.core.name
        );
        let verilog = spikefab_firmware::build::top_verilog(board).unwrap_or_else(|e| panic!("{e}"));
        assert!(verilog.contains("module top("), "{}", board.name);
        // The PLL makes exactly the core clock the UART and the timing target assume.
        let pll = spikefab_firmware::build::pll_settings(board).unwrap();
        assert_eq!(pll.output_hz(board.clock_mhz * 1_000_000), board.core_mhz as f64 * 1e6);
        let (cell, divider) = match pll {
            PllSettings::Ice40(s) if board.pll_pad => ("SB_PLL40_PAD #(", format!(".DIVF(7'd{})", s.divf)),
            PllSettings::Ice40(s) => ("SB_PLL40_CORE #(", format!(".DIVF(7'd{})", s.divf)),
            PllSettings::Ecp5(s) => ("EHXPLLL #(", format!(".CLKFB_DIV({})", s.clkfb_div)),
        };
        assert!(
            verilog.contains(cell) && verilog.contains(&divider),
            "{}: {cell} with {divider}",
            board.name
        );
    }
}
