//! The emitted Verilog (Icarus) and the iCE40 netlist (yosys `synth_ice40 -dsp`
//! with `cells_sim.v`) of each arithmetic block give exactly what
//! `spikefab-sim` gives, on the same vectors: boundary cases first, then
//! random ones from a fixed seed. The netlist rung simulates the first
//! `SPIKEFAB_NETLIST_VECTORS` of them (all in `make test-slow`). The decay is
//! checked in both of its forms (with and without `LOGIC_MULTIPLIERS`).

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rust_hdl::prelude::*;
use spikefab_chip::device::LOGIC_MULTIPLIERS;
use spikefab_hdl::rungs::{VectorBench, NOT_CHECKED};
use spikefab_hdl::{decay::Decay, neuron_update::NeuronUpdate, trace_update::TraceUpdate, weight_update::WeightUpdate};
use spikefab_sim::dither::{Offsets, OFFSET_MASK};
use spikefab_sim::fixed::{decay, trace_bump, trace_decay, STATE_MAX, STATE_MIN, TRACE_MAX, U_SHIFT_MAX};
use spikefab_sim::learning::StdpParams;
use spikefab_sim::lfsr::Lfsr16;
use spikefab_sim::{NeuronParams, NeuronState};

const NETLIST_DEFAULT: usize = 400;

fn verilog_of<B: Block>(mut uut: B) -> String {
    uut.connect_all();
    generate_verilog(&uut)
}

/// Both rungs for a combinational block: one expected output line per vector.
fn check(bench: &VectorBench, verilog: &str, vectors: &[Vec<u64>], expected: &[Vec<u64>]) {
    let budget = spikefab_hdl::rungs::netlist_vector_budget(NETLIST_DEFAULT);
    let found = bench.check(verilog, vectors, |n| expected[..n].to_vec(), true, budget);
    if let Some(mismatch) = found.unwrap() {
        panic!("{mismatch}");
    }
}

fn value(rng: &mut ChaCha8Rng) -> i16 {
    match rng.random_range(0..4) {
        0 => [STATE_MIN, STATE_MAX, 0, -1, 1][rng.random_range(0..5)],
        1 => rng.random_range(-2000..=2000),
        _ => rng.random_range(STATE_MIN..=STATE_MAX),
    }
}

fn w16(x: i16) -> u64 {
    x as u16 as u64
}

#[test]
fn decay_rungs() {
    let bench = VectorBench {
        inputs: vec![("x", 16), ("d", 16), ("r", 12), ("add", 16)],
        outputs: vec![("y", 17)],
        // Registered (in the SB_MAC16's output register on the netlist).
        clock: Some("clock"),
        strobe: None,
        latency: 1,
    };
    let mut rng = spikefab_sim::config::seeded(7);
    let mut vectors: Vec<(i16, u16, u16, i16)> = Vec::new();
    for d in [0u16, 1, 2048, 4095, 4096] {
        for r in [0u16, 1, 4095] {
            for add in [0, i16::MIN, i16::MAX] {
                vectors.extend([STATE_MIN, -1, 0, 1, STATE_MAX].map(|x| (x, d, r, add)));
            }
        }
    }
    vectors.extend((0..2000).map(|k| {
        let r = if k % 2 == 0 { 0 } else { rng.random_range(0..4096) };
        let add = if k % 3 == 0 { 0 } else { value(&mut rng) };
        (value(&mut rng), rng.random_range(0..=4096), r, add)
    }));
    let inputs: Vec<Vec<u64>> = vectors
        .iter()
        .map(|&(x, d, r, add)| vec![w16(x), d as u64, r as u64, w16(add)])
        .collect();
    // decay(x, d, r) + add, 17-bit two's complement.
    let expected: Vec<Vec<u64>> = vectors
        .iter()
        .map(|&(x, d, r, add)| vec![(decay(x, d, r) as i32 + add as i32) as u32 as u64 & 0x1FFFF])
        .collect();
    let verilog = verilog_of(Decay::default());
    check(&bench, &verilog, &inputs, &expected);
    // The form a part with multipliers in logic is synthesized in.
    let logic = format!("`define {LOGIC_MULTIPLIERS}\n{verilog}");
    check(&bench, &logic, &inputs, &expected);
}

#[test]
fn neuron_update_rungs() {
    let bench = VectorBench {
        inputs: vec![
            ("in_valid", 1),
            ("du", 16),
            ("dv", 16),
            ("bias", 16),
            ("v_reset", 16),
            ("theta_base", 16),
            ("theta_inc", 16),
            ("theta_decay", 16),
            ("t_ref", 8),
            ("u", 16),
            ("v", 16),
            ("theta", 16),
            ("refractory", 8),
            ("ring_in", 16),
            ("offset", 12),
            // The trace phase's borrowing, off here (the core tests cover it).
            ("lend", 1),
            ("lend_pre_x", 16),
            ("lend_pre_d", 16),
            ("lend_pre_r", 12),
            ("lend_pre_add", 8),
            ("lend_post_x", 16),
            ("lend_post_d", 16),
            ("lend_post_r", 12),
            ("lend_post_add", 8),
        ],
        outputs: vec![
            ("u_next", 16),
            ("v_next", 16),
            ("theta_next", 16),
            ("refractory_next", 8),
            ("spike", 1),
            ("v_held", 1),
        ],
        clock: Some("clock"),
        strobe: Some("out_valid"),
        latency: 0,
    };
    let clear = NeuronParams {
        du: 4096,
        dv: 4096,
        bias: 0,
        v_reset: -5,
        theta_base: STATE_MAX,
        theta_inc: 0,
        theta_decay: 0,
        refractory: 3,
        u_shift: 0,
    };
    let rest = |theta| NeuronState {
        u: 0,
        v: 0,
        theta,
        refractory: 0,
    };
    let mut cases: Vec<(NeuronParams, NeuronState, i16)> = Vec::new();
    // Saturation of u and v at both signs, the threshold compare at equality, θ saturation.
    for (input, bias) in [
        (32000, 767),
        (32000, 768),
        (-32000, -767),
        (-32000, -768),
        (STATE_MAX, STATE_MAX),
    ] {
        cases.push((NeuronParams { bias, ..clear }, rest(STATE_MAX), input));
    }
    for (base, inc, bias) in [
        (100, 32767, 100),
        (32000, 767, 32000),
        (32000, 768, 32000),
        (0, 0, -1),
        (0, 5, 0),
    ] {
        let p = NeuronParams {
            theta_base: base,
            theta_inc: inc,
            bias,
            ..clear
        };
        cases.push((p, rest(base), 0));
    }
    let mut rng = spikefab_sim::config::seeded(2024);
    for _ in 0..3000 {
        let theta_base = rng.random_range(0..=STATE_MAX);
        let p = NeuronParams {
            du: rng.random_range(0..=4096),
            dv: rng.random_range(0..=4096),
            bias: value(&mut rng),
            v_reset: value(&mut rng),
            theta_base,
            theta_inc: rng.random_range(0..=STATE_MAX),
            theta_decay: rng.random_range(0..=4096),
            refractory: rng.random(),
            u_shift: rng.random_range(0..=U_SHIFT_MAX),
        };
        let s = NeuronState {
            u: value(&mut rng),
            v: value(&mut rng),
            theta: rng.random_range(theta_base..=STATE_MAX),
            refractory: if rng.random_bool(0.7) { 0 } else { rng.random() },
        };
        cases.push((p, s, value(&mut rng)));
    }
    // Every other neuron rounds toward zero, the others with dither offsets.
    let offset = |k: usize| {
        if k.is_multiple_of(2) {
            0
        } else {
            (k as u16).wrapping_mul(1697) & OFFSET_MASK
        }
    };
    // One neuron per clock, then the pipeline drains with in_valid low.
    let idle = (p_idle(), NeuronState::default(), 0i16, false);
    let fed: Vec<(NeuronParams, NeuronState, i16, bool)> = cases
        .iter()
        .map(|&(p, s, i)| (p, s, i, true))
        .chain(std::iter::repeat_n(idle, spikefab_hdl::neuron_update::NEURON_LATENCY))
        .collect();
    // The late inputs (theta_inc two clocks, v_reset, t_ref and refractory
    // three clocks after the rest) come from the neuron that entered then.
    let late = |i: usize, back: usize| if i >= back { fed[i - back] } else { idle };
    let inputs: Vec<Vec<u64>> = (0..fed.len())
        .map(|i| {
            let (p, s, input, valid) = fed[i];
            let (p2, _, _, _) = late(i, 2);
            let (p3, s3, _, _) = late(i, 3);
            vec![
                valid as u64,
                p.du_word() as u64,
                p.dv as u64,
                w16(p.bias),
                w16(p3.v_reset),
                w16(p.theta_base),
                w16(p2.theta_inc),
                p.theta_decay as u64,
                p3.refractory as u64,
                w16(s.u),
                w16(s.v),
                w16(s.theta),
                s3.refractory as u64,
                w16(input),
                offset(i) as u64,
                // Not lending: lend, then both traces' x, d, r and add.
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
            ]
        })
        .collect();
    let expected: Vec<Vec<u64>> = cases
        .iter()
        .enumerate()
        .map(|(k, (p, s, i))| {
            let mut n = *s;
            let spike = p.step(&mut n, *i, Offsets::of(offset(k), 0, OFFSET_MASK));
            // A refractory neuron's v is held: the block leaves v_next
            // undefined and the core does not write it back.
            let held = s.refractory > 0;
            let v = if held { NOT_CHECKED } else { w16(n.v) };
            vec![
                w16(n.u),
                v,
                w16(n.theta),
                n.refractory as u64,
                spike as u64,
                held as u64,
            ]
        })
        .collect();
    let budget = spikefab_hdl::rungs::netlist_vector_budget(NETLIST_DEFAULT);
    // The netlist rung sees the first `n` vectors: the outputs strobed by then.
    let strobed = |n: usize| expected[..n.saturating_sub(spikefab_hdl::neuron_update::NEURON_LATENCY)].to_vec();
    if let Some(mismatch) = bench
        .check(&verilog_of(NeuronUpdate::default()), &inputs, strobed, true, budget)
        .unwrap()
    {
        panic!("{mismatch}");
    }
}

fn p_idle() -> NeuronParams {
    NeuronParams {
        du: 0,
        dv: 0,
        bias: 0,
        v_reset: 0,
        theta_base: 0,
        theta_inc: 0,
        theta_decay: 0,
        refractory: 0,
        u_shift: 0,
    }
}

#[test]
fn weight_update_rungs() {
    let bench = VectorBench {
        inputs: vec![
            ("w", 16),
            ("x", 12),
            ("gain", 8),
            ("lr_shift", 4),
            ("noise", 16),
            ("w_min", 8),
            ("w_max", 8),
            ("potentiate", 1),
        ],
        outputs: vec![("w_next", 16)],
        clock: Some("clock"),
        // Two clocks per vector: the rounding mask is registered from
        // lr_shift (a control register, stable a clock ahead in the core).
        latency: 2,
        ..VectorBench::default()
    };
    let mut rng = spikefab_sim::config::seeded(99);
    let mut inputs = Vec::new();
    let mut expected = Vec::new();
    for i in 0..2000 {
        let (a, b): (i8, i8) = (rng.random(), rng.random());
        let rule = StdpParams {
            a_plus: rng.random(),
            a_minus: rng.random(),
            lr_shift: rng.random_range(0..=15),
            w_min: a.min(b),
            w_max: a.max(b),
            ..StdpParams::default()
        };
        // Fine weights (spec §5.3) within the bounds, as a plastic synapse's are.
        let (lo, hi) = ((rule.w_min as i16) << 8, (rule.w_max as i16) << 8);
        let (w, x): (i16, u16) = if i < 8 {
            ([hi, lo][i % 2], TRACE_MAX)
        } else {
            (rng.random_range(lo..=hi), rng.random_range(0..=TRACE_MAX))
        };
        let noise: u16 = rng.random_range(1..=u16::MAX);
        let potentiate = rng.random_bool(0.5);
        let mut lfsr = Lfsr16::new(noise).unwrap().previous();
        let (gain, got) = if potentiate {
            (rule.a_plus, rule.potentiate(w, x, &mut lfsr))
        } else {
            (rule.a_minus, rule.depress(w, x, &mut lfsr))
        };
        assert_eq!(lfsr.state(), noise);
        inputs.push(vec![
            // The block takes and gives V = W + 128 (weight and offset fraction bytes).
            (w as i32 + 128) as u16 as u64,
            x as u64,
            gain as u64,
            rule.lr_shift as u64,
            noise as u64,
            rule.w_min as u8 as u64,
            rule.w_max as u8 as u64,
            potentiate as u64,
        ]);
        expected.push(vec![(got as i32 + 128) as u16 as u64]);
    }
    check(&bench, &verilog_of(WeightUpdate::default()), &inputs, &expected);
}

#[test]
fn trace_update_rungs() {
    let bench = VectorBench {
        inputs: vec![("sum", 16)],
        outputs: vec![("x_next", 12)],
        ..VectorBench::default()
    };
    let mut inputs = Vec::new();
    let mut expected = Vec::new();
    for d in [0u16, 1, 26, 248, 2048, 4095, 4096] {
        for x in (0..=TRACE_MAX)
            .step_by(37)
            .chain([1, 2, 254, 255, 256, 4094, TRACE_MAX])
        {
            let spread = x.wrapping_mul(1697) & 4095;
            for r in [0u16, 4095, spread] {
                // The decay pass: the lent multiply-add's decay.
                let lent = spikefab_sim::fixed::decay(x as i16, d, r) as u16;
                inputs.push(vec![lent as u64]);
                expected.push(vec![trace_decay(x, d, r) as u64]);
                // The bump pass: a decay by 0 plus the bump.
                for bump in [0u8, 64, 255] {
                    let lent = spikefab_sim::fixed::decay(x as i16, 0, r) as u16 + bump as u16;
                    inputs.push(vec![lent as u64]);
                    expected.push(vec![trace_bump(x, bump) as u64]);
                }
            }
        }
    }
    check(&bench, &verilog_of(TraceUpdate::default()), &inputs, &expected);
}

#[test]
fn a_wrong_model_is_reported() {
    // The harness itself must be able to fail: one corrupted expectation.
    let bench = VectorBench {
        inputs: vec![("sum", 16)],
        outputs: vec![("x_next", 12)],
        ..VectorBench::default()
    };
    let inputs = vec![vec![75], vec![75]];
    let expected = [vec![75], vec![76]];
    let verilog = verilog_of(TraceUpdate::default());
    let found = bench
        .check(&verilog, &inputs, |n| expected[..n].to_vec(), true, 2)
        .unwrap();
    assert_eq!(
        found.as_deref(),
        Some("emitted Verilog (Icarus): vector 1 (inputs [75]): got [04b], model [04c]")
    );
}

#[test]
fn delay_ring_rungs() {
    use spikefab_hdl::delay_ring::DelayRing;
    use spikefab_sim::fixed::{add_sat16, contribution};
    const A: usize = 8;
    let bench = VectorBench {
        inputs: vec![
            ("op_valid", 1),
            ("op_clear", 1),
            ("op_set", 1),
            ("op_address", A),
            ("op_value", 16),
        ],
        outputs: vec![("old_value", 16)],
        clock: Some("clock"),
        strobe: Some("cleared_valid"),
        latency: 0,
    };
    // Runs of operations on a few hot cells (back-to-back hits, saturation),
    // idle cycles, clears, sets; then every cell is cleared.
    let mut rng = spikefab_sim::config::seeded(31);
    let mut ops: Vec<(bool, bool, bool, u64, i16)> = Vec::new();
    for _ in 0..3000 {
        let valid = rng.random_bool(0.9);
        let clear = rng.random_bool(0.2);
        let set = !clear && rng.random_bool(0.1);
        let address = if rng.random_bool(0.6) {
            rng.random_range(0..4)
        } else {
            rng.random_range(0..1 << A)
        };
        let value = if set {
            rng.random_range(STATE_MIN..=STATE_MAX)
        } else {
            contribution(rng.random(), rng.random_range(0..=7)) as i16
        };
        ops.push((valid, clear, set, address, value));
    }
    ops.extend((0..1u64 << A).map(|a| (true, true, false, a, 0)));
    ops.push((false, false, false, 0, 0));
    let vectors: Vec<Vec<u64>> = ops
        .iter()
        .map(|&(v, c, st, a, x)| vec![v as u64, c as u64, st as u64, a, x as u16 as u64])
        .collect();
    let model = |n: usize| {
        let mut cells = vec![0i16; 1 << A];
        let mut out = Vec::new();
        for &(valid, clear, set, address, value) in &ops[..n] {
            let cell = &mut cells[address as usize];
            if !valid {
                continue;
            }
            if clear {
                out.push(vec![std::mem::take(cell) as u16 as u64]);
            } else if set {
                *cell = value;
            } else {
                *cell = add_sat16(*cell, value as i32);
            }
        }
        // A clear is printed in the cycle after it is issued: one issued in
        // the last vector is not printed.
        if n > 0 && ops[n - 1].0 && ops[n - 1].1 {
            out.pop();
        }
        out
    };
    let budget = spikefab_hdl::rungs::netlist_vector_budget(NETLIST_DEFAULT * 2);
    let verilog = verilog_of(DelayRing::<A>::default());
    if let Some(mismatch) = bench.check(&verilog, &vectors, model, false, budget).unwrap() {
        panic!("{mismatch}");
    }
}
