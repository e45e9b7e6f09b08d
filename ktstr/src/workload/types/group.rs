//! What the grouped types share: the per-group shared page, bounded waits,
//! and the stop rule for a worker that depends on a partner.
//!
//! # The stop rule
//!
//! Every wait of a grouped worker is bounded by [`WAIT_SLICE`] (100 ms), so
//! a stop request is seen within 100 ms whatever the partner does. The one
//! exception is the worker's first pass: like every other type, a started
//! grouped worker completes at least one pass (one round trip, one wake,
//! one lock acquisition) even when stop arrived before it first ran, so it
//! keeps waiting for its partner through stop for up to [`FIRST_PASS_GRACE`]
//! after its loop started. A partner that died before that pass costs at
//! most that grace, never a hang.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::sys::futex;
use crate::sys::shm::SharedMapping;
use crate::workload::{spin_burst, Worker};

/// Longest single blocking wait (poll or futex timeout) of a grouped worker.
pub(crate) const WAIT_SLICE: Duration = Duration::from_millis(100);

/// How long a worker that has not completed a pass yet keeps waiting for
/// its partner after stop (see the module doc), counted from the start of
/// its loop.
pub(crate) const FIRST_PASS_GRACE: Duration = Duration::from_secs(1);

/// Spin steps between two stop checks inside a long burst.
pub(crate) const BURST_SLICE: u64 = 1 << 16;

/// Whether a waiting worker should give up its wait and return: stop is
/// requested and either it already completed a pass (`done`) or the first-
/// pass grace is over.
pub(crate) fn give_up(w: &Worker, done: bool) -> bool {
    w.should_stop() && (done || w.elapsed_ns() >= FIRST_PASS_GRACE.as_nanos() as u64)
}

/// Wait on the futex `word` until `ready(value)` holds, in waits of at
/// most [`WAIT_SLICE`]. Returns the value that satisfied it (loaded with
/// `Acquire`, so what the waker wrote before its `Release` store is
/// visible), or None when the worker should stop (see [`give_up`]).
pub(crate) fn wait_until(
    w: &Worker,
    word: &AtomicU32,
    done: bool,
    ready: impl Fn(u32) -> bool,
) -> Option<u32> {
    loop {
        let v = word.load(Ordering::Acquire);
        if ready(v) {
            return Some(v);
        }
        if give_up(w, done) {
            return None;
        }
        futex::wait(word, v, WAIT_SLICE);
    }
}

/// Spin `n` steps (see [`spin_burst`]) into `sink`: CPU work that is *not*
/// counted as work units (the grouped types count exchanges, not spin
/// steps). Long bursts are cut into slices with a stop check between them,
/// and the rest of the burst is skipped once stop is requested.
pub(crate) fn burn(w: &Worker, n: u64, sink: &mut u64) {
    let mut left = n;
    while left > 0 {
        let step = left.min(BURST_SLICE);
        spin_burst(step, sink);
        left -= step;
        if left > 0 && w.should_stop() {
            return;
        }
    }
}

/// Sleep `d` in slices of at most [`WAIT_SLICE`], returning early once stop
/// is requested. Records nothing (the caller decides what to sample).
pub(crate) fn nap(w: &Worker, d: Duration) {
    let deadline = std::time::Instant::now() + d;
    loop {
        let now = std::time::Instant::now();
        if now >= deadline || w.should_stop() {
            return;
        }
        std::thread::sleep((deadline - now).min(WAIT_SLICE));
    }
}

/// A `#[repr(C)]` struct made only of atomics (and padding), for which
/// all-zero bytes are a valid value: it can live in a zero-filled shared
/// page and be used from several processes at once.
///
/// # Safety
///
/// Implement only for `#[repr(C)]` types whose every field is an atomic
/// integer (or an array of them), at most one page (4096 bytes) in size
/// and at most page-aligned.
pub(crate) unsafe trait PageState: Sync + Send + 'static {}

/// One group's state in its own zero-filled `MAP_SHARED` page.
///
/// Planned before any worker exists and held by each body of the group
/// through an [`Arc`]: threads share the mapping itself, forked workers
/// inherit it at fork (a `MAP_SHARED` mapping stays shared across fork, and
/// the spawner unmapping its copy later does not affect them). Futex words
/// in it are used with the non-private futex operations, which work across
/// processes.
pub(crate) struct SharedPage<T: PageState> {
    map: SharedMapping,
    _state: PhantomData<T>,
}

/// Size of the mapping of one group.
const PAGE: usize = 4096;

impl<T: PageState> SharedPage<T> {
    /// Map a zero-filled page for one group of `what`.
    pub(crate) fn new(what: &str, group: usize) -> Result<Arc<Self>, String> {
        const { assert!(std::mem::size_of::<T>() <= PAGE && std::mem::align_of::<T>() <= PAGE) };
        let map = SharedMapping::new(PAGE).map_err(|e| {
            format!("{what}: cannot map the shared page of group {group}: {e} (too many groups for vm.max_map_count or the memory limit?)")
        })?;
        Ok(Arc::new(SharedPage {
            map,
            _state: PhantomData,
        }))
    }

    /// The state.
    pub(crate) fn get(&self) -> &T {
        // SAFETY: the mapping is PAGE bytes, page aligned and zero-filled;
        // `T: PageState` promises that fits, that zero is a valid `T` and
        // that it is only made of atomics (so shared access from several
        // threads and processes is sound). The reference borrows `self`,
        // which keeps the mapping alive.
        unsafe { &*(self.map.as_ptr() as *const T) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

    #[repr(C)]
    struct Two {
        a: AtomicU32,
        b: AtomicU64,
    }
    // SAFETY: repr(C), atomics only, 16 bytes.
    unsafe impl PageState for Two {}

    #[test]
    fn shared_page_is_zeroed_and_shared_between_clones() {
        let p = SharedPage::<Two>::new("test", 0).unwrap();
        assert_eq!(p.get().a.load(Ordering::Relaxed), 0);
        assert_eq!(p.get().b.load(Ordering::Relaxed), 0);
        let q = p.clone();
        std::thread::spawn(move || q.get().b.store(7, Ordering::Release))
            .join()
            .unwrap();
        assert_eq!(p.get().b.load(Ordering::Acquire), 7);
    }
}
