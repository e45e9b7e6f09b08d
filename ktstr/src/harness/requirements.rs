//! Whether this machine meets a test's [`Requirements`].

use super::Requirements;
use crate::cpuset::CpuSet;
use crate::scheduler::Scheduler;

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
    if req.smt && !smt_active() {
        why.push("needs SMT siblings (this machine has no SMT, or it is off)".to_string());
    }
    let cpus = CpuSet::online().len();
    if req.min_cpus > cpus {
        why.push(format!(
            "needs {} CPUs, this machine has {cpus}",
            req.min_cpus
        ));
    }
    (!why.is_empty()).then(|| why.join("; "))
}

fn smt_active() -> bool {
    std::fs::read_to_string("/sys/devices/system/cpu/smt/active")
        .map(|s| s.trim() == "1")
        .unwrap_or(false)
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
}
