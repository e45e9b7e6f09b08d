//! [`WorkType`]: what a worker does, and the catalogue helpers
//! ([`WorkType::ALL_NAMES`], [`WorkType::from_name`], [`WorkType::suggest`]).

use std::time::Duration;

use serde::Serialize;

use super::types::{
    self, cache, churn, contention, custom, fanout, fork_exit, futex, io, page_fault, pipe,
    sequence, spin, Family,
};
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
    /// Pipe ping-pong between the two workers of a pair, in strict
    /// alternation. "ping" spins `burst_iters` steps, writes an 8-byte
    /// message to "pong" and blocks in `poll` until the answer; "pong"
    /// blocks until the message, spins `burst_iters` steps and answers.
    /// Exactly one of the pair is runnable at a time and every message is
    /// a synchronous (WF_SYNC) pipe wakeup of a partner that is asleep:
    /// it provokes wake-affine placement decisions (pull the wakee to the
    /// waker's CPU, or wake it on another) and measures wake-to-run
    /// latency. With `burst_iters: 0` it is `perf bench sched pipe`.
    ///
    /// Unit: one message received and handled — a completed round trip
    /// for ping, an answered message for pong — so `work_units ==
    /// iterations` and ping's work rate is round trips per second.
    /// Samples: one per message received, from the sender's
    /// `CLOCK_MONOTONIC` timestamp (taken just before its `write` and
    /// carried in the message) until the receiver has read it after its
    /// wakeup.
    ///
    /// Group of 2 (roles "ping", "pong"), two pipes per pair; the soft
    /// open-file limit is raised (up to the hard one) when the pipes need
    /// it. A partner that exits or is killed ends the other's loop early
    /// (EOF or EPIPE) with a note in its report.
    PipeIo {
        /// Spin steps before each message (0: pure round trips).
        burst_iters: u64,
    },
    /// [`WorkType::PipeIo`] with a private `size_kb` buffer: instead of
    /// spinning, each side walks its buffer one cache line (64 bytes) per
    /// step for `burst_iters` read-modify-writes after every wake. A
    /// wakeup placed on a CPU (or LLC) other than the one the buffer is
    /// hot in pays cache misses: it provokes the trade-off between waking
    /// near the waker and waking where the wakee's cache is, visible as a
    /// lower round-trip rate. Units and samples as for `PipeIo`.
    CachePipe {
        /// Buffer size in KiB (1..=1 GiB).
        size_kb: usize,
        /// Cache-line touches before each message (0: pure round trips).
        burst_iters: u64,
    },
    /// A turn passed back and forth between the two workers of a pair
    /// through a futex word in a shared page: wait until it is my turn
    /// (`FUTEX_WAIT`), spin `spin_iters`, stamp the time, hand the turn over
    /// (`Release` store) and `FUTEX_WAKE` the partner. Strict alternation,
    /// like `PipeIo`, but through plain (non-WF_SYNC) futex wakeups, the
    /// path of mutexes and condition variables: it provokes cross-CPU
    /// wakeups of a partner whose waker keeps running, and measures
    /// wake-to-run latency.
    ///
    /// Unit: one turn taken (so a round trip is one unit on each side).
    /// Samples: one per turn received (all but ping's very first turn,
    /// which is given, not passed), from the timestamp the partner wrote in
    /// the shared page just before handing the turn over until this worker
    /// sees the turn after its wakeup.
    ///
    /// Group of 2 (roles "ping", "pong"). A dead partner never passes the
    /// turn back: the other keeps waiting (100 ms at a time) until stop.
    FutexPingPong {
        /// Spin steps per turn (0: pure hand-overs).
        spin_iters: u64,
    },
    /// 1:N wake storms: per round, a messenger `FUTEX_WAKE`s all `fan_out`
    /// receivers, which are asleep on one generation word, at once, then
    /// spins `spin_iters` (so a wakee placed on its CPU waits behind it)
    /// and sleeps until every receiver has acknowledged. Each receiver
    /// spins `spin_iters` after its wakeup and acknowledges; the last
    /// acknowledgement wakes the messenger. It provokes the placement of
    /// many simultaneous wakees (idle-CPU search, wakee stacking) and
    /// measures wake latency under fan-out.
    ///
    /// Unit: one round — broadcast sent and fully acknowledged for the
    /// messenger, one wakeup handled and acknowledged for a receiver.
    /// Samples: receivers, one per round, from the messenger's timestamp in
    /// the shared page (taken just before the broadcast) until the
    /// receiver sees the new generation; the messenger, one per round,
    /// from the latest acknowledgement's timestamp until it sees the round
    /// complete.
    ///
    /// Group of `fan_out + 1` (roles "messenger", then "receiver"s). A dead
    /// member stalls its group's rounds: the others wait (100 ms at a
    /// time) until stop.
    FutexFanOut {
        /// Receivers per messenger (1..=4096).
        fan_out: usize,
        /// Spin steps per round, for the messenger and each receiver.
        spin_iters: u64,
    },
    /// Fork-join compute: per round, a messenger wakes `fan_out` workers at
    /// once (as in [`WorkType::FutexFanOut`]) and sleeps until all are done;
    /// each worker sleeps `sleep_usec`, then runs `operations` naive
    /// matrix multiplies over its own `cache_footprint_kb` buffer (three
    /// square u64 matrices) and acknowledges. The shape of a thread pool
    /// fanning out a parallel job: it provokes wakee placement under
    /// fan-out followed by cache-heavy compute, where a wakee stacked on a
    /// busy CPU or moved away from its cache delays the whole round.
    ///
    /// Unit: one round for the messenger; one matrix multiply for a worker.
    /// Samples: as for `FutexFanOut` (workers from the messenger's
    /// broadcast timestamp, the messenger from the latest acknowledgement's
    /// timestamp).
    ///
    /// Group of `fan_out + 1` (roles "messenger", then "worker"s).
    FanOutCompute {
        /// Workers per messenger (1..=4096).
        fan_out: usize,
        /// Size of each worker's matrix buffer in KiB (1..=1 GiB).
        cache_footprint_kb: usize,
        /// Matrix multiplies per wake (≥ 1).
        operations: u64,
        /// Sleep between a wake and the compute, in µs (≤ 10 s; 0: none).
        sleep_usec: u64,
    },
    /// `contenders` workers fighting over one futex mutex (three-state:
    /// free, held, held with waiters): spin `work_iters` outside the lock,
    /// acquire it (blocking in `FUTEX_WAIT` when it is taken), spin
    /// `hold_iters` inside it, release it (waking one waiter if any). It
    /// provokes lock convoys and lock-holder preemption: a holder
    /// preempted inside its critical section stalls every waiter.
    ///
    /// Unit: one critical section (acquire, hold, release). Samples: one
    /// per acquisition that had to wait, from the timestamp the previous
    /// holder wrote in the shared page just before releasing until this
    /// worker holds the lock (the lock hand-off latency).
    ///
    /// Group of `contenders` (role "contender"); 1 is an uncontended
    /// baseline. A contender stopped while waiting leaves without the lock
    /// and never releases a lock it does not hold; a contender killed
    /// inside its critical section leaves the lock held, and the others
    /// wait (100 ms at a time) until stop.
    MutexContention {
        /// Workers per lock (1..=4096).
        contenders: usize,
        /// Spin steps inside the lock.
        hold_iters: u64,
        /// Spin steps between critical sections.
        work_iters: u64,
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

    /// `PipeIo` with its default: 1024 spin steps before each message.
    pub fn pipe_io() -> WorkType {
        WorkType::PipeIo { burst_iters: 1024 }
    }

    /// `CachePipe` with its defaults: 32 KiB buffer, 1024 touches per
    /// message.
    pub fn cache_pipe() -> WorkType {
        WorkType::CachePipe {
            size_kb: 32,
            burst_iters: 1024,
        }
    }

    /// `FutexPingPong` with its default: 1024 spin steps per turn.
    pub fn futex_ping_pong() -> WorkType {
        WorkType::FutexPingPong { spin_iters: 1024 }
    }

    /// `FutexFanOut` with its defaults: 4 receivers, 1024 spin steps.
    pub fn futex_fan_out() -> WorkType {
        WorkType::FutexFanOut {
            fan_out: 4,
            spin_iters: 1024,
        }
    }

    /// `FanOutCompute` with its defaults: 4 workers, 256 KiB, 5 multiplies
    /// per wake, 100 µs sleep.
    pub fn fan_out_compute() -> WorkType {
        WorkType::FanOutCompute {
            fan_out: 4,
            cache_footprint_kb: 256,
            operations: 5,
            sleep_usec: 100,
        }
    }

    /// `MutexContention` with its defaults: 4 contenders, 256 steps held,
    /// 1024 steps between.
    pub fn mutex_contention() -> WorkType {
        WorkType::MutexContention {
            contenders: 4,
            hold_iters: 256,
            work_iters: 1024,
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
            WorkType::PipeIo { burst_iters } => Box::new(pipe::Pipe {
                burst_iters: *burst_iters,
                cache_kb: None,
            }),
            WorkType::CachePipe {
                size_kb,
                burst_iters,
            } => Box::new(pipe::Pipe {
                burst_iters: *burst_iters,
                cache_kb: Some(*size_kb),
            }),
            WorkType::FutexPingPong { spin_iters } => Box::new(futex::FutexPingPong {
                spin_iters: *spin_iters,
            }),
            WorkType::FutexFanOut {
                fan_out,
                spin_iters,
            } => Box::new(fanout::FanOut {
                fan_out: *fan_out,
                work: fanout::Work::Spin(*spin_iters),
            }),
            WorkType::FanOutCompute {
                fan_out,
                cache_footprint_kb,
                operations,
                sleep_usec,
            } => Box::new(fanout::FanOut {
                fan_out: *fan_out,
                work: fanout::Work::Compute {
                    footprint_kb: *cache_footprint_kb,
                    operations: *operations,
                    sleep_usec: *sleep_usec,
                },
            }),
            WorkType::MutexContention {
                contenders,
                hold_iters,
                work_iters,
            } => Box::new(contention::MutexContention {
                contenders: *contenders,
                hold_iters: *hold_iters,
                work_iters: *work_iters,
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
                    let n = wt.worker_group_size().unwrap_or(1);
                    assert!(wt.validate(n).is_ok(), "{name} defaults must validate");
                }
                None => assert!(!buildable, "{name}"),
            }
        }
        assert_eq!(WorkType::ALL_NAMES.len(), 20);
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
    fn group_column_matches_group_size() {
        for (name, group, _, _) in WorkType::catalogue() {
            if let Some(wt) = WorkType::from_name(name) {
                match (group, wt.worker_group_size()) {
                    ("-", None) => {}
                    ("2", Some(2)) => {}
                    ("fan+1", Some(5)) => {} // default fan_out 4
                    ("N", Some(4)) => {}     // default contenders 4
                    other => panic!("{name}: group column vs size {other:?}"),
                }
            }
        }
    }

    #[test]
    fn grouped_types_reject_bad_counts_and_parameters() {
        let e = WorkType::pipe_io().validate(3).unwrap_err();
        assert_eq!(e, "PipeIo needs a multiple of 2 workers, got 3");
        let e = WorkType::FutexFanOut { fan_out: 0, spin_iters: 1 }
            .validate(4)
            .unwrap_err();
        assert!(e.contains("fan_out is 0"), "{e}");
        let e = WorkType::MutexContention { contenders: 0, hold_iters: 1, work_iters: 1 }
            .validate(4)
            .unwrap_err();
        assert!(e.contains("contenders is 0"), "{e}");
        let e = WorkType::CachePipe { size_kb: 0, burst_iters: 1 }
            .validate(2)
            .unwrap_err();
        assert!(e.contains("size_kb is 0"), "{e}");
        let e = WorkType::FanOutCompute {
            fan_out: 2,
            cache_footprint_kb: 64,
            operations: 0,
            sleep_usec: 0,
        }
        .validate(3)
        .unwrap_err();
        assert!(e.contains("operations is 0"), "{e}");
        assert_eq!(
            WorkType::FutexFanOut { fan_out: usize::MAX, spin_iters: 1 }.worker_group_size(),
            Some(usize::MAX)
        );
        assert!(WorkType::fan_out_compute().validate(10).is_ok());
        assert!(WorkType::mutex_contention().validate(6).is_err());
    }
}
