//! Live streaming (`spikefab stream`): input spikes read as they come, as
//! lines of text, each tick run on the chip (one STEP per tick, `docs/spec.md` §10.4)
//! once its inputs are known, and its output spikes written as they leave.
//!
//! Input lines: `tick,axon` (an input spike), `tick` alone (a tick marker:
//! the inputs of every earlier tick are all in), an optional header row
//! `tick,axon`, `#` comments and blank lines. Ticks may not go back. Tick `t`
//! runs once a line of a later tick arrives, or at the end of the input.
//! Output lines: `tick,neuron`, one per output spike, flushed after each
//! batch of ticks.

use std::io::{BufRead, Write};

use spikefab_sim::network::InputSpike;
use spikefab_sim::spike_csv;
use spikefab_sim::SpikeEvent;

use crate::driver::{Chip, ChipError, TickOutput, Transport};

/// Why a live stream stopped.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// An input line that is not what the format says.
    #[error("{source_name}:{line}: {reason}")]
    Input {
        /// Where the lines come from (a path, or `stdin`).
        source_name: String,
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// Reading the input or writing the output failed.
    #[error("{what}: {source}")]
    Io {
        /// Which side.
        what: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The chip or the link failed.
    #[error(transparent)]
    Chip(#[from] ChipError),
}

/// One line of live input, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveLine {
    /// An input spike.
    Spike(InputSpike),
    /// Every input of the ticks before this one has been given.
    Marker(u32),
    /// A header, comment or blank line.
    Nothing,
}

/// Reads live input lines, checking each against the ones before it.
#[derive(Debug, Clone)]
pub struct LiveParser {
    source_name: String,
    axons: u32,
    line: u64,
    last_tick: u32,
}

impl LiveParser {
    /// A parser of lines from `source_name` for a network of `axons` axons.
    pub fn new(source_name: &str, axons: u32) -> LiveParser {
        LiveParser {
            source_name: source_name.to_string(),
            axons,
            line: 0,
            last_tick: 0,
        }
    }

    /// The next line.
    pub fn parse(&mut self, text: &str) -> Result<LiveLine, LiveError> {
        self.line += 1;
        let err = |reason: String| LiveError::Input {
            source_name: self.source_name.clone(),
            line: self.line,
            reason,
        };
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') || (self.line == 1 && text.replace(' ', "") == "tick,axon") {
            return Ok(LiveLine::Nothing);
        }
        let fields: Vec<&str> = text.split(',').map(str::trim).collect();
        let number = |k: usize, name: &str| spike_csv::whole_number(fields[k], name).map_err(err);
        let tick = match fields.len() {
            1 | 2 => number(0, "tick")?,
            n => return Err(err(format!("expected `tick,axon` or `tick`, found {n} columns"))),
        };
        if tick < self.last_tick {
            return Err(err(format!(
                "tick {tick} after tick {}: input lines must come in tick order",
                self.last_tick
            )));
        }
        self.last_tick = tick;
        if fields.len() == 1 {
            return Ok(LiveLine::Marker(tick));
        }
        let axon = number(1, "axon")?;
        if axon >= self.axons {
            return Err(err(format!(
                "axon {axon} does not exist: the network has {} axons",
                self.axons
            )));
        }
        Ok(LiveLine::Spike(InputSpike { tick, axon }))
    }
}

/// What a live stream did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveSummary {
    /// Ticks run.
    pub ticks: u32,
    /// Input spikes read.
    pub inputs: u64,
    /// Output spikes written.
    pub outputs: u64,
}

/// Run `chip` (loaded) live: input lines from `input` (named `source_name`
/// in errors) for a network of `axons` axons, output spikes to `output`;
/// at the end of the input, run up to tick `end` if it is later. Input is
/// read on a thread of its own, so that ticks run while lines are awaited.
pub async fn stream_live<T: Transport>(
    chip: &mut Chip<T>,
    axons: u32,
    input: impl BufRead + Send + 'static,
    source_name: &str,
    mut output: impl Write,
    end: Option<u32>,
) -> Result<LiveSummary, LiveError> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in input.lines() {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut parser = LiveParser::new(source_name, axons);
    let mut inputs: Vec<InputSpike> = Vec::new();
    let mut summary = LiveSummary::default();
    let write_err = |source| LiveError::Io {
        what: "writing the output spikes".into(),
        source,
    };
    // The ticks whose inputs are all known.
    let mut ready = 0;
    loop {
        let Some(line) = rx.recv().await else {
            // The end of the input: every tick seen, and up to `end`, runs.
            let last = inputs.last().map_or(ready, |s| s.tick.saturating_add(1)).max(ready);
            ready = end.map_or(last, |e| e.max(last));
            summary.ticks = run_ticks(chip, &inputs, ready, &mut output, &mut summary.outputs).await?;
            output.flush().map_err(write_err)?;
            return Ok(summary);
        };
        let line = line.map_err(|source| LiveError::Io {
            what: format!("reading {source_name}"),
            source,
        })?;
        let tick = match parser.parse(&line)? {
            LiveLine::Spike(s) => {
                inputs.push(s);
                summary.inputs += 1;
                s.tick
            }
            LiveLine::Marker(t) => t,
            LiveLine::Nothing => continue,
        };
        ready = ready.max(tick);
        // Lines waiting already are taken first: a batch of ticks at once.
        if ready > summary.ticks && rx.is_empty() {
            summary.ticks = run_ticks(chip, &inputs, ready, &mut output, &mut summary.outputs).await?;
            output.flush().map_err(write_err)?;
        }
    }
}

/// Run the chip up to tick `end`, writing each output spike; the tick reached.
async fn run_ticks<T: Transport>(
    chip: &mut Chip<T>,
    inputs: &[InputSpike],
    end: u32,
    output: &mut impl Write,
    written: &mut u64,
) -> Result<u32, LiveError> {
    let mut ticks = Vec::new();
    let run = chip.stream_into(inputs, end, &mut ticks, |_, _| {}).await;
    for s in ticks.iter().flat_map(TickOutput::spikes) {
        write_spike(output, &s).map_err(|source| LiveError::Io {
            what: "writing the output spikes".into(),
            source,
        })?;
        *written += 1;
    }
    run?;
    Ok(chip.counters().tick)
}

fn write_spike(output: &mut impl Write, s: &SpikeEvent) -> std::io::Result<()> {
    writeln!(output, "{},{}", s.tick, s.neuron)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any lines at all: each is a spike, a marker, nothing or an error
        /// naming its line, never a panic; what is accepted keeps to the
        /// rules (ticks never going back, axons in range).
        #[test]
        fn any_lines_parse_or_are_named(lines in prop::collection::vec(
            prop_oneof![
                "\\PC{0,12}",
                "[0-9 ,#]{0,12}",
                (0u64..=u32::MAX as u64 + 2, 0u32..40).prop_map(|(t, a)| format!("{t},{a}")),
            ],
            0..40,
        )) {
            let mut p = LiveParser::new("stdin", 32);
            let mut last = 0;
            for (i, l) in lines.iter().enumerate() {
                match p.parse(l) {
                    Ok(LiveLine::Spike(s)) => {
                        prop_assert!(s.tick >= last && s.axon < 32, "{l:?}");
                        last = s.tick;
                    }
                    Ok(LiveLine::Marker(t)) => {
                        prop_assert!(t >= last, "{l:?}");
                        last = t;
                    }
                    Ok(LiveLine::Nothing) => {}
                    Err(e) => {
                        let prefix = format!("stdin:{}: ", i + 1);
                        prop_assert!(e.to_string().starts_with(&prefix), "{e}");
                        break;
                    }
                }
            }
        }
    }

    #[test]
    fn lines_are_spikes_markers_or_nothing() {
        let mut p = LiveParser::new("stdin", 16);
        assert_eq!(p.parse("tick,axon").unwrap(), LiveLine::Nothing);
        assert_eq!(
            p.parse(" 3 , 4 ").unwrap(),
            LiveLine::Spike(InputSpike { tick: 3, axon: 4 })
        );
        assert_eq!(p.parse("# a comment").unwrap(), LiveLine::Nothing);
        assert_eq!(p.parse("").unwrap(), LiveLine::Nothing);
        assert_eq!(p.parse("7").unwrap(), LiveLine::Marker(7));
        assert_eq!(
            p.parse("7,15").unwrap(),
            LiveLine::Spike(InputSpike { tick: 7, axon: 15 })
        );
    }

    #[test]
    fn bad_lines_are_named() {
        let e = |lines: &[&str]| {
            let mut p = LiveParser::new("stdin", 16);
            let (last, before) = lines.split_last().unwrap();
            for l in before {
                p.parse(l).unwrap();
            }
            p.parse(last).unwrap_err().to_string()
        };
        assert_eq!(
            e(&["5,1", "4,2"]),
            "stdin:2: tick 4 after tick 5: input lines must come in tick order"
        );
        assert_eq!(
            e(&["1,16"]),
            "stdin:1: axon 16 does not exist: the network has 16 axons"
        );
        assert_eq!(
            e(&["x,1"]),
            "stdin:1: tick `x` is not a whole number from 0 to 4294967295"
        );
        assert_eq!(
            e(&["1,2,3"]),
            "stdin:1: expected `tick,axon` or `tick`, found 3 columns"
        );
        assert_eq!(
            e(&["1,2", "tick,axon"]),
            "stdin:2: tick `tick` is not a whole number from 0 to 4294967295"
        );
    }
}
