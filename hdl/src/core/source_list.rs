//! `SourceList`: the sources of one tick in routing order (`docs/spec.md` §6
//! phase 2): the input axons the host sent for the tick, ascending, then the
//! neurons that fired in its neuron phase, ascending. The twin in
//! `spikefab-sim` is the pair of lists `Simulator::step_tick` builds
//! (`inputs_now`, then `spiked`) and walks for routing, potentiation (the
//! spikers only) and the trace bumps.
//!
//! Two block RAMs hold the lists: the input list, written by INPUT commands
//! at `pending + offset`, and the spike list, appended to by the neuron
//! phase. A walk over both is one pair of indices: `choose` picks the list
//! of the next source (the input list until it is used up), and one clock
//! later, when the list word is out of its memory, `source`, `neuron` and
//! `is_neuron` name it and `advance` moves past it.
//!
//! The spike list's memory also holds the tick's arrivals (spec §5.3: the
//! neurons whose spikes meet their plastic synapses now, with a post delay
//! those that fired then): each spiker's entry, from the bottom, has bit 15
//! set when it arrives too, and the arrivals that did not fire fill it from
//! the top (entry N - 1 down), bit 15 set. A neuron is in one entry at most,
//! so the two never meet, and the neuron phase writes one entry a clock.
//! Potentiation's walk (`advance_spike`, `more_arrivals`) goes on past the
//! spikers into the top entries, in the order written: `arrives` says
//! whether the entry's neuron potentiates.

use rust_hdl::prelude::*;

use crate::memory::Bram;

/// The tick's source lists. `NB`, `MB`, `SRCB`: log2 of N, M and of the
/// source index range (M + N).
#[derive(LogicBlock)]
pub struct SourceList<const NB: usize, const MB: usize, const SRCB: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Write `input_data` into the input list at `pending + input_offset`.
    pub input_write: Signal<In, Bit>,
    /// Offset of the written axon after the pending ones.
    pub input_offset: Signal<In, Bits<16>>,
    /// The axon written.
    pub input_data: Signal<In, Bits<16>>,
    /// The INPUT command's axons up to `input_offset` join the pending ones.
    pub input_commit: Signal<In, Bit>,
    /// Forget the pending axons (end of a tick, RESET).
    pub inputs_clear: Signal<In, Bit>,
    /// Append `spike_neuron` to the spike list.
    pub spike_write: Signal<In, Bit>,
    /// The neuron that fired (or, with `arrival_write`, arrives).
    pub spike_neuron: Signal<In, Bits<NB>>,
    /// The spiker written arrives too.
    pub spike_arrives: Signal<In, Bit>,
    /// Add `spike_neuron`, which did not fire, to the arrivals at the top.
    pub arrival_write: Signal<In, Bit>,
    /// A new tick: empty spike list, both walks at their start.
    pub new_tick: Signal<In, Bit>,
    /// Both walks back to their start.
    pub rewind: Signal<In, Bit>,
    /// The spike list's walk back to its start.
    pub rewind_spikes: Signal<In, Bit>,
    /// Pick the list of the next source (its word is out one clock later).
    pub choose: Signal<In, Bit>,
    /// Move past the source chosen.
    pub advance: Signal<In, Bit>,
    /// Move past the current spiker (the spike list alone).
    pub advance_spike: Signal<In, Bit>,
    /// The chosen source is a neuron (else an input axon).
    pub is_neuron: Signal<Out, Bit>,
    /// The chosen source's index: the axon, or M + the neuron.
    pub source: Signal<Out, Bits<SRCB>>,
    /// The spike list's current neuron.
    pub neuron: Signal<Out, Bits<NB>>,
    /// Its spike meets its plastic synapses this tick.
    pub arrives: Signal<Out, Bit>,
    /// A source is left in either list.
    pub more: Signal<Out, Bit>,
    /// A spiker is left in the spike list.
    pub more_spikes: Signal<Out, Bit>,
    /// An entry is left for potentiation's walk (spikers, then arrivals).
    pub more_arrivals: Signal<Out, Bit>,
    /// The tick has an arrival that did not fire (including one written
    /// this clock).
    pub any_arrivals: Signal<Out, Bit>,
    /// The tick has a source: an input pending or a spike (including one
    /// appended this clock).
    pub any: Signal<Out, Bit>,
    /// The spike list is not empty.
    pub any_spikes: Signal<Out, Bit>,
    /// Axons are pending for the next tick.
    pub any_pending: Signal<Out, Bit>,
    /// Neurons in the spike list.
    pub spike_total: Signal<Out, Bits<16>>,
    inputs: Bram<MB>,
    spikes: Bram<NB>,
    // Counts up to M or N: a source index's width (SRCB), one bit more than either.
    pending: DFF<Bits<SRCB>>,
    spike_count: DFF<Bits<SRCB>>,
    arrival_count: DFF<Bits<SRCB>>,
    input_index: DFF<Bits<SRCB>>,
    spike_index: DFF<Bits<SRCB>>,
    offset: Signal<Local, Bits<SRCB>>,
    past_spikers: Signal<Local, Bits<SRCB>>,
    chosen_neuron: DFF<Bit>,
    axon_base: Constant<Bits<SRCB>>,
}

impl<const NB: usize, const MB: usize, const SRCB: usize> Default for SourceList<NB, MB, SRCB> {
    fn default() -> Self {
        SourceList {
            clock: Default::default(),
            input_write: Default::default(),
            input_offset: Default::default(),
            input_data: Default::default(),
            input_commit: Default::default(),
            inputs_clear: Default::default(),
            spike_write: Default::default(),
            spike_neuron: Default::default(),
            spike_arrives: Default::default(),
            arrival_write: Default::default(),
            new_tick: Default::default(),
            rewind: Default::default(),
            rewind_spikes: Default::default(),
            choose: Default::default(),
            advance: Default::default(),
            advance_spike: Default::default(),
            is_neuron: Default::default(),
            source: Default::default(),
            neuron: Default::default(),
            arrives: Default::default(),
            more: Default::default(),
            more_spikes: Default::default(),
            more_arrivals: Default::default(),
            any_arrivals: Default::default(),
            any: Default::default(),
            any_spikes: Default::default(),
            any_pending: Default::default(),
            spike_total: Default::default(),
            inputs: Default::default(),
            spikes: Default::default(),
            pending: Default::default(),
            spike_count: Default::default(),
            arrival_count: Default::default(),
            input_index: Default::default(),
            spike_index: Default::default(),
            chosen_neuron: Default::default(),
            offset: Default::default(),
            past_spikers: Default::default(),
            axon_base: Constant::new((1u32 << MB).to_bits()),
        }
    }
}

impl<const NB: usize, const MB: usize, const SRCB: usize> Logic for SourceList<NB, MB, SRCB> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            pending,
            spike_count,
            arrival_count,
            input_index,
            spike_index,
            chosen_neuron
        );
        self.inputs.clock.next = self.clock.val();
        self.spikes.clock.next = self.clock.val();

        // Counts of axons (up to M) and spikers (up to N) fit a source
        // index's width; so does a STEP's offset wherever the axon written
        // there can be committed (a STEP's axons are ascending and below M).
        self.offset.next = bit_cast::<SRCB, 16>(self.input_offset.val());
        self.inputs.read_address.next = bit_cast::<MB, SRCB>(self.input_index.q.val());
        self.inputs.write_address.next = bit_cast::<MB, SRCB>(self.pending.q.val() + self.offset.val());
        self.inputs.write_data.next = self.input_data.val();
        self.inputs.write_enable.next = self.input_write.val();
        if self.input_commit.val() {
            self.pending.d.next = self.pending.q.val() + self.offset.val() + 1;
        }
        if self.inputs_clear.val() {
            self.pending.d.next = 0.into();
        }

        // Potentiation's walk goes on past the spikers into the top entries.
        self.past_spikers.next = self.spike_index.q.val() - self.spike_count.q.val();
        self.spikes.read_address.next = bit_cast::<NB, SRCB>(self.spike_index.q.val());
        if self.spike_index.q.val() >= self.spike_count.q.val() {
            self.spikes.read_address.next = !bit_cast::<NB, SRCB>(self.past_spikers.val());
        }
        self.spikes.write_address.next = bit_cast::<NB, SRCB>(self.spike_count.q.val());
        self.spikes.write_data.next = bit_cast::<16, NB>(self.spike_neuron.val());
        if self.spike_arrives.val() {
            self.spikes.write_data.next = bit_cast::<16, NB>(self.spike_neuron.val()) | 0x8000;
        }
        self.spikes.write_enable.next = self.spike_write.val();
        if self.spike_write.val() {
            self.spike_count.d.next = self.spike_count.q.val() + 1;
        }
        if self.arrival_write.val() {
            self.spikes.write_address.next = !bit_cast::<NB, SRCB>(self.arrival_count.q.val());
            self.spikes.write_data.next = bit_cast::<16, NB>(self.spike_neuron.val()) | 0x8000;
            self.spikes.write_enable.next = true;
            self.arrival_count.d.next = self.arrival_count.q.val() + 1;
        }

        if self.choose.val() {
            self.chosen_neuron.d.next = self.input_index.q.val() >= self.pending.q.val();
        }
        if self.advance.val() {
            if self.chosen_neuron.q.val() {
                self.spike_index.d.next = self.spike_index.q.val() + 1;
            } else {
                self.input_index.d.next = self.input_index.q.val() + 1;
            }
        }
        if self.advance_spike.val() {
            self.spike_index.d.next = self.spike_index.q.val() + 1;
        }
        if self.rewind_spikes.val() | self.rewind.val() | self.new_tick.val() {
            self.spike_index.d.next = 0.into();
        }
        if self.rewind.val() | self.new_tick.val() {
            self.input_index.d.next = 0.into();
        }
        if self.new_tick.val() {
            self.spike_count.d.next = 0.into();
            self.arrival_count.d.next = 0.into();
        }

        self.is_neuron.next = self.chosen_neuron.q.val();
        self.neuron.next = bit_cast::<NB, 16>(self.spikes.read_data.val());
        self.arrives.next = self.spikes.read_data.val().get_bit(15);
        self.source.next = bit_cast::<SRCB, MB>(bit_cast::<MB, 16>(self.inputs.read_data.val()));
        if self.chosen_neuron.q.val() {
            self.source.next =
                self.axon_base.val() + bit_cast::<SRCB, NB>(bit_cast::<NB, 16>(self.spikes.read_data.val()));
        }
        self.more_spikes.next = self.spike_index.q.val() < self.spike_count.q.val();
        self.more_arrivals.next = self.spike_index.q.val() < self.spike_count.q.val() + self.arrival_count.q.val();
        self.any_arrivals.next = self.arrival_count.q.val().any() | self.arrival_write.val();
        self.more.next = (self.input_index.q.val() < self.pending.q.val()) | self.more_spikes.val();
        self.any_pending.next = self.pending.q.val().any();
        self.any_spikes.next = self.spike_count.q.val().any();
        self.spike_total.next = bit_cast::<16, SRCB>(self.spike_count.q.val());
        self.any.next = self.any_pending.val() | self.any_spikes.val() | self.spike_write.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    type List = SourceList<4, 4, 5>;

    fn clock(uut: &mut List) {
        uut.clock.next = true.into();
        assert!(simulate(uut, 100));
        uut.clock.next = false.into();
        assert!(simulate(uut, 100));
    }

    fn idle(uut: &mut List) {
        uut.input_write.next = false;
        uut.input_commit.next = false;
        uut.inputs_clear.next = false;
        uut.spike_write.next = false;
        uut.spike_arrives.next = false;
        uut.arrival_write.next = false;
        uut.new_tick.next = false;
        uut.rewind.next = false;
        uut.rewind_spikes.next = false;
        uut.choose.next = false;
        uut.advance.next = false;
        uut.advance_spike.next = false;
    }

    /// Walk both lists as routing does: choose, then one clock later read
    /// and advance; the sources in the order they came.
    fn walk(uut: &mut List) -> Vec<u32> {
        let mut order = Vec::new();
        idle(uut);
        assert!(simulate(uut, 100));
        while uut.more.val() {
            uut.choose.next = true;
            clock(uut);
            idle(uut);
            assert!(simulate(uut, 100));
            order.push(uut.source.val().index() as u32);
            if uut.is_neuron.val() {
                assert_eq!(uut.source.val().index(), 16 + uut.neuron.val().index());
            }
            uut.advance.next = true;
            clock(uut);
            idle(uut);
            assert!(simulate(uut, 100));
        }
        order
    }

    proptest! {
        /// A tick's sources come out as `Simulator::step_tick` routes them:
        /// the axons of every INPUT command in the order sent (ascending, as
        /// the host port checks), then the spikers in firing order; a rewind
        /// walks them again, and the next tick starts empty. Potentiation's
        /// walk gives the spikers with their arrival flags, then the
        /// arrivals that did not fire, ascending (the engine's
        /// `potentiation_order`).
        #[test]
        fn sources_come_in_routing_order(
            commands in prop::collection::vec(prop::collection::btree_set(0u16..16, 1..5), 0..4),
            neurons in prop::collection::vec((any::<bool>(), any::<bool>()), 16),
        ) {
            let spikers: Vec<u16> = (0..16).filter(|&n| neurons[n as usize].0).collect();
            let mut uut = List::default();
            uut.connect_all();
            idle(&mut uut);
            uut.new_tick.next = true;
            clock(&mut uut);
            // INPUT commands: each axon written after the pending ones, then committed.
            let mut axons: Vec<u32> = Vec::new();
            for command in &commands {
                let command: Vec<u16> = command.iter().copied().filter(|&a| axons.last().is_none_or(|&l| a as u32 > l)).collect();
                for (offset, &axon) in command.iter().enumerate() {
                    idle(&mut uut);
                    uut.input_write.next = true;
                    uut.input_offset.next = (offset as u16).to_bits();
                    uut.input_data.next = axon.to_bits();
                    uut.input_commit.next = offset + 1 == command.len();
                    clock(&mut uut);
                    axons.push(axon as u32);
                }
            }
            idle(&mut uut);
            uut.new_tick.next = true;
            clock(&mut uut);
            idle(&mut uut);
            assert!(simulate(&mut uut, 100));
            prop_assert_eq!(uut.any_pending.val(), !axons.is_empty());
            for (n, &(spike, arrive)) in neurons.iter().enumerate() {
                idle(&mut uut);
                uut.spike_write.next = spike;
                uut.spike_arrives.next = spike && arrive;
                uut.arrival_write.next = !spike && arrive;
                uut.spike_neuron.next = (n as u8).to_bits();
                assert!(simulate(&mut uut, 100));
                prop_assert!(uut.any.val() || !spike);
                prop_assert!(uut.any_arrivals.val() || spike || !arrive);
                clock(&mut uut);
            }
            idle(&mut uut);
            assert!(simulate(&mut uut, 100));
            prop_assert_eq!(uut.any.val(), !axons.is_empty() || !spikers.is_empty());
            prop_assert_eq!(uut.any_spikes.val(), !spikers.is_empty());
            let expected: Vec<u32> = axons.iter().copied().chain(spikers.iter().map(|&n| 16 + n as u32)).collect();
            prop_assert_eq!(walk(&mut uut), expected.clone());
            uut.rewind.next = true;
            clock(&mut uut);
            prop_assert_eq!(walk(&mut uut), expected);
            // Potentiation's walk, after the whole walk: the spikers with
            // their flags, then the arrivals that did not fire.
            uut.rewind_spikes.next = true;
            clock(&mut uut);
            idle(&mut uut);
            assert!(simulate(&mut uut, 100));
            let mut walked = Vec::new();
            while uut.more_arrivals.val() {
                clock(&mut uut);
                walked.push((uut.neuron.val().index() as u16, uut.arrives.val()));
                uut.advance_spike.next = true;
                clock(&mut uut);
                idle(&mut uut);
                assert!(simulate(&mut uut, 100));
            }
            let mut order: Vec<(u16, bool)> = spikers.iter().map(|&n| (n, neurons[n as usize].1)).collect();
            order.extend((0..16).filter(|&n| !neurons[n as usize].0 && neurons[n as usize].1).map(|n| (n, true)));
            prop_assert_eq!(walked, order);
            prop_assert_eq!(uut.any_arrivals.val(), neurons.iter().any(|&(s, a)| a && !s));
            uut.inputs_clear.next = true;
            uut.new_tick.next = true;
            clock(&mut uut);
            idle(&mut uut);
            assert!(simulate(&mut uut, 100));
            prop_assert!(!uut.any.val() && !uut.more.val());
        }
    }

    #[test]
    fn synthesizes() {
        let mut uut = SourceList::<8, 8, 9>::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_source_list", &generate_verilog(&uut)).unwrap();
    }
}
