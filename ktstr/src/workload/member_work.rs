//! [`MemberWork`]: give one member of every group of a grouped work type
//! more or less spin work than the type's parameters say, so that an
//! asymmetric group (one producer with a fast and a slow consumer) needs no
//! new work type and no statics.
//!
//! The factor travels with the worker's seat (planned before any worker
//! exists, so it is the same in Fork, Thread and pcomm mode) and is applied
//! in the one place every grouped type burns its spin steps
//! (`types::group::burn`).

use serde::Serialize;

use super::WorkType;

/// Largest factor: a member 1000× slower than its peers is already
/// starved, and a larger one mostly makes stop slower to reach it.
pub const MAX_MEMBER_FACTOR: f64 = 1000.0;

/// Member `k` of every group does `factor` × the spin steps its role's
/// parameters ask for (rounded to the nearest step).
///
/// Set it with [`WorkloadConfig::with_member_work`](super::WorkloadConfig::with_member_work).
/// `k` is the position in the group, in the order the work type's doc
/// gives its roles (for `ProducerConsumerImbalance`, the producers come
/// first, then the consumers); worker `i` is member `i % group size` of
/// group `i / group size`. The spin steps scaled are those of the type's
/// `*_iters` parameters (`consume_iters` for a consumer, `produce_iters` for
/// a producer, `work_iters` and `hold_iters` around a lock, `spin_iters` of
/// a `FutexFanOut` member, ...). A role that burns no spin steps (the
/// members of `PipeIo`, `CachePipe`, `SmtSiblingSpin`, `RtStarvation` and
/// `FanOutCompute`, `PreemptStorm`'s spinner) cannot be slowed, so a
/// factor on it is refused rather than silently ignored.
///
/// Every affected worker's [`WorkerReport::notes`](super::WorkerReport::notes)
/// says its factor, so a reader of the record sees the asymmetry.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MemberWork {
    /// Position in the group (0-based), below the type's group size.
    pub k: usize,
    /// Multiplier of the member's spin steps: finite, above 0, at most
    /// [`MAX_MEMBER_FACTOR`]. Below 1 makes the member faster.
    pub factor: f64,
}

/// Whether member `k` of `work_type` spends its work in the spin steps a
/// factor scales (the `burn` of the grouped types). Kept beside the roles'
/// bodies' documentation: the types listed here have members whose loops
/// never call `burn`.
fn burns_spin_steps(work_type: &WorkType, k: usize) -> bool {
    match work_type {
        WorkType::PipeIo { .. }
        | WorkType::CachePipe { .. }
        | WorkType::SmtSiblingSpin { .. }
        | WorkType::RtStarvation { .. }
        | WorkType::FanOutCompute { .. } => false,
        // Roles "sleeper" (k = 0, burns after each wake) and "spinner".
        WorkType::PreemptStorm { .. } => k == 0,
        _ => true,
    }
}

impl MemberWork {
    /// Check every entry against `work_type`: a grouped type, `k` inside
    /// its group, each `k` at most once, a usable factor.
    pub(crate) fn validate(entries: &[MemberWork], work_type: &WorkType) -> Result<(), String> {
        if entries.is_empty() {
            return Ok(());
        }
        let name = work_type.name();
        let Some(size) = work_type.worker_group_size() else {
            return Err(format!(
                "member_work is set but {name} is not a grouped type (its workers have no \
                 position in a group): remove member_work, or use separate WorkloadConfigs \
                 for workers that should do different amounts of work"
            ));
        };
        for (i, m) in entries.iter().enumerate() {
            if m.k >= size {
                return Err(format!(
                    "member_work k = {} is outside a group of {name}, which has {size} \
                     members (k = 0..={})",
                    m.k,
                    size - 1
                ));
            }
            if !m.factor.is_finite() || m.factor <= 0.0 || m.factor > MAX_MEMBER_FACTOR {
                return Err(format!(
                    "member_work factor {} for member {}: it must be a finite number above 0 \
                     and at most {MAX_MEMBER_FACTOR} (1 is the type's own amount)",
                    m.factor, m.k
                ));
            }
            if !burns_spin_steps(work_type, m.k) {
                return Err(format!(
                    "member_work on member {} of {name}: that role burns no spin steps (its \
                     work is I/O, a compute kernel or a fixed spin), so a factor would change \
                     nothing; give it to a member that spins (see MemberWork), or pick the \
                     work type's own parameters",
                    m.k
                ));
            }
            if entries[..i].iter().any(|e| e.k == m.k) {
                return Err(format!(
                    "member_work gives member {} two factors: give each member at most one",
                    m.k
                ));
            }
        }
        Ok(())
    }

    /// The factor of member `k` (1 when none is set).
    pub(crate) fn factor_of(entries: &[MemberWork], k: usize) -> f64 {
        entries.iter().find(|m| m.k == k).map_or(1.0, |m| m.factor)
    }

    /// `steps` scaled by `factor`, rounded (saturating at `u64::MAX`).
    #[inline]
    pub(crate) fn scale(steps: u64, factor: f64) -> u64 {
        if factor == 1.0 {
            steps
        } else {
            (steps as f64 * factor).round() as u64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pc() -> WorkType {
        WorkType::ProducerConsumerImbalance {
            producers: 1,
            consumers: 2,
            ring_size: 16,
            produce_iters: 64,
            consume_iters: 4096,
        }
    }

    fn check(k: usize, factor: f64) -> Result<(), String> {
        MemberWork::validate(&[MemberWork { k, factor }], &pc())
    }

    #[test]
    fn a_member_inside_the_group_with_a_sane_factor_is_accepted() {
        assert_eq!(check(2, 8.0), Ok(()));
        assert_eq!(check(0, 0.5), Ok(()));
        assert_eq!(check(1, MAX_MEMBER_FACTOR), Ok(()));
        assert_eq!(MemberWork::validate(&[], &WorkType::SpinWait), Ok(()));
    }

    #[test]
    fn k_outside_the_group_is_refused_with_the_group_size() {
        let e = check(3, 8.0).unwrap_err();
        assert!(e.contains("k = 3") && e.contains("3 members"), "{e}");
    }

    #[test]
    fn a_zero_negative_huge_or_nan_factor_is_refused() {
        for f in [0.0, -1.0, f64::NAN, f64::INFINITY, MAX_MEMBER_FACTOR * 2.0] {
            let e = check(1, f).unwrap_err();
            assert!(e.contains("finite number above 0"), "{f}: {e}");
        }
    }

    #[test]
    fn a_role_without_spin_steps_is_refused_not_ignored() {
        let one = [MemberWork { k: 1, factor: 2.0 }];
        let e = MemberWork::validate(&one, &WorkType::pipe_io()).unwrap_err();
        assert!(e.contains("burns no spin steps"), "{e}");
        let storm = WorkType::preempt_storm();
        let e = MemberWork::validate(&one, &storm).unwrap_err();
        assert!(e.contains("member 1 of PreemptStorm"), "{e}");
        let sleeper = [MemberWork { k: 0, factor: 2.0 }];
        MemberWork::validate(&sleeper, &storm).unwrap();
    }

    #[test]
    fn an_ungrouped_type_and_a_repeated_member_are_refused() {
        let one = [MemberWork { k: 0, factor: 2.0 }];
        let e = MemberWork::validate(&one, &WorkType::SpinWait).unwrap_err();
        assert!(e.contains("SpinWait is not a grouped type"), "{e}");
        let twice = [one[0], MemberWork { k: 0, factor: 3.0 }];
        let e = MemberWork::validate(&twice, &pc()).unwrap_err();
        assert!(e.contains("member 0 two factors"), "{e}");
    }

    #[test]
    fn each_seat_carries_its_member_position_and_factor() {
        use crate::workload::types::seats;
        let config = crate::workload::WorkloadConfig {
            num_workers: 6,
            work_type: pc(),
            ..Default::default()
        }
        .with_member_work(2, 8.0);
        let plan = config.work_type.family().plan(6).unwrap();
        let seats = seats(&plan, "ProducerConsumerImbalance", &config);
        let got: Vec<(usize, usize, &str, f64)> = seats
            .iter()
            .map(|s| (s.group, s.member, s.role, s.work_factor))
            .collect();
        assert_eq!(
            got,
            [
                (0, 0, "producer", 1.0),
                (0, 1, "consumer", 1.0),
                (0, 2, "consumer", 8.0),
                (1, 0, "producer", 1.0),
                (1, 1, "consumer", 1.0),
                (1, 2, "consumer", 8.0),
            ]
        );
    }

    #[test]
    fn factors_are_looked_up_and_scale_rounds() {
        let set = [MemberWork { k: 2, factor: 8.0 }];
        assert_eq!(MemberWork::factor_of(&set, 2), 8.0);
        assert_eq!(MemberWork::factor_of(&set, 1), 1.0);
        assert_eq!(MemberWork::scale(4096, 8.0), 32768);
        assert_eq!(MemberWork::scale(3, 0.5), 2);
        assert_eq!(MemberWork::scale(7, 1.0), 7);
        assert_eq!(MemberWork::scale(u64::MAX, 2.0), u64::MAX);
    }
}
