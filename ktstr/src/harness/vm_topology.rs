//! Topology requirements and VMs: where a test runs when this machine
//! lacks the LLCs, NUMA nodes or SMT it asks for, the [`VmSpec`] built for
//! it, what an explicit `vm(...)` gives, and the guest's own check that the
//! VM delivered it.

use super::requirements::{this_topology, topology_unmet};
use super::vm::Placement;
use super::{Requirements, TestSpec};
use crate::topology::TestTopology;
use crate::vm::{kernel, VmSpec};

/// The most vCPUs a VM derived from requirements gets.
pub(crate) const MAX_VM_CPUS: u32 = 64;

/// Whether the test needs sched_ext.
pub(crate) fn needs_sched_ext(spec: &TestSpec) -> bool {
    spec.scheduler.is_some() || spec.requires.sched_ext
}

/// The smallest VM meeting `req`: one LLC per socket, sockets = the LLCs
/// or NUMA nodes asked for (rounded up to a multiple of the nodes, so each
/// node holds whole sockets), 2 threads per core for SMT, and at least
/// `min_cpus` (and 2) vCPUs.
pub(crate) fn spec_for(req: &Requirements) -> Result<VmSpec, String> {
    let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX).min(MAX_VM_CPUS + 1);
    let nodes = clamp(req.min_numa_nodes).max(1);
    let sockets = clamp(req.min_llcs).max(nodes).div_ceil(nodes) * nodes;
    let threads = if req.smt { 2 } else { 1 };
    let unit = sockets * threads;
    let cpus = clamp(req.min_cpus).max(2).max(unit).div_ceil(unit) * unit;
    if cpus > MAX_VM_CPUS {
        return Err(format!(
            "a VM meeting it would need {cpus} vCPUs, more than ktstr boots ({MAX_VM_CPUS})"
        ));
    }
    Ok(VmSpec {
        cpus,
        sockets,
        cores: 0,
        threads,
        numa_nodes: if nodes > 1 { nodes } else { 0 },
        memory_mb: VmSpec::DEFAULT.memory_mb.max(256 * nodes),
        kernel: None,
    })
}

/// Why a VM built from `spec` cannot meet `req`, or None when it can (the
/// guest runs as root and has sched_ext; the topology comes from `spec`).
pub(crate) fn unmet_in_vm(req: &Requirements, spec: &VmSpec) -> Option<String> {
    let t = match spec.topology() {
        Ok(t) => t,
        Err(e) => return Some(e),
    };
    let mut why = Vec::new();
    if req.smt && t.threads < 2 {
        why.push(
            "needs SMT siblings, vm(...) gives one thread per core (give vm(threads = 2, ...))"
                .into(),
        );
    }
    let counts = [
        (req.min_llcs, t.llcs, "LLCs", "sockets"),
        (req.min_numa_nodes, t.numa_nodes, "NUMA nodes", "numa_nodes"),
        (req.min_cpus, t.cpus, "CPUs", "cpus"),
    ];
    for (want, gives, what, key) in counts {
        if want > gives as usize {
            why.push(format!(
                "needs {want} {what}, vm(...) gives {gives} (give vm({key} = {want}, ...))"
            ));
        }
    }
    (!why.is_empty()).then(|| why.join("; "))
}

/// Where `entry` runs, given this machine's topology, whether it has
/// sched_ext, and whether a kernel for VMs is configured: in its own
/// `vm(...)`; in a VM derived from its requirements when this machine
/// lacks the topology or sched_ext it needs; else here.
pub(crate) fn decide(
    spec: &TestSpec,
    host: Result<&TestTopology, String>,
    host_sched_ext: bool,
    kernel_configured: bool,
) -> Placement {
    let req = &spec.requires;
    let (vm, why) = match spec.vm {
        Some(spec) => (spec, "runs in a VM".to_string()),
        None => {
            let mut lacks = match host {
                Ok(t) => topology_unmet(req, t, "this machine has", false),
                Err(e) if req.smt || req.min_llcs > 0 || req.min_numa_nodes > 0 => vec![e],
                Err(_) => Vec::new(),
            };
            if needs_sched_ext(spec) && !host_sched_ext {
                lacks.push("needs sched_ext, which this kernel lacks".into());
            }
            if lacks.is_empty() {
                return Placement::Host;
            }
            let lacks = lacks.join("; ");
            match spec_for(req) {
                Ok(spec) => (spec, format!("{lacks}, so it runs in a VM")),
                Err(e) => return Placement::NoVm(format!("{lacks}, and {e}")),
            }
        }
    };
    if kernel_configured {
        Placement::Vm(vm)
    } else {
        Placement::NoVm(format!(
            "{why}, and no kernel is configured: {}",
            kernel::SETUP_HINT
        ))
    }
}

/// Whether `KTSTR_KERNEL` is set: then the whole run is on that kernel,
/// every test in a VM (`KTSTR_KERNEL=/path/to/bzImage cargo test`).
fn whole_run_in_vm() -> bool {
    std::env::var_os(kernel::ENV_KERNEL).is_some_and(|k| !k.is_empty())
}

/// `decide` for this machine; with `KTSTR_KERNEL` set, a test that would
/// run here runs in a VM derived from its requirements instead.
pub(crate) fn placement(spec: &TestSpec) -> Placement {
    if super::in_vm_guest() {
        // Already the guest: the test runs here.
        return Placement::Host;
    }
    let host_sched_ext = std::path::Path::new("/sys/kernel/sched_ext").exists();
    let spec_kernel = spec.vm.and_then(|v| v.kernel);
    let kernel = kernel::configured(spec_kernel).is_some();
    match decide(spec, this_topology(), host_sched_ext, kernel) {
        Placement::Host if whole_run_in_vm() => match spec_for(&spec.requires) {
            Ok(spec) => Placement::Vm(spec),
            Err(e) => Placement::NoVm(format!("KTSTR_KERNEL runs every test in a VM, and {e}")),
        },
        p => p,
    }
}

/// In the guest: why this VM does not give what test `name` requires
/// (its real topology, read as on a host), or None. A VM that does not
/// deliver the topology it was built for fails the test, never passes it.
pub(crate) fn guest_unmet(name: &str) -> Option<String> {
    let entry = super::run::entries()
        .into_iter()
        .find(|e| e.full_name() == name)?;
    let topo = match this_topology() {
        Ok(t) => t,
        Err(e) => return Some(e),
    };
    undelivered(&entry.spec().requires, topo)
}

fn undelivered(req: &Requirements, topo: &TestTopology) -> Option<String> {
    let why = topology_unmet(req, topo, "the guest has", true);
    (!why.is_empty()).then(|| {
        format!(
            "the VM does not give what the test requires: {} (the guest kernel reports {} CPUs, {} LLCs, {} NUMA nodes, {} thread(s) per core)",
            why.join("; "),
            topo.total_cpus(),
            topo.num_llcs(),
            topo.num_nodes(),
            topo.threads_per_core()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(smt: bool, min_cpus: usize, min_llcs: usize, min_numa_nodes: usize) -> Requirements {
        Requirements {
            smt,
            min_cpus,
            min_llcs,
            min_numa_nodes,
            ..Requirements::NONE
        }
    }

    #[test]
    fn the_derived_vm_gives_what_was_asked_and_no_more() {
        let cases = [
            // (smt, cpus, llcs, nodes) -> (cpus, sockets, threads, numa_nodes)
            ((false, 0, 0, 0), (2, 1, 1, 0)),
            ((false, 0, 2, 0), (2, 2, 1, 0)),
            ((false, 0, 0, 2), (2, 2, 1, 2)),
            ((true, 0, 0, 0), (2, 1, 2, 0)),
            ((true, 0, 2, 0), (4, 2, 2, 0)),
            ((false, 0, 3, 2), (4, 4, 1, 2)),
            ((false, 5, 2, 0), (6, 2, 1, 0)),
        ];
        for ((smt, c, l, n), want) in cases {
            let r = req(smt, c, l, n);
            let s = spec_for(&r).unwrap();
            assert_eq!((s.cpus, s.sockets, s.threads, s.numa_nodes), want, "{r:?}");
            assert_eq!(unmet_in_vm(&r, &s), None, "{r:?} in {s:?}");
        }
        // Nothing asked (a sched_ext test on a host without it): the default VM.
        assert_eq!(spec_for(&Requirements::NONE), Ok(VmSpec::DEFAULT));
        assert_eq!(spec_for(&req(false, 0, 0, 4)).unwrap().memory_mb, 1024);
        let e = spec_for(&req(false, 4096, 0, 0)).unwrap_err();
        assert!(e.contains("more than ktstr boots (64)"), "{e}");
    }

    #[test]
    fn an_explicit_vm_must_itself_meet_the_requirements() {
        let spec = VmSpec::DEFAULT;
        assert_eq!(unmet_in_vm(&Requirements::NONE, &spec), None);
        let why = unmet_in_vm(&req(true, 4, 2, 2), &spec).unwrap();
        assert_eq!(
            why,
            "needs SMT siblings, vm(...) gives one thread per core (give vm(threads = 2, ...)); \
             needs 2 LLCs, vm(...) gives 1 (give vm(sockets = 2, ...)); \
             needs 2 NUMA nodes, vm(...) gives 1 (give vm(numa_nodes = 2, ...)); \
             needs 4 CPUs, vm(...) gives 2 (give vm(cpus = 4, ...))"
        );
        let big = VmSpec {
            cpus: 8,
            sockets: 2,
            threads: 2,
            numa_nodes: 2,
            ..VmSpec::DEFAULT
        };
        assert_eq!(unmet_in_vm(&req(true, 4, 2, 2), &big), None);
    }

    #[test]
    fn placement_follows_what_the_host_lacks_and_whether_a_kernel_is_there() {
        let host = TestTopology::synthetic(2, 1, false, 1).unwrap();
        let entry = |r: Requirements, vm: Option<VmSpec>| {
            let spec = TestSpec::default().requires(r);
            match vm {
                Some(vm) => spec.vm(vm),
                None => spec,
            }
        };
        let llcs = entry(req(false, 0, 2, 0), None);
        assert_eq!(decide(&llcs, Ok(&host), false, false), {
            Placement::NoVm(format!(
                "needs 2 LLCs, this machine has 1, so it runs in a VM, and no kernel is configured: {}",
                kernel::SETUP_HINT
            ))
        });
        match decide(&llcs, Ok(&host), true, true) {
            Placement::Vm(s) => assert_eq!((s.cpus, s.sockets), (2, 2)),
            p => panic!("{p:?}"),
        }
        // What the host has (or only CPUs it lacks): on the host.
        let fits = entry(req(false, 2, 1, 1), None);
        assert_eq!(decide(&fits, Ok(&host), false, true), Placement::Host);
        let cpus = entry(req(false, 4096, 0, 0), None);
        assert_eq!(decide(&cpus, Ok(&host), false, true), Placement::Host);
        let big = TestTopology::synthetic(8, 2, true, 2).unwrap();
        let smt = entry(req(true, 0, 2, 2), None);
        assert_eq!(decide(&smt, Ok(&big), true, true), Placement::Host);
        // sched_ext missing: a VM from the requirements.
        let sched = entry(
            Requirements {
                sched_ext: true,
                ..req(true, 0, 0, 0)
            },
            None,
        );
        match decide(&sched, Ok(&big), false, true) {
            Placement::Vm(s) => assert_eq!((s.cpus, s.threads), (2, 2)),
            p => panic!("{p:?}"),
        }
        // An explicit vm(...) is used as given (trial() checks it).
        let own = VmSpec {
            sockets: 2,
            ..VmSpec::DEFAULT
        };
        let explicit = entry(req(false, 0, 2, 0), Some(own));
        assert_eq!(
            decide(&explicit, Ok(&host), false, true),
            Placement::Vm(own)
        );
    }

    #[test]
    fn a_guest_that_does_not_deliver_the_topology_fails_with_what_it_has() {
        let one = TestTopology::synthetic(2, 1, false, 1).unwrap();
        let why = undelivered(&req(false, 0, 2, 0), &one).unwrap();
        assert_eq!(
            why,
            "the VM does not give what the test requires: needs 2 LLCs, the guest has 1 \
             (the guest kernel reports 2 CPUs, 1 LLCs, 1 NUMA nodes, 1 thread(s) per core)"
        );
        let two = TestTopology::synthetic(2, 2, false, 2).unwrap();
        assert_eq!(undelivered(&req(false, 2, 2, 2), &two), None);
    }
}
