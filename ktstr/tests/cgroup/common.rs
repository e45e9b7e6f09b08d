//! Shared helpers: the global lock, the root/v1 skip check, and reading a
//! task's cgroup from `/proc`.

use std::sync::{Mutex, MutexGuard};

use ktstr::cgroup::{CgroupManager, Hierarchy};
use ktstr::topology::TestTopology;

/// Every test that touches cgroups or spawns workers holds this.
static LOCK: Mutex<()> = Mutex::new(());

/// Take the global lock (a panicking holder does not poison it for others).
pub fn lock() -> MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// Why this host cannot run the v1 integration tests, if it cannot.
pub fn skip_reason() -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some("not root: creating cgroups needs root".into());
    }
    match Hierarchy::detect() {
        Ok(Hierarchy::V1 { .. }) => None,
        Ok(h) => Some(format!(
            "{h}: these tests target cgroup v1 (v2 is covered by unit tests against a fake tree)"
        )),
        Err(e) => Some(format!("no usable cgroup hierarchy: {e}")),
    }
}

/// The lock, a fresh manager and the host topology; None (after printing
/// why) when the host cannot run the test.
pub fn setup(test: &str) -> Option<(MutexGuard<'static, ()>, CgroupManager, TestTopology)> {
    let guard = lock();
    if let Some(why) = skip_reason() {
        println!("SKIP {test}: {why}");
        return None;
    }
    let mgr = CgroupManager::new().expect("open a cgroup manager");
    let topo = TestTopology::from_system().expect("read the host topology");
    Some((guard, mgr, topo))
}

/// The cgroup path of task `tid` of this or another process in the v1
/// hierarchy of `controller`, from `/proc/<tid>/cgroup`.
pub fn cgroup_of(tid: i32, controller: &str) -> String {
    let text = std::fs::read_to_string(format!("/proc/{tid}/cgroup"))
        .unwrap_or_else(|e| panic!("read /proc/{tid}/cgroup: {e}"));
    text.lines()
        .find_map(|l| {
            let mut parts = l.splitn(3, ':');
            let (_, ctrls, path) = (parts.next()?, parts.next()?, parts.next()?);
            ctrls
                .split(',')
                .any(|c| c == controller)
                .then(|| path.to_string())
        })
        .unwrap_or_else(|| panic!("no {controller} line in /proc/{tid}/cgroup:\n{text}"))
}

/// Every `ktstr-<our pid>-*` directory at the roots of the manager's
/// hierarchy (other processes' runs are none of our business).
pub fn ktstr_dirs(mgr: &CgroupManager) -> Vec<String> {
    let mine = format!("ktstr-{}-", std::process::id());
    let mut out = Vec::new();
    for root in mgr.hierarchy().roots() {
        for e in std::fs::read_dir(&root).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(&mine) {
                out.push(format!("{}/{name}", root.display()));
            }
        }
    }
    out
}
