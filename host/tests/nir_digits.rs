//! The trained NIR example (`examples/nir/digits`, trained with snnTorch by
//! `train.py`): imported, its whole test set run in the golden model, its
//! accuracy within 2 percentage points of the float model's; ten images on
//! the virtual chip, verified against the golden model (`make nir-demo`
//! runs the whole test set there).

use std::path::PathBuf;

use spikefab_host::classify::{self, Classifier, Sample};
use spikefab_host::nir::{self, DtFrom};

#[test]
fn the_trained_classifier_keeps_its_accuracy_in_the_golden_model() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/nir/digits");
    let float: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("float.json")).unwrap()).unwrap();
    let float_accuracy = float["accuracy"].as_f64().unwrap();
    let steps = float["steps"].as_u64().unwrap() as u32;
    let float_classes: Vec<u32> = float["predicted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_u64().unwrap() as u32)
        .collect();

    let imported = nir::import(&nir::read(&dir.join("digits.nir")).unwrap(), nir::Options::default()).unwrap();
    // snnTorch's export writes r = tau_mem / dt with its dt of 0.1 ms.
    assert_eq!((imported.dt, imported.dt_from), (1e-4, DtFrom::Resistance));
    let model = imported.model().unwrap();
    // Two layers of neurons: the output lags the input by two ticks.
    let classifier = Classifier::new(model.network, "input", &imported.outputs[0], steps + 2).unwrap();
    let samples: Vec<Sample> = classify::read_labelled(&dir.join("test.csv"))
        .unwrap()
        .into_iter()
        .map(|(label, pixels)| Sample {
            label,
            spikes: classify::regular_code(&pixels, 32, steps),
        })
        .collect();
    assert_eq!(samples.len(), float_classes.len());
    let golden = classifier.golden(&samples).unwrap();
    let accuracy = classify::accuracy(&samples, &golden);
    let same = golden.iter().zip(&float_classes).filter(|(a, b)| a == b).count();
    eprintln!(
        "golden model {:.2}%, float model {:.2}%, the same class on {same} of {} images",
        100.0 * accuracy,
        100.0 * float_accuracy,
        samples.len()
    );
    assert!(
        (accuracy - float_accuracy).abs() <= 0.02,
        "golden model {accuracy}, float model {float_accuracy}"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let chip = runtime
        .block_on(classifier.on_virtual_chip(spikefab_chip::config::CoreConfig::UP5K, &samples[..10]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(chip.classes, golden[..10]);
}
