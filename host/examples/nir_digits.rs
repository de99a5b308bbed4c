//! The trained NIR example end to end (`make nir-demo`): the digits
//! classifier of `examples/nir/digits` (trained with snnTorch by `train.py`)
//! imported, its test set run in the golden model, a sample of it run on the
//! virtual chip and verified cycle by cycle against the golden model, and
//! the accuracies printed beside the float model's.
//!
//!     cargo run --profile ci -p spikefab-host --example nir_digits [-- --chip-samples N]
//!
//! The chip runs the whole test set unless `--chip-samples` says fewer.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use spikefab_chip::board::ICEBREAKER;
use spikefab_host::classify::{self, Classifier, Sample};
use spikefab_host::nir;

/// Neuron layers from input to output: each adds the chip's one tick.
const DEPTH: u32 = 2;

fn main() -> Result<()> {
    let mut chip_samples = usize::MAX;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--chip-samples" => {
                let n = args.next().context("--chip-samples needs a number")?;
                chip_samples = n.parse().with_context(|| format!("--chip-samples {n}: not a number"))?;
            }
            other => bail!("unknown argument {other} (the one option is --chip-samples N)"),
        }
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/nir/digits");
    let float: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("float.json"))?)?;
    let float_accuracy = float["accuracy"].as_f64().context("float.json: accuracy")?;
    let steps = float["steps"].as_u64().context("float.json: steps")? as u32;

    let graph = nir::read(&dir.join("digits.nir"))?;
    let imported = nir::import(&graph, nir::Options::default())?;
    println!("{imported}");
    let model = imported.model()?;
    let output = imported.outputs.first().context("the graph has no output population")?;
    let classifier = Classifier::new(model.network.clone(), "input", output, steps + DEPTH)?;
    let samples: Vec<Sample> = classify::read_labelled(&dir.join("test.csv"))?
        .into_iter()
        .map(|(label, pixels)| Sample {
            label,
            spikes: classify::regular_code(&pixels, 32, steps),
        })
        .collect();

    let start = Instant::now();
    let golden = classifier.golden(&samples)?;
    let golden_accuracy = classify::accuracy(&samples, &golden);
    println!(
        "golden model: {} test images in {:.2} s, accuracy {:.2}% (float model {:.2}%)",
        samples.len(),
        start.elapsed().as_secs_f64(),
        100.0 * golden_accuracy,
        100.0 * float_accuracy
    );

    let n = chip_samples.min(samples.len());
    if n == 0 {
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let run = runtime.block_on(classifier.on_virtual_chip(ICEBREAKER.core, &samples[..n]))?;
    let (chip, cycles, wall) = (run.classes, run.cycles, run.wall);
    let sample = &samples[..n];
    let agree = chip.iter().zip(&golden).filter(|(a, b)| a == b).count();
    let float_sample = float["predicted"].as_array().map(|p| {
        p.iter()
            .take(n)
            .zip(sample)
            .filter(|(p, s)| p.as_u64() == Some(u64::from(s.label)))
            .count()
    });
    println!(
        "virtual chip (up5k core): {n} test images VERIFIED cycle-exact against the golden model in {:.1} s; \
         accuracy {:.2}% on them (golden model {:.2}%{}); {:.1} busy cycles per image, {:.1} µs per image on the \
         iCEBreaker's {} MHz core (the link's time aside)",
        wall.as_secs_f64(),
        100.0 * classify::accuracy(sample, &chip),
        100.0 * classify::accuracy(sample, &golden[..n]),
        float_sample.map_or(String::new(), |k| format!(
            ", float model {:.2}%",
            100.0 * k as f64 / n as f64
        )),
        cycles as f64 / n as f64,
        cycles as f64 / n as f64 / f64::from(ICEBREAKER.core_mhz),
        ICEBREAKER.core_mhz
    );
    if agree != n {
        bail!(
            "the chip's classes differ from the golden model's on {} of {n} images",
            n - agree
        );
    }
    Ok(())
}
