//! External load generators beside ktstr's workers: today's sched_ext CI
//! load (`stress-ng` CPU hogs) and `hackbench`, each in a cgroup of the
//! test, their metrics parsed into the test's record and checked, with
//! ktstr's own verdicts on top. A missing tool is reported ignored with
//! the package to install (`.ci/run` installs stress-ng and rt-tests).
//! Tests that declare `payloads = [...]` get them packed into their VM.

use ktstr::payload::Payload;
use ktstr::prelude::*;

/// Two stress-ng CPU hogs in cgroup "stress" beside the test's workers:
/// stress-ng made progress (checked and recorded), and the workers pass
/// the test's checks. Stopped by ktstr once the workload ends.
fn stress_ng_beside_workers(ctx: &mut Ctx) -> Result<()> {
    let stress = ctx.start_payload(
        &Payload::stress_ng(["--cpu", "2", "--timeout", "60s"]),
        Some("stress"),
    )?;
    let reports = ctx.run_workload()?;
    ctx.check_payload(stress.stop())
        .min("cpu.bogo_ops", 1.0)
        .done()?;
    ctx.check(&reports)?.done()
}

/// Two ktstr spinners share the machine with two stress-ng CPU hogs in
/// their own cgroup: nobody starves, no worker stalls for over 2 s, and
/// stress-ng itself made progress (its bogo ops are in the record).
#[ktstr::test(
    requires(root),
    workers = 2,
    duration = "2s",
    max_gap_ms = 2000,
    max_spread_pct = 60
)]
fn workers_progress_beside_stress_ng(ctx: &mut Ctx) -> Result<()> {
    stress_ng_beside_workers(ctx)
}

/// hackbench's message storm in a cgroup beside a pipe ping-pong pair:
/// hackbench finishes and the pair keeps waking.
#[ktstr::test(
    requires(root),
    workers = 2,
    work_type = PipeIo { burst_iters: 0 },
    duration = "1s",
    max_gap_ms = 2000
)]
fn pipe_pairs_wake_beside_hackbench(ctx: &mut Ctx) -> Result<()> {
    let hb = ctx.start_payload(
        &Payload::hackbench(["-g", "2", "-l", "200"]),
        Some("hackbench"),
    )?;
    let reports = ctx.run_workload()?;
    ctx.check_payload(hb.wait(std::time::Duration::from_secs(60)))
        .max("time_s", 60.0)
        .done()?;
    ctx.check(&reports)?.done()
}

/// The deliberately broken case: a payload that cannot run its stressor
/// fails the test through its check, with its own last lines.
#[ktstr::test(
    requires(root),
    workers = 1,
    duration = "200ms",
    should_fail = "ended with Exited"
)]
fn a_broken_payload_fails_the_test(ctx: &mut Ctx) -> Result<()> {
    let bad = ctx.start_payload(&Payload::stress_ng(["--no-such-option"]), Some("broken"))?;
    ctx.run_workload()?;
    ctx.check_payload(bad.wait(std::time::Duration::from_secs(30)))
        .done()
}

/// Today's sched_ext CI load — stress-ng CPU hogs under the scheduler —
/// with ktstr's verdicts on top: scx_bpfland attached (in a VM on a host
/// without sched_ext, stress-ng packed into it), two ktstr spinners beside
/// two stress-ng hogs in a cgroup: nobody starves, no stall over 2 s,
/// stress-ng made progress, and the scheduler stayed attached throughout
/// (else the test fails with the kernel's reason).
#[ktstr::test(
    scheduler = BPFLAND,
    payloads = ["stress-ng"],
    workers = 2,
    duration = "2s",
    max_gap_ms = 2000,
    max_spread_pct = 60
)]
fn stress_ng_under_bpfland_with_verdicts(ctx: &mut Ctx) -> Result<()> {
    stress_ng_beside_workers(ctx)
}

/// The same load in a VM under the kernel's default scheduler (cgroup v2
/// in the guest): the payload runs in its cgroup from its first
/// instruction.
#[ktstr::test(vm, payloads = ["stress-ng"], workers = 2, duration = "2s", max_gap_ms = 2000, max_spread_pct = 60)]
fn stress_ng_in_a_vm(ctx: &mut Ctx) -> Result<()> {
    stress_ng_beside_workers(ctx)
}

ktstr::main!();
