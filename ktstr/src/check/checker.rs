//! [`Checker`]: reports plus thresholds, evaluated into a verdict.

use serde::{Deserialize, Serialize};

use super::evaluate::evaluate_group;
use super::{CheckFailed, Thresholds, Verdict};
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
}

impl Checker {
    /// Check `groups` with the default thresholds.
    pub fn new(groups: Vec<ReportGroup>) -> Checker {
        Checker {
            groups,
            thresholds: Thresholds::default(),
        }
    }

    /// Check one ungrouped set of reports (group name "workload").
    pub fn for_reports(reports: &[WorkerReport]) -> Checker {
        Checker::new(vec![ReportGroup::new("workload", reports.to_vec())])
    }

    /// Replace all thresholds.
    pub fn with_thresholds(mut self, thresholds: Thresholds) -> Checker {
        self.thresholds = thresholds;
        self
    }

    /// The thresholds in force.
    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    /// Starvation check on or off (default on).
    pub fn not_starved(mut self, on: bool) -> Checker {
        self.thresholds.not_starved = on;
        self
    }

    /// Fairness: most percentage points of CPU share between workers of a
    /// group (default 25).
    pub fn max_spread_pct(mut self, pct: f64) -> Checker {
        self.thresholds.max_spread_pct = Some(pct);
        self
    }

    /// Turn the fairness check off (for deliberately asymmetric groups).
    pub fn no_spread_check(mut self) -> Checker {
        self.thresholds.max_spread_pct = None;
        self
    }

    /// Longest gap between progress checkpoints, in ms (default 2000).
    pub fn max_gap_ms(mut self, ms: u64) -> Checker {
        self.thresholds.max_gap_ms = Some(ms);
        self
    }

    /// Highest pooled p99 wake latency per group, in µs (default off).
    pub fn max_p99_wake_latency_us(mut self, us: u64) -> Checker {
        self.thresholds.max_p99_wake_latency_us = Some(us);
        self
    }

    /// Lowest work rate of any worker, in units per second (default off).
    pub fn min_work_rate(mut self, rate: f64) -> Checker {
        self.thresholds.min_work_rate = Some(rate);
        self
    }

    /// Highest coefficient of variation of work rates in a group (default
    /// off).
    pub fn max_throughput_cv(mut self, cv: f64) -> Checker {
        self.thresholds.max_throughput_cv = Some(cv);
        self
    }

    /// Highest migrations per iteration in a group (default off).
    pub fn max_migration_ratio(mut self, ratio: f64) -> Checker {
        self.thresholds.max_migration_ratio = Some(ratio);
        self
    }

    /// Cpuset isolation check on or off (default on; only groups with a
    /// cpuset are checked).
    pub fn isolation(mut self, on: bool) -> Checker {
        self.thresholds.isolation = on;
        self
    }

    /// Evaluate every enabled check on every group.
    pub fn evaluate(&self) -> Verdict {
        Verdict {
            results: self
                .groups
                .iter()
                .flat_map(|g| evaluate_group(g, &self.thresholds))
                .collect(),
        }
    }

    /// Evaluate; `Err` with the whole verdict when anything failed.
    pub fn done(self) -> Result<Verdict, CheckFailed> {
        self.evaluate().into_result()
    }
}
