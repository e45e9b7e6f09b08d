//! Clocks: `CLOCK_MONOTONIC` for timestamps that cross processes and
//! `CLOCK_THREAD_CPUTIME_ID` for a worker's own CPU time.

use nix::time::{clock_gettime, ClockId};

fn read_ns(clock: ClockId) -> u64 {
    match clock_gettime(clock) {
        Ok(ts) => (ts.tv_sec() as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(ts.tv_nsec() as u64),
        Err(_) => 0,
    }
}

/// `clock_gettime(CLOCK_MONOTONIC)` in nanoseconds.
///
/// The same clock in every process of the machine, so a timestamp written
/// into shared memory by one worker can be compared by another.
pub(crate) fn monotonic_ns() -> u64 {
    read_ns(ClockId::CLOCK_MONOTONIC)
}

/// `clock_gettime(CLOCK_THREAD_CPUTIME_ID)`: CPU time of the calling thread.
pub(crate) fn thread_cpu_ns() -> u64 {
    read_ns(ClockId::CLOCK_THREAD_CPUTIME_ID)
}
