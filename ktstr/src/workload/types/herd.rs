//! `ThunderingHerd`: one waker broadcasts to `waiters` sleepers that then
//! all race for one lock.
//!
//! A group is one waker and `waiters` waiters sharing one page with three
//! lines: the broadcast [`Doorbell`] (the waiters' futex word), the
//! acknowledgement [`Doorbell`] (the waker's), and a [`FutexLock`]. Per
//! round:
//!
//! 1. The waker rings the broadcast bell and `FUTEX_WAKE`s every waiter
//!    at once, then sleeps until all have acknowledged.
//! 2. Each waiter wakes, samples its wake latency from the broadcast stamp,
//!    and takes the lock: all of them were made runnable together, one
//!    wins and the rest block again on the lock word, to be released one
//!    by one (the herd). It holds the lock for `hold_iters` spin steps,
//!    releases it and acknowledges; the last acknowledgement wakes the
//!    waker.
//!
//! Like `FutexFanOut`, the waker never runs ahead of its waiters, so every
//! broadcast finds them asleep. Counters wrap; comparisons are exact
//! equalities of wrapped values.

use std::sync::Arc;

use super::group::{burn, page_state, Acquired, Doorbell, FutexLock, Line, SharedPage};
use super::plan::plan_groups;
use super::{Body, Entry, Family, Planned};
use crate::workload::{WorkType, Worker};

pub(crate) const THUNDERING_HERD: Entry = Entry {
    name: "ThunderingHerd",
    group: "wait+1",
    about: "one futex broadcast wakes every waiter, which then all race for one lock: herd wakeups",
    default: Some(WorkType::thundering_herd),
};

/// Largest `waiters`.
const MAX_WAITERS: usize = 4096;

// repr(C), made only of Doorbells and a FutexLock (atomics only)
// padded to 64-byte lines, 192 bytes; zero is "round 0, nothing
// acknowledged, lock free".
page_state! {
    /// One group's page: each part on its own cache line.
    #[repr(C)]
    struct Herd {
        bcast: Line<Doorbell>,
        acks: Line<Doorbell>,
        lock: Line<FutexLock>,
    }
}

/// `ThunderingHerd { waiters, hold_iters }`.
#[derive(Clone, Copy)]
pub(crate) struct ThunderingHerd {
    pub waiters: usize,
    pub hold_iters: u64,
}

impl Family for ThunderingHerd {
    fn name(&self) -> &'static str {
        THUNDERING_HERD.name
    }

    fn group_size(&self) -> Option<usize> {
        Some(self.waiters.saturating_add(1))
    }

    fn validate(&self) -> Result<(), String> {
        if self.waiters == 0 || self.waiters > MAX_WAITERS {
            return Err(format!(
                "ThunderingHerd waiters is {}: a waker needs 1..={MAX_WAITERS} waiters to wake \
                 (2 or more to make a herd)",
                self.waiters
            ));
        }
        Ok(())
    }

    fn plan(&self, n: usize) -> Result<Vec<Planned>, String> {
        plan_groups(
            self.name(),
            n,
            self.waiters + 1,
            |page: &Arc<SharedPage<Herd>>, m| {
                let body = HerdBody {
                    page: page.clone(),
                    params: *self,
                    waker: m.k == 0,
                    sink: 0,
                };
                (body, if m.k == 0 { "waker" } else { "waiter" })
            },
        )
    }
}

/// One member of a group.
struct HerdBody {
    page: Arc<SharedPage<Herd>>,
    params: ThunderingHerd,
    waker: bool,
    sink: u64,
}

impl Body for HerdBody {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        if self.waker {
            self.waker(w)
        } else {
            self.waiter(w)
        }
    }
}

impl HerdBody {
    fn waker(&mut self, w: &mut Worker) -> Result<(), String> {
        let page = self.page.clone();
        let s = page.get();
        let waiters = self.params.waiters as u32;
        let mut done = false;
        loop {
            let generation = s.bcast.0.ring();
            s.bcast.0.wake(waiters);
            let target = generation.wrapping_mul(waiters);
            let acked = s.acks.0.wait_woken(w, done, |v| v == target);
            if acked.is_none() || !w.pass_done(&mut done) {
                return Ok(());
            }
        }
    }

    fn waiter(&mut self, w: &mut Worker) -> Result<(), String> {
        let page = self.page.clone();
        let s = page.get();
        let waiters = self.params.waiters as u32;
        let mut seen = 0u32;
        let mut done = false;
        loop {
            let Some(generation) = s.bcast.0.wait_woken(w, done, |v| v != seen) else {
                return Ok(());
            };
            seen = generation;
            match s.lock.0.acquire(w, done) {
                Acquired::Stopped => return Ok(()),
                Acquired::Held { waited } => {
                    if waited {
                        w.resumed();
                    }
                }
            }
            burn(w, self.params.hold_iters, &mut self.sink);
            s.lock.0.release();
            if s.acks.0.ring() == generation.wrapping_mul(waiters) {
                s.acks.0.wake(1);
            }
            if !w.pass_done(&mut done) {
                return Ok(());
            }
        }
    }
}
