//! The child side: run the one test named in `KTSTR_CHILD_TEST` and write
//! its [`TestOutcome`] to the result pipe (fd 3).

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::ExitCode;
use std::time::Instant;

use super::{
    Ctx, FailureKind, RunningScheduler, SchedulerOutcome, Skipped, TestEntry, TestOutcome,
};
use crate::scheduler::SchedulerRun;

/// The environment variable that turns a test binary into a test child.
pub(crate) const ENV_TEST: &str = "KTSTR_CHILD_TEST";
/// The fd the child writes its outcome to.
pub(crate) const RESULT_FD: i32 = 3;

/// Run `entry` in this process and produce its outcome.
pub(crate) fn run_entry(entry: &TestEntry) -> TestOutcome {
    let spec = entry.spec();
    let scheduler = match spec.scheduler.as_ref().map(SchedulerRun::start).transpose() {
        Ok(s) => s,
        Err(e) => {
            return TestOutcome {
                error: Some(format!("{:#}", anyhow::Error::new(e))),
                failure: Some(FailureKind::Scheduler),
                ..TestOutcome::default()
            }
        }
    };
    let mut ctx = Ctx::new(entry.full_name(), &spec);
    if let (Some(run), Some(s)) = (&scheduler, &spec.scheduler) {
        eprintln!(
            "ktstr: scheduler \"{s}\" attached in {:.2} s (ops {:?})",
            run.attached_after().as_secs_f64(),
            run.ops().unwrap_or("?")
        );
        ctx.set_scheduler(RunningScheduler {
            command: s.to_string(),
            pid: run.pid(),
            ops: run.ops().map(String::from),
        });
    }
    let t = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(|| (entry.func)(&mut ctx)));
    let body_ns = t.elapsed().as_nanos() as u64;
    let (groups, verdicts) = ctx.take_record();
    let payloads = ctx.take_payloads();
    let samples = ctx.take_samples();
    let config = Some(ctx.ran_config());
    // A body that skipped itself and then ended with that skip (or Ok).
    let mut skipped = ctx.take_skip().filter(|_| match &result {
        Ok(Ok(())) => true,
        Ok(Err(e)) => e.downcast_ref::<Skipped>().is_some(),
        Err(_) => false,
    });
    // Dropping the context tears down whatever it set up (cgroups) before
    // the outcome is reported.
    drop(ctx);
    let checks_passed = verdicts.iter().all(|v| v.passed());
    let (mut passed, mut error, panicked) = match &result {
        _ if skipped.is_some() => (false, None, false),
        Ok(Ok(())) => (checks_passed, None, false),
        Ok(Err(e)) => (false, Some(format!("{e:#}")), false),
        Err(p) => (
            false,
            Some(format!("panicked: {}", crate::error::panic_message(&**p))),
            true,
        ),
    };
    let mut failure = match &result {
        _ if skipped.is_some() => None,
        Ok(Ok(())) => (!checks_passed).then_some(FailureKind::CheckFailed),
        Ok(Err(e)) => Some(FailureKind::of_error(e)),
        Err(_) => Some(FailureKind::Panicked),
    };
    // A scheduler that died or was ejected fails the test whatever the
    // body concluded: its verdicts were taken without it. Stopping it also
    // checks the kernel fell back to its default.
    let mut sched_outcome = None;
    if let (Some(run), Some(s)) = (scheduler, &spec.scheduler) {
        let mut o = SchedulerOutcome {
            command: s.to_string(),
            ops: run.ops().map(String::from),
            attach_ns: run.attached_after().as_nanos() as u64,
            ..SchedulerOutcome::default()
        };
        let stopped = run.stop();
        if let Ok(st) = &stopped {
            o.exit_ns = Some(st.exit_after.as_nanos() as u64);
            o.killed = st.killed;
        }
        sched_outcome = Some(o);
        if let Err(e) = stopped {
            passed = false;
            failure = Some(FailureKind::Scheduler);
            skipped = None;
            error = Some(match error {
                Some(body) => format!("{e}\n(the body also failed: {body})"),
                None => e.to_string(),
            });
        }
    }
    TestOutcome {
        passed,
        error,
        panicked,
        failure,
        verdicts,
        groups,
        body_ns,
        skipped,
        scheduler: sched_outcome,
        payloads,
        samples,
        config,
    }
}

/// Child main: run the test called `name`, report on fd 3.
pub(crate) fn run_child(name: &str) -> ExitCode {
    let Some(entry) = super::run::entries()
        .into_iter()
        .find(|e| e.full_name() == name)
    else {
        eprintln!("ktstr: this binary has no test named {name:?}");
        return ExitCode::from(2);
    };
    super::teardown::arm();
    let outcome = run_entry(entry);
    // The supervisor dup2'd the write end of the result pipe to fd 3
    // before exec; nothing else in this process owns fd 3.
    let Some(mut pipe) = crate::sys::fd::take_inherited(RESULT_FD) else {
        eprintln!("ktstr: fd {RESULT_FD} (the result pipe) is not open: run tests through their binary, not this child mode by hand");
        return ExitCode::from(3);
    };
    match serde_json::to_vec(&outcome) {
        Ok(bytes) => {
            if let Err(e) = pipe.write_all(&bytes) {
                eprintln!("ktstr: cannot send the test outcome to the supervisor: {e}");
                return ExitCode::from(3);
            }
        }
        Err(e) => {
            eprintln!("ktstr: cannot encode the test outcome: {e}");
            return ExitCode::from(3);
        }
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::{SchedExtSysfs, Scheduler};

    fn skips(ctx: &mut Ctx) -> anyhow::Result<()> {
        ctx.skip("nothing to test here")?;
        anyhow::bail!("ran on after skip")
    }

    fn skips_then_swallows(ctx: &mut Ctx) -> anyhow::Result<()> {
        let _ = ctx.skip("swallowed");
        Ok(())
    }

    fn skips_then_fails(ctx: &mut Ctx) -> anyhow::Result<()> {
        let _ = ctx.skip("not really");
        anyhow::bail!("a real failure")
    }

    fn entry(func: crate::harness::entry::TestFn) -> TestEntry {
        TestEntry {
            name: "t",
            func,
            ..TestEntry::DEFAULT
        }
    }

    #[test]
    fn the_outcome_says_what_the_body_ran_and_the_work_type_is_built_in_the_child() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static BUILT: AtomicUsize = AtomicUsize::new(0);
        fn spec() -> crate::harness::TestSpec {
            crate::harness::TestSpec::default()
                .work_type(|| {
                    BUILT.fetch_add(1, Ordering::SeqCst);
                    crate::workload::WorkType::Mixed
                })
                .max_gap_ms(700)
                .off(crate::check::ThresholdKey::MaxSpreadPct)
        }
        fn body(ctx: &mut Ctx) -> anyhow::Result<()> {
            ctx.workers = 3;
            ctx.thresholds.max_gap_ms = Some(900);
            ctx.spawn(&ctx.config())?.stop_and_collect();
            Ok(())
        }
        let e = TestEntry {
            spec,
            ..entry(body)
        };
        let _listed = e.spec();
        assert_eq!(
            BUILT.load(Ordering::SeqCst),
            0,
            "listing builds no work type"
        );
        let o = run_entry(&e);
        assert_eq!(BUILT.load(Ordering::SeqCst), 1);
        assert!(o.passed, "{o:?}");
        let c = o.config.expect("the child's config");
        assert_eq!(c["workers"], 3, "{c}");
        assert_eq!(c["work_type"], "Mixed");
        assert_eq!(c["thresholds"]["max_gap_ms"], 900);
        assert_eq!(c["thresholds"]["max_spread_pct"], serde_json::Value::Null);
        assert_eq!(c["workloads"][0]["config"]["num_workers"], 3);
        assert_eq!(c["workloads"][0]["group"], "workload");
    }

    #[test]
    fn a_skip_is_neither_passed_nor_failed_unless_the_body_fails_otherwise() {
        let o = run_entry(&entry(skips));
        assert_eq!(o.skipped.as_deref(), Some("nothing to test here"));
        assert!(!o.passed && o.error.is_none(), "{o:?}");
        let o = run_entry(&entry(skips_then_swallows));
        assert_eq!(o.skipped.as_deref(), Some("swallowed"));
        let o = run_entry(&entry(skips_then_fails));
        assert_eq!(o.skipped, None);
        assert!(!o.passed && o.error.unwrap().contains("a real failure"));
    }

    #[test]
    fn a_scheduler_that_cannot_start_fails_the_test_before_its_body() {
        fn body(_: &mut Ctx) -> anyhow::Result<()> {
            panic!("the body ran without its scheduler")
        }
        fn spec() -> crate::harness::TestSpec {
            crate::harness::TestSpec::default().scheduler(Scheduler::new("/bin/true"))
        }
        let e = TestEntry {
            spec,
            ..entry(body)
        };
        let o = run_entry(&e);
        assert!(!o.passed && !o.panicked, "{o:?}");
        let err = o.error.unwrap();
        if SchedExtSysfs::default().present() {
            // /bin/true exits before attaching.
            assert!(err.contains("before attaching"), "{err}");
        } else {
            assert!(err.contains("needs sched_ext"), "{err}");
        }
    }
}
