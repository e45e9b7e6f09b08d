//! CPU-bound types: `SpinWait`, `Mixed`, `YieldHeavy`, `Bursty`.

use std::time::{Duration, Instant};

use super::{solo, timed_yield, Body, Entry, Family, Planned};
use crate::workload::{WorkType, Worker};

/// Spin units per iteration of the spinning types.
pub(crate) const SPIN_CHUNK: u64 = 1024;

pub(crate) const SPIN_WAIT: Entry = Entry {
    name: "SpinWait",
    group: "-",
    about: "pure CPU burner: fairness between hogs, load balancing, tick preemption",
    default: Some(|| WorkType::SpinWait),
};
pub(crate) const MIXED: Entry = Entry {
    name: "Mixed",
    group: "-",
    about: "spin bursts with a sched_yield after each: CPU work mixed with voluntary requeue",
    default: Some(|| WorkType::Mixed),
};
pub(crate) const YIELD_HEAVY: Entry = Entry {
    name: "YieldHeavy",
    group: "-",
    about: "sched_yield in a tight loop: the yield/requeue path and pick_next_task churn",
    default: Some(|| WorkType::YieldHeavy),
};
pub(crate) const BURSTY: Entry = Entry {
    name: "Bursty",
    group: "-",
    about: "spin for burst_ms, sleep for sleep_ms: idle balance and CPU borrowing, timer wakeups",
    default: Some(WorkType::bursty),
};

/// The spinning family: which flavour.
#[derive(Clone, Copy)]
pub(crate) enum Spin {
    Wait,
    Mixed,
    YieldHeavy,
}

impl Family for Spin {
    fn name(&self) -> &'static str {
        match self {
            Spin::Wait => SPIN_WAIT.name,
            Spin::Mixed => MIXED.name,
            Spin::YieldHeavy => YIELD_HEAVY.name,
        }
    }

    fn plan(&self, n: usize) -> Result<Vec<Planned>, String> {
        Ok(solo(n, || *self))
    }
}

impl Body for Spin {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        loop {
            match self {
                Spin::Wait => w.spin(SPIN_CHUNK),
                Spin::Mixed => {
                    w.spin(SPIN_CHUNK);
                    let ns = timed_yield();
                    w.record_wake_latency(ns);
                }
                Spin::YieldHeavy => {
                    w.add_units(1);
                    let ns = timed_yield();
                    w.record_wake_latency(ns);
                }
            }
            w.end_iteration();
            if w.should_stop() {
                return Ok(());
            }
        }
    }
}

/// `Bursty { burst_ms, sleep_ms }`.
#[derive(Clone, Copy)]
pub(crate) struct Bursty {
    pub burst_ms: u64,
    pub sleep_ms: u64,
}

impl Family for Bursty {
    fn name(&self) -> &'static str {
        BURSTY.name
    }

    fn validate(&self) -> Result<(), String> {
        if self.burst_ms == 0 {
            return Err("Bursty burst_ms is 0: the burst must last at least 1 ms".into());
        }
        Ok(())
    }

    fn plan(&self, n: usize) -> Result<Vec<Planned>, String> {
        Ok(solo(n, || *self))
    }
}

impl Body for Bursty {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        loop {
            let end = Instant::now() + Duration::from_millis(self.burst_ms);
            loop {
                w.spin(SPIN_CHUNK);
                w.checkpoint();
                if Instant::now() >= end || w.should_stop() {
                    break;
                }
            }
            if self.sleep_ms > 0 && !w.should_stop() {
                w.sleep(Duration::from_millis(self.sleep_ms));
            }
            w.end_iteration();
            if w.should_stop() {
                return Ok(());
            }
        }
    }
}
