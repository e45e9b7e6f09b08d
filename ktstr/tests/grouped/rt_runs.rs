//! `PriorityInversion`, `RtStarvation`, `PreemptStorm` and `SmtSiblingSpin`:
//! runs in Fork and Thread mode, what each reports (the waiter's blocked
//! time, the normal worker's share, the SMT fallback), the fallback when
//! `SCHED_FIFO` is refused, stop before start, and a killed member.
//!
//! The RT roles are pinned to one CPU that is never the last of this
//! 2-CPU machine, so the harness keeps a CPU; `RtStarvation` runs one
//! group at a time (two on one CPU would add up to more than it has).

use std::time::{Duration, Instant};

use ktstr::prelude::*;
use ktstr::topology::TestTopology;

use crate::common::{assert_real, config, lock, COLLECT_BOUND, RUN};
use crate::partner_death::member_killed;
use crate::roles::check_run;

fn role<'a>(reports: &'a [WorkerReport], group: usize, role: &str) -> &'a WorkerReport {
    reports
        .iter()
        .find(|r| r.group == group && r.role == role)
        .unwrap_or_else(|| panic!("no {role} in group {group}"))
}

/// CPU time over wall time.
fn share(r: &WorkerReport) -> f64 {
    r.cpu_time_ns as f64 / r.wall_time_ns.max(1) as f64
}

fn priority_inversion(mode: CloneMode) {
    let _g = lock();
    let wt = WorkType::priority_inversion();
    let reports = check_run(&wt, 2, mode, false, RUN, false);
    for g in 0..2 {
        let waiter = role(&reports, g, "waiter");
        // One blocked-time sample per acquisition.
        assert_eq!(
            waiter.wake_latency.count, waiter.work_units,
            "{mode:?} group {g}: the waiter's samples are its acquisitions"
        );
    }
}

#[test]
fn priority_inversion_fork() {
    priority_inversion(CloneMode::Fork);
}

#[test]
fn priority_inversion_thread() {
    priority_inversion(CloneMode::Thread);
}

/// The waiter's blocked time shows the inversion: with the hog spinning
/// 1 ms at a time on the holder's CPU, some acquisitions wait out a good
/// part of a hog burst, far longer than a critical section of the holder.
#[test]
fn priority_inversion_reports_the_waiters_blocked_time() {
    let _g = lock();
    let wt = WorkType::priority_inversion();
    let reports = check_run(
        &wt,
        1,
        CloneMode::Fork,
        false,
        Duration::from_millis(600),
        false,
    );
    let waiter = role(&reports, 0, "waiter");
    let l = &waiter.wake_latency;
    let mut s = l.samples.clone();
    s.sort_unstable();
    let median = s[s.len() / 2];
    eprintln!(
        "PriorityInversion waiter: {} acquisitions, blocked median {} µs, max {} µs",
        l.count,
        median / 1000,
        l.max_ns / 1000
    );
    assert!(l.count >= 20, "only {} acquisitions in 600 ms", l.count);
    assert!(
        l.max_ns >= 100_000,
        "the waiter never waited behind the hog: longest block {} ns",
        l.max_ns
    );
}

fn rt_starvation(mode: CloneMode) {
    let _g = lock();
    let wt = WorkType::rt_starvation();
    let reports = check_run(&wt, 1, mode, false, Duration::from_millis(500), false);
    let (rt, normal) = (role(&reports, 0, "rt"), role(&reports, 0, "normal"));
    let (rt_share, normal_share) = (share(rt), share(normal));
    eprintln!(
        "RtStarvation in {mode:?} mode: rt share {:.0} %, normal share {:.0} % \
         (expected about 20 %), normal's longest wait {} ms",
        rt_share * 100.0,
        normal_share * 100.0,
        normal.max_gap_ns / 1_000_000
    );
    // 4 ms bursts, 1 ms sleeps: the normal worker gets the sleeps.
    assert!(
        normal_share > 0.02 && normal_share < 0.6,
        "{mode:?}: the normal worker's share is {normal_share:.3}"
    );
    assert!(
        rt_share > normal_share,
        "{mode:?}: rt {rt_share:.3} vs normal {normal_share:.3}"
    );
    assert!(
        normal.max_gap_ns >= 2_000_000,
        "{mode:?}: the normal worker was never starved for a burst: max gap {} ns",
        normal.max_gap_ns
    );
}

#[test]
fn rt_starvation_fork_reports_the_normal_share() {
    rt_starvation(CloneMode::Fork);
}

#[test]
fn rt_starvation_thread_reports_the_normal_share() {
    rt_starvation(CloneMode::Thread);
}

fn preempt_storm(mode: CloneMode) {
    let _g = lock();
    let wt = WorkType::preempt_storm();
    let reports = check_run(&wt, 2, mode, false, RUN, false);
    for g in 0..2 {
        let sleeper = role(&reports, g, "sleeper");
        // 250 µs sleeps: hundreds of wakes in 300 ms.
        assert!(
            sleeper.wake_latency.count >= 50,
            "{mode:?}: only {} wakes",
            sleeper.wake_latency.count
        );
    }
}

#[test]
fn preempt_storm_fork() {
    preempt_storm(CloneMode::Fork);
}

#[test]
fn preempt_storm_thread() {
    preempt_storm(CloneMode::Thread);
}

fn smt_sibling_spin(mode: CloneMode) {
    let _g = lock();
    let wt = WorkType::smt_sibling_spin();
    let smt = TestTopology::from_system().unwrap().has_smt();
    let reports = check_run(&wt, 2, mode, false, RUN, !smt);
    for g in 0..2 {
        let pair = [role(&reports, g, "primary"), role(&reports, g, "sibling")];
        if smt {
            assert!(
                pair.iter().all(|r| r.notes.is_empty()),
                "{mode:?}: {pair:?}"
            );
            continue;
        }
        // No SMT: both pinned to one CPU, and each says so.
        let cpus: Vec<usize> = pair
            .iter()
            .map(|r| {
                assert_eq!(r.notes.len(), 1, "{mode:?}: {:?}", r.notes);
                let n = &r.notes[0];
                assert!(n.contains("the host has no SMT"), "{n}");
                let cpu = n.split("pinned to CPU ").nth(1).expect(n);
                cpu.split_whitespace().next().unwrap().parse().expect(n)
            })
            .collect();
        assert_eq!(
            cpus[0], cpus[1],
            "{mode:?}: group {g} was not pinned to one CPU"
        );
        for r in pair {
            assert!(
                r.cpus_used.contains(&(cpus[0] as u32)),
                "{mode:?}: {:?}",
                r.cpus_used
            );
        }
    }
}

#[test]
fn smt_sibling_spin_fork() {
    smt_sibling_spin(CloneMode::Fork);
}

#[test]
fn smt_sibling_spin_thread() {
    smt_sibling_spin(CloneMode::Thread);
}

/// The calling thread's capabilities: (effective, permitted, inheritable)
/// of the low 32 and the high 32.
type Caps = [[u32; 3]; 2];

fn capget() -> Caps {
    let mut header = [0x2008_0522u32, 0]; // _LINUX_CAPABILITY_VERSION_3, this thread
    let mut data: Caps = [[0; 3]; 2];
    // SAFETY: header and data have the kernel's layout for version 3.
    let r = unsafe { libc::syscall(libc::SYS_capget, header.as_mut_ptr(), data.as_mut_ptr()) };
    assert_eq!(r, 0, "capget");
    data
}

fn capset(data: &Caps) {
    let mut header = [0x2008_0522u32, 0];
    // SAFETY: as for capget; only this thread's capabilities change.
    let r = unsafe { libc::syscall(libc::SYS_capset, header.as_mut_ptr(), data.as_ptr()) };
    assert_eq!(r, 0, "capset");
}

/// Without `CAP_SYS_NICE` (and with no `RLIMIT_RTPRIO`, as here), every RT
/// role is refused `SCHED_FIFO`, falls back to the strongest nice value
/// allowed, says so, and the workload still runs. Capabilities are per
/// thread and inherited by the Thread-mode workers, so the test drops the
/// capability in a thread of its own.
#[test]
fn rt_roles_fall_back_without_cap_sys_nice() {
    let _g = lock();
    let rtprio = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_RTPRIO)
        .map(|(soft, _)| soft)
        .unwrap_or(0);
    if rtprio > 0 {
        eprintln!("skipped: RLIMIT_RTPRIO is {rtprio}, SCHED_FIFO would be granted anyway");
        return;
    }
    std::thread::spawn(|| {
        const CAP_SYS_NICE: u32 = 23;
        let mut caps = capget();
        caps[0][0] &= !(1 << CAP_SYS_NICE);
        capset(&caps);
        for (wt, rt_roles) in [
            (WorkType::priority_inversion(), &["waiter", "hog"][..]),
            (WorkType::rt_starvation(), &["rt"][..]),
            (WorkType::preempt_storm(), &["sleeper"][..]),
        ] {
            let what = format!("{} without CAP_SYS_NICE", wt.name());
            let reports = check_run(&wt, 1, CloneMode::Thread, false, RUN, true);
            for r in &reports {
                // The controller could not take its real-time priority
                // either: every report says so, once.
                let (controller, notes): (Vec<&String>, Vec<&String>) =
                    r.notes.iter().partition(|n| n.starts_with("controller:"));
                assert_eq!(
                    controller.len(),
                    1,
                    "{what}: {} notes {:?}",
                    r.role,
                    r.notes
                );
                assert!(controller[0].contains("refused"), "{}", controller[0]);
                if rt_roles.contains(&r.role.as_str()) {
                    assert_eq!(notes.len(), 1, "{what}: {} notes {:?}", r.role, r.notes);
                    let n = &notes[0];
                    assert!(
                        n.contains("SCHED_FIFO priority") && n.contains("refused"),
                        "{n}"
                    );
                    assert!(n.contains("at nice"), "{what}: {n}");
                } else {
                    assert!(notes.is_empty(), "{what}: {} notes {:?}", r.role, r.notes);
                }
            }
        }
    })
    .join()
    .unwrap();
}

/// Stopped before they ever ran, every member still completes a pass.
#[test]
fn stopped_before_start_completes_one_pass() {
    let _g = lock();
    for wt in [
        WorkType::priority_inversion(),
        WorkType::rt_starvation(),
        WorkType::preempt_storm(),
        WorkType::smt_sibling_spin(),
    ] {
        for mode in [CloneMode::Fork, CloneMode::Thread] {
            let what = format!("{} in {mode:?} mode, stopped before start", wt.name());
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

#[test]
fn priority_inversion_survives_a_dead_holder() {
    member_killed(WorkType::priority_inversion(), 0);
}

#[test]
fn preempt_storm_survives_a_dead_sleeper() {
    member_killed(WorkType::preempt_storm(), 0);
}
