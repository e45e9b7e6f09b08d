//! Freezing a cgroup's workers: v2 `cgroup.freeze` on the cgroup itself;
//! on v1, a cgroup of the separate `freezer` hierarchy made for the
//! purpose (the workers stay in their cpu and cpuset cgroups), removed at
//! thaw. [`Frozen`] thaws on drop, on every path.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

use crate::cgroup::{CgroupManager, Hierarchy};

/// How long freezing may take before it is an error.
const FREEZE_DEADLINE: Duration = Duration::from_secs(5);

/// A frozen cgroup; dropping it thaws (and on v1 removes the freezer
/// cgroup after moving the tasks back to the freezer root).
#[derive(Debug)]
pub(super) struct Frozen {
    how: Option<How>,
}

#[derive(Debug)]
enum How {
    V2 { dir: PathBuf },
    V1 { dir: PathBuf, root: PathBuf },
}

fn write(path: &Path, value: &str) -> anyhow::Result<()> {
    std::fs::write(path, value).with_context(|| format!("write {value:?} to {}", path.display()))
}

fn wait_for(path: &Path, want: &str) -> anyhow::Result<()> {
    let t = Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.lines().any(|l| l.trim() == want) {
            return Ok(());
        }
        if t.elapsed() > FREEZE_DEADLINE {
            bail!(
                "{} did not say {want:?} within {FREEZE_DEADLINE:?} (it says {:?})",
                path.display(),
                text.trim()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Freeze cgroup `name` holding `tids` (`threads`: tids of this process,
/// moved one by one on v1; else process ids).
pub(super) fn freeze(
    mgr: &CgroupManager,
    name: &str,
    tids: &[i32],
    threads: bool,
) -> anyhow::Result<Frozen> {
    let how = match mgr.hierarchy() {
        Hierarchy::V2 { .. } => {
            let dir = mgr.dirs(name)?.remove(0);
            write(&dir.join("cgroup.freeze"), "1")?;
            let f = Frozen {
                how: Some(How::V2 { dir: dir.clone() }),
            };
            wait_for(&dir.join("cgroup.events"), "frozen 1")?;
            return Ok(f);
        }
        _ => {
            let Some(root) = crate::cgroup::v1_mount("freezer") else {
                bail!(
                    "cgroup v1 has no freezer controller mounted on this host \
                     (mount it: mount -t cgroup -o freezer freezer /sys/fs/cgroup/freezer)"
                );
            };
            let leaf = format!("{}-{}", mgr.parent_name(), name.replace('/', "-"));
            let dir = root.join(leaf);
            std::fs::create_dir(&dir).with_context(|| format!("create {}", dir.display()))?;
            How::V1 { dir, root }
        }
    };
    // From here the guard removes what was made, on every path.
    let dir = match &how {
        How::V1 { dir, .. } => dir.clone(),
        How::V2 { dir } => dir.clone(),
    };
    let f = Frozen { how: Some(how) };
    let file = if threads { "tasks" } else { "cgroup.procs" };
    for t in tids {
        write(&dir.join(file), &t.to_string())?;
    }
    write(&dir.join("freezer.state"), "FROZEN")?;
    wait_for(&dir.join("freezer.state"), "FROZEN")?;
    Ok(f)
}

impl Frozen {
    /// Thaw now, reporting what failed.
    pub(super) fn thaw(mut self) -> anyhow::Result<()> {
        self.release()
    }

    fn release(&mut self) -> anyhow::Result<()> {
        match self.how.take() {
            None => Ok(()),
            Some(How::V2 { dir }) => {
                write(&dir.join("cgroup.freeze"), "0")?;
                wait_for(&dir.join("cgroup.events"), "frozen 0")
            }
            Some(How::V1 { dir, root }) => {
                let thawed = write(&dir.join("freezer.state"), "THAWED");
                let tasks = std::fs::read_to_string(dir.join("tasks")).unwrap_or_default();
                for t in tasks.split_whitespace() {
                    // A task that exited meanwhile is not an error.
                    let _ = std::fs::write(root.join("tasks"), t);
                }
                let removed =
                    std::fs::remove_dir(&dir).with_context(|| format!("remove {}", dir.display()));
                thawed.and(removed)
            }
        }
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        if let Err(e) = self.release() {
            eprintln!("ktstr: could not thaw a frozen cgroup: {e:#}");
        }
    }
}
