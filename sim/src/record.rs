//! What a run records: output spikes with their predicted busy cycle, probed
//! state variables, run statistics and full state dumps.

use serde::{Deserialize, Serialize};

/// One output spike: neuron `neuron` fired in tick `tick`; the core starts
/// routing it at busy cycle `cycle` (spec §7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SpikeEvent {
    /// Tick of the spike.
    pub tick: u32,
    /// Busy cycle at which its routing starts.
    pub cycle: u64,
    /// Neuron index.
    pub neuron: u32,
}

/// A 64-bit FNV-1a digest of a spike train: each spike's tick (4 bytes),
/// neuron (4) and cycle (8), little-endian, in order. Two runs with equal
/// digests produced, for all practical purposes, the same spikes; the value
/// does not depend on platform or compiler version.
pub fn spike_digest(spikes: &[SpikeEvent]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = OFFSET;
    for s in spikes {
        let bytes = s
            .tick
            .to_le_bytes()
            .into_iter()
            .chain(s.neuron.to_le_bytes())
            .chain(s.cycle.to_le_bytes());
        for b in bytes {
            h = (h ^ b as u64).wrapping_mul(PRIME);
        }
    }
    h
}

/// A state variable that can be probed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Var {
    /// Synaptic current u.
    U,
    /// Membrane v.
    V,
    /// Threshold θ.
    Theta,
    /// Refractory ticks left.
    Refractory,
    /// Presynaptic trace of the neuron (as a source).
    XPre,
    /// Postsynaptic trace of the neuron.
    XPost,
}

impl Var {
    /// All variables, in the order of [`Var::name`].
    pub const ALL: [Var; 6] = [Var::U, Var::V, Var::Theta, Var::Refractory, Var::XPre, Var::XPost];

    /// The name used in network files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Var::U => "u",
            Var::V => "v",
            Var::Theta => "theta",
            Var::Refractory => "refractory",
            Var::XPre => "x_pre",
            Var::XPost => "x_post",
        }
    }

    /// Parse a name of [`Var::name`].
    pub fn from_name(s: &str) -> Option<Var> {
        Var::ALL.into_iter().find(|v| v.name() == s)
    }
}

/// The weights of some synapses, sampled at the end of every `every`-th
/// tick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightTrace {
    /// The synapses, by canonical index.
    pub synapses: Vec<u64>,
    /// Ticks between two samples.
    pub every: u32,
    /// The ticks sampled (the tick counter after each: `every`, `2 every`, ...).
    pub ticks: Vec<u32>,
    /// `values[k * synapses.len() + j]`: synapse `j`'s weight at sample `k`.
    pub values: Vec<i8>,
}

/// One probed variable of one neuron: its value at the end of every tick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeTrace {
    /// Neuron index.
    pub neuron: u32,
    /// Variable.
    pub var: Var,
    /// Value at the end of each recorded tick.
    pub values: Vec<i32>,
}

/// Counters of the work a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RunStats {
    /// Ticks executed.
    pub ticks: u64,
    /// Neuron spikes.
    pub spikes: u64,
    /// Input-axon spikes routed.
    pub input_spikes: u64,
    /// Synapses visited while routing (synaptic events).
    pub synaptic_events: u64,
    /// Neuron updates actually computed (fewer than ticks × N when quiescent
    /// neurons are skipped).
    pub neuron_updates: u64,
    /// Plastic weight updates (depressions + potentiations).
    pub weight_updates: u64,
}

/// The full state of a simulated core at the end of a tick: what the chip's
/// state dump returns, and what equivalence tests compare.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StateDump {
    /// Ticks executed so far.
    pub ticks: u32,
    /// Busy cycles so far.
    pub cycle: u64,
    /// u of each neuron.
    pub u: Vec<i16>,
    /// v of each neuron.
    pub v: Vec<i16>,
    /// θ of each neuron.
    pub theta: Vec<i16>,
    /// Refractory counter of each neuron.
    pub refractory: Vec<u8>,
    /// x_pre of each source (axons, then neurons); empty when learning is off.
    pub x_pre: Vec<u16>,
    /// x_post of each neuron; empty when learning is off.
    pub x_post: Vec<u16>,
    /// Each neuron's spikes of the last 12 ticks (spec §5.3): bit `i` set
    /// when it fired in tick `ticks - 1 - i`; empty when learning is off.
    pub post_history: Vec<u16>,
    /// Weight of each synapse, canonical order.
    pub weights: Vec<i8>,
    /// Weight fraction of each synapse, canonical order (spec §5.3: a
    /// plastic synapse's fine weight is `256 × weight + fraction`; 0 for a
    /// fixed one); empty when learning is off or without the weights.
    pub weight_fractions: Vec<i8>,
    /// Learning LFSR state (0 when learning is off).
    pub lfsr: u16,
    /// The delay ring (spec §4.3) in time order: `ring[j × N + n]` is the
    /// input neuron `n` receives in tick `ticks + j`, for j in 0..D (D the
    /// delay slots of the core the run is for; N the network's neurons).
    pub ring: Vec<i16>,
}

/// Where two runs first disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Divergence {
    /// Tick of the first difference (for a state difference: ticks executed).
    pub tick: u32,
    /// Busy cycle (of the left run) at the difference.
    pub cycle: u64,
    /// Neuron, source or synapse index the field belongs to.
    pub index: u64,
    /// Which field differs.
    pub field: &'static str,
    /// Left value.
    pub left: String,
    /// Right value.
    pub right: String,
}

impl std::fmt::Display for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "first divergence at tick {}, cycle {}: {}[{}] = {} vs {}",
            self.tick, self.cycle, self.field, self.index, self.left, self.right
        )
    }
}

/// The first difference between two spike lists (ordered by tick, then
/// neuron), naming tick, cycle, neuron and both values.
pub fn first_spike_divergence(left: &[SpikeEvent], right: &[SpikeEvent]) -> Option<Divergence> {
    let show = |e: Option<&SpikeEvent>| match e {
        Some(e) => format!("spike(tick {}, neuron {}, cycle {})", e.tick, e.neuron, e.cycle),
        None => "no spike".to_string(),
    };
    let n = left.len().max(right.len());
    (0..n).find_map(|i| {
        let (a, b) = (left.get(i), right.get(i));
        if a == b {
            return None;
        }
        let at = match (a, b) {
            (Some(x), Some(y)) => x.min(y),
            (Some(x), None) | (None, Some(x)) => x,
            (None, None) => unreachable!(),
        };
        Some(Divergence {
            tick: at.tick,
            cycle: at.cycle,
            index: at.neuron as u64,
            field: "spike",
            left: show(a),
            right: show(b),
        })
    })
}

impl StateDump {
    /// The first field that differs from `other`, in the order ticks, cycle,
    /// u, v, theta, refractory, x_pre, x_post, post_history, weights, weight fractions, lfsr, ring. A ring
    /// cell's index is `j × N + n` (input due to neuron `n` in `j` ticks).
    pub fn first_divergence(&self, other: &StateDump) -> Option<Divergence> {
        let at = |field, index: u64, left: String, right: String| Divergence {
            tick: self.ticks,
            cycle: self.cycle,
            index,
            field,
            left,
            right,
        };
        /// (index, left, right) of the first difference.
        type Diff = Option<(u64, String, String)>;
        fn vec_diff<T: PartialEq + ToString>(a: &[T], b: &[T]) -> Diff {
            if a.len() != b.len() {
                return Some((0, format!("{} entries", a.len()), format!("{} entries", b.len())));
            }
            a.iter()
                .zip(b)
                .position(|(x, y)| x != y)
                .map(|i| (i as u64, a[i].to_string(), b[i].to_string()))
        }
        if self.ticks != other.ticks {
            return Some(at("ticks", 0, self.ticks.to_string(), other.ticks.to_string()));
        }
        if self.cycle != other.cycle {
            return Some(at("cycle", 0, self.cycle.to_string(), other.cycle.to_string()));
        }
        let fields: [(&'static str, Diff); 11] = [
            ("u", vec_diff(&self.u, &other.u)),
            ("v", vec_diff(&self.v, &other.v)),
            ("theta", vec_diff(&self.theta, &other.theta)),
            ("refractory", vec_diff(&self.refractory, &other.refractory)),
            ("x_pre", vec_diff(&self.x_pre, &other.x_pre)),
            ("x_post", vec_diff(&self.x_post, &other.x_post)),
            ("post_history", vec_diff(&self.post_history, &other.post_history)),
            ("weight", vec_diff(&self.weights, &other.weights)),
            (
                "weight_fraction",
                vec_diff(&self.weight_fractions, &other.weight_fractions),
            ),
            (
                "lfsr",
                (self.lfsr != other.lfsr).then(|| (0, format!("{:#06x}", self.lfsr), format!("{:#06x}", other.lfsr))),
            ),
            ("ring", vec_diff(&self.ring, &other.ring)),
        ];
        fields
            .into_iter()
            .find_map(|(field, d)| d.map(|(i, l, r)| at(field, i, l, r)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spike_digest_known_values() {
        // FNV-1a of no bytes is the offset basis.
        assert_eq!(spike_digest(&[]), 0xcbf2_9ce4_8422_2325);
        let a = SpikeEvent {
            tick: 1,
            cycle: 2,
            neuron: 3,
        };
        let b = SpikeEvent {
            tick: 1,
            cycle: 2,
            neuron: 4,
        };
        assert_ne!(spike_digest(&[a]), spike_digest(&[b]));
        assert_ne!(spike_digest(&[a, b]), spike_digest(&[b, a]));
        assert_eq!(spike_digest(&[a, b]), spike_digest(&[a, b]));
    }

    #[test]
    fn spike_divergence_names_tick_neuron_cycle() {
        let a = [
            SpikeEvent {
                tick: 1,
                cycle: 10,
                neuron: 3,
            },
            SpikeEvent {
                tick: 2,
                cycle: 20,
                neuron: 4,
            },
        ];
        let b = [
            SpikeEvent {
                tick: 1,
                cycle: 10,
                neuron: 3,
            },
            SpikeEvent {
                tick: 2,
                cycle: 21,
                neuron: 4,
            },
        ];
        let d = first_spike_divergence(&a, &b).unwrap();
        assert_eq!(d.tick, 2);
        assert_eq!(
            d.to_string(),
            "first divergence at tick 2, cycle 20: spike[4] = spike(tick 2, neuron 4, cycle 20) vs spike(tick 2, neuron 4, cycle 21)"
        );
        assert!(first_spike_divergence(&a, &a).is_none());
        assert_eq!(first_spike_divergence(&a, &a[..1]).unwrap().right, "no spike");
    }

    #[test]
    fn state_divergence_names_field_and_index() {
        let a = StateDump {
            v: vec![1, 2, 3],
            ..Default::default()
        };
        let b = StateDump {
            v: vec![1, 2, 4],
            ..Default::default()
        };
        let d = a.first_divergence(&b).unwrap();
        assert_eq!(
            (d.field, d.index, d.left.as_str(), d.right.as_str()),
            ("v", 2, "3", "4")
        );
        assert!(a.first_divergence(&a).is_none());
    }
}
