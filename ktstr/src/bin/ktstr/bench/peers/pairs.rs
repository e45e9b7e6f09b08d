//! Part 1: pairs in strict alternation against `perf bench sched pipe`.

use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use ktstr::prelude::*;

use super::exec::{self, Tool};
use super::parse::parse_perf_pipe;

use super::common::*;

/// Run the ktstr pair `work` once: round trips per second of the ping
/// worker, and CPU and context switches of both per round trip.
pub(super) fn ktstr_pair(
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
    let seconds = ping.wall_time_ns as f64 / 1e9;
    Ok(Sample::of_reports(&reports, ping.work_units, seconds))
}

/// Every report real, clean, and (when pinned) on the pinned CPU only.
pub(super) fn check_reports(
    reports: &[WorkerReport],
    n: usize,
    pin: Option<usize>,
) -> anyhow::Result<()> {
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
pub(super) fn perf_pipe(
    perf: &Path,
    mode: CloneMode,
    loops: u64,
    pin: Option<usize>,
    limit: Duration,
) -> anyhow::Result<Sample> {
    let ran = exec::run(perf, &[perf_pipe_args(mode, loops)], pin, limit)?;
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
pub(super) fn perf_pipe_args(mode: CloneMode, loops: u64) -> Vec<String> {
    let mut a: Vec<String> = ["bench", "sched", "pipe"].map(String::from).to_vec();
    if mode == CloneMode::Thread {
        a.push("-T".into());
    }
    a.extend(["-l".to_string(), loops.to_string()]);
    a
}

/// The perf row's name before (`loops` None) and after sizing.
pub(super) fn perf_pipe_label(mode: CloneMode, loops: Option<u64>) -> String {
    match loops {
        Some(l) => shown("perf", &perf_pipe_args(mode, l)),
        None => {
            let t = if mode == CloneMode::Thread { " -T" } else { "" };
            format!("perf bench sched pipe{t}")
        }
    }
}

/// The command line shown for `args` of `tool`.
pub(super) fn shown(tool: &str, args: &[String]) -> String {
    format!("{tool} {}", args.join(" "))
}

/// One placement and mode of the pairs part: the perf row and the two
/// ktstr rows, and perf's loop count.
pub(super) struct Block {
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

    // Size perf's runs: the fastest of PAIR_PROBES probes per block, the
    // blocks taken in turn (a first run on a machine that was idle can be
    // several times slower, unpinned: see PAIR_PROBES).
    let mut best: Vec<anyhow::Result<Sample>> = blocks
        .iter()
        .map(|_| Err(anyhow!("no probe ran")))
        .collect();
    if let Some(path) = &perf.path {
        for round in 0..PAIR_PROBES {
            progress(&format!(
                "pairs: sizing perf bench sched pipe, round {}/{PAIR_PROBES}",
                round + 1
            ));
            for (b, best) in blocks.iter().zip(&mut best) {
                let s = perf_pipe(path, b.mode, PIPE_PROBE_LOOPS, b.pin, timeout(plan.run_for));
                match (&*best, s) {
                    (Ok(old), Ok(new)) if new.rate <= old.rate => {}
                    (Ok(_), Err(_)) => {}
                    (_, new) => *best = new,
                }
            }
        }
    }
    for (b, best) in blocks.iter_mut().zip(best) {
        if perf.path.is_none() {
            b.perf.skip(perf.missing().unwrap_or_default());
            continue;
        }
        match best {
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
