//! The test process's own teardown when it is told to stop: SIGINT or
//! SIGTERM from the harness (an interrupted or timed-out run) or from the
//! kernel when the harness died (`PR_SET_PDEATHSIG`).
//!
//! The test body may be anywhere — spinning in a user's loop, sleeping
//! through its duration, hung — so the teardown does not wait for it: a
//! watcher thread kills every process the test started (workers, their
//! children, a scheduler), removes every cgroup parent this process
//! created (tasks still inside, such as Thread-mode workers, are moved out
//! first) and exits with 128 + the signal's number.

use std::time::{Duration, Instant};

use crate::cgroup::CgroupManager;
use crate::sys::process::kill_all;
use crate::sys::procfs::live_descendants;

/// How often the watcher looks at the interrupt flag.
const POLL: Duration = Duration::from_millis(10);
/// How long to keep killing descendants that are still appearing (a
/// fork storm mid-teardown) before going on to the cgroups.
const KILL_FOR: Duration = Duration::from_millis(500);

/// Install the SIGINT/SIGTERM handlers and start the watcher thread.
pub(crate) fn arm() {
    if let Err(e) = crate::interrupt::install() {
        eprintln!("ktstr: warning: cannot install the SIGTERM handler ({e}); an interrupted run may leave this test's cgroups behind");
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("ktstr-teardown".into())
        .spawn(|| loop {
            if crate::interrupt::requested() {
                teardown();
            }
            std::thread::sleep(POLL);
        });
    if let Err(e) = spawned {
        eprintln!("ktstr: warning: cannot start the teardown watcher: {e}");
    }
}

/// Say something on stderr without panicking: when the harness is gone,
/// stderr is a pipe nobody reads (EPIPE), and the teardown must go on.
fn say(msg: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{msg}");
}

fn teardown() -> ! {
    let code = crate::interrupt::exit_code().unwrap_or(143);
    let _ = std::panic::catch_unwind(clean_up);
    std::process::exit(i32::from(code))
}

fn clean_up() {
    let what = crate::interrupt::signal().map_or("a signal", |s| s.as_str());
    say(format_args!(
        "ktstr: test process got {what}: killing its workers and removing its cgroups"
    ));
    let me = std::process::id() as i32;
    let end = Instant::now() + KILL_FOR;
    loop {
        let left = live_descendants(me);
        if left.is_empty() || Instant::now() >= end {
            break;
        }
        kill_all(&left);
        std::thread::sleep(Duration::from_millis(2));
    }
    if nix::unistd::geteuid().is_root() {
        if let Err(e) = CgroupManager::remove_own() {
            say(format_args!(
                "ktstr: warning: cannot remove this test's cgroups: {e}"
            ));
        }
    }
}
