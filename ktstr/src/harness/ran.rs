//! What a test actually ran, as its child saw it when the body ended: the
//! `Ctx` settings in force (the body may have changed the attribute's), the
//! thresholds it checked with, and every workload it spawned with the
//! cgroup and cpuset it ran in. The child sends this back in its outcome
//! and the JSON record keeps it, so the record never rebuilds a test's
//! configuration from its attribute.

use serde::Serialize;

use super::{CpusetLayout, Ctx};
use crate::cgroup::CgroupDef;
use crate::check::Thresholds;
use crate::cpuset::CpuSet;
use crate::workload::{CloneMode, WorkloadConfig};

/// One workload the test spawned.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct RanWorkload {
    /// The cgroup it ran in, or the group its reports were recorded under.
    pub group: String,
    /// The CPUs its cgroup was confined to, if any.
    pub cpuset: Option<CpuSet>,
    /// Its configuration as spawned.
    pub config: WorkloadConfig,
}

impl RanWorkload {
    /// The workloads a cgroup definition spawns, in its order, confined to
    /// `cpuset` (as `Setup::apply` resolved it).
    pub fn of_def(def: &CgroupDef, cpuset: Option<&CpuSet>) -> Vec<RanWorkload> {
        def.workloads()
            .iter()
            .map(|config| RanWorkload {
                group: def.name().to_string(),
                cpuset: cpuset.cloned(),
                config: config.clone(),
            })
            .collect()
    }
}

/// The record's `config`: the settings in force at the end of the body and
/// what ran.
#[derive(Serialize)]
struct RanConfig<'a> {
    workers: usize,
    work_type: &'a str,
    clone_mode: CloneMode,
    duration_ns: u64,
    cgroups: usize,
    cpusets: CpusetLayout,
    thresholds: &'a Thresholds,
    workloads: &'a [RanWorkload],
}

/// `ctx`'s settings and `workloads` as the JSON the outcome carries.
pub(crate) fn config_value(ctx: &Ctx, workloads: &[RanWorkload]) -> serde_json::Value {
    let c = RanConfig {
        workers: ctx.workers,
        work_type: ctx.work_type.name(),
        clone_mode: ctx.clone_mode,
        duration_ns: u64::try_from(ctx.duration.as_nanos()).unwrap_or(u64::MAX),
        cgroups: ctx.cgroups,
        cpusets: ctx.cpusets,
        thresholds: &ctx.thresholds,
        workloads,
    };
    serde_json::to_value(&c).unwrap_or_default()
}
