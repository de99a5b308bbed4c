//! Spike files: input spikes to read (one per row: tick, axon) and output
//! spikes and probe traces to write (tick, neuron, cycle or value, and the
//! neuron's population and index within it), as CSV with a header row or as a bincode snapshot
//! (`.bin`, `spikefab_sim::snapshot`). The format follows the file's
//! extension.

use std::path::{Path, PathBuf};

use spikefab_sim::network::{InputSpike, PopulationKind};
use spikefab_sim::record::ProbeTrace;
use spikefab_sim::snapshot::{self, Kind, SnapshotError};
use spikefab_sim::{Network, SpikeEvent};

use crate::load::is_snapshot;

/// Why a spike file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SpikeFileError {
    /// File I/O.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// OS error.
        source: std::io::Error,
    },
    /// A CSV row that is not `tick,axon` with two unsigned integers
    /// (`spikefab_sim::spike_csv`).
    #[error("{path}:{line}: {reason}")]
    Row {
        /// File.
        path: PathBuf,
        /// Line number (1-based, the header is line 1).
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// A snapshot that did not decode.
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
}

/// Read input spikes from a CSV file (header `tick,axon`) or a `.bin` snapshot.
pub fn read_inputs(path: &Path) -> Result<Vec<InputSpike>, SpikeFileError> {
    if is_snapshot(path) {
        return Ok(snapshot::load(path, Kind::Inputs)?);
    }
    let io = |source| SpikeFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let text = std::fs::read_to_string(path).map_err(io)?;
    let rows = spikefab_sim::spike_csv::parse_spikes(&text).map_err(|e| SpikeFileError::Row {
        path: path.to_path_buf(),
        line: e.line,
        reason: e.reason,
    })?;
    Ok(rows.into_iter().map(|(tick, axon)| InputSpike { tick, axon }).collect())
}

/// Write input spikes (CSV or `.bin`).
pub fn write_inputs(path: &Path, inputs: &[InputSpike]) -> Result<(), SpikeFileError> {
    if is_snapshot(path) {
        return Ok(snapshot::save(path, Kind::Inputs, &inputs.to_vec())?);
    }
    let mut text = String::from("tick,axon\n");
    for s in inputs {
        text.push_str(&format!("{},{}\n", s.tick, s.axon));
    }
    write(path, text)
}

/// Neuron `neuron` of `net` as `population,index` (its population's name and
/// its index within it; both empty if no population holds it).
pub fn population_columns(net: &Network, neuron: u32) -> String {
    match net.population_of(PopulationKind::Neurons, neuron) {
        Some(p) => format!("{},{}", p.name, neuron - p.first),
        None => ",".to_string(),
    }
}

/// Write output spikes of `net` (CSV `tick,neuron,cycle,population,index`,
/// `neuron` the global id, or `.bin`).
pub fn write_spikes(path: &Path, net: &Network, spikes: &[SpikeEvent]) -> Result<(), SpikeFileError> {
    if is_snapshot(path) {
        return Ok(snapshot::save(path, Kind::Spikes, &spikes.to_vec())?);
    }
    let mut text = String::from("tick,neuron,cycle,population,index\n");
    for s in spikes {
        let pop = population_columns(net, s.neuron);
        text.push_str(&format!("{},{},{},{pop}\n", s.tick, s.neuron, s.cycle));
    }
    write(path, text)
}

/// Write output spikes of `net` whose busy cycles are not known (a chip run
/// with STEPs): CSV `tick,neuron,population,index`.
pub fn write_unstamped(path: &Path, net: &Network, spikes: &[SpikeEvent]) -> Result<(), SpikeFileError> {
    let mut text = String::from("tick,neuron,population,index\n");
    for s in spikes {
        let pop = population_columns(net, s.neuron);
        text.push_str(&format!("{},{},{pop}\n", s.tick, s.neuron));
    }
    write(path, text)
}

/// Write probe traces of `net` as CSV `tick,neuron,var,value,population,index`,
/// a row per probe and tick.
pub fn write_probes(path: &Path, net: &Network, probes: &[ProbeTrace]) -> Result<(), SpikeFileError> {
    let mut text = String::from("tick,neuron,var,value,population,index\n");
    for p in probes {
        let pop = population_columns(net, p.neuron);
        for (t, v) in p.values.iter().enumerate() {
            text.push_str(&format!("{t},{},{},{v},{pop}\n", p.neuron, p.var.name()));
        }
    }
    write(path, text)
}

/// Read output spikes of `net` back: a spike file this tool wrote (CSV
/// `tick,neuron,population,index` or `tick,neuron,cycle,population,index`,
/// the cycle 0 when the file has none) or a `.bin` snapshot. Every row is
/// checked: whole numbers, a neuron of the network, the population and
/// index that neuron has, ticks in order.
pub fn read_outputs(path: &Path, net: &Network) -> Result<Vec<SpikeEvent>, SpikeFileError> {
    if is_snapshot(path) {
        let spikes: Vec<SpikeEvent> = snapshot::load(path, Kind::Spikes)?;
        if let Some(s) = spikes.iter().find(|s| s.neuron >= net.num_neurons()) {
            return Err(SpikeFileError::Row {
                path: path.to_path_buf(),
                line: 0,
                reason: format!(
                    "neuron {} is not in the network ({} neurons)",
                    s.neuron,
                    net.num_neurons()
                ),
            });
        }
        return Ok(spikes);
    }
    let text = std::fs::read_to_string(path).map_err(|source| SpikeFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_outputs(&text, net).map_err(|(line, reason)| SpikeFileError::Row {
        path: path.to_path_buf(),
        line,
        reason,
    })
}

/// The rows of an output spike file's text; an error names the line.
pub fn parse_outputs(text: &str, net: &Network) -> Result<Vec<SpikeEvent>, (u64, String)> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i as u64 + 1, l.trim()));
    let stamped = match lines.next() {
        Some((_, "tick,neuron,cycle,population,index")) => true,
        Some((_, "tick,neuron,population,index")) => false,
        Some((n, other)) => {
            return Err((
                n,
                format!(
                    "the header must be `tick,neuron,population,index` or `tick,neuron,cycle,population,index`, \
                     found `{other}`"
                ),
            ))
        }
        None => return Err((1, "empty file: no header".into())),
    };
    let columns = if stamped { 5 } else { 4 };
    let mut out: Vec<SpikeEvent> = Vec::new();
    for (n, line) in lines.filter(|(_, l)| !l.is_empty()) {
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() != columns {
            return Err((n, format!("expected {columns} columns, found {}", f.len())));
        }
        let tick = spikefab_sim::spike_csv::whole_number(f[0], "tick").map_err(|e| (n, e))?;
        let neuron = spikefab_sim::spike_csv::whole_number(f[1], "neuron").map_err(|e| (n, e))?;
        let cycle = match stamped {
            true => f[2]
                .parse::<u64>()
                .map_err(|_| (n, format!("cycle `{}` is not a whole number", f[2])))?,
            false => 0,
        };
        if neuron >= net.num_neurons() {
            return Err((
                n,
                format!("neuron {neuron} is not in the network ({} neurons)", net.num_neurons()),
            ));
        }
        let want = population_columns(net, neuron);
        let got = format!("{},{}", f[columns - 2], f[columns - 1]);
        if got != want {
            return Err((
                n,
                format!("neuron {neuron} is {want} in the network, the file says {got}"),
            ));
        }
        if out.last().is_some_and(|p| (p.tick, p.neuron) >= (tick, neuron)) {
            return Err((n, "spikes must come in (tick, neuron) order, each once".into()));
        }
        out.push(SpikeEvent { tick, cycle, neuron });
    }
    Ok(out)
}

fn write(path: &Path, text: String) -> Result<(), SpikeFileError> {
    std::fs::write(path, text).map_err(|source| SpikeFileError::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `text` in a file called `name`, in a folder of its own that is
    /// removed when the returned guard is dropped.
    fn temp(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::Builder::new()
            .prefix("spikefab-spike-files-")
            .tempdir()
            .unwrap();
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    /// An STDP rule, for the tests' networks with plastic synapses.
    pub(crate) const LEARNING: &str =
        "[learning]\npre_decay = 1024\npost_decay = 1024\npre_bump = 64\npost_bump = 64\n\
                                       a_plus = 8\na_minus = 8\nlr_shift = 4\nw_min = 0\nw_max = 100\n";

    /// A network of two neuron populations, `exc` (4) and `inh` (2), for the
    /// output writers' tests.
    pub(crate) const TWO_POPULATIONS: &str = r#"
[[population]]
name = "exc"
size = 4
neuron = { du = 4096, dv = 4096, threshold = 10 }

[[population]]
name = "inh"
size = 2
neuron = { du = 4096, dv = 4096, threshold = 10 }
"#;

    #[test]
    fn output_spikes_name_their_population_and_index() {
        let net = spikefab_sim::config::parse_toml(TWO_POPULATIONS, None).unwrap().network;
        let spikes = [
            SpikeEvent {
                tick: 1,
                cycle: 40,
                neuron: 2,
            },
            SpikeEvent {
                tick: 2,
                cycle: 90,
                neuron: 5,
            },
        ];
        let (_dir, p) = temp("out.csv", "");
        write_spikes(&p, &net, &spikes).unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "tick,neuron,cycle,population,index\n1,2,40,exc,2\n2,5,90,inh,1\n"
        );
        write_unstamped(&p, &net, &spikes).unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "tick,neuron,population,index\n1,2,exc,2\n2,5,inh,1\n"
        );
    }

    #[test]
    fn inputs_round_trip_in_both_formats() {
        let inputs = vec![InputSpike { tick: 0, axon: 3 }, InputSpike { tick: 7, axon: 1 }];
        for name in ["in.csv", "in.bin"] {
            let (_dir, p) = temp(name, "");
            write_inputs(&p, &inputs).unwrap();
            assert_eq!(read_inputs(&p).unwrap(), inputs);
        }
    }

    #[test]
    fn bad_rows_are_named_by_line() {
        let (_dir, p) = temp("bad.csv", "tick,axon\n1,2\n3,x\n");
        assert_eq!(
            read_inputs(&p).unwrap_err().to_string(),
            format!("{}:3: axon `x` is not a whole number from 0 to 4294967295", p.display())
        );
        let (_dir, p) = temp("short.csv", "tick,axon\n1,2\n3\n");
        let e = read_inputs(&p).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{}:3: ", p.display())), "{e}");
        let (_dir, p) = temp("header.csv", "axon,tick\n1,2\n");
        assert_eq!(
            read_inputs(&p).unwrap_err().to_string(),
            format!(
                "{}:1: the header must be `tick,axon` (or `tick,index`), found `axon,tick`",
                p.display()
            )
        );
        let (_dir, p) = temp("spikes.bin", "");
        let net = spikefab_sim::config::parse_toml(TWO_POPULATIONS, None).unwrap().network;
        write_spikes(&p, &net, &[]).unwrap();
        let e = read_inputs(&p).unwrap_err().to_string();
        assert!(e.contains("snapshot kind 4 where Inputs (3) was expected"), "{e}");
    }

    fn spike(tick: u32, neuron: u32, cycle: u64) -> SpikeEvent {
        SpikeEvent { tick, cycle, neuron }
    }

    #[test]
    fn output_spikes_read_back_as_written() {
        let net = spikefab_sim::config::parse_toml(TWO_POPULATIONS, None).unwrap().network;
        let spikes = [spike(1, 2, 40), spike(1, 5, 55), spike(4, 0, 90)];
        for name in ["stamped.csv", "spikes.bin"] {
            let (_dir, p) = temp(name, "");
            write_spikes(&p, &net, &spikes).unwrap();
            assert_eq!(read_outputs(&p, &net).unwrap(), spikes, "{name}");
        }
        let (_dir, p) = temp("unstamped.csv", "");
        write_unstamped(&p, &net, &spikes).unwrap();
        let zero: Vec<SpikeEvent> = spikes.iter().map(|s| spike(s.tick, s.neuron, 0)).collect();
        assert_eq!(read_outputs(&p, &net).unwrap(), zero);
    }

    #[test]
    fn bad_output_rows_are_named_by_line() {
        let net = spikefab_sim::config::parse_toml(TWO_POPULATIONS, None).unwrap().network;
        let e = |text: &str| parse_outputs(text, &net).unwrap_err();
        let head = "tick,neuron,population,index\n";
        assert_eq!(e(""), (1, "empty file: no header".into()));
        assert_eq!(
            e("tick,axon\n"),
            (
                1,
                "the header must be `tick,neuron,population,index` or `tick,neuron,cycle,population,index`, \
                 found `tick,axon`"
                    .into()
            )
        );
        assert_eq!(
            e(&format!("{head}1,2,exc\n")),
            (2, "expected 4 columns, found 3".into())
        );
        assert_eq!(
            e(&format!("{head}1,9,exc,9\n")),
            (2, "neuron 9 is not in the network (6 neurons)".into())
        );
        assert_eq!(
            e(&format!("{head}1,4,exc,4\n")),
            (2, "neuron 4 is inh,0 in the network, the file says exc,4".into())
        );
        assert_eq!(
            e(&format!("{head}2,1,exc,1\n1,1,exc,1\n")),
            (3, "spikes must come in (tick, neuron) order, each once".into())
        );
        assert_eq!(
            e(&format!("{head}-1,1,exc,1\n")),
            (2, "tick `-1` is not a whole number from 0 to 4294967295".into())
        );
    }

    use proptest::prelude::*;

    proptest! {
        /// Any text: no panic; an error names a line of the text; what is
        /// accepted keeps the rules.
        #[test]
        fn any_output_file_is_read_or_refused_by_line(
            lines in prop::collection::vec(
                prop_oneof![
                    Just("tick,neuron,population,index".to_string()),
                    Just("tick,neuron,cycle,population,index".to_string()),
                    (0u32..5, 0u32..8, prop::sample::select(vec!["exc", "inh", "x"]), 0u32..5)
                        .prop_map(|(t, n, p, i)| format!("{t},{n},{p},{i}")),
                    (0u32..5, 0u32..8, any::<u64>(), 0u32..5).prop_map(|(t, n, c, i)| format!("{t},{n},{c},exc,{i}")),
                    "[ -~]{0,30}",
                ],
                0..12,
            ),
        ) {
            let net = spikefab_sim::config::parse_toml(TWO_POPULATIONS, None).unwrap().network;
            let text = lines.join("\n");
            match parse_outputs(&text, &net) {
                Ok(spikes) => {
                    for w in spikes.windows(2) {
                        prop_assert!((w[0].tick, w[0].neuron) < (w[1].tick, w[1].neuron));
                    }
                    prop_assert!(spikes.iter().all(|s| s.neuron < 6));
                }
                Err((line, reason)) => {
                    prop_assert!(line >= 1 && line as usize <= lines.len().max(1), "line {} of {}", line, lines.len());
                    prop_assert!(!reason.is_empty());
                }
            }
        }
    }
}
