//! [`Ctx`]: what a test body gets — its settings, helpers to run the
//! attribute's workload, and checks that are recorded for the verdict.

use std::cell::{OnceCell, RefCell};
use std::time::Duration;

use anyhow::Context as _;

use super::ctx_check::CtxCheck;
use super::{CpusetLayout, TestSpec};
use crate::cgroup::{CgroupDef, CgroupManager, CpusetSpec, Setup};
use crate::check::{CheckKind, Checker, ReportGroup, Thresholds, Verdict};
use crate::topology::TestTopology;
use crate::workload::{CloneMode, WorkType, WorkerReport, WorkloadConfig, WorkloadHandle};

/// The context of one running test.
///
/// The public fields are the test's settings from its attribute (its
/// [`TestSpec`]); a body may change them before calling
/// [`Ctx::run_workload`]. What it ran is what the test's record holds.
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
    /// Cgroups `run_workload` creates (0: none, the workers stay in the
    /// test's own cgroup).
    pub cgroups: usize,
    /// How their cpusets are laid out.
    pub cpusets: CpusetLayout,
    /// The checks the attribute set explicitly (see `Checker`: an asked-for
    /// check with nothing to compare fails).
    asked: Vec<CheckKind>,
    pub(super) recorded: RefCell<Recorded>,
    manager: OnceCell<CgroupManager>,
    topology: OnceCell<TestTopology>,
    scheduler: Option<RunningScheduler>,
}

/// The sched_ext scheduler a test runs under, attached when the body starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunningScheduler {
    /// Its command line.
    pub command: String,
    /// Its process id (and process group).
    pub pid: u32,
    /// The ops name the kernel reported (`bpfland_1.1.0_...`).
    pub ops: Option<String>,
}

#[derive(Default)]
pub(super) struct Recorded {
    groups: Vec<ReportGroup>,
    pub(super) verdicts: Vec<Verdict>,
    skipped: Option<String>,
    pub(super) payloads: Vec<crate::payload::PayloadReport>,
    pub(super) samples: Option<crate::scenario::Samples>,
    ran: Vec<super::ran::RanWorkload>,
}

/// The error [`Ctx::skip`] returns: the harness reports the test ignored
/// with the reason.
#[derive(Debug, thiserror::Error)]
#[error("skipped: {0}")]
pub struct Skipped(pub String);

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("name", &self.name)
            .field("duration", &self.duration)
            .field("workers", &self.workers)
            .field("work_type", &self.work_type.name())
            .field("clone_mode", &self.clone_mode)
            .field("cgroups", &self.cgroups)
            .field("cpusets", &self.cpusets)
            .finish()
    }
}

impl Ctx {
    /// The context of the test `name` set up by `spec` (the work type is
    /// built here, in the test's process).
    pub(crate) fn new(name: String, spec: &TestSpec) -> Ctx {
        Ctx {
            name,
            duration: spec.duration,
            workers: spec.workers,
            work_type: (spec.work_type)(),
            clone_mode: spec.clone_mode,
            thresholds: spec.thresholds.clone(),
            cgroups: spec.cgroups,
            cpusets: spec.cpusets,
            asked: spec.asked().to_vec(),
            recorded: RefCell::default(),
            manager: OnceCell::new(),
            topology: OnceCell::new(),
            scheduler: None,
        }
    }

    /// This machine's topology (read from sysfs once).
    pub fn topology(&self) -> anyhow::Result<&TestTopology> {
        if let Some(t) = self.topology.get() {
            return Ok(t);
        }
        let t = TestTopology::from_system().context("read this machine's topology")?;
        Ok(self.topology.get_or_init(|| t))
    }

    /// The test's cgroup manager, created on first use (needs root). Every
    /// cgroup made through it lives under one parent for this test, removed
    /// when the test ends, on every path.
    pub fn cgroups(&self) -> anyhow::Result<&CgroupManager> {
        if let Some(m) = self.manager.get() {
            return Ok(m);
        }
        let m = CgroupManager::new().context("set up the test's cgroups")?;
        Ok(self.manager.get_or_init(|| m))
    }

    /// The cgroup definitions the attribute describes: `cg_0`..`cg_{n-1}`,
    /// each with `workers` workers and its cpuset from `cpusets`.
    pub fn cgroup_defs(&self) -> Vec<CgroupDef> {
        let n = self.cgroups;
        (0..n)
            .map(|i| {
                let def = CgroupDef::named(format!("cg_{i}"))
                    .with_workers(self.workers)
                    .with_work_type(self.work_type.clone())
                    .with_clone_mode(self.clone_mode);
                match self.cpusets {
                    CpusetLayout::Inherit => def,
                    CpusetLayout::Disjoint => def.with_cpuset(CpusetSpec::disjoint(i, n)),
                    CpusetLayout::Overlap(f) => def.with_cpuset(CpusetSpec::overlap(i, n, f)),
                    CpusetLayout::LlcAligned => def.with_cpuset(CpusetSpec::llc(i)),
                    CpusetLayout::NumaAligned => def.with_cpuset(CpusetSpec::numa(i)),
                }
            })
            .collect()
    }

    /// Apply `defs` (create the cgroups, spawn and place the workers, start
    /// them), run for `duration` (sampling them, see [`Ctx::samples`]),
    /// stop and collect. Returns the reports of
    /// all cgroups in order; each cgroup's reports are recorded as a group
    /// (with its cpuset, for the isolation check).
    pub fn run_cgroups(&self, defs: Vec<CgroupDef>) -> anyhow::Result<Vec<WorkerReport>> {
        let applied = Setup::Defs(defs.clone())
            .apply(self.cgroups()?, self.topology()?)
            .context("apply the cgroup layout")?;
        {
            let mut rec = self.recorded.borrow_mut();
            for (d, c) in defs.iter().zip(&applied.cgroups) {
                rec.ran
                    .extend(super::ran::RanWorkload::of_def(d, c.cpuset.as_ref()));
            }
        }
        self.hold_sampling(&applied.workloads());
        let mut all = Vec::new();
        for group in applied.stop_and_collect() {
            all.extend(group.reports.iter().cloned());
            self.record_group(group);
        }
        Ok(all)
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

    /// Spawn a workload (blocked until its `start`). Its configuration is
    /// kept for the test's record.
    pub fn spawn(&self, config: &WorkloadConfig) -> anyhow::Result<WorkloadHandle> {
        self.recorded
            .borrow_mut()
            .ran
            .push(super::ran::RanWorkload {
                group: "workload".into(),
                cpuset: None,
                config: config.clone(),
            });
        WorkloadHandle::spawn(config).with_context(|| {
            format!(
                "spawn {} x {} workers",
                config.num_workers,
                config.work_type.name()
            )
        })
    }

    /// Run the attribute's workload: spawn, start, wait `duration`, stop
    /// and collect. With `cgroups > 0`, in that many cgroups laid out by
    /// `cpusets` (see [`Ctx::run_cgroups`]). The reports are recorded for
    /// the checks and the test's JSON record.
    pub fn run_workload(&self) -> anyhow::Result<Vec<WorkerReport>> {
        if self.cgroups > 0 {
            return self.run_cgroups(self.cgroup_defs());
        }
        let mut handle = self.spawn(&self.config())?;
        handle.start();
        self.hold_sampling(&[("workload", &handle)]);
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
    /// pass vacuously. A check that has nothing to compare in a group is
    /// not applicable, never a pass; one the attribute or a builder method
    /// asked for then fails (the rule is on [`Checker`]).
    pub fn check(&self, reports: &[WorkerReport]) -> anyhow::Result<CtxCheck<'_>> {
        anyhow::ensure!(
            !reports.is_empty(),
            "ctx.check() got no reports: checks over zero workers would pass vacuously"
        );
        let groups = self.regroup(reports);
        Ok(CtxCheck::new(
            self,
            Checker::new(groups)
                .with_thresholds(self.thresholds.clone())
                .asking(self.asked.iter().copied()),
        ))
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
            let home = rec.groups.iter().find(|g| {
                g.reports
                    .iter()
                    .any(|x| x.tid == r.tid && x.index == r.index)
            });
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

    /// The scheduler the test runs under (None: the kernel's default). A
    /// body may use its pid to provoke a failure (the harness reports a
    /// scheduler that exits or is ejected as the test's failure).
    pub fn scheduler(&self) -> Option<&RunningScheduler> {
        self.scheduler.as_ref()
    }

    /// Set by the harness once the scheduler attached.
    pub(crate) fn set_scheduler(&mut self, s: RunningScheduler) {
        self.scheduler = Some(s);
    }

    /// Skip this test at run time: it is reported ignored with `reason`,
    /// never passed. Returns the error to end the body with:
    /// `return ctx.skip("needs two LLCs");` or `ctx.skip("...")?;`.
    ///
    /// A body that skips and then fails some other way (another error, a
    /// panic, a scheduler that died) fails.
    pub fn skip(&self, reason: impl Into<String>) -> anyhow::Result<()> {
        let reason = reason.into();
        self.recorded.borrow_mut().skipped = Some(reason.clone());
        Err(anyhow::Error::new(Skipped(reason)))
    }

    /// The payload reports [`Ctx::check_payload`] recorded.
    pub(crate) fn take_payloads(&self) -> Vec<crate::payload::PayloadReport> {
        std::mem::take(&mut self.recorded.borrow_mut().payloads)
    }

    /// The reason given to [`Ctx::skip`], if the body skipped.
    pub(crate) fn take_skip(&self) -> Option<String> {
        self.recorded.borrow_mut().skipped.take()
    }

    /// The record's `config`: the settings in force now and every workload
    /// spawned so far.
    pub(crate) fn ran_config(&self) -> serde_json::Value {
        super::ran::config_value(self, &self.recorded.borrow().ran)
    }

    /// Everything recorded so far: (groups, verdicts).
    pub(crate) fn take_record(&self) -> (Vec<ReportGroup>, Vec<Verdict>) {
        let mut r = self.recorded.borrow_mut();
        (
            std::mem::take(&mut r.groups),
            std::mem::take(&mut r.verdicts),
        )
    }
}
