//! Integration tests of the grouped work types (`PipeIo`, `CachePipe`,
//! `FutexPingPong`, `FutexFanOut`, `FanOutCompute`, `MutexContention`,
//! `ThunderingHerd`, `PriorityInversion`, `ProducerConsumerImbalance`,
//! `RtStarvation`, `AsymmetricWaker`, `WakeChain`, `SignalStorm`,
//! `PreemptStorm`, `EpollStorm`, `SmtSiblingSpin`): real groups of workers
//! on the real machine, in every clone mode.
//!
//! Every test that spawns workers holds [`common::lock`]: one workload at a
//! time, so tests neither disturb each other's measurements nor inherit
//! each other's descriptors. Thresholds are loose on purpose: the machines
//! running this are small, shared and noisy.
//!
//! Modules: `runs` (each type in Fork, Thread and pcomm mode, and stopped
//! before it ran), `partner_death` (a killed partner must not hang the
//! other; descriptor ownership in Fork mode), `validation` (bad worker
//! counts and parameters); for the ten later types, `roles` (what each
//! role's rustdoc promises, and the run check built on it), `wake_runs`
//! (the wake-pattern types), `rt_runs` (the real-time and SMT types) and
//! `more_validation`; `member_work` (one member of a group given more spin
//! work than its peers).

mod common;
mod member_work;
mod more_validation;
mod partner_death;
mod roles;
mod rt_runs;
mod runs;
mod validation;
mod wake_runs;
