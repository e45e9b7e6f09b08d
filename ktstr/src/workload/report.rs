//! What a worker reports: [`WorkerReport`], how it ended ([`ExitInfo`]) and
//! its wake-latency samples ([`LatencySamples`]).
//!
//! Reports travel from worker to spawner as JSON over one pipe per worker, in
//! all clone modes. A worker that sends nothing readable gets a *sentinel*
//! report ([`WorkerReport::sentinel`]): `sentinel == true`, zero telemetry,
//! and `exit_info` saying what became of it. Sentinels are never mistaken
//! for real reports, and no worker is ever left out of the result.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// How a worker ended, when that is worth reporting.
///
/// A worker that ran to the stop request and reported normally has
/// `exit_info == None`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExitInfo {
    /// The work body panicked; the payload's message. The report still
    /// carries the telemetry gathered up to the panic.
    Panicked(String),
    /// The worker did not report within the collect deadline and was killed
    /// (or, for a Thread worker that cannot be killed, abandoned).
    TimedOut,
    /// The worker process was killed by this signal before it reported.
    Killed(i32),
    /// `waitpid` on the worker failed with this errno.
    WaitFailed(i32),
    /// The worker process exited with this code without a report.
    Exited(i32),
}

/// One CPU change seen between two progress checkpoints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Migration {
    /// When it was seen, in ns since the worker started its loop.
    pub at_ns: u64,
    /// CPU at the previous checkpoint.
    pub from_cpu: u32,
    /// CPU now.
    pub to_cpu: u32,
}

/// `/proc/thread-self/schedstat` deltas over the work loop.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedstat {
    /// Time on a CPU, in ns.
    pub cpu_time_ns: u64,
    /// Time runnable but waiting on a runqueue, in ns.
    pub run_delay_ns: u64,
    /// Number of times the task was scheduled in (not a switch count).
    pub pcount: u64,
}

/// Wake/resume latency samples: exact count, sum, min and max, plus a
/// uniform reservoir of at most [`LatencySamples::CAPACITY`] samples for
/// percentiles.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatencySamples {
    /// Samples offered (every one, including those not kept).
    pub count: u64,
    /// Sum of all offered samples, in ns.
    pub sum_ns: u64,
    /// Smallest sample, in ns (0 when `count == 0`).
    pub min_ns: u64,
    /// Largest sample, in ns.
    pub max_ns: u64,
    /// A uniform random subset of the samples (Algorithm R), in ns.
    pub samples: Vec<u64>,
    #[serde(skip)]
    rng: u64,
}

impl LatencySamples {
    /// Most samples kept per worker.
    pub const CAPACITY: usize = 16_384;

    /// Record one sample.
    pub fn push(&mut self, ns: u64) {
        self.count += 1;
        self.sum_ns = self.sum_ns.saturating_add(ns);
        self.max_ns = self.max_ns.max(ns);
        self.min_ns = if self.count == 1 {
            ns
        } else {
            self.min_ns.min(ns)
        };
        if self.samples.len() < Self::CAPACITY {
            self.samples.push(ns);
            return;
        }
        // Algorithm R: keep the new sample with probability CAPACITY/count.
        if self.rng == 0 {
            self.rng = 0x9E37_79B9_7F4A_7C15 ^ self.count;
        }
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let j = self.rng % self.count;
        if (j as usize) < Self::CAPACITY {
            self.samples[j as usize] = ns;
        }
    }

    /// Mean of every offered sample, in ns.
    pub fn mean_ns(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum_ns as f64 / self.count as f64)
    }
}

/// Everything one worker measured.
///
/// A *work unit* is the type's unit of progress (a spin step, a write, a
/// round trip: see each `WorkType`'s doc); an *iteration* is one pass of its
/// outer loop. Progress checkpoints happen once per iteration: they count
/// migrations and track the longest gap between two consecutive
/// checkpoints, which is time the worker wanted to run but did not (time a
/// type spends blocked on purpose is excluded).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkerReport {
    /// Position in spawn order.
    pub index: usize,
    /// Thread id (equal to the pid for a Fork worker).
    pub tid: i32,
    /// `WorkType::name()` of the type it ran.
    pub work_type: String,
    /// Group number for grouped types (`index / group_size`), else `index`.
    pub group: usize,
    /// Role inside the group, e.g. "waker" or "waiter"; "worker" when
    /// ungrouped.
    pub role: String,
    /// Units of work done.
    pub work_units: u64,
    /// Outer-loop iterations.
    pub iterations: u64,
    /// CPU time of the loop (`CLOCK_THREAD_CPUTIME_ID` delta), in ns, read
    /// at the same points as `wall_time_ns` and never above it.
    pub cpu_time_ns: u64,
    /// Wall time of the loop, in ns: `ended_at_ns - started_at_ns`.
    pub wall_time_ns: u64,
    /// When the worker's loop began: `CLOCK_MONOTONIC`, in ns (the same
    /// clock in every process of the machine, so the reports of one
    /// workload can be laid side by side). 0 in a sentinel.
    pub started_at_ns: u64,
    /// When the worker's loop ended (`CLOCK_MONOTONIC`, ns). 0 in a
    /// sentinel.
    pub ended_at_ns: u64,
    /// CPU changes seen at checkpoints.
    pub migrations: u64,
    /// The first [`WorkerReport::MIGRATION_LOG_CAP`] migrations.
    pub migration_log: Vec<Migration>,
    /// Every CPU seen at a checkpoint.
    pub cpus_used: BTreeSet<u32>,
    /// Longest gap between checkpoints, in ns.
    pub max_gap_ns: u64,
    /// CPU at the checkpoint that opened the longest gap.
    pub max_gap_cpu: u32,
    /// When the longest gap ended, in ns since the loop started.
    pub max_gap_at_ns: u64,
    /// Wake/resume latencies (what each type measures is in its doc).
    pub wake_latency: LatencySamples,
    /// schedstat deltas, where the kernel provides them.
    pub schedstat: Option<Schedstat>,
    /// Voluntary context switches during the loop (`getrusage`, thread).
    pub voluntary_csw: u64,
    /// Involuntary context switches (preemptions) during the loop.
    pub involuntary_csw: u64,
    /// Why the requested affinity could not be applied.
    pub affinity_error: Option<String>,
    /// Why the requested scheduling policy could not be applied.
    pub policy_error: Option<String>,
    /// Why the requested nice value could not be applied.
    pub nice_error: Option<String>,
    /// Why the requested memory policy could not be applied.
    pub mempolicy_error: Option<String>,
    /// An error that ended the work body early (bad parameters, a failed
    /// resource); the telemetry before it is still valid.
    pub error: Option<String>,
    /// Things worth knowing about how the worker ran (fallbacks taken).
    pub notes: Vec<String>,
    /// How the worker ended, when not normally.
    pub exit_info: Option<ExitInfo>,
    /// True for a report made up by the spawner for a worker that sent none.
    pub sentinel: bool,
}

impl WorkerReport {
    /// Most migrations kept in `migration_log`.
    pub const MIGRATION_LOG_CAP: usize = 256;

    /// The report for worker `index` (tid `tid`) that sent none.
    pub fn sentinel(index: usize, tid: i32, work_type: &str, exit_info: ExitInfo) -> WorkerReport {
        WorkerReport {
            index,
            tid,
            group: index,
            work_type: work_type.to_string(),
            role: "worker".into(),
            exit_info: Some(exit_info),
            sentinel: true,
            ..Default::default()
        }
    }

    /// Whether this report is real and the worker ended normally.
    pub fn is_clean(&self) -> bool {
        !self.sentinel && self.exit_info.is_none() && self.error.is_none()
    }

    /// Work units per second of wall time.
    pub fn work_rate(&self) -> f64 {
        if self.wall_time_ns == 0 {
            return 0.0;
        }
        self.work_units as f64 * 1e9 / self.wall_time_ns as f64
    }

    /// The share of its wall time the worker spent on a CPU, in 0.0..=1.0
    /// (0.0 for a loop that took no measurable time).
    pub fn cpu_share(&self) -> f64 {
        if self.wall_time_ns == 0 {
            return 0.0;
        }
        (self.cpu_time_ns as f64 / self.wall_time_ns as f64).min(1.0)
    }

    /// Wall time not spent on a CPU (runqueue waits, sleeps, blocking).
    pub fn off_cpu_ns(&self) -> u64 {
        self.wall_time_ns.saturating_sub(self.cpu_time_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservoir_is_bounded_and_counts_everything() {
        let mut l = LatencySamples::default();
        for i in 0..(LatencySamples::CAPACITY as u64 * 3) {
            l.push(i);
        }
        assert_eq!(l.samples.len(), LatencySamples::CAPACITY);
        assert_eq!(l.count, LatencySamples::CAPACITY as u64 * 3);
        assert_eq!(l.min_ns, 0);
        assert_eq!(l.max_ns, LatencySamples::CAPACITY as u64 * 3 - 1);
        // Uniform: late samples replaced some early ones.
        assert!(l
            .samples
            .iter()
            .any(|&s| s >= LatencySamples::CAPACITY as u64 * 2));
        assert!(l
            .samples
            .iter()
            .any(|&s| s < LatencySamples::CAPACITY as u64));
    }

    #[test]
    fn json_round_trip_keeps_every_field() {
        let mut r = WorkerReport::sentinel(3, 42, "SpinWait", ExitInfo::Killed(9));
        r.work_units = u64::MAX;
        r.cpus_used.insert(1);
        r.wake_latency.push(5);
        r.notes.push("x".into());
        let back: WorkerReport = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back.work_units, u64::MAX);
        assert_eq!(back.exit_info, Some(ExitInfo::Killed(9)));
        assert!(back.sentinel);
        assert_eq!(back.wake_latency.samples, vec![5]);
        assert_eq!(
            back,
            WorkerReport {
                wake_latency: back.wake_latency.clone(),
                ..r
            }
        );
    }
}
