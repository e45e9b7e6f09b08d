//! `PriorityInversion`: a low-priority lock holder, a high-priority waiter
//! and a medium-priority CPU hog, all three pinned to one CPU.
//!
//! The lock is the group's [`FutexLock`] (no priority inheritance). The
//! holder takes it over and over, spinning inside it; the waiter wakes
//! every `waiter_sleep_us`, wants the lock, usually finds it held and
//! blocks; the hog wakes every `hog_sleep_us` and spins `hog_burst_us`. A
//! hog that wakes while the holder holds the lock preempts the holder
//! (its priority is higher), and the waiter, though higher than the hog,
//! stays blocked until the hog sleeps again and the holder can finish:
//! the classic unbounded priority inversion, bounded here by the hog's
//! burst.

use std::sync::Arc;
use std::time::Duration;

use super::group::{burn, nap, spin_for, Acquired, FutexLock, SharedPage};
use super::plan::plan_groups;
use super::priority::{
    check_us, fifo_or_nice, pin_to_group_cpu, set_own_nice, MAX_RT_BURST_US, MAX_SLEEP_US,
};
use super::{Body, Entry, Family, Planned};
use crate::sys::clock;
use crate::workload::{WorkType, Worker};

pub(crate) const PRIORITY_INVERSION: Entry = Entry {
    name: "PriorityInversion",
    group: "3",
    about: "low-priority lock holder, RT waiter and RT hog on one CPU: inversion, waiter's blocked time",
    default: Some(WorkType::priority_inversion),
};

/// Spin steps the waiter holds the lock for.
const WAITER_HOLD: u64 = 256;
/// The waiter's `SCHED_FIFO` priority, and its nice fallback.
const WAITER_FIFO: (i32, i32) = (20, -20);
/// The hog's `SCHED_FIFO` priority, and its nice fallback.
const HOG_FIFO: (i32, i32) = (10, -10);
/// The holder's nice value (lowering priority needs no privilege).
const HOLDER_NICE: i32 = 19;

/// `PriorityInversion { hold_iters, hog_burst_us, hog_sleep_us,
/// waiter_sleep_us }`.
#[derive(Clone, Copy)]
pub(crate) struct PriorityInversion {
    pub hold_iters: u64,
    pub hog_burst_us: u64,
    pub hog_sleep_us: u64,
    pub waiter_sleep_us: u64,
}

impl Family for PriorityInversion {
    fn name(&self) -> &'static str {
        PRIORITY_INVERSION.name
    }

    fn group_size(&self) -> Option<usize> {
        Some(3)
    }

    fn validate(&self) -> Result<(), String> {
        let name = self.name();
        check_us(name, "hog_burst_us", self.hog_burst_us, MAX_RT_BURST_US)?;
        check_us(name, "hog_sleep_us", self.hog_sleep_us, MAX_SLEEP_US)?;
        check_us(name, "waiter_sleep_us", self.waiter_sleep_us, MAX_SLEEP_US)
    }

    fn plan(&self, n: usize) -> Result<Vec<Planned>, String> {
        plan_groups(self.name(), n, 3, |page: &Arc<SharedPage<FutexLock>>, m| {
            let role = [Role::Holder, Role::Waiter, Role::Hog][m.k];
            let body = InversionBody {
                page: page.clone(),
                params: *self,
                role,
                group: m.group,
                sink: 0,
            };
            (body, role.name())
        })
    }
}

/// A member's role.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Holder,
    Waiter,
    Hog,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Holder => "holder",
            Role::Waiter => "waiter",
            Role::Hog => "hog",
        }
    }
}

/// One member of a group.
struct InversionBody {
    page: Arc<SharedPage<FutexLock>>,
    params: PriorityInversion,
    role: Role,
    group: usize,
    sink: u64,
}

impl Body for InversionBody {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        let who = format!("PriorityInversion {}", self.role.name());
        // Pinned first, so a FIFO role never runs anywhere else.
        pin_to_group_cpu(w, &who, self.group);
        match self.role {
            Role::Holder => {
                set_own_nice(w, &who, HOLDER_NICE);
                self.holder(w)
            }
            Role::Waiter => {
                fifo_or_nice(w, &who, WAITER_FIFO.0, WAITER_FIFO.1);
                self.waiter(w)
            }
            Role::Hog => {
                fifo_or_nice(w, &who, HOG_FIFO.0, HOG_FIFO.1);
                self.hog(w)
            }
        }
    }
}

impl InversionBody {
    fn holder(&mut self, w: &mut Worker) -> Result<(), String> {
        let page = self.page.clone();
        let lock = page.get();
        let mut done = false;
        loop {
            if !lock.acquire_timed(w, done) {
                return Ok(());
            }
            burn(w, self.params.hold_iters, &mut self.sink);
            lock.release();
            if !w.pass_done(&mut done) {
                return Ok(());
            }
        }
    }

    fn waiter(&mut self, w: &mut Worker) -> Result<(), String> {
        let page = self.page.clone();
        let lock = page.get();
        let pause = Duration::from_micros(self.params.waiter_sleep_us);
        let mut done = false;
        loop {
            let asked = clock::monotonic_ns();
            if let Acquired::Stopped = lock.acquire(w, done) {
                return Ok(());
            }
            w.woken_since(asked);
            burn(w, WAITER_HOLD, &mut self.sink);
            lock.release();
            if !w.pass_done(&mut done) {
                return Ok(());
            }
            nap(w, pause);
            w.resumed();
        }
    }

    fn hog(&mut self, w: &mut Worker) -> Result<(), String> {
        let burst = Duration::from_micros(self.params.hog_burst_us);
        let pause = Duration::from_micros(self.params.hog_sleep_us);
        loop {
            spin_for(w, burst);
            w.end_iteration();
            if w.should_stop() || !w.sleep(pause) {
                return Ok(());
            }
        }
    }
}
