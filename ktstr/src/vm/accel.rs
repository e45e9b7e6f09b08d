//! KVM or TCG. `/dev/kvm` can exist and still fail (nested guests: qemu
//! prints "KVM internal error" and sits paused), so KVM is used only when a
//! probe boot prints its first console line within [`PROBE_DEADLINE`]. The
//! outcome is kept for the process and in `<cache>/accel/`, keyed by the
//! kernel (path, size, mtime) and the qemu binary (path, size, mtime), and
//! said once on stderr. `KTSTR_ACCEL=kvm|tcg` skips the probe.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use super::qemu::{self, Launch, Watch};
use super::VmSpec;

/// How long a KVM boot has to print its first console line.
pub const PROBE_DEADLINE: Duration = Duration::from_secs(4);
/// The environment variable that forces an accelerator.
pub const ENV_ACCEL: &str = "KTSTR_ACCEL";

/// A qemu accelerator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Accel {
    /// Hardware virtualization.
    Kvm,
    /// qemu's emulator (about 5× slower for guest CPU work here).
    Tcg,
}

impl Accel {
    /// The `-accel` value.
    pub fn qemu_arg(self) -> &'static str {
        match self {
            Accel::Kvm => "kvm",
            Accel::Tcg => "tcg",
        }
    }

    /// "KVM" or "TCG".
    pub fn name(self) -> &'static str {
        match self {
            Accel::Kvm => "KVM",
            Accel::Tcg => "TCG",
        }
    }
}

/// The chosen accelerator and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The accelerator.
    pub accel: Accel,
    /// Why it was chosen.
    pub why: String,
}

fn stamp(h: &mut twox_hash::XxHash3_128, p: &Path) {
    h.write(p.as_os_str().as_encoded_bytes());
    if let Ok(m) = p.metadata() {
        h.write(&m.len().to_le_bytes());
        if let Ok(t) = m.modified().and_then(|t| {
            t.duration_since(std::time::UNIX_EPOCH)
                .map_err(std::io::Error::other)
        }) {
            h.write(&t.as_nanos().to_le_bytes());
        }
    }
}

fn probe(kernel: &Path) -> Choice {
    let tcg = |why: String| Choice {
        accel: Accel::Tcg,
        why,
    };
    if std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_err()
    {
        return tcg("/dev/kvm is absent or not usable".into());
    }
    let spec = VmSpec {
        memory_mb: 256,
        ..VmSpec::DEFAULT
    };
    let l = Launch {
        kernel,
        initrd: None,
        spec: &spec,
        env: Vec::new(),
        accel: Accel::Kvm,
        deadline: PROBE_DEADLINE,
        loglevel: 7,
        boot_deadline: None,
    };
    let watch = Watch {
        first_console_line: true,
    };
    match qemu::run(&l, watch) {
        Err(e) => tcg(format!("the KVM probe could not start: {e}")),
        Ok(r) if r.console.iter().any(|l| !l.starts_with("qemu:")) && r.failure.is_none() => {
            Choice {
                accel: Accel::Kvm,
                why: "a KVM probe boot reached the kernel console".into(),
            }
        }
        Ok(r) => {
            let qemu_said: Vec<&str> = r
                .console
                .iter()
                .filter_map(|l| l.strip_prefix("qemu: "))
                .filter(|l| !l.contains("warning:"))
                .take(2)
                .collect();
            tcg(match r.failure {
                Some(f) if f.contains("KVM internal error") => {
                    format!("KVM fails on this machine ({f})")
                }
                _ if !qemu_said.is_empty() => {
                    format!("qemu with KVM failed: {}", qemu_said.join(" / "))
                }
                _ => format!(
                    "a KVM probe boot printed nothing within {} s",
                    PROBE_DEADLINE.as_secs()
                ),
            })
        }
    }
}

/// The accelerator for booting `kernel`, probed once per kernel and qemu.
pub fn choose(kernel: &Path) -> Choice {
    if let Ok(v) = std::env::var(ENV_ACCEL) {
        match v.as_str() {
            "kvm" => {
                return Choice {
                    accel: Accel::Kvm,
                    why: format!("{ENV_ACCEL}=kvm"),
                }
            }
            "tcg" => {
                return Choice {
                    accel: Accel::Tcg,
                    why: format!("{ENV_ACCEL}=tcg"),
                }
            }
            _ => eprintln!("ktstr: ignoring {ENV_ACCEL}={v:?} (expected kvm or tcg)"),
        }
    }
    static SEEN: OnceLock<Mutex<HashMap<String, Choice>>> = OnceLock::new();
    let mut h = twox_hash::XxHash3_128::new();
    stamp(&mut h, kernel);
    if let Ok(q) = qemu::find_qemu() {
        stamp(&mut h, &q);
    }
    let key = format!("{:032x}", h.finish_128());
    let seen = SEEN.get_or_init(Default::default);
    if let Some(c) = seen.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return c;
    }
    let file = super::cache_dir().join("accel").join(&key);
    let cached = std::fs::read_to_string(&file).ok().and_then(|t| {
        let (a, why) = t.split_once('\n')?;
        let accel = match a {
            "kvm" => Accel::Kvm,
            "tcg" => Accel::Tcg,
            _ => return None,
        };
        Some(Choice {
            accel,
            why: format!("{} (probed earlier)", why.trim()),
        })
    });
    let choice = cached.unwrap_or_else(|| {
        let c = probe(kernel);
        let _ = std::fs::create_dir_all(file.parent().unwrap_or(Path::new("/")));
        let _ = std::fs::write(&file, format!("{}\n{}\n", c.accel.qemu_arg(), c.why));
        c
    });
    eprintln!(
        "ktstr: VMs run with {}: {}",
        choice.accel.name(),
        choice.why
    );
    if let Ok(mut m) = seen.lock() {
        m.insert(key, choice.clone());
    }
    choice
}
