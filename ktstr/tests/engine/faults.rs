//! Workers that go wrong: a panic, a worker that ignores stop, a worker
//! killed from outside, sleeps that must yield to stop. Every report still
//! comes back, says what happened, and the well-behaved workers are not
//! disturbed.

use std::time::Duration;

use ktstr::prelude::*;
use ktstr::workload::COLLECT_DEADLINE;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::helpers::{
    assert_clean, config, exercise, lock, polite_spin, proc_exists, proc_state, run_for,
    start_and_wait_for_progress, wait_until, RUN, SLACK,
};

const PANIC_MSG: &str = "ktstr-test deliberate panic";

/// Worker 0 panics after its first pass; the others behave.
fn worker_0_panics(w: &mut Worker) -> Result<(), String> {
    if w.index() == 0 {
        w.spin(4096);
        w.end_iteration();
        panic!("{PANIC_MSG} in worker {}", w.index());
    }
    polite_spin(w)
}

/// Worker 0 spins forever and never looks at `should_stop`.
fn worker_0_ignores_stop(w: &mut Worker) -> Result<(), String> {
    if w.index() == 0 {
        loop {
            w.spin(4096);
            w.end_iteration();
        }
    }
    polite_spin(w)
}

/// The three shapes a workload can take.
#[derive(Clone, Copy, Debug)]
enum Shape {
    Fork,
    Thread,
    Pcomm,
}

fn shaped(shape: Shape, n: usize, wt: WorkType) -> WorkloadConfig {
    match shape {
        Shape::Fork => config(n, wt, CloneMode::Fork),
        Shape::Thread => config(n, wt, CloneMode::Thread),
        Shape::Pcomm => WorkloadConfig {
            spec: WorkSpec::pcomm("ktstr-faulty"),
            ..config(n, wt, CloneMode::Fork)
        },
    }
}

#[test]
fn panicking_worker_is_reported_and_others_are_unaffected() {
    let _g = lock();
    for shape in [Shape::Fork, Shape::Thread, Shape::Pcomm] {
        let what = format!("panic in {shape:?} mode");
        let wt = WorkType::custom("ktstr-test-panic", worker_0_panics);
        let reports = exercise(&what, &shaped(shape, 3, wt), SLACK, run_for(RUN)).reports;
        let r0 = &reports[0];
        match &r0.exit_info {
            Some(ExitInfo::Panicked(msg)) => assert!(
                msg.contains(PANIC_MSG) && msg.contains("worker 0"),
                "{what}: panic message {msg:?} lost the payload"
            ),
            other => panic!("{what}: worker 0 exit_info {other:?}, want Panicked"),
        }
        // The report is real: the telemetry up to the panic is kept.
        assert!(
            !r0.sentinel,
            "{what}: the panicking worker's report is a sentinel"
        );
        assert!(
            r0.work_units >= 4096 && r0.iterations >= 1,
            "{what}: {r0:#?}"
        );
        assert!(!r0.is_clean());
        for r in &reports[1..] {
            assert_clean(r, &what);
        }
    }
}

fn stuck_worker(shape: Shape) {
    let _g = lock();
    let what = format!("a worker ignoring stop in {shape:?} mode");
    let wt = WorkType::custom("ktstr-test-stuck", worker_0_ignores_stop);
    let limit = COLLECT_DEADLINE + Duration::from_secs(3);
    let run = exercise(&what, &shaped(shape, 3, wt), limit, |h| {
        let ids = (h.worker_pids(), h.container_pid());
        start_and_wait_for_progress(h);
        ids
    });
    let ((tids, container), reports) = (run.driven, run.reports);
    assert!(
        run.took + Duration::from_millis(100) >= COLLECT_DEADLINE,
        "{what}: collect gave up after {:?}, before the deadline",
        run.took
    );
    let r0 = &reports[0];
    assert!(
        r0.sentinel,
        "{what}: the stuck worker's report is not a sentinel: {r0:#?}"
    );
    assert_eq!(r0.exit_info, Some(ExitInfo::TimedOut), "{what}");
    assert_eq!(r0.tid, tids[0]);
    assert_eq!(r0.work_units, 0, "a sentinel carries no made-up telemetry");
    assert!(!r0.is_clean());
    for r in &reports[1..] {
        assert_clean(r, &what);
    }
    // The stuck task is gone (killed and reaped), not left spinning.
    let gone = container.unwrap_or(tids[0]);
    assert!(
        !proc_exists(gone),
        "{what}: {gone} survives (state {:?})",
        proc_state(gone)
    );
}

#[test]
fn worker_ignoring_stop_times_out_fork() {
    stuck_worker(Shape::Fork);
}

#[test]
fn worker_ignoring_stop_times_out_pcomm() {
    stuck_worker(Shape::Pcomm);
}

/// SIGKILL `pid` and wait until it is a zombie (dead, not yet reaped).
fn kill_to_zombie(pid: i32) {
    kill(Pid::from_raw(pid), Signal::SIGKILL).unwrap();
    assert!(
        wait_until(SLACK, || proc_state(pid) == Some('Z')),
        "the killed task {pid} should be a zombie until collected"
    );
}

#[test]
fn worker_killed_from_outside_is_reported_killed() {
    let _g = lock();
    let what = "a Fork worker killed with SIGKILL";
    // A dead worker's pipe is at EOF at once: it must not cost the deadline.
    let cfg = config(3, WorkType::SpinWait, CloneMode::Fork);
    let run = exercise(what, &cfg, SLACK, |h| {
        let pids = h.worker_pids();
        start_and_wait_for_progress(h);
        kill_to_zombie(pids[1]);
        std::thread::sleep(Duration::from_millis(50));
        pids
    });
    let (pids, reports) = (run.driven, run.reports);
    let r1 = &reports[1];
    assert!(r1.sentinel, "{what}: {r1:#?}");
    assert_eq!(r1.exit_info, Some(ExitInfo::Killed(9)), "{what}");
    assert_eq!(r1.tid, pids[1]);
    assert_clean(&reports[0], what);
    assert_clean(&reports[2], what);
    assert!(
        !proc_exists(pids[1]),
        "{what}: the killed worker was not reaped"
    );
}

fn stop_cuts_sleep_short(wt: WorkType, label: &str) {
    let _g = lock();
    for mode in [CloneMode::Fork, CloneMode::Thread] {
        let what = format!("{label} in {mode:?} mode");
        // Long enough for every worker to be well into its long sleep.
        // Expected: milliseconds to stop. A sleep that ignored stop would
        // take the full 5 s collect deadline (or the sleep itself).
        let into = Duration::from_millis(150);
        let reports = exercise(&what, &config(2, wt.clone(), mode), SLACK, run_for(into)).reports;
        for r in &reports {
            assert_clean(r, &what);
            assert!(
                r.wall_time_ns < (into + SLACK).as_nanos() as u64,
                "{what}: worker {} ran for {} ns",
                r.index,
                r.wall_time_ns
            );
        }
    }
}

#[test]
fn stop_interrupts_a_long_bursty_sleep() {
    stop_cuts_sleep_short(
        WorkType::Bursty {
            burst_ms: 10,
            sleep_ms: 10_000,
        },
        "Bursty{10 ms, 10 s}",
    );
}

#[test]
fn stop_interrupts_a_long_sequence_sleep() {
    stop_cuts_sleep_short(
        WorkType::sequence([
            Phase::Spin(Duration::from_millis(10)),
            Phase::Sleep(Duration::from_secs(30)),
        ]),
        "Sequence[Spin 10 ms, Sleep 30 s]",
    );
}

/// Worker 0 returns an error after one pass; the others behave.
fn worker_0_fails(w: &mut Worker) -> Result<(), String> {
    if w.index() == 0 {
        w.spin(4096);
        w.end_iteration();
        return Err("ktstr-test resource failure in worker 0".into());
    }
    polite_spin(w)
}

#[test]
fn a_body_error_is_reported_in_a_real_report() {
    let _g = lock();
    for shape in [Shape::Fork, Shape::Thread, Shape::Pcomm] {
        let what = format!("a body error in {shape:?} mode");
        let wt = WorkType::custom("ktstr-test-fails", worker_0_fails);
        let reports = exercise(&what, &shaped(shape, 3, wt), SLACK, run_for(RUN)).reports;
        let r0 = &reports[0];
        assert!(!r0.sentinel, "{what}: {r0:#?}");
        assert_eq!(r0.exit_info, None, "{what}");
        assert_eq!(
            r0.error.as_deref(),
            Some("ktstr-test resource failure in worker 0")
        );
        assert!(
            r0.work_units >= 4096 && r0.iterations == 1,
            "{what}: {r0:#?}"
        );
        for r in &reports[1..] {
            assert_clean(r, &what);
        }
    }
}

/// One pass, then return without waiting for stop.
fn returns_early(w: &mut Worker) -> Result<(), String> {
    w.spin(4096);
    w.end_iteration();
    Ok(())
}

#[test]
fn a_worker_that_finishes_early_still_reports() {
    let _g = lock();
    for shape in [Shape::Fork, Shape::Thread, Shape::Pcomm] {
        let what = format!("early return in {shape:?} mode");
        let wt = WorkType::custom("ktstr-test-early", returns_early);
        let run = exercise(&what, &shaped(shape, 2, wt), SLACK, |h| {
            run_for(RUN)(h);
            h.snapshot_iterations()
        });
        assert_eq!(run.driven, vec![1, 1], "{what}");
        for r in &run.reports {
            assert_clean(r, &what);
            assert_eq!((r.work_units, r.iterations), (4096, 1), "{what}");
        }
    }
}

/// Worker 1 ends its process with `exit(3)` (Fork mode only: in Thread
/// mode it would end the test).
fn worker_1_exits(w: &mut Worker) -> Result<(), String> {
    if w.index() == 1 {
        w.spin(4096);
        w.end_iteration();
        // SAFETY: `_exit` ends this worker process at once.
        unsafe { libc::_exit(3) };
    }
    polite_spin(w)
}

#[test]
fn a_fork_worker_that_exits_is_reported_exited() {
    let _g = lock();
    let what = "a Fork worker calling _exit(3)";
    let wt = WorkType::custom("ktstr-test-exit", worker_1_exits);
    let run = exercise(what, &shaped(Shape::Fork, 3, wt), SLACK, |h| {
        run_for(RUN)(h);
        h.worker_pids()
    });
    let (pids, reports) = (run.driven, run.reports);
    assert!(reports[1].sentinel, "{what}: {:#?}", reports[1]);
    assert_eq!(reports[1].exit_info, Some(ExitInfo::Exited(3)), "{what}");
    assert_eq!(reports[1].tid, pids[1]);
    assert_clean(&reports[0], what);
    assert_clean(&reports[2], what);
}

#[test]
fn a_killed_pcomm_container_yields_killed_sentinels() {
    let _g = lock();
    let what = "a pcomm container killed with SIGKILL";
    let cfg = shaped(Shape::Pcomm, 3, WorkType::SpinWait);
    let run = exercise(what, &cfg, SLACK, |h| {
        let c = h.container_pid().unwrap();
        start_and_wait_for_progress(h);
        kill_to_zombie(c);
        c
    });
    for r in &run.reports {
        assert!(r.sentinel, "{what}: {r:#?}");
        assert_eq!(r.exit_info, Some(ExitInfo::Killed(9)), "{what}");
    }
    assert!(!proc_exists(run.driven));
}

#[test]
fn a_fork_worker_killed_before_start_is_reported_killed() {
    let _g = lock();
    let what = "a Fork worker killed before start";
    let cfg = config(3, WorkType::SpinWait, CloneMode::Fork);
    let reports = exercise(what, &cfg, SLACK, |h| {
        kill_to_zombie(h.worker_pids()[0]);
        run_for(RUN)(h);
    })
    .reports;
    assert_eq!(reports[0].exit_info, Some(ExitInfo::Killed(9)), "{what}");
    assert!(reports[0].sentinel);
    assert_clean(&reports[1], what);
    assert_clean(&reports[2], what);
}

/// Blocks in `pause()` between passes: only a signal gets it out.
fn blocks_in_pause(w: &mut Worker) -> Result<(), String> {
    loop {
        w.add_units(1);
        w.end_iteration();
        if w.should_stop() {
            return Ok(());
        }
        // SAFETY: pause has no preconditions; it returns on any handled
        // signal.
        unsafe { libc::pause() };
        w.resumed();
    }
}

#[test]
fn stop_interrupts_a_blocking_call_in_worker_processes() {
    let _g = lock();
    // Not Thread mode: nothing can interrupt a thread of the test process.
    for shape in [Shape::Fork, Shape::Pcomm] {
        let what = format!("a worker blocked in pause() in {shape:?} mode");
        let wt = WorkType::custom("ktstr-test-pause", blocks_in_pause);
        let reports = exercise(&what, &shaped(shape, 2, wt), SLACK, |h| {
            start_and_wait_for_progress(h);
            std::thread::sleep(Duration::from_millis(100));
        })
        .reports;
        for r in &reports {
            assert_clean(r, &what);
        }
    }
}
