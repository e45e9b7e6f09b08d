//! [`CgroupManager`] and [`CgroupGroup`] against [`FakeFs`]: the v1 file
//! protocol, input validation, rollback and RAII removal.

use std::time::Duration;

use super::test_helpers::{FakeFs, Flavour};
use super::*;
use crate::cpuset::CpuSet;

fn open(flavour: Flavour) -> (tempfile::TempDir, std::sync::Arc<FakeFs>, CgroupManager) {
    let tmp = tempfile::tempdir().unwrap();
    let (fs, h) = FakeFs::new(tmp.path(), flavour, "0-3");
    let mgr = CgroupManager::open(fs.clone(), h, Duration::from_secs(2)).unwrap();
    (tmp, fs, mgr)
}

fn read(tmp: &tempfile::TempDir, rel: &str) -> String {
    std::fs::read_to_string(tmp.path().join(rel))
        .unwrap()
        .trim()
        .to_string()
}

fn mkdirs(fs: &FakeFs) -> usize {
    fs.log().iter().filter(|l| l.starts_with("mkdir")).count()
}

#[test]
fn cgroup_v1_creates_in_both_trees_and_copies_cpus_and_mems() {
    let (tmp, fs, mgr) = open(Flavour::V1);
    let p = mgr.parent_name().to_string();
    assert_eq!(mgr.dirs("a").unwrap().len(), 2);
    fs.clear_log();
    mgr.create_cgroup("a").unwrap();
    let want = [
        format!("mkdir cpuset/{p}/a"),
        format!("mkdir cpu/{p}/a"),
        format!("write cpuset/{p}/a/cpuset.cpus 0-3"),
        format!("write cpuset/{p}/a/cpuset.mems 0"),
    ];
    assert_eq!(fs.log(), want);
    assert_eq!(mgr.cgroup_path("a").unwrap(), format!("/{p}/a"));
    assert_eq!(
        read(&tmp, &format!("cpuset/{p}/a/cpuset.effective_cpus")),
        "0-3"
    );
}

#[test]
fn cgroup_v1_knobs_use_shares_and_cfs_files() {
    let (_tmp, fs, mgr) = open(Flavour::V1);
    let p = mgr.parent_name().to_string();
    mgr.create_cgroup("a").unwrap();
    fs.clear_log();
    mgr.set_cpuset("a", &CpuSet::from([2])).unwrap();
    mgr.clear_cpuset("a").unwrap();
    mgr.set_cpu_weight("a", 200).unwrap();
    mgr.set_cpu_max("a", CpuMax::new(50_000, 200_000)).unwrap();
    mgr.set_cpu_max("a", CpuMax::unlimited()).unwrap();
    let want = [
        format!("write cpuset/{p}/a/cpuset.cpus 2"),
        format!("write cpuset/{p}/a/cpuset.cpus 0-3"),
        format!("write cpu/{p}/a/cpu.shares 2048"),
        format!("write cpu/{p}/a/cpu.cfs_quota_us -1"),
        format!("write cpu/{p}/a/cpu.cfs_period_us 200000"),
        format!("write cpu/{p}/a/cpu.cfs_quota_us 50000"),
        format!("write cpu/{p}/a/cpu.cfs_quota_us -1"),
        format!("write cpu/{p}/a/cpu.cfs_period_us 100000"),
    ];
    assert_eq!(fs.log(), want);
}

#[test]
fn cgroup_v1_moves_processes_through_procs_and_threads_through_tasks() {
    let (tmp, fs, mgr) = open(Flavour::V1);
    let p = mgr.parent_name().to_string();
    let me = std::process::id() as i32;
    let tid = nix::unistd::gettid().as_raw();
    mgr.create_cgroup("a").unwrap();
    fs.clear_log();
    mgr.move_tasks("a", &[me]).unwrap();
    mgr.move_threads("a", &[tid]).unwrap();
    let want = [
        format!("write cpuset/{p}/a/cgroup.procs {me}"),
        format!("write cpu/{p}/a/cgroup.procs {me}"),
        format!("write cpuset/{p}/a/tasks {tid}"),
        format!("write cpu/{p}/a/tasks {tid}"),
    ];
    assert_eq!(fs.log(), want);
    assert!(mgr.tasks("a").unwrap().contains(&tid));
    drop(mgr);
    // Drained to each tree's root, then removed.
    for tree in ["cpuset", "cpu"] {
        let root = read(&tmp, &format!("{tree}/tasks"));
        assert!(root.lines().any(|l| l == tid.to_string()), "{tree}: {root}");
    }
    assert!(!tmp.path().join("cpuset").join(&p).exists());
    assert!(!tmp.path().join("cpu").join(&p).exists());
}

#[test]
fn cgroup_v1_failed_create_in_one_tree_undoes_the_other() {
    let (tmp, fs, mgr) = open(Flavour::V1);
    let p = mgr.parent_name().to_string();
    fs.fail_on(&format!("mkdir cpu/{p}/a"), libc::ENOSPC);
    let e = mgr.create_cgroup("a").unwrap_err();
    assert!(
        e.to_string().contains(&format!("cpu/{p}/a")) && e.to_string().contains("ENOSPC"),
        "{e}"
    );
    assert!(!tmp.path().join("cpuset").join(&p).join("a").exists());
    // The kernel's refusal of CPUs outside the parent surfaces as is.
    mgr.create_cgroup("b").unwrap();
    mgr.set_cpuset("b", &CpuSet::from([1])).unwrap();
    mgr.create_cgroup("b/c").unwrap();
    let e = mgr.set_cpuset("b/c", &CpuSet::from([2])).unwrap_err();
    assert_eq!(e.errno(), Some(nix::errno::Errno::EACCES), "{e}");
}

#[test]
fn cgroup_bad_input_is_refused_before_any_write() {
    for flavour in [Flavour::V1, Flavour::V2] {
        let (_tmp, fs, mgr) = open(flavour);
        mgr.create_cgroup("a").unwrap();
        fs.clear_log();
        let errs = [
            mgr.create_cgroup("../escape").unwrap_err(),
            mgr.create_cgroup("").unwrap_err(),
            mgr.create_cgroup(".hidden").unwrap_err(),
            mgr.create_cgroup("a").unwrap_err(),
            mgr.set_cpuset("a", &CpuSet::new()).unwrap_err(),
            mgr.set_cpuset("a", &CpuSet::from([1, 9])).unwrap_err(),
            mgr.set_cpuset_mems("a", &CpuSet::from([3])).unwrap_err(),
            mgr.set_cpu_weight("a", 0).unwrap_err(),
            mgr.set_cpu_weight("a", 10_001).unwrap_err(),
            mgr.set_cpu_max("a", CpuMax::new(10, 100_000)).unwrap_err(),
            mgr.move_task("a", 0).unwrap_err(),
            mgr.move_tasks("a", &[1, -5]).unwrap_err(),
            mgr.set_cpuset("missing", &CpuSet::from([0])).unwrap_err(),
            mgr.remove_cgroup("missing").unwrap_err(),
        ];
        assert_eq!(fs.log(), Vec::<String>::new(), "{flavour:?}: {errs:#?}");
        let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
        for (i, want) in [
            "leave the cgroup",
            "empty",
            "hidden",
            "already exists",
            "the set is empty",
            "CPU(s) 9 are not available to this run (its parent cgroup has 0-3)",
            "node(s) 3 are not available",
            "within 1..=10000",
            "within 1..=10000",
            "quota 10",
            "must be positive",
            "task -5",
            "does not exist",
            "does not exist",
        ]
        .iter()
        .enumerate()
        {
            assert!(
                msgs[i].contains(want),
                "{flavour:?} #{i}: {:?} lacks {want:?}",
                msgs[i]
            );
        }
        assert!(matches!(errs[3], CgroupError::Exists { .. }));
        assert!(matches!(errs[12], CgroupError::NotFound { .. }));
    }
}

#[test]
fn cgroup_group_removes_in_reverse_order_and_tracks_intermediates() {
    let (tmp, fs, mgr) = open(Flavour::V2);
    let p = mgr.parent_name().to_string();
    {
        let mut g = CgroupGroup::new(&mgr);
        g.add_cgroup("x", &CpuSet::from([0])).unwrap();
        g.add_cgroup("y/z", &CpuSet::from([1, 2])).unwrap();
        assert_eq!(g.names(), ["x", "y", "y/z"]);
        assert!(g.contains("y") && !g.contains("q"));
        fs.clear_log();
    }
    let rmdirs: Vec<String> = fs
        .log()
        .into_iter()
        .filter(|l| l.starts_with("rmdir"))
        .collect();
    let want = [
        format!("rmdir unified/{p}/y/z"),
        format!("rmdir unified/{p}/y"),
        format!("rmdir unified/{p}/x"),
    ];
    assert_eq!(rmdirs, want);
    assert_eq!(mgr.list().unwrap(), Vec::<String>::new());
    assert!(
        tmp.path().join("unified").join(&p).exists(),
        "the parent belongs to the manager"
    );
}

#[test]
fn cgroup_group_add_with_bad_cpuset_leaves_nothing() {
    let (_tmp, fs, mgr) = open(Flavour::V1);
    let mut g = CgroupGroup::new(&mgr);
    let before = mkdirs(&fs);
    for bad in [CpuSet::new(), CpuSet::from([7])] {
        let e = g.add_cgroup("n/m", &bad).unwrap_err();
        assert!(matches!(e, CgroupError::InvalidCpuset { .. }), "{e}");
        assert!(!mgr.exists("n/m") && !mgr.exists("n"));
    }
    assert!(mkdirs(&fs) > before, "the cgroups were made, then undone");
    assert!(g.names().is_empty());
    g.add_cgroup("ok", &CpuSet::from([3])).unwrap();
    let e = g.add_cgroup("ok", &CpuSet::from([3])).unwrap_err();
    assert!(matches!(e, CgroupError::Exists { .. }), "{e}");
}

#[test]
fn cgroup_group_is_removed_when_the_body_panics() {
    let (_tmp, _fs, mgr) = open(Flavour::V2);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut g = CgroupGroup::new(&mgr);
        g.add_cgroup("doomed", &CpuSet::from([0])).unwrap();
        assert!(mgr.exists("doomed"));
        panic!("test body fails");
    }));
    assert!(r.is_err());
    assert!(!mgr.exists("doomed"));
}

#[test]
fn cgroup_group_drop_reports_but_survives_busy_cgroups() {
    let (_tmp, fs, mgr) = open(Flavour::V2);
    let mut g = CgroupGroup::new(&mgr);
    g.add_cgroup_no_cpuset("busy").unwrap();
    fs.fail_on("rmdir", libc::EACCES);
    let e = g.remove_all().unwrap_err();
    assert_eq!(e.errno(), Some(nix::errno::Errno::EACCES));
    drop(g); // nothing left to do, and no panic
}

#[test]
fn cgroup_rt_budget_where_there_is_none_is_a_clear_error() {
    for flavour in [Flavour::V1, Flavour::V2] {
        let (_tmp, _fs, mgr) = open(flavour);
        mgr.create_cgroup("rt").unwrap();
        assert_eq!(mgr.rt_budget("rt").unwrap(), None);
        assert_eq!(mgr.run_rt_budget().unwrap(), None);
        let e = mgr.set_rt_runtime("rt", 100_000).unwrap_err();
        assert!(matches!(e, CgroupError::NoRtGroups { .. }), "{e}");
        let msg = e.to_string();
        let want = match flavour {
            Flavour::V2 => "cgroup v2 has no per-cgroup real-time budget",
            _ => "this kernel has no RT group scheduling",
        };
        assert!(
            msg.starts_with("set the real-time budget of cgroup \"rt\": ") && msg.contains(want),
            "{msg}"
        );
    }
}
