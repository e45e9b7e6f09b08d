//! A fixture for the repeat and retry self-tests (`tests/flaky.rs`): tests
//! that fail on some runs only, deterministically, by counting their runs
//! in files under `KTSTR_FIXTURE_DIR` (a fresh temp dir per self-test).
//! Several tests fail on purpose.

use std::path::PathBuf;

use ktstr::prelude::*;

/// Count a run of `name`: returns how many runs came before this one.
fn count_run(name: &str) -> Result<u64> {
    let dir = std::env::var_os("KTSTR_FIXTURE_DIR")
        .map(PathBuf::from)
        .ok_or_else(|| {
            anyhow::anyhow!("set KTSTR_FIXTURE_DIR to a directory for the run counters")
        })?;
    let path = dir.join(name);
    let before = match std::fs::read_to_string(&path) {
        Ok(s) => s.trim().parse::<u64>()?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(e.into()),
    };
    std::fs::write(&path, (before + 1).to_string())?;
    Ok(before)
}

/// Run the workload and check it for starvation and gaps only: CPU shares
/// on a busy 2-CPU machine are too noisy for a fixture whose failures
/// must be exactly the deliberate ones.
fn checked(ctx: &mut Ctx) -> Result<()> {
    let reports = ctx.run_workload()?;
    ctx.check(&reports)?.no_spread_check().done()
}

/// Fails on its first attempt only: with `retries = 2` it is flaky.
#[ktstr::test(retries = 2, workers = 2, duration = "200ms", max_gap_ms = 10000)]
fn fails_first_attempt_only(ctx: &mut Ctx) -> Result<()> {
    if count_run("fails_first_attempt_only")? == 0 {
        anyhow::bail!("deliberate failure on the first attempt");
    }
    checked(ctx)
}

/// Fails every attempt: with `retries = 1`, a consistent failure.
#[ktstr::test(retries = 1)]
fn always_fails(_ctx: &mut Ctx) -> Result<()> {
    count_run("always_fails")?;
    anyhow::bail!("deliberate failure on every attempt")
}

/// Passes at once: `retries` never used, a plain pass.
#[ktstr::test(retries = 2, workers = 2, duration = "200ms", max_gap_ms = 10000)]
fn passes_at_once(ctx: &mut Ctx) -> Result<()> {
    count_run("passes_at_once")?;
    checked(ctx)
}

/// Runs a real workload and fails on the third of every five runs: with
/// `--repeat 5`, it passes 4/5.
#[ktstr::test(workers = 2, duration = "200ms", max_gap_ms = 10000)]
fn fails_one_time_in_five(ctx: &mut Ctx) -> Result<()> {
    let run = count_run("fails_one_time_in_five")?;
    checked(ctx)?;
    if run % 5 == 2 {
        anyhow::bail!(
            "deliberate failure on run {} (the third of every five)",
            run + 1
        );
    }
    Ok(())
}

ktstr::main!();
