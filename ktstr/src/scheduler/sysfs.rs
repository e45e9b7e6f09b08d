//! The kernel's sched_ext state under `sys/kernel/sched_ext/`, below a root
//! directory that is `/` for real and a temp dir in tests.

use std::path::{Path, PathBuf};

/// sched_ext's sysfs files below a root directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchedExtSysfs {
    root: PathBuf,
}

impl Default for SchedExtSysfs {
    /// The real one, below `/`.
    fn default() -> Self {
        SchedExtSysfs::at("/")
    }
}

impl SchedExtSysfs {
    /// The files below `root` (`root/sys/kernel/sched_ext/...`).
    pub fn at(root: impl Into<PathBuf>) -> SchedExtSysfs {
        SchedExtSysfs { root: root.into() }
    }

    /// `sys/kernel/sched_ext` below the root.
    pub fn dir(&self) -> PathBuf {
        self.root.join("sys/kernel/sched_ext")
    }

    /// The `state` file.
    pub fn state_path(&self) -> PathBuf {
        self.dir().join("state")
    }

    /// The `root/ops` file.
    pub fn ops_path(&self) -> PathBuf {
        self.dir().join("root/ops")
    }

    /// Whether this kernel has sched_ext at all.
    pub fn present(&self) -> bool {
        self.dir().is_dir()
    }

    /// `state` ("enabled", "disabled", "enabling", ...), or None when the
    /// kernel has no sched_ext.
    pub fn state(&self) -> Option<String> {
        read_trimmed(&self.state_path())
    }

    /// The attached scheduler's ops name (`bpfland_1.1.0_x86_64_...`), or
    /// None when none is attached.
    pub fn ops(&self) -> Option<String> {
        read_trimmed(&self.ops_path()).filter(|s| !s.is_empty())
    }
}

fn read_trimmed(p: &Path) -> Option<String> {
    std::fs::read_to_string(p)
        .ok()
        .map(|s| s.trim().to_string())
}

/// `/sys/kernel/sched_ext/state` of the running kernel, or None on a kernel
/// without sched_ext.
pub fn sched_ext_state() -> Option<String> {
    SchedExtSysfs::default().state()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_state_and_ops_below_the_root() {
        let d = tempfile::tempdir().unwrap();
        let s = SchedExtSysfs::at(d.path());
        assert!(!s.present() && s.state().is_none() && s.ops().is_none());
        std::fs::create_dir_all(s.dir().join("root")).unwrap();
        std::fs::write(s.state_path(), "enabled\n").unwrap();
        std::fs::write(s.ops_path(), "bpfland_1.1.0_x86_64_unknown_linux_gnu\n").unwrap();
        assert!(s.present());
        assert_eq!(s.state().as_deref(), Some("enabled"));
        assert_eq!(
            s.ops().as_deref(),
            Some("bpfland_1.1.0_x86_64_unknown_linux_gnu")
        );
        std::fs::write(s.ops_path(), "\n").unwrap();
        assert_eq!(s.ops(), None, "an empty ops file: nothing attached");
        assert_eq!(
            SchedExtSysfs::default().state_path(),
            Path::new("/sys/kernel/sched_ext/state")
        );
    }
}
