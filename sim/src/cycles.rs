//! The chip's busy-cycle cost model (`docs/spec.md` §7).
//!
//! The RTL's tick controller obeys these costs exactly; `sim/` predicts from
//! them the busy cycle at which each output spike leaves the core. The busy
//! counter advances only while the core executes a tick, so waiting for the
//! host (or on a full output FIFO) never shows in it.

use serde::{Deserialize, Serialize};

/// Cycles per unit of work. One table describes one core implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CycleCosts {
    /// Fixed cost at the start of a tick (command decode, slot select).
    pub tick_start: u32,
    /// Fixed cost of the neuron pipeline (fill and drain), once per tick.
    pub neuron_fill: u32,
    /// Per neuron of the core, every tick (the neuron phase visits all N).
    pub neuron: u32,
    /// Per routed spike (input axon or neuron): source-table lookup.
    pub route: u32,
    /// Per synapse visited while routing.
    pub synapse: u32,
    /// Extra per plastic synapse visited while routing, learning on (depression write-back).
    pub depress: u32,
    /// Per neuron spike, learning on: fan-in (reverse index) lookup.
    pub fanin: u32,
    /// Per plastic fan-in synapse of a spiking neuron, learning on.
    pub potentiate: u32,
    /// Per source (M + N) in the trace phase, learning on.
    pub trace: u32,
    /// Fixed cost at the end of a tick (tick-done event).
    pub tick_end: u32,
}

impl CycleCosts {
    /// The costs of Spikefab core v1 (spec §7.2).
    pub const CORE_V1: CycleCosts = CycleCosts {
        tick_start: 2,
        neuron_fill: 4,
        neuron: 1,
        route: 2,
        synapse: 1,
        depress: 2,
        fanin: 2,
        potentiate: 3,
        trace: 1,
        tick_end: 2,
    };

    /// Cycles from the start of a tick to the start of the routing phase.
    #[inline]
    pub fn before_routing(&self, core: &CoreShape) -> u64 {
        self.tick_start as u64 + self.neuron_fill as u64 + self.neuron as u64 * core.neurons as u64
    }

    /// Cycles to route one spike over `synapses` synapses, `plastic` of them plastic.
    #[inline]
    pub fn route_cost(&self, synapses: u64, plastic: u64, learning: bool) -> u64 {
        let depress = if learning { self.depress as u64 * plastic } else { 0 };
        self.route as u64 + self.synapse as u64 * synapses + depress
    }

    /// Cycles of potentiation for one spiking neuron with `fanin` plastic inputs.
    #[inline]
    pub fn potentiation_cost(&self, fanin: u64) -> u64 {
        self.fanin as u64 + self.potentiate as u64 * fanin
    }

    /// Cycles of the trace phase and the end of the tick.
    #[inline]
    pub fn after_learning(&self, core: &CoreShape, learning: bool) -> u64 {
        let traces = if learning {
            self.trace as u64 * (core.neurons as u64 + core.axons as u64)
        } else {
            0
        };
        traces + self.tick_end as u64
    }
}

impl Default for CycleCosts {
    fn default() -> Self {
        CycleCosts::CORE_V1
    }
}

/// The size of a core (spec §7.1): what the per-tick costs scale with. A
/// network may use fewer neurons and axons than its core has; the neuron and
/// trace phases still visit all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CoreShape {
    /// Neurons N.
    pub neurons: u32,
    /// Input axons M.
    pub axons: u32,
    /// Delay slots D: synaptic delays are 1..=D.
    pub delay_slots: u32,
    /// Synapse capacity S.
    pub synapses: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_by_hand() {
        let c = CycleCosts::CORE_V1;
        let core = CoreShape {
            neurons: 256,
            axons: 256,
            delay_slots: 16,
            synapses: 65536,
        };
        assert_eq!(c.before_routing(&core), 2 + 4 + 256);
        assert_eq!(c.route_cost(10, 4, true), 2 + 10 + 8);
        assert_eq!(c.route_cost(10, 4, false), 2 + 10);
        assert_eq!(c.potentiation_cost(5), 2 + 15);
        assert_eq!(c.after_learning(&core, true), 512 + 2);
        assert_eq!(c.after_learning(&core, false), 2);
    }
}
