//! Whether the controlling thread keeps time behind its own workers.
//!
//! Three measurements, each repeated:
//!
//! - `start()` wall time with 512 Fork `SpinWait` workers (more spinners
//!   than CPUs: the spawner has to win a CPU back after waking them);
//! - a 2 s run with 8 Fork `SpinWait` workers per CPU, driven the way the
//!   harness drives a test (`start()`, `sleep(2 s)`, `stop_and_collect()`):
//!   how long after `start()` began the stop came, and the interval the
//!   workers themselves say they ran (earliest start to latest end, from
//!   their reports);
//! - the whole life (spawn, `start()`, `stop_and_collect()` at once) of
//!   1024, 2048 and 4096 Thread `SpinWait` workers: what
//!   `ktstr run --duration 0s` costs.
//!
//! The main type here is [`Controller`], the section's figures.

use std::time::{Duration, Instant};

use anyhow::Context;
use ktstr::prelude::*;
use serde::Serialize;

use super::super::stats::{cell, Summary};

/// Workers of the `start()` measurement.
const START_WORKERS: usize = 512;
/// Workers per online CPU of the timed run.
const PER_CPU: usize = 8;
/// Length of the timed run.
const RUN_FOR: Duration = Duration::from_secs(2);
/// Worker counts of the whole-life measurement.
const LIFE_COUNTS: [usize; 3] = [1024, 2048, 4096];

/// The whole life of one worker count.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Life {
    /// Thread workers.
    pub workers: usize,
    /// spawn + start + stop_and_collect, in ms.
    pub total_ms: Summary,
    /// `start()` alone, in ms.
    pub start_ms: Summary,
    /// stop_and_collect alone, in ms.
    pub collect_ms: Summary,
}

/// The section's figures.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Controller {
    /// `start()` wall time at [`START_WORKERS`] Fork spinners, in µs.
    pub start_call_us: Summary,
    /// Workers of the timed run (8 per online CPU).
    pub run_workers: usize,
    /// From just before `start()` until the stop was requested, in ms.
    pub run_ms: Summary,
    /// From the earliest worker start to the latest worker end, as the
    /// workers' reports say, in ms.
    pub worker_span_ms: Option<Summary>,
    /// From just before `start()` until every report was back, in ms.
    pub run_total_ms: Summary,
    /// One entry per count of [`LIFE_COUNTS`].
    pub life: Vec<Life>,
    /// Notes the workers' reports carried about the controller (such as
    /// a real-time priority that was refused), deduplicated.
    pub notes: Vec<String>,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn spawn(workers: usize, mode: CloneMode) -> anyhow::Result<WorkloadHandle> {
    let config = WorkloadConfig {
        num_workers: workers,
        work_type: WorkType::SpinWait,
        clone_mode: mode,
        ..Default::default()
    };
    WorkloadHandle::spawn(&config)
        .with_context(|| format!("failed to spawn {workers} SpinWait workers ({mode:?})"))
}

/// Earliest start to latest end over the real reports, in ms.
fn worker_span(reports: &[WorkerReport]) -> Option<f64> {
    let real: Vec<&WorkerReport> = reports.iter().filter(|r| !r.sentinel).collect();
    let first = real.iter().map(|r| r.started_at_ns).min()?;
    let last = real.iter().map(|r| r.ended_at_ns).max()?;
    (first > 0 && last > first).then(|| (last - first) as f64 / 1e6)
}

fn keep_notes(notes: &mut Vec<String>, reports: &[WorkerReport]) {
    for n in reports.iter().flat_map(|r| &r.notes) {
        if n.starts_with("controller") && !notes.contains(n) {
            notes.push(n.clone());
        }
    }
}

/// Measure everything `repeat` times; `progress` is told each repeat.
pub(crate) fn run(repeat: usize, mut progress: impl FnMut(usize)) -> anyhow::Result<Controller> {
    let cpus = CpuSet::online().len().max(1);
    let run_workers = PER_CPU * cpus;
    let (mut start_us, mut run_ms, mut span_ms, mut total_ms) = (vec![], vec![], vec![], vec![]);
    let mut life: Vec<[Vec<f64>; 3]> = LIFE_COUNTS.iter().map(|_| Default::default()).collect();
    let mut notes = Vec::new();
    for rep in 0..repeat {
        progress(rep);
        let mut h = spawn(START_WORKERS, CloneMode::Fork)?;
        let t = Instant::now();
        h.start();
        start_us.push(t.elapsed().as_secs_f64() * 1e6);
        keep_notes(&mut notes, &h.stop_and_collect());

        let mut h = spawn(run_workers, CloneMode::Fork)?;
        let t = Instant::now();
        h.start();
        std::thread::sleep(RUN_FOR);
        run_ms.push(ms(t.elapsed()));
        let reports = h.stop_and_collect();
        total_ms.push(ms(t.elapsed()));
        span_ms.extend(worker_span(&reports));
        keep_notes(&mut notes, &reports);

        for (&n, [total, start, collect]) in LIFE_COUNTS.iter().zip(&mut life) {
            let t = Instant::now();
            let mut h = spawn(n, CloneMode::Thread)?;
            let s = Instant::now();
            h.start();
            start.push(ms(s.elapsed()));
            let c = Instant::now();
            let reports = h.stop_and_collect();
            collect.push(ms(c.elapsed()));
            total.push(ms(t.elapsed()));
            keep_notes(&mut notes, &reports);
        }
    }
    let summary = |v: Vec<f64>| Summary::of(v).context("no samples: repeat must be at least 1");
    Ok(Controller {
        start_call_us: summary(start_us)?,
        run_workers,
        run_ms: summary(run_ms)?,
        worker_span_ms: Summary::of(span_ms),
        run_total_ms: summary(total_ms)?,
        life: LIFE_COUNTS
            .iter()
            .zip(life)
            .map(|(&workers, [total, start, collect])| {
                Ok(Life {
                    workers,
                    total_ms: summary(total)?,
                    start_ms: summary(start)?,
                    collect_ms: summary(collect)?,
                })
            })
            .collect::<anyhow::Result<_>>()?,
        notes,
    })
}

/// Print the section.
pub(crate) fn print(c: &Controller) {
    use super::super::table::{print_table, Align::Left as L, Align::Right as R};
    let secs = RUN_FOR.as_secs_f64();
    let mut rows = vec![
        vec![
            format!("start() wall, {START_WORKERS} Fork spinners"),
            "us".into(),
            c.start_call_us.cell(),
            "<= 10000".into(),
        ],
        vec![
            format!(
                "{secs:.0} s run, {} Fork spinners: start() to stop",
                c.run_workers
            ),
            "ms".into(),
            c.run_ms.cell(),
            format!("<= {:.0}", secs * 1050.0),
        ],
        vec![
            "  the same, as the workers ran (first start to last end)".into(),
            "ms".into(),
            cell(&c.worker_span_ms),
            format!("<= {:.0}", secs * 1050.0),
        ],
        vec![
            "  the same, start() to every report back".into(),
            "ms".into(),
            c.run_total_ms.cell(),
            String::new(),
        ],
    ];
    for l in &c.life {
        rows.push(vec![
            format!("{} Thread spinners: spawn+start+stop+collect", l.workers),
            "ms".into(),
            l.total_ms.cell(),
            "< 1000 at 4096".into(),
        ]);
        rows.push(vec![
            "  of which start()".into(),
            "ms".into(),
            l.start_ms.cell(),
            String::new(),
        ]);
        rows.push(vec![
            "  of which stop_and_collect".into(),
            "ms".into(),
            l.collect_ms.cell(),
            String::new(),
        ]);
    }
    print_table(
        &["MEASURE", "UNIT", "MEDIAN (MIN-MAX)", "GOAL"],
        &[L, L, L, R],
        &rows,
    );
    for n in &c.notes {
        println!("  note from the workers: {n}");
    }
}
