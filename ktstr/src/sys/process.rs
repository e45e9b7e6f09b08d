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

/// Holds a spawned child before `exec` until [`Gate::release`], so the
/// caller can place it (in cgroups, say) before it runs a single
/// instruction of its program. The child dies with the spawning thread
/// (SIGKILL) and never runs if the gate is dropped unreleased.
#[derive(Debug)]
pub(crate) struct Gate {
    release: Option<std::os::fd::OwnedFd>,
}

/// Arm `cmd` with a [`Gate`]; spawn it, place the child, then release it.
pub(crate) fn gate(cmd: &mut Command) -> std::io::Result<Gate> {
    use std::os::fd::AsRawFd;
    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    let (rfd, wfd) = (r.as_raw_fd(), w.as_raw_fd());
    let parent = nix::unistd::getpid();
    // SAFETY: between fork and exec the closure only calls prctl, getppid,
    // close and read (async-signal-safe) on descriptors this process owns;
    // `r` is moved into the closure so it stays open until exec closes it.
    unsafe {
        cmd.pre_exec(move || {
            let _keep = &r;
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::getppid() != parent.as_raw() {
                return Err(std::io::Error::other("the spawning process is gone"));
            }
            libc::close(wfd);
            let mut byte = 0u8;
            loop {
                let n = libc::read(rfd, (&mut byte as *mut u8).cast(), 1);
                if n == 1 {
                    return Ok(());
                }
                if n == 0 {
                    return Err(std::io::Error::other("not released: the spawner gave up"));
                }
                if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
                    return Err(std::io::Error::last_os_error());
                }
            }
        });
    }
    Ok(Gate { release: Some(w) })
}

impl Gate {
    /// Let the child exec its program.
    pub(crate) fn release(mut self) -> std::io::Result<()> {
        use std::io::Write;
        let w = self.release.take().expect("released once");
        std::fs::File::from(w).write_all(&[1])
    }
}

/// An unnamed read-write file in the temp dir (`O_TMPFILE`, else created
/// and unlinked at once): output that needs no cleanup on any path.
pub(crate) fn anonymous_file() -> std::io::Result<std::fs::File> {
    use nix::fcntl::{open, OFlag};
    use nix::sys::stat::Mode;
    let dir = std::env::temp_dir();
    match open(
        &dir,
        OFlag::O_TMPFILE | OFlag::O_RDWR | OFlag::O_CLOEXEC,
        Mode::from_bits_truncate(0o600),
    ) {
        Ok(fd) => {
            use std::os::fd::FromRawFd;
            // SAFETY: `open` returned a new descriptor that nothing else owns.
            Ok(unsafe { std::fs::File::from_raw_fd(fd) })
        }
        Err(_) => {
            let path = dir.join(format!(
                "ktstr-{}-{}.tmp",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0)
            ));
            let f = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&path)?;
            std::fs::remove_file(&path)?;
            Ok(f)
        }
    }
}
