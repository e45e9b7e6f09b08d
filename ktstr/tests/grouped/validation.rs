//! Bad worker counts and parameters are refused before anything exists,
//! with messages that name the numbers; defaults are reachable by name.

use ktstr::prelude::*;

fn spawn_error(wt: WorkType, n: usize) -> String {
    let cfg = WorkloadConfig {
        num_workers: n,
        work_type: wt,
        ..Default::default()
    };
    match WorkloadHandle::spawn(&cfg) {
        Ok(_) => panic!("spawn of {n} workers of {:?} succeeded", cfg.work_type),
        Err(e) => e.to_string(),
    }
}

#[test]
fn worker_count_must_fill_whole_groups() {
    for (wt, n, want) in [
        (
            WorkType::pipe_io(),
            3,
            "PipeIo needs a multiple of 2 workers, got 3",
        ),
        (
            WorkType::cache_pipe(),
            1,
            "CachePipe needs a multiple of 2 workers, got 1",
        ),
        (
            WorkType::futex_ping_pong(),
            5,
            "FutexPingPong needs a multiple of 2 workers, got 5",
        ),
        (
            WorkType::futex_fan_out(),
            4,
            "FutexFanOut needs a multiple of 5 workers, got 4",
        ),
        (
            WorkType::fan_out_compute(),
            6,
            "FanOutCompute needs a multiple of 5 workers, got 6",
        ),
        (
            WorkType::mutex_contention(),
            6,
            "MutexContention needs a multiple of 4 workers, got 6",
        ),
    ] {
        let e = spawn_error(wt, n);
        assert!(e.contains(want), "{e:?} should contain {want:?}");
    }
}

#[test]
fn zero_sized_groups_are_refused() {
    let e = spawn_error(
        WorkType::FutexFanOut {
            fan_out: 0,
            spin_iters: 1024,
        },
        2,
    );
    assert!(e.contains("FutexFanOut fan_out is 0"), "{e}");
    let e = spawn_error(
        WorkType::FanOutCompute {
            fan_out: 0,
            cache_footprint_kb: 256,
            operations: 5,
            sleep_usec: 100,
        },
        2,
    );
    assert!(e.contains("FanOutCompute fan_out is 0"), "{e}");
    let e = spawn_error(
        WorkType::MutexContention {
            contenders: 0,
            hold_iters: 256,
            work_iters: 1024,
        },
        4,
    );
    assert!(e.contains("MutexContention contenders is 0"), "{e}");
}

#[test]
fn bad_parameters_are_refused() {
    let e = spawn_error(
        WorkType::CachePipe {
            size_kb: 0,
            burst_iters: 1024,
        },
        2,
    );
    assert!(e.contains("CachePipe size_kb is 0"), "{e}");
    let e = spawn_error(
        WorkType::FanOutCompute {
            fan_out: 1,
            cache_footprint_kb: 0,
            operations: 5,
            sleep_usec: 100,
        },
        2,
    );
    assert!(e.contains("cache_footprint_kb is 0"), "{e}");
    let e = spawn_error(
        WorkType::FanOutCompute {
            fan_out: 1,
            cache_footprint_kb: 64,
            operations: 0,
            sleep_usec: 100,
        },
        2,
    );
    assert!(e.contains("operations is 0"), "{e}");
    let e = spawn_error(
        WorkType::FutexFanOut {
            fan_out: 1 << 20,
            spin_iters: 1,
        },
        (1 << 20) + 1,
    );
    assert!(e.contains("fan_out is 1048576"), "{e}");
}

#[test]
fn defaults_by_name_and_group_sizes() {
    for (name, g, default) in [
        ("PipeIo", 2, WorkType::pipe_io()),
        ("CachePipe", 2, WorkType::cache_pipe()),
        ("FutexPingPong", 2, WorkType::futex_ping_pong()),
        ("FutexFanOut", 5, WorkType::futex_fan_out()),
        ("FanOutCompute", 5, WorkType::fan_out_compute()),
        ("MutexContention", 4, WorkType::mutex_contention()),
    ] {
        let wt = WorkType::from_name(name).unwrap_or_else(|| panic!("{name} by name"));
        assert_eq!(wt.name(), name);
        assert_eq!(format!("{wt:?}"), format!("{default:?}"));
        assert_eq!(wt.worker_group_size(), Some(g), "{name}");
        assert!(WorkType::ALL_NAMES.contains(&name));
    }
    assert_eq!(
        WorkType::FutexFanOut {
            fan_out: 7,
            spin_iters: 0
        }
        .worker_group_size(),
        Some(8)
    );
    assert_eq!(
        WorkType::MutexContention {
            contenders: 3,
            hold_iters: 0,
            work_iters: 0
        }
        .worker_group_size(),
        Some(3)
    );
}
