//! A worker's life after it is created, the same in every clone mode:
//! publish its tid, wait for start, apply its settings, run its body under
//! `catch_unwind`, and turn what it measured into a `WorkerReport`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use nix::sys::resource::{getrusage, UsageWho};

use super::control::Control;
use super::report::{ExitInfo, Schedstat, WorkerReport};
use super::types::Body;
use super::worker::{Seat, Worker};
use super::{MemPolicy, SchedPolicy};
use crate::cpuset::CpuSet;
use crate::sys::{clock, sched, Tid};
use std::sync::atomic::Ordering;

/// The per-worker settings applied at start.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub affinity: Option<CpuSet>,
    pub policy: SchedPolicy,
    pub nice: i32,
    pub mem_policy: MemPolicy,
    pub comm: Option<String>,
}

/// `prctl(PR_SET_NAME)`: name the calling thread (the process, for a
/// thread-group leader).
pub(crate) fn set_comm(name: &str) {
    if let Ok(c) = std::ffi::CString::new(name) {
        let _ = nix::sys::prctl::set_name(&c);
    }
}

fn read_schedstat() -> Option<(u64, u64, u64)> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let mut it = s.split_whitespace().map(|t| t.parse::<u64>().ok());
    Some((it.next()??, it.next()??, it.next()??))
}

struct Usage {
    nvcsw: u64,
    nivcsw: u64,
}

fn usage() -> Usage {
    match getrusage(UsageWho::RUSAGE_THREAD) {
        Ok(u) => Usage {
            nvcsw: u.voluntary_context_switches() as u64,
            nivcsw: u.involuntary_context_switches() as u64,
        },
        Err(_) => Usage {
            nvcsw: 0,
            nivcsw: 0,
        },
    }
}

/// Run one worker to completion. Returns None when the spawner went away
/// before start (`alive` turned false): there is nobody to report to.
pub(crate) fn run_worker(
    ctl: &Arc<Control>,
    seat: Seat,
    settings: &Settings,
    mut body: Box<dyn Body>,
    alive: impl Fn() -> bool,
) -> Option<WorkerReport> {
    let tid = Tid::current();
    let slot = ctl.slot(seat.index);
    slot.tid.store(tid.as_raw(), Ordering::Release);
    if let Some(comm) = &settings.comm {
        set_comm(comm);
    }
    if !ctl.wait_for_start(seat.index, alive) {
        return None;
    }

    let mut affinity_error = None;
    if let Some(mask) = &settings.affinity {
        if slot.affinity_overridden.load(Ordering::Acquire) == 0 {
            if let Err(e) = sched::set_affinity(tid, mask) {
                affinity_error = Some(format!("sched_setaffinity({mask}) failed: {e}"));
            }
        }
    }
    let mut policy_error = None;
    if let Some((policy, prio)) = settings.policy.raw() {
        if let Err(e) = sched::set_scheduler(tid, policy, prio) {
            policy_error = Some(format!(
                "sched_setscheduler({:?}) failed: {e}",
                settings.policy
            ));
        }
    }
    let mut nice_error = None;
    if settings.nice != 0 {
        if let Err(e) = sched::set_nice(tid, settings.nice) {
            nice_error = Some(format!("setpriority(nice {}) failed: {e}", settings.nice));
        }
    }
    let mut mempolicy_error = None;
    if let Some((mode, nodes)) = settings.mem_policy.raw() {
        if let Err(e) = sched::set_mempolicy(mode, &nodes) {
            mempolicy_error = Some(format!(
                "set_mempolicy({:?}) failed: {e}",
                settings.mem_policy
            ));
        }
    }

    // The wall and CPU clocks are read back to back at both ends, CPU
    // inside wall, so both cover the same interval: the loop and nothing
    // else (the /proc reads around it cost CPU time of their own, which
    // made a 0 s run report up to 280 % CPU when they fell inside).
    let usage0 = usage();
    let sched0 = read_schedstat();
    let wall0 = clock::monotonic_ns();
    let cpu0 = clock::thread_cpu_ns();
    let mut w = Worker::starting_at(ctl.clone(), seat, tid, wall0);
    let outcome = catch_unwind(AssertUnwindSafe(|| body.run(&mut w)));
    let cpu1 = clock::thread_cpu_ns();
    let wall1 = clock::monotonic_ns();
    let usage1 = usage();
    let sched1 = read_schedstat();

    let mut report = w.into_report(wall1);
    // The thread CPU clock (scheduler clock) and CLOCK_MONOTONIC (timekeeping)
    // are separate kernel clocks: over a few microseconds their rounding can
    // put CPU time a little above wall time. A task never runs longer than
    // it exists, so CPU time is capped at wall time.
    report.cpu_time_ns = cpu1.saturating_sub(cpu0).min(report.wall_time_ns);
    report.voluntary_csw = usage1.nvcsw.saturating_sub(usage0.nvcsw);
    report.involuntary_csw = usage1.nivcsw.saturating_sub(usage0.nivcsw);
    // A kernel without schedstats reports zeros; only a moving counter is data.
    report.schedstat = match (sched0, sched1) {
        (Some(a), Some(b)) if b.0 > a.0 || b.2 > a.2 => Some(Schedstat {
            cpu_time_ns: b.0.saturating_sub(a.0),
            run_delay_ns: b.1.saturating_sub(a.1),
            pcount: b.2.saturating_sub(a.2),
        }),
        _ => None,
    };
    report.affinity_error = affinity_error;
    report.policy_error = policy_error;
    report.nice_error = nice_error;
    report.mempolicy_error = mempolicy_error;
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) => report.error = Some(e),
        Err(payload) => {
            report.exit_info = Some(ExitInfo::Panicked(crate::error::panic_message(&*payload)))
        }
    }
    drop(body);
    Some(report)
}

/// Serialise `report` into the worker's report pipe and close it.
///
/// The frame is the JSON length as 8 little-endian bytes, then the JSON: the
/// collector knows a report is complete without waiting for end of file
/// (which a grandchild holding a copy of the pipe could delay).
pub(crate) fn send_report(fd: std::os::fd::OwnedFd, report: &WorkerReport) {
    use std::io::Write;
    let mut file = std::fs::File::from(fd);
    if let Ok(json) = serde_json::to_vec(report) {
        let mut frame = Vec::with_capacity(8 + json.len());
        frame.extend_from_slice(&(json.len() as u64).to_le_bytes());
        frame.extend_from_slice(&json);
        let _ = file.write_all(&frame);
    }
}

/// The JSON of a complete frame, if `bytes` holds one.
pub(crate) fn frame(bytes: &[u8]) -> Option<&[u8]> {
    let len = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?) as usize;
    bytes.get(8..8usize.checked_add(len)?)
}
