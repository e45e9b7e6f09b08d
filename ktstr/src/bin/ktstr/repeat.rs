//! `ktstr run --repeat N`: run the workload N times and report how many
//! runs passed (every worker ended cleanly) and each metric's spread over
//! them, from the same metric extraction and spread `ktstr compare` and
//! the test harness's `--repeat` use. Every run's record is kept, as the
//! harness keeps a test's ([`ktstr::harness::kept`]): `ktstr compare`
//! reads them.

use std::path::PathBuf;

use anyhow::Context;
use ktstr::__private::TestOutcome;
use ktstr::harness::kept::{self, RepeatRecords};
use ktstr::prelude::*;
use serde_json::{json, Value};

use crate::run::{measure, verdict, Measured, RunArgs};
use crate::run_table::print_table;
use crate::Failure;

/// Where this run's records go: `--record DIR`, else where the harness
/// puts a test binary's (`$KTSTR_OUTPUT_DIR`, else the cargo target
/// directory ktstr was built in, else the temp dir; then `ktstr/ktstr`).
fn record_dir(args: &RunArgs) -> PathBuf {
    args.record.clone().unwrap_or_else(kept::record_dir)
}

/// The name a run's record is filed under, and `ktstr compare` matches
/// runs by: `run::<work type>`.
fn test_name(config: &WorkloadConfig) -> String {
    format!("run::{}", config.work_type.name())
}

/// The record of one run, in the harness's record layout: what `ktstr
/// compare` reads (`outcome.groups[].reports[]`) and what `ktstr plot`
/// draws (`outcome.samples`, `host`).
fn record(args: &RunArgs, config: &WorkloadConfig, m: &Measured, reason: Option<&str>) -> Value {
    json!({
        "format": ktstr::compare::RECORD_FORMAT,
        "ktstr_version": env!("CARGO_PKG_VERSION"),
        "test": test_name(config),
        "binary": "ktstr",
        "result": if reason.is_some() { "failed" } else { "passed" },
        "reason": reason,
        "config": config,
        "scheduler": args.scheduler,
        "outcome": TestOutcome {
            passed: reason.is_none(),
            error: reason.map(str::to_string),
            body_ns: m.ran.as_nanos() as u64,
            groups: vec![ktstr::check::ReportGroup::new("workers", m.reports.clone())],
            samples: Some(ktstr::scenario::Samples::bounded(
                m.every.as_millis() as u64,
                &m.samples,
            )),
            ..TestOutcome::default()
        },
        "host": kept::host(),
        "elapsed_ns": m.ran.as_nanos() as u64,
        "interrupted": m.interrupted,
    })
}

/// Why `result` failed, as a record says it.
fn reason_of(result: &Result<(), Failure>) -> Option<String> {
    match result {
        Ok(()) => None,
        Err(Failure::Runtime(e)) => Some(format!("{e:#}")),
        Err(Failure::Usage(e)) => Some(e.clone()),
    }
}

/// Whether to say where the records went: not with `-q`, nor inside the
/// VM of `ktstr run --vm` (its records stay in the guest).
fn tell(args: &RunArgs) -> bool {
    !args.quiet && !args.in_vm_guest
}

/// Keep the record of a single run whose verdict was `result` (not inside
/// the VM of `ktstr run --vm`: nobody could read it there), and hand it
/// back (for `--plot`).
pub(crate) fn keep_one(
    args: &RunArgs,
    config: &WorkloadConfig,
    m: &Measured,
    result: &Result<(), Failure>,
) -> Value {
    let rec = record(args, config, m, reason_of(result).as_deref());
    if args.in_vm_guest {
        return rec;
    }
    let path = kept::write_record(&record_dir(args), &test_name(config), &rec);
    if let (Some(p), true) = (path, tell(args)) {
        eprintln!("ktstr: record: {}", p.display());
    }
    rec
}

/// Run `config` `args.repeat` times; fails unless every run passed.
pub(crate) fn run(args: &RunArgs, config: &WorkloadConfig) -> Result<(), Failure> {
    let n = args.repeat;
    let mut kept = RepeatRecords::start(&record_dir(args), &test_name(config), n);
    let mut runs = Vec::new();
    for i in 1..=n {
        if ktstr::interrupt::requested() {
            break;
        }
        if !args.quiet {
            eprintln!("ktstr: repeat {i} of {n}");
        }
        let m = measure(args, config)?;
        let result = verdict(&m.reports);
        if !args.json {
            print_table(&m.reports, m.ran, m.interrupted);
        }
        let reason = reason_of(&result);
        kept.add(
            record(args, config, &m, reason.as_deref()),
            reason.as_deref(),
        );
        runs.push(json!({
            "index": i,
            "passed": result.is_ok(),
            "ran_ns": m.ran.as_nanos() as u64,
            "interrupted": m.interrupted,
            "reports": m.reports,
        }));
    }
    let ran = kept.count();
    let passed = kept.passed();
    let spreads = kept.spreads();
    let failures: Vec<String> = kept
        .failures()
        .map(|(i, why)| format!("repeat {i}: {why}"))
        .collect();
    let repeats = kept.repeats_dir();
    let failed = if ran < n as usize {
        Some(format!("interrupted after {ran} of {n} repeats"))
    } else if !failures.is_empty() {
        Some(format!("passed {passed}/{n}: {}", failures.join("; ")))
    } else {
        None
    };
    let summary = kept.finish(failed.as_deref());
    if args.json {
        let out = json!({
            "config": config,
            "repeat": n,
            "runs_done": ran,
            "passed": passed,
            "spread": spreads,
            "runs": runs,
            "record": summary,
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
    if let (Some(p), true) = (&summary, tell(args)) {
        eprintln!(
            "ktstr: records: {} (summary), {}/",
            p.display(),
            repeats.display()
        );
    }
    match failed {
        Some(why) => Err(Failure::Runtime(anyhow::anyhow!(why))),
        None => Ok(()),
    }
}
