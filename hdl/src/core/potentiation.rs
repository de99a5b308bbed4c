//! `Potentiation`: the tick's third phase (`docs/spec.md` §6 phase 3, §5.2),
//! the potentiation of each spiker's plastic fan-in. The twin in
//! `spikefab-sim` is `Simulator::potentiation_phase` (with
//! `StdpParams::potentiate`); its cycles are `CycleCosts::potentiation_cost`.
//!
//! The phase walks the spike list's entries (`SourceList`): the spikers,
//! then the arrivals that did not fire (spec §5.3). Per entry,
//! `PotNeuron` waits for the list's word (and moves the walk on), and
//! `PotSpike` sees whether the neuron arrives: if not, that is all
//! (`C_skip` = 2). If it does (`C_fanin` = 4), `PotSpike` reads the fan-in
//! table, `PotFanin` the fan-in header, `PotHeader` takes its count. Then
//! per plastic fan-in synapse (`C_pot` = 7): `PotEntry` and `PotAddress`
//! read the entry's two words, `PotSource` reads the synapse word,
//! `PotWeight` its fraction word (the next) and `x_pre`, `PotCompute` is the
//! weight update's first stage, `PotWrite` its second into the synapse word,
//! `PotFraction` writes the fraction word. `done` is high in the clock that ends
//! the last entry; the trace phase ([`super::traces::Traces`]) starts in it.

use rust_hdl::prelude::*;

use super::syn_claim::SynClaim;

#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
enum PotentiationState {
    Idle,
    PotNeuron,
    PotSpike,
    PotFanin,
    PotHeader,
    PotEntry,
    PotAddress,
    PotSource,
    PotWeight,
    PotCompute,
    PotWrite,
    PotFraction,
}

/// The potentiation phase. `NB`, `SB`, `SRCB`: the core's widths.
#[derive(LogicBlock)]
pub struct Potentiation<const NB: usize, const SB: usize, const SRCB: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Start with the tick's first entry (there is one).
    pub start: Signal<In, Bit>,
    /// The spike list's current neuron.
    pub list_neuron: Signal<In, Bits<NB>>,
    /// It arrives (potentiates) this tick.
    pub list_arrives: Signal<In, Bit>,
    /// The walk has more entries (spikers or arrivals).
    pub list_more_arrivals: Signal<In, Bit>,
    /// The fan-in table's word (read the clock before; 18 bits, the high
    /// two 0 on a narrow core).
    pub fanin_data: Signal<In, Bits<18>>,
    /// The synapse memory's word (as `fanin_data`).
    pub syn_data: Signal<In, Bits<18>>,
    /// The weight update's result (`V`: the weight byte, then the fraction
    /// + 128).
    pub w_next: Signal<In, Bits<16>>,
    /// The weight update's fraction of the clock before, as stored (two's
    /// complement).
    pub fraction_next: Signal<In, Bits<8>>,
    /// A busy cycle.
    pub busy: Signal<Out, Bit>,
    /// The last spiker's fan-in ends this clock.
    pub done: Signal<Out, Bit>,
    /// Rewind the spike list's walk.
    pub list_rewind_spikes: Signal<Out, Bit>,
    /// Move past the entry.
    pub list_advance_spike: Signal<Out, Bit>,
    /// Read the fan-in table at `fanin_address`.
    pub fanin_own: Signal<Out, Bit>,
    /// Fan-in table address.
    pub fanin_address: Signal<Out, Bits<NB>>,
    /// The synapse memory's port: reads a spiker's fan-in synapses and writes back a potentiated one.
    pub syn: SynClaim<SB>,
    /// Read the `x_pre` table at `xpre_address`.
    pub xpre_own: Signal<Out, Bit>,
    /// `x_pre` read address: the synapse's source.
    pub xpre_address: Signal<Out, Bits<SRCB>>,
    /// Step the LFSR (a potentiation's first stage).
    pub lfsr_step: Signal<Out, Bit>,
    /// The weight update's first stage is a potentiation's (x_pre, a_plus,
    /// `weight`); its result is written in the next clock.
    pub first_stage: Signal<Out, Bit>,
    /// The fine weight being potentiated (the weight update's `V`: the
    /// synapse word's weight byte, then the fraction word's byte + 128), at
    /// the first stage.
    pub weight: Signal<Out, Bits<16>>,
    state: DFF<PotentiationState>,
    pointer: DFF<Bits<18>>,
    remaining: DFF<Bits<16>>,
    syn_at: DFF<Bits<18>>,
    fraction_at: DFF<Bits<SB>>,
    source: DFF<Bits<SRCB>>,
    syn_target: DFF<Bits<8>>,
    syn_weight: DFF<Bits<8>>,
    computing: DFF<Bit>,
    fanin_done: Signal<Local, Bit>,
    offset: Constant<Bits<8>>,
}

impl<const NB: usize, const SB: usize, const SRCB: usize> Default for Potentiation<NB, SB, SRCB> {
    fn default() -> Self {
        Potentiation {
            clock: Default::default(),
            start: Default::default(),
            list_neuron: Default::default(),
            list_arrives: Default::default(),
            list_more_arrivals: Default::default(),
            fanin_data: Default::default(),
            syn_data: Default::default(),
            w_next: Default::default(),
            fraction_next: Default::default(),
            busy: Default::default(),
            done: Default::default(),
            list_rewind_spikes: Default::default(),
            list_advance_spike: Default::default(),
            fanin_own: Default::default(),
            fanin_address: Default::default(),
            syn: Default::default(),
            xpre_own: Default::default(),
            xpre_address: Default::default(),
            lfsr_step: Default::default(),
            first_stage: Default::default(),
            weight: Default::default(),
            state: Default::default(),
            pointer: Default::default(),
            remaining: Default::default(),
            syn_at: Default::default(),
            fraction_at: Default::default(),
            source: Default::default(),
            syn_target: Default::default(),
            syn_weight: Default::default(),
            computing: Default::default(),
            fanin_done: Default::default(),
            offset: Constant::new(0x80u8.to_bits()),
        }
    }
}

impl<const NB: usize, const SB: usize, const SRCB: usize> Logic for Potentiation<NB, SB, SRCB> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            state,
            pointer,
            remaining,
            syn_at,
            fraction_at,
            source,
            syn_target,
            syn_weight,
            computing
        );
        // In `PotCompute` the fraction word is on `syn_data`.
        self.weight.next = bit_cast::<16, 8>(self.syn_weight.q.val()) << 8
            | bit_cast::<16, 8>(bit_cast::<8, 18>(self.syn_data.val()) ^ self.offset.val());
        self.syn.address.next = bit_cast::<SB, 18>(self.pointer.q.val());
        self.syn.data.next =
            bit_cast::<16, 8>(self.syn_target.q.val()) << 8 | bit_cast::<16, 8>(self.w_next.val().get_bits::<8>(8));
        self.fanin_address.next = self.list_neuron.val();
        self.xpre_address.next = self.source.q.val();

        self.busy.next = true;
        self.done.next = false;
        self.list_rewind_spikes.next = false;
        self.list_advance_spike.next = false;
        self.fanin_own.next = false;
        self.syn.own.next = false;
        self.syn.write.next = false;
        self.xpre_own.next = false;
        self.lfsr_step.next = false;
        // `PotCompute`, from a register of its own: it selects the weight
        // update's operands, the start of the core's longest path.
        self.first_stage.next = self.computing.q.val();
        self.computing.d.next = false;
        self.fanin_done.next = false;

        match self.state.q.val() {
            PotentiationState::Idle => {
                self.busy.next = false;
                if self.start.val() {
                    self.list_rewind_spikes.next = true;
                    self.state.d.next = PotentiationState::PotNeuron;
                }
            }
            PotentiationState::PotNeuron => {
                // The entry's word is on its way; the walk moves on (so
                // `list_more_arrivals` is about the entries after it).
                self.list_advance_spike.next = true;
                self.state.d.next = PotentiationState::PotSpike;
            }
            PotentiationState::PotSpike => {
                if self.list_arrives.val() {
                    self.fanin_own.next = true;
                    self.state.d.next = PotentiationState::PotFanin;
                } else {
                    self.fanin_done.next = true;
                }
            }
            PotentiationState::PotFanin => {
                self.syn.own.next = true;
                self.syn.address.next = bit_cast::<SB, 18>(self.fanin_data.val());
                self.pointer.d.next = self.fanin_data.val() + 1;
                self.state.d.next = PotentiationState::PotHeader;
            }
            PotentiationState::PotHeader => {
                self.remaining.d.next = bit_cast::<16, 18>(self.syn_data.val());
                if bit_cast::<16, 18>(self.syn_data.val()) == 0 {
                    self.fanin_done.next = true;
                } else {
                    self.state.d.next = PotentiationState::PotEntry;
                }
            }
            PotentiationState::PotEntry => {
                self.syn.own.next = true;
                self.pointer.d.next = self.pointer.q.val() + 1;
                self.state.d.next = PotentiationState::PotAddress;
            }
            PotentiationState::PotAddress => {
                self.syn_at.d.next = self.syn_data.val();
                // From the address's own bits: a narrow core's bits 16-17
                // are never written (X in a 4-state simulator, and an adder
                // would spread them).
                self.fraction_at.d.next = bit_cast::<SB, 18>(self.syn_data.val()) + 1;
                self.syn.own.next = true;
                self.pointer.d.next = self.pointer.q.val() + 1;
                self.state.d.next = PotentiationState::PotSource;
            }
            PotentiationState::PotSource => {
                // The entry's source is here; read the synapse word.
                self.source.d.next = bit_cast::<SRCB, 18>(self.syn_data.val());
                self.syn.own.next = true;
                self.syn.address.next = bit_cast::<SB, 18>(self.syn_at.q.val());
                self.state.d.next = PotentiationState::PotWeight;
            }
            PotentiationState::PotWeight => {
                // The synapse word is here; read its fraction word and x_pre.
                self.syn_target.d.next = self.syn_data.val().get_bits::<8>(8);
                self.syn_weight.d.next = bit_cast::<8, 18>(self.syn_data.val());
                self.xpre_own.next = true;
                self.syn.own.next = true;
                self.syn.address.next = self.fraction_at.q.val();
                self.computing.d.next = true;
                self.state.d.next = PotentiationState::PotCompute;
            }
            PotentiationState::PotCompute => {
                // x_pre and the fraction word are here: the first stage.
                self.lfsr_step.next = true;
                self.state.d.next = PotentiationState::PotWrite;
            }
            PotentiationState::PotWrite => {
                self.syn.own.next = true;
                self.syn.address.next = bit_cast::<SB, 18>(self.syn_at.q.val());
                self.syn.write.next = true;
                self.state.d.next = PotentiationState::PotFraction;
            }
            PotentiationState::PotFraction => {
                self.syn.own.next = true;
                self.syn.address.next = self.fraction_at.q.val();
                self.syn.data.next = bit_cast::<16, 8>(self.fraction_next.val());
                self.syn.write.next = true;
                self.remaining.d.next = self.remaining.q.val() - 1;
                if self.remaining.q.val() == 1 {
                    self.fanin_done.next = true;
                } else {
                    self.state.d.next = PotentiationState::PotEntry;
                }
            }
            _ => {
                self.state.d.next = PotentiationState::Idle;
            }
        }

        // What follows an entry: the next, else the end of the phase.
        if self.fanin_done.val() {
            if self.list_more_arrivals.val() {
                self.state.d.next = PotentiationState::PotNeuron;
            } else {
                self.done.next = true;
                self.state.d.next = PotentiationState::Idle;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthesizes() {
        let mut uut = Potentiation::<8, 12, 9>::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_potentiation", &generate_verilog(&uut)).unwrap();
    }
}
