//! An obviously-correct reference stepper, written straight from
//! `docs/spec.md` and sharing no arithmetic with the engine: wide `i64`
//! maths with explicit clamps, Rust's truncating division for "round toward
//! zero" (of the magnitude plus the dither offset, whose rotations are
//! spelt out bit by bit), every neuron and every trace updated eagerly every tick, synaptic
//! input kept in a map keyed by (arrival tick, neuron), the canonical synapse
//! order recomputed by a plain sort. Slow, and meant to be.

use std::collections::BTreeMap;

pub mod generate;

use spikefab_sim::dither::Rounding;
use spikefab_sim::learning::StdpParams;
use spikefab_sim::network::{Source, SynapseSpec};
use spikefab_sim::{CoreShape, CycleCosts, NeuronParams, StateDump};

/// A network as the reference sees it: the builder's inputs, unprocessed.
#[derive(Debug, Clone)]
pub struct RefNet {
    pub profiles: Vec<NeuronParams>,
    pub neuron_profile: Vec<usize>,
    pub v_init: Vec<i16>,
    pub axons: usize,
    pub stdp: Option<StdpParams>,
    pub rounding: Rounding,
    /// In insertion order.
    pub synapses: Vec<SynapseSpec>,
    /// (tick, axon), any order, no duplicates.
    pub inputs: Vec<(u32, u32)>,
}

/// What the reference computes: (tick, neuron, cycle) of every output spike
/// in emission order, and the final state.
pub type RefOutcome = (Vec<(u32, u32, u64)>, StateDump);

const LIM: i64 = 32767;

fn clamp16(x: i64) -> i64 {
    x.clamp(-LIM, LIM)
}

/// sign(x) * ((|x| * (4096 - d) + r) / 4096): with r = 0, truncation toward
/// zero (Rust's `/` on i64).
fn decay(x: i64, d: u16, r: i64) -> i64 {
    x.signum() * ((x.abs() * (4096 - d as i64) + r) / 4096)
}

/// The offset `a` of neuron (or axon) `k` in a tick of dither state `state`,
/// with `a` rotated left by each of `turns` bits (spec §3.1), spelt out bit by
/// bit; all 0 when rounding toward zero.
fn offsets<const K: usize>(rounding: Rounding, state: u16, k: usize, turns: [i64; K]) -> [i64; K] {
    if rounding == Rounding::TowardZero {
        return [0; K];
    }
    let a = (state as i64 % 4096 + k as i64 * 1697) % 4096;
    let bit = |i: i64| (a >> i) & 1;
    turns.map(|t| (0..12).map(|i| bit(i) << ((i + t) % 12)).sum())
}

fn lfsr_step(s: u16) -> u16 {
    let feedback = if s & 1 == 1 { 0xB400 } else { 0 };
    (s >> 1) ^ feedback
}

/// A trace after one tick's decay (spec §5.1): the decay of §3.1 on a
/// trace, which is never negative.
fn trace_tick(x: i64, d: u16, r: i64) -> i64 {
    (x * (4096 - d as i64) + r) / 4096
}

/// What the engine must report for `net` (built as `built`) run `ticks`
/// ticks with the default cost table: its spikes and final state.
pub fn expected(net: &RefNet, built: &spikefab_sim::Network, ticks: u32) -> (Vec<spikefab_sim::SpikeEvent>, StateDump) {
    let (spikes, state) = run(net, ticks, &CycleCosts::CORE_V1, &built.core_shape());
    let spikes = spikes
        .iter()
        .map(|&(tick, neuron, cycle)| spikefab_sim::SpikeEvent { tick, neuron, cycle })
        .collect();
    (spikes, state)
}

pub fn run(net: &RefNet, ticks: u32, costs: &CycleCosts, core: &CoreShape) -> RefOutcome {
    let n = net.neuron_profile.len();
    let m = net.axons;
    let src_index = |s: Source| match s {
        Source::Axon(a) => a as usize,
        Source::Neuron(k) => m + k as usize,
    };
    // Canonical order: (source index, delay, target), ties by insertion.
    let mut order: Vec<usize> = (0..net.synapses.len()).collect();
    order.sort_by_key(|&i| {
        let s = &net.synapses[i];
        (src_index(s.source), s.delay, s.target, i)
    });
    let syn: Vec<SynapseSpec> = order.iter().map(|&i| net.synapses[i]).collect();
    // Fine weights: 256 × the mantissa plus the fraction (spec §5.3); a
    // synapse delivers the nearest whole step, halves up.
    let mut w: Vec<i64> = syn.iter().map(|s| (s.weight as i64) << 8).collect();
    let mantissa = |fine: i64| (fine + 128) >> 8;

    let p = |k: usize| &net.profiles[net.neuron_profile[k]];
    let mut u = vec![0i64; n];
    let mut v: Vec<i64> = net.v_init.iter().map(|&x| x as i64).collect();
    let mut theta: Vec<i64> = (0..n).map(|k| p(k).theta_base as i64).collect();
    let mut refr = vec![0i64; n];
    let mut x_pre = vec![0i64; m + n];
    let mut x_post = vec![0i64; n];
    // Bit j: the neuron fired j + 1 ticks ago (the chip's spike history).
    let mut history = vec![0u16; n];
    let mut lfsr = net.stdp.map_or(0, |r| r.lfsr_seed);
    let mut dither: u16 = 0x5EED;
    let mut due: BTreeMap<(u32, usize), i64> = BTreeMap::new();
    let mut spikes = Vec::new();
    let mut cycle: u64 = 0;
    let learning = net.stdp.is_some();

    for t in 0..ticks {
        cycle += costs.tick_start as u64 + costs.neuron_fill as u64 + costs.neuron as u64 * core.neurons as u64;

        // Phase 1: every neuron, ascending.
        let mut fired = Vec::new();
        for k in 0..n {
            let pr = p(k);
            let input = due.remove(&(t, k)).unwrap_or(0);
            // u, v and θ take a, a rotated by 6 and by 3; u's term in v the
            // top u_shift bits of a rotated by 9.
            let [ru, rv, rt, rc] = offsets(net.rounding, dither, k, [0, 6, 3, 9]);
            u[k] = clamp16(decay(u[k], pr.du, ru) + input);
            let base = pr.theta_base as i64;
            theta[k] = base + decay(theta[k] - base, pr.theta_decay, rt);
            if refr[k] > 0 {
                refr[k] -= 1;
                continue;
            }
            let scale = 1i64 << pr.u_shift;
            let term = (u[k] + rc * scale / 4096).div_euclid(scale);
            let nv = clamp16(decay(v[k], pr.dv, rv) + term + pr.bias as i64);
            if nv >= theta[k] {
                v[k] = pr.v_reset as i64;
                refr[k] = pr.refractory as i64;
                theta[k] = (theta[k] + pr.theta_inc as i64).min(LIM);
                fired.push(k);
            } else {
                v[k] = nv;
            }
        }

        // The dither state takes 16 LFSR steps after the neuron phase.
        for _ in 0..16 {
            dither = lfsr_step(dither);
        }

        // Phase 2: route inputs (ascending axon), then spikes (ascending neuron).
        let mut axons: Vec<usize> = net.inputs.iter().filter(|s| s.0 == t).map(|s| s.1 as usize).collect();
        axons.sort();
        let mut sources: Vec<(usize, Option<usize>)> = axons.iter().map(|&a| (a, None)).collect();
        sources.extend(fired.iter().map(|&k| (m + k, Some(k))));
        for &(src, neuron) in &sources {
            if let Some(k) = neuron {
                spikes.push((t, k as u32, cycle));
            }
            let mut visited = 0u64;
            let mut plastic = 0u64;
            // Run headers: a new one whenever (delay, wexp, plastic) changes or
            // 127 synapses share one; an empty source still has one.
            let mut headers = 0u64;
            let mut run: Option<((u8, u8, bool), u64)> = None;
            for (i, s) in syn.iter().enumerate() {
                if src_index(s.source) != src {
                    continue;
                }
                let key = (s.delay, s.wexp, s.plastic);
                run = match run {
                    Some((k, len)) if k == key && len < 127 => Some((k, len + 1)),
                    _ => {
                        headers += 1;
                        Some((key, 1))
                    }
                };
                visited += 1;
                let cell = due.entry((t + s.delay as u32, s.target as usize)).or_insert(0);
                *cell = clamp16(*cell + mantissa(w[i]) * (1 << s.wexp));
                if s.plastic {
                    if let Some(r) = &net.stdp {
                        plastic += 1;
                        lfsr = lfsr_step(lfsr);
                        let noise = lfsr as i64 & ((1 << r.lr_shift) - 1);
                        let dw = ((x_post[s.target as usize] * r.a_minus as i64) * 256 + noise) >> r.lr_shift;
                        w[i] = (w[i] - dw).clamp(r.w_min as i64 * 256, r.w_max as i64 * 256);
                    }
                }
            }
            cycle += costs.route as u64 + costs.run as u64 * headers.max(1) + costs.synapse as u64 * visited;
            if learning {
                cycle += costs.depress as u64 * plastic;
            }
        }

        if let Some(r) = &net.stdp {
            // The neurons whose spikes meet their synapses now: those that
            // fired post_delay ticks ago; those that fired now too first.
            let did_fire = |k: usize| fired.contains(&k);
            let arrives = |k: usize| match r.post_delay {
                0 => did_fire(k),
                d => history[k] >> (d - 1) & 1 == 1,
            };
            let mut arrived: Vec<usize> = (0..n).filter(|&k| arrives(k) && did_fire(k)).collect();
            arrived.extend((0..n).filter(|&k| arrives(k) && !did_fire(k)));
            // The spikers that do not arrive are passed over.
            cycle += costs.skip as u64 * fired.iter().filter(|&&k| !arrives(k)).count() as u64;
            for (k, h) in history.iter_mut().enumerate() {
                *h = ((*h << 1) | did_fire(k) as u16) & 0xFFF;
            }
            // Phase 3: potentiation of the arrivals, fan-in in canonical order.
            for &k in &arrived {
                let mut count = 0u64;
                for (i, s) in syn.iter().enumerate() {
                    if s.plastic && s.target as usize == k {
                        count += 1;
                        lfsr = lfsr_step(lfsr);
                        let noise = lfsr as i64 & ((1 << r.lr_shift) - 1);
                        let dw = ((x_pre[src_index(s.source)] * r.a_plus as i64) * 256 + noise) >> r.lr_shift;
                        w[i] = (w[i] + dw).clamp(r.w_min as i64 * 256, r.w_max as i64 * 256);
                    }
                }
                cycle += costs.fanin as u64 + costs.potentiate as u64 * count;
            }
            // Phase 4: every trace decays, then spikers bump.
            for (a, x) in x_pre[..m].iter_mut().enumerate() {
                let [ra] = offsets(net.rounding, dither, a, [0]);
                *x = trace_tick(*x, r.pre_decay, ra);
            }
            for k in 0..n {
                // A neuron's traces: a rotated by 9 (x_pre) and by 1 (x_post).
                let [rp, rq] = offsets(net.rounding, dither, k, [9, 1]);
                x_pre[m + k] = trace_tick(x_pre[m + k], r.pre_decay, rp);
                x_post[k] = trace_tick(x_post[k], r.post_decay, rq);
            }
            for &a in &axons {
                x_pre[a] = (x_pre[a] + r.pre_bump as i64).min(4095);
            }
            for &k in &fired {
                x_pre[m + k] = (x_pre[m + k] + r.pre_bump as i64).min(4095);
            }
            for &k in &arrived {
                x_post[k] = (x_post[k] + r.post_bump as i64).min(4095);
            }
            cycle += costs.trace as u64 * (core.neurons as u64 + core.axons as u64) + costs.trace_fill as u64;
            cycle += costs.bump as u64 * (axons.len() + fired.len()) as u64;
        }
        cycle += costs.tick_end as u64;
    }

    let narrow16 = |x: &Vec<i64>| x.iter().map(|&y| y as i16).collect::<Vec<_>>();
    let narrow8 = |x: &Vec<i64>| x.iter().map(|&y| y as u8).collect::<Vec<_>>();
    let traces = |x: &Vec<i64>| x.iter().map(|&y| y as u16).collect::<Vec<_>>();
    let state = StateDump {
        ticks,
        cycle,
        u: narrow16(&u),
        v: narrow16(&v),
        theta: narrow16(&theta),
        refractory: narrow8(&refr),
        x_pre: if learning { traces(&x_pre) } else { Vec::new() },
        x_post: if learning { traces(&x_post) } else { Vec::new() },
        post_history: if learning { history } else { Vec::new() },
        weights: w.iter().map(|&y| mantissa(y) as i8).collect(),
        weight_fractions: if learning {
            w.iter().map(|&y| (y - (mantissa(y) << 8)) as i8).collect()
        } else {
            Vec::new()
        },
        lfsr,
        ring: (0..core.delay_slots)
            .flat_map(|j| (0..n).map(move |k| (ticks + j, k)))
            .map(|key| due.get(&key).map_or(0, |&x| x as i16))
            .collect(),
    };
    (spikes, state)
}
