//! `CgroupManager` on the real v1 hierarchy: nested cgroups, cpusets,
//! weights, limits, and refusal of bad input.

use ktstr::cgroup::{CgroupError, CgroupManager, CpuMax, Hierarchy};
use ktstr::cpuset::CpuSet;

use crate::common::{cgroup_of, setup};

fn read(dir: &std::path::Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file))
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn nested_cgroups_get_cpusets_weights_and_limits() {
    let Some((_g, mgr, topo)) = setup("nested_cgroups_get_cpusets_weights_and_limits") else {
        return;
    };
    let all = topo.all_cpus().clone();
    let last: CpuSet = [all.last().unwrap()].into();
    mgr.create_cgroup("outer/inner").unwrap();
    assert!(mgr.exists("outer") && mgr.exists("outer/inner"));
    let dirs = mgr.dirs("outer/inner").unwrap();
    let (cpuset_dir, cpu_dir) = (&dirs[0], &dirs[1]);
    // A new v1 cpuset cgroup inherits its parent's CPUs and nodes.
    assert_eq!(read(cpuset_dir, "cpuset.cpus"), all.to_string());
    assert!(!read(cpuset_dir, "cpuset.mems").is_empty());

    mgr.set_cpuset("outer", &all).unwrap();
    mgr.set_cpuset("outer/inner", &last).unwrap();
    assert_eq!(read(cpuset_dir, "cpuset.cpus"), last.to_string());
    assert_eq!(mgr.effective_cpus("outer/inner").unwrap(), last);
    mgr.set_cpuset_mems("outer/inner", &CpuSet::from([0]))
        .unwrap();
    assert_eq!(read(cpuset_dir, "cpuset.mems"), "0");

    mgr.set_cpu_weight("outer/inner", 50).unwrap();
    assert_eq!(read(cpu_dir, "cpu.shares"), "512");
    mgr.set_cpu_max("outer/inner", CpuMax::new(50_000, 100_000))
        .unwrap();
    assert_eq!(read(cpu_dir, "cpu.cfs_quota_us"), "50000");
    assert_eq!(read(cpu_dir, "cpu.cfs_period_us"), "100000");
    mgr.set_cpu_max("outer/inner", CpuMax::unlimited()).unwrap();
    assert_eq!(read(cpu_dir, "cpu.cfs_quota_us"), "-1");

    mgr.clear_cpuset("outer/inner").unwrap();
    assert_eq!(read(cpuset_dir, "cpuset.cpus"), all.to_string());

    // A task moved in shows up in /proc and in the cgroup.
    let mut child = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    mgr.move_task("outer/inner", pid).unwrap();
    let path = mgr.cgroup_path("outer/inner").unwrap();
    assert_eq!(cgroup_of(pid, "cpuset"), path);
    assert_eq!(cgroup_of(pid, "cpu"), path);
    assert_eq!(mgr.tasks("outer/inner").unwrap(), vec![pid]);
    // Removing drains it into the parent level first.
    mgr.remove_cgroup("outer/inner").unwrap();
    assert_eq!(cgroup_of(pid, "cpuset"), mgr.cgroup_path("outer").unwrap());
    assert!(!cpuset_dir.exists() && !cpu_dir.exists());
    mgr.remove_cgroup("outer").unwrap();
    assert_eq!(cgroup_of(pid, "cpuset"), format!("/{}", mgr.parent_name()));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(mgr.list().unwrap(), Vec::<String>::new());
}

#[test]
fn bad_input_is_refused_and_leaves_nothing() {
    let Some((_g, mgr, topo)) = setup("bad_input_is_refused_and_leaves_nothing") else {
        return;
    };
    mgr.create_cgroup("ok").unwrap();
    let beyond = topo.all_cpus().last().unwrap() + 1;
    // Unknown CPUs, an empty cpuset, a malformed cpuset string.
    let e = mgr
        .set_cpuset("ok", &CpuSet::from([0, beyond]))
        .unwrap_err();
    assert!(
        e.to_string()
            .contains(&format!("CPU(s) {beyond} are not available")),
        "{e}"
    );
    let e = mgr.set_cpuset("ok", &CpuSet::new()).unwrap_err();
    assert!(matches!(e, CgroupError::InvalidCpuset { .. }), "{e}");
    let e = topo.parse_cpuset("0-x").unwrap_err();
    assert!(e.to_string().contains("\"0-x\""), "{e}");
    let e = topo.parse_cpuset(&format!("0-{beyond}")).unwrap_err();
    assert!(e.to_string().contains("do not exist"), "{e}");
    // Invalid and duplicate names.
    for bad in ["../x", "a/../../b", "", ".hidden", "a//b", "tasks", "/abs"] {
        let e = mgr.create_cgroup(bad).unwrap_err();
        assert!(matches!(e, CgroupError::InvalidName { .. }), "{bad:?}: {e}");
    }
    assert!(matches!(
        mgr.create_cgroup("ok").unwrap_err(),
        CgroupError::Exists { .. }
    ));
    // A pid that does not exist: the kernel's ESRCH, naming file and value.
    let ghost = i32::MAX - 7;
    let e = mgr.move_task("ok", ghost).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("/ok/cgroup.procs")
            && msg.contains(&format!("\"{ghost}\""))
            && msg.contains("ESRCH"),
        "{msg}"
    );
    let e = mgr.move_threads("ok", &[ghost]).unwrap_err();
    assert!(
        e.to_string().contains("/ok/tasks") && e.to_string().contains("ESRCH"),
        "{e}"
    );
    // Weight and max out of range.
    for w in [0, 10_001] {
        assert!(matches!(
            mgr.set_cpu_weight("ok", w).unwrap_err(),
            CgroupError::OutOfRange { .. }
        ));
    }
    for m in [CpuMax::new(10, 100_000), CpuMax::new(10_000, 5_000_000)] {
        assert!(matches!(
            mgr.set_cpu_max("ok", m).unwrap_err(),
            CgroupError::OutOfRange { .. }
        ));
    }
    // The kernel's refusal names the file, the value and the errno: v1
    // answers EACCES for CPUs outside the cgroup's own parent.
    mgr.set_cpuset("ok", &CpuSet::from([0])).unwrap();
    mgr.create_cgroup("ok/child").unwrap();
    if topo.total_cpus() > 1 {
        let e = mgr.set_cpuset("ok/child", &CpuSet::from([1])).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("ok/child/cpuset.cpus") && msg.contains("\"1\"") && msg.contains("EACCES"),
            "{msg}"
        );
    }
    mgr.remove_cgroup("ok").unwrap();
    assert_eq!(mgr.list().unwrap(), Vec::<String>::new());
}

#[test]
fn v2_without_cpu_controllers_is_a_clear_error() {
    let Some((_g, _mgr, _topo)) = setup("v2_without_cpu_controllers_is_a_clear_error") else {
        return;
    };
    let unified = std::path::Path::new("/sys/fs/cgroup/unified");
    let controllers =
        std::fs::read_to_string(unified.join("cgroup.controllers")).unwrap_or_default();
    if controllers
        .split_whitespace()
        .any(|c| c == "cpuset" || c == "cpu")
    {
        println!("SKIP v2_without_cpu_controllers_is_a_clear_error: the unified hierarchy has CPU controllers");
        return;
    }
    let before: Vec<_> = std::fs::read_dir(unified)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    let e = CgroupManager::with_hierarchy(Hierarchy::V2 {
        root: unified.into(),
    })
    .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("cgroup.subtree_control")
            && msg.contains("+cpuset +cpu")
            && e.errno().is_some(),
        "{msg}"
    );
    let after: Vec<_> = std::fs::read_dir(unified)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(before, after, "nothing was created");
}
