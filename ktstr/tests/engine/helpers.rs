//! Shared test machinery: the global lock that serialises every test that
//! spawns workers, a run helper, report assertions, and `/proc` probes for
//! what a workload may leave behind (children, zombies, threads, shared
//! mappings, file descriptors).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ktstr::prelude::*;

/// Serialise tests: one workload at a time, so tests neither disturb each
/// other's measurements nor see (or reap) each other's children.
/// A test that failed while holding the lock poisons it; that is not a
/// reason to fail the next one.
pub fn lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How long a typical short workload runs.
pub const RUN: Duration = Duration::from_millis(250);

/// Generous bound for anything expected to take milliseconds (a shared,
/// noisy 2-CPU VM).
pub const SLACK: Duration = Duration::from_secs(2);

/// Spawn, start, run for `dur`, stop and collect; asserts one report per
/// worker, in spawn order, with the tids `worker_pids()` gave.
pub fn run(cfg: &WorkloadConfig, dur: Duration) -> Vec<WorkerReport> {
    let mut h = WorkloadHandle::spawn(cfg)
        .unwrap_or_else(|e| panic!("spawn of {:?} failed: {e}", cfg.work_type.name()));
    let tids = h.worker_pids();
    assert_eq!(tids.len(), cfg.num_workers);
    h.start();
    std::thread::sleep(dur);
    let reports = h.stop_and_collect();
    assert_eq!(reports.len(), cfg.num_workers, "one report per worker");
    for (i, r) in reports.iter().enumerate() {
        assert_eq!(r.index, i, "reports come back in spawn order");
        assert_eq!(
            r.tid, tids[i],
            "report {i} carries the tid worker_pids() gave"
        );
    }
    reports
}

/// Assert that `r` is a real, clean report with live telemetry.
pub fn assert_clean(r: &WorkerReport, what: &str) {
    let ctx = format!("{what}, worker {} (tid {})", r.index, r.tid);
    assert!(!r.sentinel, "{ctx}: sentinel report {r:#?}");
    assert_eq!(r.exit_info, None, "{ctx}: exit_info");
    assert_eq!(r.error, None, "{ctx}: error");
    assert!(r.work_units > 0, "{ctx}: work_units is 0");
    assert!(r.iterations > 0, "{ctx}: iterations is 0");
    assert!(r.tid > 0, "{ctx}: tid {}", r.tid);
    assert!(r.wall_time_ns > 0, "{ctx}: wall_time_ns is 0");
    assert!(!r.cpus_used.is_empty(), "{ctx}: cpus_used is empty");
    assert_eq!(r.affinity_error, None, "{ctx}: affinity_error");
    assert_eq!(r.policy_error, None, "{ctx}: policy_error");
    assert_eq!(r.nice_error, None, "{ctx}: nice_error");
    assert_eq!(r.mempolicy_error, None, "{ctx}: mempolicy_error");
}

/// Poll `f` every 10 ms until it holds or `within` passes.
pub fn wait_until(within: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + within;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `/proc/<pid>/stat` fields after the comm: state, ppid, ...
fn stat_fields(path: &str) -> Option<Vec<String>> {
    let s = std::fs::read_to_string(path).ok()?;
    // comm may contain spaces and parentheses: split after the last ')'.
    let rest = &s[s.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_string).collect())
}

/// The state letter of process `pid` (`R`, `S`, `Z`, ...), None when gone.
pub fn proc_state(pid: i32) -> Option<char> {
    stat_fields(&format!("/proc/{pid}/stat"))?
        .first()?
        .chars()
        .next()
}

/// Whether `/proc/<pid>` exists (a zombie still has one).
pub fn proc_exists(pid: i32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// A comm as the kernel keeps it (trailing newline removed).
pub fn read_comm(path: &str) -> Option<String> {
    Some(std::fs::read_to_string(path).ok()?.trim_end().to_string())
}

/// Children of this process: the union of every thread's
/// `/proc/self/task/<tid>/children` and of every `/proc/<pid>` whose parent
/// is this process. Values: the child's state letter.
pub fn children() -> BTreeMap<i32, char> {
    let me = std::process::id() as i32;
    let mut out = BTreeMap::new();
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for t in tasks.flatten() {
            let path = t.path().join("children");
            if let Ok(s) = std::fs::read_to_string(path) {
                for pid in s.split_whitespace().filter_map(|p| p.parse::<i32>().ok()) {
                    out.insert(pid, proc_state(pid).unwrap_or('?'));
                }
            }
        }
    }
    if let Ok(procs) = std::fs::read_dir("/proc") {
        for p in procs.flatten() {
            let Some(pid) = p.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else {
                continue;
            };
            let Some(f) = stat_fields(&format!("/proc/{pid}/stat")) else {
                continue;
            };
            if f.get(1).and_then(|pp| pp.parse::<i32>().ok()) == Some(me) {
                let state = f[0].chars().next().unwrap_or('?');
                out.insert(pid, state);
            }
        }
    }
    out
}

/// This process's threads: tid -> comm.
pub fn threads() -> BTreeMap<i32, String> {
    let mut out = BTreeMap::new();
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for t in tasks.flatten() {
            if let Some(tid) = t.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) {
                let comm = read_comm(&format!("/proc/self/task/{tid}/comm")).unwrap_or_default();
                out.insert(tid, comm);
            }
        }
    }
    out
}

/// Whether this process has a thread `tid`.
pub fn has_thread(tid: i32) -> bool {
    std::path::Path::new(&format!("/proc/self/task/{tid}")).exists()
}

/// Number of shared (`MAP_SHARED`) mappings of this process.
fn shared_mappings() -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .unwrap_or_default()
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|p| p.ends_with('s'))
        })
        .count()
}

/// Open file descriptors of this process.
fn open_fds() -> BTreeSet<i32> {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
                .collect()
        })
        .unwrap_or_default()
}

/// What a workload could leave behind in this process.
#[derive(Debug)]
pub struct Footprint {
    children: BTreeMap<i32, char>,
    threads: BTreeMap<i32, String>,
    shared_maps: usize,
    fds: BTreeSet<i32>,
}

impl Footprint {
    /// Take a snapshot now.
    pub fn take() -> Footprint {
        Footprint {
            children: children(),
            threads: threads(),
            shared_maps: shared_mappings(),
            fds: open_fds(),
        }
    }

    /// Assert that nothing was added since `self` (waiting up to 2 s for
    /// teardown still in flight). Threads that libtest started for other
    /// tests meanwhile are named after their test (`module::name`) and are
    /// not counted.
    pub fn assert_nothing_left(&self, what: &str) {
        let mut last = String::new();
        let ok = wait_until(SLACK, || {
            let now = Footprint::take();
            let new_children: Vec<_> = now
                .children
                .iter()
                .filter(|(pid, _)| !self.children.contains_key(pid))
                .collect();
            let new_threads: Vec<_> = now
                .threads
                .iter()
                .filter(|(tid, comm)| !self.threads.contains_key(tid) && !comm.contains("::"))
                .collect();
            let new_fds: Vec<_> = now.fds.difference(&self.fds).collect();
            let zombies: Vec<_> = now.children.iter().filter(|(_, s)| **s == 'Z').collect();
            last = format!(
                "new children {new_children:?}, zombies {zombies:?}, new threads {new_threads:?}, \
                 shared mappings {} -> {}, new fds {new_fds:?}",
                self.shared_maps, now.shared_maps
            );
            new_children.is_empty()
                && zombies.is_empty()
                && new_threads.is_empty()
                && now.shared_maps <= self.shared_maps
                && new_fds.is_empty()
        });
        assert!(ok, "{what} left something behind: {last}");
    }
}

/// The online CPUs, as the kernel lists them.
pub fn online_cpus() -> CpuSet {
    std::fs::read_to_string("/sys/devices/system/cpu/online")
        .expect("read /sys/devices/system/cpu/online")
        .trim()
        .parse()
        .expect("parse the online CPU list")
}

/// The NUMA nodes with memory, as the kernel lists them.
pub fn memory_nodes() -> CpuSet {
    std::fs::read_to_string("/sys/devices/system/node/has_memory")
        .map(|s| s.trim().parse().expect("parse has_memory"))
        .unwrap_or_else(|_| [0].into())
}

/// `WorkloadConfig` for `n` workers of `wt` in `mode`.
pub fn config(n: usize, wt: WorkType, mode: CloneMode) -> WorkloadConfig {
    WorkloadConfig {
        num_workers: n,
        work_type: wt,
        clone_mode: mode,
        ..Default::default()
    }
}

/// A well-behaved `Custom` body: spin, record one yield latency, end the
/// iteration, until stop.
pub fn polite_spin(w: &mut Worker) -> Result<(), String> {
    loop {
        w.spin(4096);
        let t = Instant::now();
        std::thread::yield_now();
        w.record_wake_latency(t.elapsed().as_nanos() as u64);
        w.end_iteration();
        if w.should_stop() {
            return Ok(());
        }
    }
}

/// What [`exercise`] brings back.
pub struct Exercised<T> {
    /// Every worker's report, in spawn order.
    pub reports: Vec<WorkerReport>,
    /// How long `stop_and_collect` took.
    pub took: Duration,
    /// What the `drive` closure returned.
    pub driven: T,
}

/// The scaffold every engine test shares: note this process's footprint,
/// spawn `cfg`, let `drive` start and run the handle (and return what it
/// learnt, e.g. the pids), stop and collect — asserting that took less
/// than `collect_within` and gave one report per worker — and assert the
/// workload left nothing behind.
pub fn exercise<T>(
    what: &str,
    cfg: &WorkloadConfig,
    collect_within: Duration,
    drive: impl FnOnce(&mut WorkloadHandle) -> T,
) -> Exercised<T> {
    let before = Footprint::take();
    let mut h = WorkloadHandle::spawn(cfg).unwrap_or_else(|e| panic!("{what}: spawn failed: {e}"));
    let driven = drive(&mut h);
    let t = Instant::now();
    let reports = h.stop_and_collect();
    let took = t.elapsed();
    assert!(took < collect_within, "{what}: collect took {took:?}");
    assert_eq!(
        reports.len(),
        cfg.num_workers,
        "{what}: one report per worker"
    );
    before.assert_nothing_left(what);
    Exercised {
        reports,
        took,
        driven,
    }
}

/// A `drive` for [`exercise`]: start, then let the workers run for `d`.
pub fn run_for(d: Duration) -> impl FnOnce(&mut WorkloadHandle) {
    move |h| {
        h.start();
        std::thread::sleep(d);
    }
}

/// Start `h` and wait until every worker has made progress.
pub fn start_and_wait_for_progress(h: &mut WorkloadHandle) {
    h.start();
    assert!(
        wait_until(SLACK, || h.snapshot_iterations().iter().all(|&c| c > 0)),
        "workers made no progress after start: {:?}",
        h.snapshot_iterations()
    );
}
