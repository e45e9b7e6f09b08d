//! `ForkExit`: task creation and exit.

use nix::sys::wait::waitpid;

use super::{solo, Body, Entry, Family, Planned};
use crate::sys::{clock, process};
use crate::workload::{WorkType, Worker};

pub(crate) const FORK_EXIT: Entry = Entry {
    name: "ForkExit",
    group: "-",
    about: "fork a child that exits at once, then reap it: wake_up_new_task, exit and reap paths",
    default: Some(|| WorkType::ForkExit),
};

/// `ForkExit`.
#[derive(Clone, Copy)]
pub(crate) struct ForkExit;

impl Family for ForkExit {
    fn name(&self) -> &'static str {
        FORK_EXIT.name
    }

    fn plan(&self, n: usize) -> Result<Vec<Planned>, String> {
        Ok(solo(n, || ForkExit))
    }
}

impl Body for ForkExit {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        let mut failures = 0u32;
        loop {
            let t = clock::monotonic_ns();
            // The child only exits.
            match process::fork_then(|| 0) {
                Err(e) => {
                    failures += 1;
                    if failures == 1 {
                        w.note(format!("fork failed: {e} (counted, not fatal)"));
                    }
                    w.sleep(std::time::Duration::from_millis(1));
                }
                Ok(pid) => {
                    let _ = waitpid(pid, None);
                    w.record_wake_latency(clock::monotonic_ns().saturating_sub(t));
                    w.add_units(1);
                }
            }
            w.end_iteration();
            if w.should_stop() {
                return Ok(());
            }
        }
    }
}
