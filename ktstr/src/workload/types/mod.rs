//! The work types: one file per family, each providing a [`Family`] (how to
//! validate and build the workers of that type) and the [`Body`] each worker
//! runs.
//!
//! Adding a type is a new file here plus its `WorkType` variant, its line in
//! `WorkType::family` and its [`Entry`] in [`CATALOGUE`]; the engine itself
//! (spawn, start, stop, collect) does not change.

use super::worker::{Seat, Worker};
use super::{MemberWork, WorkType, WorkloadConfig};

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
pub(crate) mod plan;
pub(crate) mod priority;
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
    /// lives only in its owner (a writer whose partner died gets EPIPE).
    fn owned_fds(&self) -> Vec<std::os::fd::RawFd> {
        Vec::new()
    }

    /// For a body that blocks where the stop word cannot reach it (a
    /// `read(2)` or a `FUTEX_WAIT` on a word of its own, without a
    /// timeout): what the spawner must do to wake it at stop. Called once, by `spawn`, before any worker exists; the hook
    /// stays with the handle, which runs it right after requesting stop.
    fn take_stop_hook(&mut self) -> Option<Box<dyn StopHook>> {
        None
    }
}

/// How the spawner wakes a worker blocked where the stop word cannot reach
/// it (see [`Body::take_stop_hook`]): a message in the pipe it reads, a
/// flag in the futex word it sleeps on.
///
/// `WorkloadHandle` holds the hooks from `spawn` until it stops the
/// workload (`stop_and_collect` or drop), runs each [`wake`](Self::wake)
/// once right after `Control::request_stop`, then drops them. Every Fork
/// child and the pcomm container close the hooks' [`fds`](Self::fds), which
/// must be `O_CLOEXEC`: no worker holds what only the spawner should.
pub(crate) trait StopHook: Send + Sync {
    /// Wake the worker. Stop is already requested. Must not block (the
    /// worker may be dead, its pipe full or its reader gone) and must not
    /// raise a signal in the spawner (no SIGPIPE).
    fn wake(&self);

    /// The descriptors the hook holds in the spawner.
    fn fds(&self) -> Vec<std::os::fd::RawFd>;
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

/// Build the seat of each planned worker of `config`. A grouped type's
/// planner seats its groups one after the other, members in order, so
/// worker `i` is member `i % size` of its group; that member's
/// `member_work` factor goes into the seat.
pub(crate) fn seats(plan: &[Planned], work_type: &str, config: &WorkloadConfig) -> Vec<Seat> {
    let size = config.work_type.worker_group_size();
    plan.iter()
        .enumerate()
        .map(|(index, p)| {
            let member = size.map_or(0, |g| index % g.max(1));
            debug_assert!(size.map_or(true, |g| p.group == index / g.max(1)));
            Seat {
                index,
                num_workers: plan.len(),
                group: p.group,
                role: p.role,
                work_type: work_type.to_string(),
                member,
                work_factor: MemberWork::factor_of(&config.member_work, member),
            }
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
