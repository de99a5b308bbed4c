//! Core configurations (`docs/spec.md` §8.1): the sizes one RTL core is built
//! with, in one registry ([`for_each_core!`](crate::for_each_core)). The RTL
//! block (`spikefab_hdl::core::Core`) takes them as address widths; its type
//! aliases, the engines, the board tops, the CLI's `--core` choices and
//! `spikefab-sim`'s [`CoreShape`] all come from the registry, so adding a
//! configuration is one edit there.

use spikefab_sim::{CoreShape, Network, SimError, SimOptions, Simulator};

use crate::device::Device;

/// The registry of core configurations: calls the macro `$callback` with one
/// entry per configuration, as
/// `CONST TypeAlias "name" { neuron_bits, axon_bits, slot_bits, syn_bits, device }`
/// (each preceded by its doc comment). [`CoreConfig`]'s constants and
/// [`CoreConfig::KNOWN`] are made from it here, `spikefab-hdl`'s core type
/// aliases and its engines' dispatch there; adding a configuration is adding
/// an entry (and a board for it, if it has one, in [`crate::board`]).
#[macro_export]
macro_rules! for_each_core {
    ($callback:ident) => {
        $callback! {
            /// The iCE40 UP5K core: 256 neurons, 256 axons, D = 8, 65,536 words in SPRAM.
            UP5K Up5kCore "up5k" {
                neuron_bits: 8, axon_bits: 8, slot_bits: 3, syn_bits: 16, device: UP5K_SG48
            }
            /// The iCE40 HX8K core: 128 neurons, 128 axons, D = 8, 2,048 words in
            /// block RAM (the HX8K has no SPRAM and no DSP; its multipliers are LUTs).
            HX8K Hx8kCore "hx8k" {
                neuron_bits: 7, axon_bits: 7, slot_bits: 3, syn_bits: 11, device: HX8K_CT256
            }
            /// The ECP5 core (ULX3S, LFE5U-85F): 1,024 neurons, 1,024 axons, D = 16,
            /// 131,072 words of 18 bits (a wide core), every memory in block RAM (DP16KD).
            ECP5 Ecp5Core "ecp5" {
                neuron_bits: 10, axon_bits: 10, slot_bits: 4, syn_bits: 17, device: LFE5U_85F_CABGA381
            }
            /// A small core for fast tests: 16 neurons, 16 axons, D = 8, 4,096 words
            /// (synthesized for the UP5K).
            TINY TinyCore "tiny" {
                neuron_bits: 4, axon_bits: 4, slot_bits: 3, syn_bits: 12, device: UP5K_SG48
            }
        }
    };
}

/// Whether the core is wide (`spikefab_proto::message::wide`): more than 256
/// neurons or 65,536 synapse words, so 18-bit `syn`, `source` and `fanin` words.
pub const fn is_wide(neuron_bits: u32, syn_bits: u32) -> bool {
    spikefab_proto::message::wide(1 << neuron_bits, 1 << syn_bits)
}

/// The width of a host address into the core's spaces: 16 bits, or the
/// synapse memory's address width where that is wider.
pub const fn cell_bits(syn_bits: u32) -> u32 {
    if syn_bits > 16 {
        syn_bits
    } else {
        16
    }
}

/// The address width of the memory holding bits 16-17 of the synapse words:
/// the synapse memory's on a wide core, else 1 (two words that are never
/// written, which synthesis removes).
pub const fn high_bits(neuron_bits: u32, syn_bits: u32) -> u32 {
    if is_wide(neuron_bits, syn_bits) {
        syn_bits
    } else {
        1
    }
}

/// Largest log2 N: a wide synapse word's target has 10 bits.
pub const MAX_NEURON_BITS: u32 = 10;
/// Largest log2 S: pointers have 18 bits.
pub const MAX_SYN_BITS: u32 = 18;

/// log2 of the source count M + N rounded up to a power of two: the width
/// of a source index (axons first, then neurons).
pub const fn source_bits(neuron_bits: u32, axon_bits: u32) -> u32 {
    if neuron_bits > axon_bits {
        neuron_bits + 1
    } else {
        axon_bits + 1
    }
}

/// The sizes of one core: N neurons, M axons, D delay slots (all powers of
/// two) and S synapse-memory words, and the part it is synthesized for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CoreConfig {
    /// Name (`up5k`, `hx8k`, `tiny`; `custom` for sizes no entry has).
    pub name: &'static str,
    /// log2 N.
    pub neuron_bits: u32,
    /// log2 M.
    pub axon_bits: u32,
    /// log2 D.
    pub slot_bits: u32,
    /// log2 S.
    pub syn_bits: u32,
    /// The iCE40 part the core is synthesized for (netlists, reports).
    pub device: Device,
}

macro_rules! known_configs {
    ($( $(#[$doc:meta])* $konst:ident $alias:ident $name:literal {
        neuron_bits: $nb:literal, axon_bits: $mb:literal, slot_bits: $db:literal, syn_bits: $sb:literal,
        device: $dev:ident
    } )*) => {
        impl CoreConfig {
            $(
                $(#[$doc])*
                pub const $konst: CoreConfig = CoreConfig {
                    name: $name,
                    neuron_bits: $nb,
                    axon_bits: $mb,
                    slot_bits: $db,
                    syn_bits: $sb,
                    device: Device::$dev,
                };
            )*

            /// Every configuration of the registry, in its order.
            pub const KNOWN: &'static [CoreConfig] = &[$(CoreConfig::$konst),*];
        }
        $(
            const _: () = assert!(
                $nb <= MAX_NEURON_BITS && $mb <= MAX_NEURON_BITS && $db <= 4 && $sb <= MAX_SYN_BITS,
                "a registry entry passes the core's limits (docs/spec.md §8.1)"
            );
        )*
    };
}

for_each_core!(known_configs);

impl CoreConfig {
    /// The configuration with these sizes (a chip's INFO answer): a known one
    /// by name, else `custom` (synthesized, if ever, for the UP5K); `None`
    /// unless every size is a power of two.
    pub fn from_sizes(neurons: u32, axons: u32, delay_slots: u32, syn_words: u32) -> Option<CoreConfig> {
        let bits = |x: u32| x.is_power_of_two().then(|| x.trailing_zeros());
        let c = CoreConfig {
            name: "custom",
            neuron_bits: bits(neurons)?,
            axon_bits: bits(axons)?,
            slot_bits: bits(delay_slots)?,
            syn_bits: bits(syn_words)?,
            device: Device::UP5K_SG48,
        };
        Some(Self::KNOWN.iter().copied().find(|k| k.same_sizes(&c)).unwrap_or(c))
    }

    /// The known configuration called `name`.
    pub fn by_name(name: &str) -> Option<CoreConfig> {
        Self::KNOWN.iter().copied().find(|k| k.name == name)
    }

    /// The known configurations' names (`up5k, hx8k, ecp5 and tiny`), for messages.
    pub fn known_names() -> String {
        let names: Vec<&str> = Self::KNOWN.iter().map(|k| k.name).collect();
        match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => names.concat(),
        }
    }

    /// Whether `other` has the same sizes (whatever its name and part).
    pub fn same_sizes(&self, other: &CoreConfig) -> bool {
        (self.neuron_bits, self.axon_bits, self.slot_bits, self.syn_bits)
            == (other.neuron_bits, other.axon_bits, other.slot_bits, other.syn_bits)
    }

    /// log2 of the source-index range ([`source_bits`]).
    pub fn source_bits(&self) -> u32 {
        source_bits(self.neuron_bits, self.axon_bits)
    }

    /// The sizes and part in a line (`256 neurons, 256 axons, D = 8, 65,536
    /// synapse words; iCE40UP5K-SG48`), for help texts.
    pub fn summary(&self) -> String {
        format!(
            "{} neurons, {} axons, D = {}, {} synapse words; {}",
            self.neurons(),
            self.axons(),
            self.delay_slots(),
            thousands(self.syn_words()),
            self.device.name
        )
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

/// `n` with a comma every three digits.
fn thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_name_their_configuration() {
        assert_eq!(CoreConfig::from_sizes(256, 256, 8, 65_536), Some(CoreConfig::UP5K));
        assert_eq!(CoreConfig::from_sizes(16, 16, 8, 4096), Some(CoreConfig::TINY));
        let odd = CoreConfig::from_sizes(32, 64, 4, 1024).unwrap();
        assert_eq!(
            (odd.name, odd.neurons(), odd.axons(), odd.source_bits()),
            ("custom", 32, 64, 7)
        );
        assert_eq!(CoreConfig::from_sizes(100, 16, 8, 4096), None);
    }

    #[test]
    fn texts_for_people() {
        assert_eq!(
            CoreConfig::UP5K.summary(),
            "256 neurons, 256 axons, D = 8, 65,536 synapse words; iCE40UP5K-SG48"
        );
        assert_eq!(
            CoreConfig::HX8K.summary(),
            "128 neurons, 128 axons, D = 8, 2,048 synapse words; iCE40HX8K-CT256"
        );
        assert_eq!(CoreConfig::known_names(), "up5k, hx8k, ecp5 and tiny");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
