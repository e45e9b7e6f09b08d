//! What a VM guest's init needs from the kernel: mounts and power-off.

use std::path::Path;

use nix::mount::{mount, MsFlags};

/// Mount a filesystem of type `fstype` from `source` on `target`
/// (created when missing).
pub(crate) fn mount_fs(source: &str, target: &str, fstype: &str) -> Result<(), String> {
    let _ = std::fs::create_dir_all(target);
    mount(
        Some(source),
        Path::new(target),
        Some(fstype),
        MsFlags::empty(),
        None::<&str>,
    )
    .map_err(|e| format!("mount {fstype} on {target}: {e}"))
}

/// Flush filesystems and power the machine off. Only returns on failure.
pub(crate) fn power_off() -> String {
    nix::unistd::sync();
    match nix::sys::reboot::reboot(nix::sys::reboot::RebootMode::RB_POWER_OFF) {
        Err(e) => format!("reboot(RB_POWER_OFF): {e}"),
        Ok(never) => match never {},
    }
}
