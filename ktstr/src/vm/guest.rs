//! The guest side: the test binary as PID 1 (`/init`). It mounts what a
//! test needs, runs the one test named in `KTSTR_VM_TEST` through the same
//! supervisor as on the host (a child re-executing `/init`), writes a
//! [`VmResult`] on the result port (ttyS1) and powers off. It never exits:
//! PID 1 exiting panics the kernel.

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use super::result::{VmResult, INIT_STARTED};
use crate::harness::supervise_for_guest;
use crate::sys::guest::{mount_fs, power_off};

/// The result port.
const PORT: &str = "/dev/ttyS1";
/// Kernel log lines kept in the result.
const KMSG_LINES: usize = 40;

/// The environment variable with a command for the guest's init to run
/// (`ktstr run --vm`): its arguments, NUL-separated, hex-encoded (the
/// kernel command line splits on spaces).
pub(crate) const ENV_VM_CMD: &str = "KTSTR_VM_CMD";

/// What a guest's init was booted to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Job {
    /// Run this test as the harness does.
    Test(String),
    /// Run this binary with these arguments.
    Command(Vec<String>),
}

/// Hex of the NUL-joined arguments, for [`ENV_VM_CMD`].
pub(crate) fn encode_args(args: &[String]) -> String {
    args.join("\0")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
pub(crate) fn decode_args_for_test(hex: &str) -> Option<Vec<String>> {
    decode_args(hex)
}

fn decode_args(hex: &str) -> Option<Vec<String>> {
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    let text = String::from_utf8(bytes?).ok()?;
    Some(text.split('\0').map(str::to_string).collect())
}

/// The job of this process when it is a VM guest's init (PID 1 with
/// `KTSTR_VM_TEST` or `KTSTR_VM_CMD` set).
pub(crate) fn job() -> Option<Job> {
    if std::process::id() != 1 {
        return None;
    }
    if let Ok(t) = std::env::var(super::ENV_VM_TEST) {
        return Some(Job::Test(t));
    }
    decode_args(&std::env::var(ENV_VM_CMD).ok()?).map(Job::Command)
}

/// Run `args` with this binary and report its output and exit code.
fn run_command(args: &[String], r: &mut VmResult) {
    let out = std::process::Command::new("/init")
        .args(args)
        .env_remove(ENV_VM_CMD)
        .stdin(std::process::Stdio::null())
        .output();
    match out {
        Ok(o) => {
            r.output = String::from_utf8_lossy(&o.stdout).into_owned();
            r.output.push_str(&String::from_utf8_lossy(&o.stderr));
            r.exit_code = o.status.code();
            if !o.status.success() {
                r.failure = Some(format!("ktstr {} ended with {}", args.join(" "), o.status));
            }
        }
        Err(e) => r.failure = Some(format!("cannot run /init {}: {e}", args.join(" "))),
    }
}

fn mounts() -> Result<(), String> {
    mount_fs("proc", "/proc", "proc")?;
    mount_fs("sysfs", "/sys", "sysfs")?;
    mount_fs("devtmpfs", "/dev", "devtmpfs")?;
    mount_fs("tmpfs", "/tmp", "tmpfs")?;
    mount_fs("cgroup2", "/sys/fs/cgroup", "cgroup2")
}

/// Open the result port in raw mode (no newline translation).
fn open_port() -> Result<std::fs::File, String> {
    use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};
    let port = std::fs::OpenOptions::new()
        .write(true)
        .open(PORT)
        .map_err(|e| format!("open {PORT}: {e}"))?;
    if let Ok(mut t) = tcgetattr(&port) {
        cfmakeraw(&mut t);
        let _ = tcsetattr(&port, SetArg::TCSANOW, &t);
    }
    Ok(port)
}

/// The last lines of the kernel log, read from `/dev/kmsg` (non-blocking).
fn kmsg_tail() -> Vec<String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let Ok(mut f) = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open("/dev/kmsg")
    else {
        return vec!["(no /dev/kmsg)".into()];
    };
    let mut lines = std::collections::VecDeque::new();
    let mut buf = vec![0u8; 8192];
    loop {
        match f.read(&mut buf) {
            Ok(n) if n > 0 => {
                // "prio,seq,usec,flags;text"
                let rec = String::from_utf8_lossy(&buf[..n]);
                let rec = rec.lines().next().unwrap_or("");
                let (head, text) = rec.split_once(';').unwrap_or(("", rec));
                let usec: u64 = head
                    .split(',')
                    .nth(2)
                    .and_then(|u| u.parse().ok())
                    .unwrap_or(0);
                lines.push_back(format!(
                    "[{:>6}.{:06}] {text}",
                    usec / 1_000_000,
                    usec % 1_000_000
                ));
                if lines.len() > KMSG_LINES {
                    lines.pop_front();
                }
            }
            // EPIPE: records were overwritten; keep reading.
            Err(e) if e.raw_os_error() == Some(libc::EPIPE) => continue,
            _ => break,
        }
    }
    lines.into()
}

fn kernel_release() -> String {
    nix::sys::utsname::uname()
        .map(|u| u.release().to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn run(job: &Job, port: &mut std::fs::File) -> VmResult {
    let mut r = VmResult {
        kernel: kernel_release(),
        ..VmResult::default()
    };
    if let Err(e) = std::fs::write("/sys/fs/cgroup/cgroup.subtree_control", "+cpuset +cpu") {
        r.failure = Some(format!(
            "guest init: enable cpuset and cpu in /sys/fs/cgroup/cgroup.subtree_control: {e}"
        ));
        return r;
    }
    let _ = writeln!(port, "{INIT_STARTED}");
    eprintln!("ktstr guest init: kernel {}, running {job:?}", r.kernel);
    let timeout = std::env::var(super::boot::ENV_VM_TIMEOUT_MS)
        .ok()
        .and_then(|t| t.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_secs(300));
    let test = match job {
        Job::Test(t) => t,
        Job::Command(args) => {
            run_command(args, &mut r);
            r.kmsg_tail = kmsg_tail();
            return r;
        }
    };
    let sup = supervise_for_guest(test, timeout);
    match sup.outcome {
        Ok(o) => r.outcome = Some(o),
        Err(why) => r.failure = Some(why),
    }
    r.output = sup.output.text();
    r.elapsed_ns = sup.elapsed.as_nanos() as u64;
    r.faults = sup.faults;
    r.kmsg_tail = kmsg_tail();
    r
}

/// The guest's main: run `test`, report, power off. Never returns.
pub(crate) fn main(job: &Job) -> ! {
    let mounted = mounts();
    let mut port = mounted.clone().and_then(|()| open_port());
    let result = match port.as_mut() {
        Ok(p) => catch_unwind(AssertUnwindSafe(|| run(job, p))).unwrap_or_else(|_| VmResult {
            failure: Some("the guest's init panicked (see the console lines)".into()),
            kernel: kernel_release(),
            ..VmResult::default()
        }),
        Err(e) => VmResult {
            failure: Some(format!("guest init: {e}")),
            ..VmResult::default()
        },
    };
    match port.as_mut() {
        Ok(p) => {
            let _ = p.write_all(&result.encode());
            let _ = p.flush();
            let _ = nix::sys::termios::tcdrain(&*p);
        }
        // Without the port, the console is the only way out.
        Err(_) => eprintln!("{}", String::from_utf8_lossy(&result.encode())),
    }
    let why = power_off();
    eprintln!("ktstr guest init: {why}");
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
