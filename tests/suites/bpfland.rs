//! The fairness and wake checks under scx_bpfland 1.1.0 (`./scripts/setup
//! --vm` builds it), and the harness's watch of the scheduler itself. On a
//! kernel without sched_ext every test here is reported ignored with the
//! reason: run them on one (a VM).

use ktstr::prelude::*;

/// Four CPU hogs on two CPUs under bpfland: each gets about half a CPU,
/// nobody starves, nobody stalls.
#[ktstr::test(scheduler = BPFLAND, workers = 4, work_type = SpinWait, duration = "2s")]
fn spinwait_hogs_share_the_cpus(ctx: &mut Ctx) -> Result<()> {
    ctx.run_and_check()
}

/// Strict pipe ping-pong under bpfland: every wake reaches the wakee
/// promptly. The limit has margin for a TCG guest on a loaded host (p99
/// measured 1-7 ms there; a scheduler that leaves a wakee waiting a slice
/// behind others shows tens of ms).
#[ktstr::test(
    scheduler = BPFLAND,
    workers = 2,
    work_type = PipeIo { burst_iters: 0 },
    duration = "1s",
    max_p99_wake_latency_us = 20000
)]
fn pipe_round_trips_wake_promptly(ctx: &mut Ctx) -> Result<()> {
    ctx.run_and_check()
}

/// The kernel has bpfland attached from before the body starts until after
/// the workload ran: state `enabled`, and the ops name the harness saw at
/// attach time.
#[ktstr::test(scheduler = BPFLAND, workers = 2, duration = "1s")]
fn bpfland_stays_attached_through_the_workload(ctx: &mut Ctx) -> Result<()> {
    let seen = ctx
        .scheduler()
        .cloned()
        .ok_or_else(|| anyhow!("the harness names no scheduler"))?;
    let ops = seen.ops.clone().unwrap_or_default();
    ensure!(ops.starts_with("bpfland"), "attached as {ops:?}");
    let reports = ctx.run_workload()?;
    let read = |f: &str| {
        std::fs::read_to_string(format!("/sys/kernel/sched_ext/{f}"))
            .map(|s| s.trim().to_string())
            .map_err(|e| anyhow!("read /sys/kernel/sched_ext/{f}: {e}"))
    };
    ensure!(
        read("state")? == "enabled",
        "state {:?} after the workload",
        read("state")?
    );
    ensure!(
        read("root/ops")? == ops,
        "ops changed to {:?}",
        read("root/ops")?
    );
    ctx.check(&reports)?.done()
}

/// Fixture for [`a_killed_scheduler_fails_its_test_with_the_kernels_reason`]:
/// SIGKILLs bpfland 1 s into the body, then runs a workload. Ignored in a
/// normal run (it fails by design).
#[ktstr::test(
    scheduler = BPFLAND,
    workers = 2,
    duration = "1s",
    ignore = "fixture: kills its scheduler; a_killed_scheduler_fails_its_test_with_the_kernels_reason runs it"
)]
fn bpfland_killed_fixture(ctx: &mut Ctx) -> Result<()> {
    let pid = ctx
        .scheduler()
        .map(|s| s.pid)
        .ok_or_else(|| anyhow!("the harness names no scheduler"))?;
    std::thread::sleep(std::time::Duration::from_secs(1));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    )?;
    ctx.run_and_check()
}

/// A scheduler that dies mid-test fails the test as the scheduler's
/// failure, with the time into the run and the kernel's own reason — not as
/// a pass, and not as a check of the workers. Runs the fixture above
/// through this binary (in a VM when the host lacks sched_ext).
#[ktstr::test(duration = "1s", timeout = "5m")]
fn a_killed_scheduler_fails_its_test_with_the_kernels_reason(ctx: &mut Ctx) -> Result<()> {
    if ktstr::harness::in_vm_guest() {
        return ctx.skip("its fixture needs a VM of its own: run it on the host");
    }
    let runs_somewhere = std::path::Path::new("/sys/kernel/sched_ext").exists()
        || ktstr::vm::kernel::configured(None).is_some();
    if !runs_somewhere {
        return ctx.skip("no sched_ext here and no VM kernel: run ./scripts/setup --vm");
    }
    if BPFLAND.resolve_binary().is_err() {
        return ctx.skip("scx_bpfland is not installed: run ./scripts/setup --vm");
    }
    ktstr::harness::run_sibling("bpfland_killed_fixture")?.expect(
        101,
        &[
            "bpfland_killed_fixture ... FAILED",
            "scx_bpfland",
            "into the run",
            "unregistered from user space",
            "SIGKILL",
        ],
    )
}

ktstr::main!();
