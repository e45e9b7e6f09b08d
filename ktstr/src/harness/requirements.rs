//! Whether this machine meets a test's [`Requirements`].

use std::sync::OnceLock;

use super::Requirements;
use crate::scheduler::Scheduler;
use crate::topology::TestTopology;

/// This machine's topology (the guest's, in a VM), read once.
pub(crate) fn this_topology() -> Result<&'static TestTopology, String> {
    static TOPO: OnceLock<Result<TestTopology, String>> = OnceLock::new();
    TOPO.get_or_init(|| {
        TestTopology::from_system().map_err(|e| format!("cannot read the CPU topology: {e}"))
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// What `topo` lacks of the topology `req` asks for (SMT, LLCs, NUMA
/// nodes, and CPUs when `cpus` is set), each phrased
/// "needs 2 LLCs, {has} 1".
pub(crate) fn topology_unmet(
    req: &Requirements,
    topo: &TestTopology,
    has: &str,
    cpus: bool,
) -> Vec<String> {
    let mut why = Vec::new();
    if req.smt && !topo.has_smt() {
        why.push(format!(
            "needs SMT siblings, {has} one thread per core (or SMT is off)"
        ));
    }
    let llcs = topo.num_llcs();
    if req.min_llcs > llcs {
        why.push(format!("needs {} LLCs, {has} {llcs}", req.min_llcs));
    }
    let nodes = topo.nodes().iter().filter(|n| !n.is_memory_only()).count();
    if req.min_numa_nodes > nodes {
        why.push(format!(
            "needs {} NUMA nodes, {has} {nodes}",
            req.min_numa_nodes
        ));
    }
    let n = topo.total_cpus();
    if cpus && req.min_cpus > n {
        why.push(format!("needs {} CPUs, {has} {n}", req.min_cpus));
    }
    why
}

/// Whether `req` asks for anything of the topology.
pub(crate) fn asks_topology(req: &Requirements) -> bool {
    req.smt || req.min_cpus > 0 || req.min_llcs > 0 || req.min_numa_nodes > 0
}

/// Why the machine cannot run a test with `req` (under `scheduler`, if
/// any), or None when it can.
pub(crate) fn unmet(
    req: &Requirements,
    scheduler: Option<&Scheduler>,
    cgroups: usize,
) -> Option<String> {
    let mut why = Vec::new();
    if cgroups > 0 && !nix::unistd::geteuid().is_root() {
        why.push(format!(
            "runs its workers in {cgroups} cgroup(s), which needs root"
        ));
    }
    if let Some(s) = scheduler {
        if !std::path::Path::new("/sys/kernel/sched_ext").exists() {
            why.push(format!(
                "runs under the sched_ext scheduler \"{s}\", and this kernel has no sched_ext"
            ));
        }
        if !nix::unistd::geteuid().is_root() {
            why.push(format!(
                "runs under the sched_ext scheduler \"{s}\", which needs root"
            ));
        }
    }
    if req.root && !nix::unistd::geteuid().is_root() {
        why.push("needs root (run the tests with sudo or as root)".to_string());
    }
    if req.sched_ext && !std::path::Path::new("/sys/kernel/sched_ext").exists() {
        why.push(
            "needs a kernel with sched_ext (/sys/kernel/sched_ext is absent: CONFIG_SCHED_CLASS_EXT is off)"
                .to_string(),
        );
    }
    if asks_topology(req) {
        match this_topology() {
            Ok(t) => why.extend(topology_unmet(req, t, "this machine has", true)),
            Err(e) => why.push(e),
        }
    }
    (!why.is_empty()).then(|| why.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_required_is_met_and_too_many_cpus_is_not() {
        assert_eq!(unmet(&Requirements::NONE, None, 0), None);
        let r = Requirements {
            min_cpus: 100_000,
            ..Requirements::NONE
        };
        assert!(unmet(&r, None, 0).unwrap().contains("needs 100000 CPUs"));
    }

    #[test]
    fn a_topology_is_measured_against_llcs_nodes_smt_and_cpus() {
        // 16 CPUs: 2 nodes, 4 LLCs, 2-way SMT.
        let big = TestTopology::synthetic(16, 4, true, 2).unwrap();
        let req = Requirements {
            smt: true,
            min_cpus: 16,
            min_llcs: 4,
            min_numa_nodes: 2,
            ..Requirements::NONE
        };
        assert!(topology_unmet(&req, &big, "it has", true).is_empty());
        let small = TestTopology::synthetic(2, 1, false, 1).unwrap();
        let why = topology_unmet(&req, &small, "it has", true);
        assert_eq!(
            why,
            [
                "needs SMT siblings, it has one thread per core (or SMT is off)",
                "needs 4 LLCs, it has 1",
                "needs 2 NUMA nodes, it has 1",
                "needs 16 CPUs, it has 2",
            ]
        );
        assert_eq!(topology_unmet(&req, &small, "it has", false).len(), 3);
    }
}
