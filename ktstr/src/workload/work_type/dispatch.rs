//! The one place that maps a [`WorkType`] variant to its implementation
//! (its [`Family`]), and what is derived from it.

use super::WorkType;
use crate::workload::types::{
    cache, churn, contention, custom, epoll, fanout, fork_exit, futex, herd, inversion, io,
    page_fault, pipe, ring, rt, sequence, signal, smt, spin, waker, Family,
};

impl WorkType {
    /// The one place that maps a variant to its implementation.
    pub(crate) fn family(&self) -> Box<dyn Family> {
        match self {
            WorkType::SpinWait => Box::new(spin::Spin::Wait),
            WorkType::Mixed => Box::new(spin::Spin::Mixed),
            WorkType::YieldHeavy => Box::new(spin::Spin::YieldHeavy),
            WorkType::IoSync => Box::new(io::IoSync),
            WorkType::Bursty { burst_ms, sleep_ms } => Box::new(spin::Bursty {
                burst_ms: *burst_ms,
                sleep_ms: *sleep_ms,
            }),
            WorkType::CachePressure { size_kb, stride } => Box::new(cache::Cache {
                size_kb: *size_kb,
                stride: *stride,
                yield_after: false,
            }),
            WorkType::CacheYield { size_kb, stride } => Box::new(cache::Cache {
                size_kb: *size_kb,
                stride: *stride,
                yield_after: true,
            }),
            WorkType::Sequence { phases } => Box::new(sequence::Sequence {
                phases: phases.clone(),
            }),
            WorkType::ForkExit => Box::new(fork_exit::ForkExit),
            WorkType::NiceSweep => Box::new(churn::Churn::Nice),
            WorkType::AffinityChurn { spin_iters } => Box::new(churn::Churn::Affinity {
                spin_iters: *spin_iters,
            }),
            WorkType::PolicyChurn { spin_iters } => Box::new(churn::Churn::Policy {
                spin_iters: *spin_iters,
            }),
            WorkType::PageFaultChurn {
                region_kb,
                touches_per_cycle,
                spin_iters,
            } => Box::new(page_fault::PageFaultChurn {
                region_kb: *region_kb,
                touches_per_cycle: *touches_per_cycle,
                spin_iters: *spin_iters,
            }),
            WorkType::PipeIo { burst_iters } => Box::new(pipe::Pipe {
                burst_iters: *burst_iters,
                cache_kb: None,
            }),
            WorkType::CachePipe {
                size_kb,
                burst_iters,
            } => Box::new(pipe::Pipe {
                burst_iters: *burst_iters,
                cache_kb: Some(*size_kb),
            }),
            WorkType::FutexPingPong { spin_iters } => Box::new(futex::FutexPingPong {
                spin_iters: *spin_iters,
            }),
            WorkType::FutexFanOut {
                fan_out,
                spin_iters,
            } => Box::new(fanout::FanOut {
                fan_out: *fan_out,
                work: fanout::Work::Spin(*spin_iters),
            }),
            WorkType::FanOutCompute {
                fan_out,
                cache_footprint_kb,
                operations,
                sleep_usec,
            } => Box::new(fanout::FanOut {
                fan_out: *fan_out,
                work: fanout::Work::Compute {
                    footprint_kb: *cache_footprint_kb,
                    operations: *operations,
                    sleep_usec: *sleep_usec,
                },
            }),
            WorkType::MutexContention {
                contenders,
                hold_iters,
                work_iters,
            } => Box::new(contention::MutexContention {
                contenders: *contenders,
                hold_iters: *hold_iters,
                work_iters: *work_iters,
            }),
            WorkType::ThunderingHerd {
                waiters,
                hold_iters,
            } => Box::new(herd::ThunderingHerd {
                waiters: *waiters,
                hold_iters: *hold_iters,
            }),
            WorkType::PriorityInversion {
                hold_iters,
                hog_burst_us,
                hog_sleep_us,
                waiter_sleep_us,
            } => Box::new(inversion::PriorityInversion {
                hold_iters: *hold_iters,
                hog_burst_us: *hog_burst_us,
                hog_sleep_us: *hog_sleep_us,
                waiter_sleep_us: *waiter_sleep_us,
            }),
            WorkType::ProducerConsumerImbalance {
                producers,
                consumers,
                ring_size,
                produce_iters,
                consume_iters,
            } => Box::new(ring::ProducerConsumer {
                producers: *producers,
                consumers: *consumers,
                ring_size: *ring_size,
                produce_iters: *produce_iters,
                consume_iters: *consume_iters,
            }),
            WorkType::RtStarvation {
                rt_burst_us,
                rt_sleep_us,
            } => Box::new(rt::RtPair::Starvation {
                burst_us: *rt_burst_us,
                sleep_us: *rt_sleep_us,
            }),
            WorkType::AsymmetricWaker {
                waker_iters,
                wakee_iters,
            } => Box::new(waker::AsymmetricWaker {
                waker_iters: *waker_iters,
                wakee_iters: *wakee_iters,
            }),
            WorkType::WakeChain { depth, work_iters } => Box::new(waker::WakeChain {
                depth: *depth,
                work_iters: *work_iters,
            }),
            WorkType::SignalStorm { spin_iters } => Box::new(signal::SignalStorm {
                spin_iters: *spin_iters,
            }),
            WorkType::PreemptStorm {
                sleep_us,
                work_iters,
            } => Box::new(rt::RtPair::Storm {
                sleep_us: *sleep_us,
                work_iters: *work_iters,
            }),
            WorkType::EpollStorm {
                producers,
                spin_iters,
            } => Box::new(epoll::EpollStorm {
                producers: *producers,
                spin_iters: *spin_iters,
            }),
            WorkType::SmtSiblingSpin { spin_iters } => Box::new(smt::SmtSiblingSpin {
                spin_iters: *spin_iters,
            }),
            WorkType::Custom { name, run } => Box::new(custom::Custom {
                name,
                run: run.clone(),
            }),
        }
    }

    /// The type's name (`Custom`'s is the user's).
    pub fn name(&self) -> &'static str {
        self.family().name()
    }

    /// Workers per group for grouped types (`num_workers` must be a multiple
    /// of it); None for types whose workers are independent.
    pub fn worker_group_size(&self) -> Option<usize> {
        self.family().group_size()
    }

    /// Check the parameters and the worker count against the group size.
    pub(crate) fn validate(&self, num_workers: usize) -> Result<(), String> {
        let family = self.family();
        family.validate()?;
        if let Some(g) = family.group_size() {
            if g == 0 || num_workers % g != 0 {
                return Err(format!(
                    "{} needs a multiple of {g} workers, got {num_workers}",
                    family.name()
                ));
            }
        }
        Ok(())
    }
}
