//! # spikefab-proto: the Spikefab wire protocol
//!
//! `docs/spec.md` §10, defined once: the frame format and its CRC
//! ([`frame`]), the commands, answers and events that travel in frames
//! ([`message`]), and how streaming packs a tick's spikes and digests
//! their stamps ([`stream`]). The host encodes and decodes with it; the RTL core takes its
//! constants from it, and the RTL tests drive the core with its encoder.
//!
//! ```
//! use spikefab_proto::frame::{Decoder, Event};
//! use spikefab_proto::message::{Command, Space};
//!
//! let bytes = Command::Read { space: Space::Neuron, address: 0, count: 4 }.frame(7).encode();
//! let mut rx = Decoder::new();
//! let events: Vec<Event> = bytes.iter().filter_map(|&b| rx.push(b)).collect();
//! match &events[..] {
//!     [Event::Frame(f)] => assert_eq!((f.kind, f.seq, f.payload.len()), (0x03, 7, 3)),
//!     other => panic!("{other:?}"),
//! }
//! ```
#![deny(missing_docs)]

pub mod frame;
pub mod message;
pub mod stream;
