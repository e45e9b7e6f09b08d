//! Fairness of the kernel's scheduler between CPU-bound workers, and a
//! deliberately unfair setup that the same checks must flag.

use ktstr::prelude::*;

/// Four CPU hogs on two CPUs: each should get about half a CPU, nobody
/// starves, nobody stalls (default checks: starvation, CPU-share spread
/// within 25 points, no gap over 2 s).
#[ktstr::test(workers = 4, work_type = SpinWait, duration = "2s")]
fn spinwait_hogs_share_the_cpus(ctx: &mut Ctx) -> Result<()> {
    let reports = ctx.run_workload()?;
    ctx.check(&reports)?.done()
}

/// Hogs that yield after every burst: yielding must not cost a worker its
/// share.
#[ktstr::test(workers = 4, work_type = Mixed, duration = "2s")]
fn mixed_workers_share_the_cpus(ctx: &mut Ctx) -> Result<()> {
    ctx.run_and_check()
}

/// The same fairness between threads of one process.
#[ktstr::test(workers = 4, work_type = SpinWait, clone_mode = Thread, duration = "2s")]
fn thread_hogs_share_the_cpus(ctx: &mut Ctx) -> Result<()> {
    ctx.run_and_check()
}

/// The broken case: a nice-19 hog beside a nice-0 hog on one CPU gets about
/// 1/69 of the CPU. The default fairness check must catch it: this test
/// passes only if that check fails (a failed spawn or a panic would fail
/// it, and so would a different check failing).
#[ktstr::test(should_fail = "CPU shares", duration = "1s")]
fn nice_19_beside_nice_0_is_caught(ctx: &mut Ctx) -> Result<()> {
    let on_cpu0 = |nice| WorkloadConfig {
        affinity: Affinity::Fixed([0].into()),
        nice,
        ..Default::default()
    };
    let mut strong = ctx.spawn(&on_cpu0(0))?;
    let mut weak = ctx.spawn(&on_cpu0(19))?;
    strong.start();
    weak.start();
    std::thread::sleep(ctx.duration);
    let mut reports = strong.stop_and_collect();
    reports.extend(weak.stop_and_collect());
    ctx.check(&reports)?.done()
}

ktstr::main!();
