//! Placement and sharing through cgroups: cpusets keep workers where they
//! were put, and `cpu.weight` (v1 `cpu.shares`) divides a contended CPU.
//! These tests need root (they are reported ignored otherwise).

use ktstr::cgroup::{CgroupDef, CpusetSpec};
use ktstr::prelude::*;

/// Two cgroups on disjoint halves of the CPUs: every worker stays inside
/// its cgroup's cpuset (the isolation check), and inside each cgroup the
/// workers share fairly.
#[ktstr::test(cgroups = 2, cpusets = Disjoint, workers = 2, duration = "1500ms")]
fn disjoint_cpusets_keep_workers_apart(ctx: &mut Ctx) -> Result<()> {
    let reports = ctx.run_workload()?;
    ctx.check(&reports)?.done()
}

/// Two cgroups on the same CPU with weights 100 and 400: the heavier one
/// must get about four times the CPU time. A scheduler that ignored
/// weights would give 1:1, far outside the accepted band.
#[ktstr::test(requires(root), duration = "2s")]
fn cpu_weight_divides_a_shared_cpu(ctx: &mut Ctx) -> Result<()> {
    let on_cpu0 = |name: &str, weight| {
        CgroupDef::named(name)
            .with_cpuset(CpusetSpec::exact([0]))
            .with_weight(weight)
            .with_workers(1)
    };
    let reports = ctx.run_cgroups(vec![on_cpu0("light", 100), on_cpu0("heavy", 400)])?;
    // Each cgroup holds one worker, so there is no spread to judge inside
    // a cgroup (it would be "not applicable"), and between the cgroups the
    // shares differ by design: the spread check is off. What is judged:
    // nobody starved, no gap over 2 s, both workers stayed on CPU 0
    // (isolation) — and, below, the 4:1 split the weights ask for.
    ctx.check(&reports)?.no_spread_check().done()?;
    let (light, heavy) = (&reports[0], &reports[1]);
    let ratio = heavy.cpu_time_ns as f64 / light.cpu_time_ns.max(1) as f64;
    ensure!(
        (2.5..=6.5).contains(&ratio),
        "weights 400:100 should split CPU 0 about 4:1, measured {ratio:.2}:1 \
         (heavy {} ms, light {} ms)",
        heavy.cpu_time_ns / 1_000_000,
        light.cpu_time_ns / 1_000_000
    );
    Ok(())
}

/// Batch, nice and normal workers across two cgroups on CPU 0, in a few
/// lines: "mixed" holds a SCHED_BATCH workload and a nice-10 one, "normal"
/// a plain one. Inside "mixed" the nice-0 batch worker must get several
/// times the CPU of the nice-10 one (weights 1024:110, about 9:1); a
/// scheduler that ignored nice would split it 1:1.
#[ktstr::test(requires(root), duration = "2s")]
fn batch_and_nice_workers_mix_across_cgroups(ctx: &mut Ctx) -> Result<()> {
    let on_cpu0 = |name: &str| CgroupDef::named(name).with_cpuset(CpusetSpec::exact([0]));
    let batch = WorkloadConfig {
        sched_policy: SchedPolicy::Batch,
        ..Default::default()
    };
    let nice = WorkloadConfig {
        nice: 10,
        ..Default::default()
    };
    let reports = ctx.run_cgroups(vec![
        on_cpu0("mixed").with_workload(batch).with_workload(nice),
        on_cpu0("normal"),
    ])?;
    // Shares differ by design (nice, and one cgroup against two workers).
    ctx.check(&reports)?.no_spread_check().done()?;
    let (batch, nice) = (&reports[0], &reports[1]);
    ensure!(
        batch.policy_error.is_none() && nice.nice_error.is_none(),
        "settings refused: {:?} {:?}",
        batch.policy_error,
        nice.nice_error
    );
    let ratio = batch.cpu_time_ns as f64 / nice.cpu_time_ns.max(1) as f64;
    ensure!(
        ratio >= 3.0,
        "nice 0 beside nice 10 in one cgroup should get about 9 times the CPU, measured \
         {ratio:.2}:1 (batch {} ms, nice 10 {} ms)",
        batch.cpu_time_ns / 1_000_000,
        nice.cpu_time_ns / 1_000_000
    );
    Ok(())
}

/// Real-time workers inside cgroups: on cgroup v1 with RT group
/// scheduling a new cgroup has no RT budget and the kernel refuses
/// SCHED_FIFO in it; ktstr gives each cgroup an equal share of the run's
/// budget, so the FIFO role of each `RtStarvation` pair runs as FIFO (a
/// refused role falls back to nice and notes "SCHED_FIFO priority ...
/// refused"). On cgroup v2 RT tasks need no per-cgroup budget.
#[ktstr::test(requires(root), duration = "1s")]
fn fifo_roles_run_inside_cgroups(ctx: &mut Ctx) -> Result<()> {
    let defs = (0..2)
        .map(|i| {
            CgroupDef::named(format!("rt_{i}"))
                .with_work_type(WorkType::rt_starvation())
                .with_workers(2)
        })
        .collect();
    let reports = ctx.run_cgroups(defs)?;
    for r in &reports {
        ensure!(
            !r.notes
                .iter()
                .any(|n| n.contains("SCHED_FIFO") && n.contains("refused")),
            "worker {} ({}) could not run SCHED_FIFO inside its cgroup: {:?}",
            r.index,
            r.role,
            r.notes
        );
        ensure!(
            r.is_clean() && r.work_units > 0,
            "worker {}: {r:?}",
            r.index
        );
    }
    Ok(())
}

ktstr::main!();
