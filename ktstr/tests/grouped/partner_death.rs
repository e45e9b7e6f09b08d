//! A partner that dies must not hang the others: they still return real
//! reports and collection stays far inside its deadline. In Fork mode each
//! pipe end lives only in its owner (apart from the spawner's stop-token
//! ends), so a pipe survivor about to write sees the death at once (EPIPE)
//! and ends early with a note, while one blocked reading waits for the
//! stop token like any other reader.

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

/// Kill the pong of pair 0 and the ping of pair 1 of a Fork run of `wt`
/// (PipeIo or CachePipe): each survivor stops progressing, then either saw
/// the death at once (EPIPE on its next write: an early end with a note)
/// or was blocked reading and waited for the stop token (no end of file:
/// the spawner holds a write end until stop), and reports at stop. Either
/// way it returns a real report, promptly.
fn pipe_partners_killed(wt: WorkType) {
    let _g = lock();
    let what = format!("{} with killed partners", wt.name());
    let mut h = WorkloadHandle::spawn(&config(wt, 2, CloneMode::Fork)).unwrap();
    let pids = h.worker_pids();
    h.start();
    let started = Instant::now();
    std::thread::sleep(Duration::from_millis(100));
    kill9(pids[1]);
    kill9(pids[2]);
    std::thread::sleep(Duration::from_millis(100));
    let after_kill = h.snapshot_iterations();
    std::thread::sleep(Duration::from_millis(400));
    let later = h.snapshot_iterations();
    let ran = started.elapsed();
    let t = Instant::now();
    let reports = h.stop_and_collect();
    let took = t.elapsed();
    assert!(took < DEAD_COLLECT_BOUND, "{what}: collect took {took:?}");
    assert_killed(&reports[1], &what);
    assert_killed(&reports[2], &what);
    for i in [0, 3] {
        let r = &reports[i];
        assert_real(r, &what);
        assert!(
            r.work_units > 0,
            "{what}: worker {i} did no work before the kill"
        );
        assert_eq!(
            later[i], after_kill[i],
            "{what}: worker {i} kept progressing without its partner"
        );
        let wall = Duration::from_nanos(r.wall_time_ns);
        let noted = r
            .notes
            .iter()
            .any(|n| n.contains("partner closed its pipe"));
        if noted {
            // EPIPE: it ended when its partner died (~100 ms in).
            assert!(
                wall + Duration::from_millis(250) < ran,
                "{what}: worker {i} ran {wall:?} of {ran:?} after noting its partner's death"
            );
        } else {
            // Blocked reading until the stop token: it ran to stop, quietly.
            assert!(r.notes.is_empty(), "{what}: worker {i}: {:?}", r.notes);
            assert!(
                wall + Duration::from_millis(50) >= ran,
                "{what}: worker {i} ran {wall:?} of {ran:?} but has no note"
            );
        }
    }
}

#[test]
fn pipe_io_survivors_report_when_partners_are_killed() {
    pipe_partners_killed(WorkType::pipe_io());
}

#[test]
fn cache_pipe_survivors_report_when_partners_are_killed() {
    pipe_partners_killed(WorkType::cache_pipe());
}

/// Kill `victim` of a Fork run of `wt`: the rest of its group can only wait
/// until stop (which wakes it), then reports normally; the other group is
/// untouched.
/// Kill -9 worker `victim` of group 0 (of 2 groups, Fork mode) mid-run:
/// collect must still be prompt, the victim gets a Killed(9) sentinel,
/// every other worker a real report with work, and the intact group keeps
/// progressing. Returns the iteration snapshots taken after the kill and
/// 300 ms later, for type-specific checks.
pub fn member_killed(wt: WorkType, victim: usize) -> (Vec<u64>, Vec<u64>) {
    let _g = lock();
    let what = format!("{} with worker {victim} killed", wt.name());
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
                "{what}: worker {} ({}) of the intact group stopped progressing",
                r.index,
                r.role
            );
        }
    }
    (after_kill, later)
}

/// [`member_killed`] for the futex family, plus: a ping-pong partner of the
/// victim is stalled (it cannot complete a turn without it).
fn futex_member_killed(wt: WorkType, victim: usize) {
    let what = format!("{} with worker {victim} killed", wt.name());
    let g = wt.worker_group_size().unwrap();
    let (after_kill, later) = member_killed(wt, victim);
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

/// In Fork mode no worker holds another pair's pipe ends, nor the
/// spawner's stop-token ends of its own pair's pipes: every pipe is held by
/// its pair only, one end each (or by one worker: its report pipe), apart
/// from pipes every worker inherited (the test's own stdio).
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
    // Each worker holds its two pair pipes, one descriptor of each.
    for i in 0..n {
        let fds_on_pair_pipes: usize = holders
            .values()
            .filter(|w| {
                let mut d = (*w).clone();
                d.dedup();
                d.len() == 2 && d.contains(&i)
            })
            .map(|w| w.iter().filter(|&&k| k == i).count())
            .sum();
        assert_eq!(fds_on_pair_pipes, 2, "worker {i}");
    }
}
