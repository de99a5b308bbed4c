//! Core configurations (`docs/spec.md` §8.1): the sizes one RTL core is built
//! with. The RTL block [`crate::core::Core`] takes them as address widths; this
//! is where the widths and the counts are tied together.

use spikefab_sim::{CoreShape, Network, SimError, SimOptions, Simulator};

use crate::report::Device;

/// The sizes of one core: N neurons, M axons, D delay slots (all powers of
/// two) and S synapse-memory words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CoreConfig {
    /// Name (`up5k`, `hx8k`, `tiny`).
    pub name: &'static str,
    /// log2 N.
    pub neuron_bits: u32,
    /// log2 M.
    pub axon_bits: u32,
    /// log2 D.
    pub slot_bits: u32,
    /// log2 S.
    pub syn_bits: u32,
}

impl CoreConfig {
    /// The iCE40 UP5K core: 256 neurons, 256 axons, D = 8, 65,536 words in SPRAM.
    pub const UP5K: CoreConfig = CoreConfig {
        name: "up5k",
        neuron_bits: 8,
        axon_bits: 8,
        slot_bits: 3,
        syn_bits: 16,
    };

    /// The iCE40 HX8K core: 128 neurons, 128 axons, D = 8, 2,048 words in
    /// block RAM (the HX8K has no SPRAM and no DSP; its multipliers are LUTs).
    pub const HX8K: CoreConfig = CoreConfig {
        name: "hx8k",
        neuron_bits: 7,
        axon_bits: 7,
        slot_bits: 3,
        syn_bits: 11,
    };

    /// A small core for fast tests: 16 neurons, 16 axons, D = 8, 4,096 words.
    pub const TINY: CoreConfig = CoreConfig {
        name: "tiny",
        neuron_bits: 4,
        axon_bits: 4,
        slot_bits: 3,
        syn_bits: 12,
    };

    /// The configurations this crate builds.
    pub const KNOWN: [CoreConfig; 3] = [CoreConfig::UP5K, CoreConfig::HX8K, CoreConfig::TINY];

    /// The configuration with these sizes (a chip's INFO answer): a known one
    /// by name, else `custom`; `None` unless every size is a power of two.
    pub fn from_sizes(neurons: u32, axons: u32, delay_slots: u32, syn_words: u32) -> Option<CoreConfig> {
        let bits = |x: u32| x.is_power_of_two().then(|| x.trailing_zeros());
        let c = CoreConfig {
            name: "custom",
            neuron_bits: bits(neurons)?,
            axon_bits: bits(axons)?,
            slot_bits: bits(delay_slots)?,
            syn_bits: bits(syn_words)?,
        };
        Some(
            Self::KNOWN
                .into_iter()
                .find(|k| CoreConfig { name: "custom", ..*k } == c)
                .unwrap_or(c),
        )
    }

    /// The known configuration called `name`.
    pub fn by_name(name: &str) -> Option<CoreConfig> {
        Self::KNOWN.into_iter().find(|k| k.name == name)
    }

    /// Neurons N.
    pub fn neurons(&self) -> u32 {
        1 << self.neuron_bits
    }

    /// Input axons M.
    pub fn axons(&self) -> u32 {
        1 << self.axon_bits
    }

    /// Delay slots D (delays 1..=D).
    pub fn delay_slots(&self) -> u32 {
        1 << self.slot_bits
    }

    /// Synapse-memory words S.
    pub fn syn_words(&self) -> u32 {
        1 << self.syn_bits
    }

    /// Sources M + N.
    pub fn sources(&self) -> u32 {
        self.axons() + self.neurons()
    }

    /// The iCE40 part the core is synthesized for: the UP5K for `up5k` and
    /// for the test core `tiny`, the HX8K for `hx8k`.
    pub fn device(&self) -> Device {
        if *self == CoreConfig::HX8K {
            Device::HX8K_CT256
        } else {
            Device::UP5K_SG48
        }
    }

    /// The shape `spikefab-sim` predicts cycles for (its synapse count is the
    /// memory's word count; [`crate::image`] checks the real fit).
    pub fn shape(&self) -> CoreShape {
        CoreShape {
            neurons: self.neurons(),
            axons: self.axons(),
            delay_slots: self.delay_slots(),
            synapses: self.syn_words() as u64,
        }
    }

    /// The golden model of `net` predicting this core's busy cycles (the
    /// simulator every comparison of a chip with `sim/` runs beside it).
    pub fn simulator<'n>(&self, net: &'n Network) -> Result<Simulator<'n>, SimError> {
        Simulator::new(
            net,
            SimOptions {
                core: Some(self.shape()),
                ..SimOptions::default()
            },
        )
    }
}
