//! Signals: sending one to a thread (`tgkill`), blocking one in the
//! calling thread, taking one synchronously (`sigtimedwait`), asking
//! whether one is pending (`sigpending`), and setting a disposition
//! (`sigaction`).
//!
//! Signal numbers are plain `i32`s where a real-time signal can be meant
//! (`nix`'s `Signal` has no real-time signals), `Signal` elsewhere.

use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
use nix::unistd::Pid;

use super::task::Tid;

/// `tgkill(2)`: send signal `sig` to thread `tid` of process `tgid`.
/// ESRCH when that thread is gone (or is not in `tgid`).
pub(crate) fn tgkill(tgid: Pid, tid: Tid, sig: i32) -> Result<(), Errno> {
    // SAFETY: a system call with integer arguments only; the kernel checks
    // that `tid` belongs to `tgid`.
    let r = unsafe { libc::syscall(libc::SYS_tgkill, tgid.as_raw(), tid.as_raw(), sig) };
    Errno::result(r).map(drop)
}

/// A set of signal numbers (a `sigset_t`), real-time signals included.
#[derive(Clone, Copy)]
pub(crate) struct SignalSet(libc::sigset_t);

impl SignalSet {
    /// The set holding only `sig`; EINVAL when `sig` is not a signal.
    pub(crate) fn of(sig: i32) -> Result<SignalSet, Errno> {
        let mut set = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: sigemptyset initialises the set it is given (it cannot
        // fail for a valid pointer); sigaddset then only writes to it.
        let set = unsafe {
            libc::sigemptyset(set.as_mut_ptr());
            let mut set = set.assume_init();
            Errno::result(libc::sigaddset(&mut set, sig))?;
            set
        };
        Ok(SignalSet(set))
    }

    /// `pthread_sigmask(SIG_BLOCK)`: block the set in the calling thread.
    pub(crate) fn block_in_thread(&self) -> Result<(), Errno> {
        // SAFETY: `self.0` is an initialised set; the old mask is not asked for.
        let r = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &self.0, std::ptr::null_mut()) };
        match r {
            0 => Ok(()),
            e => Err(Errno::from_raw(e)),
        }
    }

    /// `sigtimedwait(2)`: take one pending signal of the set, waiting up
    /// to `timeout` (zero: only look). Ok(true) when one was taken,
    /// Ok(false) at the timeout or when another signal interrupted.
    /// The set must be blocked in the calling thread.
    #[doc(alias = "sigtimedwait")]
    pub(crate) fn take(&self, timeout: Duration) -> Result<bool, Errno> {
        let ts = libc::timespec {
            tv_sec: timeout.as_secs().min(i64::MAX as u64) as libc::time_t,
            tv_nsec: timeout.subsec_nanos() as libc::c_long,
        };
        // SAFETY: `self.0` and `ts` are valid for the call; a NULL info
        // pointer is allowed.
        let r = unsafe { libc::sigtimedwait(&self.0, std::ptr::null_mut(), &ts) };
        match Errno::result(r) {
            Ok(_) => Ok(true),
            Err(Errno::EAGAIN) | Err(Errno::EINTR) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// `sigpending(2)`: whether `sig` is pending for the calling thread (or
/// its process).
pub(crate) fn is_pending(sig: i32) -> bool {
    let mut set = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigpending fills the set it is given; the set is read only
    // when it succeeded.
    unsafe { libc::sigpending(set.as_mut_ptr()) == 0 && libc::sigismember(set.as_ptr(), sig) == 1 }
}

extern "C" fn do_nothing(_: libc::c_int) {}

/// Give signal `sig` a handler that does nothing (with `SA_RESTART`,
/// so it interrupts no call) if its disposition is the default or ignore;
/// leave any other handler alone. A stray `sig` then neither kills the
/// process nor is discarded while blocked.
pub(crate) fn catch_if_default_or_ignored(sig: i32) -> Result<(), Errno> {
    // SAFETY: sigaction with a NULL new action only reads the current one
    // into `old`; the second call installs a handler that does nothing
    // (async-signal-safe) with an empty mask.
    unsafe {
        let mut old = std::mem::zeroed::<libc::sigaction>();
        Errno::result(libc::sigaction(sig, std::ptr::null(), &mut old))?;
        if old.sa_sigaction == libc::SIG_DFL || old.sa_sigaction == libc::SIG_IGN {
            let mut act = std::mem::zeroed::<libc::sigaction>();
            act.sa_sigaction = do_nothing as extern "C" fn(libc::c_int) as usize;
            act.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut act.sa_mask);
            Errno::result(libc::sigaction(sig, &act, std::ptr::null_mut()))?;
        }
    }
    Ok(())
}

/// Ignore `sig` (`SIG_IGN`) in the whole process.
pub(crate) fn ignore(sig: Signal) -> Result<(), Errno> {
    let act = SigAction::new(SigHandler::SigIgn, SaFlags::empty(), SigSet::empty());
    // SAFETY: SIG_IGN runs no code.
    unsafe { sigaction(sig, &act) }.map(drop)
}

/// Restore the default action of `sig`. Async-signal-safe: a handler may
/// call it.
pub(crate) fn set_default(sig: Signal) -> Result<(), Errno> {
    let act = SigAction::new(SigHandler::SigDfl, SaFlags::empty(), SigSet::empty());
    // SAFETY: SIG_DFL runs no code.
    unsafe { sigaction(sig, &act) }.map(drop)
}

/// Give `sig` a handler that does nothing and *without* `SA_RESTART`: the
/// signal then interrupts a blocking call (EINTR) and changes nothing
/// else, the way to wake a thread out of `read` or `nanosleep`.
pub(crate) fn interrupt_only(sig: Signal) -> Result<(), Errno> {
    let act = SigAction::new(
        SigHandler::Handler(do_nothing),
        SaFlags::empty(),
        SigSet::empty(),
    );
    // SAFETY: the handler does nothing, which is async-signal-safe.
    unsafe { sigaction(sig, &act) }.map(drop)
}

/// Install `handler` for `sig` with `flags`.
///
/// `handler` runs in signal context: it must only touch atomics and make
/// async-signal-safe calls (`kill`, `raise`, [`set_default`], ...). The
/// one user is the crate's SIGINT/SIGTERM handler (`crate::interrupt`),
/// which keeps to that.
pub(crate) fn set_handler(
    sig: Signal,
    handler: extern "C" fn(libc::c_int),
    flags: SaFlags,
) -> Result<(), Errno> {
    let act = SigAction::new(SigHandler::Handler(handler), flags, SigSet::empty());
    // SAFETY: the caller's handler keeps to async-signal-safe calls (see
    // the doc above); the action itself is valid.
    unsafe { sigaction(sig, &act) }.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocked_signal_is_pending_then_taken() {
        std::thread::spawn(|| {
            let sig = libc::SIGRTMIN() + 7;
            catch_if_default_or_ignored(sig).unwrap();
            let set = SignalSet::of(sig).unwrap();
            set.block_in_thread().unwrap();
            assert!(!set.take(Duration::ZERO).unwrap(), "nothing sent yet");
            let me = nix::unistd::getpid();
            tgkill(me, Tid::current(), sig).unwrap();
            assert!(is_pending(sig));
            assert!(set.take(Duration::from_secs(5)).unwrap());
            assert!(!is_pending(sig));
            assert_eq!(tgkill(me, Tid::from_raw(i32::MAX), sig), Err(Errno::ESRCH));
        })
        .join()
        .unwrap();
        assert_eq!(SignalSet::of(10_000).err(), Some(Errno::EINVAL));
    }
}
