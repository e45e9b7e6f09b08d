//! The `ktstr` command-line tool: run an ad-hoc workload on this host
//! (`ktstr run`), list the work types (`ktstr list`), benchmark the
//! engine (`ktstr bench`), compare two runs' records (`ktstr compare`) and
//! draw one (`ktstr plot`).
//!
//! This file only parses arguments and maps outcomes to exit codes; each
//! subcommand lives in its own module.

// The binary makes OS calls only through safe APIs (std, nix, the library).
#![deny(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod bench;
mod compare;
mod list;
mod out;
mod plot;
mod repeat;
mod run;
mod run_table;
mod topo;
mod vm_run;

/// Exit code for a run that worked.
const EXIT_OK: u8 = 0;
/// Exit code for bad input (unknown work type, invalid config), as clap uses.
const EXIT_USAGE: u8 = 2;
/// Exit code for a failure while running (spawn failed, workers lost).
const EXIT_FAILURE: u8 = 1;

/// ktstr: a test harness for Linux process schedulers.
#[derive(Parser, Debug)]
#[command(name = "ktstr", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run an ad-hoc workload on this host and print per-worker results.
    Run(run::RunArgs),
    /// List every work type with its group size and what it stresses.
    List,
    /// Benchmark the workload engine (spawn, start, collect, overhead).
    Bench(bench::BenchArgs),
    /// Compare two runs' JSON records metric by metric; exit 1 when
    /// something got worse.
    Compare(compare::CompareArgs),
    /// Draw a test's JSON record as SVG: worker progress, per-CPU
    /// occupancy, wake latency, scenario steps.
    Plot(plot::PlotArgs),
    /// Print this machine's CPU topology: CPUs, cores, SMT siblings, LLCs,
    /// NUMA nodes.
    Topo,
}

/// What a subcommand can end with.
#[derive(Debug)]
enum Failure {
    /// The user's input was wrong: exit 2.
    Usage(String),
    /// Something failed while running: exit 1.
    Runtime(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Runtime(e)
    }
}

fn main() -> ExitCode {
    // Inside a VM booted by `ktstr run --vm`, this binary is init.
    ktstr::vm::guest_init_if_asked();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::main(args),
        Command::List => list::main(),
        Command::Bench(args) => bench::main(args),
        Command::Topo => topo::main(),
        Command::Compare(args) => compare::main(args),
        Command::Plot(args) => plot::main(args),
    };
    match result {
        // Stopped early by Ctrl-C or SIGTERM: the report was printed, and
        // the exit code says how the run ended, as a shell expects.
        Ok(()) => ExitCode::from(ktstr::interrupt::exit_code().unwrap_or(EXIT_OK)),
        Err(Failure::Usage(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(EXIT_USAGE)
        }
        Err(Failure::Runtime(e)) => {
            eprintln!("error: {e:#}");
            // Interrupted (while spawning, say): say how, as a shell would.
            ExitCode::from(ktstr::interrupt::exit_code().unwrap_or(EXIT_FAILURE))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn verify_cli() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
