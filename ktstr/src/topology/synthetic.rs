//! [`TestTopology::synthetic`]: a made-up machine for unit tests.

use std::collections::BTreeMap;

use super::model::{LlcParts, NodeParts, Parts};
#[cfg(test)]
use super::Llc;
use super::{TestTopology, TopologyError};
use crate::cpuset::CpuSet;

impl TestTopology {
    /// A machine of `cpus` CPUs in `llcs` LLCs spread over `nodes` NUMA
    /// nodes, with 2-way SMT when `smt` is true.
    ///
    /// Layout: CPUs are numbered 0..cpus; SMT siblings are adjacent (core
    /// `c` owns CPUs `2c` and `2c+1`); cores are split over the LLCs in
    /// order, `cores / llcs` each with the last LLC taking the remainder;
    /// LLC `l` belongs to node `l * nodes / llcs`, so every node gets at
    /// least one LLC. Distances are 10 to the node itself and 20 to any
    /// other. LLC ids are their positions; sizes are unknown.
    ///
    /// Errors (no machine looks like this): a zero count; SMT with an odd
    /// CPU count; more LLCs than cores; more nodes than LLCs.
    pub fn synthetic(
        cpus: usize,
        llcs: usize,
        smt: bool,
        nodes: usize,
    ) -> Result<TestTopology, TopologyError> {
        let bad = |reason: String| Err(TopologyError::Synthetic { reason });
        if cpus == 0 || llcs == 0 || nodes == 0 {
            return bad(format!(
                "cpus ({cpus}), llcs ({llcs}) and nodes ({nodes}) must all be at least 1"
            ));
        }
        let threads = if smt { 2 } else { 1 };
        if cpus % threads != 0 {
            return bad(format!("2-way SMT needs an even CPU count, got {cpus}"));
        }
        let num_cores = cpus / threads;
        if llcs > num_cores {
            return bad(format!(
                "{llcs} LLCs need at least {llcs} cores, got {num_cores}"
            ));
        }
        if nodes > llcs {
            return bad(format!(
                "{nodes} NUMA nodes need at least {nodes} LLCs (an LLC lies within one node), got {llcs}"
            ));
        }
        let cores: Vec<CpuSet> = (0..num_cores)
            .map(|c| (c * threads..(c + 1) * threads).collect())
            .collect();
        let per = num_cores / llcs;
        let mut llc_parts = Vec::with_capacity(llcs);
        let mut node_cpus = vec![CpuSet::new(); nodes];
        for l in 0..llcs {
            let end = if l + 1 == llcs {
                num_cores
            } else {
                (l + 1) * per
            };
            let set: CpuSet = cores[l * per..end].iter().flat_map(CpuSet::iter).collect();
            node_cpus[l * nodes / llcs].extend(set.iter());
            llc_parts.push(LlcParts {
                id: l,
                level: 3,
                size_kb: None,
                cpus: set,
            });
        }
        let node_parts = node_cpus
            .into_iter()
            .enumerate()
            .map(|(id, cpus)| NodeParts {
                id,
                cpus,
                distances: BTreeMap::new(),
            })
            .collect();
        TestTopology::from_parts(Parts {
            cpus: (0..cpus).collect(),
            cores,
            llcs: llc_parts,
            nodes: node_parts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every combination the issue names: 1, 2, 8, 64, 256 CPUs; 1-4 LLCs;
    /// SMT on and off; 1-4 nodes. Impossible machines must be errors; every
    /// possible one must satisfy the model's invariants.
    #[test]
    fn topology_synthetic_matrix_holds_its_invariants() {
        let mut built = 0;
        for cpus in [1, 2, 8, 64, 256] {
            for llcs in 1..=4 {
                for smt in [false, true] {
                    for nodes in 1..=4 {
                        let threads = if smt { 2 } else { 1 };
                        let possible =
                            cpus % threads == 0 && llcs <= cpus / threads && nodes <= llcs;
                        let t = TestTopology::synthetic(cpus, llcs, smt, nodes);
                        let what = format!("cpus={cpus} llcs={llcs} smt={smt} nodes={nodes}");
                        if !possible {
                            let e = t.expect_err(&what);
                            assert!(matches!(e, TopologyError::Synthetic { .. }), "{what}: {e}");
                            continue;
                        }
                        let t = t.unwrap_or_else(|e| panic!("{what}: {e}"));
                        check(&t, cpus, llcs, smt, nodes, &what);
                        built += 1;
                    }
                }
            }
        }
        assert!(built > 50, "only {built} topologies built");
    }

    fn check(t: &TestTopology, cpus: usize, llcs: usize, smt: bool, nodes: usize, what: &str) {
        let all: CpuSet = (0..cpus).collect();
        assert_eq!(t.all_cpus(), &all, "{what}");
        assert_eq!(t.total_cpus(), cpus, "{what}");
        assert_eq!(t.num_llcs(), llcs, "{what}");
        assert_eq!(t.num_nodes(), nodes, "{what}");
        assert_eq!(t.has_smt(), smt, "{what}");
        assert_eq!(t.cores().len(), cpus / if smt { 2 } else { 1 }, "{what}");
        // Usable: all but the last CPU above 2 CPUs.
        let usable = t.usable_cpus();
        assert_eq!(
            usable.len(),
            if cpus > 2 { cpus - 1 } else { cpus },
            "{what}"
        );
        // LLCs, cores and nodes each partition the CPUs.
        for parts in [
            t.split_by_llc(),
            t.cores().iter().map(|c| c.cpus().clone()).collect(),
            t.nodes().iter().map(|n| n.cpus().clone()).collect(),
        ] {
            let mut seen = CpuSet::new();
            for p in &parts {
                assert!(!p.is_empty(), "{what}");
                assert!(seen.is_disjoint(p), "{what}: {p} overlaps");
                seen = seen.union(p);
            }
            assert_eq!(seen, all, "{what}");
        }
        for cpu in 0..cpus {
            let sib = t.smt_siblings(cpu).unwrap();
            assert!(sib.contains(cpu), "{what}");
            assert_eq!(sib.len(), if smt { 2 } else { 1 }, "{what}");
            let llc = t.llc_of(cpu).unwrap();
            assert!(
                sib.is_subset(t.llcs()[llc].cpus()),
                "{what}: core spans LLCs"
            );
            let node = t.node_of(cpu).unwrap();
            assert_eq!(t.llcs()[llc].node(), node, "{what}: LLC spans nodes");
        }
        assert_eq!(t.smt_siblings(cpus), None, "{what}");
        for a in t.node_ids().iter() {
            for b in t.node_ids().iter() {
                let want = if a == b { 10 } else { 20 };
                assert_eq!(t.numa_distance(a, b), Some(want), "{what}");
            }
        }
        assert_eq!(t.numa_distance(0, nodes), None, "{what}");
        assert_eq!(t.nodes_for_cpuset(&all), t.node_ids(), "{what}");
        // Generators: every LLC and node aligns; splits work up to usable.
        for i in 0..llcs {
            assert_eq!(&t.llc_aligned(i).unwrap(), t.llcs()[i].cpus(), "{what}");
        }
        assert!(t.llc_aligned(llcs).is_err(), "{what}");
        for n in 0..nodes {
            let set = t.numa_aligned(n).unwrap();
            assert_eq!(t.nodes_for_cpuset(&set), [n].into(), "{what}");
        }
        for n in 1..=usable.len().min(4) {
            let sets = t.split(n).unwrap();
            assert_eq!(sets.len(), n, "{what}");
            let union: CpuSet = sets.iter().flat_map(CpuSet::iter).collect();
            assert_eq!(union, usable, "{what}");
        }
        assert!(t.split(usable.len() + 1).is_err(), "{what}");
    }

    #[test]
    fn topology_synthetic_layout_is_documented_one() {
        let t = TestTopology::synthetic(8, 2, true, 2).unwrap();
        assert_eq!(t.smt_siblings(3).unwrap().to_string(), "2-3");
        assert_eq!(t.llcs()[0].cpus().to_string(), "0-3");
        assert_eq!(t.llcs()[1].node(), 1);
        assert_eq!(t.llcs()[0].num_cores(), 2);
        // Remainder goes to the last LLC.
        let t = TestTopology::synthetic(10, 3, false, 1).unwrap();
        assert_eq!(t.llcs()[2].cpus().to_string(), "6-9");
        // LLC -> node is l * nodes / llcs.
        let t = TestTopology::synthetic(8, 4, false, 3).unwrap();
        let nodes: Vec<usize> = t.llcs().iter().map(Llc::node).collect();
        assert_eq!(nodes, vec![0, 0, 1, 2]);
    }

    #[test]
    fn topology_synthetic_rejects_impossible_machines() {
        for (cpus, llcs, smt, nodes, want) in [
            (0, 1, false, 1, "at least 1"),
            (3, 1, true, 1, "even CPU count"),
            (2, 3, false, 1, "3 LLCs need at least 3 cores"),
            (4, 3, true, 1, "3 LLCs need at least 3 cores, got 2"),
            (8, 2, false, 3, "3 NUMA nodes need at least 3 LLCs"),
        ] {
            let e = TestTopology::synthetic(cpus, llcs, smt, nodes).unwrap_err();
            assert!(e.to_string().contains(want), "{e}");
        }
    }
}
