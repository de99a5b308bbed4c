//! `verify` must find a real difference: the co-simulated core is loaded with
//! a network that differs from the one the golden model runs in one weight,
//! or in one neuron's threshold, and the report must name the first
//! divergence (tick, cycle, neuron or synapse, field, both values).

use std::path::Path;

use spikefab_hdl::config::CoreConfig;
use spikefab_hdl::core::TinyCore;
use spikefab_hdl::cosim::Cosim;
use spikefab_hdl::image::Image;
use spikefab_host::driver::{block_on, Chip};
use spikefab_host::verify::{verify, Verification};
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
        verify(&mut chip, golden, &image, 100, every, |_, _| {}).await.unwrap()
    })
}

#[test]
fn the_same_network_is_identical() {
    let net = network(|t| t.to_string());
    let v = check(&net, &net, 50);
    assert!(v.identical(), "{:?}", v.divergence);
    assert_eq!(v.checkpoints, vec![50, 100]);
    assert!(!v.chip_spikes.is_empty());
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
}
