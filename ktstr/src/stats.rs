//! Statistics over samples: percentiles, mean, coefficient of variation,
//! and [`GroupStats`] over a group of worker reports. The one
//! implementation the engine, the checks, the failure printout and the CLI
//! all use.
//!
//! # Workers with no wall time
//!
//! One rule, applied here for every caller: a report with `wall_time_ns`
//! of 0 (a sentinel, or a loop that took no measurable time) did not run
//! ([`ran`]). It has no CPU share ([`cpu_share_pct`]) and no work rate
//! ([`work_rate`]), so statistics over shares and rates (the fairness
//! spread, the work-rate floor, the throughput CV, the CPU-share range of
//! the stats block printed on failure, `ktstr compare`'s `work_rate` and
//! `cpu_share_spread`) leave it out rather than count it as 0 %. Counts
//! (work units, iterations, migrations, gaps, wake samples) include every
//! real report, so a worker that never ran still fails worker health or
//! starvation.

use crate::workload::WorkerReport;

/// Nearest-rank percentile of an ascending-sorted slice: the value at
/// index `ceil(n * p / 100) - 1` (p in 0..=100). None for an empty slice.
pub fn percentile_sorted(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let p = p.clamp(0.0, 100.0);
    let rank = ((sorted.len() as f64) * p / 100.0).ceil() as usize;
    Some(sorted[rank.saturating_sub(1).min(sorted.len() - 1)])
}

/// Arithmetic mean; None for no values.
pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Coefficient of variation (population standard deviation / mean); None
/// for no values or a zero mean.
pub fn cv(values: &[f64]) -> Option<f64> {
    let m = mean(values)?;
    if m == 0.0 {
        return None;
    }
    let var = values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / values.len() as f64;
    Some(var.sqrt() / m)
}

/// Latency percentiles of a sample set, in ns.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Percentiles {
    /// Number of samples.
    pub count: usize,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Largest sample.
    pub max: u64,
}

impl Percentiles {
    /// Percentiles of `samples` (any order); None when empty.
    pub fn of(samples: &[u64]) -> Option<Percentiles> {
        let mut v = samples.to_vec();
        v.sort_unstable();
        Some(Percentiles {
            count: v.len(),
            p50: percentile_sorted(&v, 50.0)?,
            p90: percentile_sorted(&v, 90.0)?,
            p99: percentile_sorted(&v, 99.0)?,
            max: *v.last()?,
        })
    }
}

/// Whether `r` ran: a real report (not a sentinel) whose loop took
/// measurable wall time. See the module doc.
pub fn ran(r: &WorkerReport) -> bool {
    !r.sentinel && r.wall_time_ns > 0
}

/// The share of its wall time a worker that [`ran`] spent on a CPU, in
/// percent (0..=100); None for one that did not.
pub fn cpu_share_pct(r: &WorkerReport) -> Option<f64> {
    ran(r).then(|| 100.0 * r.cpu_share())
}

/// Work units per second of wall time of a worker that [`ran`]; None for
/// one that did not.
pub fn work_rate(r: &WorkerReport) -> Option<f64> {
    ran(r).then(|| r.work_rate())
}

/// A worker and a per-worker figure of it (CPU share in percent, work
/// rate in units/s).
pub type PerWorker<'a> = (&'a WorkerReport, f64);

/// Statistics over one group's worker reports: what the checks judge and
/// the failure printout shows, computed once with the rule of the module
/// doc.
#[derive(Clone, Debug, Default)]
pub struct GroupStats<'a> {
    /// The real reports (sentinels left out).
    pub live: Vec<&'a WorkerReport>,
    /// The workers that [`ran`], with their CPU share in percent, lowest
    /// share first.
    pub shares: Vec<PerWorker<'a>>,
    /// The workers that ran, with their work rate (units/s), in report
    /// order.
    pub rates: Vec<PerWorker<'a>>,
    /// Work units over the real reports.
    pub work_units: u64,
    /// Outer-loop iterations over the real reports.
    pub iterations: u64,
    /// Migrations over the real reports.
    pub migrations: u64,
    /// The longest gap of any real report, in ns (0 without one).
    pub worst_gap_ns: u64,
    /// Wake-latency percentiles over every real report's samples (None
    /// without samples).
    pub wake: Option<Percentiles>,
}

impl<'a> GroupStats<'a> {
    /// The statistics of `reports`.
    pub fn of(reports: &'a [WorkerReport]) -> GroupStats<'a> {
        let live: Vec<&WorkerReport> = reports.iter().filter(|r| !r.sentinel).collect();
        let mut shares: Vec<(&WorkerReport, f64)> = live
            .iter()
            .filter_map(|r| Some((*r, cpu_share_pct(r)?)))
            .collect();
        shares.sort_by(|a, b| a.1.total_cmp(&b.1));
        let rates = live
            .iter()
            .filter_map(|r| Some((*r, work_rate(r)?)))
            .collect();
        let samples: Vec<u64> = live
            .iter()
            .flat_map(|r| r.wake_latency.samples.iter().copied())
            .collect();
        GroupStats {
            shares,
            rates,
            work_units: live.iter().map(|r| r.work_units).sum(),
            iterations: live.iter().map(|r| r.iterations).sum(),
            migrations: live.iter().map(|r| r.migrations).sum(),
            worst_gap_ns: live.iter().map(|r| r.max_gap_ns).max().unwrap_or(0),
            wake: Percentiles::of(&samples),
            live,
        }
    }

    /// The lowest and highest CPU share (worker, percent) among the
    /// workers that ran; None when none did.
    pub fn share_range(&self) -> Option<(PerWorker<'a>, PerWorker<'a>)> {
        Some((*self.shares.first()?, *self.shares.last()?))
    }

    /// The work rates of the workers that ran, in report order.
    pub fn rate_values(&self) -> Vec<f64> {
        self.rates.iter().map(|(_, v)| *v).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_wall_time_workers_have_no_share_or_rate() {
        let report = |wall: u64, cpu: u64, units: u64| WorkerReport {
            wall_time_ns: wall,
            cpu_time_ns: cpu,
            work_units: units,
            ..Default::default()
        };
        let reports = [
            report(2_000_000_000, 1_000_000_000, 10),
            report(0, 0, 0),
            report(1_000_000_000, 900_000_000, 30),
            WorkerReport {
                sentinel: true,
                ..report(0, 0, 0)
            },
        ];
        let g = GroupStats::of(&reports);
        assert_eq!(g.live.len(), 3, "the sentinel is left out");
        let ((_, lo), (_, hi)) = g.share_range().unwrap();
        assert_eq!((g.shares.len(), lo, hi), (2, 50.0, 90.0), "no 0 % share");
        assert_eq!(g.rate_values(), [5.0, 30.0], "no 0 units/s rate");
        assert_eq!(g.work_units, 40, "counts see every real report");
        assert!(!ran(&reports[1]) && cpu_share_pct(&reports[1]).is_none());
        assert!(GroupStats::of(&reports[1..2]).share_range().is_none());
    }

    #[test]
    fn nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile_sorted(&v, 50.0), Some(50));
        assert_eq!(percentile_sorted(&v, 99.0), Some(99));
        assert_eq!(percentile_sorted(&v, 100.0), Some(100));
        assert_eq!(percentile_sorted(&v, 0.0), Some(1));
        assert_eq!(percentile_sorted(&[7], 99.0), Some(7));
        assert_eq!(percentile_sorted(&[], 50.0), None);
    }

    #[test]
    fn mean_and_cv() {
        assert_eq!(mean(&[1.0, 3.0]), Some(2.0));
        assert_eq!(cv(&[2.0, 2.0]), Some(0.0));
        assert!((cv(&[1.0, 3.0]).unwrap() - 0.5).abs() < 1e-9);
        assert_eq!(cv(&[]), None);
        assert_eq!(cv(&[0.0]), None);
    }

    #[test]
    fn percentiles_of_unsorted() {
        let p = Percentiles::of(&[5, 1, 3, 2, 4]).unwrap();
        assert_eq!((p.p50, p.max, p.count), (3, 5, 5));
        assert!(Percentiles::of(&[]).is_none());
    }
}
