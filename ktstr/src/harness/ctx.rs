//! [`Ctx`]: what a test body gets — its settings, helpers to run the
//! attribute's workload, and checks that are recorded for the verdict.

use std::cell::RefCell;
use std::time::Duration;

use anyhow::Context as _;

use super::TestEntry;
use crate::check::{CheckFailed, Checker, ReportGroup, Thresholds, Verdict};
use crate::workload::{CloneMode, WorkType, WorkerReport, WorkloadConfig, WorkloadHandle};

/// The context of one running test.
///
/// The public fields are the test's settings from its attribute; a body
/// may change them before calling [`Ctx::run_workload`].
pub struct Ctx {
    /// The test's full name.
    pub name: String,
    /// How long `run_workload` runs the workload.
    pub duration: Duration,
    /// Workers `run_workload` spawns (per cgroup when there are cgroups).
    pub workers: usize,
    /// Their work type.
    pub work_type: WorkType,
    /// Processes or threads.
    pub clone_mode: CloneMode,
    /// The check thresholds: the defaults with the attribute's overrides.
    pub thresholds: Thresholds,
    recorded: RefCell<Recorded>,
}

#[derive(Default)]
struct Recorded {
    groups: Vec<ReportGroup>,
    verdicts: Vec<Verdict>,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("name", &self.name)
            .field("duration", &self.duration)
            .field("workers", &self.workers)
            .field("work_type", &self.work_type.name())
            .field("clone_mode", &self.clone_mode)
            .finish()
    }
}

impl Ctx {
    /// The context for `entry`.
    pub fn new(entry: &TestEntry) -> Ctx {
        let w = &entry.workload;
        Ctx {
            name: entry.full_name(),
            duration: w.duration,
            workers: w.workers,
            work_type: (w.work_type)(),
            clone_mode: w.clone_mode,
            thresholds: entry.thresholds.apply(Thresholds::default()),
            recorded: RefCell::default(),
        }
    }

    /// The `WorkloadConfig` the attribute describes.
    pub fn config(&self) -> WorkloadConfig {
        WorkloadConfig {
            num_workers: self.workers,
            work_type: self.work_type.clone(),
            clone_mode: self.clone_mode,
            ..Default::default()
        }
    }

    /// Spawn a workload (blocked until its `start`).
    pub fn spawn(&self, config: &WorkloadConfig) -> anyhow::Result<WorkloadHandle> {
        WorkloadHandle::spawn(config).with_context(|| {
            format!(
                "spawn {} x {} workers",
                config.num_workers,
                config.work_type.name()
            )
        })
    }

    /// Run the attribute's workload: spawn, start, wait `duration`, stop
    /// and collect. The reports are recorded for the test's JSON record.
    pub fn run_workload(&self) -> anyhow::Result<Vec<WorkerReport>> {
        let mut handle = self.spawn(&self.config())?;
        handle.start();
        std::thread::sleep(self.duration);
        let reports = handle.stop_and_collect();
        self.record_group(ReportGroup::new("workload", reports.clone()));
        Ok(reports)
    }

    /// Record a group of reports (for the JSON record and the stats block
    /// printed on failure), e.g. of a workload the body ran itself.
    pub fn record_group(&self, group: ReportGroup) {
        self.recorded.borrow_mut().groups.push(group);
    }

    /// Checks over `reports` with this test's thresholds. Reports that
    /// `run_workload` recorded keep their groups (cgroups); others form one
    /// group. Errors when `reports` is empty: a check over nothing would
    /// pass vacuously.
    pub fn check(&self, reports: &[WorkerReport]) -> anyhow::Result<CtxCheck<'_>> {
        anyhow::ensure!(
            !reports.is_empty(),
            "ctx.check() got no reports: checks over zero workers would pass vacuously"
        );
        let groups = self.regroup(reports);
        Ok(CtxCheck {
            ctx: self,
            checker: Checker::new(groups).with_thresholds(self.thresholds.clone()),
        })
    }

    /// Run the attribute's workload and check it with the thresholds.
    pub fn run_and_check(&self) -> anyhow::Result<()> {
        self.check(&self.run_workload()?)?.done()
    }

    fn regroup(&self, reports: &[WorkerReport]) -> Vec<ReportGroup> {
        let rec = self.recorded.borrow();
        let mut out: Vec<ReportGroup> = Vec::new();
        let mut rest = Vec::new();
        for r in reports {
            let home = rec
                .groups
                .iter()
                .find(|g| g.reports.iter().any(|x| x.tid == r.tid && x.index == r.index));
            match home {
                Some(g) => match out.iter_mut().find(|o| o.name == g.name) {
                    Some(o) => o.reports.push(r.clone()),
                    None => out.push(ReportGroup {
                        name: g.name.clone(),
                        cpuset: g.cpuset.clone(),
                        reports: vec![r.clone()],
                    }),
                },
                None => rest.push(r.clone()),
            }
        }
        if !rest.is_empty() {
            out.push(ReportGroup::new("workload", rest));
        }
        out
    }

    /// Everything recorded so far: (groups, verdicts).
    pub(crate) fn take_record(&self) -> (Vec<ReportGroup>, Vec<Verdict>) {
        let mut r = self.recorded.borrow_mut();
        (std::mem::take(&mut r.groups), std::mem::take(&mut r.verdicts))
    }
}

/// A [`Checker`] bound to a [`Ctx`]: adjust thresholds with the builder
/// methods, then [`done`](CtxCheck::done) records the verdict and fails the
/// test if any check failed.
#[must_use = "checks do nothing until .done()"]
pub struct CtxCheck<'a> {
    ctx: &'a Ctx,
    checker: Checker,
}

macro_rules! delegate {
    ($($(#[$doc:meta])* $name:ident($ty:ty);)*) => {
        $(
            $(#[$doc])*
            pub fn $name(self, v: $ty) -> Self {
                CtxCheck { ctx: self.ctx, checker: self.checker.$name(v) }
            }
        )*
    };
}

impl CtxCheck<'_> {
    delegate! {
        /// See [`Checker::not_starved`].
        not_starved(bool);
        /// See [`Checker::max_spread_pct`].
        max_spread_pct(f64);
        /// See [`Checker::max_gap_ms`].
        max_gap_ms(u64);
        /// See [`Checker::max_p99_wake_latency_us`].
        max_p99_wake_latency_us(u64);
        /// See [`Checker::min_work_rate`].
        min_work_rate(f64);
        /// See [`Checker::max_throughput_cv`].
        max_throughput_cv(f64);
        /// See [`Checker::max_migration_ratio`].
        max_migration_ratio(f64);
        /// See [`Checker::isolation`].
        isolation(bool);
    }

    /// See [`Checker::no_spread_check`].
    pub fn no_spread_check(self) -> Self {
        CtxCheck {
            ctx: self.ctx,
            checker: self.checker.no_spread_check(),
        }
    }

    /// Evaluate, record the verdict, and fail if any check failed.
    pub fn done(self) -> anyhow::Result<()> {
        let verdict = self.checker.evaluate();
        self.ctx.recorded.borrow_mut().verdicts.push(verdict.clone());
        verdict
            .into_result()
            .map(drop)
            .map_err(|e: CheckFailed| anyhow::Error::new(e))
    }
}
