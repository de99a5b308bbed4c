//! The random networks each core configuration is tested with (the reference
//! generator's bounds); a test that needs shorter runs takes these with fewer
//! `ticks`.

use crate::reference::generate::Limits;

/// Networks that fit the tiny core (16 neurons, 16 axons, D = 8).
pub const TINY_LIMITS: Limits = Limits {
    neurons: 16,
    axons: 16,
    max_delay: 8,
    synapses: 120,
    ticks: 40,
};

/// Networks that use the HX8K core's wider addresses.
pub const HX8K_LIMITS: Limits = Limits {
    neurons: 128,
    axons: 128,
    max_delay: 8,
    synapses: 400,
    ticks: 24,
};

/// Networks that use the UP5K core's addresses (sources past 255).
pub const UP5K_LIMITS: Limits = Limits {
    neurons: 256,
    axons: 256,
    max_delay: 8,
    synapses: 1500,
    ticks: 24,
};

/// Networks that use the ECP5 core's 16 delay slots and its wide words
/// (targets past 255, sources past 1,023).
pub const ECP5_LIMITS: Limits = Limits {
    neurons: 1024,
    axons: 1024,
    max_delay: 16,
    synapses: 3000,
    ticks: 40,
};
