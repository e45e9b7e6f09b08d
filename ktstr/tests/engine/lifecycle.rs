//! The handle's life: blocked until start, idempotent start, auto-start on
//! collect, monotonic snapshots, every report back, teardown on drop.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use ktstr::prelude::*;
use ktstr::workload::COLLECT_DEADLINE;

use crate::helpers::{
    assert_clean, config, exercise, has_thread, lock, proc_exists, proc_state, run, run_for,
    start_and_wait_for_progress, wait_until, Footprint, RUN, SLACK,
};

const MODES: [CloneMode; 2] = [CloneMode::Fork, CloneMode::Thread];

/// utime + stime of a task, in clock ticks.
fn cpu_ticks(tid: i32) -> u64 {
    let pid = std::process::id();
    let path = if tid as u32 == pid {
        format!("/proc/{tid}/stat")
    } else if std::path::Path::new(&format!("/proc/self/task/{tid}")).exists() {
        format!("/proc/self/task/{tid}/stat")
    } else {
        format!("/proc/{tid}/stat")
    };
    let s = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    let f: Vec<&str> = s[s.rfind(')').unwrap() + 1..].split_whitespace().collect();
    // After the comm: state(0) ppid(1) ... utime(11) stime(12).
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

#[test]
fn spawn_returns_distinct_live_tids() {
    let _g = lock();
    for mode in MODES {
        let before = Footprint::take();
        let h = WorkloadHandle::spawn(&config(4, WorkType::SpinWait, mode)).unwrap();
        let tids = h.worker_pids();
        assert_eq!(h.num_workers(), 4);
        assert!(!h.is_started());
        assert_eq!(
            tids.iter().collect::<BTreeSet<_>>().len(),
            4,
            "{mode:?}: tids {tids:?}"
        );
        for &t in &tids {
            assert!(t > 0);
            match mode {
                CloneMode::Fork => {
                    assert!(proc_exists(t), "Fork worker {t} has no /proc entry");
                    assert_ne!(t as u32, std::process::id());
                }
                CloneMode::Thread => assert!(has_thread(t), "Thread worker {t} is not our thread"),
            }
        }
        if mode == CloneMode::Fork {
            assert_eq!(h.worker_pids_for_cgroup_procs().unwrap(), tids);
            assert_eq!(h.container_pid(), None);
        }
        drop(h);
        before.assert_nothing_left(&format!("spawn+drop in {mode:?} mode"));
    }
}

#[test]
fn workers_are_blocked_until_start() {
    let _g = lock();
    for mode in MODES {
        let what = format!("blocked-until-start in {mode:?} mode");
        let run = exercise(&what, &config(2, WorkType::SpinWait, mode), SLACK, |h| {
            let tids = h.worker_pids();
            let ticks0: Vec<u64> = tids.iter().map(|&t| cpu_ticks(t)).collect();
            let end = Instant::now() + Duration::from_millis(200);
            while Instant::now() < end {
                assert_eq!(
                    h.snapshot_iterations(),
                    vec![0, 0],
                    "{mode:?}: progress before start"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
            for (i, &t) in tids.iter().enumerate() {
                // A spinning worker would burn ~20 ticks in 200 ms.
                let burnt = cpu_ticks(t) - ticks0[i];
                assert!(
                    burnt <= 3,
                    "{mode:?}: worker {i} used {burnt} ticks before start"
                );
                if mode == CloneMode::Fork {
                    assert_eq!(
                        proc_state(t),
                        Some('S'),
                        "{mode:?}: worker {i} should be asleep"
                    );
                }
            }
            start_and_wait_for_progress(h);
            assert!(h.is_started());
        });
        for r in &run.reports {
            assert_clean(r, &what);
        }
    }
}

#[test]
fn start_is_idempotent() {
    let _g = lock();
    for mode in MODES {
        let what = format!("double start in {mode:?} mode");
        let run = exercise(&what, &config(3, WorkType::Mixed, mode), SLACK, |h| {
            h.start();
            h.start();
            std::thread::sleep(RUN / 2);
            h.start();
            assert!(h.is_started());
            std::thread::sleep(RUN / 2);
        });
        for r in &run.reports {
            assert_clean(r, &what);
        }
    }
}

#[test]
fn stop_and_collect_starts_unstarted_workers() {
    let _g = lock();
    for mode in MODES {
        let what = format!("auto-start in {mode:?} mode");
        let run = exercise(&what, &config(2, WorkType::SpinWait, mode), SLACK, |h| {
            std::thread::sleep(Duration::from_millis(50));
            assert!(!h.is_started());
            assert_eq!(h.snapshot_iterations(), vec![0, 0]);
        });
        for r in &run.reports {
            // The loop is a do-while: a worker started and stopped at once
            // still runs one pass and reports it.
            assert_clean(r, &what);
        }
    }
}

#[test]
fn snapshots_are_monotonic() {
    let _g = lock();
    for mode in MODES {
        let what = format!("snapshots in {mode:?} mode");
        let run = exercise(&what, &config(3, WorkType::Mixed, mode), SLACK, |h| {
            h.start();
            let mut last = h.snapshot_iterations();
            assert_eq!(last.len(), 3);
            for _ in 0..8 {
                std::thread::sleep(Duration::from_millis(30));
                let now = h.snapshot_iterations();
                for i in 0..3 {
                    assert!(
                        now[i] >= last[i],
                        "{mode:?}: worker {i} went back: {last:?} -> {now:?}"
                    );
                }
                last = now;
            }
            last
        });
        let last = run.driven;
        assert!(
            last.iter().all(|&c| c > 0),
            "{mode:?}: no progress: {last:?}"
        );
        for (i, r) in run.reports.iter().enumerate() {
            assert_clean(r, &what);
            assert!(
                r.iterations >= last[i],
                "{mode:?}: worker {i} reported {} iterations, fewer than the snapshot {}",
                r.iterations,
                last[i]
            );
        }
    }
}

#[test]
fn every_report_comes_back_from_many_workers() {
    let _g = lock();
    for mode in MODES {
        for delay in [Duration::ZERO, Duration::from_millis(200)] {
            let what = format!("64 workers in {mode:?} mode stopped {delay:?} after start");
            let cfg = config(64, WorkType::SpinWait, mode);
            let reports = exercise(&what, &cfg, COLLECT_DEADLINE, run_for(delay)).reports;
            let bad: Vec<_> = reports
                .iter()
                .filter(|r| !r.is_clean() || r.work_units == 0)
                .map(|r| (r.index, r.exit_info.clone(), r.work_units))
                .collect();
            assert!(bad.is_empty(), "{what}: lost or unclean reports {bad:?}");
            for r in &reports {
                assert_clean(r, &what);
            }
        }
    }
}

#[test]
fn drop_without_collect_kills_and_reaps_fork_workers() {
    let _g = lock();
    for started in [false, true] {
        let what = format!("drop of Fork workers (started: {started})");
        let before = Footprint::take();
        let mut h = WorkloadHandle::spawn(&config(3, WorkType::SpinWait, CloneMode::Fork)).unwrap();
        let pids = h.worker_pids();
        if started {
            start_and_wait_for_progress(&mut h);
        }
        let t = Instant::now();
        drop(h);
        assert!(t.elapsed() < SLACK, "{what}: drop took {:?}", t.elapsed());
        // Reaped, not zombies: the /proc entry is gone at once.
        for pid in &pids {
            assert!(
                !proc_exists(*pid),
                "{what}: worker {pid} still has /proc (state {:?})",
                proc_state(*pid)
            );
        }
        before.assert_nothing_left(&what);
    }
}

#[test]
fn drop_without_collect_ends_thread_workers() {
    let _g = lock();
    for started in [false, true] {
        let what = format!("drop of Thread workers (started: {started})");
        let before = Footprint::take();
        let mut h = WorkloadHandle::spawn(&config(3, WorkType::Mixed, CloneMode::Thread)).unwrap();
        let tids = h.worker_pids();
        if started {
            start_and_wait_for_progress(&mut h);
        }
        let t = Instant::now();
        drop(h);
        assert!(t.elapsed() < SLACK, "{what}: drop took {:?}", t.elapsed());
        assert!(
            wait_until(SLACK, || tids.iter().all(|&t| !has_thread(t))),
            "{what}: threads still alive: {:?}",
            tids.iter().filter(|&&t| has_thread(t)).collect::<Vec<_>>()
        );
        before.assert_nothing_left(&what);
    }
}

#[test]
fn drop_without_collect_kills_the_pcomm_container() {
    let _g = lock();
    for started in [false, true] {
        let what = format!("drop of a pcomm container (started: {started})");
        let before = Footprint::take();
        let cfg = WorkloadConfig {
            num_workers: 2,
            spec: WorkSpec::pcomm("ktstr-dropme"),
            ..Default::default()
        };
        let mut h = WorkloadHandle::spawn(&cfg).unwrap();
        let container = h.container_pid().expect("a pcomm workload has a container");
        if started {
            start_and_wait_for_progress(&mut h);
        }
        drop(h);
        assert!(
            !proc_exists(container),
            "{what}: container {container} still has /proc"
        );
        before.assert_nothing_left(&what);
    }
}

#[test]
fn reports_have_consistent_telemetry() {
    let _g = lock();
    for mode in MODES {
        let what = format!("telemetry in {mode:?} mode");
        let before = Footprint::take();
        let reports = run(
            &config(2, WorkType::SpinWait, mode),
            Duration::from_millis(300),
        );
        for r in &reports {
            assert_clean(r, &what);
            assert_eq!(r.role, "worker");
            assert_eq!(r.group, r.index);
            assert!(r.cpu_time_ns > 0, "{what}: no CPU time");
            // CPU time of one thread cannot exceed its wall time (small
            // clock-granularity slack).
            assert!(
                r.cpu_time_ns <= r.wall_time_ns + 10_000_000,
                "{what}: {r:#?}"
            );
            assert!(
                r.wall_time_ns >= 100_000_000
                    && r.wall_time_ns < 300_000_000 + SLACK.as_nanos() as u64,
                "{what}: wall time {} ns for a 300 ms run",
                r.wall_time_ns
            );
            assert_eq!(
                r.migration_log.len() as u64,
                r.migrations.min(WorkerReport::MIGRATION_LOG_CAP as u64)
            );
            assert!(r.cpus_used.len() as u64 <= r.migrations + 1);
            assert_eq!(
                r.work_units,
                r.iterations * 1024,
                "{what}: SpinWait does 1024 units per iteration"
            );
        }
        before.assert_nothing_left(&what);
    }
}

#[test]
fn several_handles_live_side_by_side() {
    let _g = lock();
    let what = "three handles (Fork, Thread, pcomm) at once";
    let before = Footprint::take();
    let mut fork = WorkloadHandle::spawn(&config(2, WorkType::SpinWait, CloneMode::Fork)).unwrap();
    let mut thread = WorkloadHandle::spawn(&config(2, WorkType::Mixed, CloneMode::Thread)).unwrap();
    let mut pcomm = WorkloadHandle::spawn(&WorkloadConfig {
        spec: WorkSpec::pcomm("ktstr-side"),
        ..config(2, WorkType::YieldHeavy, CloneMode::Fork)
    })
    .unwrap();
    // Starting one handle releases only its own workers.
    start_and_wait_for_progress(&mut fork);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        thread.snapshot_iterations(),
        vec![0, 0],
        "{what}: thread workers ran early"
    );
    assert_eq!(
        pcomm.snapshot_iterations(),
        vec![0, 0],
        "{what}: pcomm workers ran early"
    );
    thread.start();
    pcomm.start();
    std::thread::sleep(RUN);
    // A worker of the first handle killed: its pipe must still reach EOF
    // (no later handle's task may hold a copy of its write end).
    let victim = fork.worker_pids()[0];
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(victim),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    // Collect in reverse order of creation.
    for r in pcomm.stop_and_collect() {
        assert_clean(&r, &format!("{what}: pcomm"));
    }
    for r in thread.stop_and_collect() {
        assert_clean(&r, &format!("{what}: thread"));
    }
    let t = Instant::now();
    let reports = fork.stop_and_collect();
    assert!(
        t.elapsed() < SLACK,
        "{what}: collect of the killed worker took {:?}",
        t.elapsed()
    );
    assert_eq!(
        reports[0].exit_info,
        Some(ktstr::prelude::ExitInfo::Killed(9))
    );
    assert_clean(&reports[1], &format!("{what}: fork"));
    before.assert_nothing_left(what);
}
