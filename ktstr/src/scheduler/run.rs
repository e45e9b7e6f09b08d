//! [`SchedulerRun`]: one supervised scheduler process.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

use super::error::{FailureKind, SchedulerError, SchedulerFailure};
use super::kmsg::{find_disabled, KmsgTail};
use super::output::{exit_dump, last_lines, OutputLog, DUMP_LINES, TAIL_LINES};
use super::{RunOptions, SchedExtSysfs, Scheduler};

/// What the watcher saw first: kind, details, when.
type Seen = (FailureKind, String, Duration);

/// The sched_ext lines of the kernel log since the start, drained by the
/// watcher as it polls (so a busy log cannot overwrite them first).
struct KernelLog {
    tail: Result<KmsgTail, String>,
    lines: Vec<String>,
}

impl KernelLog {
    fn drain(&mut self) {
        if let Ok(t) = &mut self.tail {
            self.lines
                .extend(t.read_new().into_iter().filter(|l| l.contains("sched_ext")));
            let excess = self.lines.len().saturating_sub(200);
            self.lines.drain(..excess);
        }
    }
}

struct Shared {
    child: Mutex<Child>,
    kernel: Mutex<KernelLog>,
    seen: Mutex<Option<Seen>>,
    done: AtomicBool,
}

/// A running, attached scheduler, watched by a background thread. Stop it
/// with [`SchedulerRun::stop`]; dropping it stops it without the checks.
pub struct SchedulerRun {
    cmd: String,
    opts: RunOptions,
    shared: Arc<Shared>,
    pgid: Pid,
    log: OutputLog,
    started: Instant,
    attached_after: Duration,
    ops: Option<String>,
    watcher: Option<JoinHandle<()>>,
    stopped: bool,
}

impl std::fmt::Debug for SchedulerRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchedulerRun")
            .field("cmd", &self.cmd)
            .field("pgid", &self.pgid)
            .field("attached_after", &self.attached_after)
            .field("ops", &self.ops)
            .finish()
    }
}

/// How a scheduler ended after a clean run.
#[derive(Clone, Debug)]
pub struct Stopped {
    /// How long it took to exit after SIGINT.
    pub exit_after: Duration,
    /// It did not exit on SIGINT and was killed.
    pub killed: bool,
    /// Its last output lines.
    pub output_tail: String,
}

fn alive_state(sysfs: &SchedExtSysfs, prefix: Option<&str>) -> Result<(), String> {
    let state = sysfs.state().unwrap_or_default();
    if state != "enabled" {
        return Err(format!("state {state:?}"));
    }
    match (prefix, sysfs.ops()) {
        (Some(p), Some(ops)) if !ops.starts_with(p) => {
            Err(format!("ops {ops:?} does not start with {p:?}"))
        }
        (Some(p), None) => Err(format!("no ops attached (expected {p:?}...)")),
        _ => Ok(()),
    }
}

impl SchedulerRun {
    /// Start `sched` with the default options; see
    /// [`SchedulerRun::start_with`].
    pub fn start(sched: &Scheduler) -> Result<SchedulerRun, SchedulerError> {
        SchedulerRun::start_with(sched, RunOptions::default())
    }

    /// Start `sched` in its own process group (SIGKILLed when the thread
    /// that started it exits, so it never outlives the test), wait until the kernel reports it attached (state
    /// `enabled` and, when the scheduler names one, ops with its prefix),
    /// then watch it in a background thread.
    pub fn start_with(sched: &Scheduler, opts: RunOptions) -> Result<SchedulerRun, SchedulerError> {
        let cmd = sched.to_string();
        if !opts.sysfs.present() {
            return Err(SchedulerError::NoSchedExt {
                cmd,
                path: opts.sysfs.dir().display().to_string(),
            });
        }
        let bin = sched.resolve_binary()?;
        // A scheduler of the test before may still be leaving.
        let deadline = opts.fallback_deadline.mul_f64(opts.scale);
        let t = Instant::now();
        loop {
            match opts.sysfs.state() {
                Some(s) if s == "disabled" => break,
                _ if t.elapsed() < deadline => std::thread::sleep(Duration::from_millis(20)),
                state => {
                    return Err(SchedulerError::Busy {
                        cmd,
                        state: state.unwrap_or_default(),
                        ops: opts.sysfs.ops(),
                    })
                }
            }
        }
        let spawn_err = |source| SchedulerError::Spawn {
            cmd: cmd.clone(),
            source,
        };
        let kmsg = match &opts.kmsg {
            Some(p) => KmsgTail::open(p).map_err(|e| format!("{}: {e}", p.display())),
            None => Err("no kernel log configured".into()),
        };
        let log = OutputLog::new().map_err(spawn_err)?;
        let mut command = Command::new(&bin);
        command
            .args(sched.command_args(opts.scale))
            .stdin(Stdio::null())
            .stdout(log.handle().map_err(spawn_err)?)
            .stderr(log.handle().map_err(spawn_err)?)
            .process_group(0);
        crate::sys::process::die_with_parent(&mut command, nix::sys::signal::Signal::SIGKILL);
        let started = Instant::now();
        let child = command.spawn().map_err(spawn_err)?;
        let pgid = Pid::from_raw(child.id() as i32);
        let mut run = SchedulerRun {
            cmd,
            opts,
            shared: Arc::new(Shared {
                child: Mutex::new(child),
                kernel: Mutex::new(KernelLog {
                    tail: kmsg,
                    lines: Vec::new(),
                }),
                seen: Mutex::new(None),
                done: AtomicBool::new(false),
            }),
            pgid,
            log,
            started,
            attached_after: Duration::ZERO,
            ops: None,
            watcher: None,
            stopped: false,
        };
        if let Some((kind, what)) = run.wait_attached(sched.ops_prefix) {
            let at = run.started.elapsed();
            return Err(run.fail(kind, what, at).into());
        }
        run.attached_after = run.started.elapsed();
        run.ops = run.opts.sysfs.ops();
        run.watcher = Some(run.spawn_watcher(sched.ops_prefix));
        Ok(run)
    }

    /// Poll until attached; the failure when it did not.
    fn wait_attached(&mut self, prefix: Option<&str>) -> Option<(FailureKind, String)> {
        let deadline = self.opts.attach_deadline.mul_f64(self.opts.scale);
        loop {
            if let Ok(Some(status)) = self.shared.child.lock().unwrap().try_wait() {
                return Some((
                    FailureKind::ExitedBeforeAttach,
                    format!("exited ({status}) before attaching"),
                ));
            }
            let now = alive_state(&self.opts.sysfs, prefix);
            if now.is_ok() {
                return None;
            }
            if self.started.elapsed() >= deadline {
                let why = now.unwrap_err();
                let kind = if why.starts_with("ops") {
                    FailureKind::WrongOps
                } else {
                    FailureKind::NotAttached
                };
                return Some((
                    kind,
                    format!(
                        "did not attach within {:.1} s ({why})",
                        deadline.as_secs_f64()
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn spawn_watcher(&self, prefix: Option<&'static str>) -> JoinHandle<()> {
        let shared = Arc::clone(&self.shared);
        let sysfs = self.opts.sysfs.clone();
        let poll = self.opts.poll;
        let started = self.started;
        std::thread::Builder::new()
            .name("ktstr-sched-watch".into())
            .spawn(move || {
                while !shared.done.load(Ordering::Acquire) {
                    shared.kernel.lock().unwrap().drain();
                    let exited = shared.child.lock().unwrap().try_wait().ok().flatten();
                    let seen = match exited {
                        Some(status) => Some((FailureKind::Exited, format!("exited ({status})"))),
                        None => alive_state(&sysfs, prefix).err().map(|why| {
                            (
                                FailureKind::Ejected,
                                format!("was ejected by the kernel ({why})"),
                            )
                        }),
                    };
                    if let Some((kind, what)) = seen {
                        *shared.seen.lock().unwrap() = Some((kind, what, started.elapsed()));
                        return;
                    }
                    std::thread::sleep(poll);
                }
            })
            .expect("spawn the scheduler watcher thread")
    }

    /// Its process id (also its process group id).
    pub fn pid(&self) -> u32 {
        self.pgid.as_raw() as u32
    }

    /// How long it took to attach after it was started.
    pub fn attached_after(&self) -> Duration {
        self.attached_after
    }

    /// The ops name the kernel reported once it attached.
    pub fn ops(&self) -> Option<&str> {
        self.ops.as_deref()
    }

    /// The first failure the watcher saw so far, if any.
    pub fn failure_seen(&self) -> Option<(FailureKind, Duration)> {
        self.shared
            .seen
            .lock()
            .unwrap()
            .as_ref()
            .map(|(k, _, at)| (*k, *at))
    }

    /// What it printed so far (its last lines).
    pub fn output(&self) -> String {
        last_lines(&self.log.read(), TAIL_LINES)
    }

    /// Stop it: end the watcher; if the watcher saw it exit or be ejected,
    /// that failure; else SIGINT to its group, SIGKILL at the (scaled)
    /// deadline, and check the kernel fell back to its default scheduler.
    pub fn stop(mut self) -> Result<Stopped, Box<SchedulerFailure>> {
        self.end_watcher();
        let seen = self.shared.seen.lock().unwrap().take();
        if let Some((kind, what, at)) = seen {
            return Err(Box::new(self.fail(kind, what, at)));
        }
        let (exit_after, killed) = self.terminate();
        let deadline = self.opts.fallback_deadline.mul_f64(self.opts.scale);
        let t = Instant::now();
        loop {
            let state = self.opts.sysfs.state().unwrap_or_default();
            if state == "disabled" {
                break;
            }
            if t.elapsed() >= deadline {
                let at = self.started.elapsed();
                let what = format!(
                    "exited, but the kernel did not fall back within {:.1} s (state {state:?})",
                    deadline.as_secs_f64()
                );
                return Err(Box::new(self.fail(FailureKind::NoFallback, what, at)));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Stopped {
            exit_after,
            killed,
            output_tail: self.output(),
        })
    }

    fn end_watcher(&mut self) {
        self.shared.done.store(true, Ordering::Release);
        if let Some(w) = self.watcher.take() {
            let _ = w.join();
        }
    }

    /// SIGINT to the group, SIGKILL at the deadline; (time to exit, killed).
    fn terminate(&mut self) -> (Duration, bool) {
        self.stopped = true;
        let t = Instant::now();
        let mut child = self.shared.child.lock().unwrap();
        if let Ok(Some(_)) = child.try_wait() {
            // Already gone: its group may still hold what it forked.
            let _ = killpg(self.pgid, Signal::SIGKILL);
            return (Duration::ZERO, false);
        }
        let _ = killpg(self.pgid, Signal::SIGINT);
        let deadline = self.opts.stop_deadline.mul_f64(self.opts.scale);
        while t.elapsed() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                let _ = killpg(self.pgid, Signal::SIGKILL);
                return (t.elapsed(), false);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = killpg(self.pgid, Signal::SIGKILL);
        let _ = child.wait();
        (t.elapsed(), true)
    }

    /// Stop it and gather everything about a failure.
    fn fail(&mut self, kind: FailureKind, mut what: String, at: Duration) -> SchedulerFailure {
        self.end_watcher();
        // Ejected, and gone by now: say how it ended too (a SIGKILL makes
        // the kernel drop it as it exits).
        if kind == FailureKind::Ejected {
            if let Ok(Some(status)) = self.shared.child.lock().unwrap().try_wait() {
                what.push_str(&format!(", and it exited ({status})"));
            }
        }
        self.terminate();
        // The kernel logs its reason while disabling; give it a moment.
        let wait = Duration::from_millis(500).mul_f64(self.opts.scale);
        let t = Instant::now();
        let kernel = loop {
            let mut log = self.shared.kernel.lock().unwrap();
            log.drain();
            let found = find_disabled(&log.lines);
            let unreadable = log.tail.is_err();
            drop(log);
            let attached = !matches!(
                kind,
                FailureKind::ExitedBeforeAttach | FailureKind::NotAttached
            );
            if found.is_some() || !attached || unreadable || t.elapsed() >= wait {
                break found;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let text = self.log.read();
        let attached = !self.attached_after.is_zero();
        SchedulerFailure {
            scheduler: self.cmd.clone(),
            kind,
            what,
            at,
            after_attach: attached.then(|| at.saturating_sub(self.attached_after)),
            kernel,
            kernel_log_error: self
                .shared
                .kernel
                .lock()
                .unwrap()
                .tail
                .as_ref()
                .err()
                .cloned(),
            output_tail: last_lines(&text, TAIL_LINES),
            exit_dump: exit_dump(&text, DUMP_LINES),
        }
    }
}

impl Drop for SchedulerRun {
    fn drop(&mut self) {
        self.end_watcher();
        if !self.stopped {
            self.terminate();
        }
    }
}
