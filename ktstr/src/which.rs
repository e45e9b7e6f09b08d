//! Finding a program as a shell does: the first executable file of that
//! name in a list of directories (`$PATH`, then any the caller adds). One
//! lookup for payloads, schedulers, qemu and `strip`.

use std::path::{Path, PathBuf};

/// Whether `p` is a file with an execute bit.
pub(crate) fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The directories of `$PATH`.
pub(crate) fn path_dirs() -> Vec<PathBuf> {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default()
}

/// The first executable `name` in `dirs`.
pub(crate) fn in_dirs<I>(name: &str, dirs: I) -> Option<PathBuf>
where
    I: IntoIterator,
    I::Item: AsRef<Path>,
{
    dirs.into_iter()
        .map(|d| d.as_ref().join(name))
        .find(|p| is_executable(p))
}

/// The first executable `name` on `$PATH`.
pub(crate) fn on_path(name: &str) -> Option<PathBuf> {
    in_dirs(name, path_dirs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_finds_executables_only() {
        assert!(on_path("sh").is_some());
        assert_eq!(on_path("ktstr-no-such-program"), None);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("plain"), "x").unwrap();
        assert_eq!(in_dirs("plain", [dir.path()]), None, "no execute bit");
    }
}
