//! Parsers for what the peer benchmarks print: `perf bench sched pipe`
//! ([`parse_perf_pipe`]), `perf bench sched messaging`
//! ([`parse_perf_messaging`]) and rt-tests `hackbench` ([`parse_hackbench`]).
//!
//! Each reads the default (not `--format=simple`) text output line by line,
//! ignores lines it does not know (perf versions add banners and warnings),
//! and fails with a message quoting the output when the figure it needs is
//! missing.

use serde::Serialize;

/// What `perf bench sched pipe` printed.
///
/// ```text
/// # Running 'sched/pipe' benchmark:
/// # Executed 1000000 pipe operations between two processes
///
///      Total time: 5.855 [sec]
///
///        5.855061 usecs/op
///          170792 ops/sec
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct PerfPipe {
    /// Round trips done (`# Executed N pipe operations`).
    pub loops: Option<u64>,
    /// `between two threads` (`-T`) rather than `two processes`.
    pub threads: Option<bool>,
    /// `Total time`, in seconds (from before the fork to after the wait).
    pub total_s: f64,
    /// `usecs/op`: microseconds per round trip.
    pub usecs_per_op: Option<f64>,
    /// Round trips per second: `1e6 / usecs/op` when perf printed it (more
    /// digits than its `ops/sec` line), else `ops/sec`.
    pub ops_per_sec: f64,
}

/// What `perf bench sched messaging` printed.
///
/// ```text
/// # Running 'sched/messaging' benchmark:
/// # 20 sender and receiver processes per group
/// # 10 groups == 400 processes run
///
///      Total time: 0.308 [sec]
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct PerfMessaging {
    /// Senders (and receivers) per group: 20 in every perf so far.
    pub per_group: Option<u64>,
    /// `threads` (`-t`) rather than `processes`.
    pub threads: Option<bool>,
    /// Groups.
    pub groups: Option<u64>,
    /// Tasks (`2 x per_group x groups`).
    pub tasks: Option<u64>,
    /// `Total time`, in seconds (from "go" until every child was reaped).
    pub total_s: f64,
}

/// What rt-tests `hackbench` printed.
///
/// ```text
/// Running in process mode with 10 groups using 40 file descriptors each (== 400 tasks)
/// Each sender will pass 100 messages of 100 bytes
/// Time: 0.890
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct Hackbench {
    /// `threaded mode` (`-T`) rather than `process mode`.
    pub threads: Option<bool>,
    /// Groups.
    pub groups: Option<u64>,
    /// Senders (and receivers) per group: half the file descriptors
    /// printed (each receiver has a pair).
    pub fds: Option<u64>,
    /// Tasks.
    pub tasks: Option<u64>,
    /// Messages each sender passes to each receiver (`-l`).
    pub loops: Option<u64>,
    /// Bytes per message (`-s`).
    pub datasize: Option<u64>,
    /// `Time`, in seconds.
    pub time_s: f64,
}

/// The number right after `key` in `line` (`Total time: 0.308 [sec]`).
fn number_after(line: &str, key: &str) -> Option<f64> {
    let rest = &line[line.find(key)? + key.len()..];
    rest.split_whitespace().next()?.parse().ok()
}

/// The number right before `key` in `line` (`170792 ops/sec`).
fn number_before(line: &str, key: &str) -> Option<f64> {
    let head = &line[..line.find(key)?];
    head.split_whitespace().last()?.parse().ok()
}

/// The integer right after the word `word` among the words of `line`.
fn int_after_word(line: &str, word: &str) -> Option<u64> {
    let mut it = line.split_whitespace();
    it.find(|w| *w == word)?;
    it.next()?.trim_start_matches('(').parse().ok()
}

/// The integer right before the word `word` among the words of `line`.
fn int_before_word(line: &str, word: &str) -> Option<u64> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let i = words.iter().position(|w| *w == word)?;
    words.get(i.checked_sub(1)?)?.parse().ok()
}

/// A positive, finite number, or an error naming `what`.
fn positive(v: Option<f64>, what: &str, text: &str) -> Result<f64, String> {
    match v {
        Some(v) if v.is_finite() && v > 0.0 => Ok(v),
        Some(v) => Err(format!(
            "{what} is {v}, not a positive number, in: {}",
            quote(text)
        )),
        None => Err(format!("no {what} in: {}", quote(text))),
    }
}

/// `text` on one line, cut to a readable length, for error messages.
fn quote(text: &str) -> String {
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.is_empty() {
        return "(no output)".into();
    }
    let cut: String = one.chars().take(300).collect();
    if cut.len() < one.len() {
        format!("{cut:?}...")
    } else {
        format!("{cut:?}")
    }
}

/// `processes`/`threads` in `line` as threads = Some(false)/Some(true).
fn kind(line: &str) -> Option<bool> {
    if line.contains("thread") {
        Some(true)
    } else if line.contains("process") {
        Some(false)
    } else {
        None
    }
}

/// Parse the output of `perf bench sched pipe`.
pub(crate) fn parse_perf_pipe(text: &str) -> Result<PerfPipe, String> {
    let mut loops = None;
    let mut threads = None;
    let mut total_s = None;
    let mut usecs = None;
    let mut ops = None;
    for line in text.lines() {
        if line.contains("Executed") && line.contains("pipe operations") {
            loops = int_after_word(line, "Executed");
            threads = kind(line);
        } else if line.contains("Total time:") {
            total_s = number_after(line, "Total time:");
        } else if line.contains("usecs/op") {
            usecs = number_before(line, "usecs/op");
        } else if line.contains("ops/sec") {
            ops = number_before(line, "ops/sec");
        }
    }
    let total_s = positive(total_s, "`Total time`", text)?;
    let usecs_per_op = usecs.filter(|u| u.is_finite() && *u > 0.0);
    let ops_per_sec = match usecs_per_op {
        Some(u) => 1e6 / u,
        None => positive(ops, "`ops/sec` or `usecs/op`", text)?,
    };
    Ok(PerfPipe {
        loops,
        threads,
        total_s,
        usecs_per_op,
        ops_per_sec,
    })
}

/// Parse the output of `perf bench sched messaging`.
pub(crate) fn parse_perf_messaging(text: &str) -> Result<PerfMessaging, String> {
    let mut out = PerfMessaging {
        per_group: None,
        threads: None,
        groups: None,
        tasks: None,
        total_s: 0.0,
    };
    let mut total_s = None;
    for line in text.lines() {
        if line.contains("sender and receiver") && line.contains("per group") {
            out.per_group = line
                .trim_start_matches(|c: char| c == '#' || c.is_whitespace())
                .split_whitespace()
                .next()
                .and_then(|w| w.parse().ok());
            out.threads = kind(line);
        } else if line.contains("groups ==") {
            out.groups = int_before_word(line, "groups");
            out.tasks = int_after_word(line, "==");
        } else if line.contains("Total time:") {
            total_s = number_after(line, "Total time:");
        }
    }
    out.total_s = positive(total_s, "`Total time`", text)?;
    Ok(out)
}

/// Parse the output of rt-tests `hackbench`.
pub(crate) fn parse_hackbench(text: &str) -> Result<Hackbench, String> {
    let mut out = Hackbench {
        threads: None,
        groups: None,
        fds: None,
        tasks: None,
        loops: None,
        datasize: None,
        time_s: 0.0,
    };
    let mut time_s = None;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("Running in") {
            out.threads = if t.contains("threaded mode") {
                Some(true)
            } else if t.contains("process mode") {
                Some(false)
            } else {
                None
            };
            out.groups = int_after_word(t, "with");
            // "using 40 file descriptors each": two per receiver.
            out.fds = int_after_word(t, "using").map(|n| n / 2);
            out.tasks = int_after_word(t, "(==");
        } else if t.starts_with("Each sender will pass") {
            out.loops = int_after_word(t, "pass");
            out.datasize = int_after_word(t, "of");
        } else if t.starts_with("Time:") {
            time_s = number_after(t, "Time:");
        }
    }
    out.time_s = positive(time_s, "`Time:`", text)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PIPE_PROCESSES: &str = "# Running 'sched/pipe' benchmark:
# Executed 100000 pipe operations between two processes

     Total time: 0.522 [sec]

       5.220420 usecs/op
         191555 ops/sec
";

    const PIPE_THREADS: &str = "# Running 'sched/pipe' benchmark:
# Executed 1000000 pipe operations between two threads

     Total time: 5.855 [sec]

       5.855061 usecs/op
         170792 ops/sec
";

    #[test]
    fn perf_pipe_processes() {
        let p = parse_perf_pipe(PIPE_PROCESSES).unwrap();
        assert_eq!(p.loops, Some(100_000));
        assert_eq!(p.threads, Some(false));
        assert_eq!(p.total_s, 0.522);
        assert_eq!(p.usecs_per_op, Some(5.220420));
        assert!((p.ops_per_sec - 191_555.5).abs() < 1.0, "{}", p.ops_per_sec);
    }

    #[test]
    fn perf_pipe_threads() {
        let p = parse_perf_pipe(PIPE_THREADS).unwrap();
        assert_eq!(p.loops, Some(1_000_000));
        assert_eq!(p.threads, Some(true));
        assert!((p.ops_per_sec - 170_792.0).abs() < 1.0);
    }

    #[test]
    fn perf_pipe_without_usecs_falls_back_to_ops() {
        let text = "# Executed 10 pipe operations between two processes\n\
                    Total time: 1.000 [sec]\n 123456 ops/sec\n";
        let p = parse_perf_pipe(text).unwrap();
        assert_eq!(p.usecs_per_op, None);
        assert_eq!(p.ops_per_sec, 123_456.0);
    }

    #[test]
    fn perf_pipe_errors_quote_the_output() {
        let e =
            parse_perf_pipe("perf: 'bench' is not a perf-command. See 'perf --help'.").unwrap_err();
        assert!(e.contains("Total time"), "{e}");
        assert!(e.contains("not a perf-command"), "{e}");
        assert!(parse_perf_pipe("").unwrap_err().contains("(no output)"));
        // A time but no rate.
        assert!(parse_perf_pipe("Total time: 1.0 [sec]\n")
            .unwrap_err()
            .contains("ops/sec"));
        // A zero time is no measurement.
        assert!(parse_perf_pipe("Total time: 0.000 [sec]\n 5 usecs/op\n").is_err());
    }

    #[test]
    fn perf_messaging_processes_and_threads() {
        let text = "# Running 'sched/messaging' benchmark:
# 20 sender and receiver processes per group
# 10 groups == 400 processes run

     Total time: 0.308 [sec]
";
        let m = parse_perf_messaging(text).unwrap();
        assert_eq!(
            m,
            PerfMessaging {
                per_group: Some(20),
                threads: Some(false),
                groups: Some(10),
                tasks: Some(400),
                total_s: 0.308,
            }
        );
        let text = "# Running 'sched/messaging' benchmark:
# 20 sender and receiver threads per group
# 3 groups == 120 threads run

     Total time: 0.096 [sec]
";
        let m = parse_perf_messaging(text).unwrap();
        assert_eq!(m.threads, Some(true));
        assert_eq!((m.groups, m.tasks), (Some(3), Some(120)));
        assert_eq!(m.total_s, 0.096);
        assert!(parse_perf_messaging("# 3 groups == 120 threads run\n").is_err());
    }

    #[test]
    fn hackbench_process_and_threaded() {
        let text =
            "Running in process mode with 10 groups using 40 file descriptors each (== 400 tasks)
Each sender will pass 100 messages of 100 bytes
Time: 0.890
";
        let h = parse_hackbench(text).unwrap();
        assert_eq!(
            h,
            Hackbench {
                threads: Some(false),
                groups: Some(10),
                fds: Some(20),
                tasks: Some(400),
                loops: Some(100),
                datasize: Some(100),
                time_s: 0.890,
            }
        );
        let text =
            "Running in threaded mode with 64 groups using 2 file descriptors each (== 128 tasks)
Each sender will pass 10000 messages of 8 bytes
Time: 0.244
";
        let h = parse_hackbench(text).unwrap();
        assert_eq!(h.threads, Some(true));
        assert_eq!((h.groups, h.fds, h.tasks), (Some(64), Some(1), Some(128)));
        assert_eq!((h.loops, h.datasize), (Some(10_000), Some(8)));
        assert_eq!(h.time_s, 0.244);
    }

    #[test]
    fn hackbench_bare_time_and_errors() {
        // The old (pre rt-tests) hackbench prints only the time.
        let h = parse_hackbench("Time: 1.5\n").unwrap();
        assert_eq!((h.groups, h.time_s), (None, 1.5));
        let e = parse_hackbench("hackbench: invalid option -- 'x'\n").unwrap_err();
        assert!(e.contains("Time:") && e.contains("invalid option"), "{e}");
    }
}
