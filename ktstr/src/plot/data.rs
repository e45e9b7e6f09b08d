//! What the panels draw, taken out of a record: every worker's progress
//! line, the scenario's step starts, each CPU's occupancy per sampling
//! interval and the wake-latency histogram. Pure functions, no drawing.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::check::{ReportGroup, Verdict};
use crate::scenario::series::{cgroup_of, tracks};
use crate::scenario::Sample;
use crate::stats::Percentiles;

/// One worker's iterations over time: (seconds since the start, count).
#[derive(Clone, Debug, PartialEq)]
pub struct WorkerLine {
    /// `cgroup #index` (`/wN` added when the body ran several workloads).
    pub label: String,
    /// Its points in time order.
    pub points: Vec<(f64, f64)>,
}

/// Every worker's progress line, in the order the workers first appear.
pub fn worker_lines(rows: &[Sample]) -> Vec<WorkerLine> {
    let ts = tracks(rows);
    let several = ts.iter().any(|t| t[0].1.workload > 0);
    ts.iter()
        .map(|t| {
            let p = t[0].1;
            let label = if several {
                format!("{} #{} /w{}", cgroup_of(t), p.worker.index, p.workload)
            } else {
                format!("{} #{}", cgroup_of(t), p.worker.index)
            };
            WorkerLine {
                label,
                points: t
                    .iter()
                    .map(|(at, p)| (*at as f64 / 1e3, p.worker.iterations as f64))
                    .collect(),
            }
        })
        .collect()
}

/// Where a scenario step began, as the samples show it.
#[derive(Clone, Debug, PartialEq)]
pub struct StepMark {
    /// Seconds since the start.
    pub at_s: f64,
    /// `step N 'name'`, or `step N` when the record does not name it.
    pub label: String,
}

/// The start of every step after the first sample's (a step change in
/// the samples' `step`), named from the step verdicts' groups
/// (`step N 'name' ...`) where the record has them.
pub fn step_marks(rows: &[Sample], verdicts: &[Verdict]) -> Vec<StepMark> {
    let names = step_names(verdicts);
    let label = |n: usize| match names.get(&n) {
        Some(name) => format!("step {n} '{name}'"),
        None => format!("step {n}"),
    };
    rows.windows(2)
        .filter(|w| w[0].step != w[1].step)
        .map(|w| StepMark {
            at_s: w[1].at_ms as f64 / 1e3,
            label: label(w[1].step),
        })
        .collect()
}

/// Step names by index, from verdict groups such as `step 1 'shrink' cg`.
fn step_names(verdicts: &[Verdict]) -> BTreeMap<usize, String> {
    let mut names = BTreeMap::new();
    for r in verdicts.iter().flat_map(|v| &v.results) {
        let Some(rest) = r.group.strip_prefix("step ") else {
            continue;
        };
        let Some((n, rest)) = rest.split_once(" '") else {
            continue;
        };
        if let (Ok(n), Some((name, _))) = (n.parse::<usize>(), rest.split_once('\'')) {
            names.entry(n).or_insert_with(|| name.to_string());
        }
    }
    names
}

/// How busy each CPU was with the test's workers, per sampling interval.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Occupancy {
    /// The CPUs shown, ascending (those online and those seen).
    pub cpus: Vec<u32>,
    /// One cell per CPU and interval.
    pub cells: Vec<Cell>,
}

/// One CPU over one interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cell {
    /// The CPU.
    pub cpu: u32,
    /// Interval start and end, in seconds.
    pub from_s: f64,
    /// Interval end, in seconds.
    pub to_s: f64,
    /// Worker CPU time in the interval over its length (0..=1 unless
    /// the attribution below overlaps).
    pub busy: f64,
}

/// At most this many intervals across: longer runs merge neighbours.
pub const MAX_COLUMNS: usize = 400;

/// Per-CPU occupancy: in each interval between two samples, every
/// worker's CPU time delta counts for the CPU it was on at the
/// interval's end; past [`MAX_COLUMNS`] intervals, neighbours merge.
/// None when no sample has both a CPU and a CPU time. `online` adds idle
/// rows for CPUs no worker was seen on.
pub fn occupancy(rows: &[Sample], online: &[u32]) -> Option<Occupancy> {
    let intervals = rows.len().saturating_sub(1);
    let per_column = intervals.div_ceil(MAX_COLUMNS).max(1);
    let mut cpus: BTreeSet<u32> = online.iter().copied().collect();
    // CPU time in ns by (column, CPU).
    let mut used: BTreeMap<(usize, u32), f64> = BTreeMap::new();
    let mut known = false;
    for (i, w) in rows.windows(2).enumerate() {
        let before: HashMap<_, _> = w[0]
            .points
            .iter()
            .filter_map(|p| Some((p.key(), p.worker.cpu_ns?)))
            .collect();
        for p in &w[1].points {
            let (Some(cpu), Some(now)) = (p.worker.cpu, p.worker.cpu_ns) else {
                continue;
            };
            let Some(&then) = before.get(&p.key()) else {
                continue;
            };
            known = true;
            cpus.insert(cpu);
            *used.entry((i / per_column, cpu)).or_default() += now.saturating_sub(then) as f64;
        }
    }
    if !known {
        return None;
    }
    let mut cells = Vec::new();
    for col in 0..intervals.div_ceil(per_column) {
        let from = rows[col * per_column].at_ms;
        let to = rows[((col + 1) * per_column).min(intervals)].at_ms;
        if to <= from {
            continue;
        }
        let len_ns = (to - from) as f64 * 1e6;
        cells.extend(cpus.iter().map(|&cpu| Cell {
            cpu,
            from_s: from as f64 / 1e3,
            to_s: to as f64 / 1e3,
            busy: used.get(&(col, cpu)).copied().unwrap_or(0.0) / len_ns,
        }));
    }
    Some(Occupancy {
        cpus: cpus.into_iter().collect(),
        cells,
    })
}

/// The wake-latency distribution of every reporting worker.
#[derive(Clone, Debug, PartialEq)]
pub struct Latency {
    /// Log-spaced bins: (from µs, to µs, samples in it).
    pub bins: Vec<(f64, f64, u64)>,
    /// Percentiles of the kept samples, in ns.
    pub pct: Percentiles,
    /// Latencies measured in all (the record keeps a uniform subset).
    pub measured: u64,
}

/// How many bins the histogram has.
pub const BINS: usize = 40;

/// The histogram of the kept wake-latency samples of `groups`; None when
/// no worker measured any.
pub fn latency(groups: &[ReportGroup]) -> Option<Latency> {
    let live = groups
        .iter()
        .flat_map(|g| &g.reports)
        .filter(|r| !r.sentinel);
    let (mut all, mut measured) = (Vec::new(), 0);
    for r in live {
        all.extend(r.wake_latency.samples.iter().copied());
        measured += r.wake_latency.count;
    }
    let pct = Percentiles::of(&all)?;
    // Log bins from the smallest to the largest sample (at least 1 ns,
    // and a decade wide when all samples are equal).
    let lo = (*all.iter().min()? as f64).max(1.0) / 1e3;
    let hi = (pct.max as f64 / 1e3).max(lo * 10.0);
    let ratio = (hi / lo).powf(1.0 / BINS as f64);
    let edge = |i: usize| lo * ratio.powi(i as i32);
    let mut counts = [0u64; BINS];
    for &ns in &all {
        let us = (ns as f64).max(1.0) / 1e3;
        let i = ((us / lo).ln() / ratio.ln()).floor().max(0.0) as usize;
        counts[i.min(BINS - 1)] += 1;
    }
    Some(Latency {
        bins: (0..BINS)
            .map(|i| (edge(i), edge(i + 1), counts[i]))
            .collect(),
        pct,
        measured,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{CheckKind, CheckResult, CheckStatus};
    use crate::scenario::Point;
    use crate::workload::{WorkerReport, WorkerSample};

    fn point(cg: &str, idx: usize, it: u64, cpu: u32, cpu_ns: u64) -> Point {
        Point {
            cgroup: cg.into(),
            workload: 0,
            worker: WorkerSample {
                index: idx,
                iterations: it,
                cpu: Some(cpu),
                cpu_ns: Some(cpu_ns),
                ..Default::default()
            },
        }
    }

    /// Every 100 ms: worker 0 busy all the time on CPU 0; worker 1 on
    /// CPU 1 at half time in step 0, then on CPU 0 (step 1, from 200 ms).
    fn rows() -> Vec<Sample> {
        (0..4u64)
            .map(|i| Sample {
                at_ms: i * 100,
                step: usize::from(i >= 2),
                points: vec![
                    point("a", 0, i * 10, 0, i * 100_000_000),
                    point("b", 1, i, if i >= 2 { 0 } else { 1 }, i * 50_000_000),
                ],
            })
            .collect()
    }

    #[test]
    fn occupancy_charges_each_cpu_with_its_workers_cpu_time() {
        let occ = occupancy(&rows(), &[0, 1, 2]).unwrap();
        assert_eq!(occ.cpus, [0, 1, 2], "an online CPU no worker used is a row");
        let at = |cpu, from: f64| {
            occ.cells
                .iter()
                .find(|c| c.cpu == cpu && (c.from_s - from).abs() < 1e-9)
                .unwrap()
                .busy
        };
        assert!((at(0, 0.0) - 1.0).abs() < 1e-9);
        assert!((at(1, 0.0) - 0.5).abs() < 1e-9);
        assert!(
            (at(0, 0.2) - 1.5).abs() < 1e-9,
            "both on CPU 0 after the move"
        );
        assert_eq!(at(1, 0.2), 0.0);
        assert_eq!(at(2, 0.1), 0.0);
        assert_eq!(occ.cells.len(), 3 * 3);
        // Without CPU times there is nothing to say per CPU.
        let mut blind = rows();
        blind
            .iter_mut()
            .flat_map(|s| &mut s.points)
            .for_each(|p| p.worker.cpu_ns = None);
        assert_eq!(occupancy(&blind, &[0, 1]), None);
    }

    #[test]
    fn a_long_run_merges_intervals_and_keeps_the_busy_time() {
        // 2001 samples 10 ms apart, one worker busy half the time on CPU 3.
        let long: Vec<Sample> = (0..=2000u64)
            .map(|i| Sample {
                at_ms: i * 10,
                step: 0,
                points: vec![point("a", 0, i, 3, i * 5_000_000)],
            })
            .collect();
        let occ = occupancy(&long, &[]).unwrap();
        assert_eq!(occ.cells.len(), MAX_COLUMNS, "2000 intervals, 5 per column");
        assert!(occ.cells.iter().all(|c| (c.busy - 0.5).abs() < 1e-9));
        assert!((occ.cells[MAX_COLUMNS - 1].to_s - 20.0).abs() < 1e-9);
    }

    #[test]
    fn steps_are_marked_where_the_samples_change_step_and_named_from_verdicts() {
        let named = Verdict {
            results: vec![CheckResult {
                kind: CheckKind::Fairness,
                group: "step 1 'shrink to CPU 1' a:b".into(),
                status: CheckStatus::Passed,
                threshold: String::new(),
                measured: String::new(),
                message: String::new(),
            }],
        };
        let marks = step_marks(&rows(), &[named]);
        assert_eq!(
            marks,
            [StepMark {
                at_s: 0.2,
                label: "step 1 'shrink to CPU 1'".into()
            }]
        );
        assert_eq!(step_marks(&rows(), &[])[0].label, "step 1");
        let lines = worker_lines(&rows());
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].label, "b #1");
        assert_eq!(lines[0].points[3], (0.3, 30.0));
    }

    #[test]
    fn latency_bins_hold_every_kept_sample_between_min_and_max() {
        let mut r = WorkerReport::default();
        for ns in [2_000, 3_000, 50_000, 1_000_000] {
            r.wake_latency.samples.push(ns);
        }
        r.wake_latency.count = 10;
        let lat = latency(&[ReportGroup::new("g", vec![r])]).unwrap();
        assert_eq!(lat.bins.len(), BINS);
        assert_eq!(lat.bins.iter().map(|b| b.2).sum::<u64>(), 4);
        assert!((lat.bins[0].0 - 2.0).abs() < 1e-9);
        assert!((lat.bins[BINS - 1].1 - 1000.0).abs() < 1e-6);
        assert_eq!(
            lat.bins[BINS - 1].2,
            1,
            "the largest sample is in the last bin"
        );
        assert_eq!((lat.measured, lat.pct.max), (10, 1_000_000));
        assert_eq!(latency(&[ReportGroup::new("g", vec![])]), None);
    }
}
