//! Running a peer benchmark (`perf`, `hackbench`) as child processes.
//!
//! [`Tool::find`] looks the program up on `PATH` (a missing one is
//! reported with the Debian package that provides it, never an error);
//! [`run`] starts one or several copies at once, each in its own process
//! group, optionally pinned to one CPU before `exec`, waits for all of them
//! under a timeout (on expiry every group is killed), and measures the wall
//! time and the CPU time and context switches of everything they ran.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use nix::sched::{sched_setaffinity, CpuSet as NixCpuSet};
use nix::sys::resource::{getrusage, UsageWho};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use serde::Serialize;

/// A peer program and where it was found.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Tool {
    /// The program name, e.g. `perf`.
    pub name: &'static str,
    /// The Debian package that provides it.
    pub package: &'static str,
    /// Where it was found on `PATH`; None when it was not.
    pub path: Option<PathBuf>,
    /// The first line its version query printed, if any.
    pub version: Option<String>,
}

impl Tool {
    /// Look `name` up on `PATH`; `version_args` is run to get a version
    /// line (the first non-empty line of its output).
    pub(crate) fn find(name: &'static str, package: &'static str, version_args: &[&str]) -> Tool {
        let path = std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|p| is_executable(p))
        });
        let version = path.as_ref().and_then(|p| {
            let out = Command::new(p)
                .args(version_args)
                .env("LC_ALL", "C")
                .stdin(Stdio::null())
                .output()
                .ok()?;
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            text.lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .map(str::to_string)
        });
        Tool {
            name,
            package,
            path,
            version,
        }
    }

    /// Why this tool's rows are skipped, when it was not found.
    pub(crate) fn missing(&self) -> Option<String> {
        self.path.is_none().then(|| {
            format!(
                "`{}` not found on PATH: install the Debian package `{}` (apt-get install {})",
                self.name, self.package, self.package
            )
        })
    }
}

/// A regular file with an execute bit.
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// What [`run`] measured.
#[derive(Clone, Debug)]
pub(crate) struct Ran {
    /// Standard output then standard error of each copy, in order.
    pub outputs: Vec<String>,
    /// From before the first spawn until the last copy was reaped.
    pub wall: Duration,
    /// User plus system CPU time of the copies and all their descendants
    /// (`RUSAGE_CHILDREN` delta), in ns.
    pub cpu_ns: u64,
    /// Their voluntary context switches.
    pub nvcsw: u64,
    /// Their involuntary context switches.
    pub nivcsw: u64,
}

/// `RUSAGE_CHILDREN`: (CPU ns, voluntary, involuntary context switches)
/// of every reaped descendant so far.
fn children_usage() -> (u64, u64, u64) {
    match getrusage(UsageWho::RUSAGE_CHILDREN) {
        Ok(u) => {
            let ns = |t: nix::sys::time::TimeVal| {
                t.tv_sec() as u64 * 1_000_000_000 + t.tv_usec() as u64 * 1_000
            };
            (
                ns(u.user_time()) + ns(u.system_time()),
                u.voluntary_context_switches() as u64,
                u.involuntary_context_switches() as u64,
            )
        }
        Err(_) => (0, 0, 0),
    }
}

/// Run `program` once per entry of `copies` (each entry its arguments),
/// all at once, with `LC_ALL=C`; each copy is pinned to `pin` before
/// `exec` when given. Fails when a copy cannot start, exits unsuccessfully
/// or is still running after `timeout` (then every copy's process group is
/// SIGKILLed).
pub(crate) fn run(
    program: &Path,
    copies: &[Vec<String>],
    pin: Option<usize>,
    timeout: Duration,
) -> anyhow::Result<Ran> {
    let mask = match pin {
        Some(cpu) => {
            let mut m = NixCpuSet::new();
            m.set(cpu)
                .with_context(|| format!("CPU {cpu} does not fit a cpu_set_t"))?;
            Some(m)
        }
        None => None,
    };
    let shown = |args: &[String]| format!("{} {}", program.display(), args.join(" "));
    let usage0 = children_usage();
    let t0 = Instant::now();
    let spawn_all = || {
        let mut children: Vec<Child> = Vec::with_capacity(copies.len());
        let mut spawn_error = None;
        for args in copies {
            let mut cmd = Command::new(program);
            cmd.args(args)
                .env("LC_ALL", "C")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                // Its own group, so a timeout kills what it forked as well.
                .process_group(0);
            match cmd.spawn() {
                Ok(c) => children.push(c),
                Err(e) => {
                    spawn_error =
                        Some(anyhow!(e).context(format!("cannot start `{}`", shown(args))));
                    break;
                }
            }
        }
        (children, spawn_error)
    };
    let (children, spawn_error) = match mask {
        None => spawn_all(),
        // A child starts with the CPU affinity of the thread that forks it:
        // spawned from a thread pinned to `pin`, each copy is pinned from
        // its first instruction, before exec, with no code in the child.
        Some(mask) => std::thread::scope(|scope| {
            scope
                .spawn(|| match sched_setaffinity(Pid::from_raw(0), &mask) {
                    Ok(()) => spawn_all(),
                    Err(e) => (
                        Vec::new(),
                        Some(anyhow!(e).context(format!(
                            "cannot pin the copies to CPU {}",
                            pin.unwrap_or_default()
                        ))),
                    ),
                })
                .join()
                .expect("the spawning thread does not panic")
        }),
    };

    // The watchdog: SIGKILL every group unless told all is done in time.
    let groups: Vec<Pid> = children
        .iter()
        .map(|c| Pid::from_raw(c.id() as i32))
        .collect();
    let (done, expired) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        let killed = expired.recv_timeout(timeout).is_err();
        if killed {
            for g in &groups {
                let _ = killpg(*g, Signal::SIGKILL);
            }
        }
        killed
    });
    if let Some(e) = spawn_error {
        // Do not leave the copies already started running.
        drop(done);
        let _ = watchdog.join();
        for c in children {
            let _ = c.wait_with_output();
        }
        return Err(e);
    }
    let mut results = Vec::with_capacity(children.len());
    for c in children {
        results.push(c.wait_with_output());
    }
    let wall = t0.elapsed();
    let _ = done.send(());
    let timed_out = watchdog.join().unwrap_or(false);
    let usage1 = children_usage();

    let mut outputs = Vec::with_capacity(results.len());
    for (args, r) in copies.iter().zip(results) {
        let out = r.with_context(|| format!("waiting for `{}`", shown(args)))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if timed_out {
            bail!(
                "`{}` (with {} cop(ies) at once) did not finish within {:.1} s and was killed",
                shown(args),
                copies.len(),
                timeout.as_secs_f64()
            );
        }
        if !out.status.success() {
            let one: Vec<&str> = text.split_whitespace().collect();
            let tail: String = one.join(" ").chars().take(300).collect();
            bail!("`{}` failed ({}): {tail}", shown(args), out.status);
        }
        outputs.push(text);
    }
    Ok(Ran {
        outputs,
        wall,
        cpu_ns: usage1.0.saturating_sub(usage0.0),
        nvcsw: usage1.1.saturating_sub(usage0.1),
        nivcsw: usage1.2.saturating_sub(usage0.2),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec!["-c".to_string(), script.to_string()]
    }

    #[test]
    fn runs_copies_and_pins_them_before_exec() {
        let ran = run(
            Path::new("/bin/sh"),
            &[
                sh("grep Cpus_allowed_list /proc/self/status"),
                sh("echo two"),
            ],
            Some(0),
            Duration::from_secs(30),
        )
        .unwrap();
        assert_eq!(ran.outputs.len(), 2);
        assert!(
            ran.outputs[0].trim_end().ends_with(":\t0"),
            "{:?}",
            ran.outputs[0]
        );
        assert_eq!(ran.outputs[1], "two\n");
    }

    #[test]
    fn failures_and_timeouts_are_errors() {
        let e = run(
            Path::new("/bin/sh"),
            &[sh("echo boom >&2; exit 3")],
            None,
            Duration::from_secs(30),
        )
        .unwrap_err();
        assert!(format!("{e:#}").contains("boom"), "{e:#}");
        let t = Instant::now();
        let e = run(
            Path::new("/bin/sh"),
            &[sh("sleep 30")],
            None,
            Duration::from_millis(200),
        )
        .unwrap_err();
        assert!(format!("{e:#}").contains("killed"), "{e:#}");
        assert!(t.elapsed() < Duration::from_secs(10));
        assert!(run(
            Path::new("/nonexistent/peer"),
            &[vec![]],
            None,
            Duration::from_secs(1)
        )
        .is_err());
    }

    #[test]
    fn a_missing_tool_names_its_package() {
        let t = Tool::find("ktstr-no-such-peer", "some-package", &["--version"]);
        assert!(t.path.is_none());
        assert!(t.missing().unwrap().contains("some-package"));
    }
}
