//! Nothing is left behind: after a panicking test body, and after a run
//! that was SIGKILLed (its parent is stale and the next run removes it).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use ktstr::cgroup::{CgroupGroup, CgroupManager};
use ktstr::cpuset::CpuSet;
use ktstr::workload::{WorkloadConfig, WorkloadHandle};

use crate::common::{cgroup_of, ktstr_dirs, setup};

#[test]
fn cgroups_are_removed_after_a_panicking_test_body() {
    let Some((_g, outer, _topo)) = setup("cgroups_are_removed_after_a_panicking_test_body") else {
        return;
    };
    let mut seen = Vec::new();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mgr = CgroupManager::new().unwrap();
        let mut group = CgroupGroup::new(&mgr);
        group.add_cgroup("body/a", &CpuSet::from([0])).unwrap();
        let mut h = WorkloadHandle::spawn(&WorkloadConfig::default()).unwrap();
        mgr.move_tasks("body/a", &h.worker_pids_for_cgroup_procs().unwrap())
            .unwrap();
        h.start();
        seen.extend(mgr.parent_dirs());
        seen.extend(mgr.dirs("body/a").unwrap());
        assert!(seen.iter().all(|d| d.is_dir()));
        panic!("the test body fails with workers running in its cgroups");
    }));
    assert!(r.is_err());
    assert_eq!(seen.len(), 4);
    for d in &seen {
        assert!(!d.exists(), "{} survived the panic", d.display());
    }
    // Only the outer manager's parent is left, and it goes with it.
    assert_eq!(ktstr_dirs(&outer).len(), 2, "{:?}", ktstr_dirs(&outer));
}

/// Env var that turns `stale_helper_child` into the child of
/// `stale_parent_of_a_killed_run_is_removed`.
const HELPER_ENV: &str = "KTSTR_CGROUP_STALE_HELPER";

/// Run only as a child process: makes cgroups, moves a `sleep` into one,
/// reports, and waits to be SIGKILLed.
#[test]
#[ignore = "helper: run as a child by stale_parent_of_a_killed_run_is_removed"]
fn stale_helper_child() {
    if std::env::var_os(HELPER_ENV).is_none() {
        return;
    }
    let mgr = CgroupManager::new().unwrap();
    mgr.create_cgroup("victim/inner").unwrap();
    let mut sleeper = Command::new("sleep").arg("60").spawn().unwrap();
    mgr.move_task("victim/inner", sleeper.id() as i32).unwrap();
    let mut out = std::io::stdout().lock();
    // On its own line: libtest has printed "test ... " without a newline.
    writeln!(out, "\nREADY {} {}", mgr.parent_name(), sleeper.id()).unwrap();
    out.flush().unwrap();
    loop {
        // Wait for SIGKILL; reap the sleeper should it end first.
        let _ = sleeper.try_wait();
        std::thread::sleep(Duration::from_secs(1));
    }
}

#[test]
fn stale_parent_of_a_killed_run_is_removed() {
    let Some((_g, mgr, _topo)) = setup("stale_parent_of_a_killed_run_is_removed") else {
        return;
    };
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "cleanup::stale_helper_child",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HELPER_ENV, "1")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| l.find("READY ").map(|i| l[i..].to_string()));
    let Some(ready) = ready else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the helper exited without reporting READY");
    };
    let mut parts = ready.split_whitespace().skip(1);
    let parent = parts.next().unwrap().to_string();
    let sleeper: i32 = parts.next().unwrap().parse().unwrap();
    child.kill().unwrap(); // SIGKILL: no destructor runs
    child.wait().unwrap();

    let roots = mgr.hierarchy().roots();
    for root in &roots {
        assert!(
            root.join(&parent).join("victim/inner").is_dir(),
            "left behind by the killed run"
        );
    }
    assert_eq!(
        cgroup_of(sleeper, "cpuset"),
        format!("/{parent}/victim/inner")
    );

    // The next run removes it, moving its task out first.
    let next = CgroupManager::new().unwrap();
    assert!(
        next.stale_removed().contains(&parent),
        "{:?}",
        next.stale_removed()
    );
    for root in &roots {
        assert!(!root.join(&parent).exists());
    }
    assert_eq!(cgroup_of(sleeper, "cpuset"), "/");
    assert_eq!(cgroup_of(sleeper, "cpu"), "/");
    // Our own parents (live owner) were left alone.
    assert!(mgr.parent_dirs().iter().all(|d| d.is_dir()));
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(sleeper),
        nix::sys::signal::Signal::SIGKILL,
    );
}
