//! The cgroup layer: put workers in cgroups with their own cpusets, CPU
//! weights and bandwidth limits, on cgroup v2 or v1, and leave nothing
//! behind.
//!
//! The main type here is [`CgroupManager`]: it detects the [`Hierarchy`],
//! owns one parent cgroup per run, and creates, configures, fills and
//! removes cgroups below it. [`CgroupGroup`] ties cgroups to a scope (RAII).
//! [`CgroupDef`] and [`Setup`] describe a whole layout (cgroups plus the
//! workloads in each) and apply it in one call; [`AppliedSetup`] hands
//! back one `ReportGroup` per definition. On v1 with RT group
//! scheduling every cgroup gets a real-time budget ([`RtBudget`]), so
//! `SCHED_FIFO`/`SCHED_RR` workers run in it.
//!
//! ```text
//! /sys/fs/cgroup[/cpuset, /cpu on v1]
//! └── ktstr-<pid>-<start>-<seq>      one per run (CgroupManager)
//!     ├── left                       cpuset 0, weight 100
//!     └── right                      cpuset 1, weight 200
//!         └── inner                  nested names: "right/inner"
//! ```
//!
//! What only a VM (a real v2 kernel) can prove, because the v2 protocol is
//! unit-tested against a fake tree: that the kernel accepts the
//! `subtree_control` writes in this order; that a thread root with only
//! `cpuset` and `cpu` enabled takes processes; the threaded-subtree rules
//! behind `cgroup.threads` (a thread moves only within one threaded
//! subtree, so on v2 Thread-mode and Fork-mode cgroups cannot both hold
//! tasks as siblings under one parent); and EBUSY/ESRCH timing of real
//! moves and `rmdir`.

mod backend;
mod def;
#[cfg(test)]
mod def_tests;
mod error;
mod fs;
mod group;
mod hierarchy;
mod knobs;
mod manager;
#[cfg(test)]
mod manager_tests;
mod name;
mod proc;
mod rt;
mod setup;
mod stale;
#[cfg(test)]
mod test_helpers;
mod v1;
mod v2;
#[cfg(test)]
mod v2_tests;
mod write;

pub use def::{AffinityKind, CgroupDef, CpusetSpec};
pub use error::CgroupError;
pub use group::CgroupGroup;
pub(crate) use hierarchy::v1_mount;
pub use hierarchy::{Hierarchy, CONTROLLERS};
pub use knobs::{CpuMax, CPU_WEIGHT_DEFAULT, CPU_WEIGHT_MAX, CPU_WEIGHT_MIN};
pub use manager::CgroupManager;
pub use name::{MAX_COMPONENT_LEN, MAX_DEPTH};
pub use rt::RtBudget;
pub(crate) use setup::moves_threads;
pub use setup::{AppliedCgroup, AppliedSetup, Setup};
pub use stale::PARENT_PREFIX;
pub use write::WRITE_DEADLINE;
