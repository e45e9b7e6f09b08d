//! Checks over worker reports: is anyone starved, is the CPU shared
//! fairly, did anyone stall, how late were wakeups, how fast was the work,
//! how often did workers migrate, did they stay on their allowed CPUs.
//!
//! The main type here is [`Checker`]: built from reports grouped by the
//! cgroup (or label) they ran in, configured with [`Thresholds`], and
//! evaluated into a [`Verdict`] of [`CheckResult`]s, each with its
//! threshold, the measured value and a message a scheduler developer can
//! act on.

mod checker;
mod evaluate;
pub(crate) mod thresholds;
mod verdict;

pub use checker::{Checker, ReportGroup};
pub(crate) use thresholds::for_each_threshold;
pub use thresholds::{ThresholdInfo, ThresholdKey, Thresholds, THRESHOLD_KEYS};
pub use verdict::{CheckFailed, CheckKind, CheckResult, CheckStatus, Verdict};
