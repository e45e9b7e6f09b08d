//! [`Thresholds`]: which checks run and their limits.

use serde::{Deserialize, Serialize};

/// Limits for the checks. `None` disables a check; [`Thresholds::default`]
/// enables the default set (starvation, fairness spread, gaps) with limits
/// tuned to pass on an idle 2-CPU machine and fail when a worker is
/// starved or stalled:
///
/// | check | default | why |
/// |---|---|---|
/// | `not_starved` | on | a worker with zero progress is always a bug |
/// | `max_spread_pct` | 25 percentage points of CPU share | equal hogs share within a few points; a starved worker is ~50 points off |
/// | `max_gap_ms` | 2000 ms | a runnable task not running for 2 s is a stall (the kernel's own RT throttling window is 1 s) |
///
/// The others are off until a test sets them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Fail when a worker made no progress.
    pub not_starved: bool,
    /// Most percentage points between the highest and lowest CPU share
    /// (cpu time / wall time) of workers in one group.
    pub max_spread_pct: Option<f64>,
    /// Longest allowed gap between a worker's progress checkpoints, in ms.
    pub max_gap_ms: Option<u64>,
    /// Highest allowed p99 of the pooled wake latencies of a group, in µs.
    pub max_p99_wake_latency_us: Option<u64>,
    /// Lowest allowed work rate of any worker, in work units per second.
    pub min_work_rate: Option<f64>,
    /// Highest allowed coefficient of variation of work rates in a group.
    pub max_throughput_cv: Option<f64>,
    /// Highest allowed migrations per iteration in a group.
    pub max_migration_ratio: Option<f64>,
    /// Fail when a worker ran on a CPU outside its group's cpuset (groups
    /// without a cpuset are not checked).
    pub isolation: bool,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            not_starved: true,
            max_spread_pct: Some(25.0),
            max_gap_ms: Some(2000),
            max_p99_wake_latency_us: None,
            min_work_rate: None,
            max_throughput_cv: None,
            max_migration_ratio: None,
            isolation: true,
        }
    }
}

impl Thresholds {
    /// Every check off.
    pub fn none() -> Thresholds {
        Thresholds {
            not_starved: false,
            max_spread_pct: None,
            max_gap_ms: None,
            max_p99_wake_latency_us: None,
            min_work_rate: None,
            max_throughput_cv: None,
            max_migration_ratio: None,
            isolation: false,
        }
    }
}
