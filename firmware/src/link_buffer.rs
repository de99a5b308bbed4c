//! `LinkBuffer`: the board's two byte queues between the UART and the core,
//! in one block RAM of 512 bytes. The lower half is the receive FIFO (the
//! window of `spikefab_proto::stream::WINDOW_BYTES` a host may have in
//! flight), the upper half the transmit buffer
//! (`spikefab_proto::stream::TX_BUFFER_BYTES`): the core writes an answer
//! into it in a byte per clock and runs the next tick while the UART sends
//! it (spec §10.4), instead of waiting for the line.
//!
//! The RAM has one write port and one read port, shared by the two queues.
//! Writes: a byte from the UART receiver is written on the clock after it
//! arrives (the receiver's data holds until its next byte, clocks later),
//! before anything else; the core's bytes take the port
//! on the other clocks (`core_out_ready` is low on a clock the port is taken
//! and while the buffer is full). Reads fill two head registers, the byte the
//! transmitter sends next and the byte the core takes next; the transmitter's
//! is filled first. A byte that arrives with the receive FIFO full is dropped
//! and `overflow` pulses (the host's window prevents it; the frame the byte
//! was part of is cut, and the host sends it again).

use rust_hdl::prelude::*;
use spikefab_hdl::memory::BlockRam;
use spikefab_proto::stream::{TX_BUFFER_BYTES, WINDOW_BYTES};

const _: () = assert!(
    WINDOW_BYTES == 256 && TX_BUFFER_BYTES == 256,
    "each queue is half of the RAM"
);

/// The two queues of a board's link.
#[derive(LogicBlock, Default)]
pub struct LinkBuffer {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// A byte from the UART receiver (held until the clock after `rx_valid`).
    pub rx_data: Signal<In, Bits<8>>,
    /// `rx_data` holds a byte this clock (one clock per byte).
    pub rx_valid: Signal<In, Bit>,
    /// A received byte was dropped: the receive FIFO was full.
    pub overflow: Signal<Out, Bit>,
    /// The next byte for the core.
    pub core_in_data: Signal<Out, Bits<8>>,
    /// `core_in_data` holds a byte.
    pub core_in_valid: Signal<Out, Bit>,
    /// The core takes it on this edge.
    pub core_in_ready: Signal<In, Bit>,
    /// A byte from the core.
    pub core_out_data: Signal<In, Bits<8>>,
    /// `core_out_data` holds a byte.
    pub core_out_valid: Signal<In, Bit>,
    /// The byte is taken on this edge.
    pub core_out_ready: Signal<Out, Bit>,
    /// The next byte for the UART transmitter.
    pub tx_data: Signal<Out, Bits<8>>,
    /// `tx_data` holds a byte.
    pub tx_start: Signal<Out, Bit>,
    /// The transmitter takes it on this edge.
    pub tx_ready: Signal<In, Bit>,
    ram: BlockRam<9, 8>,
    held_valid: DFF<Bit>,
    rx_write: DFF<Bits<9>>,
    rx_read: DFF<Bits<9>>,
    tx_write: DFF<Bits<9>>,
    tx_read: DFF<Bits<9>>,
    rx_head: DFF<Bits<8>>,
    rx_head_valid: DFF<Bit>,
    tx_head: DFF<Bits<8>>,
    tx_head_valid: DFF<Bit>,
    rx_fetching: DFF<Bit>,
    tx_fetching: DFF<Bit>,
    dropped: DFF<Bit>,
    rx_empty: Signal<Local, Bit>,
    rx_full: Signal<Local, Bit>,
    tx_empty: Signal<Local, Bit>,
    tx_full: Signal<Local, Bit>,
    fetch_tx: Signal<Local, Bit>,
    fetch_rx: Signal<Local, Bit>,
    room: Signal<Local, Bit>,
}

impl Logic for LinkBuffer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            held_valid,
            rx_write,
            rx_read,
            tx_write,
            tx_read,
            rx_head,
            rx_head_valid,
            tx_head,
            tx_head_valid,
            rx_fetching,
            tx_fetching,
            dropped
        );
        self.ram.clock.next = self.clock.val();
        // Pointers of nine bits: equal is empty, equal but for the top bit is full.
        self.rx_empty.next = self.rx_write.q.val() == self.rx_read.q.val();
        self.rx_full.next = (self.rx_write.q.val() ^ self.rx_read.q.val()) == 256;
        self.tx_empty.next = self.tx_write.q.val() == self.tx_read.q.val();
        self.tx_full.next = (self.tx_write.q.val() ^ self.tx_read.q.val()) == 256;

        self.core_in_data.next = self.rx_head.q.val();
        self.core_in_valid.next = self.rx_head_valid.q.val();
        self.tx_data.next = self.tx_head.q.val();
        self.tx_start.next = self.tx_head_valid.q.val();
        self.overflow.next = self.dropped.q.val();
        self.room.next = !self.held_valid.q.val() & !self.tx_full.val();
        self.core_out_ready.next = self.room.val();

        // The write port: the held received byte first, else the core's.
        self.dropped.d.next = false;
        self.held_valid.d.next = false;
        if self.rx_valid.val() {
            self.held_valid.d.next = true;
        }
        self.ram.write_enable.next = false;
        self.ram.write_address.next = bit_cast::<9, 8>(self.tx_write.q.val().get_bits::<8>(0)) | 256;
        self.ram.write_data.next = self.core_out_data.val();
        if self.held_valid.q.val() {
            self.ram.write_address.next = bit_cast::<9, 8>(self.rx_write.q.val().get_bits::<8>(0));
            self.ram.write_data.next = self.rx_data.val();
            if self.rx_full.val() {
                self.dropped.d.next = true;
            } else {
                self.ram.write_enable.next = true;
                self.rx_write.d.next = self.rx_write.q.val() + 1;
            }
        } else if self.core_out_valid.val() & self.room.val() {
            self.ram.write_enable.next = true;
            self.tx_write.d.next = self.tx_write.q.val() + 1;
        }

        // The read port: a head register that is empty and not being filled
        // is filled from its queue, the transmitter's first; the byte is in
        // the RAM's output register a clock later.
        self.fetch_tx.next = !self.tx_head_valid.q.val() & !self.tx_fetching.q.val() & !self.tx_empty.val();
        self.fetch_rx.next =
            !self.fetch_tx.val() & !self.rx_head_valid.q.val() & !self.rx_fetching.q.val() & !self.rx_empty.val();
        self.ram.read_address.next = bit_cast::<9, 8>(self.rx_read.q.val().get_bits::<8>(0));
        if self.fetch_tx.val() {
            self.ram.read_address.next = bit_cast::<9, 8>(self.tx_read.q.val().get_bits::<8>(0)) | 256;
            self.tx_read.d.next = self.tx_read.q.val() + 1;
        }
        if self.fetch_rx.val() {
            self.rx_read.d.next = self.rx_read.q.val() + 1;
        }
        self.tx_fetching.d.next = self.fetch_tx.val();
        self.rx_fetching.d.next = self.fetch_rx.val();
        if self.tx_fetching.q.val() {
            self.tx_head.d.next = self.ram.read_data.val();
            self.tx_head_valid.d.next = true;
        }
        if self.rx_fetching.q.val() {
            self.rx_head.d.next = self.ram.read_data.val();
            self.rx_head_valid.d.next = true;
        }
        if self.tx_head_valid.q.val() & self.tx_ready.val() {
            self.tx_head_valid.d.next = false;
        }
        if self.rx_head_valid.q.val() & self.core_in_ready.val() {
            self.rx_head_valid.d.next = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    /// `part` is `whole` with some bytes left out.
    fn is_subsequence(part: &[u8], whole: &[u8]) -> bool {
        let mut rest = whole.iter();
        part.iter().all(|b| rest.any(|w| w == b))
    }

    /// What the test does each clock: a byte arrives from the UART, the core
    /// offers a byte, the core takes one, the transmitter is ready.
    #[derive(Debug, Clone, Copy)]
    struct Clock {
        arrives: bool,
        core_sends: bool,
        core_takes: bool,
        tx_ready: bool,
    }

    fn clocks() -> impl Strategy<Value = Vec<Clock>> {
        // Bursts of each kind of traffic, so that both queues fill and empty.
        let clock = (0u8..8, any::<bool>(), 0u8..4, 0u8..4).prop_map(|(a, s, t, r)| Clock {
            arrives: a == 0,
            core_sends: s,
            core_takes: t != 0,
            tx_ready: r == 0,
        });
        prop::collection::vec(clock, 1..3000)
    }

    fn tick(uut: &mut LinkBuffer) {
        uut.clock.next = true.into();
        assert!(simulate(uut, 50));
        uut.clock.next = false.into();
        assert!(simulate(uut, 50));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Every byte comes out of its queue once, in order; a byte is
        /// dropped (and `overflow` pulses) only when 256 wait in the
        /// receive FIFO; the core may send while the transmit buffer
        /// holds fewer than 256.
        #[test]
        fn both_queues_keep_order_and_drop_only_when_full(plan in clocks()) {
            let mut uut = LinkBuffer::default();
            uut.connect_all();
            let (mut rx_sent, mut rx_got, mut tx_sent, mut tx_got) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            let mut dropped = 0;
            let (mut next_rx, mut next_tx) = (0u8, 0u8);
            let drain = Clock { arrives: false, core_sends: false, core_takes: true, tx_ready: true };
            // The receiver's byte holds until its next (never on two clocks
            // in a row: a byte takes ten bit times).
            let (mut line_byte, mut arrived) = (0u8, false);
            for c in plan.iter().chain(std::iter::repeat_n(&drain, 2000)) {
                let arrives = c.arrives && !arrived;
                arrived = arrives;
                if arrives {
                    line_byte = next_rx;
                }
                uut.rx_valid.next = arrives;
                uut.rx_data.next = (line_byte as u64).into();
                uut.core_out_valid.next = c.core_sends;
                uut.core_out_data.next = (next_tx as u64).into();
                uut.core_in_ready.next = c.core_takes;
                uut.tx_ready.next = c.tx_ready;
                assert!(simulate(&mut uut, 50));
                dropped += uut.overflow.val() as usize;
                if uut.core_in_valid.val() && c.core_takes {
                    rx_got.push(uut.core_in_data.val().to_u8());
                }
                if uut.tx_start.val() && c.tx_ready {
                    tx_got.push(uut.tx_data.val().to_u8());
                }
                if c.core_sends && uut.core_out_ready.val() {
                    tx_sent.push(next_tx);
                    next_tx = next_tx.wrapping_add(1);
                }
                if arrives {
                    rx_sent.push(next_rx);
                    next_rx = next_rx.wrapping_add(1);
                }
                tick(&mut uut);
            }
            prop_assert_eq!(&tx_got, &tx_sent, "the transmit buffer");
            // What came out is what went in, less the dropped bytes.
            prop_assert_eq!(rx_got.len() + dropped, rx_sent.len());
            prop_assert!(is_subsequence(&rx_got, &rx_sent), "the receive FIFO keeps order");
        }
    }

    /// With nobody taking bytes, the receive FIFO holds its window and the
    /// transmit buffer its 256 bytes before either pushes back.
    #[test]
    fn each_queue_holds_256_bytes() {
        let mut uut = LinkBuffer::default();
        uut.connect_all();
        let mut accepted = 0;
        let mut overflowed = 0;
        for k in 0..610u32 {
            uut.rx_valid.next = k < 600 && k % 2 == 0;
            uut.rx_data.next = (k as u64 & 0xFE).into();
            uut.core_out_valid.next = true;
            uut.core_out_data.next = (k as u64 & 0xFF).into();
            uut.core_in_ready.next = false;
            uut.tx_ready.next = false;
            assert!(simulate(&mut uut, 50));
            accepted += uut.core_out_ready.val() as u32;
            overflowed += uut.overflow.val() as u32;
            tick(&mut uut);
        }
        // 256 in the RAM and one in the transmitter's head register.
        assert_eq!(accepted, 257);
        // 300 bytes arrived: 256 in the RAM, one in the core's head register.
        assert_eq!(overflowed, 300 - 257);
    }

    #[test]
    fn synthesizes_into_one_block_ram() {
        let mut uut = LinkBuffer::default();
        uut.connect_all();
        let v = generate_verilog(&uut);
        spikefab_hdl::rungs::check_verilog("link_buffer", &v).unwrap();
        let netlist = spikefab_hdl::rungs::synth_ice40(&v, "").unwrap();
        assert_eq!(
            netlist.matches("SB_RAM40_4K ").count(),
            1,
            "one block RAM for both queues"
        );
    }
}
