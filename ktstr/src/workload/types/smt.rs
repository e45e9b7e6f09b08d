//! `SmtSiblingSpin`: two spinners pinned to the two SMT siblings of one
//! core, competing for its execution units.
//!
//! Each member picks its CPU itself when it starts, after its configured
//! affinity and any cgroup placement took effect: from the host's
//! [`TestTopology`], the cores all of whose CPUs (two or more) the worker
//! may use, the group's one chosen round-robin by group number; the
//! "primary" takes the core's first CPU, the "sibling" its second. Both
//! members compute the same choice as long as they have the same allowed
//! CPUs. Where no such core exists (no SMT, or the allowed CPUs split
//! every core) both are pinned to one allowed CPU instead, and each says
//! so in a note: the pair then time-shares that CPU.

use crate::cpuset::CpuSet;
use crate::sys::sched;
use crate::topology::TestTopology;

use super::priority::pin_self;
use super::{Body, Entry, Family, Planned};
use crate::workload::{WorkType, Worker};

pub(crate) const SMT_SIBLING_SPIN: Entry = Entry {
    name: "SmtSiblingSpin",
    group: "2",
    about: "two spinners pinned to the SMT siblings of one core (one CPU without SMT): sibling contention",
    default: Some(WorkType::smt_sibling_spin),
};

/// `SmtSiblingSpin { spin_iters }`.
#[derive(Clone, Copy)]
pub(crate) struct SmtSiblingSpin {
    pub spin_iters: u64,
}

impl Family for SmtSiblingSpin {
    fn name(&self) -> &'static str {
        SMT_SIBLING_SPIN.name
    }

    fn group_size(&self) -> Option<usize> {
        Some(2)
    }

    fn validate(&self) -> Result<(), String> {
        if self.spin_iters == 0 {
            return Err(
                "SmtSiblingSpin spin_iters is 0: each iteration must spin at least 1 step".into(),
            );
        }
        Ok(())
    }

    fn plan(&self, n: usize) -> Result<Vec<Planned>, String> {
        Ok((0..n)
            .map(|i| Planned {
                body: Box::new(Spinner {
                    spin_iters: self.spin_iters,
                    group: i / 2,
                    which: i % 2,
                }),
                group: i / 2,
                role: ROLES[i % 2],
            })
            .collect())
    }
}

/// The roles, by position in the pair.
const ROLES: [&str; 2] = ["primary", "sibling"];

/// Where a member of a pair runs.
#[derive(Debug, PartialEq, Eq)]
enum Placement {
    /// On this CPU of an SMT core (the core's CPUs).
    Sibling { cpu: usize, core: CpuSet },
    /// On this CPU, shared with its partner, because of `why`.
    Shared { cpu: usize, why: String },
}

/// The placement of member `which` (0 or 1) of group `group`, given the
/// topology (None when it could not be read) and the allowed CPUs.
fn place(
    topo: Option<&TestTopology>,
    allowed: &CpuSet,
    group: usize,
    which: usize,
) -> Option<Placement> {
    let cpus: Vec<usize> = allowed.iter().collect();
    if cpus.is_empty() {
        return None;
    }
    let fallback_cpu = cpus[group % cpus.len()];
    let Some(topo) = topo else {
        return Some(Placement::Shared {
            cpu: fallback_cpu,
            why: "the topology could not be read".into(),
        });
    };
    let cores: Vec<&CpuSet> = topo
        .cores()
        .iter()
        .map(|c| c.cpus())
        .filter(|c| c.len() >= 2 && c.is_subset(allowed))
        .collect();
    if let Some(core) = cores.get(group % cores.len().max(1)) {
        let cpu = core.iter().nth(which).unwrap_or(0);
        return Some(Placement::Sibling {
            cpu,
            core: (*core).clone(),
        });
    }
    let why = if topo.has_smt() {
        format!("no core has all its SMT siblings among the allowed CPUs {allowed}")
    } else {
        "the host has no SMT".to_string()
    };
    Some(Placement::Shared {
        cpu: fallback_cpu,
        why,
    })
}

/// One spinner.
struct Spinner {
    spin_iters: u64,
    group: usize,
    /// 0 primary, 1 sibling.
    which: usize,
}

impl Body for Spinner {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        let who = format!("SmtSiblingSpin {}", ROLES[self.which]);
        match sched::get_affinity(w.tid()) {
            Err(e) => w.note(format!(
                "{who}: cannot read its allowed CPUs ({e}); running unpinned"
            )),
            Ok(allowed) => {
                let topo = TestTopology::from_system().ok();
                match place(topo.as_ref(), &allowed, self.group, self.which) {
                    None => w.note(format!("{who}: no allowed CPU; running unpinned")),
                    Some(Placement::Sibling { cpu, .. }) => {
                        pin_self(w, &who, &[cpu].into());
                    }
                    Some(Placement::Shared { cpu, why }) => {
                        if pin_self(w, &who, &[cpu].into()) {
                            w.note(format!(
                                "{who}: {why}: pinned to CPU {cpu} together with its partner \
                                 (the pair time-shares one CPU instead of two siblings)"
                            ));
                        }
                    }
                }
            }
        }
        loop {
            w.spin(self.spin_iters);
            w.end_iteration();
            if w.should_stop() {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siblings_share_a_core_round_robin_by_group() {
        let topo = TestTopology::synthetic(8, 1, true, 1).unwrap();
        let all: CpuSet = (0..8).collect();
        let at = |g, w| place(Some(&topo), &all, g, w).unwrap();
        assert_eq!(
            at(0, 0),
            Placement::Sibling {
                cpu: 0,
                core: [0, 1].into()
            }
        );
        assert!(matches!(at(0, 1), Placement::Sibling { cpu: 1, .. }));
        assert!(matches!(at(1, 0), Placement::Sibling { cpu: 2, .. }));
        assert!(matches!(at(5, 1), Placement::Sibling { cpu: 3, .. }));
        // Only cores wholly allowed are used.
        let some: CpuSet = [1, 2, 3, 5].into();
        assert!(matches!(
            place(Some(&topo), &some, 0, 0).unwrap(),
            Placement::Sibling { cpu: 2, .. }
        ));
    }

    #[test]
    fn without_smt_both_share_one_cpu_and_say_why() {
        let topo = TestTopology::synthetic(4, 1, false, 1).unwrap();
        let all: CpuSet = (0..4).collect();
        for which in 0..2 {
            match place(Some(&topo), &all, 1, which).unwrap() {
                Placement::Shared { cpu, why } => {
                    assert_eq!(cpu, 1);
                    assert!(why.contains("no SMT"), "{why}");
                }
                other => panic!("{other:?}"),
            }
        }
        let smt = TestTopology::synthetic(4, 1, true, 1).unwrap();
        let split: CpuSet = [0, 2].into();
        let Some(Placement::Shared { cpu: 2, why }) = place(Some(&smt), &split, 1, 0) else {
            panic!("a split allowed set cannot hold a pair of siblings");
        };
        assert!(why.contains("allowed CPUs 0,2"), "{why}");
        assert_eq!(place(Some(&smt), &CpuSet::new(), 0, 0), None);
    }
}
