//! [`Io`]: the ONE way the cgroup layer touches cgroupfs. Every write,
//! `mkdir` and `rmdir` runs under a deadline, and every failure becomes a
//! [`CgroupError`] naming the file, the value and the errno.
//!
//! Why a deadline: a cgroup write can block for a long time inside the
//! kernel (on `cgroup_mutex`, or in a sched_ext scheduler's cgroup
//! callbacks). The operation runs on a helper thread and the caller waits
//! at most the deadline; on timeout the helper is left blocked (it cannot be
//! interrupted) and finishes or dies with the process.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use nix::errno::Errno;

use super::error::errno_of;
use super::fs::CgroupFs;
use super::CgroupError;
use crate::cpuset::CpuSet;

/// How long one cgroup write (or `mkdir`/`rmdir`) may take by default.
pub const WRITE_DEADLINE: Duration = Duration::from_secs(2);

/// Run `op` on a helper thread; None if it did not finish within
/// `deadline`. Falls back to running inline if no thread can be spawned.
fn with_deadline<T: Send + 'static>(
    deadline: Duration,
    op: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (tx, rx) = mpsc::sync_channel(1);
    let op = std::sync::Mutex::new(Some(op));
    let op = Arc::new(op);
    let op2 = Arc::clone(&op);
    let spawned = std::thread::Builder::new()
        .name("ktstr-cgroup-io".into())
        .spawn(move || {
            let f = op2.lock().ok().and_then(|mut g| g.take());
            if let Some(f) = f {
                let _ = tx.send(f());
            }
        });
    match spawned {
        Ok(_) => rx.recv_timeout(deadline).ok(),
        Err(_) => {
            let f = op.lock().ok().and_then(|mut g| g.take());
            f.map(|f| f())
        }
    }
}

/// Cgroupfs access with a deadline and typed errors; see the module doc.
#[derive(Clone, Debug)]
pub(crate) struct Io {
    fs: Arc<dyn CgroupFs>,
    deadline: Duration,
}

impl Io {
    /// Access through `fs`, each write bounded by `deadline`.
    pub(crate) fn new(fs: Arc<dyn CgroupFs>, deadline: Duration) -> Io {
        Io { fs, deadline }
    }

    /// The per-operation deadline.
    pub(crate) fn deadline(&self) -> Duration {
        self.deadline
    }

    /// Write `value` to the control file `path`.
    pub(crate) fn write(&self, path: &Path, value: &str) -> Result<(), CgroupError> {
        let (fs, p, v) = (Arc::clone(&self.fs), path.to_path_buf(), value.to_string());
        match with_deadline(self.deadline, move || fs.write(&p, &v)) {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => Err(CgroupError::Write {
                path: path.to_path_buf(),
                value: value.to_string(),
                errno: errno_of(&e),
            }),
            None => Err(CgroupError::WriteTimeout {
                path: path.to_path_buf(),
                value: value.to_string(),
                waited_ms: self.deadline.as_millis() as u64,
            }),
        }
    }

    fn dir_op(
        &self,
        path: &Path,
        op: &'static str,
        f: fn(&dyn CgroupFs, &Path) -> std::io::Result<()>,
        err: fn(PathBuf, Errno) -> CgroupError,
    ) -> Result<(), CgroupError> {
        let (fs, p) = (Arc::clone(&self.fs), path.to_path_buf());
        match with_deadline(self.deadline, move || f(&*fs, &p)) {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => Err(err(path.to_path_buf(), errno_of(&e))),
            None => Err(CgroupError::DirTimeout {
                op,
                path: path.to_path_buf(),
                waited_ms: self.deadline.as_millis() as u64,
            }),
        }
    }

    /// `mkdir` the cgroup directory `path`.
    pub(crate) fn mkdir(&self, path: &Path) -> Result<(), CgroupError> {
        self.dir_op(
            path,
            "create",
            |fs, p| fs.mkdir(p),
            |path, errno| CgroupError::Mkdir { path, errno },
        )
    }

    /// `rmdir` the cgroup directory `path`.
    pub(crate) fn rmdir(&self, path: &Path) -> Result<(), CgroupError> {
        self.dir_op(
            path,
            "remove",
            |fs, p| fs.rmdir(p),
            |path, errno| CgroupError::Rmdir { path, errno },
        )
    }

    /// Read a control file, trimmed.
    pub(crate) fn read(&self, path: &Path) -> Result<String, CgroupError> {
        self.fs
            .read(path)
            .map(|s| s.trim().to_string())
            .map_err(|e| CgroupError::Read {
                path: path.to_path_buf(),
                errno: errno_of(&e),
            })
    }

    /// Read a cpu (or node) list file.
    pub(crate) fn read_list(&self, path: &Path) -> Result<CpuSet, CgroupError> {
        self.read(path)?
            .parse()
            .map_err(|source| CgroupError::Parse {
                path: path.to_path_buf(),
                source,
            })
    }

    /// Read a file of task ids, one per line (`cgroup.procs`, `tasks`).
    pub(crate) fn read_ids(&self, path: &Path) -> Result<Vec<i32>, CgroupError> {
        Ok(self
            .read(path)?
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect())
    }

    /// Whether `path` is a directory.
    pub(crate) fn is_dir(&self, path: &Path) -> bool {
        self.fs.is_dir(path)
    }

    /// The child cgroups of `path`, sorted.
    pub(crate) fn subdirs(&self, path: &Path) -> Result<Vec<String>, CgroupError> {
        self.fs.subdirs(path).map_err(|e| CgroupError::Read {
            path: path.to_path_buf(),
            errno: errno_of(&e),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::time::Instant;

    use super::*;

    /// A filesystem whose writes block for a long time or fail.
    #[derive(Debug)]
    struct Stuck;
    impl CgroupFs for Stuck {
        fn mkdir(&self, _: &Path) -> io::Result<()> {
            Err(io::Error::from_raw_os_error(libc::EEXIST))
        }
        fn rmdir(&self, _: &Path) -> io::Result<()> {
            std::thread::sleep(Duration::from_secs(2));
            Ok(())
        }
        fn read(&self, _: &Path) -> io::Result<String> {
            Ok("0-1\n".into())
        }
        fn write(&self, _: &Path, value: &str) -> io::Result<()> {
            if value == "busy" {
                return Err(io::Error::from_raw_os_error(libc::EBUSY));
            }
            std::thread::sleep(Duration::from_secs(2));
            Ok(())
        }
        fn is_dir(&self, _: &Path) -> bool {
            true
        }
        fn subdirs(&self, _: &Path) -> io::Result<Vec<String>> {
            Ok(vec![])
        }
    }

    #[test]
    fn cgroup_write_errors_name_file_value_and_errno() {
        let io = Io::new(Arc::new(Stuck), Duration::from_millis(100));
        let e = io.write(Path::new("/cg/cpuset.cpus"), "busy").unwrap_err();
        assert_eq!(e.errno(), Some(Errno::EBUSY));
        let msg = e.to_string();
        assert!(
            msg.contains("/cg/cpuset.cpus") && msg.contains("\"busy\"") && msg.contains("EBUSY"),
            "{msg}"
        );
        let e = io.mkdir(Path::new("/cg/x")).unwrap_err();
        assert!(
            e.to_string().contains("/cg/x") && e.to_string().contains("EEXIST"),
            "{e}"
        );
    }

    #[test]
    fn cgroup_write_gives_up_at_the_deadline() {
        let io = Io::new(Arc::new(Stuck), Duration::from_millis(100));
        let t = Instant::now();
        let e = io.write(Path::new("/cg/cgroup.procs"), "42").unwrap_err();
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
        let msg = e.to_string();
        assert!(
            msg.contains("/cg/cgroup.procs") && msg.contains("\"42\"") && msg.contains("100 ms"),
            "{msg}"
        );
        let e = io.rmdir(Path::new("/cg/x")).unwrap_err();
        assert!(
            matches!(e, CgroupError::DirTimeout { op: "remove", .. }),
            "{e}"
        );
        assert_eq!(
            io.read_list(Path::new("/cg/cpuset.cpus"))
                .unwrap()
                .to_string(),
            "0-1"
        );
    }
}
