//! The workload engine: spawn workers that do scheduler-relevant work, let
//! the caller place them before they start, and bring back per-worker
//! telemetry.
//!
//! The main type here is [`WorkloadHandle`]; what to spawn is a
//! [`WorkloadConfig`]; what comes back is a [`WorkerReport`] per worker.

mod capacity;
mod collect;
mod config;
pub(crate) mod control;
mod custom;
mod handle;
mod member_work;
mod report;
mod run;
mod spawn;
mod task_ops;
mod timekeeper;
pub(crate) mod types;
mod work_type;
mod worker;

pub use crate::sys::Tid;
pub use config::{
    Affinity, CloneMode, MemPolicy, SchedPolicy, WorkSpec, WorkloadConfig, MAX_COMM_LEN,
};
pub use custom::{CustomBody, CustomFn};
pub use handle::{SpawnProgress, WorkerSample, WorkloadHandle, COLLECT_DEADLINE, READY_DEADLINE};
pub use member_work::{MemberWork, MAX_MEMBER_FACTOR};
pub use report::{ExitInfo, LatencySamples, Migration, Schedstat, WorkerReport};
pub use work_type::{Phase, WorkType};
pub use worker::{spin_burst, Worker};
