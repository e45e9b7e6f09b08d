//! Tests of the attribute's parsing.

use std::time::Duration;

use proc_macro2::TokenStream;
use quote::quote;
use syn::Expr;

use super::model::{Args, Cpusets, SchedulerArg, Setting, ShouldFail, ThresholdValue};
use super::parse_args;

fn get<'a>(a: &'a Args, key: &str) -> Option<&'a Setting> {
    a.get(key)
}

fn count(a: &Args, key: &str) -> Option<u64> {
    match get(a, key) {
        Some(Setting::Count(n)) => Some(*n),
        _ => None,
    }
}

fn dur(a: &Args, key: &str) -> Option<Duration> {
    match get(a, key) {
        Some(Setting::Duration(d)) => Some(*d),
        _ => None,
    }
}

fn layout(a: &Args) -> Option<Cpusets> {
    match get(a, "cpusets") {
        Some(Setting::Cpusets(c)) => Some(*c),
        _ => None,
    }
}

fn clone_mode(a: &Args) -> Option<String> {
    match get(a, "clone_mode") {
        Some(Setting::CloneMode(v)) => Some(v.to_string()),
        _ => None,
    }
}

fn threshold(a: &Args, key: &str) -> Option<ThresholdValue> {
    match get(a, key) {
        Some(Setting::Threshold(v)) => Some(*v),
        _ => None,
    }
}

fn should_fail(a: &Args) -> Option<ShouldFail> {
    match get(a, "should_fail") {
        Some(Setting::ShouldFail(s)) => Some(s.clone()),
        _ => None,
    }
}

fn ignore(a: &Args) -> Option<String> {
    match get(a, "ignore") {
        Some(Setting::Ignore(s)) => Some(s.clone()),
        _ => None,
    }
}

fn fields(a: &Args, key: &str) -> Vec<(String, String)> {
    match get(a, key) {
        Some(Setting::Requires(f) | Setting::Vm(f)) => f
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        _ => panic!("no {key}"),
    }
}

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
    assert!(a.settings.is_empty());
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
    assert_eq!(count(&a, "workers"), Some(4));
    assert!(matches!(
        get(&a, "work_type"),
        Some(Setting::WorkType(Expr::Struct(_)))
    ));
    assert_eq!(clone_mode(&a).as_deref(), Some("Thread"));
    assert_eq!(dur(&a, "duration"), Some(Duration::from_secs(90)));
    assert_eq!(dur(&a, "timeout"), Some(Duration::from_secs(120)));
    assert_eq!(count(&a, "cgroups"), Some(2));
    assert_eq!(layout(&a), Some(Cpusets::Overlap(0.25)));
    assert!(matches!(
        get(&a, "scheduler"),
        Some(Setting::Scheduler(SchedulerArg::Command { binary, args })) if binary == "scx_simple" && args == &["--fifo"]
    ));
    assert_eq!(
        threshold(&a, "not_starved"),
        Some(ThresholdValue::Flag(false))
    );
    assert_eq!(
        threshold(&a, "max_spread_pct"),
        Some(ThresholdValue::Number(35.0))
    );
    assert_eq!(threshold(&a, "max_gap_ms"), Some(ThresholdValue::Int(500)));
    assert_eq!(
        threshold(&a, "max_p99_wake_latency_us"),
        Some(ThresholdValue::Int(2000))
    );
    assert_eq!(
        threshold(&a, "min_work_rate"),
        Some(ThresholdValue::Number(1500.0))
    );
    assert_eq!(
        threshold(&a, "max_migration_ratio"),
        Some(ThresholdValue::Number(0.5))
    );
    assert_eq!(
        threshold(&a, "max_throughput_cv"),
        Some(ThresholdValue::Number(0.3))
    );
    assert_eq!(ignore(&a).as_deref(), Some("slow"));
    assert_eq!(should_fail(&a), Some(ShouldFail::No));
    let req: Vec<(String, String)> = [
        ("root", "true"),
        ("sched_ext", "false"),
        ("smt", "true"),
        ("min_cpus", "4"),
        ("min_llcs", "2"),
        ("min_numa_nodes", "3"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(fields(&a, "requires"), req);
}

#[test]
fn any_threshold_can_be_switched_off() {
    let a = ok(quote!(
        max_spread_pct = off,
        not_starved = off,
        isolation = false,
        max_gap_ms = off
    ));
    assert_eq!(threshold(&a, "max_spread_pct"), Some(ThresholdValue::Off));
    assert_eq!(threshold(&a, "not_starved"), Some(ThresholdValue::Off));
    assert_eq!(
        threshold(&a, "isolation"),
        Some(ThresholdValue::Flag(false))
    );
    assert_eq!(threshold(&a, "max_gap_ms"), Some(ThresholdValue::Off));
    assert_eq!(
        err(quote!(isolation = 1)),
        "`isolation` takes a bool or off, e.g. isolation = false"
    );
    assert_eq!(
        err(quote!(max_spread_pct = of)),
        "`max_spread_pct` takes a number or off, e.g. max_spread_pct = 25.0"
    );
}

#[test]
fn bare_flags() {
    let a = ok(quote!(ignore, should_fail));
    assert_eq!(ignore(&a).as_deref(), Some(""));
    assert_eq!(should_fail(&a), Some(ShouldFail::Check));
    let a = ok(quote!(should_fail = true));
    assert_eq!(should_fail(&a), Some(ShouldFail::Check));
    let a = ok(quote!(should_fail = "starved"));
    assert_eq!(should_fail(&a), Some(ShouldFail::Message("starved".into())));
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
    assert_eq!(clone_mode(&a).as_deref(), Some("Fork"));
    assert_eq!(layout(&a), Some(Cpusets::Plain("LlcAligned")));
    let a = ok(quote!(cgroups = 1, cpusets = CpusetLayout::Overlap(0.5)));
    assert_eq!(layout(&a), Some(Cpusets::Overlap(0.5)));
    assert!(err(quote!(clone_mode = Other::Fork)).starts_with("`clone_mode` takes"));
}

#[test]
fn every_layout() {
    for (tokens, want) in [
        (quote!(Inherit), Cpusets::Plain("Inherit")),
        (quote!(Disjoint), Cpusets::Plain("Disjoint")),
        (quote!(LlcAligned), Cpusets::Plain("LlcAligned")),
        (quote!(NumaAligned), Cpusets::Plain("NumaAligned")),
    ] {
        let a = ok(quote!(cgroups = 2, cpusets = #tokens));
        assert_eq!(layout(&a), Some(want));
    }
    // Inherit needs no cgroups; the others do.
    assert_eq!(
        layout(&ok(quote!(cpusets = Inherit))),
        Some(Cpusets::Plain("Inherit"))
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
        let Some(Setting::WorkType(got)) = get(&a, "work_type") else {
            panic!("no work_type")
        };
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
        m.starts_with("unknown key `wokers`; did you mean `workers`? (expected one of: workers, "),
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
        (quote!(not_starved = 1), "`not_starved` takes a bool or off, e.g. not_starved = false"),
        (quote!(max_spread_pct = "35"), "`max_spread_pct` takes a number or off, e.g. max_spread_pct = 25.0"),
        (quote!(max_spread_pct = f64::NAN), "`max_spread_pct` takes a number or off, e.g. max_spread_pct = 25.0"),
        (quote!(max_gap_ms = 1.5), "`max_gap_ms` takes an integer or off, e.g. max_gap_ms = 2000"),
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
    match get(&a, "scheduler") {
        Some(Setting::Scheduler(SchedulerArg::Path(p))) => {
            assert_eq!(quote!(#p).to_string(), "ktstr :: scheduler :: BPFLAND")
        }
        _ => panic!("not a path"),
    }
    assert!(matches!(
        get(&ok(quote!(scheduler = "scx_bpfland")), "scheduler"),
        Some(Setting::Scheduler(SchedulerArg::Command { binary, args })) if binary == "scx_bpfland" && args.is_empty()
    ));
}

#[test]
fn durations() {
    assert_eq!(
        dur(&ok(quote!(duration = "500ms")), "duration"),
        Some(Duration::from_millis(500))
    );
    assert_eq!(
        dur(&ok(quote!(timeout = "1h")), "timeout"),
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
    assert!(err(quote!(cgroups = 2, cpusets = Overlap)).starts_with("`Overlap` needs the fraction"));
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
    assert_eq!(count(&ok(quote!(workers = 1,)), "workers"), Some(1));
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

#[test]
fn retries_takes_one_to_ten_and_not_with_should_fail() {
    assert_eq!(count(&ok(quote!(retries = 2)), "retries"), Some(2));
    assert_eq!(
        count(&ok(quote!(retries = 2, should_fail = false)), "retries"),
        Some(2)
    );
    for bad in [quote!(retries = 0), quote!(retries = 11)] {
        assert!(err(bad).starts_with("`retries` must be from 1 to 10"));
    }
    assert!(err(quote!(retries = "2")).starts_with("`retries` takes an integer from 1 to 10"));
    assert!(err(quote!(retries = 1, should_fail))
        .starts_with("`retries` cannot be combined with `should_fail`"));
}

#[test]
fn vm_keys() {
    let a = ok(quote!(vm(cpus = 4, memory_mb = 1024, kernel = "/k")));
    let f = fields(&a, "vm");
    assert_eq!(f[0], ("cpus".into(), "4".into()));
    assert_eq!(f[1], ("memory_mb".into(), "1024".into()));
    assert_eq!(f[2].0, "kernel");
    assert!(matches!(get(&ok(quote!(vm)), "vm"), Some(Setting::Vm(v)) if v.is_empty()));
    assert!(
        err(quote!(vm(cpus = 6, sockets = 2, cores = 2, threads = 2)))
            .starts_with("vm topology does not add up")
    );
    assert_eq!(
        err(quote!(vm(cpus = 2, cpus = 4))),
        "duplicate key `cpus` in `vm(...)`"
    );
}
