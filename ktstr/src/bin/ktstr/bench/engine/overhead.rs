//! Telemetry overhead: one engine `SpinWait` worker against a bare loop of
//! the same spin primitive, on the same CPU.
//!
//! The engine worker is a Fork-mode worker pinned with `Affinity::Fixed`;
//! each iteration of its loop is `spin_burst(1024)` plus the engine's
//! bookkeeping (publish the iteration count, read the clock and the CPU,
//! check stop). The bare loop is a thread of the bench pinned to the same
//! CPU that calls `ktstr::workload::spin_burst(1024, ..)` and checks a stop
//! flag, nothing else. The two never run at the same time (they would
//! compete for the CPU); they alternate, swapping order every round so a
//! drift in machine load does not favour one.
//!
//! Rates are given per second of wall time and per second of the thread's
//! own CPU time: on a shared machine the second is the fairer comparison,
//! since time lost to other jobs drops out of it.
//!
//! The main type here is [`Overhead`].

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use ktstr::prelude::*;
use ktstr::workload::spin_burst;
use serde::Serialize;

use super::super::host::{pin_current_thread, thread_cpu_ns};
use super::super::stats::{num, Summary};

/// Spin units per burst: the engine's `SpinWait` chunk.
const BURST: u64 = 1024;

/// How the overhead part runs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct OverheadPlan {
    /// Rounds of (engine, bare) pairs.
    pub rounds: usize,
    /// How long each side runs per round.
    pub run_for: Duration,
    /// The CPU both sides are pinned to.
    pub cpu: usize,
}

/// Work done by one side in one round.
#[derive(Clone, Copy, Debug, Serialize)]
pub(crate) struct Rate {
    /// Spin units.
    pub units: u64,
    /// Wall time of the loop, in ns.
    pub wall_ns: u64,
    /// CPU time of the loop's thread, in ns.
    pub cpu_ns: u64,
}

impl Rate {
    /// Millions of units per second of wall time.
    pub(crate) fn per_wall(&self) -> f64 {
        per_second(self.units, self.wall_ns)
    }
    /// Millions of units per second of CPU time.
    pub(crate) fn per_cpu(&self) -> f64 {
        per_second(self.units, self.cpu_ns)
    }
}

/// `a / b`, or 0 when `b` is 0 (a side that did no work).
fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

/// Millions of `units` per second of `ns`.
fn per_second(units: u64, ns: u64) -> f64 {
    if ns == 0 {
        0.0
    } else {
        units as f64 * 1e3 / ns as f64
    }
}

/// One round: both sides, in the order given.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Round {
    /// Whether the engine ran first in this round.
    pub engine_first: bool,
    /// The engine worker.
    pub engine: Rate,
    /// The bare loop.
    pub bare: Rate,
}

/// The result of the overhead part.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Overhead {
    /// The CPU both sides ran on.
    pub cpu: usize,
    /// Seconds each side ran per round.
    pub run_for_s: f64,
    /// Every round.
    pub rounds: Vec<Round>,
    /// Engine rate, M units per wall second.
    pub engine_wall: Summary,
    /// Bare rate, M units per wall second.
    pub bare_wall: Summary,
    /// Engine / bare per round, wall rates.
    pub ratio_wall: Summary,
    /// Engine rate, M units per CPU second.
    pub engine_cpu: Summary,
    /// Bare rate, M units per CPU second.
    pub bare_cpu: Summary,
    /// Engine / bare per round, CPU rates.
    pub ratio_cpu: Summary,
}

/// One pinned engine worker for `plan.run_for`.
fn engine(plan: &OverheadPlan) -> anyhow::Result<Rate> {
    let cpu: CpuSet = [plan.cpu].into();
    let config = WorkloadConfig {
        num_workers: 1,
        work_type: WorkType::SpinWait,
        clone_mode: CloneMode::Fork,
        affinity: Affinity::Fixed(cpu.clone()),
        ..Default::default()
    };
    let mut h = WorkloadHandle::spawn(&config).context("failed to spawn the engine worker")?;
    h.start();
    std::thread::sleep(plan.run_for);
    let reports = h.stop_and_collect();
    let r = reports
        .first()
        .ok_or_else(|| anyhow!("stop_and_collect returned no report for 1 worker"))?;
    if r.sentinel {
        bail!("the engine worker's report was lost: {:?}", r.exit_info);
    }
    if let Some(e) = &r.affinity_error {
        bail!("the engine worker could not be pinned to CPU {cpu}: {e}");
    }
    let strays: Vec<u32> = r
        .cpus_used
        .iter()
        .copied()
        .filter(|&c| c as usize != plan.cpu)
        .collect();
    if !strays.is_empty() {
        bail!("the engine worker pinned to CPU {cpu} ran on CPU(s) {strays:?}");
    }
    Ok(Rate {
        units: r.work_units,
        wall_ns: r.wall_time_ns,
        cpu_ns: r.cpu_time_ns,
    })
}

/// The bare loop on a pinned thread for `plan.run_for`.
fn bare(plan: &OverheadPlan) -> anyhow::Result<Rate> {
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let cpu: CpuSet = [plan.cpu].into();
    let thread = std::thread::Builder::new()
        .name("bench-bare".into())
        .spawn(move || -> anyhow::Result<Rate> {
            pin_current_thread(&cpu)?;
            let cpu0 = thread_cpu_ns();
            let t0 = Instant::now();
            let mut units = 0u64;
            loop {
                spin_burst(BURST, &mut units);
                if stop2.load(Ordering::Relaxed) {
                    break;
                }
            }
            let wall = t0.elapsed();
            let cpu_ns = thread_cpu_ns().saturating_sub(cpu0);
            Ok(Rate {
                units: black_box(units),
                wall_ns: wall.as_nanos() as u64,
                cpu_ns,
            })
        })
        .context("failed to start the bare-loop thread")?;
    std::thread::sleep(plan.run_for);
    stop.store(true, Ordering::Relaxed);
    thread
        .join()
        .map_err(|_| anyhow!("the bare-loop thread panicked"))?
}

/// Run every round; `progress` is told each round.
pub(crate) fn run(
    plan: &OverheadPlan,
    mut progress: impl FnMut(usize),
) -> anyhow::Result<Overhead> {
    let mut rounds = Vec::with_capacity(plan.rounds);
    for i in 0..plan.rounds {
        progress(i);
        let engine_first = i % 2 == 0;
        let (engine, bare) = if engine_first {
            let e = engine(plan)?;
            (e, bare(plan)?)
        } else {
            let b = bare(plan)?;
            (engine(plan)?, b)
        };
        rounds.push(Round {
            engine_first,
            engine,
            bare,
        });
    }
    let summary = |f: &dyn Fn(&Round) -> f64| {
        Summary::of(rounds.iter().map(f).collect()).expect("at least one round")
    };
    Ok(Overhead {
        cpu: plan.cpu,
        run_for_s: plan.run_for.as_secs_f64(),
        engine_wall: summary(&|r| r.engine.per_wall()),
        bare_wall: summary(&|r| r.bare.per_wall()),
        ratio_wall: summary(&|r| ratio(r.engine.per_wall(), r.bare.per_wall())),
        engine_cpu: summary(&|r| r.engine.per_cpu()),
        bare_cpu: summary(&|r| r.bare.per_cpu()),
        ratio_cpu: summary(&|r| ratio(r.engine.per_cpu(), r.bare.per_cpu())),
        rounds,
    })
}

/// Print the rounds and the ratios.
pub(crate) fn print(o: &Overhead) {
    use super::super::table::{print_table, Align::Left as L, Align::Right as R};
    let rows: Vec<Vec<String>> = o
        .rounds
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let order = if r.engine_first {
                "engine,bare"
            } else {
                "bare,engine"
            };
            vec![
                (i + 1).to_string(),
                order.to_string(),
                num(r.engine.per_wall()),
                num(r.bare.per_wall()),
                format!("{:.3}", ratio(r.engine.per_wall(), r.bare.per_wall())),
                num(r.engine.per_cpu()),
                num(r.bare.per_cpu()),
                format!("{:.3}", ratio(r.engine.per_cpu(), r.bare.per_cpu())),
            ]
        })
        .collect();
    print_table(
        &[
            "ROUND",
            "ORDER",
            "ENGINE M/s",
            "BARE M/s",
            "RATIO",
            "ENGINE M/cpu-s",
            "BARE M/cpu-s",
            "RATIO",
        ],
        &[R, L, R, R, R, R, R, R],
        &rows,
    );
    println!(
        "  engine/bare, per wall second: {:.3} ({:.3}-{:.3});  per CPU second: {:.3} ({:.3}-{:.3})  \
         [median (min-max) over {} rounds; 1.0 = no overhead]",
        o.ratio_wall.median,
        o.ratio_wall.min,
        o.ratio_wall.max,
        o.ratio_cpu.median,
        o.ratio_cpu.min,
        o.ratio_cpu.max,
        o.rounds.len()
    );
    println!(
        "  M/s = millions of spin_burst units per second; the engine's figures come from its \
         WorkerReport (work_units over wall_time_ns / cpu_time_ns)."
    );
}
