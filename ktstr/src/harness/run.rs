//! The harness main: libtest-compatible arguments, one trial per
//! registered test, each run in a supervised child.

use std::process::ExitCode;
use std::time::Duration;

use libtest_mimic::{Arguments, Completion, Failed, FormatSetting, Trial};

use super::child::{run_child, ENV_TEST};
use super::expect::judge_outcome;
use super::plan::Plan;
use super::record::{failure_message, write_record};
use super::requirements::unmet;
use super::supervise::{supervise, Options, Supervised};
use super::vm::{placement, supervise_in_vm, unmet_in_vm, Placement};
use super::{TestEntry, TestOutcome, TestSpec};

/// Slack added to a test's workload duration for its default timeout.
const TIMEOUT_SLACK: Duration = Duration::from_secs(30);

/// Every registered test, sorted by full name.
pub(crate) fn entries() -> Vec<&'static TestEntry> {
    let mut v: Vec<&'static TestEntry> = inventory::iter::<TestEntry>.into_iter().collect();
    v.sort_by_key(|e| e.full_name());
    v
}

/// `KTSTR_TIMEOUT_SCALE`: multiply every timeout (for slow VMs).
pub(crate) fn timeout_scale() -> f64 {
    std::env::var("KTSTR_TIMEOUT_SCALE")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(1.0)
}

/// The timeout of a test: its `timeout`, else twice its duration plus
/// 30 s (plus the scheduler's attach, stop and fall-back deadlines when it
/// has one), times `KTSTR_TIMEOUT_SCALE`.
pub(crate) fn timeout_of(entry: &TestSpec) -> Duration {
    use crate::scheduler::{ATTACH_DEADLINE, FALLBACK_DEADLINE, STOP_DEADLINE};
    let sched = match entry.scheduler {
        Some(_) => ATTACH_DEADLINE + STOP_DEADLINE + FALLBACK_DEADLINE,
        None => Duration::ZERO,
    };
    let base = entry
        .timeout
        .unwrap_or(entry.duration * 2 + TIMEOUT_SLACK + sched);
    base.mul_f64(timeout_scale())
}

/// One supervised run of a test and its verdict.
pub(super) struct Attempt {
    /// What the supervisor saw.
    pub sup: Supervised,
    /// `Ok`: passed (or skipped, see [`Attempt::skipped`]); `Err`: why it
    /// failed.
    pub verdict: Result<(), String>,
}

impl Attempt {
    /// The reason the body skipped itself, when it passed by skipping.
    pub fn skipped(&self) -> Option<&str> {
        match (&self.verdict, &self.sup.outcome) {
            (Ok(()), Ok(o)) => o.skipped.as_deref(),
            _ => None,
        }
    }
}

/// Run `entry` once, supervised (or in its VM), and judge it.
pub(super) fn attempt(entry: &TestEntry, nocapture: bool) -> Attempt {
    let name = entry.full_name();
    let spec = entry.spec();
    let sup = match placement(&spec) {
        Placement::Vm(vm) => supervise_in_vm(entry, &vm, nocapture),
        _ => supervise(
            &name,
            Options {
                nocapture,
                timeout: timeout_of(&spec),
            },
        ),
    };
    if let Some(sig) = sup.interrupted {
        exit_interrupted(&name, sig);
    }
    let verdict = match &sup.outcome {
        // Ctx::skip: reported ignored below (whatever should_fail says).
        Ok(o) if o.skipped.is_some() => Ok(()),
        outcome => judge_outcome(spec.should_fail, outcome),
    };
    // A test process that did not end by itself may have left cgroups:
    // its RAII cleanup never ran. Remove them now, not at the next run.
    let mut sup = sup;
    if sup.outcome.is_err() && nix::unistd::geteuid().is_root() {
        if let Ok(removed) = crate::cgroup::CgroupManager::remove_stale() {
            if !removed.is_empty() {
                sup.faults.push(format!(
                    "left cgroup(s) behind: removed {}",
                    removed.join(", ")
                ));
            }
        }
    }
    let verdict = match (verdict, sup.faults.is_empty()) {
        (v, true) => v,
        (Ok(()), false) => Err(sup.faults.join("; ")),
        (Err(why), false) => Err(format!("{why}; also {}", sup.faults.join("; "))),
    };
    Attempt { sup, verdict }
}

/// Judge a supervised run: Ok to pass (or ignored, for a body that
/// skipped itself), Err with the message to fail.
pub(super) fn judge(entry: &TestEntry, nocapture: bool) -> Result<Completion, Failed> {
    let name = entry.full_name();
    let Attempt { sup, verdict } = attempt(entry, nocapture);
    if let (
        Ok(()),
        Ok(TestOutcome {
            skipped: Some(why), ..
        }),
    ) = (&verdict, &sup.outcome)
    {
        write_record(entry, "skipped", Some(why), &sup);
        return Ok(Completion::ignored_with(why.clone()));
    }
    match &verdict {
        Ok(()) => {
            write_record(entry, "passed", None, &sup);
            Ok(Completion::Completed)
        }
        Err(reason) => {
            let path = write_record(entry, "failed", Some(reason), &sup);
            let mut msg = failure_message(&name, reason, &sup, nocapture);
            if let Some(p) = path {
                msg.push_str(&format!("\nrecord: {}", p.display()));
            }
            Err(msg.into())
        }
    }
}

/// The harness was interrupted while `test` ran and the test process has
/// been stopped: remove what it may have left, say so, and exit the way a
/// shell expects (130 for SIGINT, 143 for SIGTERM).
fn exit_interrupted(test: &str, sig: nix::sys::signal::Signal) -> ! {
    let mut removed = Vec::new();
    if nix::unistd::geteuid().is_root() {
        removed = crate::cgroup::CgroupManager::remove_stale().unwrap_or_default();
    }
    let left = if removed.is_empty() {
        String::new()
    } else {
        format!(" (removed cgroups it left: {})", removed.join(", "))
    };
    println!();
    eprintln!(
        "ktstr: interrupted by {} while running {test}: stopped the test process{left}",
        sig.as_str()
    );
    use std::io::Write;
    let _ = std::io::stdout().flush();
    std::process::exit(128 + sig as i32)
}

/// Exit at once if the harness was interrupted between tests.
pub(super) fn exit_if_interrupted() {
    if let Some(code) = crate::interrupt::exit_code() {
        eprintln!("ktstr: interrupted; no further tests run");
        std::process::exit(i32::from(code));
    }
}

/// Remove cgroup parents left by runs that died, and say so once.
fn remove_stale_parents() {
    if !nix::unistd::geteuid().is_root() {
        return;
    }
    match crate::cgroup::CgroupManager::remove_stale() {
        Ok(removed) if !removed.is_empty() => eprintln!(
            "ktstr: removed {} cgroup parent(s) left by runs that died: {}",
            removed.len(),
            removed.join(", ")
        ),
        _ => {}
    }
}

/// Why the payload programs a test declares are not all on this host's
/// `$PATH` (a VM test packs them from there too), or None.
fn missing_payloads(spec: &TestSpec) -> Option<String> {
    let missing: Vec<String> = spec
        .payloads
        .iter()
        .filter_map(|p| crate::payload::find_program(p).err())
        .map(|e| e.to_string())
        .collect();
    (!missing.is_empty()).then(|| format!("needs its payloads: {}", missing.join("; ")))
}

fn join_reasons(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(format!("{a}; {b}")),
        (a, b) => a.or(b),
    }
}

fn trial(entry: &'static TestEntry, args: &Arguments, plan: Plan) -> Trial {
    let spec = entry.spec();
    let missing = match placement(&spec) {
        Placement::Host => unmet(&spec.requires, spec.scheduler.as_ref(), spec.cgroups),
        // The guest runs as root with sched_ext; the kernel is checked
        // when the VM is built.
        Placement::Vm(vm) => unmet_in_vm(&spec.requires, &vm),
        Placement::NoVm(why) => Some(why),
    };
    let missing = join_reasons(missing, missing_payloads(&spec));
    let listing = args.list || args.ignored;
    let ignore = spec.ignore;
    let flagged = (missing.is_some() || ignore.is_some()) && listing;
    let run_ignored = args.ignored || args.include_ignored;
    let nocapture = args.nocapture;
    Trial::ignorable_test(entry.full_name(), move || {
        exit_if_interrupted();
        if let Some(why) = missing {
            return Ok(Completion::ignored_with(why));
        }
        if let Some(reason) = ignore {
            if !run_ignored {
                let reason = if reason.is_empty() { "ignored" } else { reason };
                return Ok(Completion::ignored_with(reason));
            }
        }
        super::repeat::run_trial(entry, nocapture, plan)
    })
    .with_ignored_flag(flagged)
}

/// The harness main. In a test child (`KTSTR_CHILD_TEST` set) it runs that
/// one test; otherwise it parses libtest's arguments, runs the selected
/// tests one at a time (default `--test-threads 1`: scheduler tests disturb
/// each other), and returns libtest's exit code (101 on failure).
///
/// `KTSTR_JSON=1` selects `--format json`. `--repeat N` (taken out of the
/// arguments before libtest-mimic sees them) or `KTSTR_REPEAT=N` runs each
/// test N times ([`Plan`]); a usage error there exits 2. After libtest's
/// summary, the pass rates of repeated tests and the flaky tests are
/// printed on stderr.
pub fn run_tests() -> ExitCode {
    crate::vm::guest_init_if_asked();
    if let Ok(name) = std::env::var(ENV_TEST) {
        return run_child(&name);
    }
    let (plan, argv) = match Plan::from_env_and_args(std::env::args_os()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("ktstr: {e}");
            return ExitCode::from(2);
        }
    };
    let mut args = Arguments::from_iter(argv);
    if args.test_threads.is_none() {
        args.test_threads = Some(1);
    }
    if std::env::var_os("KTSTR_JSON").is_some_and(|v| v != "0") {
        args.format = Some(FormatSetting::Json);
    }
    let all = entries();
    if let Some(dup) = all
        .windows(2)
        .find(|w| w[0].full_name() == w[1].full_name())
    {
        eprintln!("ktstr: two tests are named {}", dup[0].full_name());
        return ExitCode::from(2);
    }
    if !args.list {
        if let Err(e) = crate::interrupt::install() {
            eprintln!("ktstr: warning: cannot install the Ctrl-C handler ({e}); an interrupted run may leave a test running");
        }
        remove_stale_parents();
    }
    let trials = all.into_iter().map(|e| trial(e, &args, plan)).collect();
    let code = libtest_mimic::run(&args, trials).exit_code();
    super::repeat::print_summary();
    code
}
