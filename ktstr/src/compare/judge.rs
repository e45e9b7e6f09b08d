//! Matching two runs' records by test and judging each metric's change.

use std::collections::BTreeMap;

use super::load::TestRun;
use super::metrics::{Direction, METRICS};
use crate::stats::{cv, mean};

/// The verdict on one metric (or on a test's presence).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Moved the better way by more than the noise.
    Better,
    /// Moved the worse way by more than the noise: a regression.
    Worse,
    /// Within the threshold and the noise.
    WithinNoise,
    /// Moved by more than the noise, but the metric has no better
    /// direction.
    Changed,
    /// Only run A has it.
    OnlyInA,
    /// Only run B has it.
    OnlyInB,
}

/// One metric of one test, A against B.
#[derive(Clone, Debug, serde::Serialize)]
pub struct MetricChange {
    /// The metric's name (see [`super::METRICS`]).
    pub metric: &'static str,
    /// Its unit.
    pub unit: &'static str,
    /// Mean over A's repeats.
    pub a: Option<f64>,
    /// Mean over B's repeats.
    pub b: Option<f64>,
    /// (b - a) / a in percent; None when a side lacks it or a is 0.
    pub change_pct: Option<f64>,
    /// The noise of the difference in percent, from repeats; None without
    /// repeats on either side.
    pub noise_pct: Option<f64>,
    /// The verdict.
    pub verdict: Verdict,
}

/// One test, A against B.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TestChange {
    /// `binary/test`.
    pub test: String,
    /// Records of it in A (repeats).
    pub a_runs: usize,
    /// Records of it in B.
    pub b_runs: usize,
    /// Passed runs / runs in A.
    pub a_passed: usize,
    /// Passed runs / runs in B.
    pub b_passed: usize,
    /// Verdict on the pass rate: Worse when B passed less often than A.
    pub result: Verdict,
    /// Per-metric changes (empty when only one side has the test).
    pub metrics: Vec<MetricChange>,
}

/// A whole comparison.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Comparison {
    /// The threshold used, percent.
    pub threshold_pct: f64,
    /// ktstr versions that wrote A's and B's records, when they differ.
    pub versions: Option<(Vec<String>, Vec<String>)>,
    /// Per test, sorted by name.
    pub tests: Vec<TestChange>,
}

impl Comparison {
    /// Whether any test or metric got worse: what fails a CI gate.
    pub fn regressed(&self) -> bool {
        self.tests.iter().any(|t| {
            t.result == Verdict::Worse || t.metrics.iter().any(|m| m.verdict == Verdict::Worse)
        })
    }
}

fn group(runs: &[TestRun]) -> BTreeMap<&str, Vec<&TestRun>> {
    let mut m: BTreeMap<&str, Vec<&TestRun>> = BTreeMap::new();
    for r in runs {
        m.entry(r.key.as_str()).or_default().push(r);
    }
    m
}

fn versions(runs: &[TestRun]) -> Vec<String> {
    let mut v: Vec<String> = runs.iter().filter_map(|r| r.version.clone()).collect();
    v.sort();
    v.dedup();
    v
}

/// The CV of a side's values in percent, when it has repeats.
fn side_noise(values: &[f64]) -> Option<f64> {
    (values.len() >= 2)
        .then(|| cv(values))
        .flatten()
        .map(|c| 100.0 * c.abs())
}

fn judge_metric(
    def: &super::MetricDef,
    a: &[&TestRun],
    b: &[&TestRun],
    threshold: f64,
) -> Option<MetricChange> {
    let vals = |side: &[&TestRun]| -> Vec<f64> {
        side.iter()
            .filter_map(|r| r.metrics.get(def.name).copied())
            .collect()
    };
    let (va, vb) = (vals(a), vals(b));
    if va.is_empty() && vb.is_empty() {
        return None;
    }
    let (ma, mb) = (mean(&va), mean(&vb));
    let noise = match (side_noise(&va), side_noise(&vb)) {
        (None, None) => None,
        (x, y) => Some((x.unwrap_or(0.0).powi(2) + y.unwrap_or(0.0).powi(2)).sqrt()),
    };
    let change_pct = match (ma, mb) {
        (Some(x), Some(y)) if x != 0.0 => Some(100.0 * (y - x) / x.abs()),
        _ => None,
    };
    let verdict = match (ma, mb) {
        (Some(_), None) => Verdict::OnlyInA,
        (None, Some(_)) => Verdict::OnlyInB,
        (Some(x), Some(y)) => {
            // 0 → 0 is no change; 0 → something is an infinite change.
            let size = change_pct.map_or(if x == y { 0.0 } else { f64::INFINITY }, f64::abs);
            let allowed = threshold.max(2.0 * noise.unwrap_or(0.0));
            if size <= allowed {
                Verdict::WithinNoise
            } else {
                match def.direction {
                    Direction::Neither => Verdict::Changed,
                    Direction::Higher if y > x => Verdict::Better,
                    Direction::Lower if y < x => Verdict::Better,
                    _ => Verdict::Worse,
                }
            }
        }
        (None, None) => unreachable!("checked above"),
    };
    Some(MetricChange {
        metric: def.name,
        unit: def.unit,
        a: ma,
        b: mb,
        change_pct,
        noise_pct: noise,
        verdict,
    })
}

/// Compare run A with run B, matching records by test. `threshold_pct` is
/// the smallest change judged better or worse when the noise is smaller.
pub fn compare(a: &[TestRun], b: &[TestRun], threshold_pct: f64) -> Comparison {
    let (ga, gb) = (group(a), group(b));
    let mut keys: Vec<&str> = ga.keys().chain(gb.keys()).copied().collect();
    keys.sort();
    keys.dedup();
    let empty = Vec::new();
    let tests = keys
        .into_iter()
        .map(|k| {
            let ra = ga.get(k).unwrap_or(&empty);
            let rb = gb.get(k).unwrap_or(&empty);
            let passed = |s: &[&TestRun]| s.iter().filter(|r| r.result == "passed").count();
            let (pa, pb) = (passed(ra), passed(rb));
            let result = match (ra.is_empty(), rb.is_empty()) {
                (false, true) => Verdict::OnlyInA,
                (true, false) => Verdict::OnlyInB,
                _ => {
                    let rate = |p: usize, n: usize| p as f64 / n as f64;
                    let (x, y) = (rate(pa, ra.len()), rate(pb, rb.len()));
                    if y < x {
                        Verdict::Worse
                    } else if y > x {
                        Verdict::Better
                    } else {
                        Verdict::WithinNoise
                    }
                }
            };
            let metrics = if ra.is_empty() || rb.is_empty() {
                Vec::new()
            } else {
                METRICS
                    .iter()
                    .filter_map(|d| judge_metric(d, ra, rb, threshold_pct))
                    .collect()
            };
            TestChange {
                test: k.to_string(),
                a_runs: ra.len(),
                b_runs: rb.len(),
                a_passed: pa,
                b_passed: pb,
                result,
                metrics,
            }
        })
        .collect();
    let (va, vb) = (versions(a), versions(b));
    Comparison {
        threshold_pct,
        versions: (va != vb).then_some((va, vb)),
        tests,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn run(key: &str, result: &str, rate: f64, p99: f64) -> TestRun {
        let mut metrics = BTreeMap::new();
        metrics.insert("work_rate", rate);
        metrics.insert("wake_p99", p99);
        metrics.insert("context_switches", rate);
        TestRun {
            key: key.into(),
            result: result.into(),
            version: Some("0.1.0".into()),
            metrics,
            path: PathBuf::new(),
        }
    }

    fn verdict(c: &Comparison, test: &str, metric: &str) -> Verdict {
        c.tests
            .iter()
            .find(|t| t.test == test)
            .unwrap()
            .metrics
            .iter()
            .find(|m| m.metric == metric)
            .unwrap()
            .verdict
    }

    #[test]
    fn compare_a_run_against_itself_is_within_noise() {
        let a = vec![run("b/t", "passed", 100.0, 10.0)];
        let c = compare(&a, &a, 10.0);
        assert!(!c.regressed());
        assert_eq!(verdict(&c, "b/t", "work_rate"), Verdict::WithinNoise);
        assert_eq!(c.tests[0].result, Verdict::WithinNoise);
        assert!(c.versions.is_none());
    }

    #[test]
    fn compare_judges_by_direction_and_threshold() {
        let a = vec![run("b/t", "passed", 100.0, 10.0)];
        let slower = vec![run("b/t", "passed", 50.0, 30.0)];
        let c = compare(&a, &slower, 10.0);
        assert!(c.regressed());
        assert_eq!(verdict(&c, "b/t", "work_rate"), Verdict::Worse);
        assert_eq!(verdict(&c, "b/t", "wake_p99"), Verdict::Worse);
        assert_eq!(verdict(&c, "b/t", "context_switches"), Verdict::Changed);
        let c = compare(&slower, &a, 10.0);
        assert!(!c.regressed());
        assert_eq!(verdict(&c, "b/t", "work_rate"), Verdict::Better);
        // A 5 % change is within a 10 % threshold, not within 1 %.
        let close = vec![run("b/t", "passed", 95.0, 10.0)];
        assert!(!compare(&a, &close, 10.0).regressed());
        assert!(compare(&a, &close, 1.0).regressed());
    }

    #[test]
    fn compare_noise_from_repeats_widens_the_band() {
        // A's repeats vary by ±20 %: a 15 % drop is within their noise.
        let a = vec![
            run("b/t", "passed", 80.0, 10.0),
            run("b/t", "passed", 120.0, 10.0),
        ];
        let b = vec![run("b/t", "passed", 85.0, 10.0)];
        let c = compare(&a, &b, 5.0);
        let m = &c.tests[0].metrics[0];
        assert_eq!(m.metric, "work_rate");
        assert!((m.noise_pct.unwrap() - 20.0).abs() < 1e-9);
        assert_eq!(m.verdict, Verdict::WithinNoise);
        assert_eq!(c.tests[0].a_runs, 2);
    }

    #[test]
    fn compare_missing_tests_failures_and_versions() {
        let a = vec![
            run("b/t", "passed", 1.0, 1.0),
            run("b/gone", "passed", 1.0, 1.0),
        ];
        let mut b = vec![
            run("b/t", "failed", 1.0, 1.0),
            run("b/new", "passed", 1.0, 1.0),
        ];
        b[0].version = Some("0.2.0".into());
        let c = compare(&a, &b, 10.0);
        let by = |t: &str| c.tests.iter().find(|x| x.test == t).unwrap();
        assert_eq!(by("b/gone").result, Verdict::OnlyInA);
        assert_eq!(by("b/new").result, Verdict::OnlyInB);
        assert!(by("b/gone").metrics.is_empty());
        assert_eq!(by("b/t").result, Verdict::Worse, "passed -> failed");
        assert!(c.regressed());
        assert_eq!(
            c.versions,
            Some((
                vec!["0.1.0".to_string()],
                vec!["0.1.0".into(), "0.2.0".into()]
            ))
        );
    }

    #[test]
    fn compare_metric_on_one_side_only_is_said() {
        let a = vec![run("b/t", "passed", 1.0, 1.0)];
        let mut b = a.clone();
        b[0].metrics.remove("wake_p99");
        let c = compare(&a, &b, 10.0);
        assert_eq!(verdict(&c, "b/t", "wake_p99"), Verdict::OnlyInA);
        assert!(!c.regressed());
    }
}
