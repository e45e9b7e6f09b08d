//! [`PeersArgs`] and [`main`]: run `ktstr bench peers` and print it.

use std::io::IsTerminal;
use std::time::Instant;

use anyhow::anyhow;
use serde::Serialize;

use super::super::host::{loadavg, print_host, Host, NOISE_NOTE};
use super::super::Common;
use super::exec::Tool;
use super::{self as peers, GroupExtra, Issues, PeersPlan, Row, GROUP_NOTES};
use crate::Failure;

/// Arguments of `ktstr bench peers`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Peers: `perf` comes from the Debian package linux-perf, `hackbench` from \
     rt-tests (apt-get install linux-perf rt-tests). A missing or failing peer is skipped with \
     the reason; only an engine failure makes the exit code 1."
)]
pub(crate) struct PeersArgs {
    #[command(flatten)]
    pub common: Common,
}

/// The settings a run used, as they appear in the JSON.
#[derive(Debug, Serialize)]
struct Settings {
    /// `--quick` was given.
    quick: bool,
    /// Measurements of every row.
    repeat: usize,
    /// Seconds of each ktstr run (and about each peer run).
    run_s: f64,
    /// The CPU of the pinned rows.
    pinned_cpu: usize,
    /// PipeIo pairs of the many-groups part.
    pairs: usize,
}

/// The whole result, as printed with `--json`.
#[derive(Debug, Serialize)]
struct Report {
    /// The machine.
    host: Host,
    /// The noise caveat.
    note: &'static str,
    /// How the bench ran.
    settings: Settings,
    /// The peer programs and where they were found.
    tools: Vec<Tool>,
    /// Part 1: pairs, round trips per second.
    pairs: Vec<Row>,
    /// Part 2: many groups, messages per second.
    groups: Vec<Row>,
    /// What part 2 measured beyond its rows.
    groups_extra: GroupExtra,
    /// How the part 2 rows map onto each other.
    groups_notes: &'static [&'static str],
    /// ktstr rows below a ratio of 1.0 (the goal is at least 1.0).
    below_one: Vec<String>,
    /// Engine failures (exit code 1) and failed peer runs.
    issues: Issues,
    /// Wall time of the whole bench, in seconds.
    elapsed_s: f64,
}

/// Run `ktstr bench peers`.
pub(crate) fn main(args: Common) -> Result<(), Failure> {
    let began = Instant::now();
    let mut host = Host::probe();
    let repeat = args.repeats();
    let plan = PeersPlan {
        repeat,
        run_for: args.run_for(),
        cpu: host.bench_cpu()?,
        pairs: 64,
    };
    let settings = Settings {
        quick: args.quick,
        repeat,
        run_s: plan.run_for.as_secs_f64(),
        pinned_cpu: plan.cpu,
        pairs: plan.pairs,
    };
    let perf = Tool::find("perf", "linux-perf", &["--version"]);
    let hack = Tool::find("hackbench", "rt-tests", &["--help"]);
    if !args.json {
        println!("ktstr bench peers: ktstr's ping-pong work types side by side with perf bench and hackbench");
        print_host(&host);
        println!(
            "settings: {repeat} repeat(s){}, {:.1} s per run, pinned rows on CPU {}, the order of \
             the benchmarks reversed every other repeat",
            if args.quick { " (--quick)" } else { "" },
            plan.run_for.as_secs_f64(),
            plan.cpu
        );
        for t in [&perf, &hack] {
            match (&t.path, t.missing()) {
                (Some(p), _) => println!(
                    "peer: {} = {} ({})",
                    t.name,
                    p.display(),
                    t.version.as_deref().unwrap_or("version unknown")
                ),
                (None, Some(why)) => println!("peer: {why}; its rows are skipped"),
                (None, None) => {}
            }
        }
    }

    let chatty = std::io::stderr().is_terminal();
    let progress = |what: &str| {
        if chatty {
            eprintln!("bench peers: {what}");
        }
    };
    let mut issues = Issues::default();
    let pairs = peers::run_pairs(&plan, &perf, &mut issues, progress);
    if !args.json {
        println!(
            "\n1. Pairs: round trips per second of 2 tasks in strict alternation, median (min-max) \
             over {repeat} repeat(s), {:.1} s per run",
            plan.run_for.as_secs_f64()
        );
        peers::print_pairs(&pairs, &plan);
    }
    let (groups, groups_extra) = peers::run_groups(&plan, &perf, &hack, &mut issues, progress);
    if !args.json {
        println!(
            "\n2. Many groups: messages per second, {} PipeIo pairs against peers of about as \
             many tasks, unpinned, median (min-max) over {repeat} repeat(s)",
            plan.pairs
        );
        peers::print_groups(&groups, &groups_extra);
    }

    let below_one = peers::below_one(&pairs, &groups);
    let ratios = peers::ratio_count(&pairs, &groups);
    host.loadavg_after = loadavg();
    let elapsed_s = began.elapsed().as_secs_f64();
    let problems = issues.problems.clone();
    if args.json {
        for w in &issues.warnings {
            eprintln!("warning: {w}");
        }
        let report = Report {
            host,
            note: NOISE_NOTE,
            settings,
            tools: vec![perf, hack],
            pairs,
            groups,
            groups_extra,
            groups_notes: GROUP_NOTES,
            below_one,
            issues,
            elapsed_s,
        };
        let text = serde_json::to_string_pretty(&report).map_err(anyhow::Error::from)?;
        println!("{text}");
    } else {
        println!("\ngoal: KTSTR/PERF >= 1.0 (an engine that adds overhead to the path it measures distorts it)");
        if ratios == 0 {
            println!("  no ratio: every peer was skipped");
        } else if below_one.is_empty() {
            println!("  every ratio is at or above 1.0");
        } else {
            println!("  below 1.0 ({}):", below_one.len());
            for b in &below_one {
                println!("    {b}");
            }
        }
        println!(
            "\nload average after: {}; bench took {elapsed_s:.1} s",
            host.loadavg_after.as_deref().unwrap_or("?")
        );
        print_issues(&issues);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Failure::Runtime(anyhow!(
            "the engine failed {} run(s): {}",
            problems.len(),
            problems.join(" | ")
        )))
    }
}

/// Print engine problems and failed peer runs in a block that cannot be
/// missed.
fn print_issues(issues: &Issues) {
    if issues.problems.is_empty() && issues.warnings.is_empty() {
        return;
    }
    let bar = "!".repeat(72);
    println!("\n{bar}");
    if !issues.problems.is_empty() {
        println!("!!! ENGINE PROBLEMS ({}):", issues.problems.len());
        for p in &issues.problems {
            println!("!!!   {p}");
        }
    }
    if !issues.warnings.is_empty() {
        println!(
            "!!! FAILED PEER RUNS ({}), left out of the medians:",
            issues.warnings.len()
        );
        for w in &issues.warnings {
            println!("!!!   {w}");
        }
    }
    println!("{bar}");
}
