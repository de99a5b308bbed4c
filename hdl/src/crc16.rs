//! `Crc16`: one byte of the frame CRC (`docs/spec.md` §10.1),
//! CRC-16/IBM-3740 as [`spikefab_proto::frame::CRC16`] defines it for the
//! host; tested against it on every byte value.

use rust_hdl::prelude::*;

/// Combinational CRC update by one byte.
///
/// The update is linear over GF(2) in (CRC, byte), so it is written as the
/// XOR of one constant column per set input bit; the columns come from the
/// host's CRC implementation. In hardware that is a small XOR network (no
/// adders), and it simulates without rust-hdl 0.46's big-integer shifts.
#[derive(LogicBlock)]
pub struct Crc16 {
    /// CRC so far.
    pub crc: Signal<In, Bits<16>>,
    /// The next byte.
    pub data: Signal<In, Bits<8>>,
    /// CRC after the byte.
    pub crc_next: Signal<Out, Bits<16>>,
    work: Signal<Local, Bits<16>>,
    c0: Constant<Bits<16>>,
    c1: Constant<Bits<16>>,
    c2: Constant<Bits<16>>,
    c3: Constant<Bits<16>>,
    c4: Constant<Bits<16>>,
    c5: Constant<Bits<16>>,
    c6: Constant<Bits<16>>,
    c7: Constant<Bits<16>>,
    c8: Constant<Bits<16>>,
    c9: Constant<Bits<16>>,
    c10: Constant<Bits<16>>,
    c11: Constant<Bits<16>>,
    c12: Constant<Bits<16>>,
    c13: Constant<Bits<16>>,
    c14: Constant<Bits<16>>,
    c15: Constant<Bits<16>>,
    d0: Constant<Bits<16>>,
    d1: Constant<Bits<16>>,
    d2: Constant<Bits<16>>,
    d3: Constant<Bits<16>>,
    d4: Constant<Bits<16>>,
    d5: Constant<Bits<16>>,
    d6: Constant<Bits<16>>,
    d7: Constant<Bits<16>>,
}

/// The CRC after one byte, starting from `crc` (no initial value or final XOR).
fn column(crc: u16, byte: u8) -> u16 {
    let mut d = spikefab_proto::frame::CRC16.digest_with_initial(crc);
    d.update(&[byte]);
    d.finalize()
}

impl Default for Crc16 {
    fn default() -> Self {
        Crc16 {
            crc: Default::default(),
            data: Default::default(),
            crc_next: Default::default(),
            work: Default::default(),
            c0: Constant::new(column(1 << 0, 0).to_bits()),
            c1: Constant::new(column(1 << 1, 0).to_bits()),
            c2: Constant::new(column(1 << 2, 0).to_bits()),
            c3: Constant::new(column(1 << 3, 0).to_bits()),
            c4: Constant::new(column(1 << 4, 0).to_bits()),
            c5: Constant::new(column(1 << 5, 0).to_bits()),
            c6: Constant::new(column(1 << 6, 0).to_bits()),
            c7: Constant::new(column(1 << 7, 0).to_bits()),
            c8: Constant::new(column(1 << 8, 0).to_bits()),
            c9: Constant::new(column(1 << 9, 0).to_bits()),
            c10: Constant::new(column(1 << 10, 0).to_bits()),
            c11: Constant::new(column(1 << 11, 0).to_bits()),
            c12: Constant::new(column(1 << 12, 0).to_bits()),
            c13: Constant::new(column(1 << 13, 0).to_bits()),
            c14: Constant::new(column(1 << 14, 0).to_bits()),
            c15: Constant::new(column(1 << 15, 0).to_bits()),
            d0: Constant::new(column(0, 1 << 0).to_bits()),
            d1: Constant::new(column(0, 1 << 1).to_bits()),
            d2: Constant::new(column(0, 1 << 2).to_bits()),
            d3: Constant::new(column(0, 1 << 3).to_bits()),
            d4: Constant::new(column(0, 1 << 4).to_bits()),
            d5: Constant::new(column(0, 1 << 5).to_bits()),
            d6: Constant::new(column(0, 1 << 6).to_bits()),
            d7: Constant::new(column(0, 1 << 7).to_bits()),
        }
    }
}

impl Logic for Crc16 {
    #[hdl_gen]
    fn update(&mut self) {
        self.work.next = 0.into();
        if self.crc.val().get_bit(0) {
            self.work.next = self.work.val() ^ self.c0.val();
        }
        if self.crc.val().get_bit(1) {
            self.work.next = self.work.val() ^ self.c1.val();
        }
        if self.crc.val().get_bit(2) {
            self.work.next = self.work.val() ^ self.c2.val();
        }
        if self.crc.val().get_bit(3) {
            self.work.next = self.work.val() ^ self.c3.val();
        }
        if self.crc.val().get_bit(4) {
            self.work.next = self.work.val() ^ self.c4.val();
        }
        if self.crc.val().get_bit(5) {
            self.work.next = self.work.val() ^ self.c5.val();
        }
        if self.crc.val().get_bit(6) {
            self.work.next = self.work.val() ^ self.c6.val();
        }
        if self.crc.val().get_bit(7) {
            self.work.next = self.work.val() ^ self.c7.val();
        }
        if self.crc.val().get_bit(8) {
            self.work.next = self.work.val() ^ self.c8.val();
        }
        if self.crc.val().get_bit(9) {
            self.work.next = self.work.val() ^ self.c9.val();
        }
        if self.crc.val().get_bit(10) {
            self.work.next = self.work.val() ^ self.c10.val();
        }
        if self.crc.val().get_bit(11) {
            self.work.next = self.work.val() ^ self.c11.val();
        }
        if self.crc.val().get_bit(12) {
            self.work.next = self.work.val() ^ self.c12.val();
        }
        if self.crc.val().get_bit(13) {
            self.work.next = self.work.val() ^ self.c13.val();
        }
        if self.crc.val().get_bit(14) {
            self.work.next = self.work.val() ^ self.c14.val();
        }
        if self.crc.val().get_bit(15) {
            self.work.next = self.work.val() ^ self.c15.val();
        }
        if self.data.val().get_bit(0) {
            self.work.next = self.work.val() ^ self.d0.val();
        }
        if self.data.val().get_bit(1) {
            self.work.next = self.work.val() ^ self.d1.val();
        }
        if self.data.val().get_bit(2) {
            self.work.next = self.work.val() ^ self.d2.val();
        }
        if self.data.val().get_bit(3) {
            self.work.next = self.work.val() ^ self.d3.val();
        }
        if self.data.val().get_bit(4) {
            self.work.next = self.work.val() ^ self.d4.val();
        }
        if self.data.val().get_bit(5) {
            self.work.next = self.work.val() ^ self.d5.val();
        }
        if self.data.val().get_bit(6) {
            self.work.next = self.work.val() ^ self.d6.val();
        }
        if self.data.val().get_bit(7) {
            self.work.next = self.work.val() ^ self.d7.val();
        }
        self.crc_next.next = self.work.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikefab_proto::frame::{CRC16, CRC_INIT};

    #[test]
    fn matches_the_host_crc() {
        let mut uut = Crc16::default();
        uut.connect_all();
        let data = b"123456789 and every byte value: \x00\x01\x7f\x80\xa5\xff";
        let mut crc = CRC_INIT;
        for &b in data.iter() {
            uut.crc.next = crc.to_bits();
            uut.data.next = b.to_bits();
            assert!(simulate(&mut uut, 50));
            crc = uut.crc_next.val().to_u16();
        }
        assert_eq!(crc, CRC16.checksum(data));
        for b in 0u8..=255 {
            uut.crc.next = 0x1D0Fu16.to_bits();
            uut.data.next = b.to_bits();
            assert!(simulate(&mut uut, 50));
            let mut d = CRC16.digest_with_initial(0x1D0F);
            d.update(&[b]);
            assert_eq!(uut.crc_next.val().to_u16(), d.finalize(), "byte {b}");
        }
    }

    #[test]
    fn synthesizes() {
        let mut uut = Crc16::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_crc16", &generate_verilog(&uut)).unwrap();
    }
}
