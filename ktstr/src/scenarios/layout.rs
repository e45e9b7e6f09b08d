//! Canned scenarios over cgroup layouts: disjoint and overlapping cpusets,
//! weight ratios, `cpu.max` throttling, cgroup churn and a cpuset that
//! shrinks and grows under load.

use std::time::{Duration, Instant};

use anyhow::{ensure, Context as _};

use crate::cgroup::{CgroupDef, CpuMax, CpusetSpec};
use crate::check::ReportGroup;
use crate::cpuset::CpuSet;
use crate::harness::Ctx;
use crate::workload::{WorkType, WorkloadConfig};

fn spinners(name: &str, n: usize) -> CgroupDef {
    CgroupDef::named(name)
        .with_workers(n)
        .with_work_type(WorkType::SpinWait)
}

/// Two cgroups on disjoint halves of the CPUs, two spinners each. Checks:
/// every worker stays on its cgroup's CPUs (isolation), nobody starves,
/// shares are fair inside each cgroup, no stall over 2 s. A scheduler that
/// ignores cpusets, or balances one cgroup's load onto the other's CPUs,
/// fails isolation.
pub fn disjoint_cgroups(ctx: &mut Ctx) -> anyhow::Result<()> {
    let defs = (0..2)
        .map(|i| spinners(&format!("half_{i}"), 2).with_cpuset(CpusetSpec::disjoint(i, 2)))
        .collect();
    let reports = ctx.run_cgroups(defs)?;
    ctx.check(&reports)?.done()
}

/// Two cgroups whose cpusets overlap by half, two spinners each. Checks:
/// isolation inside each (possibly shared) cpuset, nobody starves, no
/// stall. A scheduler that keeps per-cpuset state badly (one domain
/// starving the shared CPUs' tasks) fails.
pub fn overlapping_cgroups(ctx: &mut Ctx) -> anyhow::Result<()> {
    let defs = (0..2)
        .map(|i| spinners(&format!("overlap_{i}"), 2).with_cpuset(CpusetSpec::overlap(i, 2, 0.5)))
        .collect();
    let reports = ctx.run_cgroups(defs)?;
    // Workers of one cgroup may share CPUs with the other's: the fair
    // split inside a cgroup is not what this scenario judges.
    ctx.check(&reports)?.no_spread_check().done()
}

/// Two cgroups on CPU 0, `cpu.weight` 200 and 100, one spinner each. Check:
/// the heavy one gets about twice the CPU time (accepted 1.4:1 to 3:1). A
/// scheduler that ignores cgroup weights gives 1:1.
pub fn weight_ratio(ctx: &mut Ctx) -> anyhow::Result<()> {
    let on_cpu0 = |name: &str, w| {
        spinners(name, 1)
            .with_cpuset(CpusetSpec::exact([0]))
            .with_weight(w)
    };
    let reports = ctx.run_cgroups(vec![on_cpu0("light", 100), on_cpu0("heavy", 200)])?;
    let ratio = reports[1].cpu_time_ns as f64 / reports[0].cpu_time_ns.max(1) as f64;
    ensure!(
        (1.4..=3.0).contains(&ratio),
        "cpu.weight 200:100 on one CPU should split it about 2:1, measured {ratio:.2}:1 \
         (heavy {} ms, light {} ms)",
        reports[1].cpu_time_ns / 1_000_000,
        reports[0].cpu_time_ns / 1_000_000
    );
    ctx.check(&reports)?.no_spread_check().done()
}

/// A cgroup with `cpu.max` of half a CPU and two spinners. Check: together
/// they get about half a CPU (accepted 0.3 to 0.7). A scheduler that
/// bypasses CFS bandwidth control lets them take two whole CPUs.
pub fn cpu_max_throttles(ctx: &mut Ctx) -> anyhow::Result<()> {
    let reports = ctx.run_cgroups(vec![spinners("capped", 2).with_max(CpuMax::cpus(0.5))])?;
    let cpus: f64 = reports
        .iter()
        .map(|r| r.cpu_time_ns as f64 / r.wall_time_ns.max(1) as f64)
        .sum();
    ensure!(
        (0.3..=0.7).contains(&cpus),
        "cpu.max of 0.5 CPU should hold two spinners to about 0.5 CPU together, measured {cpus:.2}"
    );
    // Throttled workers stall for the rest of each 100 ms period.
    ctx.check(&reports)?.no_spread_check().done()
}

/// Two spinners in a cgroup while 40 sibling cgroups are created, given a
/// cpuset and a weight, and removed around them. Checks: nobody starves,
/// no stall over 2 s, every create and remove succeeds. A scheduler whose
/// cgroup callbacks stall or leak tasks fails.
pub fn cgroup_churn(ctx: &mut Ctx) -> anyhow::Result<()> {
    let mgr = ctx.cgroups()?;
    let all = ctx.topology()?.all_cpus().clone();
    mgr.create_cgroup("steady")?;
    let mut handle = ctx.spawn(&WorkloadConfig {
        num_workers: 2,
        ..Default::default()
    })?;
    mgr.move_tasks("steady", &handle.worker_pids())?;
    handle.start();
    let end = Instant::now() + ctx.duration;
    let mut made: u32 = 0;
    while Instant::now() < end && made < 40 {
        let name = format!("churn_{made}");
        mgr.create_cgroup(&name)
            .and_then(|()| mgr.set_cpuset(&name, &all))
            .and_then(|()| mgr.set_cpu_weight(&name, 50 + made * 10))
            .and_then(|()| mgr.remove_cgroup(&name))
            .with_context(|| format!("cgroup churn, round {made}"))?;
        made += 1;
        std::thread::sleep(ctx.duration / 50);
    }
    std::thread::sleep(end.saturating_duration_since(Instant::now()));
    let reports = handle.stop_and_collect();
    ctx.record_group(ReportGroup::new("steady", reports.clone()));
    ensure!(made >= 10, "only {made} churn rounds fit in the run");
    ctx.check(&reports)?.done()
}

/// The CPU a task last ran on (`/proc/<tid>/stat` field 39).
fn current_cpu(tid: i32) -> Option<usize> {
    let stat = std::fs::read_to_string(format!("/proc/{tid}/stat")).ok()?;
    stat[stat.rfind(')')? + 1..]
        .split_whitespace()
        .nth(36)?
        .parse()
        .ok()
}

/// Two spinners in a cgroup whose cpuset shrinks to CPU 0 a third into
/// the run and grows back to every CPU at two thirds. Checks: while
/// shrunk, every worker is seen only on CPU 0 (sampled every 50 ms after a
/// 200 ms settle); nobody starves; no stall over 2 s. A scheduler that
/// keeps running tasks on CPUs their cpuset lost fails.
pub fn cpuset_shrink_grow(ctx: &mut Ctx) -> anyhow::Result<()> {
    let mgr = ctx.cgroups()?;
    let all = ctx.topology()?.all_cpus().clone();
    ensure!(
        all.len() >= 2,
        "needs 2 CPUs to shrink a cpuset, has {}",
        all.len()
    );
    mgr.create_cgroup("shifting")?;
    mgr.set_cpuset("shifting", &all)?;
    let mut handle = ctx.spawn(&WorkloadConfig {
        num_workers: 2,
        ..Default::default()
    })?;
    let pids = handle.worker_pids();
    mgr.move_tasks("shifting", &pids)?;
    handle.start();
    let third = ctx.duration / 3;
    std::thread::sleep(third);
    let cpu0: CpuSet = [0].into_iter().collect();
    mgr.set_cpuset("shifting", &cpu0)?;
    std::thread::sleep(Duration::from_millis(200));
    let mut strays = Vec::new();
    let shrunk_until = Instant::now() + third.saturating_sub(Duration::from_millis(200));
    while Instant::now() < shrunk_until {
        for &p in &pids {
            if let Some(c) = current_cpu(p).filter(|c| *c != 0) {
                strays.push((p, c));
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    mgr.set_cpuset("shifting", &all)?;
    std::thread::sleep(third);
    let reports = handle.stop_and_collect();
    ctx.record_group(ReportGroup::new("shifting", reports.clone()));
    ensure!(
        strays.is_empty(),
        "after the cpuset shrank to CPU 0, workers were seen on other CPUs: {strays:?} (pid, cpu)"
    );
    ctx.check(&reports)?.no_spread_check().done()
}
