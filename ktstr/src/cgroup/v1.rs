//! The cgroup v1 protocol: the same cgroup path in the `cpuset` and the
//! `cpu` trees.
//!
//! - A new cpuset cgroup starts with empty `cpuset.cpus` and `cpuset.mems`
//!   and refuses tasks (ENOSPC) until both are set, so `create` copies them
//!   from the parent; "clear" writes the parent's value again (v1 has no
//!   "inherit").
//! - Processes go to `cgroup.procs`, single threads to `tasks`, in both
//!   trees; draining moves every tid listed in `tasks`.
//! - Weight is `cpu.shares` (converted from the v2 scale); the limit is
//!   `cpu.cfs_period_us` plus `cpu.cfs_quota_us` (-1 = unlimited). The
//!   quota is lifted first so the new period never clashes with an old
//!   quota.

use std::path::{Path, PathBuf};

use super::backend::{move_ids, Adopted, Protocol};
use super::knobs::{weight_to_shares, CpuMax};
use super::write::Io;
use super::CgroupError;
use crate::cpuset::CpuSet;

/// The v1 protocol over a `cpuset` and a `cpu` mount (maybe the same).
#[derive(Debug)]
pub(crate) struct V1 {
    cpuset: PathBuf,
    cpu: PathBuf,
}

impl V1 {
    pub(crate) fn new(cpuset: PathBuf, cpu: PathBuf) -> V1 {
        V1 { cpuset, cpu }
    }

    fn roots(&self) -> Vec<&Path> {
        if self.cpuset == self.cpu {
            vec![&self.cpuset]
        } else {
            vec![&self.cpuset, &self.cpu]
        }
    }

    fn parent_of(rel: &Path) -> &Path {
        rel.parent().unwrap_or(Path::new(""))
    }

    fn init_cpuset(&self, io: &Io, rel: &Path) -> Result<(), CgroupError> {
        let from = self.cpuset.join(Self::parent_of(rel));
        let to = self.cpuset.join(rel);
        for file in ["cpuset.cpus", "cpuset.mems"] {
            let value = io.read(&from.join(file))?;
            if !value.is_empty() {
                io.write(&to.join(file), &value)?;
            }
        }
        Ok(())
    }
}

/// Give a drained cgroup's real-time budget back before its `rmdir`: the
/// kernel keeps a removed group in its parent's list (holding its budget)
/// until the last reference to it is gone, which can be after the `rmdir`
/// returns, so the next run's parent would find the budget still taken.
/// Best effort: without RT group scheduling there is no file, and a
/// refusal (EBUSY: an RT task not yet gone) leaves the release to the
/// kernel.
fn release_rt_budget(io: &Io, dir: &Path) {
    let file = dir.join("cpu.rt_runtime_us");
    if io.read(&file).is_ok_and(|v| v != "0") {
        let _ = io.write(&file, "0");
    }
}

impl Protocol for V1 {
    fn dirs(&self, rel: &Path) -> Vec<PathBuf> {
        self.roots().into_iter().map(|r| r.join(rel)).collect()
    }

    fn create_parent(&self, io: &Io, rel: &Path) -> Result<(), CgroupError> {
        self.create(io, rel)
    }

    fn create(&self, io: &Io, rel: &Path) -> Result<(), CgroupError> {
        let mut made: Vec<PathBuf> = Vec::new();
        let result = (|| {
            for dir in self.dirs(rel) {
                io.mkdir(&dir)?;
                made.push(dir);
            }
            self.init_cpuset(io, rel)
        })();
        if result.is_err() {
            for dir in made.iter().rev() {
                let _ = io.rmdir(dir);
            }
        }
        result
    }

    fn drain(&self, io: &Io, rel: &Path, to: &Path) -> Result<(), CgroupError> {
        for root in self.roots() {
            let dir = root.join(rel);
            if io.is_dir(&dir) {
                let ids = io.read_ids(&dir.join("tasks"))?;
                move_ids(io, &ids, &root.join(to).join("tasks"))?;
            }
        }
        Ok(())
    }

    fn rmdir(&self, io: &Io, rel: &Path) -> Result<(), CgroupError> {
        for dir in self.dirs(rel) {
            if io.is_dir(&dir) {
                if dir == self.cpu.join(rel) {
                    release_rt_budget(io, &dir);
                }
                io.rmdir(&dir)?;
            }
        }
        Ok(())
    }

    fn set_cpus(&self, io: &Io, rel: &Path, cpus: Option<&CpuSet>) -> Result<(), CgroupError> {
        let value = match cpus {
            Some(c) => c.to_string(),
            None => io.read(&self.cpuset.join(Self::parent_of(rel)).join("cpuset.cpus"))?,
        };
        io.write(&self.cpuset.join(rel).join("cpuset.cpus"), &value)
    }

    fn set_mems(&self, io: &Io, rel: &Path, nodes: &CpuSet) -> Result<(), CgroupError> {
        io.write(
            &self.cpuset.join(rel).join("cpuset.mems"),
            &nodes.to_string(),
        )
    }

    fn effective_cpus(&self, io: &Io, rel: &Path) -> Result<CpuSet, CgroupError> {
        io.read_list(&self.cpuset.join(rel).join("cpuset.effective_cpus"))
    }

    fn effective_mems(&self, io: &Io, rel: &Path) -> Result<CpuSet, CgroupError> {
        io.read_list(&self.cpuset.join(rel).join("cpuset.effective_mems"))
    }

    fn set_weight(&self, io: &Io, rel: &Path, weight: u32) -> Result<(), CgroupError> {
        let shares = weight_to_shares(weight);
        io.write(&self.cpu.join(rel).join("cpu.shares"), &shares.to_string())
    }

    fn set_max(&self, io: &Io, rel: &Path, max: &CpuMax) -> Result<(), CgroupError> {
        let dir = self.cpu.join(rel);
        io.write(&dir.join("cpu.cfs_quota_us"), "-1")?;
        io.write(&dir.join("cpu.cfs_period_us"), &max.period_us().to_string())?;
        if let Some(q) = max.quota_us() {
            io.write(&dir.join("cpu.cfs_quota_us"), &q.to_string())?;
        }
        Ok(())
    }

    fn move_process(&self, io: &Io, rel: &Path, pid: i32) -> Result<(), CgroupError> {
        for dir in self.dirs(rel) {
            io.write(&dir.join("cgroup.procs"), &pid.to_string())?;
        }
        Ok(())
    }

    fn prepare_threads(
        &self,
        _io: &Io,
        _parent: &Path,
        _rel: &Path,
        _tids: &[i32],
        _adopted: &[i32],
    ) -> Result<Vec<Adopted>, CgroupError> {
        // v1 places any thread anywhere.
        Ok(Vec::new())
    }

    fn move_thread(&self, io: &Io, rel: &Path, tid: i32) -> Result<(), CgroupError> {
        for dir in self.dirs(rel) {
            io.write(&dir.join("tasks"), &tid.to_string())?;
        }
        Ok(())
    }

    fn tasks(&self, io: &Io, rel: &Path) -> Result<Vec<i32>, CgroupError> {
        io.read_ids(&self.cpuset.join(rel).join("tasks"))
    }

    fn restore(&self, _io: &Io, _adopted: &Adopted) -> Result<(), CgroupError> {
        Ok(())
    }
}
