//! `Setup::Defs`: a whole layout applied in one call.

use std::time::Duration;

use ktstr::cgroup::{AffinityKind, CgroupDef, CgroupError, CpusetSpec, Setup};
use ktstr::cpuset::CpuSet;
use ktstr::workload::{CloneMode, SchedPolicy, WorkloadConfig};

use crate::common::{cgroup_of, setup};

#[test]
fn setup_defs_places_fork_and_thread_workers_before_start() {
    let Some((_g, mgr, topo)) = setup("setup_defs_places_fork_and_thread_workers_before_start")
    else {
        return;
    };
    if topo.usable_cpus().len() < 2 {
        println!(
            "SKIP setup_defs_places_fork_and_thread_workers_before_start: needs 2 usable CPUs"
        );
        return;
    }
    let setup = Setup::Defs(vec![
        CgroupDef::named("procs")
            .with_cpuset(CpusetSpec::disjoint(0, 2))
            .with_workers(2)
            .with_weight(100),
        CgroupDef::named("nest/threads")
            .with_cpuset(CpusetSpec::disjoint(1, 2))
            .with_clone_mode(CloneMode::Thread)
            .with_workers(2)
            .with_weight(300)
            .with_affinity(AffinityKind::SingleCpu),
    ]);
    let applied = setup.apply(&mgr, &topo).unwrap();
    assert_eq!(applied.group.names(), ["procs", "nest", "nest/threads"]);
    for (name, h) in applied.workloads() {
        assert!(h.is_started());
        let path = mgr.cgroup_path(name).unwrap();
        for tid in h.worker_pids() {
            assert_eq!(cgroup_of(tid, "cpuset"), path, "{name} tid {tid}");
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    let groups = applied.stop_and_collect();
    let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["procs", "nest/threads"]);
    for (i, g) in groups.iter().enumerate() {
        let cpus = CpusetSpec::disjoint(i, 2).resolve(&topo).unwrap();
        assert_eq!(g.cpuset.as_ref(), Some(&cpus), "resolved once, handed back");
        assert_eq!(g.reports.len(), 2);
        for r in &g.reports {
            assert!(r.is_clean() && r.work_units > 0, "{}: {r:?}", g.name);
            let used: CpuSet = r.cpus_used.iter().map(|&c| c as usize).collect();
            assert!(
                used.is_subset(&cpus),
                "{}: ran on {used}, cpuset {cpus}",
                g.name
            );
        }
    }
    assert_eq!(mgr.list().unwrap(), Vec::<String>::new());
}

#[test]
fn setup_failure_part_way_removes_what_it_made() {
    let Some((_g, mgr, topo)) = setup("setup_failure_part_way_removes_what_it_made") else {
        return;
    };
    mgr.create_cgroup("taken").unwrap();
    let setup = Setup::Defs(vec![
        CgroupDef::named("first").with_workers(1),
        CgroupDef::named("taken"),
    ]);
    let e = setup.apply(&mgr, &topo).unwrap_err();
    assert!(
        matches!(e, ktstr::Error::Cgroup(CgroupError::Exists { .. })),
        "{e}"
    );
    assert!(!mgr.exists("first"), "the first cgroup was removed again");
    assert!(mgr.exists("taken"), "a cgroup the setup did not make stays");
    mgr.remove_cgroup("taken").unwrap();
}

/// (policy, nice) of task `tid` from `/proc/<tid>/stat` (fields 41 and 19).
fn policy_and_nice(tid: i32) -> (u32, i32) {
    let text = std::fs::read_to_string(format!("/proc/{tid}/stat")).unwrap();
    let f: Vec<&str> = text[text.rfind(')').unwrap() + 1..]
        .split_whitespace()
        .collect();
    (f[38].parse().unwrap(), f[16].parse().unwrap())
}

/// Mixed policies across cgroups in a few lines: "batch" holds a
/// SCHED_BATCH workload and a nice-10 one, "normal" a plain one, and a
/// SCHED_IDLE workload stays in the test's own cgroup. Each worker runs
/// where its definition says, with its policy and nice as /proc shows
/// them, and the reports come back as one group per definition.
#[test]
fn setup_mixes_policies_and_nice_across_cgroups() {
    let test = "setup_mixes_policies_and_nice_across_cgroups";
    let Some((_g, mgr, topo)) = setup(test) else {
        return;
    };
    let batch = WorkloadConfig {
        num_workers: 2,
        sched_policy: SchedPolicy::Batch,
        ..Default::default()
    };
    let nice = WorkloadConfig {
        nice: 10,
        clone_mode: CloneMode::Thread,
        ..Default::default()
    };
    let idle = WorkloadConfig {
        sched_policy: SchedPolicy::Idle,
        ..Default::default()
    };
    let applied = Setup::Defs(vec![
        CgroupDef::named("batch")
            .with_workload(batch)
            .with_workload(nice),
        CgroupDef::named("normal").with_workers(2),
        CgroupDef::in_test_cgroup("background").with_workload(idle),
    ])
    .apply(&mgr, &topo)
    .unwrap();
    assert_eq!(applied.group.names(), ["batch", "normal"]);
    std::thread::sleep(Duration::from_millis(200));
    let own = cgroup_of(std::process::id() as i32, "cpuset");
    // (cgroup, policy, nice) per worker, in spawn order.
    let want: [(&str, u32, i32); 6] = [
        ("batch", 3, 0),
        ("batch", 3, 0),
        ("batch", 0, 10),
        ("normal", 0, 0),
        ("normal", 0, 0),
        ("background", 5, 0),
    ];
    let tids: Vec<(&str, i32)> = applied
        .workloads()
        .into_iter()
        .flat_map(|(name, h)| h.worker_pids().into_iter().map(move |t| (name, t)))
        .collect();
    assert_eq!(tids.len(), want.len());
    for ((name, tid), (want_name, policy, nice)) in tids.iter().zip(want) {
        assert_eq!(*name, want_name);
        let path = match want_name {
            "background" => own.clone(),
            _ => mgr.cgroup_path(name).unwrap(),
        };
        assert_eq!(cgroup_of(*tid, "cpuset"), path, "{name} tid {tid}");
        assert_eq!(
            policy_and_nice(*tid),
            (policy, nice),
            "{name} tid {tid}: (policy, nice) from /proc"
        );
    }
    let groups = applied.stop_and_collect();
    let shape: Vec<(&str, usize)> = groups
        .iter()
        .map(|g| (g.name.as_str(), g.reports.len()))
        .collect();
    assert_eq!(shape, [("batch", 3), ("normal", 2), ("background", 1)]);
    for g in &groups {
        assert_eq!(g.cpuset, None);
        for r in &g.reports {
            assert!(r.is_clean() && r.work_units > 0, "{}: {r:?}", g.name);
            assert_eq!((&r.policy_error, &r.nice_error), (&None, &None));
        }
    }
    assert_eq!(mgr.list().unwrap(), Vec::<String>::new());
}

#[test]
fn setup_refuses_cgroup_settings_on_the_test_cgroup() {
    let Some((_g, mgr, topo)) = setup("setup_refuses_cgroup_settings_on_the_test_cgroup") else {
        return;
    };
    let e = Setup::Defs(vec![CgroupDef::in_test_cgroup("bg").with_weight(200)])
        .apply(&mgr, &topo)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("weight set on workloads in the test's own cgroup"),
        "{e}"
    );
}
