//! The parent side: run one test in a child process of this same binary,
//! in its own process group, with its output captured, a timeout, and its
//! outcome read from a pipe.
//!
//! Escalation on timeout: SIGTERM to the child's process group, a 2 s grace
//! period while output is still drained, then SIGKILL. After the child
//! exits, any process still in its group (a grandchild that ignored
//! SIGTERM) is killed the same way and reported.
//!
//! Interrupts: when the harness gets SIGINT or SIGTERM
//! ([`crate::interrupt`]), the child gets SIGTERM, tears itself down (its
//! workers killed, its cgroups removed, see `child.rs`) and has
//! [`INTERRUPT_GRACE`] to exit before its group is SIGKILLed. The child
//! also gets SIGTERM from the kernel if the harness dies
//! (`PR_SET_PDEATHSIG`), and tears down the same way.

use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;

use super::child::{ENV_TEST, RESULT_FD};
use super::TestOutcome;

/// Output beyond this many bytes is runaway: the test is killed.
pub(crate) const RUNAWAY_BYTES: usize = 64 << 20;
/// How much of the output is kept to show: the head and the tail.
const KEEP_HEAD: usize = 32 << 10;
const KEEP_TAIL: usize = 96 << 10;
/// Grace between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_secs(2);
/// How long an interrupted child has to tear itself down before SIGKILL.
pub(crate) const INTERRUPT_GRACE: Duration = Duration::from_millis(1000);

/// What the supervisor saw.
#[derive(Debug)]
pub(crate) struct Supervised {
    /// The child's outcome, or why there is none.
    pub outcome: Result<TestOutcome, String>,
    /// Captured output (empty with --nocapture).
    pub output: Captured,
    /// Wall time of the child.
    pub elapsed: Duration,
    /// Problems that are the test's fault even if it passed (leaked
    /// processes).
    pub faults: Vec<String>,
    /// The signal that interrupted the harness while this test ran.
    pub interrupted: Option<Signal>,
    /// The VM the test ran in (VM mode only).
    pub vm: Option<super::vm::VmInfo>,
}

/// Captured stdout+stderr, interleaved in arrival order, head and tail.
#[derive(Debug, Default)]
pub(crate) struct Captured {
    head: Vec<u8>,
    tail: Vec<u8>,
    /// Bytes seen in all.
    pub total: usize,
}

impl Captured {
    pub(crate) fn push(&mut self, data: &[u8]) {
        self.total += data.len();
        let room = KEEP_HEAD.saturating_sub(self.head.len());
        let (h, t) = data.split_at(room.min(data.len()));
        self.head.extend_from_slice(h);
        self.tail.extend_from_slice(t);
        if self.tail.len() > 2 * KEEP_TAIL {
            self.tail.drain(..self.tail.len() - KEEP_TAIL);
        }
    }

    /// The kept output as text, with a marker where bytes were dropped.
    pub fn text(&self) -> String {
        let mut s = String::from_utf8_lossy(&self.head).into_owned();
        let tail = &self.tail[self.tail.len().saturating_sub(KEEP_TAIL)..];
        let dropped = self.total - self.head.len() - tail.len();
        if dropped > 0 {
            s.push_str(&format!(
                "\n[... {dropped} bytes of output not shown ...]\n"
            ));
        }
        s.push_str(&String::from_utf8_lossy(tail));
        s
    }
}

fn signal_name(sig: i32) -> String {
    Signal::try_from(sig)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| format!("signal {sig}"))
}

/// Why a child that sent no outcome ended.
pub(crate) fn describe_exit(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => {
            format!("exited with code {code} before reporting a result (did the test call exit()?)")
        }
        (None, Some(sig)) => format!(
            "killed by {}{}",
            signal_name(sig),
            if status.core_dumped() {
                " (core dumped)"
            } else {
                ""
            }
        ),
        _ => "ended without a result".into(),
    }
}

/// Options for one supervised run.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Options {
    /// Let the child write to our stdout/stderr directly.
    pub nocapture: bool,
    /// Kill the child after this long.
    pub timeout: Duration,
}

fn group_alive(pgid: Pid) -> bool {
    killpg(pgid, None).is_ok()
}

/// SIGTERM the group, wait up to GRACE for it to empty, then SIGKILL.
fn terminate_group(pgid: Pid) {
    let _ = killpg(pgid, Signal::SIGTERM);
    let end = Instant::now() + GRACE;
    while Instant::now() < end && group_alive(pgid) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = killpg(pgid, Signal::SIGKILL);
}

fn spawn(test: &str, nocapture: bool) -> std::io::Result<(Child, OwnedFd)> {
    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.env(ENV_TEST, test)
        .stdin(Stdio::null())
        .process_group(0);
    if !nocapture {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    }
    // The child tears itself down on SIGTERM, also when we die.
    crate::sys::process::prepare_supervised_child(
        &mut cmd,
        w.as_raw_fd(),
        RESULT_FD,
        Signal::SIGTERM,
    );
    let child = cmd.spawn()?;
    drop(w);
    Ok((child, r))
}

/// Stop an interrupted child: SIGTERM to it (it removes its own cgroups
/// and kills its workers), [`INTERRUPT_GRACE`] to exit, then SIGKILL to its
/// group. Returns its exit status if it was reaped.
fn stop_interrupted(child: &mut Child, pgid: Pid) -> Option<ExitStatus> {
    let _ = kill(pgid, Signal::SIGTERM);
    let end = Instant::now() + INTERRUPT_GRACE;
    let mut status = None;
    loop {
        if status.is_none() {
            status = child.try_wait().ok().flatten();
        }
        if status.is_some() && !group_alive(pgid) {
            return status;
        }
        if Instant::now() >= end {
            let _ = killpg(pgid, Signal::SIGKILL);
            return status.or_else(|| child.wait().ok());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Run test `test` in a child and watch it.
pub(crate) fn supervise(test: &str, opts: Options) -> Supervised {
    let started = Instant::now();
    let mut sup = Supervised {
        outcome: Err("not run".into()),
        output: Captured::default(),
        elapsed: Duration::ZERO,
        faults: Vec::new(),
        interrupted: None,
        vm: None,
    };
    let (mut child, result_fd) = match spawn(test, opts.nocapture) {
        Ok(c) => c,
        Err(e) => {
            sup.outcome = Err(format!("could not start the test process: {e}"));
            return sup;
        }
    };
    let pgid = Pid::from_raw(child.id() as i32);
    let _guard = crate::interrupt::guard_group(pgid);
    let mut result = std::fs::File::from(result_fd);
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    let mut result_bytes = Vec::new();
    let mut result_open = true;
    let deadline = started + opts.timeout;
    let mut killed_for: Option<String> = None;
    let mut exited_at: Option<Instant> = None;
    let mut status = None;
    let mut buf = vec![0u8; 64 << 10];
    loop {
        if status.is_none() {
            if let Ok(Some(s)) = child.try_wait() {
                status = Some(s);
                exited_at = Some(Instant::now());
            }
        }
        let streams_open = result_open || out.is_some() || err.is_some();
        if !streams_open && status.is_some() {
            break;
        }
        // The child is gone but something still holds its pipes: a
        // grandchild escaped. Give it a moment, then end it.
        if let Some(t) = exited_at {
            if t.elapsed() > Duration::from_millis(500) {
                if group_alive(pgid) {
                    sup.faults.push(
                        "left processes running in its process group after it exited (killed them)"
                            .into(),
                    );
                    terminate_group(pgid);
                }
                out = None;
                err = None;
                result_open = false;
                continue;
            }
        }
        if sup.interrupted.is_none() && crate::interrupt::requested() {
            let sig = crate::interrupt::signal().unwrap_or(Signal::SIGINT);
            sup.interrupted = Some(sig);
            killed_for = Some(format!("interrupted by {}", sig.as_str()));
            if let Some(s) = stop_interrupted(&mut child, pgid) {
                status = Some(s);
            }
            break;
        }
        if killed_for.is_none() && Instant::now() >= deadline {
            killed_for = Some(format!(
                "timed out after {} s",
                opts.timeout.as_secs_f64().round()
            ));
            terminate_group(pgid);
        }
        if killed_for.is_none() && sup.output.total > RUNAWAY_BYTES {
            killed_for = Some(format!(
                "printed more than {} MiB of output (runaway output); killed",
                RUNAWAY_BYTES >> 20
            ));
            terminate_group(pgid);
        }
        if !streams_open {
            // Only the exit is left to see: poll for it briefly instead of
            // sleeping in an empty poll().
            std::thread::sleep(Duration::from_micros(200));
            continue;
        }
        let ready = {
            let mut fds = Vec::new();
            let mut which = Vec::new();
            if result_open {
                fds.push(PollFd::new(result.as_fd(), PollFlags::POLLIN));
                which.push(0);
            }
            if let Some(o) = &out {
                fds.push(PollFd::new(o.as_fd(), PollFlags::POLLIN));
                which.push(1);
            }
            if let Some(e) = &err {
                fds.push(PollFd::new(e.as_fd(), PollFlags::POLLIN));
                which.push(2);
            }
            let _ = poll(&mut fds, PollTimeout::from(50u16));
            fds.iter()
                .zip(which)
                .filter(|(f, _)| f.revents().is_some_and(|r| !r.is_empty()))
                .map(|(_, w)| w)
                .collect::<Vec<_>>()
        };
        for w in ready {
            match w {
                0 => match result.read(&mut buf) {
                    Ok(0) | Err(_) => result_open = false,
                    Ok(n) => result_bytes.extend_from_slice(&buf[..n]),
                },
                1 => match out.as_mut().map(|o| o.read(&mut buf)) {
                    Some(Ok(n)) if n > 0 => sup.output.push(&buf[..n]),
                    _ => out = None,
                },
                _ => match err.as_mut().map(|e| e.read(&mut buf)) {
                    Some(Ok(n)) if n > 0 => sup.output.push(&buf[..n]),
                    _ => err = None,
                },
            }
        }
    }
    let status = status.or_else(|| child.wait().ok());
    // The child's own process group must be empty now.
    if group_alive(pgid) {
        terminate_group(pgid);
    }
    sup.elapsed = started.elapsed();
    sup.outcome = match (
        killed_for,
        serde_json::from_slice::<TestOutcome>(&result_bytes),
    ) {
        (Some(why), _) => Err(why),
        (None, Ok(o)) => Ok(o),
        (None, Err(_)) => Err(match status {
            Some(s) => describe_exit(s),
            None => "ended without a result".into(),
        }),
    };
    sup
}
