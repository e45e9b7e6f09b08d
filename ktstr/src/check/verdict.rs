//! [`CheckResult`] and [`Verdict`]: what the checks found.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Which check produced a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckKind {
    /// A worker made no progress.
    Starvation,
    /// CPU shares in a group too far apart.
    Fairness,
    /// A worker went too long between progress checkpoints.
    Gap,
    /// Wake latency p99 too high.
    WakeLatency,
    /// A worker's work rate too low.
    WorkRate,
    /// Work rates in a group too uneven.
    ThroughputCv,
    /// Too many migrations per iteration.
    Migration,
    /// A worker ran outside its cpuset.
    Isolation,
    /// A worker did not report, panicked or hit an error.
    WorkerHealth,
    /// An external load generator ended badly or missed a limit.
    Payload,
}

/// What one check concluded.
///
/// `NotApplicable` is neither a pass nor a failure: the check had nothing
/// to compare (fairness over one worker, a CV over one rate, wake latency
/// without samples). How it counts is [`Verdict::passed`]'s rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CheckStatus {
    /// The check compared something and it was within the limit.
    Passed,
    /// The check compared something and it was outside the limit (or a
    /// check the test asked for had nothing to compare).
    Failed,
    /// The check had nothing to compare.
    NotApplicable {
        /// Why, e.g. "1 worker ran in cg_0: a spread needs at least 2".
        why: String,
    },
}

/// One evaluated check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Which check.
    pub kind: CheckKind,
    /// The group (cgroup or label) it looked at.
    pub group: String,
    /// Passed, failed or not applicable.
    pub status: CheckStatus,
    /// The limit, in words ("25 pp", "2000 ms").
    pub threshold: String,
    /// What was measured, in the same unit ("n/a" when not applicable).
    pub measured: String,
    /// What it means, naming the worker, tid, CPU and time where it can
    /// (empty when it passed).
    pub message: String,
}

impl CheckResult {
    /// Whether the check compared something and it was within the limit.
    pub fn is_passed(&self) -> bool {
        self.status == CheckStatus::Passed
    }

    /// Whether the check failed.
    pub fn is_failed(&self) -> bool {
        self.status == CheckStatus::Failed
    }

    /// Whether the check had nothing to compare.
    pub fn is_not_applicable(&self) -> bool {
        matches!(self.status, CheckStatus::NotApplicable { .. })
    }
}

/// All results of one evaluation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// Every result, passed, failed or not applicable, in evaluation order.
    pub results: Vec<CheckResult>,
}

impl Verdict {
    /// Whether the verdict is a pass. The rule:
    ///
    /// - any failed result fails it;
    /// - a not-applicable result is never counted as a pass: when every
    ///   check other than worker health is not applicable, nothing was
    ///   judged and the verdict fails;
    /// - otherwise not-applicable results are shown (as `n/a`, and in the
    ///   JSON record as `"state": "not_applicable"`) and do not fail it.
    ///
    /// A check the test *asked for* that is not applicable has already been
    /// turned into a failure by [`Checker`](super::Checker) (see there).
    pub fn passed(&self) -> bool {
        self.failures().next().is_none() && !self.nothing_judged()
    }

    /// Whether every check other than worker health was not applicable
    /// (and there was at least one).
    pub fn nothing_judged(&self) -> bool {
        let mut judging = self
            .results
            .iter()
            .filter(|r| r.kind != CheckKind::WorkerHealth)
            .peekable();
        judging.peek().is_some() && judging.all(CheckResult::is_not_applicable)
    }

    /// The failed results.
    pub fn failures(&self) -> impl Iterator<Item = &CheckResult> {
        self.results.iter().filter(|r| r.is_failed())
    }

    /// The results that had nothing to compare.
    pub fn not_applicable(&self) -> impl Iterator<Item = &CheckResult> {
        self.results.iter().filter(|r| r.is_not_applicable())
    }

    /// `Ok` when it [passed](Self::passed), else the verdict as an error.
    pub fn into_result(self) -> Result<Verdict, CheckFailed> {
        if self.passed() {
            Ok(self)
        } else {
            Err(CheckFailed { verdict: self })
        }
    }
}

/// `"Fairness [cg_0]"`: which check on which group.
fn label(r: &CheckResult) -> String {
    format!("{:?} [{}]", r.kind, r.group)
}

impl fmt::Display for Verdict {
    /// One line per result: `pass`/`FAIL`/`n/a`, the check and group,
    /// measured vs limit, and for failures the message, for not-applicable
    /// results why.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in &self.results {
            let mark = match &r.status {
                CheckStatus::Passed => "pass",
                CheckStatus::Failed => "FAIL",
                CheckStatus::NotApplicable { .. } => "n/a ",
            };
            write!(
                f,
                "  {mark} {}: {} (limit {})",
                label(r),
                r.measured,
                r.threshold
            )?;
            match &r.status {
                CheckStatus::Passed => {}
                CheckStatus::Failed => write!(f, ": {}", r.message)?,
                CheckStatus::NotApplicable { why } => write!(f, ": not applicable: {why}")?,
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// The error a failed evaluation returns: the whole verdict, so the
/// harness can print every failure and record every result.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckFailed {
    /// The verdict that did not pass.
    pub verdict: Verdict,
}

impl fmt::Display for CheckFailed {
    /// `N check(s) failed:` and one line per failure (check, group,
    /// message); or, when nothing was judged, every not-applicable check
    /// with why.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.verdict.failures().count();
        if n == 0 && self.verdict.nothing_judged() {
            writeln!(
                f,
                "no check could judge anything: every check was not applicable"
            )?;
            for r in self.verdict.not_applicable() {
                if let CheckStatus::NotApplicable { why } = &r.status {
                    writeln!(f, "  {}: not applicable: {why}", label(r))?;
                }
            }
            return Ok(());
        }
        writeln!(f, "{n} check(s) failed:")?;
        for r in self.verdict.failures() {
            writeln!(f, "  {}: {}", label(r), r.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for CheckFailed {}
