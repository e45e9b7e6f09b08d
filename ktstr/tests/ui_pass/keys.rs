// Every key, the work_type spellings, and what the attribute registers:
// `main` reads the inventory back and checks each entry field by field.
use std::collections::HashMap;
use std::time::Duration;

use ktstr::harness::{
    CpusetLayout, Ctx, Requirements, ShouldFail, TestEntry, ThresholdOverrides, WorkloadSpec,
};
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
            "qualified"
        ]
    );

    let plain = entries["plain"];
    assert_eq!(plain.full_name(), "plain");
    assert!(plain.file.ends_with("keys.rs"), "{}", plain.file);
    assert_eq!(plain.line, 12, "the function's line, not the attribute's");
    assert_eq!(plain.workload.workers, WorkloadSpec::DEFAULT.workers);
    assert!(matches!((plain.workload.work_type)(), WorkType::SpinWait));
    assert_eq!(plain.thresholds, ThresholdOverrides::NONE);
    assert_eq!(plain.requires, Requirements::NONE);
    assert_eq!(
        (
            plain.timeout,
            plain.ignore,
            plain.should_fail,
            plain.scheduler
        ),
        (None, None, ShouldFail::No, None)
    );
    let mut ctx = Ctx::new(plain);
    (plain.func)(&mut ctx).expect("plain's body");
    assert_eq!(
        ctx.workers,
        WorkloadSpec::DEFAULT.workers + 1,
        "func is the function"
    );

    let e = entries["everything"];
    assert_eq!(e.workload.workers, 4);
    assert!(matches!(
        (e.workload.work_type)(),
        WorkType::Bursty {
            burst_ms: 5,
            sleep_ms: 7
        }
    ));
    assert_eq!(e.workload.clone_mode, CloneMode::Thread);
    assert_eq!(e.workload.duration, Duration::from_millis(1500));
    assert_eq!(e.workload.cgroups, 2);
    assert_eq!(e.workload.cpusets, CpusetLayout::Overlap(0.25));
    assert_eq!(
        e.scheduler.map(|s| (s.binary, s.args)),
        Some(("scx_simple", &["--fifo"][..]))
    );
    assert_eq!(
        e.thresholds,
        ThresholdOverrides {
            not_starved: Some(false),
            max_spread_pct: Some(35.0),
            max_gap_ms: Some(500),
            max_p99_wake_latency_us: Some(2000),
            min_work_rate: Some(1000.0),
            max_migration_ratio: Some(0.5),
            max_throughput_cv: Some(0.3),
        }
    );
    assert_eq!(e.timeout, Some(Duration::from_secs(60)));
    assert_eq!(e.ignore, Some("slow"));
    assert_eq!(e.should_fail, ShouldFail::Check);
    assert_eq!(entries["expects_check"].should_fail, ShouldFail::Check);
    assert_eq!(
        entries["expects_text"].should_fail,
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
    assert!((e.func)(&mut Ctx::new(e)).is_err());

    let c = entries["constructor"];
    assert!(matches!(
        (c.workload.work_type)(),
        WorkType::CachePressure {
            size_kb: 32,
            stride: 64
        }
    ));
    assert_eq!(c.ignore, Some(""));
    assert_eq!(c.workload.cpusets, CpusetLayout::LlcAligned);
    assert_eq!(c.workload.workers, WorkloadSpec::DEFAULT.workers);

    let q = entries["qualified"];
    assert!(matches!((q.workload.work_type)(), WorkType::Mixed));
    assert_eq!(q.workload.clone_mode, CloneMode::Fork);
    assert_eq!(q.should_fail, ShouldFail::No);

    let o = entries["own_constructor"];
    assert!(matches!(
        (o.workload.work_type)(),
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
    assert_eq!(n.thresholds.max_gap_ms, Some(100));
    assert_eq!(n.thresholds.max_spread_pct, None);
}
