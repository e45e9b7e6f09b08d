//! [`WorkloadHandle`]: spawn, start, observe, stop and collect a workload.
//!
//! The two-phase start: `spawn` creates every worker and returns once each
//! is blocked on the shared start word (so the caller can move them into
//! cgroups before they run a single instruction of work); `start` releases
//! them all with one futex wake. `stop_and_collect` raises the stop word,
//! runs the bodies' stop hooks (e.g. a stop token into the pipe a worker
//! blocks reading), sends SIGUSR1 to worker processes and pcomm worker
//! threads (to interrupt blocking calls), reads every report pipe
//! concurrently under one 5 s deadline, then kills and reaps whatever is
//! left. Dropping the handle without collecting stops the same way, then
//! kills and reaps everything.

use std::os::fd::OwnedFd;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use super::collect::{read_all, Received};
use super::control::Control;
use super::report::{ExitInfo, WorkerReport};
use super::run::frame;
use super::task_ops::{join_threads, kill_and_reap, signal_thread};
use super::timekeeper::{self, Elevation};
use super::types::StopHook;
use super::SchedPolicy;
mod create;
mod snapshot;

pub use create::SpawnProgress;
pub use snapshot::WorkerSample;

use crate::cpuset::CpuSet;
use crate::sys::{sched, Tid};
use crate::{Error, Result};

/// How long `stop_and_collect` waits for reports, for all workers together.
pub const COLLECT_DEADLINE: Duration = Duration::from_secs(5);

/// How long `spawn` waits for every worker to be ready.
pub const READY_DEADLINE: Duration = Duration::from_secs(20);

/// How long teardown waits for Thread workers (which cannot be killed) to
/// return after stop.
const THREAD_GRACE: Duration = Duration::from_secs(2);

/// The tasks behind the handle.
enum Tasks {
    /// Fork mode: one process per worker, each its own process group.
    Processes(Vec<Pid>),
    /// Thread mode: threads of this process.
    Threads(Vec<JoinHandle<()>>),
    /// pcomm: one container process hosting every worker as a thread.
    Container(Option<Pid>),
}

/// RAII handle to a spawned workload; see the module doc.
///
/// ```no_run
/// use ktstr::prelude::*;
/// # fn main() -> ktstr::Result<()> {
/// let config = WorkloadConfig { num_workers: 4, work_type: WorkType::Mixed, ..Default::default() };
/// let mut handle = WorkloadHandle::spawn(&config)?;
/// // move handle.worker_pids_for_cgroup_procs()? into a cgroup here
/// handle.start();
/// std::thread::sleep(std::time::Duration::from_secs(1));
/// let reports = handle.stop_and_collect();
/// assert_eq!(reports.len(), 4);
/// # Ok(()) }
/// ```
#[must_use = "dropping a WorkloadHandle immediately tears down all worker tasks"]
pub struct WorkloadHandle {
    ctl: Arc<Control>,
    work_type: &'static str,
    tasks: Tasks,
    tids: Vec<Tid>,
    reports: Vec<Option<OwnedFd>>,
    /// Run once at stop, then dropped (see `StopHook`).
    stop_hooks: Vec<Box<dyn StopHook>>,
    started: bool,
    /// The workers' policy, which the controller's priority must exceed.
    policy: SchedPolicy,
    /// The controlling thread's real-time hold, from `start` until the
    /// workers are collected (see `timekeeper`).
    elevation: Option<Elevation>,
    /// Why the controlling thread could not be elevated, for the reports.
    controller_note: Option<String>,
}

impl std::fmt::Debug for WorkloadHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkloadHandle")
            .field("work_type", &self.work_type)
            .field("tids", &self.tids)
            .field("started", &self.started)
            .finish()
    }
}

impl WorkloadHandle {
    /// Release every worker to begin its work (one futex wake for all).
    /// Idempotent: a second call does nothing.
    ///
    /// From here until the workers are collected (or the handle dropped),
    /// the calling thread runs at `SCHED_FIFO` priority 1, so that it is
    /// not left waiting for a CPU behind its own workers: its `start()`,
    /// its `sleep(duration)` and its stop come on time however many workers
    /// run. It sleeps nearly all that time, so the workers get the same
    /// CPU; work the caller does itself in between (a busy loop on the
    /// same thread) also runs at that priority, so keep it short. Where
    /// real-time scheduling is refused, every report carries a note saying
    /// so. Measured on a 2-CPU VM: `start()` of 512 Fork
    /// spinners took 1.4-4.6 s before, and takes well under 10 ms now.
    pub fn start(&mut self) {
        if !self.started {
            self.started = true;
            match timekeeper::elevate(self.policy) {
                Ok(e) => self.elevation = Some(e),
                Err(note) => self.controller_note = Some(note),
            }
            self.ctl.release();
        }
    }

    /// Whether [`start`](Self::start) has been called.
    pub fn is_started(&self) -> bool {
        self.started
    }

    /// Number of workers.
    pub fn num_workers(&self) -> usize {
        self.tids.len()
    }

    /// The workers' task ids in spawn order: pids of Fork workers, tids of
    /// Thread and pcomm workers (for `cgroup.threads` / v1 `tasks`).
    pub fn worker_pids(&self) -> Vec<libc::pid_t> {
        self.tids.iter().map(|t| t.as_raw()).collect()
    }

    /// The pids to write to `cgroup.procs`: every Fork worker, or the one
    /// pcomm container (which carries all its worker threads with it).
    ///
    /// Errors for Thread mode, whose workers share the spawner's tgid:
    /// moving them through `cgroup.procs` would move the spawner itself.
    pub fn worker_pids_for_cgroup_procs(&self) -> Result<Vec<libc::pid_t>> {
        match &self.tasks {
            Tasks::Processes(pids) => Ok(pids.iter().map(|p| p.as_raw()).collect()),
            Tasks::Container(pid) => Ok(pid.iter().map(|p| p.as_raw()).collect()),
            Tasks::Threads(_) => Err(Error::ThreadsNotProcesses {
                tgid: std::process::id() as i32,
            }),
        }
    }

    /// The pid of the pcomm container, when there is one.
    pub fn container_pid(&self) -> Option<libc::pid_t> {
        match &self.tasks {
            Tasks::Container(pid) => pid.map(|p| p.as_raw()),
            _ => None,
        }
    }

    /// `sched_setaffinity` on worker `idx` now. Called before `start`, the
    /// mask replaces the worker's configured affinity. Note that moving a
    /// task into a cpuset cgroup afterwards resets its mask (kernel rule).
    #[doc(alias = "sched_setaffinity")]
    pub fn set_affinity(&self, idx: usize, cpus: &CpuSet) -> Result<()> {
        let count = self.tids.len();
        let tid = *self
            .tids
            .get(idx)
            .ok_or(Error::WorkerIndex { index: idx, count })?;
        let online = sched::online_cpus();
        if cpus.is_empty() {
            return Err(Error::InvalidConfig(format!(
                "set_affinity({idx}): the CPU set is empty (online CPUs: {online})"
            )));
        }
        let missing = cpus.difference(online);
        if !missing.is_empty() {
            return Err(Error::InvalidConfig(format!(
                "set_affinity({idx}): CPU(s) {missing} do not exist or are offline (online CPUs: {online})"
            )));
        }
        if !self.started {
            self.ctl
                .slot(idx)
                .affinity_overridden
                .store(1, Ordering::Release);
        }
        sched::set_affinity(tid, cpus).map_err(|e| {
            Error::os(
                format!("sched_setaffinity(worker {idx}, tid {tid}, {cpus})"),
                e,
            )
        })
    }

    /// Every worker's iteration count now (relaxed loads from shared
    /// memory). Counts only grow; they stay 0 until `start`.
    pub fn snapshot_iterations(&self) -> Vec<u64> {
        (0..self.ctl.workers())
            .map(|i| self.ctl.slot(i).iterations.load(Ordering::Relaxed))
            .collect()
    }

    /// Stop every worker and return one report per worker, in spawn order.
    ///
    /// Starts the workers first if `start` was not called. Raises the stop
    /// word, wakes the workers blocked where it cannot reach them (such as a
    /// `PipeIo` reader: a stop token in its pipe), sends SIGUSR1 to worker
    /// processes, or to each pcomm worker thread, to interrupt blocking
    /// calls, reads all reports concurrently under one
    /// [`COLLECT_DEADLINE`], then SIGKILLs and reaps every process (and its
    /// process group). A worker with no report gets a sentinel
    /// report saying why (`TimedOut`, `Killed(sig)`, `Exited(code)`, ...).
    pub fn stop_and_collect(mut self) -> Vec<WorkerReport> {
        self.start();
        self.request_stop();
        match &self.tasks {
            Tasks::Processes(pids) => {
                for &pid in pids {
                    let _ = kill(pid, Signal::SIGUSR1);
                }
            }
            // A process-directed signal would reach one thread only (the
            // container's main thread, parked in join): signal each worker.
            Tasks::Container(Some(pid)) => {
                for &tid in &self.tids {
                    signal_thread(*pid, tid, Signal::SIGUSR1);
                }
            }
            _ => {}
        }
        let received = read_all(&mut self.reports, Instant::now() + COLLECT_DEADLINE);
        let exits = self.reap();
        self.elevation = None;
        let mut reports: Vec<WorkerReport> = received
            .into_iter()
            .enumerate()
            .map(|(i, got)| self.report_of(i, got, &exits[i]))
            .collect();
        if let Some(note) = &self.controller_note {
            for r in &mut reports {
                r.notes.push(note.clone());
            }
        }
        reports
    }

    /// Raise the stop word, then run (and drop) the stop hooks: what a hook
    /// wrote stays where its worker will find it, so a worker that has not
    /// blocked yet still sees it.
    fn request_stop(&mut self) {
        self.ctl.request_stop();
        for hook in self.stop_hooks.drain(..) {
            hook.wake();
        }
    }

    /// Kill and reap every task; the exit of each worker's task.
    fn reap(&mut self) -> Vec<Option<ExitInfo>> {
        let n = self.tids.len();
        match std::mem::replace(&mut self.tasks, Tasks::Container(None)) {
            Tasks::Processes(pids) => pids.into_iter().map(|p| Some(kill_and_reap(p))).collect(),
            Tasks::Container(pid) => {
                let info = pid.map(kill_and_reap);
                vec![info; n]
            }
            Tasks::Threads(threads) => join_threads(threads, THREAD_GRACE)
                .into_iter()
                .map(|done| (!done).then_some(ExitInfo::TimedOut))
                .collect(),
        }
    }

    fn report_of(&self, i: usize, got: Received, exit: &Option<ExitInfo>) -> WorkerReport {
        let tid = self.tids[i];
        let why = match (got.eof, exit) {
            (false, _) => ExitInfo::TimedOut,
            (true, Some(info)) => info.clone(),
            (true, None) => ExitInfo::Exited(0),
        };
        match frame(&got.bytes).map(serde_json::from_slice::<WorkerReport>) {
            Some(Ok(r)) => r,
            Some(Err(e)) => {
                eprintln!("ktstr: worker {i} (tid {tid}) sent an unreadable report: {e}");
                WorkerReport::sentinel(i, tid.as_raw(), self.work_type, why)
            }
            None => WorkerReport::sentinel(i, tid.as_raw(), self.work_type, why),
        }
    }
}

impl Drop for WorkloadHandle {
    fn drop(&mut self) {
        self.request_stop();
        // Closing the read ends turns any report write into EPIPE, so no
        // worker blocks on a full pipe.
        self.reports.clear();
        let _ = self.reap();
    }
}
