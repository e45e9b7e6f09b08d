//! [`TestSpec`]: the one description of a test's settings. The
//! `#[ktstr::test(...)]` attribute expands to a function that builds one
//! with the builder methods below; the harness reads it to list, place and
//! time the test, and the test's [`Ctx`](super::Ctx) starts from it.

use std::time::Duration;

use serde::Serialize;

use super::ShouldFail;
use crate::check::thresholds::threshold_on;
use crate::check::{for_each_threshold, CheckKind, ThresholdKey, Thresholds};
use crate::scheduler::Scheduler;
use crate::vm::VmSpec;
use crate::workload::{CloneMode, WorkType};

/// How the CPUs are laid out over a test's cgroups.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum CpusetLayout {
    /// No cpuset: every cgroup may use every CPU.
    Inherit,
    /// Each cgroup gets a disjoint, equal share of the usable CPUs.
    Disjoint,
    /// Each cgroup gets an equal share that overlaps its neighbour's by this
    /// fraction (0.0..1.0).
    Overlap(f64),
    /// Each cgroup gets the CPUs of one last-level cache.
    LlcAligned,
    /// Each cgroup gets the CPUs of one NUMA node.
    NumaAligned,
}

/// What the machine must offer; a test whose requirements are not met is
/// reported ignored with the reason, never run and never passed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Requirements {
    /// Needs root (cgroups, RT policies).
    pub root: bool,
    /// Needs a kernel with sched_ext.
    pub sched_ext: bool,
    /// Needs SMT siblings.
    pub smt: bool,
    /// Needs at least this many online CPUs (0: any).
    pub min_cpus: usize,
    /// Needs at least this many last-level caches (0: any), counted as
    /// [`TestTopology`](crate::topology::TestTopology) counts them.
    pub min_llcs: usize,
    /// Needs at least this many NUMA nodes with CPUs (0: any).
    pub min_numa_nodes: usize,
}

impl Requirements {
    /// Nothing required.
    pub const NONE: Requirements = Requirements {
        root: false,
        sched_ext: false,
        smt: false,
        min_cpus: 0,
        min_llcs: 0,
        min_numa_nodes: 0,
    };
}

/// A test's settings: its workload, checks, requirements, scheduler and how
/// it is run. [`TestSpec::default`] is `#[ktstr::test]` with no keys; each
/// builder method is the attribute key of the same name (see the guide's
/// attribute reference).
///
/// ```
/// use ktstr::check::ThresholdKey;
/// use ktstr::harness::{CpusetLayout, TestSpec};
/// use ktstr::prelude::*;
///
/// let spec = TestSpec::default()
///     .workers(4)
///     .work_type(|| WorkType::Mixed)
///     .cgroups(2)
///     .cpusets(CpusetLayout::Disjoint)
///     .max_gap_ms(500)
///     .off(ThresholdKey::MaxSpreadPct);
/// assert_eq!(spec.thresholds.max_spread_pct, None);
/// assert_eq!(spec.thresholds.max_gap_ms, Some(500));
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct TestSpec {
    /// Workers `ctx.run_workload()` spawns, per cgroup (or in total
    /// without cgroups).
    pub workers: usize,
    /// Builds their work type; called in the test's own process when its
    /// `Ctx` is made, never by the harness that lists and judges it.
    pub work_type: fn() -> WorkType,
    /// Processes or threads.
    pub clone_mode: CloneMode,
    /// How long the workload runs.
    pub duration: Duration,
    /// Cgroups the workers are spread over (0: the test's own cgroup).
    pub cgroups: usize,
    /// How the CPUs are laid out over them.
    pub cpusets: CpusetLayout,
    /// The check thresholds.
    pub thresholds: Thresholds,
    /// Whole-test timeout; None: the workload duration plus generous slack.
    pub timeout: Option<Duration>,
    /// `Some(reason)` marks the test ignored (run with `--ignored`).
    pub ignore: Option<&'static str>,
    /// How the test is expected to end.
    pub should_fail: ShouldFail,
    /// What the machine must offer.
    pub requires: Requirements,
    /// A sched_ext scheduler to run the test under; None: the kernel's
    /// default.
    pub scheduler: Option<Scheduler>,
    /// Run in a VM built like this; None: on the host, unless the test
    /// needs sched_ext and the host lacks it.
    pub vm: Option<VmSpec>,
    /// Rerun a failure up to this many times (a pass after a retry is
    /// reported flaky); 0: no retries.
    pub retries: u32,
    /// Programs the body runs as payloads: required on the host, packed
    /// into a VM test's initramfs.
    pub payloads: &'static [&'static str],
    /// The checks set explicitly (an asked-for check with nothing to
    /// compare fails, see [`Checker`](crate::check::Checker)).
    asked: Vec<CheckKind>,
}

impl Default for TestSpec {
    /// Two SpinWait workers in Fork mode for 2 s, no cgroups, the default
    /// thresholds, on the host under the kernel's scheduler.
    fn default() -> Self {
        TestSpec {
            workers: 2,
            work_type: || WorkType::SpinWait,
            clone_mode: CloneMode::Fork,
            duration: Duration::from_secs(2),
            cgroups: 0,
            cpusets: CpusetLayout::Inherit,
            thresholds: Thresholds::default(),
            timeout: None,
            ignore: None,
            should_fail: ShouldFail::No,
            requires: Requirements::NONE,
            scheduler: None,
            vm: None,
            retries: 0,
            payloads: &[],
            asked: Vec::new(),
        }
    }
}

impl TestSpec {
    /// `workers = N`.
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = n;
        self
    }

    /// `work_type = EXPR`: `make` runs in the test's process.
    pub fn work_type(mut self, make: fn() -> WorkType) -> Self {
        self.work_type = make;
        self
    }

    /// `clone_mode = Fork | Thread`.
    pub fn clone_mode(mut self, mode: CloneMode) -> Self {
        self.clone_mode = mode;
        self
    }

    /// `duration = "2s"`.
    pub fn duration(mut self, d: Duration) -> Self {
        self.duration = d;
        self
    }

    /// `cgroups = N`.
    pub fn cgroups(mut self, n: usize) -> Self {
        self.cgroups = n;
        self
    }

    /// `cpusets = LAYOUT`.
    pub fn cpusets(mut self, layout: CpusetLayout) -> Self {
        self.cpusets = layout;
        self
    }

    /// `KEY = off`: switch the check of `key` off.
    pub fn off(mut self, key: ThresholdKey) -> Self {
        self.thresholds.off(key);
        self
    }

    /// `timeout = "30s"`.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = Some(d);
        self
    }

    /// `ignore` / `ignore = "reason"`.
    pub fn ignore(mut self, reason: &'static str) -> Self {
        self.ignore = Some(reason);
        self
    }

    /// `should_fail ...`.
    pub fn should_fail(mut self, expect: ShouldFail) -> Self {
        self.should_fail = expect;
        self
    }

    /// `requires(...)`.
    pub fn requires(mut self, req: Requirements) -> Self {
        self.requires = req;
        self
    }

    /// `scheduler = ...`.
    pub fn scheduler(mut self, s: Scheduler) -> Self {
        self.scheduler = Some(s);
        self
    }

    /// `vm` / `vm(...)`.
    pub fn vm(mut self, spec: VmSpec) -> Self {
        self.vm = Some(spec);
        self
    }

    /// `retries = K`.
    pub fn retries(mut self, k: u32) -> Self {
        self.retries = k;
        self
    }

    /// `payloads = [...]`.
    pub fn payloads(mut self, programs: &'static [&'static str]) -> Self {
        self.payloads = programs;
        self
    }

    /// The checks set explicitly through a threshold key.
    pub fn asked(&self) -> &[CheckKind] {
        &self.asked
    }
}

/// `TestSpec::KEY(value)` for every threshold: sets it and marks its check
/// asked for.
macro_rules! setters {
    ($($name:ident / $key:ident: $ty:ident = $default:tt, unit $unit:literal,
       check $kind:ident => $eval:ident, $doc:literal;)*) => {
        impl TestSpec {
            $(
                #[doc = concat!("`", stringify!($name), " = ...`: ", $doc)]
                pub fn $name(mut self, v: $ty) -> Self {
                    self.thresholds.$name = threshold_on!($ty, v);
                    self.asked.push(CheckKind::$kind);
                    self
                }
            )*
        }
    };
}
for_each_threshold!(setters);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setting_a_threshold_asks_for_its_check_and_off_does_not() {
        let s = TestSpec::default()
            .not_starved(false)
            .max_spread_pct(35.0)
            .off(ThresholdKey::MaxGapMs)
            .isolation(false);
        assert!(!s.thresholds.not_starved && !s.thresholds.isolation);
        assert_eq!(s.thresholds.max_spread_pct, Some(35.0));
        assert_eq!(s.thresholds.max_gap_ms, None);
        assert_eq!(
            s.asked(),
            [
                CheckKind::Starvation,
                CheckKind::Fairness,
                CheckKind::Isolation
            ]
        );
        assert!(TestSpec::default().asked().is_empty());
    }
}
