//! What to spawn: [`WorkloadConfig`] and the settings it carries
//! ([`CloneMode`], [`WorkSpec`], [`SchedPolicy`], [`MemPolicy`], [`Affinity`]).
//!
//! Every setting is checked by [`WorkloadConfig::validate`] (which `spawn`
//! calls first), so a bad value is an error before any worker exists.

use serde::Serialize;

use super::{MemberWork, WorkType};
use crate::cpuset::CpuSet;

/// How workers are created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum CloneMode {
    /// One child process per worker (`fork(2)`), each its own process group.
    /// Place them in cgroups through `cgroup.procs`.
    #[default]
    Fork,
    /// One thread per worker inside the spawning process. Place them in
    /// cgroups through `cgroup.threads` (v2) or `tasks` (v1).
    Thread,
}

impl CloneMode {
    /// Parse `fork` or `thread` (any case).
    pub fn from_name(name: &str) -> Option<CloneMode> {
        match name.to_ascii_lowercase().as_str() {
            "fork" | "process" => Some(CloneMode::Fork),
            "thread" => Some(CloneMode::Thread),
            _ => None,
        }
    }
}

/// How workers are named and housed.
///
/// With [`WorkSpec::pcomm`] set, `spawn` creates ONE container process whose
/// `comm` (what `ps`, `top` and schedulers that match on the process name
/// see) is `pcomm`, and runs every worker as a thread inside it: the shape of
/// a real multi-threaded program such as a browser with its thread pool.
/// [`WorkSpec::comm`] names each worker thread (or process in Fork mode).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WorkSpec {
    /// Name of the container process (at most 15 bytes: `TASK_COMM_LEN`).
    pub pcomm: Option<String>,
    /// Name of each worker task (at most 15 bytes).
    pub comm: Option<String>,
}

impl WorkSpec {
    /// A spec that houses the workers in a container process named `name`.
    pub fn pcomm(name: impl Into<String>) -> WorkSpec {
        WorkSpec {
            pcomm: Some(name.into()),
            comm: None,
        }
    }

    /// Name each worker task `name`.
    pub fn with_comm(mut self, name: impl Into<String>) -> WorkSpec {
        self.comm = Some(name.into());
        self
    }
}

/// Linux scheduling policy applied to each worker when it starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum SchedPolicy {
    /// `SCHED_OTHER` (EEVDF, or the sched_ext scheduler when one is loaded).
    /// No call is made: the worker keeps the spawner's policy.
    #[default]
    Normal,
    /// `SCHED_BATCH`.
    Batch,
    /// `SCHED_IDLE`.
    Idle,
    /// `SCHED_FIFO` at the given priority (1..=99). Needs CAP_SYS_NICE or an
    /// RLIMIT_RTPRIO; a refusal is recorded in `WorkerReport::policy_error`.
    Fifo(u8),
    /// `SCHED_RR` at the given priority (1..=99).
    RoundRobin(u8),
}

impl SchedPolicy {
    /// The kernel's policy number and priority, or None for `Normal`.
    pub(crate) fn raw(self) -> Option<(i32, i32)> {
        match self {
            SchedPolicy::Normal => None,
            SchedPolicy::Batch => Some((libc::SCHED_BATCH, 0)),
            SchedPolicy::Idle => Some((libc::SCHED_IDLE, 0)),
            SchedPolicy::Fifo(p) => Some((libc::SCHED_FIFO, p as i32)),
            SchedPolicy::RoundRobin(p) => Some((libc::SCHED_RR, p as i32)),
        }
    }

    fn validate(self) -> Result<(), String> {
        match self {
            SchedPolicy::Fifo(p) | SchedPolicy::RoundRobin(p) if !(1..=99).contains(&p) => Err(
                format!("sched_policy {self:?}: real-time priority must be within 1..=99, got {p}"),
            ),
            _ => Ok(()),
        }
    }
}

/// NUMA memory policy (`set_mempolicy(2)`) applied to each worker at start.
///
/// Node sets are checked against the nodes that have memory; a single-node
/// host accepts `Bind([0])`, `Preferred(0)` and `Interleave([0])`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub enum MemPolicy {
    /// Inherit the spawner's policy (no call).
    #[default]
    Default,
    /// `MPOL_BIND`: allocate only from these nodes.
    Bind(CpuSet),
    /// `MPOL_PREFERRED`: prefer this node.
    Preferred(usize),
    /// `MPOL_INTERLEAVE`: spread pages round-robin over these nodes.
    Interleave(CpuSet),
    /// `MPOL_LOCAL`: allocate on the node of the CPU that faults.
    Local,
}

impl MemPolicy {
    /// The kernel's mode and node set, or None for `Default`.
    pub(crate) fn raw(&self) -> Option<(i32, CpuSet)> {
        match self {
            MemPolicy::Default => None,
            MemPolicy::Bind(n) => Some((libc::MPOL_BIND, n.clone())),
            MemPolicy::Preferred(n) => Some((libc::MPOL_PREFERRED, [*n].into())),
            MemPolicy::Interleave(n) => Some((libc::MPOL_INTERLEAVE, n.clone())),
            MemPolicy::Local => Some((libc::MPOL_LOCAL, CpuSet::new())),
        }
    }

    fn validate(&self, nodes: &CpuSet) -> Result<(), String> {
        let Some((_, set)) = self.raw() else {
            return Ok(());
        };
        if matches!(self, MemPolicy::Local) {
            return Ok(());
        }
        if set.is_empty() {
            return Err(format!("mem_policy {self:?}: the node set is empty"));
        }
        let missing = set.difference(nodes);
        if !missing.is_empty() {
            return Err(format!(
                "mem_policy {self:?}: node(s) {missing} have no memory on this host (nodes with memory: {nodes})"
            ));
        }
        Ok(())
    }
}

/// Where each worker may run, applied by the worker itself when it starts
/// (after any cgroup placement, which would otherwise reset it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub enum Affinity {
    /// No mask: the worker runs wherever its cgroup's cpuset allows.
    #[default]
    Inherit,
    /// Every worker gets this mask.
    Fixed(CpuSet),
    /// Worker `i` is pinned to the `i % len`-th CPU of the set: one CPU each,
    /// spread round-robin.
    Spread(CpuSet),
    /// Worker `i` gets the `i`-th mask; needs exactly one mask per worker.
    PerWorker(Vec<CpuSet>),
}

impl Affinity {
    /// The mask for worker `index`, or None to inherit.
    pub(crate) fn for_worker(&self, index: usize) -> Option<CpuSet> {
        match self {
            Affinity::Inherit => None,
            Affinity::Fixed(s) => Some(s.clone()),
            Affinity::Spread(s) => {
                let cpus: Vec<usize> = s.iter().collect();
                Some([cpus[index % cpus.len()]].into())
            }
            Affinity::PerWorker(v) => Some(v[index].clone()),
        }
    }

    fn validate(&self, num_workers: usize, online: &CpuSet) -> Result<(), String> {
        let check = |what: &str, s: &CpuSet| -> Result<(), String> {
            if s.is_empty() {
                return Err(format!(
                    "affinity {what}: the CPU set is empty (online CPUs: {online})"
                ));
            }
            let missing = s.difference(online);
            if !missing.is_empty() {
                return Err(format!(
                    "affinity {what}: CPU(s) {missing} do not exist or are offline (online CPUs: {online})"
                ));
            }
            Ok(())
        };
        match self {
            Affinity::Inherit => Ok(()),
            Affinity::Fixed(s) => check("Fixed", s),
            Affinity::Spread(s) => check("Spread", s),
            Affinity::PerWorker(v) => {
                if v.len() != num_workers {
                    return Err(format!(
                        "affinity PerWorker has {} masks for {num_workers} workers; give exactly one per worker",
                        v.len()
                    ));
                }
                for (i, s) in v.iter().enumerate() {
                    check(&format!("PerWorker[{i}]"), s)?;
                }
                Ok(())
            }
        }
    }
}

/// Everything `WorkloadHandle::spawn` needs.
///
/// `Default` is one [`WorkType::SpinWait`] worker, [`CloneMode::Fork`], no
/// affinity, normal policy, nice 0, default memory policy. Set the fields
/// that matter and fill in the rest:
///
/// ```
/// use ktstr::prelude::*;
/// let config = WorkloadConfig {
///     num_workers: 4,
///     work_type: WorkType::Mixed,
///     ..Default::default()
/// };
/// assert!(config.validate().is_ok());
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct WorkloadConfig {
    /// Number of workers (at least 1; a multiple of the work type's group
    /// size for grouped types).
    pub num_workers: usize,
    /// What each worker does.
    pub work_type: WorkType,
    /// Processes or threads.
    pub clone_mode: CloneMode,
    /// Naming and the optional pcomm container.
    pub spec: WorkSpec,
    /// Per-worker CPU affinity.
    pub affinity: Affinity,
    /// Scheduling policy.
    pub sched_policy: SchedPolicy,
    /// Nice value (-20..=19); 0 leaves the spawner's value.
    pub nice: i32,
    /// NUMA memory policy.
    pub mem_policy: MemPolicy,
    /// Per-member spin-work factors of a grouped type (empty: every member
    /// does what the type's parameters say). See [`MemberWork`] and
    /// [`with_member_work`](Self::with_member_work).
    pub member_work: Vec<MemberWork>,
}

impl Default for WorkloadConfig {
    fn default() -> Self {
        WorkloadConfig {
            num_workers: 1,
            work_type: WorkType::SpinWait,
            clone_mode: CloneMode::Fork,
            spec: WorkSpec::default(),
            affinity: Affinity::Inherit,
            sched_policy: SchedPolicy::Normal,
            nice: 0,
            mem_policy: MemPolicy::Default,
            member_work: Vec::new(),
        }
    }
}

/// Longest task name the kernel keeps (`TASK_COMM_LEN` - 1).
pub const MAX_COMM_LEN: usize = 15;

impl WorkloadConfig {
    /// Make member `k` of every group do `factor` × its spin steps (see
    /// [`MemberWork`]): one producer with a fast and a slow consumer is a
    /// `ProducerConsumerImbalance` whose second consumer (member 2, after
    /// the producer at 0) works 8× longer per item:
    ///
    /// ```
    /// use ktstr::prelude::*;
    /// let config = WorkloadConfig {
    ///     num_workers: 3,
    ///     work_type: WorkType::ProducerConsumerImbalance {
    ///         producers: 1,
    ///         consumers: 2,
    ///         ring_size: 16,
    ///         produce_iters: 64,
    ///         consume_iters: 4096,
    ///     },
    ///     ..Default::default()
    /// }
    /// .with_member_work(2, 8.0);
    /// assert!(config.validate().is_ok());
    /// // There is no member 3 in a group of three.
    /// assert!(config.clone().with_member_work(3, 2.0).validate().is_err());
    /// ```
    ///
    /// [`validate`](Self::validate) refuses a `k` outside the group, a
    /// factor that is not finite, not above 0 or above
    /// [`MAX_MEMBER_FACTOR`](super::MAX_MEMBER_FACTOR), a member given two
    /// factors, and any factor on a type that is not grouped.
    pub fn with_member_work(mut self, k: usize, factor: f64) -> WorkloadConfig {
        self.member_work.push(MemberWork { k, factor });
        self
    }

    /// Check every setting against its limits and this host.
    ///
    /// The error names the offending value and the limit it broke. That
    /// includes what the host can hold, read now: the tasks the workload
    /// adds against `kernel.pid_max` and `kernel.threads-max` minus the
    /// tasks already running, the caller's pids cgroup and `RLIMIT_NPROC`
    /// (unless exempt: root, `CAP_SYS_ADMIN` or `CAP_SYS_RESOURCE`), and an
    /// estimate of the engine's memory per worker (128 KiB per Fork worker,
    /// 48 KiB per Thread worker) against `MemAvailable`. So
    /// `num_workers: 100_000` on a host with pid_max 32768 is refused here,
    /// before anything is forked. The engine's largest tested workloads are
    /// 8192 Thread and 8192 Fork workers (2-CPU VM; the guide's Workloads chapter
    /// says how long they take).
    pub fn validate(&self) -> Result<(), crate::Error> {
        self.check().map_err(crate::Error::InvalidConfig)
    }

    fn check(&self) -> Result<(), String> {
        if self.num_workers == 0 {
            return Err(
                "num_workers is 0: a workload needs at least 1 worker (checks over zero reports would pass vacuously)"
                    .into(),
            );
        }
        self.work_type.validate(self.num_workers)?;
        MemberWork::validate(&self.member_work, &self.work_type)?;
        self.affinity
            .validate(self.num_workers, crate::sys::sched::online_cpus())?;
        self.sched_policy.validate()?;
        if !(-20..=19).contains(&self.nice) {
            return Err(format!("nice {} is outside -20..=19", self.nice));
        }
        self.mem_policy
            .validate(crate::sys::sched::memory_nodes())?;
        for (what, name) in [("pcomm", &self.spec.pcomm), ("comm", &self.spec.comm)] {
            if let Some(name) = name {
                if name.is_empty() || name.len() > MAX_COMM_LEN || name.contains('\0') {
                    return Err(format!(
                        "{what} {name:?} is {} bytes: a task name must be 1..={MAX_COMM_LEN} bytes without NUL",
                        name.len()
                    ));
                }
            }
        }
        super::capacity::check(self, &crate::sys::limits::HostLimits::read())
    }
}
