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
//! - Grouped work types: only the pipe (`PipeIo`, `CachePipe`), futex
//!   (`FutexPingPong`, `FutexFanOut`, `FanOutCompute`) and lock
//!   (`MutexContention`) families so far; the wake-chain, RT, signal and
//!   epoll families are not built yet.
//! - No VM runner yet. The cgroup layer ([`cgroup`]) runs on cgroup v1 and
//!   v2; its v2 protocol is only unit-tested against a fake tree so far
//!   (see the module doc for what a v2 VM run still has to prove).
//! - Thread-mode workers that ignore stop cannot be killed: they are
//!   reported `TimedOut` and abandoned (they end with the process).
//! - Fork workers die with the *thread* that spawned them
//!   (`PR_SET_PDEATHSIG`): spawn from a thread that outlives the handle.

#![deny(missing_docs)]

pub mod check;
pub mod cgroup;
pub mod cpuset;
mod error;
pub mod harness;
pub mod interrupt;
pub mod prelude;
pub mod scheduler;
pub mod stats;
pub(crate) mod sys;
pub mod topology;
pub mod workload;

pub use error::{Error, Result};
pub use ktstr_macros::test;

/// The harness main for a `harness = false` test target:
/// `ktstr::main!();` at the end of the file expands to a `main` that runs
/// every `#[ktstr::test]` in the binary (see [`harness::run_tests`]).
#[macro_export]
macro_rules! main {
    () => {
        fn main() -> ::std::process::ExitCode {
            $crate::harness::run_tests()
        }
    };
}

#[doc(hidden)]
pub mod __private {
    pub use anyhow;
    pub use inventory;
}
