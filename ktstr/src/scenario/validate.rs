//! Checking a whole scenario before anything is created: every op names
//! a cgroup that exists at that point, every cpuset fits the topology,
//! every weight, `cpu.max`, nice and hold is in range.

use anyhow::{bail, ensure, Context as _};

use super::{Op, Scenario, StepCheck};
use crate::cgroup::{CpusetSpec, CPU_WEIGHT_MAX, CPU_WEIGHT_MIN};
use crate::cpuset::CpuSet;
use crate::topology::TestTopology;

/// `spec`'s CPUs on `topo` ([`CpusetSpec::resolve`]), with the scenario's
/// context on an error.
pub(super) fn resolve_cpuset(spec: &CpusetSpec, topo: &TestTopology) -> anyhow::Result<CpuSet> {
    spec.resolve(topo).with_context(|| {
        format!(
            "cpuset {spec:?} does not fit this topology ({} CPUs)",
            topo.total_cpus()
        )
    })
}

/// "step 1 'shrink' (index 1)"; the layout is "the layout".
pub(super) fn step_label(index: usize, name: &str) -> String {
    format!("step {index} '{name}'")
}

fn check_op(op: &Op, names: &mut Vec<String>, topo: &TestTopology) -> anyhow::Result<()> {
    let need = |n: &String, names: &Vec<String>| -> anyhow::Result<()> {
        ensure!(
            names.contains(n),
            "no cgroup {n:?} exists at this point (there are {names:?})"
        );
        Ok(())
    };
    let fits = |spec: &CpusetSpec| resolve_cpuset(spec, topo).map(drop);
    match op {
        Op::AddCgroup(def) => {
            let n = def.name().to_string();
            ensure!(!names.contains(&n), "cgroup {n:?} already exists");
            ensure!(
                def.has_own_cgroup(),
                "{n:?} is CgroupDef::in_test_cgroup: a scenario's ops work on cgroups it creates, so give it CgroupDef::named"
            );
            if let Some(s) = def.cpuset() {
                fits(s)?;
            }
            names.push(n);
        }
        Op::RemoveCgroup(n) => {
            need(n, names)?;
            names.retain(|x| x != n);
        }
        Op::SetCpuset(n, s) | Op::SetAffinity(n, s) => {
            need(n, names)?;
            fits(s)?;
        }
        Op::SetWeight(n, w) => {
            need(n, names)?;
            ensure!(
                (CPU_WEIGHT_MIN..=CPU_WEIGHT_MAX).contains(w),
                "cpu weight {w} is outside {CPU_WEIGHT_MIN}..={CPU_WEIGHT_MAX}"
            );
        }
        Op::SetMax(n, m) => {
            need(n, names)?;
            if let Err(e) = m.check() {
                bail!("cpu max {m}: {e}");
            }
        }
        Op::SetNice(n, v) => {
            need(n, names)?;
            ensure!((-20..=19).contains(v), "nice {v} is outside -20..=19");
        }
        Op::Spawn(n, config) => {
            need(n, names)?;
            config.validate()?;
        }
        Op::MoveWorkers { from, to } => {
            need(from, names)?;
            need(to, names)?;
        }
        Op::ClearCpuset(n) | Op::SetPolicy(n, _) | Op::Stop(n) | Op::Freeze(n) | Op::Thaw(n) => {
            need(n, names)?
        }
    }
    Ok(())
}

/// Every problem of `s` that can be seen before it runs, as an error
/// naming the step and op.
pub(super) fn validate(s: &Scenario, topo: &TestTopology) -> anyhow::Result<()> {
    ensure!(
        !s.sample_every.is_zero(),
        "the sampling period is 0: give Scenario::sample_every a positive period"
    );
    let mut names = Vec::new();
    for def in &s.layout {
        check_op(&Op::AddCgroup(def.clone()), &mut names, topo)
            .with_context(|| format!("the scenario's layout, cgroup {:?}", def.name()))?;
    }
    for (i, step) in s.steps.iter().enumerate() {
        let label = step_label(i, &step.name);
        ensure!(
            !step.hold.is_zero(),
            "{label}: its hold is 0 (give it a positive hold)"
        );
        ensure!(
            step.settle < step.hold,
            "{label}: settle {:?} is not shorter than its hold {:?}: its checks would see nothing",
            step.settle,
            step.hold
        );
        for (k, op) in step.ops.iter().enumerate() {
            check_op(op, &mut names, topo)
                .with_context(|| format!("{label}, op {k} ({})", op.describe()))?;
        }
        for c in &step.checks {
            let named: Vec<&String> = match c {
                StepCheck::Share { num, den, .. } => vec![num, den],
                StepCheck::Rate { cgroup, .. } | StepCheck::OnItsCpus(cgroup) => vec![cgroup],
                _ => vec![],
            };
            for n in named {
                ensure!(
                    names.contains(n),
                    "{label}: check {c:?} names cgroup {n:?}, which does not exist in this step"
                );
            }
        }
    }
    Ok(())
}
