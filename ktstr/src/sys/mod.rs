//! Thin wrappers over the kernel calls the engine needs and that `nix` does
//! not cover (futexes) or covers awkwardly (per-thread CPU time, shared
//! anonymous mappings).
//!
//! Everything that touches the OS directly lives below this module, so the
//! rest of the crate can be read (and mostly unit-tested) without root.

pub(crate) mod clock;
pub(crate) mod fd;
pub(crate) mod futex;
pub(crate) mod guest;
pub(crate) mod limits;
pub(crate) mod process;
pub(crate) mod procfs;
pub(crate) mod sched;
pub(crate) mod shm;
