//! `ktstr bench peers`: the engine's ping-pong work types side by side with
//! the standard peer benchmarks, in one run.
//!
//! 1. **Pairs** ([`run_pairs`]): two tasks in strict alternation.
//!    `perf bench sched pipe` (two processes, or two threads with `-T`)
//!    against a `PipeIo { burst_iters: 0 }` pair and a
//!    `FutexPingPong { spin_iters: 0 }` pair (Fork against processes,
//!    Thread against threads), each unpinned and with both tasks pinned to
//!    one CPU. The figure is round trips per second: perf's `usecs/op`
//!    (one op is one round trip), and the ping worker's `work_units` (one
//!    per completed round trip, for both types) over its `wall_time_ns`.
//! 2. **Many groups** ([`run_groups`]): 64 `PipeIo` pairs (128 Fork
//!    workers) against 64 `perf bench sched pipe` at once (the same shape),
//!    `perf bench sched messaging` and rt-tests `hackbench`, in messages per
//!    second. The shapes of the last two differ (they stream messages
//!    without waiting for answers); [`GROUP_NOTES`] says how.
//!
//! Every figure is measured `repeat` times; within a repeat the order of
//! the benchmarks is reversed every other repeat (peer first, then ktstr
//! first), and each ratio is taken between runs of the same repeat, then
//! summarised. Peer loop counts are fixed for the whole bench, chosen by
//! short probe runs so that a run takes about `run_for`. A peer that is
//! missing or fails is skipped with the reason (and the Debian package
//! that provides it); only an engine failure fails the bench.
//!
//! The main types here are [`PeersPlan`] and [`Row`]; [`cli`] runs it
//! ([`PeersArgs`], [`main`]), [`exec`] runs the peer programs and [`parse`]
//! reads their output.

mod cli;
mod common;
mod exec;
mod groups;
mod pairs;
mod parse;
mod print;
#[cfg(test)]
mod tests;

pub(crate) use cli::{main, PeersArgs};
pub(crate) use common::*;
pub(crate) use groups::*;
pub(crate) use pairs::*;
pub(crate) use print::*;
