// Every key, the work_type spellings, and what the attribute registers:
// `main` reads the inventory back and checks each entry field by field.
use std::collections::HashMap;
use std::time::Duration;

use ktstr::__private::TestEntry;
use ktstr::check::{CheckKind, Thresholds};
use ktstr::harness::{CpusetLayout, Ctx, Requirements, ShouldFail, TestSpec};
use ktstr::workload::{CloneMode, WorkType};

#[ktstr::test]
fn plain(ctx: &mut Ctx) -> anyhow::Result<()> {
    ctx.workers += 1;
    Ok(())
}

#[ktstr::test(
    workers = 4,
    work_type = Bursty { burst_ms: 5, sleep_ms: 7 },
    clone_mode = Thread,
    duration = "1500ms",
    cgroups = 2,
    cpusets = Overlap(0.25),
    scheduler = "scx_simple --fifo",
    not_starved = false,
    max_spread_pct = 35,
    max_gap_ms = 500,
    max_p99_wake_latency_us = 2000,
    min_work_rate = 1e3,
    max_migration_ratio = 0.5,
    max_throughput_cv = 0.3,
    isolation = false,
    timeout = "1m",
    ignore = "slow",
    should_fail,
    requires(root, sched_ext, smt, min_cpus = 4, min_llcs = 2, min_numa_nodes = 2),
)]
fn everything(_ctx: &mut Ctx) -> anyhow::Result<()> {
    anyhow::bail!("expected to fail")
}

#[ktstr::test(work_type = cache_pressure(), ignore, cgroups = 3, cpusets = LlcAligned)]
fn constructor(_: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

#[ktstr::test(max_spread_pct = off, not_starved = off, max_gap_ms = 300)]
fn switched_off(_: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

#[ktstr::test(should_fail = "stalled")]
fn expects_text(_: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

#[ktstr::test(should_fail = true)]
fn expects_check(_: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

#[ktstr::test(work_type = WorkType::Mixed, clone_mode = CloneMode::Fork, should_fail = false)]
fn qualified(_: &mut ktstr::harness::Ctx) -> ktstr::__private::anyhow::Result<()> {
    Ok(())
}

fn my_work() -> WorkType {
    WorkType::Bursty {
        burst_ms: 1,
        sleep_ms: 2,
    }
}

#[ktstr::test(work_type = crate::my_work(), requires(min_cpus = 1), timeout = "10s")]
fn own_constructor(_: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

mod nested {
    use ktstr::harness::Ctx;

    #[ktstr::test(max_gap_ms = 100)]
    pub(crate) fn r#in_module(_: &mut Ctx) -> anyhow::Result<()> {
        Ok(())
    }

    // The attribute runs first and carries the `cfg` over to the entry.
    #[ktstr::test]
    #[cfg(any())]
    fn configured_out(_: &mut Ctx) -> anyhow::Result<()> {
        Ok(())
    }
}

fn main() {
    let entries: HashMap<&str, &TestEntry> = ktstr::__private::inventory::iter::<TestEntry>
        .into_iter()
        .map(|e| (e.name, e))
        .collect();
    let mut names: Vec<_> = entries.keys().copied().collect();
    names.sort();
    assert_eq!(
        names,
        [
            "constructor",
            "everything",
            "expects_check",
            "expects_text",
            "in_module",
            "own_constructor",
            "plain",
            "qualified",
            "switched_off"
        ]
    );

    let default = TestSpec::default();
    let plain = entries["plain"];
    assert_eq!(plain.full_name(), "plain");
    assert!(plain.file.ends_with("keys.rs"), "{}", plain.file);
    assert_eq!(plain.line, 12, "the function's line, not the attribute's");
    let p = plain.spec();
    assert_eq!(p.workers, default.workers);
    assert!(matches!((p.work_type)(), WorkType::SpinWait));
    assert_eq!(p.thresholds, Thresholds::default());
    assert!(p.asked().is_empty());
    assert_eq!(p.requires, Requirements::NONE);
    assert_eq!(
        (p.timeout, p.ignore, p.should_fail, p.scheduler),
        (None, None, ShouldFail::No, None)
    );
    let mut ctx = ktstr::__private::ctx(plain);
    (plain.func)(&mut ctx).expect("plain's body");
    assert_eq!(ctx.workers, default.workers + 1, "func is the function");

    let e = entries["everything"].spec();
    assert_eq!(e.workers, 4);
    assert!(matches!(
        (e.work_type)(),
        WorkType::Bursty {
            burst_ms: 5,
            sleep_ms: 7
        }
    ));
    assert_eq!(e.clone_mode, CloneMode::Thread);
    assert_eq!(e.duration, Duration::from_millis(1500));
    assert_eq!(e.cgroups, 2);
    assert_eq!(e.cpusets, CpusetLayout::Overlap(0.25));
    assert_eq!(
        e.scheduler.map(|s| (s.binary, s.args)),
        Some(("scx_simple", &["--fifo"][..]))
    );
    assert_eq!(
        e.thresholds,
        Thresholds {
            not_starved: false,
            max_spread_pct: Some(35.0),
            max_gap_ms: Some(500),
            max_p99_wake_latency_us: Some(2000),
            min_work_rate: Some(1000.0),
            max_migration_ratio: Some(0.5),
            max_throughput_cv: Some(0.3),
            isolation: false,
        }
    );
    assert_eq!(e.asked().len(), 8);
    assert_eq!(e.timeout, Some(Duration::from_secs(60)));
    assert_eq!(e.ignore, Some("slow"));
    assert_eq!(e.should_fail, ShouldFail::Check);
    assert_eq!(entries["expects_check"].spec().should_fail, ShouldFail::Check);
    assert_eq!(
        entries["expects_text"].spec().should_fail,
        ShouldFail::WithMessage("stalled")
    );
    assert_eq!(
        e.requires,
        Requirements {
            root: true,
            sched_ext: true,
            smt: true,
            min_cpus: 4,
            min_llcs: 2,
            min_numa_nodes: 2,
        }
    );
    let everything = entries["everything"];
    assert!((everything.func)(&mut ktstr::__private::ctx(everything)).is_err());

    let off = entries["switched_off"].spec();
    assert_eq!(off.thresholds.max_spread_pct, None);
    assert!(!off.thresholds.not_starved);
    assert_eq!(off.thresholds.max_gap_ms, Some(300));
    assert!(off.thresholds.isolation);
    assert_eq!(off.asked(), [CheckKind::Gap]);

    let c = entries["constructor"].spec();
    assert!(matches!(
        (c.work_type)(),
        WorkType::CachePressure {
            size_kb: 32,
            stride: 64
        }
    ));
    assert_eq!(c.ignore, Some(""));
    assert_eq!(c.cpusets, CpusetLayout::LlcAligned);
    assert_eq!(c.workers, default.workers);

    let q = entries["qualified"].spec();
    assert!(matches!((q.work_type)(), WorkType::Mixed));
    assert_eq!(q.clone_mode, CloneMode::Fork);
    assert_eq!(q.should_fail, ShouldFail::No);

    let o = entries["own_constructor"].spec();
    assert!(matches!(
        (o.work_type)(),
        WorkType::Bursty {
            burst_ms: 1,
            sleep_ms: 2
        }
    ));
    assert_eq!(
        o.requires,
        Requirements {
            min_cpus: 1,
            ..Requirements::NONE
        }
    );
    assert_eq!(o.timeout, Some(Duration::from_secs(10)));

    let n = entries["in_module"];
    assert_eq!(n.full_name(), "nested::in_module");
    assert_eq!(n.spec().thresholds.max_gap_ms, Some(100));
    assert_eq!(n.spec().thresholds.max_spread_pct, Some(25.0));
}
