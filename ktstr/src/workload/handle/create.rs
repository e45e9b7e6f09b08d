//! Creating a workload: [`WorkloadHandle::spawn`] and
//! [`WorkloadHandle::spawn_watched`], which fork or start every worker and
//! return once each waits for start.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::sys::wait::{waitid, Id, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

use super::{Tasks, WorkloadHandle, READY_DEADLINE};
use crate::sys::Tid;
use crate::workload::control::Control;
use crate::workload::run::Settings;
use crate::workload::spawn::process::{raw_fds, spawn_container, spawn_process};
use crate::workload::spawn::thread::spawn_thread;
use crate::workload::spawn::Launch;
use crate::workload::task_ops::report_pipe;
use crate::workload::timekeeper;
use crate::workload::types::{seats, StopHook};
use crate::workload::{CloneMode, WorkloadConfig};
use crate::{Error, Result};

/// How far [`WorkloadHandle::spawn_watched`] has got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpawnProgress {
    /// Workers created (forked or started), each then on its way to its
    /// start wait. A pcomm container creates its threads itself, so this
    /// counts the launches handed to it.
    pub created: usize,
    /// Workers waiting for start.
    pub ready: usize,
    /// Workers asked for.
    pub total: usize,
}

impl WorkloadHandle {
    /// Create the workers of `config`, blocked until [`start`](Self::start).
    ///
    /// Validates the whole config first (nothing is created for a bad one),
    /// and returns once every worker is waiting for start. On any error,
    /// everything created so far is killed, reaped and unmapped.
    ///
    /// Cost, measured on a 2-CPU VM: about 150-230 µs per Fork worker and
    /// 35-60 µs per Thread worker in a fresh process. Every fork copies the
    /// spawner's memory mappings, so a process that has run many threads
    /// (which leaves their stacks and malloc arenas mapped) forks about 4x
    /// slower; the harness runs each test in a fresh process.
    ///
    /// In a program that installed [`crate::interrupt::install`], a SIGINT
    /// or SIGTERM during the spawn stops it: everything created is stopped
    /// and reaped, and the result is [`Error::SpawnCancelled`].
    pub fn spawn(config: &WorkloadConfig) -> Result<WorkloadHandle> {
        Self::spawn_watched(config, &mut |_| !crate::interrupt::requested())
    }

    /// [`spawn`](Self::spawn), telling `watch` how far it got: after each
    /// worker is created, and about every 50 ms while waiting for them to
    /// be ready. When `watch` returns false, spawning stops, every worker
    /// created so far is stopped and reaped, and the result is
    /// [`Error::SpawnCancelled`]. `ktstr run` uses it to show progress for
    /// large counts and to stop spawning on Ctrl-C or SIGTERM:
    ///
    /// ```no_run
    /// use ktstr::prelude::*;
    /// # fn main() -> ktstr::Result<()> {
    /// let config = WorkloadConfig { num_workers: 2000, ..Default::default() };
    /// let handle = WorkloadHandle::spawn_watched(&config, &mut |p| {
    ///     eprint!("\r{}/{} created, {} ready", p.created, p.total, p.ready);
    ///     !ktstr::interrupt::requested()
    /// })?;
    /// # Ok(()) }
    /// ```
    pub fn spawn_watched(
        config: &WorkloadConfig,
        watch: &mut dyn FnMut(SpawnProgress) -> bool,
    ) -> Result<WorkloadHandle> {
        config.validate()?;
        // Spawning is the controller's work too: without the elevation the
        // spawner competes with every worker it already made (each wakes
        // to poll for its parent), and spawning grows quadratic. Children
        // do not inherit it (SCHED_RESET_ON_FORK). Refused: spawn anyway.
        let _spawning = timekeeper::elevate(config.sched_policy).ok();
        let n = config.num_workers;
        let family = config.work_type.family();
        let mut planned = family.plan(n).map_err(Error::InvalidConfig)?;
        let stop_hooks: Vec<Box<dyn StopHook>> = planned
            .iter_mut()
            .filter_map(|p| p.body.take_stop_hook())
            .collect();
        // The spawner's own descriptors (stop hooks): every child closes
        // them, so no worker holds them.
        let hook_fds: Vec<std::os::fd::RawFd> = stop_hooks.iter().flat_map(|k| k.fds()).collect();
        let seats = seats(&planned, family.name(), config);
        let ctl = Control::new(n)
            .map_err(|e| Error::os(format!("map the control block of {n} workers"), e))?;
        let ctl = Arc::new(ctl);
        let pcomm = config.spec.pcomm.clone();
        let tasks = match (&pcomm, config.clone_mode) {
            (Some(_), _) => Tasks::Container(None),
            (None, CloneMode::Fork) => Tasks::Processes(Vec::with_capacity(n)),
            (None, CloneMode::Thread) => Tasks::Threads(Vec::with_capacity(n)),
        };
        let mut h = WorkloadHandle {
            ctl,
            work_type: family.name(),
            tasks,
            tids: vec![Tid::from_raw(0); n],
            reports: Vec::with_capacity(n),
            stop_hooks,
            started: false,
            policy: config.sched_policy,
            elevation: None,
            controller_note: None,
        };
        let mut in_container = Vec::new();
        // Descriptors owned by each body (pipe ends): a Fork child closes
        // those of every body spawned after it, which the spawner still
        // holds when it forks (earlier bodies are already gone from here).
        let body_fds: Vec<Vec<std::os::fd::RawFd>> =
            planned.iter().map(|p| p.body.owned_fds()).collect();
        for (i, (plan, seat)) in planned.into_iter().zip(seats).enumerate() {
            let (r, w) = report_pipe(i)?;
            let comm = config.spec.comm.clone();
            let launch = Launch {
                seat,
                settings: Settings {
                    affinity: config.affinity.for_worker(i),
                    policy: config.sched_policy,
                    nice: config.nice,
                    mem_policy: config.mem_policy.clone(),
                    comm,
                },
                body: plan.body,
                report: w,
            };
            match &mut h.tasks {
                Tasks::Processes(pids) => {
                    let mut close = raw_fds(h.reports.iter().flatten());
                    close.extend(raw_fds([&r]));
                    close.extend(body_fds[i + 1..].iter().flatten());
                    close.extend(&hook_fds);
                    let pid = spawn_process(&h.ctl, launch, &close)?;
                    pids.push(pid);
                    h.tids[i] = Tid::from_raw(pid.as_raw());
                }
                Tasks::Threads(joins) => joins.push(spawn_thread(&h.ctl, launch, || true)?),
                Tasks::Container(_) => in_container.push(launch),
            }
            h.reports.push(Some(r));
            let p = SpawnProgress {
                created: i + 1,
                ready: h.ctl.ready(),
                total: n,
            };
            if !watch(p) {
                return Err(Error::SpawnCancelled {
                    created: i + 1,
                    count: n,
                });
            }
        }
        if let (Tasks::Container(slot), Some(pcomm)) = (&mut h.tasks, &pcomm) {
            let mut close = raw_fds(h.reports.iter().flatten());
            close.extend(&hook_fds);
            *slot = Some(spawn_container(&h.ctl, pcomm, in_container, &close)?);
        }
        let t = Instant::now();
        // A worker task that already ended will never be ready: fail now
        // rather than after READY_DEADLINE.
        let mut cancelled = false;
        // Called on every worker's ready wake: look for ended tasks (a
        // waitid per task) at most every 50 ms, or the wait is quadratic.
        let mut looked = t;
        let give_up = || {
            let p = SpawnProgress {
                created: n,
                ready: h.ctl.ready(),
                total: n,
            };
            cancelled = !watch(p);
            if cancelled {
                return true;
            }
            if looked.elapsed() < Duration::from_millis(50) {
                return false;
            }
            looked = Instant::now();
            h.any_task_ended()
        };
        let ready = h.ctl.wait_ready(n, t + READY_DEADLINE, give_up);
        if cancelled {
            return Err(Error::SpawnCancelled {
                created: n,
                count: n,
            });
        }
        if ready < n {
            return Err(Error::NotReady {
                ready,
                count: n,
                waited_ms: t.elapsed().as_millis() as u64,
            });
        }
        for (i, tid) in h.tids.iter_mut().enumerate() {
            *tid = Tid::from_raw(h.ctl.slot(i).tid.load(Ordering::Acquire));
        }
        Ok(h)
    }

    /// Whether a worker process, the pcomm container or a worker thread has
    /// already ended (without reaping it: teardown reads its status).
    fn any_task_ended(&self) -> bool {
        let ended = |pid: &Pid| {
            let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
            !matches!(waitid(Id::Pid(*pid), flags), Ok(WaitStatus::StillAlive))
        };
        match &self.tasks {
            Tasks::Processes(pids) => pids.iter().any(ended),
            Tasks::Container(pid) => pid.iter().any(ended),
            Tasks::Threads(threads) => threads.iter().any(|t| t.is_finished()),
        }
    }
}
