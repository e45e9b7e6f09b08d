//! Every bad input is an error that names the value and the limit it broke,
//! and nothing (process, thread, mapping, descriptor) is left behind.

use ktstr::prelude::*;
use ktstr::Error;

use crate::helpers::{assert_clean, config, lock, memory_nodes, online_cpus, Footprint, RUN};

/// `spawn(cfg)` must fail with `InvalidConfig` whose message contains every
/// one of `needles`, before creating anything.
fn rejected(cfg: WorkloadConfig, needles: &[&str]) {
    let _g = lock();
    let what = format!("{cfg:?}");
    let before = Footprint::take();
    let err = WorkloadHandle::spawn(&cfg).expect_err(&format!("spawn accepted {what}"));
    assert!(
        matches!(err, Error::InvalidConfig(_)),
        "want InvalidConfig, got {err:?}"
    );
    let msg = err.to_string();
    for n in needles {
        assert!(
            msg.contains(n),
            "the error for {what} should mention {n:?}: {msg}"
        );
    }
    let again = cfg
        .validate()
        .expect_err("validate agrees with spawn")
        .to_string();
    assert_eq!(again, msg, "validate and spawn give the same message");
    before.assert_nothing_left(&format!("a rejected spawn of {what}"));
}

fn spin(n: usize) -> WorkloadConfig {
    config(n, WorkType::SpinWait, CloneMode::Fork)
}

#[test]
fn zero_workers() {
    rejected(spin(0), &["num_workers is 0", "at least 1"]);
    rejected(
        config(0, WorkType::SpinWait, CloneMode::Thread),
        &["num_workers is 0", "at least 1"],
    );
}

#[test]
fn empty_fixed_affinity() {
    let online = online_cpus().to_string();
    let cfg = WorkloadConfig {
        affinity: Affinity::Fixed(CpuSet::new()),
        ..spin(2)
    };
    rejected(cfg, &["Fixed", "empty", &format!("online CPUs: {online}")]);
}

#[test]
fn affinity_on_a_cpu_that_does_not_exist() {
    let online = online_cpus().to_string();
    let limit = format!("online CPUs: {online}");
    for affinity in [
        Affinity::Fixed([0, 4000].into()),
        Affinity::Spread([4000].into()),
        Affinity::PerWorker(vec![[0].into(), [4000].into()]),
    ] {
        rejected(
            WorkloadConfig {
                affinity,
                ..spin(2)
            },
            &["4000", &limit],
        );
    }
}

#[test]
fn per_worker_affinity_with_the_wrong_number_of_masks() {
    let cfg = WorkloadConfig {
        affinity: Affinity::PerWorker(vec![[0].into()]),
        ..spin(3)
    };
    rejected(cfg, &["1 masks", "3 workers"]);
}

#[test]
fn rt_priority_out_of_range() {
    for (policy, shown, got) in [
        (SchedPolicy::Fifo(0), "Fifo(0)", "got 0"),
        (SchedPolicy::Fifo(100), "Fifo(100)", "got 100"),
        (SchedPolicy::RoundRobin(0), "RoundRobin(0)", "got 0"),
    ] {
        let cfg = WorkloadConfig {
            sched_policy: policy,
            ..spin(1)
        };
        rejected(cfg, &[shown, got, "1..=99"]);
    }
}

#[test]
fn empty_sequence() {
    rejected(
        config(1, WorkType::sequence([]), CloneMode::Fork),
        &["Sequence", "no phases", "at least one"],
    );
}

#[test]
fn sequence_with_a_zero_length_phase() {
    let wt = WorkType::sequence([
        Phase::Spin(std::time::Duration::from_millis(5)),
        Phase::Sleep(std::time::Duration::ZERO),
    ]);
    rejected(
        config(1, wt, CloneMode::Fork),
        &["phase 1", "Sleep", "lasts 0"],
    );
}

#[test]
fn pcomm_and_comm_too_long() {
    let long = "ktstr-pcomm-too-long"; // 20 bytes
    assert_eq!(long.len(), 20);
    let cfg = WorkloadConfig {
        spec: WorkSpec::pcomm(long),
        ..spin(2)
    };
    rejected(cfg, &[long, "20 bytes", "1..=15"]);
    let cfg = WorkloadConfig {
        spec: WorkSpec::default().with_comm("sixteen-bytes-xx"),
        ..config(2, WorkType::SpinWait, CloneMode::Thread)
    };
    rejected(cfg, &["sixteen-bytes-xx", "16 bytes", "1..=15"]);
    let cfg = WorkloadConfig {
        spec: WorkSpec::pcomm(""),
        ..spin(2)
    };
    rejected(cfg, &["pcomm", "0 bytes", "1..=15"]);
}

#[test]
fn nice_out_of_range() {
    for (nice, shown) in [(25, "nice 25"), (-21, "nice -21")] {
        rejected(WorkloadConfig { nice, ..spin(1) }, &[shown, "-20..=19"]);
    }
}

#[test]
fn cache_pressure_of_zero_size() {
    rejected(
        config(
            1,
            WorkType::CachePressure {
                size_kb: 0,
                stride: 64,
            },
            CloneMode::Fork,
        ),
        &["CachePressure", "size_kb is 0", "1..=1048576"],
    );
    rejected(
        config(
            1,
            WorkType::CacheYield {
                size_kb: 1,
                stride: 1024,
            },
            CloneMode::Thread,
        ),
        &["CacheYield", "stride is 1024", "1..1024"],
    );
}

#[test]
fn other_zero_parameters() {
    let cases: Vec<(WorkType, &[&str])> = vec![
        (
            WorkType::Bursty {
                burst_ms: 0,
                sleep_ms: 10,
            },
            &["Bursty", "burst_ms is 0", "at least 1"],
        ),
        (
            WorkType::AffinityChurn { spin_iters: 0 },
            &["AffinityChurn", "spin_iters is 0", "at least 1"],
        ),
        (
            WorkType::PolicyChurn { spin_iters: 0 },
            &["PolicyChurn", "spin_iters is 0", "at least 1"],
        ),
        (
            WorkType::PageFaultChurn {
                region_kb: 0,
                touches_per_cycle: 1,
                spin_iters: 1,
            },
            &["PageFaultChurn", "region_kb is 0", "4..=16777216"],
        ),
        (
            WorkType::PageFaultChurn {
                region_kb: 64,
                touches_per_cycle: 0,
                spin_iters: 1,
            },
            &["PageFaultChurn", "touches_per_cycle is 0", "at least 1"],
        ),
        (
            WorkType::custom("", crate::helpers::polite_spin),
            &["Custom", "empty name"],
        ),
    ];
    for (wt, needles) in cases {
        rejected(config(1, wt, CloneMode::Fork), needles);
    }
}

#[test]
fn mempolicy_bind_to_a_node_that_does_not_exist() {
    let nodes = memory_nodes();
    let missing = CpuSet::max(&nodes).unwrap_or(0) + 1;
    let cfg = WorkloadConfig {
        mem_policy: MemPolicy::Bind([missing].into()),
        ..spin(1)
    };
    rejected(
        cfg,
        &[
            &format!("node(s) {missing}"),
            &format!("nodes with memory: {nodes}"),
        ],
    );
    let cfg = WorkloadConfig {
        mem_policy: MemPolicy::Interleave(CpuSet::new()),
        ..spin(1)
    };
    rejected(cfg, &["Interleave", "empty"]);
}

#[test]
fn set_affinity_with_bad_arguments_leaves_the_workload_intact() {
    let _g = lock();
    let online = online_cpus().to_string();
    for mode in [CloneMode::Fork, CloneMode::Thread] {
        let what = format!("bad set_affinity in {mode:?} mode");
        let before = Footprint::take();
        let mut h = WorkloadHandle::spawn(&config(2, WorkType::SpinWait, mode)).unwrap();
        let err = h.set_affinity(7, &[0].into()).unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, Error::WorkerIndex { index: 7, count: 2 }),
            "{what}: {err:?}"
        );
        assert!(
            msg.contains("index 7") && msg.contains("2 workers"),
            "{what}: {msg}"
        );
        let err = h.set_affinity(0, &CpuSet::new()).unwrap_err().to_string();
        assert!(
            err.contains("empty") && err.contains(&online),
            "{what}: {err}"
        );
        let err = h.set_affinity(1, &[4000].into()).unwrap_err().to_string();
        assert!(
            err.contains("4000") && err.contains(&online),
            "{what}: {err}"
        );
        h.start();
        std::thread::sleep(RUN);
        for r in h.stop_and_collect() {
            assert_clean(&r, &what);
        }
        before.assert_nothing_left(&what);
    }
}

/// A worker count past the host's pid_max (100 000 here, as a user would
/// type it, or pid_max + 1 on a host whose pid_max is larger).
fn impossible_count() -> usize {
    let pid_max: usize = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    100_000.max(pid_max + 1)
}

#[test]
fn more_workers_than_pid_max_allows() {
    let n = impossible_count();
    let t = std::time::Instant::now();
    rejected(
        spin(n),
        &[&format!("num_workers {n}"), "kernel.pid_max", "at most"],
    );
    assert!(t.elapsed() < std::time::Duration::from_secs(1));
}

#[test]
fn ktstr_run_refuses_an_impossible_count_at_once() {
    let _g = lock();
    let n = impossible_count().to_string();
    let t = std::time::Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ktstr"))
        .args(["run", "--workers", &n, "--duration", "1s"])
        .output()
        .unwrap();
    let took = t.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "usage error expected: {stderr}");
    assert!(stderr.contains("kernel.pid_max"), "{stderr}");
    assert!(stderr.contains(&format!("num_workers {n}")), "{stderr}");
    assert!(
        took < std::time::Duration::from_secs(1),
        "refused after {took:?}"
    );
}
