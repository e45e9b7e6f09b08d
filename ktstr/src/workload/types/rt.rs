//! Real-time pressure on a normal task: `RtStarvation` and `PreemptStorm`.
//!
//! Both are pairs pinned to one CPU (the group's CPU, see
//! `priority::group_cpu`: never the highest of several allowed CPUs): a
//! `SCHED_FIFO` role (falling back to the strongest nice value allowed,
//! with a note, when RT is refused) and a normal spinner that keeps the
//! policy and nice value the workload was configured with.
//!
//! - `RtStarvation`: the RT role spins `rt_burst_us`, sleeps `rt_sleep_us`;
//!   the normal worker gets the CPU only in the RT role's sleeps (and in
//!   whatever RT throttling or the fair server grant it).
//! - `PreemptStorm`: the RT role sleeps `sleep_us` (sub-millisecond timers),
//!   wakes, preempts the spinner, spins `work_iters` and sleeps again: a
//!   storm of timer wakeups that must preempt a running task.

use std::time::Duration;

use super::group::{burn, spin_for};
use super::priority::{check_us, fifo_or_nice, pin_to_group_cpu, MAX_RT_BURST_US, MAX_SLEEP_US};
use super::{Body, Entry, Family, Planned};
use crate::workload::{WorkType, Worker};

pub(crate) const RT_STARVATION: Entry = Entry {
    name: "RtStarvation",
    group: "2",
    about:
        "a SCHED_FIFO spinner and a normal spinner on one CPU: RT starvation, the normal's share",
    default: Some(WorkType::rt_starvation),
};
pub(crate) const PREEMPT_STORM: Entry = Entry {
    name: "PreemptStorm",
    group: "2",
    about: "a SCHED_FIFO sub-ms sleeper preempting a spinner on one CPU: wakeup preemption latency",
    default: Some(WorkType::preempt_storm),
};

/// Spin steps per iteration of a normal spinner.
const SPIN_CHUNK: u64 = 1 << 14;
/// `SCHED_FIFO` priority of `RtStarvation`'s RT role, and its nice fallback.
const STARVE_FIFO: (i32, i32) = (10, -20);
/// `SCHED_FIFO` priority of `PreemptStorm`'s sleeper, and its nice fallback.
const STORM_FIFO: (i32, i32) = (20, -20);
/// Longest `PreemptStorm` sleep, in µs (1 s).
const MAX_STORM_SLEEP_US: u64 = 1_000_000;

/// `RtStarvation` or `PreemptStorm`.
#[derive(Clone, Copy)]
pub(crate) enum RtPair {
    /// `RtStarvation { rt_burst_us, rt_sleep_us }`.
    Starvation { burst_us: u64, sleep_us: u64 },
    /// `PreemptStorm { sleep_us, work_iters }`.
    Storm { sleep_us: u64, work_iters: u64 },
}

impl RtPair {
    /// The roles: (RT role, normal role).
    fn roles(&self) -> [&'static str; 2] {
        match self {
            RtPair::Starvation { .. } => ["rt", "normal"],
            RtPair::Storm { .. } => ["sleeper", "spinner"],
        }
    }
}

impl Family for RtPair {
    fn name(&self) -> &'static str {
        match self {
            RtPair::Starvation { .. } => RT_STARVATION.name,
            RtPair::Storm { .. } => PREEMPT_STORM.name,
        }
    }

    fn group_size(&self) -> Option<usize> {
        Some(2)
    }

    fn validate(&self) -> Result<(), String> {
        let name = self.name();
        match *self {
            RtPair::Starvation { burst_us, sleep_us } => {
                check_us(name, "rt_burst_us", burst_us, MAX_RT_BURST_US)?;
                check_us(name, "rt_sleep_us", sleep_us, MAX_SLEEP_US)
            }
            RtPair::Storm { sleep_us, .. } => {
                check_us(name, "sleep_us", sleep_us, MAX_STORM_SLEEP_US)
            }
        }
    }

    fn plan(&self, n: usize) -> Result<Vec<Planned>, String> {
        Ok((0..n)
            .map(|i| Planned {
                body: Box::new(RtBody {
                    params: *self,
                    rt: i % 2 == 0,
                    group: i / 2,
                    sink: 0,
                }),
                group: i / 2,
                role: self.roles()[i % 2],
            })
            .collect())
    }
}

/// One member of a pair.
struct RtBody {
    params: RtPair,
    /// The RT role (else the normal spinner).
    rt: bool,
    group: usize,
    sink: u64,
}

impl Body for RtBody {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        let role = self.params.roles()[usize::from(!self.rt)];
        let who = format!("{} {role}", self.params.name());
        // Pinned first, so a FIFO role never runs anywhere else.
        pin_to_group_cpu(w, &who, self.group);
        if !self.rt {
            return spinner(w);
        }
        match self.params {
            RtPair::Starvation { burst_us, sleep_us } => {
                fifo_or_nice(w, &who, STARVE_FIFO.0, STARVE_FIFO.1);
                let burst = Duration::from_micros(burst_us);
                let pause = Duration::from_micros(sleep_us);
                loop {
                    spin_for(w, burst);
                    w.end_iteration();
                    if w.should_stop() || !w.sleep(pause) {
                        return Ok(());
                    }
                }
            }
            RtPair::Storm {
                sleep_us,
                work_iters,
            } => {
                fifo_or_nice(w, &who, STORM_FIFO.0, STORM_FIFO.1);
                let pause = Duration::from_micros(sleep_us);
                loop {
                    // Cut short by stop: the pass still does its work.
                    w.sleep(pause);
                    burn(w, work_iters, &mut self.sink);
                    w.add_units(1);
                    w.end_iteration();
                    if w.should_stop() {
                        return Ok(());
                    }
                }
            }
        }
    }
}

/// The normal role: spin, one checkpointed chunk per iteration, so the
/// longest stretch without the CPU shows as the report's max gap.
fn spinner(w: &mut Worker) -> Result<(), String> {
    loop {
        w.spin(SPIN_CHUNK);
        w.end_iteration();
        if w.should_stop() {
            return Ok(());
        }
    }
}
