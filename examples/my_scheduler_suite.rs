//! A starter suite for a scheduler: copy this file and its `[[test]]`
//! entry (`harness = false`) into your project, then `cargo test` (or
//! `cargo nextest run`) runs every test below in its own supervised
//! process, one at a time, and prints libtest's usual results. A failing
//! test prints the failed checks, a stats block and the command that
//! reruns it; every test leaves a JSON record in `target/ktstr/`.
//!
//! Run one test: `cargo test --test my_scheduler_suite -- hogs_share`.
//! Under a sched_ext scheduler: add `scheduler = "scx_yours --args"`;
//! without sched_ext such a test is reported ignored, never passed.

use ktstr::prelude::*;

/// The one-liner: the attribute says what to run, the default checks
/// (nobody starved, CPU shares within 25 points, no stall over 2 s) judge.
#[ktstr::test(workers = 4, work_type = SpinWait, duration = "2s")]
fn hogs_share_the_cpus(ctx: &mut Ctx) -> Result<()> {
    ctx.run_and_check()
}

/// Tighter limits for one test, in the attribute or in the body.
#[ktstr::test(workers = 4, work_type = Mixed, duration = "2s", max_gap_ms = 1000)]
fn yielders_never_stall(ctx: &mut Ctx) -> Result<()> {
    let reports = ctx.run_workload()?;
    ctx.check(&reports)?.max_spread_pct(30.0).done()
}

/// Wakeups: strict ping-pong through a pipe; every sample is a real wake.
#[ktstr::test(
    workers = 2,
    work_type = PipeIo { burst_iters: 0 },
    duration = "1s",
    max_p99_wake_latency_us = 5000
)]
fn pipe_wakeups_are_prompt(ctx: &mut Ctx) -> Result<()> {
    ctx.run_and_check()
}

/// Cgroups with disjoint cpusets (needs root; ignored otherwise): workers
/// must stay on their cgroup's CPUs (the isolation check).
#[ktstr::test(cgroups = 2, cpusets = Disjoint, workers = 2, duration = "1s")]
fn cpusets_are_respected(ctx: &mut Ctx) -> Result<()> {
    ctx.run_and_check()
}

/// Your own measurement on top of the checks: read the reports.
#[ktstr::test(workers = 2, work_type = Bursty { burst_ms: 5, sleep_ms: 5 }, duration = "1s")]
fn sleepers_wake_on_time(ctx: &mut Ctx) -> Result<()> {
    let reports = ctx.run_workload()?;
    ctx.check(&reports)?.done()?;
    for r in &reports {
        // Each sample is how late a 5 ms timer sleep woke up.
        ensure!(r.wake_latency.count > 0, "worker {} never slept", r.index);
        ensure!(
            r.wake_latency.max_ns < 50_000_000,
            "worker {} woke {} ms late",
            r.index,
            r.wake_latency.max_ns / 1_000_000
        );
    }
    Ok(())
}

ktstr::main!();
