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

/// One evaluated check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Which check.
    pub kind: CheckKind,
    /// The group (cgroup or label) it looked at.
    pub group: String,
    /// Whether it passed.
    pub passed: bool,
    /// The limit, in words ("25 pp", "2000 ms").
    pub threshold: String,
    /// What was measured, in the same unit.
    pub measured: String,
    /// What it means, naming the worker, tid, CPU and time where it can.
    pub message: String,
}

/// All results of one evaluation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// Every result, passed or not, in evaluation order.
    pub results: Vec<CheckResult>,
}

impl Verdict {
    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.results.iter().all(|r| r.passed)
    }

    /// The failed results.
    pub fn failures(&self) -> impl Iterator<Item = &CheckResult> {
        self.results.iter().filter(|r| !r.passed)
    }

    /// `Ok` when everything passed, else the failures as an error.
    pub fn into_result(self) -> Result<Verdict, CheckFailed> {
        if self.passed() {
            Ok(self)
        } else {
            Err(CheckFailed { verdict: self })
        }
    }
}

impl fmt::Display for Verdict {
    /// One line per result: `PASS`/`FAIL`, the group, measured vs limit,
    /// and for failures the message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in &self.results {
            let mark = if r.passed { "pass" } else { "FAIL" };
            write!(
                f,
                "  {mark} {:?} [{}]: {} (limit {})",
                r.kind, r.group, r.measured, r.threshold
            )?;
            if !r.passed {
                write!(f, ": {}", r.message)?;
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
    /// The verdict with at least one failure.
    pub verdict: Verdict,
}

impl fmt::Display for CheckFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.verdict.failures().count();
        writeln!(f, "{n} check(s) failed:")?;
        for r in self.verdict.failures() {
            writeln!(f, "  {}", r.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for CheckFailed {}
