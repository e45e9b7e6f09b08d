//! Parsing `#[ktstr::test(key = value, ...)]` into [`Args`].
//!
//! Every value is checked here, at compile time, and every error is spanned
//! at the offending token: an unknown or repeated key at the key, a value
//! of the wrong kind or out of range at the value. Errors of all keys are
//! collected and reported together.

use std::collections::HashSet;
use std::time::Duration;

use proc_macro2::{Delimiter, Group, Span};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ExprPath, Ident, Lit, LitStr, Token, UnOp};

use crate::keys::{self, Key, KEYS, REQUIRES_KEYS};

pub(crate) mod retries;
pub(crate) mod vm;

/// Everything the attribute said; `None` (or `false`) for what it left out.
#[derive(Default)]
pub(crate) struct Args {
    /// `workers = N` (N ≥ 1).
    pub workers: Option<u64>,
    /// `work_type = EXPR`, as written.
    pub work_type: Option<Expr>,
    /// `clone_mode = Fork | Thread`.
    pub clone_mode: Option<CloneMode>,
    /// `duration = "2s"` (> 0).
    pub duration: Option<Duration>,
    /// `timeout = "30s"` (> 0).
    pub timeout: Option<Duration>,
    /// `cgroups = N`.
    pub cgroups: Option<u64>,
    /// `cpusets = LAYOUT`.
    pub cpusets: Option<Cpusets>,
    /// `scheduler = "binary args..."` (not blank) or `scheduler = PATH`.
    pub scheduler: Option<SchedulerArg>,
    /// The check threshold keys.
    pub thresholds: Thresholds,
    /// `ignore` (empty reason) or `ignore = "reason"`.
    pub ignore: Option<String>,
    /// `should_fail`, `should_fail = bool` or `should_fail = "text"`.
    pub should_fail: Option<ShouldFail>,
    /// `requires(...)`.
    pub requires: Option<Requires>,
    /// `vm` or `vm(...)`.
    pub vm: Option<vm::Vm>,
    /// `retries = K` (1..=10).
    pub retries: Option<u64>,
    /// `payloads = ["stress-ng", ...]`.
    pub payloads: Option<Vec<LitStr>>,
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
    /// A path to a `Scheduler` const, e.g. `BPFLAND` or
    /// `ktstr::scheduler::BPFLAND`.
    Path(ExprPath),
}

/// `clone_mode = ...`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CloneMode {
    /// `Fork`.
    Fork,
    /// `Thread`.
    Thread,
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

/// `cpusets = ...`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Cpusets {
    /// `Inherit`.
    Inherit,
    /// `Disjoint`.
    Disjoint,
    /// `LlcAligned`.
    LlcAligned,
    /// `NumaAligned`.
    NumaAligned,
    /// `Overlap(f)`, 0 < f < 1.
    Overlap(f64),
}

/// The threshold keys; `None` keeps the default.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Thresholds {
    /// `not_starved = bool`.
    pub not_starved: Option<bool>,
    /// `max_spread_pct = NUM`.
    pub max_spread_pct: Option<f64>,
    /// `max_gap_ms = INT`.
    pub max_gap_ms: Option<u64>,
    /// `max_p99_wake_latency_us = INT`.
    pub max_p99_wake_latency_us: Option<u64>,
    /// `min_work_rate = NUM`.
    pub min_work_rate: Option<f64>,
    /// `max_migration_ratio = NUM`.
    pub max_migration_ratio: Option<f64>,
    /// `max_throughput_cv = NUM`.
    pub max_throughput_cv: Option<f64>,
}

impl Thresholds {
    /// Whether any threshold key was given.
    pub fn any(&self) -> bool {
        *self != Thresholds::default()
    }
}

/// `requires(...)`; `None` for what it left out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Requires {
    /// `root`.
    pub root: Option<bool>,
    /// `sched_ext`.
    pub sched_ext: Option<bool>,
    /// `smt`.
    pub smt: Option<bool>,
    /// `min_cpus = N` (N ≥ 1).
    pub min_cpus: Option<u64>,
    /// `min_llcs = N` (N ≥ 1).
    pub min_llcs: Option<u64>,
    /// `min_numa_nodes = N` (N ≥ 1).
    pub min_numa_nodes: Option<u64>,
}

/// One `key`, `key = value` or `key(...)` item, before its key is looked up.
struct Item {
    key: Ident,
    value: Value,
}

enum Value {
    /// `key` alone.
    Bare,
    /// `key = EXPR`.
    Eq(Box<Expr>),
    /// `key(...)`.
    List(Group),
}

impl Item {
    /// The span of the value, or of the key when there is none.
    fn value_span(&self) -> Span {
        match &self.value {
            Value::Bare => self.key.span(),
            Value::Eq(e) => e.span(),
            Value::List(g) => g.span(),
        }
    }
}

/// Items separated by commas (a trailing comma is fine).
fn parse_items(input: ParseStream) -> syn::Result<Vec<Item>> {
    let mut items = Vec::new();
    while !input.is_empty() {
        if !input.peek(Ident::peek_any) {
            return Err(input.error("expected a key, e.g. workers = 4"));
        }
        let key = Ident::parse_any(input)?;
        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            Value::Eq(Box::new(input.parse::<Expr>()?))
        } else if input.peek(syn::token::Paren) {
            let g: Group = input.parse()?;
            debug_assert_eq!(g.delimiter(), Delimiter::Parenthesis);
            Value::List(g)
        } else if input.is_empty() || input.peek(Token![,]) {
            Value::Bare
        } else {
            return Err(input.error(format!("expected `=`, `(` or `,` after `{key}`")));
        };
        items.push(Item { key, value });
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
        }
    }
    Ok(items)
}

/// Adds `e` to the errors collected so far.
fn push(errors: &mut Option<syn::Error>, e: syn::Error) {
    match errors {
        Some(all) => all.combine(e),
        None => *errors = Some(e),
    }
}

/// Fails with every collected error, or returns `value`.
fn finish<T>(errors: Option<syn::Error>, value: T) -> syn::Result<T> {
    match errors {
        Some(e) => Err(e),
        None => Ok(value),
    }
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Args> {
        let items = parse_items(input)?;
        let mut args = Args::default();
        let mut errors = None;
        let mut seen = HashSet::new();
        let mut cpusets_span = None;
        let mut timeout_span = None;
        let mut retries_span = None;
        for item in &items {
            let name = item.key.unraw().to_string();
            if keys::find(KEYS, &name).is_none() {
                let msg = if keys::find(REQUIRES_KEYS, &name).is_some() {
                    let example = match name.as_str() {
                        "min_cpus" => "min_cpus = 4",
                        "min_llcs" => "min_llcs = 2",
                        "min_numa_nodes" => "min_numa_nodes = 2",
                        _ => &name,
                    };
                    format!("`{name}` goes inside `requires(...)`, e.g. requires({example})")
                } else {
                    keys::unknown(KEYS, &name)
                };
                push(&mut errors, syn::Error::new(item.key.span(), msg));
                continue;
            }
            if !seen.insert(name.clone()) {
                let msg = format!("duplicate key `{name}`: each key may be given once");
                push(&mut errors, syn::Error::new(item.key.span(), msg));
                continue;
            }
            if let Err(e) = args.set(&name, item) {
                push(&mut errors, e);
                continue;
            }
            match name.as_str() {
                "cpusets" => cpusets_span = Some(item.key.span()),
                "timeout" => timeout_span = Some(item.value_span()),
                "retries" => retries_span = Some(item.key.span()),
                _ => {}
            }
        }
        if let (Some(span), Some(layout)) = (cpusets_span, args.cpusets) {
            if layout != Cpusets::Inherit && args.cgroups.unwrap_or(0) == 0 {
                let msg = "`cpusets` lays CPUs out over cgroups: give `cgroups = N` (N ≥ 1) too";
                push(&mut errors, syn::Error::new(span, msg));
            }
        }
        if let (Some(span), Some(timeout), Some(duration)) =
            (timeout_span, args.timeout, args.duration)
        {
            if timeout <= duration {
                let msg = format!(
                    "`timeout` ({}) must be longer than `duration` ({}): \
                     the test would always time out",
                    humantime::format_duration(timeout),
                    humantime::format_duration(duration)
                );
                push(&mut errors, syn::Error::new(span, msg));
            }
        }
        if let (Some(span), Some(sf)) = (retries_span, &args.should_fail) {
            if *sf != ShouldFail::No {
                let msg = "`retries` cannot be combined with `should_fail`: a retry would \
                           rerun the expected failure until the test passes by accident; \
                           remove one of them";
                push(&mut errors, syn::Error::new(span, msg));
            }
        }
        finish(errors, args)
    }
}

impl Args {
    /// Sets the known key `name` from `item`.
    fn set(&mut self, name: &str, item: &Item) -> syn::Result<()> {
        match name {
            "workers" => {
                let e = eq(KEYS, name, item)?;
                let n = int(KEYS, name, e)?;
                if n == 0 {
                    return Err(syn::Error::new_spanned(
                        e,
                        "workers must be at least 1 (a test without workers measures nothing)",
                    ));
                }
                self.workers = Some(n);
            }
            "work_type" => self.work_type = Some(work_type(eq(KEYS, name, item)?)?),
            "clone_mode" => self.clone_mode = Some(clone_mode(eq(KEYS, name, item)?)?),
            "duration" => self.duration = Some(duration(name, eq(KEYS, name, item)?)?),
            "timeout" => self.timeout = Some(duration(name, eq(KEYS, name, item)?)?),
            "cgroups" => self.cgroups = Some(int(KEYS, name, eq(KEYS, name, item)?)?),
            "cpusets" => self.cpusets = Some(cpusets(eq(KEYS, name, item)?)?),
            "scheduler" => self.scheduler = Some(scheduler(eq(KEYS, name, item)?)?),
            "not_starved" => {
                self.thresholds.not_starved = Some(boolean(KEYS, name, eq(KEYS, name, item)?)?)
            }
            "max_spread_pct" => {
                self.thresholds.max_spread_pct = Some(number(KEYS, name, eq(KEYS, name, item)?)?)
            }
            "max_gap_ms" => {
                self.thresholds.max_gap_ms = Some(positive(KEYS, name, eq(KEYS, name, item)?)?)
            }
            "max_p99_wake_latency_us" => {
                self.thresholds.max_p99_wake_latency_us =
                    Some(positive(KEYS, name, eq(KEYS, name, item)?)?)
            }
            "min_work_rate" => {
                self.thresholds.min_work_rate = Some(number(KEYS, name, eq(KEYS, name, item)?)?)
            }
            "max_migration_ratio" => {
                self.thresholds.max_migration_ratio =
                    Some(number(KEYS, name, eq(KEYS, name, item)?)?)
            }
            "max_throughput_cv" => {
                self.thresholds.max_throughput_cv = Some(number(KEYS, name, eq(KEYS, name, item)?)?)
            }
            "ignore" => {
                self.ignore = Some(match &item.value {
                    Value::Bare => String::new(),
                    _ => string(KEYS, name, eq(KEYS, name, item)?)?.value(),
                })
            }
            "should_fail" => {
                self.should_fail = Some(match &item.value {
                    Value::Bare => ShouldFail::Check,
                    _ => should_fail(eq(KEYS, name, item)?)?,
                })
            }
            "requires" => match &item.value {
                Value::List(g) => self.requires = Some(requires.parse2(g.stream())?),
                _ => return Err(syn::Error::new(item.value_span(), keys::takes(KEYS, name))),
            },
            "vm" => self.vm = Some(vm::vm(item)?),
            "retries" => self.retries = Some(retries::retries(eq(KEYS, name, item)?)?),
            "payloads" => self.payloads = Some(payloads(eq(KEYS, name, item)?)?),
            _ => unreachable!("key `{name}` is listed in KEYS but not handled"),
        }
        Ok(())
    }
}

/// The inside of `requires(...)`.
fn requires(input: ParseStream) -> syn::Result<Requires> {
    let items = parse_items(input)?;
    let mut req = Requires::default();
    let mut errors = None;
    let mut seen = HashSet::new();
    for item in &items {
        let name = item.key.unraw().to_string();
        if keys::find(REQUIRES_KEYS, &name).is_none() {
            let msg = keys::unknown(REQUIRES_KEYS, &name);
            push(&mut errors, syn::Error::new(item.key.span(), msg));
            continue;
        }
        if !seen.insert(name.clone()) {
            let msg = format!("duplicate key `{name}` in `requires(...)`");
            push(&mut errors, syn::Error::new(item.key.span(), msg));
            continue;
        }
        let flag = |item: &Item| match &item.value {
            Value::Bare => Ok(true),
            _ => boolean(REQUIRES_KEYS, &name, eq(REQUIRES_KEYS, &name, item)?),
        };
        let set = match name.as_str() {
            "root" => flag(item).map(|v| req.root = Some(v)),
            "sched_ext" => flag(item).map(|v| req.sched_ext = Some(v)),
            "smt" => flag(item).map(|v| req.smt = Some(v)),
            "min_cpus" => at_least_1(&name, item, "CPUs").map(|n| req.min_cpus = Some(n)),
            "min_llcs" => {
                at_least_1(&name, item, "last-level caches").map(|n| req.min_llcs = Some(n))
            }
            "min_numa_nodes" => {
                at_least_1(&name, item, "NUMA nodes").map(|n| req.min_numa_nodes = Some(n))
            }
            _ => unreachable!("key `{name}` is listed in REQUIRES_KEYS but not handled"),
        };
        if let Err(e) = set {
            push(&mut errors, e);
        }
    }
    finish(errors, req)
}

/// `name = N` inside `requires(...)` with N ≥ 1 (`what` names the things
/// counted, for the error on 0).
fn at_least_1(name: &str, item: &Item, what: &str) -> syn::Result<u64> {
    let e = eq(REQUIRES_KEYS, name, item)?;
    let n = int(REQUIRES_KEYS, name, e)?;
    if n == 0 {
        return Err(syn::Error::new_spanned(
            e,
            format!("{name} must be at least 1 (leave it out to accept any number of {what})"),
        ));
    }
    Ok(n)
}

/// The value of `key = value`; a bare key or a list is an error saying
/// what the key takes.
fn eq<'a>(keys: &'static [Key], name: &str, item: &'a Item) -> syn::Result<&'a Expr> {
    match &item.value {
        Value::Eq(e) => Ok(e),
        _ => Err(syn::Error::new(item.value_span(), keys::takes(keys, name))),
    }
}

/// `e` without the invisible groups `macro_rules!` wraps around fragments,
/// and without parentheses.
fn strip(mut e: &Expr) -> &Expr {
    loop {
        match e {
            Expr::Group(g) => e = &g.expr,
            Expr::Paren(p) => e = &p.expr,
            _ => return e,
        }
    }
}

/// The literal `e` is, if it is one.
fn literal(e: &Expr) -> Option<&Lit> {
    match strip(e) {
        Expr::Lit(ExprLit { lit, .. }) => Some(lit),
        _ => None,
    }
}

/// Whether `e` is a negated numeric literal (`-1`, `-0.5`).
fn is_negative_number(e: &Expr) -> bool {
    match strip(e) {
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => {
            matches!(literal(&u.expr), Some(Lit::Int(_) | Lit::Float(_)))
        }
        _ => false,
    }
}

/// An integer literal without a suffix or with an integer type's.
fn int(keys: &'static [Key], name: &str, e: &Expr) -> syn::Result<u64> {
    const SUFFIXES: &[&str] = &[
        "", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
    ];
    if is_negative_number(e) {
        return Err(syn::Error::new_spanned(
            e,
            format!("`{name}` must not be negative"),
        ));
    }
    match literal(e) {
        Some(Lit::Int(i)) if SUFFIXES.contains(&i.suffix()) => i.base10_parse::<u64>(),
        _ => Err(syn::Error::new_spanned(e, keys::takes(keys, name))),
    }
}

/// An integer of at least 1.
fn positive(keys: &'static [Key], name: &str, e: &Expr) -> syn::Result<u64> {
    let n = int(keys, name, e)?;
    if n == 0 {
        return Err(syn::Error::new_spanned(
            e,
            format!("{name} must be at least 1"),
        ));
    }
    Ok(n)
}

/// A non-negative finite number: an integer or float literal.
fn number(keys: &'static [Key], name: &str, e: &Expr) -> syn::Result<f64> {
    if is_negative_number(e) {
        return Err(syn::Error::new_spanned(
            e,
            format!("`{name}` must not be negative"),
        ));
    }
    let v = match literal(e) {
        Some(Lit::Float(f)) if matches!(f.suffix(), "" | "f32" | "f64") => {
            f.base10_parse::<f64>()?
        }
        Some(Lit::Int(i)) if i.suffix().is_empty() => i.base10_parse::<f64>()?,
        _ => return Err(syn::Error::new_spanned(e, keys::takes(keys, name))),
    };
    if !v.is_finite() {
        return Err(syn::Error::new_spanned(
            e,
            format!("`{name}` must be finite"),
        ));
    }
    Ok(v)
}

/// `true` or `false`.
fn boolean(keys: &'static [Key], name: &str, e: &Expr) -> syn::Result<bool> {
    match literal(e) {
        Some(Lit::Bool(b)) => Ok(b.value),
        _ => Err(syn::Error::new_spanned(e, keys::takes(keys, name))),
    }
}

/// A string literal.
/// `should_fail = true | false | "text"` (not empty: an empty text would
/// match every failure).
fn should_fail(e: &Expr) -> syn::Result<ShouldFail> {
    match literal(e) {
        Some(Lit::Bool(b)) if b.value => Ok(ShouldFail::Check),
        Some(Lit::Bool(_)) => Ok(ShouldFail::No),
        Some(Lit::Str(s)) if s.value().trim().is_empty() => Err(syn::Error::new_spanned(
            e,
            "`should_fail` text is empty and would match every failure: give the text the \
             failure message must contain, or write `should_fail` alone to expect a failed check",
        )),
        Some(Lit::Str(s)) => Ok(ShouldFail::Message(s.value())),
        _ => Err(syn::Error::new_spanned(e, keys::takes(KEYS, "should_fail"))),
    }
}

/// `payloads = ["prog", ...]`: program names (no path separators or
/// spaces), at least one.
fn payloads(e: &Expr) -> syn::Result<Vec<LitStr>> {
    let Expr::Array(a) = strip(e) else {
        return Err(syn::Error::new_spanned(e, keys::takes(KEYS, "payloads")));
    };
    if a.elems.is_empty() {
        return Err(syn::Error::new_spanned(
            e,
            "`payloads` is empty: name the programs the body runs (e.g. [\"stress-ng\"]), or leave the key out",
        ));
    }
    a.elems
        .iter()
        .map(|el| {
            let s = string(KEYS, "payloads", el)?;
            let v = s.value();
            if v.is_empty() || v.contains(char::is_whitespace) || v.contains('/') {
                return Err(syn::Error::new_spanned(
                    el,
                    "a payload is a program name found on $PATH, e.g. \"stress-ng\" (no spaces, no path)",
                ));
            }
            Ok(s)
        })
        .collect()
}

fn string(keys: &'static [Key], name: &str, e: &Expr) -> syn::Result<LitStr> {
    match literal(e) {
        Some(Lit::Str(s)) => Ok(s.clone()),
        _ => Err(syn::Error::new_spanned(e, keys::takes(keys, name))),
    }
}

/// A duration string (humantime syntax), more than zero.
fn duration(name: &str, e: &Expr) -> syn::Result<Duration> {
    let s = string(KEYS, name, e)?;
    let d = humantime::parse_duration(&s.value()).map_err(|err| {
        syn::Error::new(
            s.span(),
            format!(
                "bad duration {:?} for `{name}`: {err}; write e.g. \"2s\", \"500ms\" or \"1m 30s\"",
                s.value()
            ),
        )
    })?;
    if d.is_zero() {
        return Err(syn::Error::new(
            s.span(),
            format!("`{name}` must be more than zero"),
        ));
    }
    if u64::try_from(d.as_nanos()).is_err() {
        return Err(syn::Error::new(
            s.span(),
            format!("`{name}` {:?} is too long", s.value()),
        ));
    }
    Ok(d)
}

/// `work_type` takes any expression but a literal (`"Mixed"` is a common
/// slip for `Mixed`).
/// `"binary args..."` or a path to a `Scheduler` const.
fn scheduler(e: &Expr) -> syn::Result<SchedulerArg> {
    if let Expr::Path(p) = e {
        if p.qself.is_none() {
            return Ok(SchedulerArg::Path(p.clone()));
        }
    }
    let s = string(KEYS, "scheduler", e)?;
    let value = s.value();
    let mut words = value.split_whitespace().map(String::from);
    let Some(binary) = words.next() else {
        return Err(syn::Error::new(
            s.span(),
            "`scheduler` is empty: name the scheduler binary, \
             e.g. scheduler = \"scx_simple\"",
        ));
    };
    Ok(SchedulerArg::Command {
        binary,
        args: words.collect(),
    })
}

fn work_type(e: &Expr) -> syn::Result<Expr> {
    if let Some(lit) = literal(e) {
        let hint = match lit {
            Lit::Str(s) => format!(
                "`work_type` takes a `WorkType` expression, not a string: write work_type = {}",
                s.value()
            ),
            _ => keys::takes(KEYS, "work_type"),
        };
        return Err(syn::Error::new_spanned(e, hint));
    }
    Ok(e.clone())
}

/// The variant a path like `Fork`, `CloneMode::Fork` or
/// `ktstr::workload::CloneMode::Fork` names: its last segment, when any
/// segment before it is `type_name`.
fn variant<'a>(e: &'a Expr, type_name: &str) -> Option<&'a Ident> {
    let Expr::Path(ExprPath {
        qself: None, path, ..
    }) = strip(e)
    else {
        return None;
    };
    let segs: Vec<_> = path.segments.iter().collect();
    if segs.iter().any(|s| !s.arguments.is_none()) {
        return None;
    }
    match segs.as_slice() {
        [only] if path.leading_colon.is_none() => Some(&only.ident),
        [.., ty, last] if ty.ident == type_name => Some(&last.ident),
        _ => None,
    }
}

/// The error for an unknown variant `v` of `key`.
fn unknown_variant(key: &str, v: &Ident, variants: &[&str]) -> syn::Error {
    let name = v.to_string();
    let list = variants.join(", ");
    let msg = match keys::suggest(&name, variants.iter().copied()) {
        Some(s) => format!("unknown {key} `{name}`; did you mean `{s}`? (expected one of: {list})"),
        None => format!("unknown {key} `{name}` (expected one of: {list})"),
    };
    syn::Error::new(v.span(), msg)
}

/// `Fork` or `Thread` (optionally `CloneMode::`-qualified).
fn clone_mode(e: &Expr) -> syn::Result<CloneMode> {
    let Some(v) = variant(e, "CloneMode") else {
        return Err(syn::Error::new_spanned(e, keys::takes(KEYS, "clone_mode")));
    };
    match v.to_string().as_str() {
        "Fork" => Ok(CloneMode::Fork),
        "Thread" => Ok(CloneMode::Thread),
        _ => Err(unknown_variant("clone_mode", v, &["Fork", "Thread"])),
    }
}

/// A cpuset layout (optionally `CpusetLayout::`-qualified).
fn cpusets(e: &Expr) -> syn::Result<Cpusets> {
    const VARIANTS: &[&str] = &[
        "Inherit",
        "Disjoint",
        "LlcAligned",
        "NumaAligned",
        "Overlap",
    ];
    if let Expr::Call(call) = strip(e) {
        if let Some(v) = variant(&call.func, "CpusetLayout") {
            if v != "Overlap" {
                return Err(unknown_variant("cpusets layout", v, VARIANTS));
            }
            let args: Vec<_> = call.args.iter().collect();
            let [arg] = args.as_slice() else {
                return Err(syn::Error::new(
                    call.paren_token.span.join(),
                    "`Overlap` takes one fraction, e.g. Overlap(0.5)",
                ));
            };
            let f = number(KEYS, "cpusets", arg).map_err(|_| {
                syn::Error::new_spanned(arg, "`Overlap` takes a fraction, e.g. Overlap(0.5)")
            })?;
            if !(f > 0.0 && f < 1.0) {
                return Err(syn::Error::new_spanned(
                    arg,
                    format!("the Overlap fraction must be between 0 and 1 (exclusive), got {f}"),
                ));
            }
            return Ok(Cpusets::Overlap(f));
        }
    }
    let Some(v) = variant(e, "CpusetLayout") else {
        return Err(syn::Error::new_spanned(e, keys::takes(KEYS, "cpusets")));
    };
    match v.to_string().as_str() {
        "Inherit" => Ok(Cpusets::Inherit),
        "Disjoint" => Ok(Cpusets::Disjoint),
        "LlcAligned" => Ok(Cpusets::LlcAligned),
        "NumaAligned" => Ok(Cpusets::NumaAligned),
        "Overlap" => Err(syn::Error::new(
            v.span(),
            "`Overlap` needs the fraction two neighbours share, e.g. Overlap(0.5)",
        )),
        _ => Err(unknown_variant("cpusets layout", v, VARIANTS)),
    }
}

/// Parses attribute arguments (test helper, also used by the doc examples
/// in the tests): the tokens inside `#[ktstr::test(...)]`.
#[cfg(test)]
pub(crate) fn parse_args(tokens: proc_macro2::TokenStream) -> syn::Result<Args> {
    syn::parse2(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::TokenStream;
    use quote::quote;

    fn ok(tokens: TokenStream) -> Args {
        match parse_args(tokens) {
            Ok(a) => a,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }

    /// Every error message, in order.
    fn errs(tokens: TokenStream) -> Vec<String> {
        match parse_args(tokens) {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    fn err(tokens: TokenStream) -> String {
        let mut all = errs(tokens);
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0)
    }

    #[test]
    fn empty_is_all_defaults() {
        let a = ok(quote!());
        assert!(a.workers.is_none() && a.work_type.is_none() && a.clone_mode.is_none());
        assert!(a.duration.is_none() && a.timeout.is_none() && a.cgroups.is_none());
        assert!(a.cpusets.is_none() && a.scheduler.is_none() && !a.thresholds.any());
        assert!(a.ignore.is_none() && a.should_fail.is_none() && a.requires.is_none());
    }

    #[test]
    fn every_key() {
        let a = ok(quote!(
            workers = 4,
            work_type = Bursty {
                burst_ms: 5,
                sleep_ms: 5
            },
            clone_mode = Thread,
            duration = "1m 30s",
            timeout = "2m",
            cgroups = 2,
            cpusets = Overlap(0.25),
            scheduler = " scx_simple --fifo ",
            not_starved = false,
            max_spread_pct = 35,
            max_gap_ms = 500,
            max_p99_wake_latency_us = 2000,
            min_work_rate = 1.5e3,
            max_migration_ratio = 0.5,
            max_throughput_cv = 0.3f64,
            ignore = "slow",
            should_fail = false,
            requires(
                root,
                sched_ext = false,
                smt,
                min_cpus = 4,
                min_llcs = 2,
                min_numa_nodes = 3
            ),
        ));
        assert_eq!(a.workers, Some(4));
        assert!(matches!(a.work_type, Some(Expr::Struct(_))));
        assert_eq!(a.clone_mode, Some(CloneMode::Thread));
        assert_eq!(a.duration, Some(Duration::from_secs(90)));
        assert_eq!(a.timeout, Some(Duration::from_secs(120)));
        assert_eq!(a.cgroups, Some(2));
        assert_eq!(a.cpusets, Some(Cpusets::Overlap(0.25)));
        assert!(matches!(
            a.scheduler,
            Some(SchedulerArg::Command { binary, args }) if binary == "scx_simple" && args == ["--fifo"]
        ));
        assert_eq!(
            a.thresholds,
            Thresholds {
                not_starved: Some(false),
                max_spread_pct: Some(35.0),
                max_gap_ms: Some(500),
                max_p99_wake_latency_us: Some(2000),
                min_work_rate: Some(1500.0),
                max_migration_ratio: Some(0.5),
                max_throughput_cv: Some(0.3),
            }
        );
        assert_eq!(a.ignore.as_deref(), Some("slow"));
        assert_eq!(a.should_fail, Some(ShouldFail::No));
        assert_eq!(
            a.requires,
            Some(Requires {
                root: Some(true),
                sched_ext: Some(false),
                smt: Some(true),
                min_cpus: Some(4),
                min_llcs: Some(2),
                min_numa_nodes: Some(3),
            })
        );
    }

    #[test]
    fn bare_flags() {
        let a = ok(quote!(ignore, should_fail));
        assert_eq!(a.ignore.as_deref(), Some(""));
        assert_eq!(a.should_fail, Some(ShouldFail::Check));
        let a = ok(quote!(should_fail = true));
        assert_eq!(a.should_fail, Some(ShouldFail::Check));
        let a = ok(quote!(should_fail = "starved"));
        assert_eq!(a.should_fail, Some(ShouldFail::Message("starved".into())));
        assert_eq!(
            err(quote!(should_fail = " ")),
            "`should_fail` text is empty and would match every failure: give the text the \
             failure message must contain, or write `should_fail` alone to expect a failed check"
        );
    }

    #[test]
    fn qualified_variants() {
        let a = ok(quote!(
            clone_mode = CloneMode::Fork,
            cgroups = 3,
            cpusets = ktstr::harness::CpusetLayout::LlcAligned
        ));
        assert_eq!(a.clone_mode, Some(CloneMode::Fork));
        assert_eq!(a.cpusets, Some(Cpusets::LlcAligned));
        let a = ok(quote!(cgroups = 1, cpusets = CpusetLayout::Overlap(0.5)));
        assert_eq!(a.cpusets, Some(Cpusets::Overlap(0.5)));
        assert!(err(quote!(clone_mode = Other::Fork)).starts_with("`clone_mode` takes"));
    }

    #[test]
    fn every_layout() {
        for (tokens, want) in [
            (quote!(Inherit), Cpusets::Inherit),
            (quote!(Disjoint), Cpusets::Disjoint),
            (quote!(LlcAligned), Cpusets::LlcAligned),
            (quote!(NumaAligned), Cpusets::NumaAligned),
        ] {
            let a = ok(quote!(cgroups = 2, cpusets = #tokens));
            assert_eq!(a.cpusets, Some(want));
        }
        // Inherit needs no cgroups; the others do.
        assert_eq!(
            ok(quote!(cpusets = Inherit)).cpusets,
            Some(Cpusets::Inherit)
        );
        assert!(err(quote!(cpusets = Disjoint)).contains("give `cgroups = N`"));
        assert!(err(quote!(cgroups = 0, cpusets = Disjoint)).contains("give `cgroups = N`"));
    }

    #[test]
    fn work_type_forms() {
        for tokens in [
            quote!(Mixed),
            quote!(bursty()),
            quote!(WorkType::Mixed),
            quote!(my::work()),
            quote!(WorkType::sequence([Phase::spin(10)])),
        ] {
            let a = ok(quote!(work_type = #tokens));
            let got = a.work_type.unwrap();
            assert_eq!(quote!(#got).to_string(), tokens.to_string());
        }
        assert_eq!(
            err(quote!(work_type = "Mixed")),
            "`work_type` takes a `WorkType` expression, not a string: write work_type = Mixed"
        );
    }

    #[test]
    fn unknown_key() {
        let m = err(quote!(wokers = 4));
        assert!(
            m.starts_with(
                "unknown key `wokers`; did you mean `workers`? (expected one of: workers, "
            ),
            "{m}"
        );
        assert!(err(quote!(frobnicate)).starts_with("unknown key `frobnicate` (expected one of:"));
        assert_eq!(
            err(quote!(min_cpus = 4)),
            "`min_cpus` goes inside `requires(...)`, e.g. requires(min_cpus = 4)"
        );
        assert_eq!(
            err(quote!(min_llcs = 2)),
            "`min_llcs` goes inside `requires(...)`, e.g. requires(min_llcs = 2)"
        );
    }

    #[test]
    fn duplicate_key() {
        assert_eq!(
            err(quote!(workers = 2, duration = "1s", workers = 3)),
            "duplicate key `workers`: each key may be given once"
        );
        assert_eq!(
            err(quote!(requires(root, root))),
            "duplicate key `root` in `requires(...)`"
        );
    }

    #[test]
    fn wrong_value_types() {
        let cases = [
            (quote!(workers = "4"), "`workers` takes an integer, e.g. workers = 4"),
            (quote!(workers = 4.0), "`workers` takes an integer, e.g. workers = 4"),
            (quote!(workers = 4s), "`workers` takes an integer, e.g. workers = 4"),
            (quote!(workers), "`workers` takes an integer, e.g. workers = 4"),
            (quote!(workers(4)), "`workers` takes an integer, e.g. workers = 4"),
            (quote!(duration = 2s), "`duration` takes a duration string, e.g. duration = \"2s\""),
            (quote!(not_starved = 1), "`not_starved` takes a bool, e.g. not_starved = false"),
            (quote!(max_spread_pct = "35"), "`max_spread_pct` takes a number, e.g. max_spread_pct = 35.0"),
            (quote!(max_spread_pct = f64::NAN), "`max_spread_pct` takes a number, e.g. max_spread_pct = 35.0"),
            (quote!(max_gap_ms = 1.5), "`max_gap_ms` takes an integer, e.g. max_gap_ms = 500"),
            (quote!(should_fail = 1), "`should_fail` takes nothing (`should_fail` alone: a check must fail), a bool, or the text the failure message must contain, e.g. should_fail = \"starved\""),
            (quote!(ignore = true), "`ignore` takes a reason string, e.g. ignore = \"slow\", or nothing (`ignore` alone)"),
            (quote!(requires = root), "`requires` takes a list in parentheses, e.g. requires(root, sched_ext, smt, min_cpus = 4, min_llcs = 2, min_numa_nodes = 2)"),
            (quote!(requires(min_cpus)), "`min_cpus` takes an integer, e.g. min_cpus = 4"),
            (quote!(requires(smt = 1)), "`smt` takes nothing (`smt` alone) or a bool, e.g. smt = true"),
            (quote!(scheduler = 5), "`scheduler` takes a string with the scheduler binary and its arguments, e.g. scheduler = \"scx_simple --fifo\", or a path to a `Scheduler` const, e.g. scheduler = BPFLAND"),
            (quote!(scheduler = BPFLAND.args(&[])), "`scheduler` takes a string with the scheduler binary and its arguments, e.g. scheduler = \"scx_simple --fifo\", or a path to a `Scheduler` const, e.g. scheduler = BPFLAND"),
            (quote!(clone_mode = "Fork"), "`clone_mode` takes `Fork` or `Thread`, e.g. clone_mode = Thread"),
        ];
        for (tokens, want) in cases {
            assert_eq!(err(tokens.clone()), want, "for {tokens}");
        }
    }

    #[test]
    fn out_of_range_values() {
        assert_eq!(
            err(quote!(workers = 0)),
            "workers must be at least 1 (a test without workers measures nothing)"
        );
        assert_eq!(err(quote!(workers = -2)), "`workers` must not be negative");
        assert_eq!(
            err(quote!(max_spread_pct = -1.0)),
            "`max_spread_pct` must not be negative"
        );
        assert_eq!(
            err(quote!(min_work_rate = 1e999)),
            "`min_work_rate` must be finite"
        );
        assert_eq!(err(quote!(max_gap_ms = 0)), "max_gap_ms must be at least 1");
        assert!(err(quote!(requires(min_cpus = 0))).starts_with("min_cpus must be at least 1"));
        assert_eq!(
            err(quote!(requires(min_llcs = 0))),
            "min_llcs must be at least 1 (leave it out to accept any number of last-level caches)"
        );
        assert_eq!(
            err(quote!(requires(min_numa_nodes = "two"))),
            "`min_numa_nodes` takes an integer, e.g. min_numa_nodes = 2"
        );
        assert!(err(quote!(workers = 99999999999999999999999)).contains("too large"));
        assert!(err(quote!(scheduler = "  ")).starts_with("`scheduler` is empty"));
    }

    #[test]
    fn scheduler_is_a_command_line_or_a_const_path() {
        let a = ok(quote!(scheduler = ktstr::scheduler::BPFLAND));
        match a.scheduler {
            Some(SchedulerArg::Path(p)) => {
                assert_eq!(quote!(#p).to_string(), "ktstr :: scheduler :: BPFLAND")
            }
            _ => panic!("not a path"),
        }
        assert!(matches!(
            ok(quote!(scheduler = "scx_bpfland")).scheduler,
            Some(SchedulerArg::Command { binary, args }) if binary == "scx_bpfland" && args.is_empty()
        ));
    }

    #[test]
    fn durations() {
        assert_eq!(
            ok(quote!(duration = "500ms")).duration,
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            ok(quote!(timeout = "1h")).timeout,
            Some(Duration::from_secs(3600))
        );
        let m = err(quote!(duration = "2 parsecs"));
        assert!(
            m.starts_with("bad duration \"2 parsecs\" for `duration`: "),
            "{m}"
        );
        assert!(err(quote!(duration = "2")).starts_with("bad duration \"2\" for `duration`"));
        assert_eq!(
            err(quote!(timeout = "0s")),
            "`timeout` must be more than zero"
        );
        assert!(err(quote!(duration = "1000 years")).contains("too long"));
        assert_eq!(
            err(quote!(duration = "10s", timeout = "5s")),
            "`timeout` (5s) must be longer than `duration` (10s): the test would always time out"
        );
    }

    #[test]
    fn clone_modes_and_layouts() {
        assert_eq!(
            err(quote!(clone_mode = Threads)),
            "unknown clone_mode `Threads`; did you mean `Thread`? (expected one of: Fork, Thread)"
        );
        let m = err(quote!(cgroups = 2, cpusets = Disjiont));
        assert!(
            m.starts_with("unknown cpusets layout `Disjiont`; did you mean `Disjoint`?"),
            "{m}"
        );
        assert!(
            err(quote!(cgroups = 2, cpusets = Overlap)).starts_with("`Overlap` needs the fraction")
        );
        for bad in [quote!(0.0), quote!(1.0), quote!(1), quote!(1.5)] {
            let m = err(quote!(cgroups = 2, cpusets = Overlap(#bad)));
            assert!(
                m.starts_with("the Overlap fraction must be between 0 and 1 (exclusive)"),
                "{m}"
            );
        }
        assert_eq!(
            err(quote!(cgroups = 2, cpusets = Overlap("half"))),
            "`Overlap` takes a fraction, e.g. Overlap(0.5)"
        );
        assert_eq!(
            err(quote!(cgroups = 2, cpusets = Overlap(0.1, 0.2))),
            "`Overlap` takes one fraction, e.g. Overlap(0.5)"
        );
        assert!(err(quote!(cgroups = 2, cpusets = Disjoint(2)))
            .starts_with("unknown cpusets layout `Disjoint`"));
    }

    #[test]
    fn errors_are_collected() {
        let all = errs(quote!(wokers = 4, workers = 0, duration = "x", workers = 2));
        assert_eq!(all.len(), 4, "{all:?}");
        assert!(all[0].starts_with("unknown key `wokers`"));
        assert!(all[1].starts_with("workers must be at least 1"));
        assert!(all[2].starts_with("bad duration \"x\""));
        assert!(all[3].starts_with("duplicate key `workers`"));
    }

    #[test]
    fn syntax_errors() {
        assert_eq!(err(quote!(4)), "expected a key, e.g. workers = 4");
        assert_eq!(
            err(quote!(workers: 4)),
            "expected `=`, `(` or `,` after `workers`"
        );
        assert!(err(quote!(workers = )).starts_with("unexpected end of input"));
        // A trailing comma is fine, and keywords are keys like any other.
        assert!(ok(quote!(workers = 1,)).workers == Some(1));
        assert!(err(quote!(type = 1)).starts_with("unknown key `type`"));
    }

    /// The source text the first error of parsing `src` points at.
    fn pointed_at(src: &str) -> String {
        let tokens: TokenStream = src.parse().unwrap();
        let e = parse_args(tokens).err().expect("an error");
        let span = e.into_iter().next().unwrap().span();
        let (start, end) = (span.start(), span.end());
        assert_eq!(start.line, end.line);
        src.lines().nth(start.line - 1).unwrap()[start.column..end.column].to_string()
    }

    #[test]
    fn error_spans_point_at_the_offender() {
        assert_eq!(pointed_at("wokers = 1"), "wokers");
        assert_eq!(pointed_at("workers = 1, workers = 2"), "workers");
        assert_eq!(pointed_at("workers = 0"), "0");
        assert_eq!(pointed_at("workers = \"4\""), "\"4\"");
        assert_eq!(pointed_at("workers = -4"), "-4");
        assert_eq!(pointed_at("workers"), "workers");
        assert_eq!(pointed_at("duration = \"2 x\""), "\"2 x\"");
        assert_eq!(pointed_at("clone_mode = Threads"), "Threads");
        assert_eq!(pointed_at("clone_mode = Fork::Threads"), "Fork::Threads");
        assert_eq!(pointed_at("cgroups = 2, cpusets = Overlap(1.5)"), "1.5");
        assert_eq!(pointed_at("cpusets = Disjoint"), "cpusets");
        assert_eq!(pointed_at("requires(root, gpu)"), "gpu");
        assert_eq!(pointed_at("requires(min_cpus = 0)"), "0");
        assert_eq!(pointed_at("duration = \"9s\", timeout = \"3s\""), "\"3s\"");
        // The second occurrence is the one reported.
        let tokens: TokenStream = "workers = 1, workers = 2".parse().unwrap();
        let e = parse_args(tokens).err().unwrap();
        assert_eq!(e.span().start().column, 13);
    }
}
