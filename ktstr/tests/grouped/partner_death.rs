//! A partner that dies must not hang the others: they still return real
//! reports and collection stays far inside its deadline. In Fork mode each
//! pipe end lives only in its owner, so the death of a pipe partner is seen
//! at once (EOF/EPIPE) and ends the survivor's loop early with a note.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ktstr::prelude::*;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::common::{assert_real, config, lock};

/// Collection with dead workers must still be fast: nothing waits out the
/// 5 s deadline.
const DEAD_COLLECT_BOUND: Duration = Duration::from_secs(2);

fn kill9(pid: i32) {
    kill(Pid::from_raw(pid), Signal::SIGKILL).expect("kill -9 a worker");
}

fn assert_killed(r: &WorkerReport, what: &str) {
    assert!(
        r.sentinel,
        "{what}: worker {} was killed but reported",
        r.index
    );
    assert_eq!(
        r.exit_info,
        Some(ExitInfo::Killed(9)),
        "{what}: worker {} exit",
        r.index
    );
}

/// Kill the pong of pair 0 and the ping of pair 1 of a Fork PipeIo run:
/// both survivors notice at once and stop early with a note.
#[test]
fn pipe_io_survivor_ends_early_when_partner_is_killed() {
    let _g = lock();
    let what = "PipeIo with killed partners";
    let mut h = WorkloadHandle::spawn(&config(WorkType::pipe_io(), 2, CloneMode::Fork)).unwrap();
    let pids = h.worker_pids();
    h.start();
    let started = Instant::now();
    std::thread::sleep(Duration::from_millis(100));
    kill9(pids[1]);
    kill9(pids[2]);
    std::thread::sleep(Duration::from_millis(500));
    let ran = started.elapsed();
    let t = Instant::now();
    let reports = h.stop_and_collect();
    let took = t.elapsed();
    assert!(took < DEAD_COLLECT_BOUND, "{what}: collect took {took:?}");
    assert_killed(&reports[1], what);
    assert_killed(&reports[2], what);
    for i in [0, 3] {
        let r = &reports[i];
        assert_real(r, what);
        assert!(
            r.work_units > 0,
            "{what}: worker {i} did no work before the kill"
        );
        assert!(
            r.notes
                .iter()
                .any(|n| n.contains("partner closed its pipe")),
            "{what}: worker {i} has no partner-gone note: {:?}",
            r.notes
        );
        // It ended when its partner died (~100 ms in), not at stop.
        let wall = Duration::from_nanos(r.wall_time_ns);
        assert!(
            wall + Duration::from_millis(250) < ran,
            "{what}: worker {i} ran {wall:?} of {ran:?}: it did not notice its partner's death"
        );
    }
}

/// Kill `victim` of a Fork run of `wt`: the rest of its group can only wait
/// (100 ms at a time) until stop, then reports normally; the other group is
/// untouched.
fn futex_member_killed(wt: WorkType, victim: usize) {
    let _g = lock();
    let what = format!("{} with worker {victim} killed", wt.name());
    let g = wt.worker_group_size().unwrap();
    let mut h = WorkloadHandle::spawn(&config(wt, 2, CloneMode::Fork)).unwrap();
    let pids = h.worker_pids();
    h.start();
    std::thread::sleep(Duration::from_millis(100));
    kill9(pids[victim]);
    std::thread::sleep(Duration::from_millis(100));
    let after_kill = h.snapshot_iterations();
    std::thread::sleep(Duration::from_millis(300));
    let later = h.snapshot_iterations();
    let t = Instant::now();
    let reports = h.stop_and_collect();
    let took = t.elapsed();
    assert!(took < DEAD_COLLECT_BOUND, "{what}: collect took {took:?}");
    for r in &reports {
        if r.index == victim {
            assert_killed(r, &what);
            continue;
        }
        assert_real(r, &what);
        assert!(r.work_units > 0, "{what}: worker {} did no work", r.index);
        if r.group == 1 {
            assert!(
                later[r.index] > after_kill[r.index],
                "{what}: worker {} of the intact group stopped progressing",
                r.index
            );
        }
    }
    // The victim's group is stalled (a ping-pong partner or a fan-out
    // round cannot complete without it); its members still reported above.
    if g == 2 {
        let partner = victim ^ 1;
        assert_eq!(
            later[partner], after_kill[partner],
            "{what}: the dead worker's partner kept progressing"
        );
    }
}

#[test]
fn futex_ping_pong_survivor_is_not_hung() {
    futex_member_killed(WorkType::futex_ping_pong(), 1);
}

#[test]
fn futex_fan_out_survivors_are_not_hung() {
    futex_member_killed(WorkType::futex_fan_out(), 2);
}

#[test]
fn fan_out_compute_survivors_are_not_hung() {
    // A small footprint: rounds must complete often even in a debug build.
    let wt = WorkType::FanOutCompute {
        fan_out: 4,
        cache_footprint_kb: 32,
        operations: 2,
        sleep_usec: 100,
    };
    futex_member_killed(wt, 0);
}

#[test]
fn mutex_contention_survivors_are_not_hung() {
    futex_member_killed(WorkType::mutex_contention(), 1);
}

/// The pipe inodes a process holds open.
fn pipe_inodes(pid: i32) -> Vec<u64> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
    {
        if let Ok(target) = std::fs::read_link(e.path()) {
            let t = target.to_string_lossy().to_string();
            if let Some(ino) = t.strip_prefix("pipe:[").and_then(|s| s.strip_suffix(']')) {
                out.push(ino.parse().unwrap());
            }
        }
    }
    out
}

/// In Fork mode no worker holds another pair's pipe ends: every pipe is
/// held by its pair only (or by one worker: its report pipe), apart from
/// pipes every worker inherited (the test's own stdio).
#[test]
fn fork_workers_hold_only_their_own_pipes() {
    let _g = lock();
    let n = 8;
    let h = WorkloadHandle::spawn(&config(WorkType::pipe_io(), n / 2, CloneMode::Fork)).unwrap();
    let pids = h.worker_pids();
    let mut holders: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, &pid) in pids.iter().enumerate() {
        for ino in pipe_inodes(pid) {
            holders.entry(ino).or_default().push(i);
        }
    }
    drop(h);
    for (ino, who) in &holders {
        let mut who = who.clone();
        who.dedup();
        match who.len() {
            1 => {}
            2 => assert_eq!(
                who[0] / 2,
                who[1] / 2,
                "pipe {ino} is shared by workers of different pairs: {who:?}"
            ),
            k if k == n => {}
            _ => panic!("pipe {ino} is held by workers {who:?}"),
        }
    }
    // Each worker holds its two pair pipes (one end of each).
    for i in 0..n {
        let shared_with_partner = holders
            .values()
            .filter(|w| w.len() == 2 && w.contains(&i))
            .count();
        assert_eq!(shared_with_partner, 2, "worker {i}");
    }
}
