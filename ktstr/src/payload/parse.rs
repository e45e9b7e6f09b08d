//! Reading the metrics a load generator prints when it ends.
//!
//! Each parser takes the payload's whole output (stdout and stderr
//! interleaved) and returns named metrics, or why the output did not hold
//! what that tool always prints.

use std::collections::BTreeMap;

/// Metrics by name.
pub type Metrics = BTreeMap<String, f64>;

/// `stress-ng --metrics-brief`: one `metrc:` line per stressor —
/// `<stressor> <bogo ops> <real s> <usr s> <sys s> <ops/s real> <ops/s usr+sys>`
/// — giving `<stressor>.bogo_ops`, `<stressor>.bogo_ops_per_s` (real time)
/// and `<stressor>.cpu_s` (usr + sys).
pub fn stress_ng(out: &str) -> Result<Metrics, String> {
    let mut m = Metrics::new();
    for line in out.lines() {
        let Some(rest) = line.strip_prefix("stress-ng: metrc:") else {
            continue;
        };
        // "[pid] stressor ops real usr sys rate rate"
        let fields: Vec<&str> = rest.split_whitespace().skip(1).collect();
        if fields.len() != 7 {
            continue;
        }
        let nums: Option<Vec<f64>> = fields[1..].iter().map(|f| f.parse().ok()).collect();
        let Some(n) = nums else {
            continue;
        };
        let s = fields[0];
        m.insert(format!("{s}.bogo_ops"), n[0]);
        m.insert(format!("{s}.bogo_ops_per_s"), n[4]);
        m.insert(format!("{s}.cpu_s"), n[2] + n[3]);
    }
    if m.is_empty() {
        return Err(
            "no per-stressor metrics lines (\"stress-ng: metrc: ...\"): did it run with --metrics-brief, and did it finish?"
                .into(),
        );
    }
    Ok(m)
}

/// `hackbench`: the `Time: <seconds>` line, as `time_s`.
pub fn hackbench(out: &str) -> Result<Metrics, String> {
    out.lines()
        .find_map(|l| l.trim().strip_prefix("Time:")?.trim().parse::<f64>().ok())
        .map(|t| Metrics::from([("time_s".to_string(), t)]))
        .ok_or_else(|| "no \"Time: <seconds>\" line: hackbench did not finish".into())
}

/// `perf bench sched messaging` / `pipe`: the `Total time: <s> [sec]`
/// line, as `time_s`, and for `pipe` the `usecs/op` figure as `us_per_op`.
pub fn perf_bench_sched(out: &str) -> Result<Metrics, String> {
    let mut m = Metrics::new();
    for l in out.lines().map(str::trim) {
        if let Some(rest) = l.strip_prefix("Total time:") {
            if let Some(t) = rest.split_whitespace().next().and_then(|t| t.parse().ok()) {
                m.insert("time_s".into(), t);
            }
        }
        if let Some((v, _)) = l.split_once("usecs/op") {
            if let Ok(us) = v.trim().parse() {
                m.insert("us_per_op".into(), us);
            }
        }
    }
    if m.contains_key("time_s") {
        Ok(m)
    } else {
        Err("no \"Total time: <s> [sec]\" line: perf bench did not finish".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRESS: &str = "\
stress-ng: info:  [31798] dispatching hogs: 2 cpu, 1 switch
stress-ng: metrc: [31798] stressor       bogo ops real time  usr time  sys time   bogo ops/s     bogo ops/s
stress-ng: metrc: [31798]                           (secs)    (secs)    (secs)   (real time) (usr+sys time)
stress-ng: metrc: [31798] cpu                1839      2.01      0.97      0.00       913.49        1902.82
stress-ng: metrc: [31798] switch           128570      2.00      0.09      0.59     64267.86      188059.39
stress-ng: metrc: [31798] miscellaneous metrics:
stress-ng: metrc: [31798] switch             15551.97 nanosecs per context switch (pipe method) (geometic mean of 1 instances)
stress-ng: info:  [31798] successful run completed in 2.03s
";

    #[test]
    fn payload_parses_stress_ng_metrics_brief() {
        let m = stress_ng(STRESS).unwrap();
        assert_eq!(m["cpu.bogo_ops"], 1839.0);
        assert_eq!(m["cpu.bogo_ops_per_s"], 913.49);
        assert!((m["switch.cpu_s"] - 0.68).abs() < 1e-9);
        assert_eq!(m.len(), 6);
        let e = stress_ng("stress-ng: info: [1] dispatching hogs: 2 cpu\n").unwrap_err();
        assert!(e.contains("--metrics-brief"), "{e}");
    }

    #[test]
    fn payload_parses_hackbench_and_perf() {
        let hb = "Running in process mode with 2 groups\nTime: 0.310\n";
        assert_eq!(hackbench(hb).unwrap()["time_s"], 0.31);
        assert!(hackbench("Running in process mode\n").is_err());
        let perf = "# 2 groups == 80 processes run\n\n     Total time: 0.261 [sec]\n";
        assert_eq!(perf_bench_sched(perf).unwrap()["time_s"], 0.261);
        let pipe = " Total time: 4.5 [sec]\n\n       4.500000 usecs/op\n         222222 ops/sec\n";
        let m = perf_bench_sched(pipe).unwrap();
        assert_eq!(m["us_per_op"], 4.5);
        assert!(perf_bench_sched("garbage").is_err());
    }
}
