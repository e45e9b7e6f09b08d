//! The parsed model: what each key said, checked, ready to become a call
//! of the library's `TestSpec` builder. No defaults live here: a key left
//! out is no setting, and the library's `TestSpec::default()` decides.

use std::time::Duration;

use proc_macro2::TokenStream;
use syn::{Expr, ExprPath, Ident, LitStr};

/// Every key the attribute gave, in order, each with its value.
#[derive(Default)]
pub(crate) struct Args {
    /// (key, setting) for each key given.
    pub settings: Vec<(Ident, Setting)>,
}

impl Args {
    /// The setting of key `name`, if given.
    pub fn get(&self, name: &str) -> Option<&Setting> {
        self.settings
            .iter()
            .find(|(k, _)| k == name || *k == format!("r#{name}"))
            .map(|(_, s)| s)
    }
}

/// One key's value.
#[derive(Clone)]
pub(crate) enum Setting {
    /// `workers = N` (N ≥ 1), `cgroups = N`, `retries = K`: an integer.
    Count(u64),
    /// `work_type = EXPR`, as written.
    WorkType(Expr),
    /// `clone_mode = Fork | Thread`: the variant.
    CloneMode(Ident),
    /// `duration` or `timeout`: more than zero.
    Duration(Duration),
    /// `cpusets = LAYOUT`.
    Cpusets(Cpusets),
    /// `scheduler = ...`.
    Scheduler(SchedulerArg),
    /// A threshold key.
    Threshold(ThresholdValue),
    /// `ignore` (empty) or `ignore = "reason"`.
    Ignore(String),
    /// `should_fail ...`.
    ShouldFail(ShouldFail),
    /// `requires(...)`: the inner keys and their values, as fields of the
    /// library's `Requirements`.
    Requires(Vec<(Ident, TokenStream)>),
    /// `vm` alone or `vm(...)`: as fields of the library's `VmSpec`.
    Vm(Vec<(Ident, TokenStream)>),
    /// `payloads = [...]`.
    Payloads(Vec<LitStr>),
}

/// A threshold key's value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum ThresholdValue {
    /// `KEY = off` (or `false` for a flag): the check is switched off.
    Off,
    /// A flag: `true` or `false`.
    Flag(bool),
    /// A number limit.
    Number(f64),
    /// An integer limit (≥ 1).
    Int(u64),
}

/// `scheduler = ...`.
#[derive(Clone)]
pub(crate) enum SchedulerArg {
    /// `"binary args..."`, split at whitespace.
    Command {
        /// The binary.
        binary: String,
        /// Its arguments.
        args: Vec<String>,
    },
    /// A path to a `Scheduler` const, e.g. `BPFLAND`.
    Path(ExprPath),
}

/// `should_fail ...`: how the test is expected to end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ShouldFail {
    /// `should_fail = false`: it must pass.
    No,
    /// `should_fail` or `should_fail = true`: a check must fail.
    Check,
    /// `should_fail = "text"`: the failure message must contain the text.
    Message(String),
}

/// `cpusets = ...`: a `CpusetLayout` variant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Cpusets {
    /// `Inherit`, `Disjoint`, `LlcAligned` or `NumaAligned`.
    Plain(&'static str),
    /// `Overlap(f)`, 0 < f < 1.
    Overlap(f64),
}
