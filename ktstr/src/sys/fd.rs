//! Closing many descriptors at once: `close_range(2)` over runs of
//! consecutive numbers.
//!
//! A Fork worker closes the spawner's ends of every other worker's pipes,
//! which are mostly consecutive descriptors: one `close_range` per run
//! instead of one `close` per descriptor keeps spawning N workers from
//! costing N²/2 system calls.

use std::os::fd::{FromRawFd, RawFd};

/// Take ownership of descriptor `fd`, which this process inherited open
/// across `exec` (set up by its parent, such as a supervisor's result
/// pipe at a fixed number). None when `fd` is not open.
///
/// Call it once per descriptor, for one that nothing else in the process
/// owns: the returned file closes it on drop.
pub(crate) fn take_inherited(fd: RawFd) -> Option<std::fs::File> {
    nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_GETFD).ok()?;
    // SAFETY: `fd` is open (checked above) and, as the caller promises,
    // owned by nothing else in the process, so the file is its one owner.
    Some(unsafe { std::fs::File::from_raw_fd(fd) })
}

/// Close every descriptor in `fds` (any order; sorted in place). Only for
/// descriptors that nothing in this process owns any more, such as a
/// forked child's copies of the spawner's descriptors.
pub(crate) fn close_all(fds: &mut [RawFd]) {
    fds.sort_unstable();
    let mut i = 0;
    while i < fds.len() {
        let lo = fds[i];
        let mut hi = lo;
        i += 1;
        while i < fds.len() && (fds[i] == hi || fds[i] == hi + 1) {
            hi = fds[i];
            i += 1;
        }
        if lo < 0 {
            continue;
        }
        // SAFETY: closes descriptors the caller says nothing owns; the
        // range holds only descriptors of `fds` (consecutive numbers).
        let r = unsafe { libc::syscall(libc::SYS_close_range, lo as u32, hi as u32, 0u32) };
        if r != 0 {
            // close_range is missing (Linux < 5.9) or refused: one by one.
            for fd in lo..=hi {
                // SAFETY: as above, one descriptor of `fds` at a time.
                unsafe { libc::close(fd) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::IntoRawFd;

    fn is_open(fd: RawFd) -> bool {
        std::path::Path::new(&format!("/proc/self/fd/{fd}")).exists()
    }

    #[test]
    fn closes_runs_and_singles_and_leaves_the_rest() {
        let fds: Vec<RawFd> = (0..6)
            .map(|_| std::fs::File::open("/dev/null").unwrap().into_raw_fd())
            .collect();
        // Close all but the third, out of order.
        let mut close: Vec<RawFd> = fds.iter().copied().filter(|&f| f != fds[2]).rev().collect();
        close_all(&mut close);
        for &f in &fds {
            assert_eq!(is_open(f), f == fds[2], "fd {f}");
        }
        close_all(&mut [fds[2]]);
        assert!(!is_open(fds[2]));
        assert!(take_inherited(fds[2]).is_none(), "closed");
        let fd = std::fs::File::open("/dev/null").unwrap().into_raw_fd();
        drop(take_inherited(fd).expect("open"));
        assert!(!is_open(fd), "closed with its owner");
    }
}
