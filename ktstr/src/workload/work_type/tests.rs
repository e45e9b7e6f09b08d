//! Unit tests of the work-type catalogue.
use super::*;

#[test]
fn every_buildable_name_round_trips() {
    for (name, _, _, buildable) in WorkType::catalogue() {
        match WorkType::from_name(name) {
            Some(wt) => {
                assert!(buildable);
                assert_eq!(wt.name(), name);
                let n = wt.worker_group_size().unwrap_or(1);
                assert!(wt.validate(n).is_ok(), "{name} defaults must validate");
            }
            None => assert!(!buildable, "{name}"),
        }
    }
    assert_eq!(WorkType::ALL_NAMES.len(), 30);
    assert!(WorkType::from_name("Sequence").is_none());
    assert!(WorkType::from_name("spinwait").is_none());
}

#[test]
fn suggest_is_case_insensitive_and_fuzzy() {
    assert_eq!(WorkType::suggest("spinwait"), Some("SpinWait"));
    assert_eq!(WorkType::suggest("Mixd"), Some("Mixed"));
    assert_eq!(WorkType::suggest("forkexti"), Some("ForkExit"));
    assert_eq!(WorkType::suggest("zzzzzzzz"), None);
}

#[test]
fn group_column_matches_group_size() {
    for (name, group, _, _) in WorkType::catalogue() {
        if let Some(wt) = WorkType::from_name(name) {
            match (group, wt.worker_group_size()) {
                ("-", None) => {}
                ("2", Some(2)) => {}
                ("fan+1", Some(5)) => {}  // default fan_out 4
                ("N", Some(4)) => {}      // default contenders 4
                ("wait+1", Some(5)) => {} // default waiters 4
                ("3", Some(3)) => {}
                ("P+C", Some(3)) => {}    // default 2 producers, 1 consumer
                ("depth", Some(4)) => {}  // default depth 4
                ("prod+1", Some(5)) => {} // default producers 4
                other => panic!("{name}: group column vs size {other:?}"),
            }
        }
    }
}

#[test]
fn grouped_types_reject_bad_counts_and_parameters() {
    let e = WorkType::pipe_io().validate(3).unwrap_err();
    assert_eq!(e, "PipeIo needs a multiple of 2 workers, got 3");
    let e = WorkType::FutexFanOut {
        fan_out: 0,
        spin_iters: 1,
    }
    .validate(4)
    .unwrap_err();
    assert!(e.contains("fan_out is 0"), "{e}");
    let e = WorkType::MutexContention {
        contenders: 0,
        hold_iters: 1,
        work_iters: 1,
    }
    .validate(4)
    .unwrap_err();
    assert!(e.contains("contenders is 0"), "{e}");
    let e = WorkType::CachePipe {
        size_kb: 0,
        burst_iters: 1,
    }
    .validate(2)
    .unwrap_err();
    assert!(e.contains("size_kb is 0"), "{e}");
    let e = WorkType::FanOutCompute {
        fan_out: 2,
        cache_footprint_kb: 64,
        operations: 0,
        sleep_usec: 0,
    }
    .validate(3)
    .unwrap_err();
    assert!(e.contains("operations is 0"), "{e}");
    assert_eq!(
        WorkType::FutexFanOut {
            fan_out: usize::MAX,
            spin_iters: 1
        }
        .worker_group_size(),
        Some(usize::MAX)
    );
    assert!(WorkType::fan_out_compute().validate(10).is_ok());
    assert!(WorkType::mutex_contention().validate(6).is_err());
}

#[test]
fn new_grouped_types_reject_zero_sizes_and_bad_times() {
    let bad = |wt: WorkType, n: usize, want: &str| {
        let e = wt.validate(n).unwrap_err();
        assert!(e.contains(want), "{e:?} should contain {want:?}");
    };
    bad(
        WorkType::ThunderingHerd {
            waiters: 0,
            hold_iters: 1,
        },
        2,
        "waiters is 0",
    );
    bad(
        WorkType::WakeChain {
            depth: 0,
            work_iters: 1,
        },
        2,
        "depth is 0",
    );
    bad(
        WorkType::WakeChain {
            depth: 1,
            work_iters: 1,
        },
        2,
        "depth is 1",
    );
    bad(
        WorkType::WakeChain {
            depth: 65,
            work_iters: 1,
        },
        65,
        "2..=64",
    );
    bad(
        WorkType::EpollStorm {
            producers: 0,
            spin_iters: 1,
        },
        2,
        "producers is 0",
    );
    let pc = |p, c, r| WorkType::ProducerConsumerImbalance {
        producers: p,
        consumers: c,
        ring_size: r,
        produce_iters: 1,
        consume_iters: 1,
    };
    bad(pc(0, 1, 4), 2, "producers is 0");
    bad(pc(1, 0, 4), 2, "consumers is 0");
    bad(pc(1, 1, 0), 2, "ring_size is 0");
    bad(pc(1, 1, 129), 2, "ring_size is 129");
    bad(
        WorkType::RtStarvation {
            rt_burst_us: 200_000,
            rt_sleep_us: 1,
        },
        2,
        "rt_burst_us is 200000",
    );
    bad(
        WorkType::RtStarvation {
            rt_burst_us: 1,
            rt_sleep_us: 0,
        },
        2,
        "rt_sleep_us is 0",
    );
    bad(
        WorkType::PreemptStorm {
            sleep_us: 0,
            work_iters: 1,
        },
        2,
        "sleep_us is 0",
    );
    let pi = WorkType::PriorityInversion {
        hold_iters: 1,
        hog_burst_us: 0,
        hog_sleep_us: 1,
        waiter_sleep_us: 1,
    };
    bad(pi, 3, "hog_burst_us is 0");
    bad(
        WorkType::SmtSiblingSpin { spin_iters: 0 },
        2,
        "spin_iters is 0",
    );
    bad(
        WorkType::priority_inversion(),
        4,
        "multiple of 3 workers, got 4",
    );
    assert_eq!(pc(3, 2, 1).worker_group_size(), Some(5));
    assert_eq!(
        WorkType::WakeChain {
            depth: 7,
            work_iters: 0
        }
        .worker_group_size(),
        Some(7)
    );
    assert!(WorkType::epoll_storm().validate(10).is_ok());
}
