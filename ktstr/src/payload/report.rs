//! [`PayloadReport`]: how a payload ended and what it measured.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::PayloadKind;

/// How a payload ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayloadExit {
    /// It exited with this code.
    Exited(i32),
    /// A signal ended it (its name); `requested` when ktstr sent it to
    /// stop the payload.
    Signaled {
        /// The signal's name.
        signal: String,
        /// Whether ktstr stopped it (stop or timeout).
        requested: bool,
    },
    /// It had not ended by the deadline of [`super::PayloadRun::wait`] and
    /// was killed.
    TimedOut,
}

/// What a payload did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PayloadReport {
    /// The tool.
    pub kind: PayloadKind,
    /// The command line.
    pub command: String,
    /// How it ended.
    pub exit: PayloadExit,
    /// Whether ktstr stopped it (rather than it ending by itself).
    pub stopped: bool,
    /// How long it ran, ms.
    pub elapsed_ms: u64,
    /// Metrics read from its output (empty for [`PayloadKind::Command`]).
    pub metrics: BTreeMap<String, f64>,
    /// Why its output could not be read, when it could not.
    pub parse_error: Option<String>,
    /// Its last output lines.
    pub output_tail: String,
}

impl PayloadReport {
    /// Whether it ended cleanly: exit 0, or stopped by ktstr with SIGINT
    /// (after which a tool exits by itself having printed its results).
    pub fn ended_cleanly(&self) -> bool {
        match &self.exit {
            PayloadExit::Exited(0) => true,
            PayloadExit::Signaled { signal, requested } => *requested && signal == "SIGINT",
            _ => false,
        }
    }

    /// A metric by name.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics.get(name).copied()
    }

    /// Checks over this report (see [`super::PayloadCheck`]).
    pub fn check(&self) -> super::PayloadCheck<'_> {
        super::PayloadCheck::new(self)
    }
}
