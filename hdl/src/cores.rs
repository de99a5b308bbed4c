//! The RTL core of every configuration in `spikefab_chip`'s registry
//! ([`spikefab_chip::for_each_core`]): a type alias of [`Core`] per entry
//! ([`Up5kCore`], [`Hx8kCore`], [`Ecp5Core`], [`TinyCore`]) and [`visit`], which runs code
//! generic over the core's widths on the core of a configuration value.
//! Nothing here names a configuration by hand.

use spikefab_chip::config::{cell_bits, high_bits, source_bits, CoreConfig};

use crate::core::Core;

/// Code generic over a core's address widths (the parameters of [`Core`]),
/// run by [`visit`] on the widths of a configuration.
pub trait CoreVisitor {
    /// What the code returns.
    type Output;
    /// Run on the core `Core<NB, MB, DB, SB, SRCB, RB, AB, XB>`.
    fn visit<
        const NB: usize,
        const MB: usize,
        const DB: usize,
        const SB: usize,
        const SRCB: usize,
        const RB: usize,
        const AB: usize,
        const XB: usize,
    >(
        self,
    ) -> Self::Output;
}

macro_rules! core_types {
    ($( $(#[$doc:meta])* $konst:ident $alias:ident $name:literal {
        neuron_bits: $nb:literal, axon_bits: $mb:literal, slot_bits: $db:literal, syn_bits: $sb:literal,
        device: $dev:ident
    } )*) => {
        $(
            $(#[$doc])*
            pub type $alias = Core<
                $nb,
                $mb,
                $db,
                $sb,
                { source_bits($nb, $mb) as usize },
                { $nb + $db },
                { cell_bits($sb) as usize },
                { high_bits($nb, $sb) as usize },
            >;
        )*

        /// Run `visitor` on the RTL core of `config`: `None` if the registry
        /// has no entry with its sizes (a `custom` chip's INFO).
        pub fn visit<V: CoreVisitor>(config: CoreConfig, visitor: V) -> Option<V::Output> {
            $(
                if config.same_sizes(&CoreConfig::$konst) {
                    return Some(visitor.visit::<
                        $nb,
                        $mb,
                        $db,
                        $sb,
                        { source_bits($nb, $mb) as usize },
                        { $nb + $db },
                        { cell_bits($sb) as usize },
                        { high_bits($nb, $sb) as usize },
                    >());
                }
            )*
            None
        }
    };
}

spikefab_chip::for_each_core!(core_types);
