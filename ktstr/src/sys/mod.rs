//! Thin wrappers over the kernel calls the crate needs, each a small safe
//! function (or type) named after what it wraps, with the reasoning that
//! makes it safe next to its one `unsafe` block.
//!
//! Everything that touches the OS directly lives below this module (the
//! only place the crate allows `unsafe` code), so the rest of the crate
//! can be read (and mostly unit-tested) without root.

pub(crate) mod clock;
pub(crate) mod fd;
pub(crate) mod futex;
pub(crate) mod guest;
pub(crate) mod limits;
pub(crate) mod mman;
pub(crate) mod process;
pub(crate) mod procfs;
pub(crate) mod sched;
pub(crate) mod shm;
pub(crate) mod signal;
pub(crate) mod task;

pub use task::Tid;
