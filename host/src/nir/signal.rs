//! What NIR's linear nodes carry between spiking nodes: each channel of a
//! signal as a weighted sum of delayed spikes of source channels, plus a
//! constant (an `Affine` node's bias). A neuron's input is such a sum; each
//! term becomes a synapse and the constant a synapse from an always-on axon.

/// One weighted, delayed spike train: `weight × spikes of source[index]`,
/// `delay` ticks late.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Term {
    /// The spiking node (an index into the importer's node list).
    pub source: usize,
    /// Its channel.
    pub index: u32,
    /// Ticks added by `Delay` nodes on the way.
    pub delay: u32,
    /// The product of the weights and scales on the way.
    pub weight: f64,
}

/// One channel: its terms (sorted by source, index and delay, each once)
/// and its constant.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Channel {
    /// The spike trains it sums.
    pub terms: Vec<Term>,
    /// The constant it adds every tick.
    pub constant: f64,
}

/// A vector of channels.
pub(crate) type Signal = Vec<Channel>;

/// The spikes of `n` channels of `source`, each its own channel.
pub(crate) fn spikes(source: usize, n: usize) -> Signal {
    (0..n)
        .map(|i| Channel {
            terms: vec![Term {
                source,
                index: i as u32,
                delay: 0,
                weight: 1.0,
            }],
            constant: 0.0,
        })
        .collect()
}

/// `a + b`, channel by channel (equal lengths).
pub(crate) fn add(mut a: Signal, b: &Signal) -> Signal {
    debug_assert_eq!(a.len(), b.len());
    for (x, y) in a.iter_mut().zip(b) {
        x.terms.extend_from_slice(&y.terms);
        x.constant += y.constant;
        merge(&mut x.terms);
    }
    a
}

/// `weight × input`, `weight` row-major with `input.len()` columns.
pub(crate) fn matrix(weight: &[f64], input: &Signal) -> Signal {
    let cols = input.len();
    weight
        .chunks(cols.max(1))
        .map(|row| {
            let mut out = Channel::default();
            for (w, x) in row.iter().zip(input).filter(|(w, _)| **w != 0.0) {
                out.terms.extend(x.terms.iter().map(|t| Term {
                    weight: t.weight * w,
                    ..*t
                }));
                out.constant += w * x.constant;
            }
            merge(&mut out.terms);
            out
        })
        .collect()
}

/// Each channel times its own factor.
pub(crate) fn scale(factors: &[f64], mut input: Signal) -> Signal {
    for (c, &f) in input.iter_mut().zip(factors) {
        for t in &mut c.terms {
            t.weight *= f;
        }
        c.constant *= f;
        c.terms.retain(|t| t.weight != 0.0);
    }
    input
}

/// Each channel's spikes `ticks[c]` later (a constant stays as it is).
pub(crate) fn delay(ticks: &[u32], mut input: Signal) -> Signal {
    for (c, &d) in input.iter_mut().zip(ticks) {
        for t in &mut c.terms {
            t.delay = t.delay.saturating_add(d);
        }
    }
    input
}

/// Sort by (source, index, delay) and sum the weights of equal keys; drop
/// the terms whose weights cancel.
fn merge(terms: &mut Vec<Term>) {
    terms.sort_by_key(|t| (t.source, t.index, t.delay));
    terms.dedup_by(|later, kept| {
        let same = (later.source, later.index, later.delay) == (kept.source, kept.index, kept.delay);
        if same {
            kept.weight += later.weight;
        }
        same
    });
    terms.retain(|t| t.weight != 0.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_compose_and_merge() {
        // Two inputs through [[1, 2], [0, -1]], scaled by [2, 3], then
        // channel 1 delayed by 4 ticks, plus the same inputs directly.
        let x = spikes(0, 2);
        let y = matrix(&[1.0, 2.0, 0.0, -1.0], &x);
        let y = delay(&[0, 4], scale(&[2.0, 3.0], y));
        let z = add(y, &x);
        let w = |c: &Channel| c.terms.iter().map(|t| (t.index, t.delay, t.weight)).collect::<Vec<_>>();
        // Channel 0: 2·x0 + 4·x1, plus x0: 3·x0 + 4·x1.
        assert_eq!(w(&z[0]), vec![(0, 0, 3.0), (1, 0, 4.0)]);
        // Channel 1: -3·x1 four ticks late, plus x1 now: two terms.
        assert_eq!(w(&z[1]), vec![(1, 0, 1.0), (1, 4, -3.0)]);
        // A path that cancels leaves no term.
        let c = add(matrix(&[1.0, 0.0], &x), &matrix(&[-1.0, 0.0], &x));
        assert!(c[0].terms.is_empty());
    }

    #[test]
    fn constants_go_through_weights_and_scales_but_not_delays() {
        let mut x = spikes(0, 1);
        x[0].constant = 0.5;
        let y = delay(&[3], scale(&[4.0], matrix(&[2.0, -1.0], &x)));
        assert_eq!((y[0].constant, y[1].constant), (4.0, -0.5));
        assert_eq!(y[1].terms[0].delay, 0);
        assert_eq!(y[0].terms[0].delay, 3);
    }
}
