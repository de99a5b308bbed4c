//! Network files in physical units: a population's `lif` (ms, mV, pF),
//! a projection's `weight_mV` / `weight_pA` and `delay_ms`, `[stdp]`, and
//! `[simulation] dt` and `duration`. [`lower`] turns them into the integer
//! fields through the quantizer ([`crate::quantize`]) before the file is
//! expanded, so a physical file is checked and built exactly as the integer
//! file it stands for; [`Report`] keeps the integers chosen and the error of
//! each parameter (`spikefab inspect` prints it).

use std::borrow::Cow;
use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::{ConfigError, FloatSpec, NetworkFile, ProjectionSection, DEFAULT_TICKS};
use crate::dither::Rounding;
use crate::learning::{StdpFields, StdpParams};
use crate::neuron::NeuronFields;
use crate::quantize::{self, Lif, LifInts, Quality, QuantError, Stdp, StdpInts};

/// `lif = { ... }`: a population's CUBA LIF in physical units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifSection {
    /// Membrane time constant, ms.
    pub tau_m: f64,
    /// Synaptic time constant, ms; absent: delta synapses.
    pub tau_syn: Option<f64>,
    /// Resting potential, mV.
    pub v_rest: f64,
    /// Reset potential, mV.
    pub v_reset: f64,
    /// Threshold, mV.
    pub v_th: f64,
    /// Refractory period, ms (default 0).
    #[serde(default)]
    pub t_ref: f64,
    /// Membrane capacitance, pF (for `weight_pA` onto this population).
    pub c_m: Option<f64>,
    /// Threshold increase per spike, mV (default 0).
    #[serde(default)]
    pub theta_inc: f64,
    /// Time constant of the threshold's return to `v_th`, ms.
    pub tau_theta: Option<f64>,
    /// Initial membrane potential, mV (default `v_reset`).
    pub v_init: Option<FloatSpec>,
    /// The range the membrane must be representable in, mV.
    pub v_range: Option<[f64; 2]>,
    /// The voltage unit, mV (default: chosen for precision).
    pub unit: Option<f64>,
    /// The current's fraction bits, 0..=7 (default: chosen,
    /// [`quantize::u_shift`]).
    pub u_shift: Option<u8>,
}

/// `[stdp]`: pair-based STDP in physical units (instead of `[learning]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StdpSection {
    /// Pre-synaptic trace time constant, ms.
    pub tau_plus: f64,
    /// Post-synaptic trace time constant, ms.
    pub tau_minus: f64,
    /// Potentiation per pair, a fraction of `w_max`.
    pub a_plus: f64,
    /// Depression per pair, a fraction of `w_max`.
    pub a_minus: f64,
    /// Largest plastic weight, mV (plastic weights run from 0 to it).
    #[serde(rename = "w_max_mV")]
    pub w_max_mv: Option<f64>,
    /// Largest plastic weight, pA.
    #[serde(rename = "w_max_pA")]
    pub w_max_pa: Option<f64>,
    /// The learning LFSR's seed (default 0xACE1).
    pub lfsr_seed: Option<i64>,
}

/// NEST's pairing on the chip's clock (`docs/units.md` rule 7): a post
/// spike meets its plastic synapses one delay and one tick after it fires
/// (its neuron answers an input a tick later than the chip's), so
/// `post_delay` is the plastic projections' delay in ticks plus 1. They
/// must share one delay. `projections` have their delays in ticks (those
/// given in ms converted, as `in_ms` marks).
fn nest_post_delay(projections: &[ProjectionSection], in_ms: &[bool]) -> Result<u8, ConfigError> {
    let mut ticks: Option<i64> = None;
    for (i, p) in projections.iter().enumerate().filter(|(_, p)| p.plastic) {
        let (lo, hi) = p.delay.map_or((1, 1), |t| t.bounds());
        if lo != hi || ticks.is_some_and(|t| t != lo) {
            return Err(ConfigError::invalid(
                p.item(i),
                if in_ms[i] { "delay_ms" } else { "delay" },
                "[stdp] pairs a post spike one delay late, as NEST does, so the plastic projections need one \
                 delay, the same for all",
            ));
        }
        ticks = Some(lo);
    }
    let post_delay = ticks.unwrap_or(1) + 1;
    if post_delay > i64::from(crate::learning::POST_DELAY_MAX) {
        return Err(ConfigError::invalid(
            "stdp",
            "",
            format!(
                "the plastic synapses' delay of {} ticks pairs post spikes {post_delay} ticks late; the chip keeps \
                 {} ticks of them",
                post_delay - 1,
                crate::learning::POST_DELAY_MAX
            ),
        ));
    }
    // A delay below one tick is its projection's own error, named later.
    Ok(post_delay.max(1) as u8)
}

/// What the quantizer chose for a file in physical units, and how well
/// each parameter came through.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The tick, ms.
    pub dt: f64,
    /// How the decays round.
    pub rounding: Rounding,
    /// Each population in physical units: its name and integers.
    pub populations: Vec<(String, LifInts)>,
    /// Each projection with physical values: its name, weight exponent and
    /// the quality of its weights and delays.
    pub projections: Vec<(String, u8, Vec<Quality>)>,
    /// The STDP rule.
    pub stdp: Option<StdpReport>,
}

/// What the quantizer chose for a `[stdp]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct StdpReport {
    /// The plastic weights' largest mantissa.
    pub w_max: i8,
    /// Ticks after a spike that it meets its synapses (docs/units.md rule 7).
    pub post_delay: u8,
    /// The traces, gains and shift, with their quality.
    pub ints: StdpInts,
}

impl Report {
    /// Every parameter's quality, named by its section.
    pub fn qualities(&self) -> impl Iterator<Item = (&str, &Quality)> {
        let pops = self
            .populations
            .iter()
            .flat_map(|(n, q)| q.quality.iter().map(move |x| (n.as_str(), x)));
        let projs = self
            .projections
            .iter()
            .flat_map(|(n, _, q)| q.iter().map(move |x| (n.as_str(), x)));
        let stdp = self
            .stdp
            .iter()
            .flat_map(|s| s.ints.quality.iter().map(|x| ("stdp", x)));
        pops.chain(projs).chain(stdp)
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "physical units quantized (dt = {} ms, decays rounded {}; errors beyond {}% flagged{}):",
            self.dt,
            self.rounding.describe(),
            quantize::WARN_ABOVE * 100.0,
            if self.stdp.is_some() {
                format!(", STDP's balance beyond {}%", quantize::BALANCE_WARN_ABOVE * 100.0)
            } else {
                String::new()
            }
        );
        for (name, q) in &self.populations {
            let _ = writeln!(
                s,
                "  {name}: unit {:.6} mV; du {} dv {} u_shift {} bias {} threshold {} refractory {} theta_inc {} theta_decay {}",
                q.unit, q.du, q.dv, q.u_shift, q.bias, q.threshold, q.refractory, q.theta_inc, q.theta_decay
            );
            for x in &q.quality {
                let _ = writeln!(s, "    {x}");
            }
        }
        for (name, wexp, quality) in &self.projections {
            let _ = writeln!(s, "  {name}: wexp {wexp}");
            for x in quality {
                let _ = writeln!(s, "    {x}");
            }
        }
        if let Some(StdpReport {
            w_max,
            post_delay,
            ints: q,
        }) = &self.stdp
        {
            let _ = writeln!(
                s,
                "  stdp: w_max {w_max}; trace decays {} {}, bumps {}, gains {} {}, lr_shift {}, post_delay {post_delay}",
                q.pre_decay, q.post_decay, q.bump, q.a_plus, q.a_minus, q.lr_shift
            );
            for x in &q.quality {
                let _ = writeln!(s, "    {x}");
            }
        }
        f.write_str(s.trim_end())
    }
}

/// A file in integers, and the quantizer's report if it had physical units.
#[derive(Debug, Clone)]
pub struct Lowered<'a> {
    /// The file with every physical value replaced by its integers.
    pub file: Cow<'a, NetworkFile>,
    /// What was chosen, if anything was in physical units.
    pub report: Option<Report>,
}

fn invalid(item: &str, e: QuantError) -> ConfigError {
    ConfigError::invalid(item, e.field, e.reason)
}

fn has_physical(p: &ProjectionSection) -> bool {
    p.weight_mv.is_some() || p.weight_pa.is_some() || p.delay_ms.is_some()
}

/// Replace the physical values of `file` by the quantizer's integers.
pub fn lower(file: &NetworkFile) -> Result<Lowered<'_>, ConfigError> {
    let physical = file.stdp.is_some()
        || file.simulation.duration.is_some()
        || file
            .inputs
            .iter()
            .any(|i| i.poisson.as_ref().is_some_and(|p| p.rate_hz.is_some()))
        || file.populations.iter().any(|p| p.lif.is_some())
        || file.projections.iter().any(has_physical);
    if !physical {
        return Ok(Lowered {
            file: Cow::Borrowed(file),
            report: None,
        });
    }
    let Some(dt) = file.simulation.dt else {
        return Err(ConfigError::invalid(
            "simulation",
            "dt",
            "values in physical units (lif, weight_mV, weight_pA, delay_ms, rate_hz, [stdp], duration) need the \
             tick length in ms",
        ));
    };
    if !(dt.is_finite() && dt > 0.0) {
        return Err(ConfigError::invalid(
            "simulation",
            "dt",
            format!("{dt} ms is not a tick length"),
        ));
    }
    let mut out = file.clone();
    if let Some(ms) = file.simulation.duration {
        if file.simulation.ticks.is_some() {
            return Err(ConfigError::invalid(
                "simulation",
                "duration",
                "give ticks or duration, not both",
            ));
        }
        let ticks = (ms / dt).round();
        if !(1.0..=u32::MAX as f64).contains(&ticks) {
            return Err(ConfigError::invalid(
                "simulation",
                "duration",
                format!("{ms} ms is {ticks} ticks of {dt} ms"),
            ));
        }
        out.simulation.ticks = Some(ticks as u32);
        out.simulation.duration = None;
    }
    out.simulation.ticks.get_or_insert(DEFAULT_TICKS);
    // Decays as small as the physical time constants give at a fine dt lose a
    // large share of their leak to rounding toward zero (docs/units.md).
    let rounding = *out.simulation.rounding.get_or_insert(Rounding::Dither);

    // Poisson inputs by rate.
    for (i, input) in out.inputs.iter_mut().enumerate() {
        let item = input.item(i);
        let Some(poisson) = input.poisson.as_mut() else {
            continue;
        };
        let Some(hz) = poisson.rate_hz.take() else { continue };
        if poisson.p.is_some() {
            return Err(ConfigError::invalid(
                &item,
                "poisson.rate_hz",
                "give p or rate_hz, not both",
            ));
        }
        let p = hz * dt / 1000.0;
        if !(hz.is_finite() && (0.0..=1.0).contains(&p)) {
            return Err(ConfigError::invalid(
                &item,
                "poisson.rate_hz",
                format!("{hz} Hz is a probability of {p} per tick of {dt} ms; at most one spike a tick"),
            ));
        }
        poisson.p = Some(p);
    }

    // Populations.
    let mut populations = Vec::new();
    for (i, pop) in out.populations.iter_mut().enumerate() {
        let Some(l) = pop.lif.take() else { continue };
        let item = pop.item(i);
        for (given, field) in [(pop.neuron.is_some(), "neuron"), (pop.v_init.is_some(), "v_init")] {
            if given {
                return Err(ConfigError::invalid(
                    &item,
                    field,
                    "the population is in physical units (lif): give it there, not in the chip's integers",
                ));
            }
        }
        let v_init = l.v_init.unwrap_or(FloatSpec::Const(l.v_reset));
        let lif = Lif {
            tau_m: l.tau_m,
            tau_syn: l.tau_syn,
            v_rest: l.v_rest,
            v_reset: l.v_reset,
            v_th: l.v_th,
            t_ref: l.t_ref,
            c_m: l.c_m,
            theta_inc: l.theta_inc,
            tau_theta: l.tau_theta,
            v_init: v_init.bounds(),
            v_range: l.v_range.map(|[a, b]| (a, b)),
            unit: l.unit,
            u_shift: l.u_shift,
            discretization: quantize::Discretization::Exact,
        };
        let q = quantize::lif(&lif, dt, rounding).map_err(|e| invalid(&format!("{item}.lif"), e))?;
        pop.neuron = Some(NeuronFields {
            du: q.du.into(),
            dv: q.dv.into(),
            bias: q.bias.into(),
            v_reset: 0,
            threshold: q.threshold.into(),
            theta_inc: q.theta_inc.into(),
            theta_decay: q.theta_decay.into(),
            refractory: q.refractory.into(),
            u_shift: q.u_shift.into(),
        });
        pop.v_init = Some(v_init.map(|mv| ((mv - l.v_reset) / q.unit).round() as i64));
        populations.push((pop.name.clone(), lif, q));
    }
    let scale_of = |name: &str| populations.iter().find(|(n, _, _)| n == name);

    // The plastic weights' scale, from [stdp] and the plastic projections.
    let mut plastic_wexp = None;
    let mut stdp_report = None;
    if let Some(s) = &file.stdp {
        if file.learning.is_some() {
            return Err(ConfigError::invalid("stdp", "", "give [learning] or [stdp], not both"));
        }
        let (per, w_max) = plastic_scale(file, s, &scale_of, dt)?;
        let mut units = vec![w_max * per];
        for (i, p) in file.projections.iter().enumerate().filter(|(_, p)| p.plastic) {
            let Some(w) = physical_weight(file, i, p, &scale_of, dt)? else {
                return Err(ConfigError::invalid(
                    p.item(i),
                    "weight",
                    "[stdp] sets the plastic weights' scale (w_max_mV): give this plastic projection weight_mV or \
                     weight_pA",
                ));
            };
            let (lo, hi) = w.0.bounds();
            units.extend([lo * w.1, hi * w.1]);
        }
        let wexp = quantize::exponent_for("w_max", &units).map_err(|e| invalid("stdp", e))?;
        let w_max = quantize::mantissa(w_max * per, wexp);
        let rule = Stdp {
            tau_plus: s.tau_plus,
            tau_minus: s.tau_minus,
            a_plus: s.a_plus,
            a_minus: s.a_minus,
        };
        let mut q = quantize::stdp(&rule, w_max, dt).map_err(|e| invalid("stdp", e))?;
        // The plastic weights' range in mantissa steps: a coarse w_max is
        // a coarse weight.
        let (wanted, unit) = match (s.w_max_mv, s.w_max_pa) {
            (Some(w), _) => (w, "mV"),
            (_, w) => (w.unwrap_or(0.0), "pA"),
        };
        q.quality.insert(
            0,
            Quality::new(
                format!("w_max ({w_max} steps of the mantissa)"),
                wanted,
                f64::from(w_max) * f64::from(1u16 << wexp) / per,
                unit,
            ),
        );
        let defaults = StdpFields::from(StdpParams::default());
        out.learning = Some(StdpFields {
            pre_decay: q.pre_decay.into(),
            post_decay: q.post_decay.into(),
            pre_bump: q.bump.into(),
            post_bump: q.bump.into(),
            a_plus: q.a_plus.into(),
            a_minus: q.a_minus.into(),
            lr_shift: q.lr_shift.into(),
            w_min: 0,
            w_max: w_max.into(),
            lfsr_seed: s.lfsr_seed.unwrap_or(defaults.lfsr_seed),
            // Set from the plastic delays once they are in ticks (below).
            post_delay: defaults.post_delay,
        });
        out.stdp = None;
        plastic_wexp = Some(wexp);
        stdp_report = Some(StdpReport {
            w_max,
            post_delay: 0,
            ints: q,
        });
    }

    // Projections.
    let mut projections = Vec::new();
    let mut delay_in_ms = vec![false; out.projections.len()];
    for (i, proj) in out.projections.iter_mut().enumerate() {
        if !has_physical(proj) {
            continue;
        }
        let item = proj.item(i);
        let mut quality = Vec::new();
        let mut wexp_used = proj.wexp.unwrap_or(0) as u8;
        if let Some((spec, per, field)) = physical_weight(file, i, proj, &scale_of, dt)? {
            if proj.weight.is_some() || proj.wexp.is_some() {
                return Err(ConfigError::invalid(
                    &item,
                    field,
                    "a weight in physical units sets weight and wexp; give one or the other",
                ));
            }
            let (lo, hi) = spec.bounds();
            let du = scale_of(&proj.to).map_or(4096, |(_, _, q)| q.du);
            let wexp = match (proj.plastic, plastic_wexp) {
                (true, Some(e)) => e,
                _ => quantize::exponent_for(field, &[lo * per, hi * per]).map_err(|e| invalid(&item, e))?,
            };
            let unit = if field == "weight_mV" { "mV" } else { "pA" };
            for (end, w) in [("", lo), (" (high end)", hi)]
                .into_iter()
                .take(if lo == hi { 1 } else { 2 })
            {
                let x = i64::from(quantize::mantissa(w * per, wexp)) << wexp;
                quality.push(Quality::new(
                    format!("{field}{end} (PSP area)"),
                    w,
                    x as f64 / per,
                    unit,
                ));
                if x != 0 && du < 4096 && rounding == Rounding::TowardZero {
                    quality.push(Quality::new(
                        format!("{field}{end}, one PSP alone (its current's truncation)"),
                        w,
                        x as f64 * quantize::current_area(x, du, rounding) / per,
                        unit,
                    ));
                }
            }
            proj.weight = Some(spec.map(|w| quantize::mantissa(w * per, wexp).into()));
            proj.wexp = Some(wexp.into());
            wexp_used = wexp;
        }
        if let Some(spec) = proj.delay_ms.take() {
            if proj.delay.is_some() {
                return Err(ConfigError::invalid(
                    &item,
                    "delay_ms",
                    "give delay (ticks) or delay_ms, not both",
                ));
            }
            let (lo, hi) = spec.bounds();
            for ms in [lo, hi] {
                quantize::finite("delay_ms", ms).map_err(|e| invalid(&item, e))?;
                quantize::delay("delay_ms", ms, dt).map_err(|e| invalid(&item, e))?;
            }
            proj.delay = Some(spec.map(|ms| (ms / dt).round() as i64));
            delay_in_ms[i] = true;
            let got = (lo / dt).round() * dt;
            quality.push(Quality::new("delay_ms", lo, got, "ms"));
        }
        proj.weight_mv = None;
        proj.weight_pa = None;
        projections.push((item, wexp_used, quality));
    }
    if let Some(report) = &mut stdp_report {
        report.post_delay = nest_post_delay(&out.projections, &delay_in_ms)?;
        if let Some(learning) = &mut out.learning {
            learning.post_delay = report.post_delay.into();
        }
    }
    Ok(Lowered {
        file: Cow::Owned(out),
        report: Some(Report {
            dt,
            rounding,
            populations: populations.into_iter().map(|(n, _, q)| (n, q)).collect(),
            projections,
            stdp: stdp_report,
        }),
    })
}

type Scale<'a> = &'a dyn Fn(&str) -> Option<&'a (String, Lif, LifInts)>;

/// A projection's physical weight: its spec, units per its own unit (mV or
/// pA) and its field; none if it has no physical weight.
fn physical_weight(
    file: &NetworkFile,
    i: usize,
    p: &ProjectionSection,
    scale_of: Scale<'_>,
    dt: f64,
) -> Result<Option<(FloatSpec, f64, &'static str)>, ConfigError> {
    let item = p.item(i);
    let (spec, field) = match (p.weight_mv, p.weight_pa) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::invalid(
                &item,
                "weight_pA",
                "give weight_mV or weight_pA, not both",
            ))
        }
        (Some(s), None) => (s, "weight_mV"),
        (None, Some(s)) => (s, "weight_pA"),
        (None, None) => return Ok(None),
    };
    let (lo, hi) = spec.bounds();
    for w in [lo, hi] {
        quantize::finite(field, w).map_err(|e| invalid(&item, e))?;
    }
    let per = per_unit(file, &item, field, &p.to, scale_of, dt)?;
    Ok(Some((spec, per, field)))
}

/// Chip units per mV (or pA) of weight onto population `to`.
fn per_unit(
    file: &NetworkFile,
    item: &str,
    field: &str,
    to: &str,
    scale_of: Scale<'_>,
    dt: f64,
) -> Result<f64, ConfigError> {
    let Some((_, lif, q)) = scale_of(to) else {
        let why = match file.populations.iter().any(|p| p.name == to) {
            true => format!("\"{to}\" is in the chip's integers; give its `lif` to take weights in physical units"),
            false => format!("\"{to}\" is not a population in physical units"),
        };
        return Err(ConfigError::invalid(item, field, why));
    };
    let per_mv = quantize::units_per_mv(q, lif.tau_syn, dt);
    if field.ends_with("pA") {
        let Some(c_m) = lif.c_m.filter(|c| c.is_finite() && *c > 0.0) else {
            return Err(ConfigError::invalid(
                item,
                field,
                format!("a current needs the target's membrane capacitance: give c_m (pF) in \"{to}\"'s lif"),
            ));
        };
        // g = I tau_m / C_m: pA · ms / pF = mV.
        return Ok(per_mv * lif.tau_m / c_m);
    }
    Ok(per_mv)
}

/// Units per mV (or pA) of the plastic projections' targets, which must
/// agree, and `w_max` in mV (or pA).
fn plastic_scale(file: &NetworkFile, s: &StdpSection, scale_of: Scale<'_>, dt: f64) -> Result<(f64, f64), ConfigError> {
    let (w_max, field) = match (s.w_max_mv, s.w_max_pa) {
        (Some(w), None) => (w, "weight_mV"),
        (None, Some(w)) => (w, "weight_pA"),
        _ => {
            return Err(ConfigError::invalid(
                "stdp",
                "w_max_mV",
                "give w_max_mV or w_max_pA (one of them)",
            ))
        }
    };
    if !(w_max.is_finite() && w_max > 0.0) {
        return Err(ConfigError::invalid(
            "stdp",
            "w_max",
            format!("{w_max} is not a positive weight"),
        ));
    }
    let mut per = None;
    for (i, p) in file.projections.iter().enumerate().filter(|(_, p)| p.plastic) {
        let item = p.item(i);
        let this = per_unit(file, &item, field, &p.to, scale_of, dt)?;
        match per {
            None => per = Some((this, item)),
            Some((first, ref name)) if (this / first - 1.0).abs() > 1e-12 => {
                return Err(ConfigError::invalid(
                    &item,
                    "plastic",
                    format!(
                        "its target's weight scale differs from {name}'s; the chip has one STDP rule and one w_max, so \
                         the plastic projections must end on populations of the same lif"
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    let (per, _) = per.ok_or_else(|| {
        ConfigError::invalid(
            "stdp",
            "",
            "no plastic projection: [stdp] needs one to set the weights' scale",
        )
    })?;
    Ok((per, w_max))
}
