//! Local memory wrappers: what the core's tables and the synapse memory are
//! built from (`docs/spec.md` §8).
//!
//! - [`BlockRam`] (and [`Bram`], its 16-bit form): `W`-bit words, one
//!   registered read port and one write port, for the iCE40's SB_RAM40_4K. Emitted with `(* no_rw_check *)` (the core never
//!   reads a word in the cycle it writes it, so yosys needs no collision
//!   logic), and zero-initialised.
//! - [`SinglePortRam`]: `W`-bit words, one address for reading and writing, no
//!   read during a write or without `read_enable` (the output holds its value): the shape yosys
//!   `synth_ice40 -spram` maps onto the UP5K's SB_SPRAM256KA blocks, and on
//!   other parts onto block RAM. No initial contents (SPRAM has none): the
//!   host writes every word the core reads.
//!
//! Both simulate in Rust with a flat `Vec` (rust-hdl's own `RAM` keeps a
//! `BTreeMap`, which is slow at 64k words).

use rust_hdl::prelude::*;

/// Block RAM of `2^A` words of `W` bits: a registered read port and a write
/// port on one clock.
#[derive(LogicBlock)]
pub struct BlockRam<const A: usize, const W: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Read address; the word appears on `read_data` after the next edge.
    pub read_address: Signal<In, Bits<A>>,
    /// The word read.
    pub read_data: Signal<Out, Bits<W>>,
    /// Write address.
    pub write_address: Signal<In, Bits<A>>,
    /// Word to write.
    pub write_data: Signal<In, Bits<W>>,
    /// Write on this edge.
    pub write_enable: Signal<In, Bit>,
    _words: Vec<u64>,
}

/// 16-bit block RAM with `2^A` words (the core's tables).
pub type Bram<const A: usize> = BlockRam<A, 16>;

impl<const A: usize, const W: usize> Default for BlockRam<A, W> {
    fn default() -> Self {
        assert!(W <= 64, "block RAM words of {W} bits");
        BlockRam {
            clock: Default::default(),
            read_address: Default::default(),
            read_data: Default::default(),
            write_address: Default::default(),
            write_data: Default::default(),
            write_enable: Default::default(),
            _words: vec![0; 1 << A],
        }
    }
}

impl<const A: usize, const W: usize> Logic for BlockRam<A, W> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            self.read_data.next = self._words[self.read_address.val().index()].to_bits();
            if self.write_enable.val() {
                self._words[self.write_address.val().index()] = self.write_data.val().to_u64();
            }
        }
    }

    fn connect(&mut self) {
        self.read_data.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "\
(* no_rw_check *)
reg [{top}:0] mem [0:{last}];
integer i;
initial begin
    for (i = 0; i <= {last}; i = i + 1) mem[i] = {W}'h0;
end

always @(posedge clock) begin
    read_data <= mem[read_address];
    if (write_enable) mem[write_address] <= write_data;
end
",
            top = W - 1,
            last = (1usize << A) - 1
        ))
    }
}

/// Single-port RAM of `2^A` words of `W` bits: per clock either a write
/// (`write_enable`) or, when `read_enable`, a read whose word appears on
/// `read_data` after the edge; otherwise `read_data` holds.
#[derive(LogicBlock)]
pub struct SinglePortRam<const A: usize, const W: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Address of the read or write.
    pub address: Signal<In, Bits<A>>,
    /// The word last read.
    pub read_data: Signal<Out, Bits<W>>,
    /// Word to write.
    pub write_data: Signal<In, Bits<W>>,
    /// Write on this edge (else read, if `read_enable`).
    pub write_enable: Signal<In, Bit>,
    /// Read on this edge unless writing.
    pub read_enable: Signal<In, Bit>,
    _words: Vec<u32>,
}

impl<const A: usize, const W: usize> Default for SinglePortRam<A, W> {
    fn default() -> Self {
        assert!(W <= 32, "single-port RAM words of {W} bits");
        SinglePortRam {
            clock: Default::default(),
            address: Default::default(),
            read_data: Default::default(),
            write_data: Default::default(),
            write_enable: Default::default(),
            read_enable: Default::default(),
            _words: vec![0; 1 << A],
        }
    }
}

impl<const A: usize, const W: usize> Logic for SinglePortRam<A, W> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let a = self.address.val().index();
            if self.write_enable.val() {
                self._words[a] = self.write_data.val().to_u32();
            } else if self.read_enable.val() {
                self.read_data.next = (self._words[a] as u64).to_bits();
            }
        }
    }

    fn connect(&mut self) {
        self.read_data.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "\
reg [{top}:0] mem [0:{last}];

always @(posedge clock) begin
    if (write_enable) mem[address] <= write_data;
    else if (read_enable) read_data <= mem[address];
end
",
            top = W - 1,
            last = (1usize << A) - 1
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock<B: Block>(uut: &mut B, clk: impl Fn(&mut B, bool)) {
        clk(uut, true);
        assert!(simulate(uut, 50));
        clk(uut, false);
        assert!(simulate(uut, 50));
    }

    #[test]
    fn bram_reads_registered_and_writes() {
        let mut m = Bram::<4>::default();
        m.connect_all();
        let tick = |m: &mut Bram<4>| clock(m, |m, c| m.clock.next = c.into());
        m.write_address.next = 3.into();
        m.write_data.next = 0xBEEF.into();
        m.write_enable.next = true;
        m.read_address.next = 3.into();
        tick(&mut m);
        // Read in the cycle of the write: the old word (never relied on by the core).
        assert_eq!(m.read_data.val().to_u16(), 0);
        m.write_enable.next = false;
        tick(&mut m);
        assert_eq!(m.read_data.val().to_u16(), 0xBEEF);
    }

    #[test]
    fn single_port_holds_during_writes() {
        let mut m = SinglePortRam::<4, 16>::default();
        m.connect_all();
        let tick = |m: &mut SinglePortRam<4, 16>| clock(m, |m, c| m.clock.next = c.into());
        m.read_enable.next = true;
        m.address.next = 5.into();
        m.write_data.next = 0x1234.into();
        m.write_enable.next = true;
        tick(&mut m);
        m.address.next = 6.into();
        m.write_data.next = 0x5678.into();
        tick(&mut m);
        m.write_enable.next = false;
        m.address.next = 5.into();
        tick(&mut m);
        assert_eq!(m.read_data.val().to_u16(), 0x1234);
        m.write_enable.next = true;
        m.address.next = 7.into();
        tick(&mut m);
        assert_eq!(m.read_data.val().to_u16(), 0x1234, "held during a write");
        m.write_enable.next = false;
        m.read_enable.next = false;
        m.address.next = 6.into();
        tick(&mut m);
        assert_eq!(m.read_data.val().to_u16(), 0x1234, "held without a read");
        m.read_enable.next = true;
        tick(&mut m);
        assert_eq!(m.read_data.val().to_u16(), 0x5678);
    }

    #[test]
    fn both_synthesize() {
        let mut m = Bram::<8>::default();
        m.connect_all();
        crate::rungs::check_verilog("spikefab_bram", &generate_verilog(&m)).unwrap();
        let mut m = SinglePortRam::<8, 18>::default();
        m.connect_all();
        crate::rungs::check_verilog("spikefab_spram", &generate_verilog(&m)).unwrap();
    }
}
