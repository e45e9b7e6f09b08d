//! Self-tests of exact verdicts: run the verdict fixture binary and check
//! that `should_fail` passes only for the failure it expects, that a check
//! with nothing to compare is shown as not applicable (never a pass), and
//! that a failed check's text is printed once.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

const FIXTURE: &str = env!("CARGO_BIN_EXE_ktstr-verdicts-fixture");

fn out_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("verdict-records")
}

/// Stdout of the fixture run with `args`, then its stderr.
fn run(args: &[&str]) -> String {
    let out = Command::new(FIXTURE)
        .args(args)
        .env("KTSTR_OUTPUT_DIR", out_dir())
        .env_remove("KTSTR_JSON")
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("run the verdict fixture");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The whole fixture, once (about 3 s).
fn full() -> &'static str {
    static RUN: OnceLock<String> = OnceLock::new();
    RUN.get_or_init(|| run(&[]))
}

fn results(out: &str) -> BTreeMap<String, String> {
    out.lines()
        .filter_map(|l| l.strip_prefix("test "))
        .filter_map(|l| l.split_once(" ... "))
        .map(|(n, res)| (n.trim().to_string(), res.trim().to_string()))
        .collect()
}

fn failure<'a>(out: &'a str, name: &str) -> &'a str {
    let start = format!("---- {name} ----");
    let at = out
        .find(&start)
        .unwrap_or_else(|| panic!("no failure block for {name}:\n{out}"));
    let rest = &out[at + start.len()..];
    &rest[..rest
        .find("\n---- ")
        .or_else(|| rest.find("\nfailures:"))
        .unwrap_or(rest.len())]
}

#[test]
fn should_fail_passes_only_for_the_failure_it_expects() {
    let out = full();
    let res = results(out);
    for (name, want) in [
        ("should_fail_but_spawn_fails", "FAILED"),
        ("should_fail_but_panics", "FAILED"),
        ("should_fail_but_times_out", "FAILED"),
        ("should_fail_with_other_text", "FAILED"),
        ("should_fail_on_a_failed_check", "ok"),
        ("should_fail_with_the_expected_text", "ok"),
    ] {
        assert_eq!(
            res.get(name).map(String::as_str),
            Some(want),
            "{name}\n{out}"
        );
    }
    for (name, reason) in [
        (
            "should_fail_but_spawn_fails",
            "expected a failed check (should_fail), but the test failed with an error \
             returned by the body: spawn 0 x SpinWait workers",
        ),
        (
            "should_fail_but_panics",
            "expected a failed check (should_fail), but the test failed with a panic: \
             panicked: an unrelated panic",
        ),
        (
            "should_fail_but_times_out",
            "expected a failed check (should_fail), but the test process ended without a \
             result: timed out after 1 s",
        ),
        (
            "should_fail_with_other_text",
            "expected a failure whose message contains \"stalled\" (should_fail = \"stalled\"), \
             but the test failed with a failed check: 1 check(s) failed:",
        ),
    ] {
        let block = failure(out, name);
        assert!(
            block.contains(reason),
            "{name}: want {reason:?} in\n{block}"
        );
    }
}

#[test]
fn a_failed_check_is_printed_once() {
    let block = failure(full(), "a_check_fails");
    assert_eq!(
        block
            .matches("worker 0 (tid 1000, workload) made 0 progress in 1.0 s: starved")
            .count(),
        1,
        "{block}"
    );
    assert!(
        block.starts_with("\n1 check(s) failed:\n  Starvation [workload]: worker 0"),
        "{block}"
    );
}

#[test]
fn single_worker_fairness_is_shown_as_not_applicable() {
    let out = full();
    let res = results(out);
    // Default checks: fairness is not applicable, starvation and gaps judge.
    assert_eq!(res["one_worker_default_checks"], "ok", "{out}");
    let rec: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            out_dir()
                .join("ktstr/ktstr-verdicts-fixture")
                .join("one_worker_default_checks.json"),
        )
        .expect("record of one_worker_default_checks"),
    )
    .unwrap();
    let results = rec["outcome"]["verdicts"][0]["results"].as_array().unwrap();
    let fairness = results
        .iter()
        .find(|r| r["kind"] == "Fairness")
        .expect("a fairness result");
    assert_eq!(fairness["status"]["state"], "not_applicable", "{fairness}");
    assert_eq!(fairness["measured"], "n/a");
    assert!(
        fairness["status"]["why"]
            .as_str()
            .unwrap()
            .contains("a CPU-share spread needs at least 2"),
        "{fairness}"
    );
    assert!(results
        .iter()
        .any(|r| r["kind"] == "Starvation" && r["status"]["state"] == "passed"));
    // Printed as such in the test's output.
    let shown = run(&["--exact", "one_worker_default_checks", "--nocapture"]);
    assert!(
        shown.contains("n/a  Fairness [workload]: n/a (limit 25 pp): not applicable: 1 worker(s)"),
        "{shown}"
    );
    // Asked for explicitly, the same check fails and says why.
    assert_eq!(res["one_worker_asked_for_a_spread"], "FAILED", "{out}");
    let block = failure(out, "one_worker_asked_for_a_spread");
    assert!(
        block.contains(
            "Fairness [workload]: asked for (limit 50 pp) but not applicable: 1 worker(s) of \
             workload ran: a CPU-share spread needs at least 2"
        ),
        "{block}"
    );
}
