//! [`WorkType`]: what a worker does, and the catalogue helpers
//! ([`WorkType::ALL_NAMES`], [`WorkType::from_name`], [`WorkType::suggest`]).

use std::time::Duration;

use serde::Serialize;

use super::types::{self, cache, churn, custom, fork_exit, io, page_fault, sequence, spin, Family};
use super::Worker;

/// A `Custom` work body: owns the loop, drives the [`Worker`] recorder, and
/// returns when `Worker::should_stop()` turns true. An `Err` is reported in
/// `WorkerReport::error`.
pub type CustomFn = fn(&mut Worker) -> Result<(), String>;

/// One timed phase of a [`WorkType::Sequence`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Phase {
    /// Spin for the duration.
    Spin(Duration),
    /// Sleep for the duration (cut short by stop); records the overshoot.
    Sleep(Duration),
    /// `sched_yield` repeatedly for the duration.
    Yield(Duration),
    /// Repeat the IoSync cycle for the duration.
    Io(Duration),
}

impl Phase {
    /// How long the phase lasts.
    pub fn duration(&self) -> Duration {
        match self {
            Phase::Spin(d) | Phase::Sleep(d) | Phase::Yield(d) | Phase::Io(d) => *d,
        }
    }
}

/// What each worker does. Every type's doc says what it stresses, what one
/// work unit is, and what its wake-latency samples measure.
///
/// Types with parameters have a constructor with the defaults
/// ([`WorkType::bursty`], ...), and [`WorkType::from_name`] returns them
/// with those defaults.
#[derive(Clone, Debug, Serialize)]
pub enum WorkType {
    /// Pure CPU burner. Unit: one spin step (1024 per iteration). No latency
    /// samples. Stresses fairness between CPU hogs, load balancing and tick
    /// preemption.
    SpinWait,
    /// A 1024-step spin burst then `sched_yield`. Unit: one spin step.
    /// Samples: time inside `sched_yield` until the worker ran again.
    Mixed,
    /// `sched_yield` in a tight loop. Unit: one yield. Samples: time inside
    /// each yield.
    YieldHeavy,
    /// 16 × 4 KiB writes to an unlinked scratch file, then `fdatasync`.
    /// Unit: one write. Samples: time blocked in `fdatasync`; where it does
    /// not block (tmpfs) a 100 µs sleep's overshoot instead.
    IoSync,
    /// Spin for `burst_ms`, sleep for `sleep_ms`. Unit: one spin step.
    /// Samples: how late each sleep's timer wakeup ran (overshoot).
    Bursty {
        /// Length of each CPU burst, in ms (≥ 1).
        burst_ms: u64,
        /// Sleep between bursts, in ms (0 = none).
        sleep_ms: u64,
    },
    /// Read-modify-write over a private buffer. Unit: one byte touched
    /// (1024 per iteration). No samples. Stresses cache-aware placement
    /// and the cost of migrating a cache-hot task.
    CachePressure {
        /// Buffer size in KiB (1..=1 GiB).
        size_kb: usize,
        /// Bytes between touches (less than the buffer size).
        stride: usize,
    },
    /// `CachePressure` plus a `sched_yield` per iteration. Samples: time
    /// inside each yield.
    CacheYield {
        /// Buffer size in KiB.
        size_kb: usize,
        /// Bytes between touches.
        stride: usize,
    },
    /// Cycle through timed phases; one pass over all phases is one
    /// iteration. Units and samples per phase (see [`Phase`]).
    Sequence {
        /// The phases, in order (at least one, none of zero length).
        phases: Vec<Phase>,
    },
    /// Fork a child that `_exit`s at once, then reap it. Unit: one child.
    /// Samples: fork-to-reaped time (creation, first run, exit, reap).
    ForkExit,
    /// Spin 512 steps, step the nice value (from -20, or the current value
    /// without CAP_SYS_NICE, up to 19), yield. Unit: one spin step.
    /// Samples: time inside each yield. Stresses reweighting.
    NiceSweep,
    /// Spin, then pin to a random CPU of the worker's allowed set, yield.
    /// Unit: one spin step. Samples: time inside each yield. Stresses forced
    /// migration.
    AffinityChurn {
        /// Spin steps between re-pins (≥ 1).
        spin_iters: u64,
    },
    /// Spin, then switch scheduling class (OTHER, BATCH, IDLE, and FIFO/RR
    /// at priority 1 when permitted), yield. Unit: one spin step. Samples:
    /// time inside each yield.
    PolicyChurn {
        /// Spin steps between switches (≥ 1).
        spin_iters: u64,
    },
    /// Touch random pages of a private region, then `MADV_DONTNEED` it, then
    /// spin. Unit: one page touch or spin step. No samples. Stresses the
    /// page-fault path and TLB shootdowns.
    PageFaultChurn {
        /// Region size in KiB (4..=16 GiB).
        region_kb: usize,
        /// Page touches per iteration (≥ 1).
        touches_per_cycle: usize,
        /// Spin steps per iteration.
        spin_iters: u64,
    },
    /// A user function that owns the loop; see [`CustomFn`].
    Custom {
        /// Name shown in reports.
        name: &'static str,
        /// The body.
        #[serde(skip)]
        run: CustomFn,
    },
}

impl WorkType {
    /// Every work type's name, in catalogue order.
    pub const ALL_NAMES: &'static [&'static str] = &types::NAMES;

    /// `Bursty` with its defaults: 50 ms bursts, 100 ms sleeps.
    pub fn bursty() -> WorkType {
        WorkType::Bursty {
            burst_ms: 50,
            sleep_ms: 100,
        }
    }

    /// `CachePressure` with its defaults: 32 KiB, stride 64.
    pub fn cache_pressure() -> WorkType {
        WorkType::CachePressure {
            size_kb: 32,
            stride: 64,
        }
    }

    /// `CacheYield` with its defaults: 32 KiB, stride 64.
    pub fn cache_yield() -> WorkType {
        WorkType::CacheYield {
            size_kb: 32,
            stride: 64,
        }
    }

    /// `AffinityChurn` with its default: 1024 spin steps between re-pins.
    pub fn affinity_churn() -> WorkType {
        WorkType::AffinityChurn { spin_iters: 1024 }
    }

    /// `PolicyChurn` with its default: 1024 spin steps between switches.
    pub fn policy_churn() -> WorkType {
        WorkType::PolicyChurn { spin_iters: 1024 }
    }

    /// `PageFaultChurn` with its defaults: 4 MiB, 256 touches, 64 spins.
    pub fn page_fault_churn() -> WorkType {
        WorkType::PageFaultChurn {
            region_kb: 4096,
            touches_per_cycle: 256,
            spin_iters: 64,
        }
    }

    /// `Sequence` over `phases`.
    pub fn sequence(phases: impl IntoIterator<Item = Phase>) -> WorkType {
        WorkType::Sequence {
            phases: phases.into_iter().collect(),
        }
    }

    /// `Custom` named `name` running `run`.
    pub fn custom(name: &'static str, run: CustomFn) -> WorkType {
        WorkType::Custom { name, run }
    }

    /// The one place that maps a variant to its implementation.
    pub(crate) fn family(&self) -> Box<dyn Family> {
        match self {
            WorkType::SpinWait => Box::new(spin::Spin::Wait),
            WorkType::Mixed => Box::new(spin::Spin::Mixed),
            WorkType::YieldHeavy => Box::new(spin::Spin::YieldHeavy),
            WorkType::IoSync => Box::new(io::IoSync),
            WorkType::Bursty { burst_ms, sleep_ms } => Box::new(spin::Bursty {
                burst_ms: *burst_ms,
                sleep_ms: *sleep_ms,
            }),
            WorkType::CachePressure { size_kb, stride } => Box::new(cache::Cache {
                size_kb: *size_kb,
                stride: *stride,
                yield_after: false,
            }),
            WorkType::CacheYield { size_kb, stride } => Box::new(cache::Cache {
                size_kb: *size_kb,
                stride: *stride,
                yield_after: true,
            }),
            WorkType::Sequence { phases } => Box::new(sequence::Sequence {
                phases: phases.clone(),
            }),
            WorkType::ForkExit => Box::new(fork_exit::ForkExit),
            WorkType::NiceSweep => Box::new(churn::Churn::Nice),
            WorkType::AffinityChurn { spin_iters } => Box::new(churn::Churn::Affinity {
                spin_iters: *spin_iters,
            }),
            WorkType::PolicyChurn { spin_iters } => Box::new(churn::Churn::Policy {
                spin_iters: *spin_iters,
            }),
            WorkType::PageFaultChurn {
                region_kb,
                touches_per_cycle,
                spin_iters,
            } => Box::new(page_fault::PageFaultChurn {
                region_kb: *region_kb,
                touches_per_cycle: *touches_per_cycle,
                spin_iters: *spin_iters,
            }),
            WorkType::Custom { name, run } => Box::new(custom::Custom { name, run: *run }),
        }
    }

    /// The type's name (`Custom`'s is the user's).
    pub fn name(&self) -> &'static str {
        self.family().name()
    }

    /// Workers per group for grouped types (`num_workers` must be a multiple
    /// of it); None for types whose workers are independent.
    pub fn worker_group_size(&self) -> Option<usize> {
        self.family().group_size()
    }

    /// The type named `name` (exact, PascalCase) with default parameters.
    /// None for unknown names and for `Sequence` and `Custom`, which need
    /// arguments; [`WorkType::suggest`] gives the "did you mean".
    pub fn from_name(name: &str) -> Option<WorkType> {
        types::CATALOGUE
            .iter()
            .find(|e| e.name == name)
            .and_then(|e| e.default)
            .map(|make| make())
    }

    /// The canonical name closest to `name`, for "did you mean" messages:
    /// an exact case-insensitive match, else the name with the smallest edit
    /// distance if it is close (at most a third of the name's length).
    pub fn suggest(name: &str) -> Option<&'static str> {
        let lower = name.trim().to_ascii_lowercase();
        if let Some(n) = Self::ALL_NAMES
            .iter()
            .find(|n| n.to_ascii_lowercase() == lower)
        {
            return Some(n);
        }
        Self::ALL_NAMES
            .iter()
            .map(|n| (edit_distance(&lower, &n.to_ascii_lowercase()), *n))
            .filter(|(d, n)| *d <= (n.len() / 3).max(1))
            .min_by_key(|(d, _)| *d)
            .map(|(_, n)| n)
    }

    /// The catalogue: (name, group size, what it stresses, buildable from
    /// its name alone).
    pub fn catalogue() -> impl Iterator<Item = (&'static str, &'static str, &'static str, bool)> {
        types::CATALOGUE
            .iter()
            .map(|e| (e.name, e.group, e.about, e.default.is_some()))
    }

    /// Check the parameters and the worker count against the group size.
    pub(crate) fn validate(&self, num_workers: usize) -> Result<(), String> {
        let family = self.family();
        family.validate()?;
        if let Some(g) = family.group_size() {
            if g == 0 || num_workers % g != 0 {
                return Err(format!(
                    "{} needs a multiple of {g} workers, got {num_workers}",
                    family.name()
                ));
            }
        }
        Ok(())
    }
}

/// Levenshtein distance (small strings only).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_buildable_name_round_trips() {
        for (name, _, _, buildable) in WorkType::catalogue() {
            match WorkType::from_name(name) {
                Some(wt) => {
                    assert!(buildable);
                    assert_eq!(wt.name(), name);
                    assert!(wt.validate(1).is_ok(), "{name} defaults must validate");
                }
                None => assert!(!buildable, "{name}"),
            }
        }
        assert_eq!(WorkType::ALL_NAMES.len(), 14);
        assert!(WorkType::from_name("Sequence").is_none());
        assert!(WorkType::from_name("spinwait").is_none());
    }

    #[test]
    fn suggest_is_case_insensitive_and_fuzzy() {
        assert_eq!(WorkType::suggest("spinwait"), Some("SpinWait"));
        assert_eq!(WorkType::suggest("Mixd"), Some("Mixed"));
        assert_eq!(WorkType::suggest("forkexti"), Some("ForkExit"));
        assert_eq!(WorkType::suggest("zzzzzzzz"), None);
    }

    #[test]
    fn ungrouped_types_have_no_group_size() {
        for (name, group, _, _) in WorkType::catalogue() {
            if let Some(wt) = WorkType::from_name(name) {
                assert_eq!(wt.worker_group_size(), None, "{name}");
                assert_eq!(group, "-");
            }
        }
    }
}
