//! Everything a test usually needs: `use ktstr::prelude::*;`.

pub use crate::cpuset::CpuSet;
pub use crate::harness::Ctx;
/// `anyhow::Result`: what test bodies return (`fn t(ctx: &mut Ctx) -> Result<()>`).
pub use anyhow::Result;
pub use crate::workload::{
    Affinity, CloneMode, ExitInfo, MemPolicy, Phase, SchedPolicy, WorkSpec, WorkType, Worker,
    WorkerReport, WorkloadConfig, WorkloadHandle,
};
