//! Scenarios: a layout of cgroups with workers, then a sequence of timed
//! [`Step`]s that change it while the workers run — add or remove a
//! cgroup, change its cpuset, weight or `cpu.max`, move workers between
//! cgroups, change their affinity, policy or nice, spawn or stop a
//! workload, freeze or thaw — each with [`StepCheck`]s judged over that
//! step's window only.
//!
//! While a scenario runs, every worker is sampled every
//! [`Scenario::sample_every`] (100 ms by default): its iterations, the CPU
//! it is on and its CPU time ([`crate::workload::WorkerSample`]). A step's
//! checks look at the samples taken from its start (after its ops, plus
//! its [`settle`](Step::settle) time) to its end; the samples also go into
//! the test's JSON record, bounded ([`Samples`]).
//!
//! ```no_run
//! use std::time::Duration;
//! use ktstr::cgroup::{CgroupDef, CpusetSpec};
//! use ktstr::prelude::*;
//! use ktstr::scenario::{Op, Scenario, Step, StepCheck};
//!
//! #[ktstr::test(requires(root))]
//! fn weight_change_shifts_the_share(ctx: &mut Ctx) -> Result<()> {
//!     let on_cpu0 = |n: &str| CgroupDef::named(n).with_cpuset(CpusetSpec::exact([0])).with_workers(1);
//!     let s = Scenario::new(vec![on_cpu0("a"), on_cpu0("b")])
//!         .step(Step::new("equal", Duration::from_secs(1))
//!             .check(StepCheck::share("a", "b", 0.6, 1.6)))
//!         .step(Step::new("a heavier", Duration::from_secs(1))
//!             .op(Op::set_weight("a", 400))
//!             .settle(Duration::from_millis(200))
//!             .check(StepCheck::share("a", "b", 2.5, 6.5))
//!             .check(StepCheck::NotStarved));
//!     ctx.run_scenario(&s)?.into_result()
//! }
//! # fn main() {}
//! ```
//!
//! Bad input — a step naming a cgroup that does not exist at that point,
//! a cpuset outside the topology, a weight, `cpu.max` or nice out of
//! range, a zero hold — is an error naming the step before anything is
//! created; a move of workers that already exited is an error naming the
//! step when it happens. On every path the workers are stopped, frozen
//! cgroups thawed and every cgroup removed.

mod check;
#[cfg(test)]
mod check_tests;
mod freeze;
mod live;
mod op;
mod report;
mod run;
pub mod series;
mod validate;

use std::time::Duration;

pub use check::StepCheck;
pub use op::Op;
pub use report::{ScenarioReport, StepReport, WorkerStep};
pub use series::{Point, Sample, Samples};

use crate::cgroup::CgroupDef;

/// One timed step: its ops apply at its start, then it holds; its checks
/// judge the samples from its start (plus `settle`) to its end.
#[derive(Clone, Debug)]
pub struct Step {
    /// Its name, for reports and errors.
    pub name: String,
    /// The changes it makes, in order, at its start.
    pub ops: Vec<Op>,
    /// How long it runs after its ops.
    pub hold: Duration,
    /// How long after its ops the checks start looking (a cpuset move or
    /// a weight change takes effect over some ms).
    pub settle: Duration,
    /// What it asserts over its window.
    pub checks: Vec<StepCheck>,
}

impl Step {
    /// A step that holds `hold`, with no ops and no checks yet.
    pub fn new(name: impl Into<String>, hold: Duration) -> Step {
        Step {
            name: name.into(),
            ops: Vec::new(),
            hold,
            settle: Duration::ZERO,
            checks: Vec::new(),
        }
    }

    /// Add an op (applied after those added before).
    pub fn op(mut self, op: Op) -> Step {
        self.ops.push(op);
        self
    }

    /// Add a check.
    pub fn check(mut self, check: StepCheck) -> Step {
        self.checks.push(check);
        self
    }

    /// Let the checks ignore the first `settle` of the step.
    pub fn settle(mut self, settle: Duration) -> Step {
        self.settle = settle;
        self
    }
}

/// A layout plus its steps; run it with
/// [`Ctx::run_scenario`](crate::harness::Ctx::run_scenario) (or
/// [`Scenario::run`] with a manager of your own).
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The cgroups created (workers started) before the first step.
    pub layout: Vec<CgroupDef>,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// How often every worker is sampled.
    pub sample_every: Duration,
}

impl Scenario {
    /// The default sampling period.
    pub const SAMPLE_EVERY: Duration = Duration::from_millis(100);

    /// A scenario over `layout` with no steps yet.
    pub fn new(layout: Vec<CgroupDef>) -> Scenario {
        Scenario {
            layout,
            steps: Vec::new(),
            sample_every: Self::SAMPLE_EVERY,
        }
    }

    /// Append a step.
    pub fn step(mut self, step: Step) -> Scenario {
        self.steps.push(step);
        self
    }

    /// Sample every `period` instead of every 100 ms.
    pub fn sample_every(mut self, period: Duration) -> Scenario {
        self.sample_every = period;
        self
    }
}
