//! Real-time budgets: a SCHED_FIFO worker in a ktstr cgroup runs, a
//! budget the parent cannot give is refused with the numbers, `Setup`
//! shares the run's budget, and cgroups with a budget are removed cleanly.

use std::time::Duration;

use ktstr::cgroup::{CgroupDef, CgroupError, CgroupManager, Setup};
use ktstr::workload::{SchedPolicy, WorkType, WorkerReport, WorkloadConfig, WorkloadHandle};

use crate::common::{ktstr_dirs, setup};

/// Skip (printing why) where the kernel has no per-cgroup RT budget.
fn has_rt(mgr: &CgroupManager, test: &str) -> bool {
    match mgr.run_rt_budget().unwrap() {
        Some(_) => true,
        None => {
            println!("SKIP {test}: no RT group scheduling (no cpu.rt_runtime_us)");
            false
        }
    }
}

/// The scheduling policy of task `pid` (field 41 of `/proc/<pid>/stat`).
fn policy_of(pid: i32) -> u32 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after_comm = &stat[stat.rfind(')').unwrap() + 2..];
    // Fields from 3 (state) on; policy is field 41.
    after_comm.split(' ').nth(41 - 3).unwrap().parse().unwrap()
}

/// One FIFO spinner in cgroup `name`: its policy while it runs, and its
/// report.
fn run_fifo_in(mgr: &CgroupManager, name: &str) -> (u32, WorkerReport) {
    let mut h = WorkloadHandle::spawn(&WorkloadConfig {
        num_workers: 1,
        work_type: WorkType::SpinWait,
        sched_policy: SchedPolicy::Fifo(10),
        ..Default::default()
    })
    .unwrap();
    mgr.move_tasks(name, &h.worker_pids_for_cgroup_procs().unwrap())
        .unwrap();
    h.start();
    std::thread::sleep(Duration::from_millis(300));
    let policy = policy_of(h.worker_pids()[0]);
    let mut reports = h.stop_and_collect();
    (policy, reports.remove(0))
}

#[test]
fn fifo_worker_runs_in_a_ktstr_cgroup() {
    let test = "fifo_worker_runs_in_a_ktstr_cgroup";
    let Some((_g, mgr, _topo)) = setup(test) else {
        return;
    };
    if !has_rt(&mgr, test) {
        return;
    }
    let run = mgr.run_rt_budget().unwrap().unwrap();
    assert!(
        run.runtime_us.unwrap_or(1) > 0,
        "the run got no budget: {run}"
    );
    mgr.create_cgroup("rt").unwrap();
    let budget = mgr.rt_budget("rt").unwrap().unwrap();
    assert!(budget.runtime_us.unwrap() > 0, "{budget}");
    assert_eq!(budget.period_us, run.period_us);
    let (policy, r) = run_fifo_in(&mgr, "rt");
    assert_eq!(policy, libc::SCHED_FIFO as u32, "{r:?}");
    assert_eq!(r.policy_error, None);
    assert!(r.is_clean() && r.work_units > 0, "{r:?}");

    // The broken case: without a budget the kernel refuses FIFO.
    mgr.create_cgroup("none").unwrap();
    mgr.set_rt_runtime("none", 0).unwrap();
    let (policy, r) = run_fifo_in(&mgr, "none");
    assert_eq!(policy, libc::SCHED_OTHER as u32);
    let why = r.policy_error.expect("FIFO refused without a budget");
    assert!(why.contains("EPERM"), "{why}");
}

#[test]
fn more_rt_budget_than_the_parent_has_is_refused() {
    let test = "more_rt_budget_than_the_parent_has_is_refused";
    let Some((_g, mgr, _topo)) = setup(test) else {
        return;
    };
    if !has_rt(&mgr, test) {
        return;
    }
    let run = mgr.run_rt_budget().unwrap().unwrap();
    let total = run.runtime_us.unwrap_or(run.period_us);
    mgr.create_cgroup("a").unwrap();
    mgr.create_cgroup("b").unwrap();
    mgr.set_rt_runtime("a", total / 2).unwrap();
    let e = mgr.set_rt_runtime("b", total / 2 + 1000).unwrap_err();
    assert!(matches!(e, CgroupError::RtBudget { .. }), "{e}");
    let msg = e.to_string();
    let want = format!(
        "/{}/b/cpu.rt_runtime_us of cgroup \"b\" to {} µs per {} µs: its parent ",
        mgr.parent_name(),
        total / 2 + 1000,
        run.period_us
    );
    assert!(msg.contains(&want), "{msg}\nwant {want}");
    assert!(
        msg.contains(&format!("its other children hold {} µs", total / 2))
            && msg.contains("at most"),
        "{msg}"
    );
    // More than the period is refused too, and the budget stays as it was.
    let before = mgr.rt_budget("b").unwrap();
    let e = mgr.set_rt_runtime("b", run.period_us + 1).unwrap_err();
    assert!(e.to_string().contains("cannot exceed the period"), "{e}");
    assert_eq!(mgr.rt_budget("b").unwrap(), before);
    // What is free can be given.
    mgr.set_rt_runtime("b", total / 2 - 1000).unwrap();
}

#[test]
fn setup_shares_the_run_rt_budget_and_removes_cleanly() {
    let test = "setup_shares_the_run_rt_budget_and_removes_cleanly";
    let Some((_g, mgr, topo)) = setup(test) else {
        return;
    };
    if !has_rt(&mgr, test) {
        return;
    }
    let run = mgr.run_rt_budget().unwrap().unwrap();
    let total = run.runtime_us.unwrap_or(run.period_us);
    let applied = Setup::Defs(vec![
        CgroupDef::named("even_0"),
        CgroupDef::named("even_1"),
        CgroupDef::named("fixed").with_rt_runtime_us(100_000),
    ])
    .apply(&mgr, &topo)
    .unwrap();
    let share = (total - 100_000) / 2;
    for name in ["even_0", "even_1"] {
        assert_eq!(
            mgr.rt_budget(name).unwrap().unwrap().runtime_us,
            Some(share),
            "{name}"
        );
    }
    assert_eq!(
        mgr.rt_budget("fixed").unwrap().unwrap().runtime_us,
        Some(100_000)
    );
    for g in applied.stop_and_collect() {
        assert!(g.reports.iter().all(|r| r.is_clean()), "{g:?}");
    }
    assert_eq!(mgr.list().unwrap(), Vec::<String>::new());
    // Asking for more than the run has fails before anything is made.
    let e = Setup::Defs(vec![
        CgroupDef::named("greedy").with_rt_runtime_us(total.min(run.period_us)),
        CgroupDef::named("more").with_rt_runtime_us(total.min(run.period_us)),
    ])
    .apply(&mgr, &topo)
    .unwrap_err();
    assert!(e.to_string().contains("at most"), "{e}");
    assert_eq!(mgr.list().unwrap(), Vec::<String>::new());
    mgr.cleanup_all().unwrap();
    assert_eq!(ktstr_dirs(&mgr), Vec::<String>::new());
}
