//! Fairness of the kernel's scheduler between CPU hogs on one CPU, and a
//! deliberately unfair setup that the same measurement must flag.

use std::time::Duration;

use ktstr::prelude::*;
use ktstr_tests::{rate_spread_pct, serial};

/// Fair share: two equal hogs on one CPU may differ by at most this much.
/// EEVDF keeps them within a few percent; the margin absorbs a noisy host.
const FAIR_SPREAD_PCT: f64 = 30.0;

fn hogs_on_cpu0(nice: i32, workers: usize) -> WorkloadHandle {
    WorkloadHandle::spawn(&WorkloadConfig {
        num_workers: workers,
        work_type: WorkType::SpinWait,
        affinity: Affinity::Fixed([0].into()),
        nice,
        ..Default::default()
    })
    .expect("spawn SpinWait workers")
}

#[test]
fn equal_hogs_share_one_cpu_fairly() {
    let _serial = serial();
    let mut h = hogs_on_cpu0(0, 2);
    h.start();
    std::thread::sleep(Duration::from_millis(1500));
    let reports = h.stop_and_collect();
    assert!(reports.iter().all(|r| r.is_clean()), "{reports:#?}");
    assert!(reports.iter().all(|r| r.cpus_used == [0].into()));
    let spread = rate_spread_pct(&reports);
    assert!(
        spread < FAIR_SPREAD_PCT,
        "two nice-0 hogs on CPU 0 differ by {spread:.1}% (limit {FAIR_SPREAD_PCT}%)"
    );
}

/// The broken case: a nice-19 hog beside a nice-0 hog gets a tiny share
/// (weight 15 vs 1024), so the fairness measurement must exceed the limit.
/// If this ever passes the fair limit, the measurement cannot tell fair
/// from unfair and the test above proves nothing.
#[test]
fn nice_19_beside_nice_0_is_flagged_unfair() {
    let _serial = serial();
    let mut strong = hogs_on_cpu0(0, 1);
    let mut weak = hogs_on_cpu0(19, 1);
    strong.start();
    weak.start();
    std::thread::sleep(Duration::from_millis(1500));
    let mut reports = strong.stop_and_collect();
    reports.extend(weak.stop_and_collect());
    assert!(reports.iter().all(|r| r.is_clean()), "{reports:#?}");
    let spread = rate_spread_pct(&reports);
    assert!(
        spread > FAIR_SPREAD_PCT,
        "nice 19 vs nice 0 should be far apart, measured {spread:.1}%"
    );
    assert!(reports[0].work_units > reports[1].work_units * 4);
}
