//! `FutexPingPong`: a turn passed back and forth through a futex word.
//!
//! Each pair shares one page: the turn word (0: ping's turn, 1: pong's)
//! and the time the turn was last passed. A worker waits until the word
//! says it is its turn, spins, stamps the time, hands the turn over with a
//! `Release` store and `FUTEX_WAKE`s its partner, which loads the word with
//! `Acquire` and then reads the stamp. The two strictly alternate, so every
//! wake but ping's very first turn wakes a partner that is really waiting.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use super::group::{burn, wait_until, PageState, SharedPage};
use super::{Body, Entry, Family, Planned};
use crate::sys::{clock, futex};
use crate::workload::{WorkType, Worker};

pub(crate) const FUTEX_PING_PONG: Entry = Entry {
    name: "FutexPingPong",
    group: "2",
    about:
        "a turn passed through a shared futex word: non-sync cross-CPU wakeups, wake-to-run latency",
    default: Some(WorkType::futex_ping_pong),
};

/// One pair's shared state.
#[repr(C)]
struct Turn {
    /// Whose turn it is: 0 ping, 1 pong. The futex word.
    turn: AtomicU32,
    _pad: AtomicU32,
    /// When the turn was last handed over (`CLOCK_MONOTONIC` ns).
    passed_ns: AtomicU64,
}

// SAFETY: repr(C), atomics only, 16 bytes; zero is "ping's turn, never
// passed".
unsafe impl PageState for Turn {}

/// `FutexPingPong { spin_iters }`.
#[derive(Clone, Copy)]
pub(crate) struct FutexPingPong {
    pub spin_iters: u64,
}

impl Family for FutexPingPong {
    fn name(&self) -> &'static str {
        FUTEX_PING_PONG.name
    }

    fn group_size(&self) -> Option<usize> {
        Some(2)
    }

    fn plan(&self, n: usize) -> Result<Vec<Planned>, String> {
        let mut out = Vec::with_capacity(n);
        for pair in 0..n / 2 {
            let page = SharedPage::<Turn>::new(self.name(), pair)?;
            for (me, role) in [(0, "ping"), (1, "pong")] {
                out.push(Planned {
                    body: Box::new(PingPongBody {
                        page: page.clone(),
                        me,
                        spin_iters: self.spin_iters,
                        sink: 0,
                    }),
                    group: pair,
                    role,
                });
            }
        }
        Ok(out)
    }
}

/// One side of a pair.
struct PingPongBody {
    page: Arc<SharedPage<Turn>>,
    /// This side's turn value: 0 ping, 1 pong.
    me: u32,
    spin_iters: u64,
    sink: u64,
}

impl Body for PingPongBody {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        let page = self.page.clone();
        let s = page.get();
        let me = self.me;
        let mut done = false;
        loop {
            if wait_until(w, &s.turn, done, |v| v == me).is_none() {
                return Ok(());
            }
            // Ping's first turn is given, not passed: no wake to measure.
            if done || me == 1 {
                let passed = s.passed_ns.load(Ordering::Relaxed);
                w.record_wake_latency(clock::monotonic_ns().saturating_sub(passed));
            }
            w.resumed();
            burn(w, self.spin_iters, &mut self.sink);
            s.passed_ns.store(clock::monotonic_ns(), Ordering::Relaxed);
            s.turn.store(1 - me, Ordering::Release);
            futex::wake(&s.turn, 1);
            done = true;
            w.add_units(1);
            w.end_iteration();
            if w.should_stop() {
                return Ok(());
            }
        }
    }
}
