//! Everything a test usually needs: `use ktstr::prelude::*;`.

pub use crate::cgroup::{
    AffinityKind, CgroupDef, CgroupGroup, CgroupManager, CpuMax, CpusetSpec, Setup,
};
pub use crate::check::ReportGroup;
pub use crate::cpuset::CpuSet;
pub use crate::harness::Ctx;
pub use crate::scheduler::{Scheduler, BPFLAND};
pub use crate::topology::TestTopology;
pub use crate::workload::{
    Affinity, CloneMode, CustomBody, ExitInfo, MemPolicy, MemberWork, Phase, SchedPolicy,
    SpawnProgress, WorkSpec, WorkType, Worker, WorkerReport, WorkloadConfig, WorkloadHandle,
};
/// `anyhow::Result`: what test bodies return (`fn t(ctx: &mut Ctx) -> Result<()>`).
pub use anyhow::Result;
/// anyhow's macros, for test bodies: `ensure!(cond, "why")`, `bail!("why")`.
pub use anyhow::{anyhow, bail, ensure};
