//! The test harness: `#[ktstr::test]` registers a test and the function
//! that builds its [`TestSpec`];
//! `ktstr::main!()` (or [`run_tests`]) lists and filters the entries like
//! libtest and runs each in a supervised child process, judging it by what
//! its body returns and by the checks over its workers' reports.
//!
//! How a run works:
//!
//! ```text
//!  cargo test / nextest         the test binary (parent)            child (same binary)
//!  ───────────────────►  parse libtest args (libtest-mimic)
//!                        for each selected test:
//!                          re-exec self with KTSTR_CHILD_TEST ───► run the one body with a Ctx
//!                          capture stdout/stderr, enforce timeout    write TestOutcome to fd 3
//!                          read the outcome ◄──────────────────────  exit
//!                          judge, print, write target/ktstr/<bin>/<test>.json
//! ```
//!
//! The child runs in its own process group; a hang, crash, `exit()` or a
//! flood of output is that test's failure with the reason, and the next
//! test runs normally.
//!
//! `--repeat N` / `KTSTR_REPEAT=N` ([`Plan`]) runs each test N times: a
//! pass rate, each metric's spread, every repeat's record (`repeat.rs`).
//! A test's `retries = K` reruns a failure and reports a pass after a
//! retry as FLAKY, never as a plain pass (`retry.rs`).

mod child;
mod ctx;
mod ctx_check;
mod ctx_payload;
mod ctx_scenario;
pub(crate) mod entry;
mod expect;
pub mod kept;
pub(crate) mod outcome;
mod plan;
mod ran;
mod record;
mod repeat;
mod requirements;
mod retry;
mod run;
mod sibling;
mod spec;
mod supervise;
mod teardown;
mod vm;
mod vm_topology;

pub use crate::vm::VmSpec;
pub use ctx::{Ctx, RunningScheduler, Skipped};
pub use ctx_check::CtxCheck;
pub use ctx_payload::CtxPayloadCheck;
pub(crate) use entry::TestEntry;
pub use expect::ShouldFail;
pub(crate) use outcome::{FailureKind, SchedulerOutcome, TestOutcome};
pub use plan::{Plan, PlanError};
pub use run::run_tests;
pub(crate) use run::timeout_scale;
pub use sibling::{in_vm_guest, run_sibling, SiblingRun};
pub use spec::{CpusetLayout, Requirements, TestSpec};
pub(crate) use vm::supervise_for_guest;
