//! Spawning stops when asked: a `spawn_watched` callback that says stop,
//! and `ktstr run` given SIGINT or SIGTERM while it spawns thousands of
//! workers. Each must end within 2 s and leave nothing behind.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ktstr::prelude::*;
use ktstr::Error;

use crate::helpers::{config, lock, Footprint};

#[test]
fn a_watcher_that_says_stop_cancels_the_spawn() {
    let _g = lock();
    for mode in [CloneMode::Fork, CloneMode::Thread] {
        let before = Footprint::take();
        let mut seen = Vec::new();
        let t = Instant::now();
        let err = WorkloadHandle::spawn_watched(&config(400, WorkType::SpinWait, mode), &mut |p| {
            seen.push(p);
            p.created < 50
        })
        .expect_err("the watcher cancelled");
        let took = t.elapsed();
        assert!(
            matches!(
                err,
                Error::SpawnCancelled {
                    created: 50,
                    count: 400
                }
            ),
            "{mode:?}: {err}"
        );
        assert!(took < Duration::from_secs(2), "{mode:?}: took {took:?}");
        assert_eq!(seen.len(), 50, "{mode:?}: told after each worker");
        assert!(seen
            .iter()
            .enumerate()
            .all(|(i, p)| p.created == i + 1 && p.total == 400));
        before.assert_nothing_left(&format!("a cancelled {mode:?} spawn"));
    }
}

#[test]
fn a_watcher_that_never_says_stop_sees_every_worker() {
    let _g = lock();
    let mut last = None;
    let h =
        WorkloadHandle::spawn_watched(&config(8, WorkType::SpinWait, CloneMode::Fork), &mut |p| {
            last = Some(p);
            true
        })
        .unwrap();
    assert_eq!(last.map(|p| (p.created, p.total)), Some((8, 8)));
    assert_eq!(h.stop_and_collect().len(), 8);
}

/// The pids of the processes whose command line is exactly `args` (the
/// `ktstr run` and its Fork workers, which keep the spawner's command line).
fn pids_running(args: &[&str]) -> Vec<i32> {
    let want: Vec<u8> = args.iter().flat_map(|a| a.bytes().chain([0])).collect();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| std::fs::read(e.path().join("cmdline")).is_ok_and(|c| c.ends_with(&want)))
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect()
}

/// How many such processes there are.
fn processes_running(args: &[&str]) -> usize {
    pids_running(args).len()
}

/// On a failed assertion, SIGKILL the `ktstr run` under test and every
/// worker it spawned (all carry `args` as their command line) and reap it,
/// so thousands of leftover spinners do not fail the tests that follow.
struct KillOnPanic<'a> {
    args: &'a [&'a str],
    pid: i32,
}

impl Drop for KillOnPanic<'_> {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(10) {
            let pids = pids_running(self.args);
            if pids.is_empty() {
                break;
            }
            for pid in pids {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            let _ = nix::sys::wait::waitpid(
                nix::unistd::Pid::from_raw(self.pid),
                Some(nix::sys::wait::WaitPidFlag::WNOHANG),
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn ktstr_run_stops_spawning_on_sigint_and_sigterm() {
    let _g = lock();
    for (sig, name) in [(libc::SIGINT, "SIGINT"), (libc::SIGTERM, "SIGTERM")] {
        // A count that takes seconds to spawn, unique to this test.
        let args = ["run", "--workers", "9973", "--duration", "30s"];
        let mut child = Command::new(env!("CARGO_BIN_EXE_ktstr"))
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let _cleanup = KillOnPanic {
            args: &args,
            pid: child.id() as i32,
        };
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        err.read_line(&mut line).unwrap();
        assert!(
            line.contains("spawning"),
            "{name}: want a progress line, got {line:?}"
        );
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::try_from(sig).unwrap(),
        )
        .unwrap();
        let t = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            assert!(
                t.elapsed() < Duration::from_secs(5),
                "{name}: still running after 5 s"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        let took = t.elapsed();
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut err, &mut rest);
        assert!(
            took < Duration::from_secs(2),
            "{name}: exited after {took:?}"
        );
        assert_eq!(
            status.code(),
            Some(128 + sig),
            "{name}: exits 128 + the signal, as a shell expects"
        );
        assert!(
            rest.contains("interrupted while spawning"),
            "{name}: {rest}"
        );
        assert_eq!(processes_running(&args), 0, "{name}: workers left behind");
    }
}
