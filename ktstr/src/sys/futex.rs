//! `futex(2)` wait and wake on a 32-bit word, and `futex_waitv(2)` on two.
//!
//! The words live in `MAP_SHARED` memory that is shared by forked workers as
//! well as by threads, so the non-private operations are used: a private
//! futex would not wake a waiter in another process.
//!
//! # Safety
//!
//! Every call passes the address of a live `AtomicU32` that the caller
//! borrows for the duration of the call; the kernel only reads the word
//! (wait) or uses its address as a key (wake).

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

/// `futex(FUTEX_WAIT)` with an optional timeout (None: no time limit).
fn futex_wait(word: &AtomicU32, expected: u32, timeout: Option<&libc::timespec>) {
    let ts = timeout.map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: `word` is a valid, aligned u32 for the whole call (see the
    // module doc); `ts` is null or points to a timespec that outlives the
    // call; the remaining arguments are unused by FUTEX_WAIT.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT,
            expected,
            ts,
            std::ptr::null::<u32>(),
            0u32,
        );
    }
}

/// `futex(FUTEX_WAIT)`: sleep while `*word == expected`, at most `timeout`.
///
/// Returns when woken, when the word no longer holds `expected` (EAGAIN), on a
/// signal (EINTR) or at the timeout; callers re-check their condition in a
/// loop, so the reason is not reported.
pub(crate) fn wait(word: &AtomicU32, expected: u32, timeout: Duration) {
    let ts = libc::timespec {
        tv_sec: timeout.as_secs().min(i64::MAX as u64) as libc::time_t,
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    };
    futex_wait(word, expected, Some(&ts));
}

/// `futex(FUTEX_WAIT)` without a timeout: sleep while `*word == expected`,
/// until a `FUTEX_WAKE` on `word` (or EAGAIN, EINTR, a spurious wakeup).
///
/// Only for a word that is guaranteed to change and be woken when the
/// caller must stop waiting (e.g. by a stop hook): nothing else ends the
/// sleep. It arms no timer, which makes it the cheapest wait.
pub(crate) fn wait_untimed(word: &AtomicU32, expected: u32) {
    futex_wait(word, expected, None);
}

/// `futex(FUTEX_WAKE)`: wake up to `count` waiters on `word`.
///
/// Returns the number of waiters woken (0 on error).
pub(crate) fn wake(word: &AtomicU32, count: u32) -> usize {
    let count = count.min(i32::MAX as u32) as libc::c_int;
    // SAFETY: `word` is a valid u32 (see the module doc); FUTEX_WAKE only uses
    // its address as the wait-queue key.
    let r = unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE,
            count,
            std::ptr::null::<libc::timespec>(),
            std::ptr::null::<u32>(),
            0u32,
        )
    };
    r.max(0) as usize
}

/// Wake every waiter on `word`.
pub(crate) fn wake_all(word: &AtomicU32) -> usize {
    wake(word, i32::MAX as u32)
}

/// One entry of the `futex_waitv(2)` array (`struct futex_waitv` of
/// `<linux/futex.h>`).
#[repr(C)]
struct FutexWaitv {
    /// Expected value of the word.
    val: u64,
    /// Address of the word.
    uaddr: u64,
    /// `FUTEX2_*` flags.
    flags: u32,
    /// Must be zero.
    reserved: u32,
}

/// `FUTEX2_SIZE_U32`: the word is 32 bits. Without `FUTEX2_PRIVATE` (128)
/// the futex is shared, keyed like the non-private `FUTEX_WAKE`.
const FUTEX2_SIZE_U32: u32 = 0x02;

/// Set once `futex_waitv` failed in a way that will not change: ENOSYS on
/// kernels before 5.16, or a refusal by a seccomp filter. Every later
/// [`wait_either`] then returns false at once.
static WAITV_UNUSABLE: AtomicBool = AtomicBool::new(false);

/// `futex_waitv(2)` (Linux 5.16+) on two words at once, with no timeout:
/// sleep while `*a == a_expected` and `*b == b_expected`, until a
/// `FUTEX_WAKE` on either word.
///
/// Both values are checked by the kernel atomically with going to sleep,
/// so a store plus wake on either word, before or during the call, is never
/// missed: the call then returns at once (EAGAIN) or is woken. Like
/// [`wait`], it also returns on a signal (EINTR) without saying why; the
/// caller re-checks its condition.
///
/// Returns false, without sleeping, when `futex_waitv` is not available
/// (ENOSYS on kernels before 5.16, or refused by a seccomp filter): the
/// caller must then fall back to a bounded [`wait`]. The first such failure
/// is remembered, so the fallback costs no extra syscall afterwards.
#[must_use]
pub(crate) fn wait_either(a: &AtomicU32, a_expected: u32, b: &AtomicU32, b_expected: u32) -> bool {
    if WAITV_UNUSABLE.load(Ordering::Relaxed) {
        return false;
    }
    let entry = |word: &AtomicU32, val: u32| FutexWaitv {
        val: val as u64,
        uaddr: word.as_ptr() as u64,
        flags: FUTEX2_SIZE_U32,
        reserved: 0,
    };
    let waiters = [entry(a, a_expected), entry(b, b_expected)];
    // SAFETY: `waiters` is a valid array of two `struct futex_waitv` on our
    // stack, each naming a live, aligned u32 (see the module doc) that
    // outlives the call; flags 0, a null timeout (wait without a time
    // limit) and the clock id (unused without a timeout) are valid.
    let r = unsafe {
        libc::syscall(
            libc::SYS_futex_waitv,
            waiters.as_ptr(),
            waiters.len() as libc::c_uint,
            0 as libc::c_uint,
            std::ptr::null::<libc::timespec>(),
            libc::CLOCK_MONOTONIC,
        )
    };
    if r >= 0 {
        return true;
    }
    match std::io::Error::last_os_error().raw_os_error() {
        // A word no longer held its expected value, or a signal.
        Some(libc::EAGAIN) | Some(libc::EINTR) => true,
        // ENOSYS (kernel before 5.16), or EPERM/EINVAL from a filter or an
        // odd kernel, would fail again: fall back for good rather than spin.
        Some(libc::ENOSYS) | Some(libc::EPERM) | Some(libc::EINVAL) => {
            WAITV_UNUSABLE.store(true, Ordering::Relaxed);
            false
        }
        // Anything else (EFAULT on a page being unmapped, ENOMEM) is about
        // this call: fall back for this wait only. Latching it would turn
        // every later wait of the process into a timed one.
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;
    use std::sync::Arc;
    use std::time::Instant;

    #[test]
    fn wait_times_out_when_nobody_wakes() {
        let w = AtomicU32::new(0);
        let t = Instant::now();
        wait(&w, 0, Duration::from_millis(20));
        assert!(t.elapsed() >= Duration::from_millis(15));
    }

    #[test]
    fn wait_returns_at_once_when_word_differs() {
        let w = AtomicU32::new(1);
        let t = Instant::now();
        wait(&w, 0, Duration::from_secs(5));
        assert!(t.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn wake_releases_a_waiting_thread() {
        let w = Arc::new(AtomicU32::new(0));
        let w2 = w.clone();
        let h = std::thread::spawn(move || {
            let t = Instant::now();
            while w2.load(Ordering::Acquire) == 0 {
                wait(&w2, 0, Duration::from_secs(10));
            }
            t.elapsed()
        });
        std::thread::sleep(Duration::from_millis(20));
        w.store(1, Ordering::Release);
        wake_all(&w);
        assert!(h.join().unwrap() < Duration::from_secs(5));
    }

    #[test]
    fn wait_either_returns_at_once_when_a_word_differs() {
        let (a, b) = (AtomicU32::new(0), AtomicU32::new(1));
        let t = Instant::now();
        assert!(wait_either(&a, 0, &b, 0), "futex_waitv is unavailable");
        assert!(wait_either(&a, 1, &b, 1));
        assert!(t.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn wait_either_is_woken_through_either_word() {
        for second in [false, true] {
            let words = Arc::new([AtomicU32::new(0), AtomicU32::new(0)]);
            let w2 = words.clone();
            let h = std::thread::spawn(move || {
                let t = Instant::now();
                while w2[0].load(Ordering::Acquire) == 0 && w2[1].load(Ordering::Acquire) == 0 {
                    assert!(wait_either(&w2[0], 0, &w2[1], 0));
                }
                t.elapsed()
            });
            std::thread::sleep(Duration::from_millis(20));
            let word = &words[second as usize];
            word.store(1, Ordering::Release);
            // One wake on the word is enough: the waiter is queued on both.
            wake(word, 1);
            assert!(
                h.join().unwrap() < Duration::from_secs(5),
                "word {}",
                second as usize
            );
        }
    }
}
