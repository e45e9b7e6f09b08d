//! [`Hierarchy`]: which cgroup hierarchy this host offers, and where.
//!
//! Detection reads `/proc/self/mountinfo`:
//!
//! 1. A `cgroup2` mount whose root `cgroup.controllers` lists both `cpuset`
//!    and `cpu` → [`Hierarchy::V2`] (pure unified hosts and VM guests).
//! 2. Else `cgroup` (v1) mounts carrying the `cpuset` and the `cpu`
//!    controller (possibly the same mount, possibly co-mounted with
//!    `cpuacct`) → [`Hierarchy::V1`] (hybrid hosts, where the unified mount
//!    at `/sys/fs/cgroup/unified` has no CPU controllers).
//! 3. Else an error that says what each hierarchy lacks.

use std::path::{Path, PathBuf};

use super::CgroupError;

/// The controllers ktstr needs.
pub const CONTROLLERS: [&str; 2] = ["cpuset", "cpu"];

/// A cgroup hierarchy offering the `cpuset` and `cpu` controllers.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Hierarchy {
    /// cgroup v2: one tree (`cgroup.procs`, `cgroup.threads`,
    /// `cgroup.subtree_control`, `cpuset.cpus`, `cpu.weight`, `cpu.max`).
    V2 {
        /// Where the unified hierarchy is mounted.
        root: PathBuf,
    },
    /// cgroup v1: one tree per controller (`tasks`, `cgroup.procs`,
    /// `cpuset.cpus`, `cpu.shares`, `cpu.cfs_quota_us`). The two paths are
    /// equal when both controllers share one mount.
    V1 {
        /// Where the `cpuset` controller is mounted.
        cpuset: PathBuf,
        /// Where the `cpu` controller is mounted.
        cpu: PathBuf,
    },
}

/// One line of mountinfo, the parts detection needs.
struct Mount {
    point: PathBuf,
    fstype: String,
    options: Vec<String>,
}

/// Undo mountinfo's octal escapes (`\040` is a space).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_mountinfo(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|line| {
            let (pre, post) = line.split_once(" - ")?;
            let point = pre.split_whitespace().nth(4)?;
            let mut post = post.split_whitespace();
            let fstype = post.next()?.to_string();
            let _source = post.next()?;
            let options = post
                .next()
                .unwrap_or("")
                .split(',')
                .map(str::to_string)
                .collect();
            Some(Mount {
                point: PathBuf::from(unescape(point)),
                fstype,
                options,
            })
        })
        .collect()
}

/// Where the cgroup v1 controller `ctl` (`freezer`, ...) is mounted on
/// this host, if it is.
pub(crate) fn v1_mount(ctl: &str) -> Option<PathBuf> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    parse_mountinfo(&text)
        .into_iter()
        .find(|m| m.fstype == "cgroup" && m.options.iter().any(|o| o == ctl))
        .map(|m| m.point)
}

impl Hierarchy {
    /// Detect this host's hierarchy from `/proc/self/mountinfo`.
    pub fn detect() -> Result<Hierarchy, CgroupError> {
        let path = Path::new("/proc/self/mountinfo");
        let text = std::fs::read_to_string(path).map_err(|e| CgroupError::Read {
            path: path.to_path_buf(),
            errno: super::error::errno_of(&e),
        })?;
        Hierarchy::detect_from(&text, Path::new("/"))
    }

    /// Detect from mountinfo `text`, reading each mount's files under
    /// `prefix` (`/` for the host; a temp dir in tests).
    pub(crate) fn detect_from(text: &str, prefix: &Path) -> Result<Hierarchy, CgroupError> {
        let under = |p: &Path| prefix.join(p.strip_prefix("/").unwrap_or(p));
        let mounts = parse_mountinfo(text);
        let mut notes = Vec::new();
        for m in mounts.iter().filter(|m| m.fstype == "cgroup2") {
            let root = under(&m.point);
            let have = std::fs::read_to_string(root.join("cgroup.controllers")).unwrap_or_default();
            let have: Vec<&str> = have.split_whitespace().collect();
            let missing: Vec<&str> = CONTROLLERS
                .iter()
                .copied()
                .filter(|c| !have.contains(c))
                .collect();
            if missing.is_empty() {
                return Ok(Hierarchy::V2 { root });
            }
            notes.push(format!(
                "cgroup v2 at {} lacks {} (cgroup.controllers: {:?})",
                m.point.display(),
                missing.join(" and "),
                have.join(" ")
            ));
        }
        let v1 = |ctl: &str| {
            mounts
                .iter()
                .find(|m| m.fstype == "cgroup" && m.options.iter().any(|o| o == ctl))
                .map(|m| under(&m.point))
        };
        match (v1("cpuset"), v1("cpu")) {
            (Some(cpuset), Some(cpu)) => Ok(Hierarchy::V1 { cpuset, cpu }),
            (cpuset, cpu) => {
                if !mounts.iter().any(|m| m.fstype == "cgroup2") {
                    notes.push("no cgroup v2 mount".into());
                }
                for (name, found) in [("cpuset", cpuset), ("cpu", cpu)] {
                    match found {
                        Some(p) => notes.push(format!("cgroup v1 {name} at {}", p.display())),
                        None => notes.push(format!("no cgroup v1 {name} mount")),
                    }
                }
                Err(CgroupError::NoHierarchy {
                    reason: notes.join("; "),
                })
            }
        }
    }

    /// 1 or 2.
    pub fn version(&self) -> u8 {
        match self {
            Hierarchy::V1 { .. } => 1,
            Hierarchy::V2 { .. } => 2,
        }
    }

    /// The distinct mount points (one for v2; one or two for v1).
    pub fn roots(&self) -> Vec<PathBuf> {
        match self {
            Hierarchy::V2 { root } => vec![root.clone()],
            Hierarchy::V1 { cpuset, cpu } if cpuset == cpu => vec![cpuset.clone()],
            Hierarchy::V1 { cpuset, cpu } => vec![cpuset.clone(), cpu.clone()],
        }
    }
}

impl std::fmt::Display for Hierarchy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Hierarchy::V2 { root } => write!(f, "cgroup v2 at {}", root.display()),
            Hierarchy::V1 { cpuset, cpu } => write!(
                f,
                "cgroup v1 (cpuset at {}, cpu at {})",
                cpuset.display(),
                cpu.display()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &str = "\
24 30 0:22 / /sys rw,nosuid shared:7 - sysfs sysfs rw
33 24 0:27 / /sys/fs/cgroup ro shared:9 - tmpfs tmpfs ro,mode=755
34 33 0:28 / /sys/fs/cgroup/unified rw shared:10 - cgroup2 cgroup2 rw,nsdelegate
37 33 0:31 / /sys/fs/cgroup/cpu,cpuacct rw shared:14 - cgroup cgroup rw,cpu,cpuacct
38 33 0:32 / /sys/fs/cgroup/cpuset rw shared:15 - cgroup cgroup rw,cpuset
";

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        for (p, text) in files {
            let p = tmp.path().join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        tmp
    }

    #[test]
    fn cgroup_detects_v1_on_a_hybrid_host() {
        let tmp = tree(&[("sys/fs/cgroup/unified/cgroup.controllers", "\n")]);
        let h = Hierarchy::detect_from(HYBRID, tmp.path()).unwrap();
        let want = Hierarchy::V1 {
            cpuset: tmp.path().join("sys/fs/cgroup/cpuset"),
            cpu: tmp.path().join("sys/fs/cgroup/cpu,cpuacct"),
        };
        assert_eq!(h, want);
        assert_eq!(h.version(), 1);
        assert_eq!(h.roots().len(), 2);
    }

    #[test]
    fn cgroup_prefers_v2_with_both_controllers() {
        let info = "30 1 0:26 / /sys/fs/cgroup rw shared:4 - cgroup2 cgroup2 rw\n";
        let tmp = tree(&[(
            "sys/fs/cgroup/cgroup.controllers",
            "cpuset cpu io memory pids\n",
        )]);
        let h = Hierarchy::detect_from(info, tmp.path()).unwrap();
        assert_eq!(
            h,
            Hierarchy::V2 {
                root: tmp.path().join("sys/fs/cgroup")
            }
        );
        // Hybrid with a complete unified mount also picks v2.
        let tmp = tree(&[("sys/fs/cgroup/unified/cgroup.controllers", "cpu cpuset\n")]);
        assert_eq!(
            Hierarchy::detect_from(HYBRID, tmp.path())
                .unwrap()
                .version(),
            2
        );
    }

    #[test]
    fn cgroup_detection_error_says_what_is_missing() {
        let info = "30 1 0:26 / /sys/fs/cgroup rw shared:4 - cgroup2 cgroup2 rw\n";
        let tmp = tree(&[("sys/fs/cgroup/cgroup.controllers", "cpu io memory\n")]);
        let e = Hierarchy::detect_from(info, tmp.path())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("lacks cpuset") && e.contains("no cgroup v1 cpuset mount"),
            "{e}"
        );
        let only_cpu = "37 33 0:31 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n";
        let e = Hierarchy::detect_from(only_cpu, tmp.path())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no cgroup v1 cpuset mount") && e.contains("v1 cpu at"),
            "{e}"
        );
    }

    #[test]
    fn cgroup_mountinfo_unescapes_and_shares_comounts() {
        assert_eq!(unescape("/a\\040b"), "/a b");
        assert_eq!(unescape("/plain\\"), "/plain\\");
        let info = "38 33 0:32 / /cg\\040x rw - cgroup cgroup rw,cpuset,cpu\n";
        let tmp = tempfile::tempdir().unwrap();
        let h = Hierarchy::detect_from(info, tmp.path()).unwrap();
        assert_eq!(h.roots(), vec![tmp.path().join("cg x")]);
    }

    #[test]
    fn cgroup_detects_this_host() {
        // Whatever the host has, detection either works or explains itself.
        match Hierarchy::detect() {
            Ok(h) => assert!(h.roots().iter().all(|r| r.is_dir()), "{h}"),
            Err(e) => assert!(e.to_string().contains("cpuset"), "{e}"),
        }
    }
}
