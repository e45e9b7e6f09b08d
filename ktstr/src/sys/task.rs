//! Kernel task ids.
//!
//! Linux schedules *tasks*: every thread, including a process's main
//! thread, has its own id (`gettid(2)`), and the per-thread calls of
//! [`sched`](super::sched) and [`signal`](super::signal) (affinity,
//! policy, nice, `tgkill`) take one. A [`Tid`] says "this number names one
//! thread" where a bare `i32` could be a pid, a process group or a count.

use std::fmt;

/// A kernel task (thread) id, as `gettid(2)` returns it. A Fork worker's
/// tid equals its pid; a Thread worker's is its own.
///
/// Only a number: holding one does not keep the task alive, and the id
/// may be reused once the task is gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tid(i32);

impl Tid {
    /// The calling thread, for the calls that accept 0 for it.
    pub(crate) const CALLER: Tid = Tid(0);

    /// The task id `raw` (from `/proc`, a report, a shared-memory slot).
    pub const fn from_raw(raw: i32) -> Tid {
        Tid(raw)
    }

    /// The number, for a system call, a path under `/proc` or a report.
    pub const fn as_raw(self) -> i32 {
        self.0
    }

    /// `gettid(2)`: the calling thread's id.
    #[doc(alias = "gettid")]
    pub fn current() -> Tid {
        Tid(nix::unistd::gettid().as_raw())
    }

    /// As a `nix` pid, for the `nix` calls that take a task id as one.
    pub(crate) fn as_nix(self) -> nix::unistd::Pid {
        nix::unistd::Pid::from_raw(self.0)
    }
}

impl fmt::Display for Tid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_has_its_own_tid() {
        let me = Tid::current();
        assert_eq!(me.as_raw(), nix::unistd::gettid().as_raw());
        let other = std::thread::spawn(Tid::current).join().unwrap();
        assert_ne!(other, me);
        assert_eq!(Tid::from_raw(other.as_raw()), other);
        assert_eq!(other.to_string(), other.as_raw().to_string());
    }
}
