//! The ten later grouped types: bad worker counts and parameters are
//! refused before anything exists, with messages that name the numbers;
//! defaults are reachable by name.

use ktstr::prelude::*;

fn spawn_error(wt: WorkType, n: usize) -> String {
    let cfg = WorkloadConfig {
        num_workers: n,
        work_type: wt,
        ..Default::default()
    };
    match WorkloadHandle::spawn(&cfg) {
        Ok(_) => panic!("spawn of {n} workers of {:?} succeeded", cfg.work_type),
        Err(e) => e.to_string(),
    }
}

fn ring(producers: usize, consumers: usize, ring_size: usize) -> WorkType {
    WorkType::ProducerConsumerImbalance {
        producers,
        consumers,
        ring_size,
        produce_iters: 256,
        consume_iters: 4096,
    }
}

#[test]
fn worker_count_must_fill_whole_groups() {
    for (wt, n, want) in [
        (
            WorkType::thundering_herd(),
            4,
            "ThunderingHerd needs a multiple of 5 workers, got 4",
        ),
        (
            WorkType::priority_inversion(),
            2,
            "PriorityInversion needs a multiple of 3 workers, got 2",
        ),
        (
            WorkType::producer_consumer_imbalance(),
            4,
            "ProducerConsumerImbalance needs a multiple of 3 workers, got 4",
        ),
        (
            WorkType::rt_starvation(),
            3,
            "RtStarvation needs a multiple of 2 workers, got 3",
        ),
        (
            WorkType::asymmetric_waker(),
            1,
            "AsymmetricWaker needs a multiple of 2 workers, got 1",
        ),
        (
            WorkType::wake_chain(),
            6,
            "WakeChain needs a multiple of 4 workers, got 6",
        ),
        (
            WorkType::signal_storm(),
            5,
            "SignalStorm needs a multiple of 2 workers, got 5",
        ),
        (
            WorkType::preempt_storm(),
            3,
            "PreemptStorm needs a multiple of 2 workers, got 3",
        ),
        (
            WorkType::epoll_storm(),
            7,
            "EpollStorm needs a multiple of 5 workers, got 7",
        ),
        (
            WorkType::smt_sibling_spin(),
            1,
            "SmtSiblingSpin needs a multiple of 2 workers, got 1",
        ),
    ] {
        let e = spawn_error(wt, n);
        assert!(e.contains(want), "{e:?} should contain {want:?}");
    }
}

#[test]
fn zero_sized_groups_are_refused() {
    let cases = [
        (
            WorkType::ThunderingHerd {
                waiters: 0,
                hold_iters: 1024,
            },
            "ThunderingHerd waiters is 0",
        ),
        (
            WorkType::WakeChain {
                depth: 0,
                work_iters: 1024,
            },
            "WakeChain depth is 0",
        ),
        (
            WorkType::WakeChain {
                depth: 1,
                work_iters: 1024,
            },
            "WakeChain depth is 1",
        ),
        (
            WorkType::EpollStorm {
                producers: 0,
                spin_iters: 1024,
            },
            "EpollStorm producers is 0",
        ),
        (ring(0, 1, 16), "ProducerConsumerImbalance producers is 0"),
        (ring(2, 0, 16), "ProducerConsumerImbalance consumers is 0"),
        (ring(2, 1, 0), "ProducerConsumerImbalance ring_size is 0"),
    ];
    for (wt, want) in cases {
        let e = spawn_error(wt, 4);
        assert!(e.contains(want), "{e:?} should contain {want:?}");
    }
}

#[test]
fn bad_parameters_are_refused() {
    let cases = [
        (ring(2, 1, 1000), "ring_size is 1000"),
        (
            WorkType::WakeChain {
                depth: 100,
                work_iters: 1,
            },
            "depth is 100",
        ),
        (
            WorkType::EpollStorm {
                producers: 65,
                spin_iters: 1,
            },
            "producers is 65",
        ),
        (
            WorkType::RtStarvation {
                rt_burst_us: 0,
                rt_sleep_us: 1000,
            },
            "rt_burst_us is 0",
        ),
        (
            WorkType::RtStarvation {
                rt_burst_us: 5_000_000,
                rt_sleep_us: 1000,
            },
            "rt_burst_us is 5000000",
        ),
        (
            WorkType::PriorityInversion {
                hold_iters: 1,
                hog_burst_us: 1000,
                hog_sleep_us: 0,
                waiter_sleep_us: 1000,
            },
            "hog_sleep_us is 0",
        ),
        (
            WorkType::PriorityInversion {
                hold_iters: 1,
                hog_burst_us: 1000,
                hog_sleep_us: 1000,
                waiter_sleep_us: 0,
            },
            "waiter_sleep_us is 0",
        ),
        (
            WorkType::PreemptStorm {
                sleep_us: 0,
                work_iters: 1,
            },
            "PreemptStorm sleep_us is 0",
        ),
        (
            WorkType::SmtSiblingSpin { spin_iters: 0 },
            "spin_iters is 0",
        ),
    ];
    for (wt, want) in cases {
        let n = wt.worker_group_size().unwrap_or(1);
        let e = spawn_error(wt, n);
        assert!(e.contains(want), "{e:?} should contain {want:?}");
    }
}

#[test]
fn defaults_by_name_and_group_sizes() {
    for (name, g, default) in [
        ("ThunderingHerd", 5, WorkType::thundering_herd()),
        ("PriorityInversion", 3, WorkType::priority_inversion()),
        (
            "ProducerConsumerImbalance",
            3,
            WorkType::producer_consumer_imbalance(),
        ),
        ("RtStarvation", 2, WorkType::rt_starvation()),
        ("AsymmetricWaker", 2, WorkType::asymmetric_waker()),
        ("WakeChain", 4, WorkType::wake_chain()),
        ("SignalStorm", 2, WorkType::signal_storm()),
        ("PreemptStorm", 2, WorkType::preempt_storm()),
        ("EpollStorm", 5, WorkType::epoll_storm()),
        ("SmtSiblingSpin", 2, WorkType::smt_sibling_spin()),
    ] {
        let wt = WorkType::from_name(name).unwrap_or_else(|| panic!("{name} by name"));
        assert_eq!(wt.name(), name);
        assert_eq!(format!("{wt:?}"), format!("{default:?}"));
        assert_eq!(wt.worker_group_size(), Some(g), "{name}");
        assert!(WorkType::ALL_NAMES.contains(&name));
    }
    assert_eq!(WorkType::ALL_NAMES.len(), 30);
    assert_eq!(ring(3, 4, 8).worker_group_size(), Some(7));
    assert_eq!(
        WorkType::WakeChain {
            depth: 9,
            work_iters: 0
        }
        .worker_group_size(),
        Some(9)
    );
    assert_eq!(
        WorkType::EpollStorm {
            producers: 9,
            spin_iters: 0
        }
        .worker_group_size(),
        Some(10)
    );
}
