//! Scenarios from a test body: [`Ctx::run_scenario`] runs one in the
//! test's cgroups and records its step verdicts, its workers' reports and
//! its samples in the test's record.

use super::Ctx;
use crate::check::ReportGroup;
use crate::scenario::{Sample, Samples, Scenario, ScenarioReport};

impl Ctx {
    /// Run `scenario` in this test's cgroups (see [`Scenario::run`]).
    ///
    /// Every step's verdict is recorded, so a failing step fails the test
    /// even when the body returns `Ok`; end the body with
    /// `ctx.run_scenario(&s)?.into_result()` for an error that names the
    /// step, its index and its time into the run. The workers' final
    /// reports are recorded by cgroup, and the samples go into the test's
    /// JSON record (`samples`, bounded; several scenarios in one body
    /// append, their times continuing from the previous one's end).
    pub fn run_scenario(&self, scenario: &Scenario) -> anyhow::Result<ScenarioReport> {
        let report = scenario.run(self.cgroups()?, self.topology()?)?;
        for (name, reports) in &report.reports {
            self.record_group(ReportGroup::new(name.clone(), reports.clone()));
        }
        let mut rec = self.recorded.borrow_mut();
        rec.verdicts
            .extend(report.steps.iter().map(|s| s.verdict.clone()));
        let mut all: Vec<Sample> = rec.samples.take().map(|s| s.rows).unwrap_or_default();
        let offset = all.last().map_or(0, |s| s.at_ms + report.every_ms);
        all.extend(report.samples.iter().cloned().map(|mut s| {
            s.at_ms += offset;
            s
        }));
        rec.samples = Some(Samples::bounded(report.every_ms, &all));
        Ok(report)
    }

    /// The samples [`Ctx::run_scenario`] recorded.
    pub(crate) fn take_samples(&self) -> Option<Samples> {
        self.recorded.borrow_mut().samples.take()
    }
}
