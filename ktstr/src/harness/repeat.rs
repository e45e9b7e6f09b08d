//! Running one test more than once: `--repeat N` (every test N times, a
//! pass rate and each metric's spread) and, through [`super::retry`], a
//! test's `retries = K`. The main function here is [`run_trial`]; the
//! summary printed after libtest's is [`print_summary`].
//!
//! Every repeat's record and every failed attempt's record is kept (see
//! [`super::kept`] for where); every run of a test first removes the ones
//! a previous run left, so a directory never mixes two runs.

use std::sync::Mutex;

use super::kept::RepeatRecords;
use super::plan::Plan;
use super::record::{failure_message, record_dir, record_value, write_record};
use super::run::{attempt, exit_if_interrupted, judge};
use super::TestEntry;
use crate::compare::Spread;
use libtest_mimic::{Completion, Failed};

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

/// Run `entry` as `plan` says: `--repeat N` above 1 runs it N times, a
/// test with `retries` reruns a failure, anything else runs once.
pub(super) fn run_trial(
    entry: &TestEntry,
    nocapture: bool,
    plan: Plan,
) -> Result<Completion, Failed> {
    super::kept::clear(&record_dir(), &entry.full_name());
    if plan.repeat > 1 {
        repeated(entry, nocapture, plan.repeat)
    } else if entry.spec().retries > 0 {
        super::retry::with_retries(entry, nocapture)
    } else {
        judge(entry, nocapture)
    }
}

/// Run `entry` `n` times; it passes only when every repeat passed.
fn repeated(entry: &TestEntry, nocapture: bool, n: u32) -> Result<Completion, Failed> {
    let name = entry.full_name();
    let mut kept = RepeatRecords::start(&record_dir(), &name, n);
    let mut first_failure = None;
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
        kept.add(record_value(entry, result, reason, &a.sup), reason);
        if let (Some(r), None) = (reason, &first_failure) {
            first_failure = Some((i, failure_message(&name, r, &a.sup, nocapture)));
        }
    }
    let passed = kept.passed();
    let spreads = kept.spreads();
    let rate = format!("passed {passed}/{n}");
    let reason = (passed < kept.count())
        .then(|| format!("{rate} (--repeat {n}: a test passes only when every repeat passes)"));
    note(Note::Repeated {
        test: name.clone(),
        passed,
        runs: kept.count(),
        spreads: spreads.clone(),
    });
    let Some(reason) = reason else {
        kept.finish(None);
        return Ok(Completion::Completed);
    };
    let mut msg = format!("{reason}\n");
    if entry.spec().retries > 0 {
        msg.push_str(&format!(
            "  (its retries = {} are not applied under --repeat: a repeat counts every failure)\n",
            entry.spec().retries
        ));
    }
    for (i, why) in kept.failures() {
        msg.push_str(&format!("  repeat {i} of {n} failed: {}\n", one_line(why)));
    }
    if !spreads.is_empty() {
        msg.push_str(&format!("spread: {}\n", shown(&spreads)));
    }
    if let Some((i, first)) = first_failure {
        msg.push_str(&format!("\n--- repeat {i} of {n} ---\n{first}\n"));
    }
    msg.push_str(&format!("repeats: {}", kept.repeats_dir().display()));
    if let Some(p) = kept.finish(Some(&reason)) {
        msg.push_str(&format!("\nrecord: {}", p.display()));
    }
    Err(msg.into())
}
