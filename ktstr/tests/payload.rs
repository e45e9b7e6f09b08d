//! External load generators run for real: stress-ng and hackbench (Debian
//! packages `stress-ng`, `rt-tests`; `.ci/run` installs them), their
//! metrics parsed, a broken run failing its checks with its last lines,
//! and a payload placed in a cgroup before it runs.

use std::time::Duration;

use ktstr::cgroup::CgroupManager;
use ktstr::payload::{Payload, PayloadExit};

/// None (after printing why) when the tool is not installed.
fn have(p: &Payload) -> Option<()> {
    match p.locate() {
        Ok(_) => Some(()),
        Err(e) => {
            println!("SKIP: {e}");
            None
        }
    }
}

#[test]
fn stress_ng_metrics_are_read_and_checked() {
    let p = Payload::stress_ng(["--cpu", "1", "--timeout", "1s"]);
    let Some(()) = have(&p) else { return };
    let report = p.start().unwrap().wait(Duration::from_secs(30));
    assert_eq!(
        report.exit,
        PayloadExit::Exited(0),
        "{}",
        report.output_tail
    );
    let ops = report.metric("cpu.bogo_ops_per_s").expect("cpu metrics");
    assert!(ops > 0.0);
    let v = report.check().min("cpu.bogo_ops_per_s", 1.0).done();
    assert!(v.passed(), "{v}");
    // A limit it cannot meet fails, naming the metric and the value.
    let v = report.check().min("cpu.bogo_ops_per_s", 1e15).done();
    assert!(!v.passed());
    assert!(v.to_string().contains("cpu.bogo_ops_per_s"), "{v}");
    let v = report.check().max("switch.bogo_ops", 1.0).done();
    assert!(v.to_string().contains("reported no metric"), "{v}");
}

#[test]
fn a_stopped_stress_ng_still_reports_its_metrics() {
    let p = Payload::stress_ng(["--cpu", "1", "--timeout", "60s"]);
    let Some(()) = have(&p) else { return };
    let run = p.start().unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let report = run.stop();
    assert!(report.stopped);
    assert!(report.elapsed_ms < 10_000, "{}", report.elapsed_ms);
    assert!(
        report.ended_cleanly(),
        "{:?}\n{}",
        report.exit,
        report.output_tail
    );
    assert!(
        report.metric("cpu.bogo_ops").is_some_and(|v| v > 0.0),
        "{report:?}"
    );
}

#[test]
fn hackbench_time_is_read() {
    let p = Payload::hackbench(["-g", "1", "-l", "50"]);
    let Some(()) = have(&p) else { return };
    let report = p.start().unwrap().wait(Duration::from_secs(60));
    assert!(report.check().done().passed(), "{report:?}");
    assert!(report.metric("time_s").is_some_and(|t| t > 0.0));
}

#[test]
fn a_failing_payload_fails_its_checks_with_its_last_lines() {
    let p = Payload::stress_ng(["--no-such-stressor-option"]);
    let Some(()) = have(&p) else { return };
    let report = p.start().unwrap().wait(Duration::from_secs(30));
    assert!(!report.ended_cleanly());
    let v = report.check().done();
    assert!(!v.passed());
    let text = v.to_string();
    assert!(
        text.contains("no-such-stressor-option"),
        "the tool's own words are shown:\n{text}"
    );
    // Output that does not parse is its own failure.
    assert!(report.parse_error.is_some());
}

#[test]
fn a_payload_past_its_deadline_is_killed() {
    let p = Payload::command("sleep", ["30"]);
    let Some(()) = have(&p) else { return };
    let t = std::time::Instant::now();
    let report = p.start().unwrap().wait(Duration::from_millis(300));
    assert_eq!(report.exit, PayloadExit::TimedOut);
    assert!(t.elapsed() < Duration::from_secs(5));
    assert!(!report.check().done().passed());
}

#[test]
fn a_missing_payload_names_its_package() {
    let p = Payload::command("/nonexistent/stress-ng", ["-c", "1"]);
    let e = p.start().unwrap_err();
    assert!(e.to_string().contains("not installed"), "{e}");
}

#[test]
fn a_payload_runs_in_its_cgroup_from_its_first_instruction() {
    if !nix::unistd::geteuid().is_root() {
        println!("SKIP: not root: creating cgroups needs root");
        return;
    }
    let p = Payload::command("sh", ["-c", "cat /proc/self/cgroup"]);
    let mgr = CgroupManager::new().unwrap();
    mgr.create_cgroup("payload").unwrap();
    let run = p
        .start_placed(|pid| mgr.move_task("payload", pid).map_err(|e| e.to_string()))
        .unwrap();
    let report = run.wait(Duration::from_secs(10));
    assert_eq!(report.exit, PayloadExit::Exited(0));
    let parent = mgr.parent_name().to_string();
    assert!(
        report.output_tail.contains(&format!("{parent}/payload")),
        "the payload's first view of its cgroups:\n{}",
        report.output_tail
    );
    // A placement that fails stops it before it ran.
    let e = p.start_placed(|_| Err("deliberate".into())).unwrap_err();
    assert!(
        e.to_string().contains("placing it failed: deliberate"),
        "{e}"
    );
}
