//! `ktstr run --repeat N`: run the workload N times and report how many
//! runs passed (every worker ended cleanly) and each metric's spread over
//! them, from the same metric extraction and spread `ktstr compare` and
//! the test harness's `--repeat` use.

use anyhow::Context;
use ktstr::compare::{extract, spread};
use ktstr::prelude::*;

use crate::run::{measure, print_table, verdict, RunArgs};
use crate::Failure;

/// Run `config` `args.repeat` times; fails unless every run passed.
pub(crate) fn run(args: &RunArgs, config: &WorkloadConfig) -> Result<(), Failure> {
    let n = args.repeat;
    let mut metrics = Vec::new();
    let mut runs = Vec::new();
    let mut failures = Vec::new();
    for i in 1..=n {
        if ktstr::interrupt::requested() {
            break;
        }
        if !args.quiet {
            eprintln!("ktstr: repeat {i} of {n}");
        }
        let m = measure(args, config)?;
        // The record shape `compare::extract` reads: outcome.groups[].reports[].
        let record = serde_json::json!({"outcome": {"groups": [{"reports": &m.reports}]}});
        metrics.push(extract(&record));
        let result = verdict(&m.reports);
        if !args.json {
            print_table(&m.reports, m.ran, m.interrupted);
        }
        match &result {
            Ok(()) => {}
            Err(Failure::Runtime(e)) => failures.push(format!("repeat {i}: {e}")),
            Err(Failure::Usage(e)) => failures.push(format!("repeat {i}: {e}")),
        }
        runs.push(serde_json::json!({
            "index": i,
            "passed": result.is_ok(),
            "ran_ns": m.ran.as_nanos() as u64,
            "interrupted": m.interrupted,
            "reports": m.reports,
        }));
    }
    let ran = runs.len();
    let passed = ran - failures.len();
    let spreads = spread(&metrics);
    if args.json {
        let out = serde_json::json!({
            "config": config,
            "repeat": n,
            "runs_done": ran,
            "passed": passed,
            "spread": spreads,
            "runs": runs,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&out).context("encode JSON")?
        );
    } else {
        println!("passed {passed}/{n} (a run passes when every worker ended cleanly)");
        for s in &spreads {
            println!("  {s}");
        }
    }
    if ran < n as usize {
        return Err(Failure::Runtime(anyhow::anyhow!(
            "interrupted after {ran} of {n} repeats"
        )));
    }
    if !failures.is_empty() {
        return Err(Failure::Runtime(anyhow::anyhow!(
            "passed {passed}/{n}: {}",
            failures.join("; ")
        )));
    }
    Ok(())
}
