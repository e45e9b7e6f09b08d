//! `ktstr topo`: print the host's CPU topology (CPUs, SMT, LLCs, NUMA
//! nodes) and which cgroup hierarchy ktstr would use.

use std::fmt::Write as _;

use ktstr::cgroup::Hierarchy;
use ktstr::topology::TestTopology;

use crate::Failure;

pub(crate) fn main() -> Result<(), Failure> {
    let topo = TestTopology::from_system()
        .map_err(|e| Failure::Runtime(anyhow::Error::new(e).context("read the host topology")))?;
    let cgroup = match Hierarchy::detect() {
        Ok(h) => format!("cgroup:  {h}\n"),
        Err(e) => format!("cgroup:  none usable ({e})\n"),
    };
    crate::out::emit(&(render(&topo) + &cgroup))
}

/// The topology as text, one fact per line.
fn render(t: &TestTopology) -> String {
    let mut out = String::new();
    let usable = t.usable_cpus();
    let _ = writeln!(
        out,
        "CPUs:    {} ({} online; tests use {})",
        t.all_cpus(),
        t.total_cpus(),
        usable
    );
    let smt = if t.has_smt() { "on" } else { "off" };
    let _ = writeln!(
        out,
        "SMT:     {smt} ({} thread(s) per core, {} cores)",
        t.threads_per_core(),
        t.cores().len()
    );
    let _ = writeln!(out, "LLCs:    {}", t.num_llcs());
    for (i, llc) in t.llcs().iter().enumerate() {
        let size = llc
            .size_kb()
            .map(|k| format!(", {k} KiB"))
            .unwrap_or_default();
        let cores: Vec<String> = t
            .cores()
            .iter()
            .filter(|c| c.llc_index() == i)
            .map(|c| c.cpus().to_string())
            .collect();
        let _ = writeln!(
            out,
            "  LLC {i} (L{} id {}{size}): CPUs {}, node {}, cores [{}]",
            llc.level(),
            llc.id(),
            llc.cpus(),
            llc.node(),
            cores.join(" ")
        );
    }
    let _ = writeln!(out, "NUMA:    {} node(s)", t.num_nodes());
    for node in t.nodes() {
        let dist: Vec<String> = t
            .nodes()
            .iter()
            .map(|o| {
                node.distance_to(o.id())
                    .map_or("-".into(), |d| d.to_string())
            })
            .collect();
        let cpus = if node.is_memory_only() {
            "none (memory only)".to_string()
        } else {
            node.cpus().to_string()
        };
        let _ = writeln!(
            out,
            "  node {}: CPUs {cpus}, distances [{}]",
            node.id(),
            dist.join(" ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topo_renders_every_level() {
        let t = TestTopology::synthetic(8, 2, true, 2).unwrap();
        let text = render(&t);
        for want in [
            "CPUs:    0-7 (8 online; tests use 0-6)",
            "SMT:     on (2 thread(s) per core, 4 cores)",
            "LLC 1 (L3 id 1): CPUs 4-7, node 1, cores [4-5 6-7]",
            "node 0: CPUs 0-3, distances [10 20]",
        ] {
            assert!(text.contains(want), "{want:?} not in\n{text}");
        }
    }
}
