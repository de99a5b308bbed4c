//! Fuzzing the readers of outside bytes in `sim/` (stable Rust, proptest):
//! snapshots (arbitrary bytes; real snapshots with damaged payloads and
//! checksums made to match, as a hand-crafted file would be) and network
//! files (TOML and JSON from every example, bytes mutated or numbers
//! replaced). No panic, no hang, no allocation beyond what the input
//! declares and the budget allows; a snapshot or file that loads also runs.
//!
//! Cases per target: `support::cases` (10,000; 1,000,000 in `make test-slow`).

use std::path::Path;
use std::sync::OnceLock;

#[path = "../../proto/tests/support/fuzz.rs"]
mod support;

use proptest::prelude::*;
use spikefab_sim::config::{self, Budget, Model, StoredModel};
use spikefab_sim::network::InputSpike;
use spikefab_sim::snapshot::{self, Kind, RunResult, VERSION};
use spikefab_sim::{SimOptions, Simulator, SpikeEvent};
use support::{apply, config, edit};

/// The network files the fuzzing starts from: every example and the host's
/// test network, as TOML and as JSON.
fn templates() -> &'static [(String, &'static str)] {
    static T: OnceLock<Vec<(String, &'static str)>> = OnceLock::new();
    T.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut out = Vec::new();
        for f in [
            "examples/stdp_homeostasis.toml",
            "examples/link_burst.toml",
            "examples/va_cuba.toml",
            "host/tests/tiny_net.toml",
        ] {
            let text = std::fs::read_to_string(root.join(f)).unwrap();
            let value: toml::Value = toml::from_str(&text).unwrap();
            out.push((serde_json::to_string_pretty(&value).unwrap(), "json"));
            out.push((text, "toml"));
        }
        out
    })
}

/// Small enough that every case is quick (the examples fit it).
const BUDGET: Budget = Budget {
    neurons: 20_000,
    synapses: 500_000,
    draws: 5_000_000,
};

fn load(text: &str, format: &str) -> Result<Model, config::ConfigError> {
    match format {
        "toml" => config::parse_toml_within(text, None, BUDGET),
        _ => config::parse_json_within(text, None, BUDGET),
    }
}

/// A model that loaded runs a few ticks without a panic.
fn runs(model: &Model) {
    let mut sim = Simulator::new(&model.network, SimOptions::default()).expect("a loaded network simulates");
    for &(n, var) in &model.run.probes {
        sim.add_probe(n, var).expect("probes name neurons that exist");
    }
    sim.run(3);
}

/// Real snapshots of every kind.
fn snapshots() -> &'static [(Kind, Vec<u8>)] {
    static S: OnceLock<Vec<(Kind, Vec<u8>)>> = OnceLock::new();
    S.get_or_init(|| {
        let model = load(&templates()[1].0, "toml").unwrap();
        let mut sim = Simulator::new(&model.network, SimOptions::default()).unwrap();
        sim.run(20);
        let result = RunResult {
            core: sim.core(),
            spikes: sim.spikes().to_vec(),
            probes: sim.probes().to_vec(),
            stats: sim.stats(),
            final_state: sim.state_dump(),
        };
        vec![
            (Kind::Network, snapshot::encode(Kind::Network, &model)),
            (
                Kind::Inputs,
                snapshot::encode(Kind::Inputs, &model.network.inputs().to_vec()),
            ),
            (Kind::Spikes, snapshot::encode(Kind::Spikes, &sim.spikes().to_vec())),
            (Kind::Results, snapshot::encode(Kind::Results, &result)),
        ]
    })
}

/// Decode `bytes` as a snapshot of `kind`; a network that decodes must run,
/// input spikes must attach to a network that has the axons.
fn decode_any(kind: Kind, bytes: &[u8]) {
    let p = Path::new("fuzz.bin");
    match kind {
        Kind::Network => {
            if let Ok(m) = snapshot::decode::<Model>(kind, bytes, p) {
                runs(&m);
            }
            // Rebuilt as one rank's share: an error or a network, never a panic.
            if let Ok(stored) = snapshot::decode::<StoredModel>(kind, bytes, p) {
                let _ = stored.into_model(Some(&|n: u32| n / 3..n));
            }
        }
        Kind::Inputs => {
            if let Ok(inputs) = snapshot::decode::<Vec<InputSpike>>(kind, bytes, p) {
                let net = load(&templates()[1].0, "toml").unwrap().network;
                let _ = net.with_inputs(inputs);
            }
        }
        Kind::Spikes => {
            let _ = snapshot::decode::<Vec<SpikeEvent>>(kind, bytes, p);
        }
        Kind::Results => {
            let _ = snapshot::decode::<RunResult>(kind, bytes, p);
        }
    }
}

/// `payload` under a header with the right length and checksum.
fn wrap(kind: Kind, payload: &[u8]) -> Vec<u8> {
    let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(payload);
    let mut out = b"SPIKEFAB".to_vec();
    out.push(kind as u8);
    out.push(VERSION);
    out.extend((payload.len() as u64).to_le_bytes());
    out.extend(crc.to_le_bytes());
    out.extend(payload);
    out
}

const KINDS: [Kind; 4] = [Kind::Network, Kind::Inputs, Kind::Spikes, Kind::Results];

proptest! {
    #![proptest_config(config())]

    /// Arbitrary bytes, with or without a valid header: an error or a value.
    #[test]
    fn snapshots_of_any_bytes(k in 0usize..4, wrapped: bool, payload in prop::collection::vec(any::<u8>(), 0..400)) {
        let kind = KINDS[k];
        let bytes = if wrapped { wrap(kind, &payload) } else { payload };
        decode_any(kind, &bytes);
    }

    /// Real snapshots with their payloads edited and the checksum made to
    /// match (a hand-crafted file): checked like network files, never a panic.
    #[test]
    fn edited_snapshots_with_good_checksums(k in 0usize..4, edits in prop::collection::vec(edit(), 1..6), raw: bool) {
        let (kind, bytes) = &snapshots()[k];
        let mut payload = bytes[22..].to_vec();
        for e in &edits {
            apply(&mut payload, e);
        }
        let bytes = if raw {
            // The header as it was: the damage must be caught by it.
            let mut b = bytes[..22].to_vec();
            b.extend(&payload);
            b
        } else {
            wrap(*kind, &payload)
        };
        decode_any(*kind, &bytes);
    }

    /// Network files with bytes edited: a network or an error.
    #[test]
    fn edited_network_files(t in 0usize..8, edits in prop::collection::vec(edit(), 1..5)) {
        let (text, format) = &templates()[t];
        let mut bytes = text.as_bytes().to_vec();
        for e in &edits {
            apply(&mut bytes, e);
        }
        if let Ok(text) = std::str::from_utf8(&bytes) {
            if let Ok(m) = load(text, format) {
                runs(&m);
            }
        }
    }

    /// Network files with one number replaced by an extreme or odd value.
    #[test]
    fn network_files_with_odd_numbers(t in 0usize..8, which in any::<prop::sample::Index>(), v in odd_value()) {
        let (text, format) = &templates()[t];
        let spans = number_spans(text);
        let (a, b) = spans[which.index(spans.len())];
        let text = format!("{}{}{}", &text[..a], v, &text[b..]);
        if let Ok(m) = load(&text, format) {
            runs(&m);
        }
    }
}

fn odd_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "-1",
            "0",
            "1",
            "7",
            "8",
            "15",
            "16",
            "127",
            "128",
            "255",
            "256",
            "4096",
            "4097",
            "32767",
            "32768",
            "-32768",
            "65535",
            "65536",
            "2147483648",
            "4294967296",
            "9223372036854775807",
            "-9223372036854775808",
            "18446744073709551616",
            "1e300",
            "-0.0",
            "0.5",
            "1.5",
            "nan",
            "inf",
            "\"x\"",
            "[]",
            "{}",
            "true",
        ])
        .prop_map(String::from),
        any::<i64>().prop_map(|v| v.to_string()),
        any::<f64>().prop_map(|v| format!("{v:?}")),
    ]
}

/// Byte ranges of the numbers in `text`.
fn number_spans(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric() && bytes[i - 1] != b'_') {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.') {
                i += 1;
            }
            out.push((start, i));
        } else {
            i += 1;
        }
    }
    out
}

/// A payload that declares a collection of 2^60 elements is refused without
/// allocating for them.
#[test]
fn a_declared_length_beyond_the_input_is_refused_before_allocating() {
    // bincode's varint: 0xFD then 8 bytes little-endian.
    let mut payload = vec![0xFD];
    payload.extend((1u64 << 60).to_le_bytes());
    payload.extend([0u8; 16]);
    for kind in KINDS {
        let e = snapshot::decode::<Vec<SpikeEvent>>(kind, &wrap(kind, &payload), Path::new("big.bin"));
        assert!(e.is_err());
    }
    let e = snapshot::decode::<Vec<SpikeEvent>>(Kind::Spikes, &wrap(Kind::Spikes, &payload), Path::new("big.bin"))
        .unwrap_err();
    assert!(e.to_string().starts_with("big.bin: invalid snapshot: "), "{e}");
}

proptest! {
    #![proptest_config(config())]

    /// Any text to the input-spike CSV reader: rows or an error naming a line
    /// of the text; rows written back read the same.
    #[test]
    fn spike_csv_takes_any_text(text in prop_oneof![
        ".{0,200}",
        prop::collection::vec((any::<u32>(), any::<u32>()), 0..20)
            .prop_map(|rows| rows.iter().map(|(t, a)| format!("{t},{a}\n")).collect::<String>()),
        prop::collection::vec(prop::sample::select(vec![
            "tick,axon\n", "tick,index\n", "0,1\n", " 2 , 3 \n", "# c\n", "\n", "4,\n", ",5\n", "6,7,8\n",
            "-1,2\n", "4294967296,0\n", "\"9\",\"10\"\n", "x,y\n", "\r\n", "1;2\n",
        ]), 0..12).prop_map(|parts| parts.concat()),
    ]) {
        match spikefab_sim::spike_csv::parse_spikes(&text) {
            Ok(rows) => {
                let back: String = rows.iter().map(|(t, a)| format!("{t},{a}\n")).collect();
                prop_assert_eq!(spikefab_sim::spike_csv::parse_spikes(&back).unwrap(), rows);
            }
            Err(e) => prop_assert!(e.line as usize <= text.lines().count() + 1, "{e} for {text:?}"),
        }
    }
}
