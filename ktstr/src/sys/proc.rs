//! Process set-up between fork and exec.

use std::os::unix::process::CommandExt;
use std::process::Command;

/// Make the process `cmd` starts get SIGKILL when the thread that spawns it
/// exits (`prctl(PR_SET_PDEATHSIG)`), and not start at all when that
/// parent is already gone.
#[doc(alias = "PR_SET_PDEATHSIG")]
pub(crate) fn die_with_parent(cmd: &mut Command) {
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs in the forked child before exec and only
    // makes two syscalls (prctl, getppid), both async-signal-safe; its
    // error is built without allocating.
    unsafe {
        cmd.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
                .map_err(|e| std::io::Error::from_raw_os_error(e as i32))?;
            if libc::getppid() != parent {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}
