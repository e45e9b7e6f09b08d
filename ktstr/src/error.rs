//! The library's error type.

/// Everything the workload engine can fail with.
///
/// Messages name the value that was wrong and what would be right; OS
/// failures keep the errno as their `source`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A `WorkloadConfig` (or a value passed to a handle method) that breaks
    /// a limit. Nothing was created.
    #[error("invalid workload config: {0}")]
    InvalidConfig(String),
    /// A kernel call failed; `op` says which and on what.
    #[error("failed to {op}")]
    Os {
        /// What was being done, e.g. "fork worker 3 of 16".
        op: String,
        /// The errno.
        #[source]
        source: std::io::Error,
    },
    /// A worker index past the end.
    #[error("worker index {index} is out of range: the workload has {count} workers (0..{count})")]
    WorkerIndex {
        /// The index given.
        index: usize,
        /// The number of workers.
        count: usize,
    },
    /// `worker_pids_for_cgroup_procs` on Thread-mode workers.
    #[error(
        "Thread-mode workers are threads of the spawning process (tgid {tgid}): writing them to \
         cgroup.procs would move the whole process; write worker_pids() to cgroup.threads \
         (cgroup v2) or tasks (cgroup v1) instead"
    )]
    ThreadsNotProcesses {
        /// The spawner's pid.
        tgid: i32,
    },
    /// Workers that did not reach their start wait in time.
    #[error("only {ready} of {count} workers became ready within {waited_ms} ms of spawning")]
    NotReady {
        /// Workers ready.
        ready: usize,
        /// Workers spawned.
        count: usize,
        /// How long spawn waited.
        waited_ms: u64,
    },
    /// Spawning was cancelled (the progress callback of
    /// `WorkloadHandle::spawn_watched` returned false, e.g. on Ctrl-C).
    /// Every worker created was killed and reaped.
    #[error(
        "spawning was cancelled after {created} of {count} workers were created; every one of \
         them was stopped and reaped"
    )]
    SpawnCancelled {
        /// Workers created before the cancel.
        created: usize,
        /// Workers asked for.
        count: usize,
    },
    /// A cgroup operation failed (the message names the file, the value
    /// and the errno) or refused its input.
    #[error(transparent)]
    Cgroup(#[from] crate::cgroup::CgroupError),
}

impl Error {
    /// An `Os` error from a nix errno.
    pub(crate) fn os(op: impl Into<String>, errno: nix::errno::Errno) -> Error {
        Error::Os {
            op: op.into(),
            source: std::io::Error::from_raw_os_error(errno as i32),
        }
    }
}

/// `Result` with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The text of a panic payload (`panic!("...")` gives a `&str` or a
/// `String`); the one rendering for worker and test-body panics.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_string()
    }
}
