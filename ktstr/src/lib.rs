//! ktstr: a test harness for Linux process schedulers.
//!
//! ktstr spawns workers that make a scheduler's behaviour visible (CPU
//! hogs, yielders, sleepers, forkers, pipe and futex ping-pong, wake
//! fan-out, lock contention, cache, page-fault, affinity and policy
//! churners), lets a test place them in cgroups before they run, and
//! brings back honest per-worker telemetry: work done, CPU time,
//! migrations, the longest stall, wake latencies, context switches. Checks
//! turn the reports into a verdict; the harness runs `#[ktstr::test]`
//! functions under `cargo test` and `cargo nextest run`, each in its own
//! supervised process.
//!
//! | module | what |
//! |---|---|
//! | [`workload`] | [`workload::WorkloadHandle`]: spawn, start, observe, stop and collect workers |
//! | [`cgroup`] | [`cgroup::CgroupManager`] (v2 and v1), [`cgroup::CgroupDef`] layouts |
//! | [`topology`] | [`topology::TestTopology`]: CPUs, SMT, LLCs, NUMA nodes, cpuset generators |
//! | [`check`] | [`check::Checker`]: starvation, fairness, gaps, wake latency, isolation, ... |
//! | [`harness`] | the `#[ktstr::test]` runtime: [`harness::Ctx`], `ktstr::main!()` |
//! | [`scheduler`] | running a test under a sched_ext scheduler |
//! | [`stats`] | percentiles and CV, the one implementation everything uses |
//! | [`scenario`] | [`scenario::Scenario`]: timed steps that change the layout while workers run, checked per step |
//! | [`payload`] | stress-ng, hackbench, perf bench sched as workloads, their metrics checked |
//! | [`scenarios`] | canned scenarios any scheduler should pass: `ktstr::scenarios::suite!()` |
//! | [`compare`] | `ktstr compare`: two runs' records, metric by metric, against noise |
//! | `plot` | (feature `plot`, on by default) a record drawn as SVG: progress, per-CPU occupancy, wake latency, steps |
//!
//! Start with `use ktstr::prelude::*`.
//!
//! # What it does not do (yet)
//!
//! - No VM mode: tests run on the host's kernel. A test that needs
//!   sched_ext on a host without it is reported ignored.
//! - Thread-mode workers that ignore stop cannot be killed: they are
//!   reported `TimedOut` and abandoned (they end with the process).
//! - Fork workers die with the *thread* that spawned them
//!   (`PR_SET_PDEATHSIG`): spawn from a thread that outlives the handle.
//! - The cgroup v2 protocol is unit-tested against a fake tree; only the
//!   v1 path runs for real on hosts with v1 CPU controllers.

#![deny(missing_docs)]
// OS calls go only through `sys`: its small safe wrappers are the one
// place the lint is allowed, each with its `// SAFETY:` reasoning.
#![deny(unsafe_code)]

// Lets `#[ktstr::test]` (which names `::ktstr`) work inside this crate too.
extern crate self as ktstr;

pub mod cgroup;
pub mod check;
pub mod compare;
pub mod cpuset;
mod error;
pub mod harness;
#[doc(hidden)]
pub mod interrupt;
pub mod payload;
#[cfg(feature = "plot")]
pub mod plot;
pub mod prelude;
pub mod scenario;
pub mod scenarios;
pub mod scheduler;
pub mod stats;
// "Did you mean": the macro crate's file, one implementation for both.
#[path = "../../ktstr-macros/src/suggest.rs"]
mod suggest;
#[allow(unsafe_code)]
pub(crate) mod sys;
pub mod topology;
pub mod vm;
mod which;
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

/// Plumbing of `#[ktstr::test]` and the harness: what the attribute's
/// expansion names and the test child sends back. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::harness::entry::{TestEntry, TestFn};
    pub use crate::harness::outcome::{FailureKind, SchedulerOutcome, TestOutcome};
    pub use anyhow;
    pub use inventory;
    pub use ktstr_macros::{__attribute_keys, __threshold_keys};

    /// The context a test child gives `entry`'s body.
    pub fn ctx(entry: &TestEntry) -> crate::harness::Ctx {
        crate::harness::Ctx::new(entry.full_name(), &entry.spec())
    }
}
