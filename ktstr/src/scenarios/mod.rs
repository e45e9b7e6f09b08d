//! Canned scenarios any scheduler should pass, registered with one line in
//! a `harness = false` test target:
//!
//! ```ignore
//! ktstr::scenarios::suite!();                 // the kernel's default scheduler
//! ktstr::scenarios::suite!(BPFLAND);          // a declared sched_ext scheduler
//! ktstr::scenarios::suite!(BPFLAND, known_failures = ["weight_ratio"]);
//! ktstr::main!();
//! ```
//!
//! Each becomes a test named `scenarios::<name>` that filters, `--list`
//! and nextest see like any other (`cargo test -- scenarios::weight`). A
//! suite for a scheduler runs in a VM by itself on a host without
//! sched_ext. Scenarios that build cgroups need root (reported ignored
//! otherwise).
//!
//! | scenario | what it checks | why a scheduler would fail it |
//! |---|---|---|
//! | [`disjoint_cgroups`] | workers stay in their cgroup's half of the CPUs, fair inside each | ignores cpusets, balances across them |
//! | [`overlapping_cgroups`] | isolation inside overlapping cpusets, nobody starves | per-domain state starves the shared CPUs |
//! | [`weight_ratio`] | `cpu.weight` 200:100 on one CPU gives 1.4:1–3:1 | ignores cgroup weights |
//! | [`cpu_max_throttles`] | `cpu.max` 0.5 CPU holds two spinners to 0.3–0.7 CPU | bypasses bandwidth control |
//! | [`cgroup_churn`] | 40 cgroups made and removed beside running workers; no stall | cgroup callbacks stall or leak |
//! | [`cpuset_shrink_grow`] | after a shrink to CPU 0 every worker runs only there | keeps tasks on CPUs their cpuset lost |
//! | [`oversubscription`] | 8 spinners per CPU: no starvation, spread ≤ 25 pp, gap ≤ 2 s | slices or balance break down on long queues |
//! | [`every_work_type`] | every non-RT work type at once: all end cleanly, each makes progress | one behaviour shut out or crashed by the others |
//! | [`fork_exit_storm`] | spinners beside fork/exit churn: no starvation, no stall | new-task wake-up or load accounting |
//! | [`affinity_churn`] | spinners beside affinity churners: no starvation, no stall | mishandled affinity changes strand tasks |
//! | [`wake_latency_under_load`] | a pipe pair's p99 wake latency ≤ 50 ms beside 2 hogs per CPU | woken tasks wait whole slices behind hogs |
//! | [`rt_hog_beside_normal`] | a normal task next to a FIFO hog still runs, gap ≤ 2 s | RT monopolisation (skipped when RT throttling is off by configuration) |

mod layout;
mod load;

pub use layout::{
    cgroup_churn, cpu_max_throttles, cpuset_shrink_grow, disjoint_cgroups, overlapping_cgroups,
    weight_ratio,
};
pub use load::{
    affinity_churn, every_work_type, fork_exit_storm, oversubscription, rt_hog_beside_normal,
    wake_latency_under_load,
};

/// Run scenario `name` for a suite whose scheduler is known to fail the
/// scenarios in `known`. A scenario in `known` is never reported passed:
/// while it fails it is reported ignored with the failure's message
/// ("known failure of this scheduler: ..."), and when it passes it is
/// reported ignored as "known failure passed this time" (like pytest's
/// non-strict xfail), so a fix or a flaky verdict shows without breaking
/// the run. Every other scenario is judged as usual.
pub fn judge_known(
    ctx: &mut crate::harness::Ctx,
    name: &str,
    known: &[&str],
    scenario: fn(&mut crate::harness::Ctx) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let result = scenario(ctx);
    if !known.contains(&name) {
        return result;
    }
    match result {
        Ok(()) => ctx.skip(format!(
            "known failure of this scheduler passed this time: if it keeps passing, remove {name} from known_failures"
        )),
        Err(e) => ctx.skip(format!("known failure of this scheduler: {e:#}")),
    }
}

/// Register the canned scenarios as tests `scenarios::<name>` of this
/// binary: `suite!()` for the kernel's default scheduler, `suite!(SCHED)`
/// with a `Scheduler` const (e.g. `BPFLAND`), and either with
/// `known_failures = ["weight_ratio", ...]`: scenarios the scheduler is
/// known to fail, reported ignored with what happened (see
/// [`judge_known`]).
#[doc(hidden)]
#[macro_export]
macro_rules! __ktstr_scenarios_suite {
    (@tests [$($sched:tt)*] [$($k:literal),*]) => {
        /// The canned scenarios (`ktstr::scenarios`).
        mod scenarios {
            #[allow(unused_imports)]
            use super::*;
            use $crate::harness::Ctx;

            #[$crate::test($($sched)* requires(root, min_cpus = 2), duration = "2s")]
            fn disjoint_cgroups(ctx: &mut Ctx) -> $crate::__private::anyhow::Result<()> {
                $crate::scenarios::judge_known(ctx, "disjoint_cgroups", &[$($k),*], $crate::scenarios::disjoint_cgroups)
            }
            #[$crate::test($($sched)* requires(root, min_cpus = 2), duration = "2s")]
            fn overlapping_cgroups(ctx: &mut Ctx) -> $crate::__private::anyhow::Result<()> {
                $crate::scenarios::judge_known(ctx, "overlapping_cgroups", &[$($k),*], $crate::scenarios::overlapping_cgroups)
            }
            #[$crate::test($($sched)* requires(root), duration = "2s")]
            fn weight_ratio(ctx: &mut Ctx) -> $crate::__private::anyhow::Result<()> {
                $crate::scenarios::judge_known(ctx, "weight_ratio", &[$($k),*], $crate::scenarios::weight_ratio)
            }
            #[$crate::test($($sched)* requires(root), duration = "2s")]
            fn cpu_max_throttles(ctx: &mut Ctx) -> $crate::__private::anyhow::Result<()> {
                $crate::scenarios::judge_known(ctx, "cpu_max_throttles", &[$($k),*], $crate::scenarios::cpu_max_throttles)
            }
            #[$crate::test($($sched)* requires(root), duration = "2s")]
            fn cgroup_churn(ctx: &mut Ctx) -> $crate::__private::anyhow::Result<()> {
                $crate::scenarios::judge_known(ctx, "cgroup_churn", &[$($k),*], $crate::scenarios::cgroup_churn)
            }
            #[$crate::test($($sched)* requires(root, min_cpus = 2), duration = "3s")]
            fn cpuset_shrink_grow(ctx: &mut Ctx) -> $crate::__private::anyhow::Result<()> {
                $crate::scenarios::judge_known(ctx, "cpuset_shrink_grow", &[$($k),*], $crate::scenarios::cpuset_shrink_grow)
            }
            #[$crate::test($($sched)* duration = "2s")]
            fn oversubscription(ctx: &mut Ctx) -> $crate::__private::anyhow::Result<()> {
                $crate::scenarios::judge_known(ctx, "oversubscription", &[$($k),*], $crate::scenarios::oversubscription)
            }
            #[$crate::test($($sched)* duration = "2s")]
            fn every_work_type(ctx: &mut Ctx) -> $crate::__private::anyhow::Result<()> {
                $crate::scenarios::judge_known(ctx, "every_work_type", &[$($k),*], $crate::scenarios::every_work_type)
            }
            #[$crate::test($($sched)* duration = "2s")]
            fn fork_exit_storm(ctx: &mut Ctx) -> $crate::__private::anyhow::Result<()> {
                $crate::scenarios::judge_known(ctx, "fork_exit_storm", &[$($k),*], $crate::scenarios::fork_exit_storm)
            }
            #[$crate::test($($sched)* duration = "2s")]
            fn affinity_churn(ctx: &mut Ctx) -> $crate::__private::anyhow::Result<()> {
                $crate::scenarios::judge_known(ctx, "affinity_churn", &[$($k),*], $crate::scenarios::affinity_churn)
            }
            #[$crate::test($($sched)* duration = "2s")]
            fn wake_latency_under_load(ctx: &mut Ctx) -> $crate::__private::anyhow::Result<()> {
                $crate::scenarios::judge_known(ctx, "wake_latency_under_load", &[$($k),*], $crate::scenarios::wake_latency_under_load)
            }
            #[$crate::test($($sched)* requires(root), duration = "2s")]
            fn rt_hog_beside_normal(ctx: &mut Ctx) -> $crate::__private::anyhow::Result<()> {
                $crate::scenarios::judge_known(ctx, "rt_hog_beside_normal", &[$($k),*], $crate::scenarios::rt_hog_beside_normal)
            }
        }
    };
    () => {
        $crate::__ktstr_scenarios_suite!(@tests [] []);
    };
    (known_failures = [$($k:literal),* $(,)?]) => {
        $crate::__ktstr_scenarios_suite!(@tests [] [$($k),*]);
    };
    ($sched:ident) => {
        $crate::__ktstr_scenarios_suite!(@tests [scheduler = $sched,] []);
    };
    ($sched:ident, known_failures = [$($k:literal),* $(,)?]) => {
        $crate::__ktstr_scenarios_suite!(@tests [scheduler = $sched,] [$($k),*]);
    };
}

pub use crate::__ktstr_scenarios_suite as suite;
