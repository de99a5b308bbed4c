//! `SynapseMemories`: the memories of the synapse side (`docs/spec.md`
//! §8.2): the source table, the fan-in table, the `x_pre` traces and the
//! synapse words, with bits 16-17 of the `source`, `fanin` and `syn` words
//! in memories of their own on a wide core (on a narrow one nothing writes
//! them and they leave the netlist). Each memory's port is the host's
//! (through the [`MemoryMap`](super::memory_map::MemoryMap)'s write enables)
//! unless the running phase block claims it (`*_own`): the router the source
//! table and the synapse words, the learning phases the fan-in table, the
//! traces and the synapse words. The twin is the golden model's network
//! image (`spikefab_chip::image`), which the host writes here word for word.
//!
//! The block also checks the core's address widths against each other and
//! the limits of §8.1 when it is made.

use rust_hdl::prelude::*;

use super::syn_claim::SynPort;
use crate::memory::{BlockRam, Bram, SinglePortRam};

/// The synapse-side memories of a core with `2^NB` neurons, `2^MB` axons and
/// `2^SB` synapse words (`SRCB`, `AB` and `XB` as in [`Core`](super::Core)).
#[derive(LogicBlock)]
pub struct SynapseMemories<
    const NB: usize,
    const MB: usize,
    const SB: usize,
    const SRCB: usize,
    const AB: usize,
    const XB: usize,
> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The cell the host reads (every memory is addressed with it).
    pub read_cell: Signal<In, Bits<AB>>,
    /// The cell the host writes.
    pub write_cell: Signal<In, Bits<AB>>,
    /// The word the host writes.
    pub data: Signal<In, Bits<16>>,
    /// The host writes the source table.
    pub source_write: Signal<In, Bit>,
    /// The host writes bits 16-17 of a source pointer.
    pub source_hi_write: Signal<In, Bit>,
    /// The host writes the fan-in table.
    pub fanin_write: Signal<In, Bit>,
    /// The host writes bits 16-17 of a fan-in pointer.
    pub fanin_hi_write: Signal<In, Bit>,
    /// The host writes the `x_pre` table.
    pub xpre_write: Signal<In, Bit>,
    /// The host writes a synapse word.
    pub syn_write: Signal<In, Bit>,
    /// The host writes bits 16-17 of a synapse word.
    pub syn_hi_write: Signal<In, Bit>,
    /// The router reads the source table.
    pub router_source_own: Signal<In, Bit>,
    /// At this source.
    pub router_source_address: Signal<In, Bits<SRCB>>,
    /// The router's claim on the synapse memory's port (a depression writes back).
    pub router_syn: SynPort<SB>,
    /// The learning phases read the fan-in table.
    pub learn_fanin_own: Signal<In, Bit>,
    /// At this neuron.
    pub learn_fanin_address: Signal<In, Bits<NB>>,
    /// The learning phases read the `x_pre` table.
    pub learn_xpre_own: Signal<In, Bit>,
    /// At this source.
    pub learn_xpre_address: Signal<In, Bits<SRCB>>,
    /// The trace phase writes a source's trace.
    pub learn_trace_write: Signal<In, Bit>,
    /// That source.
    pub learn_trace_source: Signal<In, Bits<SRCB>>,
    /// Its trace.
    pub learn_trace: Signal<In, Bits<16>>,
    /// The learning phases' claim on the synapse memory's port (a potentiation writes back).
    pub learn_syn: SynPort<SB>,
    /// The source table's 18-bit word (read a clock ago).
    pub source_word: Signal<Out, Bits<18>>,
    /// The fan-in table's 18-bit word.
    pub fanin_word: Signal<Out, Bits<18>>,
    /// The `x_pre` word.
    pub xpre_word: Signal<Out, Bits<16>>,
    /// The synapse memory's 18-bit word.
    pub syn_word: Signal<Out, Bits<18>>,
    source: Bram<SRCB>,
    fanin: Bram<NB>,
    xpre: Bram<SRCB>,
    syn: SinglePortRam<SB, 16>,
    // Bits 16-17 of the `syn`, `source` and `fanin` words (wide cores).
    syn_hi: SinglePortRam<XB, 2>,
    source_hi: BlockRam<SRCB, 2>,
    fanin_hi: BlockRam<NB, 2>,
    syn_address: Signal<Local, Bits<SB>>,
    syn_writing: Signal<Local, Bit>,
}

impl<const NB: usize, const MB: usize, const SB: usize, const SRCB: usize, const AB: usize, const XB: usize> Default
    for SynapseMemories<NB, MB, SB, SRCB, AB, XB>
{
    fn default() -> Self {
        use spikefab_chip::config::{cell_bits, high_bits, source_bits, MAX_NEURON_BITS, MAX_SYN_BITS};
        assert!(
            NB as u32 <= MAX_NEURON_BITS && MB as u32 <= MAX_NEURON_BITS && SB as u32 <= MAX_SYN_BITS,
            "core limits (spec §8.1)"
        );
        assert!(AB as u32 == cell_bits(SB as u32) && XB as u32 == high_bits(NB as u32, SB as u32));
        assert!(
            SRCB as u32 == source_bits(NB as u32, MB as u32),
            "source indices of log2 (N + M) bits"
        );
        SynapseMemories {
            clock: Default::default(),
            read_cell: Default::default(),
            write_cell: Default::default(),
            data: Default::default(),
            source_write: Default::default(),
            source_hi_write: Default::default(),
            fanin_write: Default::default(),
            fanin_hi_write: Default::default(),
            xpre_write: Default::default(),
            syn_write: Default::default(),
            syn_hi_write: Default::default(),
            router_source_own: Default::default(),
            router_source_address: Default::default(),
            router_syn: Default::default(),
            learn_fanin_own: Default::default(),
            learn_fanin_address: Default::default(),
            learn_xpre_own: Default::default(),
            learn_xpre_address: Default::default(),
            learn_trace_write: Default::default(),
            learn_trace_source: Default::default(),
            learn_trace: Default::default(),
            learn_syn: Default::default(),
            source_word: Default::default(),
            fanin_word: Default::default(),
            xpre_word: Default::default(),
            syn_word: Default::default(),
            source: Default::default(),
            fanin: Default::default(),
            xpre: Default::default(),
            syn: Default::default(),
            syn_hi: Default::default(),
            source_hi: Default::default(),
            fanin_hi: Default::default(),
            syn_address: Default::default(),
            syn_writing: Default::default(),
        }
    }
}

impl<const NB: usize, const MB: usize, const SB: usize, const SRCB: usize, const AB: usize, const XB: usize> Logic
    for SynapseMemories<NB, MB, SB, SRCB, AB, XB>
{
    #[hdl_gen]
    fn update(&mut self) {
        self.source.clock.next = self.clock.val();
        self.fanin.clock.next = self.clock.val();
        self.xpre.clock.next = self.clock.val();
        self.syn.clock.next = self.clock.val();
        self.syn_hi.clock.next = self.clock.val();
        self.source_hi.clock.next = self.clock.val();
        self.fanin_hi.clock.next = self.clock.val();
        // The 18-bit words (the high bits 0 on a narrow core).
        self.syn_word.next =
            bit_cast::<18, 2>(self.syn_hi.read_data.val()) << 16 | bit_cast::<18, 16>(self.syn.read_data.val());
        self.source_word.next =
            bit_cast::<18, 2>(self.source_hi.read_data.val()) << 16 | bit_cast::<18, 16>(self.source.read_data.val());
        self.fanin_word.next =
            bit_cast::<18, 2>(self.fanin_hi.read_data.val()) << 16 | bit_cast::<18, 16>(self.fanin.read_data.val());
        self.xpre_word.next = self.xpre.read_data.val();

        self.source.read_address.next = bit_cast::<SRCB, AB>(self.read_cell.val());
        self.source_hi.read_address.next = bit_cast::<SRCB, AB>(self.read_cell.val());
        if self.router_source_own.val() {
            self.source.read_address.next = self.router_source_address.val();
            self.source_hi.read_address.next = self.router_source_address.val();
        }
        self.source.write_address.next = bit_cast::<SRCB, AB>(self.write_cell.val());
        self.source.write_data.next = self.data.val();
        self.source.write_enable.next = self.source_write.val();
        self.source_hi.write_address.next = bit_cast::<SRCB, AB>(self.write_cell.val());
        self.source_hi.write_data.next = bit_cast::<2, 16>(self.data.val());
        self.source_hi.write_enable.next = self.source_hi_write.val();
        self.fanin.read_address.next = bit_cast::<NB, AB>(self.read_cell.val());
        self.fanin_hi.read_address.next = bit_cast::<NB, AB>(self.read_cell.val());
        if self.learn_fanin_own.val() {
            self.fanin.read_address.next = self.learn_fanin_address.val();
            self.fanin_hi.read_address.next = self.learn_fanin_address.val();
        }
        self.fanin.write_address.next = bit_cast::<NB, AB>(self.write_cell.val());
        self.fanin.write_data.next = self.data.val();
        self.fanin.write_enable.next = self.fanin_write.val();
        self.fanin_hi.write_address.next = bit_cast::<NB, AB>(self.write_cell.val());
        self.fanin_hi.write_data.next = bit_cast::<2, 16>(self.data.val());
        self.fanin_hi.write_enable.next = self.fanin_hi_write.val();
        self.xpre.read_address.next = bit_cast::<SRCB, AB>(self.read_cell.val());
        if self.learn_xpre_own.val() {
            self.xpre.read_address.next = self.learn_xpre_address.val();
        }
        self.xpre.write_address.next = bit_cast::<SRCB, AB>(self.write_cell.val());
        self.xpre.write_data.next = self.data.val();
        self.xpre.write_enable.next = self.xpre_write.val();
        if self.learn_trace_write.val() {
            self.xpre.write_address.next = self.learn_trace_source.val();
            self.xpre.write_data.next = self.learn_trace.val();
            self.xpre.write_enable.next = true;
        }
        self.syn_address.next = bit_cast::<SB, AB>(self.read_cell.val());
        self.syn.write_data.next = self.data.val();
        self.syn_writing.next = self.syn_write.val();
        if self.syn_write.val() {
            self.syn_address.next = bit_cast::<SB, AB>(self.write_cell.val());
        }
        if self.router_syn.own.val() {
            self.syn_address.next = self.router_syn.address.val();
            self.syn.write_data.next = self.router_syn.data.val();
            self.syn_writing.next = self.router_syn.write.val();
        }
        if self.learn_syn.own.val() {
            self.syn_address.next = self.learn_syn.address.val();
            self.syn.write_data.next = self.learn_syn.data.val();
            self.syn_writing.next = self.learn_syn.write.val();
        }
        self.syn.address.next = self.syn_address.val();
        self.syn.write_enable.next = self.syn_writing.val();
        self.syn.read_enable.next = true;
        // The high bits follow the low word's address and hold while it is
        // written (learning writes only the weight byte); only the host
        // writes them.
        self.syn_hi.address.next = bit_cast::<XB, SB>(self.syn_address.val());
        self.syn_hi.write_data.next = bit_cast::<2, 16>(self.data.val());
        self.syn_hi.write_enable.next = self.syn_hi_write.val();
        self.syn_hi.read_enable.next = !self.syn_writing.val();
        if self.syn_hi_write.val() {
            self.syn_hi.address.next = bit_cast::<XB, AB>(self.write_cell.val());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use spikefab_chip::config::{cell_bits, high_bits, source_bits};

    // A wide shape (its high memories are real): 2^9 neurons, 2^4 axons,
    // 2^6 synapse words.
    const NB: usize = 9;
    const MB: usize = 4;
    const SB: usize = 6;
    type Mems = SynapseMemories<
        NB,
        MB,
        SB,
        { source_bits(NB as u32, MB as u32) as usize },
        { cell_bits(SB as u32) as usize },
        { high_bits(NB as u32, SB as u32) as usize },
    >;

    /// Who drives the ports in a clock, as the core's blocks do: the host
    /// (a read of every memory at `read`, and maybe a write of one of the
    /// seven), or a phase block's claims.
    #[derive(Debug, Clone)]
    enum Clock {
        Host {
            read: u32,
            write: Option<(usize, u32, u16)>,
        },
        Router {
            source: u32,
            syn: u32,
            write: Option<u16>,
        },
        Learn {
            fanin: u32,
            xpre: u32,
            trace: Option<(u32, u16)>,
            syn: u32,
            write: Option<u16>,
        },
    }

    fn clock_strategy() -> impl Strategy<Value = Clock> {
        let cell = 0u32..1100;
        prop_oneof![
            (cell.clone(), prop::option::of((0usize..7, cell.clone(), any::<u16>())))
                .prop_map(|(read, write)| Clock::Host { read, write }),
            (0u32..1024, 0u32..64, prop::option::of(any::<u16>())).prop_map(|(source, syn, write)| Clock::Router {
                source,
                syn,
                write
            }),
            (
                0u32..512,
                0u32..1024,
                prop::option::of((0u32..1024, any::<u16>())),
                0u32..64,
                prop::option::of(any::<u16>())
            )
                .prop_map(|(fanin, xpre, trace, syn, write)| Clock::Learn {
                    fanin,
                    xpre,
                    trace,
                    syn,
                    write
                }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Against the memories as arrays: every word read the clock after
        /// its address, from the port's owner; a synapse word's high bits
        /// follow its low word's address and are written only by the host;
        /// nothing is read from the synapse memory while it is written.
        #[test]
        fn each_port_serves_its_owner(clocks in prop::collection::vec(clock_strategy(), 1..120)) {
            let mut uut = Mems::default();
            uut.connect_all();
            // source, source_hi, fanin, fanin_hi, xpre, syn, syn_hi
            let sizes = [1024, 1024, 512, 512, 1024, 64, 64];
            let mut m: Vec<Vec<u32>> = sizes.iter().map(|&n| vec![0; n]).collect();
            let mask = [0xFFFF, 3, 0xFFFF, 3, 0xFFFF, 0xFFFF, 3];
            let (mut syn_out, mut syn_hi_out) = (0u32, 0u32);
            for c in clocks {
                let (mut read, mut source_at, mut fanin_at, mut xpre_at) = (0u32, None, None, None);
                let mut host_write = None;
                let mut trace = None;
                let mut syn: Option<(u32, Option<u16>)> = None;
                match c {
                    Clock::Host { read: r, write } => {
                        read = r;
                        host_write = write;
                    }
                    Clock::Router { source, syn: a, write } => {
                        source_at = Some(source);
                        syn = Some((a, write));
                    }
                    Clock::Learn { fanin, xpre, trace: t, syn: a, write } => {
                        fanin_at = Some(fanin);
                        xpre_at = Some(xpre);
                        trace = t;
                        syn = Some((a, write));
                    }
                }
                let router = matches!(c, Clock::Router { .. });
                uut.read_cell.next = read.to_bits();
                uut.write_cell.next = host_write.map_or(0, |w| w.1).to_bits();
                uut.data.next = host_write.map_or(0, |w| w.2).to_bits();
                let writes = [
                    &mut uut.source_write, &mut uut.source_hi_write, &mut uut.fanin_write, &mut uut.fanin_hi_write,
                    &mut uut.xpre_write, &mut uut.syn_write, &mut uut.syn_hi_write,
                ];
                for (i, w) in writes.into_iter().enumerate() {
                    w.next = host_write.is_some_and(|h| h.0 == i);
                }
                uut.router_source_own.next = source_at.is_some();
                uut.router_source_address.next = source_at.unwrap_or(0).to_bits();
                uut.router_syn.own.next = router;
                uut.learn_syn.own.next = syn.is_some() && !router;
                let (syn_at, syn_data) = syn.unwrap_or((0, None));
                for (own_at, write, data) in [
                    (&mut uut.router_syn.address, &mut uut.router_syn.write, &mut uut.router_syn.data),
                    (&mut uut.learn_syn.address, &mut uut.learn_syn.write, &mut uut.learn_syn.data),
                ] {
                    own_at.next = syn_at.to_bits();
                    write.next = syn_data.is_some();
                    data.next = syn_data.unwrap_or(0).to_bits();
                }
                uut.learn_fanin_own.next = fanin_at.is_some();
                uut.learn_fanin_address.next = fanin_at.unwrap_or(0).to_bits();
                uut.learn_xpre_own.next = xpre_at.is_some();
                uut.learn_xpre_address.next = xpre_at.unwrap_or(0).to_bits();
                uut.learn_trace_write.next = trace.is_some();
                uut.learn_trace_source.next = trace.map_or(0, |t| t.0).to_bits();
                uut.learn_trace.next = trace.map_or(0, |t| t.1).to_bits();
                uut.clock.next = true.into();
                assert!(simulate(&mut uut, 100));
                uut.clock.next = false.into();
                assert!(simulate(&mut uut, 100));

                // The model: reads first (a block RAM reads the old word).
                let at = |i: usize, a: u32| (a as usize) % sizes[i];
                let source_read = at(0, source_at.unwrap_or(read));
                let fanin_read = at(2, fanin_at.unwrap_or(read));
                let want_source = m[1][source_read] << 16 | m[0][source_read];
                let want_fanin = m[3][fanin_read] << 16 | m[2][fanin_read];
                let want_xpre = m[4][at(4, xpre_at.unwrap_or(read))];
                let syn_address = if syn.is_some() {
                    syn_at
                } else if host_write.is_some_and(|h| h.0 == 5) {
                    host_write.unwrap().1
                } else {
                    read
                };
                let syn_writing = match syn {
                    Some((_, w)) => w.is_some(),
                    None => host_write.is_some_and(|h| h.0 == 5),
                };
                if !syn_writing {
                    syn_out = m[5][at(5, syn_address)];
                }
                let hi_write = host_write.is_some_and(|h| h.0 == 6);
                let hi_address = if hi_write { host_write.unwrap().1 } else { syn_address };
                if !hi_write && !syn_writing {
                    syn_hi_out = m[6][at(6, hi_address)];
                }
                if let Some((i, a, d)) = host_write {
                    if !(i == 4 && trace.is_some()) {
                        m[i][at(i, a)] = d as u32 & mask[i];
                    }
                }
                if let (Some((a, _)), Some(d)) = (syn, syn_data) {
                    m[5][at(5, a)] = d as u32;
                }
                if let Some((a, d)) = trace {
                    m[4][at(4, a)] = d as u32;
                }
                prop_assert_eq!(uut.source_word.val().to_u32(), want_source, "source word after {:?}", c);
                prop_assert_eq!(uut.fanin_word.val().to_u32(), want_fanin, "fan-in word after {:?}", c);
                prop_assert_eq!(uut.xpre_word.val().to_u32(), want_xpre, "x_pre word after {:?}", c);
                prop_assert_eq!(uut.syn_word.val().to_u32(), syn_hi_out << 16 | syn_out, "synapse word after {:?}", c);
            }
        }
    }

    #[test]
    fn synthesizes() {
        // The `up5k` shape: 2^8 neurons, 2^8 axons, 2^12 synapse words.
        let mut uut = SynapseMemories::<
            8,
            8,
            12,
            { source_bits(8, 8) as usize },
            { cell_bits(12) as usize },
            { high_bits(8, 12) as usize },
        >::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_synapse_memories", &generate_verilog(&uut)).unwrap();
    }
}
