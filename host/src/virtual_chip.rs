//! The virtual chip: the RTL core of `hdl/`, simulated clock by clock by one
//! of its engines (Verilator on the emitted Verilog, or rust-hdl's own
//! simulator), behind a pseudo-terminal. Whatever opens the pseudo-terminal's
//! device path (the `spikefab` CLI, a serial terminal, a test) talks to it
//! exactly as to a board over its USB-UART bridge, byte for byte the same
//! protocol.
//!
//! Without a line model the core takes one byte per clock when it is ready and
//! sends one per clock: the link is as fast as the pseudo-terminal. With one
//! ([`ChipOptions::line`], [`crate::line`]) the bytes cross a modelled UART at
//! its baud rate and a USB latency each way, in wall time. The core sends
//! into a board's transmit buffer: it is not clocked while [`TX_HELD_BYTES`]
//! of its bytes wait for the line (a board's core waits while the buffer is
//! full), and bytes that arrive while [`WINDOW_BYTES`] wait for the core
//! stay on the line (a board's receive FIFO would overflow;
//! [`ChipStats::fifo_full`] counts them). The core itself runs at the engine's speed, which is below a
//! board's clock: throughput measured through the model is at most a board's.
//! When the host stops reading, the chip stops stepping the core once
//! [`OUTPUT_BACKLOG`] bytes wait: nothing is dropped. A [`FaultPlan`] per
//! direction injects link faults (before the line).

use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serialport::{SerialPort, TTYPort};
use spikefab_chip::config::CoreConfig;
use spikefab_hdl::engine::{self, ByteEngine, EngineError, EngineKind};
use spikefab_proto::stream::{TX_HELD_BYTES, WINDOW_BYTES};

use crate::faults::FaultPlan;
use crate::line::{Line, LineModel};

/// Output bytes the chip holds for a host that does not read before it stops
/// stepping the core.
pub const OUTPUT_BACKLOG: usize = 4096;

/// Core clocks per batch with a line model: about 0.2 ms of Verilator's
/// time, against the line's 10 µs per byte at 1 Mbaud and its 1 ms latency.
const LINE_BATCH_CLOCKS: u64 = 1024;

/// How long an idle chip waits in one read (it wakes at once when bytes come).
const IDLE_POLL: Duration = Duration::from_millis(50);

/// Why the virtual chip could not start or failed.
#[derive(Debug, thiserror::Error)]
pub enum VirtualChipError {
    /// The engine could not be made (no RTL core for the configuration,
    /// Verilator missing or failing).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The pseudo-terminal could not be made.
    #[error("cannot open a pseudo-terminal: {0}")]
    Pty(#[from] serialport::Error),
    /// Reading or writing the pseudo-terminal failed.
    #[error("virtual chip I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// What the virtual chip is and which faults it injects.
#[derive(Debug, Clone)]
pub struct ChipOptions {
    /// The core to run (`up5k`, `hx8k` or `tiny`).
    pub config: CoreConfig,
    /// The simulator that runs it.
    pub engine: EngineKind,
    /// Faults on the bytes the host sends.
    pub to_chip: FaultPlan,
    /// Faults on the bytes the chip sends.
    pub from_chip: FaultPlan,
    /// A board's link (UART rate and USB latency), or none: as fast as the
    /// pseudo-terminal.
    pub line: Option<LineModel>,
}

impl ChipOptions {
    /// The core `config` on the preferred engine ([`spikefab_hdl::engine::preferred`]), no faults.
    pub fn new(config: CoreConfig) -> Self {
        ChipOptions {
            config,
            engine: spikefab_hdl::engine::preferred(),
            to_chip: FaultPlan::none(),
            from_chip: FaultPlan::none(),
            line: None,
        }
    }
}

/// Counts of a virtual chip's run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChipStats {
    /// Core clocks stepped.
    pub clocks: u64,
    /// Bytes read from the pseudo-terminal (before faults).
    pub bytes_in: u64,
    /// Bytes the core sent (before faults).
    pub bytes_out: u64,
    /// The chip closed the link (a [`crate::faults::Fault::Close`]).
    pub closed: bool,
    /// With a line model: bytes that arrived while the receive FIFO was full
    /// (a board would have lost them; a host that keeps to the window of
    /// `spikefab_proto::stream` never causes one), each counted once.
    pub fifo_full: u64,
}

/// A running virtual chip. Dropping it stops it.
pub struct VirtualChip {
    path: PathBuf,
    config: CoreConfig,
    engine: EngineKind,
    description: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<ChipStats, VirtualChipError>>>,
}

impl VirtualChip {
    /// Make a pseudo-terminal and serve the core on it from a new thread.
    /// A Verilator model is built first if it is not cached (seconds).
    pub fn start(options: ChipOptions) -> Result<VirtualChip, VirtualChipError> {
        let (config, kind) = (options.config, options.engine);
        let (master, slave) = TTYPort::pair()?;
        let path = PathBuf::from(
            slave
                .name()
                .ok_or_else(|| std::io::Error::other("the pseudo-terminal has no device path"))?,
        );
        // Closed, so that a host can open the device exclusively (as it opens
        // a board's); the pseudo-terminal lives as long as the master end.
        drop(slave);
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let (ready_tx, ready_rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name(format!("virtual-chip-{}", config.name))
            .spawn(move || {
                // The engine is made on the thread that runs it.
                let chip = match engine::open(kind, config) {
                    Ok(chip) => chip,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return Ok(ChipStats::default());
                    }
                };
                let _ = ready_tx.send(Ok(chip.describe()));
                let mut server = Server {
                    master,
                    options,
                    stop: flag,
                };
                server.serve(chip)
            })?;
        // The core is built (and settled) before the path is handed out.
        let description = match ready_rx.recv() {
            Ok(Ok(d)) => d,
            Ok(Err(e)) => return Err(e.into()),
            Err(_) => return Err(std::io::Error::other("the virtual chip's thread ended before it started").into()),
        };
        Ok(VirtualChip {
            path,
            config,
            engine: kind,
            description,
            stop,
            thread: Some(thread),
        })
    }

    /// The device path to open (`/dev/pts/N`).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The core it runs.
    pub fn config(&self) -> CoreConfig {
        self.config
    }

    /// The simulator that runs it.
    pub fn engine(&self) -> EngineKind {
        self.engine
    }

    /// One line on the simulator and its model (version, build).
    pub fn engine_description(&self) -> &str {
        &self.description
    }

    /// True while the chip serves (false after a close fault or an error).
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Stop the chip and return its counts.
    pub fn stop(mut self) -> Result<ChipStats, VirtualChipError> {
        self.finish()
    }

    /// Serve until the chip ends (a close fault or an error); for `spikefab chip`.
    pub fn wait(mut self) -> Result<ChipStats, VirtualChipError> {
        match self.thread.take() {
            Some(t) => t.join().expect("the virtual chip thread panicked"),
            None => Ok(ChipStats::default()),
        }
    }

    fn finish(&mut self) -> Result<ChipStats, VirtualChipError> {
        self.stop.store(true, Ordering::Relaxed);
        match self.thread.take() {
            Some(t) => t.join().expect("the virtual chip thread panicked"),
            None => Ok(ChipStats::default()),
        }
    }
}

impl Drop for VirtualChip {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

struct Server {
    master: TTYPort,
    options: ChipOptions,
    stop: Arc<AtomicBool>,
}

impl Server {
    fn serve(&mut self, mut chip: Box<dyn ByteEngine>) -> Result<ChipStats, VirtualChipError> {
        let mut stats = ChipStats::default();
        let mut out: Vec<u8> = Vec::new();
        let mut sent: Vec<u8> = Vec::new();
        let mut buf = vec![0u8; 4096];
        // With a line model the bytes' times matter: the core runs in short
        // batches, so that bytes due on the lines are moved between them.
        let per_poll = match self.options.line {
            Some(_) => chip.kind().batch_clocks().min(LINE_BATCH_CLOCKS),
            None => chip.kind().batch_clocks(),
        };
        let now = Instant::now();
        // The modelled link, each way.
        let mut lines = self.options.line.map(|m| (Line::new(m, now), Line::new(m, now)));
        // The byte at the head of the line has been counted as finding the FIFO full.
        let mut head_counted = false;
        while !self.stop.load(Ordering::Relaxed) {
            let now = Instant::now();
            if let Some((to_chip, to_host)) = lines.as_mut() {
                while let Some(b) = to_host.arrived(now) {
                    out.push(b);
                }
                while to_chip.next_arrival().is_some_and(|at| at <= now) {
                    if chip.pending() >= WINDOW_BYTES {
                        stats.fifo_full += !head_counted as u64;
                        head_counted = true;
                        break;
                    }
                    chip.push(&[to_chip.arrived(now).expect("a byte has arrived")]);
                    head_counted = false;
                }
            }
            if !out.is_empty() {
                self.master.set_timeout(Duration::ZERO)?;
                match self.master.write(&out) {
                    Ok(n) => {
                        out.drain(..n);
                    }
                    Err(e) if would_block(&e) => {}
                    // The host closed the device: what it did not read is gone with it.
                    Err(e) if no_client(&e) => out.clear(),
                    Err(e) => return Err(e.into()),
                }
            }
            // A board's core waits while its transmit buffer is full.
            let tx_room = match lines.as_ref() {
                Some((_, to_host)) => TX_HELD_BYTES.saturating_sub(to_host.carrying(now)),
                None => usize::MAX,
            };
            let tx_full = tx_room == 0;
            let idle = chip.is_idle() || tx_full;
            let wait = match lines.as_ref() {
                None if idle && out.is_empty() => IDLE_POLL,
                None => Duration::ZERO,
                Some((to_chip, to_host)) => {
                    // Sleep until the next byte is due on either side, or
                    // the line makes room in a full transmit buffer.
                    let room_at = to_host.carried_next(now).filter(|_| tx_full);
                    let due = [to_chip.next_arrival(), to_host.next_arrival(), room_at]
                        .into_iter()
                        .flatten()
                        .min();
                    match due {
                        _ if !idle => Duration::ZERO,
                        Some(at) => at.saturating_duration_since(now).min(IDLE_POLL),
                        None => IDLE_POLL,
                    }
                }
            };
            self.master.set_timeout(wait)?;
            match self.master.read(&mut buf) {
                Ok(n) => {
                    stats.bytes_in += n as u64;
                    let f = self.options.to_chip.filter(&buf[..n]);
                    match lines.as_mut() {
                        Some((to_chip, _)) => to_chip.send(Instant::now(), &f.bytes),
                        None => chip.push(&f.bytes),
                    }
                    if f.close {
                        stats.closed = true;
                        break;
                    }
                }
                Err(e) if would_block(&e) => {}
                // Nobody has the device open: wait for a host.
                Err(e) if no_client(&e) => std::thread::sleep(IDLE_POLL),
                Err(e) => return Err(e.into()),
            }
            if out.len() >= OUTPUT_BACKLOG {
                std::thread::sleep(Duration::from_millis(1));
                continue;
            }
            if tx_full {
                continue;
            }
            sent.clear();
            chip.run(per_poll, tx_room, &mut sent);
            stats.bytes_out += sent.len() as u64;
            let f = self.options.from_chip.filter(&sent);
            match lines.as_mut() {
                Some((_, to_host)) => to_host.send(Instant::now(), &f.bytes),
                None => out.extend(f.bytes),
            }
            stats.clocks = chip.clocks();
            if f.close {
                stats.closed = true;
                return Ok(stats);
            }
        }
        stats.clocks = chip.clocks();
        Ok(stats)
    }
}

fn would_block(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::TimedOut | ErrorKind::WouldBlock | ErrorKind::Interrupted
    )
}

/// The error a pseudo-terminal's master end gets while no one has the device open.
fn no_client(e: &std::io::Error) -> bool {
    e.kind() == ErrorKind::BrokenPipe || e.raw_os_error() == Some(5) || e.to_string() == "I/O error"
}
