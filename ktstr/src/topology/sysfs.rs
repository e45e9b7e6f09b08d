//! [`TestTopology::from_sysfs`]: read a topology from a sysfs tree.
//!
//! Every path is joined to a root directory, `/` for the host, so tests can
//! point the reader at a fake tree in a temp dir. Files read, relative to
//! `<root>/sys/devices/system`:
//!
//! - `cpu/online`: the CPUs (required, non-empty).
//! - `cpu/cpuN/topology/thread_siblings_list`: SMT siblings (default: the
//!   CPU alone).
//! - `cpu/cpuN/cache/index*/{level,type,id,shared_cpu_list,size}`: the LLC
//!   is the highest-level data or unified cache (index3 on most x86). CPUs
//!   share an LLC when its `shared_cpu_list` says so (the kernel's LLC
//!   mask, which its scheduler domains use); only without that file are
//!   they grouped by `id`. The LLC's id is `id` of its first CPU, else that
//!   CPU's number. (qemu's emulated AMD CPU under TCG gives the two cores of
//!   one socket distinct L3 `id`s while `shared_cpu_list` is `0-1`.) CPUs
//!   without cache information share one LLC of level 0.
//! - `node/online`, `node/nodeN/{cpulist,distance}`: NUMA nodes (default:
//!   one node 0 holding every CPU). A distance row of the wrong length is
//!   ignored and 10/20 used instead.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::model::{LlcParts, NodeParts, Parts};
use super::{TestTopology, TopologyError};
use crate::cpuset::CpuSet;

fn errno_of(e: &std::io::Error) -> nix::errno::Errno {
    nix::errno::Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))
}

/// Read a file; Ok(None) when it does not exist.
fn read_opt(path: &Path) -> Result<Option<String>, TopologyError> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s.trim().to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(TopologyError::Read {
            path: path.to_path_buf(),
            errno: errno_of(&e),
        }),
    }
}

/// Read a cpu list; Ok(None) when the file does not exist.
fn read_list(path: &Path) -> Result<Option<CpuSet>, TopologyError> {
    read_opt(path)?
        .map(|s| {
            s.parse().map_err(|source| TopologyError::ParseFile {
                path: path.to_path_buf(),
                source,
            })
        })
        .transpose()
}

/// `32768K` -> 32768, `1M` -> 1024, `65536` (bytes) -> 64.
fn parse_size_kb(s: &str) -> Option<u64> {
    if let Some(k) = s.strip_suffix('K') {
        k.parse().ok()
    } else if let Some(m) = s.strip_suffix('M') {
        m.parse::<u64>().ok().map(|m| m * 1024)
    } else {
        s.parse::<u64>().ok().map(|b| b.div_ceil(1024))
    }
}

/// The LLC of one CPU as sysfs describes it.
struct CacheInfo {
    level: u8,
    id: usize,
    /// The lowest CPU of `shared_cpu_list`, when the file exists.
    shared_first: Option<usize>,
    size_kb: Option<u64>,
}

fn llc_of_cpu(cpu_dir: &Path) -> Result<Option<CacheInfo>, TopologyError> {
    let cache = cpu_dir.join("cache");
    let Ok(entries) = std::fs::read_dir(&cache) else {
        return Ok(None);
    };
    let mut best: Option<CacheInfo> = None;
    let mut names: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("index"))
        .map(|e| e.path())
        .collect();
    names.sort();
    for dir in names {
        let Some(level) = read_opt(&dir.join("level"))?.and_then(|l| l.parse::<u8>().ok()) else {
            continue;
        };
        if read_opt(&dir.join("type"))?.as_deref() == Some("Instruction") {
            continue;
        }
        if best.as_ref().is_some_and(|b| b.level >= level) {
            continue;
        }
        let shared_first = read_list(&dir.join("shared_cpu_list"))?.and_then(|s| s.iter().next());
        let id = read_opt(&dir.join("id"))?
            .and_then(|i| i.parse().ok())
            .or(shared_first)
            .unwrap_or(0);
        let size_kb = read_opt(&dir.join("size"))?.and_then(|s| parse_size_kb(&s));
        best = Some(CacheInfo {
            level,
            id,
            shared_first,
            size_kb,
        });
    }
    Ok(best)
}

fn read_nodes(node_dir: &Path, cpus: &CpuSet) -> Result<Vec<NodeParts>, TopologyError> {
    let ids = match read_list(&node_dir.join("online"))? {
        Some(ids) if !ids.is_empty() => ids,
        _ => {
            return Ok(vec![NodeParts {
                id: 0,
                cpus: cpus.clone(),
                distances: BTreeMap::new(),
            }])
        }
    };
    let order: Vec<usize> = ids.iter().collect();
    let mut nodes = Vec::with_capacity(order.len());
    for &id in &order {
        let dir = node_dir.join(format!("node{id}"));
        let node_cpus = read_list(&dir.join("cpulist"))?
            .unwrap_or_default()
            .intersection(cpus);
        let row: Vec<u32> = read_opt(&dir.join("distance"))?
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|d| d.parse().ok())
            .collect();
        let distances = if row.len() == order.len() {
            order.iter().copied().zip(row).collect()
        } else {
            BTreeMap::new()
        };
        nodes.push(NodeParts {
            id,
            cpus: node_cpus,
            distances,
        });
    }
    // A CPU no node lists (should not happen) joins the first node, so every
    // CPU has one.
    let listed: CpuSet = nodes.iter().flat_map(|n| n.cpus.iter()).collect();
    let orphans = cpus.difference(&listed);
    nodes[0].cpus.extend(orphans.iter());
    Ok(nodes)
}

impl TestTopology {
    /// The host's topology, from `/sys`.
    pub fn from_system() -> Result<TestTopology, TopologyError> {
        TestTopology::from_sysfs(Path::new("/"))
    }

    /// The topology described by the sysfs tree under `root` (so
    /// `root/sys/devices/system/cpu/online` is the first file read); see
    /// the module doc for every file and fallback.
    pub fn from_sysfs(root: &Path) -> Result<TestTopology, TopologyError> {
        let system = root.join("sys/devices/system");
        let cpu_dir = system.join("cpu");
        let online_path = cpu_dir.join("online");
        let cpus = read_list(&online_path)?.ok_or_else(|| TopologyError::Read {
            path: online_path.clone(),
            errno: nix::errno::Errno::ENOENT,
        })?;
        if cpus.is_empty() {
            return Err(TopologyError::NoCpus { path: online_path });
        }
        let mut cores: BTreeSet<CpuSet> = BTreeSet::new();
        // Keyed by level, then the first CPU of shared_cpu_list (true) or,
        // without one, the id (false); the value starts with the LLC's id.
        type Group = (usize, Option<u64>, CpuSet);
        let mut groups: BTreeMap<(u8, bool, usize), Group> = BTreeMap::new();
        let mut uncached = CpuSet::new();
        for cpu in cpus.iter() {
            let dir = cpu_dir.join(format!("cpu{cpu}"));
            let siblings = read_list(&dir.join("topology/thread_siblings_list"))?
                .map(|s| s.intersection(&cpus))
                .filter(|s| s.contains(cpu))
                .unwrap_or_else(|| [cpu].into());
            cores.insert(siblings);
            match llc_of_cpu(&dir)? {
                Some(c) => {
                    let key = match c.shared_first {
                        Some(first) => (c.level, true, first),
                        None => (c.level, false, c.id),
                    };
                    let entry = groups.entry(key).or_insert((c.id, None, CpuSet::new()));
                    entry.1 = entry.1.or(c.size_kb);
                    entry.2.insert(cpu);
                }
                None => {
                    uncached.insert(cpu);
                }
            }
        }
        let mut llcs: Vec<LlcParts> = groups
            .into_iter()
            .map(|((level, _, _), (id, size_kb, cpus))| LlcParts {
                id,
                level,
                size_kb,
                cpus,
            })
            .collect();
        let first_uncached = uncached.iter().next();
        if let Some(first) = first_uncached {
            llcs.push(LlcParts {
                id: first,
                level: 0,
                size_kb: None,
                cpus: uncached,
            });
        }
        let nodes = read_nodes(&system.join("node"), &cpus)?;
        TestTopology::from_parts(Parts {
            cpus,
            cores: cores.into_iter().collect(),
            llcs,
            nodes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake sysfs: `cpus` CPUs, two per core when `smt`, `per_llc` CPUs
    /// per L3, and two nodes splitting the CPUs in half when `numa`.
    fn fake_tree(cpus: usize, smt: bool, per_llc: usize, numa: bool) -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        let sys = tmp.path().join("sys/devices/system");
        let w = |rel: &str, text: &str| {
            let p = sys.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, format!("{text}\n")).unwrap();
        };
        w("cpu/online", &format!("0-{}", cpus - 1));
        for c in 0..cpus {
            let sib = if smt {
                format!("{}-{}", c & !1, c | 1)
            } else {
                c.to_string()
            };
            w(&format!("cpu/cpu{c}/topology/thread_siblings_list"), &sib);
            w(&format!("cpu/cpu{c}/cache/index0/level"), "1");
            w(&format!("cpu/cpu{c}/cache/index0/type"), "Data");
            w(&format!("cpu/cpu{c}/cache/index0/id"), &c.to_string());
            w(&format!("cpu/cpu{c}/cache/index1/level"), "1");
            w(&format!("cpu/cpu{c}/cache/index1/type"), "Instruction");
            let l = c / per_llc;
            w(&format!("cpu/cpu{c}/cache/index3/level"), "3");
            w(&format!("cpu/cpu{c}/cache/index3/type"), "Unified");
            w(&format!("cpu/cpu{c}/cache/index3/id"), &(l * 7).to_string());
            w(&format!("cpu/cpu{c}/cache/index3/size"), "32768K");
            let lo = l * per_llc;
            w(
                &format!("cpu/cpu{c}/cache/index3/shared_cpu_list"),
                &format!("{lo}-{}", lo + per_llc - 1),
            );
        }
        if numa {
            let half = cpus / 2;
            w("node/online", "0-1");
            w("node/node0/cpulist", &format!("0-{}", half - 1));
            w("node/node1/cpulist", &format!("{half}-{}", cpus - 1));
            w("node/node0/distance", "10 21");
            w("node/node1/distance", "21 10");
        }
        tmp
    }

    #[test]
    fn topology_reads_a_fake_sysfs_tree() {
        let tmp = fake_tree(8, true, 4, true);
        let t = TestTopology::from_sysfs(tmp.path()).unwrap();
        assert_eq!(t.total_cpus(), 8);
        assert!(t.has_smt());
        assert_eq!(t.cores().len(), 4);
        assert_eq!(t.smt_siblings(5).unwrap().to_string(), "4-5");
        assert_eq!(t.num_llcs(), 2);
        assert_eq!(t.llcs()[1].id(), 7);
        assert_eq!(t.llcs()[1].cpus().to_string(), "4-7");
        assert_eq!(t.llcs()[0].size_kb(), Some(32768));
        assert_eq!(t.llcs()[0].level(), 3);
        assert_eq!(t.llcs()[0].num_cores(), 2);
        assert_eq!(t.num_nodes(), 2);
        assert_eq!(t.numa_distance(0, 1), Some(21));
        assert_eq!(t.numa_distance(1, 1), Some(10));
        assert_eq!(t.node_of(6), Some(1));
        assert_eq!(t.llcs()[1].node(), 1);
    }

    #[test]
    fn cpus_sharing_a_cache_are_one_llc_even_with_distinct_ids() {
        // What a 1-socket, 2-core TCG guest shows: L3 ids 0 and 1, both
        // with shared_cpu_list 0-1.
        let tmp = fake_tree(2, false, 2, false);
        let cache = tmp.path().join("sys/devices/system/cpu/cpu1/cache/index3");
        std::fs::write(cache.join("id"), "1\n").unwrap();
        let t = TestTopology::from_sysfs(tmp.path()).unwrap();
        assert_eq!(t.num_llcs(), 1);
        assert_eq!(t.llcs()[0].cpus().to_string(), "0-1");
        assert_eq!(t.llcs()[0].id(), 0);
        // Without shared_cpu_list, the ids decide.
        for c in 0..2 {
            let f = format!("sys/devices/system/cpu/cpu{c}/cache/index3/shared_cpu_list");
            std::fs::remove_file(tmp.path().join(f)).unwrap();
        }
        let t = TestTopology::from_sysfs(tmp.path()).unwrap();
        assert_eq!(t.num_llcs(), 2);
        assert_eq!(t.llcs()[1].id(), 1);
    }

    #[test]
    fn topology_defaults_without_numa_or_cache_information() {
        let tmp = tempfile::tempdir().unwrap();
        let cpu = tmp.path().join("sys/devices/system/cpu");
        std::fs::create_dir_all(&cpu).unwrap();
        std::fs::write(cpu.join("online"), "0-2,5\n").unwrap();
        let t = TestTopology::from_sysfs(tmp.path()).unwrap();
        assert_eq!(t.all_cpus().to_string(), "0-2,5");
        assert_eq!(t.num_llcs(), 1);
        assert_eq!(t.llcs()[0].level(), 0);
        assert_eq!(t.num_nodes(), 1);
        assert_eq!(t.numa_distance(0, 0), Some(10));
        assert!(!t.has_smt());
    }

    #[test]
    fn topology_sysfs_errors_name_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let e = TestTopology::from_sysfs(tmp.path()).unwrap_err();
        assert!(e.to_string().contains("cpu/online"), "{e}");
        let cpu = tmp.path().join("sys/devices/system/cpu");
        std::fs::create_dir_all(&cpu).unwrap();
        std::fs::write(cpu.join("online"), "\n").unwrap();
        let e = TestTopology::from_sysfs(tmp.path()).unwrap_err();
        assert!(matches!(e, TopologyError::NoCpus { .. }), "{e}");
        std::fs::write(cpu.join("online"), "0-x\n").unwrap();
        let e = TestTopology::from_sysfs(tmp.path()).unwrap_err();
        assert!(e.to_string().contains("online"), "{e}");
    }

    #[test]
    fn topology_of_this_host_is_consistent() {
        let t = TestTopology::from_system().unwrap();
        assert!(t.total_cpus() >= 1);
        let llc_cpus: CpuSet = t.llcs().iter().flat_map(|l| l.cpus().iter()).collect();
        assert_eq!(&llc_cpus, t.all_cpus());
    }

    #[test]
    fn topology_parses_cache_sizes() {
        assert_eq!(parse_size_kb("32K"), Some(32));
        assert_eq!(parse_size_kb("2M"), Some(2048));
        assert_eq!(parse_size_kb("1500"), Some(2));
        assert_eq!(parse_size_kb("x"), None);
    }
}
