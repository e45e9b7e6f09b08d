//! `MutexContention`: `contenders` workers fighting over one futex lock,
//! the three-state [`FutexLock`] of `group.rs` in a page per group. A
//! worker asked to stop while waiting leaves *without* the lock and never
//! releases it: unlike upstream, no worker ever releases a lock it does
//! not hold.

use std::sync::Arc;

use super::group::{burn, FutexLock, SharedPage};
use super::plan::plan_groups;
use super::{Body, Entry, Family, Planned};
use crate::workload::{WorkType, Worker};

pub(crate) const MUTEX_CONTENTION: Entry = Entry {
    name: "MutexContention",
    group: "N",
    about: "N contenders on one futex mutex: lock convoys, lock-holder preemption, handoff latency",
    default: Some(WorkType::mutex_contention),
};

/// Largest `contenders`.
const MAX_CONTENDERS: usize = 4096;

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
        plan_groups(
            self.name(),
            n,
            self.contenders,
            |page: &Arc<SharedPage<FutexLock>>, _| {
                let body = Contender {
                    page: page.clone(),
                    params: *self,
                    sink: 0,
                };
                (body, "contender")
            },
        )
    }
}

/// One contender.
struct Contender {
    page: Arc<SharedPage<FutexLock>>,
    params: MutexContention,
    sink: u64,
}

impl Body for Contender {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        let page = self.page.clone();
        let lock = page.get();
        let mut done = false;
        loop {
            burn(w, self.params.work_iters, &mut self.sink);
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
}
