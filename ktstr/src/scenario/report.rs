//! What a scenario run brings back: a [`StepReport`] per step (its window,
//! verdict and what each worker did in it), every sample, and the
//! workers' final reports.

use serde::{Deserialize, Serialize};

use super::series::{cgroup_of, cpu_ns, longest_stall, progress, tracks, Sample, Samples};
use crate::check::{CheckFailed, Verdict};
use crate::workload::WorkerReport;

/// What one worker did in one step's window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerStep {
    /// The cgroup it ended the step in.
    pub cgroup: String,
    /// Its workload's number in the scenario.
    pub workload: usize,
    /// Its index in that workload.
    pub index: usize,
    /// Its task id.
    pub tid: i32,
    /// Iterations done in the window.
    pub iterations: u64,
    /// CPU time in the window, in ns (None without schedstats).
    pub cpu_ns: Option<u64>,
    /// Every CPU it was seen on, ascending.
    pub cpus: Vec<u32>,
    /// How many times consecutive samples saw it on different CPUs (a
    /// lower bound of its migrations in the window).
    pub cpu_changes: u64,
    /// Its longest stretch without progress, in ms.
    pub longest_stall_ms: u64,
}

/// One step: when it ran, what its checks concluded, what each worker did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepReport {
    /// Its index in the scenario.
    pub index: usize,
    /// Its name.
    pub name: String,
    /// When its ops were done, in ms since the scenario started.
    pub started_ms: u64,
    /// When its checks' window began (`started_ms` plus its settle).
    pub window_ms: u64,
    /// When it ended.
    pub ended_ms: u64,
    /// Its checks over its window.
    pub verdict: Verdict,
    /// Every worker seen in its window.
    pub workers: Vec<WorkerStep>,
}

impl StepReport {
    pub(super) fn new(
        index: usize,
        name: &str,
        started_ms: u64,
        window: &[Sample],
        verdict: Verdict,
    ) -> StepReport {
        let workers = tracks(window)
            .iter()
            .map(|t| {
                let w = &t[0].1.worker;
                let seen: Vec<u32> = t.iter().filter_map(|(_, p)| p.worker.cpu).collect();
                let cpu_changes = seen.windows(2).filter(|w| w[0] != w[1]).count() as u64;
                let mut cpus = seen;
                cpus.sort_unstable();
                cpus.dedup();
                WorkerStep {
                    cgroup: cgroup_of(t).to_string(),
                    workload: t[0].1.workload,
                    index: w.index,
                    tid: w.tid,
                    iterations: progress(t),
                    cpu_ns: cpu_ns(t),
                    cpus,
                    cpu_changes,
                    longest_stall_ms: longest_stall(t).0,
                }
            })
            .collect();
        StepReport {
            index,
            name: name.to_string(),
            started_ms,
            window_ms: window.first().map_or(started_ms, |s| s.at_ms),
            ended_ms: window.last().map_or(started_ms, |s| s.at_ms),
            verdict,
            workers,
        }
    }

    /// The step in words for errors: `step 2 'shrink' (index 2, 1.20 s to
    /// 2.20 s into the run)`.
    pub fn describe(&self) -> String {
        format!(
            "step {} '{}' (index {}, {:.2} s to {:.2} s into the run)",
            self.index,
            self.name,
            self.index,
            self.started_ms as f64 / 1000.0,
            self.ended_ms as f64 / 1000.0
        )
    }
}

/// The result of [`Scenario::run`](super::Scenario::run).
#[derive(Debug)]
pub struct ScenarioReport {
    /// One per step, in order.
    pub steps: Vec<StepReport>,
    /// Every sample of the run.
    pub samples: Vec<Sample>,
    /// The sampling period, in ms.
    pub every_ms: u64,
    /// Every workload's final reports, by the cgroup it ended in.
    pub reports: Vec<(String, Vec<WorkerReport>)>,
}

impl ScenarioReport {
    /// Whether every step's verdict passed.
    pub fn passed(&self) -> bool {
        self.steps.iter().all(|s| s.verdict.passed())
    }

    /// The steps whose verdict failed.
    pub fn failed_steps(&self) -> impl Iterator<Item = &StepReport> {
        self.steps.iter().filter(|s| !s.verdict.passed())
    }

    /// The samples bounded for a record ([`Samples::bounded`]).
    pub fn bounded_samples(&self) -> Samples {
        Samples::bounded(self.every_ms, &self.samples)
    }

    /// `Ok` when every step passed; else the first failing step's
    /// [`CheckFailed`], with the step's name, index and time into the run
    /// as context (the harness reports it as a failed check).
    pub fn into_result(self) -> anyhow::Result<()> {
        let Some(step) = self.failed_steps().next() else {
            return Ok(());
        };
        let failed = self.failed_steps().count();
        let err = anyhow::Error::new(CheckFailed {
            verdict: step.verdict.clone(),
        });
        Err(err.context(format!(
            "{} failed ({failed} of {} steps failed)",
            step.describe(),
            self.steps.len()
        )))
    }
}
