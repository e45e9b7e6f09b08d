//! Integration tests of the grouped work types (`PipeIo`, `CachePipe`,
//! `FutexPingPong`, `FutexFanOut`, `FanOutCompute`, `MutexContention`):
//! real groups of workers on the real machine, in every clone mode.
//!
//! Every test that spawns workers holds [`common::lock`]: one workload at a
//! time, so tests neither disturb each other's measurements nor inherit
//! each other's descriptors. Thresholds are loose on purpose: the machines
//! running this are small, shared and noisy.
//!
//! Modules: `runs` (each type in Fork, Thread and pcomm mode, and stopped
//! before it ran), `partner_death` (a killed partner must not hang the
//! other; descriptor ownership in Fork mode), `validation` (bad worker
//! counts and parameters).

mod common;
mod partner_death;
mod runs;
mod validation;
