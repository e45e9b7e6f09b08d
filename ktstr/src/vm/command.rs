//! `ktstr run --vm`: run this binary with some arguments inside a VM and
//! bring back its output and exit code.

use std::time::Duration;

use super::boot::{boot, BootRequest};
use super::guest::{encode_args, ENV_VM_CMD};
use super::{VmResult, VmSpec};

/// What a command run in a VM produced.
#[derive(Clone, Debug)]
pub struct CommandRun {
    /// Its stdout then stderr.
    pub output: String,
    /// Its exit code (None: it did not finish).
    pub exit_code: Option<i32>,
    /// Why the run failed (the command's exit, a panic, the deadline), with
    /// the last console lines.
    pub failure: Option<String>,
    /// The guest kernel's release.
    pub guest_kernel: String,
    /// "TCG: why" or "KVM: why".
    pub accel: String,
    /// Host-side timings.
    pub timings: super::qemu::Timings,
}

/// Run this binary with `args` as a child of the guest's init in a VM
/// built from `spec`; `timeout` is at host speed (scaled for TCG).
pub fn run_command(
    args: &[String],
    spec: &VmSpec,
    extras: Vec<(std::path::PathBuf, String)>,
    needs_sched_ext: bool,
    timeout: Duration,
) -> Result<CommandRun, String> {
    let req = BootRequest {
        spec,
        needs_sched_ext,
        extras,
        env: vec![(ENV_VM_CMD.into(), encode_args(args))],
        timeout,
    };
    let b = boot(&req)?;
    let console = format!(
        "\n--- last {} console lines ---\n{}",
        b.run.console.len(),
        b.run.console.join("\n")
    );
    let mut out = CommandRun {
        output: String::new(),
        exit_code: None,
        failure: None,
        guest_kernel: String::new(),
        accel: format!("{}: {}", b.accel.accel.name(), b.accel.why),
        timings: b.run.timings,
    };
    match VmResult::decode(&b.run.port) {
        Some(Ok(r)) => {
            out.output = r.output;
            out.exit_code = r.exit_code;
            out.guest_kernel = r.kernel;
            out.failure = r.failure;
        }
        Some(Err(e)) => out.failure = Some(format!("{e}{console}")),
        None => {
            out.failure = Some(format!(
                "{}; the guest sent no result record{console}",
                b.run
                    .failure
                    .clone()
                    .unwrap_or_else(|| "the VM powered off".into())
            ))
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn arguments_survive_the_kernel_command_line() {
        let args: Vec<String> = ["run", "--work-type", "Mixed", "a b", "é"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let hex = super::encode_args(&args);
        assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(super::super::guest::decode_args_for_test(&hex), Some(args));
    }
}
