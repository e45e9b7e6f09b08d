//! What the grouped types share: the per-group shared page, bounded waits,
//! the stop rule for a worker that depends on a partner, and the
//! primitives several families build on: the futex mutex ([`FutexLock`])
//! and a stamped futex counter ([`Doorbell`]). The priority and pinning
//! helpers of the real-time roles are in [`super::priority`]; the planner
//! of the groups in [`super::plan`].
//!
//! # The stop rule
//!
//! Every wait of a grouped worker ends when stop is requested, whatever the
//! partner does. Futex waits ([`futex_wait`], and through it
//! [`wait_until`], [`Doorbell::wait`] and [`FutexLock::acquire`]) sleep on
//! two words at once with `futex_waitv`: their own and the workload's stop
//! word, which `Control::request_stop` sets and wakes. The kernel checks
//! both words atomically with going to sleep, so the wait needs no timer
//! (arming and cancelling one per wait would cost the hot path of every
//! ping-pong) and cannot miss a stop. On kernels without `futex_waitv`
//! (before 5.16) they fall back to `FUTEX_WAIT`s of at most [`WAIT_SLICE`]
//! (100 ms), as do waits of other kinds (`poll`, `sigtimedwait`,
//! `epoll_wait`), so stop is seen within 100 ms in every case. The two
//! ping-pongs, whose wait is the whole cost of a round trip, go one step
//! further: they block with no second word and no timer at all (`read` on
//! their pipe, `FUTEX_WAIT` on their turn word), and the spawner wakes them
//! through that very channel at stop (a `StopHook`: a stop token in the
//! pipe, a flag in the turn word).
//!
//! The one exception is the worker's first pass: like every other type, a
//! started grouped worker completes at least one pass (one round trip, one
//! wake, one lock acquisition) even when stop arrived before it first ran,
//! so it keeps waiting for its partner through stop for up to
//! [`FIRST_PASS_GRACE`] after its loop started (in waits of at most
//! [`WAIT_SLICE`]: the stop word no longer wakes anyone). A partner that
//! died before that pass costs at most that grace, never a hang.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use nix::sys::resource::{getrlimit, setrlimit, Resource};

use crate::sys::mman::Mapping;
pub(crate) use crate::sys::shm::{page_state, Line, PageState};
use crate::sys::{clock, futex};
use crate::workload::{spin_burst, Worker};

/// Longest single blocking wait of a grouped worker that stop cannot wake
/// (a `poll` or `sigtimedwait` timeout; a futex wait during the first-pass
/// grace or on a kernel without `futex_waitv`).
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

/// Sleep on the futex `word` while it holds `expected`, until a
/// `FUTEX_WAKE` on it or a stop request (see the module doc). May return
/// early (a signal, a spurious wakeup): callers re-check their condition
/// and [`give_up`] in a loop.
///
/// Before stop, this is one `futex_waitv` on `word` and the stop word,
/// without a timer. Once stop is requested (a worker still in its
/// first-pass grace), or where `futex_waitv` is unavailable, it is a
/// `FUTEX_WAIT` of at most [`WAIT_SLICE`].
pub(crate) fn futex_wait(w: &Worker, word: &AtomicU32, expected: u32) {
    let stop = w.stop_word();
    // Stop is never cleared: once it is 1, a wait on it would return at
    // once, so the grace waits are timed instead.
    if stop.load(Ordering::Relaxed) == 0 && futex::wait_either(word, expected, stop, 0) {
        return;
    }
    futex::wait(word, expected, WAIT_SLICE);
}

/// Wait on the futex `word` (with [`futex_wait`]) until `ready(value)`
/// holds. Returns the value that satisfied it (loaded with `Acquire`, so
/// what the waker wrote before its `Release` store is visible), or None
/// when the worker should stop (see [`give_up`]).
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
        futex_wait(w, word, v);
    }
}

/// Spin `n` steps (see [`spin_burst`]) into `sink`: CPU work that is *not*
/// counted as work units (the grouped types count exchanges, not spin
/// steps). `n` is scaled by the member's `WorkloadConfig::member_work`
/// factor here, the one place every grouped type burns its parameters'
/// steps. Long bursts are cut into slices with a stop check between them,
/// and the rest of the burst is skipped once stop is requested.
pub(crate) fn burn(w: &Worker, n: u64, sink: &mut u64) {
    let mut left = w.member_steps(n);
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

/// One group's state in its own zero-filled `MAP_SHARED` page.
///
/// Planned before any worker exists and held by each body of the group
/// through an [`Arc`]: threads share the mapping itself, forked workers
/// inherit it at fork (a `MAP_SHARED` mapping stays shared across fork, and
/// the spawner unmapping its copy later does not affect them). Futex words
/// in it are used with the non-private futex operations, which work across
/// processes.
pub(crate) struct SharedPage<T: PageState> {
    map: Mapping,
    _state: PhantomData<T>,
}

/// Size of the mapping of one group.
const PAGE: usize = 4096;

impl<T: PageState> SharedPage<T> {
    /// Map a zero-filled page for one group of `what`.
    pub(crate) fn new(what: &str, group: usize) -> Result<Arc<Self>, String> {
        const { assert!(std::mem::size_of::<T>() <= PAGE && std::mem::align_of::<T>() <= PAGE) };
        let map = Mapping::shared(PAGE).map_err(|e| {
            format!("{what}: cannot map the shared page of group {group}: {e} (too many groups for vm.max_map_count or the memory limit?)")
        })?;
        Ok(Arc::new(SharedPage {
            map,
            _state: PhantomData,
        }))
    }

    /// The state.
    pub(crate) fn get(&self) -> &T {
        self.map.get(0)
    }
}

/// Spin for `d` in chunks of 1024 steps counted as work units
/// ([`Worker::spin`]), with a progress checkpoint after each chunk (so a
/// preemption in the middle shows as a gap). Ends early once stop is
/// requested, but never before the first chunk.
pub(crate) fn spin_for(w: &mut Worker, d: Duration) {
    let end = clock::monotonic_ns().saturating_add(d.as_nanos() as u64);
    loop {
        w.spin(1024);
        w.checkpoint();
        if clock::monotonic_ns() >= end || w.should_stop() {
            return;
        }
    }
}

/// Make sure `extra` more descriptors fit under `RLIMIT_NOFILE`, raising
/// the soft limit (never above the hard one) when they do not. `name` and
/// `n` (the worker count) are for the message.
pub(crate) fn make_fd_room(name: &str, n: usize, extra: usize) -> Result<(), String> {
    let open = std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(64);
    let need = (open + extra + 64) as u64;
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return Ok(());
    };
    if need <= soft {
        return Ok(());
    }
    if need > hard || setrlimit(Resource::RLIMIT_NOFILE, need, hard).is_err() {
        return Err(format!(
            "{name} with {n} workers needs about {need} open files (its pipes or eventfds and \
             report pipes) but the open-file limit is {soft} (hard limit {hard}): raise \
             `ulimit -n` or use fewer workers"
        ));
    }
    Ok(())
}

page_state! {
    /// A futex word counting events, with the time of the latest one: one side
    /// [`ring`](Doorbell::ring)s (and [`wake`](Doorbell::wake)s), the other
    /// [`wait`](Doorbell::wait)s until the count moves and reads the stamp
    /// to measure its wake latency from the ringer's clock. Counts wrap.
    #[repr(C)]
    pub(crate) struct Doorbell {
        /// Events so far (wrapping). The futex word.
        rings: AtomicU32,
        _pad: AtomicU32,
        /// Time of the latest event (`CLOCK_MONOTONIC` ns).
        rung_ns: AtomicU64,
    }
}

impl Doorbell {
    /// Events so far.
    pub(crate) fn rings(&self) -> u32 {
        self.rings.load(Ordering::Acquire)
    }

    /// Stamp the time and count one event (`Release`, so a waiter that sees
    /// the count sees the stamp). Wakes nobody; returns the new count.
    pub(crate) fn ring(&self) -> u32 {
        // fetch_max: of two racing ringers, the later stamp is kept.
        self.rung_ns
            .fetch_max(clock::monotonic_ns(), Ordering::Relaxed);
        self.rings.fetch_add(1, Ordering::Release).wrapping_add(1)
    }

    /// The count and the latest stamp now, without waiting (for a side
    /// that learns of a ring by other means, such as a signal).
    pub(crate) fn last(&self) -> (u32, u64) {
        let n = self.rings();
        (n, self.rung_ns.load(Ordering::Relaxed))
    }

    /// `FUTEX_WAKE` up to `n` waiters.
    pub(crate) fn wake(&self, n: u32) {
        futex::wake(&self.rings, n);
    }

    /// Wait (see [`wait_until`]) until `ready(count)`; returns the count and
    /// the latest stamp, or None when the worker should stop.
    pub(crate) fn wait(
        &self,
        w: &Worker,
        done: bool,
        ready: impl Fn(u32) -> bool,
    ) -> Option<(u32, u64)> {
        let n = wait_until(w, &self.rings, done, ready)?;
        Some((n, self.rung_ns.load(Ordering::Relaxed)))
    }

    /// [`wait`](Self::wait), then record the wake latency from the
    /// ringer's stamp ([`Worker::woken_since`]): the wait of a wake type.
    /// Returns the count, or None when the worker should stop.
    pub(crate) fn wait_woken(
        &self,
        w: &mut Worker,
        done: bool,
        ready: impl Fn(u32) -> bool,
    ) -> Option<u32> {
        let (n, stamp) = self.wait(w, done, ready)?;
        w.woken_since(stamp);
        Some(n)
    }
}

page_state! {
    /// A futex mutex: the classic three-state lock (Drepper, "Futexes Are
    /// Tricky", mutex 3): 0 free, 1 held, 2 held with (possible) waiters.
    /// Acquire is a `compare_exchange(0 → 1)` fast path, else `swap(2)` and
    /// `FUTEX_WAIT` until a swap returns 0; release stamps the time, then
    /// `fetch_sub(1)`, and only when waiters may exist (the word was 2) stores
    /// 0 and `FUTEX_WAKE`s one of them. Waits end at stop ([`futex_wait`]), and
    /// a worker asked to stop leaves its acquire loop *without* the lock: no
    /// worker ever releases a lock it does not hold.
    /// Zero is "free, never released".
    #[repr(C)]
    pub(crate) struct FutexLock {
        /// 0 free, 1 held, 2 held with waiters. The futex word.
        word: AtomicU32,
        _pad: AtomicU32,
        /// When the lock was last released (`CLOCK_MONOTONIC` ns).
        released_ns: AtomicU64,
    }
}

/// How an acquire ended.
pub(crate) enum Acquired {
    /// Got the lock; whether it had to wait for it.
    Held { waited: bool },
    /// Stop: left without the lock.
    Stopped,
}

impl FutexLock {
    /// [`acquire`](Self::acquire), recording an acquisition that had to
    /// wait as a wake latency from the previous holder's release stamp.
    /// Returns false on stop (the lock is not held).
    pub(crate) fn acquire_timed(&self, w: &mut Worker, done: bool) -> bool {
        match self.acquire(w, done) {
            Acquired::Stopped => false,
            Acquired::Held { waited } => {
                if waited {
                    w.woken_since(self.released_ns());
                }
                true
            }
        }
    }

    /// Take the lock, waiting with [`futex_wait`]; gives up (without the
    /// lock) when the worker should stop (see [`give_up`]).
    pub(crate) fn acquire(&self, w: &Worker, done: bool) -> Acquired {
        let word = &self.word;
        let mut c = match word.compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed) {
            Ok(_) => return Acquired::Held { waited: false },
            Err(c) => c,
        };
        if c != 2 {
            c = word.swap(2, Ordering::Acquire);
        }
        let mut waited = false;
        while c != 0 {
            if give_up(w, done) {
                // We hold nothing: the 2 we may have stored only makes the
                // holder's release issue a wake, which is harmless.
                return Acquired::Stopped;
            }
            futex_wait(w, word, 2);
            waited = true;
            c = word.swap(2, Ordering::Acquire);
        }
        Acquired::Held { waited }
    }

    /// Release the lock, which the caller holds.
    pub(crate) fn release(&self) {
        self.released_ns
            .store(clock::monotonic_ns(), Ordering::Relaxed);
        if self.word.fetch_sub(1, Ordering::Release) != 1 {
            self.word.store(0, Ordering::Release);
            futex::wake(&self.word, 1);
        }
    }

    /// When the lock was last released: read it right after an acquire
    /// that waited, to measure the hand-off.
    pub(crate) fn released_ns(&self) -> u64 {
        self.released_ns.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::control::Control;
    use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
    use std::time::Instant;

    page_state! {
        #[repr(C)]
        struct Two {
            a: AtomicU32,
            b: AtomicU64,
        }
    }

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

    fn worker(ctl: &Arc<Control>, index: usize) -> Worker {
        Worker::for_test(ctl, index, "test")
    }

    #[test]
    fn the_lock_excludes() {
        let ctl = Arc::new(Control::new(4).unwrap());
        let page = SharedPage::<FutexLock>::new("test", 0).unwrap();
        // A plain read-then-write counter: any overlap loses increments.
        let counter = Arc::new(AtomicU64::new(0));
        let threads: Vec<_> = (0..4)
            .map(|i| {
                let (ctl, page, counter) = (ctl.clone(), page.clone(), counter.clone());
                std::thread::spawn(move || {
                    let w = worker(&ctl, i);
                    let lock = page.get();
                    for _ in 0..20_000 {
                        assert!(matches!(lock.acquire(&w, true), Acquired::Held { .. }));
                        let v = counter.load(Ordering::Relaxed);
                        std::hint::spin_loop();
                        counter.store(v + 1, Ordering::Relaxed);
                        lock.release();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(counter.load(Ordering::Relaxed), 80_000);
        assert_eq!(page.get().word.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn stop_leaves_the_wait_without_the_lock() {
        let ctl = Arc::new(Control::new(2).unwrap());
        let page = SharedPage::<FutexLock>::new("test", 0).unwrap();
        let me = worker(&ctl, 0);
        assert!(matches!(
            page.get().acquire(&me, true),
            Acquired::Held { waited: false }
        ));
        let (ctl2, page2) = (ctl.clone(), page.clone());
        let waiter = std::thread::spawn(move || {
            let w = worker(&ctl2, 1);
            let t = Instant::now();
            let got = page2.get().acquire(&w, true);
            (matches!(got, Acquired::Stopped), t.elapsed())
        });
        std::thread::sleep(Duration::from_millis(50));
        ctl.request_stop();
        let (stopped, took) = waiter.join().unwrap();
        assert!(stopped, "the waiter must leave without the lock");
        assert!(took < Duration::from_secs(2), "{took:?}");
        // Still ours (marked contended by the waiter); our release frees it.
        assert_eq!(page.get().word.load(Ordering::Relaxed), 2);
        page.get().release();
        assert_eq!(page.get().word.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn doorbell_carries_count_and_stamp() {
        let ctl = Arc::new(Control::new(2).unwrap());
        let page = SharedPage::<Doorbell>::new("test", 0).unwrap();
        let page2 = page.clone();
        let ctl2 = ctl.clone();
        let waiter = std::thread::spawn(move || {
            let w = worker(&ctl2, 1);
            page2.get().wait(&w, true, |n| n != 0)
        });
        std::thread::sleep(Duration::from_millis(20));
        let before = clock::monotonic_ns();
        assert_eq!(page.get().ring(), 1);
        page.get().wake(1);
        let (n, stamp) = waiter.join().unwrap().expect("rung, not stopped");
        assert_eq!(n, 1);
        assert!(stamp >= before && stamp <= clock::monotonic_ns());
        // A stopped wait that already did its pass returns None.
        ctl.request_stop();
        let w = worker(&ctl, 0);
        assert!(page.get().wait(&w, true, |n| n == 5).is_none());
    }

    #[test]
    fn a_futex_wait_sleeps_without_a_timer_until_stop() {
        let ctl = Arc::new(Control::new(1).unwrap());
        let page = SharedPage::<Two>::new("test", 0).unwrap();
        let (ctl2, page2) = (ctl.clone(), page.clone());
        let waiter = std::thread::spawn(move || {
            let w = worker(&ctl2, 0);
            let t = Instant::now();
            // One call: no 100 ms slice ends it, only the stop below.
            futex_wait(&w, &page2.get().a, 0);
            t.elapsed()
        });
        std::thread::sleep(Duration::from_millis(300));
        let stop = Instant::now();
        ctl.request_stop();
        let took = waiter.join().unwrap();
        assert!(took >= Duration::from_millis(250), "woke after {took:?}");
        // Stopped by the wake, not by a timeout.
        assert!(stop.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn a_first_pass_keeps_waiting_through_stop_within_the_grace() {
        let ctl = Arc::new(Control::new(1).unwrap());
        let page = SharedPage::<Two>::new("test", 0).unwrap();
        ctl.request_stop();
        let page2 = page.clone();
        let setter = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(150));
            page2.get().a.store(3, Ordering::Release);
            futex::wake_all(&page2.get().a);
        });
        let w = worker(&ctl, 0);
        let t = Instant::now();
        // Not done yet: stop does not end the wait before the grace.
        assert_eq!(wait_until(&w, &page.get().a, false, |v| v == 3), Some(3));
        assert!(t.elapsed() < FIRST_PASS_GRACE, "{:?}", t.elapsed());
        setter.join().unwrap();
        // Done: stop ends it at once.
        assert_eq!(wait_until(&w, &page.get().a, true, |v| v == 4), None);
    }
}
