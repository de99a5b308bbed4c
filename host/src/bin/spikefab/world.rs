//! The processes `spikefab sim` runs in: this one alone, or the MPI ranks
//! `mpirun` started (cargo feature `mpi`).

use anyhow::{bail, Result};
use spikefab_sim::Ranks;

/// Environment variables an MPI launcher sets to the world's size: Open
/// MPI's, then MPICH's (Hydra) and PMIx's.
const SIZE_VARS: [&str; 3] = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"];

/// The world's size as the launcher gave it, if an MPI launcher started
/// this process.
fn launched_size() -> Option<usize> {
    SIZE_VARS
        .iter()
        .find_map(|v| std::env::var(v).ok())
        .and_then(|s| s.trim().parse().ok())
}

/// This process and the others of its run.
pub struct World {
    #[cfg(feature = "mpi")]
    mpi: Option<spikefab_sim::mpi::Mpi>,
}

impl World {
    /// Join the world: MPI when `mpirun` started this process with other
    /// ranks, else this process alone. Refuses to run several copies of a
    /// build without MPI, which would each write the same files.
    pub fn join() -> Result<World> {
        let launched = launched_size().unwrap_or(1);
        #[cfg(feature = "mpi")]
        {
            let mpi = match launched {
                1 => None,
                _ => Some(spikefab_sim::mpi::Mpi::init()?),
            };
            if let Some(m) = &mpi {
                m.abort_on_panic();
            }
            Ok(World { mpi })
        }
        #[cfg(not(feature = "mpi"))]
        {
            if launched > 1 {
                bail!(
                    "started as one of {launched} MPI ranks, but this spikefab was built without MPI: \
                     build it with `cargo build --release -p spikefab-host --features mpi`"
                );
            }
            Ok(World {})
        }
    }

    /// This process's rank.
    pub fn rank(&self) -> usize {
        #[cfg(feature = "mpi")]
        if let Some(m) = &self.mpi {
            return m.rank();
        }
        0
    }

    /// Processes in the world (1 without MPI).
    pub fn size(&self) -> usize {
        #[cfg(feature = "mpi")]
        if let Some(m) = &self.mpi {
            return m.size();
        }
        1
    }

    /// The ranks for one simulation, when there are several.
    pub fn ranks(&self) -> Option<Box<dyn Ranks>> {
        #[cfg(feature = "mpi")]
        if let Some(m) = &self.mpi {
            return Some(Box::new(m.ranks()));
        }
        None
    }

    /// `r`, unless it failed while other ranks run this simulation too:
    /// then report the error and stop every rank, since a rank that fails
    /// alone (a file missing on its machine, threads that cannot start)
    /// would leave the others waiting for it in a collective.
    pub fn settle<T>(&self, r: Result<T>) -> Result<T> {
        #[cfg(feature = "mpi")]
        if let (Err(e), Some(m)) = (&r, &self.mpi) {
            eprintln!("error (rank {}): {e:#}", m.rank());
            m.abort(1);
        }
        r
    }

    /// Threads per rank when none are asked for: this machine's cores
    /// shared by the ranks on it (all of them for one process).
    pub fn default_threads(&self) -> usize {
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        #[cfg(feature = "mpi")]
        if let Some(m) = &self.mpi {
            return (cores / m.local_size()).max(1);
        }
        cores
    }
}

/// Fail if an MPI launcher started several copies of a command that runs
/// in one process (only `spikefab sim` spreads over ranks).
pub fn refuse_ranks(command: &str) -> Result<()> {
    match launched_size() {
        Some(size) if size > 1 => {
            bail!(
                "`spikefab {command}` runs in one process: only `spikefab sim` spreads over MPI ranks ({size} started)"
            )
        }
        _ => Ok(()),
    }
}
