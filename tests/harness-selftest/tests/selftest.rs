//! Self-tests of the harness: run the fixture binary the way `cargo test`
//! and `cargo nextest run` do, and check what the harness made of each way
//! a test can end.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

const FIXTURE: &str = env!("CARGO_BIN_EXE_ktstr-fixture");

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn out_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("selftest-records")
}

fn run(args: &[&str]) -> Run {
    let out = Command::new(FIXTURE)
        .args(args)
        .env("KTSTR_OUTPUT_DIR", out_dir())
        .env_remove("KTSTR_JSON")
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("run the fixture");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The full run, once: it takes ~15 s.
fn full() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| run(&[]))
}

/// `test NAME ... RESULT` lines of a pretty run.
fn results(r: &Run) -> BTreeMap<String, String> {
    r.stdout
        .lines()
        .filter_map(|l| l.strip_prefix("test "))
        .filter_map(|l| l.split_once(" ... "))
        .map(|(n, res)| (n.trim().to_string(), res.trim().to_string()))
        .collect()
}

/// The failure block of `name` in a pretty run.
fn failure(r: &Run, name: &str) -> String {
    let start = format!("---- {name} ----");
    let at = r
        .stdout
        .find(&start)
        .unwrap_or_else(|| panic!("no failure block for {name}:\n{}", r.stdout));
    let rest = &r.stdout[at + start.len()..];
    rest[..rest
        .find("\n---- ")
        .or_else(|| rest.find("\nfailures:"))
        .unwrap_or(rest.len())]
        .to_string()
}

#[test]
fn every_ending_is_judged_right() {
    let r = full();
    assert_eq!(r.code, 101, "a run with failures exits 101\n{}", r.stdout);
    let res = results(r);
    let expect = [
        ("passes", "ok"),
        ("fails", "FAILED"),
        ("panics", "FAILED"),
        ("segfaults", "FAILED"),
        ("aborts", "FAILED"),
        ("hangs", "FAILED"),
        ("exits_early", "FAILED"),
        ("prints_a_lot", "FAILED"),
        ("ignored", "ignored (the fixture's ignored test)"),
        ("skips_itself", "ignored (the fixture's run-time skip)"),
        ("starved_is_caught", "ok"),
        ("should_fail_but_passes", "FAILED"),
        ("leaks_a_grandchild", "FAILED"),
        ("leaks_workers", "ok"),
        ("needs_root", "ok"),
        ("hangs_in_a_cgroup", "FAILED"),
    ];
    for (name, want) in expect {
        assert_eq!(
            res.get(name).map(String::as_str),
            Some(want),
            "{name}\n{}",
            r.stdout
        );
    }
    let cpus = &res["needs_many_cpus"];
    assert!(cpus.starts_with("ignored (needs 4096 CPUs"), "{cpus}");
    assert!(
        r.stdout
            .contains("test result: FAILED. 4 passed; 10 failed; 3 ignored"),
        "{}",
        r.stdout
    );
}

#[test]
fn failure_messages_give_the_reason_and_a_repro_line() {
    let r = full();
    for (name, reason) in [
        ("fails", "deliberate failure from the fixture"),
        ("panics", "panicked: deliberate panic from the fixture"),
        ("segfaults", "killed by SIGSEGV"),
        ("aborts", "killed by SIGABRT"),
        ("hangs", "timed out after 2 s"),
        (
            "exits_early",
            "exited with code 0 before reporting a result",
        ),
        ("prints_a_lot", "runaway output"),
        (
            "should_fail_but_passes",
            "expected the test to fail (should_fail) but it passed",
        ),
        ("leaks_a_grandchild", "left processes running"),
        ("hangs_in_a_cgroup", "timed out after 2 s"),
    ] {
        let block = failure(r, name);
        assert!(
            block.contains(reason),
            "{name}: want {reason:?} in\n{block}"
        );
        assert!(
            block.contains(&format!("--exact {name} --nocapture")),
            "{name}: no repro line in\n{block}"
        );
    }
    // A timed-out test process tears itself down on SIGTERM: its cgroups
    // are gone before the harness looks (the harness's own removal of a
    // SIGKILLed test's cgroups is tested in interrupt.rs).
    let hung = failure(r, "hangs_in_a_cgroup");
    assert!(hung.contains("removing its cgroups"), "{hung}");
    assert!(!hung.contains("left cgroup"), "{hung}");
    // Captured output is shown for a failing test, and kept bounded.
    let panic = failure(r, "panics");
    assert!(panic.contains("--- output ---"), "{panic}");
    let noisy = failure(r, "prints_a_lot");
    assert!(noisy.len() < 1 << 20, "runaway output must be truncated");
}

#[test]
fn nothing_outlives_the_run() {
    let _ = full();
    let pids = std::fs::read_to_string(std::env::temp_dir().join("ktstr-fixture-leaked-pids"))
        .expect("leaks_workers wrote its pids");
    for pid in pids.trim_matches(|c| c == '[' || c == ']').split(", ") {
        let pid: i32 = pid.parse().unwrap();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        assert!(
            stat.is_empty() || !stat.contains("ktstr-fixture"),
            "leaked worker {pid} survived: {stat}"
        );
    }
    let ps = Command::new("pgrep")
        .args(["-f", "trap '' TERM; sleep 600"])
        .output()
        .unwrap();
    assert!(
        ps.stdout.is_empty(),
        "the SIGTERM-ignoring grandchild survived"
    );
}

#[test]
fn records_are_written_per_test() {
    let _ = full();
    let dir = out_dir().join("ktstr").join("ktstr-fixture");
    let rec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("passes.json")).expect("record of passes"))
            .unwrap();
    assert_eq!(rec["result"], "passed");
    assert_eq!(rec["config"]["workers"], 2);
    assert_eq!(
        rec["outcome"]["groups"][0]["reports"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(rec["host"]["kernel"]
        .as_str()
        .is_some_and(|k| !k.is_empty()));
    let failed: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("segfaults.json")).unwrap()).unwrap();
    assert_eq!(failed["result"], "failed");
    assert!(failed["reason"].as_str().unwrap().contains("SIGSEGV"));
    let skipped: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("skips_itself.json")).unwrap()).unwrap();
    assert_eq!(skipped["result"], "skipped");
    assert_eq!(skipped["reason"], "the fixture's run-time skip");
}

#[test]
fn filters_select_like_libtest() {
    // A substring filter selects every test whose name contains it.
    let r = run(&["passes"]);
    assert_eq!(r.code, 101, "{}", r.stdout);
    let res = results(&r);
    assert_eq!(res.len(), 2, "{}", r.stdout);
    assert_eq!(res["passes"], "ok");
    assert_eq!(res["should_fail_but_passes"], "FAILED");
    assert!(r.stdout.contains("15 filtered out"), "{}", r.stdout);
    let r = run(&["--exact", "passes"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("1 passed; 0 failed; 0 ignored; 0 measured; 16 filtered out"),
        "{}",
        r.stdout
    );
    let r = run(&["no_such_test_anywhere"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("0 passed; 0 failed"), "{}", r.stdout);
    let r = run(&["--exact", "no_such_test"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("running 0 tests"), "{}", r.stdout);
    let r = run(&["fails", "--skip", "fails"]);
    assert!(r.stdout.contains("running 0 tests"), "{}", r.stdout);
    let r = run(&["-q", "--exact", "passes"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn nextest_protocol() {
    // Listing: only `name: test` lines on stdout.
    let all = run(&["--list", "--format", "terse"]);
    assert_eq!(all.code, 0);
    let names: Vec<&str> = all.stdout.lines().collect();
    assert_eq!(names.len(), 17, "{}", all.stdout);
    assert!(
        names.iter().all(|l| l.ends_with(": test")),
        "{}",
        all.stdout
    );
    let ignored = run(&["--list", "--format", "terse", "--ignored"]);
    let mut ig: Vec<&str> = ignored.stdout.lines().collect();
    ig.sort();
    assert_eq!(ig, vec!["ignored: test", "needs_many_cpus: test"]);
    // Running one test the way nextest does.
    let one = run(&["--exact", "fails", "--nocapture"]);
    assert_eq!(one.code, 101);
    assert!(one.stdout.contains("1 failed"), "{}", one.stdout);
    let ok = run(&["--exact", "passes", "--nocapture"]);
    assert_eq!(ok.code, 0, "{}", ok.stdout);
    // An ignored test run with --ignored whose requirements are unmet
    // is still ignored, with the reason.
    let cpus = run(&["--exact", "needs_many_cpus", "--nocapture", "--ignored"]);
    assert_eq!(cpus.code, 0);
    assert!(
        cpus.stdout.contains("ignored (needs 4096 CPUs"),
        "{}",
        cpus.stdout
    );
    // A plainly ignored test runs with --ignored (and fails, on purpose).
    let ran = run(&["--exact", "ignored", "--ignored"]);
    assert_eq!(ran.code, 101, "{}", ran.stdout);
    assert!(failure(&ran, "ignored").contains("an ignored test ran"));
}

#[test]
fn json_summary() {
    let out = Command::new(FIXTURE)
        .args(["--exact", "passes"])
        .env("KTSTR_JSON", "1")
        .env("KTSTR_OUTPUT_DIR", out_dir())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["type"], "suite");
    assert_eq!(last["passed"], 1);
}

/// Run as an unprivileged user, a test that needs root is reported ignored
/// with the reason (and listed as ignored for nextest), never run.
#[test]
fn without_root_root_tests_are_ignored_with_the_reason() {
    use std::os::unix::process::CommandExt;
    let as_nobody = |args: &[&str]| {
        let mut cmd = Command::new(FIXTURE);
        cmd.args(args).env_remove("KTSTR_JSON");
        if std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
        }) {
            cmd.uid(65534).gid(65534);
        }
        let out = cmd.output().expect("run the fixture as nobody");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = as_nobody(&["--exact", "needs_root"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("test needs_root ... ignored (needs root"),
        "{out}"
    );
    assert!(out.contains("0 passed; 0 failed; 1 ignored"), "{out}");
    let (_, listed) = as_nobody(&["--list", "--format", "terse", "--ignored"]);
    assert!(listed.lines().any(|l| l == "needs_root: test"), "{listed}");
}
