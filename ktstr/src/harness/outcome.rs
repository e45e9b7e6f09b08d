//! [`TestOutcome`]: what a child sends back about the one test it ran.

use serde::{Deserialize, Serialize};

use crate::check::{ReportGroup, Verdict};

/// The result record a test child writes to its result pipe.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TestOutcome {
    /// The body returned `Ok` and every evaluated check passed.
    pub passed: bool,
    /// The body's error (with its cause chain) or panic message.
    pub error: Option<String>,
    /// Whether the body panicked.
    pub panicked: bool,
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
}
