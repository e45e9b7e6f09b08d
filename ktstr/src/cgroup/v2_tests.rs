//! The cgroup v2 file protocol, run against [`FakeFs`]: which files are
//! written, with what, in which order. What the fake cannot show (the real
//! kernel's acceptance of these steps) is listed in the module doc of
//! [`cgroup`](super).

use std::path::Path;
use std::time::Duration;

use super::test_helpers::{FakeFs, Flavour};
use super::*;
use crate::cpuset::CpuSet;

fn open(cpus: &str) -> (tempfile::TempDir, std::sync::Arc<FakeFs>, CgroupManager) {
    let tmp = tempfile::tempdir().unwrap();
    let (fs, h) = FakeFs::new(tmp.path(), Flavour::V2, cpus);
    let mgr = CgroupManager::open(fs.clone(), h, Duration::from_secs(2)).unwrap();
    (tmp, fs, mgr)
}

fn read(tmp: &tempfile::TempDir, rel: &str) -> String {
    std::fs::read_to_string(tmp.path().join("unified").join(rel))
        .unwrap()
        .trim()
        .to_string()
}

fn pos(log: &[String], line: &str) -> usize {
    log.iter()
        .position(|l| l == line)
        .unwrap_or_else(|| panic!("{line:?} not in {log:#?}"))
}

/// A thread that parks until told to stop, and its tid.
fn parked_thread() -> (
    i32,
    std::sync::mpsc::Sender<()>,
    std::thread::JoinHandle<()>,
) {
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let h = std::thread::spawn(move || {
        tid_tx.send(nix::unistd::gettid().as_raw()).unwrap();
        let _ = stop_rx.recv();
    });
    (tid_rx.recv().unwrap(), stop_tx, h)
}

#[test]
fn cgroup_v2_opening_enables_controllers_then_makes_the_parent() {
    let (tmp, fs, mgr) = open("0-3");
    let p = mgr.parent_name().to_string();
    let log = fs.log();
    let enable = pos(&log, "write unified/cgroup.subtree_control +cpuset +cpu");
    assert!(enable < pos(&log, &format!("mkdir unified/{p}")));
    assert_eq!(read(&tmp, "cgroup.subtree_control"), "memory cpuset cpu");
    assert_eq!(mgr.hierarchy().version(), 2);
    drop(mgr);
    assert!(!tmp.path().join("unified").join(p).exists());
}

#[test]
fn cgroup_v2_nested_create_enables_subtree_control_on_the_way_down() {
    let (tmp, fs, mgr) = open("0-3");
    let p = mgr.parent_name().to_string();
    fs.clear_log();
    mgr.create_cgroup("a/b").unwrap();
    let log = fs.log();
    let want = [
        format!("write unified/{p}/cgroup.subtree_control +cpuset +cpu"),
        format!("mkdir unified/{p}/a"),
        format!("write unified/{p}/a/cgroup.subtree_control +cpuset +cpu"),
        format!("mkdir unified/{p}/a/b"),
    ];
    assert_eq!(log, want);
    // The leaf never gets controllers enabled for children it does not have.
    assert_eq!(read(&tmp, &format!("{p}/a/b/cgroup.subtree_control")), "");
    assert_eq!(read(&tmp, &format!("{p}/a/b/cpuset.cpus.effective")), "0-3");
    // A second child of `a` needs no new subtree_control write.
    fs.clear_log();
    mgr.create_cgroup("a/c").unwrap();
    assert_eq!(fs.log(), vec![format!("mkdir unified/{p}/a/c")]);
    assert_eq!(mgr.list().unwrap(), vec!["a".to_string()]);
}

#[test]
fn cgroup_v2_cpuset_weight_and_max_files() {
    let (tmp, fs, mgr) = open("0-3");
    let p = mgr.parent_name().to_string();
    mgr.create_cgroup("a").unwrap();
    fs.clear_log();
    mgr.set_cpuset("a", &CpuSet::from([1, 2, 3])).unwrap();
    mgr.set_cpuset_mems("a", &CpuSet::from([0])).unwrap();
    mgr.set_cpu_weight("a", 250).unwrap();
    mgr.set_cpu_max("a", CpuMax::new(50_000, 100_000)).unwrap();
    mgr.set_cpu_max("a", CpuMax::unlimited()).unwrap();
    mgr.clear_cpuset("a").unwrap();
    let want: Vec<String> = [
        "cpuset.cpus 1-3",
        "cpuset.mems 0",
        "cpu.weight 250",
        "cpu.max 50000 100000",
        "cpu.max max 100000",
        "cpuset.cpus ",
    ]
    .iter()
    .map(|l| format!("write unified/{p}/a/{l}"))
    .collect();
    assert_eq!(fs.log(), want);
    assert_eq!(read(&tmp, &format!("{p}/a/cpuset.cpus.effective")), "0-3");
}

#[test]
fn cgroup_v2_processes_go_to_cgroup_procs_and_back_on_remove() {
    let (tmp, fs, mgr) = open("0-3");
    let p = mgr.parent_name().to_string();
    let me = std::process::id() as i32;
    mgr.create_cgroup("a/b").unwrap();
    fs.clear_log();
    mgr.move_task("a/b", me).unwrap();
    assert_eq!(
        fs.log(),
        vec![format!("write unified/{p}/a/b/cgroup.procs {me}")]
    );
    assert!(mgr.tasks("a/b").unwrap().contains(&me));
    fs.clear_log();
    mgr.remove_cgroup("a/b").unwrap();
    let log = fs.log();
    // Drained into the parent `a` before the rmdir.
    let drain = pos(&log, &format!("write unified/{p}/a/cgroup.procs {me}"));
    assert!(drain < pos(&log, &format!("rmdir unified/{p}/a/b")));
    assert_eq!(read(&tmp, &format!("{p}/a/cgroup.procs")), me.to_string());
    // cleanup_all drains `a` into the parent and the parent into the root.
    mgr.cleanup_all().unwrap();
    assert_eq!(read(&tmp, "cgroup.procs"), me.to_string());
    assert!(!tmp.path().join("unified").join(&p).exists());
}

#[test]
fn cgroup_v2_threads_make_the_subtree_threaded_and_adopt_the_process() {
    let (tmp, fs, mgr) = open("0-3");
    let p = mgr.parent_name().to_string();
    let me = std::process::id() as i32;
    let (tid, stop, join) = parked_thread();
    mgr.create_cgroup("t/u").unwrap();
    fs.clear_log();
    mgr.move_threads("t/u", &[tid]).unwrap();
    let log = fs.log();
    let adopt = pos(&log, &format!("write unified/{p}/cgroup.procs {me}"));
    let t = pos(&log, &format!("write unified/{p}/t/cgroup.type threaded"));
    let u = pos(&log, &format!("write unified/{p}/t/u/cgroup.type threaded"));
    let mv = pos(&log, &format!("write unified/{p}/t/u/cgroup.threads {tid}"));
    assert!(adopt < t && t < u && u < mv, "{log:#?}");
    assert_eq!(read(&tmp, &format!("{p}/cgroup.type")), "domain threaded");
    assert_eq!(mgr.tasks("t/u").unwrap(), vec![tid]);
    // A second move adopts nothing new and marks nothing again.
    fs.clear_log();
    mgr.move_threads("t/u", &[tid]).unwrap();
    assert_eq!(
        fs.log(),
        vec![format!("write unified/{p}/t/u/cgroup.threads {tid}")]
    );
    // Cleanup: threads drain up through cgroup.threads, the process goes
    // back where it came from (this host's v2 cgroup of the test process).
    fs.clear_log();
    mgr.cleanup_all().unwrap();
    let log = fs.log();
    pos(&log, &format!("write unified/{p}/t/cgroup.threads {tid}"));
    pos(&log, &format!("write unified/{p}/cgroup.threads {tid}"));
    let origin = proc::v2_cgroup_of(me).unwrap();
    let back = Path::new("unified")
        .join(origin.trim_start_matches('/'))
        .join("cgroup.procs");
    pos(&log, &format!("write {} {me}", back.display()));
    assert!(!tmp.path().join("unified").join(&p).exists());
    stop.send(()).unwrap();
    join.join().unwrap();
}

#[test]
fn cgroup_v2_errors_name_file_value_and_errno() {
    let (_tmp, fs, mgr) = open("0-3");
    let p = mgr.parent_name().to_string();
    mgr.create_cgroup("a").unwrap();
    let ghost = i32::MAX;
    let e = mgr.move_task("a", ghost).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("{p}/a/cgroup.procs"))
            && msg.contains(&format!("\"{ghost}\""))
            && msg.contains("ESRCH"),
        "{msg}"
    );
    fs.fail_on("a/cpu.weight", libc::EACCES);
    let msg = mgr.set_cpu_weight("a", 5).unwrap_err().to_string();
    assert!(
        msg.contains("a/cpu.weight") && msg.contains("\"5\"") && msg.contains("EACCES"),
        "{msg}"
    );
}

#[test]
fn cgroup_v2_failed_nested_create_leaves_nothing() {
    let (tmp, fs, mgr) = open("0-3");
    let p = mgr.parent_name().to_string();
    fs.fail_on("x/cgroup.subtree_control", libc::EBUSY);
    let e = mgr.create_cgroup("x/y").unwrap_err();
    assert_eq!(e.errno(), Some(nix::errno::Errno::EBUSY), "{e}");
    assert!(!tmp.path().join("unified").join(&p).join("x").exists());
    assert!(!mgr.exists("x"));
}

#[test]
fn cgroup_v2_without_cpuset_in_subtree_control_fails_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let (fs, h) = FakeFs::new(tmp.path(), Flavour::V2, "0-1");
    std::fs::write(
        tmp.path().join("unified/cgroup.controllers"),
        "cpu io memory",
    )
    .unwrap();
    let e = CgroupManager::open(fs, h, Duration::from_secs(1)).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("cgroup.subtree_control") && msg.contains("+cpuset +cpu"),
        "{msg}"
    );
    // No parent was created.
    let left: Vec<_> = std::fs::read_dir(tmp.path().join("unified"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn cgroup_v2_stale_parents_are_drained_and_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let (fs, h) = FakeFs::new(tmp.path(), Flavour::V2, "0-3");
    let me = std::process::id() as i32;
    let root = tmp.path().join("unified");
    let dead = stale::parent_name(i32::MAX - 1, 12345, 0);
    let live = stale::parent_name(me, proc::start_time(me).unwrap(), 999);
    {
        use super::fs::CgroupFs;
        std::fs::write(root.join("cgroup.subtree_control"), "cpuset cpu").unwrap();
        for d in [
            dead.clone(),
            format!("{dead}/x"),
            live.clone(),
            "ktstr-other".into(),
        ] {
            fs.mkdir(&root.join(d)).unwrap();
        }
        fs.write(&root.join(&dead).join("x/cgroup.procs"), &me.to_string())
            .unwrap();
    }
    let mgr = CgroupManager::open(fs.clone(), h, Duration::from_secs(2)).unwrap();
    assert_eq!(mgr.stale_removed(), std::slice::from_ref(&dead));
    assert!(!root.join(&dead).exists());
    assert!(root.join(&live).exists(), "a live owner's parent stays");
    assert!(
        root.join("ktstr-other").exists(),
        "names ktstr did not make stay"
    );
    assert_eq!(
        read(&tmp, "cgroup.procs"),
        me.to_string(),
        "tasks moved out first"
    );
    let log = fs.log();
    assert!(
        pos(&log, &format!("write unified/{dead}/cgroup.procs {me}"))
            < pos(&log, &format!("rmdir unified/{dead}/x"))
    );
}
