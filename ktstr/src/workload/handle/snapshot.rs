//! [`WorkloadHandle::snapshot`]: every worker's progress, CPU and CPU time
//! now, read without stopping anything.

use std::sync::atomic::Ordering;

use serde::{Deserialize, Serialize};

use super::WorkloadHandle;
use crate::sys::procfs;

/// One worker at one instant (see [`WorkloadHandle::snapshot`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerSample {
    /// The worker's index in its workload.
    pub index: usize,
    /// Its task id.
    pub tid: i32,
    /// Outer-loop iterations so far (only grows).
    pub iterations: u64,
    /// The CPU it is on now, or last ran on (`/proc/<tid>/stat` field 39).
    /// None once the task is gone.
    pub cpu: Option<u32>,
    /// Its CPU time so far in ns (`/proc/<tid>/schedstat`); None once the
    /// task is gone or without schedstats.
    pub cpu_ns: Option<u64>,
    /// Time it waited runnable on a runqueue so far, in ns.
    pub wait_ns: Option<u64>,
    /// Times it was scheduled in so far (about its context switches).
    pub timeslices: Option<u64>,
}

impl WorkloadHandle {
    /// Every worker's iteration count, current CPU and CPU time now, in
    /// spawn order. Costs two small `/proc` reads per worker (about
    /// 10-20 µs each), so sampling a few hundred workers every 100 ms is
    /// cheap. The migration log in a report keeps only its first entries;
    /// a series of these samples says where each worker was all run long.
    pub fn snapshot(&self) -> Vec<WorkerSample> {
        self.tids
            .iter()
            .enumerate()
            .map(|(i, &tid)| {
                let iterations = self.ctl.slot(i).iterations.load(Ordering::Relaxed);
                let cpu = procfs::stat(tid.as_raw())
                    .filter(|s| s.state != 'Z' && s.state != 'X')
                    .and_then(|s| s.processor);
                let sched = cpu.and_then(|_| procfs::schedstat(tid));
                WorkerSample {
                    index: i,
                    tid: tid.as_raw(),
                    iterations,
                    cpu,
                    cpu_ns: sched.map(|s| s.0),
                    wait_ns: sched.map(|s| s.1),
                    timeslices: sched.map(|s| s.2),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::workload::{WorkType, WorkloadConfig, WorkloadHandle};

    #[test]
    fn snapshot_says_where_each_worker_runs_and_its_cpu_time_grows() {
        let config = WorkloadConfig {
            num_workers: 2,
            work_type: WorkType::SpinWait,
            ..Default::default()
        };
        let mut h = WorkloadHandle::spawn(&config).unwrap();
        h.start();
        std::thread::sleep(std::time::Duration::from_millis(200));
        let a = h.snapshot();
        std::thread::sleep(std::time::Duration::from_millis(200));
        let b = h.snapshot();
        let online = crate::sys::sched::online_cpus();
        for (x, y) in a.iter().zip(&b) {
            assert!(online.contains(y.cpu.unwrap() as usize), "{y:?}");
            assert!(y.iterations > x.iterations, "{x:?} -> {y:?}");
            assert!(y.cpu_ns.unwrap() > x.cpu_ns.unwrap(), "{x:?} -> {y:?}");
        }
        drop(h.stop_and_collect());
    }
}
