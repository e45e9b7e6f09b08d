//! Self-tests of repeats and retries: run the flaky fixture binary and
//! check that a pass after a retry is reported FLAKY (a failure, or
//! ignored with `KTSTR_ACCEPT_FLAKY=1`), never a plain pass; that
//! `--repeat 5` gives a pass rate, spreads and five kept records; and that
//! bad repeat counts are usage errors.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const FIXTURE: &str = env!("CARGO_BIN_EXE_ktstr-flaky-fixture");

/// A fresh directory for one self-test's counters and records.
fn fresh(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("flaky")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Run the fixture with `args` and `env`, counters and records in `dir`.
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut cmd = Command::new(FIXTURE);
    cmd.args(args)
        .env("KTSTR_FIXTURE_DIR", dir)
        .env("KTSTR_OUTPUT_DIR", dir.join("out"))
        .env_remove("KTSTR_JSON")
        .env_remove("KTSTR_REPEAT")
        .env_remove("KTSTR_ACCEPT_FLAKY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run the flaky fixture");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The libtest line of `test`: "ok", "FAILED", "ignored, ...".
fn line<'a>(out: &'a Out, test: &str) -> &'a str {
    out.stdout
        .lines()
        .filter_map(|l| l.strip_prefix("test "))
        .filter_map(|l| l.split_once(" ... "))
        .find(|(n, _)| n.trim() == test)
        .map(|(_, r)| r.trim())
        .unwrap_or_else(|| panic!("no line for {test}:\n{}", out.stdout))
}

fn record(dir: &Path, rel: &str) -> Value {
    let path = dir.join("out/ktstr/ktstr-flaky-fixture").join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn a_pass_after_a_retry_is_flaky_and_fails() {
    let dir = fresh("flaky");
    let out = run(&dir, &["--exact", "fails_first_attempt_only"], &[]);
    assert_eq!(out.code, 101, "{}{}", out.stdout, out.stderr);
    assert_eq!(line(&out, "fails_first_attempt_only"), "FAILED");
    assert!(
        out.stdout.contains(
            "FLAKY: passed on attempt 2 of 3 after failing attempt(s) 1 (retries = 2)\n\
             a pass after a retry is not a pass"
        ) && out
            .stdout
            .contains("--- attempt 1 failed ---\ndeliberate failure on the first attempt"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains(
            "fails_first_attempt_only: FLAKY, passed on attempt 2 of 3 (reported FAILED)"
        ),
        "{}",
        out.stderr
    );
    let rec = record(&dir, "fails_first_attempt_only.json");
    assert_eq!(rec["result"], "flaky");
    assert_eq!(rec["flaky"]["attempts"], 2);
    assert_eq!(rec["flaky"]["accepted"], false);
    let failures = rec["flaky"]["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0]["attempt"], 1);
    assert_eq!(
        failures[0]["reason"],
        "deliberate failure on the first attempt"
    );
    assert!(
        rec["outcome"]["passed"].as_bool().unwrap(),
        "the passing attempt's outcome"
    );
    // The failed attempt is kept whole, not only summarised.
    assert_eq!(
        failures[0]["record"],
        "attempts/fails_first_attempt_only/1.json"
    );
    let first = record(&dir, "attempts/fails_first_attempt_only/1.json");
    assert_eq!(
        (&first["result"], &first["attempt"]),
        (&"failed".into(), &serde_json::json!({"index": 1, "of": 3}))
    );
    assert_eq!(first["reason"], "deliberate failure on the first attempt");
    assert_eq!(first["test"], "fails_first_attempt_only");
}

#[test]
fn an_accepted_flaky_test_is_ignored_not_passed() {
    let dir = fresh("accepted");
    let out = run(
        &dir,
        &["--exact", "fails_first_attempt_only"],
        &[("KTSTR_ACCEPT_FLAKY", "1")],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        line(&out, "fails_first_attempt_only"),
        "ignored (FLAKY: passed on attempt 2 of 3 after failing attempt(s) 1 (retries = 2); \
         accepted by KTSTR_ACCEPT_FLAKY)"
    );
    assert!(
        out.stdout.contains("0 passed; 0 failed; 1 ignored"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("(accepted by KTSTR_ACCEPT_FLAKY: reported ignored)"),
        "{}",
        out.stderr
    );
    let rec = record(&dir, "fails_first_attempt_only.json");
    assert_eq!(
        (&rec["result"], &rec["flaky"]["accepted"]),
        (&"flaky".into(), &true.into())
    );
}

#[test]
fn retries_neither_hide_a_consistent_failure_nor_touch_a_pass() {
    let dir = fresh("consistent");
    let out = run(&dir, &["--skip", "fails_"], &[("KTSTR_ACCEPT_FLAKY", "1")]);
    assert_eq!(out.code, 101);
    assert_eq!(line(&out, "always_fails"), "FAILED");
    assert_eq!(line(&out, "passes_at_once"), "ok");
    assert!(
        out.stdout.contains("failed all 2 attempts (retries = 1)\n  attempt 1 failed: deliberate failure on every attempt"),
        "{}",
        out.stdout
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("always_fails")).unwrap(),
        "2"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("passes_at_once")).unwrap(),
        "1"
    );
    let rec = record(&dir, "always_fails.json");
    assert_eq!(
        (&rec["result"], &rec["attempts"]["count"]),
        (&"failed".into(), &2.into())
    );
    for k in 1..=2 {
        let rel = format!("attempts/always_fails/{k}.json");
        assert_eq!(rec["attempts"]["failures"][k - 1]["record"], rel.as_str());
        let att = record(&dir, &rel);
        assert_eq!(
            (&att["result"], &att["attempt"]["index"]),
            (&"failed".into(), &k.into())
        );
    }
    assert!(
        !dir.join("out/ktstr/ktstr-flaky-fixture/attempts/passes_at_once")
            .exists(),
        "a test that passed at once keeps no attempts"
    );
    assert_eq!(record(&dir, "passes_at_once.json")["result"], "passed");
    assert!(!out.stderr.contains("FLAKY"), "{}", out.stderr);
}

#[test]
fn repeat_five_gives_a_pass_rate_spreads_and_five_records() {
    let dir = fresh("repeat");
    let out = run(
        &dir,
        &["--repeat", "5", "--exact", "fails_one_time_in_five"],
        &[],
    );
    assert_eq!(out.code, 101, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        line(&out, "fails_one_time_in_five"),
        "FAILED",
        "one result line per test"
    );
    assert!(
        out.stdout.contains(
            "passed 4/5 (--repeat 5: a test passes only when every repeat passes)\n  \
             repeat 3 of 5 failed: deliberate failure on run 3 (the third of every five)\n\
             spread: work_rate "
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("  fails_one_time_in_five: passed 4/5; work_rate ")
            && out.stderr.contains("max_gap "),
        "{}",
        out.stderr
    );
    let sum = record(&dir, "fails_one_time_in_five.json");
    assert_eq!(sum["result"], "failed");
    assert_eq!(
        (&sum["repeats"]["count"], &sum["repeats"]["passed"]),
        (&5.into(), &4.into())
    );
    let work = &sum["repeats"]["spread"][0];
    assert_eq!(
        (&work["metric"], &work["n"]),
        (&"work_rate".into(), &5.into())
    );
    for i in 1..=5 {
        let rep = record(&dir, &format!("repeats/fails_one_time_in_five/{i}.json"));
        let want = if i == 3 { "failed" } else { "passed" };
        assert_eq!(rep["result"], want, "repeat {i}");
        assert_eq!(rep["repeat"]["index"], i);
    }
    // `ktstr compare` reads the five repeats, not the summary.
    let runs = ktstr::compare::load(&dir.join("out")).unwrap();
    assert_eq!(runs.len(), 5);
    assert_eq!(runs.iter().filter(|r| r.result == "passed").count(), 4);
    assert!(runs.iter().all(|r| r.metrics.contains_key("work_rate")));

    // A later single run leaves no stale repeats behind to mix in.
    let again = run(&dir, &["--exact", "passes_at_once"], &[]);
    assert_eq!(again.code, 0);
    let runs = ktstr::compare::load(&dir.join("out/ktstr/ktstr-flaky-fixture/passes_at_once.json"))
        .unwrap();
    assert_eq!(runs.len(), 1);
}

#[test]
fn ktstr_repeat_env_repeats_and_retries_are_not_applied() {
    let dir = fresh("env");
    let out = run(
        &dir,
        &["--skip", "always", "--skip", "one_time"],
        &[("KTSTR_REPEAT", "3")],
    );
    assert_eq!(line(&out, "passes_at_once"), "ok");
    assert_eq!(line(&out, "fails_first_attempt_only"), "FAILED");
    assert!(
        out.stderr.contains("  passes_at_once: passed 3/3"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout.contains("passed 2/3 (--repeat 3: a test passes only when every repeat passes)\n  (its retries = 2 are not applied under --repeat"),
        "{}",
        out.stdout
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("passes_at_once")).unwrap(),
        "3"
    );
}

#[test]
fn bad_repeat_counts_are_usage_errors() {
    let dir = fresh("usage");
    for (args, env, want) in [
        (&["--repeat", "0"][..], None, "ktstr: --repeat 0 would run nothing and pass: give N ≥ 1"),
        (&["--repeat"][..], None, "ktstr: `--repeat` needs a count: --repeat N (N ≥ 1)"),
        (&["--repeat=many"][..], None, "ktstr: --repeat \"many\" is not a repeat count"),
        (&[][..], Some("0"), "ktstr: KTSTR_REPEAT 0 would run nothing and pass"),
        (&[][..], Some("x"), "ktstr: KTSTR_REPEAT \"x\" is not a repeat count: give an integer N ≥ 1, e.g. KTSTR_REPEAT=5"),
        (&["--list"][..], Some(""), "ktstr: KTSTR_REPEAT \"\" is not a repeat count"),
    ] {
        let env: Vec<(&str, &str)> = env.map(|v| ("KTSTR_REPEAT", v)).into_iter().collect();
        let out = run(&dir, args, &env);
        assert_eq!(out.code, 2, "{args:?} {env:?}: {}{}", out.stdout, out.stderr);
        assert!(out.stderr.starts_with(want), "{args:?} {env:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "nothing run: {}", out.stdout);
    }
    assert!(!dir.join("out").exists(), "no record written");
}

#[test]
fn nextest_listing_is_unaffected_by_repeats() {
    let dir = fresh("list");
    let out = run(
        &dir,
        &["--list", "--format", "terse"],
        &[("KTSTR_REPEAT", "5")],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "always_fails: test\nfails_first_attempt_only: test\nfails_one_time_in_five: test\npasses_at_once: test\n"
    );
}
