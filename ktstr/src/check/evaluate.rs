//! The checks themselves: one function per check, each turning a group of
//! reports and a limit into a [`CheckResult`]: passed, failed, or not
//! applicable when there is nothing to compare (no live worker; fewer than
//! two for a spread or a CV; no wake-latency samples; no iterations).
//!
//! The figures come from [`GroupStats`], the statistics the failure
//! printout shows too, with its rule for workers with no wall time (no
//! CPU share, no work rate: see [`crate::stats`]).

use super::{CheckKind, CheckResult, CheckStatus, ReportGroup, Thresholds};
use crate::stats::{self, GroupStats};
use crate::workload::WorkerReport;

/// Runs one threshold's check when it is on: a flag's evaluator takes the
/// group (and may decline it, e.g. isolation without a cpuset), a limit's
/// takes the group and the limit.
macro_rules! run_check {
    ($out:ident, $g:ident, $st:ident, bool, $on:expr, $eval:ident) => {
        if $on {
            $out.extend($eval($g));
        }
    };
    ($out:ident, $g:ident, $st:ident, $t:ident, $limit:expr, $eval:ident) => {
        if let Some(limit) = $limit {
            $out.push($eval($g, &$st, limit));
        }
    };
}

macro_rules! evaluate_all {
    ($($name:ident / $key:ident: $ty:ident = $default:tt, unit $unit:literal,
       check $kind:ident => $eval:ident, $doc:literal;)*) => {
        /// Every enabled check on one group, in the declaration's order,
        /// after worker health.
        pub(crate) fn evaluate_group(g: &ReportGroup, t: &Thresholds) -> Vec<CheckResult> {
            let st = GroupStats::of(&g.reports);
            let mut out = vec![health(g)];
            $(run_check!(out, g, st, $ty, t.$name, $eval);)*
            out
        }
    };
}
super::thresholds::for_each_threshold!(evaluate_all);

/// "worker 3 (tid 4121, cg_1)".
fn who(r: &WorkerReport, g: &ReportGroup) -> String {
    format!("worker {} (tid {}, {})", r.index, r.tid, g.name)
}

fn result(
    kind: CheckKind,
    g: &ReportGroup,
    bad: Vec<String>,
    threshold: String,
    measured: String,
) -> CheckResult {
    CheckResult {
        kind,
        group: g.name.clone(),
        status: if bad.is_empty() {
            CheckStatus::Passed
        } else {
            CheckStatus::Failed
        },
        threshold,
        measured,
        message: bad.join("; "),
    }
}

/// A check with nothing to compare: never a pass (see `Verdict::passed`).
fn not_applicable(kind: CheckKind, g: &ReportGroup, threshold: String, why: String) -> CheckResult {
    CheckResult {
        kind,
        group: g.name.clone(),
        status: CheckStatus::NotApplicable { why },
        threshold,
        measured: "n/a".into(),
        message: String::new(),
    }
}

/// The not-applicable result of a per-worker check over a group where no
/// worker reported (worker health fails that group already).
fn no_live_worker(kind: CheckKind, g: &ReportGroup, threshold: String) -> Option<CheckResult> {
    (live(g).next().is_none()).then(|| {
        not_applicable(
            kind,
            g,
            threshold,
            format!("no worker of {} reported: nothing to judge", g.name),
        )
    })
}

/// Real reports only: sentinels carry no telemetry to judge.
fn live(g: &ReportGroup) -> impl Iterator<Item = &WorkerReport> {
    g.reports.iter().filter(|r| !r.sentinel)
}

fn health(g: &ReportGroup) -> CheckResult {
    let mut bad = Vec::new();
    if g.reports.is_empty() {
        bad.push(format!(
            "{}: no worker reports at all: nothing to judge (a check over zero workers would pass vacuously)",
            g.name
        ));
    }
    for r in &g.reports {
        if r.sentinel {
            bad.push(format!("{} sent no report: {:?}", who(r, g), r.exit_info));
        } else if let Some(e) = &r.exit_info {
            bad.push(format!("{} ended abnormally: {e:?}", who(r, g)));
        } else if let Some(e) = &r.error {
            bad.push(format!("{} stopped early with an error: {e}", who(r, g)));
        }
    }
    let ok = g.reports.len() - bad.len().min(g.reports.len());
    result(
        CheckKind::WorkerHealth,
        g,
        bad,
        "every worker reports cleanly".into(),
        format!("{ok}/{} clean", g.reports.len()),
    )
}

fn starvation(g: &ReportGroup) -> Option<CheckResult> {
    if let Some(na) = no_live_worker(CheckKind::Starvation, g, "> 0 work units".into()) {
        return Some(na);
    }
    let bad: Vec<String> = live(g)
        .filter(|r| r.work_units == 0)
        .map(|r| {
            format!(
                "{} made 0 progress in {:.1} s: starved",
                who(r, g),
                r.wall_time_ns as f64 / 1e9
            )
        })
        .collect();
    let min = live(g).map(|r| r.work_units).min().unwrap_or(0);
    Some(result(
        CheckKind::Starvation,
        g,
        bad,
        "> 0 work units".into(),
        format!("min {min} work units"),
    ))
}

fn fairness(g: &ReportGroup, st: &GroupStats<'_>, limit: f64) -> CheckResult {
    let threshold = format!("{limit:.0} pp");
    let ran = st.shares.len();
    let Some(((lo, lo_pct), (hi, hi_pct))) = st.share_range().filter(|_| ran >= 2) else {
        return not_applicable(
            CheckKind::Fairness,
            g,
            threshold,
            format!(
                "{ran} worker(s) of {} ran: a CPU-share spread needs at least 2",
                g.name
            ),
        );
    };
    let spread = hi_pct - lo_pct;
    let bad = if spread > limit {
        vec![format!(
            "{}: CPU shares {spread:.0} pp apart, limit {limit:.0} pp: {} got {lo_pct:.1}% of its wall time on a CPU while {} got {hi_pct:.1}% ({ran} workers)",
            g.name,
            who(lo, g),
            who(hi, g),
        )]
    } else {
        vec![]
    };
    result(
        CheckKind::Fairness,
        g,
        bad,
        threshold,
        format!("{spread:.1} pp"),
    )
}

fn gap(g: &ReportGroup, st: &GroupStats<'_>, limit_ms: u64) -> CheckResult {
    if let Some(na) = no_live_worker(CheckKind::Gap, g, format!("{limit_ms} ms")) {
        return na;
    }
    let limit_ns = limit_ms.saturating_mul(1_000_000);
    let bad: Vec<String> = live(g)
        .filter(|r| r.max_gap_ns > limit_ns)
        .map(|r| {
            format!(
                "{} stalled {} ms on CPU {} ending at +{} ms (limit {limit_ms} ms)",
                who(r, g),
                r.max_gap_ns / 1_000_000,
                r.max_gap_cpu,
                r.max_gap_at_ns / 1_000_000
            )
        })
        .collect();
    let worst = st.worst_gap_ns;
    result(
        CheckKind::Gap,
        g,
        bad,
        format!("{limit_ms} ms"),
        format!("worst {:.1} ms", worst as f64 / 1e6),
    )
}

fn wake_latency(g: &ReportGroup, st: &GroupStats<'_>, limit_us: u64) -> CheckResult {
    let threshold = format!("{limit_us} µs");
    let Some(p) = st.wake else {
        return not_applicable(
            CheckKind::WakeLatency,
            g,
            threshold,
            format!(
                "{}: no wake-latency samples: this work type records none, or no worker woke",
                g.name
            ),
        );
    };
    let bad = if p.p99 > limit_us.saturating_mul(1000) {
        vec![format!(
            "{}: p99 wake latency {:.1} µs exceeds {limit_us} µs ({} samples, p50 {:.1} µs, max {:.1} µs)",
            g.name,
            p.p99 as f64 / 1e3,
            p.count,
            p.p50 as f64 / 1e3,
            p.max as f64 / 1e3
        )]
    } else {
        vec![]
    };
    result(
        CheckKind::WakeLatency,
        g,
        bad,
        threshold,
        format!("p99 {:.1} µs", p.p99 as f64 / 1e3),
    )
}

fn work_rate(g: &ReportGroup, st: &GroupStats<'_>, floor: f64) -> CheckResult {
    let threshold = format!("{floor:.0} units/s");
    if let Some(na) = no_live_worker(CheckKind::WorkRate, g, threshold.clone()) {
        return na;
    }
    if st.rates.is_empty() {
        let why = format!(
            "no worker of {} ran (wall time 0): no rate to judge",
            g.name
        );
        return not_applicable(CheckKind::WorkRate, g, threshold, why);
    }
    let bad: Vec<String> = st
        .rates
        .iter()
        .filter(|(_, rate)| *rate < floor)
        .map(|(r, rate)| {
            format!(
                "{} did {rate:.0} units/s, below the floor {floor:.0} units/s",
                who(r, g),
            )
        })
        .collect();
    let min = st.rate_values().into_iter().fold(f64::INFINITY, f64::min);
    result(
        CheckKind::WorkRate,
        g,
        bad,
        threshold,
        format!("min {min:.0} units/s"),
    )
}

fn throughput_cv(g: &ReportGroup, st: &GroupStats<'_>, limit: f64) -> CheckResult {
    let threshold = format!("{limit:.3}");
    let rates = st.rate_values();
    let cv = if rates.len() >= 2 {
        stats::cv(&rates)
    } else {
        None
    };
    let Some(cv) = cv else {
        return not_applicable(
            CheckKind::ThroughputCv,
            g,
            threshold,
            format!(
                "{} worker(s) of {} reported a rate: a CV needs at least 2 with a non-zero mean",
                rates.len(),
                g.name
            ),
        );
    };
    let bad = if cv > limit {
        vec![format!(
            "{}: work-rate CV {cv:.3} exceeds {limit:.3} (mean {:.0} units/s over {} workers)",
            g.name,
            stats::mean(&rates).unwrap_or(0.0),
            rates.len()
        )]
    } else {
        vec![]
    };
    result(
        CheckKind::ThroughputCv,
        g,
        bad,
        threshold,
        format!("{cv:.3}"),
    )
}

fn migration(g: &ReportGroup, st: &GroupStats<'_>, limit: f64) -> CheckResult {
    let (migrations, iterations) = (st.migrations, st.iterations);
    if iterations == 0 {
        return not_applicable(
            CheckKind::Migration,
            g,
            format!("{limit:.4}"),
            format!("{}: no iterations recorded: no ratio to judge", g.name),
        );
    }
    let ratio = migrations as f64 / iterations as f64;
    let bad = if ratio > limit {
        vec![format!(
            "{}: {migrations} migrations in {iterations} iterations = {ratio:.4} per iteration, limit {limit:.4}",
            g.name
        )]
    } else {
        vec![]
    };
    result(
        CheckKind::Migration,
        g,
        bad,
        format!("{limit:.4}"),
        format!("{ratio:.4}"),
    )
}

/// Groups without a cpuset are not checked.
fn isolation(g: &ReportGroup) -> Option<CheckResult> {
    let allowed = g.cpuset.clone()?;
    if let Some(na) = no_live_worker(CheckKind::Isolation, g, format!("only CPUs {allowed}")) {
        return Some(na);
    }
    let bad: Vec<String> = live(g)
        .filter_map(|r| {
            let used: crate::cpuset::CpuSet = r.cpus_used.iter().map(|&c| c as usize).collect();
            let outside = used.difference(&allowed);
            (!outside.is_empty()).then(|| {
                format!(
                    "{} ran on CPU(s) {outside} outside its cpuset {allowed}",
                    who(r, g)
                )
            })
        })
        .collect();
    let n = bad.len();
    Some(result(
        CheckKind::Isolation,
        g,
        bad,
        format!("only CPUs {allowed}"),
        format!("{n} worker(s) outside"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Checker, Thresholds};

    fn hog(index: usize, cpu_pct: u64, units: u64) -> WorkerReport {
        WorkerReport {
            index,
            tid: 100 + index as i32,
            work_units: units,
            iterations: units / 1024 + 1,
            wall_time_ns: 2_000_000_000,
            cpu_time_ns: 20_000_000 * cpu_pct,
            cpus_used: [0].into(),
            ..Default::default()
        }
    }

    #[test]
    fn equal_hogs_pass_the_defaults() {
        let g = ReportGroup::new("cg_0", vec![hog(0, 50, 1 << 20), hog(1, 48, 1 << 20)]);
        let v = Checker::new(vec![g]).evaluate();
        assert!(v.passed(), "{v}");
    }

    #[test]
    fn a_starved_worker_fails_starvation_and_fairness() {
        let g = ReportGroup::new("cg_1", vec![hog(0, 99, 1 << 22), hog(3, 0, 0)]);
        let v = Checker::new(vec![g]).evaluate();
        let msgs: Vec<_> = v.failures().map(|r| r.message.clone()).collect();
        assert!(
            msgs.iter()
                .any(|m| m.contains("worker 3 (tid 103, cg_1) made 0 progress in 2.0 s: starved")),
            "{msgs:?}"
        );
        assert!(v.failures().any(|r| r.kind == CheckKind::Fairness));
    }

    #[test]
    fn gap_names_cpu_and_time() {
        let mut r = hog(2, 50, 1000);
        r.max_gap_ns = 3_500_000_000;
        r.max_gap_cpu = 1;
        r.max_gap_at_ns = 1_200_000_000;
        let v = Checker::new(vec![ReportGroup::new("g", vec![r])]).evaluate();
        let f: Vec<_> = v.failures().collect();
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message
                .contains("stalled 3500 ms on CPU 1 ending at +1200 ms"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn wake_latency_without_samples_fails_rather_than_passing_vacuously() {
        let g = ReportGroup::new("g", vec![hog(0, 50, 10)]);
        let v = Checker::new(vec![g])
            .max_p99_wake_latency_us(100)
            .evaluate();
        assert!(!v.passed());
        let mut r = hog(0, 50, 10);
        for i in 0..100 {
            r.wake_latency.push(i * 1000);
        }
        let v = Checker::new(vec![ReportGroup::new("g", vec![r])])
            .max_p99_wake_latency_us(100)
            .evaluate();
        assert!(v.passed(), "{v}");
    }

    #[test]
    fn isolation_and_sentinels() {
        let mut r = hog(0, 50, 10);
        r.cpus_used = [0, 1].into();
        let g = ReportGroup::new("g", vec![r]).with_cpuset([0].into());
        assert!(Checker::new(vec![g])
            .evaluate()
            .failures()
            .any(|f| f.kind == CheckKind::Isolation));
        let s = WorkerReport::sentinel(0, 5, "SpinWait", crate::workload::ExitInfo::TimedOut);
        let v = Checker::new(vec![ReportGroup::new("g", vec![s])]).evaluate();
        assert!(v.failures().any(|f| f.kind == CheckKind::WorkerHealth));
        assert!(!Checker::new(vec![ReportGroup::new("g", vec![])])
            .evaluate()
            .passed());
    }

    #[test]
    fn one_worker_fairness_is_not_applicable_never_a_pass() {
        let one = || vec![ReportGroup::new("cg_0", vec![hog(0, 50, 1 << 20)])];
        let v = Checker::new(one()).evaluate();
        let fair = v
            .results
            .iter()
            .find(|r| r.kind == CheckKind::Fairness)
            .unwrap();
        assert_eq!(
            fair.status,
            CheckStatus::NotApplicable {
                why: "1 worker(s) of cg_0 ran: a CPU-share spread needs at least 2".into()
            }
        );
        assert!(!fair.is_passed());
        assert_eq!(fair.measured, "n/a");
        // Shown as such, and the defaults that did apply carry the verdict.
        assert!(
            v.to_string()
                .contains("n/a  Fairness [cg_0]: n/a (limit 25 pp): not applicable: 1 worker(s)"),
            "{v}"
        );
        assert!(v.passed(), "{v}");
        let json = serde_json::to_string(fair).unwrap();
        assert!(
            json.contains(r#""status":{"state":"not_applicable","why":"1 worker(s) of cg_0 ran"#),
            "{json}"
        );
        // Asked for explicitly, it fails and says it was not applicable.
        let v = Checker::new(one()).max_spread_pct(10.0).evaluate();
        assert!(!v.passed());
        let f: Vec<_> = v.failures().collect();
        assert_eq!(f.len(), 1, "{v}");
        assert!(
            f[0].message
                .starts_with("asked for (limit 10 pp) but not applicable: 1 worker(s)"),
            "{}",
            f[0].message
        );
        // The broken case: two workers far apart still fail as before.
        let two = ReportGroup::new("cg_0", vec![hog(0, 90, 1 << 20), hog(1, 10, 1 << 18)]);
        assert!(Checker::new(vec![two])
            .evaluate()
            .failures()
            .any(|r| r.kind == CheckKind::Fairness));
    }

    #[test]
    fn one_rate_throughput_cv_is_asked_for_and_fails_as_not_applicable() {
        let v = Checker::new(vec![ReportGroup::new("g", vec![hog(0, 50, 1000)])])
            .max_throughput_cv(0.5)
            .evaluate();
        assert!(v
            .failures()
            .any(|r| r.kind == CheckKind::ThroughputCv
                && r.message.contains("a CV needs at least 2")));
    }

    #[test]
    fn only_not_applicable_checks_judge_nothing_and_fail() {
        let t = Thresholds {
            max_spread_pct: Some(25.0),
            ..Thresholds::none()
        };
        let v = Checker::new(vec![ReportGroup::new("g", vec![hog(0, 50, 1000)])])
            .with_thresholds(t)
            .evaluate();
        assert!(v.failures().next().is_none(), "{v}");
        assert!(v.nothing_judged());
        assert!(!v.passed());
        let e = v.into_result().unwrap_err().to_string();
        assert!(
            e.starts_with("no check could judge anything: every check was not applicable\n  Fairness [g]: not applicable"),
            "{e}"
        );
    }

    #[test]
    fn rate_cv_and_migration() {
        let g = ReportGroup::new("g", vec![hog(0, 50, 1000), hog(1, 50, 100_000)]);
        let v = Checker::new(vec![g.clone()])
            .max_throughput_cv(0.2)
            .min_work_rate(1000.0)
            .evaluate();
        assert!(v.failures().any(|f| f.kind == CheckKind::ThroughputCv));
        assert!(v.failures().any(|f| f.kind == CheckKind::WorkRate));
        let mut m = hog(0, 50, 1 << 20);
        m.migrations = 500;
        m.iterations = 1000;
        let v = Checker::new(vec![ReportGroup::new("g", vec![m])])
            .max_migration_ratio(0.1)
            .evaluate();
        assert!(v.failures().any(|f| f.kind == CheckKind::Migration));
    }
}
