//! The cgroup v2 paths for real, inside a VM booted with a sched_ext
//! kernel (`./scripts/setup --vm` fetches one): cpuset placement,
//! `cpu.weight`, `cpu.max`, threaded cgroups for Thread-mode workers, and a
//! guest kernel panic reported with its console lines. Each test boots its
//! own VM (about 3-5 s under TCG); without a kernel they are reported
//! ignored with the setup command.

use ktstr::cgroup::{CgroupDef, CpuMax, CpusetSpec};
use ktstr::prelude::*;

/// The guest really is a cgroup v2 machine with cpuset and cpu enabled.
fn assert_v2_guest() -> Result<()> {
    let ctl = std::fs::read_to_string("/sys/fs/cgroup/cgroup.subtree_control")?;
    ensure!(
        ctl.contains("cpuset") && ctl.contains("cpu"),
        "the guest's root cgroup has not enabled cpuset and cpu: {ctl:?}"
    );
    Ok(())
}

/// Two cgroups on disjoint CPUs: each worker ran only on its cgroup's CPU.
#[ktstr::test(vm, duration = "1s")]
fn vm_cpuset_places_workers(ctx: &mut Ctx) -> Result<()> {
    assert_v2_guest()?;
    let one = |name: &str, cpu| {
        CgroupDef::named(name)
            .with_cpuset(CpusetSpec::exact([cpu]))
            .with_workers(1)
    };
    let reports = ctx.run_cgroups(vec![one("a", 0), one("b", 1)])?;
    ctx.check(&reports)?.done()?;
    for (r, cpu) in reports.iter().zip([0u32, 1]) {
        ensure!(
            r.cpus_used.iter().all(|c| *c == cpu),
            "a worker pinned by cpuset to CPU {cpu} ran on {:?}",
            r.cpus_used
        );
    }
    Ok(())
}

/// `cpu.weight` 200:100 on one CPU gives about 2:1 of its time.
#[ktstr::test(vm, duration = "2s")]
fn vm_cpu_weight_divides_a_cpu(ctx: &mut Ctx) -> Result<()> {
    let on_cpu0 = |name: &str, weight| {
        CgroupDef::named(name)
            .with_cpuset(CpusetSpec::exact([0]))
            .with_weight(weight)
            .with_workers(1)
    };
    let reports = ctx.run_cgroups(vec![on_cpu0("light", 100), on_cpu0("heavy", 200)])?;
    let ratio = reports[1].cpu_time_ns as f64 / reports[0].cpu_time_ns.max(1) as f64;
    ensure!(
        (1.4..=3.0).contains(&ratio),
        "weights 200:100 should split CPU 0 about 2:1, measured {ratio:.2}:1"
    );
    Ok(())
}

/// `cpu.max` of a quarter CPU holds a spinning worker near 25 %.
#[ktstr::test(vm, duration = "2s")]
fn vm_cpu_max_throttles(ctx: &mut Ctx) -> Result<()> {
    let def = CgroupDef::named("capped")
        .with_max(CpuMax::cpus(0.25))
        .with_workers(1);
    let reports = ctx.run_cgroups(vec![def])?;
    let r = &reports[0];
    let share = r.cpu_time_ns as f64 / r.wall_time_ns.max(1) as f64;
    ensure!(
        (0.10..=0.45).contains(&share),
        "cpu.max 0.25 CPU should hold a spinner near 25 %, measured {:.0} %",
        share * 100.0
    );
    Ok(())
}

/// Thread-mode workers in a threaded cgroup on one CPU, beside a process
/// cgroup: placement holds for each thread.
#[ktstr::test(vm, duration = "1s")]
fn vm_thread_workers_in_threaded_cgroup(ctx: &mut Ctx) -> Result<()> {
    let def = CgroupDef::named("threads")
        .with_cpuset(CpusetSpec::exact([1]))
        .with_clone_mode(CloneMode::Thread)
        .with_workers(2);
    let reports = ctx.run_cgroups(vec![def])?;
    ctx.check(&reports)?.done()?;
    ensure!(
        reports.len() == 2,
        "expected 2 thread workers, got {}",
        reports.len()
    );
    for r in &reports {
        ensure!(
            r.cpus_used.iter().all(|c| *c == 1),
            "a thread worker in a cgroup pinned to CPU 1 ran on {:?}",
            r.cpus_used
        );
    }
    Ok(())
}

/// Needs sched_ext and says nothing about a VM: on a host without
/// sched_ext it boots one by itself, where sched_ext is present and idle.
#[ktstr::test(requires(sched_ext), duration = "1s")]
fn sched_ext_test_runs_where_sched_ext_is(ctx: &mut Ctx) -> Result<()> {
    let state = std::fs::read_to_string("/sys/kernel/sched_ext/state")?;
    ensure!(
        state.trim() == "disabled",
        "no scheduler was asked for, yet sched_ext is {:?}",
        state.trim()
    );
    ctx.run_and_check()
}

/// The whole path with a real sched_ext scheduler: scx_bpfland is packed
/// into the initramfs with its libraries, attaches in the guest, and the
/// workload runs under it.
#[ktstr::test(vm, scheduler = "scx_bpfland", duration = "2s")]
fn vm_runs_under_scx_bpfland(ctx: &mut Ctx) -> Result<()> {
    let state = std::fs::read_to_string("/sys/kernel/sched_ext/state")?;
    ensure!(
        state.trim() == "enabled",
        "sched_ext is {:?} under scx_bpfland",
        state.trim()
    );
    ctx.run_and_check()
}

/// Two spinning workers for 1 s in a 2-vCPU VM, checked as usual: the
/// smallest whole VM test (`scripts/bench-vm` times it).
#[ktstr::test(vm, duration = "1s")]
fn vm_one_second(ctx: &mut Ctx) -> Result<()> {
    ctx.run_and_check()
}

/// The same test on the host: the baseline of `scripts/bench-vm`.
#[ktstr::test(duration = "1s")]
fn host_one_second(ctx: &mut Ctx) -> Result<()> {
    ctx.run_and_check()
}

/// Fixture for [`vm_guest_panic_is_reported`]: crashes the guest kernel
/// with sysrq `c`. Ignored in a normal run (it fails by design).
#[ktstr::test(
    vm,
    duration = "1s",
    timeout = "20s",
    ignore = "fixture: panics the guest kernel; vm_guest_panic_is_reported runs it"
)]
fn vm_guest_panic_fixture(_ctx: &mut Ctx) -> Result<()> {
    std::fs::write("/proc/sysrq-trigger", "c")?;
    std::thread::sleep(std::time::Duration::from_secs(15));
    bail!("the guest kernel did not panic after sysrq c")
}

/// A guest kernel panic fails its test, names the panic and shows the
/// console lines; the run goes on and no qemu is left. Runs the fixture
/// above through this binary, as `cargo test -- --ignored` would.
#[ktstr::test(duration = "1s", timeout = "5m")]
fn vm_guest_panic_is_reported(ctx: &mut Ctx) -> Result<()> {
    if ktstr::harness::in_vm_guest() {
        return ctx.skip("its fixture needs a VM of its own: run it on the host");
    }
    if ktstr::vm::kernel::configured(None).is_none() {
        return ctx
            .skip("no kernel for the VM fixture: run ./scripts/setup --vm or set KTSTR_KERNEL");
    }
    ktstr::harness::run_sibling("vm_guest_panic_fixture")?.expect(
        101,
        &[
            "vm_guest_panic_fixture ... FAILED",
            "the guest kernel panicked",
            "console lines",
            "Kernel panic",
            "sysrq",
        ],
    )
}

ktstr::main!();
