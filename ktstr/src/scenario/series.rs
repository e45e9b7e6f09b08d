//! Samples over time: every worker's progress, CPU and CPU time, taken
//! every few ms during a scenario, and the measures the step checks take
//! over a window of them (longest stall, progress, CPU time, rate, share).

use serde::{Deserialize, Serialize};

use crate::workload::WorkerSample;

/// One worker in one sample: which cgroup it was in, which workload of
/// the scenario it belongs to, and what [`WorkerSample`] said.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Point {
    /// The cgroup it was in.
    pub cgroup: String,
    /// Its workload's number in the scenario (0, 1, ... in spawn order).
    pub workload: usize,
    /// The worker at that instant.
    pub worker: WorkerSample,
}

impl Point {
    /// (workload, worker index): a worker's identity across samples.
    pub fn key(&self) -> (usize, usize) {
        (self.workload, self.worker.index)
    }
}

/// Every live worker at one instant.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    /// Since the scenario started, in ms.
    pub at_ms: u64,
    /// The step it was taken in.
    pub step: usize,
    /// One point per live worker.
    pub points: Vec<Point>,
}

/// The samples of a run as they go into the test's JSON record: bounded
/// to about [`Samples::MAX_POINTS`] points by keeping every k-th sample.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Samples {
    /// The sampling period, in ms.
    pub every_ms: u64,
    /// Keeps every `stride`-th sample of the run (1: all of them).
    pub stride: usize,
    /// The samples kept.
    pub rows: Vec<Sample>,
}

impl Samples {
    /// About how many points the record keeps.
    pub const MAX_POINTS: usize = 2000;

    /// Thin `all` to at most about [`Self::MAX_POINTS`] points, keeping
    /// the first and last sample.
    pub fn bounded(every_ms: u64, all: &[Sample]) -> Samples {
        let points: usize = all.iter().map(|s| s.points.len().max(1)).sum();
        let stride = points.div_ceil(Self::MAX_POINTS).max(1);
        let mut rows: Vec<Sample> = all.iter().step_by(stride).cloned().collect();
        if let Some(last) = all.last() {
            if rows.last() != Some(last) {
                rows.push(last.clone());
            }
        }
        Samples {
            every_ms,
            stride,
            rows,
        }
    }
}

/// One worker's points through a window, in time order.
pub type Track<'a> = Vec<(u64, &'a Point)>;

/// Every worker seen in `window`, each with its track, in first-seen order.
pub fn tracks(window: &[Sample]) -> Vec<Track<'_>> {
    let mut out: Vec<Track<'_>> = Vec::new();
    for s in window {
        for p in &s.points {
            match out.iter_mut().find(|t| t[0].1.key() == p.key()) {
                Some(t) => t.push((s.at_ms, p)),
                None => out.push(vec![(s.at_ms, p)]),
            }
        }
    }
    out
}

/// The cgroup a worker ended the window in.
pub fn cgroup_of<'a>(track: &Track<'a>) -> &'a str {
    &track.last().expect("a track has a point").1.cgroup
}

/// Iterations done over the track.
pub fn progress(track: &Track<'_>) -> u64 {
    let (first, last) = (track[0].1, track[track.len() - 1].1);
    last.worker
        .iterations
        .saturating_sub(first.worker.iterations)
}

/// CPU time over the track in ns (None where a sample lacked it).
pub fn cpu_ns(track: &Track<'_>) -> Option<u64> {
    let (first, last) = (track[0].1, track[track.len() - 1].1);
    Some(last.worker.cpu_ns?.saturating_sub(first.worker.cpu_ns?))
}

/// The longest time the worker's iterations did not change, in ms, and
/// when that stall began (ms since the scenario's start). Measured from
/// the first to the last point, at the sampling period's resolution.
pub fn longest_stall(track: &Track<'_>) -> (u64, u64) {
    let mut since = track[0].0;
    let mut last = track[0].1.worker.iterations;
    let mut worst = (0, since);
    for &(at, p) in &track[1..] {
        if p.worker.iterations != last {
            last = p.worker.iterations;
            since = at;
        } else if at - since > worst.0 {
            worst = (at - since, since);
        }
    }
    worst
}

/// Iterations per second summed over every worker whose track ends in
/// `cgroup` (None when none does, or the window has no length).
pub fn rate(window: &[Sample], cgroup: &str) -> Option<f64> {
    let ts = tracks(window);
    let ours: Vec<&Track<'_>> = ts.iter().filter(|t| cgroup_of(t) == cgroup).collect();
    let (first, last) = (window.first()?.at_ms, window.last()?.at_ms);
    if ours.is_empty() || last <= first {
        return None;
    }
    let done: u64 = ours.iter().map(|t| progress(t)).sum();
    Some(done as f64 * 1000.0 / (last - first) as f64)
}

/// CPU time (ns) of every worker whose track ends in `cgroup`, summed;
/// None when there is none or a sample lacked CPU time.
pub fn cgroup_cpu_ns(window: &[Sample], cgroup: &str) -> Option<u64> {
    let ts = tracks(window);
    let ours: Vec<&Track<'_>> = ts.iter().filter(|t| cgroup_of(t) == cgroup).collect();
    if ours.is_empty() {
        return None;
    }
    ours.iter().map(|t| cpu_ns(t)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(cg: &str, wl: usize, idx: usize, it: u64, cpu_ns: u64) -> Point {
        Point {
            cgroup: cg.into(),
            workload: wl,
            worker: WorkerSample {
                index: idx,
                iterations: it,
                cpu: Some(0),
                cpu_ns: Some(cpu_ns),
                ..Default::default()
            },
        }
    }

    /// Samples every 100 ms: "a" advances steadily, "b" stalls from 200
    /// to 600 ms, and does a quarter of a's CPU time.
    fn series() -> Vec<Sample> {
        let b_iters = [0, 5, 10, 10, 10, 10, 10, 15];
        (0..8)
            .map(|i| Sample {
                at_ms: i as u64 * 100,
                step: 0,
                points: vec![
                    point("a", 0, 0, i as u64 * 10, i as u64 * 80_000_000),
                    point("b", 1, 0, b_iters[i], i as u64 * 20_000_000),
                ],
            })
            .collect()
    }

    #[test]
    fn series_longest_stall_finds_the_flat_stretch_and_when_it_began() {
        let s = series();
        let ts = tracks(&s);
        assert_eq!(ts.len(), 2);
        assert_eq!(longest_stall(&ts[0]), (0, 0));
        assert_eq!(longest_stall(&ts[1]), (400, 200));
        // A worker that never moves stalls the whole window.
        let flat: Vec<Sample> = (0..4)
            .map(|i| Sample {
                at_ms: i * 100,
                step: 0,
                points: vec![point("a", 0, 0, 7, 0)],
            })
            .collect();
        assert_eq!(longest_stall(&tracks(&flat)[0]), (300, 0));
    }

    #[test]
    fn series_rate_and_share_come_from_window_deltas() {
        let s = series();
        // a: 70 iterations in 700 ms.
        assert!((rate(&s, "a").unwrap() - 100.0).abs() < 1e-9);
        // Over the last four samples only (a window), b did 5 in 300 ms.
        assert!((rate(&s[4..], "b").unwrap() - 5.0 * 1000.0 / 300.0).abs() < 1e-9);
        let (a, b) = (
            cgroup_cpu_ns(&s, "a").unwrap(),
            cgroup_cpu_ns(&s, "b").unwrap(),
        );
        assert_eq!((a, b), (560_000_000, 140_000_000));
        assert_eq!(rate(&s, "none"), None);
        assert_eq!(
            rate(&s[..1], "a"),
            None,
            "a window of one sample has no length"
        );
    }

    #[test]
    fn series_tracks_follow_a_worker_that_moved_cgroups() {
        let mut s = series();
        for x in &mut s[4..] {
            x.points[1].cgroup = "a".into();
        }
        let ts = tracks(&s);
        assert_eq!(cgroup_of(&ts[1]), "a");
        assert_eq!(progress(&ts[1]), 15);
    }

    #[test]
    fn series_record_is_bounded_and_keeps_the_last_sample() {
        let many: Vec<Sample> = (0..10_000)
            .map(|i| Sample {
                at_ms: i,
                step: 0,
                points: vec![point("a", 0, 0, i, 0)],
            })
            .collect();
        let b = Samples::bounded(100, &many);
        assert!(b.rows.len() <= Samples::MAX_POINTS + 1, "{}", b.rows.len());
        assert_eq!(b.stride, 5);
        assert_eq!(b.rows.last().unwrap().at_ms, 9_999);
        assert_eq!(Samples::bounded(100, &many[..10]).rows.len(), 10);
    }
}
