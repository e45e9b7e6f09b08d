//! Scenarios and samples from a test body: [`Ctx::run_scenario`] runs a
//! scenario in the test's cgroups and records its step verdicts, its
//! workers' reports and its samples; `run_workload` and `run_cgroups`
//! sample their workers the same way while they hold. [`Ctx::samples`]
//! gives a body the series to assert over.

use std::time::{Duration, Instant};

use super::Ctx;
use crate::check::ReportGroup;
use crate::scenario::{Point, Sample, Samples, Scenario, ScenarioReport};
use crate::workload::WorkloadHandle;

impl Ctx {
    /// Run `scenario` in this test's cgroups (see [`Scenario::run`]).
    ///
    /// Every step's verdict is recorded, so a failing step fails the test
    /// even when the body returns `Ok`; end the body with
    /// `ctx.run_scenario(&s)?.into_result()` for an error that names the
    /// step, its index and its time into the run. The workers' final
    /// reports are recorded by cgroup, and the samples go into the test's
    /// JSON record (`samples`, bounded).
    pub fn run_scenario(&self, scenario: &Scenario) -> anyhow::Result<ScenarioReport> {
        let report = scenario.run(self.cgroups()?, self.topology()?)?;
        for (name, reports) in &report.reports {
            self.record_group(ReportGroup::new(name.clone(), reports.clone()));
        }
        self.recorded
            .borrow_mut()
            .verdicts
            .extend(report.steps.iter().map(|s| s.verdict.clone()));
        self.append_samples(report.every_ms, report.samples.clone());
        Ok(report)
    }

    /// The samples recorded so far by `run_workload`, `run_cgroups` and
    /// [`Ctx::run_scenario`], in time order (several runs in one body
    /// follow each other; the series is bounded like the record's, see
    /// [`Samples::bounded`]). Assert over them with
    /// [`crate::scenario::series`].
    pub fn samples(&self) -> Vec<Sample> {
        let rec = self.recorded.borrow();
        rec.samples
            .as_ref()
            .map(|s| s.rows.clone())
            .unwrap_or_default()
    }

    /// Sleep `duration` while sampling `live` (cgroup name, workload)
    /// every 100 ms, or every ms per worker when there are more than 100
    /// (each sample costs about two `/proc` reads per worker).
    pub(super) fn hold_sampling(&self, live: &[(&str, &WorkloadHandle)]) {
        let n: usize = live.iter().map(|(_, h)| h.num_workers()).sum();
        let every = Scenario::SAMPLE_EVERY.max(Duration::from_millis(n as u64));
        let t0 = Instant::now();
        let end = t0 + self.duration;
        let mut rows = Vec::new();
        loop {
            let mut points = Vec::new();
            for (wl, (name, h)) in live.iter().enumerate() {
                points.extend(h.snapshot().into_iter().map(|worker| Point {
                    cgroup: name.to_string(),
                    workload: wl,
                    worker,
                }));
            }
            rows.push(Sample {
                at_ms: t0.elapsed().as_millis() as u64,
                step: 0,
                points,
            });
            let now = Instant::now();
            if now >= end {
                break;
            }
            std::thread::sleep(every.min(end - now));
        }
        self.append_samples(every.as_millis() as u64, rows);
    }

    /// Add `rows` after what is recorded (their times continuing from the
    /// last recorded sample), bounded.
    fn append_samples(&self, every_ms: u64, rows: Vec<Sample>) {
        let mut rec = self.recorded.borrow_mut();
        let mut all: Vec<Sample> = rec.samples.take().map(|s| s.rows).unwrap_or_default();
        let offset = all.last().map_or(0, |s| s.at_ms + every_ms);
        all.extend(rows.into_iter().map(|mut s| {
            s.at_ms += offset;
            s
        }));
        rec.samples = Some(Samples::bounded(every_ms, &all));
    }

    /// The samples recorded, for the test's outcome.
    pub(crate) fn take_samples(&self) -> Option<Samples> {
        self.recorded.borrow_mut().samples.take()
    }
}
