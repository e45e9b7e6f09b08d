//! Times a report can be trusted with: CPU time and wall time over the same
//! interval at every duration (down to 0), the interval each worker ran on
//! the common monotonic clock, and a controlling thread that keeps time
//! behind more spinners than CPUs.

use std::time::{Duration, Instant};

use ktstr::prelude::*;

use crate::helpers::{config, lock, run, Footprint};

const MODES: [CloneMode; 2] = [CloneMode::Fork, CloneMode::Thread];

/// `CLOCK_MONOTONIC` now, in ns (what the reports' timestamps use).
fn monotonic_ns() -> u64 {
    let ts = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).unwrap();
    ts.tv_sec() as u64 * 1_000_000_000 + ts.tv_nsec() as u64
}

/// The calling thread's scheduling policy (field 41 of its `stat`).
fn own_policy() -> u32 {
    let s = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    let fields: Vec<&str> = s[s.rfind(')').unwrap() + 1..].split_whitespace().collect();
    fields[38].parse().unwrap()
}

#[test]
fn cpu_share_never_exceeds_wall_time_at_tiny_durations() {
    let _g = lock();
    for mode in MODES {
        for dur in [Duration::ZERO, Duration::from_millis(1)] {
            for round in 0..10 {
                let before = monotonic_ns();
                let reports = run(&config(2, WorkType::SpinWait, mode), dur);
                let after = monotonic_ns();
                for r in &reports {
                    let what = format!("{mode:?} {dur:?} round {round} worker {}", r.index);
                    assert!(!r.sentinel, "{what}: no report");
                    assert!(
                        r.cpu_time_ns <= r.wall_time_ns,
                        "{what}: CPU {} ns above wall {} ns ({:.1} %)",
                        r.cpu_time_ns,
                        r.wall_time_ns,
                        100.0 * r.cpu_time_ns as f64 / r.wall_time_ns.max(1) as f64
                    );
                    assert!(r.cpu_share() <= 1.0, "{what}");
                    assert!(
                        before <= r.started_at_ns && r.started_at_ns <= r.ended_at_ns,
                        "{what}: ran from {} to {}, test began at {before}",
                        r.started_at_ns,
                        r.ended_at_ns
                    );
                    assert!(r.ended_at_ns <= after, "{what}: ended after collect");
                    assert_eq!(r.wall_time_ns, r.ended_at_ns - r.started_at_ns, "{what}");
                }
            }
        }
    }
}

#[test]
fn controller_keeps_time_behind_256_spinners() {
    let _g = lock();
    let footprint = Footprint::take();
    let cfg = config(256, WorkType::SpinWait, CloneMode::Fork);
    let mut h = WorkloadHandle::spawn(&cfg).unwrap();
    let t = Instant::now();
    h.start();
    let start_call = t.elapsed();
    // Before the controller was elevated, this call took 1-4 s with 512
    // spinners on 2 CPUs; the bound is wide for a noisy machine.
    assert!(
        start_call < Duration::from_millis(250),
        "start() took {start_call:?} behind 256 spinners"
    );
    std::thread::sleep(Duration::from_millis(500));
    let stopped_at = monotonic_ns();
    let reports = h.stop_and_collect();
    let took = t.elapsed();
    assert!(
        took < Duration::from_secs(3),
        "a 0.5 s run took {took:?} to its last report"
    );
    assert!(
        reports.iter().all(|r| !r.sentinel),
        "every report came back"
    );
    let ran: Vec<&WorkerReport> = reports.iter().filter(|r| r.iterations > 0).collect();
    assert!(!ran.is_empty());
    for r in &ran {
        assert!(
            r.started_at_ns <= stopped_at + 2_000_000_000,
            "worker {} started {} ns after the stop",
            r.index,
            r.started_at_ns.saturating_sub(stopped_at)
        );
    }
    assert_eq!(own_policy(), 0, "the controller is back at SCHED_OTHER");
    footprint.assert_nothing_left("256 spinners");
}
