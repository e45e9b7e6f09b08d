//! Plumbing of a workload's tasks: report pipes, signals to worker
//! threads, killing and reaping worker processes, joining worker threads.

use std::os::fd::{AsFd, OwnedFd};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::sys::signal::{kill, killpg, Signal};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{pipe2, Pid};

use super::report::ExitInfo;
use crate::sys::Tid;
use crate::{Error, Result};

pub(super) fn report_pipe(index: usize) -> Result<(OwnedFd, OwnedFd)> {
    let op = || format!("create the report pipe of worker {index}");
    let (r, w) = pipe2(OFlag::O_CLOEXEC).map_err(|e| Error::os(op(), e))?;
    fcntl(
        r.as_fd().as_raw_fd_compat(),
        FcntlArg::F_SETFL(OFlag::O_NONBLOCK),
    )
    .map_err(|e| Error::os(op(), e))?;
    Ok((r, w))
}

/// nix 0.29 takes raw fds in `fcntl`.
trait RawCompat {
    fn as_raw_fd_compat(&self) -> std::os::fd::RawFd;
}
impl RawCompat for std::os::fd::BorrowedFd<'_> {
    fn as_raw_fd_compat(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd;
        self.as_raw_fd()
    }
}

/// Send `sig` to thread `tid` of process `tgid`; a thread already gone
/// (ESRCH) is not an error here.
pub(super) fn signal_thread(tgid: Pid, tid: Tid, sig: Signal) {
    let _ = crate::sys::signal::tgkill(tgid, tid, sig as i32);
}

/// Kill a worker process's group and the process, then reap it.
pub(super) fn kill_and_reap(pid: Pid) -> ExitInfo {
    let _ = killpg(pid, Signal::SIGKILL);
    let _ = kill(pid, Signal::SIGKILL);
    loop {
        match waitpid(pid, None) {
            Ok(WaitStatus::Exited(_, code)) => return ExitInfo::Exited(code),
            Ok(WaitStatus::Signaled(_, sig, _)) => return ExitInfo::Killed(sig as i32),
            Ok(_) => continue,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return ExitInfo::WaitFailed(e as i32),
        }
    }
}

/// Wait up to `grace` for threads to return; join those that did and
/// abandon the rest. Returns which threads finished.
pub(super) fn join_threads(threads: Vec<JoinHandle<()>>, grace: Duration) -> Vec<bool> {
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline && !threads.iter().all(|t| t.is_finished()) {
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut finished = Vec::with_capacity(threads.len());
    let mut stuck = 0;
    for t in threads {
        if t.is_finished() {
            let _ = t.join();
            finished.push(true);
        } else {
            stuck += 1;
            finished.push(false);
        }
    }
    if stuck > 0 {
        eprintln!(
            "ktstr: {stuck} Thread-mode worker(s) ignored stop for {} ms and were abandoned \
             (threads cannot be killed; they end with the process)",
            grace.as_millis()
        );
    }
    finished
}
