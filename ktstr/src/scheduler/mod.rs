//! Running a test under a sched_ext scheduler: start its binary, wait until
//! the kernel reports it attached, watch it while the test runs, and stop
//! it afterwards. The main type here is [`SchedulerRun`].
//!
//! A test names its scheduler in `#[ktstr::test(scheduler = "bin args")]`.
//! A test with a scheduler implicitly requires sched_ext: on a kernel
//! without it the test is reported ignored with the reason.

mod run;

pub use run::{sched_ext_state, SchedulerError, SchedulerRun, ATTACH_DEADLINE};
