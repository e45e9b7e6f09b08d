//! A fixture test binary for the harness self-tests: every way a test can
//! end. Its tests fail on purpose; `tests/selftest.rs` runs this binary and
//! checks what the harness made of each.

use std::time::Duration;

use ktstr::harness::Ctx;
use ktstr::prelude::*;

/// A plain passing test. Its limits are loose: it checks the harness, not
/// the host's scheduler, and must pass on a loaded machine too.
#[ktstr::test(
    workers = 2,
    duration = "300ms",
    max_spread_pct = 90,
    max_gap_ms = 10000
)]
fn passes(ctx: &mut Ctx) -> anyhow::Result<()> {
    ctx.run_and_check()
}

#[ktstr::test]
fn fails(_ctx: &mut Ctx) -> anyhow::Result<()> {
    anyhow::bail!("deliberate failure from the fixture")
}

#[ktstr::test]
fn panics(_ctx: &mut Ctx) -> anyhow::Result<()> {
    panic!("deliberate panic from the fixture")
}

#[ktstr::test]
fn segfaults(_ctx: &mut Ctx) -> anyhow::Result<()> {
    // SAFETY: not safe at all: this test exists to crash with SIGSEGV.
    unsafe { std::ptr::null_mut::<u64>().write_volatile(1) };
    Ok(())
}

#[ktstr::test]
fn aborts(_ctx: &mut Ctx) -> anyhow::Result<()> {
    std::process::abort()
}

#[ktstr::test(timeout = "2s")]
fn hangs(_ctx: &mut Ctx) -> anyhow::Result<()> {
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Creates a cgroup, then hangs until the timeout: its body never returns,
/// so the test process's SIGTERM teardown must remove the cgroup.
#[ktstr::test(requires(root), timeout = "2s")]
fn hangs_in_a_cgroup(ctx: &mut Ctx) -> anyhow::Result<()> {
    ctx.cgroups()?.create_cgroup("stuck")?;
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

#[ktstr::test]
fn exits_early(_ctx: &mut Ctx) -> anyhow::Result<()> {
    std::process::exit(0)
}

#[ktstr::test]
fn prints_a_lot(_ctx: &mut Ctx) -> anyhow::Result<()> {
    let line = "y".repeat(1 << 20);
    for _ in 0..100 {
        println!("{line}");
    }
    Ok(())
}

/// Skips itself at run time: reported ignored with the reason, never
/// passed (the check after the skip would fail it if the skip were lost).
#[ktstr::test]
fn skips_itself(ctx: &mut Ctx) -> anyhow::Result<()> {
    ctx.skip("the fixture's run-time skip")?;
    anyhow::bail!("ran on after ctx.skip")
}

#[ktstr::test(ignore = "the fixture's ignored test")]
fn ignored(_ctx: &mut Ctx) -> anyhow::Result<()> {
    anyhow::bail!("an ignored test ran")
}

#[ktstr::test(requires(min_cpus = 4096))]
fn needs_many_cpus(_ctx: &mut Ctx) -> anyhow::Result<()> {
    anyhow::bail!("a test with unmet requirements ran")
}

#[ktstr::test(requires(root))]
fn needs_root(_ctx: &mut Ctx) -> anyhow::Result<()> {
    anyhow::ensure!(nix_is_root(), "ran without root");
    Ok(())
}

fn nix_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// A starved worker: one nice-19 hog beside a nice-0 hog on one CPU, judged
/// by the default fairness check, which must fail; `should_fail` turns that
/// into a pass.
#[ktstr::test(should_fail, duration = "1s")]
fn starved_is_caught(ctx: &mut Ctx) -> anyhow::Result<()> {
    let pinned = |nice| WorkloadConfig {
        affinity: Affinity::Fixed([0].into()),
        nice,
        ..Default::default()
    };
    let mut strong = ctx.spawn(&pinned(0))?;
    let mut weak = ctx.spawn(&pinned(19))?;
    strong.start();
    weak.start();
    std::thread::sleep(ctx.duration);
    let mut reports = strong.stop_and_collect();
    reports.extend(weak.stop_and_collect());
    ctx.check(&reports)?.done()
}

#[ktstr::test(should_fail)]
fn should_fail_but_passes(_ctx: &mut Ctx) -> anyhow::Result<()> {
    Ok(())
}

/// Forks a grandchild that ignores SIGTERM and outlives the test.
#[ktstr::test]
fn leaks_a_grandchild(_ctx: &mut Ctx) -> anyhow::Result<()> {
    std::process::Command::new("sh")
        .args(["-c", "trap '' TERM; sleep 600"])
        .spawn()?;
    Ok(())
}

/// Leaks a WorkloadHandle: its workers must not outlive the test process.
#[ktstr::test]
fn leaks_workers(ctx: &mut Ctx) -> anyhow::Result<()> {
    let mut h = ctx.spawn(&WorkloadConfig {
        num_workers: 2,
        ..Default::default()
    })?;
    h.start();
    let pids = h.worker_pids();
    std::fs::write(
        std::env::temp_dir().join("ktstr-fixture-leaked-pids"),
        format!("{pids:?}"),
    )?;
    std::mem::forget(h);
    Ok(())
}

ktstr::main!();
