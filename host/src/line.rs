//! A model of a board's link for the virtual chip: a UART line that carries
//! one byte per 10 bit times (8N1) at a baud rate, behind a USB bridge that
//! adds a fixed latency (an FTDI's latency timer). Bytes are timed in wall
//! time, so that a host talking to the virtual chip sees the throughput and
//! the round trips a board would give it (`docs/boards.md`).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Bits on the line per byte: start, 8 data, stop.
pub const BITS_PER_BYTE: u32 = 10;

/// A link's speed and delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineModel {
    /// UART baud rate (bits per second).
    pub baud: u32,
    /// Added to every byte after the line has carried it.
    pub latency: Duration,
}

impl LineModel {
    /// The time the line takes to carry one byte.
    pub fn byte_time(&self) -> Duration {
        Duration::from_secs_f64(BITS_PER_BYTE as f64 / self.baud.max(1) as f64)
    }
}

/// One direction of a modelled link: bytes handed to it are carried one
/// after the other at the line's rate and arrive `latency` later.
#[derive(Debug)]
pub struct Line {
    model: LineModel,
    byte_time: Duration,
    /// When the line has carried the last byte handed to it.
    free_at: Instant,
    /// Bytes in flight, with the time each arrives.
    in_flight: VecDeque<(Instant, u8)>,
}

impl Line {
    /// An idle line.
    pub fn new(model: LineModel, now: Instant) -> Line {
        Line {
            model,
            byte_time: model.byte_time(),
            free_at: now,
            in_flight: VecDeque::new(),
        }
    }

    /// The model.
    pub fn model(&self) -> LineModel {
        self.model
    }

    /// Hand `bytes` to the line at `now`: each goes on the line once the ones
    /// before it are carried.
    pub fn send(&mut self, now: Instant, bytes: &[u8]) {
        for &b in bytes {
            self.free_at = self.free_at.max(now) + self.byte_time;
            self.in_flight.push_back((self.free_at + self.model.latency, b));
        }
    }

    /// Bytes handed to the line that it has not finished carrying at `now`
    /// (on a board: those still in its transmit buffer and transmitter).
    pub fn carrying(&self, now: Instant) -> usize {
        // The line carries them back to back, the last ending at `free_at`.
        let left = self.free_at.saturating_duration_since(now).as_nanos();
        left.div_ceil(self.byte_time.as_nanos().max(1)) as usize
    }

    /// The next byte that has arrived by `now`, if any.
    pub fn arrived(&mut self, now: Instant) -> Option<u8> {
        match self.in_flight.front() {
            Some(&(at, b)) if at <= now => {
                self.in_flight.pop_front();
                Some(b)
            }
            _ => None,
        }
    }

    /// When the line finishes carrying the next byte it is carrying at
    /// `now` (none: `None`).
    pub fn carried_next(&self, now: Instant) -> Option<Instant> {
        match self.carrying(now) {
            0 => None,
            n => Some(self.free_at - self.byte_time * (n as u32 - 1)),
        }
    }

    /// When the next byte arrives (none in flight: `None`).
    pub fn next_arrival(&self) -> Option<Instant> {
        self.in_flight.front().map(|&(at, _)| at)
    }

    /// Bytes in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MBAUD: LineModel = LineModel {
        baud: 1_000_000,
        latency: Duration::from_millis(1),
    };

    #[test]
    fn bytes_arrive_at_the_line_rate_after_the_latency() {
        assert_eq!(MBAUD.byte_time(), Duration::from_micros(10));
        let t0 = Instant::now();
        let mut line = Line::new(MBAUD, t0);
        line.send(t0, &[1, 2, 3]);
        assert_eq!(line.carrying(t0), 3);
        assert_eq!(line.carrying(t0 + Duration::from_micros(15)), 2);
        assert_eq!(line.carrying(t0 + Duration::from_micros(29)), 1);
        assert_eq!(line.carrying(t0 + Duration::from_micros(30)), 0);
        assert_eq!(
            line.carried_next(t0 + Duration::from_micros(15)),
            Some(t0 + Duration::from_micros(20))
        );
        assert_eq!(line.carried_next(t0 + Duration::from_micros(30)), None);
        assert_eq!(line.next_arrival(), Some(t0 + Duration::from_micros(1010)));
        assert_eq!(line.arrived(t0 + Duration::from_micros(1009)), None);
        assert_eq!(line.arrived(t0 + Duration::from_micros(1010)), Some(1));
        assert_eq!(line.arrived(t0 + Duration::from_micros(1025)), Some(2));
        assert_eq!(line.arrived(t0 + Duration::from_micros(1025)), None);
        assert_eq!(line.in_flight(), 1);
        // A byte handed over after the line went idle waits only for itself.
        let later = t0 + Duration::from_millis(5);
        line.send(later, &[4]);
        assert_eq!(line.arrived(later + Duration::from_micros(1010)), Some(3));
        assert_eq!(line.arrived(later + Duration::from_micros(1010)), Some(4));
    }
}
