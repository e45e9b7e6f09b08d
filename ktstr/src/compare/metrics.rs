//! The metrics `ktstr compare` reads from a test's JSON record, each with
//! the direction that counts as better, and their extraction from the
//! workers' reports in the record.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::stats::percentile_sorted;

/// Which way a metric should move for a change to count as better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// More is better (work rate).
    Higher,
    /// Less is better (latency, spread, gaps, migrations).
    Lower,
    /// Neither: the change is shown, never judged (context switches, CPU
    /// time: more can mean more work or more overhead).
    Neither,
}

/// A metric's declaration.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct MetricDef {
    /// Its name in tables and JSON.
    pub name: &'static str,
    /// Its unit.
    pub unit: &'static str,
    /// Which way is better.
    pub direction: Direction,
    /// What it measures.
    pub description: &'static str,
}

/// Every metric `ktstr compare` judges, in table order.
pub const METRICS: &[MetricDef] = &[
    MetricDef {
        name: "work_rate",
        unit: "units/s",
        direction: Direction::Higher,
        description: "work units per second, summed over the live workers",
    },
    MetricDef {
        name: "cpu_share_spread",
        unit: "pp",
        direction: Direction::Lower,
        description: "largest minus smallest per-worker CPU share (CPU time / wall time)",
    },
    MetricDef {
        name: "max_gap",
        unit: "ms",
        direction: Direction::Lower,
        description: "longest stall between two progress checkpoints of any worker",
    },
    MetricDef {
        name: "wake_p50",
        unit: "us",
        direction: Direction::Lower,
        description: "median wake latency over every worker's samples",
    },
    MetricDef {
        name: "wake_p99",
        unit: "us",
        direction: Direction::Lower,
        description: "99th percentile wake latency",
    },
    MetricDef {
        name: "wake_p999",
        unit: "us",
        direction: Direction::Lower,
        description: "99.9th percentile wake latency",
    },
    MetricDef {
        name: "migrations",
        unit: "/s",
        direction: Direction::Lower,
        description: "CPU migrations per second, summed over the workers",
    },
    MetricDef {
        name: "context_switches",
        unit: "/s",
        direction: Direction::Neither,
        description: "voluntary + involuntary context switches per second",
    },
    MetricDef {
        name: "cpu_time",
        unit: "s",
        direction: Direction::Neither,
        description: "CPU time of all workers",
    },
];

/// The declaration of metric `name`.
pub fn metric_def(name: &str) -> Option<&'static MetricDef> {
    METRICS.iter().find(|m| m.name == name)
}

fn num(v: &Value, key: &str) -> Option<f64> {
    v.get(key)?.as_f64()
}

/// The metrics of one record (the `outcome.groups[].reports[]` of a test),
/// by name. A metric the record cannot give (no wake samples, no live
/// worker) is absent, never zero.
pub fn extract(record: &Value) -> BTreeMap<&'static str, f64> {
    let mut out = BTreeMap::new();
    let reports: Vec<&Value> = record
        .pointer("/outcome/groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|g| g.get("reports")?.as_array())
        .flatten()
        .filter(|r| r.get("sentinel").and_then(Value::as_bool) != Some(true))
        .collect();
    if reports.is_empty() {
        return out;
    }
    let mut rate = 0.0;
    let mut shares = Vec::new();
    let mut walls = Vec::new();
    let (mut gap, mut migrations, mut csw, mut cpu) = (0.0f64, 0.0, 0.0, 0.0);
    let mut samples: Vec<u64> = Vec::new();
    for r in &reports {
        let wall = num(r, "wall_time_ns").unwrap_or(0.0);
        let busy = num(r, "cpu_time_ns").unwrap_or(0.0);
        if wall > 0.0 {
            rate += num(r, "work_units").unwrap_or(0.0) / (wall / 1e9);
            shares.push((100.0 * busy / wall).min(100.0));
            walls.push(wall / 1e9);
        }
        gap = gap.max(num(r, "max_gap_ns").unwrap_or(0.0) / 1e6);
        migrations += num(r, "migrations").unwrap_or(0.0);
        csw += num(r, "voluntary_csw").unwrap_or(0.0) + num(r, "involuntary_csw").unwrap_or(0.0);
        cpu += busy / 1e9;
        if let Some(s) = r.pointer("/wake_latency/samples").and_then(Value::as_array) {
            samples.extend(s.iter().filter_map(Value::as_u64));
        }
    }
    out.insert("cpu_time", cpu);
    out.insert("max_gap", gap);
    if let Some(wall) = crate::stats::mean(&walls).filter(|w| *w > 0.0) {
        out.insert("work_rate", rate);
        out.insert("migrations", migrations / wall);
        out.insert("context_switches", csw / wall);
    }
    if shares.len() >= 2 {
        let hi = shares.iter().cloned().fold(f64::MIN, f64::max);
        let lo = shares.iter().cloned().fold(f64::MAX, f64::min);
        out.insert("cpu_share_spread", hi - lo);
    }
    samples.sort_unstable();
    for (name, p) in [("wake_p50", 50.0), ("wake_p99", 99.0), ("wake_p999", 99.9)] {
        if let Some(v) = percentile_sorted(&samples, p) {
            out.insert(name, v as f64 / 1e3);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_metrics_come_from_live_reports_only() {
        let rec = serde_json::json!({"outcome": {"groups": [{"reports": [
            {"work_units": 100, "wall_time_ns": 1_000_000_000u64, "cpu_time_ns": 900_000_000u64,
             "max_gap_ns": 5_000_000, "migrations": 2, "voluntary_csw": 1, "involuntary_csw": 3,
             "wake_latency": {"samples": [1000, 2000, 3000]}, "sentinel": false},
            {"work_units": 300, "wall_time_ns": 1_000_000_000u64, "cpu_time_ns": 500_000_000u64,
             "max_gap_ns": 9_000_000, "migrations": 0, "voluntary_csw": 0, "involuntary_csw": 0,
             "wake_latency": {"samples": []}, "sentinel": false},
            {"work_units": 0, "wall_time_ns": 0, "cpu_time_ns": 0, "sentinel": true}
        ]}]}});
        let m = extract(&rec);
        assert_eq!(m["work_rate"], 400.0);
        assert!((m["cpu_share_spread"] - 40.0).abs() < 1e-9);
        assert_eq!(m["max_gap"], 9.0);
        assert_eq!(m["wake_p50"], 2.0);
        assert_eq!(m["wake_p999"], 3.0);
        assert_eq!(m["migrations"], 2.0);
        assert_eq!(m["context_switches"], 4.0);
        assert!((m["cpu_time"] - 1.4).abs() < 1e-9);
        for d in METRICS {
            assert!(metric_def(d.name).is_some());
        }
    }

    #[test]
    fn compare_metrics_absent_not_zero() {
        let rec = serde_json::json!({"outcome": {"groups": [{"reports": [
            {"work_units": 5, "wall_time_ns": 1_000_000_000u64, "cpu_time_ns": 1,
             "wake_latency": {"samples": []}, "sentinel": false}]}]}});
        let m = extract(&rec);
        assert!(!m.contains_key("wake_p50"));
        assert!(
            !m.contains_key("cpu_share_spread"),
            "one worker has no spread"
        );
        assert!(extract(&serde_json::json!({"outcome": null})).is_empty());
    }
}
