//! Integration tests of the workload engine: real workers (processes and
//! threads) on the real machine.
//!
//! Every test that spawns workers holds [`helpers::lock`], so tests neither
//! disturb each other's measurements nor see each other's children, and
//! checks with [`helpers::Footprint`] that it left nothing behind.
//!
//! Modules: `types` (every work type in both clone modes), `lifecycle`
//! (spawn, start, snapshots, collect, drop), `faults` (panics, stuck and
//! killed workers, stop during long sleeps), `placement` (affinity, policy,
//! nice, memory policy), `naming` (pcomm container, comm), `bad_input`
//! (rejected configs and arguments), `spawn_errors` (spawn failing
//! part-way: refused forks and threads, workers dying before ready).
//!
//! Test names must keep `::` within their first 15 bytes (libtest names each
//! test's thread after it, and the leak check tells harness threads from
//! worker threads by that).

mod bad_input;
mod faults;
mod helpers;
mod lifecycle;
mod naming;
mod placement;
mod spawn_cancel;
mod spawn_errors;
mod timing;
mod types;
