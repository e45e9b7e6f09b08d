//! Unit tests of the peers bench.

use super::common::*;
use super::groups::*;
use super::pairs::*;
use ktstr::prelude::CloneMode;
use std::time::Duration;

#[test]
fn loops_scale_to_the_run_time_in_three_digits() {
    let two = Duration::from_secs(2);
    assert_eq!(scale_loops(191_555.5, two, 20_000), 383_000);
    assert_eq!(scale_loops(1234.0, two, 50), 2470);
    // Never below the probe, never a huge count from a bogus rate.
    assert_eq!(scale_loops(1.0, two, 20_000), 20_000);
    assert_eq!(scale_loops(f64::MAX, two, 1), 10_000_000_000);
}

#[test]
fn messaging_groups_come_nearest_to_the_task_count() {
    assert_eq!(messaging_groups(128), 3);
    assert_eq!(messaging_groups(2), 1);
    assert_eq!(messaging_groups(400), 10);
}

#[test]
fn ratios_pair_repeats_and_skip_failed_runs() {
    let s = |rate: f64| Sample {
        rate,
        count: 1,
        seconds: 1.0,
        cpu_us_per: 0.0,
        csw_per: 0.0,
    };
    let mut a = Row::new("unpinned", "process", "a".into(), false);
    let mut b = Row::new("unpinned", "process", "b".into(), true);
    a.samples = vec![Some(s(90.0)), None, Some(s(120.0))];
    b.samples = vec![Some(s(100.0)), Some(s(100.0)), Some(s(100.0))];
    let r = ratios(&a, &b).unwrap();
    assert_eq!(r.samples, vec![0.9, 1.2]);
    b.samples = vec![None; 3];
    assert!(ratios(&a, &b).is_none());
}

#[test]
fn peer_arguments() {
    assert_eq!(
        perf_pipe_label(CloneMode::Thread, Some(5)),
        "perf bench sched pipe -T -l 5"
    );
    assert_eq!(
        perf_pipe_label(CloneMode::Fork, None),
        "perf bench sched pipe"
    );
    assert_eq!(
        shown("perf", &messaging_args(3, 40)),
        "perf bench sched messaging -p -g 3 -l 40"
    );
    assert_eq!(
        shown("hackbench", &hackbench_args(64, 7)),
        "hackbench -p -g 64 -f 1 -s 8 -l 7"
    );
}
