//! Declarative layouts: [`CgroupDef`] (one cgroup and the workloads in
//! it), [`CpusetSpec`] (its CPUs, relative to the topology) and
//! [`AffinityKind`] (how its workers are pinned inside it). A whole layout
//! is a [`Setup`](super::Setup), applied in one call.

use super::knobs::CpuMax;
use crate::cpuset::CpuSet;
use crate::topology::{TestTopology, TopologyError};
use crate::workload::{Affinity, CloneMode, WorkType, WorkloadConfig};

/// A cgroup's CPUs, described relative to the topology and resolved with
/// [`CpusetSpec::resolve`], the one place a spec becomes CPUs: `Setup`
/// resolves each definition's spec once and hands the result back in
/// [`AppliedCgroup::cpuset`](super::AppliedCgroup::cpuset).
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

    /// The CPUs on `topo`: never empty, never unknown CPUs (so callers
    /// need no [`TestTopology::check_cpuset`] of their own).
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

/// One cgroup and the workloads to run in it. Build with
/// [`CgroupDef::named`] and the `with_*` setters; there is deliberately no
/// `Default` (every cgroup needs a name).
///
/// A definition holds whole workloads: [`with_workload`](Self::with_workload)
/// takes any [`WorkloadConfig`] (work type, policy, nice, affinity, clone
/// mode, memory policy, names), and can be called again to run several
/// side by side in the cgroup. Their reports come back as one
/// [`ReportGroup`](crate::check::ReportGroup) per definition.
///
/// ```
/// use ktstr::prelude::*;
/// let def = CgroupDef::named("mixed")
///     .with_cpuset(CpusetSpec::disjoint(0, 2))
///     .with_workload(WorkloadConfig { num_workers: 2, sched_policy: SchedPolicy::Batch, ..Default::default() })
///     .with_workload(WorkloadConfig { nice: 10, ..Default::default() });
/// assert_eq!((def.workloads().len(), def.workers()), (2, 3));
/// ```
///
/// The shorthand setters [`with_workers`](Self::with_workers),
/// [`with_work_type`](Self::with_work_type) and
/// [`with_clone_mode`](Self::with_clone_mode) edit the last workload, so
/// `CgroupDef::named("a").with_workers(4)` is one workload of 4 workers.
///
/// Defaults: no cpuset (the run's CPUs), weight and bandwidth untouched,
/// one workload of 1 [`WorkType::SpinWait`] worker in [`CloneMode::Fork`]
/// (the first `with_workload` replaces it), [`AffinityKind::Inherit`].
///
/// [`CgroupDef::in_test_cgroup`] is a definition that creates no cgroup:
/// its workloads run in the test's own cgroup, beside the others.
#[derive(Clone, Debug)]
pub struct CgroupDef {
    name: String,
    own_cgroup: bool,
    cpuset: Option<CpusetSpec>,
    weight: Option<u32>,
    max: Option<CpuMax>,
    rt_runtime_us: Option<u64>,
    workloads: Vec<WorkloadConfig>,
    /// The workloads are still the default one (no `with_workload` yet).
    implicit: bool,
    affinity: AffinityKind,
}

impl CgroupDef {
    /// A definition of cgroup `name` (relative to the run's parent; nested
    /// names like `a/b` are allowed).
    pub fn named(name: impl Into<String>) -> CgroupDef {
        CgroupDef {
            name: name.into(),
            own_cgroup: true,
            cpuset: None,
            weight: None,
            max: None,
            rt_runtime_us: None,
            workloads: vec![WorkloadConfig::default()],
            implicit: true,
            affinity: AffinityKind::Inherit,
        }
    }

    /// Workloads that run in the test's own cgroup (the one the test
    /// process is in): no cgroup is created and nothing is moved. `label`
    /// names their report group. Such a definition cannot set a cpuset,
    /// weight, bandwidth or RT budget (there is no cgroup of its own to
    /// set them on); [`Setup::apply`](super::Setup::apply) refuses them.
    pub fn in_test_cgroup(label: impl Into<String>) -> CgroupDef {
        CgroupDef {
            own_cgroup: false,
            ..CgroupDef::named(label)
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
    /// `cpu.rt_runtime_us`; see [`CgroupManager::set_rt_runtime`](super::CgroupManager::set_rt_runtime)).
    /// Default: where the kernel has RT group scheduling, the cgroups
    /// directly under the run's parent that set none share what the run's
    /// budget has left after those that do, equally; nested ones get half
    /// of their parent's free budget when created. On cgroup v2, or a kernel without
    /// RT group scheduling, setting it is an error ([`CgroupError::NoRtGroups`](super::CgroupError::NoRtGroups)).
    #[doc(alias = "cpu.rt_runtime_us")]
    pub fn with_rt_runtime_us(mut self, runtime_us: u64) -> CgroupDef {
        self.rt_runtime_us = Some(runtime_us);
        self
    }

    /// Run `config` in the cgroup. The first call replaces the default
    /// workload; later calls add workloads beside it. A workload whose
    /// `affinity` is [`Affinity::Inherit`] gets the definition's
    /// [`AffinityKind`]; one with its own affinity keeps it.
    pub fn with_workload(mut self, config: WorkloadConfig) -> CgroupDef {
        if std::mem::take(&mut self.implicit) {
            self.workloads.clear();
        }
        self.workloads.push(config);
        self
    }

    fn last(&mut self) -> &mut WorkloadConfig {
        self.workloads
            .last_mut()
            .expect("a definition always holds a workload")
    }

    /// Number of workers of the last workload (at least 1). Default: 1.
    pub fn with_workers(mut self, n: usize) -> CgroupDef {
        self.last().num_workers = n;
        self
    }

    /// What the last workload's workers do. Default: `SpinWait`.
    pub fn with_work_type(mut self, work_type: WorkType) -> CgroupDef {
        self.last().work_type = work_type;
        self
    }

    /// Processes or threads, for the last workload. Default: `Fork`.
    pub fn with_clone_mode(mut self, mode: CloneMode) -> CgroupDef {
        self.last().clone_mode = mode;
        self
    }

    /// How workers are pinned inside the cgroup. Default: `Inherit`.
    pub fn with_affinity(mut self, kind: AffinityKind) -> CgroupDef {
        self.affinity = kind;
        self
    }

    /// The cgroup name (the report group's label for
    /// [`in_test_cgroup`](Self::in_test_cgroup)).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the definition creates a cgroup of its own (false for
    /// [`in_test_cgroup`](Self::in_test_cgroup)).
    pub fn has_own_cgroup(&self) -> bool {
        self.own_cgroup
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

    /// The workloads, in spawn order (never empty).
    pub fn workloads(&self) -> &[WorkloadConfig] {
        &self.workloads
    }

    /// The number of workers over every workload.
    pub fn workers(&self) -> usize {
        self.workloads.iter().map(|w| w.num_workers).sum()
    }

    /// The affinity kind.
    pub fn affinity(&self) -> &AffinityKind {
        &self.affinity
    }

    /// Why the definition cannot be created, if it cannot: settings that
    /// need a cgroup on a definition without one.
    pub(super) fn settings_without_cgroup(&self) -> Option<String> {
        if self.own_cgroup {
            return None;
        }
        let set: Vec<&str> = [
            ("cpuset", self.cpuset.is_some()),
            ("weight", self.weight.is_some()),
            ("cpu max", self.max.is_some()),
            ("rt runtime", self.rt_runtime_us.is_some()),
        ]
        .into_iter()
        .filter_map(|(what, on)| on.then_some(what))
        .collect();
        (!set.is_empty()).then(|| {
            format!(
                "{} set on workloads in the test's own cgroup, which ktstr does not create or configure: use CgroupDef::named for a cgroup of their own",
                set.join(", ")
            )
        })
    }

    /// The engine configs for a cgroup with `cpus` (None: no cpuset):
    /// each workload with the definition's affinity where it has none.
    pub(super) fn resolve_workloads(
        &self,
        cpus: Option<&CpuSet>,
        topo: &TestTopology,
    ) -> Result<Vec<WorkloadConfig>, String> {
        let affinity = self.affinity.resolve(cpus, topo)?;
        self.workloads
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let mut config = w.clone();
                if config.affinity == Affinity::Inherit {
                    config.affinity = affinity.clone();
                }
                config.validate().map_err(|e| match self.workloads.len() {
                    1 => e.to_string(),
                    _ => format!("workload {i}: {e}"),
                })?;
                Ok(config)
            })
            .collect()
    }
}
