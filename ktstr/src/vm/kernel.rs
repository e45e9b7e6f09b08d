//! Which kernel a VM boots: an explicit path (`vm(kernel = "...")`), else
//! `KTSTR_KERNEL`, else the newest `vmlinuz` in the ktstr cache
//! (`<cache>/kernels/*/vmlinuz`, as `scripts/setup --vm` leaves it).

use std::path::{Path, PathBuf};

/// The environment variable naming the kernel image for a whole run.
pub const ENV_KERNEL: &str = "KTSTR_KERNEL";

/// What to do when no kernel is found.
pub const SETUP_HINT: &str =
    "run `./scripts/setup --vm` (fetches one into the ktstr cache) or set KTSTR_KERNEL=/path/to/vmlinuz";

/// A kernel image that looked like a bzImage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kernel {
    /// The image.
    pub path: PathBuf,
    /// `CONFIG_SCHED_CLASS_EXT` from the `config` file beside the image;
    /// None when there is no such file.
    pub sched_ext: Option<bool>,
}

/// The kernel path that would be used, without checking it: `explicit`,
/// else `KTSTR_KERNEL`, else the newest cached image.
pub fn configured(explicit: Option<&str>) -> Option<PathBuf> {
    explicit
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os(ENV_KERNEL)
                .filter(|k| !k.is_empty())
                .map(PathBuf::from)
        })
        .or_else(cached)
}

/// The newest (by modification time) `<cache>/kernels/*/vmlinuz`.
pub fn cached() -> Option<PathBuf> {
    let dir = super::cache_dir().join("kernels");
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|d| d.path().join("vmlinuz"))
        .filter_map(|p| Some((p.metadata().ok()?.modified().ok()?, p)))
        .max()
        .map(|(_, p)| p)
}

/// Resolve and check the kernel: it must exist and be an x86 bzImage.
pub fn resolve(explicit: Option<&str>) -> Result<Kernel, String> {
    let path = configured(explicit).ok_or_else(|| format!("no kernel for the VM: {SETUP_HINT}"))?;
    check_bzimage(&path)?;
    Ok(Kernel {
        sched_ext: sched_ext_config(&path),
        path,
    })
}

/// Offset of the x86 boot protocol's "HdrS" magic in a bzImage.
const HDRS_OFFSET: usize = 0x202;

/// Whether `path` is an x86 bzImage (boot header magic "HdrS" at 0x202).
pub fn check_bzimage(path: &Path) -> Result<(), String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| {
        format!(
            "kernel image {}: {e}; give an existing bzImage (vmlinuz) or {SETUP_HINT}",
            path.display()
        )
    })?;
    let mut head = [0u8; HDRS_OFFSET + 4];
    let ok = f.read_exact(&mut head).is_ok() && &head[HDRS_OFFSET..] == b"HdrS";
    if !ok {
        return Err(format!(
            "{} is not a kernel image (no x86 boot header \"HdrS\" at offset 0x202): \
             give a bzImage such as arch/x86/boot/bzImage or /boot/vmlinuz-*, not vmlinux",
            path.display()
        ));
    }
    Ok(())
}

/// `CONFIG_SCHED_CLASS_EXT=y` in the `config` file beside the image
/// (or `config-<version>` for `/boot/vmlinuz-<version>`).
pub fn sched_ext_config(image: &Path) -> Option<bool> {
    let dir = image.parent()?;
    let mut candidates = vec![dir.join("config")];
    if let Some(v) = image
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("vmlinuz-"))
    {
        candidates.insert(0, dir.join(format!("config-{v}")));
    }
    let text = candidates
        .iter()
        .find_map(|c| std::fs::read_to_string(c).ok())?;
    Some(text.lines().any(|l| l.trim() == "CONFIG_SCHED_CLASS_EXT=y"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_the_boot_header_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("vmlinux");
        std::fs::write(&p, vec![0u8; 4096]).unwrap();
        let e = check_bzimage(&p).unwrap_err();
        assert!(
            e.contains("not a kernel image") && e.contains("vmlinux"),
            "{e}"
        );
        let e = check_bzimage(&dir.path().join("absent")).unwrap_err();
        assert!(e.contains("absent") && e.contains("setup --vm"), "{e}");
        let mut img = vec![0u8; 4096];
        img[HDRS_OFFSET..HDRS_OFFSET + 4].copy_from_slice(b"HdrS");
        let good = dir.path().join("vmlinuz");
        std::fs::write(&good, img).unwrap();
        check_bzimage(&good).unwrap();
    }

    #[test]
    fn sched_ext_is_read_from_the_config_beside_the_image() {
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("vmlinuz");
        assert_eq!(sched_ext_config(&img), None);
        std::fs::write(
            dir.path().join("config"),
            "# CONFIG_SCHED_CLASS_EXT is not set\n",
        )
        .unwrap();
        assert_eq!(sched_ext_config(&img), Some(false));
        std::fs::write(dir.path().join("config"), "CONFIG_SCHED_CLASS_EXT=y\n").unwrap();
        assert_eq!(sched_ext_config(&img), Some(true));
    }
}
