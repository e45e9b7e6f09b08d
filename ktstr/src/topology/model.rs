//! The data model of [`TestTopology`] and its queries.

use std::collections::BTreeMap;

use super::TopologyError;
use crate::cpuset::CpuSet;

/// The distance the kernel reports from a NUMA node to itself.
pub const LOCAL_DISTANCE: u32 = 10;
/// The distance used between different nodes when sysfs gives none.
pub const REMOTE_DISTANCE: u32 = 20;

/// One physical core: the CPUs (hardware threads) that are its SMT siblings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Core {
    cpus: CpuSet,
    llc: usize,
}

impl Core {
    /// The core's CPUs; more than one when SMT is on.
    pub fn cpus(&self) -> &CpuSet {
        &self.cpus
    }

    /// Index (into [`TestTopology::llcs`]) of the LLC the core belongs to.
    pub fn llc_index(&self) -> usize {
        self.llc
    }
}

/// One last-level cache and the CPUs that share it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Llc {
    id: usize,
    level: u8,
    size_kb: Option<u64>,
    cpus: CpuSet,
    node: usize,
    cores: usize,
}

impl Llc {
    /// The cache id from sysfs (`cache/indexN/id`), or the LLC's position
    /// for a synthetic topology. LLCs are ordered by this id.
    pub fn id(&self) -> usize {
        self.id
    }

    /// The cache level (3 for an L3); 0 when the host reports no caches.
    pub fn level(&self) -> u8 {
        self.level
    }

    /// The cache size in KiB, when known.
    pub fn size_kb(&self) -> Option<u64> {
        self.size_kb
    }

    /// The CPUs sharing this cache.
    pub fn cpus(&self) -> &CpuSet {
        &self.cpus
    }

    /// Id of the NUMA node of the LLC's first CPU.
    pub fn node(&self) -> usize {
        self.node
    }

    /// Number of cores in this LLC.
    pub fn num_cores(&self) -> usize {
        self.cores
    }
}

/// One NUMA node: its CPUs and its distances to every node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumaNode {
    id: usize,
    cpus: CpuSet,
    distances: BTreeMap<usize, u32>,
}

impl NumaNode {
    /// The node id (`nodeN`).
    pub fn id(&self) -> usize {
        self.id
    }

    /// The node's online CPUs; empty for a memory-only node.
    pub fn cpus(&self) -> &CpuSet {
        &self.cpus
    }

    /// Whether the node has memory but no CPUs.
    pub fn is_memory_only(&self) -> bool {
        self.cpus.is_empty()
    }

    /// The distance to node `other` (10 to itself), if `other` exists.
    pub fn distance_to(&self, other: usize) -> Option<u32> {
        self.distances.get(&other).copied()
    }
}

/// Where a CPU sits: indices into the topology's vectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Place {
    core: usize,
    llc: usize,
    node: usize,
}

/// The description of an LLC that [`Parts`] carries.
#[derive(Clone, Debug)]
pub(super) struct LlcParts {
    pub(super) id: usize,
    pub(super) level: u8,
    pub(super) size_kb: Option<u64>,
    pub(super) cpus: CpuSet,
}

/// The description of a node that [`Parts`] carries.
#[derive(Clone, Debug)]
pub(super) struct NodeParts {
    pub(super) id: usize,
    pub(super) cpus: CpuSet,
    /// Distance to each node id; filled with 10/20 where missing.
    pub(super) distances: BTreeMap<usize, u32>,
}

/// What the constructors gather before [`TestTopology::from_parts`] checks
/// and indexes it.
#[derive(Clone, Debug)]
pub(super) struct Parts {
    pub(super) cpus: CpuSet,
    pub(super) cores: Vec<CpuSet>,
    pub(super) llcs: Vec<LlcParts>,
    pub(super) nodes: Vec<NodeParts>,
}

/// The CPUs, cores, LLCs and NUMA nodes of a machine (real or made up).
///
/// Invariants, checked on construction: at least one CPU; every CPU is in
/// exactly one core, one LLC and one NUMA node; a core lies within one LLC.
/// Nodes without CPUs (memory-only) are allowed.
///
/// *CPU* here always means a logical CPU id as the kernel numbers it (a
/// hardware thread); ids need not be contiguous (offline CPUs leave gaps).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestTopology {
    cpus: CpuSet,
    cores: Vec<Core>,
    llcs: Vec<Llc>,
    nodes: Vec<NumaNode>,
    place: BTreeMap<usize, Place>,
}

fn inconsistent(reason: String) -> TopologyError {
    TopologyError::Inconsistent { reason }
}

/// For each CPU of `all`, the index of the one group of `groups` that holds
/// it; an error names a CPU in no group or in two.
fn index_of(
    all: &CpuSet,
    groups: &[&CpuSet],
    what: &str,
) -> Result<BTreeMap<usize, usize>, TopologyError> {
    let mut map = BTreeMap::new();
    for (i, g) in groups.iter().enumerate() {
        for cpu in g.iter() {
            if !all.contains(cpu) {
                return Err(inconsistent(format!(
                    "{what} {i} holds CPU {cpu}, which is not online"
                )));
            }
            if let Some(prev) = map.insert(cpu, i) {
                return Err(inconsistent(format!(
                    "CPU {cpu} is in {what} {prev} and {what} {i}"
                )));
            }
        }
    }
    if let Some(cpu) = all.iter().find(|c| !map.contains_key(c)) {
        return Err(inconsistent(format!("CPU {cpu} is in no {what}")));
    }
    Ok(map)
}

impl TestTopology {
    /// Check `parts` and build the indexed topology.
    pub(super) fn from_parts(mut parts: Parts) -> Result<TestTopology, TopologyError> {
        if parts.cpus.is_empty() {
            return Err(inconsistent("there are no CPUs".into()));
        }
        parts.llcs.sort_by_key(|l| l.id);
        parts.nodes.sort_by_key(|n| n.id);
        parts.cores.sort_by_key(|c| c.iter().next());
        if parts.cores.iter().any(CpuSet::is_empty) || parts.llcs.iter().any(|l| l.cpus.is_empty())
        {
            return Err(inconsistent("a core or an LLC has no CPUs".into()));
        }
        let core_of = index_of(&parts.cpus, &parts.cores.iter().collect::<Vec<_>>(), "core")?;
        let llc_of = index_of(
            &parts.cpus,
            &parts.llcs.iter().map(|l| &l.cpus).collect::<Vec<_>>(),
            "LLC",
        )?;
        let node_of = index_of(
            &parts.cpus,
            &parts.nodes.iter().map(|n| &n.cpus).collect::<Vec<_>>(),
            "NUMA node",
        )?;
        let mut cores = Vec::with_capacity(parts.cores.len());
        let mut per_llc = vec![0usize; parts.llcs.len()];
        for (i, cpus) in parts.cores.into_iter().enumerate() {
            let llcs: CpuSet = cpus.iter().map(|c| llc_of[&c]).collect();
            if llcs.len() != 1 {
                return Err(inconsistent(format!("core {i} ({cpus}) spans LLCs {llcs}")));
            }
            let llc = llcs.iter().next().unwrap_or(0);
            per_llc[llc] += 1;
            cores.push(Core { cpus, llc });
        }
        let node_ids: Vec<usize> = parts.nodes.iter().map(|n| n.id).collect();
        let llcs = parts
            .llcs
            .into_iter()
            .zip(per_llc)
            .map(|(l, cores)| {
                let first = l.cpus.iter().next().unwrap_or(0);
                Llc {
                    node: node_ids[node_of[&first]],
                    id: l.id,
                    level: l.level,
                    size_kb: l.size_kb,
                    cpus: l.cpus,
                    cores,
                }
            })
            .collect();
        let nodes = parts
            .nodes
            .into_iter()
            .map(|n| {
                let distances = node_ids
                    .iter()
                    .map(|&to| {
                        let default = if to == n.id {
                            LOCAL_DISTANCE
                        } else {
                            REMOTE_DISTANCE
                        };
                        (to, n.distances.get(&to).copied().unwrap_or(default))
                    })
                    .collect();
                NumaNode {
                    id: n.id,
                    cpus: n.cpus,
                    distances,
                }
            })
            .collect();
        let place = parts
            .cpus
            .iter()
            .map(|c| {
                let p = Place {
                    core: core_of[&c],
                    llc: llc_of[&c],
                    node: node_of[&c],
                };
                (c, p)
            })
            .collect();
        Ok(TestTopology {
            cpus: parts.cpus,
            cores,
            llcs,
            nodes,
            place,
        })
    }

    /// Every CPU.
    pub fn all_cpus(&self) -> &CpuSet {
        &self.cpus
    }

    /// Number of CPUs.
    pub fn total_cpus(&self) -> usize {
        self.cpus.len()
    }

    /// The CPUs tests should put workers on: every CPU but the highest when
    /// there are more than 2 (that one is left to the harness and the
    /// rest of the system); all of them on a machine of 1 or 2 CPUs.
    pub fn usable_cpus(&self) -> CpuSet {
        match self.cpus.last() {
            Some(last) if self.cpus.len() > 2 => self.cpus.iter().filter(|&c| c != last).collect(),
            _ => self.cpus.clone(),
        }
    }

    /// The cores, ordered by their first CPU.
    pub fn cores(&self) -> &[Core] {
        &self.cores
    }

    /// Whether any core has more than one CPU.
    pub fn has_smt(&self) -> bool {
        self.threads_per_core() > 1
    }

    /// The most CPUs any core has (1 without SMT).
    pub fn threads_per_core(&self) -> usize {
        self.cores.iter().map(|c| c.cpus.len()).max().unwrap_or(1)
    }

    /// The SMT siblings of `cpu`, itself included; None for an unknown CPU.
    pub fn smt_siblings(&self, cpu: usize) -> Option<&CpuSet> {
        self.place.get(&cpu).map(|p| &self.cores[p.core].cpus)
    }

    /// The LLCs, ordered by cache id.
    pub fn llcs(&self) -> &[Llc] {
        &self.llcs
    }

    /// Number of LLCs.
    pub fn num_llcs(&self) -> usize {
        self.llcs.len()
    }

    /// Index (into [`llcs`](Self::llcs)) of the LLC of `cpu`.
    pub fn llc_of(&self, cpu: usize) -> Option<usize> {
        self.place.get(&cpu).map(|p| p.llc)
    }

    /// The NUMA nodes, ordered by id (memory-only nodes included).
    pub fn nodes(&self) -> &[NumaNode] {
        &self.nodes
    }

    /// Number of NUMA nodes.
    pub fn num_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// The node ids, as a set (the syntax of `cpuset.mems`).
    pub fn node_ids(&self) -> CpuSet {
        self.nodes.iter().map(NumaNode::id).collect()
    }

    /// The node with id `node`.
    pub fn node(&self, node: usize) -> Option<&NumaNode> {
        self.nodes.iter().find(|n| n.id == node)
    }

    /// The id of the NUMA node of `cpu`.
    pub fn node_of(&self, cpu: usize) -> Option<usize> {
        self.place.get(&cpu).map(|p| self.nodes[p.node].id)
    }

    /// The distance between nodes `a` and `b`; None if either is unknown.
    pub fn numa_distance(&self, a: usize, b: usize) -> Option<u32> {
        self.node(a)?.distance_to(b)
    }

    /// The ids of the nodes that hold at least one CPU of `cpus` (what a
    /// cgroup with that cpuset would use for `cpuset.mems`).
    pub fn nodes_for_cpuset(&self, cpus: &CpuSet) -> CpuSet {
        cpus.iter().filter_map(|c| self.node_of(c)).collect()
    }

    /// Check that `cpus` is non-empty and names only CPUs of this topology.
    pub fn check_cpuset(&self, cpus: &CpuSet) -> Result<(), TopologyError> {
        if cpus.is_empty() {
            return Err(TopologyError::EmptyCpuset);
        }
        let unknown = cpus.difference(&self.cpus);
        if !unknown.is_empty() {
            return Err(TopologyError::UnknownCpus {
                cpus: cpus.to_string(),
                unknown,
                known: self.cpus.clone(),
            });
        }
        Ok(())
    }

    /// Parse a cpu-list string (`0-3,8,10-11`) and check it with
    /// [`check_cpuset`](Self::check_cpuset): malformed text, an empty set
    /// and unknown CPUs are errors.
    pub fn parse_cpuset(&self, text: &str) -> Result<CpuSet, TopologyError> {
        let cpus: CpuSet = text.parse()?;
        self.check_cpuset(&cpus)?;
        Ok(cpus)
    }

    /// Print `cpus` as a cpu list (`0-3,8,10-11`; empty for the empty set).
    pub fn cpuset_string(cpus: &CpuSet) -> String {
        cpus.to_string()
    }
}
