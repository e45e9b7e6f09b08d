//! Keeping the controlling thread on time behind its own workers.
//!
//! A workload with more runnable workers than CPUs leaves the thread that
//! started it waiting for a CPU like any of them: with 512 spinners on 2
//! CPUs, `start()` used to return a second after it had released every
//! worker, the caller's `sleep(duration)` woke late, and stopping and
//! collecting 4096 Thread workers took 20 s, almost all of it spent
//! waiting for a turn behind the spinners.
//!
//! So while it spawns, and from `start()` until its workers are collected
//! (or the handle is dropped), the controlling thread runs at `SCHED_FIFO` priority 1 (one
//! above the workers' own real-time priority when they have one), with
//! `SCHED_RESET_ON_FORK`, so that no task it creates meanwhile inherits the
//! priority. It sleeps nearly all that time, so what the workers get is
//! unchanged; it only wins a CPU at once when it has something to do.
//! Nested workloads on one thread share one elevation, undone when the
//! last of them ends.
//!
//! Where real-time scheduling is not permitted (no `CAP_SYS_NICE` and no
//! `RLIMIT_RTPRIO`, or a cgroup-v1 CPU group with no RT budget), the thread
//! keeps its policy and every report of the workload carries a note saying
//! so. Under sched_ext, real-time tasks are outside the BPF scheduler's
//! control, so the controller is not scheduled by the scheduler under test.

use std::collections::HashMap;
use std::sync::Mutex;

use super::SchedPolicy;
use crate::sys::{sched, Tid};

/// A policy and priority, as `sched::get_scheduler` returns them.
type Policy = (i32, i32);

/// Threads currently elevated: tid -> (holders, the policy to restore).
static ELEVATED: Mutex<Option<HashMap<Tid, (usize, Policy)>>> = Mutex::new(None);

/// One hold on the calling thread's real-time priority; dropping it
/// releases the hold (the last one restores the thread's policy).
#[derive(Debug)]
pub(crate) struct Elevation {
    tid: Tid,
}

/// The controller's priority for workers running `workers`: above theirs.
fn priority_for(workers: SchedPolicy) -> i32 {
    match workers {
        SchedPolicy::Fifo(p) | SchedPolicy::RoundRobin(p) => (p as i32 + 1).min(99),
        _ => 1,
    }
}

/// Raise the calling thread to `SCHED_FIFO` above `workers`' priority.
///
/// Returns the hold, or a note for the workers' reports saying why the
/// controller stays at its own policy.
pub(crate) fn elevate(workers: SchedPolicy) -> Result<Elevation, String> {
    let tid = Tid::current();
    let prio = priority_for(workers);
    let mut map = ELEVATED.lock().unwrap_or_else(|e| e.into_inner());
    let map = map.get_or_insert_with(HashMap::new);
    if let Some((holders, _)) = map.get_mut(&tid) {
        *holders += 1;
        let _ = raise_to(tid, prio);
        return Ok(Elevation { tid });
    }
    let saved = sched::get_scheduler(tid).map_err(|e| refused(prio, e))?;
    if is_rt(saved.0) && saved.1 >= prio {
        // Already at least as high: hold it without changing anything.
        map.insert(tid, (1, saved));
        return Ok(Elevation { tid });
    }
    raise_to(tid, prio).map_err(|e| refused(prio, e))?;
    map.insert(tid, (1, saved));
    Ok(Elevation { tid })
}

fn is_rt(policy: i32) -> bool {
    let p = policy & !libc::SCHED_RESET_ON_FORK;
    p == libc::SCHED_FIFO || p == libc::SCHED_RR
}

fn raise_to(tid: Tid, prio: i32) -> Result<(), nix::errno::Errno> {
    match sched::get_scheduler(tid) {
        Ok((p, cur)) if is_rt(p) && cur >= prio => Ok(()),
        _ => sched::set_scheduler(tid, libc::SCHED_FIFO | libc::SCHED_RESET_ON_FORK, prio),
    }
}

fn refused(prio: i32, e: nix::errno::Errno) -> String {
    format!(
        "controller: SCHED_FIFO {prio} for the controlling thread was refused ({e}); it ran at \
         its own policy, so with more runnable workers than CPUs its start, sleep and stop may \
         have run late (run as root or grant CAP_SYS_NICE; under cgroup v1 with RT group \
         scheduling, give its CPU cgroup a cpu.rt_runtime_us budget)"
    )
}

impl Drop for Elevation {
    fn drop(&mut self) {
        let mut map = ELEVATED.lock().unwrap_or_else(|e| e.into_inner());
        let Some(map) = map.as_mut() else { return };
        let Some((holders, saved)) = map.get_mut(&self.tid) else {
            return;
        };
        *holders -= 1;
        if *holders == 0 {
            let (policy, prio) = *saved;
            let _ = sched::set_scheduler(self.tid, policy, prio);
            map.remove(&self.tid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elevation_is_held_and_restored_on_this_thread() {
        std::thread::spawn(|| {
            let tid = Tid::current();
            let before = sched::get_scheduler(tid).unwrap();
            let Ok(a) = elevate(SchedPolicy::Normal) else {
                eprintln!("SCHED_FIFO not permitted here: nothing to check");
                return;
            };
            let b = elevate(SchedPolicy::Fifo(5)).expect("a second hold");
            let (policy, prio) = sched::get_scheduler(tid).unwrap();
            assert_eq!(policy, libc::SCHED_FIFO | libc::SCHED_RESET_ON_FORK);
            assert_eq!(prio, 6, "above the workers' FIFO 5");
            drop(a);
            assert!(is_rt(sched::get_scheduler(tid).unwrap().0), "one hold left");
            drop(b);
            assert_eq!(sched::get_scheduler(tid).unwrap(), before);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn priority_is_above_real_time_workers() {
        assert_eq!(priority_for(SchedPolicy::Normal), 1);
        assert_eq!(priority_for(SchedPolicy::Fifo(10)), 11);
        assert_eq!(priority_for(SchedPolicy::RoundRobin(99)), 99);
    }
}
