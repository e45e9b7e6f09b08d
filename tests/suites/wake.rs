//! Wake latency through pipes and futexes: a wakeup must reach the wakee
//! promptly. A lost wakeup shows as a sample near the workers' 100 ms
//! safety timeout, far above these limits.

use ktstr::prelude::*;

/// Strict ping-pong over a pipe pair: every sample is a real cross-task
/// wake, measured from the writer's timestamp.
#[ktstr::test(
    workers = 2,
    work_type = PipeIo { burst_iters: 0 },
    duration = "1s",
    max_p99_wake_latency_us = 5000
)]
fn pipe_round_trips_wake_promptly(ctx: &mut Ctx) -> Result<()> {
    ctx.run_and_check()
}

/// The same through a shared futex word.
#[ktstr::test(
    workers = 2,
    work_type = FutexPingPong { spin_iters: 0 },
    duration = "1s",
    max_p99_wake_latency_us = 5000
)]
fn futex_ping_pong_wakes_promptly(ctx: &mut Ctx) -> Result<()> {
    ctx.run_and_check()
}

/// One messenger waking four receivers: every receiver must be woken
/// promptly, and no receiver may be left behind (starved).
#[ktstr::test(workers = 5, work_type = futex_fan_out(), duration = "1s", max_p99_wake_latency_us = 10000)]
fn fan_out_wakes_every_receiver(ctx: &mut Ctx) -> Result<()> {
    let reports = ctx.run_workload()?;
    // Receivers sleep most of the time and the messenger mostly waits for
    // them: CPU shares differ by design, so fairness is not judged here.
    ctx.check(&reports)?.no_spread_check().done()
}

ktstr::main!();
