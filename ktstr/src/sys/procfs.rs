//! What the crate reads from `/proc/<pid>/stat`: parent, process group,
//! state and start time, and the descendants of a process. One parser for
//! the whole crate (the cgroup layer's owner checks and the harness's
//! teardown both use it).

/// The fields of `/proc/<pid>/stat` the crate uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stat {
    /// Field 3: R, S, D, Z, T, ...
    pub state: char,
    /// Field 4: the parent's pid.
    pub ppid: i32,
    /// Field 5: the process group.
    pub pgrp: i32,
    /// Field 22: start time in clock ticks since boot.
    pub start_time: u64,
    /// Field 39: the CPU the task last ran on (None on kernels too old to
    /// print it).
    pub processor: Option<u32>,
}

/// Parse the text of a `/proc/<pid>/stat` file.
pub(crate) fn parse_stat(text: &str) -> Option<Stat> {
    // The comm field may hold spaces and parentheses: split after the last ')'.
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // f[0] is field 3.
    Some(Stat {
        state: f.first()?.chars().next()?,
        ppid: f.get(1)?.parse().ok()?,
        pgrp: f.get(2)?.parse().ok()?,
        start_time: f.get(19)?.parse().ok()?,
        processor: f.get(36).and_then(|v| v.parse().ok()),
    })
}

/// `/proc/<tid>/schedstat`: (ns on a CPU, ns waiting to run, times run
/// on a CPU). None when the task is gone or schedstats are compiled out.
pub(crate) fn schedstat(tid: super::Tid) -> Option<(u64, u64, u64)> {
    parse_schedstat(&std::fs::read_to_string(format!("/proc/{tid}/schedstat")).ok()?)
}

/// Parse the text of a `/proc/<tid>/schedstat` file.
pub(crate) fn parse_schedstat(text: &str) -> Option<(u64, u64, u64)> {
    let mut f = text.split_whitespace().map(|v| v.parse::<u64>().ok());
    Some((f.next()??, f.next()??, f.next()??))
}

/// `/proc/<pid>/stat` of `pid`, or None when it does not exist.
pub(crate) fn stat(pid: i32) -> Option<Stat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Every process id in `/proc` with its stat.
fn all() -> Vec<(i32, Stat)> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| Some((pid, stat(pid)?)))
        .collect()
}

/// The living (not zombie) descendants of `pid`, children before
/// grandchildren.
pub(crate) fn live_descendants(pid: i32) -> Vec<i32> {
    let procs = all();
    let mut out = Vec::new();
    let mut frontier = vec![pid];
    while let Some(p) = frontier.pop() {
        for (child, st) in &procs {
            if st.ppid == p && !out.contains(child) {
                frontier.push(*child);
                if st.state != 'Z' && st.state != 'X' {
                    out.push(*child);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn procfs_parses_a_comm_with_spaces_and_parens() {
        let text = "42 (a (b) c) S 7 42 42 0 -1 4194560 0 0 0 0 1 2 0 0 20 0 1 0 12345 0 0";
        let s = parse_stat(text).unwrap();
        assert_eq!(
            s,
            Stat {
                state: 'S',
                ppid: 7,
                pgrp: 42,
                start_time: 12345,
                processor: None,
            }
        );
        let full = "9 (w) R 1 9 9 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 77 0 0 \
                    0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0";
        assert_eq!(parse_stat(full).unwrap().processor, Some(1));
        assert_eq!(parse_schedstat("123 45 6\n"), Some((123, 45, 6)));
        assert_eq!(parse_schedstat("123 45"), None);
        assert_eq!(parse_stat("42 (x) S 1"), None);
    }

    #[test]
    fn procfs_reads_this_process_and_finds_a_child() {
        let me = std::process::id() as i32;
        let s = stat(me).unwrap();
        assert_eq!(s.ppid, nix::unistd::getppid().as_raw());
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        assert!(live_descendants(me).contains(&pid));
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(!live_descendants(me).contains(&pid));
        assert_eq!(stat(i32::MAX), None);
    }
}
