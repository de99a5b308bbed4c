//! The quantizer: a network's physical parameters (ms, mV, pA, pF) as the
//! chip's integers (`docs/units.md` states the rules and works examples).
//!
//! The model in physical units is the continuous CUBA LIF of `docs/spec.md`
//! §3.4, as Brian2 and NEST write it:
//!
//! ```text
//! tau_m dv/dt = -(v - v_rest) + g        tau_syn dg/dt = -g
//! ```
//!
//! a spike adds its weight to `g` (a weight in pA is `g = I tau_m / C_m`),
//! `v` resets to `v_reset` on crossing `v_th` and is held for `t_ref`. One
//! tick is `dt`. Every choice below is made for precision within the chip's
//! 16-bit state, and each comes with the error it leaves ([`Quality`]).

use crate::dither::Rounding;

/// The decays' denominator (spec §3.1).
const ONE: f64 = 4096.0;
/// The largest state magnitude (spec §2).
const STATE: f64 = 32767.0;
/// The largest weight mantissa magnitude.
const MANTISSA: f64 = 127.0;
/// The largest weight exponent.
pub const MAX_WEXP: u8 = 7;
/// A quantization error above this (relative) is flagged in reports.
pub const WARN_ABOVE: f64 = 0.02;
/// The STDP balance `a_minus / a_plus` is flagged beyond this: additive
/// STDP's rate moves about 40 times its error (`docs/units.md` rule 7).
pub const BALANCE_WARN_ABOVE: f64 = 0.005;

/// Why a parameter has no integer form.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct QuantError {
    /// The parameter (as the file names it).
    pub field: String,
    /// Why.
    pub reason: String,
}

/// `x` if it is a number (not NaN or infinite).
pub fn finite(field: &str, x: f64) -> Result<f64, QuantError> {
    match x.is_finite() {
        true => Ok(x),
        false => fail(field, format!("{x} is not a number the chip can hold")),
    }
}

fn fail<T>(field: &str, reason: impl Into<String>) -> Result<T, QuantError> {
    Err(QuantError {
        field: field.to_string(),
        reason: reason.into(),
    })
}

/// How well one parameter came through.
#[derive(Debug, Clone, PartialEq)]
pub struct Quality {
    /// The parameter.
    pub name: String,
    /// Its value as given.
    pub wanted: f64,
    /// The value the integers give.
    pub got: f64,
    /// Its unit ("ms", "mV", ...).
    pub unit: &'static str,
    /// The relative error above which it is flagged ([`WARN_ABOVE`] but for
    /// the STDP balance).
    pub bound: f64,
}

impl Quality {
    /// `wanted` came through as `got`, flagged beyond [`WARN_ABOVE`].
    pub fn new(name: impl Into<String>, wanted: f64, got: f64, unit: &'static str) -> Quality {
        Quality {
            name: name.into(),
            wanted,
            got,
            unit,
            bound: WARN_ABOVE,
        }
    }

    /// `got / wanted - 1` (0 when both are 0).
    pub fn error(&self) -> f64 {
        if self.wanted == self.got {
            0.0
        } else {
            self.got / self.wanted - 1.0
        }
    }

    /// Whether the error passes its bound.
    pub fn warn(&self) -> bool {
        self.error().abs() > self.bound
    }
}

impl std::fmt::Display for Quality {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = if self.unit.is_empty() {
            String::new()
        } else {
            format!(" {}", self.unit)
        };
        write!(
            f,
            "{} {:.6}{unit} -> {:.6}{unit} ({:+.2}%){}",
            self.name,
            self.wanted,
            self.got,
            100.0 * self.error(),
            if self.warn() {
                format!("  WARNING: beyond {}%", 100.0 * self.bound)
            } else {
                String::new()
            }
        )
    }
}

/// How a time constant becomes a decay per tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Discretization {
    /// The continuous model's exact step: `d = 4096 (1 - exp(-dt / tau))`
    /// (spec §3.4); what network files in physical units use.
    #[default]
    Exact,
    /// The forward-Euler step `d = 4096 dt / tau`: the discrete model that
    /// snnTorch trains and exports as NIR and Lava's NIR import reads (`alpha = 1 - dt /
    /// tau_syn`), so an imported graph keeps its trained dynamics.
    Euler,
}

impl Discretization {
    /// The fraction a value loses per tick.
    fn fraction(self, dt: f64, tau: f64) -> f64 {
        match self {
            Discretization::Exact => 1.0 - (-dt / tau).exp(),
            Discretization::Euler => dt / tau,
        }
    }
}

/// `round(4096 (1 - exp(-dt / tau)))` (spec §3.4), for `tau >= dt`; an
/// infinite `tau` (a perfect integrator) is `d = 0`.
pub fn decay(field: &str, dt: f64, tau: f64) -> Result<u16, QuantError> {
    decay_by(field, dt, tau, Discretization::Exact)
}

/// [`decay`] by the rule `how`.
pub fn decay_by(field: &str, dt: f64, tau: f64, how: Discretization) -> Result<u16, QuantError> {
    if tau == f64::INFINITY {
        return Ok(0);
    }
    if !(tau.is_finite() && tau > 0.0) {
        return fail(
            field,
            format!("{tau} ms is not a time constant (a positive number of ms)"),
        );
    }
    if tau < dt {
        return fail(
            field,
            format!("{tau} ms is shorter than a tick (dt = {dt} ms); the chip's decays need tau >= dt"),
        );
    }
    let d = (ONE * how.fraction(dt, tau)).round();
    if d < 1.0 {
        return fail(
            field,
            format!(
                "{tau} ms is over 8,000 ticks (dt = {dt} ms): its decay rounds to 0, no decay at all (an infinite \
                 time constant says that)"
            ),
        );
    }
    Ok(d as u16)
}

/// The time constant a decay fraction `d` gives: `-dt / ln(1 - d/4096)`
/// (infinite for `d = 0`).
pub fn effective_tau(dt: f64, d: u16) -> f64 {
    effective_tau_by(dt, d, Discretization::Exact)
}

/// The time constant a decay fraction `d` stands for under the rule `how`:
/// `-dt / ln(1 - d/4096)`, or `4096 dt / d` for [`Discretization::Euler`].
pub fn effective_tau_by(dt: f64, d: u16, how: Discretization) -> f64 {
    if d == 0 {
        return f64::INFINITY;
    }
    match how {
        Discretization::Exact => -dt / (1.0 - d as f64 / ONE).ln(),
        Discretization::Euler => dt * ONE / d as f64,
    }
}

/// A CUBA LIF population in physical units.
#[derive(Debug, Clone, PartialEq)]
pub struct Lif {
    /// Membrane time constant, ms.
    pub tau_m: f64,
    /// Synaptic time constant, ms; none: delta synapses (a spike moves `v`).
    pub tau_syn: Option<f64>,
    /// Resting potential, mV.
    pub v_rest: f64,
    /// Reset potential, mV.
    pub v_reset: f64,
    /// Threshold, mV.
    pub v_th: f64,
    /// Refractory period, ms.
    pub t_ref: f64,
    /// Membrane capacitance, pF (for weights in pA).
    pub c_m: Option<f64>,
    /// Threshold increase per spike, mV (adaptive threshold).
    pub theta_inc: f64,
    /// Time constant of the threshold's return, ms.
    pub tau_theta: Option<f64>,
    /// The range of initial membrane potentials, mV.
    pub v_init: (f64, f64),
    /// The range the membrane should be representable in, mV; none: the span
    /// of `v_reset`, `v_rest`, `v_th` and `v_init`, widened by that span on
    /// each side.
    pub v_range: Option<(f64, f64)>,
    /// The voltage unit, mV; none: chosen ([`lif`]).
    pub unit: Option<f64>,
    /// The current's fraction bits; none: chosen ([`u_shift`]).
    pub u_shift: Option<u8>,
    /// How the time constants become decays.
    pub discretization: Discretization,
}

/// A population's integers.
#[derive(Debug, Clone, PartialEq)]
pub struct LifInts {
    /// The voltage unit, mV.
    pub unit: f64,
    /// The potential that 0 stands for, mV (`v_reset`): `v` and `θ` are
    /// `zero + value × unit` mV.
    pub zero: f64,
    /// Current decay.
    pub du: u16,
    /// Membrane decay.
    pub dv: u16,
    /// Bias per tick.
    pub bias: i16,
    /// Threshold above reset.
    pub threshold: i16,
    /// Refractory ticks.
    pub refractory: u8,
    /// Threshold increase per spike.
    pub theta_inc: i16,
    /// Threshold decay.
    pub theta_decay: u16,
    /// The current's fraction bits (spec §3.3): `u` is in units of
    /// `unit / 2^u_shift`.
    pub u_shift: u8,
    /// Initial membrane range.
    pub v_init: (i16, i16),
    /// How each parameter came through.
    pub quality: Vec<Quality>,
}

fn state(field: &str, mv: f64, unit: f64) -> Result<i16, QuantError> {
    let x = (mv / unit).round();
    if x.abs() > STATE {
        return fail(
            field,
            format!("{mv} mV above reset is {x} units of {unit:.6} mV, beyond the 16-bit state's ±32767"),
        );
    }
    Ok(x as i16)
}

/// Quantize a population with ticks of `dt` ms.
///
/// 1. `du`, `dv`, `theta_decay` by [`decay`]; `du` = 4096 for delta synapses.
/// 2. The voltage unit: 0 is `v_reset`; the unit is the finest that keeps
///    `v_range` within ±32767, then adjusted (by at most half a bias step)
///    so that the resting potential the decay settles at is `v_rest`
///    exactly: `bias × 4096 / dv` units under dithered rounding (on average),
///    `(bias - ½ sign(rest)) 4096 / dv` units rounding toward zero.
/// 3. `threshold`, `v_init`, `theta_inc` rounded in that unit;
///    `refractory = round(t_ref / dt)`.
/// 4. The current's fraction bits ([`u_shift`]).
pub fn lif(l: &Lif, dt: f64, rounding: Rounding) -> Result<LifInts, QuantError> {
    if !(dt.is_finite() && dt > 0.0) {
        return fail("dt", format!("{dt} ms is not a tick length (a positive number of ms)"));
    }
    for (field, x) in [
        ("v_rest", l.v_rest),
        ("v_reset", l.v_reset),
        ("v_th", l.v_th),
        ("t_ref", l.t_ref),
        ("theta_inc", l.theta_inc),
        ("v_init", l.v_init.0),
        ("v_init", l.v_init.1),
    ] {
        finite(field, x)?;
    }
    let how = l.discretization;
    let dv = decay_by("tau_m", dt, l.tau_m, how)?;
    let du = match l.tau_syn {
        Some(tau) => decay_by("tau_syn", dt, tau, how)?,
        None => ONE as u16,
    };
    let theta_decay = match l.tau_theta {
        Some(tau) => decay_by("tau_theta", dt, tau, how)?,
        None => 0,
    };
    if l.v_th <= l.v_reset {
        return fail("v_th", format!("{} mV is not above v_reset ({} mV)", l.v_th, l.v_reset));
    }
    let rest = l.v_rest - l.v_reset;
    // What rounding toward zero costs per tick on average, in units: half a
    // unit more leak; nothing when dithered.
    let half = match rounding {
        Rounding::TowardZero => 0.5,
        Rounding::Dither => 0.0,
    };
    let bias_for = |rest: f64, unit: f64| bias_for(rest, unit, dv, half);
    let (mut unit, bias) = match l.unit {
        Some(u) if !(u.is_finite() && u > 0.0) => return fail("unit", format!("{u} mV is not a voltage unit")),
        Some(u) => (u, bias_for(rest, u)),
        None => {
            let points = [l.v_reset, l.v_rest, l.v_th, l.v_init.0, l.v_init.1];
            let (lo, hi) = l.v_range.unwrap_or_else(|| {
                let lo = points.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = points.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                (lo - (hi - lo), hi + (hi - lo))
            });
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return fail("v_range", format!("[{lo}, {hi}] mV is not a range of potentials"));
            }
            if let Some(p) = points.iter().find(|&&p| p < lo || p > hi) {
                return fail(
                    "v_range",
                    format!("[{lo}, {hi}] mV leaves out {p} mV (v_reset, v_rest, v_th and v_init must lie in it)"),
                );
            }
            let coarse = (l.v_reset - lo).abs().max((hi - l.v_reset).abs()) / STATE;
            let bias = bias_for(rest, coarse);
            (coarse, bias)
        }
    };
    if l.unit.is_none() && bias != 0 {
        // The fixed point of v under the bias is exact.
        unit = rest * dv as f64 / (ONE * (bias as f64 - half * rest.signum()));
    }
    let bias = i16::try_from(bias).or_else(|_| fail("v_rest", "its bias is beyond 16 bits"))?;
    let threshold = state("v_th", l.v_th - l.v_reset, unit)?;
    let v_init = (
        state("v_init", l.v_init.0 - l.v_reset, unit)?,
        state("v_init", l.v_init.1 - l.v_reset, unit)?,
    );
    let theta_inc = state("theta_inc", l.theta_inc, unit)?;
    if theta_inc < 0 {
        return fail("theta_inc", "the threshold can only rise on a spike");
    }
    let u_shift = match l.u_shift {
        Some(s) if s > crate::fixed::U_SHIFT_MAX => {
            return fail(
                "u_shift",
                format!("{s} is beyond the chip's {} fraction bits", crate::fixed::U_SHIFT_MAX),
            )
        }
        Some(s) => s,
        None => u_shift(du, dv, rounding),
    };
    let refractory = (l.t_ref / dt).round();
    if !(0.0..=255.0).contains(&refractory) {
        return fail(
            "t_ref",
            format!("{} ms is {refractory} ticks; the chip counts 0 to 255", l.t_ref),
        );
    }
    let settles = match bias {
        0 => 0.0,
        b => (b as f64 - half * rest.signum()) * ONE / dv as f64 * unit,
    };
    let mut quality = vec![
        Quality::new("tau_m", l.tau_m, effective_tau_by(dt, dv, how), "ms"),
        Quality::new("v_th - v_reset", l.v_th - l.v_reset, threshold as f64 * unit, "mV"),
        Quality::new("v_rest - v_reset", rest, settles, "mV"),
        Quality::new("t_ref", l.t_ref, refractory * dt, "ms"),
    ];
    if rounding == Rounding::TowardZero {
        // The truncating decay leaks half a unit per tick more than the
        // continuous one on average: its share of the leak at threshold.
        quality.push(Quality::new(
            "v's leak at threshold",
            threshold as f64 * dv as f64 / ONE,
            threshold as f64 * dv as f64 / ONE + half,
            "units/tick",
        ));
    }
    if let Some(tau) = l.tau_syn {
        quality.insert(1, Quality::new("tau_syn", tau, effective_tau_by(dt, du, how), "ms"));
    }
    if let Some(tau) = l.tau_theta {
        quality.push(Quality::new(
            "tau_theta",
            tau,
            effective_tau_by(dt, theta_decay, how),
            "ms",
        ));
    }
    if l.theta_inc != 0.0 {
        quality.push(Quality::new("theta_inc", l.theta_inc, theta_inc as f64 * unit, "mV"));
    }
    Ok(LifInts {
        unit,
        zero: l.v_reset,
        du,
        dv,
        bias,
        threshold,
        refractory: refractory as u8,
        theta_inc,
        theta_decay,
        u_shift,
        v_init,
        quality,
    })
}

/// The current's fraction bits for a population with decays `du`, `dv`
/// (spec §3.3): the most, up to 7, that leave `u` room for twice the current
/// that holds `v` at the top of its 16-bit range, `2^S × 32767 dv / 4096 × 2
/// ≤ 32767`, so `2^S ≤ 2048 / dv`. A finer current makes small weights and
/// their changes finer (at dt = 0.1 ms and a 20 ms membrane, S = 6: a weight
/// has 64 times the steps). None where it cannot help: with delta synapses
/// (`du = 4096`, `u` is one tick's input, already in the membrane's unit) and
/// rounding toward zero (the term rounds down without the dither's offset,
/// a bias of half a unit of `v` per tick).
pub fn u_shift(du: u16, dv: u16, rounding: Rounding) -> u8 {
    if du >= ONE as u16 || rounding == Rounding::TowardZero || dv == 0 {
        return 0;
    }
    (0..=crate::fixed::U_SHIFT_MAX)
        .rev()
        .find(|&s| f64::from(1u16 << s) * f64::from(dv) <= ONE / 2.0)
        .unwrap_or(0)
}

/// The bias whose fixed point is nearest `rest` mV, at `unit`, when each
/// decay leaks `half` a unit more than its exact product on average.
fn bias_for(rest: f64, unit: f64, dv: u16, half: f64) -> i64 {
    if rest == 0.0 {
        return 0;
    }
    (rest / unit * dv as f64 / ONE + half * rest.signum()).round() as i64
}

/// Chip units of `u` per mV of weight onto a population of `post`'s
/// integers (`tau_syn` its synaptic time constant, none for delta
/// synapses), with ticks of `dt`: the area under the membrane's response
/// to one spike is kept. With an exponential synapse a weight `w` mV gives a
/// PSP of area `w tau_syn` (mV ms); a jump of `x` units in `u` adds
/// `x 4096/du` to `v` in all, which the membrane's leak turns into
/// `x (4096/du)(4096/dv)` unit·ticks, so `x = w tau_syn / (unit dt) ×
/// (du/4096)(dv/4096)`. With delta synapses the weight moves `v` by itself:
/// `x = w / unit`. Both are `2^u_shift` times that in the units of `u`,
/// which the membrane takes `u_shift` bits finer (spec §3.3).
pub fn units_per_mv(post: &LifInts, tau_syn: Option<f64>, dt: f64) -> f64 {
    let fine = f64::from(1u16 << post.u_shift);
    match tau_syn {
        None => fine / post.unit,
        Some(tau) => fine * tau / (post.unit * dt) * (post.du as f64 / ONE) * (post.dv as f64 / ONE),
    }
}

/// The charge one weight of `x` units delivers to `v` through a current
/// decaying by `du` when no other input overlaps it (spec §3.1), as a
/// fraction of the continuous model's `x 4096 / du`. Dithered, the decays are
/// exact on average and so is the charge: 1. Rounding toward zero it is below
/// 1, because the truncation leaks half a unit per tick more on average, and
/// below `4096 / du` units the current loses exactly one a tick. It matters
/// when `x du / 4096` is a few units (short ticks, small weights); where many
/// inputs overlap, the current is larger and loses a smaller share. Weights
/// are not compensated for it (that would overshoot where inputs overlap);
/// reports show it.
pub fn current_area(x: i64, du: u16, rounding: Rounding) -> f64 {
    if x == 0 || du as f64 >= ONE || rounding == Rounding::Dither {
        return 1.0;
    }
    let (mut u, mut sum) = (x.unsigned_abs(), 0u64);
    let keep = 4096 - u64::from(du);
    while u > 0 {
        sum += u;
        u = (u * keep) >> 12;
    }
    sum as f64 / (x.unsigned_abs() as f64 * ONE / du as f64)
}

/// The smallest weight exponent that keeps every value (in units) within
/// an 8-bit mantissa.
pub fn exponent_for(field: &str, values: &[f64]) -> Result<u8, QuantError> {
    let largest = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    (0..=MAX_WEXP)
        .find(|&e| (largest / f64::from(1u16 << e)).round() <= MANTISSA)
        .map_or_else(
            || {
                fail(
                    field,
                    format!(
                        "{largest:.1} units is beyond the largest weight, 127 × 2^7 = 16256 (use a coarser voltage \
                         unit: a wider v_range; or a coarser current: a smaller u_shift)"
                    ),
                )
            },
            Ok,
        )
}

/// The mantissa of `units` at exponent `wexp`.
pub fn mantissa(units: f64, wexp: u8) -> i8 {
    (units / f64::from(1u16 << wexp)).round().clamp(-128.0, 127.0) as i8
}

/// Ticks of a delay of `ms`.
pub fn delay(field: &str, ms: f64, dt: f64) -> Result<u8, QuantError> {
    let ticks = (ms / dt).round();
    if !(1.0..=255.0).contains(&ticks) {
        return fail(
            field,
            format!("{ms} ms is {ticks} ticks of {dt} ms; delays are 1 to 255 ticks"),
        );
    }
    Ok(ticks as u8)
}

/// Pair-based STDP in physical units: trace time constants (ms), the
/// changes per pair as fractions of `w_max`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stdp {
    /// Pre-synaptic trace time constant, ms.
    pub tau_plus: f64,
    /// Post-synaptic trace time constant, ms.
    pub tau_minus: f64,
    /// Potentiation per pair, a fraction of `w_max`.
    pub a_plus: f64,
    /// Depression per pair, a fraction of `w_max`.
    pub a_minus: f64,
}

/// The chip's STDP fields for `s`, plastic weights in `0..=w_max` (a
/// mantissa).
#[derive(Debug, Clone, PartialEq)]
pub struct StdpInts {
    /// Decay of the pre-synaptic trace, in 1/4096.
    pub pre_decay: u16,
    /// Decay of the post-synaptic trace, in 1/4096.
    pub post_decay: u16,
    /// Bump of both traces on a spike (chosen with the gains:
    /// [`stdp_gains`]).
    pub bump: u8,
    /// Gains.
    pub a_plus: u8,
    /// Gains.
    pub a_minus: u8,
    /// Learning-rate shift.
    pub lr_shift: u8,
    /// How each parameter came through.
    pub quality: Vec<Quality>,
}

/// Quantize `s` for plastic weights up to the mantissa `w_max`: trace
/// decays as the neurons' ([`decay`]), then the bump, the gains and the
/// learning-rate shift of [`stdp_gains`].
pub fn stdp(s: &Stdp, w_max: i8, dt: f64) -> Result<StdpInts, QuantError> {
    let (pre, post) = (decay("tau_plus", dt, s.tau_plus)?, decay("tau_minus", dt, s.tau_minus)?);
    for (field, a) in [("a_plus", s.a_plus), ("a_minus", s.a_minus)] {
        if !(a.is_finite() && (0.0..=1.0).contains(&a)) {
            return fail(field, format!("{a} is not a fraction of w_max (0 to 1)"));
        }
    }
    let w = f64::from(w_max.max(1));
    let g = stdp_gains(s.a_plus * w, s.a_minus * w);
    let per_pair = |gain: u8| f64::from(g.bump) * f64::from(gain) / f64::from(1u16 << g.lr_shift) / w;
    let mut quality = vec![
        Quality::new("tau_plus", s.tau_plus, effective_tau(dt, pre), "ms"),
        Quality::new("tau_minus", s.tau_minus, effective_tau(dt, post), "ms"),
        Quality::new("a_plus", s.a_plus, per_pair(g.a_plus), "of w_max"),
        Quality::new("a_minus", s.a_minus, per_pair(g.a_minus), "of w_max"),
    ];
    if s.a_plus > 0.0 && s.a_minus > 0.0 {
        // The balance that additive STDP's rates hang on.
        let got = f64::from(g.a_minus) / f64::from(g.a_plus.max(1));
        quality.push(Quality {
            bound: BALANCE_WARN_ABOVE,
            ..Quality::new("a_minus / a_plus", s.a_minus / s.a_plus, got, "")
        });
    }
    Ok(StdpInts {
        pre_decay: pre,
        post_decay: post,
        bump: g.bump,
        a_plus: g.a_plus,
        a_minus: g.a_minus,
        lr_shift: g.lr_shift,
        quality,
    })
}

/// The bump, gains and learning-rate shift of one STDP rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StdpGains {
    /// Bump of both traces (one spike).
    pub bump: u8,
    /// Potentiation gain.
    pub a_plus: u8,
    /// Depression gain.
    pub a_minus: u8,
    /// Learning-rate shift.
    pub lr_shift: u8,
}

/// The bump `b`, gains `g` and shift `L` for changes of `plus` and `minus`
/// mantissa steps per pair (spec §5.3: a pair moves a weight by
/// `b g / 2^L`). Additive STDP's rates hang on the balance of depression
/// against potentiation, so the choice weighs the error of the gains'
/// ratio `minus / plus` ten times the error of either change (the cost is
/// the ratio's relative error plus a tenth of the larger change's). The
/// search runs over every shift and every bump from 64 to 255, so that a
/// trace resolves a 64th of a spike's bump or finer; bumps below 64 only
/// when none of those reaches a cost below 1%. The finest shift and then
/// the largest bump win a tie. Changes beyond what a bump and a gain of 255
/// make at `lr_shift = 0` (no rule in fractions of `w_max` asks for one)
/// get those. `plus` and `minus` are not negative.
pub fn stdp_gains(plus: f64, minus: f64) -> StdpGains {
    let cost = |g: &StdpGains| {
        let scale = f64::from(g.bump) / f64::from(1u16 << g.lr_shift);
        let error = |gain: u8, want: f64| {
            if want == 0.0 {
                f64::from(gain)
            } else {
                (f64::from(gain) * scale / want - 1.0).abs()
            }
        };
        let (ep, em) = (error(g.a_plus, plus), error(g.a_minus, minus));
        let ratio = if plus > 0.0 && minus > 0.0 {
            if g.a_plus == 0 {
                f64::INFINITY
            } else {
                (f64::from(g.a_minus) / f64::from(g.a_plus) / (minus / plus) - 1.0).abs()
            }
        } else {
            0.0
        };
        ratio + 0.1 * ep.max(em)
    };
    let search = |bumps: std::ops::RangeInclusive<u8>| {
        let mut best: Option<(f64, StdpGains)> = None;
        for lr_shift in (0..=15u8).rev() {
            for bump in bumps.clone().rev() {
                let gain = |a: f64| (a * f64::from(1u16 << lr_shift) / f64::from(bump)).round();
                let (p, m) = (gain(plus), gain(minus));
                if p > 255.0 || m > 255.0 {
                    continue;
                }
                let g = StdpGains {
                    bump,
                    a_plus: p as u8,
                    a_minus: m as u8,
                    lr_shift,
                };
                let c = cost(&g);
                if best.is_none_or(|(b, _)| c < b) {
                    best = Some((c, g));
                }
            }
        }
        best
    };
    let resolved = |(c, _): &(f64, StdpGains)| *c < 0.01;
    match search(64..=255).filter(resolved) {
        Some((_, g)) => g,
        None => search(1..=255).map_or(
            StdpGains {
                bump: 255,
                a_plus: 255,
                a_minus: 255,
                lr_shift: 0,
            },
            |(_, g)| g,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cuba() -> Lif {
        Lif {
            tau_m: 20.0,
            tau_syn: Some(5.0),
            v_rest: -49.0,
            v_reset: -60.0,
            v_th: -50.0,
            t_ref: 5.0,
            c_m: None,
            theta_inc: 0.0,
            tau_theta: None,
            v_init: (-60.0, -50.0),
            v_range: None,
            unit: None,
            u_shift: None,
            discretization: Discretization::Exact,
        }
    }

    #[test]
    fn decays_follow_the_spec_and_refuse_what_the_chip_cannot_do() {
        assert_eq!(decay("tau_m", 1.0, 20.0).unwrap(), 200);
        assert_eq!(decay("tau_syn", 1.0, 5.0).unwrap(), 742);
        assert_eq!(decay("tau_m", 0.1, 20.0).unwrap(), 20);
        let e = decay("tau_syn", 1.0, 0.5).unwrap_err();
        assert_eq!(
            e.to_string(),
            "tau_syn: 0.5 ms is shorter than a tick (dt = 1 ms); the chip's decays need tau >= dt"
        );
        assert!(decay("tau_m", 1.0, 10_000.0)
            .unwrap_err()
            .reason
            .contains("rounds to 0"));
        assert!((effective_tau(1.0, 200) - 19.97).abs() < 0.01);
    }

    #[test]
    fn euler_steps_and_perfect_integrators() {
        // 4096 × 1/5 = 819.2 and 4096 × 1/20 = 204.8 (exact: 742 and 200).
        assert_eq!(decay_by("tau_syn", 1.0, 5.0, Discretization::Euler).unwrap(), 819);
        assert_eq!(decay_by("tau_m", 1.0, 20.0, Discretization::Euler).unwrap(), 205);
        assert_eq!(effective_tau_by(1.0, 205, Discretization::Euler), 4096.0 / 205.0);
        // tau = dt: Euler clears the value, the exact step keeps e^-1 of it.
        assert_eq!(decay_by("tau", 1.0, 1.0, Discretization::Euler).unwrap(), 4096);
        assert_eq!(decay("tau", 1.0, 1.0).unwrap(), 2589);
        // An infinite time constant is no decay, and says so.
        assert_eq!(decay("tau_m", 1.0, f64::INFINITY).unwrap(), 0);
        assert_eq!(effective_tau(1.0, 0), f64::INFINITY);
        assert!(decay("tau_m", 1.0, f64::NEG_INFINITY).is_err());
        assert!(decay("tau_m", 1.0, f64::NAN).is_err());
    }

    #[test]
    fn the_cuba_population_keeps_its_rest_and_threshold() {
        let q = lif(&cuba(), 1.0, Rounding::TowardZero).unwrap();
        assert_eq!((q.du, q.dv, q.refractory), (742, 200, 5));
        // The range [-71, -38] mV: 22 mV from reset is 32767 units.
        assert!((q.unit - 22.0 / 32767.0).abs() / q.unit < 0.01, "{}", q.unit);
        // 11 mV is 16383.5 units of 22/32767 mV; 16383.5 · 200/4096 + ½ = 800.47.
        assert_eq!(q.bias, 800);
        // The truncating fixed point (bias - 1/2) 4096/dv is v_rest exactly.
        let rest = (q.bias as f64 - 0.5) * 4096.0 / 200.0 * q.unit;
        assert!((rest - 11.0).abs() < 1e-9);
        assert_eq!(q.threshold, (10.0 / q.unit).round() as i16);
        assert!(q.quality.iter().all(|x| !x.warn()), "{:?}", q.quality);
    }

    #[test]
    fn unrepresentable_parameters_are_named() {
        let mut l = cuba();
        l.v_th = -61.0;
        assert_eq!(lif(&l, 1.0, Rounding::TowardZero).unwrap_err().field, "v_th");
        let mut l = cuba();
        l.unit = Some(0.0001);
        let e = lif(&l, 1.0, Rounding::TowardZero).unwrap_err();
        assert_eq!(e.field, "v_th");
        assert!(e.reason.contains("beyond the 16-bit state"), "{e}");
        let mut l = cuba();
        l.t_ref = 300.0;
        assert!(lif(&l, 1.0, Rounding::TowardZero)
            .unwrap_err()
            .reason
            .contains("0 to 255"));
        assert!(exponent_for("weight_mV", &[16256.0]).is_ok());
        let e = exponent_for("weight_mV", &[17000.0]).unwrap_err();
        assert!(e.reason.contains("16256"), "{e}");
        assert_eq!(delay("delay_ms", 0.04, 0.1).unwrap_err().field, "delay_ms");
    }

    #[test]
    fn weights_keep_the_psp_area() {
        let q = lif(&cuba(), 1.0, Rounding::TowardZero).unwrap();
        let per = units_per_mv(&q, Some(5.0), 1.0);
        // 1.62 mV · 5 ms of area, in unit·ticks through the two decays.
        let x = 1.62 * per;
        let area = x * (4096.0 / q.du as f64) * (4096.0 / q.dv as f64) * q.unit * 1.0;
        assert!((area - 1.62 * 5.0).abs() < 1e-9);
        let wexp = exponent_for("w", &[x, -18.0 * per]).unwrap();
        assert_eq!(wexp, 4);
        assert_eq!(mantissa(-18.0 * per, wexp), (-18.0 * per / 16.0).round() as i8);
    }

    #[test]
    fn the_current_takes_the_fraction_bits_its_range_leaves() {
        // 2^S <= 2048 / dv: a 20 ms membrane at 1 ms (dv 200) and 0.1 ms (20),
        // a 10 ms one at 0.1 ms (41); none for voltage jumps or truncation.
        assert_eq!(u_shift(742, 200, Rounding::Dither), 3);
        assert_eq!(u_shift(81, 20, Rounding::Dither), 6);
        assert_eq!(u_shift(81, 41, Rounding::Dither), 5);
        assert_eq!(u_shift(81, 8, Rounding::Dither), 7);
        assert_eq!(u_shift(742, 1100, Rounding::Dither), 0);
        assert_eq!(u_shift(4096, 20, Rounding::Dither), 0);
        assert_eq!(u_shift(81, 20, Rounding::TowardZero), 0);
        // The weights follow: 2^S times the units of a current in v's unit.
        let q = lif(&cuba(), 1.0, Rounding::Dither).unwrap();
        assert_eq!(q.u_shift, 3);
        let coarse = LifInts {
            u_shift: 0,
            ..q.clone()
        };
        assert_eq!(
            units_per_mv(&q, Some(5.0), 1.0),
            8.0 * units_per_mv(&coarse, Some(5.0), 1.0)
        );
        assert_eq!(units_per_mv(&q, None, 1.0), 8.0 / q.unit);
        // Chosen by the file, within the chip's 3 bits.
        let given = Lif {
            u_shift: Some(1),
            ..cuba()
        };
        assert_eq!(lif(&given, 1.0, Rounding::Dither).unwrap().u_shift, 1);
        let e = lif(
            &Lif {
                u_shift: Some(8),
                ..cuba()
            },
            1.0,
            Rounding::Dither,
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "u_shift: 8 is beyond the chip's 7 fraction bits");
    }

    #[test]
    fn truncation_costs_small_currents_their_charge() {
        assert_eq!(current_area(100, 4096, Rounding::TowardZero), 1.0);
        // 107 units decaying by 742/4096: 7.4% of the charge lost.
        let big = current_area(107, 742, Rounding::TowardZero);
        assert!((big - 0.926).abs() < 0.001, "{big}");
        // 12 units at dt = 0.1 ms (du = 81): below 51 units the truncated
        // decay loses exactly 1 a tick, so most of the charge is lost.
        let small = current_area(12, 81, Rounding::TowardZero);
        assert!(
            (small - 12.0 * 13.0 / 2.0 / (12.0 * 4096.0 / 81.0)).abs() < 1e-9,
            "{small}"
        );
        assert_eq!(current_area(-12, 81, Rounding::TowardZero), small);
    }

    #[test]
    fn stdp_takes_the_trace_decays_and_keeps_the_balance() {
        let s = Stdp {
            tau_plus: 16.0,
            tau_minus: 16.0,
            a_plus: 0.01,
            a_minus: 0.0105,
        };
        let q = stdp(&s, 100, 1.0).unwrap();
        // 4096 (1 - exp(-1/16)) = 248.2; at 0.1 ms 25.5 rounds to 26.
        assert_eq!((q.pre_decay, q.post_decay), (248, 248));
        assert_eq!(stdp(&s, 100, 0.1).unwrap().pre_decay, 26);
        // A pair moves a weight by a w_max = 1 and 1.05 steps: 234 × 140 / 2^15
        // = 0.99976 and 234 × 147 / 2^15 = 1.04975, whose ratio is 1.05
        // exactly (bumps of 128 and gains 128 and 134 were 1.0469).
        assert_eq!((q.bump, q.a_plus, q.a_minus, q.lr_shift), (234, 140, 147, 15));
        // 248 gives 16.011 ms; the changes are within 0.03%, the balance exact.
        let tau = &q.quality[0];
        assert!((tau.got - 16.0109).abs() < 1e-3 && !tau.warn(), "{tau}");
        assert!(
            q.quality[2..4].iter().all(|x| x.error().abs() < 3e-4),
            "{:?}",
            q.quality
        );
        assert_eq!(q.quality[4].name, "a_minus / a_plus");
        assert_eq!(q.quality[4].error(), 0.0);
        // The balance is flagged from 0.5%, the other parameters from 2%.
        let off = Quality {
            got: 1.06,
            ..q.quality[4].clone()
        };
        assert!(
            off.warn() && off.to_string().ends_with("(+0.95%)  WARNING: beyond 0.5%"),
            "{off}"
        );
        assert!(!Quality::new("a_plus", 1.0, 1.0095, "").warn());
        assert!(stdp(
            &Stdp {
                a_plus: 2.0,
                ..s.clone()
            },
            100,
            1.0
        )
        .is_err());
        // A trace time constant shorter than a tick is refused by name.
        let short = stdp(
            &Stdp {
                tau_minus: 0.5,
                ..s.clone()
            },
            100,
            1.0,
        );
        assert!(short.unwrap_err().to_string().contains("tau_minus"));
    }

    #[test]
    fn stdp_gains_keep_the_ratio_within_what_8_bits_allow() {
        // Over a spread of changes per pair and balances, the ratio of the
        // gains is within 0.1% of the wanted one and each change within 1%
        // (0.5% from a quarter of a step per pair up): a fixed bump of 128
        // left a 1.05 balance at 1.0469.
        for plus in [0.05, 0.3, 1.0, 2.5, 7.0, 40.0] {
            for ratio in [0.5, 1.0, 1.05, 1.1, std::f64::consts::E / 2.0, 3.0] {
                let minus = plus * ratio;
                let g = stdp_gains(plus, minus);
                let scale = f64::from(g.bump) / f64::from(1u16 << g.lr_shift);
                let got = f64::from(g.a_minus) / f64::from(g.a_plus);
                assert!((got / ratio - 1.0).abs() < 1e-3, "{plus} {ratio}: {g:?}");
                for (gain, want) in [(g.a_plus, plus), (g.a_minus, minus)] {
                    let e = f64::from(gain) * scale / want - 1.0;
                    let bound = if plus < 0.25 { 1e-2 } else { 5e-3 };
                    assert!(e.abs() < bound, "{plus} {ratio}: {g:?} {e}");
                }
                assert!(g.bump >= 64, "{g:?}");
            }
        }
        // Only depression: the potentiation gain is 0.
        let g = stdp_gains(0.0, 1.0);
        assert_eq!(g.a_plus, 0);
        assert!((f64::from(g.bump) * f64::from(g.a_minus) / f64::from(1u16 << g.lr_shift) - 1.0).abs() < 5e-3);
        // A change too small for a bump of 64 at the finest shift takes a
        // smaller bump rather than a gain of 0.
        let g = stdp_gains(0.001, 0.001);
        assert!(g.a_plus > 0 && g.bump < 64, "{g:?}");
    }
}
