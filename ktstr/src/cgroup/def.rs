//! Declarative layouts: [`CgroupDef`] (one cgroup and its workers),
//! [`CpusetSpec`] (its CPUs, relative to the topology), [`AffinityKind`]
//! (how its workers are pinned inside it) and [`Setup`] (a whole layout,
//! applied in one call).
//!
//! `Setup::apply` checks every definition before it creates anything, then
//! creates and configures every cgroup, spawns each definition's workers
//! (blocked), moves them in (Fork workers through `cgroup.procs`, Thread
//! workers through `cgroup.threads` / v1 `tasks`) and only then starts
//! them all, so no worker does any work outside its cgroup.

use super::knobs::{CpuMax, CPU_WEIGHT_MAX, CPU_WEIGHT_MIN};
use super::name::validate_name;
use super::{CgroupError, CgroupGroup, CgroupManager};
use crate::cpuset::CpuSet;
use crate::topology::{TestTopology, TopologyError};
use crate::workload::{
    Affinity, CloneMode, WorkType, WorkerReport, WorkloadConfig, WorkloadHandle,
};

/// A cgroup's CPUs, described relative to the topology and resolved with
/// [`CpusetSpec::resolve`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum CpusetSpec {
    /// Exactly these CPUs (each must exist).
    Exact(CpuSet),
    /// Share `index` of `of` disjoint shares of the usable CPUs
    /// ([`TestTopology::disjoint_share`]).
    Disjoint {
        /// Which share.
        index: usize,
        /// How many shares.
        of: usize,
    },
    /// Share `index` of `of` shares that overlap their neighbours by
    /// `frac` of a share ([`TestTopology::overlapping_share`]).
    Overlap {
        /// Which share.
        index: usize,
        /// How many shares.
        of: usize,
        /// Overlap per side, as a fraction of a share (0.0..=1.0).
        frac: f64,
    },
    /// The CPUs of LLC `i` ([`TestTopology::llc_aligned`]).
    Llc(usize),
    /// The CPUs of NUMA node `n`; the cgroup's `cpuset.mems` is set to `n`
    /// too ([`TestTopology::numa_aligned`]).
    Numa(usize),
}

impl CpusetSpec {
    /// Exactly `cpus`.
    pub fn exact(cpus: impl IntoIterator<Item = usize>) -> CpusetSpec {
        CpusetSpec::Exact(cpus.into_iter().collect())
    }

    /// Share `index` of `of` disjoint shares.
    pub fn disjoint(index: usize, of: usize) -> CpusetSpec {
        CpusetSpec::Disjoint { index, of }
    }

    /// Share `index` of `of` overlapping shares.
    pub fn overlap(index: usize, of: usize, frac: f64) -> CpusetSpec {
        CpusetSpec::Overlap { index, of, frac }
    }

    /// LLC `i`.
    pub fn llc(i: usize) -> CpusetSpec {
        CpusetSpec::Llc(i)
    }

    /// NUMA node `n`.
    pub fn numa(n: usize) -> CpusetSpec {
        CpusetSpec::Numa(n)
    }

    /// The CPUs on `topo`: never empty, never unknown CPUs.
    pub fn resolve(&self, topo: &TestTopology) -> Result<CpuSet, TopologyError> {
        let cpus = match self {
            CpusetSpec::Exact(s) => s.clone(),
            CpusetSpec::Disjoint { index, of } => topo.disjoint_share(*index, *of)?,
            CpusetSpec::Overlap { index, of, frac } => {
                topo.overlapping_share(*index, *of, *frac)?
            }
            CpusetSpec::Llc(i) => topo.llc_aligned(*i)?,
            CpusetSpec::Numa(n) => topo.numa_aligned(*n)?,
        };
        topo.check_cpuset(&cpus)?;
        Ok(cpus)
    }
}

/// How a definition's workers are pinned inside their cgroup. The pool is
/// the cgroup's CPUs, or every CPU when it has no cpuset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum AffinityKind {
    /// No mask: workers run anywhere in the cgroup's cpuset.
    #[default]
    Inherit,
    /// Each worker pinned to one CPU of the pool, round-robin.
    SingleCpu,
    /// Every worker pinned to the pool's part of the LLC that shares the
    /// most CPUs with the pool (the lowest such LLC on a tie).
    LlcAligned,
    /// Every worker pinned to this set (intersected with the cgroup's
    /// cpuset when it has one; an empty intersection is an error).
    Exact(CpuSet),
}

impl AffinityKind {
    /// The engine's per-worker affinity for a cgroup with `cpuset`.
    pub fn resolve(
        &self,
        cpuset: Option<&CpuSet>,
        topo: &TestTopology,
    ) -> Result<Affinity, String> {
        let pool = cpuset.unwrap_or(topo.all_cpus());
        Ok(match self {
            AffinityKind::Inherit => Affinity::Inherit,
            AffinityKind::SingleCpu => Affinity::Spread(pool.clone()),
            AffinityKind::LlcAligned => {
                let best = topo
                    .llcs()
                    .iter()
                    .map(|l| l.cpus().intersection(pool))
                    .fold(
                        CpuSet::new(),
                        |best, s| if s.len() > best.len() { s } else { best },
                    );
                if best.is_empty() {
                    return Err(format!("no LLC holds any of the CPUs {pool}"));
                }
                Affinity::Fixed(best)
            }
            AffinityKind::Exact(set) => {
                let s = match cpuset {
                    Some(c) => set.intersection(c),
                    None => set.clone(),
                };
                if s.is_empty() {
                    return Err(format!(
                        "affinity {set} shares no CPU with the cgroup's cpuset {pool}"
                    ));
                }
                Affinity::Fixed(s)
            }
        })
    }
}

/// One cgroup and the workers to run in it. Build with
/// [`CgroupDef::named`] and the `with_*` setters; there is deliberately no
/// `Default` (every cgroup needs a name).
///
/// Defaults: no cpuset (the run's CPUs), weight and bandwidth untouched,
/// 1 [`WorkType::SpinWait`] worker, [`CloneMode::Fork`],
/// [`AffinityKind::Inherit`].
#[derive(Clone, Debug)]
pub struct CgroupDef {
    name: String,
    cpuset: Option<CpusetSpec>,
    weight: Option<u32>,
    max: Option<CpuMax>,
    rt_runtime_us: Option<u64>,
    workers: usize,
    work_type: WorkType,
    clone_mode: CloneMode,
    affinity: AffinityKind,
}

impl CgroupDef {
    /// A definition of cgroup `name` (relative to the run's parent; nested
    /// names like `a/b` are allowed).
    pub fn named(name: impl Into<String>) -> CgroupDef {
        CgroupDef {
            name: name.into(),
            cpuset: None,
            weight: None,
            max: None,
            rt_runtime_us: None,
            workers: 1,
            work_type: WorkType::SpinWait,
            clone_mode: CloneMode::Fork,
            affinity: AffinityKind::Inherit,
        }
    }

    /// Restrict the cgroup to `spec`'s CPUs. Default: none.
    pub fn with_cpuset(mut self, spec: CpusetSpec) -> CgroupDef {
        self.cpuset = Some(spec);
        self
    }

    /// Set the CPU weight (1..=10000). Default: untouched (100).
    pub fn with_weight(mut self, weight: u32) -> CgroupDef {
        self.weight = Some(weight);
        self
    }

    /// Limit CPU bandwidth. Default: untouched (unlimited).
    pub fn with_max(mut self, max: CpuMax) -> CgroupDef {
        self.max = Some(max);
        self
    }

    /// Real-time budget: `runtime_us` of RT execution per period (v1
    /// `cpu.rt_runtime_us`; see [`CgroupManager::set_rt_runtime`]).
    /// Default: where the kernel has RT group scheduling, the cgroups
    /// directly under the run's parent that set none share what the run's
    /// budget has left after those that do, equally; nested ones get half
    /// of their parent's free budget when created. On cgroup v2, or a kernel without
    /// RT group scheduling, setting it is an error ([`CgroupError::NoRtGroups`]).
    #[doc(alias = "cpu.rt_runtime_us")]
    pub fn with_rt_runtime_us(mut self, runtime_us: u64) -> CgroupDef {
        self.rt_runtime_us = Some(runtime_us);
        self
    }

    /// Number of workers (at least 1). Default: 1.
    pub fn with_workers(mut self, n: usize) -> CgroupDef {
        self.workers = n;
        self
    }

    /// What the workers do. Default: `SpinWait`.
    pub fn with_work_type(mut self, work_type: WorkType) -> CgroupDef {
        self.work_type = work_type;
        self
    }

    /// Processes or threads. Default: `Fork`.
    pub fn with_clone_mode(mut self, mode: CloneMode) -> CgroupDef {
        self.clone_mode = mode;
        self
    }

    /// How workers are pinned inside the cgroup. Default: `Inherit`.
    pub fn with_affinity(mut self, kind: AffinityKind) -> CgroupDef {
        self.affinity = kind;
        self
    }

    /// The cgroup name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The cpuset spec, if any.
    pub fn cpuset(&self) -> Option<&CpusetSpec> {
        self.cpuset.as_ref()
    }

    /// The weight, if set.
    pub fn weight(&self) -> Option<u32> {
        self.weight
    }

    /// The bandwidth limit, if set.
    pub fn max(&self) -> Option<CpuMax> {
        self.max
    }

    /// The real-time budget, if set.
    pub fn rt_runtime_us(&self) -> Option<u64> {
        self.rt_runtime_us
    }

    /// The number of workers.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// The work type.
    pub fn work_type(&self) -> &WorkType {
        &self.work_type
    }

    /// The clone mode.
    pub fn clone_mode(&self) -> CloneMode {
        self.clone_mode
    }

    /// The affinity kind.
    pub fn affinity(&self) -> &AffinityKind {
        &self.affinity
    }
}

/// A layout of cgroups and workers, applied with [`Setup::apply`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Setup {
    /// These cgroups, created in order.
    Defs(Vec<CgroupDef>),
}

impl From<Vec<CgroupDef>> for Setup {
    fn from(defs: Vec<CgroupDef>) -> Setup {
        Setup::Defs(defs)
    }
}

/// What [`Setup::apply`] built: the started workloads, one per definition
/// in order, and the group that removes the cgroups. Fields drop in order,
/// so the workers die before their cgroups are removed.
#[must_use = "dropping an AppliedSetup kills its workers and removes its cgroups"]
#[derive(Debug)]
pub struct AppliedSetup<'m> {
    /// The definitions' names, aligned with `handles`.
    pub names: Vec<String>,
    /// One started workload per definition.
    pub handles: Vec<WorkloadHandle>,
    /// The cgroups.
    pub group: CgroupGroup<'m>,
}

impl AppliedSetup<'_> {
    /// Stop every workload and collect its reports (per definition, in
    /// order), then remove the cgroups.
    pub fn stop_and_collect(self) -> Vec<(String, Vec<WorkerReport>)> {
        let AppliedSetup {
            names,
            handles,
            group,
        } = self;
        let out = names
            .into_iter()
            .zip(handles)
            .map(|(n, h)| (n, h.stop_and_collect()))
            .collect();
        drop(group);
        out
    }
}

/// A definition checked against the topology, ready to create.
struct Plan<'d> {
    def: &'d CgroupDef,
    cpus: Option<CpuSet>,
    config: WorkloadConfig,
}

fn plan<'d>(def: &'d CgroupDef, topo: &TestTopology) -> Result<Plan<'d>, CgroupError> {
    let bad = |reason: String| CgroupError::Def {
        name: def.name.clone(),
        reason,
    };
    validate_name(&def.name)?;
    if def.workers == 0 {
        return Err(bad("0 workers: a cgroup definition needs at least 1 (checks over no reports pass vacuously)".into()));
    }
    if let Some(w) = def
        .weight
        .filter(|w| !(CPU_WEIGHT_MIN..=CPU_WEIGHT_MAX).contains(w))
    {
        return Err(bad(format!(
            "cpu weight {w} is outside {CPU_WEIGHT_MIN}..={CPU_WEIGHT_MAX}"
        )));
    }
    if let Some(Err(e)) = def.max.map(|m| m.check()) {
        return Err(bad(format!("cpu max: {e}")));
    }
    let cpus = match &def.cpuset {
        Some(spec) => Some(
            spec.resolve(topo)
                .map_err(|e| bad(format!("cpuset {spec:?}: {e}")))?,
        ),
        None => None,
    };
    let affinity = def.affinity.resolve(cpus.as_ref(), topo).map_err(bad)?;
    let config = WorkloadConfig {
        num_workers: def.workers,
        work_type: def.work_type.clone(),
        clone_mode: def.clone_mode,
        affinity,
        ..Default::default()
    };
    config.validate().map_err(|e| bad(e.to_string()))?;
    Ok(Plan { def, cpus, config })
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
    for p in plans {
        let top = p.def.name.split('/').next().unwrap_or_default();
        let own = plans
            .iter()
            .find(|q| q.def.name == top)
            .and_then(|q| q.def.rt_runtime_us);
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

    /// Create every cgroup, spawn every definition's workers, move them in
    /// and start them; see the module doc.
    ///
    /// Every definition is checked first (name, duplicates, worker count,
    /// weight, max, cpuset against `topo`, affinity, workload config), so
    /// a bad one creates nothing. A failure later removes everything made
    /// so far: workers are killed, cgroups removed.
    pub fn apply<'m>(
        &self,
        mgr: &'m CgroupManager,
        topo: &TestTopology,
    ) -> crate::Result<AppliedSetup<'m>> {
        let defs = self.defs();
        for (i, d) in defs.iter().enumerate() {
            if defs[..i].iter().any(|e| e.name == d.name) {
                return Err(CgroupError::Def {
                    name: d.name.clone(),
                    reason: "two definitions use this name".into(),
                }
                .into());
            }
        }
        let plans = defs
            .iter()
            .map(|d| plan(d, topo))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(d) = defs.iter().find(|d| d.rt_runtime_us.is_some()) {
            mgr.rt_or_why(&d.name)?;
        }
        let mut rt_tops = rt_budgets(mgr, &plans)?;
        let mut group = CgroupGroup::new(mgr);
        for p in &plans {
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
        }
        // Declared after `group`, so on an error the workers die first.
        let mut handles: Vec<WorkloadHandle> = Vec::with_capacity(plans.len());
        for p in &plans {
            let name = p.def.name();
            let handle = WorkloadHandle::spawn(&p.config)?;
            match p.config.clone_mode {
                CloneMode::Thread if handle.container_pid().is_none() => {
                    mgr.move_threads(name, &handle.worker_pids())?
                }
                _ => mgr.move_tasks(name, &handle.worker_pids_for_cgroup_procs()?)?,
            }
            handles.push(handle);
        }
        for h in &mut handles {
            h.start();
        }
        Ok(AppliedSetup {
            names: plans.iter().map(|p| p.def.name.clone()).collect(),
            handles,
            group,
        })
    }
}
