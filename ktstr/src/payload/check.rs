//! [`PayloadCheck`]: checks over a [`PayloadReport`] — it ended cleanly,
//! its output was readable, and its metrics are within limits.

use crate::check::{CheckKind, CheckResult, CheckStatus, Verdict};

use super::report::PayloadReport;

/// Checks over one payload's report. By default: it ended cleanly (exit 0,
/// or stopped by ktstr with SIGINT) and, for a tool with metrics, its
/// output held them. Add limits with [`min`](Self::min) and
/// [`max`](Self::max); [`done`](Self::done) gives the verdict.
#[must_use = "checks do nothing until .done()"]
#[derive(Debug)]
pub struct PayloadCheck<'a> {
    report: &'a PayloadReport,
    limits: Vec<(String, Option<f64>, Option<f64>)>,
}

impl<'a> PayloadCheck<'a> {
    pub(super) fn new(report: &'a PayloadReport) -> PayloadCheck<'a> {
        PayloadCheck {
            report,
            limits: Vec::new(),
        }
    }

    /// Metric `name` must be at least `value`.
    pub fn min(mut self, name: &str, value: f64) -> Self {
        self.limits.push((name.into(), Some(value), None));
        self
    }

    /// Metric `name` must be at most `value`.
    pub fn max(mut self, name: &str, value: f64) -> Self {
        self.limits.push((name.into(), None, Some(value)));
        self
    }

    /// The verdict: one result per check.
    pub fn done(self) -> Verdict {
        let r = self.report;
        let group = r.command.clone();
        let tail = || format!("; its last output:\n{}", r.output_tail);
        let result =
            |passed: bool, threshold: String, measured: String, message: String| CheckResult {
                kind: CheckKind::Payload,
                group: group.clone(),
                status: if passed {
                    CheckStatus::Passed
                } else {
                    CheckStatus::Failed
                },
                threshold,
                measured,
                message,
            };
        let mut results = vec![result(
            r.ended_cleanly(),
            "exit 0 (or stopped by ktstr)".into(),
            format!("{:?}", r.exit),
            format!("payload `{}` ended with {:?}{}", r.command, r.exit, tail()),
        )];
        if let Some(e) = &r.parse_error {
            results.push(result(
                false,
                "readable results".into(),
                "unreadable".into(),
                format!("payload `{}`: {e}{}", r.command, tail()),
            ));
        }
        for (name, lo, hi) in &self.limits {
            let want = match (lo, hi) {
                (Some(l), _) => format!("{name} >= {l}"),
                (_, Some(h)) => format!("{name} <= {h}"),
                _ => unreachable!("a limit has a bound"),
            };
            let (passed, measured, message) = match r.metric(name) {
                None => (
                    false,
                    "absent".into(),
                    format!(
                        "payload `{}` reported no metric {name:?} (it has: {})",
                        r.command,
                        r.metrics.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                ),
                Some(v) => {
                    let ok = lo.map_or(true, |l| v >= l) && hi.map_or(true, |h| v <= h);
                    (
                        ok,
                        format!("{v}"),
                        format!("payload `{}`: {name} = {v}, want {want}", r.command),
                    )
                }
            };
            results.push(result(passed, want, measured, message));
        }
        Verdict { results }
    }
}
