//! What the cgroup layer reads from `/proc`: a process's start time (to
//! tell a live owner from a reused pid), a thread's tgid, and a process's
//! cgroup v2 path.

/// Field 22 of `/proc/<pid>/stat`: start time in clock ticks since boot.
/// None when the process does not exist.
pub(crate) fn start_time(pid: i32) -> Option<u64> {
    crate::sys::procfs::stat(pid).map(|s| s.start_time)
}

/// The thread group (process) of thread `tid`.
pub(crate) fn tgid_of(tid: i32) -> Option<i32> {
    let status = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Tgid:"))
        .and_then(|v| v.trim().parse().ok())
}

/// The cgroup v2 path of `pid` (`0::/path`), relative to the v2 root.
pub(crate) fn v2_cgroup_of(pid: i32) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("0::"))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroup_proc_reads_this_process() {
        let me = std::process::id() as i32;
        assert!(start_time(me).is_some());
        assert_eq!(start_time(me), start_time(me));
        assert_eq!(tgid_of(me), Some(me));
        assert_eq!(tgid_of(nix::unistd::gettid().as_raw()), Some(me));
        assert_eq!(start_time(i32::MAX), None);
    }
}
