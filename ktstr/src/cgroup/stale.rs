//! Parents left behind by runs that died (SIGKILL, power cut, a crashed
//! harness) and their removal.
//!
//! Each run's parent is named `ktstr-<pid>-<start>-<seq>`: the owner's pid,
//! its start time in clock ticks since boot (field 22 of
//! `/proc/<pid>/stat`, so a recycled pid is not mistaken for the owner) and
//! a per-process sequence number (one process may run several managers).
//! A parent is stale when no process with that pid and start time exists.
//! Stale parents are removed deepest cgroup first, each cgroup's tasks
//! moved to its parent and the parent's tasks to the hierarchy root.
//! Directories not named that way are never touched.

use std::path::Path;

use super::backend::{remove_tree, Protocol};
use super::proc;
use super::write::Io;
use super::{CgroupError, Hierarchy};

/// The prefix of every directory ktstr creates at a hierarchy root.
pub const PARENT_PREFIX: &str = "ktstr-";

/// The parent name for owner `pid` started at `start`, instance `seq`.
pub(crate) fn parent_name(pid: i32, start: u64, seq: u64) -> String {
    format!("{PARENT_PREFIX}{pid}-{start}-{seq}")
}

/// The owner (pid, start time) of a parent name; None for any other name.
pub(crate) fn owner_of(name: &str) -> Option<(i32, u64)> {
    let rest = name.strip_prefix(PARENT_PREFIX)?;
    let mut it = rest.split('-');
    let pid = it.next()?.parse().ok()?;
    let start = it.next()?.parse().ok()?;
    let _seq: u64 = it.next()?.parse().ok()?;
    it.next().is_none().then_some((pid, start))
}

/// Whether the owner of a parent still runs.
pub(crate) fn owner_alive(pid: i32, start: u64) -> bool {
    pid > 0 && proc::start_time(pid) == Some(start)
}

/// Remove every stale parent under the roots of `h`; the name of each
/// removed parent, or the error that stopped its removal.
pub(crate) fn remove_stale(
    p: &dyn Protocol,
    io: &Io,
    h: &Hierarchy,
) -> Vec<Result<String, CgroupError>> {
    remove_parents(p, io, h, |pid, start| !owner_alive(pid, start))
}

/// Remove every parent owned by process `pid` (alive or not): what a test
/// process that is being torn down calls for itself.
pub(crate) fn remove_owned_by(
    p: &dyn Protocol,
    io: &Io,
    h: &Hierarchy,
    pid: i32,
) -> Vec<Result<String, CgroupError>> {
    remove_parents(p, io, h, |owner, _| owner == pid)
}

/// Remove the parents whose owner (pid, start time) `pick` selects.
fn remove_parents(
    p: &dyn Protocol,
    io: &Io,
    h: &Hierarchy,
    pick: impl Fn(i32, u64) -> bool,
) -> Vec<Result<String, CgroupError>> {
    let mut chosen: Vec<String> = Vec::new();
    for root in h.roots() {
        let Ok(names) = io.subdirs(&root) else {
            continue;
        };
        for name in names {
            let hit = owner_of(&name).is_some_and(|(pid, start)| pick(pid, start));
            if hit && !chosen.contains(&name) {
                chosen.push(name);
            }
        }
    }
    chosen
        .into_iter()
        .map(|name| remove_tree(p, io, Path::new(&name), Path::new("")).map(|()| name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroup_parent_names_round_trip() {
        let n = parent_name(123, 456, 7);
        assert_eq!(n, "ktstr-123-456-7");
        assert_eq!(owner_of(&n), Some((123, 456)));
        for other in [
            "ktstr",
            "ktstr-1-2",
            "ktstr-a-2-3",
            "ktstr-1-2-3-4",
            "system.slice",
            "ktstr-run",
        ] {
            assert_eq!(owner_of(other), None, "{other}");
        }
    }

    #[test]
    fn cgroup_owner_liveness_uses_pid_and_start_time() {
        let me = std::process::id() as i32;
        let start = proc::start_time(me).unwrap();
        assert!(owner_alive(me, start));
        assert!(
            !owner_alive(me, start + 1),
            "a recycled pid is not the owner"
        );
        assert!(!owner_alive(i32::MAX, start));
        assert!(!owner_alive(0, 0));
    }
}
