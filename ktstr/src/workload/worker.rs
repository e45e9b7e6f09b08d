//! [`Worker`]: the per-worker recorder every work body drives.
//!
//! A body calls [`Worker::spin`] or [`Worker::add_units`] as it makes
//! progress, [`Worker::end_iteration`] once per pass of its loop, and
//! [`Worker::should_stop`] to know when to return. Blocking types report
//! wake latencies with [`Worker::record_wake_latency`] and call
//! [`Worker::resumed`] after a voluntary block so the blocked time is not
//! counted as a scheduling gap. `WorkType::Custom` bodies get the same
//! recorder, so their reports carry the same telemetry as built-in types.

use std::collections::BTreeSet;
use std::hint::black_box;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::control::Control;
use super::report::{LatencySamples, Migration, WorkerReport};
use crate::sys::{clock, sched, Tid};

/// The spin primitive: `count` black-boxed increments of `*units`, each
/// followed by a CPU spin-loop hint (`PAUSE` on x86).
///
/// Public so that benchmarks can run the very same loop without telemetry.
#[inline(never)]
pub fn spin_burst(count: u64, units: &mut u64) {
    for _ in 0..count {
        *units = black_box(*units + 1);
        std::hint::spin_loop();
    }
}

/// Where a worker sits in its workload.
#[derive(Clone, Debug)]
pub(crate) struct Seat {
    /// Position in spawn order.
    pub index: usize,
    /// Workers in the workload.
    pub num_workers: usize,
    /// Group number (grouped types) or the index.
    pub group: usize,
    /// Role in the group.
    pub role: &'static str,
    /// `WorkType::name()`.
    pub work_type: String,
    /// Position in the group (grouped types; 0 otherwise).
    pub member: usize,
    /// Multiplier of the spin steps this member burns
    /// (`WorkloadConfig::member_work`; 1 when unset).
    pub work_factor: f64,
}

/// The recorder a work body drives; see the module doc.
pub struct Worker {
    ctl: Arc<Control>,
    seat: Seat,
    tid: Tid,
    units: u64,
    iterations: u64,
    start_ns: u64,
    last_ns: u64,
    last_cpu: u32,
    cpus_used: BTreeSet<u32>,
    migrations: u64,
    migration_log: Vec<Migration>,
    max_gap_ns: u64,
    max_gap_cpu: u32,
    max_gap_at_ns: u64,
    latency: LatencySamples,
    notes: Vec<String>,
}

#[cfg(test)]
impl Worker {
    /// A recorder for worker `index` of `ctl`, on the calling thread, for
    /// unit tests of work bodies.
    pub(crate) fn for_test(ctl: &Arc<Control>, index: usize, work_type: &str) -> Worker {
        let seat = Seat {
            index,
            num_workers: ctl.workers(),
            group: 0,
            role: "test",
            work_type: work_type.into(),
            member: 0,
            work_factor: 1.0,
        };
        Worker::starting_at(
            ctl.clone(),
            seat,
            crate::sys::Tid::current(),
            clock::monotonic_ns(),
        )
    }
}

impl Worker {
    /// A recorder whose loop began at `now` (`CLOCK_MONOTONIC` ns, just
    /// read by the caller, which reads the CPU clock at the same point).
    pub(crate) fn starting_at(ctl: Arc<Control>, seat: Seat, tid: Tid, now: u64) -> Worker {
        let cpu = sched::current_cpu();
        let mut notes = Vec::new();
        if seat.work_factor != 1.0 {
            notes.push(format!(
                "member_work: member {} of its group burns {}x the spin steps of its parameters",
                seat.member, seat.work_factor
            ));
        }
        Worker {
            ctl,
            seat,
            tid,
            units: 0,
            iterations: 0,
            start_ns: now,
            last_ns: now,
            last_cpu: cpu,
            cpus_used: BTreeSet::from([cpu]),
            migrations: 0,
            migration_log: Vec::new(),
            max_gap_ns: 0,
            max_gap_cpu: cpu,
            max_gap_at_ns: 0,
            latency: LatencySamples::default(),
            notes,
        }
    }

    /// Whether the workload has been asked to stop. Cheap (one relaxed load):
    /// check it at least every 100 ms of work.
    #[inline]
    pub fn should_stop(&self) -> bool {
        self.ctl.stop_requested()
    }

    /// The workload's stop word (0 until stop is requested, then 1 for
    /// good; `FUTEX_WAKE`d when it is set): a body can sleep on it together
    /// with a word of its own (`futex_waitv`), so that stop wakes the sleep
    /// without a timeout.
    pub(crate) fn stop_word(&self) -> &AtomicU32 {
        &self.ctl.header().stop
    }

    /// Spin `count` units (see [`spin_burst`]), counting each as a work unit.
    #[inline]
    pub fn spin(&mut self, count: u64) {
        spin_burst(count, &mut self.units);
    }

    /// Count `n` work units done by other means.
    #[inline]
    pub fn add_units(&mut self, n: u64) {
        self.units = black_box(self.units + n);
    }

    /// End one pass of the body's loop: publish the iteration count to
    /// `snapshot_iterations()` and take a progress checkpoint (gap and
    /// migration tracking).
    pub fn end_iteration(&mut self) {
        self.count_iteration();
        self.checkpoint();
    }

    /// [`end_iteration`](Self::end_iteration) with its checkpoint at `now`
    /// (see [`checkpoint_at`](Self::checkpoint_at)).
    #[inline]
    pub(crate) fn end_iteration_at(&mut self, now: u64) {
        self.count_iteration();
        self.checkpoint_at(now);
    }

    /// End one pass of a grouped worker's loop, the shape every wake type
    /// shares: mark the pass done (`*done = true`: from now on stop ends
    /// its waits, see `types::group::give_up`), count one unit and end the
    /// iteration. Returns whether to go on: false once stop is requested.
    #[inline]
    pub(crate) fn pass_done(&mut self, done: &mut bool) -> bool {
        *done = true;
        self.add_units(1);
        self.end_iteration();
        !self.should_stop()
    }

    /// [`pass_done`](Self::pass_done) with the iteration's checkpoint at
    /// `now` (see [`checkpoint_at`](Self::checkpoint_at)).
    #[inline]
    pub(crate) fn pass_done_at(&mut self, done: &mut bool, now: u64) -> bool {
        *done = true;
        self.add_units(1);
        self.end_iteration_at(now);
        !self.should_stop()
    }

    /// Publish one more iteration, without a checkpoint.
    #[inline]
    fn count_iteration(&mut self) {
        self.iterations += 1;
        self.ctl
            .slot(self.seat.index)
            .iterations
            .store(self.iterations, Ordering::Relaxed);
    }

    /// Take a progress checkpoint without ending an iteration: bodies whose
    /// iterations are long (a 50 ms burst) call this inside them so a stall
    /// in the middle is still seen as a gap.
    pub fn checkpoint(&mut self) {
        self.checkpoint_at(clock::monotonic_ns());
    }

    /// [`checkpoint`](Self::checkpoint) at `now`, a `CLOCK_MONOTONIC` time
    /// the body read itself (the stamp of a message it just sent), which
    /// saves a clock read on a hot path.
    #[inline]
    pub(crate) fn checkpoint_at(&mut self, now: u64) {
        let gap = now.saturating_sub(self.last_ns);
        if gap > self.max_gap_ns {
            self.max_gap_ns = gap;
            self.max_gap_cpu = self.last_cpu;
            self.max_gap_at_ns = now.saturating_sub(self.start_ns);
        }
        self.last_ns = now;
        self.note_cpu(now);
    }

    /// After a voluntary block (sleep, wait for a partner): restart the gap
    /// clock, so time spent blocked on purpose is not a scheduling gap, and
    /// note the CPU the wakeup landed on.
    pub fn resumed(&mut self) {
        self.resumed_at(clock::monotonic_ns());
    }

    /// [`resumed`](Self::resumed) at `now` (`CLOCK_MONOTONIC` ns, just read).
    #[inline]
    fn resumed_at(&mut self, now: u64) {
        self.last_ns = now;
        self.note_cpu(now);
    }

    #[inline]
    fn note_cpu(&mut self, now: u64) {
        let cpu = sched::current_cpu();
        if cpu != self.last_cpu {
            self.migrated(now, cpu);
        }
    }

    /// Record a move from `last_cpu` to `cpu`, seen at `now`.
    #[cold]
    fn migrated(&mut self, now: u64, cpu: u32) {
        self.migrations += 1;
        self.cpus_used.insert(cpu);
        if self.migration_log.len() < WorkerReport::MIGRATION_LOG_CAP {
            self.migration_log.push(Migration {
                at_ns: now.saturating_sub(self.start_ns),
                from_cpu: self.last_cpu,
                to_cpu: cpu,
            });
        }
        self.last_cpu = cpu;
    }

    /// Record one wake/resume latency, in ns.
    pub fn record_wake_latency(&mut self, ns: u64) {
        self.latency.push(ns);
    }

    /// Woken after a voluntary block by a waker that stamped
    /// `stamp_ns` (`CLOCK_MONOTONIC`, e.g. from a shared page): record the
    /// wake latency from that stamp to now, then [`resumed`](Self::resumed).
    #[inline]
    pub fn woken_since(&mut self, stamp_ns: u64) {
        // One clock read serves both: the wakeup is the resumption.
        let now = clock::monotonic_ns();
        self.latency.push(now.saturating_sub(stamp_ns));
        self.resumed_at(now);
    }

    /// [`woken_since`](Self::woken_since), then
    /// [`end_iteration`](Self::end_iteration), for a body whose pass ends
    /// with that wakeup (a ping that got its answer): the same records,
    /// with one clock read instead of two (a checkpoint right after the
    /// resumption would see no gap and the same CPU).
    #[inline]
    pub(crate) fn woken_since_and_end_iteration(&mut self, stamp_ns: u64) {
        self.woken_since(stamp_ns);
        self.count_iteration();
    }

    /// Sleep for `d`, returning at once if stop is requested (stop is
    /// honoured within microseconds, not after the sleep). Restarts the gap
    /// clock. A sleep that ran its course records its *overshoot* (how late
    /// the timer wakeup ran, as cyclictest measures) as a wake latency.
    /// Returns false when the sleep was cut short by stop.
    pub fn sleep(&mut self, d: Duration) -> bool {
        let t = clock::monotonic_ns();
        let done = self.ctl.sleep_unless_stopped(d);
        self.resumed();
        if done {
            let took = self.last_ns.saturating_sub(t);
            self.latency.push(took.saturating_sub(d.as_nanos() as u64));
        }
        done
    }

    /// Add a note to the report (a fallback taken, a setting refused).
    pub fn note(&mut self, text: impl Into<String>) {
        self.notes.push(text.into());
    }

    /// `steps` spin steps of this member's parameters scaled by its
    /// `WorkloadConfig::member_work` factor.
    #[inline]
    pub(crate) fn member_steps(&self, steps: u64) -> u64 {
        super::MemberWork::scale(steps, self.seat.work_factor)
    }

    /// This worker's position in spawn order.
    pub fn index(&self) -> usize {
        self.seat.index
    }

    /// Number of workers in the workload.
    pub fn num_workers(&self) -> usize {
        self.seat.num_workers
    }

    /// This worker's task (thread) id: its pid in Fork mode.
    pub fn tid(&self) -> Tid {
        self.tid
    }

    /// Work units so far.
    pub fn work_units(&self) -> u64 {
        self.units
    }

    /// Nanoseconds since the loop started.
    pub fn elapsed_ns(&self) -> u64 {
        clock::monotonic_ns().saturating_sub(self.start_ns)
    }

    /// Turn the recorded telemetry into a report of a loop that ended at
    /// `end` (`CLOCK_MONOTONIC` ns), without the OS-level deltas, which the
    /// caller adds.
    pub(crate) fn into_report(self, end: u64) -> WorkerReport {
        let wall = end.saturating_sub(self.start_ns);
        WorkerReport {
            started_at_ns: self.start_ns,
            ended_at_ns: end,
            index: self.seat.index,
            tid: self.tid.as_raw(),
            work_type: self.seat.work_type,
            group: self.seat.group,
            role: self.seat.role.to_string(),
            work_units: self.units,
            iterations: self.iterations,
            wall_time_ns: wall,
            migrations: self.migrations,
            migration_log: self.migration_log,
            cpus_used: self.cpus_used,
            max_gap_ns: self.max_gap_ns,
            max_gap_cpu: self.max_gap_cpu,
            max_gap_at_ns: self.max_gap_at_ns,
            wake_latency: self.latency,
            notes: self.notes,
            ..Default::default()
        }
    }
}
