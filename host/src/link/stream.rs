//! Streaming STEPs over a link (`docs/spec.md` §10.4): many commands in
//! flight, answered in order, with go-back-N recovery.
//!
//! STEPs go out under consecutive `seq`s while the bytes of those not yet
//! answered fit the chip's receive FIFO ([`WINDOW_BYTES`]). The chip runs a
//! STEP only in sequence, so a STEP that arrives damaged (NAK `bad_crc`) or
//! not at all makes every later one in flight get NAK `bad_seq` without
//! running: the link waits for those answers, then sends again from the first
//! STEP not answered, under the same `seq`s. An answer that is lost after its
//! STEP ran is found out by the next answer (a later STEP answered, or a
//! `bad_seq` naming a later `seq`): the chip has moved past that tick and
//! cannot answer it again, so the stream stops with
//! [`LinkError::AnswersLost`] and the caller replays from a state it knows.

use std::collections::VecDeque;

use spikefab_proto::frame::Event;
use spikefab_proto::message::{Answer, Command, NakCode};
use spikefab_proto::stream::WINDOW_BYTES;

use super::{Incoming, Link, LinkError, FLUSH_BYTES, PAD_BYTES};

/// A STEP in flight.
#[derive(Debug, Clone, Copy)]
struct InFlight {
    /// Its index in the stream.
    index: usize,
    /// Its seq.
    seq: u8,
    /// Bytes it took on the line (padding included).
    bytes: usize,
    /// Its payload words.
    words: usize,
}

/// What an answer says about the STEPs in flight.
enum Verdict {
    /// The oldest ran; here is its answer.
    Answered(Answer),
    /// The oldest `n` did not run.
    NotRun(usize),
    /// A STEP in flight arrived damaged (NAK `bad_crc`): it did not run.
    Damaged,
    /// The oldest ran but its answer is gone: the chip has moved on.
    Lost,
    /// Nothing to conclude: a stale answer (of a STEP already answered or
    /// given up on).
    Stale,
}

/// What the answer `answer`, under `seq`, says about `in_flight`.
fn judge(in_flight: &VecDeque<InFlight>, seq: u8, answer: Answer, port: &str) -> Result<Verdict, LinkError> {
    let Some(front) = in_flight.front() else {
        return Ok(Verdict::Stale);
    };
    // Where `s` is in the window (the window is far shorter than 128).
    let distance = |s: u8| s.wrapping_sub(front.seq) as i8 as isize;
    let offset = distance(seq);
    let in_window = (0..in_flight.len() as isize).contains(&offset);
    Ok(match answer {
        Answer::Nak {
            code: NakCode::BadCrc, ..
        } => Verdict::Damaged,
        _ if !in_window => Verdict::Stale,
        Answer::Stepped { .. } if offset == 0 => Verdict::Answered(answer),
        // A later STEP ran: the ones before it ran too, unanswered.
        Answer::Stepped { .. } => Verdict::Lost,
        Answer::Nak {
            code: NakCode::BadSeq,
            detail,
            ..
        } => {
            if distance(detail as u8) > 0 {
                // The chip expects a STEP after the oldest: that one ran.
                Verdict::Lost
            } else {
                Verdict::NotRun(offset as usize + 1)
            }
        }
        Answer::Nak {
            command, code, detail, ..
        } if offset == 0 => {
            return Err(LinkError::Refused {
                port: port.to_string(),
                command,
                seq,
                code,
                detail,
            })
        }
        // Another answer to a STEP in flight: not from a Spikefab chip.
        answer => {
            return Err(LinkError::NotAStepAnswer {
                port: port.to_string(),
                seq,
                answer: Box::new(answer),
            })
        }
    })
}

impl Link {
    /// Run `steps` (STEP commands, in tick order), keeping as many in flight
    /// as the chip's receive FIFO holds, and give each answer, in order, to
    /// `on_answer` with the STEP's index. Returns when every STEP is
    /// answered; a STEP the chip refuses for a reason other than the link
    /// ends the stream with [`LinkError::Refused`], and an answer lost after
    /// its STEP ran with [`LinkError::AnswersLost`] (every answer before it
    /// has been given). The first STEP's `seq` follows the link's last
    /// command, which the chip must have answered with success.
    pub async fn stream(
        &mut self,
        steps: &[Command],
        mut on_answer: impl FnMut(usize, Answer),
    ) -> Result<(), LinkError> {
        if self.closed {
            return Err(self.closed_error(None));
        }
        let first_seq = self.seq.wrapping_add(1);
        let seq_of = |i: usize| first_seq.wrapping_add(i as u8);
        let mut in_flight: VecDeque<InFlight> = VecDeque::new();
        let (mut next, mut answered) = (0usize, 0usize);
        // After a failure nothing new is sent until every STEP in flight has
        // been answered or given up on; then the copies go, after a flush
        // when the chip may hold a frame cut short.
        let (mut failed, mut flush) = (false, false);
        let mut tries = 1u32;
        while answered < steps.len() {
            if failed && in_flight.is_empty() {
                failed = false;
                next = answered;
                tries += 1;
                self.stats.retransmissions += 1;
                self.noisy = true;
                if tries > self.settings.attempts {
                    return Err(self.no_answer(&steps[answered], seq_of(answered), tries - 1));
                }
                if std::mem::take(&mut flush) {
                    self.write(&[0u8; FLUSH_BYTES]).await?;
                }
            }
            if !failed {
                let mut window: usize = in_flight.iter().map(|f| f.bytes).sum();
                while next < steps.len() {
                    let frame = steps[next].frame(seq_of(next));
                    let mut bytes = frame.encode();
                    if self.noisy {
                        bytes.extend([0u8; PAD_BYTES]);
                    }
                    if !in_flight.is_empty() && window + bytes.len() > WINDOW_BYTES {
                        break;
                    }
                    self.write(&bytes).await?;
                    window += bytes.len();
                    in_flight.push_back(InFlight {
                        index: next,
                        seq: seq_of(next),
                        bytes: bytes.len(),
                        words: frame.payload.len(),
                    });
                    self.seq = seq_of(next);
                    next += 1;
                }
            }
            let (seq, answer) = match tokio::time::timeout(self.settings.timeout, self.incoming.recv()).await {
                Err(_elapsed) => {
                    // Silence: whatever is in flight is given up on; the
                    // chip may hold a frame cut short, and so may the
                    // host's receiver.
                    in_flight.clear();
                    let _ = self.abandon.send(());
                    (failed, flush) = (true, true);
                    continue;
                }
                Ok(None) => return Err(self.closed_error(None)),
                Ok(Some(Incoming::Closed(e))) => return Err(self.closed_error(e)),
                Ok(Some(Incoming::Event(Event::BadCrc { .. }))) => {
                    self.stats.bad_frames += 1;
                    self.noisy = true;
                    continue;
                }
                Ok(Some(Incoming::Event(Event::Garbage { bytes }))) => {
                    self.stats.garbage_bytes += bytes as u64;
                    continue;
                }
                Ok(Some(Incoming::Event(Event::Frame(frame)))) => {
                    let answer = self.decode(&frame)?;
                    self.stats.payload_received += 2 * frame.payload.len() as u64;
                    (frame.seq, answer)
                }
            };
            match judge(&in_flight, seq, answer, &self.port)? {
                Verdict::Answered(answer) => {
                    let f = in_flight.pop_front().expect("the oldest STEP in flight");
                    self.stats.commands += 1;
                    self.stats.payload_sent += 2 * f.words as u64;
                    on_answer(f.index, answer);
                    answered = f.index + 1;
                    tries = 1;
                }
                Verdict::NotRun(n) => {
                    in_flight.drain(..n);
                    failed = true;
                }
                Verdict::Damaged => {
                    // The later STEPs in flight will be refused as out of
                    // sequence; with none, the damaged one is the last.
                    if in_flight.len() == 1 {
                        in_flight.clear();
                    }
                    (failed, flush) = (true, true);
                    self.noisy = true;
                }
                Verdict::Lost => {
                    return Err(LinkError::AnswersLost {
                        port: self.port.clone(),
                        index: answered,
                        seq: seq_of(answered),
                    })
                }
                Verdict::Stale => self.stats.stale_frames += 1,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::LinkSettings;
    use spikefab_proto::frame::Decoder;
    use spikefab_proto::stream::SpikeWords;
    use std::time::Duration;
    use tokio::io::{duplex, AsyncReadExt, AsyncWriteExt};

    /// What a scripted chip does with one STEP it receives (by its seq and
    /// how many times that seq came before).
    type Script = fn(seq: u8, copy: u32) -> Option<Answer>;

    fn stepped(seq: u8) -> Answer {
        Answer::Stepped {
            tick: seq as u32,
            cycles: 10 * seq as u32,
            digest: 0xFFFF,
            spikes: SpikeWords::List(vec![]),
        }
    }

    fn nak(code: NakCode, detail: u16) -> Answer {
        Answer::Nak {
            command: spikefab_proto::message::kind::STEP,
            code,
            detail,
        }
    }

    /// Stream `n` empty STEPs to a chip that answers as `script` says; the
    /// answers given and how the stream ended.
    async fn run(n: usize, script: Script) -> (Vec<(usize, Answer)>, Result<(), LinkError>) {
        let (host, mut peer) = duplex(1 << 16);
        let mut link = Link::new(
            "test-pipe",
            host,
            LinkSettings {
                timeout: Duration::from_millis(100),
                attempts: 4,
            },
        );
        tokio::spawn(async move {
            let mut decoder = Decoder::new();
            let mut copies = std::collections::HashMap::<u8, u32>::new();
            let mut buf = [0u8; 1024];
            while let Ok(k) = peer.read(&mut buf).await {
                if k == 0 {
                    return;
                }
                for &b in &buf[..k] {
                    if let Some(Event::Frame(f)) = decoder.push(b) {
                        let copy = copies.entry(f.seq).or_default();
                        if let Some(a) = script(f.seq, *copy) {
                            let _ = peer.write_all(&a.frame(f.seq).encode()).await;
                        }
                        *copy += 1;
                    }
                }
            }
        });
        let steps = vec![
            Command::Step {
                inputs: SpikeWords::List(vec![])
            };
            n
        ];
        let mut got = Vec::new();
        let end = link.stream(&steps, |i, a| got.push((i, a))).await;
        (got, end)
    }

    #[tokio::test]
    async fn a_clean_chip_answers_every_step_in_order() {
        let (got, end) = run(60, |seq, _| Some(stepped(seq))).await;
        end.unwrap();
        assert_eq!(got, (0..60).map(|i| (i, stepped(i as u8 + 1))).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_damaged_step_and_those_refused_after_it_go_again() {
        // STEP 3 arrives damaged the first time: the chip refuses the later
        // ones in flight as out of sequence (it expects 3), then all go again.
        let (got, end) = run(8, |seq, copy| match (seq, copy) {
            (3, 0) => Some(nak(NakCode::BadCrc, 0)),
            (4.., 0) => Some(nak(NakCode::BadSeq, 3)),
            _ => Some(stepped(seq)),
        })
        .await;
        end.unwrap();
        assert_eq!(got, (0..8).map(|i| (i, stepped(i as u8 + 1))).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn an_answer_lost_after_the_chip_ran_on_is_reported() {
        // The answers to 2 and everything after are lost; the copy of 2 is
        // refused with the seq after the last STEP the chip ran.
        let (got, end) = run(5, |seq, copy| match (seq, copy) {
            (1, _) => Some(stepped(1)),
            (_, 0) => None,
            (_, _) => Some(nak(NakCode::BadSeq, 6)),
        })
        .await;
        assert_eq!(got, vec![(0, stepped(1))]);
        match end {
            Err(LinkError::AnswersLost { index: 1, seq: 2, .. }) => {}
            other => panic!("{other:?}"),
        }
        // Found out by a later answer as well.
        let (got, end) = run(5, |seq, _| (seq != 2).then(|| stepped(seq))).await;
        assert_eq!(got, vec![(0, stepped(1))]);
        assert!(matches!(end, Err(LinkError::AnswersLost { index: 1, .. })), "{end:?}");
    }

    #[tokio::test]
    async fn a_refusal_ends_the_stream_and_silence_gives_up() {
        let (_, end) = run(3, |seq, _| {
            Some(if seq == 2 {
                nak(NakCode::BadInput, 99)
            } else {
                stepped(seq)
            })
        })
        .await;
        assert_eq!(
            end.unwrap_err().to_string(),
            "test-pipe: the chip refused command 0x07 (seq 2): bad input axon (detail 99)"
        );
        let (got, end) = run(3, |_, _| None).await;
        assert!(got.is_empty());
        assert!(
            matches!(
                end,
                Err(LinkError::NoAnswer {
                    attempts: 4,
                    seq: 1,
                    ..
                })
            ),
            "{end:?}"
        );
    }
}
