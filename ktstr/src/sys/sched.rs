//! Per-thread scheduling calls: thread id, current CPU, affinity, policy,
//! nice, NUMA memory policy, and the host's online CPUs and memory nodes.
//!
//! Linux applies all of these per thread, so each takes the target's tid:
//! a Fork worker's tid is its pid; a Thread worker's is its own gettid().

use std::sync::OnceLock;

use nix::errno::Errno;
use nix::sched::{sched_getaffinity, sched_setaffinity, CpuSet as NixCpuSet};

use super::task::Tid;
use crate::cpuset::CpuSet;

/// `sched_getcpu(3)`: the CPU the caller runs on (vDSO/rseq fast path).
pub(crate) fn current_cpu() -> u32 {
    nix::sched::sched_getcpu().map(|c| c as u32).unwrap_or(0)
}

/// `sched_setaffinity(2)` on thread `tid`.
#[doc(alias = "sched_setaffinity")]
pub(crate) fn set_affinity(tid: Tid, cpus: &CpuSet) -> Result<(), Errno> {
    let mut mask = NixCpuSet::new();
    for cpu in cpus.iter() {
        mask.set(cpu).map_err(|_| Errno::EINVAL)?;
    }
    sched_setaffinity(tid.as_nix(), &mask)
}

/// `sched_getaffinity(2)` of thread `tid`.
#[doc(alias = "sched_getaffinity")]
pub(crate) fn get_affinity(tid: Tid) -> Result<CpuSet, Errno> {
    let mask = sched_getaffinity(tid.as_nix())?;
    Ok((0..NixCpuSet::count())
        .filter(|&c| mask.is_set(c).unwrap_or(false))
        .collect())
}

/// `sched_setscheduler(2)` on thread `tid` with `policy` and `priority`.
#[doc(alias = "sched_setscheduler")]
pub(crate) fn set_scheduler(tid: Tid, policy: i32, priority: i32) -> Result<(), Errno> {
    let param = libc::sched_param {
        sched_priority: priority,
    };
    // SAFETY: `param` is a valid sched_param on our stack for the call.
    let r = unsafe { libc::sched_setscheduler(tid.as_raw(), policy, &param) };
    Errno::result(r).map(drop)
}

/// `sched_getscheduler(2)` and `sched_getparam(2)` of thread `tid`: its
/// policy (with `SCHED_RESET_ON_FORK` when set) and static priority.
#[doc(alias = "sched_getscheduler")]
pub(crate) fn get_scheduler(tid: Tid) -> Result<(i32, i32), Errno> {
    // SAFETY: plain syscall with an integer argument.
    let policy = Errno::result(unsafe { libc::sched_getscheduler(tid.as_raw()) })?;
    let mut param = libc::sched_param { sched_priority: 0 };
    // SAFETY: `param` is a valid sched_param on our stack for the call.
    Errno::result(unsafe { libc::sched_getparam(tid.as_raw(), &mut param) })?;
    Ok((policy, param.sched_priority))
}

/// `setpriority(PRIO_PROCESS, tid, nice)`: on Linux nice is per thread.
#[doc(alias = "setpriority")]
pub(crate) fn set_nice(tid: Tid, nice: i32) -> Result<(), Errno> {
    // SAFETY: plain syscall with integer arguments.
    let r = unsafe { libc::setpriority(libc::PRIO_PROCESS, tid.as_raw() as libc::id_t, nice) };
    Errno::result(r).map(drop)
}

/// `getpriority(PRIO_PROCESS, tid)`: the nice value of thread `tid`.
#[doc(alias = "getpriority")]
pub(crate) fn get_nice(tid: Tid) -> Result<i32, Errno> {
    // -1 is a valid nice value: clear errno to tell it from an error.
    Errno::clear();
    // SAFETY: plain syscall with integer arguments.
    let nice = unsafe { libc::getpriority(libc::PRIO_PROCESS, tid.as_raw() as libc::id_t) };
    match Errno::last() {
        e if nice == -1 && e != Errno::UnknownErrno => Err(e),
        _ => Ok(nice),
    }
}

/// `set_mempolicy(2)` for the calling thread. `nodes` empty passes a NULL
/// mask (for MPOL_DEFAULT and MPOL_LOCAL).
pub(crate) fn set_mempolicy(mode: i32, nodes: &CpuSet) -> Result<(), Errno> {
    let bits = libc::c_ulong::BITS as usize;
    let (mask, maxnode) = match nodes.max() {
        None => (Vec::new(), 0usize),
        Some(max) => {
            // The kernel reads maxnode-1 bits; pass one spare.
            let maxnode = max + 2;
            let mut mask = vec![0 as libc::c_ulong; maxnode.div_ceil(bits)];
            for n in nodes.iter() {
                mask[n / bits] |= 1 << (n % bits);
            }
            (mask, maxnode)
        }
    };
    let ptr = if mask.is_empty() {
        std::ptr::null()
    } else {
        mask.as_ptr()
    };
    // SAFETY: `ptr` is NULL or points to `mask`, which holds at least
    // `maxnode` bits and lives across the call.
    let r = unsafe { libc::syscall(libc::SYS_set_mempolicy, mode, ptr, maxnode as libc::c_ulong) };
    Errno::result(r).map(drop)
}

fn read_list(path: &str) -> Option<CpuSet> {
    std::fs::read_to_string(path).ok()?.parse().ok()
}

/// CPUs online now (`/sys/devices/system/cpu/online`), falling back to the
/// caller's affinity mask where sysfs is not readable.
pub(crate) fn online_cpus() -> &'static CpuSet {
    static ONLINE: OnceLock<CpuSet> = OnceLock::new();
    ONLINE.get_or_init(|| {
        read_list("/sys/devices/system/cpu/online")
            .filter(|s| !s.is_empty())
            .or_else(|| get_affinity(Tid::CALLER).ok())
            .unwrap_or_else(|| [0].into())
    })
}

/// NUMA nodes with memory (`/sys/devices/system/node/has_memory`, then
/// `online`); `{0}` on a kernel without NUMA.
pub(crate) fn memory_nodes() -> &'static CpuSet {
    static NODES: OnceLock<CpuSet> = OnceLock::new();
    NODES.get_or_init(|| {
        read_list("/sys/devices/system/node/has_memory")
            .or_else(|| read_list("/sys/devices/system/node/online"))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| [0].into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affinity_round_trips_on_this_thread() {
        let h = std::thread::spawn(|| {
            let tid = Tid::current();
            let one: CpuSet = [*online_cpus().iter().next().as_ref().unwrap()].into();
            set_affinity(tid, &one).unwrap();
            assert_eq!(get_affinity(tid).unwrap(), one);
            assert!(one.contains(current_cpu() as usize));
            set_nice(tid, 3).unwrap();
            assert_eq!(get_nice(tid), Ok(3));
        });
        h.join().unwrap();
    }

    #[test]
    fn default_mempolicy_is_accepted() {
        set_mempolicy(0, &CpuSet::new()).unwrap();
    }
}
