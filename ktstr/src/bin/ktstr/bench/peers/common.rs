//! Shared pieces: the plan, samples, rows, ratios, probing.

use std::time::Duration;

use anyhow::anyhow;
use ktstr::prelude::*;
use serde::Serialize;

use super::super::stats::Summary;

/// How the peers bench runs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PeersPlan {
    /// Measurements of every row.
    pub repeat: usize,
    /// About how long each run takes (ktstr runs exactly this long; peer
    /// loop counts are chosen to take about this long).
    pub run_for: Duration,
    /// The CPU of the pinned rows.
    pub cpu: usize,
    /// Pairs in the many-groups part.
    pub pairs: usize,
}

/// Round trips of the probe that sizes `perf bench sched pipe`.
pub(super) const PIPE_PROBE_LOOPS: u64 = 20_000;
/// Round trips per copy of the probe that sizes the 64 concurrent perf pipes.
pub(super) const PIPES_PROBE_LOOPS: u64 = 2_000;
/// `-l` of the probe that sizes `perf bench sched messaging`.
pub(super) const MESSAGING_PROBE_LOOPS: u64 = 50;
/// `-l` of the probe that sizes `hackbench`.
pub(super) const HACKBENCH_PROBE_LOOPS: u64 = 2_000;
/// Senders (and receivers) per `perf bench sched messaging` group: fixed
/// in perf.
pub(super) const MESSAGING_FDS: u64 = 20;
/// Bytes of a PipeIo message (a `CLOCK_MONOTONIC` timestamp).
pub(super) const PIPE_IO_BYTES: usize = 8;
/// Bytes of a `perf bench sched pipe` message (an `int`).
pub(super) const PERF_PIPE_BYTES: usize = 4;
/// Bytes of a `perf bench sched messaging` message (`DATASIZE`, fixed).
pub(super) const MESSAGING_BYTES: usize = 100;

/// One measurement of one row.
#[derive(Clone, Copy, Debug, Serialize)]
pub(crate) struct Sample {
    /// Round trips (pairs) or messages (many groups) per second.
    pub rate: f64,
    /// Round trips or messages counted.
    pub count: u64,
    /// Seconds the count is divided by.
    pub seconds: f64,
    /// CPU time (user + system, every task of the run) per round trip or
    /// message, in µs. For peers this includes their process start and
    /// exit.
    pub cpu_us_per: f64,
    /// Context switches (voluntary + involuntary, every task) per round
    /// trip or message.
    pub csw_per: f64,
}

impl Sample {
    /// `count` round trips or messages over `seconds`, with the CPU time
    /// and context switches of every task in `reports` per one of them.
    pub(crate) fn of_reports(reports: &[WorkerReport], count: u64, seconds: f64) -> Sample {
        let cpu: u64 = reports.iter().map(|r| r.cpu_time_ns).sum();
        let csw: u64 = reports
            .iter()
            .map(|r| r.voluntary_csw + r.involuntary_csw)
            .sum();
        Sample {
            rate: count as f64 / seconds,
            count,
            seconds,
            cpu_us_per: cpu as f64 / 1e3 / count as f64,
            csw_per: csw as f64 / count as f64,
        }
    }
}

/// One table row: a benchmark in one placement, over all repeats.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Row {
    /// `unpinned`, or `CPU n` when every task was pinned to CPU n.
    pub placement: String,
    /// `process` (perf's default, ktstr Fork) or `thread` (perf `-T`/`-t`,
    /// ktstr Thread).
    pub mode: &'static str,
    /// What ran: the peer's command line, or the ktstr workload.
    pub benchmark: String,
    /// A peer benchmark (not ktstr).
    pub peer: bool,
    /// Tasks exchanging messages.
    pub tasks: usize,
    /// Bytes per message (0 for FutexPingPong, which passes a futex word).
    pub msg_bytes: usize,
    /// One entry per repeat; null where that run failed.
    pub samples: Vec<Option<Sample>>,
    /// Round trips or messages per second.
    pub rate: Option<Summary>,
    /// Round trips or messages per run.
    pub count: Option<Summary>,
    /// CPU µs per round trip or message.
    pub cpu_us_per: Option<Summary>,
    /// Context switches per round trip or message.
    pub csw_per: Option<Summary>,
    /// ktstr's rate over the peer's, per repeat (pairs: on the ktstr rows,
    /// against the perf row of the same placement and mode; many groups:
    /// on the peer rows, against the ktstr row).
    pub ktstr_over_peer: Option<Summary>,
    /// Why the row has no figures.
    pub skipped: Option<String>,
}

impl Row {
    pub(super) fn new(placement: &str, mode: &'static str, benchmark: String, peer: bool) -> Row {
        Row {
            placement: placement.to_string(),
            mode,
            benchmark,
            peer,
            tasks: 2,
            msg_bytes: 0,
            samples: Vec::new(),
            rate: None,
            count: None,
            cpu_us_per: None,
            csw_per: None,
            ktstr_over_peer: None,
            skipped: None,
        }
    }

    /// Fill the summaries from the samples.
    pub(super) fn summarise(&mut self) {
        let of =
            |f: fn(&Sample) -> f64| Summary::of(self.samples.iter().flatten().map(f).collect());
        self.rate = of(|s| s.rate);
        self.count = of(|s| s.count as f64);
        self.cpu_us_per = of(|s| s.cpu_us_per);
        self.csw_per = of(|s| s.csw_per);
    }

    /// Mark the row skipped, with the reason.
    pub(super) fn skip(&mut self, why: String) {
        self.skipped = Some(why);
    }
}

/// `a / b` per repeat where both ran.
pub(super) fn ratios(a: &Row, b: &Row) -> Option<Summary> {
    Summary::of(
        a.samples
            .iter()
            .zip(&b.samples)
            .filter_map(|(x, y)| match (x, y) {
                (Some(x), Some(y)) if y.rate > 0.0 => Some(x.rate / y.rate),
                _ => None,
            })
            .collect(),
    )
}

/// What went wrong, sorted by who is to blame.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Issues {
    /// The engine failed (lost report, error, unpinned worker): exit 1.
    pub problems: Vec<String>,
    /// A peer run failed (its row lacks that repeat).
    pub warnings: Vec<String>,
}

/// `process` or `thread`.
pub(super) fn mode_name(mode: CloneMode) -> &'static str {
    match mode {
        CloneMode::Fork => "process",
        CloneMode::Thread => "thread",
    }
}

/// `unpinned` or `CPU n`.
pub(super) fn placement(pin: Option<usize>) -> String {
    pin.map_or_else(|| "unpinned".to_string(), |c| format!("CPU {c}"))
}

/// A generous limit for a run meant to take `run_for`.
pub(super) fn timeout(run_for: Duration) -> Duration {
    run_for * 10 + Duration::from_secs(30)
}

/// Probe runs per peer of the many-groups part: the fastest one sizes the
/// peer's runs, so that a probe slowed down by other jobs on the machine
/// does not make every run of that peer short.
pub(super) const PROBES: usize = 2;

/// Probe runs per block of the pairs part. The first unpinned runs after
/// the machine was idle can be several times slower than later ones (in a
/// VM, each wakeup of a halted vCPU goes through the host), so each block
/// is probed this many times, the blocks in turn, and the fastest counts.
pub(super) const PAIR_PROBES: usize = 3;

/// The fastest of [`PROBES`] runs of `probe`; the first error when none
/// worked.
pub(super) fn probe_fastest(
    mut probe: impl FnMut() -> anyhow::Result<Sample>,
) -> anyhow::Result<Sample> {
    let mut best: Option<Sample> = None;
    let mut first_error = None;
    for _ in 0..PROBES {
        match probe() {
            Ok(s) if best.map_or(true, |b| s.rate > b.rate) => best = Some(s),
            Ok(_) => {}
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    best.ok_or_else(|| first_error.unwrap_or_else(|| anyhow!("no probe ran")))
}

/// `probe` scaled to take `run_for` at `rate` per second, to three
/// significant digits, never below `probe`.
pub(super) fn scale_loops(rate: f64, run_for: Duration, probe: u64) -> u64 {
    let want = (rate * run_for.as_secs_f64()).max(probe as f64).min(1e10);
    let digits = want.log10().floor() as i32;
    let step = 10f64.powi((digits - 2).max(0));
    ((want / step).round() * step) as u64
}
