//! Whether the host can hold a workload: its tasks against pid_max,
//! threads-max, the pids cgroup and `RLIMIT_NPROC`, and an estimate of its
//! memory against `MemAvailable`. Checked by `WorkloadConfig::validate`,
//! before anything is forked.
//!
//! The engine's largest tested workloads, `SpinWait` on a 2-CPU VM,
//! spawned, started, stopped and collected (`ktstr run -d 0s`): 8192
//! Thread workers in about 2 s, 4096 Fork workers in 3-5 s and 8192 Fork
//! workers in about 30 s (each fork copies the spawner's descriptor table,
//! which holds one report pipe per worker, so Fork spawning grows faster
//! than linearly). `ktstr bench --part controller` measures 1024-4096
//! Thread workers end to end.

use super::{CloneMode, WorkloadConfig};
use crate::sys::limits::{HostLimits, RESERVED_PIDS};

/// Tasks left free for the rest of the system when judging pid_max and
/// threads-max: a workload that takes the very last pid breaks the host.
pub(crate) const HEADROOM_TASKS: u64 = 64;

/// Estimated memory of one Fork worker: kernel stack (16 KiB), task and
/// mm structures, page tables, the pages it dirties (copied from the
/// spawner) and its report pipe.
pub(crate) const FORK_WORKER_BYTES: u64 = 128 * 1024;

/// Estimated memory of one Thread (or pcomm) worker: kernel stack, task
/// structure, the touched part of its 256 KiB stack and its report pipe.
pub(crate) const THREAD_WORKER_BYTES: u64 = 48 * 1024;

/// Tasks the workload adds: one per worker, plus the pcomm container.
fn tasks_needed(c: &WorkloadConfig) -> u64 {
    c.num_workers as u64 + u64::from(c.spec.pcomm.is_some())
}

/// The engine's own memory for the workload (what work bodies allocate
/// on top, such as a cache buffer, is not counted).
pub(crate) fn memory_needed(c: &WorkloadConfig) -> u64 {
    let per = match (c.spec.pcomm.is_some(), c.clone_mode) {
        (false, CloneMode::Fork) => FORK_WORKER_BYTES,
        _ => THREAD_WORKER_BYTES,
    };
    let slots = 128 * (c.num_workers as u64 + 1);
    per * c.num_workers as u64 + slots
}

fn mib(b: u64) -> String {
    format!("{:.0} MiB", b as f64 / (1024.0 * 1024.0))
}

/// Check `c` against `host`; the error names the limit, the numbers and
/// what to do.
pub(crate) fn check(c: &WorkloadConfig, host: &HostLimits) -> Result<(), String> {
    let need = tasks_needed(c);
    let n = c.num_workers;
    let what = format!("num_workers {n} needs {need} new task(s)");
    if let (Some(max), Some(tasks)) = (host.pid_max, host.tasks) {
        let room = max.saturating_sub(tasks + RESERVED_PIDS + HEADROOM_TASKS);
        if need > room {
            return Err(format!(
                "{what}, but kernel.pid_max is {max} and {tasks} tasks already run (keeping \
                 {RESERVED_PIDS} reserved pids and {HEADROOM_TASKS} for the system): room for \
                 {room}. Use at most {room} workers, or raise the limit (sysctl -w \
                 kernel.pid_max=...)"
            ));
        }
    }
    if let (Some(max), Some(tasks)) = (host.threads_max, host.tasks) {
        let room = max.saturating_sub(tasks + HEADROOM_TASKS);
        if need > room {
            return Err(format!(
                "{what}, but kernel.threads-max is {max} and {tasks} tasks already run \
                 (keeping {HEADROOM_TASKS} for the system): room for {room}. Use at most {room} \
                 workers, or raise the limit (sysctl -w kernel.threads-max=...)"
            ));
        }
    }
    if let Some((max, cur)) = host.cgroup_pids {
        let room = max.saturating_sub(cur);
        if need > room {
            return Err(format!(
                "{what}, but this process's pids cgroup allows {max} tasks and holds {cur}: \
                 room for {room}. Use at most {room} workers, or raise its pids.max"
            ));
        }
    }
    if let Some(limit) = host.nproc {
        let mine = host.user_tasks.unwrap_or(0);
        let room = limit.saturating_sub(mine);
        if need > room {
            return Err(format!(
                "{what}, but RLIMIT_NPROC is {limit} for this user, who already runs {mine} \
                 task(s): room for {room}. Use at most {room} workers, or raise the limit \
                 (ulimit -u, or nproc in /etc/security/limits.conf)"
            ));
        }
    }
    if let Some(avail) = host.mem_available {
        let mem = memory_needed(c);
        if mem > avail {
            let per = mem / n.max(1) as u64 / 1024;
            return Err(format!(
                "num_workers {n} ({:?}) needs about {} (an estimated {per} KiB per worker: \
                 kernel stack, task structures, stack and copied pages, report pipe), but \
                 MemAvailable is {}. Use fewer workers{}",
                c.clone_mode,
                mib(mem),
                mib(avail),
                if c.clone_mode == CloneMode::Fork {
                    ", or CloneMode::Thread, which needs less per worker"
                } else {
                    ""
                }
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> HostLimits {
        HostLimits {
            pid_max: Some(32768),
            threads_max: Some(192_724),
            tasks: Some(110),
            nproc: None,
            user_tasks: None,
            mem_available: Some(24 << 30),
            cgroup_pids: None,
        }
    }

    fn workers(n: usize) -> WorkloadConfig {
        WorkloadConfig {
            num_workers: n,
            ..Default::default()
        }
    }

    #[test]
    fn a_count_past_pid_max_is_refused_with_the_numbers() {
        let e = check(&workers(100_000), &host()).unwrap_err();
        assert!(e.contains("kernel.pid_max is 32768"), "{e}");
        assert!(e.contains("110 tasks already run"), "{e}");
        let room = 32768 - 110 - RESERVED_PIDS - HEADROOM_TASKS;
        assert!(e.contains(&format!("at most {room} workers")), "{e}");
        assert!(check(&workers(room as usize), &host()).is_ok());
        assert!(check(&workers(room as usize + 1), &host()).is_err());
    }

    #[test]
    fn threads_max_nproc_cgroup_and_memory_each_refuse() {
        let h = HostLimits {
            threads_max: Some(1000),
            ..host()
        };
        let e = check(&workers(2000), &h).unwrap_err();
        assert!(e.contains("threads-max is 1000"), "{e}");
        let h = HostLimits {
            nproc: Some(500),
            user_tasks: Some(450),
            ..host()
        };
        let e = check(&workers(51), &h).unwrap_err();
        assert!(
            e.contains("RLIMIT_NPROC is 500") && e.contains("room for 50"),
            "{e}"
        );
        assert!(check(&workers(50), &h).is_ok());
        let h = HostLimits {
            cgroup_pids: Some((100, 40)),
            ..host()
        };
        assert!(check(&workers(61), &h).unwrap_err().contains("pids.max"));
        let h = HostLimits {
            mem_available: Some(64 << 20),
            ..host()
        };
        let e = check(&workers(1024), &h).unwrap_err();
        assert!(e.contains("MemAvailable is 64 MiB"), "{e}");
        let thread = WorkloadConfig {
            clone_mode: CloneMode::Thread,
            ..workers(1024)
        };
        assert!(check(&thread, &h).is_ok(), "Thread workers need less");
    }

    #[test]
    fn unreadable_limits_are_not_checked() {
        assert!(check(&workers(1_000_000), &HostLimits::default()).is_ok());
    }
}
