//! Wake patterns between busy and idle tasks: `AsymmetricWaker` and
//! `WakeChain`, both built on the [`Doorbell`] (a futex counter with the
//! ringer's timestamp) in one shared page per group.
//!
//! - `AsymmetricWaker`: the waker spins `waker_iters` steps, then rings the
//!   wakee's bell, but only once the wakee has acknowledged the previous
//!   wake (its own bell), so every wake finds the wakee done and about to
//!   sleep; the waker itself never blocks. The wakee wakes, spins
//!   `wakee_iters`, acknowledges and sleeps again.
//! - `WakeChain`: one bell per member; member `k` waits on its bell, spins
//!   `work_iters` and rings member `k + 1`'s (the last rings the head's):
//!   one token travelling around a ring of `depth` tasks. The head holds
//!   the token at the start.

use std::sync::Arc;

use super::group::{burn, page_state, Doorbell, Line, SharedPage};
use super::plan::plan_groups;
use super::{Body, Entry, Family, Planned};
use crate::workload::{WorkType, Worker};

pub(crate) const ASYMMETRIC_WAKER: Entry = Entry {
    name: "AsymmetricWaker",
    group: "2",
    about: "a busy waker that never sleeps wakes a mostly-idle wakee: wake-affine placement, wake latency",
    default: Some(WorkType::asymmetric_waker),
};
pub(crate) const WAKE_CHAIN: Entry = Entry {
    name: "WakeChain",
    group: "depth",
    about: "a token passed around a ring of depth workers by futex wakes: per-hop wake latency",
    default: Some(WorkType::wake_chain),
};

/// Largest `depth`: one cache line per link in the group's page.
const MAX_DEPTH: usize = 64;

// repr(C), two Doorbells (atomics only) on 64-byte lines, 128
// bytes; zero is "no wake yet, all acknowledged".
page_state! {
    /// `AsymmetricWaker`'s page.
    #[repr(C)]
    struct Pair {
        /// Rung by the waker; the wakee's futex word.
        wake: Line<Doorbell>,
        /// Rung by the wakee when it is done with a wake.
        ack: Line<Doorbell>,
    }
}

// repr(C), Doorbells (atomics only) on 64-byte lines, exactly one
// page (4096 bytes); zero is "no token passed yet".
page_state! {
    /// `WakeChain`'s page: member `k` waits on `links[k]`.
    #[repr(C)]
    struct Chain {
        links: [Line<Doorbell>; MAX_DEPTH],
    }
}

/// `AsymmetricWaker { waker_iters, wakee_iters }`.
#[derive(Clone, Copy)]
pub(crate) struct AsymmetricWaker {
    pub waker_iters: u64,
    pub wakee_iters: u64,
}

impl Family for AsymmetricWaker {
    fn name(&self) -> &'static str {
        ASYMMETRIC_WAKER.name
    }

    fn group_size(&self) -> Option<usize> {
        Some(2)
    }

    fn plan(&self, n: usize) -> Result<Vec<Planned>, String> {
        plan_groups(self.name(), n, 2, |page: &Arc<SharedPage<Pair>>, m| {
            let body = PairBody {
                page: page.clone(),
                params: *self,
                waker: m.k == 0,
                sink: 0,
            };
            (body, ["waker", "wakee"][m.k])
        })
    }
}

/// One side of an `AsymmetricWaker` pair.
struct PairBody {
    page: Arc<SharedPage<Pair>>,
    params: AsymmetricWaker,
    waker: bool,
    sink: u64,
}

impl Body for PairBody {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        let page = self.page.clone();
        let s = page.get();
        if self.waker {
            loop {
                burn(w, self.params.waker_iters, &mut self.sink);
                // Wake only a wakee done with the previous wake: each wake
                // then finds it asleep (or about to be), never queued.
                if s.ack.0.rings() == s.wake.0.rings() {
                    s.wake.0.ring();
                    s.wake.0.wake(1);
                    w.add_units(1);
                }
                w.end_iteration();
                if w.should_stop() {
                    return Ok(());
                }
            }
        }
        let mut seen = 0u32;
        let mut done = false;
        loop {
            let Some(n) = s.wake.0.wait_woken(w, done, |v| v != seen) else {
                return Ok(());
            };
            seen = n;
            burn(w, self.params.wakee_iters, &mut self.sink);
            s.ack.0.ring();
            if !w.pass_done(&mut done) {
                return Ok(());
            }
        }
    }
}

/// `WakeChain { depth, work_iters }`.
#[derive(Clone, Copy)]
pub(crate) struct WakeChain {
    pub depth: usize,
    pub work_iters: u64,
}

impl Family for WakeChain {
    fn name(&self) -> &'static str {
        WAKE_CHAIN.name
    }

    fn group_size(&self) -> Option<usize> {
        Some(self.depth)
    }

    fn validate(&self) -> Result<(), String> {
        if self.depth < 2 || self.depth > MAX_DEPTH {
            return Err(format!(
                "WakeChain depth is {}: a chain needs 2..={MAX_DEPTH} workers (a token passed \
                 around fewer than 2 wakes nobody)",
                self.depth
            ));
        }
        Ok(())
    }

    fn plan(&self, n: usize) -> Result<Vec<Planned>, String> {
        plan_groups(
            self.name(),
            n,
            self.depth,
            |page: &Arc<SharedPage<Chain>>, m| {
                let body = LinkBody {
                    page: page.clone(),
                    params: *self,
                    k: m.k,
                    sink: 0,
                };
                (body, if m.k == 0 { "head" } else { "link" })
            },
        )
    }
}

/// One member of a chain.
struct LinkBody {
    page: Arc<SharedPage<Chain>>,
    params: WakeChain,
    /// Position in the ring (0: the head).
    k: usize,
    sink: u64,
}

impl Body for LinkBody {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        let page = self.page.clone();
        let s = page.get();
        let mine = &s.links[self.k].0;
        let next = &s.links[(self.k + 1) % self.params.depth].0;
        let mut seen = 0u32;
        let mut done = false;
        loop {
            // The head's first token is given, not passed: no wake.
            if done || self.k != 0 {
                let Some(n) = mine.wait_woken(w, done, |v| v != seen) else {
                    return Ok(());
                };
                seen = n;
            }
            burn(w, self.params.work_iters, &mut self.sink);
            next.ring();
            next.wake(1);
            if !w.pass_done(&mut done) {
                return Ok(());
            }
        }
    }
}
