//! Canned scenarios over mixed load: oversubscription, every work type at
//! once, a fork/exit storm, affinity churn, wake latency under load, and a
//! real-time hog next to normal tasks.

use std::time::Duration;

use anyhow::ensure;

use crate::check::ReportGroup;
use crate::harness::Ctx;
use crate::workload::{WorkType, WorkerReport, WorkloadConfig, WorkloadHandle};

/// Spawn every `(label, config)`, start them together, run the test's
/// duration, stop and collect; each handle's reports recorded as a group.
fn run_side_by_side(
    ctx: &Ctx,
    parts: Vec<(String, WorkloadConfig)>,
) -> anyhow::Result<Vec<(String, Vec<WorkerReport>)>> {
    let mut handles: Vec<(String, WorkloadHandle)> = Vec::new();
    for (label, cfg) in parts {
        handles.push((label, ctx.spawn(&cfg)?));
    }
    for (_, h) in &mut handles {
        h.start();
    }
    std::thread::sleep(ctx.duration);
    let mut out = Vec::new();
    for (label, h) in handles {
        let reports = h.stop_and_collect();
        ctx.record_group(ReportGroup::new(label.clone(), reports.clone()));
        out.push((label, reports));
    }
    Ok(out)
}

fn workers(n: usize, work_type: WorkType) -> WorkloadConfig {
    WorkloadConfig {
        num_workers: n,
        work_type,
        ..Default::default()
    }
}

/// Eight spinners per CPU. Checks: nobody starves, CPU shares within 25
/// points, no stall over 2 s. A scheduler whose time slices or load
/// balance break down when runqueues are long fails the gap or spread.
pub fn oversubscription(ctx: &mut Ctx) -> anyhow::Result<()> {
    let n = 8 * ctx.topology()?.all_cpus().len();
    let reports = run_side_by_side(
        ctx,
        vec![("oversubscribed".into(), workers(n, WorkType::SpinWait))],
    )?;
    let all: Vec<WorkerReport> = reports.into_iter().flat_map(|(_, r)| r).collect();
    ctx.check(&all)?.done()
}

/// Work types left out of [`every_work_type`]: `Custom` has no default,
/// and the real-time and policy-changing ones legitimately starve the
/// rest (a FIFO hog, a task parked in `SCHED_IDLE` behind 60 others): they
/// have scenarios of their own ([`rt_hog_beside_normal`]).
const NOT_IN_EVERY: &[&str] = &[
    "Custom",
    "RtStarvation",
    "PreemptStorm",
    "PriorityInversion",
    "PolicyChurn",
];

/// Every other work type with its default parameters, each as one group
/// of workers, all running at once (see `NOT_IN_EVERY` for the few left
/// out, and why). Checks: every worker ends cleanly, and every work type
/// as a whole made progress. A scheduler that mishandles one behaviour
/// (yield, futex or pipe wakes, epoll, fork, affinity churn, page faults)
/// next to the others shuts that type out or crashes it.
pub fn every_work_type(ctx: &mut Ctx) -> anyhow::Result<()> {
    let parts: Vec<(String, WorkloadConfig)> = WorkType::ALL_NAMES
        .iter()
        .filter(|n| !NOT_IN_EVERY.contains(n))
        .filter_map(|n| WorkType::from_name(n).map(|t| (n.to_string(), t)))
        .map(|(n, t)| {
            let size = t.worker_group_size().unwrap_or(1);
            (n, workers(size, t))
        })
        .collect();
    let groups = run_side_by_side(ctx, parts)?;
    let mut shut_out = Vec::new();
    let mut unclean = Vec::new();
    for (label, reports) in &groups {
        if reports.iter().map(|r| r.work_units).sum::<u64>() == 0 {
            shut_out.push(label.as_str());
        }
        if reports.iter().any(|r| !r.is_clean()) {
            unclean.push(label.as_str());
        }
    }
    ensure!(
        unclean.is_empty(),
        "work types whose workers did not end cleanly: {}",
        unclean.join(", ")
    );
    ensure!(
        shut_out.is_empty(),
        "work types that made no progress at all with every other type running: {}",
        shut_out.join(", ")
    );
    Ok(())
}

/// Two fork/exit churners next to two spinners. Checks: the spinners are
/// not starved and never stall over 2 s; the churners keep forking. A
/// scheduler that mishandles task creation and exit (wake-up of new
/// tasks, load accounting) starves one side.
pub fn fork_exit_storm(ctx: &mut Ctx) -> anyhow::Result<()> {
    churn_beside_spinners(ctx, WorkType::ForkExit)
}

/// Two affinity churners (hopping between CPUs) next to two spinners. The
/// same checks as [`fork_exit_storm`]. A scheduler that mishandles
/// affinity changes of running tasks stalls or strands them.
pub fn affinity_churn(ctx: &mut Ctx) -> anyhow::Result<()> {
    let churn = WorkType::from_name("AffinityChurn").expect("AffinityChurn is a work type");
    churn_beside_spinners(ctx, churn)
}

fn churn_beside_spinners(ctx: &mut Ctx, churn: WorkType) -> anyhow::Result<()> {
    let label = churn.name().to_string();
    let groups = run_side_by_side(
        ctx,
        vec![
            ("spinners".into(), workers(2, WorkType::SpinWait)),
            (label.clone(), workers(2, churn)),
        ],
    )?;
    let churned: u64 = groups[1].1.iter().map(|r| r.work_units).sum();
    ensure!(churned > 0, "the {label} workers made no progress");
    ctx.check(&groups[0].1)?.done()
}

/// One strict pipe ping-pong pair next to two spinners per CPU. Checks:
/// p99 wake latency of the pair within 50 ms (times `KTSTR_TIMEOUT_SCALE`,
/// which a TCG guest sets to its slowdown), nobody starves. A scheduler
/// that lets a woken task wait behind CPU hogs for whole slices fails.
pub fn wake_latency_under_load(ctx: &mut Ctx) -> anyhow::Result<()> {
    let hogs = 2 * ctx.topology()?.all_cpus().len();
    let groups = run_side_by_side(
        ctx,
        vec![
            (
                "pipe_pair".into(),
                workers(2, WorkType::PipeIo { burst_iters: 0 }),
            ),
            ("hogs".into(), workers(hogs, WorkType::SpinWait)),
        ],
    )?;
    let limit_us = (50_000.0 * crate::harness::timeout_scale()) as u64;
    ctx.check(&groups[0].1)?
        .max_p99_wake_latency_us(limit_us)
        .no_spread_check()
        .done()
}

/// A SCHED_FIFO spinner next to a normal worker on the same CPUs
/// (`RtStarvation`). Checks: the normal worker still progresses and never
/// stalls past 2 s — the kernel's RT throttling (or deadline server)
/// guarantees it a share. When the kernel's RT throttling is off
/// (`sched_rt_runtime_us` = -1) the normal worker's starvation is the RT
/// hog's by design: the scenario says so and is skipped, not blamed on
/// the scheduler. Without permission for SCHED_FIFO it is skipped too.
pub fn rt_hog_beside_normal(ctx: &mut Ctx) -> anyhow::Result<()> {
    let runtime = std::fs::read_to_string("/proc/sys/kernel/sched_rt_runtime_us")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    if runtime == "-1" {
        return ctx.skip(
            "RT monopolisation by configuration: sched_rt_runtime_us is -1, so a FIFO hog may \
             starve normal tasks without any scheduler at fault",
        );
    }
    let rt = WorkType::from_name("RtStarvation").expect("RtStarvation is a work type");
    let size = rt.worker_group_size().unwrap_or(2);
    let groups = run_side_by_side(ctx, vec![("rt_pair".into(), workers(size, rt))])?;
    let reports = &groups[0].1;
    if let Some(e) = reports.iter().find_map(|r| r.policy_error.clone()) {
        return ctx.skip(format!("SCHED_FIFO was refused ({e}): run as root"));
    }
    let normal: Vec<&WorkerReport> = reports.iter().filter(|r| r.role == "normal").collect();
    ensure!(
        !normal.is_empty(),
        "no normal worker in the RtStarvation group"
    );
    for r in normal {
        ensure!(
            r.work_units > 0,
            "the normal worker next to a FIFO hog made no progress in {:?}",
            Duration::from_nanos(r.wall_time_ns)
        );
        ensure!(
            r.max_gap_ns <= 2_000_000_000,
            "the normal worker next to a FIFO hog stalled {:.0} ms (limit 2000 ms)",
            r.max_gap_ns as f64 / 1e6
        );
    }
    Ok(())
}
