//! Interrupting a run leaves nothing behind: SIGINT, SIGTERM or SIGKILL to
//! the harness's process group while a test runs its workers in cgroups
//! ends every process of the suite and removes every cgroup within 2 s
//! (issue: "nothing survives Ctrl-C"). The suite runs as a user's would:
//! its own process group, the signal sent to that whole group as a
//! terminal's Ctrl-C or a CI runner's timeout would.

use std::collections::BTreeSet;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

const FIXTURE: &str = env!("CARGO_BIN_EXE_ktstr-interrupt");

/// The cases run one at a time: each counts the fixture's processes and
/// the cgroups they own, and a harness start removes stale parents.
static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Pids of every process running the fixture binary (the harness, its
/// test process, the workers).
fn suite_processes() -> BTreeSet<i32> {
    let me = std::fs::canonicalize(FIXTURE).unwrap();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == me)
                && std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
                    !s.rsplit(')')
                        .next()
                        .unwrap_or("")
                        .trim_start()
                        .starts_with('Z')
                })
        })
        .collect()
}

/// ktstr cgroup parents (`ktstr-<pid>-...`) owned by any of `pids`.
fn cgroups_of(pids: &BTreeSet<i32>) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut roots = vec![PathBuf::from("/sys/fs/cgroup")];
    if let Ok(dir) = std::fs::read_dir("/sys/fs/cgroup") {
        roots.extend(
            dir.filter_map(|e| Some(e.ok()?.path()))
                .filter(|p| p.is_dir()),
        );
    }
    for root in roots {
        let Ok(dir) = std::fs::read_dir(&root) else {
            continue;
        };
        for e in dir.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let owner = name
                .strip_prefix("ktstr-")
                .and_then(|r| r.split('-').next())
                .and_then(|p| p.parse::<i32>().ok());
            if owner.is_some_and(|o| pids.contains(&o)) {
                found.push(e.path());
            }
        }
    }
    found
}

fn start(test: &str) -> Child {
    Command::new(FIXTURE)
        .args(["--ignored", "--exact", test])
        .env_remove("KTSTR_JSON")
        .env("KTSTR_OUTPUT_DIR", env!("CARGO_TARGET_TMPDIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("start the interrupt fixture")
}

/// Wait until `f` holds, up to `limit`; whether it did.
fn wait_for(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    f()
}

struct Interrupted {
    code: Option<i32>,
    signal: Option<i32>,
    stdout: String,
    stderr: String,
    /// Seconds from the signal until no process and no cgroup was left.
    settled: Option<f64>,
    left_processes: BTreeSet<i32>,
    left_cgroups: Vec<PathBuf>,
}

/// Start `test`, wait until its workers run in cgroups (or, with
/// `cgroups` false, until the workers exist), send `sig` to the suite's
/// process group, and see what is left 2 s later.
fn interrupt(test: &str, sig: Signal, cgroups: bool) -> Interrupted {
    let _guard = lock();
    let mut child = start(test);
    let harness = child.id() as i32;
    let mut seen = BTreeSet::new();
    let ready = wait_for(Duration::from_secs(20), || {
        seen.extend(suite_processes());
        // the harness, the test process and at least two workers
        seen.len() >= 4 && (!cgroups || !cgroups_of(&seen).is_empty())
    });
    assert!(
        ready,
        "the fixture never got its workers running: saw {seen:?}"
    );
    // Let the workload get going, as a user would interrupt it mid-run.
    std::thread::sleep(Duration::from_millis(500));
    seen.extend(suite_processes());
    let t = Instant::now();
    killpg(Pid::from_raw(harness), sig).unwrap();
    let settled = wait_for(Duration::from_secs(2), || {
        suite_processes().is_disjoint(&seen) && cgroups_of(&seen).is_empty()
    })
    .then(|| t.elapsed().as_secs_f64());
    let left_processes: BTreeSet<i32> = suite_processes().intersection(&seen).copied().collect();
    let left_cgroups = cgroups_of(&seen);
    // Clean up after a failure so the next case starts clean.
    for &p in &left_processes {
        let _ = nix::sys::signal::kill(Pid::from_raw(p), Signal::SIGKILL);
    }
    let out = child_output(&mut child);
    use std::os::unix::process::ExitStatusExt;
    Interrupted {
        code: out.0.code(),
        signal: out.0.signal(),
        stdout: out.1,
        stderr: out.2,
        settled,
        left_processes,
        left_cgroups,
    }
}

fn child_output(child: &mut Child) -> (std::process::ExitStatus, String, String) {
    use std::io::Read;
    let mut so = String::new();
    let mut se = String::new();
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_string(&mut so);
    }
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut se);
    }
    (child.wait().unwrap(), so, se)
}

fn assert_clean(what: &str, r: &Interrupted) {
    assert!(
        r.settled.is_some(),
        "{what}: 2 s after the signal, processes {:?} and cgroups {:?} were left\nstdout:\n{}\nstderr:\n{}",
        r.left_processes,
        r.left_cgroups,
        r.stdout,
        r.stderr
    );
    eprintln!("{what}: nothing left after {:.2} s", r.settled.unwrap());
}

#[test]
fn sigint_stops_the_test_removes_its_cgroups_and_exits_130() {
    if !is_root() {
        let r = interrupt("long_plain", Signal::SIGINT, false);
        assert_clean("SIGINT (no root, no cgroups)", &r);
        assert_eq!(r.code, Some(130), "{}", r.stderr);
        return;
    }
    let r = interrupt("long_cgroups", Signal::SIGINT, true);
    assert_clean("SIGINT", &r);
    assert_eq!(r.code, Some(130), "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("interrupted by SIGINT while running long_cgroups"),
        "the harness names the interrupted test:\n{}",
        r.stderr
    );
}

#[test]
fn sigterm_stops_the_test_removes_its_cgroups_and_exits_143() {
    let (test, cgroups) = if is_root() {
        ("long_cgroups", true)
    } else {
        ("long_plain", false)
    };
    let r = interrupt(test, Signal::SIGTERM, cgroups);
    assert_clean("SIGTERM", &r);
    assert_eq!(r.code, Some(143), "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("interrupted by SIGTERM"), "{}", r.stderr);
}

#[test]
fn sigkill_of_the_harness_still_leaves_nothing() {
    let (test, cgroups) = if is_root() {
        ("long_cgroups", true)
    } else {
        ("long_plain", false)
    };
    let r = interrupt(test, Signal::SIGKILL, cgroups);
    assert_eq!(r.signal, Some(Signal::SIGKILL as i32));
    assert_clean("SIGKILL", &r);
}

#[test]
fn a_test_process_killed_in_a_cgroup_has_it_removed_by_the_harness() {
    let _guard = lock();
    let mut child = start("killed_in_a_cgroup");
    let (status, stdout, _) = child_output(&mut child);
    if !is_root() {
        assert!(stdout.contains("ignored (needs root"), "{stdout}");
        return;
    }
    assert_eq!(status.code(), Some(101), "{stdout}");
    assert!(stdout.contains("killed by SIGKILL"), "{stdout}");
    assert!(
        stdout.contains("left cgroup(s) behind: removed ktstr-"),
        "{stdout}"
    );
}

/// Every harness start removes the parents of runs that died, and says so.
#[test]
fn a_harness_start_removes_parents_of_dead_runs() {
    let _guard = lock();
    if !is_root() {
        println!("SKIP a_harness_start_removes_parents_of_dead_runs: not root: creating cgroups needs root");
        return;
    }
    // A run parent whose owner pid cannot exist (pid_max is at most 2^22).
    let Some(root) = ["/sys/fs/cgroup/cpu", "/sys/fs/cgroup"]
        .iter()
        .map(Path::new)
        .find(|p| p.join("cgroup.procs").exists())
    else {
        panic!("no cgroup hierarchy found");
    };
    let stale = root.join("ktstr-99999999-1-0");
    std::fs::create_dir(&stale).unwrap();
    let out = Command::new(FIXTURE)
        .args(["--exact", "no_such_test"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let gone = !stale.exists();
    if !gone {
        let _ = std::fs::remove_dir(&stale);
    }
    assert!(gone, "the stale parent survived a harness start:\n{stderr}");
    assert!(
        stderr.contains("removed 1 cgroup parent(s) left by runs that died: ktstr-99999999-1-0"),
        "{stderr}"
    );
}
