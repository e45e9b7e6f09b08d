//! `ktstr run`: spawn an ad-hoc workload on this host, show its progress,
//! and print what every worker measured.

use std::time::{Duration, Instant};

use anyhow::Context;
use ktstr::prelude::*;

use crate::run_table::print_table;
use crate::Failure;

/// Arguments of `ktstr run`.
#[derive(clap::Args, Debug)]
pub(crate) struct RunArgs {
    /// Work type (see `ktstr list`), with its default parameters.
    #[arg(long, short = 't', default_value = "SpinWait")]
    work_type: String,
    /// Number of workers.
    #[arg(long, short = 'w', default_value_t = 2)]
    workers: usize,
    /// How long to run (e.g. 500ms, 5s, 1m).
    #[arg(long, short = 'd', default_value = "5s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// `fork` (one process per worker) or `thread` (threads of this process).
    #[arg(long, default_value = "fork", value_parser = parse_clone_mode)]
    clone_mode: CloneMode,
    /// Run the workers as threads of one process with this name (pcomm).
    #[arg(long)]
    pcomm: Option<String>,
    /// Restrict every worker to these CPUs (cpu-list syntax: 0-3,8).
    #[arg(long)]
    cpus: Option<CpuSet>,
    /// Pin worker i to the i-th CPU of --cpus (or of all online CPUs).
    #[arg(long)]
    spread: bool,
    /// Scheduling policy: normal, batch, idle, fifo:PRIO or rr:PRIO.
    #[arg(long, default_value = "normal", value_parser = parse_policy)]
    policy: SchedPolicy,
    /// Nice value (-20..=19).
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    nice: i32,
    /// Member K of every group burns FACTOR x its spin steps (grouped types;
    /// repeatable), e.g. `--member-work 2=8` for a slow second consumer.
    #[arg(long, value_name = "K=FACTOR", value_parser = parse_member_work)]
    member_work: Vec<MemberWork>,
    /// Print the reports as JSON on stdout instead of the table.
    #[arg(long)]
    pub(crate) json: bool,
    /// No progress lines while running.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
    /// Run the workload under this sched_ext scheduler (binary and its
    /// arguments, e.g. "scx_bpfland --slice-us 2000"): started and attached
    /// before the workers, watched, stopped after; its failure fails the run.
    #[arg(long, value_name = "CMD")]
    pub(crate) scheduler: Option<String>,
    /// Run the workload N times (N ≥ 1) and report how many runs passed
    /// and each metric's spread (mean, ±CV, range) over them.
    #[arg(long, default_value_t = 1, value_parser = parse_repeat, value_name = "N")]
    pub(crate) repeat: u32,
    /// Keep the run's record (with --repeat: every repeat's and a summary)
    /// under DIR instead of target/ktstr/ktstr/ (or $KTSTR_OUTPUT_DIR/ktstr/ktstr/),
    /// for `ktstr compare`. Not with --vm: the guest's records stay there.
    #[arg(long, value_name = "DIR", conflicts_with = "vm")]
    pub(crate) record: Option<std::path::PathBuf>,
    /// Set by `ktstr run --vm` for the run inside the VM: keep no record.
    #[arg(long = "in-vm-guest", hide = true)]
    pub(crate) in_vm_guest: bool,
    /// Draw the run as SVG to this file: every worker's progress, per-CPU
    /// occupancy and wake latency (as `ktstr plot` draws a record).
    #[arg(long, value_name = "OUT.svg")]
    plot: Option<std::path::PathBuf>,
    #[command(flatten)]
    vm: crate::vm_run::VmArgs,
}

fn parse_repeat(s: &str) -> Result<u32, String> {
    ktstr::harness::Plan::parse_count(s).map_err(|e| e.to_string())
}

fn parse_member_work(s: &str) -> Result<MemberWork, String> {
    let bad = || format!("--member-work {s:?}: write K=FACTOR, e.g. 2=8");
    let (k, f) = s.split_once('=').ok_or_else(bad)?;
    let (k, factor) = (
        k.trim().parse().map_err(|_| bad())?,
        f.trim().parse().map_err(|_| bad())?,
    );
    Ok(MemberWork { k, factor })
}

fn parse_clone_mode(s: &str) -> Result<CloneMode, String> {
    CloneMode::from_name(s).ok_or_else(|| format!("unknown clone mode {s:?}: use fork or thread"))
}

fn parse_policy(s: &str) -> Result<SchedPolicy, String> {
    let lower = s.to_ascii_lowercase();
    let (name, prio) = match lower.split_once(':') {
        Some((n, p)) => (
            n.to_string(),
            Some(
                p.parse::<u8>()
                    .map_err(|_| format!("priority {p:?} is not a number in 1..=99"))?,
            ),
        ),
        None => (lower.clone(), None),
    };
    match (name.as_str(), prio) {
        ("normal" | "other", None) => Ok(SchedPolicy::Normal),
        ("batch", None) => Ok(SchedPolicy::Batch),
        ("idle", None) => Ok(SchedPolicy::Idle),
        ("fifo", Some(p)) => Ok(SchedPolicy::Fifo(p)),
        ("rr", Some(p)) => Ok(SchedPolicy::RoundRobin(p)),
        ("fifo" | "rr", None) => Err(format!("{s:?} needs a priority, e.g. {name}:10")),
        _ => Err(format!(
            "unknown policy {s:?}: use normal, batch, idle, fifo:PRIO or rr:PRIO"
        )),
    }
}

/// Counts above this show a progress line on stderr while spawning.
const PROGRESS_ABOVE: usize = 256;

/// Spawn `config`, with a progress line for large counts (unless `quiet`),
/// stopping at once on Ctrl-C or SIGTERM.
fn spawn(config: &WorkloadConfig, quiet: bool) -> ktstr::Result<WorkloadHandle> {
    let chatty = !quiet && config.num_workers > PROGRESS_ABOVE;
    let began = Instant::now();
    let mut shown = began;
    let mut watch = |p: SpawnProgress| {
        if chatty && (shown.elapsed() >= Duration::from_millis(250) || p.ready == p.total) {
            shown = Instant::now();
            eprintln!(
                "ktstr: spawning: {}/{} created, {} ready ({:.1} s)",
                p.created,
                p.total,
                p.ready,
                began.elapsed().as_secs_f64()
            );
        }
        !ktstr::interrupt::requested()
    };
    WorkloadHandle::spawn_watched(config, &mut watch)
}

/// Resolve the work type name, with a "did you mean" for near misses.
fn work_type(name: &str) -> Result<WorkType, Failure> {
    if let Some(wt) = WorkType::from_name(name) {
        return Ok(wt);
    }
    let hint = match WorkType::suggest(name) {
        Some(s) if WorkType::from_name(s).is_some() => format!("; did you mean {s}?"),
        Some(s) => format!("; {s} is library-only (it needs arguments)"),
        None => String::new(),
    };
    Err(Failure::Usage(format!(
        "unknown work type {name:?}{hint} (`ktstr list` shows them all)"
    )))
}

fn config(args: &RunArgs) -> Result<WorkloadConfig, Failure> {
    let affinity = match (&args.cpus, args.spread) {
        (None, false) => Affinity::Inherit,
        (Some(c), false) => Affinity::Fixed(c.clone()),
        (c, true) => Affinity::Spread(c.clone().unwrap_or_else(CpuSet::online)),
    };
    let config = WorkloadConfig {
        num_workers: args.workers,
        work_type: work_type(&args.work_type)?,
        clone_mode: args.clone_mode,
        spec: WorkSpec {
            pcomm: args.pcomm.clone(),
            comm: None,
        },
        affinity,
        sched_policy: args.policy,
        nice: args.nice,
        member_work: args.member_work.clone(),
        ..Default::default()
    };
    config
        .validate()
        .map_err(|e| Failure::Usage(e.to_string()))?;
    Ok(config)
}

pub(crate) fn main(args: RunArgs) -> Result<(), Failure> {
    let scheduler = match &args.scheduler {
        None => None,
        Some(cmd) => Some(
            ktstr::scheduler::Scheduler::from_command_line(cmd)
                .ok_or_else(|| Failure::Usage("--scheduler needs a command".into()))?,
        ),
    };
    if args.plot.is_some() && (args.vm.wanted() || args.repeat > 1) {
        return Err(Failure::Usage(
            "--plot draws one run on this host: drop --vm and --repeat, or plot one of the \
             kept records with `ktstr plot` (with --repeat: repeats/run__<work type>/<i>.json)"
                .into(),
        ));
    }
    if args.vm.wanted() {
        // The guest runs `ktstr run` with --repeat too: give it the time.
        let all = args.duration * args.repeat;
        return crate::vm_run::main(&args.vm, all, scheduler.as_ref());
    }
    let config = config(&args)?;
    ktstr::interrupt::install().context("install the Ctrl-C handler")?;
    let sched = match &scheduler {
        None => None,
        Some(s) => {
            let run = ktstr::scheduler::SchedulerRun::start(s)
                .map_err(|e| Failure::Runtime(anyhow::Error::new(e)))?;
            if !args.quiet {
                eprintln!(
                    "ktstr: scheduler \"{s}\" attached in {:.2} s (ops {:?})",
                    run.attached_after().as_secs_f64(),
                    run.ops().unwrap_or("?")
                );
            }
            Some(run)
        }
    };
    let result = if args.repeat > 1 {
        crate::repeat::run(&args, &config)
    } else {
        measure(&args, &config).and_then(|m| {
            let result = show(&args, &config, &m);
            let record = crate::repeat::keep_one(&args, &config, &m, &result);
            if let Some(out) = &args.plot {
                crate::plot::run(out, record)?;
            }
            result
        })
    };
    // The scheduler's fate decides over the workload's: verdicts taken
    // without it attached are not its verdicts.
    if let Some(run) = sched {
        if let Err(f) = run.stop() {
            return Err(Failure::Runtime(anyhow::anyhow!("{f}")));
        }
    }
    result
}

/// One run of the workload: its reports, how long it ran, and whether
/// Ctrl-C cut it short.
pub(crate) struct Measured {
    pub(crate) reports: Vec<WorkerReport>,
    pub(crate) ran: Duration,
    pub(crate) interrupted: bool,
    /// Every worker sampled every `every` (kept in the record, for
    /// `ktstr plot`).
    pub(crate) samples: Vec<ktstr::scenario::Sample>,
    /// The sampling period.
    pub(crate) every: Duration,
}

/// The sampling period of a run: 100 ms, or longer when `duration` x
/// `workers` would hold more than 4 x [`Samples::MAX_POINTS`] points.
///
/// [`Samples::MAX_POINTS`]: ktstr::scenario::Samples::MAX_POINTS
fn sample_every(duration: Duration, workers: usize) -> Duration {
    let base = ktstr::scenario::Scenario::SAMPLE_EVERY;
    let budget = 4 * ktstr::scenario::Samples::MAX_POINTS as u128;
    let points = duration.as_millis() / base.as_millis().max(1) * workers.max(1) as u128;
    let factor = points.div_ceil(budget).max(1);
    base * u32::try_from(factor).unwrap_or(u32::MAX)
}

/// Spawn `config`, run it for `args.duration` with progress lines, and
/// collect every worker's report.
pub(crate) fn measure(args: &RunArgs, config: &WorkloadConfig) -> Result<Measured, Failure> {
    let config = config.clone();
    let mut handle = match spawn(&config, args.quiet) {
        Ok(h) => h,
        Err(e @ ktstr::Error::SpawnCancelled { .. }) => {
            return Err(Failure::Runtime(anyhow::anyhow!(
                "interrupted while spawning: {e}"
            )));
        }
        Err(e) => return Err(anyhow::Error::new(e).context("spawn the workload").into()),
    };
    if !args.quiet {
        eprintln!(
            "ktstr: {} x {} ({:?}) for {}; Ctrl-C stops early",
            config.num_workers,
            config.work_type.name(),
            config.clone_mode,
            humantime::format_duration(args.duration)
        );
    }
    handle.start();
    let began = Instant::now();
    // Every 100 ms, slower for long or wide runs, so that memory holds
    // about 4 x what the record keeps (Samples::MAX_POINTS) at most.
    let every = sample_every(args.duration, config.num_workers);
    let mut samples = Vec::new();
    let mut next = Duration::ZERO;
    let mut sample = |h: &WorkloadHandle| {
        let at = began.elapsed();
        if at >= next {
            samples.push(crate::plot::sample(h, at.as_millis() as u64));
            next = at + every;
        }
    };
    sample(&handle);
    let mut last = (began, vec![0u64; config.num_workers]);
    let mut interrupted = false;
    while began.elapsed() < args.duration {
        if ktstr::interrupt::requested() {
            interrupted = true;
            break;
        }
        let left = args.duration.saturating_sub(began.elapsed());
        std::thread::sleep(left.min(Duration::from_millis(100)));
        sample(&handle);
        if last.0.elapsed() >= Duration::from_secs(1) && !args.quiet {
            let now = handle.snapshot_iterations();
            let dt = last.0.elapsed().as_secs_f64();
            let rates: Vec<f64> = now
                .iter()
                .zip(&last.1)
                .map(|(a, b)| a.saturating_sub(*b) as f64 / dt)
                .collect();
            let stalled = rates.iter().filter(|r| **r == 0.0).count();
            eprintln!(
                "  {:>5.1}s  iterations/s: total {:.0}, per worker min {:.0} max {:.0}{}",
                began.elapsed().as_secs_f64(),
                rates.iter().sum::<f64>(),
                rates.iter().cloned().fold(f64::INFINITY, f64::min),
                rates.iter().cloned().fold(0.0, f64::max),
                if stalled > 0 {
                    format!(", {stalled} worker(s) made no progress")
                } else {
                    String::new()
                }
            );
            last = (Instant::now(), now);
        }
    }
    let ran = began.elapsed();
    let reports = handle.stop_and_collect();
    Ok(Measured {
        reports,
        ran,
        interrupted,
        samples,
        every,
    })
}

/// Print `m` (a table, or JSON with `--json`) and fail when a worker did
/// not end cleanly.
fn show(args: &RunArgs, config: &WorkloadConfig, m: &Measured) -> Result<(), Failure> {
    let Measured {
        reports,
        ran,
        interrupted,
        ..
    } = m;
    if args.json {
        let out = serde_json::json!({
            "config": config,
            "ran_ns": ran.as_nanos() as u64,
            "interrupted": interrupted,
            "reports": reports,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&out).context("encode JSON")?
        );
    } else {
        print_table(reports, *ran, *interrupted);
    }
    verdict(reports)
}

/// Fail when a worker did not end cleanly.
pub(crate) fn verdict(reports: &[WorkerReport]) -> Result<(), Failure> {
    let lost = reports.iter().filter(|r| !r.is_clean()).count();
    if lost > 0 {
        return Err(Failure::Runtime(anyhow::anyhow!(
            "{lost} of {} workers did not end cleanly (see exit/error columns)",
            reports.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod sampling_tests {
    use super::sample_every;
    use std::time::Duration;

    #[test]
    fn short_runs_sample_every_100_ms_and_long_wide_ones_less_often() {
        assert_eq!(
            sample_every(Duration::from_secs(5), 4),
            Duration::from_millis(100)
        );
        // 1 h x 4096 workers at 100 ms would be 147 M points: thinned to
        // about 8000 in memory.
        let every = sample_every(Duration::from_secs(3600), 4096);
        let points = 3_600_000 / every.as_millis() * 4096;
        assert!(points <= 8000, "{every:?} keeps {points} points");
        assert!(every > Duration::from_secs(60), "{every:?}");
    }
}
