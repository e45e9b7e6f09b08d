//! The priority and pinning helpers of the real-time roles: SCHED_FIFO
//! with a nice fallback ([`fifo_or_nice`]), a low-priority role's nice
//! ([`set_own_nice`]), the CPU a group shares ([`group_cpu`]) and pinning
//! to it, and the bounds of their timed parameters ([`check_us`]).

use crate::cpuset::CpuSet;
use crate::sys::sched;
use crate::workload::Worker;

/// Longest burst of a real-time spinner, in µs: it must leave its CPU
/// regularly.
pub(crate) const MAX_RT_BURST_US: u64 = 100_000;
/// Longest sleep of a timed role, in µs (10 s).
pub(crate) const MAX_SLEEP_US: u64 = 10_000_000;

/// Check that `value` (µs) of `name`'s `field` is within `1..=max`.
pub(crate) fn check_us(name: &str, field: &str, value: u64, max: u64) -> Result<(), String> {
    if value == 0 || value > max {
        return Err(format!(
            "{name} {field} is {value}: it must be within 1..={max} µs"
        ));
    }
    Ok(())
}

/// Make the calling worker `SCHED_FIFO` at `prio`. When that is refused
/// (no `CAP_SYS_NICE`, no `RLIMIT_RTPRIO`, a cgroup without RT runtime),
/// fall back to the strongest setting allowed: the lowest nice value from
/// `nice` up to 0 that `setpriority` accepts. The fallback is noted in the
/// report, naming `who` (type and role). Returns whether FIFO was granted.
pub(crate) fn fifo_or_nice(w: &mut Worker, who: &str, prio: i32, nice: i32) -> bool {
    let tid = w.tid();
    let Err(e) = sched::set_scheduler(tid, libc::SCHED_FIFO, prio) else {
        return true;
    };
    let got = (nice..=0).find(|&n| sched::set_nice(tid, n).is_ok());
    let now = match got {
        Some(n) => format!("at nice {n}"),
        None => "at its current nice value (even nice 0 was refused)".to_string(),
    };
    w.note(format!(
        "{who}: SCHED_FIFO priority {prio} refused ({e}); running SCHED_OTHER {now} instead, \
         the strongest setting allowed"
    ));
    false
}

/// Set the calling worker's nice value (a low-priority role); a refusal
/// is noted.
pub(crate) fn set_own_nice(w: &mut Worker, who: &str, nice: i32) {
    if let Err(e) = sched::set_nice(w.tid(), nice) {
        w.note(format!(
            "{who}: nice {nice} refused ({e}); running at its current nice value"
        ));
    }
}

/// The CPU that the members of group `group` of a real-time type share:
/// from the calling worker's allowed CPUs, round-robin by group over all
/// of them but the highest when there are more than one (that one is left
/// to the harness and the rest of the system, so RT roles never occupy
/// every CPU). Members with the same allowed CPUs agree on it.
pub(crate) fn group_cpu(w: &Worker, group: usize) -> Option<usize> {
    let allowed = sched::get_affinity(w.tid()).ok()?;
    let cpus: Vec<usize> = allowed.iter().collect();
    let usable = match cpus.len() {
        0 => return None,
        1 => &cpus[..],
        n => &cpus[..n - 1],
    };
    Some(usable[group % usable.len()])
}

/// Pin the calling worker to `cpus`; a refusal is noted (the worker then
/// runs where it was allowed to). Returns whether it is pinned.
pub(crate) fn pin_self(w: &mut Worker, who: &str, cpus: &CpuSet) -> bool {
    match sched::set_affinity(w.tid(), cpus) {
        Ok(()) => true,
        Err(e) => {
            w.note(format!(
                "{who}: cannot pin to CPU(s) {cpus} ({e}); running unpinned"
            ));
            false
        }
    }
}

/// Pin the calling worker to its group's CPU ([`group_cpu`]); notes when
/// it cannot. Returns the CPU when pinned.
pub(crate) fn pin_to_group_cpu(w: &mut Worker, who: &str, group: usize) -> Option<usize> {
    let Some(cpu) = group_cpu(w, group) else {
        w.note(format!(
            "{who}: cannot read its allowed CPUs; running unpinned"
        ));
        return None;
    };
    pin_self(w, who, &[cpu].into()).then_some(cpu)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::control::Control;
    use std::sync::Arc;

    #[test]
    fn group_cpu_leaves_the_highest_cpu_alone() {
        let ctl = Arc::new(Control::new(1).unwrap());
        let w = Worker::for_test(&ctl, 0, "test");
        let allowed: Vec<usize> = sched::get_affinity(w.tid()).unwrap().iter().collect();
        for g in 0..4 {
            let cpu = group_cpu(&w, g).unwrap();
            assert!(allowed.contains(&cpu));
            if allowed.len() > 1 {
                assert_ne!(Some(&cpu), allowed.last(), "group {g}");
            }
        }
    }
}
