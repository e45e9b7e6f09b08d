//! [`Checker`]: reports plus thresholds, evaluated into a verdict.

use serde::{Deserialize, Serialize};

use super::evaluate::evaluate_group;
use super::thresholds::{for_each_threshold, threshold_on};
use super::{CheckFailed, CheckKind, CheckResult, CheckStatus, ThresholdKey, Thresholds, Verdict};
use crate::cpuset::CpuSet;
use crate::workload::WorkerReport;

/// Reports of the workers that ran together in one cgroup (or under one
/// label), with the cpuset they were confined to, if any.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportGroup {
    /// The cgroup name or label shown in messages.
    pub name: String,
    /// The cpuset the group was confined to (for the isolation check).
    pub cpuset: Option<CpuSet>,
    /// The workers' reports.
    pub reports: Vec<WorkerReport>,
}

impl ReportGroup {
    /// A group named `name` with no cpuset.
    pub fn new(name: impl Into<String>, reports: Vec<WorkerReport>) -> ReportGroup {
        ReportGroup {
            name: name.into(),
            cpuset: None,
            reports,
        }
    }

    /// Confine the group to `cpuset` (checked by the isolation check).
    pub fn with_cpuset(mut self, cpuset: CpuSet) -> ReportGroup {
        self.cpuset = Some(cpuset);
        self
    }
}

/// Checks over groups of reports. Build it, adjust thresholds with the
/// builder methods (each states its default), then [`done`](Self::done).
///
/// # Checks with nothing to compare
///
/// A check that has nothing to compare — fairness or throughput CV over
/// fewer than two workers, wake latency without samples, migrations
/// without iterations, any per-worker check with no live worker — is
/// *not applicable*, never a pass ([`CheckStatus::NotApplicable`]). Then:
///
/// - a check the test **asked for** fails, saying it was not applicable.
///   Asked for means set through a builder method here or on `ctx.check()`
///   (`.max_spread_pct(10.0)`), or through the attribute's key
///   (`max_spread_pct = 10`); the checks that are off by default (wake
///   latency, work rate, throughput CV, migration ratio) are asked for
///   whenever they are on;
/// - a **default** check (starvation, fairness, gap, isolation) that is not
///   applicable is shown as `n/a` with the reason and does not fail the
///   verdict, provided another check passed: a single-worker group is
///   still judged for starvation and gaps;
/// - when every check except worker health is not applicable, nothing was
///   judged and the verdict fails ([`Verdict::passed`]).
///
/// ```
/// use ktstr::check::{CheckKind, Checker, ReportGroup};
/// use ktstr::prelude::*;
///
/// let mut r = WorkerReport::default();
/// r.work_units = 1000;
/// r.cpu_time_ns = 1_000_000_000;
/// r.wall_time_ns = 2_000_000_000;
/// let one = || vec![ReportGroup::new("cg_0", vec![r.clone()])];
/// // The default fairness check over one worker: not applicable, shown.
/// let v = Checker::new(one()).evaluate();
/// assert!(v.passed());
/// assert!(v.not_applicable().any(|c| c.kind == CheckKind::Fairness));
/// assert!(v.to_string().contains("n/a  Fairness [cg_0]"));
/// // Asked for explicitly, it fails and says why.
/// let v = Checker::new(one()).max_spread_pct(10.0).evaluate();
/// assert!(!v.passed());
/// assert!(v.to_string().contains("asked for (limit 10 pp) but not applicable"));
/// ```
///
/// ```
/// use ktstr::check::{Checker, ReportGroup};
/// use ktstr::prelude::*;
///
/// let mut r = WorkerReport::default();
/// r.work_units = 0;
/// r.wall_time_ns = 2_000_000_000;
/// let verdict = Checker::new(vec![ReportGroup::new("cg_0", vec![r])]).evaluate();
/// assert!(!verdict.passed());
/// assert!(verdict.to_string().contains("starved"));
/// ```
#[derive(Clone, Debug)]
#[must_use = "a Checker does nothing until evaluate() or done()"]
pub struct Checker {
    groups: Vec<ReportGroup>,
    thresholds: Thresholds,
    /// Checks set explicitly (builder methods, attribute keys).
    asked: Vec<CheckKind>,
}

impl Checker {
    /// Check `groups` with the default thresholds.
    pub fn new(groups: Vec<ReportGroup>) -> Checker {
        Checker {
            groups,
            thresholds: Thresholds::default(),
            asked: Vec::new(),
        }
    }

    /// Check one ungrouped set of reports (group name "workload").
    pub fn for_reports(reports: &[WorkerReport]) -> Checker {
        Checker::new(vec![ReportGroup::new("workload", reports.to_vec())])
    }

    /// Replace all thresholds. This does not mark the default checks as
    /// asked for (see [Checks with nothing to compare](Self#checks-with-nothing-to-compare));
    /// the builder methods do.
    pub fn with_thresholds(mut self, thresholds: Thresholds) -> Checker {
        self.thresholds = thresholds;
        self
    }

    /// Mark `kinds` as asked for: not applicable then fails them.
    pub(crate) fn asking(mut self, kinds: impl IntoIterator<Item = CheckKind>) -> Checker {
        self.asked.extend(kinds);
        self
    }

    fn is_asked(&self, kind: CheckKind) -> bool {
        match kind {
            // Off by default: on only because the test asked.
            CheckKind::WakeLatency
            | CheckKind::WorkRate
            | CheckKind::ThroughputCv
            | CheckKind::Migration
            | CheckKind::Payload => true,
            CheckKind::Starvation
            | CheckKind::Fairness
            | CheckKind::Gap
            | CheckKind::Isolation
            | CheckKind::WorkerHealth => self.asked.contains(&kind),
        }
    }

    /// A not-applicable result of an asked-for check becomes a failure.
    fn settle(&self, mut r: CheckResult) -> CheckResult {
        if let CheckStatus::NotApplicable { why } = &r.status {
            if self.is_asked(r.kind) {
                r.message = format!(
                    "asked for (limit {}) but not applicable: {why}",
                    r.threshold
                );
                r.status = CheckStatus::Failed;
            }
        }
        r
    }

    /// The thresholds in force.
    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    /// Switch the check of `key` off (for a deliberately asymmetric
    /// group, say: `.off(ThresholdKey::MaxSpreadPct)`).
    pub fn off(mut self, key: ThresholdKey) -> Checker {
        self.thresholds.off(key);
        self
    }

    /// Turn the fairness check off (for deliberately asymmetric groups);
    /// the same as `.off(ThresholdKey::MaxSpreadPct)`.
    pub fn no_spread_check(self) -> Checker {
        self.off(ThresholdKey::MaxSpreadPct)
    }

    /// Evaluate every enabled check on every group.
    pub fn evaluate(&self) -> Verdict {
        Verdict {
            results: self
                .groups
                .iter()
                .flat_map(|g| evaluate_group(g, &self.thresholds))
                .map(|r| self.settle(r))
                .collect(),
        }
    }

    /// Evaluate; `Err` with the whole verdict when anything failed.
    pub fn done(self) -> Result<Verdict, CheckFailed> {
        self.evaluate().into_result()
    }
}

/// One setter per threshold: sets it and marks its check asked for.
macro_rules! setters {
    ($($name:ident / $key:ident: $ty:ident = $default:tt, unit $unit:literal,
       check $kind:ident => $eval:ident, $doc:literal;)*) => {
        impl Checker {
            $(
                #[doc = $doc]
                #[doc = ""]
                #[doc = concat!("Default: `", stringify!($default), "` ", $unit,
                    ". Setting it marks the check asked for.")]
                pub fn $name(mut self, v: $ty) -> Checker {
                    self.thresholds.$name = threshold_on!($ty, v);
                    self.asked.push(CheckKind::$kind);
                    self
                }
            )*
        }
    };
}
for_each_threshold!(setters);
