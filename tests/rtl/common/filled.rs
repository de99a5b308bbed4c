//! Networks that fill a core: every neuron and input axon, the synapse memory
//! nearly full (runs longer than 127 synapses split), delays up to D,
//! refractory periods up to 255, ticks in which every axon spikes (more than
//! one INPUT frame on the UP5K), homeostasis, STDP and dithered decays
//! switched on and off.
//!
//! A network is drawn from a [`FilledSpec`] (a seed and a few switches), so
//! that a failing case prints in a line and rebuilds exactly.

use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use spikefab_chip::config::CoreConfig;
use spikefab_chip::image::Image;
use spikefab_sim::dither::Rounding;
use spikefab_sim::learning::StdpParams;
use spikefab_sim::network::{NetworkBuilder, Source, SynapseSpec};
use spikefab_sim::{Network, NeuronParams};

/// The recipe of one filled network.
#[derive(Debug, Clone, Copy)]
pub struct FilledSpec {
    /// Everything not switched below is drawn from this.
    pub seed: u64,
    /// STDP on (some recurrent synapses plastic).
    pub stdp: bool,
    /// Adaptive thresholds.
    pub homeostasis: bool,
    /// Refractory periods drawn up to 255.
    pub long_refractory: bool,
    /// Share of the synapse memory to fill, in percent.
    pub fill: u8,
    /// Dithered decays (spec §3.1).
    pub dither: bool,
}

/// Filled networks for a core; every switch on and off.
pub fn filled_spec() -> impl Strategy<Value = FilledSpec> {
    (
        any::<u64>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        95u8..=100,
        any::<bool>(),
    )
        .prop_map(|(seed, stdp, homeostasis, long_refractory, fill, dither)| FilledSpec {
            seed,
            stdp,
            homeostasis,
            long_refractory,
            fill,
            dither,
        })
}

fn profile(rng: &mut ChaCha8Rng, spec: &FilledSpec) -> NeuronParams {
    let decay = |rng: &mut ChaCha8Rng| match rng.random_range(0..4) {
        0 => 0,
        1 => 4096,
        _ => rng.random_range(1..=1200),
    };
    NeuronParams {
        du: decay(rng),
        dv: decay(rng),
        bias: rng.random_range(-60..=200),
        v_reset: rng.random_range(-400..=200),
        theta_base: match rng.random_range(0..8) {
            0 => i16::MAX,
            _ => rng.random_range(100..=3000),
        },
        theta_inc: if spec.homeostasis { rng.random_range(0..=500) } else { 0 },
        theta_decay: decay(rng),
        refractory: if spec.long_refractory {
            rng.random_range(0..=255)
        } else {
            rng.random_range(0..=4)
        },
        u_shift: match rng.random_range(0..2) {
            0 => 0,
            _ => rng.random_range(1..=spikefab_sim::fixed::U_SHIFT_MAX),
        },
    }
}

/// A random STDP rule (bounds in either order, any gains and trace decays).
pub fn stdp(rng: &mut ChaCha8Rng) -> StdpParams {
    let (a, b): (i8, i8) = (rng.random(), rng.random());
    StdpParams {
        pre_decay: rng.random_range(0..=4096),
        post_decay: rng.random_range(0..=4096),
        pre_bump: rng.random(),
        post_bump: rng.random(),
        a_plus: rng.random(),
        a_minus: rng.random(),
        lr_shift: rng.random_range(0..=15),
        w_min: a.min(b),
        w_max: a.max(b),
        lfsr_seed: rng.random_range(1..=u16::MAX),
        // Half the rules pair at once (core v1's pairing), half late.
        post_delay: if rng.random_bool(0.5) {
            0
        } else {
            rng.random_range(1..=spikefab_sim::learning::POST_DELAY_MAX)
        },
    }
}

/// The network `spec` describes on `config`, with input spikes for `ticks`
/// ticks. It fits the core: synapses are drawn until the memory is `fill`
/// percent full, then trimmed until the image fits.
pub fn filled_network(config: CoreConfig, spec: &FilledSpec, ticks: u32) -> Network {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let (n, m, d) = (config.neurons(), config.axons(), config.delay_slots() as u8);
    let rule = spec.stdp.then(|| stdp(&mut rng));
    let mut profiles: Vec<NeuronParams> = (0..rng.random_range(1..=3)).map(|_| profile(&mut rng, spec)).collect();
    if spec.long_refractory {
        profiles[0].refractory = rng.random_range(200..=255);
    }

    // Synapses: most from the input axons, each axon's in one long run (one
    // delay and exponent) to a random set of targets; the rest recurrent,
    // with any delay, some plastic.
    let budget = config.syn_words() as u64 * spec.fill as u64 / 100;
    let mut synapses = Vec::new();
    let mut words = 2u64 + (m + n) as u64;
    let weight = |rng: &mut ChaCha8Rng| match rng.random_range(0..10) {
        0 => i8::MIN,
        1 => i8::MAX,
        _ => rng.random_range(-50..=90),
    };
    let mut targets: Vec<u32> = (0..n).collect();
    let axon_share = budget * 15 / 16;
    'axons: for a in (0..m).cycle() {
        let fanout = rng.random_range(n / 2..=n) as usize;
        let (delay, wexp) = (rng.random_range(1..=d), rng.random_range(0..=3));
        targets.shuffle(&mut rng);
        for &t in &targets[..fanout] {
            if words + fanout as u64 / 127 + 2 > axon_share {
                break 'axons;
            }
            words += 1;
            synapses.push(SynapseSpec {
                source: Source::Axon(a),
                target: t,
                weight: weight(&mut rng),
                wexp,
                delay,
                plastic: false,
            });
        }
        words += (fanout as u64).div_ceil(127);
    }
    while words + 4 < budget {
        let plastic = rule.is_some() && rng.random_bool(0.2);
        let mut w = weight(&mut rng);
        if let (true, Some(r)) = (plastic, &rule) {
            w = w.clamp(r.w_min, r.w_max);
        }
        words += if plastic { 4 } else { 2 };
        synapses.push(SynapseSpec {
            source: Source::Neuron(rng.random_range(0..n)),
            target: rng.random_range(0..n),
            weight: w,
            wexp: rng.random_range(0..=7),
            delay: rng.random_range(1..=d),
            plastic,
        });
    }

    // Inputs: each axon spikes with a rate of its own; in burst ticks, all do.
    let rate: f64 = rng.random_range(0.002..0.05);
    let bursts = rng.random_range(1..=4);
    let burst_ticks: Vec<u32> = (0..bursts).map(|_| rng.random_range(0..ticks)).collect();
    let mut inputs = Vec::new();
    for t in 0..ticks {
        for a in 0..m {
            if burst_ticks.contains(&t) || rng.random_bool(rate) {
                inputs.push((t, a));
            }
        }
    }

    let v_init: Vec<i16> = (0..n).map(|_| rng.random_range(-500..=500)).collect();
    let pick: Vec<u16> = (0..n).map(|_| rng.random_range(0..profiles.len()) as u16).collect();
    let build = |synapses: &[SynapseSpec]| {
        let mut b = NetworkBuilder::new();
        for p in &profiles {
            b.add_profile(*p);
        }
        if let Some(r) = rule {
            b.set_stdp(r);
        }
        if spec.dither {
            b.set_rounding(Rounding::Dither);
        }
        for k in 0..n as usize {
            b.add_neurons(pick[k], 1, |_| v_init[k]);
        }
        b.add_axons(m);
        b.reserve_synapses(synapses.len());
        for s in synapses {
            b.add_synapse(*s);
        }
        for &(t, a) in &inputs {
            b.add_input(t, a);
        }
        b.build().expect("filled networks are valid")
    };
    loop {
        let net = build(&synapses);
        if Image::new(&net, config).is_ok() {
            return net;
        }
        let keep = synapses.len() - synapses.len() / 50 - 1;
        synapses.truncate(keep);
    }
}

/// `n` neurons and `n` axons, each axon spiking every tick for `ticks` ticks
/// into its own neuron (one synapse each), which then spikes every tick: the
/// most spikes a core of `n` carries, with the fewest synapses.
pub fn every_spike(n: u32, ticks: u32) -> Network {
    let toml = format!(
        r#"
[simulation]
ticks = {ticks}

[[population]]
name = "n"
size = {n}
neuron = {{ du = 4096, dv = 4096, threshold = 10 }}

[[input]]
name = "in"
size = {n}
poisson = {{ p = 1.0 }}

[[projection]]
from = "in"
to = "n"
connect = {{ rule = "one_to_one" }}
weight = 100
delay = 1
"#
    );
    spikefab_sim::config::parse_toml(&toml, None)
        .expect("the network parses")
        .network
}
