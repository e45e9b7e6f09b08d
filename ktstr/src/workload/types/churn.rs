//! Types that keep changing their own scheduling attributes: `NiceSweep`,
//! `AffinityChurn`, `PolicyChurn`. Each restores the attribute it churned
//! before it reports, so the spawner's settings are not disturbed (Thread
//! mode) and the report's final state is the configured one.

use super::{solo, timed_yield, Body, Entry, Family, Planned};
use crate::sys::sched;
use crate::workload::{WorkType, Worker};

pub(crate) const NICE_SWEEP: Entry = Entry {
    name: "NiceSweep",
    group: "-",
    about: "spin, then step nice through its range: reweight_task and dynamic priority changes",
    default: Some(|| WorkType::NiceSweep),
};
pub(crate) const AFFINITY_CHURN: Entry = Entry {
    name: "AffinityChurn",
    group: "-",
    about: "re-pin to a random allowed CPU every pass: forced migrations, the migration stopper",
    default: Some(WorkType::affinity_churn),
};
pub(crate) const POLICY_CHURN: Entry = Entry {
    name: "PolicyChurn",
    group: "-",
    about: "cycle OTHER/BATCH/IDLE (and FIFO/RR when allowed): scheduling-class transitions",
    default: Some(WorkType::policy_churn),
};

/// Spin units per NiceSweep iteration.
const NICE_SPIN: u64 = 512;

/// Which attribute to churn.
#[derive(Clone, Copy)]
pub(crate) enum Churn {
    Nice,
    Affinity { spin_iters: u64 },
    Policy { spin_iters: u64 },
}

impl Family for Churn {
    fn name(&self) -> &'static str {
        match self {
            Churn::Nice => NICE_SWEEP.name,
            Churn::Affinity { .. } => AFFINITY_CHURN.name,
            Churn::Policy { .. } => POLICY_CHURN.name,
        }
    }

    fn validate(&self) -> Result<(), String> {
        match self {
            Churn::Affinity { spin_iters: 0 } | Churn::Policy { spin_iters: 0 } => Err(format!(
                "{} spin_iters is 0: spin at least 1 unit between changes",
                self.name()
            )),
            _ => Ok(()),
        }
    }

    fn plan(&self, n: usize) -> Result<Vec<Planned>, String> {
        Ok(solo(n, || *self))
    }
}

impl Body for Churn {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        match *self {
            Churn::Nice => nice_sweep(w),
            Churn::Affinity { spin_iters } => affinity_churn(w, spin_iters),
            Churn::Policy { spin_iters } => policy_churn(w, spin_iters),
        }
    }
}

fn nice_sweep(w: &mut Worker) -> Result<(), String> {
    let tid = w.tid();
    let original = sched::get_nice(tid).unwrap_or(0);
    // Lowering nice below the current value needs CAP_SYS_NICE; probe once.
    let lowest = if sched::set_nice(tid, -20).is_ok() {
        -20
    } else {
        w.note(format!(
            "NiceSweep: negative nice refused; sweeping {original}..=19 instead of -20..=19"
        ));
        original
    };
    let span = (19 - lowest + 1) as u64;
    let mut step = 0u64;
    let mut error = None;
    loop {
        w.spin(NICE_SPIN);
        let nice = lowest + (step % span) as i32;
        step += 1;
        if let Err(e) = sched::set_nice(tid, nice) {
            error.get_or_insert(format!("setpriority({nice}) failed: {e}"));
        }
        w.record_wake_latency(timed_yield());
        w.end_iteration();
        if w.should_stop() {
            break;
        }
    }
    let _ = sched::set_nice(tid, original);
    error.map_or(Ok(()), Err)
}

fn affinity_churn(w: &mut Worker, spin_iters: u64) -> Result<(), String> {
    let tid = w.tid();
    let allowed = sched::get_affinity(tid).map_err(|e| format!("sched_getaffinity: {e}"))?;
    let cpus: Vec<usize> = allowed.iter().collect();
    let mut rng = (tid.as_raw() as u64) | 1;
    let mut failures = 0u64;
    loop {
        w.spin(spin_iters);
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let cpu = cpus[(rng % cpus.len() as u64) as usize];
        if let Err(e) = sched::set_affinity(tid, &[cpu].into()) {
            failures += 1;
            if failures == 1 {
                w.note(format!("AffinityChurn: pinning to CPU {cpu} failed: {e}"));
            }
        }
        w.record_wake_latency(timed_yield());
        w.end_iteration();
        if w.should_stop() {
            break;
        }
    }
    sched::set_affinity(tid, &allowed)
        .map_err(|e| format!("restoring affinity {allowed} failed: {e}"))?;
    if failures > 0 {
        w.note(format!("AffinityChurn: {failures} re-pins failed"));
    }
    Ok(())
}

fn policy_churn(w: &mut Worker, spin_iters: u64) -> Result<(), String> {
    let tid = w.tid();
    let original = sched::get_scheduler(tid).map_or(-1, |(policy, _)| policy);
    let mut policies = vec![
        (libc::SCHED_OTHER, 0),
        (libc::SCHED_BATCH, 0),
        (libc::SCHED_IDLE, 0),
    ];
    if sched::set_scheduler(tid, libc::SCHED_FIFO, 1).is_ok() {
        policies.push((libc::SCHED_FIFO, 1));
        policies.push((libc::SCHED_RR, 1));
    } else {
        w.note("PolicyChurn: SCHED_FIFO refused; cycling OTHER/BATCH/IDLE only");
    }
    let _ = sched::set_scheduler(tid, libc::SCHED_OTHER, 0);
    let mut error = None;
    let mut i = 0usize;
    loop {
        w.spin(spin_iters);
        let (policy, prio) = policies[i % policies.len()];
        i += 1;
        if let Err(e) = sched::set_scheduler(tid, policy, prio) {
            error.get_or_insert(format!("sched_setscheduler({policy}, {prio}) failed: {e}"));
        }
        w.record_wake_latency(timed_yield());
        w.end_iteration();
        if w.should_stop() {
            break;
        }
    }
    let restore = if original >= 0 {
        original
    } else {
        libc::SCHED_OTHER
    };
    let prio = if restore == libc::SCHED_FIFO || restore == libc::SCHED_RR {
        1
    } else {
        0
    };
    let _ = sched::set_scheduler(tid, restore, prio);
    error.map_or(Ok(()), Err)
}
