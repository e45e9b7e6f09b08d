//! The per-worker table `ktstr run` prints after a run, and its summary
//! line.

use std::time::Duration;

use ktstr::prelude::*;
use ktstr::stats::{self, Percentiles};

fn us(ns: u64) -> String {
    format!("{:.1}", ns as f64 / 1000.0)
}

/// Print one line per worker, then the totals, the rate spread and the
/// pooled wake latency.
pub(crate) fn print_table(reports: &[WorkerReport], ran: Duration, interrupted: bool) {
    println!(
        "{:>3} {:>8} {:<14} {:>14} {:>12} {:>9} {:>6} {:>8} {:>9} {:>10} {:>10} {:>9}  NOTES",
        "#",
        "TID",
        "GROUP/ROLE",
        "WORK UNITS",
        "UNITS/S",
        "CPU MS",
        "CPU%",
        "MIGR",
        "MAXGAP MS",
        "WAKE P50us",
        "WAKE P99us",
        "CSW V/I"
    );
    for r in reports {
        let cpu_pct = 100.0 * r.cpu_share();
        let lat = Percentiles::of(&r.wake_latency.samples);
        let mut notes: Vec<String> = Vec::new();
        if r.sentinel {
            notes.push("NO REPORT".into());
        }
        if let Some(e) = &r.exit_info {
            notes.push(format!("exit: {e:?}"));
        }
        for e in [
            &r.error,
            &r.affinity_error,
            &r.policy_error,
            &r.nice_error,
            &r.mempolicy_error,
        ]
        .into_iter()
        .flatten()
        {
            notes.push(e.clone());
        }
        notes.extend(r.notes.iter().cloned());
        println!(
            "{:>3} {:>8} {:<14} {:>14} {:>12.0} {:>9.1} {:>6.1} {:>8} {:>9.1} {:>10} {:>10} {:>9}  {}",
            r.index,
            r.tid,
            format!("{}/{}", r.group, r.role),
            r.work_units,
            r.work_rate(),
            r.cpu_time_ns as f64 / 1e6,
            cpu_pct,
            r.migrations,
            r.max_gap_ns as f64 / 1e6,
            lat.map_or("-".into(), |l| us(l.p50)),
            lat.map_or("-".into(), |l| us(l.p99)),
            format!("{}/{}", r.voluntary_csw, r.involuntary_csw),
            notes.join("; ")
        );
    }
    let rates: Vec<f64> = reports
        .iter()
        .filter(|r| !r.sentinel)
        .map(|r| r.work_rate())
        .collect();
    let total: u64 = reports.iter().map(|r| r.work_units).sum();
    let spread = match (
        rates.iter().cloned().fold(f64::INFINITY, f64::min),
        rates.iter().cloned().fold(0.0, f64::max),
    ) {
        (lo, hi) if hi > 0.0 => 100.0 * (hi - lo) / hi,
        _ => 0.0,
    };
    let mut all: Vec<u64> = reports
        .iter()
        .flat_map(|r| r.wake_latency.samples.iter().copied())
        .collect();
    all.sort_unstable();
    println!(
        "ran {:.2}s{}: {} units total; rate spread {:.1}% (max-min)/max; rate CV {:.3}{}",
        ran.as_secs_f64(),
        if interrupted { " (interrupted)" } else { "" },
        total,
        spread,
        stats::cv(&rates).unwrap_or(0.0),
        match (
            stats::percentile_sorted(&all, 50.0),
            stats::percentile_sorted(&all, 99.0)
        ) {
            (Some(p50), Some(p99)) =>
                format!("; wake latency p50 {} us, p99 {} us", us(p50), us(p99)),
            _ => String::new(),
        }
    );
}
