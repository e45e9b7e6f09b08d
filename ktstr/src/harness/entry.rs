//! [`TestEntry`]: the static record `#[ktstr::test]` registers for each test
//! (through `inventory`), and the pieces it is made of. Everything here is
//! const-constructible, so the attribute can emit
//! `TestEntry { name: .., func: .., ..TestEntry::DEFAULT }` into a static.

use std::time::Duration;

use crate::check::{CheckKind, Thresholds};
use crate::scheduler::Scheduler;
use crate::workload::{CloneMode, WorkType};

use super::{Ctx, ShouldFail};

/// A test body: gets the test's context, returns `Ok` to pass.
pub type TestFn = fn(&mut Ctx) -> anyhow::Result<()>;

/// How the CPUs are laid out over a test's cgroups.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
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

/// The workload `Ctx::run_workload` spawns.
#[derive(Clone, Copy, Debug)]
pub struct WorkloadSpec {
    /// Workers per cgroup (or in total, with no cgroups).
    pub workers: usize,
    /// The work type (a function, so any `WorkType` expression fits in a
    /// static).
    pub work_type: fn() -> WorkType,
    /// Processes or threads.
    pub clone_mode: CloneMode,
    /// How long the workload runs.
    pub duration: Duration,
    /// Number of cgroups (0: run in the test's own cgroup).
    pub cgroups: usize,
    /// How their cpusets are laid out.
    pub cpusets: CpusetLayout,
}

impl WorkloadSpec {
    /// Two SpinWait workers in Fork mode for 2 s, no cgroups.
    pub const DEFAULT: WorkloadSpec = WorkloadSpec {
        workers: 2,
        work_type: || WorkType::SpinWait,
        clone_mode: CloneMode::Fork,
        duration: Duration::from_secs(2),
        cgroups: 0,
        cpusets: CpusetLayout::Inherit,
    };
}

/// Per-test overrides of the default check thresholds; `None` keeps the
/// default.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct ThresholdOverrides {
    /// Starvation check on/off.
    pub not_starved: Option<bool>,
    /// Fairness spread limit, percentage points of CPU share.
    pub max_spread_pct: Option<f64>,
    /// Gap limit in ms.
    pub max_gap_ms: Option<u64>,
    /// p99 wake latency limit in µs.
    pub max_p99_wake_latency_us: Option<u64>,
    /// Minimum work rate, units per second.
    pub min_work_rate: Option<f64>,
    /// Maximum migrations per iteration.
    pub max_migration_ratio: Option<f64>,
    /// Maximum coefficient of variation of work rates.
    pub max_throughput_cv: Option<f64>,
}

impl ThresholdOverrides {
    /// No overrides.
    pub const NONE: ThresholdOverrides = ThresholdOverrides {
        not_starved: None,
        max_spread_pct: None,
        max_gap_ms: None,
        max_p99_wake_latency_us: None,
        min_work_rate: None,
        max_migration_ratio: None,
        max_throughput_cv: None,
    };

    /// The checks these overrides set: a check the attribute asked for
    /// that has nothing to compare fails (see [`Checker`](crate::check::Checker)).
    pub fn asked(&self) -> Vec<CheckKind> {
        let set = [
            (self.not_starved.is_some(), CheckKind::Starvation),
            (self.max_spread_pct.is_some(), CheckKind::Fairness),
            (self.max_gap_ms.is_some(), CheckKind::Gap),
            (
                self.max_p99_wake_latency_us.is_some(),
                CheckKind::WakeLatency,
            ),
            (self.min_work_rate.is_some(), CheckKind::WorkRate),
            (self.max_migration_ratio.is_some(), CheckKind::Migration),
            (self.max_throughput_cv.is_some(), CheckKind::ThroughputCv),
        ];
        set.into_iter()
            .filter(|(on, _)| *on)
            .map(|(_, k)| k)
            .collect()
    }

    /// The defaults with these overrides applied.
    pub fn apply(&self, mut t: Thresholds) -> Thresholds {
        if let Some(v) = self.not_starved {
            t.not_starved = v;
        }
        if let Some(v) = self.max_spread_pct {
            t.max_spread_pct = Some(v);
        }
        if let Some(v) = self.max_gap_ms {
            t.max_gap_ms = Some(v);
        }
        if self.max_p99_wake_latency_us.is_some() {
            t.max_p99_wake_latency_us = self.max_p99_wake_latency_us;
        }
        if self.min_work_rate.is_some() {
            t.min_work_rate = self.min_work_rate;
        }
        if self.max_migration_ratio.is_some() {
            t.max_migration_ratio = self.max_migration_ratio;
        }
        if self.max_throughput_cv.is_some() {
            t.max_throughput_cv = self.max_throughput_cv;
        }
        t
    }
}

/// What the machine must offer; a test whose requirements are not met is
/// reported ignored with the reason, never run and never passed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
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

/// One registered test.
#[derive(Clone, Copy, Debug)]
pub struct TestEntry {
    /// The function's name.
    pub name: &'static str,
    /// `module_path!()` where it was declared (the crate name is dropped
    /// from the test's full name).
    pub module_path: &'static str,
    /// Source file and line, for the repro line.
    pub file: &'static str,
    /// Line of the function.
    pub line: u32,
    /// The body.
    pub func: TestFn,
    /// The workload `Ctx::run_workload` spawns.
    pub workload: WorkloadSpec,
    /// Check threshold overrides.
    pub thresholds: ThresholdOverrides,
    /// Whole-test timeout; None: the workload duration plus generous slack.
    pub timeout: Option<Duration>,
    /// `Some(reason)` marks the test ignored (run with `--ignored`).
    pub ignore: Option<&'static str>,
    /// How the test is expected to end: [`ShouldFail::No`] (pass), a failed
    /// check, or a failure with a given message.
    pub should_fail: ShouldFail,
    /// What the machine must offer.
    pub requires: Requirements,
    /// A sched_ext scheduler to run the test under; None: the kernel's
    /// default.
    pub scheduler: Option<Scheduler>,
    /// Run in a VM built like this (`#[ktstr::test(vm)]`); None: on the
    /// host, unless the test needs sched_ext and the host lacks it.
    pub vm: Option<crate::vm::VmSpec>,
    /// `retries = K`: rerun a failure up to K times. A pass after a retry
    /// is reported as flaky (a failure unless `KTSTR_ACCEPT_FLAKY=1`),
    /// never as a plain pass. 0: no retries. Not applied under `--repeat`.
    pub retries: u32,
    /// Programs the body runs as payloads (`payloads = ["stress-ng"]`):
    /// required on the host (else the test is ignored, naming them), and
    /// packed with their libraries into the initramfs of a VM test.
    pub payloads: &'static [&'static str],
}

fn default_body(_: &mut Ctx) -> anyhow::Result<()> {
    anyhow::bail!("this TestEntry has no body: set `func`")
}

impl TestEntry {
    /// A template for struct-update syntax; `func` fails until replaced.
    pub const DEFAULT: TestEntry = TestEntry {
        name: "",
        module_path: "",
        file: "",
        line: 0,
        func: default_body,
        workload: WorkloadSpec::DEFAULT,
        thresholds: ThresholdOverrides::NONE,
        timeout: None,
        ignore: None,
        should_fail: ShouldFail::No,
        requires: Requirements::NONE,
        scheduler: None,
        vm: None,
        retries: 0,
        payloads: &[],
    };

    /// The name tests are listed and filtered by: the module path without
    /// the crate name, then the function (`fairness::mixed_is_fair`).
    pub fn full_name(&self) -> String {
        match self.module_path.split_once("::") {
            Some((_, rest)) => format!("{rest}::{}", self.name),
            None => self.name.to_string(),
        }
    }
}

inventory::collect!(TestEntry);
