//! `ktstr bench`: benchmark the workload engine itself.
//!
//! Three measurements, in one run:
//!
//! 1. **Lifecycle** ([`lifecycle`]): what spawning, starting and collecting
//!    `SpinWait` workers costs, in Fork mode at 2, 16, 128 and 512 workers
//!    and in Thread mode at 2 and 512, and whether every report comes back.
//! 2. **Telemetry overhead** ([`overhead`]): the work rate of one pinned
//!    engine worker against a bare `spin_burst` loop on the same CPU.
//!
//! 3. **Controller timekeeping** ([`controller`]): whether the spawner
//!    keeps time behind its own workers (`start()` at 512 spinners, a 2 s
//!    run at 8 workers per CPU, the whole life of 1024-4096 Thread
//!    workers).
//!
//! `--part` picks some of them. `ktstr bench peers` ([`peers`]) is a separate run: PipeIo and
//! FutexPingPong side by side with `perf bench sched pipe`, `perf bench
//! sched messaging` and `hackbench`.
//!
//! The main type here is [`BenchArgs`]; [`main`] runs both parts and
//! prints a table (or JSON with `--json`). The host header comes from
//! [`host`], the median/min/max statistics from [`stats`], the column
//! layout from [`table`].

mod cli;
mod controller;
mod host;
mod lifecycle;
mod overhead;
mod peers;
mod peers_cli;
mod peers_exec;
mod peers_parse;
mod stats;
mod table;

pub(crate) use cli::{main, BenchArgs};
