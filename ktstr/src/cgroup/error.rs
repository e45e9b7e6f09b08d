//! [`CgroupError`]: everything the cgroup layer can fail with.
//!
//! A failed write names the file, the value and the errno; a rejected
//! input names the input and the limit it broke. Messages are lowercase
//! fragments that read after "failed to".

use std::path::PathBuf;

use nix::errno::Errno;

use crate::cpuset::ParseCpuSetError;
use crate::topology::TopologyError;

/// A cgroup operation that failed, or input it refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CgroupError {
    /// A write to a cgroup control file failed.
    #[error("write {value:?} to {}: {errno}", path.display())]
    Write {
        /// The control file.
        path: PathBuf,
        /// What was written.
        value: String,
        /// The kernel's answer.
        errno: Errno,
    },
    /// A write to a cgroup control file did not return within the deadline
    /// (the writing thread is left blocked in the kernel).
    #[error("write {value:?} to {}: no answer within {waited_ms} ms", path.display())]
    WriteTimeout {
        /// The control file.
        path: PathBuf,
        /// What was written.
        value: String,
        /// The deadline.
        waited_ms: u64,
    },
    /// A control file could not be read.
    #[error("read {}: {errno}", path.display())]
    Read {
        /// The control file.
        path: PathBuf,
        /// The kernel's answer.
        errno: Errno,
    },
    /// A control file held something other than what the kernel writes.
    #[error("parse {}", path.display())]
    Parse {
        /// The control file.
        path: PathBuf,
        /// What the parser said.
        #[source]
        source: ParseCpuSetError,
    },
    /// `mkdir` of a cgroup directory failed.
    #[error("create cgroup directory {}: {errno}", path.display())]
    Mkdir {
        /// The directory.
        path: PathBuf,
        /// The kernel's answer.
        errno: Errno,
    },
    /// `rmdir` of a cgroup directory failed.
    #[error("remove cgroup directory {}: {errno}", path.display())]
    Rmdir {
        /// The directory.
        path: PathBuf,
        /// The kernel's answer.
        errno: Errno,
    },
    /// `mkdir` or `rmdir` did not return within the deadline.
    #[error("{op} cgroup directory {}: no answer within {waited_ms} ms", path.display())]
    DirTimeout {
        /// "create" or "remove".
        op: &'static str,
        /// The directory.
        path: PathBuf,
        /// The deadline.
        waited_ms: u64,
    },
    /// No hierarchy offers the controllers ktstr needs.
    #[error("find a cgroup hierarchy with the cpuset and cpu controllers: {reason}")]
    NoHierarchy {
        /// What was found, and what is missing where.
        reason: String,
    },
    /// A cgroup name that could escape the run's parent or is not a plain
    /// directory name.
    #[error("use cgroup name {name:?}: {reason}")]
    InvalidName {
        /// The name given.
        name: String,
        /// Why it is refused.
        reason: String,
    },
    /// `create_cgroup` of a name that already exists.
    #[error("create cgroup {name:?}: it already exists")]
    Exists {
        /// The name.
        name: String,
    },
    /// An operation on a cgroup that was never created (or is gone).
    #[error("find cgroup {name:?}: it does not exist under this run's parent")]
    NotFound {
        /// The name.
        name: String,
    },
    /// A cpuset (or node set) that is empty or names CPUs (nodes) the
    /// run's parent cgroup does not have.
    #[error("write {value:?} to {file} of cgroup {name:?}: {reason}")]
    InvalidCpuset {
        /// The cgroup.
        name: String,
        /// `cpuset.cpus` or `cpuset.mems`.
        file: &'static str,
        /// The set, as a cpu list.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A knob value outside what the kernel accepts.
    #[error("set {knob} of cgroup {name:?} to {value}: it must be within {range}")]
    OutOfRange {
        /// The cgroup.
        name: String,
        /// The knob, e.g. "cpu weight".
        knob: &'static str,
        /// The value given.
        value: String,
        /// The accepted range.
        range: String,
    },
    /// A pid or tid that cannot name a task (0 would move the writer
    /// itself, negative ids are not tasks).
    #[error("move task {pid} into cgroup {name:?}: a task id must be positive")]
    InvalidPid {
        /// The cgroup.
        name: String,
        /// The id given.
        pid: i32,
    },
    /// A real-time budget (`cpu.rt_runtime_us`) the kernel would refuse:
    /// more than the parent has free, more than the period, or less than
    /// the cgroup's own children hold.
    #[error(
        "set {} of cgroup {name:?} to {asked_us} µs per {period_us} µs: {reason}",
        file.display()
    )]
    RtBudget {
        /// The cgroup.
        name: String,
        /// Its `cpu.rt_runtime_us`.
        file: PathBuf,
        /// The runtime asked for.
        asked_us: u64,
        /// The cgroup's period.
        period_us: u64,
        /// Which rule it breaks, with the numbers.
        reason: String,
    },
    /// A real-time budget asked for where the kernel has none per cgroup.
    #[error("set the real-time budget of cgroup {name:?}: {why}")]
    NoRtGroups {
        /// The cgroup.
        name: String,
        /// Why there is no such budget here.
        why: String,
    },
    /// A cpuset request the topology cannot meet.
    #[error(transparent)]
    Topology(#[from] TopologyError),
    /// A cgroup definition (`CgroupDef`) that cannot be applied.
    #[error("apply cgroup definition {name:?}: {reason}")]
    Def {
        /// The definition's name.
        name: String,
        /// What is wrong.
        reason: String,
    },
}

impl CgroupError {
    /// The errno of a failed kernel operation, if this is one.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            CgroupError::Write { errno, .. }
            | CgroupError::Read { errno, .. }
            | CgroupError::Mkdir { errno, .. }
            | CgroupError::Rmdir { errno, .. } => Some(*errno),
            _ => None,
        }
    }
}

/// The errno of an `io::Error` (EIO when it carries none).
pub(crate) fn errno_of(e: &std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))
}
