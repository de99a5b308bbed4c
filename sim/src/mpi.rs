//! The engine over MPI (cargo feature `mpi`; the `mpi` crate over the
//! system's Open MPI or MPICH): one process per rank, started by `mpirun`,
//! each holding a share of the neurons, exchanging spikes once per window
//! ([`crate::engine::Ranks`]).
//!
//! ```no_run
//! # use spikefab_sim::{mpi::Mpi, Network, SimOptions, Simulator};
//! # fn run(net: &Network) -> Result<(), Box<dyn std::error::Error>> {
//! let mpi = Mpi::init()?;
//! let mut sim = Simulator::with_ranks(net, SimOptions::default(), Box::new(mpi.ranks()))?;
//! sim.run(1000);
//! let state = sim.state_dump(); // collective: every rank calls it
//! if mpi.rank() == 0 {
//!     println!("{} spikes, {} ticks", sim.spikes().len(), state.ticks);
//! }
//! # Ok(()) }
//! ```

use ::mpi::datatype::PartitionMut;
use ::mpi::environment::{Threading, Universe};
use ::mpi::topology::SimpleCommunicator;
use ::mpi::traits::{Communicator, CommunicatorCollectives};

use crate::engine::Ranks;

/// Why MPI could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MpiError {
    /// MPI was initialised already in this process (it can be once only).
    #[error("MPI is already initialised in this process")]
    AlreadyInitialised,
    /// The MPI library does not let a thread other than the main one call
    /// it: the engine's coordinating thread is one of its pool's.
    #[error("the MPI library offers thread support {provided:?}; the engine needs Serialized (calls from any thread, one at a time)")]
    Threading {
        /// What the library provides.
        provided: String,
    },
}

/// MPI in this process, from [`Mpi::init`] until it is dropped (then MPI
/// is finalised: drop every [`MpiRanks`] first).
pub struct Mpi {
    universe: Universe,
}

impl Mpi {
    /// Initialise MPI: once per process, before any other thread calls it.
    pub fn init() -> Result<Mpi, MpiError> {
        let (universe, provided) =
            ::mpi::initialize_with_threading(Threading::Serialized).ok_or(MpiError::AlreadyInitialised)?;
        if provided < Threading::Serialized {
            return Err(MpiError::Threading {
                provided: format!("{provided:?}"),
            });
        }
        Ok(Mpi { universe })
    }

    /// This process's rank in the world.
    pub fn rank(&self) -> usize {
        self.universe.world().rank() as usize
    }

    /// Processes in the world.
    pub fn size(&self) -> usize {
        self.universe.world().size() as usize
    }

    /// Ranks of the world on this machine (sharing its memory).
    pub fn local_size(&self) -> usize {
        self.universe.world().split_shared(0).size() as usize
    }

    /// The ranks of the world for one simulation, on a communicator of its
    /// own (a duplicate of the world's).
    pub fn ranks(&self) -> MpiRanks {
        MpiRanks {
            comm: self.universe.world().duplicate(),
        }
    }

    /// Stop every rank of the world with `code` (when one rank fails where
    /// the others would wait for it).
    pub fn abort(&self, code: i32) -> ! {
        self.universe.world().abort(code)
    }

    /// From now on a panic on this rank (after the usual message) stops
    /// every rank, instead of leaving the others waiting in a collective.
    pub fn abort_on_panic(&self) {
        let report = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            report(info);
            SimpleCommunicator::world().abort(101);
        }));
    }
}

/// `mpirun -np ranks` as a test or benchmark on one machine starts it:
/// with Open MPI's `--oversubscribe` (more ranks than cores) and, as root,
/// its `--allow-run-as-root`. The program and its arguments follow.
pub fn local_mpirun(ranks: usize) -> std::process::Command {
    let mut cmd = std::process::Command::new("mpirun");
    let open_mpi = std::process::Command::new("mpirun")
        .arg("--version")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("Open MPI"));
    if open_mpi {
        cmd.arg("--oversubscribe");
        if is_root() {
            cmd.arg("--allow-run-as-root");
        }
    }
    cmd.args(["-np", &ranks.to_string()]);
    cmd
}

/// Whether this process runs as root (Linux's /proc; false where unknown).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|l| l.split_whitespace().next())
            == Some("0")
    })
}

/// The world's ranks as the engine sees them.
pub struct MpiRanks {
    comm: SimpleCommunicator,
}

// SAFETY: MPI is initialised with MPI_THREAD_SERIALIZED (checked in
// `Mpi::init`), which allows calls from any thread as long as no two are
// concurrent; the engine calls a simulation's communicator from one thread
// at a time (the thread that coordinates its parts), and the handle is
// only moved between threads, never shared.
unsafe impl Send for MpiRanks {}

impl Ranks for MpiRanks {
    fn rank(&self) -> usize {
        self.comm.rank() as usize
    }

    fn size(&self) -> usize {
        self.comm.size() as usize
    }

    fn all_gather(&self, mine: &[u8]) -> Vec<Vec<u8>> {
        let size = self.size();
        let mut lens = vec![0u64; size];
        self.comm.all_gather_into(&(mine.len() as u64), &mut lens[..]);
        let mut out: Vec<Vec<u8>> = lens.iter().map(|&n| Vec::with_capacity(n as usize)).collect();
        // MPI counts and displacements are C ints: rounds of at most
        // 2^31 / size bytes per rank.
        let chunk = i32::MAX as usize / size;
        let longest = lens.iter().copied().max().unwrap_or(0) as usize;
        for round in 0..longest.div_ceil(chunk) {
            let piece = |n: usize| (round * chunk).min(n)..((round + 1) * chunk).min(n);
            let counts: Vec<i32> = lens.iter().map(|&n| piece(n as usize).len() as i32).collect();
            let displs: Vec<i32> = counts
                .iter()
                .scan(0, |at, &c| {
                    let d = *at;
                    *at += c;
                    Some(d)
                })
                .collect();
            let mut all = vec![0u8; counts.iter().map(|&c| c as usize).sum()];
            {
                let mut part = PartitionMut::new(&mut all[..], &counts[..], &displs[..]);
                self.comm.all_gather_varcount_into(&mine[piece(mine.len())], &mut part);
            }
            for ((o, &c), &d) in out.iter_mut().zip(&counts).zip(&displs) {
                o.extend_from_slice(&all[d as usize..(d + c) as usize]);
            }
        }
        out
    }
}
