//! Task naming and housing: the pcomm container and per-worker comm.

use std::path::Path;

use ktstr::prelude::*;

use crate::helpers::{
    assert_clean, config, lock, proc_exists, read_comm, wait_until, Footprint, RUN, SLACK,
};

/// The parent pid of `pid`, from `/proc/<pid>/stat`.
fn ppid(pid: i32) -> Option<i32> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    s[s.rfind(')')? + 1..]
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[test]
fn pcomm_container_hosts_every_worker() {
    let _g = lock();
    // pcomm takes precedence over the clone mode: one container either way.
    for mode in [CloneMode::Fork, CloneMode::Thread] {
        let what = format!("pcomm container (clone_mode {mode:?})");
        let before = Footprint::take();
        let cfg = WorkloadConfig {
            spec: WorkSpec::pcomm("ktstr-pcomm"),
            ..config(3, WorkType::SpinWait, mode)
        };
        let mut h = WorkloadHandle::spawn(&cfg).unwrap();
        let c = h
            .container_pid()
            .expect("a pcomm workload has a container pid");
        assert_ne!(
            c as u32,
            std::process::id(),
            "{what}: the container is its own process"
        );
        assert_eq!(
            ppid(c),
            Some(std::process::id() as i32),
            "{what}: container is our child"
        );
        assert_eq!(
            read_comm(&format!("/proc/{c}/comm")).as_deref(),
            Some("ktstr-pcomm"),
            "{what}"
        );
        assert_eq!(h.worker_pids_for_cgroup_procs().unwrap(), vec![c], "{what}");
        let tids = h.worker_pids();
        assert_eq!(tids.len(), 3);
        for &t in &tids {
            assert_ne!(
                t, c,
                "{what}: workers are threads besides the container's main thread"
            );
            assert!(
                Path::new(&format!("/proc/{c}/task/{t}")).exists(),
                "{what}: worker {t} is not a thread of container {c}"
            );
        }
        h.start();
        assert!(
            wait_until(SLACK, || h.snapshot_iterations().iter().all(|&n| n > 0)),
            "{what}"
        );
        std::thread::sleep(RUN);
        let reports = h.stop_and_collect();
        assert_eq!(reports.len(), 3);
        for (i, r) in reports.iter().enumerate() {
            assert_clean(r, &what);
            assert_eq!(r.tid, tids[i], "{what}");
        }
        assert!(!proc_exists(c), "{what}: the container survived collection");
        before.assert_nothing_left(&what);
    }
}

#[test]
fn with_comm_names_every_worker() {
    let _g = lock();
    let me = std::process::id() as i32;
    for mode in [CloneMode::Fork, CloneMode::Thread] {
        let what = format!("with_comm in {mode:?} mode");
        let before = Footprint::take();
        let cfg = WorkloadConfig {
            spec: WorkSpec::default().with_comm("ktstr-named"),
            ..config(2, WorkType::SpinWait, mode)
        };
        let mut h = WorkloadHandle::spawn(&cfg).unwrap();
        let tids = h.worker_pids();
        let comm_path = |t: i32| match mode {
            CloneMode::Fork => format!("/proc/{t}/task/{t}/comm"),
            CloneMode::Thread => format!("/proc/{me}/task/{t}/comm"),
        };
        for &t in &tids {
            assert_eq!(
                read_comm(&comm_path(t)).as_deref(),
                Some("ktstr-named"),
                "{what}: before start"
            );
        }
        h.start();
        std::thread::sleep(RUN);
        for &t in &tids {
            assert_eq!(
                read_comm(&comm_path(t)).as_deref(),
                Some("ktstr-named"),
                "{what}: running"
            );
        }
        for r in h.stop_and_collect() {
            assert_clean(&r, &what);
        }
        before.assert_nothing_left(&what);
    }
}

#[test]
fn pcomm_and_comm_name_container_and_threads() {
    let _g = lock();
    let what = "pcomm with comm";
    let before = Footprint::take();
    // Exactly 15 bytes each: the longest name the kernel keeps.
    let cfg = WorkloadConfig {
        spec: WorkSpec::pcomm("ktstr-container").with_comm("ktstr-thread-15"),
        ..config(2, WorkType::Mixed, CloneMode::Fork)
    };
    let mut h = WorkloadHandle::spawn(&cfg).unwrap();
    let c = h.container_pid().unwrap();
    assert_eq!(
        read_comm(&format!("/proc/{c}/comm")).as_deref(),
        Some("ktstr-container")
    );
    for t in h.worker_pids() {
        assert_eq!(
            read_comm(&format!("/proc/{c}/task/{t}/comm")).as_deref(),
            Some("ktstr-thread-15"),
            "{what}: worker thread {t}"
        );
    }
    h.start();
    std::thread::sleep(RUN);
    for r in h.stop_and_collect() {
        assert_clean(&r, what);
    }
    before.assert_nothing_left(what);
}
