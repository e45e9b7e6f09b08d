//! `ThunderingHerd`, `ProducerConsumerImbalance`, `AsymmetricWaker`,
//! `WakeChain`, `SignalStorm` and `EpollStorm`: two groups each in Fork and
//! Thread mode (and a pcomm container for the signal and epoll types):
//! every worker reports, progresses, samples as its rustdoc says, and the
//! members' counts agree with each other; stopped before start, every
//! member still completes a pass; a killed member hangs nobody; in Fork
//! mode every eventfd lives only in its owners.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ktstr::prelude::*;

use crate::common::{assert_real, config, lock, COLLECT_BOUND, RUN};
use crate::partner_death::member_killed;
use crate::roles::{check_run, units};

/// The members' counts of each group agree: one pass of a member is
/// matched by its partners' (up to what was in flight at stop).
fn assert_counts(reports: &[WorkerReport], wt: &WorkType, what: &str) {
    let g = wt.worker_group_size().unwrap();
    for group in 0..reports.len() / g {
        let u = units(reports, group);
        let ctx = format!("{what}, group {group}: units {u:?}");
        match wt {
            WorkType::ThunderingHerd { .. } => {
                for &waiter in &u[1..] {
                    assert!(waiter == u[0] || waiter == u[0] + 1, "{ctx}");
                }
            }
            WorkType::ProducerConsumerImbalance {
                producers,
                ring_size,
                ..
            } => {
                let made: u64 = u[..*producers].iter().sum();
                let used: u64 = u[*producers..].iter().sum();
                assert!(used <= made && made <= used + *ring_size as u64, "{ctx}");
            }
            WorkType::AsymmetricWaker { .. } => {
                assert!(u[1] == u[0] || u[1] + 1 == u[0], "{ctx}: waker vs wakee");
            }
            WorkType::WakeChain { .. } => {
                let (lo, hi) = (u.iter().min().unwrap(), u.iter().max().unwrap());
                assert!(hi - lo <= 1, "{ctx}: a token skipped a link");
            }
            WorkType::SignalStorm { .. } => {
                assert!(
                    u[0] == u[1] || u[0] + 1 == u[1],
                    "{ctx}: sender vs receiver"
                );
            }
            WorkType::EpollStorm { producers, .. } => {
                let sent: u64 = u[1..].iter().sum();
                assert!(u[0] >= sent && u[0] <= sent + *producers as u64, "{ctx}");
            }
            other => panic!("{other:?}"),
        }
    }
}

fn check(wt: WorkType, mode: CloneMode, pcomm: bool) {
    let _g = lock();
    let reports = check_run(&wt, 2, mode, pcomm, RUN, false);
    assert_counts(&reports, &wt, &format!("{} in {mode:?} mode", wt.name()));
}

#[test]
fn thundering_herd_fork() {
    check(WorkType::thundering_herd(), CloneMode::Fork, false);
}

#[test]
fn thundering_herd_thread() {
    check(WorkType::thundering_herd(), CloneMode::Thread, false);
}

#[test]
fn producer_consumer_imbalance_fork() {
    check(
        WorkType::producer_consumer_imbalance(),
        CloneMode::Fork,
        false,
    );
}

#[test]
fn producer_consumer_imbalance_thread() {
    check(
        WorkType::producer_consumer_imbalance(),
        CloneMode::Thread,
        false,
    );
}

/// With fast producers and a small ring, every producer waits for room.
#[test]
fn producers_outpace_consumers_and_wait_for_room() {
    let wt = WorkType::ProducerConsumerImbalance {
        producers: 3,
        consumers: 2,
        ring_size: 4,
        produce_iters: 64,
        consume_iters: 16384,
    };
    for mode in [CloneMode::Fork, CloneMode::Thread] {
        let _g = lock();
        let what = format!("imbalanced ring in {mode:?} mode");
        let reports = check_run(&wt, 1, mode, false, RUN, false);
        assert_counts(&reports, &wt, &what);
        for r in reports.iter().filter(|r| r.role == "producer") {
            assert!(
                r.wake_latency.count > 0,
                "{what}: producer {} never waited",
                r.index
            );
        }
    }
}

#[test]
fn asymmetric_waker_fork() {
    check(WorkType::asymmetric_waker(), CloneMode::Fork, false);
}

#[test]
fn asymmetric_waker_thread() {
    check(WorkType::asymmetric_waker(), CloneMode::Thread, false);
}

#[test]
fn wake_chain_fork() {
    check(WorkType::wake_chain(), CloneMode::Fork, false);
}

#[test]
fn wake_chain_thread() {
    check(WorkType::wake_chain(), CloneMode::Thread, false);
}

#[test]
fn wake_chain_pcomm() {
    check(WorkType::wake_chain(), CloneMode::Fork, true);
}

#[test]
fn signal_storm_fork() {
    check(WorkType::signal_storm(), CloneMode::Fork, false);
}

#[test]
fn signal_storm_thread() {
    check(WorkType::signal_storm(), CloneMode::Thread, false);
}

#[test]
fn signal_storm_pcomm() {
    check(WorkType::signal_storm(), CloneMode::Fork, true);
}

#[test]
fn epoll_storm_fork() {
    check(WorkType::epoll_storm(), CloneMode::Fork, false);
}

#[test]
fn epoll_storm_thread() {
    check(WorkType::epoll_storm(), CloneMode::Thread, false);
}

#[test]
fn epoll_storm_pcomm() {
    check(WorkType::epoll_storm(), CloneMode::Thread, true);
}

/// Stopped before they ever ran, the members of every type still complete
/// one pass each, including rings whose sides are lopsided (one producer
/// for three consumers, four producers for one consumer and one slot).
#[test]
fn stopped_before_start_completes_one_pass() {
    let _g = lock();
    let ring = |producers, consumers, ring_size| WorkType::ProducerConsumerImbalance {
        producers,
        consumers,
        ring_size,
        produce_iters: 256,
        consume_iters: 4096,
    };
    for wt in [
        WorkType::thundering_herd(),
        WorkType::producer_consumer_imbalance(),
        ring(1, 3, 16),
        ring(4, 1, 1),
        WorkType::asymmetric_waker(),
        WorkType::wake_chain(),
        WorkType::signal_storm(),
        WorkType::epoll_storm(),
    ] {
        for mode in [CloneMode::Fork, CloneMode::Thread] {
            let what = format!("{wt:?} in {mode:?} mode, stopped before start");
            let h = WorkloadHandle::spawn(&config(wt.clone(), 2, mode)).unwrap();
            let t = Instant::now();
            let reports = h.stop_and_collect();
            let took = t.elapsed();
            assert!(took < COLLECT_BOUND, "{what}: collect took {took:?}");
            for r in &reports {
                assert_real(r, &what);
                assert!(
                    r.work_units > 0,
                    "{what}: worker {} ({}) did no pass",
                    r.index,
                    r.role
                );
            }
        }
    }
}

/// Workers' wall time ends promptly after stop: nobody waits out a
/// partner for long.
#[test]
fn stop_is_prompt_for_every_type() {
    let _g = lock();
    for wt in [
        WorkType::thundering_herd(),
        WorkType::producer_consumer_imbalance(),
        WorkType::asymmetric_waker(),
        WorkType::wake_chain(),
        WorkType::signal_storm(),
        WorkType::epoll_storm(),
    ] {
        let what = format!("{} stop latency", wt.name());
        let (reports, took) = crate::common::run(&config(wt.clone(), 2, CloneMode::Thread), RUN);
        assert!(
            took < Duration::from_millis(1500),
            "{what}: collect took {took:?}"
        );
        for r in &reports {
            assert_real(r, &what);
        }
    }
}

#[test]
fn thundering_herd_survives_a_dead_waiter() {
    member_killed(WorkType::thundering_herd(), 2);
}

#[test]
fn producer_consumer_survives_a_dead_consumer() {
    member_killed(WorkType::producer_consumer_imbalance(), 2);
}

#[test]
fn asymmetric_waker_survives_a_dead_wakee() {
    member_killed(WorkType::asymmetric_waker(), 1);
}

#[test]
fn asymmetric_waker_survives_a_dead_waker() {
    member_killed(WorkType::asymmetric_waker(), 0);
}

#[test]
fn wake_chain_survives_a_dead_link() {
    member_killed(WorkType::wake_chain(), 1);
}

#[test]
fn signal_storm_survives_a_dead_receiver() {
    member_killed(WorkType::signal_storm(), 1);
}

#[test]
fn epoll_storm_survives_a_dead_consumer() {
    member_killed(WorkType::epoll_storm(), 0);
}

#[test]
fn epoll_storm_survives_a_dead_producer() {
    member_killed(WorkType::epoll_storm(), 2);
}

/// The eventfd ids (`eventfd-id` in fdinfo) and epoll count of a process.
fn event_fds(pid: i32) -> (Vec<u64>, usize) {
    let (mut ids, mut epolls) = (Vec::new(), 0);
    for e in std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
    {
        let Ok(target) = std::fs::read_link(e.path()) else {
            continue;
        };
        match target.to_string_lossy().as_ref() {
            "anon_inode:[eventpoll]" => epolls += 1,
            "anon_inode:[eventfd]" => {
                let info = std::fs::read_to_string(format!(
                    "/proc/{pid}/fdinfo/{}",
                    e.file_name().to_string_lossy()
                ))
                .unwrap();
                let id = info
                    .lines()
                    .find_map(|l| l.strip_prefix("eventfd-id:"))
                    .map(|v| v.trim().parse().unwrap())
                    .unwrap_or(0);
                ids.push(id);
            }
            _ => {}
        }
    }
    (ids, epolls)
}

/// In Fork mode each producer holds only its own eventfd, each consumer
/// its epoll fd and its own group's eventfds, and nobody else holds any.
#[test]
fn epoll_storm_fork_workers_hold_only_their_own_eventfds() {
    let _g = lock();
    let wt = WorkType::epoll_storm();
    let g = wt.worker_group_size().unwrap();
    let h = WorkloadHandle::spawn(&config(wt, 2, CloneMode::Fork)).unwrap();
    let pids = h.worker_pids();
    let held: Vec<_> = pids.iter().map(|&p| event_fds(p)).collect();
    drop(h);
    let mut holders: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, (ids, epolls)) in held.iter().enumerate() {
        for &id in ids {
            holders.entry(id).or_default().push(i);
        }
        if i % g == 0 {
            assert_eq!(*epolls, 1, "consumer {i}: epoll fds");
            assert_eq!(ids.len(), g - 1, "consumer {i}: one eventfd per producer");
        } else {
            assert_eq!(*epolls, 0, "producer {i}: epoll fds");
            assert_eq!(ids.len(), 1, "producer {i}: its own eventfd only");
        }
    }
    assert_eq!(
        holders.len(),
        2 * (g - 1),
        "one eventfd per producer: {holders:?}"
    );
    for (id, who) in &holders {
        assert_eq!(who.len(), 2, "eventfd {id} is held by {who:?}");
        assert_eq!(
            who[0] / g,
            who[1] / g,
            "eventfd {id} crosses groups: {who:?}"
        );
        assert_eq!(who[0] % g, 0, "eventfd {id}: its consumer");
    }
}
