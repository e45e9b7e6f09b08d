//! The control block every workload shares with its workers: one
//! `MAP_SHARED` mapping holding the start and stop words and one slot per
//! worker (iteration counter, tid, state).
//!
//! ```text
//! +--------------------+--------+--------+-----+----------+
//! | Header             | Slot 0 | Slot 1 | ... | Slot n-1 |
//! | start, stop, ready |  128 B |  128 B |     |          |
//! +--------------------+--------+--------+-----+----------+
//! ```
//!
//! Each slot has its own pair of cache lines, so a worker publishing its
//! iteration count never bounces a line another worker writes.
//!
//! Start and stop are futex words: one `FUTEX_WAKE` releases every worker,
//! whatever its process, without the spawner having to run once per worker
//! (the spawner is easily preempted by the very workers it wakes). Stop is
//! never cleared, so a stop that arrives before a worker first runs still
//! stops it.

use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use crate::sys::futex;
use crate::sys::mman::Mapping;
use crate::sys::shm::page_state;

page_state! {
    /// The header at the start of the control block.
    #[repr(C, align(128))]
    pub(crate) struct Header {
        /// 0 until `start()`, then 1.
        pub start: AtomicU32,
        /// 0 until stop is requested, then 1. Grouped workers also sleep on
        /// it together with a futex word of their own (`futex_waitv`, see
        /// `types::group::futex_wait`), so one wake ends every such sleep.
        pub stop: AtomicU32,
        /// Number of workers that reached their start wait.
        pub ready: AtomicU32,
    }
}

/// Worker lifecycle as recorded in its slot.
pub(crate) mod state {
    // 0: created, not yet waiting for start (the zero-filled initial state).
    /// Signal handling set up, waiting for start.
    pub const READY: u32 = 1;
    /// Running its work loop.
    pub const RUNNING: u32 = 2;
    /// Report written.
    pub const DONE: u32 = 3;
}

page_state! {
    /// One worker's slot.
    #[repr(C, align(128))]
    pub(crate) struct Slot {
        /// Outer-loop iterations, published with relaxed stores.
        pub iterations: AtomicU64,
        /// The worker's tid, written by the worker itself.
        pub tid: AtomicI32,
        /// See [`state`].
        pub state: AtomicU32,
        /// Set when `set_affinity` ran before start: the worker then keeps that
        /// mask instead of applying its configured one.
        pub affinity_overridden: AtomicU32,
    }
}

/// The mapping plus typed access to it.
#[derive(Debug)]
pub(crate) struct Control {
    map: Mapping,
    workers: usize,
}

impl Control {
    /// Map a zero-filled control block for `workers` workers.
    pub(crate) fn new(workers: usize) -> nix::Result<Control> {
        let len = std::mem::size_of::<Header>() + workers * std::mem::size_of::<Slot>();
        let map = Mapping::shared(len)?;
        Ok(Control { map, workers })
    }

    /// The header.
    pub(crate) fn header(&self) -> &Header {
        self.map.get(0)
    }

    /// The slot of worker `index` (panics when out of range).
    pub(crate) fn slot(&self, index: usize) -> &Slot {
        assert!(index < self.workers, "slot {index} of {}", self.workers);
        let off = std::mem::size_of::<Header>() + index * std::mem::size_of::<Slot>();
        self.map.get(off)
    }

    /// Number of worker slots.
    pub(crate) fn workers(&self) -> usize {
        self.workers
    }

    /// Whether stop has been requested.
    #[inline]
    pub(crate) fn stop_requested(&self) -> bool {
        self.header().stop.load(Ordering::Relaxed) != 0
    }

    /// Release every worker (idempotent).
    pub(crate) fn release(&self) {
        let h = self.header();
        if h.start.swap(1, Ordering::AcqRel) == 0 {
            futex::wake_all(&h.start);
        }
    }

    /// Ask every worker to stop and wake every interruptible sleep, and
    /// every worker still waiting for a start that will not come.
    pub(crate) fn request_stop(&self) {
        let h = self.header();
        h.stop.store(1, Ordering::Release);
        futex::wake_all(&h.stop);
        futex::wake_all(&h.start);
    }

    /// Sleep up to `d`, returning early when stop is requested.
    /// Returns false when stop was requested.
    pub(crate) fn sleep_unless_stopped(&self, d: Duration) -> bool {
        let h = self.header();
        let deadline = std::time::Instant::now() + d;
        loop {
            if self.stop_requested() {
                return false;
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                return true;
            }
            futex::wait(&h.stop, 0, deadline - now);
        }
    }

    /// Worker side: announce readiness, then wait for start.
    ///
    /// Returns true when the worker should run its loop: it was started
    /// (even if stop followed at once: `stop_and_collect` starts before it
    /// stops, and such a worker still runs one pass). Returns false when
    /// the workload is torn down without a start, or `alive` (polled every
    /// 100 ms) turns false.
    pub(crate) fn wait_for_start(&self, index: usize, alive: impl Fn() -> bool) -> bool {
        let h = self.header();
        self.slot(index)
            .state
            .store(state::READY, Ordering::Release);
        h.ready.fetch_add(1, Ordering::AcqRel);
        futex::wake_all(&h.ready);
        loop {
            if h.start.load(Ordering::Acquire) != 0 {
                break;
            }
            // Stop is stored after start, so seeing stop and then no start
            // means there was no start.
            if h.stop.load(Ordering::Acquire) != 0 && h.start.load(Ordering::Acquire) == 0 {
                return false;
            }
            if !alive() {
                return false;
            }
            futex::wait(&h.start, 0, Duration::from_millis(100));
        }
        self.slot(index)
            .state
            .store(state::RUNNING, Ordering::Release);
        true
    }

    /// Number of workers that reached their start wait.
    pub(crate) fn ready(&self) -> usize {
        self.header().ready.load(Ordering::Acquire) as usize
    }

    /// Spawner side: wait until `count` workers are ready, or `deadline`.
    /// `give_up` is polled between waits (a worker that died will never be
    /// ready). Returns the number ready.
    pub(crate) fn wait_ready(
        &self,
        count: usize,
        deadline: std::time::Instant,
        mut give_up: impl FnMut() -> bool,
    ) -> usize {
        let h = self.header();
        loop {
            let ready = h.ready.load(Ordering::Acquire);
            if ready as usize >= count || give_up() {
                return ready as usize;
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                return ready as usize;
            }
            futex::wait(
                &h.ready,
                ready,
                (deadline - now).min(Duration::from_millis(50)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_separate_cache_line_pairs() {
        assert_eq!(std::mem::size_of::<Slot>(), 128);
        assert_eq!(std::mem::size_of::<Header>(), 128);
        let c = Control::new(3).unwrap();
        let a = c.slot(0) as *const Slot as usize;
        let b = c.slot(1) as *const Slot as usize;
        assert_eq!(b - a, 128);
        assert_eq!(a % 128, 0);
    }

    #[test]
    fn sleep_returns_early_on_stop() {
        let c = std::sync::Arc::new(Control::new(1).unwrap());
        let c2 = c.clone();
        let h = std::thread::spawn(move || {
            let t = std::time::Instant::now();
            let finished = c2.sleep_unless_stopped(Duration::from_secs(30));
            (finished, t.elapsed())
        });
        std::thread::sleep(Duration::from_millis(20));
        c.request_stop();
        let (finished, took) = h.join().unwrap();
        assert!(!finished);
        assert!(took < Duration::from_secs(5));
    }
}
