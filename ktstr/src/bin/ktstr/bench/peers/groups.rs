//! Part 2: many groups against 64 perf pipes, `perf bench sched messaging` and hackbench.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use ktstr::prelude::*;
use serde::Serialize;

use super::exec::{self, Ran, Tool};
use super::parse::{parse_hackbench, parse_perf_messaging, parse_perf_pipe};

use super::common::*;
use super::pairs::*;

/// The many-groups ktstr run: `pairs` PipeIo pairs (Fork) for `run_for`;
/// messages (every worker counts the ones it received) per second from
/// `start()` until stop.
pub(super) fn ktstr_groups(pairs: usize, run_for: Duration) -> anyhow::Result<Sample> {
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
    Ok(Sample::of_reports(&reports, msgs, window.as_secs_f64()))
}

/// A [`Sample`] of `msgs` messages in `seconds`, with the CPU time and
/// context switches of `ran`.
pub(super) fn peer_sample(msgs: u64, seconds: f64, ran: &Ran) -> anyhow::Result<Sample> {
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
pub(super) fn perf_pipes(
    perf: &Path,
    pairs: usize,
    loops: u64,
    limit: Duration,
) -> anyhow::Result<(Sample, f64)> {
    let copies = |l: u64| vec![perf_pipe_args(CloneMode::Fork, l); pairs];
    let full = exec::run(perf, &copies(loops), None, limit)?;
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
    let startup = exec::run(perf, &copies(1), None, limit)?;
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
pub(super) fn messaging_groups(tasks: usize) -> u64 {
    ((tasks as f64 / (2 * MESSAGING_FDS) as f64).round() as u64).max(1)
}

/// The arguments of `perf bench sched messaging -p -g groups -l loops`.
pub(super) fn messaging_args(groups: u64, loops: u64) -> Vec<String> {
    let mut a: Vec<String> = ["bench", "sched", "messaging", "-p", "-g"]
        .map(String::from)
        .to_vec();
    a.extend([groups.to_string(), "-l".into(), loops.to_string()]);
    a
}

/// One `perf bench sched messaging` run: `groups x 20 x 20 x loops`
/// messages over its `Total time`.
pub(super) fn messaging(
    perf: &Path,
    groups: u64,
    loops: u64,
    limit: Duration,
) -> anyhow::Result<Sample> {
    let ran = exec::run(perf, &[messaging_args(groups, loops)], None, limit)?;
    let m = parse_perf_messaging(&ran.outputs[0]).map_err(|e| anyhow!(e))?;
    let fds = m.per_group.unwrap_or(MESSAGING_FDS);
    let g = m.groups.unwrap_or(groups);
    peer_sample(g * fds * fds * loops, m.total_s, &ran)
}

/// The arguments of `hackbench -p -g pairs -f 1 -s 8 -l loops`.
pub(super) fn hackbench_args(pairs: usize, loops: u64) -> Vec<String> {
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
pub(super) fn hackbench(
    path: &Path,
    pairs: usize,
    loops: u64,
    limit: Duration,
) -> anyhow::Result<Sample> {
    let ran = exec::run(path, &[hackbench_args(pairs, loops)], None, limit)?;
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
        format!("{pairs} x perf bench sched pipe"),
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
            match probe_fastest(|| Ok(perf_pipes(path, pairs, PIPES_PROBE_LOOPS, limit)?.0)) {
                Ok(s) => {
                    let l =
                        scale_loops(s.rate / (2 * pairs) as f64, plan.run_for, PIPES_PROBE_LOOPS);
                    pipes_loops = Some(l);
                    pipes.benchmark =
                        format!("{pairs} x perf bench sched pipe -l {l} (net of start-up)");
                }
                Err(e) => pipes.skip(format!("the probe run failed: {e:#}")),
            }
            progress("groups: sizing perf bench sched messaging");
            match probe_fastest(|| messaging(path, groups, MESSAGING_PROBE_LOOPS, limit)) {
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
            match probe_fastest(|| hackbench(path, pairs, HACKBENCH_PROBE_LOOPS, limit)) {
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
    "Peer loop counts were chosen by short probe runs (the fastest of two) so that each peer run \
     takes about as long \
     as the ktstr run; the message counts per run are in the MSGS/RUN column.",
];
