//! ktstr: a test harness for Linux process schedulers.
//!
//! ktstr spawns workers that make a scheduler's behaviour visible (CPU
//! hogs, yielders, sleepers, forkers, cache and page-fault churners, ...),
//! lets a test place them in cgroups before they run, and brings back
//! honest per-worker telemetry: work done, CPU time, migrations, the
//! longest stall, wake latencies, context switches.
//!
//! Start with [`workload::WorkloadHandle`] and [`workload::WorkloadConfig`],
//! or `use ktstr::prelude::*`.
//!
//! # What it does not do (yet)
//!
//! - Grouped work types (pipe, futex, wake-chain families) are not built yet.
//! - No cgroup layer, test macro or VM runner yet.
//! - Thread-mode workers that ignore stop cannot be killed: they are
//!   reported `TimedOut` and abandoned (they end with the process).
//! - Fork workers die with the *thread* that spawned them
//!   (`PR_SET_PDEATHSIG`): spawn from a thread that outlives the handle.

#![deny(missing_docs)]

pub mod cpuset;
mod error;
pub mod interrupt;
pub mod prelude;
pub mod stats;
pub(crate) mod sys;
pub mod workload;

pub use error::{Error, Result};
