//! `NeuronMemory`: the neuron space (`docs/spec.md` §8.2, `field × N + n`),
//! one block RAM per field, behind the ports its users need: the host's
//! WRITE and READ by field, the neuron pipeline's reads (every field of a
//! neuron at once, the late fields at their own addresses) and its
//! write-back of the state (with the post-spike history in the `ref` and
//! `x_post` words), and the post-synaptic trace's write-back. The
//! twin in `spikefab-sim` is the neuron state and parameters of
//! [`spikefab_sim::NeuronParams`] and the engine's state arrays; the field
//! numbers are `spikefab_proto::message::field`'s (checked at compile time
//! against the `case` arms below, which stay literal so that the choices
//! are parallel, not a priority chain).
//!
//! Priorities on a clock with several writes to one field: the pipeline's
//! state write-back over the host, the trace write-back over the host (the
//! core never does both: a WRITE does not overlap a tick).

use rust_hdl::prelude::*;
use spikefab_proto::message::field;

use crate::memory::Bram;

// The literal field numbers of `update` are the protocol's.
const _: () = assert!(
    field::U == 0
        && field::V == 1
        && field::THETA == 2
        && field::REF == 3
        && field::X_POST == 4
        && field::DU == 5
        && field::DV == 6
        && field::BIAS == 7
        && field::V_RESET == 8
        && field::THRESHOLD == 9
        && field::THETA_INC == 10
        && field::THETA_DECAY == 11
        && field::REFRACTORY == 12
        && field::COUNT == 13
);

/// The neuron space: 13 fields of `2^NB` words.
#[derive(LogicBlock, Default)]
pub struct NeuronMemory<const NB: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The neuron every field is read at (the word appears after the edge).
    pub address: Signal<In, Bits<NB>>,
    /// The neuron phase: `theta_inc` is read at `address2`, `v_reset`,
    /// `t_ref`, `refractory` and `x_post` at `address3` (the pipeline's late
    /// inputs, see `NeuronUpdate`, and the post-spike history's words at the
    /// write-back, `crate::post_history`).
    pub late: Signal<In, Bit>,
    /// The late address of `theta_inc`.
    pub address2: Signal<In, Bits<NB>>,
    /// The late address of `v_reset`, `t_ref`, `refractory` and `x_post`.
    pub address3: Signal<In, Bits<NB>>,
    /// Synaptic current read.
    pub u: Signal<Out, Bits<16>>,
    /// Membrane read.
    pub v: Signal<Out, Bits<16>>,
    /// Threshold read.
    pub theta: Signal<Out, Bits<16>>,
    /// Refractory counter read.
    pub refractory: Signal<Out, Bits<16>>,
    /// Post-synaptic trace read.
    pub x_post: Signal<Out, Bits<16>>,
    /// The `du` word read: the current decay and, in bits 13-15, `u_shift`
    /// (spec §8.2).
    pub du: Signal<Out, Bits<16>>,
    /// Membrane decay read.
    pub dv: Signal<Out, Bits<16>>,
    /// Bias read.
    pub bias: Signal<Out, Bits<16>>,
    /// Reset membrane read.
    pub v_reset: Signal<Out, Bits<16>>,
    /// Resting threshold read.
    pub theta_base: Signal<Out, Bits<16>>,
    /// Threshold increase read.
    pub theta_inc: Signal<Out, Bits<16>>,
    /// Threshold excess decay read.
    pub theta_decay: Signal<Out, Bits<16>>,
    /// Refractory period read.
    pub t_ref: Signal<Out, Bits<16>>,
    /// The host writes `host_data` into field `host_field` of neuron `host_cell`.
    pub host_write: Signal<In, Bit>,
    /// The field the host writes.
    pub host_field: Signal<In, Bits<{ field::ADDRESS_BITS }>>,
    /// The neuron the host writes.
    pub host_cell: Signal<In, Bits<NB>>,
    /// The word the host writes.
    pub host_data: Signal<In, Bits<16>>,
    /// The field a READ returns.
    pub read_field: Signal<In, Bits<{ field::ADDRESS_BITS }>>,
    /// The word of `read_field` read at the last edge.
    pub read_word: Signal<Out, Bits<16>>,
    /// The pipeline writes the state of neuron `state_address`.
    pub state_write: Signal<In, Bit>,
    /// Its neuron.
    pub state_address: Signal<In, Bits<NB>>,
    /// New synaptic current.
    pub u_next: Signal<In, Bits<16>>,
    /// New membrane.
    pub v_next: Signal<In, Bits<16>>,
    /// The neuron is refractory: v is not written (it keeps its word).
    pub v_held: Signal<In, Bit>,
    /// New threshold.
    pub theta_next: Signal<In, Bits<16>>,
    /// New `REF` word (refractory counter and history bits 0-7).
    pub refractory_next: Signal<In, Bits<16>>,
    /// The `X_POST` word with the new history bits 8-11, written with the
    /// state (the trace is the word read: the late read of `x_post`).
    pub x_post_state: Signal<In, Bits<16>>,
    /// The trace pass writes `x_post_next` for neuron `x_post_address`.
    pub x_post_write: Signal<In, Bit>,
    /// Its neuron.
    pub x_post_address: Signal<In, Bits<NB>>,
    /// New post-synaptic trace.
    pub x_post_next: Signal<In, Bits<16>>,
    m_u: Bram<NB>,
    m_v: Bram<NB>,
    m_theta: Bram<NB>,
    m_ref: Bram<NB>,
    m_xpost: Bram<NB>,
    m_du: Bram<NB>,
    m_dv: Bram<NB>,
    m_bias: Bram<NB>,
    m_vreset: Bram<NB>,
    m_thbase: Bram<NB>,
    m_thinc: Bram<NB>,
    m_thdecay: Bram<NB>,
    m_tref: Bram<NB>,
}

impl<const NB: usize> Logic for NeuronMemory<NB> {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(
            self, clock, m_u, m_v, m_theta, m_ref, m_xpost, m_du, m_dv, m_bias, m_vreset, m_thbase, m_thinc, m_thdecay,
            m_tref
        );

        // Reads.
        self.m_u.read_address.next = self.address.val();
        self.m_v.read_address.next = self.address.val();
        self.m_theta.read_address.next = self.address.val();
        self.m_ref.read_address.next = self.address.val();
        self.m_xpost.read_address.next = self.address.val();
        self.m_du.read_address.next = self.address.val();
        self.m_dv.read_address.next = self.address.val();
        self.m_bias.read_address.next = self.address.val();
        self.m_vreset.read_address.next = self.address.val();
        self.m_thbase.read_address.next = self.address.val();
        self.m_thinc.read_address.next = self.address.val();
        self.m_thdecay.read_address.next = self.address.val();
        self.m_tref.read_address.next = self.address.val();
        if self.late.val() {
            self.m_thinc.read_address.next = self.address2.val();
            self.m_vreset.read_address.next = self.address3.val();
            self.m_tref.read_address.next = self.address3.val();
            self.m_ref.read_address.next = self.address3.val();
            self.m_xpost.read_address.next = self.address3.val();
        }
        self.u.next = self.m_u.read_data.val();
        self.v.next = self.m_v.read_data.val();
        self.theta.next = self.m_theta.read_data.val();
        self.refractory.next = self.m_ref.read_data.val();
        self.x_post.next = self.m_xpost.read_data.val();
        self.du.next = self.m_du.read_data.val();
        self.dv.next = self.m_dv.read_data.val();
        self.bias.next = self.m_bias.read_data.val();
        self.v_reset.next = self.m_vreset.read_data.val();
        self.theta_base.next = self.m_thbase.read_data.val();
        self.theta_inc.next = self.m_thinc.read_data.val();
        self.theta_decay.next = self.m_thdecay.read_data.val();
        self.t_ref.next = self.m_tref.read_data.val();

        // The host's READ: the word of one field.
        match self.read_field.val().index() {
            0 => {
                self.read_word.next = self.m_u.read_data.val();
            }
            1 => {
                self.read_word.next = self.m_v.read_data.val();
            }
            2 => {
                self.read_word.next = self.m_theta.read_data.val();
            }
            3 => {
                self.read_word.next = self.m_ref.read_data.val();
            }
            4 => {
                self.read_word.next = self.m_xpost.read_data.val();
            }
            5 => {
                self.read_word.next = self.m_du.read_data.val();
            }
            6 => {
                self.read_word.next = self.m_dv.read_data.val();
            }
            7 => {
                self.read_word.next = self.m_bias.read_data.val();
            }
            8 => {
                self.read_word.next = self.m_vreset.read_data.val();
            }
            9 => {
                self.read_word.next = self.m_thbase.read_data.val();
            }
            10 => {
                self.read_word.next = self.m_thinc.read_data.val();
            }
            11 => {
                self.read_word.next = self.m_thdecay.read_data.val();
            }
            _ => {
                self.read_word.next = self.m_tref.read_data.val();
            }
        }

        // The host's WRITE, one field.
        self.m_u.write_address.next = self.host_cell.val();
        self.m_v.write_address.next = self.host_cell.val();
        self.m_theta.write_address.next = self.host_cell.val();
        self.m_ref.write_address.next = self.host_cell.val();
        self.m_xpost.write_address.next = self.host_cell.val();
        self.m_du.write_address.next = self.host_cell.val();
        self.m_dv.write_address.next = self.host_cell.val();
        self.m_bias.write_address.next = self.host_cell.val();
        self.m_vreset.write_address.next = self.host_cell.val();
        self.m_thbase.write_address.next = self.host_cell.val();
        self.m_thinc.write_address.next = self.host_cell.val();
        self.m_thdecay.write_address.next = self.host_cell.val();
        self.m_tref.write_address.next = self.host_cell.val();
        self.m_u.write_data.next = self.host_data.val();
        self.m_v.write_data.next = self.host_data.val();
        self.m_theta.write_data.next = self.host_data.val();
        self.m_ref.write_data.next = self.host_data.val();
        self.m_xpost.write_data.next = self.host_data.val();
        self.m_du.write_data.next = self.host_data.val();
        self.m_dv.write_data.next = self.host_data.val();
        self.m_bias.write_data.next = self.host_data.val();
        self.m_vreset.write_data.next = self.host_data.val();
        self.m_thbase.write_data.next = self.host_data.val();
        self.m_thinc.write_data.next = self.host_data.val();
        self.m_thdecay.write_data.next = self.host_data.val();
        self.m_tref.write_data.next = self.host_data.val();
        self.m_u.write_enable.next = self.host_write.val() & (self.host_field.val() == 0);
        self.m_v.write_enable.next = self.host_write.val() & (self.host_field.val() == 1);
        self.m_theta.write_enable.next = self.host_write.val() & (self.host_field.val() == 2);
        self.m_ref.write_enable.next = self.host_write.val() & (self.host_field.val() == 3);
        self.m_xpost.write_enable.next = self.host_write.val() & (self.host_field.val() == 4);
        self.m_du.write_enable.next = self.host_write.val() & (self.host_field.val() == 5);
        self.m_dv.write_enable.next = self.host_write.val() & (self.host_field.val() == 6);
        self.m_bias.write_enable.next = self.host_write.val() & (self.host_field.val() == 7);
        self.m_vreset.write_enable.next = self.host_write.val() & (self.host_field.val() == 8);
        self.m_thbase.write_enable.next = self.host_write.val() & (self.host_field.val() == 9);
        self.m_thinc.write_enable.next = self.host_write.val() & (self.host_field.val() == 10);
        self.m_thdecay.write_enable.next = self.host_write.val() & (self.host_field.val() == 11);
        self.m_tref.write_enable.next = self.host_write.val() & (self.host_field.val() == 12);

        // The neuron pipeline's write-back of the state.
        if self.state_write.val() {
            self.m_u.write_address.next = self.state_address.val();
            self.m_v.write_address.next = self.state_address.val();
            self.m_theta.write_address.next = self.state_address.val();
            self.m_ref.write_address.next = self.state_address.val();
            self.m_xpost.write_address.next = self.state_address.val();
            self.m_u.write_data.next = self.u_next.val();
            self.m_v.write_data.next = self.v_next.val();
            self.m_theta.write_data.next = self.theta_next.val();
            self.m_ref.write_data.next = self.refractory_next.val();
            self.m_xpost.write_data.next = self.x_post_state.val();
            self.m_u.write_enable.next = true;
            self.m_v.write_enable.next = !self.v_held.val();
            self.m_theta.write_enable.next = true;
            self.m_ref.write_enable.next = true;
            self.m_xpost.write_enable.next = true;
        }

        // The trace pass's write-back of x_post.
        if self.x_post_write.val() {
            self.m_xpost.write_address.next = self.x_post_address.val();
            self.m_xpost.write_data.next = self.x_post_next.val();
            self.m_xpost.write_enable.next = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NB: usize = 3;

    fn clock(uut: &mut NeuronMemory<NB>) {
        uut.clock.next = true.into();
        assert!(simulate(uut, 100));
        uut.clock.next = false.into();
        assert!(simulate(uut, 100));
    }

    fn idle(uut: &mut NeuronMemory<NB>) {
        uut.host_write.next = false;
        uut.state_write.next = false;
        uut.x_post_write.next = false;
        uut.late.next = false;
    }

    fn outputs(uut: &NeuronMemory<NB>) -> [u16; 13] {
        [
            uut.u.val(),
            uut.v.val(),
            uut.theta.val(),
            uut.refractory.val(),
            uut.x_post.val(),
            uut.du.val(),
            uut.dv.val(),
            uut.bias.val(),
            uut.v_reset.val(),
            uut.theta_base.val(),
            uut.theta_inc.val(),
            uut.theta_decay.val(),
            uut.t_ref.val(),
        ]
        .map(|b| b.to_u16())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
        /// Against a model of the space, `words[field][neuron]` (the host's
        /// view, `field × N + n`): host writes by field, the state and trace
        /// write-backs, reads of every field and the READ's word by field.
        #[test]
        fn matches_a_model_of_the_space(ops in prop::collection::vec(
            (0u8..4, 0u16..13, 0u16..8, any::<u16>(), any::<[u16; 5]>()), 1..60)
        ) {
            let mut uut = NeuronMemory::<NB>::default();
            uut.connect_all();
            let mut words = [[0u16; 8]; 13];
            for (kind, f, n, data, state) in ops {
                idle(&mut uut);
                match kind {
                    0 => {
                        uut.host_write.next = true;
                        uut.host_field.next = f.to_bits();
                        uut.host_cell.next = n.to_bits();
                        uut.host_data.next = data.to_bits();
                        words[f as usize][n as usize] = data;
                    }
                    1 => {
                        uut.state_write.next = true;
                        uut.state_address.next = n.to_bits();
                        uut.u_next.next = state[0].to_bits();
                        uut.v_next.next = state[1].to_bits();
                        uut.theta_next.next = state[2].to_bits();
                        uut.refractory_next.next = state[3].to_bits();
                        uut.x_post_state.next = state[4].to_bits();
                        // A refractory neuron's v is held (not written).
                        let held = data & 1 == 1;
                        uut.v_held.next = held;
                        for (i, s) in [field::U, field::V, field::THETA, field::REF, field::X_POST].into_iter().zip(state) {
                            if !(held && i == field::V) {
                                words[i as usize][n as usize] = s;
                            }
                        }
                    }
                    2 => {
                        uut.x_post_write.next = true;
                        uut.x_post_address.next = n.to_bits();
                        uut.x_post_next.next = data.to_bits();
                        words[field::X_POST as usize][n as usize] = data;
                    }
                    _ => {}
                }
                clock(&mut uut);
                // Read neuron `n` (late fields at n + 1 and n + 2 when `late`).
                idle(&mut uut);
                let late = kind == 3;
                uut.late.next = late;
                uut.address.next = n.to_bits();
                uut.address2.next = ((n + 1) % 8).to_bits();
                uut.address3.next = ((n + 2) % 8).to_bits();
                uut.read_field.next = f.to_bits();
                clock(&mut uut);
                let got = outputs(&uut);
                for (i, g) in got.iter().enumerate() {
                    let i16 = i as u16;
                    let at = if late && i16 == field::THETA_INC {
                        (n + 1) % 8
                    } else if late && [field::V_RESET, field::REFRACTORY, field::REF, field::X_POST].contains(&i16) {
                        (n + 2) % 8
                    } else {
                        n
                    };
                    prop_assert_eq!(*g, words[i][at as usize], "field {} of neuron {}", i, at);
                }
                prop_assert_eq!(uut.read_word.val().to_u16(), got[f as usize]);
            }
        }
    }

    #[test]
    fn synthesizes() {
        let mut uut = NeuronMemory::<4>::default();
        uut.connect_all();
        crate::rungs::check_verilog("spikefab_neuron_memory", &generate_verilog(&uut)).unwrap();
    }
}
