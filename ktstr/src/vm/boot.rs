//! One boot from the host: resolve the kernel, build (or reuse) the
//! initramfs, pick the accelerator, scale the deadlines, run qemu. Shared by
//! the test harness and `ktstr run --vm`.

use std::path::PathBuf;
use std::time::Duration;

use super::accel::{self, Accel, Choice};
use super::initramfs::{self, Initramfs};
use super::kernel::{self, Kernel};
use super::qemu::{self, Launch, VmRun, Watch};
use super::VmSpec;

/// Guest CPU work under TCG is about 5× slower than on the host.
pub const TCG_SLOWDOWN: u32 = 5;
/// Time for qemu to start and the kernel to reach init (doubled under
/// TCG), on top of the guest's own timeout.
pub const BOOT_ALLOWANCE: Duration = Duration::from_secs(45);
/// The environment variable with the guest-side timeout in ms.
pub const ENV_VM_TIMEOUT_MS: &str = "KTSTR_VM_TIMEOUT_MS";

/// What to boot.
#[derive(Clone, Debug)]
pub struct BootRequest<'a> {
    /// Topology, memory, kernel.
    pub spec: &'a VmSpec,
    /// Whether the guest needs sched_ext (checked against the kernel's
    /// config when it is known).
    pub needs_sched_ext: bool,
    /// Extra binaries: (host path, guest path).
    pub extras: Vec<(PathBuf, String)>,
    /// Environment for the guest's init (on the kernel command line).
    pub env: Vec<(String, String)>,
    /// The guest's own timeout at host speed (scaled for TCG here).
    pub timeout: Duration,
}

/// A finished boot.
#[derive(Clone, Debug)]
pub struct Booted {
    /// The kernel booted.
    pub kernel: Kernel,
    /// The initramfs.
    pub initramfs: Initramfs,
    /// The accelerator and why.
    pub accel: Choice,
    /// What qemu produced.
    pub run: VmRun,
    /// Boots it took: 2 when the first one died before the guest's init
    /// started (see [`boot`]).
    pub attempts: u32,
}

/// Boot the test binary (this executable) as the guest's init.
///
/// A boot that fails before init starts (the kernel panics during boot,
/// or init is not reached within the boot allowance) is tried once more:
/// nothing of the test has run yet, and under multi-threaded TCG the
/// kernel's boot-time code patching sometimes oopses ("Oops: int3" in
/// early boot, seen about once in 30 boots on a loaded host). It is said
/// on stderr and counted in [`Booted::attempts`].
pub fn boot(req: &BootRequest) -> Result<Booted, String> {
    let kernel = kernel::resolve(req.spec.kernel)?;
    if req.needs_sched_ext && kernel.sched_ext == Some(false) {
        return Err(format!(
            "needs sched_ext, and the kernel {} was built without it \
             (its config has no CONFIG_SCHED_CLASS_EXT=y)",
            kernel.path.display()
        ));
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    let initramfs = initramfs::build(&exe, &req.extras)
        .map_err(|e| format!("cannot build the initramfs: {e}"))?;
    let choice = accel::choose(&kernel.path);
    let slow = if choice.accel == Accel::Tcg {
        TCG_SLOWDOWN
    } else {
        1
    };
    let timeout = req.timeout * slow;
    let mut env = req.env.clone();
    env.push((ENV_VM_TIMEOUT_MS.into(), timeout.as_millis().to_string()));
    // The guest's own deadlines (a scheduler's attach, its watchdog option)
    // stretch with the emulation, on top of any scale the user set.
    let scale = crate::harness::timeout_scale() * f64::from(slow);
    env.push(("KTSTR_TIMEOUT_SCALE".into(), format!("{scale}")));
    let boot_allowance = BOOT_ALLOWANCE * slow.min(2);
    let launch = Launch {
        kernel: &kernel.path,
        initrd: Some(&initramfs.path),
        spec: req.spec,
        env,
        accel: choice.accel,
        deadline: timeout + boot_allowance,
        loglevel: 4,
        boot_deadline: Some(boot_allowance),
    };
    let mut attempts = 1;
    let mut run = qemu::run(&launch, Watch::default())?;
    if run.timings.boot_to_init_ns.is_none()
        && run.port.is_empty()
        && !crate::interrupt::requested()
    {
        if let Some(why) = &run.failure {
            eprintln!(
                "ktstr: the VM failed before its init started ({why}; last console line: {}); booting it again",
                run.console.last().map(String::as_str).unwrap_or("none")
            );
            attempts = 2;
            run = qemu::run(&launch, Watch::default())?;
        }
    }
    Ok(Booted {
        kernel,
        initramfs,
        accel: choice,
        run,
        attempts,
    })
}
