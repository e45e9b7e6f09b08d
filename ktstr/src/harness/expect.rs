//! [`ShouldFail`]: what a test expects of its own ending, and the
//! judgement of what its child reported against it.
//!
//! A `should_fail` verdict is exact, like libtest's
//! `#[should_panic(expected = "...")]`: a test that expects a failed check
//! and instead could not spawn its workers, panicked, lost its scheduler or
//! timed out has failed, and says what was expected and what happened.

use super::{FailureKind, TestOutcome};

/// How a test is expected to end (the attribute's `should_fail` key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ShouldFail {
    /// The test must pass (the default; `should_fail = false`).
    No,
    /// `should_fail` or `should_fail = true`: the test passes only when a
    /// check failed ([`FailureKind::CheckFailed`]). Any other failure — an
    /// error the body returns (a failed spawn), a panic, a scheduler that
    /// died, a timeout or crash of the test process — fails it.
    Check,
    /// `should_fail = "text"`: the test passes only when its body failed —
    /// a failed check, an error it returned or a panic — with a message
    /// that contains `text`. A scheduler failure, a timeout or a crash of
    /// the test process never counts.
    WithMessage(&'static str),
}

impl ShouldFail {
    /// Whether the test is expected to fail at all.
    pub fn expects_failure(self) -> bool {
        self != ShouldFail::No
    }

    /// The expectation in words, for messages.
    fn expected(self) -> String {
        match self {
            ShouldFail::No => "the test to pass".into(),
            ShouldFail::Check => "a failed check (should_fail)".into(),
            ShouldFail::WithMessage(t) => {
                format!("a failure whose message contains {t:?} (should_fail = {t:?})")
            }
        }
    }
}

/// The text a failed outcome is matched against: the body's error (or
/// panic message), else the failed checks' messages.
fn failure_text(o: &TestOutcome) -> String {
    o.error.clone().unwrap_or_else(|| {
        o.verdicts
            .iter()
            .flat_map(|v| v.failures())
            .map(|r| r.message.clone())
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// Judge what the child reported (`Ok`) or why it reported nothing
/// (`Err`: a timeout, a signal, an early exit) against `expect`. `Ok` means
/// the test passed; `Err` carries the reason it failed.
pub(crate) fn judge_outcome(
    expect: ShouldFail,
    outcome: &Result<TestOutcome, String>,
) -> Result<(), String> {
    let o = match (expect, outcome) {
        (ShouldFail::No, Err(why)) => return Err(why.clone()),
        (_, Err(why)) => {
            return Err(format!(
                "expected {}, but the test process ended without a result: {why}",
                expect.expected()
            ))
        }
        (_, Ok(o)) => o,
    };
    let text = failure_text(o);
    if o.passed {
        return match expect {
            ShouldFail::No => Ok(()),
            _ => Err(format!(
                "expected the test to fail (should_fail) but it passed: expected {}",
                expect.expected()
            )),
        };
    }
    let kind = o.failure.unwrap_or(if o.panicked {
        FailureKind::Panicked
    } else {
        FailureKind::Error
    });
    let matched = match expect {
        ShouldFail::No => false,
        ShouldFail::Check => kind == FailureKind::CheckFailed,
        ShouldFail::WithMessage(t) => kind != FailureKind::Scheduler && text.contains(t),
    };
    if matched {
        return Ok(());
    }
    let text = if text.is_empty() {
        "a check failed".to_string()
    } else {
        text
    };
    match expect {
        ShouldFail::No => Err(text),
        _ => Err(format!(
            "expected {}, but the test failed with {}: {text}",
            expect.expected(),
            kind.describe()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(kind: FailureKind, error: &str) -> Result<TestOutcome, String> {
        Ok(TestOutcome {
            passed: false,
            error: Some(error.into()),
            panicked: kind == FailureKind::Panicked,
            failure: Some(kind),
            ..TestOutcome::default()
        })
    }

    #[test]
    fn bare_should_fail_needs_a_failed_check() {
        let check = failed(FailureKind::CheckFailed, "1 check(s) failed: spread");
        assert_eq!(judge_outcome(ShouldFail::Check, &check), Ok(()));
        let spawn = failed(FailureKind::Error, "spawn 2 x SpinWait workers: EAGAIN");
        let e = judge_outcome(ShouldFail::Check, &spawn).unwrap_err();
        assert!(
            e.starts_with("expected a failed check (should_fail), but the test failed with an error returned by the body: spawn 2 x SpinWait"),
            "{e}"
        );
        for kind in [FailureKind::Panicked, FailureKind::Scheduler] {
            assert!(judge_outcome(ShouldFail::Check, &failed(kind, "x")).is_err());
        }
        let e = judge_outcome(ShouldFail::Check, &Err("timed out after 2 s".into())).unwrap_err();
        assert!(
            e.contains("ended without a result: timed out after 2 s"),
            "{e}"
        );
        let passed = Ok(TestOutcome {
            passed: true,
            ..TestOutcome::default()
        });
        let e = judge_outcome(ShouldFail::Check, &passed).unwrap_err();
        assert!(
            e.contains("expected the test to fail (should_fail) but it passed"),
            "{e}"
        );
        assert_eq!(judge_outcome(ShouldFail::No, &passed), Ok(()));
    }

    #[test]
    fn should_fail_with_text_matches_the_message() {
        let want = ShouldFail::WithMessage("CPU shares");
        let check = failed(FailureKind::CheckFailed, "cg_0: CPU shares 60 pp apart");
        assert_eq!(judge_outcome(want, &check), Ok(()));
        let other = failed(FailureKind::CheckFailed, "worker 1 stalled 3000 ms");
        let e = judge_outcome(want, &other).unwrap_err();
        assert!(
            e.contains("expected a failure whose message contains \"CPU shares\"")
                && e.contains("but the test failed with a failed check: worker 1 stalled"),
            "{e}"
        );
        let panic = failed(FailureKind::Panicked, "panicked: CPU shares unknown");
        assert_eq!(judge_outcome(want, &panic), Ok(()));
        let sched = failed(FailureKind::Scheduler, "scheduler died; CPU shares");
        assert!(judge_outcome(want, &sched).is_err());
    }

    #[test]
    fn a_failed_verdict_without_an_error_still_matches() {
        let o = Ok(TestOutcome {
            passed: false,
            failure: Some(FailureKind::CheckFailed),
            ..TestOutcome::default()
        });
        assert_eq!(judge_outcome(ShouldFail::Check, &o), Ok(()));
        assert_eq!(
            judge_outcome(ShouldFail::No, &o),
            Err("a check failed".into())
        );
    }
}
