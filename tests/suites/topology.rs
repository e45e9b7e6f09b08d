//! Topology requirements: each test asks for a topology this 2-CPU host
//! (one LLC, one NUMA node, no SMT) lacks, so it runs in a VM the harness
//! builds for it (`./scripts/setup --vm` fetches the kernel; without one
//! they are reported ignored with that command). In the guest each body
//! checks what the kernel really reports and that workers placed by the
//! topology's cpuset generators stay where they were put. Three VM boots.

use ktstr::prelude::*;

/// One cgroup of `workers` workers per CPU set; each worker ran, and only
/// on its cgroup's CPUs.
fn stays_within(
    ctx: &mut Ctx,
    what: &str,
    workers: usize,
    sets: Vec<(CpusetSpec, CpuSet)>,
) -> Result<()> {
    let defs = sets
        .iter()
        .enumerate()
        .map(|(i, (spec, _))| {
            CgroupDef::named(format!("{what}_{i}"))
                .with_cpuset(spec.clone())
                .with_workers(workers)
        })
        .collect();
    let reports = ctx.run_cgroups(defs)?;
    ensure!(
        reports.len() == workers * sets.len(),
        "{} reports for {} cgroups of {workers}",
        reports.len(),
        sets.len()
    );
    for (r, (_, cpus)) in reports
        .iter()
        .zip(sets.iter().flat_map(|s| [s; 1].repeat(workers)))
    {
        ensure!(
            !r.cpus_used.is_empty() && r.cpus_used.iter().all(|c| cpus.contains(*c as usize)),
            "a worker placed on {what} CPUs {cpus} ran on {:?}",
            r.cpus_used
        );
    }
    ctx.check(&reports)?.done()
}

/// Two LLCs of two CPUs (two sockets of two cores): the guest reports
/// them (disjoint, two CPUs each, covering every CPU), and LLC-aligned
/// cgroups of two workers keep them in their own LLC.
#[ktstr::test(requires(min_llcs = 2, min_cpus = 4), duration = "1s")]
fn two_llcs_in_a_vm(ctx: &mut Ctx) -> Result<()> {
    let topo = ctx.topology()?.clone();
    let llcs: Vec<CpuSet> = topo.llcs().iter().map(|l| l.cpus().clone()).collect();
    ensure!(
        llcs.len() == 2 && llcs.iter().all(|l| l.len() == 2),
        "the guest should have 2 LLCs of 2 CPUs, it has {}",
        llcs.iter()
            .map(|l| format!("[{l}]"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    ensure!(
        llcs[0].intersection(&llcs[1]).is_empty(),
        "LLCs {} and {} overlap",
        llcs[0],
        llcs[1]
    );
    let all: CpuSet = llcs.iter().flat_map(|l| l.iter()).collect();
    ensure!(
        &all == topo.all_cpus(),
        "the LLCs cover {all}, not every CPU"
    );
    let sets = (0..2)
        .map(|i| Ok((CpusetSpec::llc(i), topo.llc_aligned(i)?)))
        .collect::<Result<_>>()?;
    stays_within(ctx, "llc", 2, sets)
}

/// Two NUMA nodes: each holds CPUs, the distance between them is larger
/// than within one, and node-aligned cgroups keep their workers there.
#[ktstr::test(requires(min_numa_nodes = 2), duration = "1s")]
fn two_numa_nodes_in_a_vm(ctx: &mut Ctx) -> Result<()> {
    let topo = ctx.topology()?.clone();
    ensure!(
        topo.num_nodes() >= 2,
        "the guest has {} node(s)",
        topo.num_nodes()
    );
    let (a, b) = (topo.nodes()[0].id(), topo.nodes()[1].id());
    let (near, far) = (topo.numa_distance(a, a), topo.numa_distance(a, b));
    ensure!(
        matches!((near, far), (Some(n), Some(f)) if f > n),
        "node distances {a}->{a} {near:?}, {a}->{b} {far:?}: the remote one should be larger"
    );
    let sets = [a, b]
        .into_iter()
        .map(|n| Ok((CpusetSpec::numa(n), topo.numa_aligned(n)?)))
        .collect::<Result<_>>()?;
    stays_within(ctx, "node", 1, sets)
}

/// SMT: CPU 0 has a sibling, the kernel says SMT is active, and a worker
/// pinned (by cpuset) to each sibling of that core runs there.
#[ktstr::test(requires(smt), duration = "1s")]
fn smt_siblings_in_a_vm(ctx: &mut Ctx) -> Result<()> {
    let topo = ctx.topology()?.clone();
    let core = topo
        .smt_siblings(0)
        .ok_or_else(|| anyhow!("CPU 0 has no core"))?
        .clone();
    ensure!(core.len() == 2, "CPU 0's core has CPUs {core}, not two");
    let active = std::fs::read_to_string("/sys/devices/system/cpu/smt/active")?;
    ensure!(active.trim() == "1", "smt/active is {active:?}");
    let cpus: Vec<usize> = core.iter().collect();
    let sets = cpus
        .iter()
        .map(|&c| (CpusetSpec::exact([c]), CpuSet::from([c])))
        .collect();
    stays_within(ctx, "sibling", 1, sets)
}

ktstr::main!();
