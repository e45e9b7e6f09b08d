//! [`TopologyError`]: what reading or querying a topology can fail with.

use std::path::PathBuf;

use crate::cpuset::{CpuSet, ParseCpuSetError};

/// A topology that could not be read, or a query it cannot answer.
///
/// Messages are lowercase fragments that read after "failed to".
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TopologyError {
    /// A sysfs file could not be read.
    #[error("read {}: {errno}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        errno: nix::errno::Errno,
    },
    /// A sysfs cpu list that does not parse.
    #[error("parse {}", path.display())]
    ParseFile {
        /// The file.
        path: PathBuf,
        /// The parser's complaint.
        #[source]
        source: ParseCpuSetError,
    },
    /// The online-CPU list is empty.
    #[error("find an online CPU: {} lists none", path.display())]
    NoCpus {
        /// The online file that was read.
        path: PathBuf,
    },
    /// A cpuset string that does not parse.
    #[error(transparent)]
    ParseCpuset(#[from] ParseCpuSetError),
    /// An empty cpuset where CPUs are needed.
    #[error("use an empty cpuset: a cpuset needs at least one CPU")]
    EmptyCpuset,
    /// A cpuset naming CPUs this topology does not have.
    #[error("use cpuset {cpus:?}: CPU(s) {unknown} do not exist (this topology has CPUs {known})")]
    UnknownCpus {
        /// The cpuset, as a cpu list.
        cpus: String,
        /// The CPUs in it that the topology lacks.
        unknown: CpuSet,
        /// The CPUs the topology has.
        known: CpuSet,
    },
    /// An LLC index past the end.
    #[error("select LLC {index}: the topology has {count} LLC(s) (0..{count})")]
    LlcOutOfRange {
        /// The index given.
        index: usize,
        /// The number of LLCs.
        count: usize,
    },
    /// A NUMA node id the topology does not have.
    #[error("select NUMA node {node}: the topology has node(s) {known}")]
    UnknownNode {
        /// The node id given.
        node: usize,
        /// The node ids there are.
        known: CpuSet,
    },
    /// A partition request that cannot be met (`of == 0`, `index >= of`,
    /// more shares than CPUs, a fraction outside `0.0..=1.0`).
    #[error("partition the usable CPUs: {reason}")]
    Partition {
        /// What is wrong, with the numbers.
        reason: String,
    },
    /// Parts that do not make a topology (a CPU in no core, LLC or node, or
    /// in two of them).
    #[error("build a topology: {reason}")]
    Inconsistent {
        /// What is wrong.
        reason: String,
    },
    /// Arguments to [`TestTopology::synthetic`](super::TestTopology::synthetic)
    /// that describe no possible machine.
    #[error("build a synthetic topology: {reason}")]
    Synthetic {
        /// What is wrong, with the numbers.
        reason: String,
    },
}
