//! `FutexPingPong`: a turn passed back and forth through a futex word.
//!
//! Each pair shares one page: the turn word (0: ping's turn, 1: pong's)
//! and the time the turn was last passed. A worker waits until the word
//! says it is its turn, spins, stamps the time, hands the turn over with a
//! `Release` store and `FUTEX_WAKE`s its partner, which loads the word with
//! `Acquire` and then reads the stamp. The two strictly alternate, so every
//! wake but ping's very first turn wakes a partner that is really waiting.
//!
//! # Stop
//!
//! A worker waits for its turn in a plain `FUTEX_WAIT` on the turn word,
//! with no timeout and no second word: the cheapest futex sleep there is
//! (a timeout arms and cancels a timer per wait; `futex_waitv` with the stop
//! word, as the other grouped types use, looks up a second shared futex
//! key: either costs about 15% of a round trip). Stop reaches it through
//! the turn word itself: each pair's [`StopHook`] sets [`STOPPED`] in it
//! and wakes every waiter, right after stop is requested. A worker blocked
//! on the old value is woken, or finds the word changed when it goes to
//! sleep (the kernel compares it atomically with the sleep), so no stop is
//! lost. The flag is never mistaken for a turn (turns are compared without
//! it), and a hand-over that clears it makes the partner's turn come, which
//! ends its wait anyway. During the first-pass grace (see `group`) the
//! waits are bounded by `WAIT_SLICE` instead.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use super::group::{burn, give_up, page_state, SharedPage, WAIT_SLICE};
use super::plan::plan_groups;
use super::{Body, Entry, Family, Planned, StopHook};
use crate::sys::{clock, futex};
use crate::workload::{WorkType, Worker};

pub(crate) const FUTEX_PING_PONG: Entry = Entry {
    name: "FutexPingPong",
    group: "2",
    about:
        "a turn passed through a shared futex word: non-sync cross-CPU wakeups, wake-to-run latency",
    default: Some(WorkType::futex_ping_pong),
};

/// The turn bit of the turn word: 0 ping's turn, 1 pong's.
const WHOSE: u32 = 1;
/// Set in the turn word by the stop hook (see the module doc).
const STOPPED: u32 = 2;

// repr(C), atomics only, 16 bytes; zero is "ping's turn, never
// passed".
page_state! {
    /// One pair's shared state.
    #[repr(C)]
    struct Turn {
        /// Whose turn it is ([`WHOSE`]: 0 ping, 1 pong), plus [`STOPPED`]
        /// once stop was requested (until the next hand-over). The futex word.
        turn: AtomicU32,
        _pad: AtomicU32,
        /// When the turn was last handed over (`CLOCK_MONOTONIC` ns).
        passed_ns: AtomicU64,
    }
}

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
        plan_groups(self.name(), n, 2, |page: &Arc<SharedPage<Turn>>, m| {
            let me = m.k as u32;
            let body = PingPongBody {
                page: page.clone(),
                me,
                spin_iters: self.spin_iters,
                sink: 0,
                // One hook per pair: ping carries it to the spawner.
                stop_hook: (me == 0).then(|| page.clone()),
            };
            (body, ["ping", "pong"][m.k])
        })
    }
}

/// One side of a pair.
struct PingPongBody {
    page: Arc<SharedPage<Turn>>,
    /// This side's turn value: 0 ping, 1 pong.
    me: u32,
    spin_iters: u64,
    sink: u64,
    /// The pair's page for its stop hook, until `spawn` takes it (ping's
    /// body only).
    stop_hook: Option<Arc<SharedPage<Turn>>>,
}

/// A pair's stop hook: [`STOPPED`] into its turn word, and a wake for
/// every waiter on it.
struct PokeTurn(Arc<SharedPage<Turn>>);

impl StopHook for PokeTurn {
    fn wake(&self) {
        let turn = &self.0.get().turn;
        // AcqRel: a worker that sees the flag also sees stop, which was
        // requested before.
        turn.fetch_or(STOPPED, Ordering::AcqRel);
        futex::wake_all(turn);
    }

    fn fds(&self) -> Vec<std::os::fd::RawFd> {
        Vec::new()
    }
}

/// Wait until it is `me`'s turn; false when the worker should stop (see
/// the module doc and `group::give_up`).
fn wait_turn(w: &Worker, turn: &AtomicU32, me: u32, done: bool) -> bool {
    loop {
        let v = turn.load(Ordering::Acquire);
        if v & WHOSE == me {
            return true;
        }
        if give_up(w, done) {
            return false;
        }
        if w.should_stop() {
            // First-pass grace: the hook has poked the word already.
            futex::wait(turn, v, WAIT_SLICE);
        } else {
            futex::wait_untimed(turn, v);
        }
    }
}

impl Body for PingPongBody {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        let page = self.page.clone();
        let s = page.get();
        let me = self.me;
        let mut done = false;
        loop {
            if !wait_turn(w, &s.turn, me, done) {
                return Ok(());
            }
            // Ping's first turn is given, not passed: no wake to measure.
            if done || me == 1 {
                w.woken_since(s.passed_ns.load(Ordering::Relaxed));
            } else {
                w.resumed();
            }
            burn(w, self.spin_iters, &mut self.sink);
            let passed = clock::monotonic_ns();
            s.passed_ns.store(passed, Ordering::Relaxed);
            s.turn.store(1 - me, Ordering::Release);
            futex::wake(&s.turn, 1);
            // The hand-over stamp is the checkpoint of the run from the
            // wakeup to the hand-over (the wait that follows is voluntary):
            // no clock read beyond the two a turn needs anyway.
            if !w.pass_done_at(&mut done, passed) {
                return Ok(());
            }
        }
    }

    fn take_stop_hook(&mut self) -> Option<Box<dyn StopHook>> {
        let page = self.stop_hook.take()?;
        Some(Box::new(PokeTurn(page)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::control::Control;
    use std::time::{Duration, Instant};

    fn worker(ctl: &Arc<Control>, index: usize) -> Worker {
        Worker::for_test(ctl, index, "FutexPingPong")
    }

    #[test]
    fn one_hook_per_pair_carried_by_ping() {
        let mut plan = FutexPingPong { spin_iters: 0 }.plan(4).unwrap();
        let hooks: Vec<bool> = plan
            .iter_mut()
            .map(|p| p.body.take_stop_hook().is_some())
            .collect();
        assert_eq!(hooks, [true, false, true, false]);
    }

    fn bodies() -> (PingPongBody, PingPongBody) {
        let page = SharedPage::<Turn>::new("test", 0).unwrap();
        let body = |me| PingPongBody {
            page: page.clone(),
            me,
            spin_iters: 0,
            sink: 0,
            stop_hook: (me == 0).then(|| page.clone()),
        };
        (body(0), body(1))
    }

    #[test]
    fn the_stop_hook_ends_an_untimed_wait() {
        let ctl = Arc::new(Control::new(2).unwrap());
        let (mut ping, pong) = bodies();
        let hook = ping.take_stop_hook().expect("ping carries the hook");
        assert!(ping.take_stop_hook().is_none(), "taken once");
        let ctl2 = ctl.clone();
        let waiter = std::thread::spawn(move || {
            let w = worker(&ctl2, 1);
            let t = Instant::now();
            // Ping's turn, and ping never runs: only stop ends this.
            let got = wait_turn(&w, &pong.page.get().turn, 1, true);
            (got, t.elapsed())
        });
        std::thread::sleep(Duration::from_millis(300));
        ctl.request_stop();
        hook.wake();
        let (got, took) = waiter.join().unwrap();
        assert!(!got, "stopped, not given the turn");
        assert!(took >= Duration::from_millis(250), "no timeout: {took:?}");
        assert!(took < Duration::from_secs(5), "{took:?}");
    }

    #[test]
    fn the_stop_flag_is_not_a_turn() {
        let ctl = Arc::new(Control::new(2).unwrap());
        let (mut ping, pong) = bodies();
        let hook = ping.take_stop_hook().unwrap();
        ctl.request_stop();
        hook.wake();
        let turn = &pong.page.get().turn;
        assert_eq!(turn.load(Ordering::Relaxed), STOPPED);
        let w = worker(&ctl, 0);
        // Still ping's turn for ping; not pong's (who has done a pass).
        assert!(wait_turn(&w, turn, 0, true));
        assert!(!wait_turn(&w, turn, 1, true));
        // A hand-over clears the flag and gives the turn.
        turn.store(1, Ordering::Release);
        assert!(wait_turn(&w, turn, 1, true));
    }
}
