//! A network as a classifier: each sample coded as spikes of one input
//! population and run from a fresh state, its class the neuron of the
//! output population with the most spikes (the first of equals, as
//! `argmax` in NumPy and torch). The NIR example (`examples/nir/digits`) and
//! its test use it.

use std::path::Path;
use std::time::{Duration, Instant};

use spikefab_chip::config::CoreConfig;
use spikefab_sim::network::{InputSpike, PopulationKind};
use spikefab_sim::{Network, SimError, SimOptions, Simulator, SpikeEvent};

use crate::session::{Connection, Session, SessionError, Target, VirtualTarget};
use crate::verify::Plan;

/// Why a classifier cannot be set up or run.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    /// A population the classifier needs is not in the network.
    #[error("the network has no {kind} population {name}")]
    NoPopulation {
        /// `input` or `output`.
        kind: &'static str,
        /// The name asked for.
        name: String,
    },
    /// A sample's spikes do not fit the input population.
    #[error("sample {index}: {reason}")]
    Sample {
        /// The sample.
        index: usize,
        /// Why.
        reason: String,
    },
    /// The golden model refused the network.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// The chip could not be reached or stopped.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The chip and the golden model differ on a sample.
    #[error("sample {index}: the chip and the golden model differ: {difference}")]
    Differs {
        /// The sample.
        index: usize,
        /// The first difference.
        difference: String,
    },
    /// A file of samples.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// Why, with the line where there is one.
        reason: String,
    },
}

/// One labelled sample: its class and its input spikes `(tick, index
/// within the input population)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// The true class.
    pub label: u32,
    /// The input spikes.
    pub spikes: Vec<(u32, u32)>,
}

/// A network, its input and output populations and the ticks of a sample.
#[derive(Debug, Clone)]
pub struct Classifier {
    base: Network,
    /// The input population's first axon and size.
    input: (u32, u32),
    /// The output population's first neuron and size.
    output: (u32, u32),
    ticks: u32,
}

impl Classifier {
    /// `net` with its input population `input` and output population
    /// `output`, each sample run for `ticks` ticks. The network's other
    /// input spikes (an always-on bias axon, say) are kept.
    pub fn new(net: Network, input: &str, output: &str, ticks: u32) -> Result<Classifier, ClassifyError> {
        let find = |name: &str, kind, what| {
            net.population(name)
                .filter(|p| p.kind == kind)
                .map(|p| (p.first, p.size))
                .ok_or_else(|| ClassifyError::NoPopulation {
                    kind: what,
                    name: name.to_string(),
                })
        };
        let input = find(input, PopulationKind::Axons, "input")?;
        let output = find(output, PopulationKind::Neurons, "output")?;
        Ok(Classifier {
            base: net,
            input,
            output,
            ticks,
        })
    }

    /// Ticks of a sample.
    pub fn ticks(&self) -> u32 {
        self.ticks
    }

    /// The network that runs sample `index`: the base network's own input
    /// spikes within the sample's ticks, and the sample's.
    pub fn network(&self, index: usize, sample: &Sample) -> Result<Network, ClassifyError> {
        let (first, size) = self.input;
        let mine = first..first + size;
        let mut inputs: Vec<InputSpike> = self
            .base
            .inputs()
            .iter()
            .filter(|s| s.tick < self.ticks && !mine.contains(&s.axon))
            .copied()
            .collect();
        for &(tick, k) in &sample.spikes {
            if k >= size || tick >= self.ticks {
                return Err(ClassifyError::Sample {
                    index,
                    reason: format!(
                        "a spike of input {k} at tick {tick}; the input has {size} axons and a sample {} ticks",
                        self.ticks
                    ),
                });
            }
            inputs.push(InputSpike { tick, axon: first + k });
        }
        inputs.sort_by_key(|s| (s.tick, s.axon));
        self.base
            .clone()
            .with_inputs(inputs)
            .map_err(|e| ClassifyError::Sample {
                index,
                reason: e.to_string(),
            })
    }

    /// The class a run's output spikes give.
    pub fn class(&self, spikes: &[SpikeEvent]) -> u32 {
        let (first, size) = self.output;
        let mut counts = vec![0u32; size as usize];
        for s in spikes.iter().filter(|s| (first..first + size).contains(&s.neuron)) {
            counts[(s.neuron - first) as usize] += 1;
        }
        let best = counts.iter().copied().max().unwrap_or(0);
        counts.iter().position(|&c| c == best).unwrap_or(0) as u32
    }

    /// The golden model's class of each sample.
    pub fn golden(&self, samples: &[Sample]) -> Result<Vec<u32>, ClassifyError> {
        samples
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let net = self.network(i, s)?;
                let mut sim = Simulator::new(&net, SimOptions::default())?;
                sim.set_record_spikes(true);
                sim.run(self.ticks);
                Ok(self.class(sim.spikes()))
            })
            .collect()
    }
}

/// Samples run on a virtual chip, each verified against the golden model.
#[derive(Debug, Clone)]
pub struct ChipRun {
    /// The chip's class of each sample.
    pub classes: Vec<u32>,
    /// The chip's busy cycles, summed over the samples (spec §7).
    pub cycles: u64,
    /// Wall time on the virtual chip, loads and verification included.
    pub wall: Duration,
}

impl Classifier {
    /// Run `samples` on a virtual chip of `core`, each loaded afresh and
    /// verified tick by tick and at its end against the golden model; an
    /// error at the first difference.
    pub async fn on_virtual_chip(&self, core: CoreConfig, samples: &[Sample]) -> Result<ChipRun, ClassifyError> {
        let connection = Connection::new(Target::Virtual(Box::new(VirtualTarget::new(core))));
        connection.check_fit(&self.base)?;
        let mut session = Session::connect(&connection).await?;
        let start = Instant::now();
        let mut run = ChipRun {
            classes: Vec::new(),
            cycles: 0,
            wall: Duration::ZERO,
        };
        for (index, s) in samples.iter().enumerate() {
            let net = self.network(index, s)?;
            let image = session.load(&net).await?;
            let plan = Plan {
                ticks: self.ticks,
                every: self.ticks,
            };
            let v = session
                .verify(&net, &image, plan, |_, _| {})
                .await
                .map_err(|s| s.error)?;
            if let Some(d) = &v.divergence {
                return Err(ClassifyError::Differs {
                    index,
                    difference: d.to_string(),
                });
            }
            run.cycles += v.chip_ticks.last().map_or(0, |t| t.cycles);
            run.classes.push(self.class(&v.chip_spikes));
        }
        run.wall = start.elapsed();
        Ok(run)
    }
}

/// The share of `predicted` that equals the samples' labels.
pub fn accuracy(samples: &[Sample], predicted: &[u32]) -> f64 {
    let right = samples.iter().zip(predicted).filter(|(s, &p)| s.label == p).count();
    right as f64 / samples.len().max(1) as f64
}

/// A regular rate code: value `v` of `full` spikes in step `t` (of `steps`)
/// when `floor((t + 1) v / full) > floor(t v / full)`, so `v / full` spikes a
/// step, evenly spaced, with no random numbers; channel `k` is `values[k]`.
pub fn regular_code(values: &[u32], full: u32, steps: u32) -> Vec<(u32, u32)> {
    let full = u64::from(full.max(1));
    let mut out = Vec::new();
    for t in 0..u64::from(steps) {
        for (k, &v) in values.iter().enumerate() {
            let v = u64::from(v);
            if (t + 1) * v / full > t * v / full {
                out.push((t as u32, k as u32));
            }
        }
    }
    out
}

/// Labelled rows of a CSV file: a label, then the values (non-negative
/// integers), one sample per line.
pub fn read_labelled(path: &Path) -> Result<Vec<(u32, Vec<u32>)>, ClassifyError> {
    let fail = |reason: String| ClassifyError::File {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let numbers: Vec<u32> = line
            .split(',')
            .map(|x| x.trim().parse::<u32>())
            .collect::<Result<_, _>>()
            .map_err(|e| {
                fail(format!(
                    "line {}: {e} (a label and values, non-negative integers)",
                    n + 1
                ))
            })?;
        match numbers.split_first() {
            Some((&label, values)) if !values.is_empty() => rows.push((label, values.to_vec())),
            _ => return Err(fail(format!("line {}: a label and at least one value", n + 1))),
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_regular_code_spaces_its_spikes_evenly() {
        // 16 of 32: every other step; 0: none; 32: every step.
        let s = regular_code(&[16, 0, 32], 32, 6);
        let of = |k| s.iter().filter(|x| x.1 == k).map(|x| x.0).collect::<Vec<_>>();
        assert_eq!(of(0), vec![1, 3, 5]);
        assert!(of(1).is_empty());
        assert_eq!(of(2), (0..6).collect::<Vec<_>>());
        // 5 of 32 over 32 steps: exactly 5 spikes.
        assert_eq!(regular_code(&[5], 32, 32).len(), 5);
    }
}
