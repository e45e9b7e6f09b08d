//! What the host can hold: the kernel's task limits, the caller's
//! `RLIMIT_NPROC` and available memory, read from `/proc` (and
//! `getrlimit`) in one place.

use std::path::Path;

use nix::sys::resource::{getrlimit, Resource};

/// PIDs below this are not reused when allocation wraps (`RESERVED_PIDS`).
pub(crate) const RESERVED_PIDS: u64 = 300;

/// The limits a workload's task count and memory must fit in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct HostLimits {
    /// `/proc/sys/kernel/pid_max`.
    pub pid_max: Option<u64>,
    /// `/proc/sys/kernel/threads-max`.
    pub threads_max: Option<u64>,
    /// Tasks (processes and threads) on the host now: the total of the
    /// 4th field of `/proc/loadavg`.
    pub tasks: Option<u64>,
    /// `RLIMIT_NPROC` (soft) when it applies to the caller: None when it is
    /// unlimited or the caller is exempt (real uid 0, or `CAP_SYS_ADMIN` or
    /// `CAP_SYS_RESOURCE`, as `copy_process` checks).
    pub nproc: Option<u64>,
    /// Tasks of the caller's real uid now, counted only when `nproc` applies.
    pub user_tasks: Option<u64>,
    /// `MemAvailable` of `/proc/meminfo`, in bytes.
    pub mem_available: Option<u64>,
    /// The caller's pids cgroup limit and use (`pids.max`, `pids.current`),
    /// when one is set.
    pub cgroup_pids: Option<(u64, u64)>,
}

fn read_u64(path: impl AsRef<Path>) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The total task count from `/proc/loadavg` (`running/total`).
fn tasks_now() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/loadavg").ok()?;
    s.split_whitespace().nth(3)?.split_once('/')?.1.parse().ok()
}

/// A field of `/proc/<pid>/status` (the part after the tab).
fn status_field<'a>(status: &'a str, name: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
}

/// Whether the caller is exempt from `RLIMIT_NPROC`.
fn nproc_exempt() -> bool {
    if nix::unistd::getuid().is_root() {
        return true;
    }
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    let caps = status_field(&status, "CapEff")
        .and_then(|h| u64::from_str_radix(h, 16).ok())
        .unwrap_or(0);
    const CAP_SYS_ADMIN: u32 = 21;
    const CAP_SYS_RESOURCE: u32 = 24;
    caps & (1 << CAP_SYS_ADMIN | 1 << CAP_SYS_RESOURCE) != 0
}

/// Tasks whose real uid is `uid` (threads counted), from `/proc`.
fn tasks_of(uid: u32) -> Option<u64> {
    let mut n = 0;
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = e.file_name();
        if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(status) = std::fs::read_to_string(e.path().join("status")) else {
            continue;
        };
        let real = status_field(&status, "Uid").and_then(|u| u.split_whitespace().next());
        if real.and_then(|u| u.parse::<u32>().ok()) == Some(uid) {
            n += status_field(&status, "Threads")
                .and_then(|t| t.parse::<u64>().ok())
                .unwrap_or(1);
        }
    }
    Some(n)
}

/// `MemAvailable` in bytes.
fn mem_available() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb = status_field(&s, "MemAvailable")?
        .split_whitespace()
        .next()?;
    kb.parse::<u64>().ok().map(|k| k * 1024)
}

/// The caller's pids cgroup (v1 `pids` controller or v2) limit and use.
fn cgroup_pids() -> Option<(u64, u64)> {
    let s = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let dirs = s.lines().filter_map(|l| {
        let mut f = l.splitn(3, ':');
        let (_, ctrls, path) = (f.next()?, f.next()?, f.next()?);
        if ctrls.split(',').any(|c| c == "pids") {
            Some(format!("/sys/fs/cgroup/pids{path}"))
        } else if ctrls.is_empty() {
            Some(format!("/sys/fs/cgroup{path}"))
        } else {
            None
        }
    });
    for dir in dirs {
        // "max" (no limit) does not parse: no limit from this file.
        if let (Some(max), Some(cur)) = (
            read_u64(format!("{dir}/pids.max")),
            read_u64(format!("{dir}/pids.current")),
        ) {
            return Some((max, cur));
        }
    }
    None
}

impl HostLimits {
    /// Read every limit now. A value that cannot be read is None (and
    /// then not checked).
    pub(crate) fn read() -> HostLimits {
        let nproc = match getrlimit(Resource::RLIMIT_NPROC) {
            Ok((soft, _)) if soft != libc::RLIM_INFINITY && !nproc_exempt() => Some(soft),
            _ => None,
        };
        HostLimits {
            pid_max: read_u64("/proc/sys/kernel/pid_max"),
            threads_max: read_u64("/proc/sys/kernel/threads-max"),
            tasks: tasks_now(),
            user_tasks: nproc.and_then(|_| tasks_of(nix::unistd::getuid().as_raw())),
            nproc,
            mem_available: mem_available(),
            cgroup_pids: cgroup_pids(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_host_has_readable_limits() {
        let h = HostLimits::read();
        assert!(h.pid_max.unwrap() > RESERVED_PIDS);
        assert!(h.threads_max.unwrap() > 0);
        let tasks = h.tasks.unwrap();
        assert!(tasks >= 1 && tasks < h.pid_max.unwrap(), "{h:?}");
        assert!(h.mem_available.unwrap() > 0);
    }

    #[test]
    fn status_fields_are_found_by_name() {
        let s = "Name:\tx\nUid:\t1000\t1000\t1000\t1000\nThreads:\t7\n";
        assert_eq!(status_field(s, "Threads"), Some("7"));
        assert_eq!(status_field(s, "Uid"), Some("1000\t1000\t1000\t1000"));
        assert_eq!(status_field(s, "Gid"), None);
    }
}
