//! [`Scenario::run`]: the layout, then each step — its ops, its hold with
//! a sample every period, its checks over its window — then teardown.

use std::time::Instant;

use anyhow::{bail, Context as _};

use super::check::Scope;
use super::live::Layout;
use super::report::{ScenarioReport, StepReport};
use super::series::Sample;
use super::validate::{step_label, validate};
use super::Scenario;
use crate::cgroup::CgroupManager;
use crate::check::Verdict;
use crate::topology::TestTopology;

fn ms(t0: Instant) -> u64 {
    t0.elapsed().as_millis() as u64
}

impl Scenario {
    /// Run the scenario with cgroups under `mgr`: check it whole (bad
    /// input is an error naming the step, before anything is created),
    /// create the layout, run every step, stop every worker and remove
    /// every cgroup. A step whose checks fail does not stop the run: its
    /// [`StepReport`] says so (see [`ScenarioReport::into_result`]). An op
    /// that fails, or a SIGINT/SIGTERM, ends the run with an error naming
    /// the step and the time into the run; teardown happens on every path.
    pub fn run(&self, mgr: &CgroupManager, topo: &TestTopology) -> anyhow::Result<ScenarioReport> {
        validate(self, topo)?;
        let mut layout = Layout::new(mgr, topo);
        layout
            .add_layout(&self.layout)
            .context("create the scenario's layout")?;
        let t0 = Instant::now();
        let mut samples: Vec<Sample> = Vec::new();
        let mut steps = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            let label = step_label(i, &step.name);
            let at = |t0| {
                format!(
                    "{label} (index {i}) at {:.2} s into the run",
                    ms(t0) as f64 / 1000.0
                )
            };
            for (k, op) in step.ops.iter().enumerate() {
                layout
                    .apply(op)
                    .with_context(|| format!("{}: op {k} ({})", at(t0), op.describe()))?;
            }
            let started_ms = ms(t0);
            let end = Instant::now() + step.hold;
            let mut frozen = layout.frozen();
            loop {
                samples.push(Sample {
                    at_ms: ms(t0),
                    step: i,
                    points: layout.sample(),
                });
                let now = Instant::now();
                if now >= end {
                    break;
                }
                if crate::interrupt::requested() {
                    bail!("{}: interrupted", at(t0));
                }
                std::thread::sleep(self.sample_every.min(end - now));
            }
            frozen.extend(layout.frozen());
            let from = started_ms + step.settle.as_millis() as u64;
            let window: Vec<Sample> = samples
                .iter()
                .filter(|s| s.step == i && s.at_ms >= from)
                .cloned()
                .collect();
            let cpus = |n: &str| layout.cpus(n);
            let scope = Scope {
                label: label.clone(),
                frozen,
                cpus: &cpus,
            };
            let verdict = Verdict {
                results: step
                    .checks
                    .iter()
                    .map(|c| c.evaluate(&window, &scope))
                    .collect(),
            };
            steps.push(StepReport::new(i, &step.name, started_ms, &window, verdict));
        }
        Ok(ScenarioReport {
            steps,
            samples,
            every_ms: self.sample_every.as_millis() as u64,
            reports: layout.finish(),
        })
    }
}
