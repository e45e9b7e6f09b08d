//! [`WorkType`]: what a worker does, and the catalogue helpers
//! ([`WorkType::ALL_NAMES`], [`WorkType::from_name`], [`WorkType::suggest`]).

use std::time::Duration;

use serde::Serialize;

use super::CustomFn;

mod constructors;
mod dispatch;
mod names;
#[cfg(test)]
mod tests;

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
    /// message to "pong" and blocks in `read` until the answer; "pong"
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
    /// it. A message costs one `write` and one `read`, as in perf: the
    /// reader blocks in `read` itself, with no `poll` and no timeout. Stop
    /// reaches it through the pipe: the spawner keeps a write end of every
    /// pipe a worker reads, and at stop writes a stop token into each.
    /// So a worker whose partner exits or is killed sees no end of file:
    /// if it was blocked reading, it waits for the stop token and reports
    /// at stop like the others; if it writes next, it gets EPIPE at once
    /// and ends its loop early, with a note in its report.
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
    /// lower round-trip rate. Units and samples as for `PipeIo`, and so
    /// are stop and a partner's death (a blocked reader waits for the stop
    /// token; a writer gets EPIPE and ends early with a note).
    CachePipe {
        /// Buffer size in KiB (1..=1 GiB).
        size_kb: usize,
        /// Cache-line touches before each message (0: pure round trips).
        burst_iters: u64,
    },
    /// A turn passed back and forth between the two workers of a pair
    /// through a futex word in a shared page: wait until it is my turn
    /// (`FUTEX_WAIT`, with no timeout: at stop the spawner flags the turn
    /// word and wakes it), spin `spin_iters`, stamp the time, hand the turn
    /// over (`Release` store) and `FUTEX_WAKE` the partner. Strict alternation,
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
    /// turn back: the other keeps waiting until stop.
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
    /// member stalls its group's rounds: the others wait until
    /// stop.
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
    /// wait until stop.
    MutexContention {
        /// Workers per lock (1..=4096).
        contenders: usize,
        /// Spin steps inside the lock.
        hold_iters: u64,
        /// Spin steps between critical sections.
        work_iters: u64,
    },
    /// Thundering herd: per round, a waker `FUTEX_WAKE`s all `waiters`
    /// sleepers of its group at once (one broadcast on one futex word), and
    /// the waiters, now all runnable together, race for one futex mutex:
    /// one wins, the others block again on the lock and are released one by
    /// one. Each waiter holds the lock `hold_iters` spin steps, releases it
    /// and acknowledges; the last acknowledgement wakes the waker, which
    /// then starts the next round (it never runs ahead, so every broadcast
    /// finds the waiters asleep). It provokes mass wakeups whose wakees
    /// mostly go straight back to sleep: wakee placement under a herd, and
    /// the cost of waking tasks that cannot all make progress.
    ///
    /// Unit: one round — broadcast sent and fully acknowledged for the
    /// waker; one wake handled (woken, lock taken, held, released,
    /// acknowledged) for a waiter. Samples: waiters, one per round, from
    /// the waker's timestamp in the shared page (taken just before the
    /// broadcast) until the waiter sees the new round; the waker, one per
    /// round, from the latest acknowledgement's timestamp until it sees the
    /// round complete. The lock waits after the wake are not sampled: they
    /// show as a lower round rate and more voluntary context switches.
    ///
    /// Group of `waiters + 1` (roles "waker", then "waiter"s). A member that
    /// dies stalls its group's rounds: the others wait until stop. A waiter
    /// stopped while waiting for the lock leaves without it.
    ThunderingHerd {
        /// Waiters per waker (1..=4096).
        waiters: usize,
        /// Spin steps inside the lock.
        hold_iters: u64,
    },
    /// Priority inversion: three workers around one futex mutex without
    /// priority inheritance, pinned to one CPU. The "holder" (nice 19)
    /// takes the lock over and over, spinning `hold_iters` steps inside it;
    /// the "waiter" (`SCHED_FIFO` 20) wakes every `waiter_sleep_us`, takes
    /// the lock (blocking while the holder has it), holds it 256 steps and
    /// releases it; the "hog" (`SCHED_FIFO` 10) spins `hog_burst_us`, then
    /// sleeps `hog_sleep_us`. A hog that wakes while the waiter is blocked
    /// on the holder preempts the holder: the highest-priority task waits
    /// on the lowest while a medium one runs, and the waiter's blocked time
    /// stretches from a fraction of a critical section to a whole hog burst.
    ///
    /// Unit: one critical section (holder, waiter); one spin step (hog).
    /// Samples: the waiter, one per acquisition, contended or not, its
    /// **blocked time**: from the start of its acquire until it holds the
    /// lock (the number this type is about); the holder, one per
    /// acquisition that had to wait (for the waiter), from the waiter's
    /// release timestamp in the shared page until it holds the lock; the
    /// hog, one per completed sleep, how late its timer wakeup ran
    /// (overshoot, as for `Bursty`).
    ///
    /// Group of 3 (roles "holder", "waiter", "hog"), pinned to the group's
    /// CPU: chosen round-robin by group among the workers' allowed CPUs,
    /// leaving out the highest of several, so RT roles never occupy every
    /// CPU. The roles set their own priorities, overriding `sched_policy`
    /// and `nice`; where `SCHED_FIFO` is refused, the waiter and the hog
    /// fall back to the lowest nice value allowed (down to -20 and -10) and
    /// say so in a note. A holder killed inside its critical section leaves
    /// the lock held: the waiter waits until stop.
    PriorityInversion {
        /// Spin steps the holder keeps the lock for.
        hold_iters: u64,
        /// Length of each hog burst, in µs (1..=100 000).
        hog_burst_us: u64,
        /// Hog sleep between bursts, in µs (1..=10 s).
        hog_sleep_us: u64,
        /// Waiter sleep between acquisitions, in µs (1..=10 s).
        waiter_sleep_us: u64,
    },
    /// Producers outpacing consumers over a bounded ring: each of
    /// `producers` workers spins `produce_iters` steps and enqueues an item;
    /// each of `consumers` dequeues an item and spins `consume_iters` steps
    /// on it. The ring (`ring_size` slots, a lock-free MPMC queue in the
    /// group's shared page) stays full while producers are faster:
    /// producers block in `FUTEX_WAIT` on "not full" and are woken one per
    /// item consumed; consumers block on "not empty" only when the ring
    /// drains. It provokes the wakeups of a bounded work queue whose
    /// producers are throttled by slow consumers: frequent short sleeps,
    /// wakee placement near or away from the consumer that woke them, and
    /// whether the consumers get enough CPU.
    ///
    /// Unit: one item enqueued (producer) or dequeued and processed
    /// (consumer). Samples: one per wait that ended with a wake, from the
    /// timestamp the other side wrote in the shared page when it made room
    /// (consumer) or added an item (producer) until the waiter sees it. A
    /// worker that never had to wait has none (typically the consumers,
    /// after the start).
    ///
    /// Group of `producers + consumers` (roles "producer"s, then
    /// "consumer"s). A dead member can leave the ring full or empty for
    /// good: the others then wait until stop.
    ProducerConsumerImbalance {
        /// Producers per ring (1..=4096).
        producers: usize,
        /// Consumers per ring (1..=4096).
        consumers: usize,
        /// Ring slots (1..=128).
        ring_size: usize,
        /// Spin steps before each item produced.
        produce_iters: u64,
        /// Spin steps per item consumed.
        consume_iters: u64,
    },
    /// RT starvation: a `SCHED_FIFO` spinner ("rt", priority 10) and a
    /// normal spinner ("normal") pinned to the same CPU. The RT role spins
    /// `rt_burst_us`, sleeps `rt_sleep_us`, and again; the normal worker
    /// runs only in the RT role's sleeps (and in what RT throttling or the
    /// fair server grant it). It provokes the starvation of a normal task
    /// by an RT one, and shows how much the normal task still got.
    ///
    /// **The normal worker's share** is its report's `cpu_time_ns /
    /// wall_time_ns`: about `rt_sleep_us / (rt_burst_us + rt_sleep_us)`
    /// when nothing else runs on that CPU; its `max_gap_ns` is its longest
    /// stretch without the CPU.
    ///
    /// Unit: one spin step for both (so their work rates compare
    /// directly). Samples: the RT role, one per completed sleep, how late
    /// its timer wakeup ran (overshoot); the normal worker never blocks and
    /// has none.
    ///
    /// Group of 2 (roles "rt", "normal"), pinned to the group's CPU as for
    /// `PriorityInversion`. The RT role sets its own policy, falling back
    /// to the lowest nice value allowed (down to -20) with a note where
    /// `SCHED_FIFO` is refused; the normal worker keeps the configured
    /// `sched_policy` and `nice`. Groups that share a CPU add up: keep
    /// groups × duty cycle under 100 %.
    RtStarvation {
        /// Length of each RT burst, in µs (1..=100 000).
        rt_burst_us: u64,
        /// RT sleep between bursts, in µs (1..=10 s).
        rt_sleep_us: u64,
    },
    /// A busy waker and a mostly idle wakee: the waker spins `waker_iters`
    /// steps at a time and never sleeps; after each burst it `FUTEX_WAKE`s
    /// the wakee, if the wakee is done with the previous wake. The wakee
    /// wakes, spins `wakee_iters` steps, acknowledges and sleeps again. It
    /// provokes the wake-affine decision with a waker that keeps running:
    /// pulling the wakee to the waker's CPU makes it wait behind a busy
    /// task, waking it elsewhere costs cache affinity.
    ///
    /// Unit: one wake issued (waker) or handled (wakee); the waker's
    /// iterations are its bursts, some of which wake nobody. Samples: the
    /// wakee, one per wake, from the waker's timestamp in the shared page
    /// (taken just before the wake) until the wakee sees it; the waker
    /// never blocks and has none.
    ///
    /// Group of 2 (roles "waker", "wakee"). A dead wakee leaves the waker
    /// spinning without waking anyone; a dead waker leaves the wakee
    /// waiting until stop.
    AsymmetricWaker {
        /// Waker spin steps between wakes (its busy time).
        waker_iters: u64,
        /// Wakee spin steps per wake.
        wakee_iters: u64,
    },
    /// A token passed around a ring of `depth` workers: each waits for the
    /// token on its own futex word, spins `work_iters` steps, and wakes the
    /// next (the last wakes the first). One worker of a chain runs at a
    /// time and every hop wakes a sleeping task from one about to sleep: it
    /// provokes wake-affine chains (the whole chain pulled onto one CPU, or
    /// spread) and measures per-hop wake latency.
    ///
    /// Unit: one hop (token received and passed on). Samples: one per token
    /// received (all but the head's very first, which is given, not
    /// passed), from the previous worker's timestamp in the shared page
    /// (taken just before its wake) until this worker sees the token.
    ///
    /// Group of `depth` (roles "head", then "link"s). A dead member breaks
    /// the chain: the others wait until stop.
    WakeChain {
        /// Workers in the ring (2..=64).
        depth: usize,
        /// Spin steps per hop.
        work_iters: u64,
    },
    /// A sender signalling a receiver thread as fast as it takes the
    /// signals: the sender spins `spin_iters` steps, stamps the time and
    /// `tgkill`s the real-time signal `SIGRTMIN + 6` at the receiver's
    /// thread; the receiver, which blocked that signal in its own thread,
    /// takes it with `sigtimedwait` and answers through a futex word. It
    /// provokes the signal wakeup path (and the placement of a task woken
    /// by a signal) at a high rate, and measures delivery latency.
    ///
    /// Unit: one signal answered (sender) or taken (receiver). Samples: the
    /// receiver, one per signal, from the sender's timestamp in the shared
    /// page (taken just before `tgkill`) until `sigtimedwait` returned it;
    /// the sender, one per answer, from the receiver's timestamp until it
    /// sees the answer.
    ///
    /// The signals are thread-directed and never handled, so they disturb
    /// nothing else, even in Thread mode, where the receiver is a thread
    /// of the test process. The one process-wide change: a process whose
    /// disposition for `SIGRTMIN + 6` is the default (terminate) or
    /// ignore gets a no-op handler, installed once and left in place, so a
    /// stray one cannot kill it. The receiver drains what is pending when
    /// it leaves and keeps the signal blocked until its thread ends.
    ///
    /// Group of 2 (roles "sender", "receiver"). A receiver that is gone
    /// ends the sender early with a note; a killed receiver process (a
    /// zombie still accepts signals) leaves the sender waiting until
    /// stop.
    SignalStorm {
        /// Sender spin steps before each signal.
        spin_iters: u64,
    },
    /// Timer wakeups preempting a spinner: a `SCHED_FIFO` "sleeper"
    /// (priority 20) sleeps `sleep_us` (sub-millisecond), wakes, spins
    /// `work_iters` steps and sleeps again, on the same CPU as a normal
    /// "spinner" that never stops. Every wake must preempt the running
    /// spinner: it provokes a storm of wakeup preemptions and measures
    /// wake-to-run latency under them.
    ///
    /// Unit: one wake handled (sleeper); one spin step (spinner). Samples:
    /// the sleeper, one per completed sleep, how late its timer wakeup ran
    /// (overshoot: from the timer's expiry until it runs); the spinner
    /// never blocks and has none.
    ///
    /// Group of 2 (roles "sleeper", "spinner"), pinned to the group's CPU
    /// as for `PriorityInversion`. Where `SCHED_FIFO` is refused the
    /// sleeper falls back to the lowest nice value allowed (down to -20)
    /// with a note, and its samples then include the normal timer slack
    /// (50 µs); the spinner keeps the configured `sched_policy` and `nice`.
    PreemptStorm {
        /// Sleeper sleep per wake, in µs (1..=1 000 000).
        sleep_us: u64,
        /// Sleeper spin steps per wake.
        work_iters: u64,
    },
    /// Eventfd wakeups through epoll: each of `producers` producers spins
    /// `spin_iters` steps, writes its own eventfd and waits for the
    /// consumer's acknowledgement; one consumer waits in `epoll_wait` (100
    /// ms at a time) on all the eventfds, reads each ready one and
    /// acknowledges it. With several producers in flight the consumer
    /// wakes to batches of ready fds: it provokes the epoll wakeup path, an
    /// N:1 pattern funnelled through one waiter, and measures its latency.
    ///
    /// Unit: one event read and acknowledged (consumer); one round trip
    /// (producer). Samples: the consumer, one per event, from the
    /// producer's timestamp, carried as the eventfd's value (one write is
    /// outstanding per eventfd, so the counter is exactly that timestamp),
    /// until it has read it after `epoll_wait` returned (an event late in a
    /// batch includes the handling of those before it); a producer, one per
    /// acknowledgement, from the consumer's timestamp in the shared page
    /// until it sees it.
    ///
    /// Group of `producers + 1` (roles "consumer", then "producer"s). The
    /// eventfds, the consumer's duplicates of them and its epoll fd are
    /// created by `spawn`, and in Fork mode each lives only in its owner. A
    /// dead consumer leaves the producers waiting until
    /// stop; a dead producer is simply never ready again.
    EpollStorm {
        /// Producers per consumer (1..=64).
        producers: usize,
        /// Producer spin steps before each write.
        spin_iters: u64,
    },
    /// Two spinners pinned to the two SMT siblings of one core, spinning
    /// `spin_iters` steps per iteration: the pair competes for one core's
    /// execution units. The core comes from the host's
    /// [`TestTopology`](crate::topology::TestTopology): among the cores
    /// whose siblings the workers may all use, round-robin by group; each
    /// worker pins itself when it starts, over any configured affinity.
    /// Where the allowed CPUs hold no whole SMT core (a host without SMT),
    /// both are pinned to one CPU instead, and each says so in a note. It
    /// provokes SMT contention (each sibling's throughput falls) under a
    /// placement the scheduler cannot change: a baseline for SMT-aware
    /// scheduling.
    ///
    /// Unit: one spin step. No samples: neither ever blocks.
    ///
    /// Group of 2 (roles "primary", "sibling").
    SmtSiblingSpin {
        /// Spin steps per iteration (≥ 1).
        spin_iters: u64,
    },
    /// A user body that owns the loop: a closure or a
    /// [`CustomBody`](super::CustomBody) value, carrying its settings and
    /// state (see [`CustomFn`] for how state is shared under Fork and
    /// Thread). Build with [`WorkType::custom`] or [`WorkType::custom_body`].
    Custom {
        /// Name shown in reports.
        name: &'static str,
        /// The body.
        #[serde(skip)]
        run: CustomFn,
    },
}
