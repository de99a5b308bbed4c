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
    /// Fixed cost at the start of a tick (slot select, counters).
    pub tick_start: u32,
    /// Fixed cost of the neuron pipeline (fill and drain), once per tick.
    pub neuron_fill: u32,
    /// Per neuron of the core, every tick (the neuron phase visits all N).
    pub neuron: u32,
    /// Per routed spike (input axon or neuron): list read and source-table lookup.
    pub route: u32,
    /// Per run header read while routing (spec §8.3: a source's synapses are
    /// stored as runs of equal delay, exponent and plasticity).
    pub run: u32,
    /// Per synapse visited while routing.
    pub synapse: u32,
    /// Extra per plastic synapse visited while routing, learning on (depression write-back).
    pub depress: u32,
    /// Per neuron spike, learning on: fan-in list lookup.
    pub fanin: u32,
    /// Per plastic fan-in synapse of a spiking neuron, learning on.
    pub potentiate: u32,
    /// Per spiking neuron whose spike does not meet its synapses in the
    /// tick (a post delay, spec §5.3), learning on: its spike-list entry
    /// read and passed over.
    pub skip: u32,
    /// Per source (M + N) in the trace phase, learning on: the decay pass.
    pub trace: u32,
    /// Once per tick, learning on: the decay pass's pipeline drain.
    pub trace_fill: u32,
    /// Per spiking source (input axon or neuron) in the trace phase, learning on: the bump.
    pub bump: u32,
    /// Fixed cost at the end of a tick.
    pub tick_end: u32,
}

/// The longest run of synapses one run header describes (spec §8.3).
pub const RUN_MAX: u32 = 127;

/// Number of run headers that store a source's synapses, given the key
/// `(delay, wexp, plastic)` of each synapse in canonical order (spec §8.3):
/// one header per maximal run of equal keys, runs longer than [`RUN_MAX`]
/// split, and one (empty) header for a source without synapses.
pub fn run_headers<K: PartialEq>(keys: impl IntoIterator<Item = K>) -> u64 {
    let mut headers = 0u64;
    let mut prev: Option<K> = None;
    let mut len = 0u32;
    for k in keys {
        if prev.as_ref() != Some(&k) || len == RUN_MAX {
            headers += 1;
            len = 0;
        }
        len += 1;
        prev = Some(k);
    }
    headers.max(1)
}

impl CycleCosts {
    /// The costs of Spikefab core v1 (spec §7.2).
    pub const CORE_V1: CycleCosts = CycleCosts {
        tick_start: 2,
        neuron_fill: 4,
        neuron: 1,
        route: 3,
        run: 1,
        synapse: 1,
        depress: 4,
        fanin: 4,
        potentiate: 7,
        skip: 2,
        trace: 1,
        trace_fill: 1,
        bump: 3,
        tick_end: 2,
    };

    /// Cycles from the start of a tick to the start of the routing phase.
    #[inline]
    pub fn before_routing(&self, core: &CoreShape) -> u64 {
        self.tick_start as u64 + self.neuron_fill as u64 + self.neuron as u64 * core.neurons as u64
    }

    /// Cycles to route one spike whose synapses are stored under `headers`
    /// run headers: `synapses` synapses, `plastic` of them plastic.
    #[inline]
    pub fn route_cost(&self, headers: u64, synapses: u64, plastic: u64, learning: bool) -> u64 {
        let depress = if learning { self.depress as u64 * plastic } else { 0 };
        self.route as u64 + self.run as u64 * headers + self.synapse as u64 * synapses + depress
    }

    /// Cycles of potentiation for one arriving neuron (spec §5.3) with
    /// `fanin` plastic inputs.
    #[inline]
    pub fn potentiation_cost(&self, fanin: u64) -> u64 {
        self.fanin as u64 + self.potentiate as u64 * fanin
    }

    /// Cycles the potentiation phase spends passing over `skipped` spiking
    /// neurons whose spikes do not arrive in the tick.
    #[inline]
    pub fn skip_cost(&self, skipped: u64) -> u64 {
        self.skip as u64 * skipped
    }

    /// Cycles of the trace phase (with `spikers` spiking sources: input axons
    /// and neurons) and the end of the tick.
    #[inline]
    pub fn after_learning(&self, core: &CoreShape, learning: bool, spikers: u64) -> u64 {
        let traces = if learning {
            self.trace as u64 * (core.neurons as u64 + core.axons as u64)
                + self.trace_fill as u64
                + self.bump as u64 * spikers
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
        assert_eq!(c.route_cost(2, 10, 4, true), 3 + 2 + 10 + 16);
        assert_eq!(c.route_cost(2, 10, 4, false), 3 + 2 + 10);
        assert_eq!(c.potentiation_cost(5), 4 + 35);
        assert_eq!(c.skip_cost(3), 6);
        assert_eq!(c.after_learning(&core, true, 3), 512 + 1 + 9 + 2);
        assert_eq!(c.after_learning(&core, false, 3), 2);
    }

    #[test]
    fn run_headers_by_hand() {
        assert_eq!(run_headers(std::iter::empty::<u8>()), 1);
        assert_eq!(run_headers([1, 1, 2, 2, 1]), 3);
        assert_eq!(run_headers(std::iter::repeat_n(0, 127)), 1);
        assert_eq!(run_headers(std::iter::repeat_n(0, 128)), 2);
        assert_eq!(run_headers(std::iter::repeat_n(0, 255)), 3);
    }
}
