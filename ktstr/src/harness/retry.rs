//! `retries = K`: rerun a failed test up to K times, and report a pass
//! after a retry as FLAKY, never as a plain pass.
//!
//! A retry that passes does not make a scheduler bug go away; it only
//! says the bug is intermittent. So by default a flaky test FAILS (exit
//! 101; nextest shows FAIL), with a message that starts with `FLAKY:`,
//! says which attempt passed and shows every failed attempt. With
//! `KTSTR_ACCEPT_FLAKY=1` it is reported *ignored* with the reason
//! `FLAKY: passed on attempt 2 of 3` instead: it no longer fails the run,
//! and is still not counted as passed. Either way the record's `result`
//! is `"flaky"`, with a `flaky` block listing the failed attempts, and
//! the summary after libtest's lists it. Each failed attempt's full record
//! is kept too (`attempts/<test>/<k>.json`, see [`super::kept`]), listed
//! by the test's record.

use libtest_mimic::{Completion, Failed};
use serde_json::json;

use super::kept::write_attempt;
use super::record::{
    failure_message, record_dir, record_path, record_value, write_json, write_record,
};
use super::repeat::{note, one_line, Note};
use super::run::{attempt, exit_if_interrupted, Attempt};
use super::TestEntry;

/// The environment variable that reports flaky tests ignored instead of
/// failed.
pub const ENV_ACCEPT_FLAKY: &str = "KTSTR_ACCEPT_FLAKY";

/// Whether `KTSTR_ACCEPT_FLAKY` is set (and not `0`).
fn accept_flaky() -> bool {
    std::env::var_os(ENV_ACCEPT_FLAKY).is_some_and(|v| !v.is_empty() && v != "0")
}

/// A failed attempt.
struct Failure {
    attempt: u32,
    reason: String,
    message: String,
    elapsed_ns: u64,
    /// Its full record, relative to the record directory (None: not written).
    record: Option<std::path::PathBuf>,
}

fn failures_json(failures: &[Failure]) -> serde_json::Value {
    failures
        .iter()
        .map(|f| {
            json!({
                "attempt": f.attempt,
                "reason": f.reason,
                "elapsed_ns": f.elapsed_ns,
                "record": f.record,
            })
        })
        .collect()
}

/// Run `entry` until it passes, at most `entry.spec().retries + 1` times.
pub(super) fn with_retries(entry: &TestEntry, nocapture: bool) -> Result<Completion, Failed> {
    let name = entry.full_name();
    let tries = entry.spec().retries + 1;
    let mut failures: Vec<Failure> = Vec::new();
    let mut last = None;
    for k in 1..=tries {
        exit_if_interrupted();
        let a = attempt(entry, nocapture);
        if let Some(why) = a.skipped() {
            write_record(entry, "skipped", Some(why), &a.sup);
            return Ok(Completion::ignored_with(why));
        }
        match &a.verdict {
            Ok(()) if failures.is_empty() => {
                write_record(entry, "passed", None, &a.sup);
                return Ok(Completion::Completed);
            }
            Ok(()) => return flaky(entry, k, &failures, &a),
            Err(reason) => {
                let rec = record_value(entry, "failed", Some(reason), &a.sup);
                failures.push(Failure {
                    record: write_attempt(&record_dir(), &name, k, tries, rec),
                    attempt: k,
                    reason: reason.clone(),
                    message: failure_message(&name, reason, &a.sup, nocapture),
                    elapsed_ns: a.sup.elapsed.as_nanos() as u64,
                });
            }
        }
        last = Some(a);
    }
    let (Some(a), Some(f)) = (last, failures.last()) else {
        unreachable!("at least one attempt ran and failed");
    };
    let reason = format!(
        "failed all {tries} attempts (retries = {}): not flaky, a consistent failure; last: {}",
        entry.spec().retries,
        f.reason
    );
    let mut rec = record_value(entry, "failed", Some(&reason), &a.sup);
    rec["attempts"] = json!({"count": tries, "failures": failures_json(&failures)});
    let path = write_json(&record_path(&name), &rec);
    let mut msg = format!(
        "failed all {tries} attempts (retries = {})\n",
        entry.spec().retries
    );
    for f in &failures[..failures.len() - 1] {
        msg.push_str(&format!(
            "  attempt {} failed: {}\n",
            f.attempt,
            one_line(&f.reason)
        ));
    }
    msg.push_str(&format!("\n--- attempt {tries} ---\n{}", f.message));
    if let Some(p) = path {
        msg.push_str(&format!("\nrecord: {}", p.display()));
    }
    Err(msg.into())
}

/// `entry` passed on attempt `k` after `failures`: report it flaky.
fn flaky(
    entry: &TestEntry,
    k: u32,
    failures: &[Failure],
    passed: &Attempt,
) -> Result<Completion, Failed> {
    let name = entry.full_name();
    let tries = entry.spec().retries + 1;
    let accepted = accept_flaky();
    let failed: Vec<String> = failures.iter().map(|f| f.attempt.to_string()).collect();
    let head = format!(
        "FLAKY: passed on attempt {k} of {tries} after failing attempt(s) {} (retries = {})",
        failed.join(", "),
        entry.spec().retries
    );
    let mut rec = record_value(entry, "flaky", Some(&head), &passed.sup);
    rec["flaky"] = json!({
        "attempts": k,
        "retries": entry.spec().retries,
        "accepted": accepted,
        "failures": failures_json(failures),
    });
    let path = write_json(&record_path(&name), &rec);
    note(Note::Flaky {
        test: name.clone(),
        attempt: k,
        of: tries,
        accepted,
    });
    if accepted {
        return Ok(Completion::ignored_with(format!(
            "{head}; accepted by {ENV_ACCEPT_FLAKY}"
        )));
    }
    let mut msg = format!(
        "{head}\na pass after a retry is not a pass: the failure is intermittent, not gone; \
         set {ENV_ACCEPT_FLAKY}=1 to report flaky tests ignored instead of failed\n"
    );
    for f in failures {
        msg.push_str(&format!(
            "\n--- attempt {} failed ---\n{}\n",
            f.attempt, f.message
        ));
    }
    if let Some(p) = path {
        msg.push_str(&format!("record: {}", p.display()));
    }
    Err(msg.into())
}
