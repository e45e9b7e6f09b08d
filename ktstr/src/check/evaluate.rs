//! The checks themselves: one function per check, each turning a group of
//! reports and a limit into a [`CheckResult`].

use super::{CheckKind, CheckResult, ReportGroup, Thresholds};
use crate::stats;
use crate::workload::WorkerReport;

/// Every enabled check on one group.
pub(crate) fn evaluate_group(g: &ReportGroup, t: &Thresholds) -> Vec<CheckResult> {
    let mut out = vec![health(g)];
    if t.not_starved {
        out.push(starvation(g));
    }
    if let Some(limit) = t.max_spread_pct {
        out.push(fairness(g, limit));
    }
    if let Some(limit) = t.max_gap_ms {
        out.push(gap(g, limit));
    }
    if let Some(limit) = t.max_p99_wake_latency_us {
        out.push(wake_latency(g, limit));
    }
    if let Some(limit) = t.min_work_rate {
        out.push(work_rate(g, limit));
    }
    if let Some(limit) = t.max_throughput_cv {
        out.push(throughput_cv(g, limit));
    }
    if let Some(limit) = t.max_migration_ratio {
        out.push(migration(g, limit));
    }
    if t.isolation && g.cpuset.is_some() {
        out.push(isolation(g));
    }
    out
}

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
        passed: bad.is_empty(),
        threshold,
        measured,
        message: bad.join("; "),
    }
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

fn starvation(g: &ReportGroup) -> CheckResult {
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
    result(
        CheckKind::Starvation,
        g,
        bad,
        "> 0 work units".into(),
        format!("min {min} work units"),
    )
}

fn cpu_share_pct(r: &WorkerReport) -> f64 {
    if r.wall_time_ns == 0 {
        0.0
    } else {
        100.0 * r.cpu_time_ns as f64 / r.wall_time_ns as f64
    }
}

fn fairness(g: &ReportGroup, limit: f64) -> CheckResult {
    let ran: Vec<&WorkerReport> = live(g).filter(|r| r.wall_time_ns > 0).collect();
    let lo = ran
        .iter()
        .min_by(|a, b| cpu_share_pct(a).total_cmp(&cpu_share_pct(b)));
    let hi = ran
        .iter()
        .max_by(|a, b| cpu_share_pct(a).total_cmp(&cpu_share_pct(b)));
    let (spread, bad) = match (lo, hi) {
        (Some(lo), Some(hi)) if ran.len() >= 2 => {
            let spread = cpu_share_pct(hi) - cpu_share_pct(lo);
            let bad = if spread > limit {
                vec![format!(
                    "{}: CPU shares {spread:.0} pp apart, limit {limit:.0} pp: {} got {:.1}% of its wall time on a CPU while {} got {:.1}% ({} workers)",
                    g.name,
                    who(lo, g),
                    cpu_share_pct(lo),
                    who(hi, g),
                    cpu_share_pct(hi),
                    ran.len()
                )]
            } else {
                vec![]
            };
            (spread, bad)
        }
        _ => (0.0, vec![]),
    };
    result(
        CheckKind::Fairness,
        g,
        bad,
        format!("{limit:.0} pp"),
        format!("{spread:.1} pp"),
    )
}

fn gap(g: &ReportGroup, limit_ms: u64) -> CheckResult {
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
    let worst = live(g).map(|r| r.max_gap_ns).max().unwrap_or(0);
    result(
        CheckKind::Gap,
        g,
        bad,
        format!("{limit_ms} ms"),
        format!("worst {:.1} ms", worst as f64 / 1e6),
    )
}

fn wake_latency(g: &ReportGroup, limit_us: u64) -> CheckResult {
    let mut all: Vec<u64> = live(g)
        .flat_map(|r| r.wake_latency.samples.iter().copied())
        .collect();
    all.sort_unstable();
    let (measured, bad) = match (
        stats::percentile_sorted(&all, 99.0),
        stats::percentile_sorted(&all, 50.0),
    ) {
        (Some(p99), Some(p50)) => {
            let bad = if p99 > limit_us.saturating_mul(1000) {
                vec![format!(
                    "{}: p99 wake latency {:.1} µs exceeds {limit_us} µs ({} samples, p50 {:.1} µs, max {:.1} µs)",
                    g.name,
                    p99 as f64 / 1e3,
                    all.len(),
                    p50 as f64 / 1e3,
                    all.last().copied().unwrap_or(0) as f64 / 1e3
                )]
            } else {
                vec![]
            };
            (format!("p99 {:.1} µs", p99 as f64 / 1e3), bad)
        }
        _ => (
            "no samples".into(),
            vec![format!(
                "{}: no wake-latency samples to judge: this work type records none, or no worker woke",
                g.name
            )],
        ),
    };
    result(
        CheckKind::WakeLatency,
        g,
        bad,
        format!("{limit_us} µs"),
        measured,
    )
}

fn work_rate(g: &ReportGroup, floor: f64) -> CheckResult {
    let bad: Vec<String> = live(g)
        .filter(|r| r.work_rate() < floor)
        .map(|r| {
            format!(
                "{} did {:.0} units/s, below the floor {floor:.0} units/s",
                who(r, g),
                r.work_rate()
            )
        })
        .collect();
    let min = live(g).map(|r| r.work_rate()).fold(f64::INFINITY, f64::min);
    result(
        CheckKind::WorkRate,
        g,
        bad,
        format!("{floor:.0} units/s"),
        format!("min {:.0} units/s", if min.is_finite() { min } else { 0.0 }),
    )
}

fn throughput_cv(g: &ReportGroup, limit: f64) -> CheckResult {
    let rates: Vec<f64> = live(g).map(|r| r.work_rate()).collect();
    let cv = if rates.len() >= 2 {
        stats::cv(&rates)
    } else {
        None
    };
    let bad = match cv {
        Some(cv) if cv > limit => vec![format!(
            "{}: work-rate CV {cv:.3} exceeds {limit:.3} (mean {:.0} units/s over {} workers)",
            g.name,
            stats::mean(&rates).unwrap_or(0.0),
            rates.len()
        )],
        _ => vec![],
    };
    result(
        CheckKind::ThroughputCv,
        g,
        bad,
        format!("{limit:.3}"),
        cv.map_or("n/a (fewer than 2 workers)".into(), |c| format!("{c:.3}")),
    )
}

fn migration(g: &ReportGroup, limit: f64) -> CheckResult {
    let migrations: u64 = live(g).map(|r| r.migrations).sum();
    let iterations: u64 = live(g).map(|r| r.iterations).sum();
    let ratio = migrations as f64 / iterations.max(1) as f64;
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

fn isolation(g: &ReportGroup) -> CheckResult {
    let allowed = g.cpuset.clone().unwrap_or_default();
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
    result(
        CheckKind::Isolation,
        g,
        bad,
        format!("only CPUs {allowed}"),
        format!("{n} worker(s) outside"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Checker;

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
