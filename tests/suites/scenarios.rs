//! Scenarios: a layout of cgroups whose cpusets, weights and membership
//! change while the workers run, each step judged over its own window of
//! samples (see `ktstr::scenario`). On the host these run on cgroup v1
//! (as root); the `vm_` test runs the same kinds of steps on cgroup v2 in
//! a VM. Timing bands are wide: the machine is shared and noisy.

use std::time::Duration;

use ktstr::cgroup::{CgroupDef, CpusetSpec};
use ktstr::prelude::*;
use ktstr::scenario::{Op, Scenario, Step, StepCheck};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// `n` spinners in cgroup `name` restricted to `cpus`.
fn spinners(name: &str, n: usize, cpus: &[usize]) -> CgroupDef {
    CgroupDef::named(name)
        .with_cpuset(CpusetSpec::exact(cpus.iter().copied()))
        .with_workers(n)
}

/// Shrinking a cgroup's cpuset from two CPUs to one moves its running
/// workers onto that CPU (every sample after the settle time shows them
/// there), and growing it back lets them use both again. A scheduler or
/// kernel that left a worker on a CPU its cpuset lost fails `OnItsCpus`.
#[ktstr::test(requires(root, min_cpus = 2))]
fn cpuset_shrink_and_grow_keeps_workers_inside(ctx: &mut Ctx) -> Result<()> {
    let on_both = || CpusetSpec::exact([0, 1]);
    let s = Scenario::new(vec![spinners("cg", 2, &[0, 1])])
        .step(
            Step::new("both CPUs", ms(800))
                .check(StepCheck::on_its_cpus("cg"))
                .check(StepCheck::NotStarved),
        )
        .step(
            Step::new("shrink to CPU 1", ms(1200))
                .op(Op::set_cpuset("cg", CpusetSpec::exact([1])))
                .settle(ms(200))
                .check(StepCheck::on_its_cpus("cg"))
                .check(StepCheck::NotStarved),
        )
        .step(
            Step::new("grow to both", ms(1200))
                .op(Op::set_cpuset("cg", on_both()))
                .settle(ms(200))
                .check(StepCheck::on_its_cpus("cg"))
                .check(StepCheck::NotStarved)
                .check(StepCheck::MaxStall(ms(1000))),
        );
    let r = ctx.run_scenario(&s)?;
    let shrunk = &r.steps[1];
    ensure!(
        shrunk.workers.iter().all(|w| w.cpus == [1]),
        "after the shrink every worker should run on CPU 1 only: {:?}",
        shrunk.workers
    );
    let grown: std::collections::BTreeSet<u32> = r.steps[2]
        .workers
        .iter()
        .flat_map(|w| w.cpus.iter().copied())
        .collect();
    ensure!(
        grown.len() == 2,
        "after growing back, two spinners should use both CPUs, seen {grown:?}"
    );
    r.into_result()
}

/// Two one-worker cgroups on CPU 0: equal weights give about 1:1; after
/// the step sets 400:100 the same two share about 4:1, judged over the
/// second step's window only (accepted 2.5..6.5, as in `cgroups.rs`).
/// A scheduler that ignored the change would stay near 1:1.
#[ktstr::test(requires(root))]
fn weight_change_shifts_the_step_share(ctx: &mut Ctx) -> Result<()> {
    let s = Scenario::new(vec![spinners("a", 1, &[0]), spinners("b", 1, &[0])])
        .step(
            Step::new("equal weights", ms(1500))
                .settle(ms(200))
                .check(StepCheck::share("a", "b", 0.5, 2.0))
                .check(StepCheck::NotStarved),
        )
        .step(
            Step::new("a at 400", ms(2000))
                .op(Op::set_weight("a", 400))
                .settle(ms(300))
                .check(StepCheck::share("a", "b", 2.5, 6.5))
                .check(StepCheck::NotStarved),
        );
    let r = ctx.run_scenario(&s)?;
    for st in &r.steps {
        eprintln!("{}:\n{}", st.describe(), st.verdict);
    }
    r.into_result()
}

/// The deliberately failing step: equal weights cannot give a 10:1
/// share. The run goes on past it, and the failure names the step, its
/// index and its time into the run.
#[ktstr::test(requires(root), should_fail = "step 1 'impossible share' (index 1, ")]
fn a_failing_step_is_named_with_its_time(ctx: &mut Ctx) -> Result<()> {
    let s = Scenario::new(vec![spinners("a", 1, &[0]), spinners("b", 1, &[0])])
        .step(Step::new("warm up", ms(400)).check(StepCheck::NotStarved))
        .step(Step::new("impossible share", ms(600)).check(StepCheck::share("a", "b", 10.0, 20.0)))
        .step(Step::new("after", ms(300)).check(StepCheck::NotStarved));
    let r = ctx.run_scenario(&s)?;
    let failed: Vec<usize> = r.failed_steps().map(|s| s.index).collect();
    ensure!(failed == [1], "only step 1 should fail, failed: {failed:?}");
    ensure!(
        r.steps[1].started_ms >= 300 && r.steps.len() == 3,
        "step 1 starts after the 400 ms warm-up and step 2 still ran: {:?}",
        r.steps.iter().map(|s| s.started_ms).collect::<Vec<_>>()
    );
    r.into_result()
}

/// Moving workers between cgroups, then changing their nice, policy and
/// affinity, spawning another workload beside them, stopping it, removing
/// a layout cgroup and adding a new one: the moved workers run on their
/// new cgroup's CPU, and nobody starves.
#[ktstr::test(requires(root, min_cpus = 2))]
fn workers_move_and_change_policy_while_running(ctx: &mut Ctx) -> Result<()> {
    let extra = WorkloadConfig {
        num_workers: 1,
        ..Default::default()
    };
    let s = Scenario::new(vec![spinners("a", 2, &[0]), spinners("b", 1, &[1])])
        .step(
            Step::new("move a into b", ms(1000))
                .op(Op::move_workers("a", "b"))
                .settle(ms(200))
                .check(StepCheck::on_its_cpus("b"))
                .check(StepCheck::NotStarved),
        )
        .step(
            Step::new("nice, batch, pin, spawn", ms(1000))
                .op(Op::set_nice("b", 5))
                .op(Op::set_policy("b", SchedPolicy::Batch))
                .op(Op::set_affinity("b", CpusetSpec::exact([1])))
                .op(Op::spawn("a", extra))
                .check(StepCheck::NotStarved),
        )
        .step(
            Step::new("stop a, add c", ms(600))
                .op(Op::stop("a"))
                .op(Op::remove_cgroup("a"))
                .op(Op::AddCgroup(spinners("c", 1, &[0])))
                .settle(ms(100))
                .check(StepCheck::on_its_cpus("c"))
                .check(StepCheck::NotStarved),
        );
    let r = ctx.run_scenario(&s)?;
    let moved = &r.steps[0].workers;
    ensure!(
        moved.len() == 3 && moved.iter().all(|w| w.cgroup == "b"),
        "all three workers should be in b: {moved:?}"
    );
    ensure!(
        r.steps[1].workers.len() == 4,
        "the spawned worker joins in step 1: {:?}",
        r.steps[1].workers
    );
    let last: Vec<&str> = r.steps[2]
        .workers
        .iter()
        .map(|w| w.cgroup.as_str())
        .collect();
    ensure!(
        last == ["b", "b", "b", "c"],
        "after stop, remove and add: b's three and c's one, got {last:?}"
    );
    r.into_result()
}

/// Freezing a cgroup stops its workers' progress for the step (v1
/// `freezer` here); thawing lets them run again, and the cgroup beside
/// them ran all along.
#[ktstr::test(requires(root))]
fn freeze_and_thaw_a_cgroup(ctx: &mut Ctx) -> Result<()> {
    let s = Scenario::new(vec![spinners("a", 1, &[0]), spinners("b", 1, &[0])])
        .step(
            Step::new("a frozen", ms(800))
                .op(Op::freeze("a"))
                .check(StepCheck::NotStarved),
        )
        .step(
            Step::new("a thawed", ms(800))
                .op(Op::thaw("a"))
                .settle(ms(100))
                .check(StepCheck::NotStarved),
        );
    let r = ctx.run_scenario(&s)?;
    let a = |i: usize| {
        r.steps[i]
            .workers
            .iter()
            .find(|w| w.cgroup == "a")
            .map(|w| w.iterations)
    };
    ensure!(
        a(0) == Some(0),
        "frozen a progressed: {:?}",
        r.steps[0].workers
    );
    ensure!(a(1) > Some(0), "thawed a did not: {:?}", r.steps[1].workers);
    r.into_result()
}

/// Bad input is an error naming the step (before anything is created),
/// and a move of workers that already exited is an error naming the step
/// when it happens; no cgroup is left behind by any of them.
#[ktstr::test(requires(root))]
fn bad_scenarios_are_errors_naming_the_step(ctx: &mut Ctx) -> Result<()> {
    let base = || Scenario::new(vec![spinners("a", 1, &[0]), spinners("b", 1, &[0])]);
    let cases: Vec<(Scenario, &str)> = vec![
        (
            base().step(Step::new("typo", ms(100)).op(Op::set_weight("c", 100))),
            "step 0 'typo', op 0 (set_weight c 100): no cgroup \"c\"",
        ),
        (
            base()
                .step(Step::new("far", ms(100)).op(Op::set_cpuset("a", CpusetSpec::exact([999])))),
            "step 0 'far', op 0",
        ),
        (
            base()
                .step(Step::new("ok", ms(100)))
                .step(Step::new("heavy", ms(100)).op(Op::set_weight("a", 0))),
            "step 1 'heavy', op 0 (set_weight a 0): cpu weight 0 is outside",
        ),
        (
            base().step(Step::new("nice", ms(100)).op(Op::set_nice("b", 40))),
            "nice 40 is outside -20..=19",
        ),
        (
            base().step(Step::new("no time", Duration::ZERO)),
            "step 0 'no time': its hold is 0",
        ),
        (
            base()
                .step(Step::new("gone", ms(100)).op(Op::remove_cgroup("b")))
                .step(Step::new("late", ms(100)).op(Op::set_weight("b", 100))),
            "step 1 'late', op 0 (set_weight b 100): no cgroup \"b\"",
        ),
        (
            base()
                .step(Step::new("own", ms(100)).op(Op::AddCgroup(CgroupDef::in_test_cgroup("bg")))),
            "\"bg\" is CgroupDef::in_test_cgroup: a scenario's ops work on cgroups it creates",
        ),
    ];
    for (s, want) in cases {
        let e = ctx
            .run_scenario(&s)
            .err()
            .ok_or_else(|| anyhow!("a bad scenario ran"))?;
        let text = format!("{e:#}");
        ensure!(text.contains(want), "expected {want:?} in: {text}");
    }
    // Workers that died before a move: killed from beside the scenario.
    let tasks = ctx.cgroups()?.parent_dirs()[0].clone();
    let killer = std::thread::spawn(move || {
        std::thread::sleep(ms(300));
        let procs = std::fs::read_to_string(tasks.join("a/cgroup.procs")).unwrap_or_default();
        for p in procs.split_whitespace().filter_map(|p| p.parse().ok()) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(p),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    });
    let s = base()
        .step(Step::new("wait", ms(700)))
        .step(Step::new("move dead", ms(100)).op(Op::move_workers("a", "b")));
    let e = ctx
        .run_scenario(&s)
        .err()
        .ok_or_else(|| anyhow!("moving dead workers ran"))?;
    killer.join().expect("killer thread");
    let text = format!("{e:#}");
    ensure!(
        text.contains("step 1 'move dead' (index 1) at ") && text.contains("already exited"),
        "{text}"
    );
    // An error while a cgroup is frozen: thawed and its v1 freezer
    // cgroup removed on the way out.
    let s = base()
        .step(Step::new("freeze", ms(200)).op(Op::freeze("a")))
        .step(Step::new("move frozen", ms(100)).op(Op::move_workers("a", "b")));
    let e = ctx
        .run_scenario(&s)
        .err()
        .ok_or_else(|| anyhow!("moving frozen workers ran"))?;
    ensure!(
        format!("{e:#}").contains("step 1 'move frozen' (index 1) at "),
        "{e:#}"
    );
    let mgr = ctx.cgroups()?;
    let left = mgr.list()?;
    ensure!(left.is_empty(), "cgroups left behind: {left:?}");
    if let Ok(dir) = std::fs::read_dir("/sys/fs/cgroup/freezer") {
        let ours: Vec<_> = dir
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with(mgr.parent_name()))
            .collect();
        ensure!(ours.is_empty(), "freezer cgroups left behind: {ours:?}");
    }
    Ok(())
}

/// A plain `run_workload` samples its workers too (every 100 ms): the
/// series says which CPU each was on and lets a body assert over time —
/// here, that no spinner stood still for more than a second and the
/// series' progress matches the workers' final reports.
#[ktstr::test(workers = 2, duration = "1500ms")]
fn run_workload_records_samples_over_time(ctx: &mut Ctx) -> Result<()> {
    use ktstr::scenario::series;
    let reports = ctx.run_workload()?;
    let samples = ctx.samples();
    ensure!(
        (10..=20).contains(&samples.len()),
        "1.5 s at 100 ms should give about 16 samples, got {}",
        samples.len()
    );
    let online = CpuSet::online();
    for s in &samples {
        ensure!(s.points.len() == 2, "a sample lacks a worker: {s:?}");
        for p in &s.points {
            let cpu = p
                .worker
                .cpu
                .ok_or_else(|| anyhow!("a live worker has no CPU: {p:?}"))?;
            ensure!(online.contains(cpu as usize), "CPU {cpu} is not online");
        }
    }
    for (t, r) in series::tracks(&samples).iter().zip(&reports) {
        let (stall, at) = series::longest_stall(t);
        ensure!(
            stall <= 1000,
            "worker {} stalled {stall} ms from {at} ms",
            r.index
        );
        ensure!(
            series::progress(t) > 0 && series::progress(t) <= r.iterations,
            "the series' progress {} should be within the report's {} iterations",
            series::progress(t),
            r.iterations
        );
    }
    ctx.check(&reports)?.done()
}

/// The steps both VM tests run on cgroup v2: `b` shrinks from CPUs 0-1
/// onto CPU 0 beside `a` (with `a` at weight 400 when `weights`), then `a`
/// is frozen (`cgroup.freeze`) and thawed. Each step is judged over its
/// own window.
fn v2_scenario(weights: bool) -> Scenario {
    let mut shrink = Step::new("b onto CPU 0", ms(1200))
        .op(Op::set_cpuset("b", CpusetSpec::exact([0])))
        .settle(ms(300))
        .check(StepCheck::on_its_cpus("b"))
        .check(StepCheck::NotStarved)
        .check(StepCheck::MaxStall(ms(800)));
    if weights {
        shrink = shrink
            .op(Op::set_weight("a", 400))
            .check(StepCheck::share("a", "b", 2.0, 8.0));
    }
    Scenario::new(vec![spinners("a", 1, &[0]), spinners("b", 1, &[0, 1])])
        .step(shrink)
        .step(
            Step::new("a frozen", ms(600))
                .op(Op::freeze("a"))
                .check(StepCheck::NotStarved),
        )
        .step(
            Step::new("a thawed", ms(600))
                .op(Op::thaw("a"))
                .settle(ms(100))
                .check(StepCheck::NotStarved),
        )
}

/// Runs a [`v2_scenario`], printing each step's verdict, and checks the
/// frozen step held `a` still.
fn run_v2(ctx: &mut Ctx, weights: bool) -> Result<()> {
    let r = ctx.run_scenario(&v2_scenario(weights))?;
    for st in &r.steps {
        eprintln!("{}:\n{}", st.describe(), st.verdict);
    }
    let frozen_a = r.steps[1].workers.iter().find(|w| w.cgroup == "a");
    ensure!(
        frozen_a.map(|w| w.iterations) == Some(0),
        "frozen a progressed: {frozen_a:?}"
    );
    r.into_result()
}

/// The scenario on cgroup v2 in a VM under the kernel's scheduler
/// (EEVDF): cpuset shrink, weight 400:100 (accepted 2..8), freeze, thaw.
#[ktstr::test(vm)]
fn vm_scenario_on_cgroup_v2(ctx: &mut Ctx) -> Result<()> {
    run_v2(ctx, true)
}

/// The same steps under scx_bpfland, without the weight band (bpfland
/// does not promise `cpu.weight` splits): a sched_ext scheduler must still
/// keep workers inside a cpuset that shrinks under them, never stall a
/// worker for 800 ms, and run a thawed cgroup again.
#[ktstr::test(vm, scheduler = "scx_bpfland")]
fn vm_scenario_under_scx_bpfland(ctx: &mut Ctx) -> Result<()> {
    let state = std::fs::read_to_string("/sys/kernel/sched_ext/state")?;
    ensure!(state.trim() == "enabled", "sched_ext is {:?}", state.trim());
    run_v2(ctx, false)
}

ktstr::main!();
