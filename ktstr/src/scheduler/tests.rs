//! [`SchedulerRun`] against a fake sched_ext: a temp dir holding
//! `sys/kernel/sched_ext/{state,root/ops}` and a kernel log file, and
//! shell scripts that play a scheduler by writing into them.

use std::path::PathBuf;
use std::time::Duration;

use super::*;

struct Fake {
    dir: tempfile::TempDir,
    sysfs: SchedExtSysfs,
    kmsg: PathBuf,
}

fn fake() -> Fake {
    let dir = tempfile::tempdir().unwrap();
    let sysfs = SchedExtSysfs::at(dir.path());
    std::fs::create_dir_all(sysfs.dir().join("root")).unwrap();
    std::fs::write(sysfs.state_path(), "disabled\n").unwrap();
    std::fs::write(sysfs.ops_path(), "").unwrap();
    let kmsg = dir.path().join("kmsg");
    std::fs::write(
        &kmsg,
        "6,1,1,-;sched_ext: BPF scheduler \"stale\" disabled (old)\n",
    )
    .unwrap();
    Fake { dir, sysfs, kmsg }
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

impl Fake {
    /// A scheduler that runs `body` under /bin/sh with $STATE, $OPS and
    /// $KMSG set (run through sh, not exec'd: a just-written script can be
    /// "text file busy" while other test threads fork).
    fn scheduler(&self, body: &str) -> Scheduler {
        let path = self.dir.path().join("sched.sh");
        let text = format!(
            "STATE={}\nOPS={}\nKMSG={}\n{body}\n",
            self.sysfs.state_path().display(),
            self.sysfs.ops_path().display(),
            self.kmsg.display()
        );
        std::fs::write(&path, text).unwrap();
        let args: &'static [&'static str] =
            Box::leak(vec![leak(path.display().to_string())].into_boxed_slice());
        Scheduler::new("/bin/sh").args(args).ops_prefix("fake")
    }

    fn opts(&self) -> RunOptions {
        RunOptions {
            sysfs: self.sysfs.clone(),
            kmsg: Some(self.kmsg.clone()),
            scale: 1.0,
            attach_deadline: Duration::from_secs(3),
            stop_deadline: Duration::from_secs(3),
            fallback_deadline: Duration::from_secs(1),
            poll: Duration::from_millis(20),
        }
    }
}

const ATTACH: &str = "echo enabled > $STATE; echo fake_1.0_x86_64 > $OPS";
const DETACH_ON_INT: &str = "trap 'echo \"EXIT: unregistered from user space\"; \
     echo disabled > $STATE; : > $OPS; exit 0' INT\n\
     while :; do sleep 0.05; done";

fn failure(e: SchedulerError) -> SchedulerFailure {
    match e {
        SchedulerError::Failed(f) => *f,
        other => panic!("expected a failure after start, got {other}"),
    }
}

#[test]
fn a_good_scheduler_attaches_runs_and_detaches_on_sigint() {
    let f = fake();
    let s = f.scheduler(&format!("echo starting; {ATTACH}\n{DETACH_ON_INT}"));
    let run = SchedulerRun::start_with(&s, f.opts()).unwrap();
    assert_eq!(run.ops(), Some("fake_1.0_x86_64"));
    assert!(run.attached_after() < Duration::from_secs(3));
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(run.failure_seen(), None);
    let stopped = run.stop().unwrap();
    assert!(!stopped.killed, "it exits on SIGINT");
    assert!(stopped.output_tail.contains("starting"), "{stopped:?}");
    assert_eq!(f.sysfs.state().as_deref(), Some("disabled"));
}

#[test]
fn exiting_before_attaching_fails_with_its_output() {
    let f = fake();
    let s = f.scheduler("echo 'libbpf: prog verification failed' >&2; exit 3");
    let e = failure(SchedulerRun::start_with(&s, f.opts()).unwrap_err());
    assert_eq!(e.kind, FailureKind::ExitedBeforeAttach);
    assert!(e.what.contains("exit status: 3"), "{e}");
    assert_eq!(e.after_attach, None);
    assert!(e.output_tail.contains("verification failed"), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("into the run") && text.contains("no sched_ext"),
        "{text}"
    );
}

#[test]
fn never_attaching_fails_at_the_deadline() {
    let f = fake();
    let s = f.scheduler("echo loading; sleep 30");
    let mut o = f.opts();
    o.attach_deadline = Duration::from_millis(300);
    let t = std::time::Instant::now();
    let e = failure(SchedulerRun::start_with(&s, o).unwrap_err());
    assert_eq!(e.kind, FailureKind::NotAttached);
    assert!(e.what.contains("state \"disabled\""), "{e}");
    assert!(e.at >= Duration::from_millis(300));
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "SIGINT ended the sleep"
    );
}

#[test]
fn another_schedulers_ops_is_not_attached() {
    let f = fake();
    let s = f.scheduler("echo enabled > $STATE; echo other_2.0 > $OPS; sleep 30");
    let mut o = f.opts();
    o.attach_deadline = Duration::from_millis(300);
    let e = failure(SchedulerRun::start_with(&s, o).unwrap_err());
    assert_eq!(e.kind, FailureKind::WrongOps);
    assert!(e.what.contains("other_2.0"), "{e}");
}

#[test]
fn ejected_by_the_kernel_fails_with_the_kernels_reason_and_the_dump() {
    let f = fake();
    let rule = "=".repeat(80);
    let s = f.scheduler(&format!(
        "{ATTACH}\necho 'stats: 5 dispatches'\nsleep 0.3\n\
         printf '\\nDEBUG DUMP\\n{rule}\\n\\nsh[1] triggered exit kind 1026:\\n  runnable task stall\\n{rule}\\n\\nEXIT: runnable task stall (t[7] failed to run for 5.0s)\\n'\n\
         echo '3,10,10,-;sched_ext: BPF scheduler \"fake_1.0_x86_64\" disabled (runnable task stall)' >> $KMSG\n\
         echo '3,11,11,-;sched_ext: fake_1.0_x86_64: t[7] failed to run for 5.0s' >> $KMSG\n\
         echo disabled > $STATE\nsleep 5; exit 1"
    ));
    let run = SchedulerRun::start_with(&s, f.opts()).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let (kind, at) = run.failure_seen().expect("the watcher saw it");
    assert_eq!(kind, FailureKind::Ejected);
    assert!(
        at >= Duration::from_millis(300) && at < Duration::from_millis(1500),
        "{at:?}"
    );
    let e = run.stop().unwrap_err();
    assert_eq!(e.kind, FailureKind::Ejected);
    let k = e.kernel.as_ref().expect("the kernel's reason");
    assert_eq!(k.reason, "runnable task stall");
    assert_eq!(
        k.name, "fake_1.0_x86_64",
        "the stale line before start is not used"
    );
    assert_eq!(k.detail.as_deref(), Some("t[7] failed to run for 5.0s"));
    let dump = e.exit_dump.as_deref().unwrap();
    assert!(
        dump.starts_with("sh[1] triggered exit kind 1026:"),
        "{dump}"
    );
    assert!(dump.contains("EXIT: runnable task stall"), "{dump}");
    assert!(e.output_tail.contains("stats: 5 dispatches"));
    let text = e.to_string();
    assert!(text.contains("was ejected by the kernel"), "{text}");
    assert!(text.contains("s after it attached)"), "{text}");
    assert!(text.contains("disabled (runnable task stall)"), "{text}");
}

#[test]
fn exiting_during_the_test_fails() {
    let f = fake();
    let s = f.scheduler(&format!("{ATTACH}\nsleep 0.3\necho bye\nexit 4"));
    let run = SchedulerRun::start_with(&s, f.opts()).unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    let e = run.stop().unwrap_err();
    assert_eq!(e.kind, FailureKind::Exited);
    assert!(e.what.contains("exit status: 4"), "{e}");
    assert!(e.output_tail.contains("bye"));
    assert!(e.after_attach.unwrap() >= Duration::from_millis(250), "{e}");
}

#[test]
fn a_kernel_that_does_not_fall_back_is_reported() {
    let f = fake();
    let s = f.scheduler(&format!(
        "{ATTACH}\ntrap 'exit 0' INT\nwhile :; do sleep 0.05; done"
    ));
    let run = SchedulerRun::start_with(&s, f.opts()).unwrap();
    let e = run.stop().unwrap_err();
    assert_eq!(e.kind, FailureKind::NoFallback);
    assert!(e.what.contains("state \"enabled\""), "{e}");
}

#[test]
fn one_that_ignores_sigint_is_killed_at_the_deadline() {
    let f = fake();
    let s = f.scheduler(&format!(
        "{ATTACH}\ntrap 'echo disabled > $STATE' INT\nwhile :; do sleep 0.05; done"
    ));
    let mut o = f.opts();
    o.stop_deadline = Duration::from_millis(300);
    let run = SchedulerRun::start_with(&s, o).unwrap();
    let stopped = run.stop().unwrap();
    assert!(stopped.killed && stopped.exit_after >= Duration::from_millis(300));
}

#[test]
fn busy_and_missing_sched_ext_are_refused_before_starting() {
    let f = fake();
    std::fs::write(f.sysfs.state_path(), "enabled\n").unwrap();
    std::fs::write(f.sysfs.ops_path(), "other\n").unwrap();
    let s = f.scheduler("exit 0");
    let t = std::time::Instant::now();
    let e = SchedulerRun::start_with(&s, f.opts()).unwrap_err();
    assert!(
        matches!(&e, SchedulerError::Busy { ops: Some(o), .. } if o == "other"),
        "{e}"
    );
    assert!(
        t.elapsed() >= Duration::from_secs(1),
        "it waited for a leaving one"
    );
    let mut o = f.opts();
    o.sysfs = SchedExtSysfs::at(f.dir.path().join("nowhere"));
    let e = SchedulerRun::start_with(&s, o).unwrap_err();
    assert!(e.to_string().contains("needs sched_ext"), "{e}");
    let e = SchedulerRun::start_with(&Scheduler::new("scx_no_such_thing"), f.opts()).unwrap_err();
    assert!(e.to_string().contains("./scripts/setup --vm"), "{e}");
}

#[test]
fn it_waits_for_the_previous_scheduler_to_leave() {
    let f = fake();
    std::fs::write(f.sysfs.state_path(), "disabling\n").unwrap();
    let state = f.sysfs.state_path();
    let leaving = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        std::fs::write(state, "disabled\n").unwrap();
    });
    let s = f.scheduler(&format!("{ATTACH}\n{DETACH_ON_INT}"));
    let run = SchedulerRun::start_with(&s, f.opts()).unwrap();
    leaving.join().unwrap();
    run.stop().unwrap();
}

#[test]
fn it_dies_with_the_thread_that_started_it() {
    let f = fake();
    let s = f.scheduler(&format!("{ATTACH}\n{DETACH_ON_INT}"));
    let o = f.opts();
    let pid = std::thread::spawn(move || {
        let run = SchedulerRun::start_with(&s, o).unwrap();
        let pid = run.pid();
        std::mem::forget(run);
        pid
    })
    .join()
    .unwrap();
    // Killed by SIGKILL (no trap ran): a zombie or gone, within a while.
    let t = std::time::Instant::now();
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .chars()
            .next();
        if matches!(state, None | Some('Z')) {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "still running: {stat}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid as i32), None);
    assert_eq!(
        f.sysfs.state().as_deref(),
        Some("enabled"),
        "no trap ran: SIGKILL"
    );
}

/// The real scx_bpfland where it cannot attach: on a kernel without
/// sched_ext it exits at once, and the failure carries its error. Without
/// the binary, the error names the setup command.
#[test]
fn the_real_bpfland_fails_clearly_where_it_cannot_attach() {
    let f = fake();
    let e = SchedulerRun::start_with(&BPFLAND, f.opts()).unwrap_err();
    match BPFLAND.resolve_binary() {
        Err(_) => assert!(e.to_string().contains("./scripts/setup --vm"), "{e}"),
        // On a sched_ext kernel it would attach for real: not here.
        Ok(_) if SchedExtSysfs::default().present() => {}
        Ok(_) => {
            let e = failure(e);
            assert_eq!(e.kind, FailureKind::ExitedBeforeAttach, "{e}");
            assert!(e.output_tail.contains("scx_bpfland 1.1.0"), "{e}");
            assert!(!e.output_tail.contains('\x1b'), "colours stripped: {e}");
        }
    }
}

/// The real scx_bpfland on a kernel with sched_ext (a VM guest: `cargo
/// test -p ktstr --lib -- --ignored real_bpfland` as root there, with
/// `KTSTR_TIMEOUT_SCALE` under TCG): it attaches with its ops name; a
/// SIGKILL mid-run and an ejection by the kernel (sysrq-S) are each
/// reported with the kernel's reason; a last run stops cleanly with the
/// kernel back on its default scheduler.
#[test]
#[ignore = "needs a kernel with sched_ext, root and scx_bpfland (run it in a VM)"]
fn real_bpfland_attaches_and_a_kill_is_reported_with_the_kernels_reason() {
    let run = SchedulerRun::start(&BPFLAND).unwrap();
    let ops = run.ops().unwrap().to_string();
    assert!(ops.starts_with("bpfland"), "{ops}");
    eprintln!(
        "attached in {:.2} s as {ops}",
        run.attached_after().as_secs_f64()
    );
    std::thread::sleep(Duration::from_secs(1));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(run.pid() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let e = run.stop().unwrap_err();
    eprintln!("{e}");
    assert!(
        matches!(e.kind, FailureKind::Exited | FailureKind::Ejected),
        "{e}"
    );
    assert!(e.after_attach.unwrap() >= Duration::from_secs(1), "{e}");
    let k = e.kernel.as_ref().expect("the kernel's reason");
    assert_eq!(k.name, ops);
    assert_eq!(k.reason, "unregistered from user space");
    assert!(e.to_string().contains("signal: 9"), "{e}");

    // Ejected by the kernel while alive: sysrq-S drops the BPF scheduler.
    let run = SchedulerRun::start(&BPFLAND).unwrap();
    std::fs::write("/proc/sysrq-trigger", "S").unwrap();
    std::thread::sleep(Duration::from_secs(1));
    let e = run.stop().unwrap_err();
    eprintln!("{e}");
    assert_eq!(e.kind, FailureKind::Ejected, "{e}");
    let k = e.kernel.as_ref().expect("the kernel's reason");
    assert!(k.reason.contains("sysrq"), "{e}");
    let exit = e.exit_dump.as_deref().unwrap_or_default();
    assert!(exit.contains("EXIT: disabled by sysrq-S"), "{e}");

    let run = SchedulerRun::start(&BPFLAND).unwrap();
    std::thread::sleep(Duration::from_secs(1));
    let stopped = run.stop().unwrap();
    eprintln!("stopped: {stopped:?}");
    assert!(!stopped.killed, "it exits on SIGINT");
    assert!(stopped
        .output_tail
        .contains("EXIT: unregistered from user space"));
    assert_eq!(sched_ext_state().as_deref(), Some("disabled"));
}
