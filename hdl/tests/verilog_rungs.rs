//! The emitted Verilog (Icarus) and the iCE40 netlist (yosys `synth_ice40`
//! with `cells_sim.v`) of each block give exactly what `spikefab-sim` gives,
//! on the same vectors: boundary cases plus random ones from a fixed seed.

use rand::Rng;
use rust_hdl::prelude::*;
use spikefab_hdl::neuron_update::NeuronUpdate;
use spikefab_hdl::rungs;
use spikefab_sim::fixed::{STATE_MAX, STATE_MIN};
use spikefab_sim::{NeuronParams, NeuronState};

/// Inputs in port order; widths 16 except `t_ref` and `refractory` (8).
type Vector = (NeuronParams, NeuronState, i16);

fn vectors() -> Vec<Vector> {
    let mut out = Vec::new();
    let clear = NeuronParams {
        du: 4096,
        dv: 4096,
        bias: 0,
        v_reset: -5,
        theta_base: STATE_MAX,
        theta_inc: 0,
        theta_decay: 0,
        refractory: 3,
    };
    let rest = |theta| NeuronState {
        u: 0,
        v: 0,
        theta,
        refractory: 0,
    };
    // Saturation of u and v at both signs, threshold compare at equality, θ saturation.
    for (input, bias) in [
        (32000, 767),
        (32000, 768),
        (-32000, -767),
        (-32000, -768),
        (STATE_MAX, STATE_MAX),
    ] {
        out.push((NeuronParams { bias, ..clear }, rest(STATE_MAX), input));
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
        out.push((p, rest(base), 0));
    }
    let mut rng = spikefab_sim::config::seeded(2024);
    let value = |rng: &mut rand_chacha::ChaCha8Rng| match rng.random_range(0..4) {
        0 => [STATE_MIN, STATE_MAX, 0, -1, 1][rng.random_range(0..5)],
        1 => rng.random_range(-2000..=2000),
        _ => rng.random_range(STATE_MIN..=STATE_MAX),
    };
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
        };
        let s = NeuronState {
            u: value(&mut rng),
            v: value(&mut rng),
            theta: rng.random_range(theta_base..=STATE_MAX),
            refractory: if rng.random_bool(0.7) { 0 } else { rng.random() },
        };
        out.push((p, s, value(&mut rng)));
    }
    out
}

/// One line of `$readmemh` input: all input ports concatenated in port order.
fn hex(v: &Vector) -> String {
    let (p, s, input) = v;
    let h = |x: i16| format!("{:04x}", x as u16);
    format!(
        "{:04x}{:04x}{}{}{}{}{:04x}{:02x}{}{}{}{:02x}{}",
        p.du,
        p.dv,
        h(p.bias),
        h(p.v_reset),
        h(p.theta_base),
        h(p.theta_inc),
        p.theta_decay,
        p.refractory,
        h(s.u),
        h(s.v),
        h(s.theta),
        s.refractory,
        h(*input)
    )
}

/// What the testbench prints for a vector, computed by the model.
fn expected(v: &Vector) -> String {
    let (p, s, input) = v;
    let mut n = *s;
    let spike = p.step(&mut n, *input);
    format!(
        "{:04x} {:04x} {:04x} {:02x} {}",
        n.u as u16, n.v as u16, n.theta as u16, n.refractory, spike as u8
    )
}

fn testbench(count: usize) -> String {
    format!(
        r#"
module tb;
  reg [15:0] du, dv, bias, v_reset, theta_base, theta_inc, theta_decay, u, v, theta, ring_in;
  reg [7:0] t_ref, refractory;
  wire [15:0] u_next, v_next, theta_next;
  wire [7:0] refractory_next;
  wire spike;
  top dut(.du(du), .dv(dv), .bias(bias), .v_reset(v_reset), .theta_base(theta_base),
          .theta_inc(theta_inc), .theta_decay(theta_decay), .t_ref(t_ref), .u(u), .v(v),
          .theta(theta), .refractory(refractory), .ring_in(ring_in), .u_next(u_next),
          .v_next(v_next), .theta_next(theta_next), .refractory_next(refractory_next), .spike(spike));
  reg [191:0] vec [0:{last}];
  integer i;
  initial begin
    $readmemh("vectors.hex", vec);
    for (i = 0; i <= {last}; i = i + 1) begin
      {{du, dv, bias, v_reset, theta_base, theta_inc, theta_decay, t_ref, u, v, theta, refractory, ring_in}} = vec[i];
      #1;
      $display("%h %h %h %h %b", u_next, v_next, theta_next, refractory_next, spike);
    end
    $finish;
  end
endmodule
"#,
        last = count - 1
    )
}

fn compare(rung: &str, vecs: &[Vector], printed: &str) {
    let lines: Vec<&str> = printed.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        vecs.len(),
        "{rung}: {} result lines for {} vectors",
        lines.len(),
        vecs.len()
    );
    for (i, (v, got)) in vecs.iter().zip(&lines).enumerate() {
        let want = expected(v);
        assert_eq!(
            got.trim(),
            want,
            "{rung}: vector {i} (params {:?}, state {:?}, input {}): u v theta ref spike",
            v.0,
            v.1,
            v.2
        );
    }
}

#[test]
fn neuron_update_verilog_and_netlist_match_the_model() {
    let mut uut = NeuronUpdate::default();
    uut.connect_all();
    let verilog = generate_verilog(&uut);
    let vecs = vectors();
    let hexes: String = vecs.iter().map(|v| hex(v) + "\n").collect();
    let tb = testbench(vecs.len());

    let data = [("vectors.hex", hexes.as_str())];
    let printed = rungs::icarus(&[("top.v", &verilog), ("tb.v", &tb)], &data, &[], "tb").unwrap();
    compare("emitted Verilog (Icarus)", &vecs, &printed);

    // The UP5K mapping: multipliers in SB_MAC16 blocks, simulated by their
    // cells_sim.v model.
    let netlist = rungs::synth_ice40(&verilog, true).unwrap();
    assert!(netlist.contains("SB_LUT4"), "synth_ice40 produced no iCE40 cells");
    assert!(netlist.contains("SB_MAC16"), "synth_ice40 -dsp used no DSP block");
    // Gate-level simulation costs ~10 ms a vector: the boundary cases and
    // the first random ones by default, all of them in the slow tier.
    let count = std::env::var("SPIKEFAB_NETLIST_VECTORS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(510)
        .min(vecs.len());
    let vecs = &vecs[..count];
    let hexes: String = vecs.iter().map(|v| hex(v) + "\n").collect();
    let data = [("vectors.hex", hexes.as_str())];
    let tb = testbench(vecs.len());
    let cells = rungs::ice40_cells_sim().unwrap();
    let printed = rungs::icarus(&[("synth.v", &netlist), ("tb.v", &tb)], &data, &[cells], "tb").unwrap();
    compare("iCE40 netlist (yosys synth_ice40 + cells_sim.v)", vecs, &printed);
}
