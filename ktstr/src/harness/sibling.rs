//! Running another test of this same binary from a test body, the way
//! `cargo test -- --ignored --exact NAME` would, and reading what the
//! harness printed: how to assert that a failure a `should_fail` test
//! cannot expect (a scheduler ejected, a guest panic, a timeout) is
//! reported as it should be.

use anyhow::Context as _;

/// What a sibling test's run printed and how it ended.
#[derive(Clone, Debug)]
pub struct SiblingRun {
    /// The harness's exit code (0: passed, 101: failed).
    pub code: Option<i32>,
    /// Its stdout (the libtest lines and failure blocks).
    pub stdout: String,
}

impl SiblingRun {
    /// Error unless it exited with `code` and its stdout holds every one
    /// of `wanted`, naming what is missing and showing the output.
    pub fn expect(&self, code: i32, wanted: &[&str]) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.code == Some(code),
            "the sibling run should exit {code}, got {:?}:\n{}",
            self.code,
            self.stdout
        );
        for want in wanted {
            anyhow::ensure!(
                self.stdout.contains(want),
                "the sibling run's report lacks {want:?}:\n{}",
                self.stdout
            );
        }
        Ok(())
    }
}

/// Whether this process runs inside a ktstr VM guest, where a sibling
/// that needs a VM of its own cannot get one: checker tests skip there.
pub fn in_vm_guest() -> bool {
    std::env::var_os(crate::vm::ENV_VM_TEST).is_some()
}

/// Run test `name` of this binary (usually an `ignore`d fixture) with
/// `--ignored --exact` (once: without `KTSTR_REPEAT` or
/// `KTSTR_ACCEPT_FLAKY`), its JSON record kept out of the normal output
/// directory, and return what it printed.
pub fn run_sibling(name: &str) -> anyhow::Result<SiblingRun> {
    let records = std::env::temp_dir().join(format!("ktstr-sibling-{}-{name}", std::process::id()));
    let out = std::process::Command::new(std::env::current_exe()?)
        .args(["--ignored", "--exact", name])
        .env("KTSTR_OUTPUT_DIR", &records)
        .env_remove(super::child::ENV_TEST)
        // One plain run of the sibling, whatever this run repeats or accepts.
        .env_remove(super::plan::ENV_REPEAT)
        .env_remove(super::retry::ENV_ACCEPT_FLAKY)
        .output()
        .with_context(|| format!("run the sibling test {name}"))?;
    let _ = std::fs::remove_dir_all(&records);
    Ok(SiblingRun {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    })
}
