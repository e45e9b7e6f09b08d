//! Forked workers and the pcomm container.
//!
//! The child's first steps, before any work: die with the parent
//! (`PR_SET_PDEATHSIG`), leave if the parent is already gone, become its
//! own process-group leader (so one `killpg` also takes any grandchildren),
//! ignore SIGPIPE (a vanished partner must not kill it), install a no-op
//! SIGUSR1 handler without `SA_RESTART` (the stop signal interrupts
//! blocking calls), unblock signals, and close the spawner's ends of other
//! workers' report pipes. It then ends with `_exit`, never returning into
//! the spawner's code or running its destructors.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::Arc;

use nix::sys::signal::{SigSet, Signal};
use nix::unistd::{getppid, setpgid, Pid};

use super::thread::spawn_thread;
use super::Launch;
use crate::sys::{self, Tid};
use crate::workload::control::Control;
use crate::workload::run::{run_worker, send_report, set_comm};
use crate::{Error, Result};

/// Child-side setup common to Fork workers and the pcomm container.
fn child_setup(parent: Pid, close: &[RawFd]) {
    let _ = nix::sys::prctl::set_pdeathsig(Signal::SIGKILL);
    if getppid() != parent {
        sys::process::exit_now(0);
    }
    let _ = setpgid(Pid::from_raw(0), Pid::from_raw(0));
    let _ = sys::signal::ignore(Signal::SIGPIPE);
    let _ = sys::signal::interrupt_only(Signal::SIGUSR1);
    let _ = SigSet::empty().thread_set_mask();
    // The spawner's descriptors, inherited by fork and owned by nobody in
    // this child.
    sys::fd::close_all(&mut close.to_vec());
}

/// Run `f` in a new child process; the child `_exit`s when `f` returns
/// (101 if it panicked). Returns the child's pid.
fn fork_child(op: &str, close: &[RawFd], f: impl FnOnce(Pid)) -> Result<Pid> {
    let parent = nix::unistd::getpid();
    let child = sys::process::fork_then(|| {
        child_setup(parent, close);
        f(parent);
        0
    })
    .map_err(|e| Error::os(op, e))?;
    // Also set the group from this side, so a killpg right after spawn
    // cannot miss it (the classic double setpgid).
    let _ = setpgid(child, child);
    Ok(child)
}

/// Fork one worker process.
pub(crate) fn spawn_process(ctl: &Arc<Control>, launch: Launch, close: &[RawFd]) -> Result<Pid> {
    let op = format!(
        "fork worker {} of {}",
        launch.seat.index, launch.seat.num_workers
    );
    let Launch {
        seat,
        settings,
        body,
        report,
    } = launch;
    let ctl2 = ctl.clone();
    let pid = fork_child(&op, close, move |parent| {
        let alive = || getppid() == parent;
        if let Some(r) = run_worker(&ctl2, seat, &settings, body, alive) {
            send_report(report, &r);
        }
    })?;
    // The parent's copy of `body` and `report` were moved into the closure
    // and dropped with it, closing the parent's copies of the child's fds.
    Ok(pid)
}

/// Fork the pcomm container: one process named `pcomm` that runs every
/// worker as a thread and exits when they have all finished.
pub(crate) fn spawn_container(
    ctl: &Arc<Control>,
    pcomm: &str,
    launches: Vec<Launch>,
    close: &[RawFd],
) -> Result<Pid> {
    let ctl2 = ctl.clone();
    let pcomm = pcomm.to_string();
    fork_child("fork the pcomm container", close, move |parent| {
        set_comm(&pcomm);
        let mut joins = Vec::new();
        for launch in launches {
            let alive = move || getppid() == parent;
            match spawn_thread(&ctl2, launch, alive) {
                Ok(j) => joins.push(j),
                // Stop the threads already started (they have not been
                // started, so they return at once): the container then
                // exits, and the spawner sees it end before all are ready.
                Err(e) => {
                    eprintln!("ktstr: pcomm container {}: {e}", Tid::current());
                    ctl2.request_stop();
                    break;
                }
            }
        }
        for j in joins {
            let _ = j.join();
        }
    })
}

/// The raw fds of `fds`, for the child to close.
pub(crate) fn raw_fds<'a>(fds: impl IntoIterator<Item = &'a OwnedFd>) -> Vec<RawFd> {
    fds.into_iter().map(|f| f.as_raw_fd()).collect()
}
