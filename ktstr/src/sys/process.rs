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
    die_with_parent(cmd, death_signal);
    // SAFETY: between fork and exec the closure only calls fcntl and dup2,
    // which are async-signal-safe, on descriptors this process owns; it
    // allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
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

/// Make the process `cmd` starts get `signal` when the thread that spawns
/// it exits (`prctl(PR_SET_PDEATHSIG)`), and not start at all when that
/// parent is already gone (the race `PR_SET_PDEATHSIG` alone leaves open).
#[doc(alias = "PR_SET_PDEATHSIG")]
pub(crate) fn die_with_parent(cmd: &mut Command, signal: Signal) {
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs in the forked child before exec and only
    // makes two syscalls (prctl, getppid), both async-signal-safe; its
    // error is built without allocating.
    unsafe {
        cmd.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(signal)
                .map_err(|e| std::io::Error::from_raw_os_error(e as i32))?;
            if libc::getppid() != parent {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
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

/// A child forked and held before `exec` until [`Gate::release`], so the
/// caller can place it (in cgroups, say) before it runs a single
/// instruction of its program. It leads its own process group, dies with
/// the spawning thread (SIGKILL), and exits without running anything if
/// the gate is dropped unreleased.
#[derive(Debug)]
pub(crate) struct Gate {
    pid: Pid,
    release: Option<std::os::fd::OwnedFd>,
    exec_error: Option<std::os::fd::OwnedFd>,
}

/// Fork a child that will run `program` with `args` (`argv[0]` is the
/// program) and stdout/stderr on `out`/`err`, held at a [`Gate`].
pub(crate) fn spawn_gated(
    program: &std::path::Path,
    args: &[String],
    out: &std::fs::File,
    err: &std::fs::File,
) -> std::io::Result<Gate> {
    use std::ffi::CString;
    use std::os::fd::AsRawFd;
    use std::os::unix::ffi::OsStrExt;
    let cstr =
        |b: &[u8]| CString::new(b).map_err(|_| std::io::Error::other("a NUL byte in the command"));
    // Everything the child touches is allocated before fork.
    let path = cstr(program.as_os_str().as_bytes())?;
    let mut argv_owned = vec![path.clone()];
    for a in args {
        argv_owned.push(cstr(a.as_bytes())?);
    }
    let mut argv: Vec<*const libc::c_char> = argv_owned.iter().map(|c| c.as_ptr()).collect();
    argv.push(std::ptr::null());
    let devnull = std::fs::File::open("/dev/null")?;
    let (gate_r, gate_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    let (err_r, err_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    let parent = nix::unistd::getpid();
    let (fd_in, fd_out, fd_err) = (devnull.as_raw_fd(), out.as_raw_fd(), err.as_raw_fd());
    let (gr, gw, ew) = (gate_r.as_raw_fd(), gate_w.as_raw_fd(), err_w.as_raw_fd());
    // SAFETY: the child calls only async-signal-safe functions (prctl,
    // getppid, setpgid, close, read, dup2, signal, sigprocmask, execv,
    // write, _exit) on memory allocated before the fork, and never returns.
    match unsafe { nix::unistd::fork() }? {
        nix::unistd::ForkResult::Child => unsafe {
            let fail = |code: i32| -> ! {
                let e = *libc::__errno_location();
                libc::write(ew, (&e as *const i32).cast(), 4);
                libc::_exit(code)
            };
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0
                || libc::getppid() != parent.as_raw()
            {
                libc::_exit(127);
            }
            libc::setpgid(0, 0);
            libc::close(gw);
            let mut byte = 0u8;
            loop {
                let n = libc::read(gr, (&mut byte as *mut u8).cast(), 1);
                if n == 1 {
                    break;
                }
                if n == 0 || *libc::__errno_location() != libc::EINTR {
                    libc::_exit(127);
                }
            }
            if libc::dup2(fd_in, 0) < 0 || libc::dup2(fd_out, 1) < 0 || libc::dup2(fd_err, 2) < 0 {
                fail(127);
            }
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
            let mut none: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut none);
            libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
            libc::execv(argv[0], argv.as_ptr());
            fail(127)
        },
        nix::unistd::ForkResult::Parent { child } => {
            // Also from this side, so a killpg right away finds the group.
            let _ = nix::unistd::setpgid(child, child);
            drop((gate_r, err_w, devnull));
            Ok(Gate {
                pid: child,
                release: Some(gate_w),
                exec_error: Some(err_r),
            })
        }
    }
}

impl Gate {
    /// The held child's pid (and process group).
    pub(crate) fn pid(&self) -> Pid {
        self.pid
    }

    /// Let the child exec its program; an error when the exec failed.
    pub(crate) fn release(mut self) -> std::io::Result<()> {
        use std::io::{Read, Write};
        let w = self.release.take().expect("released once");
        std::fs::File::from(w).write_all(&[1])?;
        let mut errno = [0u8; 4];
        let mut r = std::fs::File::from(self.exec_error.take().expect("read once"));
        match r.read(&mut errno)? {
            4 => Err(std::io::Error::from_raw_os_error(i32::from_ne_bytes(errno))),
            _ => Ok(()),
        }
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        if self.release.is_some() {
            // Never released: the child exits at the closed gate; reap it.
            self.release = None;
            let _ = nix::sys::wait::waitpid(self.pid, None);
        }
    }
}

/// An unnamed read-write file in memory (`memfd_create`, close-on-exec):
/// captured output that needs no cleanup on any path. `name` shows in
/// `/proc/<pid>/fd` only.
pub(crate) fn anonymous_file(name: &std::ffi::CStr) -> std::io::Result<std::fs::File> {
    use nix::sys::memfd::{memfd_create, MemFdCreateFlag};
    let fd = memfd_create(name, MemFdCreateFlag::MFD_CLOEXEC).map_err(std::io::Error::from)?;
    Ok(std::fs::File::from(fd))
}

/// `_exit(2)`: end the calling process now, without running atexit
/// handlers or destructors (the way out of a forked child).
pub(crate) fn exit_now(code: i32) -> ! {
    // SAFETY: `_exit` ends the process; nothing of ours runs after it.
    unsafe { libc::_exit(code) }
}

/// `fork(2)`: run `child` in a new process, which then [`exit_now`]s
/// with the code `child` returns (101 when it panicked): it never returns
/// into the caller's code. Returns the child's pid in the parent.
///
/// The child is a copy of the calling thread only. It may allocate (glibc
/// resets its allocator locks across fork) but must not wait for locks
/// that another thread of the parent may have held at the fork.
pub(crate) fn fork_then(child: impl FnOnce() -> i32) -> nix::Result<Pid> {
    // SAFETY: in the child, only `child` runs (under catch_unwind) and the
    // process then `_exit`s, so it never returns into code that assumes
    // the parent's other threads exist; the documented limits above are
    // the caller's to keep.
    match unsafe { nix::unistd::fork() }? {
        nix::unistd::ForkResult::Child => {
            let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(child));
            exit_now(code.unwrap_or(101))
        }
        nix::unistd::ForkResult::Parent { child } => Ok(child),
    }
}
