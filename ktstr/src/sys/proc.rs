//! Process ownership: a child that dies with the thread that spawned it.

use std::os::unix::process::CommandExt;
use std::process::Command;

/// Make the child `cmd` spawns receive SIGKILL when its parent dies
/// (`PR_SET_PDEATHSIG`), so it cannot outlive a killed harness. If the
/// parent is already gone when the child starts, the spawn fails.
pub(crate) fn kill_with_parent(cmd: &mut Command) {
    let parent = std::process::id() as i32;
    // SAFETY: between fork and exec the closure only calls prctl and
    // getppid, which are async-signal-safe and touch no memory of the
    // parent.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::getppid() != parent {
                return Err(std::io::Error::other(
                    "the parent died before the child started",
                ));
            }
            Ok(())
        });
    }
}
