//! A run as the thread and rank tests make it (probes on every variable,
//! weight records, a run cut in two with an input scheduled between the
//! halves) and everything it leaves.

use spikefab_sim::record::{first_spike_divergence, ProbeTrace, RunStats, Var, WeightTrace};
use spikefab_sim::{Network, Simulator, SpikeEvent, StateDump};

use crate::reference::generate::Limits;
use crate::reference::RefNet;

/// Networks large enough for parts of whole 64-neuron words.
pub const WIDE: Limits = Limits {
    neurons: 1200,
    axons: 40,
    max_delay: 6,
    synapses: 4000,
    ticks: 40,
};

/// Everything a run leaves.
#[derive(Debug, PartialEq)]
pub struct Outcome {
    pub spikes: Vec<SpikeEvent>,
    pub state: StateDump,
    pub probes: Vec<ProbeTrace>,
    pub weights: Vec<WeightTrace>,
    pub stats: RunStats,
    /// The plastic weights in fan-in order (`Simulator::plastic_weights`).
    pub plastic: Vec<i8>,
}

/// `r` with every delay `shift` ticks longer (so the smallest delay, and the
/// window, is at least `1 + shift`).
pub fn shifted(mut r: RefNet, shift: u8) -> RefNet {
    for s in &mut r.synapses {
        s.delay = s.delay.saturating_add(shift);
    }
    r
}

/// Run `sim` (new, on `net`) for `ticks`, in two calls with an input on the
/// last axon scheduled between them, probing three neurons' every variable
/// and recording every seventh weight.
pub fn outcome(mut sim: Simulator, net: &Network, ticks: u32) -> Outcome {
    let n = net.num_neurons();
    for neuron in [0, n / 2, n - 1] {
        for var in Var::ALL {
            sim.add_probe(neuron, var).unwrap();
        }
    }
    let syn = net.num_synapses();
    if syn > 0 {
        sim.add_weight_record((0..syn).step_by(1 + syn as usize / 7).collect(), 3)
            .unwrap();
    }
    let half = ticks / 2;
    sim.run(half);
    if net.num_axons() > 0 {
        // Refused only when the network already has it: then it runs anyway.
        let _ = sim.schedule_input(half + 1, net.num_axons() - 1);
    }
    sim.run(ticks - half);
    let state = sim.state_dump();
    let plastic = sim.plastic_weights();
    if net.share().is_none() && net.stdp().is_some() {
        // The fan-in order is the network's.
        let want: Vec<i8> = net
            .synapses()
            .fanin()
            .iter()
            .map(|&(i, _)| state.weights[i as usize])
            .collect();
        assert_eq!(plastic, want, "plastic weights in fan-in order");
    }
    Outcome {
        spikes: sim.spikes().to_vec(),
        state,
        probes: sim.probes().to_vec(),
        weights: sim.weight_traces().to_vec(),
        stats: sim.stats(),
        plastic,
    }
}

/// Where `got` first differs from `want`, if it does.
pub fn difference(got: &Outcome, want: &Outcome) -> Option<String> {
    if let Some(d) = first_spike_divergence(&got.spikes, &want.spikes) {
        return Some(format!("spikes: {d}"));
    }
    if let Some(d) = got.state.first_divergence(&want.state) {
        return Some(format!("state: {d}"));
    }
    if got.probes != want.probes {
        return Some(format!("probes: {:?} against {:?}", got.probes, want.probes));
    }
    if got.weights != want.weights {
        return Some(format!("weight traces: {:?} against {:?}", got.weights, want.weights));
    }
    if got.stats != want.stats {
        return Some(format!("counters: {:?} against {:?}", got.stats, want.stats));
    }
    if got.plastic != want.plastic {
        return Some(format!("plastic weights: {:?} against {:?}", got.plastic, want.plastic));
    }
    None
}
