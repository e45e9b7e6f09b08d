//! Running a test under a sched_ext scheduler: find its binary, start it,
//! wait until the kernel reports it attached, watch it while the test runs,
//! stop it afterwards and check the kernel fell back.
//!
//! A [`Scheduler`] is a const: `#[ktstr::test(scheduler = BPFLAND)]`, or a
//! command line: `#[ktstr::test(scheduler = "scx_bpfland --slice-us 2000")]`.
//! A test with a scheduler implicitly requires sched_ext: on a kernel
//! without it the test is reported ignored with the reason.
//!
//! [`SchedulerRun`] does the work:
//!
//! 1. [`Scheduler::resolve_binary`]: `$PATH`, then
//!    `${KTSTR_CACHE:-$HOME/.cache/ktstr}/bin/`, else an error naming
//!    `./scripts/setup --vm`.
//! 2. The binary runs in its own process group, with `PR_SET_PDEATHSIG` so
//!    it dies with the test process; its output goes to a memory file
//!    (`memfd_create`); `/dev/kmsg` is read from that moment on.
//! 3. Attached means `/sys/kernel/sched_ext/state` = `enabled` and, when the
//!    scheduler names an ops prefix, `root/ops` starting with it, within
//!    [`ATTACH_DEADLINE`] × `KTSTR_TIMEOUT_SCALE`.
//! 4. A background thread checks every 50 ms that it is alive and still
//!    attached, and records the first failure with its time.
//! 5. [`SchedulerRun::stop`]: SIGINT to the group, SIGKILL at
//!    [`STOP_DEADLINE`] (scaled), then state `disabled` within
//!    [`FALLBACK_DEADLINE`] (scaled).
//!
//! A failure ([`SchedulerFailure`]) says when it happened, the kernel's
//! reason from its log (`runnable task stall`, ...), the scheduler's last
//! [`TAIL_LINES`] output lines and the first [`DUMP_LINES`] of its exit
//! dump.
//!
//! To run a scheduler in a VM guest: resolve the binary on the host with
//! [`Scheduler::resolve_binary`], put it (and its libraries) into the
//! guest in a directory on the guest's `$PATH` (or at the same path, when
//! the scheduler names one with a `/`), and in the guest run the test as
//! usual (the harness calls [`SchedulerRun::start`] and
//! [`SchedulerRun::stop`]). The guest needs `/sys` and `/dev` (devtmpfs,
//! for `/dev/kmsg`) mounted; set `KTSTR_TIMEOUT_SCALE` there under TCG.

mod def;
mod error;
pub mod kmsg;
mod options;
mod output;
mod run;
mod sysfs;
#[cfg(test)]
mod tests;

pub use def::{cache_bin_dir, Scheduler, BPFLAND};
pub use error::{FailureKind, SchedulerError, SchedulerFailure};
pub use options::{RunOptions, ATTACH_DEADLINE, FALLBACK_DEADLINE, STOP_DEADLINE};
pub use output::{DUMP_LINES, TAIL_LINES};
pub use run::{SchedulerRun, Stopped};
pub use sysfs::{sched_ext_state, SchedExtSysfs};
