//! [`RunOptions`]: where a scheduler run looks and how long it waits.

use std::path::PathBuf;
use std::time::Duration;

use super::SchedExtSysfs;

/// How long a scheduler may take to attach on real hardware (BPF load and
/// verification; ~2 s under TCG), before scaling.
pub const ATTACH_DEADLINE: Duration = Duration::from_secs(20);
/// How long it may take to exit after SIGINT before SIGKILL, before scaling.
pub const STOP_DEADLINE: Duration = Duration::from_secs(5);
/// How long the kernel may take to fall back after it exits, before scaling.
pub const FALLBACK_DEADLINE: Duration = Duration::from_secs(5);

/// Where a [`SchedulerRun`](super::SchedulerRun) looks and how long it waits.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// sched_ext's sysfs files (the real ones by default).
    pub sysfs: SchedExtSysfs,
    /// The kernel log to read the kernel's reason from (`/dev/kmsg`).
    pub kmsg: Option<PathBuf>,
    /// Multiplies every deadline and the scheduler's watchdog option
    /// (`KTSTR_TIMEOUT_SCALE` by default).
    pub scale: f64,
    /// See [`ATTACH_DEADLINE`].
    pub attach_deadline: Duration,
    /// See [`STOP_DEADLINE`].
    pub stop_deadline: Duration,
    /// See [`FALLBACK_DEADLINE`].
    pub fallback_deadline: Duration,
    /// How often the watcher looks.
    pub poll: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            sysfs: SchedExtSysfs::default(),
            kmsg: Some(PathBuf::from("/dev/kmsg")),
            scale: crate::harness::timeout_scale(),
            attach_deadline: ATTACH_DEADLINE,
            stop_deadline: STOP_DEADLINE,
            fallback_deadline: FALLBACK_DEADLINE,
            poll: Duration::from_millis(50),
        }
    }
}
