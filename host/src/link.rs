//! The host end of the wire protocol (`docs/spec.md` §10) over any byte
//! stream: a serial port, the virtual chip's pseudo-terminal, a test pipe.
//!
//! A reader task decodes every byte the chip sends as it arrives (so the
//! chip's output never backs up while the host writes), and the command side
//! runs stop and wait: one frame out, its answer back (STEPs stream instead,
//! many in flight: [`Link::stream`]). A command whose answer does not come in time, or that the chip NAKs
//! with `bad_crc`, is sent again with the same `seq` (§10.3), after
//! [`FLUSH_BYTES`] zero bytes so that a frame the chip holds cut short is
//! completed (and discarded) before the copy arrives. WRITE and READ frames
//! are shortened while the line is noisy ([`Link::command`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use spikefab_proto::frame::{Decoder, Event, Frame, CRC_BYTES, HEADER_BYTES, MAX_WORDS};
use spikefab_proto::message::{Answer, AnswerError, Command, NakCode};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

mod stream;

/// What a silent board calls for (the default [`Link::set_silence_hint`]).
pub const BOARD_SILENCE_HINT: &str = "is a Spikefab bitstream running on it, at this baud rate?";

/// Zero bytes sent before every retransmission: the longest frame, so that
/// any frame the chip holds cut short is completed; zeros never start one.
pub const FLUSH_BYTES: usize = HEADER_BYTES + 2 * MAX_WORDS + CRC_BYTES;

/// Fewest words per WRITE or READ frame: the link shortens frames down to
/// this on a noisy line.
pub const MIN_FRAME_WORDS: usize = 8;

/// Transmissions of a WRITE or READ frame longer than [`MIN_FRAME_WORDS`]
/// before it is cut in half.
pub const SPLIT_AFTER: u32 = 3;

/// Frames in a row through at the first try after which WRITE and READ
/// frames are made twice as long again.
pub const GROW_AFTER: u32 = 32;

/// Zero bytes sent after every command once the line has shown a fault: a
/// command that lost a byte or two is completed by them at once (the chip
/// answers NAK `bad_crc` and the copy follows) instead of after a timeout.
pub const PAD_BYTES: usize = 3;

/// What went wrong on the link.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The port closed: device unplugged, or the virtual chip stopped.
    #[error("{port}: the port closed (device unplugged or chip stopped){}", detail(.source))]
    Closed {
        /// Port name.
        port: String,
        /// The read or write error that showed it, if any.
        source: Option<std::io::Error>,
    },
    /// Writing to the port failed.
    #[error("{port}: write failed: {source}")]
    Write {
        /// Port name.
        port: String,
        /// The error.
        source: std::io::Error,
    },
    /// No final answer after every attempt.
    #[error("{port}: no answer from the chip to {command} (seq {seq}) after {attempts} attempts, {timeout_ms} ms each; {hint}")]
    NoAnswer {
        /// Port name.
        port: String,
        /// Command name.
        command: &'static str,
        /// Its seq.
        seq: u8,
        /// Attempts made.
        attempts: u32,
        /// Time allowed for each.
        timeout_ms: u64,
        /// What to look at ([`Link::set_silence_hint`]).
        hint: &'static str,
    },
    /// A frame with a good CRC that is not a valid answer: a chip of another
    /// protocol version, or a bug.
    #[error("{port}: malformed frame from the chip (seq {seq}): {source}")]
    Malformed {
        /// Port name.
        port: String,
        /// The frame's seq.
        seq: u8,
        /// What is wrong with it.
        source: AnswerError,
    },
    /// The chip refused a command for a reason other than the link (a STEP
    /// streamed; other commands return their NAK as the answer).
    #[error("{port}: the chip refused command 0x{command:02x} (seq {seq}): {code} (detail {detail})")]
    Refused {
        /// Port name.
        port: String,
        /// The command's type.
        command: u8,
        /// Its seq.
        seq: u8,
        /// Why.
        code: NakCode,
        /// The offending value.
        detail: u16,
    },
    /// A STEP streamed was answered with something else than a STEP's
    /// answer or a NAK (not a Spikefab chip of this protocol version).
    #[error("{port}: the chip answered a STEP (seq {seq}) with {answer:?}")]
    NotAStepAnswer {
        /// Port name.
        port: String,
        /// The STEP's seq.
        seq: u8,
        /// What came.
        answer: Box<Answer>,
    },
    /// A STEP's answer was lost after later STEPs ran (`docs/spec.md`
    /// §10.4): the chip cannot answer that tick again.
    #[error("{port}: the answer to STEP {index} of the stream (seq {seq}) was lost after the chip ran on")]
    AnswersLost {
        /// Port name.
        port: String,
        /// Index in the stream of the first STEP whose answer is lost.
        index: usize,
        /// Its seq.
        seq: u8,
    },
}

fn detail(source: &Option<std::io::Error>) -> String {
    source.as_ref().map(|e| format!(": {e}")).unwrap_or_default()
}

/// Retransmission settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkSettings {
    /// Time to wait for the next frame of an answer before sending again.
    pub timeout: Duration,
    /// Transmissions of one command before giving up.
    pub attempts: u32,
}

impl Default for LinkSettings {
    /// 2 s and 8 attempts: a board answers within milliseconds (a STEP's
    /// answer waits for its tick and the line).
    fn default() -> Self {
        LinkSettings {
            timeout: Duration::from_secs(2),
            attempts: 8,
        }
    }
}

/// Byte and frame counts of a link, both directions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Commands completed.
    pub commands: u64,
    /// Bytes written (frames, flushes and retransmissions included).
    pub bytes_sent: u64,
    /// Payload bytes of the commands (each command counted once).
    pub payload_sent: u64,
    /// Bytes read.
    pub bytes_received: u64,
    /// Payload bytes of the good frames received.
    pub payload_received: u64,
    /// Frames sent again.
    pub retransmissions: u64,
    /// Frames from the chip that failed their CRC.
    pub bad_frames: u64,
    /// Bytes from the chip outside any frame.
    pub garbage_bytes: u64,
    /// Good frames for an earlier command (an answer that came after its
    /// retransmission), ignored.
    pub stale_frames: u64,
    /// Times WRITE or READ frames were cut in half after failures.
    pub shortened: u64,
    /// Words per WRITE or READ frame now.
    pub frame_words: usize,
}

impl LinkStats {
    /// Share of all bytes on the link (both directions) that is payload.
    pub fn payload_share(&self) -> f64 {
        let total = self.bytes_sent + self.bytes_received;
        if total == 0 {
            return 0.0;
        }
        (self.payload_sent + self.payload_received) as f64 / total as f64
    }
}

/// How waiting for an answer ended.
enum Outcome {
    /// The final answer.
    Answer(Answer),
    /// No frame within the timeout.
    Timeout,
    /// The chip received the command damaged (NAK bad_crc).
    BadCrc,
}

/// What the reader task reports.
enum Incoming {
    Event(Event),
    Closed(Option<std::io::Error>),
}

/// A protocol link to one chip.
pub struct Link {
    port: String,
    writer: Box<dyn AsyncWrite + Send + Unpin>,
    incoming: mpsc::UnboundedReceiver<Incoming>,
    abandon: mpsc::UnboundedSender<()>,
    reader: JoinHandle<()>,
    bytes_received: Arc<AtomicU64>,
    seq: u8,
    settings: LinkSettings,
    stats: LinkStats,
    /// Words per WRITE or READ frame now.
    frame_words: usize,
    /// Frames in a row through at the first try.
    clean_streak: u32,
    /// The line has shown a fault: pad commands.
    noisy: bool,
    /// Said when the chip does not answer.
    silence_hint: &'static str,
    closed: bool,
}

impl Drop for Link {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl Link {
    /// A link over a byte stream named `port` (for messages). Must be called
    /// inside a tokio runtime: the reader is a task.
    pub fn new<S>(port: impl Into<String>, stream: S, settings: LinkSettings) -> Link
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (read, write) = tokio::io::split(stream);
        let (tx, incoming) = mpsc::unbounded_channel();
        let (abandon, abandon_rx) = mpsc::unbounded_channel();
        let bytes_received = Arc::new(AtomicU64::new(0));
        let reader = tokio::spawn(read_loop(read, tx, abandon_rx, bytes_received.clone()));
        Link {
            port: port.into(),
            writer: Box::new(write),
            incoming,
            abandon,
            reader,
            bytes_received,
            seq: 0,
            settings,
            stats: LinkStats::default(),
            frame_words: MAX_WORDS,
            clean_streak: 0,
            noisy: false,
            silence_hint: BOARD_SILENCE_HINT,
            closed: false,
        }
    }

    /// The port's name.
    pub fn port(&self) -> &str {
        &self.port
    }

    /// Counts so far.
    pub fn stats(&self) -> LinkStats {
        LinkStats {
            bytes_received: self.bytes_received.load(Ordering::Relaxed),
            frame_words: self.frame_words,
            ..self.stats
        }
    }

    /// Retransmission settings in force.
    pub fn settings(&self) -> LinkSettings {
        self.settings
    }

    /// What the error says to look at when the chip stops answering (a board
    /// and a virtual chip fail for different reasons).
    pub fn set_silence_hint(&mut self, hint: &'static str) {
        self.silence_hint = hint;
    }

    /// Change the retransmission settings.
    pub fn set_settings(&mut self, settings: LinkSettings) {
        self.settings = settings;
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        let result = async {
            self.writer.write_all(bytes).await?;
            self.writer.flush().await
        }
        .await;
        match result {
            Ok(()) => {
                self.stats.bytes_sent += bytes.len() as u64;
                Ok(())
            }
            Err(e) if is_hangup(&e) => Err(self.closed_error(Some(e))),
            Err(source) => Err(LinkError::Write {
                port: self.port.clone(),
                source,
            }),
        }
    }

    fn closed_error(&mut self, source: Option<std::io::Error>) -> LinkError {
        self.closed = true;
        LinkError::Closed {
            port: self.port.clone(),
            source,
        }
    }

    /// Send `cmd` and return its answer, retransmitting as
    /// §10.3 says. A NAK other than `bad_crc` is returned as the answer (the
    /// command was refused; the caller decides).
    ///
    /// A WRITE or READ goes in frames of at most the link's current frame
    /// size ([`LinkStats::frame_words`]), each under a new `seq` (both can
    /// be repeated without harm). A frame that fails [`SPLIT_AFTER`]
    /// transmissions in a row is cut in half, down to [`MIN_FRAME_WORDS`],
    /// and the link keeps the shorter size until [`GROW_AFTER`] frames in a
    /// row have gone through at the first try: on a noisy line long frames
    /// rarely arrive whole, short ones do. Only a frame of the shortest size
    /// that fails every attempt ends the command.
    pub async fn command(&mut self, cmd: &Command) -> Result<Answer, LinkError> {
        if self.closed {
            return Err(self.closed_error(None));
        }
        let Some(pieces) = cmd.split(self.frame_words) else {
            return self.transmit(cmd, self.settings.attempts).await;
        };
        let mut pending: std::collections::VecDeque<Command> = pieces.into();
        let mut data = Vec::new();
        while let Some(piece) = pending.pop_front() {
            let words = piece.split_words();
            let shortest = words <= MIN_FRAME_WORDS;
            let tries = if shortest {
                self.settings.attempts
            } else {
                SPLIT_AFTER.min(self.settings.attempts)
            };
            match self.transmit(&piece, tries).await {
                Ok(Answer::Data(d)) => data.extend(d),
                Ok(Answer::Written) => {}
                // Refused or unexpected: the caller sees the piece's answer.
                Ok(answer) => return Ok(answer),
                Err(LinkError::NoAnswer { .. }) if !shortest => {
                    self.frame_words = (words / 2).max(MIN_FRAME_WORDS);
                    self.clean_streak = 0;
                    self.stats.shortened += 1;
                    let halves = piece.split(self.frame_words).expect("a WRITE or READ splits");
                    for p in halves.into_iter().rev() {
                        pending.push_front(p);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(match cmd {
            Command::Read { .. } => Answer::Data(data),
            _ => Answer::Written,
        })
    }

    /// One frame: send `cmd` with a new `seq`, at most `attempts` times.
    async fn transmit(&mut self, cmd: &Command, attempts: u32) -> Result<Answer, LinkError> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let frame = cmd.frame(seq);
        let bytes = frame.encode();
        let mut flush = false;
        for attempt in 1..=attempts {
            if attempt > 1 {
                self.stats.retransmissions += 1;
                self.noisy = true;
            }
            if flush {
                self.write(&[0u8; FLUSH_BYTES]).await?;
            }
            if self.noisy {
                let mut padded = bytes.clone();
                padded.extend([0u8; PAD_BYTES]);
                self.write(&padded).await?;
            } else {
                self.write(&bytes).await?;
            }
            match self.await_answer(seq).await? {
                Outcome::Answer(answer) => {
                    self.stats.commands += 1;
                    self.stats.payload_sent += 2 * frame.payload.len() as u64;
                    self.note_frame(attempt == 1);
                    return Ok(answer);
                }
                // The chip's receiver may hold a frame cut short: flush it.
                // So may the host's (a damaged length byte): rescan it.
                Outcome::Timeout => {
                    flush = true;
                    let _ = self.abandon.send(());
                }
                // The damaged frame may have ended early (a length byte made
                // smaller) with the chip now hunting through the rest of it:
                // a 0xA5 there starts a false frame that swallows the copy,
                // and the same false frame in every copy after it. Flush.
                Outcome::BadCrc => flush = true,
            }
        }
        self.note_frame(false);
        Err(self.no_answer(cmd, seq, attempts))
    }

    /// `cmd` (under `seq`) went unanswered `attempts` times.
    fn no_answer(&self, cmd: &Command, seq: u8, attempts: u32) -> LinkError {
        LinkError::NoAnswer {
            port: self.port.clone(),
            command: cmd.name(),
            seq,
            attempts,
            timeout_ms: self.settings.timeout.as_millis() as u64,
            hint: self.silence_hint,
        }
    }

    /// Keep count of frames that went through at the first try; lengthen
    /// the WRITE and READ frames again after enough of them.
    fn note_frame(&mut self, first_try: bool) {
        if !first_try {
            self.clean_streak = 0;
            return;
        }
        self.clean_streak += 1;
        if self.clean_streak >= GROW_AFTER && self.frame_words < MAX_WORDS {
            self.frame_words = (self.frame_words * 2).min(MAX_WORDS);
            self.clean_streak = 0;
        }
    }

    /// Frames until the answer for `seq`, or a reason to send again.
    async fn await_answer(&mut self, seq: u8) -> Result<Outcome, LinkError> {
        loop {
            let next = tokio::time::timeout(self.settings.timeout, self.incoming.recv()).await;
            let incoming = match next {
                Err(_elapsed) => return Ok(Outcome::Timeout),
                Ok(None) => return Err(self.closed_error(None)),
                Ok(Some(i)) => i,
            };
            let frame = match incoming {
                Incoming::Closed(e) => return Err(self.closed_error(e)),
                Incoming::Event(Event::BadCrc { .. }) => {
                    self.stats.bad_frames += 1;
                    self.noisy = true;
                    continue;
                }
                Incoming::Event(Event::Garbage { bytes }) => {
                    self.stats.garbage_bytes += bytes as u64;
                    continue;
                }
                Incoming::Event(Event::Frame(f)) => f,
            };
            let answer = self.decode(&frame)?;
            // Only one command is in flight, so a NAK bad_crc is about it,
            // whatever seq the chip read from the damaged frame.
            if let Answer::Nak {
                code: NakCode::BadCrc, ..
            } = answer
            {
                self.stats.payload_received += 2 * frame.payload.len() as u64;
                return Ok(Outcome::BadCrc);
            }
            if frame.seq != seq {
                self.stats.stale_frames += 1;
                continue;
            }
            self.stats.payload_received += 2 * frame.payload.len() as u64;
            return Ok(Outcome::Answer(answer));
        }
    }

    fn decode(&self, frame: &Frame) -> Result<Answer, LinkError> {
        Answer::from_frame(frame).map_err(|source| LinkError::Malformed {
            port: self.port.clone(),
            seq: frame.seq,
            source,
        })
    }
}

/// An error that means the other end is gone.
fn is_hangup(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(e.kind(), BrokenPipe | ConnectionReset | UnexpectedEof | NotConnected)
        || e.raw_os_error() == Some(5) // EIO: a pseudo-terminal whose master closed
        || e.raw_os_error() == Some(19) // ENODEV: a USB serial adapter unplugged
        || e.raw_os_error() == Some(6) // ENXIO
}

async fn read_loop<R: AsyncRead + Unpin>(
    mut read: R,
    tx: mpsc::UnboundedSender<Incoming>,
    mut abandon: mpsc::UnboundedReceiver<()>,
    bytes_received: Arc<AtomicU64>,
) {
    let mut decoder = Decoder::new();
    let mut buf = [0u8; 4096];
    loop {
        let read = tokio::select! {
            // Before any byte that came after the request.
            biased;
            Some(()) = abandon.recv() => {
                for e in decoder.abandon() {
                    if tx.send(Incoming::Event(e)).is_err() {
                        return;
                    }
                }
                continue;
            }
            r = read.read(&mut buf) => r,
        };
        match read {
            Ok(0) => {
                let _ = tx.send(Incoming::Closed(None));
                return;
            }
            Ok(n) => {
                bytes_received.fetch_add(n as u64, Ordering::Relaxed);
                for &b in &buf[..n] {
                    if let Some(e) = decoder.push(b) {
                        if tx.send(Incoming::Event(e)).is_err() {
                            return;
                        }
                    }
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::Interrupted | std::io::ErrorKind::WouldBlock
                ) => {}
            Err(e) => {
                let _ = tx.send(Incoming::Closed(Some(e)));
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikefab_proto::message::kind;
    use tokio::io::duplex;

    /// A peer that answers the first frame it reads with `answer`'s bytes.
    async fn scripted(answer: Vec<u8>) -> Result<Answer, LinkError> {
        let (host, mut peer) = duplex(4096);
        let mut link = Link::new(
            "test-pipe",
            host,
            LinkSettings {
                timeout: Duration::from_millis(200),
                attempts: 2,
            },
        );
        tokio::spawn(async move {
            let mut buf = [0u8; 64];
            let _ = peer.read(&mut buf).await;
            peer.write_all(&answer).await.unwrap();
            // Hold the pipe open until the link gives up.
            tokio::time::sleep(Duration::from_secs(2)).await;
        });
        link.command(&Command::Info).await
    }

    #[tokio::test]
    async fn a_frame_that_is_no_answer_is_reported_not_taken() {
        // A serial loopback echoes the command: a good CRC, but not an answer.
        let echo = Command::Info.frame(1).encode();
        let e = scripted(echo).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "test-pipe: malformed frame from the chip (seq 1): unknown answer type 0x01"
        );
        let short_info = Frame {
            kind: kind::INFO | kind::ANSWER,
            seq: 1,
            payload: vec![1, 2],
        };
        let e = scripted(short_info.encode()).await.unwrap_err();
        assert!(e.to_string().contains("with 2 payload words (expected 5)"), "{e}");
    }

    #[tokio::test]
    async fn silence_names_what_to_look_at() {
        let (host, _peer) = duplex(4096);
        let settings = LinkSettings {
            timeout: Duration::from_millis(20),
            attempts: 2,
        };
        let mut link = Link::new("board", host, settings);
        let e = link.command(&Command::Info).await.unwrap_err();
        assert!(e.to_string().ends_with(BOARD_SILENCE_HINT), "{e}");
        let (host, _peer) = duplex(4096);
        let mut link = Link::new("virtual", host, settings);
        link.set_silence_hint("the virtual chip stopped answering");
        let e = link.command(&Command::Info).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "virtual: no answer from the chip to INFO (seq 1) after 2 attempts, 20 ms each; the virtual chip stopped answering"
        );
    }

    #[tokio::test]
    async fn stale_answers_are_skipped_and_silence_gives_up() {
        // An answer for another seq, then nothing: skipped, then NoAnswer.
        let stale = Answer::ResetDone.frame(77).encode();
        let e = scripted(stale).await.unwrap_err();
        assert!(
            matches!(
                e,
                LinkError::NoAnswer {
                    attempts: 2,
                    seq: 1,
                    command: "INFO",
                    ..
                }
            ),
            "{e}"
        );
    }
}
