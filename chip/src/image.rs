//! The chip image of a network (`docs/spec.md` §8.2-8.3): every word the host
//! writes into a core's memory spaces so that the core runs the network
//! exactly as `spikefab-sim` does, and the check that the network fits.
//!
//! Core neurons and axons beyond the network's are made inert: no synapses,
//! and neurons that can never fire (θ_base = 32767 with no input and no bias).

use spikefab_proto::message::{ctrl, field, wide, Space};
use spikefab_sim::cycles::RUN_MAX;
use spikefab_sim::dither::{self, Rounding};
use spikefab_sim::network::{PopulationKind, FLAG_PLASTIC, FLAG_WEXP};
use spikefab_sim::Network;

use crate::config::CoreConfig;

/// Syn word 0: the run header of a source without synapses (count 0, last).
pub const EMPTY_RUN: u16 = 1 << 8;
/// Syn word 1: the fan-in header of a neuron without plastic inputs.
pub const EMPTY_FANIN: u16 = 0;
/// Words reserved at the start of `syn` for the two empty headers.
pub const RESERVED_WORDS: u32 = 2;

/// Run header word (§8.3).
pub fn run_header(delay: u8, wexp: u8, plastic: bool, last: bool, count: u32) -> u16 {
    debug_assert!((1..=16).contains(&delay) && wexp < 8 && count <= RUN_MAX);
    (delay as u16 - 1) | (wexp as u16) << 4 | (plastic as u16) << 7 | (last as u16) << 8 | (count as u16) << 9
}

/// Synapse word (§8.3): 16 bits on a core of at most 256 neurons, 18 on a
/// wide one (target bits 8-17).
pub fn synapse_word(target: u32, weight: i8) -> u32 {
    target << 8 | weight as u8 as u32
}

/// Fraction word (§8.3), after each plastic synapse's word: its weight's
/// `fraction` (§5.3) in bits 0-7, two's complement.
pub fn fraction_word(fraction: i8) -> u32 {
    fraction as u8 as u32
}

/// The fraction in a fraction word (its low byte).
pub fn fraction_of(word: u32) -> i8 {
    word as u8 as i8
}

/// Why a network does not fit a core.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FitError {
    /// More neurons, axons or delay than the core has.
    #[error("the network needs {needed} {what}, the {core} core has {available}")]
    TooBig {
        /// Core name.
        core: &'static str,
        /// "neurons", "input axons" or "delay slots".
        what: &'static str,
        /// Network's need.
        needed: u64,
        /// Core's size.
        available: u64,
    },
    /// A synapse whose delay is longer than the core's ring.
    #[error(
        "a synapse from {from} to {to} (synapse {synapse} in canonical order) has a delay of {delay} ticks; \
         the {core} core's delays go up to {available}"
    )]
    Delay {
        /// Core name.
        core: &'static str,
        /// Its source: population and index within it.
        from: String,
        /// Its target.
        to: String,
        /// Its canonical index.
        synapse: u64,
        /// Its delay.
        delay: u8,
        /// The core's delay slots.
        available: u32,
    },
    /// The synapse memory is too small.
    #[error(
        "the network needs {needed} synapse-memory words ({synapses} synapses, {fractions} fraction words, \
         {headers} run headers, {fanin} fan-in words, {RESERVED_WORDS} reserved), the {core} core has {available}"
    )]
    SynapseMemory {
        /// Core name.
        core: &'static str,
        /// Words needed.
        needed: u64,
        /// Synapses.
        synapses: u64,
        /// Fraction words: one per plastic synapse.
        fractions: u64,
        /// Run headers.
        headers: u64,
        /// Fan-in headers and entries.
        fanin: u64,
        /// Words in the core.
        available: u64,
    },
}

fn kind_word(kind: PopulationKind) -> &'static str {
    match kind {
        PopulationKind::Axons => "axon",
        PopulationKind::Neurons => "neuron",
    }
}

/// The words of every space for one network on one core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// The core.
    pub config: CoreConfig,
    /// Space `ctrl`.
    pub ctrl: Vec<u16>,
    /// Space `neuron`.
    pub neuron: Vec<u16>,
    /// Space `ring` (all 0: nothing in flight at tick 0).
    pub ring: Vec<u16>,
    /// Space `source` (whole pointers: bits 16-17 go to `source_hi` on a
    /// wide core).
    pub source: Vec<u32>,
    /// Space `fanin` (whole pointers, as `source`).
    pub fanin: Vec<u32>,
    /// Space `x_pre`.
    pub x_pre: Vec<u16>,
    /// The used words of space `syn`, from address 0 (whole words: bits
    /// 16-17 go to `syn_hi` on a wide core).
    pub syn: Vec<u32>,
    /// `syn` address of each synapse, by canonical index (a plastic
    /// synapse's fraction word is the next).
    pub weight_address: Vec<u32>,
    /// Run headers of each network source, by source index of the network.
    pub headers: Vec<u32>,
    net_axons: u32,
}

impl Image {
    /// Lay out `net` on a core `config`.
    pub fn new(net: &Network, config: CoreConfig) -> Result<Image, FitError> {
        let too_big = |what, needed: u64, available: u64| {
            if needed > available {
                Err(FitError::TooBig {
                    core: config.name,
                    what,
                    needed,
                    available,
                })
            } else {
                Ok(())
            }
        };
        too_big("neurons", net.num_neurons() as u64, config.neurons() as u64)?;
        too_big("input axons", net.num_axons() as u64, config.axons() as u64)?;
        if net.max_delay() as u32 > config.delay_slots() {
            let syn = net.synapses();
            let i = (0..syn.len())
                .find(|&i| syn.delay(i) as u32 > config.delay_slots())
                .expect("a synapse has the largest delay");
            let src = net.source_of_synapse(i as u64);
            let name = |kind, index| match net.population_of(kind, index) {
                Some(p) => format!("`{}` {} {}", p.name, kind_word(kind), index - p.first),
                None => format!("{} {index}", kind_word(kind)),
            };
            let from = if src < net.num_axons() {
                name(PopulationKind::Axons, src)
            } else {
                name(PopulationKind::Neurons, src - net.num_axons())
            };
            return Err(FitError::Delay {
                core: config.name,
                from,
                to: name(PopulationKind::Neurons, syn.target(i)),
                synapse: i as u64,
                delay: syn.delay(i),
                available: config.delay_slots(),
            });
        }

        let n = config.neurons() as usize;
        let syn = net.synapses();
        let core_source = |s: u32| -> u32 {
            if s < net.num_axons() {
                s
            } else {
                config.axons() + (s - net.num_axons())
            }
        };

        // Synapse memory: reserved words, runs per source, fan-in lists.
        let mut words: Vec<u32> = vec![EMPTY_RUN as u32, EMPTY_FANIN as u32];
        let mut source = vec![0u32; config.sources() as usize];
        let mut weight_address = vec![0u32; syn.len()];
        let mut headers = Vec::with_capacity(net.num_sources() as usize);
        let overflow = |words: &Vec<u32>| words.len() as u64 > config.syn_words() as u64;
        for s in 0..net.num_sources() {
            let row = syn.row(s as usize);
            let (lo, hi) = (row.start, row.end);
            if lo == hi {
                headers.push(1);
                continue;
            }
            source[core_source(s) as usize] = words.len() as u32;
            let key = |i: usize| syn.kind(i);
            let mut i = lo;
            let mut count = 0u32;
            while i < hi {
                let mut j = i + 1;
                while j < hi && key(j) == key(i) && (j - i) < RUN_MAX as usize {
                    j += 1;
                }
                let flags = syn.flags(i);
                words.push(run_header(
                    syn.delay(i),
                    flags & FLAG_WEXP,
                    flags & FLAG_PLASTIC != 0,
                    j == hi,
                    (j - i) as u32,
                ) as u32);
                count += 1;
                let plastic = flags & FLAG_PLASTIC != 0;
                for (k, address) in weight_address.iter_mut().enumerate().take(j).skip(i) {
                    *address = words.len() as u32;
                    words.push(synapse_word(syn.target(k), syn.weight(k)));
                    if plastic {
                        words.push(fraction_word(0));
                    }
                }
                i = j;
                if overflow(&words) {
                    break;
                }
            }
            headers.push(count);
        }
        let mut fanin = vec![1u32; n];
        let mut fanin_words = 0u64;
        for (k, head) in fanin.iter_mut().enumerate().take(net.num_neurons() as usize) {
            let list = syn.fanin_of(k);
            if list.is_empty() {
                continue;
            }
            *head = words.len() as u32;
            words.push(list.len() as u32);
            for &(i, src) in list {
                words.push(weight_address[i as usize]);
                words.push(core_source(src));
            }
            fanin_words += 1 + 2 * list.len() as u64;
        }
        if overflow(&words) {
            let synapses = syn.len() as u64;
            let fractions = (0..syn.len()).filter(|&i| syn.plastic(i)).count() as u64;
            // Every source's runs (the layout above stops a source's at the
            // overflow).
            let headers: u64 = (0..syn.num_sources())
                .filter(|&s| !syn.row(s).is_empty())
                .map(|s| syn.run_headers(s))
                .sum();
            return Err(FitError::SynapseMemory {
                core: config.name,
                needed: RESERVED_WORDS as u64 + synapses + fractions + headers + fanin_words,
                synapses,
                fractions,
                headers,
                fanin: fanin_words,
                available: config.syn_words() as u64,
            });
        }

        // Neurons: state and parameters, field-major; inert beyond the network.
        let mut neuron = vec![0u16; field::COUNT as usize * n];
        let profiles = net.profiles();
        for k in 0..n {
            let mut set = |f: u16, x: u16| neuron[f as usize * n + k] = x;
            if k >= net.num_neurons() as usize {
                set(field::THETA, i16::MAX as u16);
                set(field::THRESHOLD, i16::MAX as u16);
                continue;
            }
            let p = profiles[net.neuron_profiles()[k] as usize];
            set(field::V, net.v_init()[k] as u16);
            set(field::THETA, p.theta_base as u16);
            set(field::DU, p.du_word());
            set(field::DV, p.dv);
            set(field::BIAS, p.bias as u16);
            set(field::V_RESET, p.v_reset as u16);
            set(field::THRESHOLD, p.theta_base as u16);
            set(field::THETA_INC, p.theta_inc as u16);
            set(field::THETA_DECAY, p.theta_decay);
            set(field::REFRACTORY, p.refractory as u16);
        }

        let mut ctrl = vec![0u16; ctrl::COUNT as usize];
        if let Some(r) = net.stdp() {
            ctrl[ctrl::LEARN as usize] = 1;
            ctrl[ctrl::PRE_DECAY as usize] = r.pre_decay;
            ctrl[ctrl::POST_DECAY as usize] = r.post_decay;
            ctrl[ctrl::PRE_BUMP as usize] = r.pre_bump as u16;
            ctrl[ctrl::POST_BUMP as usize] = r.post_bump as u16;
            ctrl[ctrl::A_PLUS as usize] = r.a_plus as u16;
            ctrl[ctrl::A_MINUS as usize] = r.a_minus as u16;
            ctrl[ctrl::LR_SHIFT as usize] = r.lr_shift as u16;
            ctrl[ctrl::W_MIN as usize] = r.w_min as u8 as u16;
            ctrl[ctrl::W_MAX as usize] = r.w_max as u8 as u16;
            ctrl[ctrl::LFSR as usize] = r.lfsr_seed;
            ctrl[ctrl::POST_DELAY as usize] = r.post_delay as u16;
        } else {
            // Any non-zero state; the LFSR only steps with learning on.
            ctrl[ctrl::LFSR as usize] = 1;
        }
        ctrl[ctrl::ROUNDING as usize] = (net.rounding() == Rounding::Dither) as u16;
        ctrl[ctrl::DITHER as usize] = dither::STATE_SEED;

        Ok(Image {
            config,
            ctrl,
            neuron,
            ring: vec![0; (config.delay_slots() * config.neurons()) as usize],
            source,
            fanin,
            x_pre: vec![0; config.sources() as usize],
            syn: words,
            weight_address,
            headers,
            net_axons: net.num_axons(),
        })
    }

    /// How the decays round: the `ROUNDING` register's bit 0.
    pub fn rounding(&self) -> Rounding {
        if self.ctrl[ctrl::ROUNDING as usize] & 1 == 1 {
            Rounding::Dither
        } else {
            Rounding::TowardZero
        }
    }

    /// Set the `DITHER` register to the dither state of the run's tick
    /// `tick`, for a run resumed there after a RESET (which clears the register).
    pub fn set_dither_tick(&mut self, tick: u32) {
        self.ctrl[ctrl::DITHER as usize] = match self.rounding() {
            Rounding::Dither => dither::state_at(tick),
            Rounding::TowardZero => dither::STATE_SEED,
        };
    }

    /// Every space with the words to write from address 0, in the order a
    /// host loads them: the 16-bit words of each, and on a wide core
    /// (`spikefab_proto::message::wide`) bits 16-17 of the `syn`, `source`
    /// and `fanin` words in their high spaces.
    pub fn spaces(&self) -> Vec<(Space, Vec<u16>)> {
        let mut out = vec![
            (Space::Ctrl, self.ctrl.clone()),
            (Space::Neuron, self.neuron.clone()),
            (Space::Ring, self.ring.clone()),
        ];
        let wide = self.is_wide();
        for (space, words) in [(Space::Source, &self.source), (Space::Fanin, &self.fanin)] {
            out.push((space, low_words(words)));
            if wide {
                out.push((space.high_part().expect("a pointer space has one"), high_words(words)));
            }
        }
        out.push((Space::XPre, self.x_pre.clone()));
        out.push((Space::Syn, low_words(&self.syn)));
        if wide {
            out.push((Space::SynHi, high_words(&self.syn)));
        }
        out
    }

    /// Whether the core is wide (18-bit `syn`, `source` and `fanin` words).
    pub fn is_wide(&self) -> bool {
        wide(self.config.neurons(), self.config.syn_words())
    }

    /// The core's source index of network source index `s`.
    pub fn core_source(&self, s: u32) -> u32 {
        if s < self.net_axons {
            s
        } else {
            self.config.axons() + (s - self.net_axons)
        }
    }
}

/// Bits 0-15 of each word.
fn low_words(words: &[u32]) -> Vec<u16> {
    words.iter().map(|&w| w as u16).collect()
}

/// Bits 16-17 of each word, in bits 0-1.
fn high_words(words: &[u32]) -> Vec<u16> {
    words.iter().map(|&w| (w >> 16) as u16).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikefab_sim::config::parse_toml;

    #[test]
    fn headers_match_the_cost_model() {
        let net = parse_toml(
            r#"
            [simulation]
            ticks = 1
            [[population]]
            name = "n"
            size = 8
            neuron = { threshold = 100 }
            [[input]]
            name = "in"
            size = 4
            [[projection]]
            from = "in"
            to = "n"
            connect = { rule = "all_to_all" }
            weight = { uniform = [-5, 5], seed = 3 }
            delay = { uniform = [1, 3], seed = 5 }
            wexp = 1
            "#,
            None,
        )
        .unwrap()
        .network;
        let img = Image::new(&net, CoreConfig::TINY).unwrap();
        for s in 0..net.num_sources() {
            assert_eq!(
                img.headers[s as usize] as u64,
                net.synapses().run_headers(s as usize),
                "source {s}"
            );
        }
        let nonempty: u64 = (0..net.num_sources() as usize)
            .filter(|&s| !net.synapses().row(s).is_empty())
            .map(|s| img.headers[s] as u64)
            .sum();
        assert_eq!(
            img.syn.len() as u64,
            RESERVED_WORDS as u64 + net.num_synapses() + nonempty
        );
    }

    /// A network of `config`'s size whose synapses come from as few sources
    /// as possible, in runs of 127 (one header each), axons first.
    fn packed(config: CoreConfig, synapses: u32) -> Network {
        use spikefab_sim::network::{NetworkBuilder, Source, SynapseSpec};
        let mut b = NetworkBuilder::new();
        let p = b.add_profile(Default::default());
        b.add_neurons(p, config.neurons(), |_| 0);
        b.add_axons(config.axons());
        for i in 0..synapses {
            let s = i / 127;
            b.add_synapse(SynapseSpec {
                source: if s < config.axons() {
                    Source::Axon(s)
                } else {
                    Source::Neuron(s - config.axons())
                },
                target: i % config.neurons(),
                weight: 1,
                wexp: 0,
                delay: 1,
                plastic: false,
            });
        }
        b.build().unwrap()
    }

    /// A wide core's image: targets past 255 in bits 8-17 of the synapse
    /// words, and bits 16-17 of `syn`, `source` and `fanin` in the high
    /// spaces; a narrow core's image has no high spaces.
    #[test]
    fn wide_words_split_into_their_high_spaces() {
        assert_eq!(synapse_word(1000, -2), 1000 << 8 | 0xFE);
        let c = CoreConfig::ECP5;
        let net = packed(c, 129_000);
        let img = Image::new(&net, c).unwrap();
        assert!(img.is_wide());
        let spaces = img.spaces();
        let names: Vec<Space> = spaces.iter().map(|(s, _)| *s).collect();
        assert_eq!(
            names,
            [
                Space::Ctrl,
                Space::Neuron,
                Space::Ring,
                Space::Source,
                Space::SourceHi,
                Space::Fanin,
                Space::FaninHi,
                Space::XPre,
                Space::Syn,
                Space::SynHi
            ]
        );
        let words = |space: Space| &spaces.iter().find(|(s, _)| *s == space).unwrap().1;
        for (low, high, whole) in [
            (Space::Syn, Space::SynHi, &img.syn),
            (Space::Source, Space::SourceHi, &img.source),
            (Space::Fanin, Space::FaninHi, &img.fanin),
        ] {
            let joined: Vec<u32> = words(low)
                .iter()
                .zip(words(high))
                .map(|(&l, &h)| (h as u32) << 16 | l as u32)
                .collect();
            assert_eq!(&joined, whole, "{low:?}");
            assert!(words(high).iter().all(|&h| h < 4), "{high:?}");
        }
        // Targets past 255 and sources past 65,535 words in are both there.
        assert!(words(Space::SynHi).contains(&3));
        assert!(img.source.iter().any(|&p| p > 0xFFFF));
        let narrow = Image::new(&packed(CoreConfig::TINY, 100), CoreConfig::TINY).unwrap();
        assert!(!narrow.is_wide());
        assert_eq!(narrow.spaces().len(), 7);
    }

    /// A network too big for a core is told the words it needs: as many as
    /// its image takes on a core it fits (plastic synapses with their
    /// fraction words and fan-in lists, every run header).
    #[test]
    fn the_words_a_network_needs_are_those_of_its_image() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
        let net = spikefab_sim::config::load(&dir.join("stdp_homeostasis.toml"))
            .unwrap()
            .network;
        let fits = Image::new(&net, CoreConfig::UP5K).unwrap();
        let plastic = (0..net.num_synapses() as usize)
            .filter(|&i| net.synapses().plastic(i))
            .count() as u64;
        assert!(plastic > 0);
        match Image::new(&net, CoreConfig::HX8K) {
            Err(FitError::SynapseMemory { needed, fractions, .. }) => {
                assert_eq!(needed, fits.syn.len() as u64);
                assert_eq!(fractions, plastic);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_most_synapses_of_the_spec_fit_and_one_more_does_not() {
        // docs/spec.md §8.1, "most synapses" (the UP5K's 65,022 spread over
        // all 512 sources is checked by the formula: 511 × 128 + 126 + 2).
        assert_eq!(511 * 128 + 126 + RESERVED_WORDS, CoreConfig::UP5K.syn_words());
        for (config, most) in [
            (CoreConfig::HX8K, 2_030),
            (CoreConfig::TINY, 4_062),
            (CoreConfig::ECP5, 130_046),
        ] {
            let img = Image::new(&packed(config, most), config).unwrap();
            assert!(img.syn.len() <= config.syn_words() as usize, "{}", config.name);
            let e = Image::new(&packed(config, most + 1), config).unwrap_err().to_string();
            let needed = format!("needs {} synapse-memory words", config.syn_words() + 1);
            assert!(e.contains(&needed), "{}: {e}", config.name);
        }
    }
}
