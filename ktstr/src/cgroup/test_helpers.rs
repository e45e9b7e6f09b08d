//! A fake cgroupfs in a temp dir for unit tests: [`FakeFs`] creates the
//! control files the kernel would on `mkdir`, applies the kernel's rules
//! that the protocols depend on, and logs every operation so tests can
//! check the protocol's order.
//!
//! Emulated rules (v2): control files of a controller appear in a child
//! only when the parent's `cgroup.subtree_control` enables it;
//! `subtree_control` only takes controllers listed in `cgroup.controllers`;
//! `cgroup.threads` only takes tids in a `threaded` cgroup; effective
//! cpus/mems follow `cpuset.cpus`/`mems` or the parent's. (v1): a child's
//! cpus/mems must be a subset of its parent's (else EACCES). Both: a task id that names
//! no live task is ESRCH; a task moves out of every other cgroup of the
//! tree; `rmdir` of a cgroup with tasks is EBUSY, with children ENOTEMPTY.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::fs::CgroupFs;
use super::Hierarchy;
use crate::cpuset::CpuSet;

/// Which kernel the fake imitates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavour {
    V1,
    V2,
}

/// See the module doc.
#[derive(Debug)]
pub(crate) struct FakeFs {
    root: PathBuf,
    flavour: Flavour,
    log: Mutex<Vec<String>>,
    /// Operations whose log line contains the needle fail with the errno.
    fail: Mutex<Vec<(String, i32)>>,
}

fn err(code: i32) -> io::Error {
    io::Error::from_raw_os_error(code)
}

fn put(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

fn get(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .trim()
        .to_string()
}

const TASK_FILES: [&str; 3] = ["cgroup.procs", "cgroup.threads", "tasks"];

impl FakeFs {
    /// A fake of `flavour` in `tmp` with CPUs `cpus` and node 0, and the
    /// hierarchy that points at it.
    pub(crate) fn new(tmp: &Path, flavour: Flavour, cpus: &str) -> (Arc<FakeFs>, Hierarchy) {
        let (h, roots) = match flavour {
            Flavour::V2 => {
                let root = tmp.join("unified");
                (Hierarchy::V2 { root: root.clone() }, vec![root])
            }
            Flavour::V1 => {
                let (a, b) = (tmp.join("cpuset"), tmp.join("cpu"));
                (
                    Hierarchy::V1 {
                        cpuset: a.clone(),
                        cpu: b.clone(),
                    },
                    vec![a, b],
                )
            }
        };
        for root in &roots {
            std::fs::create_dir_all(root).unwrap();
            for f in TASK_FILES {
                put(&root.join(f), "");
            }
            match flavour {
                Flavour::V2 => {
                    put(
                        &root.join("cgroup.controllers"),
                        "cpuset cpu io memory pids",
                    );
                    put(&root.join("cgroup.subtree_control"), "memory");
                    put(&root.join("cpuset.cpus.effective"), cpus);
                    put(&root.join("cpuset.mems.effective"), "0");
                }
                Flavour::V1 => {
                    put(&root.join("cpuset.cpus"), cpus);
                    put(&root.join("cpuset.mems"), "0");
                    put(&root.join("cpuset.effective_cpus"), cpus);
                    put(&root.join("cpuset.effective_mems"), "0");
                }
            }
        }
        let fs = FakeFs {
            root: tmp.to_path_buf(),
            flavour,
            log: Mutex::new(Vec::new()),
            fail: Mutex::new(Vec::new()),
        };
        (Arc::new(fs), h)
    }

    /// Every operation so far: `mkdir <rel>`, `rmdir <rel>`,
    /// `write <rel> <value>` (paths relative to the temp dir).
    pub(crate) fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Forget the log.
    pub(crate) fn clear_log(&self) {
        self.log.lock().unwrap().clear();
    }

    /// Fail every later `mkdir` or write whose log line contains `needle`
    /// (e.g. `"a/cgroup.subtree_control"`) with `errno`.
    pub(crate) fn fail_on(&self, needle: &str, errno: i32) {
        self.fail.lock().unwrap().push((needle.into(), errno));
    }

    fn injected(&self, line: &str) -> io::Result<()> {
        match self
            .fail
            .lock()
            .unwrap()
            .iter()
            .find(|(n, _)| line.contains(n.as_str()))
        {
            Some((_, e)) => Err(err(*e)),
            None => Ok(()),
        }
    }

    fn rel(&self, p: &Path) -> String {
        p.strip_prefix(&self.root)
            .unwrap_or(p)
            .display()
            .to_string()
    }

    fn record(&self, line: String) -> io::Result<()> {
        self.log.lock().unwrap().push(line.clone());
        self.injected(&line)
    }

    fn populate(&self, dir: &Path) {
        let parent = dir.parent().unwrap();
        for f in TASK_FILES {
            put(&dir.join(f), "");
        }
        match self.flavour {
            Flavour::V2 => {
                let enabled = get(&parent.join("cgroup.subtree_control"));
                put(&dir.join("cgroup.controllers"), &enabled);
                put(&dir.join("cgroup.subtree_control"), "");
                put(&dir.join("cgroup.type"), "domain");
                let on: Vec<&str> = enabled.split_whitespace().collect();
                if on.contains(&"cpuset") {
                    put(&dir.join("cpuset.cpus"), "");
                    put(&dir.join("cpuset.mems"), "");
                    put(
                        &dir.join("cpuset.cpus.effective"),
                        &get(&parent.join("cpuset.cpus.effective")),
                    );
                    put(
                        &dir.join("cpuset.mems.effective"),
                        &get(&parent.join("cpuset.mems.effective")),
                    );
                }
                if on.contains(&"cpu") {
                    put(&dir.join("cpu.weight"), "100");
                    put(&dir.join("cpu.max"), "max 100000");
                }
            }
            Flavour::V1 => {
                put(&dir.join("cpuset.cpus"), "");
                put(&dir.join("cpuset.mems"), "");
                put(&dir.join("cpuset.effective_cpus"), "");
                put(&dir.join("cpuset.effective_mems"), "");
                put(&dir.join("cpu.shares"), "1024");
                put(&dir.join("cpu.cfs_quota_us"), "-1");
                put(&dir.join("cpu.cfs_period_us"), "100000");
            }
        }
    }

    /// The directory tree under the root that holds `dir` (a whole
    /// hierarchy), for moving a task out of every other cgroup.
    fn tree_root(&self, dir: &Path) -> PathBuf {
        let rel = dir.strip_prefix(&self.root).unwrap();
        self.root.join(rel.components().next().unwrap())
    }

    fn remove_id_everywhere(dir: &Path, file: &str, id: &str) {
        let path = dir.join(file);
        if path.exists() {
            let kept: Vec<String> = get(&path)
                .lines()
                .filter(|l| *l != id)
                .map(str::to_string)
                .collect();
            put(&path, &kept.join("\n"));
        }
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                Self::remove_id_everywhere(&e.path(), file, id);
            }
        }
    }

    fn move_id(&self, dir: &Path, file: &str, value: &str) -> io::Result<()> {
        let id: i32 = value.trim().parse().map_err(|_| err(libc::EINVAL))?;
        if id <= 0 || !Path::new(&format!("/proc/{id}")).exists() {
            return Err(err(libc::ESRCH));
        }
        if self.flavour == Flavour::V2 && file == "cgroup.threads" {
            let ty = get(&dir.join("cgroup.type"));
            if dir.join("cgroup.type").exists() && ty != "threaded" && ty != "domain threaded" {
                return Err(err(libc::EOPNOTSUPP));
            }
        }
        // A process move takes all its threads along.
        let mut ids = vec![id.to_string()];
        if file == "cgroup.procs" {
            if let Ok(tasks) = std::fs::read_dir(format!("/proc/{id}/task")) {
                ids.extend(
                    tasks
                        .flatten()
                        .map(|t| t.file_name().to_string_lossy().into_owned()),
                );
            }
        }
        for id in &ids {
            for f in TASK_FILES {
                Self::remove_id_everywhere(&self.tree_root(dir), f, id);
            }
        }
        let append = |file: &str, ids: &[String]| {
            let path = dir.join(file);
            let mut now: Vec<String> = get(&path).lines().map(str::to_string).collect();
            now.extend(ids.iter().cloned());
            put(&path, &now.join("\n"));
        };
        append(file, &ids[..1]);
        if file == "cgroup.procs" {
            // The process's threads are members too.
            let threads = if self.flavour == Flavour::V1 {
                "tasks"
            } else {
                "cgroup.threads"
            };
            append(threads, &ids[1..]);
        }
        Ok(())
    }

    fn apply(&self, path: &Path, value: &str) -> io::Result<()> {
        let dir = path.parent().unwrap();
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let parent = dir.parent().unwrap();
        match file.as_str() {
            "cgroup.procs" | "cgroup.threads" | "tasks" => return self.move_id(dir, &file, value),
            "cgroup.subtree_control" => {
                let avail = get(&dir.join("cgroup.controllers"));
                let mut on: Vec<String> =
                    get(path).split_whitespace().map(str::to_string).collect();
                for tok in value.split_whitespace() {
                    let (add, name) = tok.split_at(1);
                    if !avail.split_whitespace().any(|c| c == name) {
                        return Err(err(libc::ENOENT));
                    }
                    on.retain(|c| c != name);
                    if add == "+" {
                        on.push(name.to_string());
                    }
                }
                put(path, &on.join(" "));
                return Ok(());
            }
            "cgroup.type" if value != "threaded" => return Err(err(libc::EINVAL)),
            "cgroup.type" => {
                // The parent becomes the threaded subtree's domain.
                let up = parent.join("cgroup.type");
                if get(&up) == "domain" {
                    put(&up, "domain threaded");
                }
            }
            "cpuset.cpus" | "cpuset.mems" => {
                let set: CpuSet = value.parse().map_err(|_| err(libc::EINVAL))?;
                let (eff, parent_file) = match (self.flavour, file.as_str()) {
                    (Flavour::V2, "cpuset.cpus") => {
                        ("cpuset.cpus.effective", "cpuset.cpus.effective")
                    }
                    (Flavour::V2, _) => ("cpuset.mems.effective", "cpuset.mems.effective"),
                    (Flavour::V1, f) => (
                        if f == "cpuset.cpus" {
                            "cpuset.effective_cpus"
                        } else {
                            "cpuset.effective_mems"
                        },
                        f,
                    ),
                };
                let parent_set: CpuSet = get(&parent.join(parent_file)).parse().unwrap_or_default();
                if self.flavour == Flavour::V1 && !set.is_subset(&parent_set) {
                    return Err(err(libc::EACCES));
                }
                let effective = if set.is_empty() { parent_set } else { set };
                put(&dir.join(eff), &effective.to_string());
            }
            "cpu.weight" => {
                let w: u32 = value.parse().map_err(|_| err(libc::EINVAL))?;
                if !(1..=10_000).contains(&w) {
                    return Err(err(libc::ERANGE));
                }
            }
            _ => {}
        }
        put(path, value);
        Ok(())
    }
}

impl CgroupFs for FakeFs {
    fn mkdir(&self, path: &Path) -> io::Result<()> {
        self.record(format!("mkdir {}", self.rel(path)))?;
        std::fs::create_dir(path)?;
        self.populate(path);
        Ok(())
    }

    fn rmdir(&self, path: &Path) -> io::Result<()> {
        self.record(format!("rmdir {}", self.rel(path)))?;
        let mut files = Vec::new();
        for e in std::fs::read_dir(path)?.flatten() {
            if e.file_type()?.is_dir() {
                return Err(err(libc::ENOTEMPTY));
            }
            files.push(e.path());
        }
        // Tasks that exited since they were listed no longer count.
        let alive = |id: &str| Path::new(&format!("/proc/{id}")).exists();
        if TASK_FILES
            .iter()
            .any(|f| get(&path.join(f)).lines().any(alive))
        {
            return Err(err(libc::EBUSY));
        }
        for f in files {
            std::fs::remove_file(f)?;
        }
        std::fs::remove_dir(path)
    }

    fn read(&self, path: &Path) -> io::Result<String> {
        std::fs::read_to_string(path)
    }

    fn write(&self, path: &Path, value: &str) -> io::Result<()> {
        self.record(format!("write {} {value}", self.rel(path)))?;
        if !path.is_file() {
            return Err(err(libc::ENOENT));
        }
        self.apply(path, value)
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn subdirs(&self, path: &Path) -> io::Result<Vec<String>> {
        super::fs::RealFs.subdirs(path)
    }
}
