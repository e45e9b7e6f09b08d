//! `ktstr bench`: the workload engine benchmark. Three measurements, in
//! one run:
//!
//! 1. **Lifecycle** ([`lifecycle`]): what spawning, starting and collecting
//!    `SpinWait` workers costs, in Fork mode at 2, 16, 128 and 512 workers
//!    and in Thread mode at 2 and 512, and whether every report comes back.
//! 2. **Telemetry overhead** ([`overhead`]): the work rate of one pinned
//!    engine worker against a bare `spin_burst` loop on the same CPU.
//! 3. **Controller timekeeping** ([`controller`]): whether the spawner
//!    keeps time behind its own workers (`start()` at 512 spinners, a 2 s
//!    run at 8 workers per CPU, the whole life of 1024-4096 Thread
//!    workers).
//!
//! [`main`] runs the [`Part`]s asked for and prints a table (or JSON).

mod controller;
mod lifecycle;
mod overhead;

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use serde::Serialize;

use super::host::{loadavg, print_host, Host, NOISE_NOTE};
use super::Common;
use crate::Failure;
use controller::Controller;
use lifecycle::{CaseResult, LifecyclePlan};
use overhead::{Overhead, OverheadPlan};

/// The parts of the engine benchmark.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// Spawn, start and collect cost, and lost reports.
    Lifecycle,
    /// Telemetry overhead against a bare spin loop.
    Overhead,
    /// Whether the controlling thread keeps time behind its workers:
    /// start() at 512 spinners, a 2 s run at 8 workers per CPU, the whole
    /// life of 1024-4096 Thread workers.
    Controller,
}

/// The settings a run used, as they appear in the JSON.
#[derive(Debug, Serialize)]
struct Settings {
    /// `--quick` was given.
    quick: bool,
    /// Repeats of every lifecycle case.
    repeat: usize,
    /// When the lifecycle stop run stops, in ms after `start()`.
    stop_after_ms: u64,
    /// How long a lifecycle start run waits for every worker to run, in ms.
    start_timeout_ms: u64,
    /// Rounds of the overhead part.
    overhead_rounds: usize,
    /// Seconds each side of an overhead round runs.
    overhead_run_s: f64,
}

/// The whole result, as printed with `--json`.
#[derive(Debug, Serialize)]
struct Report {
    /// The machine.
    host: Host,
    /// [`NOISE_NOTE`].
    note: &'static str,
    /// How the bench ran.
    settings: Settings,
    /// One entry per lifecycle table row (empty when not run).
    lifecycle: Vec<CaseResult>,
    /// The telemetry-overhead rounds and ratios (when run).
    overhead: Option<Overhead>,
    /// Whether the controller keeps time (when run).
    controller: Option<Controller>,
    /// Lost reports: the engine failed (exit code 1). Empty when all is well.
    problems: Vec<String>,
    /// Workers that had not run by the start timeout (the machine may just
    /// be overloaded). Empty when all is well.
    warnings: Vec<String>,
    /// Wall time of the whole bench, in seconds.
    elapsed_s: f64,
}

/// Run the engine benchmark: the `parts` asked for (all when empty).
pub(crate) fn main(args: Common, parts: &[Part]) -> Result<(), Failure> {
    let began = Instant::now();
    let mut host = Host::probe();
    let repeat = args.repeats();
    let life = LifecyclePlan {
        repeat,
        run_for: Duration::from_millis(200),
        start_timeout: Duration::from_secs(10),
    };
    let over = OverheadPlan {
        rounds: repeat.max(2),
        run_for: args.run_for(),
        cpu: host.bench_cpu()?,
    };
    let settings = Settings {
        quick: args.quick,
        repeat,
        stop_after_ms: life.run_for.as_millis() as u64,
        start_timeout_ms: life.start_timeout.as_millis() as u64,
        overhead_rounds: over.rounds,
        overhead_run_s: over.run_for.as_secs_f64(),
    };
    if !args.json {
        print_header(&host, &settings);
    }

    let chatty = std::io::stderr().is_terminal();
    let runs = |p: Part| parts.is_empty() || parts.contains(&p);
    let mut lifecycle = Vec::new();
    if runs(Part::Lifecycle) {
        lifecycle = lifecycle::run(&life, |phase, rep| {
            if chatty {
                eprintln!(
                    "bench: lifecycle, phase {}/{}, repeat {}/{}",
                    phase + 1,
                    lifecycle::PHASES.len(),
                    rep + 1,
                    life.repeat
                );
            }
        })?;
        if !args.json {
            println!(
                "\n1. Engine lifecycle: SpinWait workers, median (min-max) over {repeat} repeat(s)"
            );
            lifecycle::print(&lifecycle, &life);
        }
    }

    let mut overhead = None;
    if runs(Part::Overhead) {
        let o = overhead::run(&over, |round| {
            if chatty {
                eprintln!("bench: overhead, round {}/{}", round + 1, over.rounds);
            }
        })?;
        if !args.json {
            println!(
                "\n2. Telemetry overhead: 1 SpinWait worker (Fork, Affinity::Fixed CPU {cpu}) vs a bare \
                 spin_burst(1024) loop (thread pinned to CPU {cpu}), {s:.1} s each, one after the other",
                cpu = over.cpu,
                s = over.run_for.as_secs_f64()
            );
            overhead::print(&o);
        }
        overhead = Some(o);
    }

    let mut control = None;
    if runs(Part::Controller) {
        let c = controller::run(repeat, |rep| {
            if chatty {
                eprintln!("bench: controller, repeat {}/{repeat}", rep + 1);
            }
        })?;
        if !args.json {
            println!(
                "\n3. Controller timekeeping: SpinWait workers, median (min-max) over {repeat} repeat(s)"
            );
            controller::print(&c);
        }
        control = Some(c);
    }

    host.loadavg_after = loadavg();
    let problems = lifecycle::problems(&lifecycle);
    let warnings = lifecycle::warnings(&lifecycle, &life);
    let elapsed_s = began.elapsed().as_secs_f64();
    if args.json {
        for w in &warnings {
            eprintln!("warning: {w}");
        }
        let report = Report {
            host,
            note: NOISE_NOTE,
            settings,
            lifecycle,
            overhead,
            controller: control,
            problems: problems.clone(),
            warnings,
            elapsed_s,
        };
        let text = serde_json::to_string_pretty(&report).map_err(anyhow::Error::from)?;
        println!("{text}");
    } else {
        println!(
            "\nload average after: {}; bench took {elapsed_s:.1} s",
            host.loadavg_after.as_deref().unwrap_or("?")
        );
        print_problems(&problems, &warnings);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Failure::Runtime(anyhow!(
            "the engine failed {} check(s): {}",
            problems.len(),
            problems.join(" | ")
        )))
    }
}

/// Print the host line, the noise note and the settings.
fn print_header(host: &Host, s: &Settings) {
    println!("ktstr bench: workload engine benchmark");
    print_host(host);
    println!(
        "settings: {} repeat(s){}, stop run stops {} ms after start(), overhead {} rounds x 2 x {:.1} s",
        s.repeat,
        if s.quick { " (--quick)" } else { "" },
        s.stop_after_ms,
        s.overhead_rounds,
        s.overhead_run_s,
    );
}

/// Print the verdict on the reports, then any problem or warning in a
/// block that cannot be missed.
fn print_problems(problems: &[String], warnings: &[String]) {
    if problems.is_empty() {
        println!("reports: every report came back real: OK");
    }
    if problems.is_empty() && warnings.is_empty() {
        return;
    }
    let bar = "!".repeat(72);
    println!("\n{bar}");
    if !problems.is_empty() {
        println!("!!! ENGINE PROBLEMS ({}):", problems.len());
        for p in problems {
            println!("!!!   {p}");
        }
    }
    if !warnings.is_empty() {
        println!("!!! WARNINGS ({}):", warnings.len());
        for w in warnings {
            println!("!!!   {w}");
        }
    }
    println!("{bar}");
}
