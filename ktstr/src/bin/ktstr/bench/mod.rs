//! `ktstr bench`: benchmark the workload engine itself. One folder per
//! benchmark, sharing the host probe ([`host`]), the median/min/max
//! statistics ([`stats`]), the column layout ([`table`]) and the flags
//! every benchmark takes ([`Common`]):
//!
//! - [`engine`] (`ktstr bench`): spawn, start and collect cost, telemetry
//!   overhead against a bare spin loop, and whether the controlling thread
//!   keeps time behind its workers; `--part` picks some of them.
//! - [`peers`] (`ktstr bench peers`, a separate run): PipeIo and
//!   FutexPingPong side by side with `perf bench sched pipe`, `perf bench
//!   sched messaging` and `hackbench`.
//!
//! The main type here is [`BenchArgs`]; [`main`] runs the benchmark asked
//! for.

mod engine;
mod host;
mod peers;
mod stats;
mod table;

use crate::Failure;

/// The flags every benchmark takes, flattened into each one's arguments.
#[derive(clap::Args, Debug, Clone, Copy, Default)]
pub(crate) struct Common {
    /// Print one JSON document instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Shorter run: 2 repeats instead of 3 and 0.5 s runs instead of 2 s
    /// (about 15 s for the engine bench instead of 30-60 s, under 30 s for
    /// peers instead of about 2 minutes).
    #[arg(long)]
    pub quick: bool,
    /// Measure each figure this many times and report the median and the
    /// range [default: 3, or 2 with --quick] (the engine's overhead part
    /// runs at least 2 rounds, to alternate).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=50))]
    pub repeat: Option<u32>,
}

impl Common {
    /// How many times to measure each figure.
    pub fn repeats(&self) -> usize {
        self.repeat.unwrap_or(if self.quick { 2 } else { 3 }) as usize
    }

    /// How long each timed run lasts.
    pub fn run_for(&self) -> std::time::Duration {
        std::time::Duration::from_millis(if self.quick { 500 } else { 2000 })
    }

    /// These flags with those given before the subcommand added:
    /// `ktstr bench --json peers` means `ktstr bench peers --json`.
    fn with(self, outer: Common) -> Common {
        Common {
            json: self.json || outer.json,
            quick: self.quick || outer.quick,
            repeat: self.repeat.or(outer.repeat),
        }
    }
}

/// Arguments of `ktstr bench`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "`ktstr bench` alone runs the engine benchmark (lifecycle and telemetry \
     overhead). `ktstr bench peers` is separate (about 2 minutes, too long for the default run): \
     it compares PipeIo and FutexPingPong with `perf bench sched pipe`, `perf bench sched \
     messaging` and `hackbench`, which come from the Debian packages linux-perf and rt-tests \
     (a missing one is skipped)."
)]
pub(crate) struct BenchArgs {
    /// A separate benchmark instead of the engine benchmark.
    #[command(subcommand)]
    pub command: Option<BenchCommand>,
    #[command(flatten)]
    pub common: Common,
    /// Run only these parts (repeat the flag or separate with commas)
    /// [default: all three].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub part: Vec<engine::Part>,
}

/// The benchmarks `ktstr bench` runs instead of the engine benchmark.
#[derive(clap::Subcommand, Debug)]
pub(crate) enum BenchCommand {
    /// Side by side with perf bench and hackbench (a separate run of about 2 minutes)
    ///
    /// PipeIo and FutexPingPong pairs against `perf bench sched pipe`
    /// (processes and -T threads, unpinned and pinned to one CPU), and 64
    /// PipeIo pairs against 64 concurrent perf pipes, `perf bench sched
    /// messaging` and `hackbench`, as ratios. About 2 minutes (under 30 s
    /// with --quick). Needs `perf` (Debian package linux-perf) and `hackbench`
    /// (rt-tests); a missing one is skipped.
    Peers(peers::PeersArgs),
}

/// Run `ktstr bench`.
pub(crate) fn main(args: BenchArgs) -> Result<(), Failure> {
    match args.command {
        Some(BenchCommand::Peers(p)) => peers::main(p.common.with(args.common)),
        None => engine::main(args.common, &args.part),
    }
}
