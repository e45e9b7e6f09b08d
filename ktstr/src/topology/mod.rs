//! The CPU topology a test runs on: CPUs, cores and their SMT siblings,
//! last-level caches (LLCs) and NUMA nodes, plus generators that carve it
//! into cpusets for cgroups.
//!
//! The main type here is [`TestTopology`]. Build it from the host with
//! [`TestTopology::from_system`] (or from any sysfs tree with
//! [`TestTopology::from_sysfs`]), or make one up for unit tests with
//! [`TestTopology::synthetic`].
//!
//! ```text
//! TestTopology
//! ├── NumaNode 0 ── distances to every node
//! │   ├── Llc 0 (cache id, size)
//! │   │   ├── Core {0,1}   <- SMT siblings
//! │   │   └── Core {2,3}
//! │   └── Llc 1
//! │       └── ...
//! └── NumaNode 1
//!     └── ...
//! ```
//!
//! Cpusets are [`CpuSet`](crate::cpuset::CpuSet)s, printed and parsed in the
//! kernel's cpu-list syntax (`0-3,8,10-11`).

mod error;
mod generators;
mod model;
mod synthetic;
mod sysfs;

pub use error::TopologyError;
pub use model::{Core, Llc, NumaNode, TestTopology, LOCAL_DISTANCE, REMOTE_DISTANCE};
