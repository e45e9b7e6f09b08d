//! `MutexContention`: `contenders` workers fighting over one futex lock.
//!
//! The lock is the classic three-state futex mutex (Drepper, "Futexes Are
//! Tricky", mutex 3): 0 free, 1 held, 2 held with (possible) waiters.
//! Acquire is a `compare_exchange(0 → 1)` fast path, else `swap(2)` and
//! `FUTEX_WAIT` until a swap returns 0; release stamps the time, then
//! `fetch_sub(1)`, and only when waiters may exist (the word was 2) stores 0
//! and `FUTEX_WAKE`s one of them. Waits are bounded (100 ms), and a worker
//! asked to stop leaves its acquire loop *without* the lock and never
//! releases it: unlike upstream, no worker ever releases a lock it does not
//! hold.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use super::group::{burn, give_up, PageState, SharedPage, WAIT_SLICE};
use super::{Body, Entry, Family, Planned};
use crate::sys::{clock, futex};
use crate::workload::{WorkType, Worker};

pub(crate) const MUTEX_CONTENTION: Entry = Entry {
    name: "MutexContention",
    group: "N",
    about: "N contenders on one futex mutex: lock convoys, lock-holder preemption, handoff latency",
    default: Some(WorkType::mutex_contention),
};

/// Largest `contenders`.
const MAX_CONTENDERS: usize = 4096;

/// One group's lock.
#[repr(C)]
struct Lock {
    /// 0 free, 1 held, 2 held with waiters. The futex word.
    word: AtomicU32,
    _pad: AtomicU32,
    /// When the lock was last released (`CLOCK_MONOTONIC` ns).
    released_ns: AtomicU64,
}

// SAFETY: repr(C), atomics only, 16 bytes; zero is "free, never released".
unsafe impl PageState for Lock {}

/// `MutexContention { contenders, hold_iters, work_iters }`.
#[derive(Clone, Copy)]
pub(crate) struct MutexContention {
    pub contenders: usize,
    pub hold_iters: u64,
    pub work_iters: u64,
}

impl Family for MutexContention {
    fn name(&self) -> &'static str {
        MUTEX_CONTENTION.name
    }

    fn group_size(&self) -> Option<usize> {
        Some(self.contenders)
    }

    fn validate(&self) -> Result<(), String> {
        if self.contenders == 0 || self.contenders > MAX_CONTENDERS {
            return Err(format!(
                "MutexContention contenders is {}: a lock needs 1..={MAX_CONTENDERS} contenders \
                 (2 or more to contend)",
                self.contenders
            ));
        }
        Ok(())
    }

    fn plan(&self, n: usize) -> Result<Vec<Planned>, String> {
        let mut out = Vec::with_capacity(n);
        for group in 0..n / self.contenders {
            let page = SharedPage::<Lock>::new(self.name(), group)?;
            for _ in 0..self.contenders {
                out.push(Planned {
                    body: Box::new(Contender {
                        page: page.clone(),
                        params: *self,
                        sink: 0,
                    }),
                    group,
                    role: "contender",
                });
            }
        }
        Ok(out)
    }
}

/// One contender.
struct Contender {
    page: Arc<SharedPage<Lock>>,
    params: MutexContention,
    sink: u64,
}

/// How an acquire ended.
enum Acquired {
    /// Got the lock; whether it had to wait for it.
    Held { waited: bool },
    /// Stop: left without the lock.
    Stopped,
}

/// Take the lock, waiting at most `WAIT_SLICE` per futex wait; gives up
/// (without the lock) when the worker should stop.
fn acquire(w: &Worker, word: &AtomicU32, done: bool) -> Acquired {
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
        futex::wait(word, 2, WAIT_SLICE);
        waited = true;
        c = word.swap(2, Ordering::Acquire);
    }
    Acquired::Held { waited }
}

/// Release a lock this worker holds.
fn release(lock: &Lock) {
    lock.released_ns
        .store(clock::monotonic_ns(), Ordering::Relaxed);
    if lock.word.fetch_sub(1, Ordering::Release) != 1 {
        lock.word.store(0, Ordering::Release);
        futex::wake(&lock.word, 1);
    }
}

impl Body for Contender {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        let page = self.page.clone();
        let lock = page.get();
        let mut done = false;
        loop {
            burn(w, self.params.work_iters, &mut self.sink);
            match acquire(w, &lock.word, done) {
                Acquired::Stopped => return Ok(()),
                Acquired::Held { waited } => {
                    if waited {
                        let freed = lock.released_ns.load(Ordering::Relaxed);
                        w.record_wake_latency(clock::monotonic_ns().saturating_sub(freed));
                        w.resumed();
                    }
                }
            }
            burn(w, self.params.hold_iters, &mut self.sink);
            release(lock);
            done = true;
            w.add_units(1);
            w.end_iteration();
            if w.should_stop() {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::control::Control;
    use crate::workload::worker::Seat;
    use std::time::{Duration, Instant};

    fn worker(ctl: &Arc<Control>, index: usize) -> Worker {
        let seat = Seat {
            index,
            num_workers: ctl.workers(),
            group: 0,
            role: "contender",
            work_type: "MutexContention".into(),
        };
        Worker::new(ctl.clone(), seat, 0)
    }

    #[test]
    fn the_lock_excludes() {
        let ctl = Arc::new(Control::new(4).unwrap());
        let page = SharedPage::<Lock>::new("test", 0).unwrap();
        // A plain read-then-write counter: any overlap loses increments.
        let counter = Arc::new(AtomicU64::new(0));
        let threads: Vec<_> = (0..4)
            .map(|i| {
                let (ctl, page, counter) = (ctl.clone(), page.clone(), counter.clone());
                std::thread::spawn(move || {
                    let w = worker(&ctl, i);
                    let lock = page.get();
                    for _ in 0..20_000 {
                        assert!(matches!(
                            acquire(&w, &lock.word, true),
                            Acquired::Held { .. }
                        ));
                        let v = counter.load(Ordering::Relaxed);
                        std::hint::spin_loop();
                        counter.store(v + 1, Ordering::Relaxed);
                        release(lock);
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
        let page = SharedPage::<Lock>::new("test", 0).unwrap();
        let me = worker(&ctl, 0);
        assert!(matches!(
            acquire(&me, &page.get().word, true),
            Acquired::Held { waited: false }
        ));
        let (ctl2, page2) = (ctl.clone(), page.clone());
        let waiter = std::thread::spawn(move || {
            let w = worker(&ctl2, 1);
            let t = Instant::now();
            let got = acquire(&w, &page2.get().word, true);
            (matches!(got, Acquired::Stopped), t.elapsed())
        });
        std::thread::sleep(Duration::from_millis(50));
        ctl.request_stop();
        let (stopped, took) = waiter.join().unwrap();
        assert!(stopped, "the waiter must leave without the lock");
        assert!(took < Duration::from_secs(2), "{took:?}");
        // Still ours (marked contended by the waiter); our release frees it.
        assert_eq!(page.get().word.load(Ordering::Relaxed), 2);
        release(page.get());
        assert_eq!(page.get().word.load(Ordering::Relaxed), 0);
    }
}
