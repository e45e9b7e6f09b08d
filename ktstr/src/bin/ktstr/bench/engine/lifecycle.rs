//! The engine's lifecycle cost: spawn, start and collect `SpinWait`
//! workers, and count the reports that come back.
//!
//! Each [`Case`] (clone mode and worker count) is measured twice per
//! repeat, and the repeats interleave the cases so that a burst of load
//! from other jobs on the machine hits every case alike:
//!
//! - a *start run*: spawn (timed), `start()` (timed), then poll
//!   `snapshot_iterations()` until every worker has published an
//!   iteration (first and all timed), then collect;
//! - a *stop run*: spawn (timed), start, stop a fixed time after `start()`
//!   whether or not every worker has run yet (the case that lost reports
//!   upstream), and time `stop_and_collect`.
//!
//! Every Fork case is measured before any Thread case: a process that has
//! run Thread-mode workers keeps glibc's cached thread stacks and malloc
//! arenas mapped, and every later fork copies those mappings. The last row
//! measures exactly that: Fork 128 again, after the Thread cases.
//!
//! The main type here is [`CaseResult`], one row of the table.

use std::time::{Duration, Instant};

use anyhow::Context;
use ktstr::prelude::*;
use serde::Serialize;

use super::super::host::thread_cpu_ns;
use super::super::stats::{cell, Summary};

/// One row of the lifecycle table: a clone mode and a worker count.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Case {
    /// Processes or threads.
    pub mode: CloneMode,
    /// `SpinWait` workers.
    pub workers: usize,
    /// Measured after the Thread cases (see the module doc).
    pub after_threads: bool,
}

/// A case measured in a clean spawner.
const fn case(mode: CloneMode, workers: usize) -> Case {
    Case {
        mode,
        workers,
        after_threads: false,
    }
}

/// The cases measured, in table order, in phases: each phase runs all its
/// repeats (its cases interleaved) before the next phase begins.
pub(crate) const PHASES: [&[Case]; 3] = [
    &[
        case(CloneMode::Fork, 2),
        case(CloneMode::Fork, 16),
        case(CloneMode::Fork, 128),
        case(CloneMode::Fork, 512),
    ],
    &[case(CloneMode::Thread, 2), case(CloneMode::Thread, 512)],
    &[Case {
        mode: CloneMode::Fork,
        workers: 128,
        after_threads: true,
    }],
];

/// How often the start run polls `snapshot_iterations()`.
const POLL_INTERVAL: Duration = Duration::from_micros(100);

/// How the lifecycle part runs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LifecyclePlan {
    /// Measurements of each case (twice: one start run, one stop run).
    pub repeat: usize,
    /// How long after `start()` the stop run stops.
    pub run_for: Duration,
    /// How long the start run waits for every worker to have run.
    pub start_timeout: Duration,
}

/// Reports received, against reports expected.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Tally {
    /// Real reports (not sentinels).
    pub real: usize,
    /// Reports expected: one per worker per run.
    pub total: usize,
    /// Real reports that also ended cleanly (no error, panic or exit info).
    pub clean: usize,
    /// One line per sentinel: which worker and what became of it.
    pub lost: Vec<String>,
}

impl Tally {
    fn add(&mut self, case: Case, reports: &[WorkerReport]) {
        self.total += case.workers;
        for r in reports {
            if r.sentinel {
                self.lost.push(format!(
                    "worker {} (tid {}): {:?}",
                    r.index, r.tid, r.exit_info
                ));
            } else {
                self.real += 1;
                self.clean += usize::from(r.is_clean());
            }
        }
        // A short report list would be an engine bug of its own.
        if reports.len() != case.workers {
            self.lost.push(format!(
                "stop_and_collect returned {} reports for {} workers",
                reports.len(),
                case.workers
            ));
        }
    }
}

/// Everything measured for one case, over all repeats.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct CaseResult {
    /// `Fork` or `Thread`.
    pub mode: String,
    /// Workers per run.
    pub workers: usize,
    /// `WorkloadHandle::spawn` until it returned (both runs), in ms.
    pub spawn_ms: Summary,
    /// The same divided by the worker count, in µs.
    pub spawn_per_worker_us: Summary,
    /// The `start()` call itself, wall time, in µs.
    pub start_call_us: Summary,
    /// The spawner's CPU time in the `start()` call, in µs: the wake work
    /// itself, without the time the spawner then waited for a CPU.
    pub start_call_cpu_us: Summary,
    /// From `start()` until the first worker published an iteration, in ms.
    pub first_ran_ms: Option<Summary>,
    /// From `start()` until every worker had, in ms (runs that timed out
    /// are left out and counted in `start_timeouts`).
    pub all_ran_ms: Option<Summary>,
    /// Start runs in which not every worker ran within the timeout: how
    /// many workers had run at the timeout, one entry per such run.
    pub start_timeouts: Vec<usize>,
    /// Workers that had run when the stop run stopped, per repeat.
    pub ran_at_stop: Vec<usize>,
    /// `stop_and_collect` in the stop run, in ms.
    pub collect_ms: Summary,
    /// `stop_and_collect` in the start run (every worker running), in ms.
    pub collect_after_start_ms: Summary,
    /// Reports over both runs of every repeat.
    pub reports: Tally,
    /// Mappings in the spawner (`/proc/self/maps` lines) before the case
    /// first ran: what each fork has to copy.
    pub spawner_vmas: usize,
}

/// Raw samples of one case, before summarising.
#[derive(Default)]
struct Samples {
    spawn_ms: Vec<f64>,
    start_call_us: Vec<f64>,
    start_call_cpu_us: Vec<f64>,
    first_ran_ms: Vec<f64>,
    all_ran_ms: Vec<f64>,
    start_timeouts: Vec<usize>,
    ran_at_stop: Vec<usize>,
    collect_ms: Vec<f64>,
    collect_after_start_ms: Vec<f64>,
    reports: Tally,
    spawner_vmas: usize,
}

/// `d` in milliseconds.
fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// `Fork` or `Thread`.
fn mode_name(mode: CloneMode) -> &'static str {
    match mode {
        CloneMode::Fork => "Fork",
        CloneMode::Thread => "Thread",
    }
}

/// The table's name for a case's mode: `Fork*` for a fork case measured
/// after the Thread cases.
fn label(case: &Case) -> String {
    let star = if case.after_threads { "*" } else { "" };
    format!("{}{star}", mode_name(case.mode))
}

/// Lines of `/proc/self/maps`: the mappings a fork copies.
fn spawner_vmas() -> usize {
    std::fs::read_to_string("/proc/self/maps").map_or(0, |m| m.lines().count())
}

/// Spawn the workers of `case`, timed.
fn spawn(case: Case) -> anyhow::Result<(WorkloadHandle, Duration)> {
    let config = WorkloadConfig {
        num_workers: case.workers,
        work_type: WorkType::SpinWait,
        clone_mode: case.mode,
        ..Default::default()
    };
    let t = Instant::now();
    let handle = WorkloadHandle::spawn(&config).with_context(|| {
        format!(
            "failed to spawn {} SpinWait workers in {} mode",
            case.workers,
            mode_name(case.mode)
        )
    })?;
    Ok((handle, t.elapsed()))
}

/// The start run: spawn, start, poll until every worker has run, collect.
fn start_run(case: Case, plan: &LifecyclePlan, s: &mut Samples) -> anyhow::Result<()> {
    let (mut h, spawned) = spawn(case)?;
    s.spawn_ms.push(ms(spawned));
    let cpu0 = thread_cpu_ns();
    let t = Instant::now();
    h.start();
    s.start_call_us.push(t.elapsed().as_secs_f64() * 1e6);
    s.start_call_cpu_us
        .push(thread_cpu_ns().saturating_sub(cpu0) as f64 / 1e3);
    let mut first = None;
    loop {
        // The snapshot lies between `before` and `after`: a time reported
        // is never early, and a timeout is only declared on a snapshot
        // taken after the deadline (the spawner can be off its CPU for a
        // long time between two instructions here).
        let before = t.elapsed();
        let ran = h.snapshot_iterations().iter().filter(|&&c| c > 0).count();
        let after = t.elapsed();
        if ran > 0 && first.is_none() {
            first = Some(after);
        }
        if ran == case.workers {
            s.all_ran_ms.push(ms(after));
            break;
        }
        if before >= plan.start_timeout {
            s.start_timeouts.push(ran);
            break;
        }
        std::thread::sleep(POLL_INTERVAL);
    }
    s.first_ran_ms.extend(first.map(ms));
    let t = Instant::now();
    let reports = h.stop_and_collect();
    s.collect_after_start_ms.push(ms(t.elapsed()));
    s.reports.add(case, &reports);
    Ok(())
}

/// The stop run: spawn, start, stop `run_for` after start, collect.
fn stop_run(case: Case, plan: &LifecyclePlan, s: &mut Samples) -> anyhow::Result<()> {
    let (mut h, spawned) = spawn(case)?;
    s.spawn_ms.push(ms(spawned));
    let t = Instant::now();
    h.start();
    std::thread::sleep(plan.run_for.saturating_sub(t.elapsed()));
    let ran = h.snapshot_iterations().iter().filter(|&&c| c > 0).count();
    s.ran_at_stop.push(ran);
    let t = Instant::now();
    let reports = h.stop_and_collect();
    s.collect_ms.push(ms(t.elapsed()));
    s.reports.add(case, &reports);
    Ok(())
}

/// Measure every case `plan.repeat` times, phase by phase; `progress` is
/// told each phase and repeat.
pub(crate) fn run(
    plan: &LifecyclePlan,
    mut progress: impl FnMut(usize, usize),
) -> anyhow::Result<Vec<CaseResult>> {
    let mut out = Vec::new();
    for (phase, cases) in PHASES.iter().enumerate() {
        let mut samples: Vec<Samples> = cases.iter().map(|_| Samples::default()).collect();
        for rep in 0..plan.repeat {
            progress(phase, rep);
            for (case, s) in cases.iter().zip(&mut samples) {
                if rep == 0 {
                    s.spawner_vmas = spawner_vmas();
                }
                start_run(*case, plan, s)?;
                stop_run(*case, plan, s)?;
            }
        }
        out.extend(
            cases
                .iter()
                .zip(samples)
                .map(|(case, s)| summarise(case, s)),
        );
    }
    Ok(out)
}

/// Turn the samples of `case` into its table row.
fn summarise(case: &Case, s: Samples) -> CaseResult {
    let summary = |v: Vec<f64>| Summary::of(v).expect("one sample per repeat, and repeat >= 1");
    let n = case.workers as f64;
    let per_worker = s.spawn_ms.iter().map(|v| v * 1e3 / n).collect();
    CaseResult {
        mode: label(case),
        workers: case.workers,
        spawn_ms: summary(s.spawn_ms),
        spawn_per_worker_us: summary(per_worker),
        start_call_us: summary(s.start_call_us),
        start_call_cpu_us: summary(s.start_call_cpu_us),
        first_ran_ms: Summary::of(s.first_ran_ms),
        all_ran_ms: Summary::of(s.all_ran_ms),
        start_timeouts: s.start_timeouts,
        ran_at_stop: s.ran_at_stop,
        collect_ms: summary(s.collect_ms),
        collect_after_start_ms: summary(s.collect_after_start_ms),
        reports: s.reports,
        spawner_vmas: s.spawner_vmas,
    }
}

/// Lost or unclean reports in `results`, one line per case and kind: an
/// engine failure.
pub(crate) fn problems(results: &[CaseResult]) -> Vec<String> {
    let mut out = Vec::new();
    for r in results {
        let t = &r.reports;
        if t.real < t.total || !t.lost.is_empty() {
            let shown: Vec<&str> = t.lost.iter().take(5).map(String::as_str).collect();
            out.push(format!(
                "{} x{}: REPORTS LOST: {} of {} came back real ({} sentinel(s)); first: {}",
                r.mode,
                r.workers,
                t.real,
                t.total,
                t.total - t.real,
                shown.join("; ")
            ));
        }
        if t.clean < t.real {
            out.push(format!(
                "{} x{}: {} of {} real reports did not end cleanly (error, panic or exit info)",
                r.mode,
                r.workers,
                t.real - t.clean,
                t.real
            ));
        }
    }
    out
}

/// Start runs in which some worker had not run by the timeout, one line
/// per case: a warning (an overloaded machine can cause it, so can a
/// starved worker).
pub(crate) fn warnings(results: &[CaseResult], plan: &LifecyclePlan) -> Vec<String> {
    results
        .iter()
        .filter(|r| !r.start_timeouts.is_empty())
        .map(|r| {
            let ran: Vec<String> = r
                .start_timeouts
                .iter()
                .map(|k| format!("{k}/{}", r.workers))
                .collect();
            format!(
                "{} x{}: in {} of {} start run(s) not every worker had run {} ms after start() \
                 (had run: {})",
                r.mode,
                r.workers,
                r.start_timeouts.len(),
                plan.repeat,
                plan.start_timeout.as_millis(),
                ran.join(", ")
            )
        })
        .collect()
}

/// Print the lifecycle table and its legend.
pub(crate) fn print(results: &[CaseResult], plan: &LifecyclePlan) {
    use super::super::table::{print_table, Align::Left as L, Align::Right as R};
    let rows: Vec<Vec<String>> = results
        .iter()
        .map(|r| {
            let ran = r.ran_at_stop.iter().min().copied().unwrap_or(0);
            let all = match r.start_timeouts.len() {
                0 => cell(&r.all_ran_ms),
                k => format!("{} +{k} TIMEOUT", cell(&r.all_ran_ms)),
            };
            let t = &r.reports;
            let lost = if t.real < t.total { " LOST" } else { "" };
            vec![
                r.mode.clone(),
                r.workers.to_string(),
                r.spawn_ms.cell(),
                r.spawn_per_worker_us.cell(),
                r.start_call_us.cell(),
                r.start_call_cpu_us.cell(),
                cell(&r.first_ran_ms),
                all,
                format!("{ran}/{}", r.workers),
                r.collect_ms.cell(),
                format!("{}/{}{lost}", t.real, t.total),
            ]
        })
        .collect();
    print_table(
        &[
            "MODE",
            "N",
            "SPAWN ms",
            "/WORKER us",
            "START() us",
            "START() cpu us",
            "FIRST RAN ms",
            "ALL RAN ms",
            "RAN@STOP",
            "COLLECT ms",
            "REPORTS",
        ],
        &[L, R, L, L, L, L, L, L, R, L, R],
        &rows,
    );
    let vmas = |after: bool| {
        results
            .iter()
            .filter(|r| r.mode.starts_with("Fork") && r.mode.ends_with('*') == after)
            .map(|r| r.spawner_vmas)
            .max()
            .unwrap_or(0)
    };
    println!(
        "  spawn: WorkloadHandle::spawn until it returned (every worker blocked and ready), \
         2 samples per repeat; /worker = spawn / N.\n  \
         start(): the call, wall time, and the spawner's CPU time in it: the futex wake of \
         every worker happens inside the call, so wall minus cpu\n    \
         is the spawner waiting for a CPU after waking N spinners (small: the spawner runs \
         at SCHED_FIFO from start() on, unless that was refused).\n  \
         first/all ran: from start() until the first / every worker published an iteration \
         (snapshot_iterations() > 0), polled every {poll} us.\n    \
         With more spinners than CPUs, 'all ran' is bounded below by the scheduler giving \
         each spinner a first turn (about N / CPUs x tick), not by the release.\n  \
         ran@stop: workers that had run when the stop run stopped, {stop} ms after start() \
         (fewest over repeats); the others were stopped before they first ran.\n  \
         collect: stop_and_collect() in the stop run.\n  \
         reports: real reports / expected, over both runs of every repeat (must be N/N).\n  \
         Fork*: Fork measured again after the Thread rows, in the same process: the spawner \
         then has {after} mappings instead of {before}\n    \
         (glibc's cached thread stacks and malloc arenas), and every fork copies them.",
        poll = POLL_INTERVAL.as_micros(),
        stop = plan.run_for.as_millis(),
        after = vmas(true),
        before = vmas(false),
    );
}
