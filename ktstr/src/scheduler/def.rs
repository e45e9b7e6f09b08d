//! [`Scheduler`]: a sched_ext scheduler binary, its arguments and what the
//! harness checks about it, as a const; and where its binary is found.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::SchedulerError;

/// A sched_ext scheduler a test runs under: a binary, its arguments, and
/// what the harness checks about it. Every builder is a `const fn`, so a
/// scheduler is declared once and named in attributes:
///
/// ```
/// use ktstr::scheduler::Scheduler;
///
/// pub const MY_BPFLAND: Scheduler = Scheduler::new("scx_bpfland")
///     .args(&["--slice-us", "2000"])
///     .ops_prefix("bpfland");
/// assert_eq!(MY_BPFLAND.to_string(), "scx_bpfland --slice-us 2000");
/// ```
///
/// `#[ktstr::test(scheduler = MY_BPFLAND)]` runs a test under it;
/// `scheduler = "scx_bpfland --slice-us 2000"` is the same without a name
/// (and without the `ops` check).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Scheduler {
    /// The binary: a name looked up on `$PATH` and then in the ktstr cache
    /// (see [`Scheduler::resolve_binary`]), or a path.
    pub binary: &'static str,
    /// Its arguments.
    pub args: &'static [&'static str],
    /// When set, `/sys/kernel/sched_ext/root/ops` must start with this once
    /// attached (proves it is this scheduler, not another one).
    pub ops_prefix: Option<&'static str>,
    /// The scheduler's own watchdog-timeout option, taking milliseconds,
    /// and the base value: the harness passes `FLAG <base × scale>`, scale
    /// being `KTSTR_TIMEOUT_SCALE` (set under slow emulation).
    pub timeout_arg: Option<(&'static str, u64)>,
}

/// scx_bpfland (the scx project's "vruntime-based, interactive" scheduler)
/// with its defaults. Its version 1.1.0 has no watchdog-timeout option (its
/// BPF side fixes `timeout_ms` at 5000), so none is passed. `./scripts/setup
/// --vm` builds it into the ktstr cache.
pub const BPFLAND: Scheduler = Scheduler::new("scx_bpfland").ops_prefix("bpfland");

/// What `scripts/setup` calls the part that builds schedulers.
pub(crate) const SETUP_HINT: &str = "./scripts/setup --vm";

impl Scheduler {
    /// A scheduler run as `binary` without arguments.
    pub const fn new(binary: &'static str) -> Scheduler {
        Scheduler {
            binary,
            args: &[],
            ops_prefix: None,
            timeout_arg: None,
        }
    }

    /// With these arguments (replacing any set before).
    pub const fn args(mut self, args: &'static [&'static str]) -> Scheduler {
        self.args = args;
        self
    }

    /// Check that `root/ops` starts with `prefix` once attached.
    pub const fn ops_prefix(mut self, prefix: &'static str) -> Scheduler {
        self.ops_prefix = Some(prefix);
        self
    }

    /// Pass the scheduler's watchdog timeout: `flag` takes milliseconds,
    /// `base_ms` is the value on real hardware; the harness multiplies it
    /// by `KTSTR_TIMEOUT_SCALE`.
    pub const fn timeout_arg(mut self, flag: &'static str, base_ms: u64) -> Scheduler {
        self.timeout_arg = Some((flag, base_ms));
        self
    }

    /// A scheduler from a command line given at run time (`ktstr run
    /// --scheduler "scx_bpfland -k"`): binary and arguments split at
    /// whitespace. Its strings are leaked (a few bytes, once per command)
    /// so it has the same `'static` form as a const. None when blank.
    pub fn from_command_line(cmd: &str) -> Option<Scheduler> {
        let mut words = cmd.split_whitespace();
        let binary: &'static str = Box::leak(words.next()?.to_string().into_boxed_str());
        let args: Vec<&'static str> = words
            .map(|w| &*Box::leak(w.to_string().into_boxed_str()))
            .collect();
        Some(Scheduler::new(binary).args(Box::leak(args.into_boxed_slice())))
    }

    /// The arguments the binary gets, with the watchdog option scaled by
    /// `scale` appended.
    pub fn command_args(&self, scale: f64) -> Vec<String> {
        let mut v: Vec<String> = self.args.iter().map(|s| s.to_string()).collect();
        if let Some((flag, base_ms)) = self.timeout_arg {
            let ms = Duration::from_millis(base_ms).mul_f64(scale).as_millis();
            v.push(flag.to_string());
            v.push(ms.to_string());
        }
        v
    }

    /// The binary's path: [`binary`](Self::binary) itself when it holds a
    /// `/`; else the first executable of that name on `$PATH`, then in
    /// `${KTSTR_CACHE:-$HOME/.cache/ktstr}/bin/`. Not found is an error
    /// naming where it looked and the setup command that builds it. The VM
    /// code uses this to put the binary into the guest.
    pub fn resolve_binary(&self) -> Result<PathBuf, SchedulerError> {
        let mut dirs = crate::which::path_dirs();
        dirs.extend(cache_bin_dir());
        find_binary(self.binary, &dirs)
    }
}

impl std::fmt::Display for Scheduler {
    /// The command line (without the watchdog option).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.binary)?;
        for a in self.args {
            write!(f, " {a}")?;
        }
        Ok(())
    }
}

/// `${KTSTR_CACHE:-$HOME/.cache/ktstr}/bin`.
pub fn cache_bin_dir() -> Option<PathBuf> {
    let base = match std::env::var_os("KTSTR_CACHE") {
        Some(c) if !c.is_empty() => PathBuf::from(c),
        _ => PathBuf::from(std::env::var_os("HOME")?).join(".cache/ktstr"),
    };
    Some(base.join("bin"))
}

/// `binary` if it holds a `/`, else the first executable `dir/binary`.
fn find_binary(binary: &str, dirs: &[PathBuf]) -> Result<PathBuf, SchedulerError> {
    if binary.contains('/') {
        let p = PathBuf::from(binary);
        return if crate::which::is_executable(&p) {
            Ok(p)
        } else {
            Err(SchedulerError::NotFound {
                binary: binary.to_string(),
                searched: "the path given".into(),
                setup: SETUP_HINT,
            })
        };
    }
    if let Some(p) = crate::which::in_dirs(binary, dirs) {
        return Ok(p);
    }
    let searched = dirs
        .iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(":");
    Err(SchedulerError::NotFound {
        binary: binary.to_string(),
        searched: format!("$PATH and the ktstr cache ({searched})"),
        setup: SETUP_HINT,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const WITH_ALL: Scheduler = Scheduler::new("scx_x")
        .args(&["--a", "1"])
        .ops_prefix("x")
        .timeout_arg("--timeout-ms", 5000);

    #[test]
    fn builders_are_const_and_the_command_line_shows_binary_and_args() {
        assert_eq!(WITH_ALL.to_string(), "scx_x --a 1");
        assert_eq!(WITH_ALL.ops_prefix, Some("x"));
        assert_eq!(BPFLAND.to_string(), "scx_bpfland");
        assert_eq!(BPFLAND.ops_prefix, Some("bpfland"));
    }

    #[test]
    fn a_command_line_splits_at_whitespace() {
        let s = Scheduler::from_command_line("  scx_bpfland  -k --slice-us 500 ").unwrap();
        assert_eq!(s.binary, "scx_bpfland");
        assert_eq!(s.args, ["-k", "--slice-us", "500"]);
        assert_eq!(Scheduler::from_command_line(" \t"), None);
    }

    #[test]
    fn the_watchdog_option_is_scaled() {
        assert_eq!(
            WITH_ALL.command_args(1.0),
            ["--a", "1", "--timeout-ms", "5000"]
        );
        assert_eq!(
            WITH_ALL.command_args(4.0),
            ["--a", "1", "--timeout-ms", "20000"]
        );
        assert_eq!(BPFLAND.command_args(4.0), Vec::<String>::new());
    }

    #[test]
    fn found_in_the_first_directory_that_has_it_else_an_error_naming_setup() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let exe = b.path().join("scx_fake");
        std::fs::write(&exe, "#!/bin/sh\n").unwrap();
        // Not executable: skipped.
        std::fs::write(a.path().join("scx_fake"), "").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        let dirs = [a.path().to_path_buf(), b.path().to_path_buf()];
        assert_eq!(find_binary("scx_fake", &dirs).unwrap(), exe);
        assert_eq!(find_binary(exe.to_str().unwrap(), &[]).unwrap(), exe);
        let e = find_binary("scx_missing", &dirs).unwrap_err().to_string();
        assert!(e.contains("scx_missing") && e.contains(SETUP_HINT), "{e}");
        assert!(e.contains(&a.path().display().to_string()), "{e}");
    }

    #[test]
    fn the_cache_follows_ktstr_cache() {
        // Read-only use of the variable: compare with what it says now.
        let got = cache_bin_dir().unwrap();
        match std::env::var_os("KTSTR_CACHE") {
            Some(c) if !c.is_empty() => assert_eq!(got, PathBuf::from(c).join("bin")),
            _ => assert!(got.ends_with(".cache/ktstr/bin"), "{}", got.display()),
        }
    }
}
