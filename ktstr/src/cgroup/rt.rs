//! Real-time group scheduling budgets: [`RtBudget`] and the v1 `cpu`
//! files `cpu.rt_runtime_us` / `cpu.rt_period_us`.
//!
//! On a kernel with `CONFIG_RT_GROUP_SCHED` and the v1 `cpu` controller, a
//! new cgroup's `cpu.rt_runtime_us` is 0, and the kernel refuses
//! `SCHED_FIFO`/`SCHED_RR` for its tasks (EPERM from
//! `sched_setscheduler`, EINVAL when an RT task is moved in). So every
//! ktstr cgroup gets a budget when it is created:
//!
//! ```text
//! cpu root              950000 µs / 1 s  (sched_rt_runtime_us)
//! └── ktstr-<run>       all of the root's unallocated bandwidth
//!     ├── cg_0          Setup: an equal share of the run's budget
//!     └── cg_1          (create_cgroup: half of what its parent has free)
//! ```
//!
//! The kernel's rules (`tg_rt_schedulable` in `kernel/sched/rt.c`), which
//! ktstr checks before writing so a refusal names the numbers:
//!
//! - runtime ≤ period;
//! - a group's bandwidth is runtime/period in units of 2⁻²⁰
//!   (`to_ratio`), and the bandwidths of a group's children add up to at
//!   most its own;
//! - a group holding RT tasks cannot go to runtime 0 (EBUSY).
//!
//! ktstr gives every cgroup its parent's period, so "bandwidth" and
//! "runtime per period" agree down the tree. cgroup v2 has no per-cgroup
//! RT budget: RT tasks there run under the global `sched_rt_runtime_us`.
//! Removing a cgroup (`rmdir`) releases its budget; its tasks are drained
//! into its parent first, which has a budget of its own.

use std::path::{Path, PathBuf};

use super::write::Io;
use super::{CgroupError, Hierarchy};

/// The kernel's `BW_SHIFT`: bandwidth is a fraction in units of 2⁻²⁰.
const BW_SHIFT: u32 = 20;

const RUNTIME: &str = "cpu.rt_runtime_us";
const PERIOD: &str = "cpu.rt_period_us";

/// A cgroup's real-time budget: at most `runtime_us` of RT execution per
/// CPU in every `period_us` (v1 `cpu.rt_runtime_us`, `cpu.rt_period_us`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtBudget {
    /// RT runtime per period in µs; None when unlimited (-1).
    pub runtime_us: Option<u64>,
    /// The period in µs.
    pub period_us: u64,
}

impl RtBudget {
    /// The kernel's `to_ratio(period, runtime)`: the bandwidth in units of
    /// 2⁻²⁰ (unlimited is 1).
    pub(crate) fn ratio(&self) -> u64 {
        match self.runtime_us {
            None => 1 << BW_SHIFT,
            Some(r) => ((u128::from(r) << BW_SHIFT) / u128::from(self.period_us.max(1))) as u64,
        }
    }

    /// The runtime per this budget's period that `ratio` allows (rounded
    /// down, so it never exceeds the ratio).
    pub(crate) fn runtime_for(&self, ratio: u64) -> u64 {
        ((u128::from(ratio) * u128::from(self.period_us)) >> BW_SHIFT) as u64
    }

    /// The runtime this budget allows per its period (the period when
    /// unlimited).
    pub(crate) fn runtime_or_period(&self) -> u64 {
        self.runtime_us.unwrap_or(self.period_us)
    }
}

impl std::fmt::Display for RtBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.runtime_us {
            Some(r) => write!(f, "{r} µs per {} µs", self.period_us),
            None => write!(f, "unlimited per {} µs", self.period_us),
        }
    }
}

/// How much of its parent's free bandwidth a new cgroup takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Take {
    /// All of it (the run's parent).
    All,
    /// Half of it (any other cgroup; `Setup` then sets equal shares).
    Half,
}

/// The v1 `cpu` tree of a kernel with RT group scheduling.
#[derive(Clone, Debug)]
pub(crate) struct RtGroups {
    cpu: PathBuf,
}

impl RtGroups {
    /// The RT budget files of `hierarchy`, if the kernel has them (v1 `cpu`
    /// with `CONFIG_RT_GROUP_SCHED`).
    pub(crate) fn detect(io: &Io, hierarchy: &Hierarchy) -> Option<RtGroups> {
        match hierarchy {
            Hierarchy::V1 { cpu, .. } if io.read(&cpu.join(RUNTIME)).is_ok() => {
                Some(RtGroups { cpu: cpu.clone() })
            }
            _ => None,
        }
    }

    fn file(&self, rel: &Path, name: &str) -> PathBuf {
        self.cpu.join(rel).join(name)
    }

    /// The budget of `rel` (relative to the cpu root; "" is the root).
    pub(crate) fn budget(&self, io: &Io, rel: &Path) -> Result<RtBudget, CgroupError> {
        let parse = |name: &str| -> Result<i64, CgroupError> {
            let path = self.file(rel, name);
            let text = io.read(&path)?;
            text.parse().map_err(|_| CgroupError::Read {
                path,
                errno: nix::errno::Errno::EINVAL,
            })
        };
        let runtime = parse(RUNTIME)?;
        let period = parse(PERIOD)?;
        Ok(RtBudget {
            runtime_us: u64::try_from(runtime).ok(),
            period_us: u64::try_from(period).unwrap_or(0),
        })
    }

    /// The bandwidth `parent`'s children other than `except` hold.
    fn used(&self, io: &Io, parent: &Path, except: Option<&str>) -> Result<u64, CgroupError> {
        Ok(self
            .children(io, parent, except)?
            .iter()
            .map(RtBudget::ratio)
            .sum())
    }

    /// The budgets of `parent`'s children other than `except`.
    fn children(
        &self,
        io: &Io,
        parent: &Path,
        except: Option<&str>,
    ) -> Result<Vec<RtBudget>, CgroupError> {
        let mut out = Vec::new();
        for child in io.subdirs(&self.cpu.join(parent))? {
            if Some(child.as_str()) != except {
                out.push(self.budget(io, &parent.join(&child))?);
            }
        }
        Ok(out)
    }

    /// Give the new cgroup `rel` (runtime 0) its parent's period and `take`
    /// of its parent's free runtime. Returns the runtime given (0 when
    /// nothing is free).
    pub(crate) fn give_default(&self, io: &Io, rel: &Path, take: Take) -> Result<u64, CgroupError> {
        let parent = rel.parent().unwrap_or(Path::new(""));
        let pb = self.budget(io, parent)?;
        io.write(&self.file(rel, PERIOD), &pb.period_us.to_string())?;
        let me = rel.file_name().and_then(|n| n.to_str());
        let free = pb.ratio().saturating_sub(self.used(io, parent, me)?);
        let free = match take {
            Take::All => free,
            Take::Half => free / 2,
        };
        let runtime = pb.runtime_for(free).min(pb.runtime_or_period());
        if runtime > 0 {
            io.write(&self.file(rel, RUNTIME), &runtime.to_string())?;
        }
        Ok(runtime)
    }

    /// Set `rel`'s runtime per its period to `runtime_us`, after checking
    /// the kernel's rules (see the module doc); `name` is the cgroup's name
    /// for messages.
    pub(crate) fn set_runtime(
        &self,
        io: &Io,
        name: &str,
        rel: &Path,
        runtime_us: u64,
    ) -> Result<(), CgroupError> {
        let file = self.file(rel, RUNTIME);
        let mine = self.budget(io, rel)?;
        let refuse = |reason: String| CgroupError::RtBudget {
            name: name.into(),
            file: file.clone(),
            asked_us: runtime_us,
            period_us: mine.period_us,
            reason,
        };
        if runtime_us > mine.period_us {
            return Err(refuse("the runtime cannot exceed the period".into()));
        }
        let asked = RtBudget {
            runtime_us: Some(runtime_us),
            period_us: mine.period_us,
        };
        let parent = rel.parent().unwrap_or(Path::new(""));
        let pb = self.budget(io, parent)?;
        let me = rel.file_name().and_then(|n| n.to_str());
        let siblings = self.children(io, parent, me)?;
        let used: u64 = siblings.iter().map(RtBudget::ratio).sum();
        let free = pb.ratio().saturating_sub(used);
        if asked.ratio() > free {
            // In µs per this cgroup's period (ktstr's cgroups all have
            // their parent's), for the message.
            let held: u64 = siblings
                .iter()
                .map(|s| {
                    let r = u128::from(s.runtime_or_period()) * u128::from(mine.period_us);
                    (r / u128::from(s.period_us.max(1))) as u64
                })
                .sum();
            return Err(refuse(format!(
                "its parent {} has {pb} and its other children hold {held} µs of it: at most {} µs is free",
                self.cpu.join(parent).display(),
                asked.runtime_for(free)
            )));
        }
        let below = self.used(io, rel, None)?;
        if asked.ratio() < below {
            return Err(refuse(format!(
                "its own children hold {} µs per {} µs: shrink them first",
                asked.runtime_for(below),
                mine.period_us
            )));
        }
        io.write(&file, &runtime_us.to_string())
    }
}

/// The RT budget methods of [`CgroupManager`](super::CgroupManager).
impl super::CgroupManager {
    /// Give the new cgroup at `rel` (named `name` in messages) its
    /// default budget. Best effort: a cgroup without one still works for
    /// every other policy, so a failure is a warning, and a run's parent
    /// that gets nothing says so once.
    pub(super) fn give_rt_default(&self, rel: &Path, name: &str, take: Take) {
        let Some(rt) = &self.rt else { return };
        match rt.give_default(&self.io, rel, take) {
            Ok(0) if take == Take::All => eprintln!(
                "ktstr: warning: this run's cgroups get no real-time budget: {} has none free \
                 (SCHED_FIFO/SCHED_RR workers in them will be refused with EPERM)",
                rt.cpu.display()
            ),
            Ok(_) => {}
            Err(e) => eprintln!("ktstr: warning: no real-time budget for cgroup {name:?}: {e}"),
        }
    }

    /// The RT budget files, or why cgroup `name` cannot have a budget.
    pub(crate) fn rt_or_why(&self, name: &str) -> Result<&RtGroups, CgroupError> {
        self.rt.as_ref().ok_or_else(|| CgroupError::NoRtGroups {
            name: name.into(),
            why: match &self.hierarchy {
                Hierarchy::V2 { .. } => "cgroup v2 has no per-cgroup real-time budget: RT tasks \
                    in any cgroup run under the global /proc/sys/kernel/sched_rt_runtime_us"
                    .into(),
                Hierarchy::V1 { cpu, .. } => format!(
                    "this kernel has no RT group scheduling ({} has no {RUNTIME}): RT tasks run \
                     under the global /proc/sys/kernel/sched_rt_runtime_us",
                    cpu.display()
                ),
            },
        })
    }

    /// The real-time budget of cgroup `name`; None where the kernel has no
    /// per-cgroup budget (cgroup v2, or v1 without RT group scheduling).
    #[doc(alias = "cpu.rt_runtime_us")]
    pub fn rt_budget(&self, name: &str) -> Result<Option<RtBudget>, CgroupError> {
        let rel = self.existing(name)?;
        self.rt
            .as_ref()
            .map(|rt| rt.budget(&self.io, &rel))
            .transpose()
    }

    /// The runtime per period the run's parent has not given to its
    /// cgroups yet; None where the kernel has no per-cgroup budget.
    pub(crate) fn run_rt_free_us(&self) -> Result<Option<u64>, CgroupError> {
        let Some(rt) = &self.rt else { return Ok(None) };
        let pb = rt.budget(&self.io, self.parent_rel())?;
        let used = rt.used(&self.io, self.parent_rel(), None)?;
        Ok(Some(pb.runtime_for(pb.ratio().saturating_sub(used))))
    }

    /// The real-time budget of this run's parent (all its cgroups share
    /// it); None where the kernel has no per-cgroup budget.
    pub fn run_rt_budget(&self) -> Result<Option<RtBudget>, CgroupError> {
        self.rt
            .as_ref()
            .map(|rt| rt.budget(&self.io, self.parent_rel()))
            .transpose()
    }

    /// Give cgroup `name` `runtime_us` of real-time execution per its
    /// period (v1 `cpu.rt_runtime_us`; the period is its parent's, the
    /// kernel's `sched_rt_period_us`, 1 s by default). Every ktstr cgroup
    /// gets a default budget when created (the run's parent all that is free,
    /// a new cgroup half of what its parent has free, `Setup` equal shares);
    /// this sets it exactly.
    ///
    /// Errors, before anything is written: more than the parent has free
    /// beside its other children, more than the period, or less than the
    /// cgroup's own children hold ([`CgroupError::RtBudget`], naming the
    /// file and the numbers); no per-cgroup budget on this kernel or on
    /// cgroup v2 ([`CgroupError::NoRtGroups`]).
    #[doc(alias = "cpu.rt_runtime_us")]
    pub fn set_rt_runtime(&self, name: &str, runtime_us: u64) -> Result<(), CgroupError> {
        let rel = self.existing(name)?;
        self.rt_or_why(name)?
            .set_runtime(&self.io, name, &rel, runtime_us)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroup_rt_ratio_is_the_kernels() {
        let root = RtBudget {
            runtime_us: Some(950_000),
            period_us: 1_000_000,
        };
        assert_eq!(root.ratio(), (950_000u64 << 20) / 1_000_000);
        assert_eq!(
            RtBudget {
                runtime_us: None,
                period_us: 1_000_000
            }
            .ratio(),
            1 << 20
        );
        // Converting back never gives more than the ratio allows.
        for r in [0, 1, 999, 475_000, 949_999, 950_000] {
            let b = RtBudget {
                runtime_us: Some(r),
                period_us: 1_000_000,
            };
            let back = root.runtime_for(b.ratio());
            let again = RtBudget {
                runtime_us: Some(back),
                period_us: 1_000_000,
            };
            assert!(
                again.ratio() <= b.ratio() && back <= r && r - back <= 1,
                "{r} -> {back}"
            );
        }
        assert_eq!(root.to_string(), "950000 µs per 1000000 µs");
    }
}
