//! The work types: one file per family, each providing a [`Family`] (how to
//! validate and build the workers of that type) and the [`Body`] each worker
//! runs.
//!
//! Adding a type is a new file here plus its `WorkType` variant, its line in
//! `WorkType::family` and its [`Entry`] in [`CATALOGUE`]; the engine itself
//! (spawn, start, stop, collect) does not change.

use super::worker::{Seat, Worker};
use super::WorkType;

pub(crate) mod cache;
pub(crate) mod churn;
pub(crate) mod contention;
pub(crate) mod custom;
pub(crate) mod epoll;
pub(crate) mod fanout;
pub(crate) mod fork_exit;
pub(crate) mod futex;
pub(crate) mod group;
pub(crate) mod herd;
pub(crate) mod inversion;
pub(crate) mod io;
pub(crate) mod page_fault;
pub(crate) mod pipe;
pub(crate) mod ring;
pub(crate) mod rt;
pub(crate) mod sequence;
pub(crate) mod signal;
pub(crate) mod smt;
pub(crate) mod spin;
pub(crate) mod waker;

/// What one worker runs. `run` owns the loop: it must call
/// `Worker::end_iteration` once per pass and return once
/// `Worker::should_stop()` is true (checked at least every 100 ms).
/// Every loop is a do-while: a started worker completes at least one pass.
pub(crate) trait Body: Send {
    /// Run until stopped. An `Err` ends the worker early with that message in
    /// `WorkerReport::error`.
    fn run(&mut self, w: &mut Worker) -> Result<(), String>;

    /// The raw file descriptors this body owns (e.g. its pipe ends). In
    /// Fork mode the spawner still holds the bodies not yet spawned when it
    /// forks a worker; that child closes their descriptors, so each pipe end
    /// lives only in its owner and a dead partner shows up as EOF/EPIPE.
    fn owned_fds(&self) -> Vec<std::os::fd::RawFd> {
        Vec::new()
    }
}

/// One worker to be spawned: its body and seat.
pub(crate) struct Planned {
    pub body: Box<dyn Body>,
    pub group: usize,
    pub role: &'static str,
}

/// How a work type validates its parameters and builds its workers.
pub(crate) trait Family {
    /// `WorkType::name()`.
    fn name(&self) -> &'static str;

    /// Workers per group, for grouped types.
    fn group_size(&self) -> Option<usize> {
        None
    }

    /// Check the parameters (not the worker count: the engine checks it
    /// against `group_size`). The message names the value and its limit.
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }

    /// Build the bodies of all `n` workers (and any state their groups
    /// share). Called after validation, before any worker exists.
    fn plan(&self, n: usize) -> Result<Vec<Planned>, String>;
}

/// Plan `n` independent workers from a body constructor.
pub(crate) fn solo<B: Body + 'static>(n: usize, make: impl Fn() -> B) -> Vec<Planned> {
    (0..n)
        .map(|i| Planned {
            body: Box::new(make()),
            group: i,
            role: "worker",
        })
        .collect()
}

/// Build the seat of each planned worker.
pub(crate) fn seats(plan: &[Planned], work_type: &str) -> Vec<Seat> {
    plan.iter()
        .enumerate()
        .map(|(index, p)| Seat {
            index,
            num_workers: plan.len(),
            group: p.group,
            role: p.role,
            work_type: work_type.to_string(),
        })
        .collect()
}

/// `sched_yield()`, returning how long it took to get the CPU back (ns).
pub(crate) fn timed_yield() -> u64 {
    let t = crate::sys::clock::monotonic_ns();
    std::thread::yield_now();
    crate::sys::clock::monotonic_ns().saturating_sub(t)
}

/// A catalogue entry: the name, what it stresses, its group size (in
/// words), and its default parameters.
#[derive(Clone, Copy)]
pub(crate) struct Entry {
    /// PascalCase name.
    pub name: &'static str,
    /// Group size, in words ("-" when ungrouped).
    pub group: &'static str,
    /// One line on what it stresses.
    pub about: &'static str,
    /// The type with default parameters; None for types that need
    /// user input (`Sequence` needs phases, `Custom` a function).
    pub default: Option<fn() -> WorkType>,
}

/// Every work type, in the order `ktstr list` prints them.
pub(crate) const CATALOGUE: [Entry; 30] = [
    spin::SPIN_WAIT,
    spin::MIXED,
    spin::YIELD_HEAVY,
    io::IO_SYNC,
    spin::BURSTY,
    cache::CACHE_PRESSURE,
    cache::CACHE_YIELD,
    sequence::SEQUENCE,
    fork_exit::FORK_EXIT,
    churn::NICE_SWEEP,
    churn::AFFINITY_CHURN,
    churn::POLICY_CHURN,
    page_fault::PAGE_FAULT_CHURN,
    pipe::PIPE_IO,
    pipe::CACHE_PIPE,
    futex::FUTEX_PING_PONG,
    fanout::FUTEX_FAN_OUT,
    fanout::FAN_OUT_COMPUTE,
    contention::MUTEX_CONTENTION,
    herd::THUNDERING_HERD,
    inversion::PRIORITY_INVERSION,
    ring::PRODUCER_CONSUMER_IMBALANCE,
    rt::RT_STARVATION,
    waker::ASYMMETRIC_WAKER,
    waker::WAKE_CHAIN,
    signal::SIGNAL_STORM,
    rt::PREEMPT_STORM,
    epoll::EPOLL_STORM,
    smt::SMT_SIBLING_SPIN,
    custom::CUSTOM,
];

const fn names<const N: usize>(entries: [Entry; N]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = entries[i].name;
        i += 1;
    }
    out
}

/// The names of [`CATALOGUE`].
pub(crate) const NAMES: [&str; CATALOGUE.len()] = names(CATALOGUE);
