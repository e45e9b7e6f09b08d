//! The attribute's vocabulary, and what drives its parsing: every key, what
//! its value looks like (for "takes ..." messages), and how it is read.
//! Parsing looks a key up here and calls its reader; there is no other
//! list of keys to keep in step.
//!
//! The threshold keys are not listed here: they come from the library's one
//! declaration of the thresholds, which `thresholds.rs` includes. `ktstr`'s
//! test `threshold_keys_match_the_attribute` checks the attribute takes
//! exactly the library's thresholds (through [`crate::__threshold_keys`]).

use std::sync::LazyLock;

use proc_macro2::TokenStream;

use crate::parse::item::Item;
use crate::parse::model::Setting;
use crate::parse::{read, requires, vm};
use crate::thresholds::THRESHOLD_KEYS;

/// How a key's value is read.
#[derive(Clone, Copy)]
pub(crate) enum Read {
    /// A top-level key with its own reader.
    Setting(fn(&'static Key, &Item) -> syn::Result<Setting>),
    /// A threshold key of this type (also takes `off`).
    Threshold(ThresholdType),
    /// A key inside `requires(...)` or `vm(...)`: the field's value.
    Field(fn(&'static Key, &Item) -> syn::Result<TokenStream>),
}

/// A threshold's type, as the library declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ThresholdType {
    /// A check on or off: `true`, `false` (or `off`).
    Bool,
    /// A number limit: an integer or float literal, not negative.
    F64,
    /// An integer limit, at least 1.
    U64,
}

impl ThresholdType {
    /// The library's name of the type.
    pub fn name(self) -> &'static str {
        match self {
            ThresholdType::Bool => "bool",
            ThresholdType::F64 => "f64",
            ThresholdType::U64 => "u64",
        }
    }
}

/// One key of `#[ktstr::test(...)]`.
#[derive(Clone, Copy)]
pub(crate) struct Key {
    /// The key as written.
    pub name: &'static str,
    /// What the value looks like, completing "`name` takes ...".
    pub takes: &'static str,
    /// How its value is read.
    pub read: Read,
}

/// A key read by `read`.
const fn key(name: &'static str, takes: &'static str, read: Read) -> Key {
    Key { name, takes, read }
}

use Read::{Field, Setting as S};

/// Every top-level key, in the order the documentation lists them: the
/// workload and scheduler keys, the thresholds (from the library's
/// declaration, see `thresholds.rs`), then how the test runs.
pub(crate) static KEYS: LazyLock<Vec<Key>> = LazyLock::new(|| {
    [HEAD, THRESHOLD_KEYS, TAIL]
        .into_iter()
        .flatten()
        .copied()
        .collect()
});

/// The top-level keys before the thresholds.
const HEAD: &[Key] = &[
    key("workers", "an integer, e.g. workers = 4", S(read::workers)),
    key(
        "work_type",
        "a `WorkType` expression, e.g. work_type = Mixed, \
         work_type = Bursty { burst_ms: 5, sleep_ms: 5 } or work_type = bursty()",
        S(read::work_type),
    ),
    key(
        "clone_mode",
        "`Fork` or `Thread`, e.g. clone_mode = Thread",
        S(read::clone_mode),
    ),
    key(
        "duration",
        "a duration string, e.g. duration = \"2s\"",
        S(read::duration),
    ),
    key(
        "timeout",
        "a duration string, e.g. timeout = \"30s\"",
        S(read::duration),
    ),
    key("cgroups", "an integer, e.g. cgroups = 2", S(read::cgroups)),
    key(
        "cpusets",
        "one of Inherit, Disjoint, LlcAligned, NumaAligned or Overlap(FRACTION), \
         e.g. cpusets = Overlap(0.5)",
        S(read::cpusets),
    ),
    key(
        "scheduler",
        "a string with the scheduler binary and its arguments, \
         e.g. scheduler = \"scx_simple --fifo\", or a path to a `Scheduler` \
         const, e.g. scheduler = BPFLAND",
        S(read::scheduler),
    ),
];

/// The top-level keys after the thresholds.
const TAIL: &[Key] = &[
    key(
        "ignore",
        "a reason string, e.g. ignore = \"slow\", or nothing (`ignore` alone)",
        S(read::ignore),
    ),
    key(
        "should_fail",
        "nothing (`should_fail` alone: a check must fail), a bool, or the text the failure message must contain, e.g. should_fail = \"starved\"",
        S(read::should_fail),
    ),
    key(
        "requires",
        "a list in parentheses, e.g. requires(root, sched_ext, smt, min_cpus = 4, min_llcs = 2, min_numa_nodes = 2)",
        S(requires::requires),
    ),
    key(
        "vm",
        "nothing (`vm` alone) or a list in parentheses, e.g. vm(cpus = 4, memory_mb = 1024)",
        S(vm::vm),
    ),
    key(
        "retries",
        "an integer from 1 to 10, e.g. retries = 2 (a pass after a retry is reported FLAKY)",
        S(read::retries),
    ),
    key(
        "payloads",
        "a list of program names the body runs as payloads, e.g. payloads = [\"stress-ng\", \"hackbench\"]",
        S(read::payloads),
    ),
];

/// The keys allowed inside `vm(...)`.
pub(crate) const VM_KEYS: &[Key] = &[
    key("cpus", "an integer, e.g. cpus = 4", Field(vm::count)),
    key("sockets", "an integer, e.g. sockets = 2", Field(vm::count)),
    key(
        "cores",
        "an integer (cores per socket), e.g. cores = 2",
        Field(vm::count),
    ),
    key(
        "threads",
        "an integer (threads per core), e.g. threads = 2",
        Field(vm::count),
    ),
    key(
        "numa_nodes",
        "an integer, e.g. numa_nodes = 2",
        Field(vm::count),
    ),
    key(
        "memory_mb",
        "an integer (MiB), e.g. memory_mb = 1024",
        Field(vm::memory_mb),
    ),
    key(
        "kernel",
        "a string with the path of a bzImage, e.g. kernel = \"/boot/vmlinuz\"",
        Field(vm::kernel),
    ),
];

/// The keys allowed inside `requires(...)`.
pub(crate) const REQUIRES_KEYS: &[Key] = &[
    key(
        "root",
        "nothing (`root` alone) or a bool, e.g. root = true",
        Field(requires::flag),
    ),
    key(
        "sched_ext",
        "nothing (`sched_ext` alone) or a bool, e.g. sched_ext = true",
        Field(requires::flag),
    ),
    key(
        "smt",
        "nothing (`smt` alone) or a bool, e.g. smt = true",
        Field(requires::flag),
    ),
    key(
        "min_cpus",
        "an integer, e.g. min_cpus = 4",
        Field(requires::min_count),
    ),
    key(
        "min_llcs",
        "an integer, e.g. min_llcs = 2",
        Field(requires::min_count),
    ),
    key(
        "min_numa_nodes",
        "an integer, e.g. min_numa_nodes = 2",
        Field(requires::min_count),
    ),
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
    match crate::suggest::suggest(name, all.iter().copied()) {
        Some(s) => format!(
            "unknown key `{name}`; did you mean `{s}`? (expected one of: {})",
            all.join(", ")
        ),
        None => format!("unknown key `{name}` (expected one of: {})", all.join(", ")),
    }
}

/// The threshold keys and their types, in table order.
pub(crate) fn thresholds() -> impl Iterator<Item = (&'static str, ThresholdType)> {
    KEYS.iter().filter_map(|k| match k.read {
        Read::Threshold(t) => Some((k.name, t)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suggest::suggest;

    #[test]
    fn suggestions() {
        let names = || KEYS.iter().map(|k| k.name);
        assert_eq!(suggest("wokers", names()), Some("workers"));
        assert_eq!(suggest("Workers", names()), Some("workers"));
        assert_eq!(suggest("worktype", names()), Some("work_type"));
        assert_eq!(suggest("max_spread", names()), Some("max_spread_pct"));
        assert_eq!(suggest("timeuot", names()), Some("timeout"));
        assert_eq!(suggest("isolaton", names()), Some("isolation"));
        assert_eq!(suggest("zzz", names()), None);
        assert_eq!(suggest("x", names()), None);
    }

    #[test]
    fn unknown_lists_every_key() {
        let m = unknown(&KEYS, "wokers");
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
            takes(&KEYS, "workers"),
            "`workers` takes an integer, e.g. workers = 4"
        );
    }

    #[test]
    fn every_name_is_unique() {
        for table in [&KEYS[..], VM_KEYS, REQUIRES_KEYS] {
            let mut names: Vec<_> = table.iter().map(|k| k.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), table.len());
        }
    }
}
