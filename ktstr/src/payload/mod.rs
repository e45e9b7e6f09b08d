//! External load generators as workloads: `stress-ng`, `hackbench` and
//! `perf bench sched` run beside (or instead of) ktstr's own workers,
//! placed in a test's cgroups before they run, and their end-of-run
//! metrics parsed into a [`PayloadReport`] that checks can judge.
//!
//! ```no_run
//! use ktstr::payload::Payload;
//! use std::time::Duration;
//!
//! let run = Payload::stress_ng(["--cpu", "2", "--timeout", "2s"]).start()?;
//! let report = run.wait(Duration::from_secs(10));
//! let verdict = report.check().min("cpu.bogo_ops_per_s", 100.0).done();
//! assert!(verdict.passed(), "{verdict}");
//! # Ok::<(), ktstr::payload::PayloadError>(())
//! ```
//!
//! A payload whose program is missing fails to start with
//! [`PayloadError::Missing`], which names the Debian package to install.
//! (schbench is not packaged for Debian 12; it can run as a
//! [`Payload::command`] without parsed metrics.)

mod check;
mod parse;
mod report;
mod run;

pub use check::PayloadCheck;
pub use parse::Metrics;
pub use report::{PayloadExit, PayloadReport};
pub use run::PayloadRun;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Which tool a payload runs, which decides how its output is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayloadKind {
    /// `stress-ng ... --metrics-brief`: bogo ops per stressor.
    StressNg,
    /// `hackbench`: total time.
    Hackbench,
    /// `perf bench sched ...`: total time (and usecs/op for `pipe`).
    PerfBenchSched,
    /// Any other command: judged by its exit status only.
    Command,
}

/// A load generator to run: its program, arguments and kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payload {
    kind: PayloadKind,
    program: String,
    args: Vec<String>,
}

fn strings<I, S>(args: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    args.into_iter().map(|s| s.as_ref().to_string()).collect()
}

impl Payload {
    /// `stress-ng` with `args`; `--metrics-brief` is added when absent so
    /// its metrics can be read. Give it a `--timeout` or stop it with
    /// [`PayloadRun::stop`] (stress-ng prints its metrics on SIGINT too).
    pub fn stress_ng<I: IntoIterator<Item = S>, S: AsRef<str>>(args: I) -> Payload {
        let mut args = strings(args);
        if !args
            .iter()
            .any(|a| a == "--metrics-brief" || a == "--metrics")
        {
            args.push("--metrics-brief".into());
        }
        Payload {
            kind: PayloadKind::StressNg,
            program: "stress-ng".into(),
            args,
        }
    }

    /// `hackbench` (from rt-tests) with `args`, e.g. `["-g", "4", "-l", "500"]`.
    pub fn hackbench<I: IntoIterator<Item = S>, S: AsRef<str>>(args: I) -> Payload {
        Payload {
            kind: PayloadKind::Hackbench,
            program: "hackbench".into(),
            args: strings(args),
        }
    }

    /// `perf bench sched <args>`, e.g. `["messaging", "-g", "4"]` or
    /// `["pipe", "-l", "100000"]`.
    pub fn perf_bench_sched<I: IntoIterator<Item = S>, S: AsRef<str>>(args: I) -> Payload {
        let mut all = vec!["bench".to_string(), "sched".to_string()];
        all.extend(strings(args));
        Payload {
            kind: PayloadKind::PerfBenchSched,
            program: "perf".into(),
            args: all,
        }
    }

    /// Any program: judged by its exit status, no metrics.
    pub fn command<I: IntoIterator<Item = S>, S: AsRef<str>>(program: &str, args: I) -> Payload {
        Payload {
            kind: PayloadKind::Command,
            program: program.into(),
            args: strings(args),
        }
    }

    /// Its kind.
    pub fn kind(&self) -> PayloadKind {
        self.kind
    }

    /// The command line, for messages and records.
    pub fn command_line(&self) -> String {
        std::iter::once(self.program.as_str())
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The Debian package that provides its program, when known.
    pub fn debian_package(&self) -> Option<&'static str> {
        match self.kind {
            PayloadKind::StressNg => Some("stress-ng"),
            PayloadKind::Hackbench => Some("rt-tests"),
            PayloadKind::PerfBenchSched => Some("linux-perf"),
            PayloadKind::Command => package_of(&self.program),
        }
    }

    /// The program's path: as given when it holds a `/`, else the first
    /// match on `$PATH`.
    pub fn locate(&self) -> Result<PathBuf, PayloadError> {
        if self.program.contains('/') {
            let p = PathBuf::from(&self.program);
            return if p.is_file() {
                Ok(p)
            } else {
                Err(PayloadError::Missing {
                    program: self.program.clone(),
                    package: self.debian_package(),
                })
            };
        }
        find_program(&self.program)
    }
}

/// The Debian package of a load generator ktstr knows, by program name.
pub fn package_of(program: &str) -> Option<&'static str> {
    match program {
        "stress-ng" => Some("stress-ng"),
        "hackbench" | "cyclictest" => Some("rt-tests"),
        "perf" => Some("linux-perf"),
        "rt-app" => Some("rt-app"),
        _ => None,
    }
}

/// Program `name` on `$PATH`, or the error naming its package.
pub fn find_program(name: &str) -> Result<PathBuf, PayloadError> {
    crate::which::on_path(name).ok_or_else(|| PayloadError::Missing {
        program: name.to_string(),
        package: package_of(name),
    })
}

/// Why a payload could not run.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// Its program is not installed.
    #[error("payload program {program:?} is not installed{}", package.map(|p| format!(" (apt-get install {p})")).unwrap_or_default())]
    Missing {
        /// The program.
        program: String,
        /// The Debian package that has it.
        package: Option<&'static str>,
    },
    /// It could not be started or placed.
    #[error("cannot start payload `{command}`: {why}")]
    Start {
        /// The command line.
        command: String,
        /// Why.
        why: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_command_lines_and_packages() {
        let s = Payload::stress_ng(["-c", "1"]);
        assert_eq!(s.command_line(), "stress-ng -c 1 --metrics-brief");
        assert_eq!(
            Payload::stress_ng(["--metrics-brief"]).command_line(),
            "stress-ng --metrics-brief"
        );
        assert_eq!(
            Payload::perf_bench_sched(["pipe"]).command_line(),
            "perf bench sched pipe"
        );
        assert_eq!(
            Payload::hackbench(["-g", "1"]).debian_package(),
            Some("rt-tests")
        );
        let e = Payload::command("ktstr-no-such-program", ["x"])
            .locate()
            .unwrap_err();
        assert!(e.to_string().contains("not installed"), "{e}");
        let e = Payload::hackbench::<[&str; 0], &str>([]);
        let e = Payload {
            program: "/nonexistent/hackbench".into(),
            ..e
        }
        .locate()
        .unwrap_err();
        assert!(e.to_string().contains("apt-get install rt-tests"), "{e}");
    }
}
