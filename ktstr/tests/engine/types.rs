//! Every work type runs, in both clone modes, and reports real telemetry.

use std::time::Duration;

use ktstr::prelude::*;
use ktstr::workload::LatencySamples;

use crate::helpers::{assert_clean, config, lock, polite_spin, run, Footprint, RUN};

/// Whether the type's rustdoc says it records wake-latency samples; None
/// for types this suite does not know yet (added after it was written).
fn records_latency(name: &str) -> Option<bool> {
    match name {
        "SpinWait" | "CachePressure" | "PageFaultChurn" => Some(false),
        "Mixed" | "YieldHeavy" | "IoSync" | "Bursty" | "CacheYield" | "ForkExit" | "NiceSweep"
        | "AffinityChurn" | "PolicyChurn" => Some(true),
        // Grouped types: every message, turn or round received is a sample.
        "PipeIo" | "CachePipe" | "FutexPingPong" | "FutexFanOut" | "FanOutCompute" => Some(true),
        "ThunderingHerd" | "WakeChain" | "SignalStorm" | "EpollStorm" => Some(true),
        "SmtSiblingSpin" => Some(false),
        // Samples only for acquisitions that had to wait: not guaranteed
        // for every contender in a short run.
        "MutexContention" => None,
        // Roles differ: some sample every wake, some only waits that
        // happened, some (pure spinners, a waker that never blocks) none.
        "PriorityInversion"
        | "ProducerConsumerImbalance"
        | "RtStarvation"
        | "AsymmetricWaker"
        | "PreemptStorm" => None,
        _ => None,
    }
}

/// How long to run a type: long enough for at least one latency sample.
fn run_time(name: &str) -> Duration {
    match name {
        // 50 ms burst, then a 100 ms sleep whose overshoot is the first
        // sample: give it several cycles.
        "Bursty" => Duration::from_millis(600),
        _ => RUN,
    }
}

fn every_named_type(mode: CloneMode) {
    let _g = lock();
    let mut failures = Vec::new();
    let mut ran = 0;
    for &name in WorkType::ALL_NAMES {
        let Some(wt) = WorkType::from_name(name) else {
            // Only the types that need arguments are not buildable by name.
            assert!(
                name == "Sequence" || name == "Custom",
                "{name} is in ALL_NAMES but from_name cannot build it"
            );
            continue;
        };
        assert_eq!(wt.name(), name);
        let n = match wt.worker_group_size() {
            Some(g) if g >= 2 => g,
            _ => 2,
        };
        let before = Footprint::take();
        let reports = run(&config(n, wt, mode), run_time(name));
        let what = format!("{name} in {mode:?} mode");
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            for r in &reports {
                assert_clean(r, &what);
                assert_eq!(r.work_type, name, "{what}: report names its type");
                match records_latency(name) {
                    Some(true) => assert!(
                        r.wake_latency.count > 0,
                        "{what}: worker {} recorded no wake latency",
                        r.index
                    ),
                    Some(false) => assert_eq!(
                        r.wake_latency.count, 0,
                        "{what}: worker {} recorded samples its doc says it does not take",
                        r.index
                    ),
                    None => {}
                }
                let l = &r.wake_latency;
                let kept = l.count.min(LatencySamples::CAPACITY as u64);
                assert_eq!(l.samples.len() as u64, kept, "{what}: reservoir size");
                if l.count > 0 {
                    assert!(
                        l.min_ns <= l.max_ns && l.sum_ns >= l.max_ns,
                        "{what}: min {} max {} sum {}",
                        l.min_ns,
                        l.max_ns,
                        l.sum_ns
                    );
                    let (lo, hi) = (l.samples.iter().min(), l.samples.iter().max());
                    assert!(
                        lo >= Some(&l.min_ns) && hi <= Some(&l.max_ns),
                        "{what}: samples out of [min, max]"
                    );
                }
            }
            before.assert_nothing_left(&what);
        }));
        ran += 1;
        if let Err(e) = result {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(msg);
        }
    }
    assert!(ran >= 12, "only {ran} types were buildable by name");
    assert!(
        failures.is_empty(),
        "{} type(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_named_type_fork() {
    every_named_type(CloneMode::Fork);
}

#[test]
fn every_named_type_thread() {
    every_named_type(CloneMode::Thread);
}

const PHASE: Duration = Duration::from_millis(20);

fn sequences(mode: CloneMode) {
    let _g = lock();
    let all = WorkType::sequence([
        Phase::Spin(PHASE),
        Phase::Sleep(PHASE),
        Phase::Yield(PHASE),
        Phase::Io(PHASE),
    ]);
    let cases = [
        ("all phases", all, true),
        ("Spin", WorkType::sequence([Phase::Spin(PHASE)]), false),
        ("Yield", WorkType::sequence([Phase::Yield(PHASE)]), true),
        ("Io", WorkType::sequence([Phase::Io(PHASE)]), true),
    ];
    for (label, wt, latency) in cases {
        let before = Footprint::take();
        let what = format!("Sequence[{label}] in {mode:?} mode");
        let reports = run(&config(2, wt, mode), RUN);
        for r in &reports {
            assert_clean(r, &what);
            assert_eq!(r.work_type, "Sequence");
            assert_eq!(
                r.wake_latency.count > 0,
                latency,
                "{what}: latency samples {}",
                r.wake_latency.count
            );
        }
        before.assert_nothing_left(&what);
    }
    // A Sleep-only sequence does no work units by design (Phase::Sleep has
    // none), but each pass is an iteration and each completed sleep a
    // sample.
    let before = Footprint::take();
    let reports = run(
        &config(2, WorkType::sequence([Phase::Sleep(PHASE)]), mode),
        RUN,
    );
    for r in &reports {
        let what = format!("Sequence[Sleep] in {mode:?} mode, worker {}", r.index);
        assert!(
            !r.sentinel && r.exit_info.is_none() && r.error.is_none(),
            "{what}: {r:#?}"
        );
        assert!(r.iterations >= 2, "{what}: {} iterations", r.iterations);
        assert!(
            r.wake_latency.count >= 1,
            "{what}: no sleep overshoot recorded"
        );
        assert!(
            r.tid > 0 && r.wall_time_ns > 0 && !r.cpus_used.is_empty(),
            "{what}"
        );
    }
    before.assert_nothing_left("Sequence[Sleep]");
}

#[test]
fn sequence_every_phase_fork() {
    sequences(CloneMode::Fork);
}

#[test]
fn sequence_every_phase_thread() {
    sequences(CloneMode::Thread);
}

fn custom(mode: CloneMode) {
    let _g = lock();
    let before = Footprint::take();
    let what = format!("Custom in {mode:?} mode");
    let reports = run(
        &config(2, WorkType::custom("ktstr-test-polite", polite_spin), mode),
        RUN,
    );
    for r in &reports {
        assert_clean(r, &what);
        assert_eq!(
            r.work_type, "ktstr-test-polite",
            "Custom reports carry the user's name"
        );
        assert!(
            r.wake_latency.count > 0,
            "{what}: the body's samples are kept"
        );
        assert!(r.cpu_time_ns > 0, "{what}: cpu_time_ns");
    }
    before.assert_nothing_left(&what);
}

#[test]
fn custom_fork() {
    custom(CloneMode::Fork);
}

#[test]
fn custom_thread() {
    custom(CloneMode::Thread);
}
