//! The file operations the cgroup layer performs, behind one small trait so
//! unit tests can run the v1 and v2 protocols against a fake tree.
//!
//! [`RealFs`] does plain syscalls; every call goes through
//! [`Io`](super::write::Io), which adds the deadline and the typed error.

use std::fmt;
use std::io::{self, Write};
use std::path::Path;

/// What the cgroup layer does to a cgroup filesystem.
pub(crate) trait CgroupFs: Send + Sync + fmt::Debug + 'static {
    /// `mkdir(2)` one directory (not its parents).
    fn mkdir(&self, path: &Path) -> io::Result<()>;
    /// `rmdir(2)`.
    fn rmdir(&self, path: &Path) -> io::Result<()>;
    /// Read a whole control file.
    fn read(&self, path: &Path) -> io::Result<String>;
    /// Write `value` to an existing control file in ONE `write(2)` (cgroup
    /// files take one value per write).
    fn write(&self, path: &Path, value: &str) -> io::Result<()>;
    /// Whether `path` is a directory.
    fn is_dir(&self, path: &Path) -> bool;
    /// Names of the subdirectories of `path` (child cgroups).
    fn subdirs(&self, path: &Path) -> io::Result<Vec<String>>;
}

/// The real filesystem.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct RealFs;

impl CgroupFs for RealFs {
    fn mkdir(&self, path: &Path) -> io::Result<()> {
        std::fs::create_dir(path)
    }

    fn rmdir(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_dir(path)
    }

    fn read(&self, path: &Path) -> io::Result<String> {
        std::fs::read_to_string(path)
    }

    fn write(&self, path: &Path, value: &str) -> io::Result<()> {
        // No O_CREAT: a missing control file (controller not enabled) must
        // be ENOENT, not a new regular file.
        let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
        let n = f.write(value.as_bytes())?;
        if n != value.len() {
            return Err(io::Error::from_raw_os_error(libc::EIO));
        }
        Ok(())
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn subdirs(&self, path: &Path) -> io::Result<Vec<String>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                out.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        out.sort();
        Ok(out)
    }
}
