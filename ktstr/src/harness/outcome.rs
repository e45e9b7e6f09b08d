//! [`TestOutcome`]: what a child sends back about the one test it ran, and
//! [`FailureKind`]: how its body failed.

use serde::{Deserialize, Serialize};

use crate::check::{CheckFailed, ReportGroup, Verdict};

/// How a test failed in its child, for `should_fail` and the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// A check failed: the body returned the [`CheckFailed`] of
    /// `ctx.check(..)?...done()` (also through `.context(..)`), or returned
    /// `Ok` after a recorded verdict failed.
    CheckFailed,
    /// The body returned another error (a spawn or cgroup setup that
    /// failed, its own `bail!`).
    Error,
    /// The body panicked.
    Panicked,
    /// The test's scheduler could not start, died or was ejected.
    Scheduler,
}

impl FailureKind {
    /// The kind of an error a body returned.
    pub fn of_error(e: &anyhow::Error) -> FailureKind {
        if e.downcast_ref::<CheckFailed>().is_some() {
            FailureKind::CheckFailed
        } else {
            FailureKind::Error
        }
    }

    /// In words, for messages: "a failed check", "an error", ...
    pub fn describe(self) -> &'static str {
        match self {
            FailureKind::CheckFailed => "a failed check",
            FailureKind::Error => "an error returned by the body",
            FailureKind::Panicked => "a panic",
            FailureKind::Scheduler => "a scheduler failure",
        }
    }
}

/// The result record a test child writes to its result pipe.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TestOutcome {
    /// The body returned `Ok` and every evaluated check passed.
    pub passed: bool,
    /// The body's error (with its cause chain) or panic message.
    pub error: Option<String>,
    /// Whether the body panicked.
    pub panicked: bool,
    /// How the test failed (`None` when it passed).
    #[serde(default)]
    pub failure: Option<FailureKind>,
    /// Every verdict the body evaluated through `Ctx::check`.
    pub verdicts: Vec<Verdict>,
    /// The reports of every workload `Ctx::run_workload` ran, by group.
    pub groups: Vec<ReportGroup>,
    /// How long the body ran, in ns.
    pub body_ns: u64,
    /// The body skipped itself (`Ctx::skip`) with this reason: the test is
    /// reported ignored, neither passed nor failed.
    #[serde(default)]
    pub skipped: Option<String>,
    /// What the harness saw of the test's scheduler, when it had one.
    #[serde(default)]
    pub scheduler: Option<SchedulerOutcome>,
    /// The external load generators the body checked
    /// ([`super::Ctx::check_payload`]): how each ended and its metrics.
    #[serde(default)]
    pub payloads: Vec<crate::payload::PayloadReport>,
    /// Every worker's progress, CPU and CPU time sampled over the run of
    /// the body's scenarios ([`super::Ctx::run_scenario`]), bounded.
    #[serde(default)]
    pub samples: Option<crate::scenario::Samples>,
    /// What the test ran: the `Ctx` settings in force when the body ended
    /// (thresholds included) and every workload it spawned, with its
    /// cgroup and cpuset. The record's `config`.
    #[serde(default)]
    pub config: Option<serde_json::Value>,
}

/// The test's scheduler, as the harness saw it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SchedulerOutcome {
    /// Its command line.
    pub command: String,
    /// The ops name the kernel reported once it attached.
    pub ops: Option<String>,
    /// From its start to attached, in ns.
    pub attach_ns: u64,
    /// From SIGINT to its exit, in ns (None: it failed before).
    pub exit_ns: Option<u64>,
    /// It ignored SIGINT and was killed.
    pub killed: bool,
}
