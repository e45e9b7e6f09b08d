//! The step checks over synthetic series: each passes on a good series
//! and fails, naming the worker and time, on a broken one.

use std::time::Duration;

use super::check::{Scope, StepCheck};
use super::series::{Point, Sample};
use crate::check::CheckStatus;
use crate::cpuset::CpuSet;
use crate::workload::WorkerSample;

/// Every 100 ms for 1 s: "a" spins on CPU 0 at 10/sample and 80 ms CPU
/// per sample, "b" on CPU `b_cpu` at 20 ms CPU per sample, with its
/// iterations given.
fn series(b_iters: impl Fn(u64) -> u64, b_cpu: u32) -> Vec<Sample> {
    (0..=10u64)
        .map(|i| {
            let p = |cg: &str, wl, it, cpu, ns| Point {
                cgroup: String::from(cg),
                workload: wl,
                worker: WorkerSample {
                    index: 0,
                    tid: 100 + wl as i32,
                    iterations: it,
                    cpu: Some(cpu),
                    cpu_ns: Some(ns),
                    ..Default::default()
                },
            };
            Sample {
                at_ms: 1000 + i * 100,
                step: 1,
                points: vec![
                    p("a", 0, i * 10, 0, i * 80_000_000),
                    p("b", 1, b_iters(i), b_cpu, i * 20_000_000),
                ],
            }
        })
        .collect()
}

fn judge(c: StepCheck, window: &[Sample], frozen: &[&str]) -> (CheckStatus, String) {
    let cpus = |n: &str| (n == "b").then(|| CpuSet::from([1]));
    let scope = Scope {
        label: "step 1 'x'".into(),
        frozen: frozen.iter().map(|s| s.to_string()).collect(),
        cpus: &cpus,
    };
    let r = c.evaluate(window, &scope);
    assert!(r.group.starts_with("step 1 'x'"), "{r:?}");
    (r.status, r.message)
}

#[test]
fn step_check_not_starved_names_the_worker_that_did_nothing() {
    let good = series(|i| i * 3, 1);
    assert_eq!(
        judge(StepCheck::NotStarved, &good, &[]).0,
        CheckStatus::Passed
    );
    let bad = series(|_| 5, 1);
    let (st, msg) = judge(StepCheck::NotStarved, &bad, &[]);
    assert_eq!(st, CheckStatus::Failed);
    assert!(
        msg.contains("worker 0 (tid 101) of b") && msg.contains("1.00 s to 2.00 s"),
        "{msg}"
    );
    // A frozen cgroup's workers are not expected to progress.
    assert_eq!(
        judge(StepCheck::NotStarved, &bad, &["b"]).0,
        CheckStatus::Passed
    );
}

#[test]
fn step_check_max_stall_finds_when_progress_stopped() {
    let stalls = series(|i| if (3..8).contains(&i) { 30 } else { i * 10 }, 1);
    let c = |ms| StepCheck::MaxStall(Duration::from_millis(ms));
    assert_eq!(judge(c(500), &stalls, &[]).0, CheckStatus::Passed);
    let (st, msg) = judge(c(300), &stalls, &[]);
    assert_eq!(st, CheckStatus::Failed);
    assert!(msg.contains("no progress for 400 ms from 1.30 s"), "{msg}");
}

#[test]
fn step_check_share_and_rate_judge_the_window_only() {
    let s = series(|i| i, 1);
    // a had 4x b's CPU time.
    assert_eq!(
        judge(StepCheck::share("a", "b", 3.0, 5.0), &s, &[]).0,
        CheckStatus::Passed
    );
    let (st, msg) = judge(StepCheck::share("a", "b", 0.8, 1.2), &s, &[]);
    assert_eq!(st, CheckStatus::Failed);
    assert!(msg.contains("4.00:1"), "{msg}");
    // a: 100 iterations per second.
    assert_eq!(
        judge(StepCheck::rate("a", 90.0, 110.0), &s, &[]).0,
        CheckStatus::Passed
    );
    assert_eq!(
        judge(StepCheck::rate("a", 200.0, 300.0), &s, &[]).0,
        CheckStatus::Failed
    );
    // A window of one sample judges nothing.
    assert!(matches!(
        judge(StepCheck::NotStarved, &s[..1], &[]).0,
        CheckStatus::NotApplicable { .. }
    ));
}

#[test]
fn step_check_on_its_cpus_names_the_sample_outside() {
    assert_eq!(
        judge(StepCheck::on_its_cpus("b"), &series(|i| i, 1), &[]).0,
        CheckStatus::Passed
    );
    let (st, msg) = judge(StepCheck::on_its_cpus("b"), &series(|i| i, 0), &[]);
    assert_eq!(st, CheckStatus::Failed);
    assert!(
        msg.contains("worker 0 (tid 101) on CPU 0 at 1.00 s"),
        "{msg}"
    );
    // "a" has no cpuset: nothing to judge.
    assert!(matches!(
        judge(StepCheck::on_its_cpus("a"), &series(|i| i, 1), &[]).0,
        CheckStatus::NotApplicable { .. }
    ));
}

#[test]
fn step_report_says_what_each_worker_did_in_the_window() {
    let mut s = series(|i| i * 2, 1);
    // b hops 1 -> 0 -> 1 in the last three samples.
    s[9].points[1].worker.cpu = Some(0);
    let r = super::report::StepReport::new(1, "x", 1000, &s[2..], Default::default());
    assert_eq!((r.window_ms, r.ended_ms), (1200, 2000));
    let b = &r.workers[1];
    assert_eq!((b.cgroup.as_str(), b.iterations), ("b", 16));
    assert_eq!(b.cpu_ns, Some(160_000_000));
    assert_eq!((b.cpus.clone(), b.cpu_changes), (vec![0, 1], 2));
    assert_eq!(r.workers[0].cpu_changes, 0);
    assert!(r
        .describe()
        .contains("step 1 'x' (index 1, 1.00 s to 2.00 s"));
}
