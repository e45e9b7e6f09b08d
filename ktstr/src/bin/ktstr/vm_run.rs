//! `ktstr run --vm`: the same `ktstr run` inside a qemu VM booted with a
//! sched_ext kernel (`--kernel PATH`, else `KTSTR_KERNEL`, else the cached
//! one). This binary is the guest's init; it runs `ktstr run` with the
//! other arguments there and prints what that printed.

use std::time::Duration;

use ktstr::vm::command::run_command;
use ktstr::vm::VmSpec;

use crate::Failure;

/// Options of `ktstr run` that choose the VM.
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct VmArgs {
    /// Run the workload inside a qemu VM (KVM when it works, else TCG).
    #[arg(long)]
    vm: bool,
    /// The kernel image (bzImage) for --vm.
    #[arg(long, requires = "vm")]
    kernel: Option<String>,
    /// vCPUs of the VM.
    #[arg(long, requires = "vm", default_value_t = 2)]
    vm_cpus: u32,
    /// Memory of the VM in MiB.
    #[arg(long, requires = "vm", default_value_t = 512)]
    vm_memory_mb: u32,
}

impl VmArgs {
    /// Whether `--vm` was given.
    pub(crate) fn wanted(&self) -> bool {
        self.vm
    }
}

/// The flag `ktstr run` gets inside the VM (hidden): it keeps no record
/// there, where nobody could read it.
pub(crate) const IN_GUEST_FLAG: &str = "--in-vm-guest";

/// This process's arguments after `run`, without the VM options, and
/// [`IN_GUEST_FLAG`].
fn guest_args() -> Vec<String> {
    let mut out = Vec::new();
    let mut it = std::env::args().skip(1).peekable();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--vm" => {}
            "--kernel" | "--vm-cpus" | "--vm-memory-mb" => {
                it.next();
            }
            _ if a.starts_with("--kernel=")
                || a.starts_with("--vm-cpus=")
                || a.starts_with("--vm-memory-mb=") => {}
            _ => out.push(a),
        }
    }
    out.push(IN_GUEST_FLAG.into());
    out
}

/// Run `ktstr run ...` in a VM; `duration` bounds the guest's time. With
/// a scheduler, its binary (and libraries) go into the guest, which runs
/// the workload under it.
pub(crate) fn main(
    vm: &VmArgs,
    duration: Duration,
    scheduler: Option<&ktstr::scheduler::Scheduler>,
) -> Result<(), Failure> {
    let kernel: Option<&'static str> = vm.kernel.clone().map(|k| &*Box::leak(k.into_boxed_str()));
    let spec = VmSpec {
        cpus: vm.vm_cpus,
        memory_mb: vm.vm_memory_mb,
        kernel,
        ..VmSpec::DEFAULT
    };
    spec.topology().map_err(Failure::Usage)?;
    let args = guest_args();
    let mut timeout = duration * 2 + Duration::from_secs(30);
    let mut extras = Vec::new();
    if let Some(s) = scheduler {
        extras.push(ktstr::vm::scheduler_binary(s).map_err(Failure::Usage)?);
        // Attach, and the stop with its fall-back check.
        timeout += Duration::from_secs(30);
    }
    let r = run_command(&args, &spec, extras, scheduler.is_some(), timeout)
        .map_err(|e| Failure::Runtime(anyhow::anyhow!(e)))?;
    print!("{}", r.output);
    let secs = |ns: Option<u64>| ns.map_or("-".to_string(), |n| format!("{:.2}", n as f64 / 1e9));
    eprintln!(
        "ktstr: ran in a VM ({}; guest kernel {}): boot to init {} s, run {} s, total {} s",
        r.accel,
        r.guest_kernel,
        secs(r.timings.boot_to_init_ns),
        secs(r.timings.test_ns),
        secs(Some(r.timings.total_ns))
    );
    match r.failure {
        None => Ok(()),
        Some(f) => Err(Failure::Runtime(anyhow::anyhow!("in the VM: {f}"))),
    }
}
