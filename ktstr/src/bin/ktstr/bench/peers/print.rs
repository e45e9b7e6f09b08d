//! Printing the tables and the ratio summary.

use super::super::stats::{cell, Summary};

use super::common::*;
use super::groups::*;

/// Print the pairs table and its legend.
pub(crate) fn print_pairs(rows: &[Row], plan: &PeersPlan) {
    use super::super::table::{print_table, Align::Left as L};
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
         `taskset -c {cpu}`; ktstr: Affinity::Fixed).\n  \
         unpinned: whether the two tasks share one CPU or bounce between two changes the rate \
         up to 5x (in a VM every wakeup of an idle vCPU goes through the host);\n    \
         CPU us/RT shows which a run got (the pinned rows give the shared figure). The unpinned \
         ratios measure that placement as much as the engines:\n    \
         read engine overhead from the pinned rows.",
        cpu = plan.cpu
    );
}

/// Print the many-groups table and the notes on the mapping.
pub(crate) fn print_groups(rows: &[Row], extra: &GroupExtra) {
    use super::super::table::{print_table, Align::Left as L, Align::Right as R};
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
pub(super) fn print_skipped(rows: &[Row]) {
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
pub(super) fn ratio_cell(s: &Option<Summary>) -> String {
    match s {
        None => "-".into(),
        Some(s) if s.samples.len() < 2 => format!("{:.3}", s.median),
        Some(s) => format!("{:.3} ({:.3}-{:.3})", s.median, s.min, s.max),
    }
}

/// How many ratios were measured (rows with a ratio to a peer).
pub(crate) fn ratio_count(pairs: &[Row], groups: &[Row]) -> usize {
    pairs
        .iter()
        .chain(groups)
        .filter(|r| r.ktstr_over_peer.is_some())
        .count()
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
