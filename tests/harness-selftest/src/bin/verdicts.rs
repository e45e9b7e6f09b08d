//! A fixture test binary for the verdict self-tests (`tests/verdicts.rs`):
//! `should_fail` tests that fail for the expected and for other reasons,
//! checks with nothing to compare, and a failed check whose text must be
//! printed once. Several tests fail on purpose.

use std::time::Duration;

use ktstr::prelude::*;

/// Reports of two workers that made no progress: the starvation check
/// fails ("... made 0 progress in 1.0 s: starved"), with no process run.
fn starved_reports() -> Vec<WorkerReport> {
    (0..2)
        .map(|i| WorkerReport {
            index: i,
            tid: 1000 + i as i32,
            wall_time_ns: 1_000_000_000,
            cpu_time_ns: 500_000_000,
            ..Default::default()
        })
        .collect()
}

/// Expects a failed check; its workers cannot even be spawned (zero
/// workers are refused), which is not what it expected.
#[ktstr::test(should_fail)]
fn should_fail_but_spawn_fails(ctx: &mut Ctx) -> Result<()> {
    let config = WorkloadConfig {
        num_workers: 0,
        ..Default::default()
    };
    let mut handle = ctx.spawn(&config)?;
    handle.start();
    ctx.check(&handle.stop_and_collect())?.done()
}

/// Expects a failed check; panics instead.
#[ktstr::test(should_fail)]
fn should_fail_but_panics(_ctx: &mut Ctx) -> Result<()> {
    panic!("an unrelated panic")
}

/// Expects a failed check; hangs until its timeout instead.
#[ktstr::test(should_fail, timeout = "1s")]
fn should_fail_but_times_out(_ctx: &mut Ctx) -> Result<()> {
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Expects a failed check and gets one.
#[ktstr::test(should_fail)]
fn should_fail_on_a_failed_check(ctx: &mut Ctx) -> Result<()> {
    ctx.check(&starved_reports())?.done()
}

/// Expects a failure mentioning "starved" and gets one.
#[ktstr::test(should_fail = "starved")]
fn should_fail_with_the_expected_text(ctx: &mut Ctx) -> Result<()> {
    ctx.check(&starved_reports())?.done()
}

/// Expects a failure mentioning "stalled"; a check fails, but with another
/// message.
#[ktstr::test(should_fail = "stalled")]
fn should_fail_with_other_text(ctx: &mut Ctx) -> Result<()> {
    ctx.check(&starved_reports())?.done()
}

/// A plain test whose check fails: its text must appear once.
#[ktstr::test]
fn a_check_fails(ctx: &mut Ctx) -> Result<()> {
    ctx.check(&starved_reports())?.done()
}

/// One real worker: the default fairness check has nothing to compare and
/// is not applicable; starvation and gaps still judge, so it passes.
#[ktstr::test(workers = 1, duration = "300ms", max_gap_ms = 10000)]
fn one_worker_default_checks(ctx: &mut Ctx) -> Result<()> {
    ctx.run_and_check()
}

/// One real worker with an explicit spread limit: the check the test asked
/// for cannot apply, which fails it.
#[ktstr::test(
    workers = 1,
    duration = "300ms",
    max_gap_ms = 10000,
    max_spread_pct = 50
)]
fn one_worker_asked_for_a_spread(ctx: &mut Ctx) -> Result<()> {
    ctx.run_and_check()
}

ktstr::main!();
