//! Why a scheduler could not be run ([`SchedulerError`]) and how it failed
//! a test ([`SchedulerFailure`]).

use std::fmt::Write as _;
use std::time::Duration;

use super::kmsg::Disabled;

/// Why a scheduler could not be run or failed while running.
#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    /// The binary is not where it was looked for.
    #[error("scheduler binary {binary:?} not found (looked in {searched}); `{setup}` builds scx_bpfland into the ktstr cache")]
    NotFound {
        /// The binary as named.
        binary: String,
        /// Where it was looked for.
        searched: String,
        /// The setup command.
        setup: &'static str,
    },
    /// The kernel has no sched_ext.
    #[error("scheduler {cmd:?} needs sched_ext, and this kernel has none ({path} is absent)")]
    NoSchedExt {
        /// The command line.
        cmd: String,
        /// The directory that is missing.
        path: String,
    },
    /// Another sched_ext scheduler is already attached.
    #[error("cannot start {cmd:?}: a sched_ext scheduler is already attached (state {state:?}, ops {ops:?}); stop it first")]
    Busy {
        /// The command line.
        cmd: String,
        /// The state read.
        state: String,
        /// The ops name read.
        ops: Option<String>,
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
    /// It started and then failed: did not attach, exited, was ejected, or
    /// did not let the kernel fall back.
    #[error("{0}")]
    Failed(Box<SchedulerFailure>),
}

/// How a started scheduler failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// It exited before the kernel reported it attached.
    ExitedBeforeAttach,
    /// The kernel did not report it attached within the deadline.
    NotAttached,
    /// The attached scheduler's ops name does not have the expected prefix.
    WrongOps,
    /// It exited while the test ran.
    Exited,
    /// The kernel dropped it (state no longer `enabled`) while the test ran.
    Ejected,
    /// After it stopped, the kernel did not return to its default
    /// scheduler (state not `disabled`) within the deadline.
    NoFallback,
}

/// A scheduler's failure, with everything known about it.
#[derive(Clone, Debug)]
pub struct SchedulerFailure {
    /// The scheduler's command line.
    pub scheduler: String,
    /// What happened.
    pub kind: FailureKind,
    /// The details of what happened (exit status, state read, ...).
    pub what: String,
    /// When, since the scheduler was started.
    pub at: Duration,
    /// When, since it attached (None: it never did).
    pub after_attach: Option<Duration>,
    /// The kernel's reason, from its log.
    pub kernel: Option<Disabled>,
    /// Why the kernel log could not be read, if it could not.
    pub kernel_log_error: Option<String>,
    /// Its last output lines.
    pub output_tail: String,
    /// The start of its exit dump and its `EXIT:` line.
    pub exit_dump: Option<String>,
}

impl std::fmt::Display for SchedulerFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = format!(
            "scheduler {:?} {} at {:.2} s into the run",
            self.scheduler,
            self.what,
            self.at.as_secs_f64()
        );
        if let Some(a) = self.after_attach {
            let _ = write!(s, " ({:.2} s after it attached)", a.as_secs_f64());
        }
        match (&self.kernel, &self.kernel_log_error) {
            (Some(k), _) => {
                let _ = write!(s, "\n  kernel: {k}");
            }
            (None, Some(e)) => {
                let _ = write!(s, "\n  kernel: (its log could not be read: {e})");
            }
            (None, None) => s.push_str("\n  kernel: no sched_ext \"disabled\" line in its log"),
        }
        if let Some(d) = &self.exit_dump {
            let _ = write!(s, "\n--- its exit dump (start) ---\n{d}");
        }
        if self.output_tail.trim().is_empty() {
            s.push_str("\n--- it printed nothing ---");
        } else {
            let _ = write!(s, "\n--- its last output lines ---\n{}", self.output_tail);
        }
        f.write_str(s.trim_end())
    }
}

impl From<SchedulerFailure> for SchedulerError {
    fn from(f: SchedulerFailure) -> Self {
        SchedulerError::Failed(Box::new(f))
    }
}
