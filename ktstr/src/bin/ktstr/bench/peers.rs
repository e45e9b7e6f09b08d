//! `ktstr bench peers`: the engine's ping-pong work types side by side with
//! the standard peer benchmarks, in one run.
//!
//! 1. **Pairs** ([`run_pairs`]): two tasks in strict alternation.
//!    `perf bench sched pipe` (two processes, or two threads with `-T`)
//!    against a `PipeIo { burst_iters: 0 }` pair and a
//!    `FutexPingPong { spin_iters: 0 }` pair (Fork against processes,
//!    Thread against threads), each unpinned and with both tasks pinned to
//!    one CPU. The figure is round trips per second: perf's `usecs/op`
//!    (one op is one round trip), and the ping worker's `work_units` (one
//!    per completed round trip, for both types) over its `wall_time_ns`.
//! 2. **Many groups** ([`run_groups`]): 64 `PipeIo` pairs (128 Fork
//!    workers) against 64 `perf bench sched pipe` at once (the same shape),
//!    `perf bench sched messaging` and rt-tests `hackbench`, in messages per
//!    second. The shapes of the last two differ (they stream messages
//!    without waiting for answers); [`GROUP_NOTES`] says how.
//!
//! Every figure is measured `repeat` times; within a repeat the order of
//! the benchmarks is reversed every other repeat (peer first, then ktstr
//! first), and each ratio is taken between runs of the same repeat, then
//! summarised. Peer loop counts are fixed for the whole bench, chosen by a
//! short probe run so that a run takes about `run_for`. A peer that is
//! missing or fails is skipped with the reason (and the Debian package
//! that provides it); only an engine failure fails the bench.
//!
//! The main types here are [`PeersPlan`] and [`Row`].

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use ktstr::prelude::*;
use serde::Serialize;

use super::peers_exec::{self, Ran, Tool};
use super::peers_parse::{parse_hackbench, parse_perf_messaging, parse_perf_pipe};
use super::stats::{cell, Summary};

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
const PIPE_PROBE_LOOPS: u64 = 20_000;
/// Round trips per copy of the probe that sizes the 64 concurrent perf pipes.
const PIPES_PROBE_LOOPS: u64 = 2_000;
/// `-l` of the probe that sizes `perf bench sched messaging`.
const MESSAGING_PROBE_LOOPS: u64 = 50;
/// `-l` of the probe that sizes `hackbench`.
const HACKBENCH_PROBE_LOOPS: u64 = 2_000;
/// Senders (and receivers) per `perf bench sched messaging` group: fixed
/// in perf.
const MESSAGING_FDS: u64 = 20;
/// Bytes of a PipeIo message (a `CLOCK_MONOTONIC` timestamp).
const PIPE_IO_BYTES: usize = 8;
/// Bytes of a `perf bench sched pipe` message (an `int`).
const PERF_PIPE_BYTES: usize = 4;
/// Bytes of a `perf bench sched messaging` message (`DATASIZE`, fixed).
const MESSAGING_BYTES: usize = 100;

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
    /// Bytes per message.
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
    fn new(placement: &str, mode: &'static str, benchmark: String, peer: bool) -> Row {
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
    fn summarise(&mut self) {
        let of =
            |f: fn(&Sample) -> f64| Summary::of(self.samples.iter().flatten().map(f).collect());
        self.rate = of(|s| s.rate);
        self.count = of(|s| s.count as f64);
        self.cpu_us_per = of(|s| s.cpu_us_per);
        self.csw_per = of(|s| s.csw_per);
    }

    /// Mark the row skipped, with the reason.
    fn skip(&mut self, why: String) {
        self.skipped = Some(why);
    }
}

/// `a / b` per repeat where both ran.
fn ratios(a: &Row, b: &Row) -> Option<Summary> {
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
fn mode_name(mode: CloneMode) -> &'static str {
    match mode {
        CloneMode::Fork => "process",
        CloneMode::Thread => "thread",
    }
}

/// `unpinned` or `CPU n`.
fn placement(pin: Option<usize>) -> String {
    pin.map_or_else(|| "unpinned".to_string(), |c| format!("CPU {c}"))
}

/// A generous limit for a run meant to take `run_for`.
fn timeout(run_for: Duration) -> Duration {
    run_for * 10 + Duration::from_secs(30)
}

/// `probe` scaled to take `run_for` at `rate` per second, to three
/// significant digits, never below `probe`.
fn scale_loops(rate: f64, run_for: Duration, probe: u64) -> u64 {
    let want = (rate * run_for.as_secs_f64()).max(probe as f64).min(1e10);
    let digits = want.log10().floor() as i32;
    let step = 10f64.powi((digits - 2).max(0));
    ((want / step).round() * step) as u64
}

/// Run the ktstr pair `work` once: round trips per second of the ping
/// worker, and CPU and context switches of both per round trip.
fn ktstr_pair(
    work: &WorkType,
    mode: CloneMode,
    pin: Option<usize>,
    run_for: Duration,
) -> anyhow::Result<Sample> {
    let config = WorkloadConfig {
        num_workers: 2,
        work_type: work.clone(),
        clone_mode: mode,
        affinity: pin.map_or(Affinity::Inherit, |c| Affinity::Fixed([c].into())),
        ..Default::default()
    };
    let mut h = WorkloadHandle::spawn(&config).context("spawn failed")?;
    h.start();
    std::thread::sleep(run_for);
    let reports = h.stop_and_collect();
    check_reports(&reports, 2, pin)?;
    let ping = reports
        .iter()
        .find(|r| r.role == "ping")
        .ok_or_else(|| anyhow!("no report has the role \"ping\""))?;
    if ping.work_units == 0 || ping.wall_time_ns == 0 {
        bail!("the ping worker completed no round trip");
    }
    let units = ping.work_units as f64;
    let cpu: u64 = reports.iter().map(|r| r.cpu_time_ns).sum();
    let csw: u64 = reports
        .iter()
        .map(|r| r.voluntary_csw + r.involuntary_csw)
        .sum();
    Ok(Sample {
        rate: ping.work_rate(),
        count: ping.work_units,
        seconds: ping.wall_time_ns as f64 / 1e9,
        cpu_us_per: cpu as f64 / 1e3 / units,
        csw_per: csw as f64 / units,
    })
}

/// Every report real, clean, and (when pinned) on the pinned CPU only.
fn check_reports(reports: &[WorkerReport], n: usize, pin: Option<usize>) -> anyhow::Result<()> {
    if reports.len() != n {
        bail!(
            "stop_and_collect returned {} reports for {n} workers",
            reports.len()
        );
    }
    for r in reports {
        if r.sentinel {
            bail!(
                "worker {} ({}): report lost: {:?}",
                r.index,
                r.role,
                r.exit_info
            );
        }
        if let Some(e) = r.error.as_ref().or(r.affinity_error.as_ref()) {
            bail!("worker {} ({}): {e}", r.index, r.role);
        }
        if let Some(cpu) = pin {
            let strays: Vec<u32> = r
                .cpus_used
                .iter()
                .copied()
                .filter(|&c| c as usize != cpu)
                .collect();
            if !strays.is_empty() {
                bail!(
                    "worker {} ({}) pinned to CPU {cpu} ran on CPU(s) {strays:?}",
                    r.index,
                    r.role
                );
            }
        }
    }
    Ok(())
}

/// Run `perf bench sched pipe` once with `loops` round trips.
fn perf_pipe(
    perf: &Path,
    mode: CloneMode,
    loops: u64,
    pin: Option<usize>,
    limit: Duration,
) -> anyhow::Result<Sample> {
    let ran = peers_exec::run(perf, &[perf_pipe_args(mode, loops)], pin, limit)?;
    let p = parse_perf_pipe(&ran.outputs[0]).map_err(|e| anyhow!(e))?;
    let done = p.loops.unwrap_or(loops);
    if done != loops {
        bail!("asked perf for {loops} round trips, it reports {done}");
    }
    if let Some(t) = p.threads {
        if t != (mode == CloneMode::Thread) {
            bail!(
                "perf ran {} instead of {}",
                if t { "threads" } else { "processes" },
                mode_name(mode)
            );
        }
    }
    Ok(Sample {
        rate: p.ops_per_sec,
        count: loops,
        seconds: p.total_s,
        cpu_us_per: ran.cpu_ns as f64 / 1e3 / loops as f64,
        csw_per: (ran.nvcsw + ran.nivcsw) as f64 / loops as f64,
    })
}

/// The arguments of `perf bench sched pipe [-T] -l loops`.
fn perf_pipe_args(mode: CloneMode, loops: u64) -> Vec<String> {
    let mut a: Vec<String> = ["bench", "sched", "pipe"].map(String::from).to_vec();
    if mode == CloneMode::Thread {
        a.push("-T".into());
    }
    a.extend(["-l".to_string(), loops.to_string()]);
    a
}

/// The perf row's name before (`loops` None) and after sizing.
fn perf_pipe_label(mode: CloneMode, loops: Option<u64>) -> String {
    match loops {
        Some(l) => shown("perf", &perf_pipe_args(mode, l)),
        None => {
            let t = if mode == CloneMode::Thread { " -T" } else { "" };
            format!("perf bench sched pipe{t}")
        }
    }
}

/// The command line shown for `args` of `tool`.
fn shown(tool: &str, args: &[String]) -> String {
    format!("{tool} {}", args.join(" "))
}

/// One placement and mode of the pairs part: the perf row and the two
/// ktstr rows, and perf's loop count.
struct Block {
    pin: Option<usize>,
    mode: CloneMode,
    loops: Option<u64>,
    perf: Row,
    pipe: Row,
    futex: Row,
}

/// The pairs part; `progress` is told what runs next.
pub(crate) fn run_pairs(
    plan: &PeersPlan,
    perf: &Tool,
    issues: &mut Issues,
    mut progress: impl FnMut(&str),
) -> Vec<Row> {
    let pipe_work = WorkType::PipeIo { burst_iters: 0 };
    let futex_work = WorkType::FutexPingPong { spin_iters: 0 };
    let mut blocks: Vec<Block> = [None, Some(plan.cpu)]
        .into_iter()
        .flat_map(|pin| [CloneMode::Fork, CloneMode::Thread].map(move |m| (pin, m)))
        .map(|(pin, mode)| {
            let at = placement(pin);
            let m = mode_name(mode);
            let k = |what: &str| format!("ktstr {what} x2 {mode:?}");
            Block {
                pin,
                mode,
                loops: None,
                perf: Row::new(&at, m, perf_pipe_label(mode, None), true),
                pipe: Row::new(&at, m, k("PipeIo{burst_iters:0}"), false),
                futex: Row::new(&at, m, k("FutexPingPong{spin_iters:0}"), false),
            }
        })
        .collect();
    for b in &mut blocks {
        b.perf.msg_bytes = PERF_PIPE_BYTES;
        b.pipe.msg_bytes = PIPE_IO_BYTES;
        b.futex.msg_bytes = 0;
    }

    // Size perf's runs: one probe per block.
    for b in &mut blocks {
        let Some(path) = &perf.path else {
            b.perf.skip(perf.missing().unwrap_or_default());
            continue;
        };
        progress(&format!(
            "pairs: sizing perf bench sched pipe, {} {}",
            placement(b.pin),
            mode_name(b.mode)
        ));
        match perf_pipe(path, b.mode, PIPE_PROBE_LOOPS, b.pin, timeout(plan.run_for)) {
            Ok(s) => {
                let loops = scale_loops(s.rate, plan.run_for, PIPE_PROBE_LOOPS);
                b.loops = Some(loops);
                b.perf.benchmark = perf_pipe_label(b.mode, Some(loops));
            }
            Err(e) => b.perf.skip(format!(
                "the probe run failed: {e:#} (is `perf` from the Debian package `{}` working \
                 for this kernel?)",
                perf.package
            )),
        }
    }

    for rep in 0..plan.repeat {
        for b in &mut blocks {
            progress(&format!(
                "pairs: repeat {}/{}, {} {}",
                rep + 1,
                plan.repeat,
                placement(b.pin),
                mode_name(b.mode)
            ));
            // 0: perf, 1: PipeIo, 2: FutexPingPong; reversed every other repeat.
            let mut order = [0, 1, 2];
            if rep % 2 == 1 {
                order.reverse();
            }
            let mut got: [Option<Sample>; 3] = [None; 3];
            for who in order {
                got[who] = match who {
                    0 => b.loops.and_then(|loops| {
                        let path = perf.path.as_ref()?;
                        perf_pipe(path, b.mode, loops, b.pin, timeout(plan.run_for))
                            .map_err(|e| {
                                issues.warnings.push(format!(
                                    "{} ({}): {e:#}",
                                    b.perf.benchmark, b.perf.placement
                                ))
                            })
                            .ok()
                    }),
                    _ => {
                        let (work, row) = if who == 1 {
                            (&pipe_work, &b.pipe)
                        } else {
                            (&futex_work, &b.futex)
                        };
                        ktstr_pair(work, b.mode, b.pin, plan.run_for)
                            .map_err(|e| {
                                issues
                                    .problems
                                    .push(format!("{} ({}): {e:#}", row.benchmark, row.placement))
                            })
                            .ok()
                    }
                };
            }
            let [p, q, f] = got;
            b.perf.samples.push(p);
            b.pipe.samples.push(q);
            b.futex.samples.push(f);
        }
    }

    let mut rows = Vec::new();
    for mut b in blocks {
        for r in [&mut b.perf, &mut b.pipe, &mut b.futex] {
            r.summarise();
        }
        b.pipe.ktstr_over_peer = ratios(&b.pipe, &b.perf);
        b.futex.ktstr_over_peer = ratios(&b.futex, &b.perf);
        rows.extend([b.perf, b.pipe, b.futex]);
    }
    rows
}

/// The many-groups ktstr run: `pairs` PipeIo pairs (Fork) for `run_for`;
/// messages (every worker counts the ones it received) per second from
/// `start()` until stop.
fn ktstr_groups(pairs: usize, run_for: Duration) -> anyhow::Result<Sample> {
    let n = 2 * pairs;
    let config = WorkloadConfig {
        num_workers: n,
        work_type: WorkType::PipeIo { burst_iters: 0 },
        clone_mode: CloneMode::Fork,
        ..Default::default()
    };
    let mut h = WorkloadHandle::spawn(&config).context("spawn failed")?;
    let t0 = Instant::now();
    h.start();
    std::thread::sleep(run_for.saturating_sub(t0.elapsed()));
    let window = t0.elapsed();
    let reports = h.stop_and_collect();
    check_reports(&reports, n, None)?;
    let msgs: u64 = reports.iter().map(|r| r.work_units).sum();
    if msgs == 0 {
        bail!("no message was exchanged");
    }
    let cpu: u64 = reports.iter().map(|r| r.cpu_time_ns).sum();
    let csw: u64 = reports
        .iter()
        .map(|r| r.voluntary_csw + r.involuntary_csw)
        .sum();
    Ok(Sample {
        rate: msgs as f64 / window.as_secs_f64(),
        count: msgs,
        seconds: window.as_secs_f64(),
        cpu_us_per: cpu as f64 / 1e3 / msgs as f64,
        csw_per: csw as f64 / msgs as f64,
    })
}

/// A [`Sample`] of `msgs` messages in `seconds`, with the CPU time and
/// context switches of `ran`.
fn peer_sample(msgs: u64, seconds: f64, ran: &Ran) -> anyhow::Result<Sample> {
    if msgs == 0 || seconds <= 0.0 {
        bail!("{msgs} messages in {seconds} s is no measurement");
    }
    let m = msgs as f64;
    Ok(Sample {
        rate: m / seconds,
        count: msgs,
        seconds,
        cpu_us_per: ran.cpu_ns as f64 / 1e3 / m,
        csw_per: (ran.nvcsw + ran.nivcsw) as f64 / m,
    })
}

/// `pairs` copies of `perf bench sched pipe -l loops` at once, and right
/// after `pairs` copies of `-l 1`: messages (2 per round trip) per second
/// of the first wall time minus the second (perf's own start-up and exit,
/// which the copies pay while the others run).
fn perf_pipes(
    perf: &Path,
    pairs: usize,
    loops: u64,
    limit: Duration,
) -> anyhow::Result<(Sample, f64)> {
    let copies = |l: u64| vec![perf_pipe_args(CloneMode::Fork, l); pairs];
    let full = peers_exec::run(perf, &copies(loops), None, limit)?;
    for out in &full.outputs {
        let p = parse_perf_pipe(out).map_err(|e| anyhow!(e))?;
        if p.loops.is_some_and(|l| l != loops) {
            bail!(
                "asked perf for {loops} round trips, it reports {:?}",
                p.loops
            );
        }
    }
    // Too short for perf's own timer (it prints 0.000 s): only the exit
    // status is checked.
    let startup = peers_exec::run(perf, &copies(1), None, limit)?;
    let seconds = full.wall.as_secs_f64() - startup.wall.as_secs_f64();
    if seconds <= 0.0 {
        bail!(
            "the start-up run took {:.3} s, as long as the measured run ({:.3} s)",
            startup.wall.as_secs_f64(),
            full.wall.as_secs_f64()
        );
    }
    let net = Ran {
        outputs: Vec::new(),
        wall: full.wall,
        cpu_ns: full.cpu_ns.saturating_sub(startup.cpu_ns),
        nvcsw: full.nvcsw.saturating_sub(startup.nvcsw),
        nivcsw: full.nivcsw.saturating_sub(startup.nivcsw),
    };
    let msgs = 2 * pairs as u64 * (loops - 1);
    Ok((
        peer_sample(msgs, seconds, &net)?,
        startup.wall.as_secs_f64(),
    ))
}

/// Groups of `perf bench sched messaging` nearest to `tasks` tasks.
fn messaging_groups(tasks: usize) -> u64 {
    ((tasks as f64 / (2 * MESSAGING_FDS) as f64).round() as u64).max(1)
}

/// The arguments of `perf bench sched messaging -p -g groups -l loops`.
fn messaging_args(groups: u64, loops: u64) -> Vec<String> {
    let mut a: Vec<String> = ["bench", "sched", "messaging", "-p", "-g"]
        .map(String::from)
        .to_vec();
    a.extend([groups.to_string(), "-l".into(), loops.to_string()]);
    a
}

/// One `perf bench sched messaging` run: `groups x 20 x 20 x loops`
/// messages over its `Total time`.
fn messaging(perf: &Path, groups: u64, loops: u64, limit: Duration) -> anyhow::Result<Sample> {
    let ran = peers_exec::run(perf, &[messaging_args(groups, loops)], None, limit)?;
    let m = parse_perf_messaging(&ran.outputs[0]).map_err(|e| anyhow!(e))?;
    let fds = m.per_group.unwrap_or(MESSAGING_FDS);
    let g = m.groups.unwrap_or(groups);
    peer_sample(g * fds * fds * loops, m.total_s, &ran)
}

/// The arguments of `hackbench -p -g pairs -f 1 -s 8 -l loops`.
fn hackbench_args(pairs: usize, loops: u64) -> Vec<String> {
    [
        "-p".to_string(),
        "-g".into(),
        pairs.to_string(),
        "-f".into(),
        "1".into(),
        "-s".into(),
        PIPE_IO_BYTES.to_string(),
        "-l".into(),
        loops.to_string(),
    ]
    .to_vec()
}

/// One `hackbench` run: `groups x fds x fds x loops` messages over its
/// `Time`.
fn hackbench(path: &Path, pairs: usize, loops: u64, limit: Duration) -> anyhow::Result<Sample> {
    let ran = peers_exec::run(path, &[hackbench_args(pairs, loops)], None, limit)?;
    let h = parse_hackbench(&ran.outputs[0]).map_err(|e| anyhow!(e))?;
    let g = h.groups.unwrap_or(pairs as u64);
    let f = h.fds.unwrap_or(1);
    peer_sample(g * f * f * h.loops.unwrap_or(loops), h.time_s, &ran)
}

/// What the many-groups part measured, beyond its rows.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct GroupExtra {
    /// Wall time of `pairs` concurrent `perf bench sched pipe -l 1`, per
    /// repeat, in seconds (subtracted from the 64-perf row).
    pub perf_startup_s: Vec<f64>,
}

/// The many-groups part; `progress` is told what runs next.
pub(crate) fn run_groups(
    plan: &PeersPlan,
    perf: &Tool,
    hack: &Tool,
    issues: &mut Issues,
    mut progress: impl FnMut(&str),
) -> (Vec<Row>, GroupExtra) {
    let pairs = plan.pairs;
    let tasks = 2 * pairs;
    let limit = timeout(plan.run_for);
    let groups = messaging_groups(tasks);
    let mut extra = GroupExtra::default();

    let mut ktstr = Row::new(
        "unpinned",
        "process",
        format!("ktstr PipeIo{{burst_iters:0}} x{tasks} Fork ({pairs} pairs)"),
        false,
    );
    ktstr.tasks = tasks;
    ktstr.msg_bytes = PIPE_IO_BYTES;
    let mut pipes = Row::new(
        "unpinned",
        "process",
        format!("{pairs} x perf bench sched pipe -l ?"),
        true,
    );
    pipes.tasks = tasks;
    pipes.msg_bytes = PERF_PIPE_BYTES;
    let mut msg = Row::new(
        "unpinned",
        "process",
        shown("perf", &messaging_args(groups, 0)[..6]),
        true,
    );
    msg.tasks = (groups * 2 * MESSAGING_FDS) as usize;
    msg.msg_bytes = MESSAGING_BYTES;
    let mut hb = Row::new(
        "unpinned",
        "process",
        shown("hackbench", &hackbench_args(pairs, 0)[..7]),
        true,
    );
    hb.tasks = tasks;
    hb.msg_bytes = PIPE_IO_BYTES;

    // Size the peers' runs.
    let mut pipes_loops = None;
    let mut msg_loops = None;
    let mut hb_loops = None;
    match &perf.path {
        None => {
            let why = perf.missing().unwrap_or_default();
            pipes.skip(why.clone());
            msg.skip(why);
        }
        Some(path) => {
            progress("groups: sizing the concurrent perf pipes");
            match perf_pipes(path, pairs, PIPES_PROBE_LOOPS, limit) {
                Ok((s, _)) => {
                    let l =
                        scale_loops(s.rate / (2 * pairs) as f64, plan.run_for, PIPES_PROBE_LOOPS);
                    pipes_loops = Some(l);
                    pipes.benchmark =
                        format!("{pairs} x perf bench sched pipe -l {l} (net of start-up)");
                }
                Err(e) => pipes.skip(format!("the probe run failed: {e:#}")),
            }
            progress("groups: sizing perf bench sched messaging");
            match messaging(path, groups, MESSAGING_PROBE_LOOPS, limit) {
                Ok(s) => {
                    let l = scale_loops(
                        s.rate / (groups * MESSAGING_FDS * MESSAGING_FDS) as f64,
                        plan.run_for,
                        MESSAGING_PROBE_LOOPS,
                    );
                    msg_loops = Some(l);
                    msg.benchmark = shown("perf", &messaging_args(groups, l));
                }
                Err(e) => msg.skip(format!("the probe run failed: {e:#}")),
            }
        }
    }
    match &hack.path {
        None => hb.skip(hack.missing().unwrap_or_default()),
        Some(path) => {
            progress("groups: sizing hackbench");
            match hackbench(path, pairs, HACKBENCH_PROBE_LOOPS, limit) {
                Ok(s) => {
                    let l = scale_loops(s.rate / pairs as f64, plan.run_for, HACKBENCH_PROBE_LOOPS);
                    hb_loops = Some(l);
                    hb.benchmark = shown("hackbench", &hackbench_args(pairs, l));
                }
                Err(e) => hb.skip(format!("the probe run failed: {e:#}")),
            }
        }
    }

    for rep in 0..plan.repeat {
        progress(&format!("groups: repeat {}/{}", rep + 1, plan.repeat));
        // 0: ktstr, 1: perf pipes, 2: messaging, 3: hackbench.
        let mut order = [0, 1, 2, 3];
        if rep % 2 == 1 {
            order.reverse();
        }
        let mut got: [Option<Sample>; 4] = [None; 4];
        for who in order {
            let peer_run = |r: anyhow::Result<Sample>, row: &Row, issues: &mut Issues| {
                r.map_err(|e| issues.warnings.push(format!("{}: {e:#}", row.benchmark)))
                    .ok()
            };
            got[who] = match who {
                0 => ktstr_groups(pairs, plan.run_for)
                    .map_err(|e| issues.problems.push(format!("{}: {e:#}", ktstr.benchmark)))
                    .ok(),
                1 => match (pipes_loops, &perf.path) {
                    (Some(l), Some(path)) => {
                        let r = perf_pipes(path, pairs, l, limit).map(|(s, startup)| {
                            extra.perf_startup_s.push(startup);
                            s
                        });
                        peer_run(r, &pipes, issues)
                    }
                    _ => None,
                },
                2 => match (msg_loops, &perf.path) {
                    (Some(l), Some(path)) => {
                        peer_run(messaging(path, groups, l, limit), &msg, issues)
                    }
                    _ => None,
                },
                _ => match (hb_loops, &hack.path) {
                    (Some(l), Some(path)) => {
                        peer_run(hackbench(path, pairs, l, limit), &hb, issues)
                    }
                    _ => None,
                },
            };
        }
        let [k, p, m, h] = got;
        ktstr.samples.push(k);
        pipes.samples.push(p);
        msg.samples.push(m);
        hb.samples.push(h);
    }

    ktstr.summarise();
    for r in [&mut pipes, &mut msg, &mut hb] {
        r.summarise();
        r.ktstr_over_peer = ratios(&ktstr, r);
    }
    (vec![ktstr, pipes, msg, hb], extra)
}

/// How the many-groups rows map onto each other, printed under the table
/// (and in the JSON).
pub(crate) const GROUP_NOTES: &[&str] = &[
    "ktstr: 64 PipeIo pairs, 128 Fork workers, unpinned; every message is answered before the \
     next is sent (strict alternation), so each one costs its receiver a wakeup. Messages = the \
     sum of every worker's work_units (each counts the messages it received), over the time from \
     start() to stop.",
    "64 x perf bench sched pipe: the same shape (64 pairs of round trips, 128 tasks, plus 64 \
     idle perf parents); messages = 2 x 64 x loops, over the wall time of all 64 minus the wall \
     time of 64 copies with -l 1 run right after (perf's own start-up and exit, paid while the \
     other copies run).",
    "perf bench sched messaging -p -g 3: 3 groups of 20 senders and 20 receivers = 120 tasks \
     (nearest to 128; the 20 is fixed in perf), pipes like PipeIo; each sender writes loops x 20 \
     messages of 100 B, one to each receiver of its group, without waiting for an answer. \
     Messages = 3 x 20 x 20 x loops over its Total time (from go until every task was reaped). \
     NOT the same shape: a pipe holds 64 KiB, so senders run ahead and a task handles many \
     messages per wakeup; a ratio far below 1 here is that batching, not engine overhead.",
    "hackbench -p -g 64 -f 1 -s 8: 64 groups of 1 sender and 1 receiver = 128 tasks in pairs, \
     8-byte messages like PipeIo; messages = 64 x loops over its Time. Also one-way streaming: \
     up to 8192 messages queue in a pipe before the sender blocks.",
    "Peer loop counts were chosen by a short probe run so that each peer run takes about as long \
     as the ktstr run; the message counts per run are in the MSGS/RUN column.",
];

/// Print the pairs table and its legend.
pub(crate) fn print_pairs(rows: &[Row], plan: &PeersPlan) {
    use super::table::{print_table, Align::Left as L};
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut v = vec![
                r.placement.clone(),
                r.mode.to_string(),
                r.benchmark.clone(),
                cell(&r.rate),
                cell(&r.cpu_us_per),
                cell(&r.csw_per),
                if r.peer {
                    String::new()
                } else {
                    ratio_cell(&r.ktstr_over_peer)
                },
            ];
            if r.skipped.is_some() {
                v[3] = "SKIPPED (below)".into();
                v.truncate(4);
            }
            v
        })
        .collect();
    print_table(
        &[
            "PLACEMENT",
            "MODE",
            "BENCHMARK",
            "ROUND TRIPS/S",
            "CPU us/RT",
            "CSW/RT",
            "KTSTR/PERF",
        ],
        &[L, L, L, L, L, L, L],
        &body,
    );
    print_skipped(rows);
    println!(
        "  round trips/s: perf's usecs/op (its timer runs from before its fork to after its wait); \
         ktstr: the ping worker's work_units (one per completed round trip) over its loop's \
         wall_time_ns.\n  \
         CPU us/RT and CSW/RT: CPU time (user+system) and context switches of both tasks per \
         round trip (perf: RUSAGE_CHILDREN, which includes perf's start-up and exit; ktstr: both \
         WorkerReports).\n  \
         KTSTR/PERF: ktstr's rate over perf's of the same repeat, Fork vs processes, Thread vs \
         -T threads; median (min-max). FutexPingPong is compared with the same perf pipe \
         figure\n    \
         (there is no futex ping-pong in perf bench), so that ratio also holds the difference \
         between a futex hand-over and a pipe message.\n  \
         CPU {cpu}: both tasks pinned to CPU {cpu} (perf: sched_setaffinity before exec, as \
         `taskset -c {cpu}`; ktstr: Affinity::Fixed).",
        cpu = plan.cpu
    );
}

/// Print the many-groups table and the notes on the mapping.
pub(crate) fn print_groups(rows: &[Row], extra: &GroupExtra) {
    use super::table::{print_table, Align::Left as L, Align::Right as R};
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut v = vec![
                r.benchmark.clone(),
                r.tasks.to_string(),
                r.msg_bytes.to_string(),
                cell(&r.count),
                cell(&r.rate),
                cell(&r.cpu_us_per),
                cell(&r.csw_per),
                if r.peer {
                    ratio_cell(&r.ktstr_over_peer)
                } else {
                    String::new()
                },
            ];
            if r.skipped.is_some() {
                v[3] = "SKIPPED (below)".into();
                v.truncate(4);
            }
            v
        })
        .collect();
    print_table(
        &[
            "BENCHMARK",
            "TASKS",
            "MSG B",
            "MSGS/RUN",
            "MSGS/S",
            "CPU us/MSG",
            "CSW/MSG",
            "KTSTR/PEER",
        ],
        &[L, R, R, L, L, L, L, L],
        &body,
    );
    print_skipped(rows);
    if let Some(s) = Summary::of(extra.perf_startup_s.clone()) {
        println!(
            "  start-up of the 64 perf copies (-l 1, all at once): {} s, subtracted from their \
             wall time",
            s.cell()
        );
    }
    for n in GROUP_NOTES {
        println!("  - {n}");
    }
}

/// The reason of every skipped row, under its table.
fn print_skipped(rows: &[Row]) {
    for r in rows {
        if let Some(why) = &r.skipped {
            println!(
                "  SKIPPED {} ({} {}): {why}",
                r.benchmark, r.placement, r.mode
            );
        }
    }
}

/// A ratio cell with three decimals: `median (min-max)`.
fn ratio_cell(s: &Option<Summary>) -> String {
    match s {
        None => "-".into(),
        Some(s) if s.samples.len() < 2 => format!("{:.3}", s.median),
        Some(s) => format!("{:.3} ({:.3}-{:.3})", s.median, s.min, s.max),
    }
}

/// The ktstr rows whose median ratio is below 1.0, one line each.
pub(crate) fn below_one(pairs: &[Row], groups: &[Row]) -> Vec<String> {
    let pair_lines = pairs.iter().filter(|r| !r.peer).filter_map(|r| {
        let s = r.ktstr_over_peer.as_ref()?;
        (s.median < 1.0).then(|| {
            format!(
                "{} {} {}: {:.3} of perf bench sched pipe",
                r.placement, r.mode, r.benchmark, s.median
            )
        })
    });
    let group_lines = groups.iter().filter(|r| r.peer).filter_map(|r| {
        let s = r.ktstr_over_peer.as_ref()?;
        (s.median < 1.0).then(|| format!("many groups: {:.3} of {}", s.median, r.benchmark))
    });
    pair_lines.chain(group_lines).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loops_scale_to_the_run_time_in_three_digits() {
        let two = Duration::from_secs(2);
        assert_eq!(scale_loops(191_555.5, two, 20_000), 383_000);
        assert_eq!(scale_loops(1234.0, two, 50), 2470);
        // Never below the probe, never a huge count from a bogus rate.
        assert_eq!(scale_loops(1.0, two, 20_000), 20_000);
        assert_eq!(scale_loops(f64::MAX, two, 1), 10_000_000_000);
    }

    #[test]
    fn messaging_groups_come_nearest_to_the_task_count() {
        assert_eq!(messaging_groups(128), 3);
        assert_eq!(messaging_groups(2), 1);
        assert_eq!(messaging_groups(400), 10);
    }

    #[test]
    fn ratios_pair_repeats_and_skip_failed_runs() {
        let s = |rate: f64| Sample {
            rate,
            count: 1,
            seconds: 1.0,
            cpu_us_per: 0.0,
            csw_per: 0.0,
        };
        let mut a = Row::new("unpinned", "process", "a".into(), false);
        let mut b = Row::new("unpinned", "process", "b".into(), true);
        a.samples = vec![Some(s(90.0)), None, Some(120.0).map(s)];
        b.samples = vec![Some(s(100.0)), Some(s(100.0)), Some(s(100.0))];
        let r = ratios(&a, &b).unwrap();
        assert_eq!(r.samples, vec![0.9, 1.2]);
        b.samples = vec![None; 3];
        assert!(ratios(&a, &b).is_none());
    }

    #[test]
    fn peer_arguments() {
        assert_eq!(
            perf_pipe_label(CloneMode::Thread, Some(5)),
            "perf bench sched pipe -T -l 5"
        );
        assert_eq!(
            perf_pipe_label(CloneMode::Fork, None),
            "perf bench sched pipe"
        );
        assert_eq!(
            shown("perf", &messaging_args(3, 40)),
            "perf bench sched messaging -p -g 3 -l 40"
        );
        assert_eq!(
            shown("hackbench", &hackbench_args(64, 7)),
            "hackbench -p -g 64 -f 1 -s 8 -l 7"
        );
    }
}
