//! What the rustdoc of the ten later grouped types promises about each
//! role (its name, and whether it samples wake latency), and the run
//! check built on it.

use std::collections::BTreeSet;
use std::time::Duration;

use ktstr::prelude::*;

use crate::common::{assert_real, config, group_of, run, COLLECT_BOUND};

/// When a role records wake-latency samples, per its type's rustdoc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Samples {
    /// Every pass blocks and is woken: there are always samples.
    Always,
    /// Only waits that happened are sampled (a lock or ring found busy):
    /// a worker that blocked more than a few times must have samples.
    IfBlocked,
    /// The role never blocks (a spinner, a waker that never sleeps).
    Never,
}

/// The role of each member of a group of `wt`, in order.
pub fn roles(wt: &WorkType) -> Vec<&'static str> {
    let g = wt.worker_group_size().unwrap();
    let first_then = |first: &'static str, rest: &'static str| {
        let mut v = vec![first];
        v.extend(std::iter::repeat(rest).take(g - 1));
        v
    };
    match wt {
        WorkType::ThunderingHerd { .. } => first_then("waker", "waiter"),
        WorkType::PriorityInversion { .. } => vec!["holder", "waiter", "hog"],
        WorkType::ProducerConsumerImbalance { producers, .. } => (0..g)
            .map(|i| {
                if i < *producers {
                    "producer"
                } else {
                    "consumer"
                }
            })
            .collect(),
        WorkType::RtStarvation { .. } => vec!["rt", "normal"],
        WorkType::AsymmetricWaker { .. } => vec!["waker", "wakee"],
        WorkType::WakeChain { .. } => first_then("head", "link"),
        WorkType::SignalStorm { .. } => vec!["sender", "receiver"],
        WorkType::PreemptStorm { .. } => vec!["sleeper", "spinner"],
        WorkType::EpollStorm { .. } => first_then("consumer", "producer"),
        WorkType::SmtSiblingSpin { .. } => vec!["primary", "sibling"],
        other => panic!("not one of the later grouped types: {other:?}"),
    }
}

/// What the rustdoc of `wt` says about `role`'s samples.
pub fn samples(wt: &WorkType, role: &str) -> Samples {
    match (wt, role) {
        (WorkType::AsymmetricWaker { .. }, "waker") => Samples::Never,
        (_, "holder" | "producer" | "consumer") => Samples::IfBlocked,
        (_, "normal" | "spinner" | "primary" | "sibling") => Samples::Never,
        _ => Samples::Always,
    }
}

/// Voluntary switches that are not waits for a partner: pinning to
/// another CPU (the migration waits for the stopper), a last wait cut
/// short by stop.
const SETUP_SWITCHES: u64 = 3;

/// Assert that every worker of a run of `wt` reported cleanly, progressed,
/// sat in its group and role, sampled as documented, and (unless
/// `notes_ok`) has no notes.
pub fn assert_members(reports: &[WorkerReport], wt: &WorkType, notes_ok: bool, what: &str) {
    let g = wt.worker_group_size().unwrap();
    let roles = roles(wt);
    for r in reports {
        assert_real(r, what);
        let ctx = format!("{what}, worker {} ({}, group {})", r.index, r.role, r.group);
        assert_eq!(r.work_type, wt.name(), "{ctx}");
        assert!(
            notes_ok || r.notes.is_empty(),
            "{ctx}: unexpected notes {:?}",
            r.notes
        );
        assert!(r.work_units > 0, "{ctx}: no work units");
        assert!(r.iterations > 0, "{ctx}: no iterations");
        assert_eq!(r.group, r.index / g, "{ctx}: group");
        assert_eq!(r.role, roles[r.index % g], "{ctx}: role");
        let l = &r.wake_latency;
        match samples(wt, &r.role) {
            Samples::Never => {
                assert_eq!(l.count, 0, "{ctx}: samples from a role that never blocks")
            }
            Samples::Always => assert!(l.count > 0, "{ctx}: no wake latency samples"),
            Samples::IfBlocked => assert!(
                l.count > 0 || r.voluntary_csw <= SETUP_SWITCHES,
                "{ctx}: blocked {} times but has no wake latency samples",
                r.voluntary_csw
            ),
        }
        // A sample taken from a missing or torn timestamp would be about
        // the machine's uptime.
        assert!(
            l.max_ns < 5_000_000_000,
            "{ctx}: implausible sample {} ns",
            l.max_ns
        );
    }
}

/// Run `groups` groups of `wt` in `mode` (optionally in a pcomm container)
/// for `dur`; checks collection time and members; returns the reports.
pub fn check_run(
    wt: &WorkType,
    groups: usize,
    mode: CloneMode,
    pcomm: bool,
    dur: Duration,
    notes_ok: bool,
) -> Vec<WorkerReport> {
    let mut cfg = config(wt.clone(), groups, mode);
    if pcomm {
        cfg.spec = WorkSpec::pcomm("ktstr-grouped");
    }
    let what = format!(
        "{} in {mode:?} mode{}",
        wt.name(),
        if pcomm { " (pcomm)" } else { "" }
    );
    let before = Leftovers::take();
    let (reports, took) = run(&cfg, dur);
    assert!(
        took < COLLECT_BOUND,
        "{what}: stop_and_collect took {took:?}"
    );
    assert_members(&reports, wt, notes_ok, &what);
    before.assert_same(&what);
    reports
}

/// The work units of each member of group `g`.
pub fn units(reports: &[WorkerReport], g: usize) -> Vec<u64> {
    group_of(reports, g).iter().map(|r| r.work_units).collect()
}

/// What a workload could leave in this process: children, descriptors.
pub struct Leftovers {
    children: BTreeSet<String>,
    fds: usize,
}

fn children() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for t in std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
    {
        if let Ok(s) = std::fs::read_to_string(t.path().join("children")) {
            out.extend(s.split_whitespace().map(str::to_string));
        }
    }
    out
}

fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

impl Leftovers {
    /// Snapshot now.
    pub fn take() -> Leftovers {
        Leftovers {
            children: children(),
            fds: fds(),
        }
    }

    /// Assert that no child and no descriptor was added since `self`.
    pub fn assert_same(&self, what: &str) {
        let new: Vec<_> = children().difference(&self.children).cloned().collect();
        assert!(new.is_empty(), "{what} left children behind: {new:?}");
        let now = fds();
        assert!(
            now <= self.fds,
            "{what} left descriptors open: {} -> {now}",
            self.fds
        );
    }
}
