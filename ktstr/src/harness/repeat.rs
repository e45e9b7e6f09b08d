//! Running one test more than once: `--repeat N` (every test N times, a
//! pass rate and each metric's spread) and, through [`super::retry`], a
//! test's `retries = K`. The main function here is [`run_trial`]; the
//! summary printed after libtest's is [`print_summary`].
//!
//! Records of `--repeat N`:
//!
//! ```text
//! target/ktstr/<binary>/<test>.json              summary: result, pass rate, spreads
//! target/ktstr/<binary>/repeats/<test>/<i>.json  repeat i of N: a full record
//! ```
//!
//! `ktstr compare` reads the repeats as repeats of the test (its noise
//! estimate) and skips the summary. Every run of a test first removes the
//! repeats a previous run left, so a directory never mixes two runs.

use std::path::PathBuf;
use std::sync::Mutex;

use libtest_mimic::{Completion, Failed};
use serde_json::{json, Value};

use super::plan::Plan;
use super::record::{
    failure_message, file_stem, record_dir, record_path, record_value, write_json, write_record,
};
use super::run::{attempt, exit_if_interrupted, judge};
use super::TestEntry;
use crate::compare::{extract, spread, Spread};

/// The metrics the summary line shows; the records hold them all.
const SHOWN: &[&str] = &["work_rate", "max_gap", "wake_p99"];

/// Something the summary after libtest's reports.
pub(super) enum Note {
    /// A test run with `--repeat`.
    Repeated {
        /// The test.
        test: String,
        /// Repeats that passed.
        passed: usize,
        /// Repeats run.
        runs: usize,
        /// Its metrics' spreads.
        spreads: Vec<Spread>,
    },
    /// A test that passed only after a retry.
    Flaky {
        /// The test.
        test: String,
        /// The attempt that passed.
        attempt: u32,
        /// Attempts allowed.
        of: u32,
        /// Reported ignored (`KTSTR_ACCEPT_FLAKY=1`) rather than failed.
        accepted: bool,
    },
}

static NOTES: Mutex<Vec<Note>> = Mutex::new(Vec::new());

/// Keep `note` for [`print_summary`].
pub(super) fn note(note: Note) {
    NOTES.lock().unwrap_or_else(|e| e.into_inner()).push(note);
}

/// `text` on one line (whitespace runs collapsed), at most 200 characters.
pub(super) fn one_line(text: &str) -> String {
    let s = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match s.char_indices().nth(200) {
        Some((at, _)) => format!("{}...", &s[..at]),
        None => s,
    }
}

/// The spreads of `SHOWN`, comma-separated.
fn shown(spreads: &[Spread]) -> String {
    spreads
        .iter()
        .filter(|s| SHOWN.contains(&s.metric))
        .map(Spread::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Print, on stderr, the pass rate and spreads of every repeated test and
/// every flaky test, after libtest's own summary (which cannot show them).
pub(crate) fn print_summary() {
    let notes = std::mem::take(&mut *NOTES.lock().unwrap_or_else(|e| e.into_inner()));
    let mut repeated = Vec::new();
    let mut flaky = Vec::new();
    for n in &notes {
        match n {
            Note::Repeated {
                test,
                passed,
                runs,
                spreads,
            } => repeated.push(format!(
                "  {test}: passed {passed}/{runs}{}{}",
                if spreads.is_empty() { "" } else { "; " },
                shown(spreads)
            )),
            Note::Flaky {
                test,
                attempt,
                of,
                accepted,
            } => flaky.push(format!(
                "  {test}: FLAKY, passed on attempt {attempt} of {of} ({})",
                if *accepted {
                    "accepted by KTSTR_ACCEPT_FLAKY: reported ignored"
                } else {
                    "reported FAILED"
                }
            )),
        }
    }
    if !repeated.is_empty() {
        eprintln!("ktstr: repeats (a test passes only when every repeat passed):");
        eprintln!("{}", repeated.join("\n"));
    }
    if !flaky.is_empty() {
        eprintln!(
            "ktstr: {} flaky test(s) (a pass after a retry is never a plain pass):",
            flaky.len()
        );
        eprintln!("{}", flaky.join("\n"));
    }
}

/// Where the repeats of test `name` are kept.
fn repeats_dir(name: &str) -> PathBuf {
    record_dir().join("repeats").join(file_stem(name))
}

/// Run `entry` as `plan` says: `--repeat N` above 1 runs it N times, a
/// test with `retries` reruns a failure, anything else runs once.
pub(super) fn run_trial(
    entry: &TestEntry,
    nocapture: bool,
    plan: Plan,
) -> Result<Completion, Failed> {
    let name = entry.full_name();
    let dir = repeats_dir(&name);
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        if e.kind() != std::io::ErrorKind::NotFound {
            eprintln!(
                "ktstr: could not remove the old repeats {}: {e}",
                dir.display()
            );
        }
    }
    if plan.repeat > 1 {
        repeated(entry, nocapture, plan.repeat)
    } else if entry.spec().retries > 0 {
        super::retry::with_retries(entry, nocapture)
    } else {
        judge(entry, nocapture)
    }
}

/// One repeat, for the summary record.
struct Run {
    passed: bool,
    reason: Option<String>,
    /// Its record, relative to the summary's directory (None: not written).
    record: Option<PathBuf>,
}

/// Run `entry` `n` times; it passes only when every repeat passed.
fn repeated(entry: &TestEntry, nocapture: bool, n: u32) -> Result<Completion, Failed> {
    let name = entry.full_name();
    let dir = repeats_dir(&name);
    let mut runs = Vec::new();
    let mut metrics = Vec::new();
    let mut first_failure = None;
    let mut last = Value::Null;
    for i in 1..=n {
        exit_if_interrupted();
        let a = attempt(entry, nocapture);
        if let Some(why) = a.skipped() {
            write_record(entry, "skipped", Some(why), &a.sup);
            return Ok(Completion::ignored_with(format!(
                "{why} (repeat {i} of {n})"
            )));
        }
        let (result, reason) = match &a.verdict {
            Ok(()) => ("passed", None),
            Err(r) => ("failed", Some(r.as_str())),
        };
        let mut rec = record_value(entry, result, reason, &a.sup);
        rec["repeat"] = json!({"index": i, "of": n});
        metrics.push(extract(&rec));
        let record = write_json(&dir.join(format!("{i}.json")), &rec).map(|_| {
            PathBuf::from("repeats")
                .join(file_stem(&name))
                .join(format!("{i}.json"))
        });
        if let (Some(r), None) = (reason, &first_failure) {
            first_failure = Some((i, failure_message(&name, r, &a.sup, nocapture)));
        }
        runs.push(Run {
            passed: reason.is_none(),
            reason: reason.map(str::to_string),
            record,
        });
        last = rec;
    }
    let passed = runs.iter().filter(|r| r.passed).count();
    let spreads = spread(&metrics);
    let rate = format!("passed {passed}/{n}");
    let reason = (passed < runs.len())
        .then(|| format!("{rate} (--repeat {n}: a test passes only when every repeat passes)"));
    let summary = summary_record(last, &runs, &spreads, reason.as_deref());
    let path = write_json(&record_path(&name), &summary);
    note(Note::Repeated {
        test: name.clone(),
        passed,
        runs: runs.len(),
        spreads: spreads.clone(),
    });
    let Some(reason) = reason else {
        return Ok(Completion::Completed);
    };
    let mut msg = format!("{reason}\n");
    if entry.spec().retries > 0 {
        msg.push_str(&format!(
            "  (its retries = {} are not applied under --repeat: a repeat counts every failure)\n",
            entry.spec().retries
        ));
    }
    for (i, r) in runs.iter().enumerate() {
        if let Some(why) = &r.reason {
            msg.push_str(&format!(
                "  repeat {} of {n} failed: {}\n",
                i + 1,
                one_line(why)
            ));
        }
    }
    if !spreads.is_empty() {
        msg.push_str(&format!("spread: {}\n", shown(&spreads)));
    }
    if let Some((i, first)) = first_failure {
        msg.push_str(&format!("\n--- repeat {i} of {n} ---\n{first}\n"));
    }
    msg.push_str(&format!("repeats: {}", dir.display()));
    if let Some(p) = path {
        msg.push_str(&format!("\nrecord: {}", p.display()));
    }
    Err(msg.into())
}

/// The summary record of a repeated test: the last repeat's record without
/// its outcome (the repeats have theirs), with the overall result and a
/// `repeats` block. `ktstr compare` recognises it by that block.
fn summary_record(
    mut last: Value,
    runs: &[Run],
    spreads: &[Spread],
    reason: Option<&str>,
) -> Value {
    if let Some(o) = last.as_object_mut() {
        for k in ["outcome", "faults", "elapsed_ns", "vm", "repeat"] {
            o.remove(k);
        }
    }
    last["result"] = json!(if reason.is_some() { "failed" } else { "passed" });
    last["reason"] = json!(reason);
    let runs: Vec<Value> = runs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            json!({
                "index": i + 1,
                "result": if r.passed { "passed" } else { "failed" },
                "reason": r.reason,
                "record": r.record,
            })
        })
        .collect();
    last["repeats"] = json!({
        "count": runs.len(),
        "passed": runs.iter().filter(|r| r["result"] == "passed").count(),
        "runs": runs,
        "spread": spreads,
    });
    last
}
