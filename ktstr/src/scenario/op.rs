//! [`Op`]: one change a [`Step`](super::Step) makes to the running layout.

use crate::cgroup::{CgroupDef, CpuMax, CpusetSpec};
use crate::workload::{SchedPolicy, WorkloadConfig};

/// One change to the layout while its workers run. Ops of a step apply in
/// order, at the step's start; each names the cgroup it acts on (the
/// name given to its [`CgroupDef`]).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Op {
    /// Create a cgroup with its workers (started at once).
    AddCgroup(CgroupDef),
    /// Stop a cgroup's workers (their reports are kept) and remove it.
    RemoveCgroup(String),
    /// Restrict a cgroup to a cpuset (resolved against the topology).
    SetCpuset(String, CpusetSpec),
    /// Let a cgroup use its parent's CPUs again.
    ClearCpuset(String),
    /// Set `cpu.weight` (v1 `cpu.shares`), 1..=10000.
    SetWeight(String, u32),
    /// Set `cpu.max` (v1 `cpu.cfs_quota_us`/`cpu.cfs_period_us`).
    SetMax(String, CpuMax),
    /// Move every worker of the first cgroup into the second.
    MoveWorkers {
        /// From this cgroup.
        from: String,
        /// Into this one.
        to: String,
    },
    /// `sched_setaffinity` every worker of a cgroup to a cpuset (within
    /// the cgroup's own cpuset, or the kernel refuses it).
    SetAffinity(String, CpusetSpec),
    /// `sched_setscheduler` every worker of a cgroup.
    SetPolicy(String, SchedPolicy),
    /// Set the nice value (-20..=19) of every worker of a cgroup.
    SetNice(String, i32),
    /// Spawn another workload into an existing cgroup and start it.
    Spawn(String, WorkloadConfig),
    /// Stop and collect every workload of a cgroup; the cgroup stays.
    Stop(String),
    /// Freeze a cgroup's workers (v2 `cgroup.freeze`, v1 `freezer`).
    Freeze(String),
    /// Thaw a frozen cgroup.
    Thaw(String),
}

impl Op {
    /// [`Op::RemoveCgroup`].
    pub fn remove_cgroup(name: impl Into<String>) -> Op {
        Op::RemoveCgroup(name.into())
    }

    /// [`Op::SetCpuset`].
    pub fn set_cpuset(name: impl Into<String>, spec: CpusetSpec) -> Op {
        Op::SetCpuset(name.into(), spec)
    }

    /// [`Op::SetWeight`].
    pub fn set_weight(name: impl Into<String>, weight: u32) -> Op {
        Op::SetWeight(name.into(), weight)
    }

    /// [`Op::SetMax`].
    pub fn set_max(name: impl Into<String>, max: CpuMax) -> Op {
        Op::SetMax(name.into(), max)
    }

    /// [`Op::MoveWorkers`].
    pub fn move_workers(from: impl Into<String>, to: impl Into<String>) -> Op {
        Op::MoveWorkers {
            from: from.into(),
            to: to.into(),
        }
    }

    /// [`Op::SetAffinity`].
    pub fn set_affinity(name: impl Into<String>, spec: CpusetSpec) -> Op {
        Op::SetAffinity(name.into(), spec)
    }

    /// [`Op::SetPolicy`].
    pub fn set_policy(name: impl Into<String>, policy: SchedPolicy) -> Op {
        Op::SetPolicy(name.into(), policy)
    }

    /// [`Op::SetNice`].
    pub fn set_nice(name: impl Into<String>, nice: i32) -> Op {
        Op::SetNice(name.into(), nice)
    }

    /// [`Op::Spawn`].
    pub fn spawn(name: impl Into<String>, config: WorkloadConfig) -> Op {
        Op::Spawn(name.into(), config)
    }

    /// [`Op::Stop`].
    pub fn stop(name: impl Into<String>) -> Op {
        Op::Stop(name.into())
    }

    /// [`Op::Freeze`].
    pub fn freeze(name: impl Into<String>) -> Op {
        Op::Freeze(name.into())
    }

    /// [`Op::Thaw`].
    pub fn thaw(name: impl Into<String>) -> Op {
        Op::Thaw(name.into())
    }

    /// The op in words for errors: `set_cpuset cg_0`.
    pub fn describe(&self) -> String {
        match self {
            Op::AddCgroup(d) => format!("add_cgroup {}", d.name()),
            Op::RemoveCgroup(n) => format!("remove_cgroup {n}"),
            Op::SetCpuset(n, s) => format!("set_cpuset {n} {s:?}"),
            Op::ClearCpuset(n) => format!("clear_cpuset {n}"),
            Op::SetWeight(n, w) => format!("set_weight {n} {w}"),
            Op::SetMax(n, m) => format!("set_max {n} {m}"),
            Op::MoveWorkers { from, to } => format!("move_workers {from} -> {to}"),
            Op::SetAffinity(n, s) => format!("set_affinity {n} {s:?}"),
            Op::SetPolicy(n, p) => format!("set_policy {n} {p:?}"),
            Op::SetNice(n, v) => format!("set_nice {n} {v}"),
            Op::Spawn(n, c) => format!("spawn {n} {}x{}", c.num_workers, c.work_type.name()),
            Op::Stop(n) => format!("stop {n}"),
            Op::Freeze(n) => format!("freeze {n}"),
            Op::Thaw(n) => format!("thaw {n}"),
        }
    }
}
