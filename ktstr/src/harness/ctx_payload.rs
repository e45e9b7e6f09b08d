//! External load generators from a test body: [`Ctx::start_payload`]
//! starts one in a cgroup of the test (a missing tool skips the test,
//! naming its package), and [`Ctx::check_payload`] judges its report and
//! puts it in the test's JSON record.

use anyhow::Context as _;

use super::Ctx;
use crate::check::Verdict;
use crate::payload::{Payload, PayloadCheck, PayloadError, PayloadReport, PayloadRun};

impl Ctx {
    /// Start `payload` (stress-ng, hackbench, perf bench sched, any
    /// command) beside the test's workers. With `cgroup`, it runs from its
    /// first instruction in that cgroup of the test (created under the
    /// test's run parent when absent, removed with the test); without, in
    /// the test process's own cgroups.
    ///
    /// A payload whose program is not installed skips the test (reported
    /// ignored with the package to install), never passes it.
    pub fn start_payload(
        &self,
        payload: &Payload,
        cgroup: Option<&str>,
    ) -> anyhow::Result<PayloadRun> {
        if let Err(e @ PayloadError::Missing { .. }) = payload.locate() {
            self.skip(format!("needs the payload: {e}"))?;
        }
        let Some(name) = cgroup else {
            return Ok(payload.start()?);
        };
        let mgr = self.cgroups()?;
        if !mgr.exists(name) {
            mgr.create_cgroup(name).with_context(|| {
                format!(
                    "create cgroup {name:?} for payload `{}`",
                    payload.command_line()
                )
            })?;
        }
        Ok(payload.start_placed(|pid| mgr.move_task(name, pid).map_err(|e| e.to_string()))?)
    }

    /// Checks over a payload's report (it ended cleanly, its output was
    /// readable, and the limits added with `min`/`max`); `done()` records
    /// the report and the verdict in the test's record and fails the test
    /// when a check failed.
    pub fn check_payload(&self, report: PayloadReport) -> CtxPayloadCheck<'_> {
        CtxPayloadCheck {
            ctx: self,
            report,
            limits: Vec::new(),
        }
    }

    pub(crate) fn record_payload(&self, report: PayloadReport, verdict: Verdict) {
        let mut rec = self.recorded.borrow_mut();
        rec.payloads.push(report);
        rec.verdicts.push(verdict);
    }
}

/// A [`PayloadCheck`] bound to a [`Ctx`]; see [`Ctx::check_payload`].
#[must_use = "checks do nothing until .done()"]
#[derive(Debug)]
pub struct CtxPayloadCheck<'a> {
    ctx: &'a Ctx,
    report: PayloadReport,
    limits: Vec<(String, bool, f64)>,
}

impl CtxPayloadCheck<'_> {
    /// Metric `name` must be at least `value`.
    pub fn min(mut self, name: &str, value: f64) -> Self {
        self.limits.push((name.into(), true, value));
        self
    }

    /// Metric `name` must be at most `value`.
    pub fn max(mut self, name: &str, value: f64) -> Self {
        self.limits.push((name.into(), false, value));
        self
    }

    /// Judge, record, and fail the test if a check failed.
    pub fn done(self) -> anyhow::Result<()> {
        let mut check: PayloadCheck<'_> = self.report.check();
        for (name, is_min, v) in &self.limits {
            check = if *is_min {
                check.min(name, *v)
            } else {
                check.max(name, *v)
            };
        }
        let verdict = check.done();
        let result = verdict.clone().into_result().map(drop);
        self.ctx.record_payload(self.report, verdict);
        Ok(result?)
    }
}
