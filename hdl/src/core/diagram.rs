//! The core's block diagram (`docs/core-blocks.svg`): each block of the core
//! beside the spec section it implements and its twin in the golden model,
//! in the order a command and a tick pass through them. [`BLOCKS`] is the
//! one list; [`svg`] draws it, and a test keeps the committed drawing equal
//! to it (`make diagram` redraws it).

/// One row of the diagram.
#[derive(Debug, Clone, Copy)]
pub struct BlockRow {
    /// The RTL block(s).
    pub block: &'static str,
    /// Its file under `hdl/src/`.
    pub file: &'static str,
    /// What it does, in a few words.
    pub role: &'static str,
    /// The spec sections it implements.
    pub spec: &'static str,
    /// Its twin in `spikefab-sim` or `spikefab-proto`.
    pub twin: &'static str,
}

/// The core's blocks: the host port's group, then the tick's phases.
pub const BLOCKS: &[BlockRow] = &[
    BlockRow {
        block: "HostPort",
        file: "core/host_port.rs",
        role: "frames in and out; WRITE, READ, RESET; a STEP handed on",
        spec: "§10",
        twin: "proto: Frame, Command, Decoder",
    },
    BlockRow {
        block: "CommandCheck",
        file: "core/command_check.rs",
        role: "a frame's answer or NAK, the action to run",
        spec: "§10.2-10.4",
        twin: "proto: NakCode, Command",
    },
    BlockRow {
        block: "History",
        file: "core/history.rs",
        role: "the last command run (duplicates), STEP order",
        spec: "§10.3-10.4",
        twin: "host: Link's retransmissions and seqs",
    },
    BlockRow {
        block: "Answer",
        file: "core/answer.rs",
        role: "answer payload words",
        spec: "§10.2",
        twin: "proto: Answer::frame",
    },
    BlockRow {
        block: "StepPort, SpikePacker",
        file: "core/step_port.rs, core/spike_packer.rs",
        role: "a STEP: inputs, tick, digest; its answer's spikes",
        spec: "§10.2, §10.4",
        twin: "proto: SpikeWords, stamp_digest",
    },
    BlockRow {
        block: "Pacer",
        file: "core/pacer.rs",
        role: "real time: a STEP's tick no sooner than its period",
        spec: "§10.5",
        twin: "spec §10.5's rules (its test)",
    },
    BlockRow {
        block: "MemoryMap, HostAccess",
        file: "core/memory_map.rs, core/host_access.rs",
        role: "spaces, range checks, host access",
        spec: "§8.2",
        twin: "proto: Space::words",
    },
    BlockRow {
        block: "ControlRegisters",
        file: "control.rs",
        role: "learning switch, STDP rule, counters",
        spec: "§8.2",
        twin: "sim: StdpParams",
    },
    BlockRow {
        block: "Sequencer",
        file: "core/sequencer.rs",
        role: "the tick's phases in order, fixed costs",
        spec: "§6, §7.2",
        twin: "sim: Simulator::step_tick, CycleCosts",
    },
    BlockRow {
        block: "NeuronUpdate, NeuronMemory, Dither, PostHistory",
        file: "neuron_update.rs, neuron_memory.rs, ...",
        role: "phase 1: one neuron per clock, its spike history",
        spec: "§3, §5.3, §8.2",
        twin: "sim: NeuronParams::step, dither",
    },
    BlockRow {
        block: "SourceList",
        file: "core/source_list.rs",
        role: "the tick's inputs, then its spikers; arrivals",
        spec: "§6",
        twin: "sim: step_tick's inputs_now, spiked",
    },
    BlockRow {
        block: "SynapseMemories",
        file: "core/synapse_memories.rs",
        role: "source, fan-in, x_pre, synapse words; who owns each port",
        spec: "§8.2",
        twin: "chip: Image (the words the host writes)",
    },
    BlockRow {
        block: "Router, DelayRing",
        file: "core/router.rs, delay_ring.rs",
        role: "phase 2: synapses into the ring, depression",
        spec: "§4.3, §6, §8.3",
        twin: "sim: Simulator::route, add_sat16",
    },
    BlockRow {
        block: "Potentiation, WeightUpdate, Lfsr",
        file: "core/potentiation.rs, weight_update.rs, ...",
        role: "phase 3: potentiation of the arrivals",
        spec: "§5.2, §5.3, §6",
        twin: "sim: potentiation_phase, StdpParams, Lfsr16",
    },
    BlockRow {
        block: "Traces, TraceUpdate",
        file: "core/traces.rs, trace_update.rs",
        role: "phase 4: trace decay, bumps",
        spec: "§5.1, §6",
        twin: "sim: Learning::trace_phase",
    },
];

/// Where the host port's group ends (a gap and a label mark the tick's phases).
const HOST_ROWS: usize = 7;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The diagram as SVG.
pub fn svg() -> String {
    const W: usize = 1040;
    const ROW: usize = 46;
    const TOP: usize = 70;
    const GAP: usize = 34;
    let y_of = |i: usize| TOP + i * ROW + if i >= HOST_ROWS { GAP } else { 0 };
    let height = y_of(BLOCKS.len()) + 20;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{height}\" viewBox=\"0 0 {W} {height}\" \
         font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">\n\
         <rect width=\"{W}\" height=\"{height}\" fill=\"white\"/>\n\
         <text x=\"20\" y=\"28\" font-size=\"16\" font-weight=\"bold\">Spikefab core: RTL blocks, spec sections, golden-model twins</text>\n\
         <text x=\"20\" y=\"52\" fill=\"#555\">spec (docs/spec.md)</text>\n\
         <text x=\"170\" y=\"52\" fill=\"#555\">RTL block (hdl/src/)</text>\n\
         <text x=\"690\" y=\"52\" fill=\"#555\">twin (sim/, proto/)</text>\n"
    );
    out.push_str(&format!(
        "<text x=\"170\" y=\"{}\" fill=\"#555\" font-style=\"italic\">the tick (a STEP runs it; every state a busy cycle)</text>\n",
        y_of(HOST_ROWS) - 10
    ));
    for (i, b) in BLOCKS.iter().enumerate() {
        let y = y_of(i);
        let fill = if i < HOST_ROWS { "#e8f0fb" } else { "#eaf6ea" };
        out.push_str(&format!(
            "<rect x=\"20\" y=\"{y}\" width=\"110\" height=\"{h}\" rx=\"4\" fill=\"#f4f4f4\" stroke=\"#999\"/>\n\
             <text x=\"28\" y=\"{ty}\">{spec}</text>\n\
             <line x1=\"130\" y1=\"{my}\" x2=\"170\" y2=\"{my}\" stroke=\"#999\" stroke-dasharray=\"3,3\"/>\n\
             <rect x=\"170\" y=\"{y}\" width=\"480\" height=\"{h}\" rx=\"6\" fill=\"{fill}\" stroke=\"#456\"/>\n\
             <text x=\"180\" y=\"{ty}\" font-weight=\"bold\">{block}</text>\n\
             <text x=\"180\" y=\"{ty2}\" fill=\"#333\" font-size=\"11\">{file}: {role}</text>\n\
             <line x1=\"650\" y1=\"{my}\" x2=\"690\" y2=\"{my}\" stroke=\"#999\" stroke-dasharray=\"3,3\"/>\n\
             <rect x=\"690\" y=\"{y}\" width=\"330\" height=\"{h}\" rx=\"4\" fill=\"#fbf3e4\" stroke=\"#a87\"/>\n\
             <text x=\"698\" y=\"{ty}\">{twin}</text>\n",
            h = ROW - 8,
            ty = y + 16,
            ty2 = y + 31,
            my = y + (ROW - 8) / 2,
            spec = escape(b.spec),
            block = escape(b.block),
            file = escape(b.file),
            role = escape(b.role),
            twin = escape(b.twin),
        ));
        // Data flows down the host port's group and down the tick's phases.
        if i + 1 < BLOCKS.len() && i + 1 != HOST_ROWS {
            let (y0, y1) = (y + ROW - 8, y_of(i + 1));
            out.push_str(&format!(
                "<line x1=\"410\" y1=\"{y0}\" x2=\"410\" y2=\"{y1}\" stroke=\"#456\" marker-end=\"url(#a)\"/>\n"
            ));
        }
    }
    out.push_str(
        "<defs><marker id=\"a\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" \
         orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#456\"/></marker></defs>\n</svg>\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// The committed drawing is this list's, and every file it names exists
    /// (`SPIKEFAB_BLESS=1` redraws it: `make diagram`).
    #[test]
    fn the_committed_diagram_is_current() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        for b in BLOCKS {
            for f in b.file.split(", ").filter(|f| *f != "...") {
                assert!(
                    src.join(f).exists(),
                    "{} names hdl/src/{f}, which does not exist",
                    b.block
                );
            }
        }
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/core-blocks.svg");
        if std::env::var_os("SPIKEFAB_BLESS").is_some() {
            std::fs::write(&path, svg()).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == svg(),
            "docs/core-blocks.svg is not the diagram of BLOCKS: run `make diagram`"
        );
    }
}
