//! Applying a layout: [`Setup`] (the definitions) and [`AppliedSetup`]
//! (what it built).
//!
//! `Setup::apply` checks every definition before it creates anything, then
//! creates and configures every cgroup, spawns each definition's workloads
//! (blocked), moves them in (Fork workers through `cgroup.procs`, Thread
//! workers through `cgroup.threads` / v1 `tasks`) and only then starts
//! them all, so no worker does any work outside its cgroup. Workloads of a
//! [`CgroupDef::in_test_cgroup`] definition are spawned and started with
//! the others but not moved.

use super::knobs::{CPU_WEIGHT_MAX, CPU_WEIGHT_MIN};
use super::name::validate_name;
use super::{CgroupDef, CgroupError, CgroupGroup, CgroupManager, CpusetSpec};
use crate::check::ReportGroup;
use crate::cpuset::CpuSet;
use crate::topology::TestTopology;
use crate::workload::{CloneMode, WorkloadConfig, WorkloadHandle};

/// A layout of cgroups and workloads, applied with [`Setup::apply`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Setup {
    /// These definitions, created in order.
    Defs(Vec<CgroupDef>),
}

impl From<Vec<CgroupDef>> for Setup {
    fn from(defs: Vec<CgroupDef>) -> Setup {
        Setup::Defs(defs)
    }
}

/// One applied definition: its started workloads and where they run.
#[derive(Debug)]
pub struct AppliedCgroup {
    /// The definition's name (its report group's name).
    pub name: String,
    /// The CPUs its cpuset resolved to (None: no cpuset, or the test's
    /// own cgroup). Resolved once, by `Setup::apply`.
    pub cpuset: Option<CpuSet>,
    /// One started workload per [`CgroupDef::workloads`] entry, in order.
    pub handles: Vec<WorkloadHandle>,
}

impl AppliedCgroup {
    /// Stop its workloads and collect their reports as one group (with
    /// the cpuset, for the isolation check), in workload order. Each
    /// workload numbers its workers from 0 (`WorkerReport::index`), so in
    /// a group of several workloads the tid tells workers apart.
    pub fn stop_and_collect(self) -> ReportGroup {
        let reports = self
            .handles
            .into_iter()
            .flat_map(WorkloadHandle::stop_and_collect)
            .collect();
        ReportGroup {
            name: self.name,
            cpuset: self.cpuset,
            reports,
        }
    }
}

/// What [`Setup::apply`] built: the started workloads, by definition in
/// order, and the group that removes the cgroups. Fields drop in order,
/// so the workers die before their cgroups are removed.
#[must_use = "dropping an AppliedSetup kills its workers and removes its cgroups"]
#[derive(Debug)]
pub struct AppliedSetup<'m> {
    /// One entry per definition.
    pub cgroups: Vec<AppliedCgroup>,
    /// The cgroups.
    pub group: CgroupGroup<'m>,
}

impl AppliedSetup<'_> {
    /// Every workload with its definition's name, in spawn order (what
    /// sampling needs).
    pub fn workloads(&self) -> Vec<(&str, &WorkloadHandle)> {
        let by_def = self.cgroups.iter();
        by_def
            .flat_map(|c| c.handles.iter().map(|h| (c.name.as_str(), h)))
            .collect()
    }

    /// Stop every workload and collect its reports, one [`ReportGroup`]
    /// per definition in order (with its resolved cpuset), then remove the
    /// cgroups.
    pub fn stop_and_collect(self) -> Vec<ReportGroup> {
        let AppliedSetup { cgroups, group } = self;
        let out = cgroups
            .into_iter()
            .map(AppliedCgroup::stop_and_collect)
            .collect();
        drop(group);
        out
    }
}

/// Whether `Setup::apply` moves a started `handle` of `mode` into its
/// cgroup thread by thread (`cgroup.threads` / v1 `tasks`): Thread workers
/// unless a pcomm container holds them. Otherwise whole processes go
/// through `cgroup.procs`.
pub(crate) fn moves_threads(mode: CloneMode, handle: &WorkloadHandle) -> bool {
    mode == CloneMode::Thread && handle.container_pid().is_none()
}

/// A definition checked against the topology, ready to create.
struct Plan<'d> {
    def: &'d CgroupDef,
    cpus: Option<CpuSet>,
    configs: Vec<WorkloadConfig>,
}

fn plan<'d>(def: &'d CgroupDef, topo: &TestTopology) -> Result<Plan<'d>, CgroupError> {
    let bad = |reason: String| CgroupError::Def {
        name: def.name().to_string(),
        reason,
    };
    if def.has_own_cgroup() {
        validate_name(def.name())?;
    } else if def.name().is_empty() {
        return Err(bad(
            "the label of workloads in the test's cgroup is empty: name their report group".into(),
        ));
    }
    if let Some(why) = def.settings_without_cgroup() {
        return Err(bad(why));
    }
    if let Some(w) = def
        .weight()
        .filter(|w| !(CPU_WEIGHT_MIN..=CPU_WEIGHT_MAX).contains(w))
    {
        return Err(bad(format!(
            "cpu weight {w} is outside {CPU_WEIGHT_MIN}..={CPU_WEIGHT_MAX}"
        )));
    }
    if let Some(Err(e)) = def.max().map(|m| m.check()) {
        return Err(bad(format!("cpu max: {e}")));
    }
    let cpus = match def.cpuset() {
        Some(spec) => Some(
            spec.resolve(topo)
                .map_err(|e| bad(format!("cpuset {spec:?}: {e}")))?,
        ),
        None => None,
    };
    let configs = def.resolve_workloads(cpus.as_ref(), topo).map_err(bad)?;
    Ok(Plan { def, cpus, configs })
}

/// The real-time budgets `Setup::apply` gives the cgroups directly under
/// the run's parent (the first component of each definition's name):
/// their own where a definition of exactly that name sets one, else an
/// equal share of what the run's parent has free beside them. Empty
/// without RT group scheduling.
fn rt_budgets(mgr: &CgroupManager, plans: &[Plan<'_>]) -> Result<Vec<(String, u64)>, CgroupError> {
    let Some(free) = mgr.run_rt_free_us()? else {
        return Ok(Vec::new());
    };
    let mut tops: Vec<(String, Option<u64>)> = Vec::new();
    for p in plans.iter().filter(|p| p.def.has_own_cgroup()) {
        let top = p.def.name().split('/').next().unwrap_or_default();
        let own = plans
            .iter()
            .find(|q| q.def.name() == top)
            .and_then(|q| q.def.rt_runtime_us());
        if !tops.iter().any(|(t, _)| t == top) {
            tops.push((top.to_string(), own));
        }
    }
    let asked: u64 = tops.iter().filter_map(|(_, own)| *own).sum();
    let defaults = tops.iter().filter(|(_, own)| own.is_none()).count() as u64;
    let share = free.saturating_sub(asked) / defaults.max(1);
    Ok(tops
        .into_iter()
        .map(|(t, own)| (t, own.unwrap_or(share)))
        .collect())
}

/// Create and configure `p`'s cgroup (nothing for the test's own).
fn create(
    mgr: &CgroupManager,
    group: &mut CgroupGroup<'_>,
    p: &Plan<'_>,
    rt_tops: &mut Vec<(String, u64)>,
) -> crate::Result<()> {
    if !p.def.has_own_cgroup() {
        return Ok(());
    }
    let name = p.def.name();
    group.add_cgroup_no_cpuset(name)?;
    if let Some(cpus) = &p.cpus {
        mgr.set_cpuset(name, cpus)?;
    }
    if let Some(CpusetSpec::Numa(n)) = p.def.cpuset() {
        mgr.set_cpuset_mems(name, &[*n].into())?;
    }
    if let Some(w) = p.def.weight() {
        mgr.set_cpu_weight(name, w)?;
    }
    if let Some(m) = p.def.max() {
        mgr.set_cpu_max(name, m)?;
    }
    let top = name.split('/').next().unwrap_or_default();
    if let Some(i) = rt_tops.iter().position(|(t, _)| t == top) {
        let (top, runtime) = rt_tops.remove(i);
        mgr.set_rt_runtime(&top, runtime)?;
    }
    if let Some(r) = p.def.rt_runtime_us().filter(|_| name != top) {
        mgr.set_rt_runtime(name, r)?;
    }
    Ok(())
}

impl Setup {
    /// The definitions.
    pub fn defs(&self) -> &[CgroupDef] {
        match self {
            Setup::Defs(d) => d,
        }
    }

    /// Whether there is nothing to create.
    pub fn is_empty(&self) -> bool {
        self.defs().is_empty()
    }

    /// Create every cgroup, spawn every definition's workloads, move them
    /// in and start them; see the module doc.
    ///
    /// Every definition is checked first (name, duplicates, weight, max,
    /// cpuset against `topo`, affinity, every workload config), so a bad
    /// one creates nothing. A failure later removes everything made so
    /// far: workers are killed, cgroups removed.
    pub fn apply<'m>(
        &self,
        mgr: &'m CgroupManager,
        topo: &TestTopology,
    ) -> crate::Result<AppliedSetup<'m>> {
        let defs = self.defs();
        for (i, d) in defs.iter().enumerate() {
            if defs[..i].iter().any(|e| e.name() == d.name()) {
                return Err(CgroupError::Def {
                    name: d.name().to_string(),
                    reason: "two definitions use this name".into(),
                }
                .into());
            }
        }
        let plans = defs
            .iter()
            .map(|d| plan(d, topo))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(d) = defs.iter().find(|d| d.rt_runtime_us().is_some()) {
            mgr.rt_or_why(d.name())?;
        }
        let mut rt_tops = rt_budgets(mgr, &plans)?;
        let mut group = CgroupGroup::new(mgr);
        for p in &plans {
            create(mgr, &mut group, p, &mut rt_tops)?;
        }
        // Declared after `group`, so on an error the workers die first.
        let mut cgroups: Vec<AppliedCgroup> = Vec::with_capacity(plans.len());
        for p in plans {
            let name = p.def.name();
            let mut handles = Vec::with_capacity(p.configs.len());
            for config in &p.configs {
                let handle = WorkloadHandle::spawn(config)?;
                if !p.def.has_own_cgroup() {
                    // Stays in the test's cgroup.
                } else if moves_threads(config.clone_mode, &handle) {
                    mgr.move_threads(name, &handle.worker_pids())?
                } else {
                    mgr.move_tasks(name, &handle.worker_pids_for_cgroup_procs()?)?
                }
                handles.push(handle);
            }
            cgroups.push(AppliedCgroup {
                name: name.to_string(),
                cpuset: p.cpus,
                handles,
            });
        }
        for h in cgroups.iter_mut().flat_map(|c| &mut c.handles) {
            h.start();
        }
        Ok(AppliedSetup { cgroups, group })
    }
}
