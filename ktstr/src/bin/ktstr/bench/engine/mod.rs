//! [`BenchArgs`] and [`main`]: run both parts of the bench and print them.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use serde::Serialize;

use super::controller::{self, Controller};
use super::host::{loadavg, Host};
use super::lifecycle::{self, CaseResult, LifecyclePlan};
use super::overhead::{self, Overhead, OverheadPlan};
use super::peers_cli::{self, PeersArgs};
use crate::Failure;

/// Arguments of `ktstr bench`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "`ktstr bench` alone runs the engine benchmark (lifecycle and telemetry \
     overhead). `ktstr bench peers` is separate (about 2 minutes, too long for the default run): \
     it compares PipeIo and FutexPingPong with `perf bench sched pipe`, `perf bench sched \
     messaging` and `hackbench`, which come from the Debian packages linux-perf and rt-tests \
     (a missing one is skipped)."
)]
pub(crate) struct BenchArgs {
    /// A separate benchmark instead of the engine benchmark.
    #[command(subcommand)]
    pub command: Option<BenchCommand>,
    /// Print one JSON document instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Shorter run (about 15 s instead of 30-60 s): 2 repeats instead of 3
    /// and 0.5 s overhead rounds instead of 2 s.
    #[arg(long)]
    pub quick: bool,
    /// Measure each figure this many times and report the median and the
    /// range [default: 3, or 2 with --quick] (the overhead part runs at
    /// least 2 rounds, to alternate).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=50))]
    pub repeat: Option<u32>,
    /// Run only these parts (repeat the flag or separate with commas)
    /// [default: all three].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub part: Vec<Part>,
}

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

/// The benchmarks `ktstr bench` runs instead of the engine benchmark.
#[derive(clap::Subcommand, Debug)]
pub(crate) enum BenchCommand {
    /// Side by side with perf bench and hackbench (a separate run of about 2 minutes)
    ///
    /// PipeIo and FutexPingPong pairs against `perf bench sched pipe`
    /// (processes and -T threads, unpinned and pinned to one CPU), and 64
    /// PipeIo pairs against 64 concurrent perf pipes, `perf bench sched
    /// messaging` and `hackbench`, as ratios. About 2 minutes (under 30 s
    /// with --quick). Needs `perf` (Debian package linux-perf) and `hackbench`
    /// (rt-tests); a missing one is skipped.
    Peers(PeersArgs),
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

/// The caveat printed under the host line.
pub(super) const NOISE_NOTE: &str =
    "figures come from a shared, noisy machine (other jobs use the same \
     CPUs at the same time): compare medians, expect outliers, and do not read small \
     differences as real";

/// Run `ktstr bench`.
pub(crate) fn main(args: BenchArgs) -> Result<(), Failure> {
    if let Some(BenchCommand::Peers(mut peers)) = args.command {
        // `ktstr bench --json peers` means the same as `ktstr bench peers --json`.
        peers.json |= args.json;
        peers.quick |= args.quick;
        peers.repeat = peers.repeat.or(args.repeat);
        return peers_cli::main(peers);
    }
    let began = Instant::now();
    let mut host = Host::probe();
    let repeat = args.repeat.unwrap_or(if args.quick { 2 } else { 3 }) as usize;
    let life = LifecyclePlan {
        repeat,
        run_for: Duration::from_millis(200),
        start_timeout: Duration::from_secs(10),
    };
    let over = OverheadPlan {
        rounds: repeat.max(2),
        run_for: Duration::from_millis(if args.quick { 500 } else { 2000 }),
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
    let runs = |p: Part| args.part.is_empty() || args.part.contains(&p);
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

/// Print the host line and the noise note.
pub(super) fn print_host(host: &Host) {
    println!(
        "host: {} ({}), {}, {} CPUs online ({}), {} allowed ({}); load average {}",
        host.kernel,
        host.kernel_build,
        host.cpu_model.as_deref().unwrap_or("unknown CPU"),
        host.online_cpus.len(),
        host.online_cpus,
        host.allowed_cpus.len(),
        host.allowed_cpus,
        host.loadavg_before.as_deref().unwrap_or("?"),
    );
    println!("note: {NOISE_NOTE}.");
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
