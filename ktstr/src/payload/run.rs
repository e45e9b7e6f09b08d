//! [`PayloadRun`]: one running load generator, in its own process group,
//! its output captured, placed (in cgroups) before its program runs.

use std::io::{Read, Seek};
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

use super::report::{PayloadExit, PayloadReport};
use super::{parse, Payload, PayloadError, PayloadKind};
use crate::sys::process::{anonymous_file, spawn_gated};

/// How long a stopped payload has to print its results and exit after
/// SIGINT before it is SIGKILLed.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// Output lines kept in a report.
const TAIL_LINES: usize = 40;

/// A running payload. Dropping it kills its process group.
#[derive(Debug)]
pub struct PayloadRun {
    payload: Payload,
    /// The payload's pid while it is unreaped.
    child: Option<Pid>,
    log: std::fs::File,
    started: Instant,
    /// Its exit, once seen.
    ended: Option<WaitStatus>,
}

impl Payload {
    /// Start it here, in this process's cgroups.
    pub fn start(&self) -> Result<PayloadRun, PayloadError> {
        self.start_placed(|_| Ok(()))
    }

    /// Start it, calling `place(pid)` before its program runs (to move it
    /// into a cgroup); an error from `place` kills it and is returned.
    pub fn start_placed(
        &self,
        place: impl FnOnce(i32) -> Result<(), String>,
    ) -> Result<PayloadRun, PayloadError> {
        let path = self.locate()?;
        let fail = |why: String| PayloadError::Start {
            command: self.command_line(),
            why,
        };
        let log = anonymous_file(c"ktstr-payload-output")
            .map_err(|e| fail(format!("no temp file for its output: {e}")))?;
        let gate = spawn_gated(&path, &self.args, &log, &log).map_err(|e| fail(e.to_string()))?;
        let pid = gate.pid();
        let mut run = PayloadRun {
            payload: self.clone(),
            child: Some(pid),
            log,
            started: Instant::now(),
            ended: None,
        };
        if let Err(why) = place(pid.as_raw()) {
            drop(gate);
            run.child = None;
            return Err(fail(format!("placing it failed: {why}")));
        }
        if let Err(e) = gate.release() {
            run.kill();
            return Err(fail(format!("cannot run {}: {e}", path.display())));
        }
        run.started = Instant::now();
        Ok(run)
    }
}

impl PayloadRun {
    /// Its process id (and process group).
    pub fn pid(&self) -> i32 {
        self.child.map_or(0, Pid::as_raw)
    }

    /// Whether it is still running. (Once it is seen ended, its exit is
    /// kept for the report.)
    pub fn is_running(&mut self) -> bool {
        if self.ended.is_some() {
            return false;
        }
        self.ended = self.try_status();
        self.ended.is_none()
    }

    /// Wait for it to end by itself, up to `timeout`; past that it is
    /// killed and reported [`PayloadExit::TimedOut`].
    pub fn wait(mut self, timeout: Duration) -> PayloadReport {
        let end = Instant::now() + timeout;
        let status = loop {
            if let Some(s) = self.try_status() {
                break Some(s);
            }
            if Instant::now() >= end {
                break None;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        match status {
            Some(s) => self.report(Self::exit_of(s, false), false),
            None => {
                self.kill();
                self.report(PayloadExit::TimedOut, true)
            }
        }
    }

    /// Stop it now: SIGINT to its group (tools print their results and
    /// exit), up to 5 s, then SIGKILL.
    pub fn stop(mut self) -> PayloadReport {
        if let Some(s) = self.try_status() {
            return self.report(Self::exit_of(s, false), false);
        }
        let _ = killpg(Pid::from_raw(self.pid()), Signal::SIGINT);
        let end = Instant::now() + STOP_GRACE;
        while Instant::now() < end {
            if let Some(s) = self.try_status() {
                return self.report(Self::exit_of(s, true), true);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.kill();
        self.report(
            PayloadExit::Signaled {
                signal: "SIGKILL".into(),
                requested: true,
            },
            true,
        )
    }

    fn try_status(&mut self) -> Option<WaitStatus> {
        if let Some(s) = self.ended {
            return Some(s);
        }
        match waitpid(self.child?, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => None,
            Ok(s) => {
                self.ended = Some(s);
                Some(s)
            }
            Err(_) => None,
        }
    }

    fn exit_of(s: WaitStatus, requested: bool) -> PayloadExit {
        match s {
            WaitStatus::Exited(_, c) => PayloadExit::Exited(c),
            WaitStatus::Signaled(_, sig, _) => PayloadExit::Signaled {
                signal: sig.as_str().to_string(),
                requested,
            },
            _ => PayloadExit::Exited(-1),
        }
    }

    fn kill(&mut self) {
        if let Some(pid) = self.child.take() {
            let _ = killpg(pid, Signal::SIGKILL);
            if self.ended.is_none() {
                let _ = waitpid(pid, None);
            }
        }
    }

    fn report(mut self, exit: PayloadExit, stopped: bool) -> PayloadReport {
        // The group may hold the tool's own workers: none may outlive it.
        if let Some(pid) = self.child.take() {
            let _ = killpg(pid, Signal::SIGKILL);
            if self.ended.is_none() {
                let _ = waitpid(pid, None);
            }
        }
        let mut text = String::new();
        let _ = self.log.seek(std::io::SeekFrom::Start(0));
        let _ = self.log.read_to_string(&mut text);
        let parsed = match self.payload.kind {
            PayloadKind::StressNg => parse::stress_ng(&text).map(Some),
            PayloadKind::Hackbench => parse::hackbench(&text).map(Some),
            PayloadKind::PerfBenchSched => parse::perf_bench_sched(&text).map(Some),
            PayloadKind::Command => Ok(None),
        };
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n");
        let (metrics, parse_error) = match parsed {
            Ok(m) => (m.unwrap_or_default(), None),
            Err(e) => (Default::default(), Some(e)),
        };
        PayloadReport {
            kind: self.payload.kind,
            command: self.payload.command_line(),
            exit,
            stopped,
            elapsed_ms: self.started.elapsed().as_millis() as u64,
            metrics,
            parse_error,
            output_tail: tail,
        }
    }
}

impl Drop for PayloadRun {
    fn drop(&mut self) {
        self.kill();
    }
}
