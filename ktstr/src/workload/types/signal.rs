//! `SignalStorm`: a sender signals a receiver thread as fast as it takes
//! them.
//!
//! The signal is the real-time signal `SIGRTMIN + 6` ([`storm_signal`]),
//! sent with `tgkill` to the receiver's thread only. The receiver blocks it
//! in its own thread before it announces itself, and takes it
//! synchronously with `sigtimedwait` (100 ms at a time); it never runs a
//! handler. So nothing in the process is disturbed, even in Thread mode
//! where the receiver is a thread of the test process:
//!
//! - the signal is directed at one thread, which has it blocked: no other
//!   thread can be picked to take it;
//! - no disposition is changed, except that a process whose disposition
//!   for the signal is still the default (terminate) or ignore gets a
//!   no-op `SA_RESTART` handler, once per process, and keeps it: a stray
//!   signal then does nothing instead of killing the process (ignore would
//!   discard the storm's own signals, even blocked ones);
//! - the receiver drains what is still pending when it leaves and keeps
//!   the signal blocked until its thread exits, so a late signal is
//!   discarded with the thread.
//!
//! Every signal is answered: the sender rings the `sent` [`Doorbell`] (its
//! timestamp) just before `tgkill`, and waits on the `ack` bell, which the
//! receiver rings after taking the signal. One signal is in flight at a
//! time, so the real-time queue never fills.

use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use std::sync::{Arc, Once};

use nix::errno::Errno;
use nix::unistd::Pid;

use super::group::{burn, give_up, page_state, wait_until, Doorbell, Line, SharedPage, WAIT_SLICE};
use super::plan::plan_groups;
use super::{Body, Entry, Family, Planned};
use crate::sys::signal::{self, SignalSet};
use crate::sys::{futex, Tid};
use crate::workload::{WorkType, Worker};

pub(crate) const SIGNAL_STORM: Entry = Entry {
    name: "SignalStorm",
    group: "2",
    about: "a sender tgkills a receiver thread that waits in sigtimedwait: signal wakeups, delivery latency",
    default: Some(WorkType::signal_storm),
};

/// The receiver's state word: not ready yet (zero), ready, or gone.
const READY: u32 = 1;
const GONE: u32 = 2;

/// The signal of the storm: `SIGRTMIN + 6` (glibc keeps the first real-time
/// signals for itself; 6 above its `SIGRTMIN` is clear of them and of the
/// engine's own SIGUSR1).
pub(crate) fn storm_signal() -> libc::c_int {
    libc::SIGRTMIN() + 6
}

page_state! {
    /// Who receives, published by the receiver once the signal is blocked.
    #[repr(C)]
    struct Ids {
        /// 0 not ready, [`READY`], [`GONE`]. The sender's first futex word.
        state: AtomicU32,
        tgid: AtomicI32,
        tid: AtomicI32,
    }
}

page_state! {
    /// One pair's page; zero is "no receiver yet, nothing sent".
    #[repr(C)]
    struct Storm {
        ids: Line<Ids>,
        /// Rung by the sender just before each signal.
        sent: Line<Doorbell>,
        /// Rung by the receiver after each signal taken.
        ack: Line<Doorbell>,
    }
}

/// `SignalStorm { spin_iters }`.
#[derive(Clone, Copy)]
pub(crate) struct SignalStorm {
    pub spin_iters: u64,
}

impl Family for SignalStorm {
    fn name(&self) -> &'static str {
        SIGNAL_STORM.name
    }

    fn group_size(&self) -> Option<usize> {
        Some(2)
    }

    fn plan(&self, n: usize) -> Result<Vec<Planned>, String> {
        plan_groups(self.name(), n, 2, |page: &Arc<SharedPage<Storm>>, m| {
            let body = StormBody {
                page: page.clone(),
                spin_iters: self.spin_iters,
                sender: m.k == 0,
                sink: 0,
            };
            (body, ["sender", "receiver"][m.k])
        })
    }
}

/// One side of a pair.
struct StormBody {
    page: Arc<SharedPage<Storm>>,
    spin_iters: u64,
    sender: bool,
    sink: u64,
}

/// Give the process a no-op handler for the storm signal if it would
/// otherwise be killed by it or discard it (see the module doc).
fn install_handler_once() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = signal::catch_if_default_or_ignored(storm_signal());
    });
}

impl Body for StormBody {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        if self.sender {
            return self.sender(w);
        }
        let page = self.page.clone();
        let s = page.get();
        install_handler_once();
        let blocked = SignalSet::of(storm_signal()).and_then(|set| {
            set.block_in_thread()?;
            Ok(set)
        });
        let set = match blocked {
            Ok(set) => set,
            Err(e) => {
                s.ids.0.state.store(GONE, Ordering::Release);
                futex::wake_all(&s.ids.0.state);
                return Err(format!(
                    "SignalStorm receiver: cannot block the signal: {e}"
                ));
            }
        };
        s.ids
            .0
            .tgid
            .store(std::process::id() as i32, Ordering::Relaxed);
        s.ids.0.tid.store(w.tid().as_raw(), Ordering::Relaxed);
        s.ids.0.state.store(READY, Ordering::Release);
        futex::wake_all(&s.ids.0.state);
        let result = receive(w, s, &set);
        s.ids.0.state.store(GONE, Ordering::Release);
        // Drain; the signal stays blocked until this thread exits.
        while let Ok(true) = set.take(std::time::Duration::ZERO) {}
        result
    }
}

/// The receiver's loop.
fn receive(w: &mut Worker, s: &Storm, set: &SignalSet) -> Result<(), String> {
    let mut done = false;
    loop {
        match set.take(WAIT_SLICE) {
            Ok(true) => {}
            Ok(false) if give_up(w, done) => return Ok(()),
            Ok(false) => continue,
            Err(e) => return Err(format!("SignalStorm receiver: sigtimedwait: {e}")),
        }
        let (_, sent) = s.sent.0.last();
        w.woken_since(sent);
        s.ack.0.ring();
        s.ack.0.wake(1);
        if !w.pass_done(&mut done) {
            return Ok(());
        }
    }
}

impl StormBody {
    fn sender(&mut self, w: &mut Worker) -> Result<(), String> {
        let page = self.page.clone();
        let s = page.get();
        // The receiver has blocked the signal once its state is READY.
        let Some(state) = wait_until(w, &s.ids.0.state, false, |v| v != 0) else {
            return Ok(());
        };
        if state == GONE {
            w.note("SignalStorm sender: the receiver could not start; stopped early");
            return Ok(());
        }
        let tgid = Pid::from_raw(s.ids.0.tgid.load(Ordering::Relaxed));
        let tid = Tid::from_raw(s.ids.0.tid.load(Ordering::Relaxed));
        let sig = storm_signal();
        let mut done = false;
        loop {
            burn(w, self.spin_iters, &mut self.sink);
            let seen = s.ack.0.rings();
            s.sent.0.ring();
            let sent = match s.ids.0.state.load(Ordering::Acquire) {
                GONE => Err(Errno::ESRCH),
                _ => signal::tgkill(tgid, tid, sig),
            };
            match sent {
                Ok(()) => {}
                Err(Errno::ESRCH) => {
                    if !w.should_stop() {
                        w.note(format!(
                            "SignalStorm sender: the receiver (tid {tid}) is gone; stopped early"
                        ));
                    }
                    return Ok(());
                }
                Err(e) => return Err(format!("SignalStorm sender: tgkill({tgid}, {tid}): {e}")),
            }
            if s.ack.0.wait_woken(w, done, |v| v != seen).is_none() || !w.pass_done(&mut done) {
                return Ok(());
            }
        }
    }
}
