//! Run qemu: the command line for a [`VmSpec`], the run with its deadline,
//! and what came back. qemu runs in its own process group, dies with the
//! harness (`PR_SET_PDEATHSIG`), and is killed on every path out of
//! [`run`].
//!
//! The console (ttyS0, kernel messages) is qemu's stdout; the result port
//! (ttyS1) is a pipe, so the record is never interleaved with kernel
//! messages.

use std::collections::VecDeque;
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

use super::accel::Accel;
use super::result::{INIT_STARTED, RESULT_END};
use super::spec::VmSpec;

/// The qemu binary.
pub const QEMU: &str = "qemu-system-x86_64";
/// Console lines kept for a failure message.
pub const CONSOLE_LINES: usize = 60;
/// How long a guest has to power off after it sent its record.
const POWEROFF_GRACE: Duration = Duration::from_secs(5);
/// How long to keep reading the console after "Kernel panic".
const PANIC_GRACE: Duration = Duration::from_millis(500);

/// Where qemu is, or an error naming the package to install.
pub fn find_qemu() -> Result<PathBuf, String> {
    find_qemu_in(&std::env::var_os("PATH").unwrap_or_default())
}

fn find_qemu_in(path: &std::ffi::OsStr) -> Result<PathBuf, String> {
    crate::which::in_dirs(QEMU, std::env::split_paths(path)).ok_or_else(|| {
        format!(
            "{QEMU} is not installed: install the package qemu-system-x86 \
                 (apt-get install qemu-system-x86, or ./scripts/setup --vm)"
        )
    })
}

/// One VM to boot.
#[derive(Clone, Debug)]
pub struct Launch<'a> {
    /// The kernel image.
    pub kernel: &'a Path,
    /// The initramfs, or None (boot to "no init found": the KVM probe).
    pub initrd: Option<&'a Path>,
    /// Topology and memory.
    pub spec: &'a VmSpec,
    /// `K=V` words for the kernel command line (passed to init as its
    /// environment).
    pub env: Vec<(String, String)>,
    /// The accelerator.
    pub accel: Accel,
    /// Kill the VM after this long.
    pub deadline: Duration,
    /// The kernel's console log level (4: warnings and worse).
    pub loglevel: u8,
    /// Kill the VM when its init has not started after this long (None:
    /// only the overall deadline).
    pub boot_deadline: Option<Duration>,
}

/// Timings of a run, measured on the host.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Timings {
    /// qemu start to the guest's init writing its first line.
    pub boot_to_init_ns: Option<u64>,
    /// Init's first line to the end of the record.
    pub test_ns: Option<u64>,
    /// End of the record to qemu's exit.
    pub teardown_ns: Option<u64>,
    /// qemu start to qemu gone.
    pub total_ns: u64,
}

/// What a VM run produced.
#[derive(Clone, Debug, Default)]
pub struct VmRun {
    /// What the result port carried (the record is between the markers).
    pub port: Vec<u8>,
    /// The last console lines (and qemu's own messages).
    pub console: Vec<String>,
    /// Why the run ended abnormally (deadline, panic, qemu error).
    pub failure: Option<String>,
    /// Timings.
    pub timings: Timings,
}

/// The qemu arguments for `l`.
pub fn args(l: &Launch, result_path: &str) -> Result<Vec<String>, String> {
    let topo = l.spec.topology()?;
    let mut cmdline = vec![
        "console=ttyS0".to_string(),
        format!("loglevel={}", l.loglevel),
        "panic=-1".into(),
        "oops=panic".into(),
        "PATH=/bin:/usr/bin".into(),
    ];
    for (k, v) in &l.env {
        if v.contains(char::is_whitespace) || v.contains('"') || v.is_empty() {
            return Err(format!("cannot pass {k}={v:?} on the kernel command line"));
        }
        cmdline.push(format!("{k}={v}"));
    }
    let mut a: Vec<String> = vec![
        "-no-user-config".into(),
        "-nodefaults".into(),
        "-display".into(),
        "none".into(),
        "-no-reboot".into(),
        "-accel".into(),
        accel_arg(l.accel),
        "-m".into(),
        l.spec.memory_mb.to_string(),
        "-smp".into(),
        format!(
            "cpus={},sockets={},cores={},threads={}",
            topo.cpus, topo.sockets, topo.cores, topo.threads
        ),
        "-kernel".into(),
        l.kernel.to_string_lossy().into_owned(),
        "-append".into(),
        cmdline.join(" "),
        "-serial".into(),
        "stdio".into(),
        "-serial".into(),
        format!("file:{result_path}"),
    ];
    // No `-cpu host` under KVM: in nested guests qemu aborts setting the
    // host's MSRs ("failed to set MSR 0x10a"); the default model boots.
    if let Some(i) = l.initrd {
        a.extend(["-initrd".into(), i.to_string_lossy().into_owned()]);
    }
    let nodes = l.spec.numa_nodes;
    if nodes > 1 {
        let per = topo.cpus / nodes;
        let mem = l.spec.memory_mb / nodes;
        for n in 0..nodes {
            a.extend([
                "-object".into(),
                format!("memory-backend-ram,id=m{n},size={mem}M"),
                "-numa".into(),
                format!(
                    "node,nodeid={n},cpus={}-{},memdev=m{n}",
                    n * per,
                    n * per + per - 1
                ),
            ]);
        }
    }
    Ok(a)
}

/// The `-accel` value; `KTSTR_TCG_THREAD=single` runs all vCPUs in one
/// host thread (slower for parallel guest work, but free of the
/// multi-threaded TCG races in the kernel's boot-time code patching).
/// TCG runs every vCPU in one host thread unless `KTSTR_TCG_THREAD=multi`:
/// multi-threaded TCG races the guest kernel's live code patching (static
/// keys, alternatives) and oopses on `int3` now and then — seen about once
/// in 30 boots, and once in 7 scx_bpfland attaches (in `scx_enable`). A
/// verdict must not depend on that; single-threaded TCG boots ~1 s slower.
fn accel_arg(accel: Accel) -> String {
    match std::env::var("KTSTR_TCG_THREAD").as_deref() {
        Ok("multi") => accel.qemu_arg().into(),
        _ if accel == Accel::Tcg => "tcg,thread=single".into(),
        _ => accel.qemu_arg().into(),
    }
}

/// What to watch a run for.
#[derive(Clone, Copy, Debug, Default)]
pub struct Watch {
    /// Stop at the first console line (the KVM probe).
    pub first_console_line: bool,
}

fn spawn(l: &Launch) -> Result<(Child, OwnedFd), String> {
    let qemu = find_qemu()?;
    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|e| format!("cannot make the result pipe: {e}"))?;
    // qemu opens the result port by path: the pipe's write end as this
    // process sees it. It must be inheritable, so dup it without CLOEXEC.
    let inheritable = nix::unistd::dup(w.as_raw_fd()).map_err(|e| format!("dup: {e}"))?;
    drop(w);
    let path = format!("/proc/self/fd/{inheritable}");
    let args = args(l, &path);
    let args = match args {
        Ok(a) => a,
        Err(e) => {
            let _ = nix::unistd::close(inheritable);
            return Err(e);
        }
    };
    let mut cmd = Command::new(&qemu);
    cmd.args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    crate::sys::process::die_with_parent(&mut cmd, nix::sys::signal::Signal::SIGKILL);
    let child = cmd.spawn();
    let _ = nix::unistd::close(inheritable);
    let child = child.map_err(|e| format!("cannot start {}: {e}", qemu.display()))?;
    Ok((child, r))
}

/// Kill qemu's process group and reap it.
fn kill(child: &mut Child) {
    let _ = killpg(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
    let _ = child.wait();
}

/// Boot `l` and watch it until the record is in and qemu exits, the
/// deadline passes, the kernel panics, or qemu fails.
pub fn run(l: &Launch, watch: Watch) -> Result<VmRun, String> {
    let started = Instant::now();
    let (mut child, result) = spawn(l)?;
    let mut run = VmRun::default();
    let mut result = Some(std::fs::File::from(result));
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    let mut console: VecDeque<String> = VecDeque::new();
    let mut partial = [Vec::new(), Vec::new()];
    let (mut init_at, mut record_at, mut panic_at) = (None, None, None);
    let mut buf = vec![0u8; 64 << 10];
    // Lines from the guest's console (qemu's own stderr lines not counted).
    let mut guest_lines = 0usize;
    let exited = loop {
        if let Ok(Some(_)) = child.try_wait() {
            break true;
        }
        let now = Instant::now();
        if now >= started + l.deadline {
            run.failure = Some(format!(
                "the VM did not finish within {} s ({} mode)",
                l.deadline.as_secs(),
                l.accel.name()
            ));
            break false;
        }
        if init_at.is_none() && l.boot_deadline.is_some_and(|d| now >= started + d) {
            run.failure = Some(format!(
                "the guest did not reach init within {} s ({} mode)",
                l.boot_deadline.unwrap_or_default().as_secs(),
                l.accel.name()
            ));
            break false;
        }
        if crate::interrupt::requested() {
            run.failure = Some("interrupted (SIGINT/SIGTERM): the VM was stopped".into());
            break false;
        }
        if record_at.is_some_and(|t: Instant| t.elapsed() > POWEROFF_GRACE) {
            break false;
        }
        if panic_at.is_some_and(|t: Instant| t.elapsed() > PANIC_GRACE) {
            break false;
        }
        if watch.first_console_line && guest_lines > 0 {
            break false;
        }
        let mut fds = Vec::new();
        let mut which = Vec::new();
        for (i, f) in [
            result.as_ref().map(|f| f.as_fd()),
            out.as_ref().map(|f| f.as_fd()),
            err.as_ref().map(|f| f.as_fd()),
        ]
        .into_iter()
        .enumerate()
        {
            if let Some(f) = f {
                fds.push(PollFd::new(f, PollFlags::POLLIN));
                which.push(i);
            }
        }
        if fds.is_empty() {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        let _ = poll(&mut fds, PollTimeout::from(50u16));
        let ready: Vec<usize> = fds
            .iter()
            .zip(which)
            .filter(|(f, _)| f.revents().is_some_and(|r| !r.is_empty()))
            .map(|(_, w)| w)
            .collect();
        drop(fds);
        for w in ready {
            let n = match w {
                0 => result.as_mut().map(|f| f.read(&mut buf)),
                1 => out.as_mut().map(|f| f.read(&mut buf)),
                _ => err.as_mut().map(|f| f.read(&mut buf)),
            };
            let n = match n {
                Some(Ok(n)) if n > 0 => n,
                _ => {
                    match w {
                        0 => result = None,
                        1 => out = None,
                        _ => err = None,
                    }
                    continue;
                }
            };
            if w == 0 {
                run.port.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&run.port);
                if init_at.is_none() && text.contains(INIT_STARTED) {
                    init_at = Some(Instant::now());
                }
                if record_at.is_none() && text.contains(RESULT_END) {
                    record_at = Some(Instant::now());
                }
                continue;
            }
            let part = &mut partial[w - 1];
            part.extend_from_slice(&buf[..n]);
            while let Some(i) = part.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = part.drain(..=i).collect();
                let line = String::from_utf8_lossy(&line)
                    .trim_end_matches(['\r', '\n'])
                    .to_string();
                if line.contains("Kernel panic") && panic_at.is_none() {
                    panic_at = Some(Instant::now());
                }
                if line.contains("KVM internal error") && run.failure.is_none() {
                    run.failure = Some(format!("qemu: {line}"));
                    panic_at = Some(Instant::now() - PANIC_GRACE);
                }
                if w == 1 {
                    guest_lines += 1;
                }
                console.push_back(if w == 2 {
                    format!("qemu: {line}")
                } else {
                    line
                });
                if console.len() > CONSOLE_LINES {
                    console.pop_front();
                }
            }
        }
    };
    let ended = Instant::now();
    if exited {
        let _ = child.wait();
        // Nothing of the group may stay behind.
        let _ = killpg(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
    } else {
        kill(&mut child);
    }
    for p in partial.iter().filter(|p| !p.is_empty()) {
        console.push_back(String::from_utf8_lossy(p).trim_end().to_string());
    }
    if panic_at.is_some() && run.failure.is_none() {
        run.failure = Some("the guest kernel panicked".into());
    }
    run.console = console.into_iter().collect();
    let ns = |d: Duration| d.as_nanos() as u64;
    run.timings = Timings {
        boot_to_init_ns: init_at.map(|t| ns(t - started)),
        test_ns: init_at.zip(record_at).map(|(a, b)| ns(b - a)),
        teardown_ns: record_at.map(|t| ns(ended.max(t) - t)),
        total_ns: ns(started.elapsed()),
    };
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_qemu_names_the_package() {
        let e = find_qemu_in(std::ffi::OsStr::new("/nonexistent")).unwrap_err();
        assert!(e.contains("qemu-system-x86"), "{e}");
    }

    #[test]
    fn the_command_line_carries_topology_numa_and_the_test() {
        let spec = VmSpec {
            cpus: 4,
            sockets: 2,
            numa_nodes: 2,
            memory_mb: 1024,
            ..VmSpec::DEFAULT
        };
        let l = Launch {
            kernel: Path::new("/k/vmlinuz"),
            initrd: Some(Path::new("/i.cpio")),
            spec: &spec,
            env: vec![("KTSTR_VM_TEST".into(), "mod::t".into())],
            accel: Accel::Tcg,
            deadline: Duration::from_secs(1),
            loglevel: 4,
            boot_deadline: None,
        };
        let a = args(&l, "/proc/self/fd/9").unwrap().join(" ");
        for want in [
            "-accel tcg",
            "-smp cpus=4,sockets=2,cores=2,threads=1",
            "-m 1024",
            "-initrd /i.cpio",
            "KTSTR_VM_TEST=mod::t",
            "panic=-1",
            "-serial stdio -serial file:/proc/self/fd/9",
            "node,nodeid=1,cpus=2-3,memdev=m1",
            "memory-backend-ram,id=m0,size=512M",
        ] {
            assert!(a.contains(want), "{want:?} missing from {a}");
        }
        let bad = Launch {
            env: vec![("K".into(), "has space".into())],
            ..l
        };
        assert!(args(&bad, "x").is_err());
    }
}
