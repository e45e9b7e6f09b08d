//! [`CgroupManager`]: one run's cgroups, under one parent it owns.
//!
//! Opening a manager detects the hierarchy (or takes one), removes parents
//! of dead runs (see [`stale`](super::stale)), and creates this run's
//! parent `ktstr-<pid>-<start>-<seq>` at the hierarchy root(s). Every
//! cgroup name is relative to that parent and validated so it cannot leave
//! it. Dropping the manager removes everything it created.
//!
//! The per-hierarchy file protocols are in [`v1`](super::v1) and
//! [`v2`](super::v2); every write goes through [`Io`](super::write::Io)
//! with a deadline.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nix::errno::Errno;

use super::backend::{children, protocol, remove_tree, rmdir_drained, Adopted, Protocol};
use super::fs::{CgroupFs, RealFs};
use super::knobs::{CpuMax, CPU_WEIGHT_MAX, CPU_WEIGHT_MIN};
use super::name::validate_name;
use super::rt::{RtGroups, Take};
use super::write::{Io, WRITE_DEADLINE};
use super::{proc, stale, CgroupError, Hierarchy};
use crate::cpuset::CpuSet;

/// Attempts for a task move the kernel answers with EBUSY (a sched_ext
/// scheduler may refuse a move for a moment), and the pause between them.
const MOVE_ATTEMPTS: u32 = 3;
const MOVE_RETRY_PAUSE: Duration = Duration::from_millis(100);

/// Distinguishes several managers in one process.
static SEQ: AtomicU64 = AtomicU64::new(0);

/// Creates, configures, fills and removes one run's cgroups; see the
/// module doc.
///
/// ```no_run
/// use ktstr::cgroup::CgroupManager;
/// use ktstr::cpuset::CpuSet;
/// # fn main() -> Result<(), ktstr::cgroup::CgroupError> {
/// let mgr = CgroupManager::new()?;
/// mgr.create_cgroup("web/frontend")?;
/// mgr.set_cpuset("web/frontend", &CpuSet::from([0, 1]))?;
/// mgr.set_cpu_weight("web/frontend", 200)?;
/// mgr.move_task("web/frontend", 4242)?;
/// mgr.cleanup_all()?; // also done on drop
/// # Ok(()) }
/// ```
pub struct CgroupManager {
    pub(super) io: Io,
    pub(super) hierarchy: Hierarchy,
    proto: Box<dyn Protocol>,
    pub(super) parent: String,
    /// The RT budget files, where the kernel has RT group scheduling.
    pub(super) rt: Option<RtGroups>,
    stale_removed: Vec<String>,
    adopted: Mutex<Vec<Adopted>>,
}

impl std::fmt::Debug for CgroupManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CgroupManager")
            .field("hierarchy", &self.hierarchy)
            .field("parent", &self.parent)
            .finish()
    }
}

/// The names of the parents removed; each failure printed as a warning.
fn warn_failures(results: Vec<Result<String, CgroupError>>) -> Vec<String> {
    let mut removed = Vec::new();
    for r in results {
        match r {
            Ok(name) => removed.push(name),
            Err(e) => {
                // Not eprintln!: a torn-down test process may have lost
                // its stderr reader, and this must not panic.
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "ktstr: warning: could not remove a cgroup parent: {e}"
                );
            }
        }
    }
    removed
}

impl CgroupManager {
    /// Detect the host's hierarchy ([`Hierarchy::detect`]) and open a
    /// manager on it.
    pub fn new() -> Result<CgroupManager, CgroupError> {
        CgroupManager::with_hierarchy(Hierarchy::detect()?)
    }

    /// Open a manager on `hierarchy`: remove stale parents, create this
    /// run's parent.
    pub fn with_hierarchy(hierarchy: Hierarchy) -> Result<CgroupManager, CgroupError> {
        CgroupManager::open(Arc::new(RealFs), hierarchy, WRITE_DEADLINE)
    }

    /// Remove the parents left by runs whose owner process is dead (their
    /// tasks moved out first), without creating a parent of our own. The
    /// harness calls this at start and after a test process that was
    /// killed. Returns the names removed; errors for individual parents are
    /// printed as warnings.
    pub fn remove_stale() -> Result<Vec<String>, CgroupError> {
        let hierarchy = Hierarchy::detect()?;
        let io = Io::new(Arc::new(RealFs), WRITE_DEADLINE);
        let proto = protocol(&hierarchy);
        Ok(warn_failures(stale::remove_stale(&*proto, &io, &hierarchy)))
    }

    /// Remove every parent this process created, with whatever tasks are
    /// still in them moved out first: the teardown of a test process that
    /// was interrupted while its managers were still open elsewhere in the
    /// process. Returns the names removed.
    pub fn remove_own() -> Result<Vec<String>, CgroupError> {
        let hierarchy = Hierarchy::detect()?;
        let io = Io::new(Arc::new(RealFs), WRITE_DEADLINE);
        let proto = protocol(&hierarchy);
        let me = std::process::id() as i32;
        Ok(warn_failures(stale::remove_owned_by(
            &*proto, &io, &hierarchy, me,
        )))
    }

    /// Open a manager through `fs` (tests pass a fake).
    pub(crate) fn open(
        fs: Arc<dyn CgroupFs>,
        hierarchy: Hierarchy,
        deadline: Duration,
    ) -> Result<CgroupManager, CgroupError> {
        let io = Io::new(fs, deadline);
        let proto = protocol(&hierarchy);
        let stale_removed = warn_failures(stale::remove_stale(&*proto, &io, &hierarchy));
        let pid = std::process::id() as i32;
        let start = proc::start_time(pid).unwrap_or(0);
        let parent = stale::parent_name(pid, start, SEQ.fetch_add(1, Ordering::Relaxed));
        proto.create_parent(&io, Path::new(&parent))?;
        let rt = RtGroups::detect(&io, &hierarchy);
        let mgr = CgroupManager {
            io,
            hierarchy,
            proto,
            parent,
            rt,
            stale_removed,
            adopted: Mutex::new(Vec::new()),
        };
        mgr.give_rt_default(mgr.parent_rel(), &mgr.parent, Take::All);
        Ok(mgr)
    }

    /// The hierarchy in use.
    pub fn hierarchy(&self) -> &Hierarchy {
        &self.hierarchy
    }

    /// This run's parent directory name (`ktstr-<pid>-<start>-<seq>`).
    pub fn parent_name(&self) -> &str {
        &self.parent
    }

    /// The stale parents this manager removed when it opened.
    pub fn stale_removed(&self) -> &[String] {
        &self.stale_removed
    }

    /// How long each cgroup write may take.
    pub fn write_deadline(&self) -> Duration {
        self.io.deadline()
    }

    pub(super) fn parent_rel(&self) -> &Path {
        Path::new(&self.parent)
    }

    pub(super) fn rel(&self, name: &str) -> Result<PathBuf, CgroupError> {
        validate_name(name)?;
        Ok(self.parent_rel().join(name))
    }

    fn exists_rel(&self, rel: &Path) -> bool {
        self.proto.dirs(rel).iter().any(|d| self.io.is_dir(d))
    }

    /// The path of an existing cgroup, or NotFound.
    pub(super) fn existing(&self, name: &str) -> Result<PathBuf, CgroupError> {
        let rel = self.rel(name)?;
        if !self.exists_rel(&rel) {
            return Err(CgroupError::NotFound { name: name.into() });
        }
        Ok(rel)
    }

    /// The cgroup's path as `/proc/<pid>/cgroup` shows it
    /// (`/ktstr-1-2-0/name`).
    pub fn cgroup_path(&self, name: &str) -> Result<String, CgroupError> {
        Ok(format!("/{}", self.rel(name)?.display()))
    }

    /// The cgroup's directory in each mounted tree (one for v2; the
    /// `cpuset` then the `cpu` tree for v1).
    pub fn dirs(&self, name: &str) -> Result<Vec<PathBuf>, CgroupError> {
        Ok(self.proto.dirs(&self.rel(name)?))
    }

    /// The run's parent directory in each mounted tree.
    pub fn parent_dirs(&self) -> Vec<PathBuf> {
        self.proto.dirs(self.parent_rel())
    }

    /// Whether cgroup `name` exists (false for an invalid name).
    pub fn exists(&self, name: &str) -> bool {
        self.rel(name).is_ok_and(|rel| self.exists_rel(&rel))
    }

    /// Create cgroup `name` (nested names like `a/b` create the missing
    /// levels; v2 enables `cpuset` and `cpu` in each level's
    /// `subtree_control` on the way down). The new cgroup inherits its
    /// parent's CPUs and memory nodes.
    ///
    /// Errors: an invalid name; a name that exists; a failed write or
    /// `mkdir`. On error no cgroup made by this call remains.
    pub fn create_cgroup(&self, name: &str) -> Result<(), CgroupError> {
        self.create_tracked(name).map(drop)
    }

    /// `create_cgroup`, returning every cgroup made (missing intermediate
    /// levels first, `name` last).
    pub(crate) fn create_tracked(&self, name: &str) -> Result<Vec<String>, CgroupError> {
        let rel = self.rel(name)?;
        if self.exists_rel(&rel) {
            return Err(CgroupError::Exists { name: name.into() });
        }
        let parts: Vec<&str> = name.split('/').collect();
        let mut made: Vec<String> = Vec::new();
        for i in 0..parts.len() {
            let sub = parts[..=i].join("/");
            let sub_rel = self.parent_rel().join(&sub);
            if self.exists_rel(&sub_rel) {
                continue;
            }
            if let Err(e) = self.proto.create(&self.io, &sub_rel) {
                for done in made.iter().rev() {
                    let r = self.parent_rel().join(done);
                    let _ = remove_tree(&*self.proto, &self.io, &r, r.parent().unwrap_or(&r));
                }
                return Err(e);
            }
            self.give_rt_default(&sub_rel, &sub, Take::Half);
            made.push(sub);
        }
        Ok(made)
    }

    /// Remove cgroup `name` and any cgroups below it, deepest first, each
    /// drained into its parent before its `rmdir` (so tasks still running
    /// in it end up in `name`'s parent).
    pub fn remove_cgroup(&self, name: &str) -> Result<(), CgroupError> {
        let rel = self.existing(name)?;
        let to = rel.parent().unwrap_or(self.parent_rel()).to_path_buf();
        remove_tree(&*self.proto, &self.io, &rel, &to)
    }

    fn check_set(
        &self,
        name: &str,
        file: &'static str,
        set: &CpuSet,
        available: CpuSet,
        what: &str,
    ) -> Result<(), CgroupError> {
        let bad = |reason: String| {
            Err(CgroupError::InvalidCpuset {
                name: name.into(),
                file,
                value: set.to_string(),
                reason,
            })
        };
        if set.is_empty() {
            return bad(format!(
                "the set is empty; a cgroup needs at least one {what}"
            ));
        }
        let unknown = set.difference(&available);
        if !unknown.is_empty() {
            return bad(format!(
                "{what}(s) {unknown} are not available to this run (its parent cgroup has {available})"
            ));
        }
        Ok(())
    }

    /// Restrict cgroup `name` to `cpus` (`cpuset.cpus`).
    ///
    /// Errors: an empty set, or CPUs the run's parent does not have
    /// (checked before writing); the kernel's refusal otherwise (v1: CPUs
    /// outside the cgroup's parent, or a child still using removed CPUs).
    #[doc(alias = "cpuset.cpus")]
    pub fn set_cpuset(&self, name: &str, cpus: &CpuSet) -> Result<(), CgroupError> {
        let rel = self.existing(name)?;
        let available = self.proto.effective_cpus(&self.io, self.parent_rel())?;
        self.check_set(name, "cpuset.cpus", cpus, available, "CPU")?;
        self.proto.set_cpus(&self.io, &rel, Some(cpus))
    }

    /// Let cgroup `name` use its parent's CPUs again (v2 writes `""`; v1,
    /// which has no "inherit", copies the parent's `cpuset.cpus`).
    pub fn clear_cpuset(&self, name: &str) -> Result<(), CgroupError> {
        let rel = self.existing(name)?;
        self.proto.set_cpus(&self.io, &rel, None)
    }

    /// Restrict cgroup `name` to the memory nodes `nodes` (`cpuset.mems`).
    /// Set it after the cpus and before moving tasks in.
    #[doc(alias = "cpuset.mems")]
    pub fn set_cpuset_mems(&self, name: &str, nodes: &CpuSet) -> Result<(), CgroupError> {
        let rel = self.existing(name)?;
        let available = self.proto.effective_mems(&self.io, self.parent_rel())?;
        self.check_set(name, "cpuset.mems", nodes, available, "node")?;
        self.proto.set_mems(&self.io, &rel, nodes)
    }

    /// The CPUs tasks in cgroup `name` may use now.
    pub fn effective_cpus(&self, name: &str) -> Result<CpuSet, CgroupError> {
        let rel = self.existing(name)?;
        self.proto.effective_cpus(&self.io, &rel)
    }

    /// Set the CPU weight of cgroup `name` on the v2 scale,
    /// [`CPU_WEIGHT_MIN`]..=[`CPU_WEIGHT_MAX`], default 100 (v2
    /// `cpu.weight`; v1 `cpu.shares = weight * 1024 / 100`).
    #[doc(alias = "cpu.weight")]
    #[doc(alias = "cpu.shares")]
    pub fn set_cpu_weight(&self, name: &str, weight: u32) -> Result<(), CgroupError> {
        if !(CPU_WEIGHT_MIN..=CPU_WEIGHT_MAX).contains(&weight) {
            return Err(CgroupError::OutOfRange {
                name: name.into(),
                knob: "cpu weight",
                value: weight.to_string(),
                range: format!("{CPU_WEIGHT_MIN}..={CPU_WEIGHT_MAX}"),
            });
        }
        let rel = self.existing(name)?;
        self.proto.set_weight(&self.io, &rel, weight)
    }

    /// Limit cgroup `name`'s CPU bandwidth (v2 `cpu.max`; v1
    /// `cpu.cfs_period_us` and `cpu.cfs_quota_us`).
    #[doc(alias = "cpu.max")]
    #[doc(alias = "cpu.cfs_quota_us")]
    pub fn set_cpu_max(&self, name: &str, max: CpuMax) -> Result<(), CgroupError> {
        if let Err(range) = max.check() {
            return Err(CgroupError::OutOfRange {
                name: name.into(),
                knob: "cpu max",
                value: max.to_string(),
                range,
            });
        }
        let rel = self.existing(name)?;
        self.proto.set_max(&self.io, &rel, &max)
    }

    fn check_ids(name: &str, ids: &[libc::pid_t]) -> Result<(), CgroupError> {
        match ids.iter().find(|&&p| p <= 0) {
            Some(&pid) => Err(CgroupError::InvalidPid {
                name: name.into(),
                pid,
            }),
            None => Ok(()),
        }
    }

    /// Run a move, retrying while the kernel answers EBUSY.
    fn retry_busy(
        &self,
        mut op: impl FnMut() -> Result<(), CgroupError>,
    ) -> Result<(), CgroupError> {
        let mut attempt = 1;
        loop {
            match op() {
                Err(e) if e.errno() == Some(Errno::EBUSY) && attempt < MOVE_ATTEMPTS => {
                    attempt += 1;
                    std::thread::sleep(MOVE_RETRY_PAUSE);
                }
                r => return r,
            }
        }
    }

    /// Move process `pid` (with all its threads) into cgroup `name`.
    #[doc(alias = "cgroup.procs")]
    pub fn move_task(&self, name: &str, pid: libc::pid_t) -> Result<(), CgroupError> {
        self.move_tasks(name, &[pid])
    }

    /// Move processes into cgroup `name` through `cgroup.procs` (both v1
    /// trees for v1), in order. A move the kernel answers with EBUSY is
    /// tried 3 times, 100 ms apart. A pid that does not exist is an error
    /// (ESRCH) naming it; pids before it stay moved.
    pub fn move_tasks(&self, name: &str, pids: &[libc::pid_t]) -> Result<(), CgroupError> {
        let rel = self.existing(name)?;
        Self::check_ids(name, pids)?;
        for &pid in pids {
            self.retry_busy(|| self.proto.move_process(&self.io, &rel, pid))?;
        }
        Ok(())
    }

    /// Move single threads into cgroup `name`: v1 `tasks`, v2
    /// `cgroup.threads` (making `name` threaded first and, if the owning
    /// process lives outside this run's parent, moving that process into
    /// the parent until cleanup). Use this for `CloneMode::Thread` workers.
    #[doc(alias = "cgroup.threads")]
    #[doc(alias = "tasks")]
    pub fn move_threads(&self, name: &str, tids: &[libc::pid_t]) -> Result<(), CgroupError> {
        let rel = self.existing(name)?;
        Self::check_ids(name, tids)?;
        let mut list = self.adopted.lock().unwrap_or_else(|p| p.into_inner());
        let before: Vec<i32> = list.iter().map(|a| a.pid).collect();
        list.extend(self.proto.prepare_threads(
            &self.io,
            self.parent_rel(),
            &rel,
            tids,
            &before,
        )?);
        drop(list);
        for &tid in tids {
            self.retry_busy(|| self.proto.move_thread(&self.io, &rel, tid))?;
        }
        Ok(())
    }

    /// The thread ids in cgroup `name` (v1 `tasks` of the cpuset tree; v2
    /// `cgroup.threads`).
    pub fn tasks(&self, name: &str) -> Result<Vec<libc::pid_t>, CgroupError> {
        let rel = self.existing(name)?;
        self.proto.tasks(&self.io, &rel)
    }

    /// The cgroups directly below the run's parent.
    pub fn list(&self) -> Result<Vec<String>, CgroupError> {
        children(&*self.proto, &self.io, self.parent_rel())
    }

    /// Remove every cgroup of this run and the run's parent itself: tasks
    /// are moved out first (into each cgroup's parent; processes the
    /// manager moved into the parent go back where they came from; the
    /// rest to the hierarchy root). Keeps going past failures and returns
    /// the first. Idempotent; also run on drop. Afterwards the manager has
    /// no parent, so creating a cgroup fails (ENOENT).
    pub fn cleanup_all(&self) -> Result<(), CgroupError> {
        let parent = self.parent_rel();
        if !self.exists_rel(parent) {
            return Ok(());
        }
        let mut first: Option<CgroupError> = None;
        let mut note = |r: Result<(), CgroupError>| {
            if let Err(e) = r {
                first.get_or_insert(e);
            }
        };
        match children(&*self.proto, &self.io, parent) {
            Ok(names) => {
                for name in names {
                    note(remove_tree(
                        &*self.proto,
                        &self.io,
                        &parent.join(name),
                        parent,
                    ));
                }
            }
            Err(e) => note(Err(e)),
        }
        let adopted = std::mem::take(&mut *self.adopted.lock().unwrap_or_else(|p| p.into_inner()));
        for a in &adopted {
            note(self.proto.restore(&self.io, a));
        }
        note(rmdir_drained(&*self.proto, &self.io, parent, Path::new("")));
        first.map_or(Ok(()), Err)
    }
}

impl Drop for CgroupManager {
    fn drop(&mut self) {
        if let Err(e) = self.cleanup_all() {
            eprintln!(
                "ktstr: warning: could not remove cgroup parent {}: {e}",
                self.parent
            );
        }
    }
}
