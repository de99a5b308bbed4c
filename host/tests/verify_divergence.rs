//! `verify` must find a real difference: the co-simulated core is loaded with
//! a network that differs from the one the golden model runs in one weight,
//! or in one neuron's threshold, and the report must name the first
//! divergence (tick, cycle, neuron or synapse, field, both values) from the
//! STEP answers (each tick's spikes, busy cycles and stamps' digest) and the
//! state read back.

use std::path::Path;

use spikefab_chip::config::CoreConfig;
use spikefab_chip::image::Image;
use spikefab_hdl::cores::TinyCore;
use spikefab_hdl::cosim::Cosim;
use spikefab_host::driver::{block_on, Chip, TickOutput};
use spikefab_host::verify::{first_tick_divergence, verify, Plan, Verification};
use spikefab_sim::{config, Network};

fn network(edit: impl Fn(&str) -> String) -> Network {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tiny_net.toml"));
    let text = edit(&std::fs::read_to_string(path).unwrap());
    config::parse_toml(&text, None).unwrap().network
}

/// Verify `golden` against a chip loaded with `loaded`.
fn check(golden: &Network, loaded: &Network, every: u32) -> Verification {
    block_on(async {
        let mut chip = Chip::connect(Cosim::rust_hdl::<TinyCore>()).await.unwrap();
        let image = Image::new(loaded, CoreConfig::TINY).unwrap();
        chip.load(&image).await.unwrap();
        let plan = Plan { ticks: 100, every };
        verify(&mut chip, golden, &image, plan, |_, _| {}).await.unwrap()
    })
}

#[test]
fn the_same_network_is_identical() {
    let net = network(|t| t.to_string());
    let v = check(&net, &net, 50);
    assert!(v.identical(), "{:?}", v.divergence);
    assert_eq!(v.checkpoints, vec![50, 100]);
    assert!(!v.chip_spikes.is_empty());
    assert_eq!(v.chip_spikes.len(), v.sim_spikes.len());
    assert_eq!(v.chip_ticks.len(), 100);
}

#[test]
fn a_different_threshold_is_found() {
    let golden = network(|t| t.to_string());
    let loaded = network(|t| t.replace("threshold = 300", "threshold = 301"));
    let v = check(&golden, &loaded, 100);
    let d = v.divergence.expect("a divergence");
    // An inhibitory neuron (12..16): its spike moves, or its state differs
    // (θ holds the threshold).
    assert!(["spike", "u", "v", "theta"].contains(&d.field), "{d}");
    assert!((12..16).contains(&d.index), "{d}");
    assert!(d.left != d.right, "{d}");
}

/// A weight difference is found where the golden models of the two networks
/// first answer a STEP differently, unless a state comparison (every 10
/// ticks) comes first.
#[test]
fn a_different_inhibitory_weight_is_found() {
    let golden = network(|t| t.to_string());
    let loaded = network(|t| t.replace("weight = -20", "weight = -19"));
    let v = check(&golden, &loaded, 10);
    let d = v.divergence.expect("a divergence");
    assert!(v.ticks <= 100 && d.tick <= v.ticks, "{d}");
    assert!(
        d.to_string()
            .starts_with(&format!("first divergence at tick {}, cycle ", d.tick)),
        "{d}"
    );
    let c = CoreConfig::TINY;
    let (mut a, mut b) = (c.simulator(&loaded).unwrap(), c.simulator(&golden).unwrap());
    let (a, b): (Vec<_>, Vec<_>) = (0..100)
        .map(|_| (TickOutput::of_model(&mut a), TickOutput::of_model(&mut b)))
        .unzip();
    let models = first_tick_divergence(&a, &b, 0).expect("the models' outputs differ within 100 ticks");
    match v.in_state {
        false => assert_eq!((d.tick, d.index, d.field), (models.tick, models.index, models.field)),
        true => assert!(
            d.tick <= models.tick + 10 && d.tick.is_multiple_of(10),
            "{d} / {models}"
        ),
    }
}

/// A state difference found at a checkpoint is traced back, by reruns, to
/// the tick it appeared in: the tick at which two golden models of the two
/// networks first differ.
#[test]
fn a_state_difference_is_located_to_its_tick() {
    use spikefab_hdl::engine::EngineKind;
    use spikefab_host::waveform::first_state_divergence;

    let golden = network(|t| t.to_string());
    let loaded = network(|t| t.replace("a_plus = 8", "a_plus = 9"));
    let c = CoreConfig::TINY;
    let (mut a, mut b) = (c.simulator(&golden).unwrap(), c.simulator(&loaded).unwrap());
    let mut first = None;
    for t in 1..=100 {
        a.step_tick();
        b.step_tick();
        if a.state_dump() != b.state_dump() {
            first = Some(t);
            break;
        }
    }
    let first = first.expect("a larger A+ changes a weight within 100 ticks");
    for engine in EngineKind::ALL {
        let d = block_on(first_state_divergence(&loaded, &golden, c, engine, 0, 100))
            .unwrap()
            .expect("the reruns differ");
        assert_eq!(d.tick, first, "{engine}: {d}");
    }
    let same = block_on(first_state_divergence(
        &golden,
        &golden,
        c,
        EngineKind::Verilator,
        0,
        100,
    ))
    .unwrap();
    assert!(same.is_none(), "{same:?}");
}

/// The waveform covers the ticks asked for, as a VCD file with the core's
/// ports and clock; an empty or too long range is refused.
#[test]
fn a_waveform_of_chosen_ticks_is_written() {
    use spikefab_host::waveform::{write_vcd, WaveformError};

    let net = network(|t| t.to_string());
    let tmp = tempfile::Builder::new().prefix("spikefab-vcd-").tempdir().unwrap();
    let dir = tmp.path();
    let path = dir.join("ticks.vcd");
    let clocks = block_on(write_vcd(&net, CoreConfig::TINY, 10..12, 100, &path)).unwrap();
    // Two ticks of the tiny core: at least its neuron phase twice.
    assert!(clocks > 2 * 22, "{clocks} clocks");
    let vcd = std::fs::read_to_string(&path).unwrap();
    for needle in ["$enddefinitions", " clock ", " in_data ", " out_valid ", " busy "] {
        assert!(vcd.contains(needle), "no `{needle}` in the VCD");
    }
    let stamps = vcd.lines().filter(|l| l.starts_with('#')).count() as u64;
    assert!(stamps >= 2 * clocks, "{stamps} time stamps for {clocks} clocks");
    let e = block_on(write_vcd(&net, CoreConfig::TINY, 90..120, 100, &path)).unwrap_err();
    assert!(matches!(e, WaveformError::BadRange { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "tick range 90..120 is empty or ends after tick 100 (the ticks run)"
    );
}
