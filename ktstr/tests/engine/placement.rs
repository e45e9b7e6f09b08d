//! Where and how workers run: per-worker `set_affinity`, `Affinity`
//! variants, scheduling policy, nice and memory policy, and which pids go to
//! `cgroup.procs`.

use std::collections::BTreeSet;
use std::time::Duration;

use ktstr::prelude::*;
use ktstr::Error;
use nix::sched::sched_getaffinity;
use nix::unistd::Pid;

use crate::helpers::{assert_clean, config, lock, online_cpus, run, Footprint, RUN};

const MODES: [CloneMode; 2] = [CloneMode::Fork, CloneMode::Thread];

/// The first and last online CPU (the same one on a 1-CPU host).
fn two_cpus() -> (usize, usize) {
    let online: Vec<usize> = online_cpus().iter().collect();
    (online[0], *online.last().unwrap())
}

fn affinity_of(tid: i32) -> BTreeSet<usize> {
    let mask = sched_getaffinity(Pid::from_raw(tid)).expect("sched_getaffinity");
    (0..nix::sched::CpuSet::count())
        .filter(|&c| mask.is_set(c).unwrap_or(false))
        .collect()
}

fn cpus(set: &[usize]) -> BTreeSet<u32> {
    set.iter().map(|&c| c as u32).collect()
}

#[test]
fn set_affinity_before_start_pins_each_worker() {
    let _g = lock();
    let (a, b) = two_cpus();
    let shapes = [
        ("Fork", config(2, WorkType::SpinWait, CloneMode::Fork)),
        ("Thread", config(2, WorkType::SpinWait, CloneMode::Thread)),
        (
            "pcomm",
            WorkloadConfig {
                spec: WorkSpec::pcomm("ktstr-pinned"),
                ..config(2, WorkType::SpinWait, CloneMode::Fork)
            },
        ),
    ];
    for (mode, cfg) in shapes {
        let what = format!("set_affinity in {mode} mode");
        let before = Footprint::take();
        let mut h = WorkloadHandle::spawn(&cfg).unwrap();
        let tids = h.worker_pids();
        h.set_affinity(0, &[b].into()).unwrap();
        h.set_affinity(1, &[a].into()).unwrap();
        h.start();
        std::thread::sleep(RUN / 2);
        assert_eq!(
            affinity_of(tids[0]),
            BTreeSet::from([b]),
            "{what}: worker 0 mask"
        );
        assert_eq!(
            affinity_of(tids[1]),
            BTreeSet::from([a]),
            "{what}: worker 1 mask"
        );
        std::thread::sleep(RUN / 2);
        let reports = h.stop_and_collect();
        for r in &reports {
            assert_clean(r, &what);
            assert_eq!(r.migrations, 0, "{what}: a pinned worker migrated");
        }
        assert_eq!(reports[0].cpus_used, cpus(&[b]), "{what}");
        assert_eq!(reports[1].cpus_used, cpus(&[a]), "{what}");
        before.assert_nothing_left(&what);
    }
}

#[test]
fn set_affinity_overrides_the_configured_affinity() {
    let _g = lock();
    let (a, b) = two_cpus();
    let before = Footprint::take();
    let cfg = WorkloadConfig {
        affinity: Affinity::Fixed([a].into()),
        ..config(2, WorkType::SpinWait, CloneMode::Fork)
    };
    let mut h = WorkloadHandle::spawn(&cfg).unwrap();
    h.set_affinity(1, &[b].into()).unwrap();
    h.start();
    std::thread::sleep(RUN);
    let reports = h.stop_and_collect();
    assert_eq!(reports[0].cpus_used, cpus(&[a]));
    assert_eq!(
        reports[1].cpus_used,
        cpus(&[b]),
        "set_affinity before start wins over Fixed"
    );
    before.assert_nothing_left("set_affinity over Fixed");
}

#[test]
fn set_affinity_rejects_an_index_out_of_range() {
    let _g = lock();
    for mode in MODES {
        let before = Footprint::take();
        let mut h = WorkloadHandle::spawn(&config(2, WorkType::SpinWait, mode)).unwrap();
        let err = h.set_affinity(2, &[0].into()).unwrap_err();
        assert!(
            matches!(err, Error::WorkerIndex { index: 2, count: 2 }),
            "{mode:?}: want WorkerIndex, got {err:?}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains("index 2") && msg.contains("2 workers"),
            "{mode:?}: {msg}"
        );
        let err = h.set_affinity(usize::MAX, &[0].into()).unwrap_err();
        assert!(
            matches!(
                err,
                Error::WorkerIndex {
                    index: usize::MAX,
                    count: 2
                }
            ),
            "{err:?}"
        );
        // The handle is unharmed.
        h.start();
        std::thread::sleep(RUN);
        for r in h.stop_and_collect() {
            assert_clean(&r, &format!("after a bad set_affinity in {mode:?} mode"));
        }
        before.assert_nothing_left(&format!("bad set_affinity in {mode:?} mode"));
    }
}

#[test]
fn fixed_spread_and_per_worker_affinity_pin_workers() {
    let _g = lock();
    let (a, b) = two_cpus();
    let online: Vec<usize> = online_cpus().iter().collect();
    for mode in MODES {
        let before = Footprint::take();
        // Fixed: every worker on CPU b.
        let cfg = WorkloadConfig {
            affinity: Affinity::Fixed([b].into()),
            ..config(2, WorkType::SpinWait, mode)
        };
        for r in run(&cfg, RUN) {
            assert_clean(&r, &format!("Fixed in {mode:?} mode"));
            assert_eq!(
                r.cpus_used,
                cpus(&[b]),
                "Fixed in {mode:?} mode, worker {}",
                r.index
            );
        }
        // Spread over all online CPUs: worker i on the (i % n)-th.
        let n = online.len() + 1;
        let cfg = WorkloadConfig {
            affinity: Affinity::Spread(online_cpus()),
            ..config(n, WorkType::SpinWait, mode)
        };
        for r in run(&cfg, RUN) {
            assert_clean(&r, &format!("Spread in {mode:?} mode"));
            let want = online[r.index % online.len()];
            assert_eq!(
                r.cpus_used,
                cpus(&[want]),
                "Spread in {mode:?} mode, worker {}",
                r.index
            );
        }
        // PerWorker: the i-th mask.
        let cfg = WorkloadConfig {
            affinity: Affinity::PerWorker(vec![[b].into(), [a].into()]),
            ..config(2, WorkType::SpinWait, mode)
        };
        let reports = run(&cfg, RUN);
        assert_eq!(reports[0].cpus_used, cpus(&[b]));
        assert_eq!(reports[1].cpus_used, cpus(&[a]));
        before.assert_nothing_left(&format!("Affinity variants in {mode:?} mode"));
    }
}

#[test]
fn cgroup_procs_pids_refused_for_thread_workers() {
    let _g = lock();
    let before = Footprint::take();
    let h = WorkloadHandle::spawn(&config(2, WorkType::SpinWait, CloneMode::Thread)).unwrap();
    let err = h.worker_pids_for_cgroup_procs().unwrap_err();
    assert!(matches!(err, Error::ThreadsNotProcesses { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("cgroup.threads"),
        "the error should point at cgroup.threads: {msg}"
    );
    assert!(
        msg.contains(&std::process::id().to_string()),
        "names the tgid: {msg}"
    );
    // The plain pid list is still available, for cgroup.threads.
    assert_eq!(h.worker_pids().len(), 2);
    assert_eq!(h.container_pid(), None);
    drop(h);
    before.assert_nothing_left("Thread workers and cgroup.procs");
}

/// A `Custom` body that records, in a note, the scheduling policy, RT
/// priority, nice value and memory policy it runs with, then idles (so an
/// RT policy cannot starve anything).
fn probe_settings(w: &mut Worker) -> Result<(), String> {
    let tid = w.tid().as_raw();
    // SAFETY: plain syscalls; `param`, `mode` and `mask` are live locals
    // large enough for what the kernel writes (1024 node bits).
    let (policy, prio, nice, mode, nodes) = unsafe {
        let policy = libc::sched_getscheduler(tid);
        let mut param = libc::sched_param { sched_priority: -1 };
        libc::sched_getparam(tid, &mut param);
        let nice = libc::getpriority(libc::PRIO_PROCESS, tid as libc::id_t);
        let mut mode: libc::c_int = -1;
        let mut mask = [0 as libc::c_ulong; 1024 / libc::c_ulong::BITS as usize];
        let r = libc::syscall(
            libc::SYS_get_mempolicy,
            &mut mode as *mut libc::c_int,
            mask.as_mut_ptr(),
            1024 as libc::c_ulong,
            std::ptr::null::<u8>(),
            0 as libc::c_ulong,
        );
        if r != 0 {
            return Err(format!(
                "get_mempolicy: {}",
                std::io::Error::last_os_error()
            ));
        }
        (policy, param.sched_priority, nice, mode, mask[0])
    };
    w.note(format!(
        "probe policy={policy} prio={prio} nice={nice} mempolicy={mode} nodes={nodes}"
    ));
    loop {
        w.add_units(1);
        w.sleep(Duration::from_millis(5));
        w.end_iteration();
        if w.should_stop() {
            return Ok(());
        }
    }
}

/// Run one probing worker with `cfg`'s settings in each mode; return the
/// probe notes and let `outside` inspect the running worker's tid.
fn probe(cfg: WorkloadConfig, outside: impl Fn(i32, CloneMode)) -> Vec<(CloneMode, String)> {
    let mut notes = Vec::new();
    for mode in MODES {
        let what = format!(
            "{:?} {:?} nice {} in {mode:?} mode",
            cfg.sched_policy, cfg.mem_policy, cfg.nice
        );
        let before = Footprint::take();
        let cfg = WorkloadConfig {
            num_workers: 1,
            work_type: WorkType::custom("ktstr-test-probe", probe_settings),
            clone_mode: mode,
            ..cfg.clone()
        };
        let mut h = WorkloadHandle::spawn(&cfg).unwrap();
        let tid = h.worker_pids()[0];
        h.start();
        std::thread::sleep(RUN);
        outside(tid, mode);
        let reports = h.stop_and_collect();
        let r = &reports[0];
        assert_clean(r, &what);
        let note = r
            .notes
            .iter()
            .find(|n| n.starts_with("probe "))
            .expect("probe note")
            .clone();
        notes.push((mode, note));
        before.assert_nothing_left(&what);
    }
    notes
}

#[test]
fn fifo_policy_applies_as_root() {
    let _g = lock();
    let cfg = WorkloadConfig {
        sched_policy: SchedPolicy::Fifo(10),
        ..Default::default()
    };
    let notes = probe(cfg, |tid, mode| {
        // SAFETY: plain syscall on a live task.
        let policy = unsafe { libc::sched_getscheduler(tid) };
        assert_eq!(policy, libc::SCHED_FIFO, "{mode:?}: seen from outside");
    });
    for (mode, note) in notes {
        assert!(
            note.contains(&format!("policy={} prio=10 ", libc::SCHED_FIFO)),
            "{mode:?}: worker saw {note}"
        );
    }
}

#[test]
fn nice_applies() {
    let _g = lock();
    let cfg = WorkloadConfig {
        nice: 5,
        ..Default::default()
    };
    let notes = probe(cfg, |tid, mode| {
        // SAFETY: plain syscall on a live task.
        let nice = unsafe { libc::getpriority(libc::PRIO_PROCESS, tid as libc::id_t) };
        assert_eq!(nice, 5, "{mode:?}: seen from outside");
    });
    for (mode, note) in notes {
        assert!(note.contains(" nice=5 "), "{mode:?}: worker saw {note}");
    }
    // Thread mode must not have reniced the spawner.
    // SAFETY: plain syscall on ourselves.
    let own = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
    assert_ne!(own, 5, "the test thread took the workers' nice value");
}

#[test]
fn mempolicy_bind_to_node_0_applies() {
    let _g = lock();
    let cfg = WorkloadConfig {
        mem_policy: MemPolicy::Bind([0].into()),
        ..Default::default()
    };
    let notes = probe(cfg, |_, _| {});
    for (mode, note) in notes {
        assert!(
            note.contains(&format!("mempolicy={} nodes=1", libc::MPOL_BIND)),
            "{mode:?}: worker saw {note}"
        );
    }
}
