//! VM mode: run one test inside `qemu-system-x86_64` booted with a chosen
//! kernel, with the test binary itself as the guest's init.
//!
//! ```text
//!  host harness                                guest (test binary as PID 1)
//!  kernel::resolve ─ initramfs::build ─┐
//!  qemu::run ──── boot ───────────────►│ guest::main: mount proc, sys, dev, cgroup2
//!                                      │   supervise(test) exactly as on the host
//!  result port (ttyS1) ◄───────────────┘   KTSTR-VM-RESULT-BEGIN {json} END, power off
//! ```
//!
//! - [`kernel`]: which kernel image, and whether it has sched_ext.
//! - [`initramfs`]: the archive (the binary, its libraries, a scheduler),
//!   cached by content hash; built from [`cpio`] and [`elfdeps`].
//! - [`qemu`]: the command line, the accelerator probe, the run and its
//!   deadline.
//! - [`boot`]: all of that for one boot from the host.
//! - `guest`: the init side inside the VM.

pub mod accel;
pub mod boot;
pub mod command;
pub mod cpio;
pub mod elfdeps;
mod filehash;
pub(crate) mod guest;
pub mod initramfs;
pub mod kernel;
pub mod qemu;
mod result;
mod spec;

pub use result::{VmResult, RESULT_BEGIN, RESULT_END};
pub use spec::VmSpec;

use std::path::PathBuf;

/// The ktstr cache directory: `$KTSTR_CACHE`, else `~/.cache/ktstr`.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("KTSTR_CACHE").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    home.join(".cache").join("ktstr")
}

/// When this process is a VM guest's init booted by ktstr (PID 1 with
/// `KTSTR_VM_TEST` or `KTSTR_VM_CMD`), do what it was booted for, report,
/// and power off (never returns); otherwise return at once. The test
/// harness calls it first; so does the `ktstr` tool for `ktstr run --vm`.
pub fn guest_init_if_asked() {
    if let Some(job) = guest::job() {
        guest::main(&job);
    }
}

/// The environment variable naming the test a guest init runs.
pub const ENV_VM_TEST: &str = "KTSTR_VM_TEST";

/// A scheduler's binary for a guest: (host path, guest path). A bare name
/// is found as the host would ([`crate::scheduler::Scheduler::resolve_binary`])
/// and goes to `/bin` in the guest (on its `PATH`); a path keeps its path.
pub fn scheduler_binary(
    s: &crate::scheduler::Scheduler,
) -> Result<(std::path::PathBuf, String), String> {
    let host = s.resolve_binary().map_err(|e| e.to_string())?;
    let guest = if s.binary.contains('/') {
        s.binary.to_string()
    } else {
        format!("/bin/{}", s.binary)
    };
    Ok((host, guest))
}
