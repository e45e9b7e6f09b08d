//! `futex(2)` wait and wake on a 32-bit word.
//!
//! The words live in `MAP_SHARED` memory that is shared by forked workers as
//! well as by threads, so the non-private operations are used: a private
//! futex would not wake a waiter in another process.
//!
//! # Safety
//!
//! Both calls pass the address of a live `AtomicU32` that the caller borrows
//! for the duration of the call; the kernel only reads the word (wait) or uses
//! its address as a key (wake).

use std::sync::atomic::AtomicU32;
use std::time::Duration;

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
    // SAFETY: `word` is a valid, aligned u32 for the whole call (see the
    // module doc); `ts` is a valid timespec on our stack; the remaining
    // arguments are unused by FUTEX_WAIT.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT,
            expected,
            &ts as *const libc::timespec,
            std::ptr::null::<u32>(),
            0u32,
        );
    }
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
}
