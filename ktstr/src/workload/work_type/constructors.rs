//! The constructors of [`WorkType`] with each type's default parameters.

use super::{Phase, WorkType};
use crate::workload::{CustomBody, CustomFn, Worker};

impl WorkType {
    /// `Bursty` with its defaults: 50 ms bursts, 100 ms sleeps.
    pub fn bursty() -> WorkType {
        WorkType::Bursty {
            burst_ms: 50,
            sleep_ms: 100,
        }
    }

    /// `CachePressure` with its defaults: 32 KiB, stride 64.
    pub fn cache_pressure() -> WorkType {
        WorkType::CachePressure {
            size_kb: 32,
            stride: 64,
        }
    }

    /// `CacheYield` with its defaults: 32 KiB, stride 64.
    pub fn cache_yield() -> WorkType {
        WorkType::CacheYield {
            size_kb: 32,
            stride: 64,
        }
    }

    /// `AffinityChurn` with its default: 1024 spin steps between re-pins.
    pub fn affinity_churn() -> WorkType {
        WorkType::AffinityChurn { spin_iters: 1024 }
    }

    /// `PolicyChurn` with its default: 1024 spin steps between switches.
    pub fn policy_churn() -> WorkType {
        WorkType::PolicyChurn { spin_iters: 1024 }
    }

    /// `PageFaultChurn` with its defaults: 4 MiB, 256 touches, 64 spins.
    pub fn page_fault_churn() -> WorkType {
        WorkType::PageFaultChurn {
            region_kb: 4096,
            touches_per_cycle: 256,
            spin_iters: 64,
        }
    }

    /// `PipeIo` with its default: 1024 spin steps before each message.
    pub fn pipe_io() -> WorkType {
        WorkType::PipeIo { burst_iters: 1024 }
    }

    /// `CachePipe` with its defaults: 32 KiB buffer, 1024 touches per
    /// message.
    pub fn cache_pipe() -> WorkType {
        WorkType::CachePipe {
            size_kb: 32,
            burst_iters: 1024,
        }
    }

    /// `FutexPingPong` with its default: 1024 spin steps per turn.
    pub fn futex_ping_pong() -> WorkType {
        WorkType::FutexPingPong { spin_iters: 1024 }
    }

    /// `FutexFanOut` with its defaults: 4 receivers, 1024 spin steps.
    pub fn futex_fan_out() -> WorkType {
        WorkType::FutexFanOut {
            fan_out: 4,
            spin_iters: 1024,
        }
    }

    /// `FanOutCompute` with its defaults: 4 workers, 256 KiB, 5 multiplies
    /// per wake, 100 µs sleep.
    pub fn fan_out_compute() -> WorkType {
        WorkType::FanOutCompute {
            fan_out: 4,
            cache_footprint_kb: 256,
            operations: 5,
            sleep_usec: 100,
        }
    }

    /// `MutexContention` with its defaults: 4 contenders, 256 steps held,
    /// 1024 steps between.
    pub fn mutex_contention() -> WorkType {
        WorkType::MutexContention {
            contenders: 4,
            hold_iters: 256,
            work_iters: 1024,
        }
    }

    /// `ThunderingHerd` with its defaults: 4 waiters, 1024 spin steps held.
    pub fn thundering_herd() -> WorkType {
        WorkType::ThunderingHerd {
            waiters: 4,
            hold_iters: 1024,
        }
    }

    /// `PriorityInversion` with its defaults: 16384 spin steps held, 1 ms
    /// hog bursts with 4 ms sleeps, the waiter every 1 ms.
    pub fn priority_inversion() -> WorkType {
        WorkType::PriorityInversion {
            hold_iters: 16384,
            hog_burst_us: 1000,
            hog_sleep_us: 4000,
            waiter_sleep_us: 1000,
        }
    }

    /// `ProducerConsumerImbalance` with its defaults: 2 producers of 256
    /// spin steps per item, 1 consumer of 4096, a 16-slot ring.
    pub fn producer_consumer_imbalance() -> WorkType {
        WorkType::ProducerConsumerImbalance {
            producers: 2,
            consumers: 1,
            ring_size: 16,
            produce_iters: 256,
            consume_iters: 4096,
        }
    }

    /// `RtStarvation` with its defaults: 4 ms RT bursts, 1 ms sleeps (the
    /// normal worker can expect about 20 % of the CPU).
    pub fn rt_starvation() -> WorkType {
        WorkType::RtStarvation {
            rt_burst_us: 4000,
            rt_sleep_us: 1000,
        }
    }

    /// `AsymmetricWaker` with its defaults: 65536 waker spin steps between
    /// wakes, 256 wakee steps per wake.
    pub fn asymmetric_waker() -> WorkType {
        WorkType::AsymmetricWaker {
            waker_iters: 65536,
            wakee_iters: 256,
        }
    }

    /// `WakeChain` with its defaults: depth 4, 1024 spin steps per hop.
    pub fn wake_chain() -> WorkType {
        WorkType::WakeChain {
            depth: 4,
            work_iters: 1024,
        }
    }

    /// `SignalStorm` with its default: 256 spin steps before each signal.
    pub fn signal_storm() -> WorkType {
        WorkType::SignalStorm { spin_iters: 256 }
    }

    /// `PreemptStorm` with its defaults: 250 µs sleeps, 1024 spin steps per
    /// wake.
    pub fn preempt_storm() -> WorkType {
        WorkType::PreemptStorm {
            sleep_us: 250,
            work_iters: 1024,
        }
    }

    /// `EpollStorm` with its defaults: 4 producers, 1024 spin steps before
    /// each write.
    pub fn epoll_storm() -> WorkType {
        WorkType::EpollStorm {
            producers: 4,
            spin_iters: 1024,
        }
    }

    /// `SmtSiblingSpin` with its default: 16384 spin steps per iteration.
    pub fn smt_sibling_spin() -> WorkType {
        WorkType::SmtSiblingSpin { spin_iters: 16384 }
    }

    /// `Sequence` over `phases`.
    pub fn sequence(phases: impl IntoIterator<Item = Phase>) -> WorkType {
        WorkType::Sequence {
            phases: phases.into_iter().collect(),
        }
    }

    /// `Custom` named `name` running `run`: a function or a closure that
    /// carries its settings and state (`move |w| ...`).
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::sync::Arc;
    /// use ktstr::prelude::*;
    ///
    /// let passes = Arc::new(AtomicU64::new(0));
    /// let seen = passes.clone();
    /// let spin = 512; // a setting, captured
    /// let work = WorkType::custom("counting", move |w| loop {
    ///     w.spin(spin);
    ///     seen.fetch_add(1, Ordering::Relaxed); // shared: Thread mode
    ///     w.end_iteration();
    ///     if w.should_stop() {
    ///         return Ok(());
    ///     }
    /// });
    /// let config = WorkloadConfig { work_type: work, clone_mode: CloneMode::Thread, ..Default::default() };
    /// let reports = WorkloadHandle::spawn(&config)?.stop_and_collect();
    /// assert_eq!(passes.load(Ordering::Relaxed), reports[0].iterations);
    /// # Ok::<(), ktstr::Error>(())
    /// ```
    pub fn custom(
        name: &'static str,
        run: impl Fn(&mut Worker) -> Result<(), String> + Send + Sync + 'static,
    ) -> WorkType {
        WorkType::custom_body(name, run)
    }

    /// `Custom` named `name` running `body`, a value of a type of your own
    /// that implements [`CustomBody`] (its fields are the settings).
    pub fn custom_body(name: &'static str, body: impl CustomBody) -> WorkType {
        WorkType::Custom {
            name,
            run: CustomFn::new(body),
        }
    }
}
