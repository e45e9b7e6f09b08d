//! The attribute's vocabulary: every key, what its value looks like (for
//! "takes ..." messages), and "did you mean" suggestions.

/// One key of `#[ktstr::test(...)]`.
pub(crate) struct Key {
    /// The key as written.
    pub name: &'static str,
    /// What the value looks like, completing "`name` takes ...".
    pub takes: &'static str,
}

/// Every top-level key, in the order the documentation lists them.
pub(crate) const KEYS: &[Key] = &[
    Key {
        name: "workers",
        takes: "an integer, e.g. workers = 4",
    },
    Key {
        name: "work_type",
        takes: "a `WorkType` expression, e.g. work_type = Mixed, \
                work_type = Bursty { burst_ms: 5, sleep_ms: 5 } or work_type = bursty()",
    },
    Key {
        name: "clone_mode",
        takes: "`Fork` or `Thread`, e.g. clone_mode = Thread",
    },
    Key {
        name: "duration",
        takes: "a duration string, e.g. duration = \"2s\"",
    },
    Key {
        name: "timeout",
        takes: "a duration string, e.g. timeout = \"30s\"",
    },
    Key {
        name: "cgroups",
        takes: "an integer, e.g. cgroups = 2",
    },
    Key {
        name: "cpusets",
        takes: "one of Inherit, Disjoint, LlcAligned, NumaAligned or Overlap(FRACTION), \
                e.g. cpusets = Overlap(0.5)",
    },
    Key {
        name: "scheduler",
        takes: "a string with the scheduler binary and its arguments, \
                e.g. scheduler = \"scx_simple --fifo\", or a path to a `Scheduler` \
                const, e.g. scheduler = BPFLAND",
    },
    Key {
        name: "not_starved",
        takes: "a bool, e.g. not_starved = false",
    },
    Key {
        name: "max_spread_pct",
        takes: "a number, e.g. max_spread_pct = 35.0",
    },
    Key {
        name: "max_gap_ms",
        takes: "an integer, e.g. max_gap_ms = 500",
    },
    Key {
        name: "max_p99_wake_latency_us",
        takes: "an integer, e.g. max_p99_wake_latency_us = 2000",
    },
    Key {
        name: "min_work_rate",
        takes: "a number, e.g. min_work_rate = 1000.0",
    },
    Key {
        name: "max_migration_ratio",
        takes: "a number, e.g. max_migration_ratio = 0.5",
    },
    Key {
        name: "max_throughput_cv",
        takes: "a number, e.g. max_throughput_cv = 0.3",
    },
    Key {
        name: "ignore",
        takes: "a reason string, e.g. ignore = \"slow\", or nothing (`ignore` alone)",
    },
    Key {
        name: "should_fail",
        takes: "nothing (`should_fail` alone: a check must fail), a bool, or the text the failure message must contain, e.g. should_fail = \"starved\"",
    },
    Key {
        name: "requires",
        takes: "a list in parentheses, e.g. requires(root, sched_ext, smt, min_cpus = 4, min_llcs = 2, min_numa_nodes = 2)",
    },
    Key {
        name: "vm",
        takes: "nothing (`vm` alone) or a list in parentheses, e.g. vm(cpus = 4, memory_mb = 1024)",
    },
    Key {
        name: "retries",
        takes: "an integer from 1 to 10, e.g. retries = 2 (a pass after a retry is reported FLAKY)",
    },
    Key {
        name: "payloads",
        takes: "a list of program names the body runs as payloads, e.g. payloads = [\"stress-ng\", \"hackbench\"]",
    },
];

/// The keys allowed inside `vm(...)`.
pub(crate) const VM_KEYS: &[Key] = &[
    Key {
        name: "cpus",
        takes: "an integer, e.g. cpus = 4",
    },
    Key {
        name: "sockets",
        takes: "an integer, e.g. sockets = 2",
    },
    Key {
        name: "cores",
        takes: "an integer (cores per socket), e.g. cores = 2",
    },
    Key {
        name: "threads",
        takes: "an integer (threads per core), e.g. threads = 2",
    },
    Key {
        name: "numa_nodes",
        takes: "an integer, e.g. numa_nodes = 2",
    },
    Key {
        name: "memory_mb",
        takes: "an integer (MiB), e.g. memory_mb = 1024",
    },
    Key {
        name: "kernel",
        takes: "a string with the path of a bzImage, e.g. kernel = \"/boot/vmlinuz\"",
    },
];

/// The keys allowed inside `requires(...)`.
pub(crate) const REQUIRES_KEYS: &[Key] = &[
    Key {
        name: "root",
        takes: "nothing (`root` alone) or a bool, e.g. root = true",
    },
    Key {
        name: "sched_ext",
        takes: "nothing (`sched_ext` alone) or a bool, e.g. sched_ext = true",
    },
    Key {
        name: "smt",
        takes: "nothing (`smt` alone) or a bool, e.g. smt = true",
    },
    Key {
        name: "min_cpus",
        takes: "an integer, e.g. min_cpus = 4",
    },
    Key {
        name: "min_llcs",
        takes: "an integer, e.g. min_llcs = 2",
    },
    Key {
        name: "min_numa_nodes",
        takes: "an integer, e.g. min_numa_nodes = 2",
    },
];

/// The entry for `name` in `keys`.
pub(crate) fn find(keys: &'static [Key], name: &str) -> Option<&'static Key> {
    keys.iter().find(|k| k.name == name)
}

/// "`workers` takes an integer, e.g. workers = 4".
pub(crate) fn takes(keys: &'static [Key], name: &str) -> String {
    match find(keys, name) {
        Some(k) => format!("`{}` takes {}", k.name, k.takes),
        None => format!("`{name}` takes a different kind of value"),
    }
}

/// The message for a key that is not in `keys`: names the closest key
/// when one is close enough, then lists them all.
pub(crate) fn unknown(keys: &'static [Key], name: &str) -> String {
    let all: Vec<&str> = keys.iter().map(|k| k.name).collect();
    match suggest(name, all.iter().copied()) {
        Some(s) => format!(
            "unknown key `{name}`; did you mean `{s}`? (expected one of: {})",
            all.join(", ")
        ),
        None => format!("unknown key `{name}` (expected one of: {})", all.join(", ")),
    }
}

/// The candidate closest to `word`, if it is close: an exact
/// case-insensitive match, else the smallest edit distance when that is at
/// most a third of the longer word (and at least 1).
pub(crate) fn suggest<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        if c.eq_ignore_ascii_case(word) {
            return Some(c);
        }
        let d = edit_distance(&lower, &c.to_ascii_lowercase());
        let limit = (word.len().max(c.len()) / 3).max(1);
        let better = match best {
            Some((bd, _)) => d < bd,
            None => true,
        };
        if d <= limit && better {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Levenshtein distance (insertions, deletions, substitutions), by chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let subst = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = subst.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("wokers", "workers"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("abc", ""), 3);
    }

    #[test]
    fn suggestions() {
        let names = || KEYS.iter().map(|k| k.name);
        assert_eq!(suggest("wokers", names()), Some("workers"));
        assert_eq!(suggest("Workers", names()), Some("workers"));
        assert_eq!(suggest("worktype", names()), Some("work_type"));
        assert_eq!(suggest("max_spread", names()), Some("max_spread_pct"));
        assert_eq!(suggest("timeuot", names()), Some("timeout"));
        assert_eq!(suggest("zzz", names()), None);
        assert_eq!(suggest("x", names()), None);
    }

    #[test]
    fn unknown_lists_every_key() {
        let m = unknown(KEYS, "wokers");
        assert!(m.starts_with(
            "unknown key `wokers`; did you mean `workers`? (expected one of: workers, work_type,"
        ));
        assert!(
            m.ends_with("should_fail, requires, vm, retries, payloads)"),
            "{m}"
        );
        assert_eq!(
            unknown(REQUIRES_KEYS, "gpu"),
            "unknown key `gpu` (expected one of: root, sched_ext, smt, min_cpus, min_llcs, min_numa_nodes)"
        );
    }

    #[test]
    fn takes_messages() {
        assert_eq!(
            takes(KEYS, "workers"),
            "`workers` takes an integer, e.g. workers = 4"
        );
    }
}
