//! Process plumbing for supervised children: what a child must do between
//! `fork` and `exec` (take a descriptor at a fixed number, die with its
//! parent) and killing a set of processes.

use std::os::fd::RawFd;
use std::os::unix::process::CommandExt;
use std::process::Command;

use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;

/// Arrange for the child `cmd` spawns to find `fd` at number `target`
/// (inherited across exec) and to receive `death_signal` when the thread
/// that spawns it exits. If the spawner is already gone when the child
/// gets that far (the race `PR_SET_PDEATHSIG` alone leaves open), the
/// spawn fails instead of leaving an orphan running.
pub(crate) fn prepare_supervised_child(
    cmd: &mut Command,
    fd: RawFd,
    target: RawFd,
    death_signal: Signal,
) {
    let parent = nix::unistd::getpid();
    // SAFETY: between fork and exec the closure only calls prctl, getppid,
    // fcntl and dup2, which are async-signal-safe, on descriptors this
    // process owns; it allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, death_signal as libc::c_ulong) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::getppid() != parent.as_raw() {
                return Err(std::io::Error::other("the supervising process is gone"));
            }
            if fd == target {
                let flags = libc::fcntl(fd, libc::F_GETFD);
                if flags < 0 || libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            } else if libc::dup2(fd, target) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// SIGKILL each of `pids` and the process group it leads, if it leads one
/// (ktstr's Fork workers each lead their own group).
pub(crate) fn kill_all(pids: &[i32]) {
    for &pid in pids {
        let p = Pid::from_raw(pid);
        let _ = killpg(p, Signal::SIGKILL);
        let _ = kill(p, Signal::SIGKILL);
    }
}
