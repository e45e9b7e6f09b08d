//! `Setup::Defs`: a whole layout applied in one call.

use std::time::Duration;

use ktstr::cgroup::{AffinityKind, CgroupDef, CgroupError, CpusetSpec, Setup};
use ktstr::cpuset::CpuSet;
use ktstr::workload::CloneMode;

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
    assert_eq!(applied.names, ["procs", "nest/threads"]);
    assert_eq!(applied.group.names(), ["procs", "nest", "nest/threads"]);
    for (name, h) in applied.names.iter().zip(&applied.handles) {
        assert!(h.is_started());
        let path = mgr.cgroup_path(name).unwrap();
        for tid in h.worker_pids() {
            assert_eq!(cgroup_of(tid, "cpuset"), path, "{name} tid {tid}");
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    let results = applied.stop_and_collect();
    for (i, (name, reports)) in results.iter().enumerate() {
        let cpus = CpusetSpec::disjoint(i, 2).resolve(&topo).unwrap();
        assert_eq!(reports.len(), 2);
        for r in reports {
            assert!(r.is_clean() && r.work_units > 0, "{name}: {r:?}");
            let used: CpuSet = r.cpus_used.iter().map(|&c| c as usize).collect();
            assert!(
                used.is_subset(&cpus),
                "{name}: ran on {used}, cpuset {cpus}"
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
