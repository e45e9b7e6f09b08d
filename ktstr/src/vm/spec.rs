//! [`VmSpec`]: the machine a VM test boots.

/// The virtual machine a test runs in: CPUs and their topology, memory,
/// and optionally the kernel image. Const-constructible so the attribute
/// can put it in a static `TestEntry`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VmSpec {
    /// vCPUs in all (0: sockets × cores × threads).
    pub cpus: u32,
    /// Sockets.
    pub sockets: u32,
    /// Cores per socket (0: cpus / (sockets × threads)).
    pub cores: u32,
    /// Threads per core (2 gives SMT siblings).
    pub threads: u32,
    /// NUMA nodes (0 or 1: no NUMA topology); the CPUs and memory are
    /// split evenly over them.
    pub numa_nodes: u32,
    /// Guest memory in MiB.
    pub memory_mb: u32,
    /// Kernel image; None: `KTSTR_KERNEL`, else the newest cached kernel.
    pub kernel: Option<&'static str>,
}

/// The `-smp` topology a [`VmSpec`] resolves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Topology {
    /// vCPUs in all.
    pub cpus: u32,
    /// Sockets.
    pub sockets: u32,
    /// Cores per socket.
    pub cores: u32,
    /// Threads per core.
    pub threads: u32,
    /// NUMA nodes (1 without NUMA).
    pub numa_nodes: u32,
    /// The LLCs the guest kernel reports: one per socket, split further
    /// where a NUMA node boundary crosses a socket (the kernel does not let
    /// an LLC span nodes). Measured under TCG with qemu's default CPU.
    pub llcs: u32,
}

impl VmSpec {
    /// 2 vCPUs (one socket, two cores), no NUMA, 512 MiB, the default
    /// kernel.
    pub const DEFAULT: VmSpec = VmSpec {
        cpus: 2,
        sockets: 1,
        cores: 0,
        threads: 1,
        numa_nodes: 0,
        memory_mb: 512,
        kernel: None,
    };

    /// The topology, or why the numbers do not fit together.
    pub fn topology(&self) -> Result<Topology, String> {
        let sockets = self.sockets.max(1);
        let threads = self.threads.max(1);
        let cores = if self.cores > 0 {
            self.cores
        } else if self.cpus > 0 {
            self.cpus / (sockets * threads)
        } else {
            1
        };
        let cpus = if self.cpus > 0 {
            self.cpus
        } else {
            sockets * cores * threads
        };
        if cores == 0 || sockets * cores * threads != cpus {
            return Err(format!(
                "vm topology does not add up: cpus = {cpus}, but sockets {sockets} × cores {cores} × threads {threads} = {}",
                sockets * cores * threads
            ));
        }
        if self.numa_nodes > 1 && cpus % self.numa_nodes != 0 {
            return Err(format!(
                "vm topology: {cpus} CPUs cannot be split evenly over {} NUMA nodes",
                self.numa_nodes
            ));
        }
        let numa_nodes = self.numa_nodes.max(1);
        let per_socket = cores * threads;
        let per_node = cpus / numa_nodes;
        let mut pairs: Vec<(u32, u32)> =
            (0..cpus).map(|c| (c / per_socket, c / per_node)).collect();
        pairs.dedup();
        Ok(Topology {
            cpus,
            sockets,
            cores,
            threads,
            numa_nodes,
            llcs: pairs.len() as u32,
        })
    }
}

impl Default for VmSpec {
    fn default() -> VmSpec {
        VmSpec::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topology_fills_in_cores_and_rejects_what_does_not_add_up() {
        let t = VmSpec::DEFAULT.topology().unwrap();
        assert_eq!((t.cpus, t.sockets, t.cores, t.threads), (2, 1, 2, 1));
        let smt = VmSpec {
            cpus: 8,
            sockets: 2,
            threads: 2,
            ..VmSpec::DEFAULT
        };
        assert_eq!(smt.topology().unwrap().cores, 2);
        let bad = VmSpec {
            cpus: 3,
            sockets: 2,
            ..VmSpec::DEFAULT
        };
        assert!(bad.topology().unwrap_err().contains("does not add up"));
        let numa = VmSpec {
            cpus: 3,
            numa_nodes: 2,
            ..VmSpec::DEFAULT
        };
        assert!(numa.topology().unwrap_err().contains("NUMA"));
    }

    #[test]
    fn llcs_are_sockets_split_at_numa_boundaries() {
        let llcs = |cpus, sockets, numa_nodes| {
            let t = VmSpec {
                cpus,
                sockets,
                numa_nodes,
                ..VmSpec::DEFAULT
            };
            let t = t.topology().unwrap();
            (t.llcs, t.numa_nodes)
        };
        assert_eq!(llcs(2, 1, 0), (1, 1));
        assert_eq!(llcs(2, 2, 0), (2, 1));
        assert_eq!(llcs(2, 1, 2), (2, 2));
        assert_eq!(llcs(8, 2, 4), (4, 4));
        assert_eq!(llcs(8, 4, 2), (4, 2));
    }
}
