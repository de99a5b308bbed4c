//! The host's end-to-end tests, as one test binary: the `spikefab` command
//! line, the link under injected faults, streaming, verification, the NIR
//! reader and importer, and (feature `mpi`) several MPI ranks. Its tests run
//! side by side on the machine's cores (cargo runs test binaries one after
//! another). Each module's own documentation says what it checks.

#[path = "nir/files.rs"]
mod nir_files;
#[path = "../../proto/tests/support/fuzz.rs"]
mod support;

mod cli;
mod link_faults;
#[cfg(feature = "mpi")]
mod mpi_cli;
mod nir_digits;
mod nir_import;
mod nir_read;
mod stream;
mod verify_divergence;
