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

/// An asymmetric Custom workload with no statics: one closure carries the
/// settings (a fast and a slow consumer, by worker index) and a shared
/// counter. Under Thread the counter is shared: it ends at the sum of the
/// units both reported. Under Fork each worker counts in its own copy (it
/// notes its count), and the spawner's stays 0.
fn custom_closure(mode: CloneMode) {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    let _g = lock();
    let before = Footprint::take();
    let what = format!("Custom closure in {mode:?} mode");
    let taken = Arc::new(AtomicU64::new(0));
    let counter = taken.clone();
    let naps = [Duration::ZERO, Duration::from_millis(20)]; // fast, slow
    let body = move |w: &mut Worker| loop {
        w.add_units(1);
        let total = counter.fetch_add(1, Ordering::Relaxed) + 1;
        w.sleep(naps[w.index()]);
        w.end_iteration();
        if w.should_stop() {
            w.note(format!("counter {total}"));
            return Ok(());
        }
    };
    let reports = run(
        &config(2, WorkType::custom("ktstr-test-consumers", body), mode),
        RUN,
    );
    for r in &reports {
        assert_clean(r, &what);
    }
    let (fast, slow) = (&reports[0], &reports[1]);
    // The slow one sleeps 20 ms a pass: at most ~RUN/20ms + slack passes.
    assert!(
        slow.work_units <= 50 && fast.work_units > 10 * slow.work_units,
        "{what}: fast {} units, slow {} units",
        fast.work_units,
        slow.work_units
    );
    let sum: u64 = reports.iter().map(|r| r.work_units).sum();
    let noted = |r: &WorkerReport| -> u64 {
        let n = r.notes.iter().find_map(|n| n.strip_prefix("counter "));
        n.expect("counter note").parse().unwrap()
    };
    match mode {
        CloneMode::Thread => {
            assert_eq!(
                taken.load(Ordering::Relaxed),
                sum,
                "{what}: one shared counter"
            );
        }
        CloneMode::Fork => {
            assert_eq!(
                taken.load(Ordering::Relaxed),
                0,
                "{what}: per-process copies"
            );
            for r in &reports {
                assert_eq!(
                    noted(r),
                    r.work_units,
                    "{what}: worker {} counts alone",
                    r.index
                );
            }
        }
    }
    before.assert_nothing_left(&what);
}

#[test]
fn custom_closure_fork() {
    custom_closure(CloneMode::Fork);
}

#[test]
fn custom_closure_thread() {
    custom_closure(CloneMode::Thread);
}

/// A body of a type of its own: its fields are the settings.
struct Paced {
    units_per_pass: u64,
}

impl CustomBody for Paced {
    fn run(&self, w: &mut Worker) -> Result<(), String> {
        loop {
            w.add_units(self.units_per_pass);
            w.sleep(Duration::from_millis(1));
            w.end_iteration();
            if w.should_stop() {
                return Ok(());
            }
        }
    }
}

#[test]
fn custom_body_value_carries_its_settings() {
    let _g = lock();
    let paced = Paced { units_per_pass: 7 };
    let work = WorkType::custom_body("ktstr-test-paced", paced);
    for r in run(&config(2, work, CloneMode::Thread), RUN) {
        assert_clean(&r, "Paced");
        assert_eq!(r.work_type, "ktstr-test-paced");
        assert!(r.iterations > 0, "{r:?}");
        assert_eq!(r.work_units, 7 * r.iterations, "one pass adds 7 units");
    }
}
