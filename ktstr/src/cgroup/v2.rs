//! The cgroup v2 protocol: one tree.
//!
//! - Controllers: before a child is made under a directory, `+cpuset +cpu`
//!   (whichever are missing) is written to that directory's
//!   `cgroup.subtree_control`, the mount root's included (once per run's
//!   parent). Both are threaded controllers, so a directory with them
//!   enabled can still hold processes (a valid thread root).
//! - Processes go to `cgroup.procs`. Clearing a cpuset writes `""`
//!   (inherit the parent's).
//! - Single threads go to `cgroup.threads`, which the kernel only allows
//!   inside one threaded subtree: the target (and every level between it
//!   and the run's parent) is made `threaded` through `cgroup.type`, and
//!   a process owning the threads that lives outside the run's parent is
//!   first moved into the parent (the subtree's domain) and recorded, so
//!   cleanup can move it back.
//! - Draining moves `cgroup.threads` entries of a threaded cgroup, and
//!   `cgroup.procs` entries of a domain cgroup, to the same file of the
//!   target.
//! - Weight is `cpu.weight`; the limit is `cpu.max` (`"quota period"` or
//!   `"max period"`).

use std::path::{Path, PathBuf};

use nix::errno::Errno;

use super::backend::{move_ids, Adopted, Protocol};
use super::hierarchy::CONTROLLERS;
use super::knobs::CpuMax;
use super::proc;
use super::write::Io;
use super::CgroupError;
use crate::cpuset::CpuSet;

/// The v2 protocol over the unified mount at `root`.
#[derive(Debug)]
pub(crate) struct V2 {
    root: PathBuf,
}

impl V2 {
    pub(crate) fn new(root: PathBuf) -> V2 {
        V2 { root }
    }

    /// Enable the controllers ktstr needs for the children of `dir`.
    fn enable_controllers(&self, io: &Io, dir: &Path) -> Result<(), CgroupError> {
        let file = dir.join("cgroup.subtree_control");
        let have = io.read(&file)?;
        let have: Vec<&str> = have.split_whitespace().collect();
        let add: Vec<String> = CONTROLLERS
            .iter()
            .filter(|c| !have.contains(c))
            .map(|c| format!("+{c}"))
            .collect();
        if add.is_empty() {
            return Ok(());
        }
        io.write(&file, &add.join(" "))
    }

    fn is_threaded(&self, io: &Io, dir: &Path) -> Result<bool, CgroupError> {
        Ok(io.read(&dir.join("cgroup.type"))? == "threaded")
    }
}

impl Protocol for V2 {
    fn dirs(&self, rel: &Path) -> Vec<PathBuf> {
        vec![self.root.join(rel)]
    }

    fn create_parent(&self, io: &Io, rel: &Path) -> Result<(), CgroupError> {
        self.enable_controllers(io, &self.root)?;
        io.mkdir(&self.root.join(rel))
    }

    fn create(&self, io: &Io, rel: &Path) -> Result<(), CgroupError> {
        let parent = self.root.join(rel.parent().unwrap_or(Path::new("")));
        self.enable_controllers(io, &parent)?;
        io.mkdir(&self.root.join(rel))
    }

    fn drain(&self, io: &Io, rel: &Path, to: &Path) -> Result<(), CgroupError> {
        let dir = self.root.join(rel);
        if !io.is_dir(&dir) {
            return Ok(());
        }
        let file = if self.is_threaded(io, &dir)? {
            "cgroup.threads"
        } else {
            "cgroup.procs"
        };
        let ids = io.read_ids(&dir.join(file))?;
        move_ids(io, &ids, &self.root.join(to).join(file))
    }

    fn rmdir(&self, io: &Io, rel: &Path) -> Result<(), CgroupError> {
        let dir = self.root.join(rel);
        if io.is_dir(&dir) {
            io.rmdir(&dir)?;
        }
        Ok(())
    }

    fn set_cpus(&self, io: &Io, rel: &Path, cpus: Option<&CpuSet>) -> Result<(), CgroupError> {
        let value = cpus.map(CpuSet::to_string).unwrap_or_default();
        io.write(&self.root.join(rel).join("cpuset.cpus"), &value)
    }

    fn set_mems(&self, io: &Io, rel: &Path, nodes: &CpuSet) -> Result<(), CgroupError> {
        io.write(&self.root.join(rel).join("cpuset.mems"), &nodes.to_string())
    }

    fn effective_cpus(&self, io: &Io, rel: &Path) -> Result<CpuSet, CgroupError> {
        io.read_list(&self.root.join(rel).join("cpuset.cpus.effective"))
    }

    fn effective_mems(&self, io: &Io, rel: &Path) -> Result<CpuSet, CgroupError> {
        io.read_list(&self.root.join(rel).join("cpuset.mems.effective"))
    }

    fn set_weight(&self, io: &Io, rel: &Path, weight: u32) -> Result<(), CgroupError> {
        io.write(&self.root.join(rel).join("cpu.weight"), &weight.to_string())
    }

    fn set_max(&self, io: &Io, rel: &Path, max: &CpuMax) -> Result<(), CgroupError> {
        io.write(&self.root.join(rel).join("cpu.max"), &max.v2_value())
    }

    fn move_process(&self, io: &Io, rel: &Path, pid: i32) -> Result<(), CgroupError> {
        io.write(&self.root.join(rel).join("cgroup.procs"), &pid.to_string())
    }

    fn prepare_threads(
        &self,
        io: &Io,
        parent: &Path,
        rel: &Path,
        tids: &[i32],
        before: &[i32],
    ) -> Result<Vec<Adopted>, CgroupError> {
        let inside = format!("/{}", parent.display());
        let mut adopted: Vec<Adopted> = Vec::new();
        for &tid in tids {
            let Some(tgid) = proc::tgid_of(tid) else {
                continue; // the cgroup.threads write will report ESRCH
            };
            if before.contains(&tgid) || adopted.iter().any(|a| a.pid == tgid) {
                continue;
            }
            let origin = proc::v2_cgroup_of(tgid).unwrap_or_else(|| "/".into());
            if origin == inside || origin.starts_with(&format!("{inside}/")) {
                continue;
            }
            let procs = self.root.join(parent).join("cgroup.procs");
            match io.write(&procs, &tgid.to_string()) {
                Err(e) if e.errno() == Some(Errno::ESRCH) => continue,
                r => r?,
            }
            adopted.push(Adopted { pid: tgid, origin });
        }
        // Every level from just below the parent down to `rel` is threaded.
        let below = rel.strip_prefix(parent).unwrap_or(rel);
        let mut dir = self.root.join(parent);
        for part in below.components() {
            dir.push(part);
            if !self.is_threaded(io, &dir)? {
                io.write(&dir.join("cgroup.type"), "threaded")?;
            }
        }
        Ok(adopted)
    }

    fn move_thread(&self, io: &Io, rel: &Path, tid: i32) -> Result<(), CgroupError> {
        io.write(
            &self.root.join(rel).join("cgroup.threads"),
            &tid.to_string(),
        )
    }

    fn tasks(&self, io: &Io, rel: &Path) -> Result<Vec<i32>, CgroupError> {
        io.read_ids(&self.root.join(rel).join("cgroup.threads"))
    }

    fn restore(&self, io: &Io, adopted: &Adopted) -> Result<(), CgroupError> {
        let pid = adopted.pid.to_string();
        let origin = self.root.join(adopted.origin.trim_start_matches('/'));
        match io.write(&origin.join("cgroup.procs"), &pid) {
            Ok(()) => Ok(()),
            Err(e) if e.errno() == Some(Errno::ESRCH) => Ok(()),
            Err(_) => match io.write(&self.root.join("cgroup.procs"), &pid) {
                Err(e) if e.errno() == Some(Errno::ESRCH) => Ok(()),
                r => r,
            },
        }
    }
}
