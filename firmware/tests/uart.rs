//! The UART PHY in RTL simulation (rust-hdl, stepped directly), at every
//! board's clocks per bit (its core clock over its baud): random byte
//! streams back to back, with the sender's bit time off by -2 % and +2 %
//! against the receiver's clock, bytes with a broken stop bit (reported on
//! `framing_error`, never delivered), glitches shorter than half a bit, and
//! the transmitter's waveform bit by bit and looped back into the receiver.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_hdl::prelude::*;
use spikefab_firmware::uart_rx::UartRx;
use spikefab_firmware::uart_tx::UartTx;

/// Clocks per bit of the tests: every board's (its core clock / its baud),
/// each once.
fn rates() -> Vec<u32> {
    let mut r: Vec<u32> = spikefab_chip::board::BOARDS
        .iter()
        .map(|b| b.clocks_per_bit())
        .collect();
    r.sort_unstable();
    r.dedup();
    r
}

/// One byte on the line and whether its stop bit is broken (low).
#[derive(Clone, Copy)]
struct Sent {
    byte: u8,
    broken: bool,
}

/// The line level at each receiver clock for `bytes` sent with a bit time of
/// `period` receiver clocks; a broken byte is followed by two idle bits.
fn line(bytes: &[Sent], period: f64) -> Vec<bool> {
    let mut edges: Vec<(f64, bool)> = vec![(0.0, true)];
    let mut t = 3.0 * period;
    for s in bytes {
        let mut bits = vec![false];
        bits.extend((0..8).map(|i| s.byte >> i & 1 == 1));
        bits.push(!s.broken);
        for b in bits {
            edges.push((t, b));
            t += period;
        }
        if s.broken {
            edges.push((t, true));
            t += 2.0 * period;
        }
    }
    edges.push((t, true));
    let end = (t + 3.0 * period) as usize;
    let mut level = Vec::with_capacity(end);
    let mut e = 0;
    for k in 0..end {
        while e + 1 < edges.len() && edges[e + 1].0 <= k as f64 {
            e += 1;
        }
        level.push(edges[e].1);
    }
    level
}

fn clock_rx(uut: &mut UartRx) {
    uut.clock.next = true.into();
    assert!(simulate(uut, 100));
    uut.clock.next = false.into();
    assert!(simulate(uut, 100));
}

/// Feed `level` to a receiver; the bytes delivered and the framing errors.
fn receive(cpb: u32, level: &[bool]) -> (Vec<u8>, usize) {
    let mut uut = UartRx::new(cpb);
    uut.connect_all();
    let (mut got, mut errors) = (Vec::new(), 0);
    for &l in level {
        uut.rx.next = l;
        assert!(simulate(&mut uut, 100));
        if uut.valid.val() {
            got.push(uut.data.val().to_u8());
        }
        if uut.framing_error.val() {
            errors += 1;
        }
        clock_rx(&mut uut);
    }
    (got, errors)
}

fn random_bytes(seed: u64, n: usize, broken_every: Option<usize>) -> Vec<Sent> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|i| Sent {
            byte: rng.random(),
            broken: broken_every.is_some_and(|k| i % k == k - 1),
        })
        .collect()
}

#[test]
fn receives_back_to_back_bytes_with_clock_error() {
    for cpb in rates() {
        for (seed, error) in [(1, -0.02), (2, 0.0), (3, 0.02)] {
            let sent = random_bytes(seed, 1500, None);
            let (got, errors) = receive(cpb, &line(&sent, cpb as f64 * (1.0 + error)));
            let want: Vec<u8> = sent.iter().map(|s| s.byte).collect();
            assert_eq!(errors, 0, "{cpb} clocks per bit, clock error {error}");
            assert_eq!(got, want, "{cpb} clocks per bit, clock error {error}");
        }
    }
}

#[test]
fn a_broken_stop_bit_is_reported_and_the_byte_dropped() {
    for cpb in rates() {
        for (seed, error) in [(4, -0.02), (5, 0.02)] {
            let sent = random_bytes(seed, 600, Some(7));
            let (got, errors) = receive(cpb, &line(&sent, cpb as f64 * (1.0 + error)));
            let want: Vec<u8> = sent.iter().filter(|s| !s.broken).map(|s| s.byte).collect();
            assert_eq!(
                errors,
                sent.iter().filter(|s| s.broken).count(),
                "{cpb}, clock error {error}"
            );
            assert_eq!(got, want, "{cpb} clocks per bit, clock error {error}");
        }
    }
}

#[test]
fn glitches_shorter_than_half_a_bit_are_ignored() {
    for cpb in rates() {
        let mut level = vec![true; 40];
        level.extend([false; 3]);
        level.extend([true; 40]);
        level.extend(line(&random_bytes(6, 20, None), cpb as f64));
        let (got, errors) = receive(cpb, &level);
        assert_eq!(errors, 0, "{cpb} clocks per bit");
        assert_eq!(
            got,
            random_bytes(6, 20, None).iter().map(|s| s.byte).collect::<Vec<_>>()
        );
    }
}

fn clock_tx(uut: &mut UartTx) {
    uut.clock.next = true.into();
    assert!(simulate(uut, 100));
    uut.clock.next = false.into();
    assert!(simulate(uut, 100));
}

/// Send `bytes` as fast as the transmitter takes them; the pin per clock.
fn transmit(cpb: u32, bytes: &[u8]) -> Vec<bool> {
    let mut uut = UartTx::new(cpb);
    uut.connect_all();
    let mut pin = Vec::new();
    let mut next = 0;
    let mut idle = 0;
    while idle < 3 * cpb {
        uut.start.next = next < bytes.len();
        uut.data.next = bytes.get(next).copied().unwrap_or(0).to_bits();
        assert!(simulate(&mut uut, 100));
        if uut.ready.val() && next < bytes.len() {
            next += 1;
        }
        pin.push(uut.tx.val());
        idle = if next == bytes.len() && uut.ready.val() {
            idle + 1
        } else {
            0
        };
        clock_tx(&mut uut);
    }
    pin
}

#[test]
fn transmits_exact_bit_times() {
    for cpb in rates() {
        exact_bit_times(cpb);
    }
}

fn exact_bit_times(cpb: u32) {
    let bytes: Vec<u8> = random_bytes(7, 300, None).iter().map(|s| s.byte).collect();
    let pin = transmit(cpb, &bytes);
    // Decode strictly: every bit exactly `cpb` clocks, start low, stop high,
    // at most one idle clock between bytes.
    let mut got = Vec::new();
    let mut k = pin.iter().position(|&l| !l).expect("a start bit");
    while k + 10 * cpb as usize <= pin.len() && !pin[k] {
        let index = got.len();
        let bit = |i: usize| {
            let s = &pin[k + i * cpb as usize..k + (i + 1) * cpb as usize];
            assert!(s.iter().all(|&l| l == s[0]), "bit {i} of byte {index} not steady");
            s[0]
        };
        assert!(!bit(0));
        let byte = (1..9).fold(0u8, |b, i| b | (bit(i) as u8) << (i - 1));
        assert!(bit(9), "stop bit");
        got.push(byte);
        k += 10 * cpb as usize;
        if k < pin.len() && pin[k] {
            k += 1;
        }
    }
    assert_eq!(got, bytes);
    assert!(pin[pin.len() - 1], "the line ends idle");
}

#[test]
fn transmitter_loops_back_into_receiver() {
    let bytes: Vec<u8> = random_bytes(8, 500, None).iter().map(|s| s.byte).collect();
    for cpb in rates() {
        let (got, errors) = receive(cpb, &transmit(cpb, &bytes));
        assert_eq!(errors, 0, "{cpb} clocks per bit");
        assert_eq!(got, bytes, "{cpb} clocks per bit");
    }
}
