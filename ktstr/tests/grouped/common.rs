//! Shared machinery: the spawn lock, a run helper and report checks.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ktstr::prelude::*;

/// Serialise every test that spawns workers. A test that failed while
/// holding the lock poisons it; that is no reason to fail the next one.
pub fn lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// How long a normal run lasts.
pub const RUN: Duration = Duration::from_millis(300);

/// What `stop_and_collect` must beat: well inside its own 5 s deadline
/// (a worker that ignored stop would cost the whole deadline).
pub const COLLECT_BOUND: Duration = Duration::from_secs(3);

/// A config of `groups` groups of `wt`.
pub fn config(wt: WorkType, groups: usize, mode: CloneMode) -> WorkloadConfig {
    let g = wt.worker_group_size().expect("a grouped type");
    WorkloadConfig {
        num_workers: g * groups,
        work_type: wt,
        clone_mode: mode,
        ..Default::default()
    }
}

/// Spawn, start, run `dur`, then stop and collect; returns the reports and
/// how long `stop_and_collect` took.
pub fn run(cfg: &WorkloadConfig, dur: Duration) -> (Vec<WorkerReport>, Duration) {
    let mut h = WorkloadHandle::spawn(cfg)
        .unwrap_or_else(|e| panic!("spawn of {} failed: {e}", cfg.work_type.name()));
    h.start();
    std::thread::sleep(dur);
    let t = Instant::now();
    let reports = h.stop_and_collect();
    let took = t.elapsed();
    assert_eq!(reports.len(), cfg.num_workers, "one report per worker");
    (reports, took)
}

/// Assert that `r` is a real report of a worker that ran to stop.
pub fn assert_real(r: &WorkerReport, what: &str) {
    let ctx = format!("{what}, worker {} ({}, group {})", r.index, r.role, r.group);
    assert!(!r.sentinel, "{ctx}: sentinel report {r:#?}");
    assert_eq!(r.exit_info, None, "{ctx}: exit_info");
    assert_eq!(r.error, None, "{ctx}: error");
}

/// Assert that every worker of a grouped run reported cleanly, progressed,
/// sat in the right group and role, and has plausible latency samples.
pub fn assert_group_run(reports: &[WorkerReport], wt: &WorkType, roles: &[&str], what: &str) {
    let g = wt.worker_group_size().unwrap();
    for r in reports {
        assert_real(r, what);
        let ctx = format!("{what}, worker {} ({})", r.index, r.role);
        assert_eq!(r.work_type, wt.name(), "{ctx}");
        assert!(r.notes.is_empty(), "{ctx}: unexpected notes {:?}", r.notes);
        assert!(r.work_units > 0, "{ctx}: no work units");
        assert!(r.iterations > 0, "{ctx}: no iterations");
        assert_eq!(r.group, r.index / g, "{ctx}: group");
        let expect = if r.index % g == 0 { roles[0] } else { roles[1] };
        assert_eq!(r.role, expect, "{ctx}: role");
        let l = &r.wake_latency;
        if matches!(wt, WorkType::MutexContention { .. }) {
            // A contender blocks only when it finds the lock taken, and
            // every acquisition after a wait is sampled; only a last wait
            // cut short by stop (one switch) may leave no sample.
            assert!(
                l.count > 0 || r.voluntary_csw <= 1,
                "{ctx}: blocked {} times but has no wake latency samples",
                r.voluntary_csw
            );
        } else {
            // Every worker of the other types blocks on its partner(s).
            assert!(l.count > 0, "{ctx}: no wake latency samples");
        }
        // A sample taken from a missing or torn timestamp would be about
        // the machine's uptime.
        assert!(
            l.max_ns < 5_000_000_000,
            "{ctx}: implausible sample {} ns",
            l.max_ns
        );
    }
    for group in 0..reports.len() / g {
        assert!(
            group_of(reports, group)
                .iter()
                .any(|r| r.wake_latency.count > 0),
            "{what}: nobody in group {group} has wake latency samples"
        );
    }
}

/// The reports of group `group`.
pub fn group_of(reports: &[WorkerReport], group: usize) -> Vec<&WorkerReport> {
    reports.iter().filter(|r| r.group == group).collect()
}
