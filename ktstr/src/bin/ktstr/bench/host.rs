//! [`Host`]: what machine the figures come from, and the few OS calls the
//! bench makes itself (thread affinity, thread CPU time).

use anyhow::{anyhow, Context};
use ktstr::cpuset::CpuSet;
use nix::sched::{sched_getaffinity, sched_setaffinity, CpuSet as NixCpuSet};
use nix::time::{clock_gettime, ClockId};
use nix::unistd::Pid;
use serde::Serialize;

/// The machine a bench ran on, for the header.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Host {
    /// `uname -srm`, e.g. `Linux 6.18.44 x86_64`.
    pub kernel: String,
    /// `uname -v`: the build string.
    pub kernel_build: String,
    /// The first `model name` of `/proc/cpuinfo`.
    pub cpu_model: Option<String>,
    /// `/sys/devices/system/cpu/online`.
    pub online_cpus: CpuSet,
    /// The CPUs this process may run on (`sched_getaffinity`).
    pub allowed_cpus: CpuSet,
    /// `/proc/loadavg` (1, 5, 15 minutes) when the bench began.
    pub loadavg_before: Option<String>,
    /// `/proc/loadavg` when it ended.
    pub loadavg_after: Option<String>,
}

impl Host {
    /// Look at this machine.
    pub(crate) fn probe() -> Host {
        let (kernel, kernel_build) = match nix::sys::utsname::uname() {
            Ok(u) => (
                format!(
                    "{} {} {}",
                    u.sysname().to_string_lossy(),
                    u.release().to_string_lossy(),
                    u.machine().to_string_lossy()
                ),
                u.version().to_string_lossy().into_owned(),
            ),
            Err(e) => (format!("unknown (uname failed: {e})"), String::new()),
        };
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        });
        let allowed_cpus = allowed_cpus().unwrap_or_default();
        let online_cpus = std::fs::read_to_string("/sys/devices/system/cpu/online")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| allowed_cpus.clone());
        Host {
            kernel,
            kernel_build,
            cpu_model,
            online_cpus,
            allowed_cpus,
            loadavg_before: loadavg(),
            loadavg_after: None,
        }
    }

    /// The CPU the overhead runs pin to: the highest CPU this process may
    /// use (CPU 0 tends to take more of the machine's interrupts).
    pub(crate) fn bench_cpu(&self) -> anyhow::Result<usize> {
        // `CpuSet::max`, not `Ord::max`, which a by-value receiver would pick.
        let usable = self.allowed_cpus.intersection(&self.online_cpus);
        CpuSet::max(&usable).ok_or_else(|| {
            anyhow!(
                "no CPU to pin to: allowed CPUs {{{}}}, online CPUs {{{}}}",
                self.allowed_cpus,
                self.online_cpus
            )
        })
    }
}

/// The first three fields of `/proc/loadavg`.
pub(crate) fn loadavg() -> Option<String> {
    let s = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

/// `sched_getaffinity(0)`: the CPUs the calling thread may run on.
fn allowed_cpus() -> anyhow::Result<CpuSet> {
    let mask = sched_getaffinity(Pid::from_raw(0)).context("sched_getaffinity(self)")?;
    Ok((0..NixCpuSet::count())
        .filter(|&cpu| mask.is_set(cpu).unwrap_or(false))
        .collect())
}

/// `sched_setaffinity(0, cpus)`: pin the calling thread.
#[doc(alias = "sched_setaffinity")]
pub(crate) fn pin_current_thread(cpus: &CpuSet) -> anyhow::Result<()> {
    let mut mask = NixCpuSet::new();
    for cpu in cpus.iter() {
        mask.set(cpu)
            .with_context(|| format!("CPU {cpu} does not fit a cpu_set_t"))?;
    }
    sched_setaffinity(Pid::from_raw(0), &mask)
        .with_context(|| format!("sched_setaffinity(self, {cpus})"))
}

/// `clock_gettime(CLOCK_THREAD_CPUTIME_ID)` in nanoseconds: CPU time of the
/// calling thread.
pub(crate) fn thread_cpu_ns() -> u64 {
    clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID)
        .map(|ts| ts.tv_sec() as u64 * 1_000_000_000 + ts.tv_nsec() as u64)
        .unwrap_or(0)
}

/// The caveat printed under the host line.
pub(super) const NOISE_NOTE: &str =
    "figures come from a shared, noisy machine (other jobs use the same \
     CPUs at the same time): compare medians, expect outliers, and do not read small \
     differences as real";

/// Print the host line and the noise note.
pub(super) fn print_host(host: &Host) {
    println!(
        "host: {} ({}), {}, {} CPUs online ({}), {} allowed ({}); load average {}",
        host.kernel,
        host.kernel_build,
        host.cpu_model.as_deref().unwrap_or("unknown CPU"),
        host.online_cpus.len(),
        host.online_cpus,
        host.allowed_cpus.len(),
        host.allowed_cpus,
        host.loadavg_before.as_deref().unwrap_or("?"),
    );
    println!("note: {NOISE_NOTE}.");
}
