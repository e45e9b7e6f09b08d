//! [`SchedulerRun`]: one supervised scheduler process.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// How long a scheduler may take to attach (BPF load and verification can
/// take seconds under emulation).
pub const ATTACH_DEADLINE: Duration = Duration::from_secs(20);

const STATE: &str = "/sys/kernel/sched_ext/state";

/// `/sys/kernel/sched_ext/state` ("enabled", "disabled", ...), or None on a
/// kernel without sched_ext.
pub fn sched_ext_state() -> Option<String> {
    std::fs::read_to_string(STATE)
        .ok()
        .map(|s| s.trim().to_string())
}

/// Why a scheduler could not be run or failed while running.
#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    /// The command line is empty.
    #[error("the scheduler command is empty")]
    Empty,
    /// The kernel has no sched_ext.
    #[error("scheduler {cmd:?} needs sched_ext, and this kernel has none ({STATE} is absent)")]
    NoSchedExt {
        /// The command line.
        cmd: String,
    },
    /// Another sched_ext scheduler is already attached.
    #[error("cannot start {cmd:?}: a sched_ext scheduler is already attached (state {state:?})")]
    Busy {
        /// The command line.
        cmd: String,
        /// The state read.
        state: String,
    },
    /// The binary could not be started.
    #[error("failed to start scheduler {cmd:?}")]
    Spawn {
        /// The command line.
        cmd: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The scheduler exited before attaching.
    #[error("scheduler {cmd:?} exited ({status}) before attaching; its output:\n{output}")]
    ExitedEarly {
        /// The command line.
        cmd: String,
        /// Its exit status.
        status: String,
        /// What it printed.
        output: String,
    },
    /// The scheduler did not attach in time.
    #[error("scheduler {cmd:?} did not attach within {} s (state {state:?}); its output:\n{output}", .waited.as_secs())]
    NotAttached {
        /// The command line.
        cmd: String,
        /// How long we waited.
        waited: Duration,
        /// The last state read.
        state: String,
        /// What it printed.
        output: String,
    },
    /// The scheduler died or was ejected while the test ran.
    #[error("scheduler {cmd:?} {what} during the test; its output:\n{output}")]
    Died {
        /// The command line.
        cmd: String,
        /// "exited (status)" or "was ejected by the kernel".
        what: String,
        /// What it printed.
        output: String,
    },
}

/// A running scheduler. Dropping it stops it (SIGINT, then SIGKILL).
#[derive(Debug)]
pub struct SchedulerRun {
    cmd: String,
    child: Option<Child>,
    log: std::fs::File,
}

fn read_log(log: &std::fs::File) -> String {
    let mut s = String::new();
    let mut f = log;
    use std::io::Seek;
    let _ = f.seek(std::io::SeekFrom::Start(0));
    let _ = f.read_to_string(&mut s);
    const KEEP: usize = 16 << 10;
    if s.len() > KEEP {
        let cut = s.len() - KEEP;
        let cut = (cut..s.len())
            .find(|&i| s.is_char_boundary(i))
            .unwrap_or(cut);
        s = format!("[...]{}", &s[cut..]);
    }
    s
}

impl SchedulerRun {
    /// Start `cmd` (binary and arguments, space separated) and wait until
    /// the kernel reports a sched_ext scheduler enabled.
    pub fn start(cmd: &str) -> Result<SchedulerRun, SchedulerError> {
        let mut words = cmd.split_whitespace();
        let bin = words.next().ok_or(SchedulerError::Empty)?;
        let cmd = cmd.trim().to_string();
        match sched_ext_state() {
            None => return Err(SchedulerError::NoSchedExt { cmd }),
            Some(s) if s != "disabled" => return Err(SchedulerError::Busy { cmd, state: s }),
            Some(_) => {}
        }
        let log = tempfile_in_tmp().map_err(|source| SchedulerError::Spawn {
            cmd: cmd.clone(),
            source,
        })?;
        let child = Command::new(bin)
            .args(words)
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|source| SchedulerError::Spawn {
                cmd: cmd.clone(),
                source,
            })?)
            .stderr(log.try_clone().map_err(|source| SchedulerError::Spawn {
                cmd: cmd.clone(),
                source,
            })?)
            .spawn()
            .map_err(|source| SchedulerError::Spawn {
                cmd: cmd.clone(),
                source,
            })?;
        let mut run = SchedulerRun {
            cmd,
            child: Some(child),
            log,
        };
        run.wait_attached(ATTACH_DEADLINE)?;
        Ok(run)
    }

    fn wait_attached(&mut self, deadline: Duration) -> Result<(), SchedulerError> {
        let t = Instant::now();
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                return Err(SchedulerError::ExitedEarly {
                    cmd: self.cmd.clone(),
                    status: status.to_string(),
                    output: read_log(&self.log),
                });
            }
            let state = sched_ext_state().unwrap_or_default();
            if state == "enabled" {
                return Ok(());
            }
            if t.elapsed() >= deadline {
                return Err(SchedulerError::NotAttached {
                    cmd: self.cmd.clone(),
                    waited: deadline,
                    state,
                    output: read_log(&self.log),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether it is still running and attached; an error says how it
    /// failed, with its output.
    pub fn check_alive(&mut self) -> Result<(), SchedulerError> {
        if let Some(status) = self
            .child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
        {
            self.child = None;
            return Err(SchedulerError::Died {
                cmd: self.cmd.clone(),
                what: format!("exited ({status})"),
                output: read_log(&self.log),
            });
        }
        if sched_ext_state().as_deref() != Some("enabled") {
            return Err(SchedulerError::Died {
                cmd: self.cmd.clone(),
                what: "was ejected by the kernel".into(),
                output: read_log(&self.log),
            });
        }
        Ok(())
    }

    /// What it printed so far (the last 16 KiB).
    pub fn output(&self) -> String {
        read_log(&self.log)
    }

    /// Stop it: SIGINT, up to 5 s to detach and exit, then SIGKILL.
    pub fn stop(mut self) -> String {
        self.shutdown();
        read_log(&self.log)
    }

    fn shutdown(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = Pid::from_raw(child.id() as i32);
        let _ = kill(pid, Signal::SIGINT);
        let end = Instant::now() + Duration::from_secs(5);
        while Instant::now() < end {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for SchedulerRun {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// An unnamed temp file for the scheduler's output.
fn tempfile_in_tmp() -> std::io::Result<std::fs::File> {
    let path = std::env::temp_dir().join(format!("ktstr-sched-{}.log", std::process::id()));
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)?;
    let _ = std::fs::remove_file(Path::new(&path));
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_command_is_an_error() {
        assert!(matches!(
            SchedulerRun::start("  "),
            Err(SchedulerError::Empty)
        ));
    }

    #[test]
    fn without_sched_ext_the_error_says_so() {
        if sched_ext_state().is_some() {
            return; // a sched_ext kernel: covered by the VM tests
        }
        let e = SchedulerRun::start("scx_simple").unwrap_err();
        assert!(e.to_string().contains("needs sched_ext"), "{e}");
    }
}
