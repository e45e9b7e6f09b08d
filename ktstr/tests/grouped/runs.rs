//! Each grouped type runs with two groups in Fork and Thread mode (and a
//! pcomm container): every worker reports, progresses and samples wake
//! latency; the group's members stay in step; and stop is collected fast.

use std::time::{Duration, Instant};

use ktstr::prelude::*;

use crate::common::{assert_group_run, config, group_of, lock, run, COLLECT_BOUND, RUN};

/// The roles of a type: (first member of a group, the others).
fn roles(wt: &WorkType) -> [&'static str; 2] {
    match wt {
        WorkType::PipeIo { .. } | WorkType::CachePipe { .. } | WorkType::FutexPingPong { .. } => {
            ["ping", "pong"]
        }
        WorkType::FutexFanOut { .. } => ["messenger", "receiver"],
        WorkType::FanOutCompute { .. } => ["messenger", "worker"],
        WorkType::MutexContention { .. } => ["contender", "contender"],
        other => panic!("not a grouped type: {other:?}"),
    }
}

/// Strict alternation and lock-step rounds leave the members of a group
/// at most one pass apart.
fn assert_in_step(reports: &[WorkerReport], wt: &WorkType, what: &str) {
    let groups = reports.len() / wt.worker_group_size().unwrap();
    for g in 0..groups {
        let members = group_of(reports, g);
        let first = members[0].iterations;
        match wt {
            WorkType::PipeIo { .. }
            | WorkType::CachePipe { .. }
            | WorkType::FutexPingPong { .. } => {
                let other = members[1].iterations;
                assert!(
                    first.abs_diff(other) <= 1,
                    "{what}: pair {g} is not alternating: ping {first}, pong {other} passes"
                );
                for r in &members {
                    assert_eq!(r.work_units, r.iterations, "{what}: one unit per exchange");
                }
            }
            WorkType::FutexFanOut { .. } | WorkType::FanOutCompute { .. } => {
                for r in &members[1..] {
                    assert!(
                        r.iterations == first || r.iterations == first + 1,
                        "{what}: group {g}: messenger completed {first} rounds, \
                         {} {} handled {}",
                        r.role,
                        r.index,
                        r.iterations
                    );
                }
            }
            _ => {}
        }
    }
}

fn check(wt: WorkType, mode: CloneMode, pcomm: bool) {
    let _g = lock();
    let mut cfg = config(wt.clone(), 2, mode);
    if pcomm {
        cfg.spec = WorkSpec::pcomm("ktstr-grouped");
    }
    let what = format!(
        "{} in {mode:?} mode{}",
        wt.name(),
        if pcomm { " (pcomm)" } else { "" }
    );
    let (reports, took) = run(&cfg, RUN);
    assert!(
        took < COLLECT_BOUND,
        "{what}: stop_and_collect took {took:?}"
    );
    assert_group_run(&reports, &wt, &roles(&wt), &what);
    assert_in_step(&reports, &wt, &what);
}

#[test]
fn pipe_io_fork() {
    check(WorkType::pipe_io(), CloneMode::Fork, false);
}

#[test]
fn pipe_io_thread() {
    check(WorkType::pipe_io(), CloneMode::Thread, false);
}

#[test]
fn pipe_io_pcomm() {
    check(WorkType::pipe_io(), CloneMode::Fork, true);
}

#[test]
fn pipe_io_without_burst() {
    check(WorkType::PipeIo { burst_iters: 0 }, CloneMode::Fork, false);
}

#[test]
fn cache_pipe_fork() {
    check(WorkType::cache_pipe(), CloneMode::Fork, false);
}

#[test]
fn cache_pipe_thread() {
    check(WorkType::cache_pipe(), CloneMode::Thread, false);
}

#[test]
fn futex_ping_pong_fork() {
    check(WorkType::futex_ping_pong(), CloneMode::Fork, false);
}

#[test]
fn futex_ping_pong_thread() {
    check(WorkType::futex_ping_pong(), CloneMode::Thread, false);
}

#[test]
fn futex_ping_pong_without_spin() {
    check(
        WorkType::FutexPingPong { spin_iters: 0 },
        CloneMode::Thread,
        false,
    );
}

#[test]
fn futex_fan_out_fork() {
    check(WorkType::futex_fan_out(), CloneMode::Fork, false);
}

#[test]
fn futex_fan_out_thread() {
    check(WorkType::futex_fan_out(), CloneMode::Thread, false);
}

#[test]
fn futex_fan_out_pcomm() {
    check(WorkType::futex_fan_out(), CloneMode::Thread, true);
}

#[test]
fn fan_out_compute_fork() {
    check(WorkType::fan_out_compute(), CloneMode::Fork, false);
}

#[test]
fn fan_out_compute_thread() {
    check(WorkType::fan_out_compute(), CloneMode::Thread, false);
}

#[test]
fn mutex_contention_fork() {
    check(WorkType::mutex_contention(), CloneMode::Fork, false);
}

#[test]
fn mutex_contention_thread() {
    check(WorkType::mutex_contention(), CloneMode::Thread, false);
}

/// Under heavy contention (the lock held most of the time) every
/// contender waits, and so every contender has hand-off samples.
#[test]
fn mutex_contention_heavy_every_contender_waits() {
    let wt = WorkType::MutexContention {
        contenders: 4,
        hold_iters: 8192,
        work_iters: 256,
    };
    for mode in [CloneMode::Fork, CloneMode::Thread] {
        let _g = lock();
        let what = format!("heavy MutexContention in {mode:?} mode");
        let (reports, took) = run(&config(wt.clone(), 2, mode), RUN);
        assert!(took < COLLECT_BOUND, "{what}: collect took {took:?}");
        for r in &reports {
            crate::common::assert_real(r, &what);
            assert!(
                r.work_units > 0,
                "{what}: worker {} made no progress",
                r.index
            );
            assert!(
                r.wake_latency.count > 0,
                "{what}: worker {} never waited for the lock",
                r.index
            );
        }
    }
}

/// Stopped before they ever ran, the workers of every type still complete
/// one pass each (one exchange, one round, one critical section), and do
/// so quickly.
#[test]
fn stopped_before_start_completes_one_pass() {
    let _g = lock();
    for wt in [
        WorkType::pipe_io(),
        WorkType::cache_pipe(),
        WorkType::futex_ping_pong(),
        WorkType::futex_fan_out(),
        WorkType::fan_out_compute(),
        WorkType::mutex_contention(),
    ] {
        for mode in [CloneMode::Fork, CloneMode::Thread] {
            let what = format!("{} in {mode:?} mode, stopped before start", wt.name());
            let h = WorkloadHandle::spawn(&config(wt.clone(), 2, mode)).unwrap();
            let t = Instant::now();
            let reports = h.stop_and_collect();
            let took = t.elapsed();
            assert!(took < COLLECT_BOUND, "{what}: collect took {took:?}");
            for r in &reports {
                crate::common::assert_real(r, &what);
                assert!(r.work_units > 0, "{what}: worker {} did no pass", r.index);
            }
        }
    }
}

/// The workers' wall time ends within a few hundred ms of stop: nobody
/// waited out its partner for long.
#[test]
fn stop_is_prompt_for_every_type() {
    let _g = lock();
    for wt in [
        WorkType::pipe_io(),
        WorkType::cache_pipe(),
        WorkType::futex_ping_pong(),
        WorkType::futex_fan_out(),
        WorkType::fan_out_compute(),
        WorkType::mutex_contention(),
    ] {
        let what = format!("{} stop latency", wt.name());
        let (reports, took) = run(&config(wt.clone(), 2, CloneMode::Thread), RUN);
        assert!(
            took < Duration::from_millis(1500),
            "{what}: collect took {took:?}"
        );
        for r in &reports {
            crate::common::assert_real(r, &what);
        }
    }
}
