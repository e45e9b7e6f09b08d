//! A fixture for the interrupt self-tests (`tests/interrupt.rs`): long
//! tests to interrupt with SIGINT, SIGTERM or SIGKILL, and a test process
//! that dies by SIGKILL inside a cgroup. Its tests are ignored by default:
//! only the self-tests run them, with `--ignored --exact NAME`.

use std::time::Duration;

use ktstr::harness::Ctx;

/// Two cgroups of two spinning workers for 30 s: what a user interrupts.
#[ktstr::test(
    cgroups = 2,
    workers = 2,
    duration = "30s",
    ignore = "run by the interrupt self-tests"
)]
fn long_cgroups(ctx: &mut Ctx) -> anyhow::Result<()> {
    ctx.run_workload()?;
    Ok(())
}

/// Two spinning workers for 30 s, no cgroups (runs without root).
#[ktstr::test(
    workers = 2,
    duration = "30s",
    ignore = "run by the interrupt self-tests"
)]
fn long_plain(ctx: &mut Ctx) -> anyhow::Result<()> {
    ctx.run_workload()?;
    Ok(())
}

/// Creates a cgroup, then dies by SIGKILL: no teardown of its own can run,
/// so the supervisor must remove the cgroup.
#[ktstr::test(requires(root), ignore = "run by the interrupt self-tests")]
fn killed_in_a_cgroup(ctx: &mut Ctx) -> anyhow::Result<()> {
    ctx.cgroups()?.create_cgroup("doomed")?;
    nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL)?;
    std::thread::sleep(Duration::from_secs(60));
    Ok(())
}

ktstr::main!();
