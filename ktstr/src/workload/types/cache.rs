//! Cache-footprint types: `CachePressure` and `CacheYield`.

use super::{solo, timed_yield, Body, Entry, Family, Planned};
use crate::sys::mman::volatile_bump;
use crate::workload::{WorkType, Worker};

pub(crate) const CACHE_PRESSURE: Entry = Entry {
    name: "CachePressure",
    group: "-",
    about: "read-modify-write over a size_kb buffer: cache-hot working sets, migration cost",
    default: Some(WorkType::cache_pressure),
};
pub(crate) const CACHE_YIELD: Entry = Entry {
    name: "CacheYield",
    group: "-",
    about: "CachePressure plus a sched_yield per pass: re-placement of cache-hot tasks",
    default: Some(WorkType::cache_yield),
};

/// Read-modify-write steps per iteration.
const STEPS: u64 = 1024;

/// `CachePressure` / `CacheYield { size_kb, stride }`.
#[derive(Clone, Copy)]
pub(crate) struct Cache {
    pub size_kb: usize,
    pub stride: usize,
    pub yield_after: bool,
}

impl Family for Cache {
    fn name(&self) -> &'static str {
        if self.yield_after {
            CACHE_YIELD.name
        } else {
            CACHE_PRESSURE.name
        }
    }

    fn validate(&self) -> Result<(), String> {
        let name = self.name();
        if self.size_kb == 0 || self.size_kb > 1 << 20 {
            return Err(format!(
                "{name} size_kb is {}: it must be within 1..=1048576 (1 GiB)",
                self.size_kb
            ));
        }
        if self.stride == 0 || self.stride >= self.size_kb * 1024 {
            return Err(format!(
                "{name} stride is {}: it must be within 1..{} (the buffer size in bytes)",
                self.stride,
                self.size_kb * 1024
            ));
        }
        Ok(())
    }

    fn plan(&self, n: usize) -> Result<Vec<Planned>, String> {
        let c = *self;
        Ok(solo(n, move || CacheBody {
            params: c,
            buf: Vec::new(),
            idx: 0,
        }))
    }
}

struct CacheBody {
    params: Cache,
    buf: Vec<u8>,
    idx: usize,
}

impl Body for CacheBody {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        // Allocated here, in the worker, so the pages are first touched by
        // the worker (and land on its NUMA node).
        self.buf = vec![1u8; self.params.size_kb * 1024];
        loop {
            rmw_steps(&mut self.buf, &mut self.idx, self.params.stride, STEPS);
            w.add_units(STEPS);
            if self.params.yield_after {
                let ns = timed_yield();
                w.record_wake_latency(ns);
            }
            w.end_iteration();
            if w.should_stop() {
                return Ok(());
            }
        }
    }
}

/// `steps` volatile read-modify-writes, `stride` bytes apart, wrapping; the
/// position carries over between calls so the whole buffer is walked.
#[inline(never)]
pub(crate) fn rmw_steps(buf: &mut [u8], idx: &mut usize, stride: usize, steps: u64) {
    let len = buf.len();
    for _ in 0..steps {
        // `*idx < len` is kept by the modulo below (and starts at 0).
        volatile_bump(&mut buf[*idx]);
        *idx = (*idx + stride) % len;
    }
}
