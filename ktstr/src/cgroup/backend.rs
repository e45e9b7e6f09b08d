//! The protocol a hierarchy speaks: [`Protocol`], implemented by
//! [`V1`](super::v1::V1) and [`V2`](super::v2::V2), plus the
//! hierarchy-neutral steps built on it (removing a subtree with its tasks
//! drained first).
//!
//! Every method takes `rel`, a cgroup path relative to the mount root(s)
//! (`ktstr-123-456-0/a/b`); the empty path is the root itself.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::errno::Errno;

use super::knobs::CpuMax;
use super::write::Io;
use super::{CgroupError, Hierarchy};
use crate::cpuset::CpuSet;

/// A process moved into the run's parent so its threads could be placed
/// (cgroup v2 threaded mode), and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Adopted {
    /// The process.
    pub(crate) pid: i32,
    /// Its cgroup before, relative to the v2 root (`/user.slice/...`).
    pub(crate) origin: String,
}

/// One hierarchy's file protocol.
pub(crate) trait Protocol: Send + Sync + std::fmt::Debug {
    /// The directory of `rel` in every mounted tree (one for v2).
    fn dirs(&self, rel: &Path) -> Vec<PathBuf>;
    /// Create the run's parent `rel` directly under the root(s).
    fn create_parent(&self, io: &Io, rel: &Path) -> Result<(), CgroupError>;
    /// Create `rel`, whose parent exists, ready to take tasks. On error
    /// nothing this call made remains.
    fn create(&self, io: &Io, rel: &Path) -> Result<(), CgroupError>;
    /// Move every task of `rel` into `to`. Tasks that exit meanwhile are
    /// skipped.
    fn drain(&self, io: &Io, rel: &Path, to: &Path) -> Result<(), CgroupError>;
    /// `rmdir` `rel` in every tree where it still exists.
    fn rmdir(&self, io: &Io, rel: &Path) -> Result<(), CgroupError>;
    /// Write `cpuset.cpus`; None restores "inherit from the parent".
    fn set_cpus(&self, io: &Io, rel: &Path, cpus: Option<&CpuSet>) -> Result<(), CgroupError>;
    /// Write `cpuset.mems`.
    fn set_mems(&self, io: &Io, rel: &Path, nodes: &CpuSet) -> Result<(), CgroupError>;
    /// The CPUs tasks in `rel` may use now.
    fn effective_cpus(&self, io: &Io, rel: &Path) -> Result<CpuSet, CgroupError>;
    /// The memory nodes tasks in `rel` may use now.
    fn effective_mems(&self, io: &Io, rel: &Path) -> Result<CpuSet, CgroupError>;
    /// Write the CPU weight (v2 scale; already range-checked).
    fn set_weight(&self, io: &Io, rel: &Path, weight: u32) -> Result<(), CgroupError>;
    /// Write the bandwidth limit (already range-checked).
    fn set_max(&self, io: &Io, rel: &Path, max: &CpuMax) -> Result<(), CgroupError>;
    /// Move process `pid` (all its threads) into `rel`.
    fn move_process(&self, io: &Io, rel: &Path, pid: i32) -> Result<(), CgroupError>;
    /// Get `rel` ready to take single threads of the processes owning
    /// `tids`; returns processes it had to move into `parent` (v2), never
    /// one of `adopted` (moved there before).
    fn prepare_threads(
        &self,
        io: &Io,
        parent: &Path,
        rel: &Path,
        tids: &[i32],
        adopted: &[i32],
    ) -> Result<Vec<Adopted>, CgroupError>;
    /// Move the single thread `tid` into `rel`.
    fn move_thread(&self, io: &Io, rel: &Path, tid: i32) -> Result<(), CgroupError>;
    /// The thread ids in `rel`.
    fn tasks(&self, io: &Io, rel: &Path) -> Result<Vec<i32>, CgroupError>;
    /// Move an adopted process back where it came from (v2).
    fn restore(&self, io: &Io, adopted: &Adopted) -> Result<(), CgroupError>;
}

/// The protocol for `h`.
pub(crate) fn protocol(h: &Hierarchy) -> Box<dyn Protocol> {
    match h {
        Hierarchy::V1 { cpuset, cpu } => Box::new(super::v1::V1::new(cpuset.clone(), cpu.clone())),
        Hierarchy::V2 { root } => Box::new(super::v2::V2::new(root.clone())),
    }
}

/// Write `value` to each file, skipping tasks that exited (ESRCH).
pub(crate) fn move_ids(io: &Io, ids: &[i32], to: &Path) -> Result<(), CgroupError> {
    for id in ids {
        match io.write(to, &id.to_string()) {
            Err(e) if e.errno() == Some(Errno::ESRCH) => {}
            r => r?,
        }
    }
    Ok(())
}

/// How long `rmdir` keeps retrying a cgroup that is still busy (tasks
/// exiting, or forked in while it was drained).
const RMDIR_PATIENCE: Duration = Duration::from_secs(2);

/// Drain `rel` into `to`, then `rmdir` it, retrying while the kernel says
/// EBUSY.
pub(crate) fn rmdir_drained(
    p: &dyn Protocol,
    io: &Io,
    rel: &Path,
    to: &Path,
) -> Result<(), CgroupError> {
    let give_up = Instant::now() + RMDIR_PATIENCE;
    loop {
        p.drain(io, rel, to)?;
        match p.rmdir(io, rel) {
            Err(e) if e.errno() == Some(Errno::EBUSY) && Instant::now() < give_up => {
                std::thread::sleep(Duration::from_millis(20));
            }
            r => return r,
        }
    }
}

/// The child cgroups of `rel`, over every tree.
pub(crate) fn children(p: &dyn Protocol, io: &Io, rel: &Path) -> Result<Vec<String>, CgroupError> {
    let mut names = Vec::new();
    for dir in p.dirs(rel) {
        if io.is_dir(&dir) {
            for n in io.subdirs(&dir)? {
                if !names.contains(&n) {
                    names.push(n);
                }
            }
        }
    }
    Ok(names)
}

/// Remove `rel` and everything below it, deepest first; each cgroup's tasks
/// go to its parent, and `rel`'s own to `to`.
pub(crate) fn remove_tree(
    p: &dyn Protocol,
    io: &Io,
    rel: &Path,
    to: &Path,
) -> Result<(), CgroupError> {
    for child in children(p, io, rel)? {
        remove_tree(p, io, &rel.join(child), rel)?;
    }
    rmdir_drained(p, io, rel, to)
}
