//! [`StepCheck`]: what a step asserts over its own window of samples.

use std::time::Duration;

use super::series::{cgroup_cpu_ns, cgroup_of, longest_stall, progress, rate, tracks, Sample};
use crate::check::{CheckKind, CheckResult, CheckStatus};
use crate::cpuset::CpuSet;

/// A check over one step's window: the samples from the step's start
/// (plus its `settle`) to its end. Nothing outside the window counts.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum StepCheck {
    /// Every worker seen in the window (outside frozen cgroups) made
    /// progress in it.
    NotStarved,
    /// No worker's progress stalled longer than this in the window
    /// (resolution: the sampling period).
    MaxStall(Duration),
    /// CPU time of cgroup `num` over that of `den`, within `min..=max`.
    Share {
        /// The numerator's cgroup.
        num: String,
        /// The denominator's cgroup.
        den: String,
        /// The lowest accepted ratio.
        min: f64,
        /// The highest accepted ratio.
        max: f64,
    },
    /// The cgroup's iterations per second (all its workers) within
    /// `min..=max`.
    Rate {
        /// The cgroup.
        cgroup: String,
        /// Lowest accepted rate.
        min: f64,
        /// Highest accepted rate.
        max: f64,
    },
    /// Every sample of the cgroup's workers shows them on a CPU of its
    /// cpuset (as set now).
    OnItsCpus(String),
}

impl StepCheck {
    /// [`StepCheck::Share`].
    pub fn share(num: impl Into<String>, den: impl Into<String>, min: f64, max: f64) -> StepCheck {
        StepCheck::Share {
            num: num.into(),
            den: den.into(),
            min,
            max,
        }
    }

    /// [`StepCheck::Rate`].
    pub fn rate(cgroup: impl Into<String>, min: f64, max: f64) -> StepCheck {
        StepCheck::Rate {
            cgroup: cgroup.into(),
            min,
            max,
        }
    }

    /// [`StepCheck::OnItsCpus`].
    pub fn on_its_cpus(cgroup: impl Into<String>) -> StepCheck {
        StepCheck::OnItsCpus(cgroup.into())
    }
}

/// What a check needs to know besides the samples.
pub(super) struct Scope<'a> {
    /// "step 1 'shrink'".
    pub label: String,
    /// The cgroups frozen during the step.
    pub frozen: Vec<String>,
    /// A cgroup's cpuset now (None: not restricted or unknown).
    pub cpus: &'a dyn Fn(&str) -> Option<CpuSet>,
}

fn secs(ms: u64) -> String {
    format!("{:.2} s", ms as f64 / 1000.0)
}

impl StepCheck {
    pub(super) fn evaluate(&self, window: &[Sample], scope: &Scope<'_>) -> CheckResult {
        let res = |kind, group: &str, ok: Result<String, (String, String)>, limit: String| {
            let group = format!("{} {group}", scope.label).trim_end().to_string();
            match ok {
                Ok(measured) => CheckResult {
                    kind,
                    group,
                    status: CheckStatus::Passed,
                    threshold: limit,
                    measured,
                    message: String::new(),
                },
                Err((measured, why)) => CheckResult {
                    kind,
                    message: why,
                    group,
                    status: CheckStatus::Failed,
                    threshold: limit,
                    measured,
                },
            }
        };
        let na = |kind, why: String| CheckResult {
            kind,
            group: scope.label.clone(),
            status: CheckStatus::NotApplicable { why },
            threshold: String::new(),
            measured: "n/a".into(),
            message: String::new(),
        };
        if window.len() < 2 {
            return na(
                self.kind(),
                format!("{} samples in the window", window.len()),
            );
        }
        let ts = tracks(window);
        let live: Vec<_> = ts
            .iter()
            .filter(|t| t.len() >= 2 && !scope.frozen.iter().any(|f| f == cgroup_of(t)))
            .collect();
        let (from, to) = (window[0].at_ms, window[window.len() - 1].at_ms);
        match self {
            StepCheck::NotStarved => {
                let starved: Vec<String> = live
                    .iter()
                    .filter(|t| progress(t) == 0)
                    .map(|t| {
                        let w = &t[0].1.worker;
                        format!("worker {} (tid {}) of {}", w.index, w.tid, cgroup_of(t))
                    })
                    .collect();
                let limit = "> 0 iterations".to_string();
                let ok = match starved.as_slice() {
                    [] => Ok(format!("{} workers progressed", live.len())),
                    s => Err((
                        format!("{} starved", s.len()),
                        format!(
                            "{} made no progress from {} to {} into the run",
                            s.join(", "),
                            secs(from),
                            secs(to)
                        ),
                    )),
                };
                res(CheckKind::Starvation, "", ok, limit)
            }
            StepCheck::MaxStall(limit) => {
                let limit_ms = limit.as_millis() as u64;
                let worst = live
                    .iter()
                    .map(|t| (longest_stall(t), t))
                    .max_by_key(|((ms, _), _)| *ms);
                let Some(((ms, at), t)) = worst else {
                    return na(CheckKind::Gap, "no worker in the window".into());
                };
                let w = &t[0].1.worker;
                let ok = if ms <= limit_ms {
                    Ok(format!("{ms} ms"))
                } else {
                    Err((
                        format!("{ms} ms"),
                        format!(
                            "worker {} (tid {}) of {} made no progress for {ms} ms from {} into the run",
                            w.index,
                            w.tid,
                            cgroup_of(t),
                            secs(at)
                        ),
                    ))
                };
                res(CheckKind::Gap, "", ok, format!("{limit_ms} ms"))
            }
            StepCheck::Share { num, den, min, max } => {
                let (Some(a), Some(b)) = (cgroup_cpu_ns(window, num), cgroup_cpu_ns(window, den))
                else {
                    return na(
                        CheckKind::Fairness,
                        format!("no CPU times of {num} and {den} in the window"),
                    );
                };
                let ratio = a as f64 / b.max(1) as f64;
                let m = format!("{ratio:.2}:1 ({} ms : {} ms)", a / 1_000_000, b / 1_000_000);
                let ok = if (*min..=*max).contains(&ratio) {
                    Ok(m)
                } else {
                    let why = format!(
                        "{num}:{den} CPU time was {ratio:.2}:1 from {} to {} into the run",
                        secs(from),
                        secs(to)
                    );
                    Err((m, why))
                };
                res(
                    CheckKind::Fairness,
                    &format!("{num}:{den}"),
                    ok,
                    format!("{min}..={max}"),
                )
            }
            StepCheck::Rate { cgroup, min, max } => {
                let Some(r) = rate(window, cgroup) else {
                    return na(
                        CheckKind::WorkRate,
                        format!("no worker of {cgroup} in the window"),
                    );
                };
                let ok = if (*min..=*max).contains(&r) {
                    Ok(format!("{r:.1}/s"))
                } else {
                    Err((
                        format!("{r:.1}/s"),
                        format!(
                            "{cgroup} ran {r:.1} iterations/s from {} to {}",
                            secs(from),
                            secs(to)
                        ),
                    ))
                };
                res(CheckKind::WorkRate, cgroup, ok, format!("{min}..={max}/s"))
            }
            StepCheck::OnItsCpus(cgroup) => {
                let Some(set) = (scope.cpus)(cgroup) else {
                    return na(CheckKind::Isolation, format!("{cgroup} has no cpuset"));
                };
                let mut seen = 0;
                let mut outside = Vec::new();
                for s in window {
                    for p in s.points.iter().filter(|p| &p.cgroup == cgroup) {
                        if let Some(cpu) = p.worker.cpu {
                            seen += 1;
                            if !set.contains(cpu as usize) {
                                outside.push(format!(
                                    "worker {} (tid {}) on CPU {cpu} at {}",
                                    p.worker.index,
                                    p.worker.tid,
                                    secs(s.at_ms)
                                ));
                            }
                        }
                    }
                }
                if seen == 0 {
                    return na(CheckKind::Isolation, format!("no sample of {cgroup}"));
                }
                let ok = match outside.len() {
                    0 => Ok(format!("{seen} samples on {set}")),
                    n => Err((
                        format!("{n} of {seen} outside"),
                        format!("outside cpuset {set}: {}", outside.join(", ")),
                    )),
                };
                res(CheckKind::Isolation, cgroup, ok, format!("CPUs {set}"))
            }
        }
    }

    fn kind(&self) -> CheckKind {
        match self {
            StepCheck::NotStarved => CheckKind::Starvation,
            StepCheck::MaxStall(_) => CheckKind::Gap,
            StepCheck::Share { .. } => CheckKind::Fairness,
            StepCheck::Rate { .. } => CheckKind::WorkRate,
            StepCheck::OnItsCpus(_) => CheckKind::Isolation,
        }
    }
}
