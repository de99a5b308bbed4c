//! `Crc16`: one byte of the frame CRC (`docs/spec.md` §10.1), MSB first,
//! unreflected, with the polynomial of [`spikefab_proto::frame::CRC_POLY`];
//! tested against the `crc` crate's CRC-16/IBM-3740 that the host uses.

use rust_hdl::prelude::*;

/// Combinational CRC update by one byte.
#[derive(LogicBlock)]
pub struct Crc16 {
    /// CRC so far.
    pub crc: Signal<In, Bits<16>>,
    /// The next byte.
    pub byte: Signal<In, Bits<8>>,
    /// CRC after the byte.
    pub crc_next: Signal<Out, Bits<16>>,
    work: Signal<Local, Bits<16>>,
    poly: Constant<Bits<16>>,
}

impl Default for Crc16 {
    fn default() -> Self {
        Crc16 {
            crc: Default::default(),
            byte: Default::default(),
            crc_next: Default::default(),
            work: Default::default(),
            poly: Constant::new(spikefab_proto::frame::CRC_POLY.to_bits()),
        }
    }
}

impl Logic for Crc16 {
    #[hdl_gen]
    fn update(&mut self) {
        // MSB first: feedback = top CRC bit XOR the next data bit; a shift
        // left by one is written as a doubling (rust-hdl 0.46 shifts through
        // a big-integer library, which dominated co-simulation time).
        self.work.next = self.crc.val();
        if self.work.val().get_bit(15) ^ self.byte.val().get_bit(7) {
            self.work.next = (self.work.val() + self.work.val()) ^ self.poly.val();
        } else {
            self.work.next = self.work.val() + self.work.val();
        }
        if self.work.val().get_bit(15) ^ self.byte.val().get_bit(6) {
            self.work.next = (self.work.val() + self.work.val()) ^ self.poly.val();
        } else {
            self.work.next = self.work.val() + self.work.val();
        }
        if self.work.val().get_bit(15) ^ self.byte.val().get_bit(5) {
            self.work.next = (self.work.val() + self.work.val()) ^ self.poly.val();
        } else {
            self.work.next = self.work.val() + self.work.val();
        }
        if self.work.val().get_bit(15) ^ self.byte.val().get_bit(4) {
            self.work.next = (self.work.val() + self.work.val()) ^ self.poly.val();
        } else {
            self.work.next = self.work.val() + self.work.val();
        }
        if self.work.val().get_bit(15) ^ self.byte.val().get_bit(3) {
            self.work.next = (self.work.val() + self.work.val()) ^ self.poly.val();
        } else {
            self.work.next = self.work.val() + self.work.val();
        }
        if self.work.val().get_bit(15) ^ self.byte.val().get_bit(2) {
            self.work.next = (self.work.val() + self.work.val()) ^ self.poly.val();
        } else {
            self.work.next = self.work.val() + self.work.val();
        }
        if self.work.val().get_bit(15) ^ self.byte.val().get_bit(1) {
            self.work.next = (self.work.val() + self.work.val()) ^ self.poly.val();
        } else {
            self.work.next = self.work.val() + self.work.val();
        }
        if self.work.val().get_bit(15) ^ self.byte.val().get_bit(0) {
            self.work.next = (self.work.val() + self.work.val()) ^ self.poly.val();
        } else {
            self.work.next = self.work.val() + self.work.val();
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
            uut.byte.next = b.to_bits();
            assert!(simulate(&mut uut, 50));
            crc = uut.crc_next.val().to_u16();
        }
        assert_eq!(crc, CRC16.checksum(data));
        for b in 0u8..=255 {
            uut.crc.next = 0x1D0Fu16.to_bits();
            uut.byte.next = b.to_bits();
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
        yosys_validate("spikefab_crc16", &generate_verilog(&uut)).unwrap();
    }
}
