//! The core's host port alone against the protocol's twin (`spikefab_proto`)
//! and a model of what the spec says each command does (`docs/spec.md`
//! §10.2-§10.3): random command sequences, retransmissions and broken
//! commands go in as frame bytes, and the answers that come out, decoded by
//! the host's decoder, are compared with the model's; WRITE's words land in
//! the memories here (kept as arrays, read one clock after their address as
//! the block RAMs are), a STEP's axons in the input list, and a STEP runs
//! against a stand-in sequencer whose router offers its spikers' stamps for
//! the digest and whose spike list the STEP answer packs.

use proptest::prelude::*;
use rust_hdl::prelude::*;
use spikefab_hdl::core::host_port::HostPort;
use spikefab_proto::frame::{Decoder, Event, Frame};
use spikefab_proto::message::{kind, Answer, Command, NakCode, Space, VERSION};
use spikefab_proto::stream::{map_words, stamp_digest, SpikeWords};

const NB: usize = 4;
const MB: usize = 4;
const DB: usize = 2;
const SB: usize = 9;
const SIZES: (u32, u32, u32, u32) = (1 << NB, 1 << MB, 1 << DB, 1 << SB);

/// The space a space word names on this core (its low byte; §10.2).
fn space_of(word: u16) -> Option<Space> {
    let (n, m, d, s) = SIZES;
    Space::from_u16(word & 0xFF).filter(|sp| sp.words(n, m, d, s) > 0)
}

/// The first address of a WRITE or READ: the space word's high byte and the
/// address word.
fn first(word: u16, address: u16) -> u32 {
    ((word >> 8) as u32) << 16 | address as u32
}

/// What the port is connected to: the memories, the input list, the tick.
struct World {
    spaces: Vec<Vec<u16>>,
    pending: Vec<u16>,
    tick: u32,
    cycles: u64,
    /// Spikes the stand-in router sends per tick.
    spikes_per_tick: u32,
}

impl World {
    /// The stand-in tick's spike list: `spikes_per_tick` neurons, ascending.
    fn spike_list(&self) -> Vec<u16> {
        (0..self.spikes_per_tick as u16).map(|i| 3 + 5 * i).collect()
    }
}

/// What the chip remembers of the commands before: the last executed one's
/// (seq, type), the seq of the last one answered with success, and the last
/// STEP's answer.
#[derive(Default)]
struct Memory {
    last: Option<(u8, u8)>,
    order: Option<u8>,
    last_step: Option<Answer>,
}

/// The spec's answer to `frame` and its effect on the model and on what
/// the chip remembers.
fn model(world: &mut World, memory: &mut Memory, frame: &Frame) -> Answer {
    let a = answer(world, memory, frame);
    if !matches!(a, Answer::Nak { .. }) {
        memory.order = (frame.kind != kind::RESET).then_some(frame.seq);
    }
    a
}

fn answer(world: &mut World, memory: &mut Memory, frame: &Frame) -> Answer {
    let Memory { last, order, last_step } = memory;
    let p = &frame.payload;
    let nak = |code, detail| Answer::Nak {
        command: frame.kind,
        code,
        detail,
    };
    let bad_len = nak(NakCode::BadLength, p.len() as u16);
    let dup = *last == Some((frame.seq, frame.kind));
    let (n, m, d, s) = SIZES;
    let range = |space: u16, address: u16, words: i64| -> Result<Space, Answer> {
        let sp = space_of(space).ok_or(nak(NakCode::BadSpace, space))?;
        if first(space, address) as i64 + words > sp.words(n, m, d, s) as i64 {
            return Err(nak(NakCode::BadAddress, address));
        }
        Ok(sp)
    };
    match frame.kind {
        kind::INFO if p.is_empty() => Answer::Info {
            version: VERSION,
            neurons: n as u16,
            axons: m as u16,
            delay_slots: d as u16,
            syn_pages: (s >> 8) as u16,
        },
        kind::WRITE if p.len() >= 3 => match range(p[0], p[1], p.len() as i64 - 2) {
            Err(a) => a,
            Ok(sp) => {
                if !dup {
                    let at = p[1] as usize;
                    world.spaces[sp as usize][at..at + p.len() - 2].copy_from_slice(&p[2..]);
                }
                *last = Some((frame.seq, frame.kind));
                Answer::Written
            }
        },
        kind::READ if p.len() == 3 => {
            if space_of(p[0]).is_none() {
                return nak(NakCode::BadSpace, p[0]);
            }
            if p[2] == 0 || p[2] > 255 {
                return nak(NakCode::BadCount, p[2]);
            }
            match range(p[0], p[1], p[2] as i64) {
                Err(a) => a,
                Ok(sp) => Answer::Data(world.spaces[sp as usize][p[1] as usize..][..p[2] as usize].to_vec()),
            }
        }
        kind::RESET if p.is_empty() => {
            world.tick = 0;
            world.cycles = 0;
            world.pending.clear();
            *last = None;
            Answer::ResetDone
        }
        kind::STEP_MAP if p.is_empty() || p.len() > map_words(m) => bad_len,
        kind::STEP | kind::STEP_MAP => {
            if dup {
                return last_step.clone().expect("a STEP ran");
            }
            if let Some(seq) = *order {
                if frame.seq != seq.wrapping_add(1) {
                    return nak(NakCode::BadSeq, seq.wrapping_add(1) as u16);
                }
            }
            let axons = if frame.kind == kind::STEP {
                SpikeWords::List(p.clone())
            } else {
                SpikeWords::Map(p.clone())
            }
            .indices();
            let mut prev = None;
            for &a in &axons {
                if a >= m as u16 || prev.is_some_and(|q| a <= q) {
                    return nak(NakCode::BadInput, a);
                }
                prev = Some(a);
            }
            // The stand-in stamps its spikes before its 10 busy cycles.
            let digest = stamp_digest(
                world.cycles,
                std::iter::repeat_n(world.cycles, world.spikes_per_tick as usize),
            );
            world.tick += 1;
            world.cycles += 10;
            world.pending.clear();
            *last = Some((frame.seq, frame.kind));
            let a = Answer::Stepped {
                tick: world.tick,
                cycles: world.cycles as u32,
                digest,
                spikes: SpikeWords::shorter(&world.spike_list(), n),
            };
            *last_step = Some(a.clone());
            a
        }
        kind::INFO | kind::WRITE | kind::READ | kind::RESET => bad_len,
        _ => nak(NakCode::UnknownType, 0),
    }
}

type Port = HostPort<NB, MB, DB, SB, 16>;

/// The stand-in sequencer's tick.
struct TickRun {
    spikes_left: u32,
    busy_left: u32,
}

/// Run one frame through the port: its bytes in, the frames out, with the
/// stand-in memories, input list and tick behind it.
fn exchange(uut: &mut Port, world: &mut World, bytes: &[u8]) -> Vec<Frame> {
    let mut decoder = Decoder::new();
    let mut frames = Vec::new();
    let mut sent = 0usize;
    let (mut read_word, mut input_list) = (0u16, world.pending.clone());
    // The spike list: an index, its word one clock later.
    let spike_list = world.spike_list();
    let (mut spike_index, mut spike_word) = (0usize, 0u16);
    // The stand-in tick: it offers its spikers' stamps one per clock, then
    // takes 10 busy cycles; its end is `tick_done`.
    let mut run: Option<TickRun> = None;
    let (mut idle_clocks, mut clocks) = (0, 0);
    loop {
        uut.in_valid.next = sent < bytes.len();
        uut.in_data.next = bytes.get(sent).copied().unwrap_or(0).to_bits();
        uut.out_ready.next = true;
        uut.step.tick.next = world.tick.to_bits();
        uut.step.cycles.next = (world.cycles as u32).to_bits();
        uut.step.stamp.next = (world.cycles as u16).to_bits();
        let offer = run.as_ref().is_some_and(|r| r.spikes_left > 0);
        let ending = run.as_ref().is_some_and(|r| r.spikes_left == 0 && r.busy_left == 0);
        uut.step.stamp_valid.next = offer;
        uut.step.tick_done.next = ending;
        // The pacer lets a STEP's tick start one clock in three.
        uut.step.step_go.next = clocks % 3 == 0;
        uut.step.spike_total.next = (spike_list.len() as u16).to_bits();
        uut.list.neuron.next = (spike_word as u64).to_bits();
        uut.list.more.next = spike_index < spike_list.len();
        uut.access.read_word.next = read_word.to_bits();
        // The range check, as the memory map makes it.
        assert!(simulate(uut, 1000));
        let space = uut.access.space.val().to_u16();
        let words = if uut.access.is_write.val() {
            uut.access.len.val().to_u8() as i64 - 2
        } else {
            uut.access.count.val().to_u16() as i64
        };
        let named = space_of(space);
        let at = first(space, uut.access.address.val().to_u16());
        uut.access.first_cell.next = (at as u16).to_bits();
        uut.access.space_bad.next = named.is_none();
        uut.access.range_bad.next =
            named.is_some_and(|s| at as i64 + words > s.words(SIZES.0, SIZES.1, SIZES.2, SIZES.3) as i64);
        assert!(simulate(uut, 1000));
        // The clock edge.
        if uut.in_ready.val() && sent < bytes.len() {
            sent += 1;
        }
        if uut.out_valid.val() {
            if let Some(Event::Frame(f)) = decoder.push(uut.out_data.val().to_u8()) {
                frames.push(f);
            }
        }
        if uut.access.write.val() {
            let sp = named.expect("a write to a space that exists") as usize;
            world.spaces[sp][uut.access.write_cell.val().index()] = uut.data.val().to_u16();
        }
        read_word = named.map_or(0, |s| {
            world.spaces[s as usize]
                .get(uut.access.read_cell.val().index())
                .copied()
                .unwrap_or(0)
        });
        if uut.step.input_write.val() {
            let at = input_list
                .len()
                .min(world.pending.len() + uut.step.input_offset.val().index());
            input_list.truncate(at);
            input_list.push(uut.step.input_data.val().to_u16());
        }
        if uut.step.input_commit.val() {
            world.pending = input_list.clone();
        }
        spike_word = spike_list.get(spike_index).copied().unwrap_or(9);
        if uut.list.advance.val() {
            spike_index += 1;
        }
        if uut.list.rewind.val() {
            spike_index = 0;
        }
        if uut.reset.val() {
            (world.tick, world.cycles) = (0, 0);
            world.pending.clear();
            input_list.clear();
        }
        if uut.step.tick_start.val() {
            run = Some(TickRun {
                spikes_left: world.spikes_per_tick,
                busy_left: 10,
            });
            world.pending.clear();
            input_list.clear();
        } else if let Some(r) = run.as_mut() {
            if offer {
                // The port takes each stamp in the clock it is offered.
                r.spikes_left -= 1;
            } else if r.busy_left > 0 {
                r.busy_left -= 1;
                world.cycles += 1;
            } else if ending {
                world.tick += 1;
                run = None;
            }
        }
        uut.clock.next = true.into();
        assert!(simulate(uut, 1000));
        uut.clock.next = false.into();
        assert!(simulate(uut, 1000));
        idle_clocks = if uut.idle.val() { idle_clocks + 1 } else { 0 };
        clocks += 1;
        assert!(clocks < 200_000, "the port does not settle");
        if idle_clocks > 2 && sent == bytes.len() {
            return frames;
        }
    }
}

/// Commands as a host sends them, some broken.
fn frame() -> impl Strategy<Value = Frame> {
    let space = prop_oneof![
        0u16..7,
        Just(7u16),
        (0u16..10, 0u16..3).prop_map(|(s, page)| s | page << 8),
        any::<u16>()
    ];
    let address = prop_oneof![0u16..40, any::<u16>()];
    prop_oneof![
        (
            space.clone(),
            address.clone(),
            prop::collection::vec(any::<u16>(), 1..12)
        )
            .prop_map(|(s, a, d)| Frame {
                kind: kind::WRITE,
                seq: 0,
                payload: [vec![s, a], d].concat()
            }),
        (space, address, prop_oneof![1u16..20, Just(0u16), Just(256u16)]).prop_map(|(s, a, c)| Frame {
            kind: kind::READ,
            seq: 0,
            payload: vec![s, a, c]
        }),
        Just(Command::Reset.frame(0)),
        Just(Command::Info.frame(0)),
        prop_oneof![
            prop::collection::btree_set(0u16..16, 0..5).prop_map(|a| a.into_iter().collect::<Vec<_>>()),
            // Axons out of range, M itself among them.
            prop::collection::vec(prop_oneof![0u16..20, Just(1u16 << MB)], 1..5),
        ]
        .prop_map(|payload| Frame {
            kind: kind::STEP,
            seq: 0,
            payload
        }),
        prop::collection::vec(any::<u16>(), 0..3).prop_map(|payload| Frame {
            kind: kind::STEP_MAP,
            seq: 0,
            payload
        }),
        (
            prop_oneof![1u8..=8, any::<u8>()],
            prop::collection::vec(any::<u16>(), 0..5)
        )
            .prop_map(|(k, payload)| Frame {
                kind: k,
                seq: 0,
                payload,
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Every command of a random sequence (a quarter of them sent again
    /// with the same `seq`, as a host retransmits) gets the answer the spec
    /// gives it, and only that; at the end every space holds what the
    /// model's WRITEs put there.
    #[test]
    fn commands_get_the_specs_answers(
        frames in prop::collection::vec((frame(), prop::bool::weighted(0.25), prop::bool::weighted(0.7)), 1..10),
        spikes_per_tick in 0u32..3,
    ) {
        let (n, m, d, s) = SIZES;
        let sizes = Space::ALL.map(|sp| sp.words(n, m, d, s) as usize);
        let mut world = World {
            spaces: sizes.iter().map(|&w| vec![0; w]).collect(),
            pending: vec![],
            tick: 0,
            cycles: 0,
            spikes_per_tick,
        };
        let mut expected = World { spaces: world.spaces.clone(), pending: vec![], tick: 0, cycles: 0, spikes_per_tick };
        let mut memory = Memory::default();
        let mut uut = Port::default();
        uut.connect_all();
        let mut seq = 0u8;
        for (mut f, again, in_order) in frames {
            for copy in 0..1 + again as u8 {
                if copy == 0 {
                    // Mostly the seq after the last command that ran (a
                    // STEP runs only then), else just a new one.
                    seq = match memory.order {
                        Some(s) if in_order => s.wrapping_add(1),
                        _ => seq.wrapping_add(1),
                    };
                }
                f.seq = seq;
                let want = model(&mut expected, &mut memory, &f);
                let answer = exchange(&mut uut, &mut world, &f.encode());
                prop_assert_eq!(answer.len(), 1, "one answer to {:?}", f);
                prop_assert_eq!(Answer::from_frame(&answer[0]).unwrap(), want, "the answer to {:?}", f);
                prop_assert_eq!(answer[0].seq, f.seq);
                prop_assert_eq!(&world.pending, &expected.pending, "pending inputs after {:?}", f);
            }
        }
        prop_assert_eq!(world.spaces, expected.spaces);
    }
}
