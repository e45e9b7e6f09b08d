//! Workers placed in cgroups before they start: Fork workers through
//! `cgroup.procs`, Thread workers through v1 `tasks`; placement checked in
//! `/proc/<tid>/cgroup` and in the CPUs the workers report.

use std::collections::BTreeSet;
use std::time::Duration;

use ktstr::cgroup::CgroupGroup;
use ktstr::cpuset::CpuSet;
use ktstr::workload::{CloneMode, WorkType, WorkerReport, WorkloadConfig, WorkloadHandle};

use crate::common::{cgroup_of, setup};

fn spin(n: usize, mode: CloneMode) -> WorkloadHandle {
    let cfg = WorkloadConfig {
        num_workers: n,
        work_type: WorkType::SpinWait,
        clone_mode: mode,
        ..Default::default()
    };
    WorkloadHandle::spawn(&cfg).unwrap()
}

fn cpus_used(reports: &[WorkerReport]) -> CpuSet {
    reports
        .iter()
        .flat_map(|r| r.cpus_used.iter().map(|&c| c as usize))
        .collect()
}

fn assert_clean(reports: &[WorkerReport], n: usize) {
    assert_eq!(reports.len(), n);
    for r in reports {
        assert!(r.is_clean(), "{r:?}");
        assert!(r.work_units > 0, "{r:?}");
    }
}

#[test]
fn fork_workers_move_through_cgroup_procs() {
    let Some((_g, mgr, topo)) = setup("fork_workers_move_through_cgroup_procs") else {
        return;
    };
    let cpu: CpuSet = [topo.all_cpus().last().unwrap()].into();
    let mut group = CgroupGroup::new(&mgr);
    group.add_cgroup("fork/leaf", &cpu).unwrap();
    mgr.set_cpu_weight("fork/leaf", 200).unwrap();
    let mut h = spin(2, CloneMode::Fork);
    let pids = h.worker_pids_for_cgroup_procs().unwrap();
    mgr.move_tasks("fork/leaf", &pids).unwrap();
    let path = mgr.cgroup_path("fork/leaf").unwrap();
    for &pid in &pids {
        assert_eq!(cgroup_of(pid, "cpuset"), path);
        assert_eq!(cgroup_of(pid, "cpu"), path);
    }
    let mut listed = mgr.tasks("fork/leaf").unwrap();
    listed.sort();
    let mut want = pids.clone();
    want.sort();
    assert_eq!(listed, want);
    h.start();
    std::thread::sleep(Duration::from_millis(300));
    let reports = h.stop_and_collect();
    assert_clean(&reports, 2);
    assert!(
        cpus_used(&reports).is_subset(&cpu),
        "{:?} outside {cpu}",
        cpus_used(&reports)
    );
}

#[test]
fn thread_workers_move_through_tasks() {
    let Some((_g, mgr, topo)) = setup("thread_workers_move_through_tasks") else {
        return;
    };
    let cpu: CpuSet = [topo.all_cpus().last().unwrap()].into();
    let me = std::process::id() as i32;
    let before = cgroup_of(me, "cpuset");
    let mut group = CgroupGroup::new(&mgr);
    group.add_cgroup("threads", &cpu).unwrap();
    let mut h = spin(2, CloneMode::Thread);
    let e = h.worker_pids_for_cgroup_procs().unwrap_err();
    assert!(e.to_string().contains("cgroup.threads"), "{e}");
    let tids = h.worker_pids();
    mgr.move_threads("threads", &tids).unwrap();
    let path = mgr.cgroup_path("threads").unwrap();
    for &tid in &tids {
        assert_ne!(tid, me);
        assert_eq!(cgroup_of(tid, "cpuset"), path, "tid {tid}");
        assert_eq!(cgroup_of(tid, "cpu"), path, "tid {tid}");
    }
    // Only the worker threads moved; the process's main thread stayed.
    assert_eq!(cgroup_of(me, "cpuset"), before);
    let listed: BTreeSet<i32> = mgr.tasks("threads").unwrap().into_iter().collect();
    assert_eq!(listed, tids.iter().copied().collect());
    h.start();
    std::thread::sleep(Duration::from_millis(300));
    let reports = h.stop_and_collect();
    assert_clean(&reports, 2);
    assert!(
        cpus_used(&reports).is_subset(&cpu),
        "{:?} outside {cpu}",
        cpus_used(&reports)
    );
    drop(group);
    assert!(!mgr.exists("threads"));
}

#[test]
fn disjoint_cpusets_keep_workers_apart() {
    let Some((_g, mgr, topo)) = setup("disjoint_cpusets_keep_workers_apart") else {
        return;
    };
    if topo.total_cpus() < 2 {
        println!("SKIP disjoint_cpusets_keep_workers_apart: needs 2 CPUs, host has 1");
        return;
    }
    let sets = topo.split(2).unwrap();
    assert!(sets[0].is_disjoint(&sets[1]));
    let mut group = CgroupGroup::new(&mgr);
    group.add_cgroup("left", &sets[0]).unwrap();
    group.add_cgroup("right", &sets[1]).unwrap();
    let mut left = spin(2, CloneMode::Fork);
    let mut right = spin(2, CloneMode::Thread);
    mgr.move_tasks("left", &left.worker_pids_for_cgroup_procs().unwrap())
        .unwrap();
    mgr.move_threads("right", &right.worker_pids()).unwrap();
    left.start();
    right.start();
    std::thread::sleep(Duration::from_millis(500));
    let (l, r) = (left.stop_and_collect(), right.stop_and_collect());
    assert_clean(&l, 2);
    assert_clean(&r, 2);
    let (lu, ru) = (cpus_used(&l), cpus_used(&r));
    assert!(
        lu.is_subset(&sets[0]),
        "left ran on {lu}, its cpuset is {}",
        sets[0]
    );
    assert!(
        ru.is_subset(&sets[1]),
        "right ran on {ru}, its cpuset is {}",
        sets[1]
    );
    assert!(lu.is_disjoint(&ru));
}

#[test]
fn weights_split_a_shared_cpu() {
    let Some((_g, mgr, topo)) = setup("weights_split_a_shared_cpu") else {
        return;
    };
    let cpu: CpuSet = [topo.all_cpus().last().unwrap()].into();
    let mut group = CgroupGroup::new(&mgr);
    group.add_cgroup("light", &cpu).unwrap();
    group.add_cgroup("heavy", &cpu).unwrap();
    mgr.set_cpu_weight("light", 100).unwrap();
    mgr.set_cpu_weight("heavy", 400).unwrap();
    let mut light = spin(1, CloneMode::Fork);
    let mut heavy = spin(1, CloneMode::Fork);
    mgr.move_tasks("light", &light.worker_pids_for_cgroup_procs().unwrap())
        .unwrap();
    mgr.move_tasks("heavy", &heavy.worker_pids_for_cgroup_procs().unwrap())
        .unwrap();
    light.start();
    heavy.start();
    std::thread::sleep(Duration::from_millis(1500));
    let (l, h) = (light.stop_and_collect(), heavy.stop_and_collect());
    let (lt, ht) = (l[0].cpu_time_ns as f64, h[0].cpu_time_ns as f64);
    // 4:1 shares; allow wide slack for a busy shared host.
    assert!(ht > 2.0 * lt, "heavy {ht} ns vs light {lt} ns of CPU time");
}
