// The one declaration of the check thresholds. This file holds only the
// `for_each_threshold!` macro: `ktstr/src/check/thresholds.rs` and
// `ktstr-macros/src/thresholds.rs` both `include!` it (a proc-macro crate
// cannot depend on the library), and generate from it everything that
// names a threshold. Keep it free of other items and of paths.

/// Calls `$m! { rows }` with every threshold, one row each, in evaluation
/// order:
///
/// `name / Key: type = default, unit "u", check Kind => evaluate_fn, "meaning";`
///
/// `type` is `bool` (a check switched on or off) or a limit type (`f64`,
/// `u64`: the check runs when a limit is set); `default` is the value, or
/// `off`. A flag's evaluator takes the group; a limit's takes the group and
/// the limit.
macro_rules! for_each_threshold {
    ($m:ident) => {
        $m! {
            not_starved / NotStarved: bool = true, unit "",
                check Starvation => starvation,
                "Fail when a worker made no progress (zero work units).";
            max_spread_pct / MaxSpreadPct: f64 = 25.0, unit "pp",
                check Fairness => fairness,
                "Most percentage points between the highest and lowest CPU share (CPU time / wall time) of the workers in one group.";
            max_gap_ms / MaxGapMs: u64 = 2000, unit "ms",
                check Gap => gap,
                "Longest allowed gap between a worker's progress checkpoints.";
            max_p99_wake_latency_us / MaxP99WakeLatencyUs: u64 = off, unit "µs",
                check WakeLatency => wake_latency,
                "Highest allowed p99 of the pooled wake latencies of a group.";
            min_work_rate / MinWorkRate: f64 = off, unit "units/s",
                check WorkRate => work_rate,
                "Lowest allowed work rate of any worker.";
            max_throughput_cv / MaxThroughputCv: f64 = off, unit "",
                check ThroughputCv => throughput_cv,
                "Highest allowed coefficient of variation of the work rates in a group.";
            max_migration_ratio / MaxMigrationRatio: f64 = off, unit "per iteration",
                check Migration => migration,
                "Highest allowed migrations per iteration in a group.";
            isolation / Isolation: bool = true, unit "",
                check Isolation => isolation,
                "Fail when a worker ran on a CPU outside its group's cpuset (groups without a cpuset are not checked).";
        }
    };
}
