//! The harness's VM mode: which tests run in a VM, running one there, and
//! turning the guest's [`VmResult`] back into the host's [`Supervised`],
//! so judging, the libtest line and the JSON record are the same as for a
//! test run on the host.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::run::timeout_of;
use super::supervise::{supervise, Options, Supervised};
use super::TestEntry;
use crate::vm::accel::Accel;
use crate::vm::boot::{boot, BootRequest};
use crate::vm::qemu::Timings;
use crate::vm::{VmResult, VmSpec, ENV_VM_TEST};

use super::vm_topology::{guest_unmet, needs_sched_ext};
pub(crate) use super::vm_topology::{placement, unmet_in_vm};

/// Where a test runs.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Placement {
    /// On this machine.
    Host,
    /// In a VM with this spec.
    Vm(VmSpec),
    /// Nowhere: it needs a VM and none can be booted (the reason).
    NoVm(String),
}

/// What the record says about the VM a test ran in.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct VmInfo {
    /// The kernel image booted.
    pub kernel_image: PathBuf,
    /// The guest kernel's release (`uname -r` in the guest).
    pub guest_kernel: String,
    /// The accelerator and why.
    pub accel: Accel,
    /// Why that accelerator.
    pub accel_why: String,
    /// The spec booted.
    pub spec: VmSpec,
    /// Initramfs size in bytes.
    pub initramfs_bytes: u64,
    /// It came from the cache.
    pub initramfs_cached: bool,
    /// Time to build or find it.
    pub initramfs_ns: u64,
    /// Boot, test, teardown, total (of the last boot).
    pub timings: Timings,
    /// Boots it took (2: the first died before init started).
    pub boot_attempts: u32,
}

/// The guest's supervisor call: the test as the host harness runs it,
/// after checking that the guest's topology meets its requirements.
pub(crate) fn supervise_for_guest(test: &str, timeout: Duration) -> Supervised {
    if let Some(why) = guest_unmet(test) {
        return failed(why, Instant::now());
    }
    supervise(
        test,
        Options {
            nocapture: false,
            timeout,
        },
    )
}

fn failed(why: String, started: Instant) -> Supervised {
    Supervised {
        outcome: Err(why),
        output: Default::default(),
        elapsed: started.elapsed(),
        faults: Vec::new(),
        interrupted: None,
        vm: None,
    }
}

/// Run `entry` in a VM built from `spec`.
pub(crate) fn supervise_in_vm(entry: &TestEntry, spec: &VmSpec, nocapture: bool) -> Supervised {
    let started = Instant::now();
    let name = entry.full_name();
    let test = entry.spec();
    let mut extras = Vec::new();
    if let Some(s) = &test.scheduler {
        match crate::vm::scheduler_binary(s) {
            Ok(b) => extras.push(b),
            Err(e) => return failed(e, started),
        }
    }
    // Declared payloads go to /usr/bin of the guest (on its PATH), with
    // their libraries: stress-ng under a sched_ext scheduler, as today's
    // sched_ext CI runs it, with ktstr's verdicts on top.
    for p in test.payloads {
        match crate::payload::find_program(p) {
            Ok(host) => extras.push((host, format!("/usr/bin/{p}"))),
            Err(e) => return failed(e.to_string(), started),
        }
    }
    let req = BootRequest {
        spec,
        needs_sched_ext: needs_sched_ext(&test),
        extras,
        env: vec![(ENV_VM_TEST.into(), name)],
        timeout: timeout_of(&test),
    };
    let booted = match boot(&req) {
        Ok(b) => b,
        Err(e) => return failed(e, started),
    };
    let run = &booted.run;
    let console = || {
        format!(
            "\n--- last {} console lines ---\n{}",
            run.console.len(),
            run.console.join("\n")
        )
    };
    let mut sup = failed(String::new(), started);
    let guest = VmResult::decode(&run.port);
    let guest_kernel = match &guest {
        Some(Ok(r)) => r.kernel.clone(),
        _ => String::new(),
    };
    match guest {
        Some(Ok(r)) => {
            if nocapture {
                print!("{}", r.output);
            } else {
                sup.output.push(r.output.as_bytes());
            }
            sup.faults = r.faults;
            sup.outcome = match (r.outcome, r.failure) {
                (Some(o), _) => Ok(o),
                (None, why) => Err(format!(
                    "{} (in the VM){}\n--- guest kernel log ---\n{}",
                    why.unwrap_or_else(|| "no outcome".into()),
                    console(),
                    r.kmsg_tail.join("\n")
                )),
            };
        }
        Some(Err(e)) => sup.outcome = Err(format!("{e}{}", console())),
        None => {
            sup.outcome = Err(format!(
                "{}; the guest sent no result record{}",
                run.failure
                    .clone()
                    .unwrap_or_else(|| "the VM powered off".into()),
                console()
            ))
        }
    }
    sup.elapsed = started.elapsed();
    // An interrupt stopped the VM (qemu's run loop watches for it): the
    // harness exits the way it does for a host test.
    sup.interrupted = crate::interrupt::signal();
    sup.vm = Some(VmInfo {
        kernel_image: booted.kernel.path.clone(),
        guest_kernel,
        accel: booted.accel.accel,
        accel_why: booted.accel.why.clone(),
        spec: *spec,
        initramfs_bytes: booted.initramfs.bytes,
        initramfs_cached: booted.initramfs.cached,
        initramfs_ns: booted.initramfs.elapsed.as_nanos() as u64,
        timings: run.timings,
        boot_attempts: booted.attempts,
    });
    sup
}
