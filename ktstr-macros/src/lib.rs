//! The `#[ktstr::test(...)]` attribute. Use it through the `ktstr` crate
//! (`ktstr::test`); this crate's output names `::ktstr::...` paths and does
//! not work without it.
//!
//! - `keys.rs` is the vocabulary: every key, what it takes, and which
//!   reader reads it (the table drives parsing),
//! - `parse/` reads and checks the keys (every error spanned at the
//!   offending token) into the parsed model,
//! - `expand.rs` checks the function's shape and writes the registration:
//!   a function building the test's `TestSpec` with the library's builder,
//! - `suggest.rs` is "did you mean" (shared with the library).

#![deny(missing_docs)]

mod expand;
mod keys;
mod parse;
mod suggest;
mod thresholds;

use proc_macro::TokenStream;

/// Registers a function as a ktstr test.
///
/// ```ignore
/// use ktstr::prelude::*;
///
/// #[ktstr::test(workers = 4, work_type = Mixed, duration = "2s")]
/// fn mixed_load_is_fair(ctx: &mut Ctx) -> Result<()> {
///     let reports = ctx.run_workload()?;
///     ctx.check(&reports)?.max_spread_pct(35.0).done()
/// }
///
/// ktstr::main!();
/// ```
///
/// The function must look like `fn NAME(ctx: &mut Ctx) -> Result<()>`
/// (`Ctx` is `ktstr::harness::Ctx`, `Result` is `anyhow::Result`, spelled
/// any way): one argument, an explicit return type, not `async`, `unsafe`,
/// `extern` or generic. It is kept as it is; the attribute adds a static
/// registration for it (its name, place, body and a function building its
/// `ktstr::harness::TestSpec`, one builder call per key), registered with
/// `inventory`, which
/// the harness's `main` lists, filters and runs (each test in its own
/// supervised process). The test's name is its module path without the
/// crate name, then the function's name (`fairness::mixed_load_is_fair`).
/// A `#[cfg(...)]` on the function applies to its registration too.
///
/// `#[ktstr::test]` alone takes every default. Otherwise give
/// comma-separated keys, each at most once, in any order:
///
/// # Workload (what `ctx.run_workload()` spawns)
///
/// | Key | Value | Default |
/// |---|---|---|
/// | `workers = N` | integer ≥ 1: workers per cgroup, or in total without cgroups | `2` |
/// | `work_type = EXPR` | any `WorkType` expression (see below) | `SpinWait` |
/// | `clone_mode = MODE` | `Fork` (one process per worker) or `Thread` | `Fork` |
/// | `duration = "2s"` | how long the workload runs: a duration string such as `"500ms"`, `"2s"`, `"1m 30s"`; more than zero | `"2s"` |
/// | `cgroups = N` | integer: number of cgroups the workers are spread over; `0` runs them in the test's own cgroup | `0` |
/// | `cpusets = LAYOUT` | how CPUs are laid out over the cgroups: `Inherit` (no cpusets), `Disjoint` (equal disjoint shares), `Overlap(F)` (equal shares overlapping their neighbour's by the fraction `F`, 0 < F < 1), `LlcAligned` (one last-level cache each) or `NumaAligned` (one NUMA node each); anything but `Inherit` needs `cgroups` ≥ 1 | `Inherit` |
///
/// `work_type` takes any expression of type `ktstr::workload::WorkType`.
/// When it names a variant or a constructor with a one-segment path, the
/// path is resolved against `WorkType` for you, so `Mixed`,
/// `Bursty { burst_ms: 5, sleep_ms: 5 }` and `bursty()` mean
/// `WorkType::Mixed`, `WorkType::Bursty { .. }` and `WorkType::bursty()`.
/// Longer paths are used as written: refer to your own items as
/// `crate::my_work()` or `self::MY_WORK`. The expression is evaluated when
/// the test runs, so it may call any function.
///
/// `clone_mode` and `cpusets` values may also be written qualified
/// (`CloneMode::Thread`, `CpusetLayout::Disjoint`).
///
/// # Scheduler and limits
///
/// | Key | Value | Default |
/// |---|---|---|
/// | `scheduler = "BINARY ARGS..."` | a sched_ext scheduler to run the test under: a binary name or path and its arguments, space separated | none: the kernel's default scheduler |
/// | `scheduler = PATH` | the same from a `ktstr::scheduler::Scheduler` const, e.g. `BPFLAND` (in the prelude) or `crate::MY_SCHED` | |
/// | `timeout = "30s"` | the whole test's deadline, a duration string longer than `duration` | the workload duration plus generous slack |
///
/// # Check thresholds (overrides of the defaults `ctx.check` applies)
///
/// One key per threshold of `ktstr::check::Thresholds` (`not_starved`,
/// `max_spread_pct`, `max_gap_ms`, `max_p99_wake_latency_us`,
/// `min_work_rate`, `max_throughput_cv`, `max_migration_ratio`,
/// `isolation`, ...): `KEY = VALUE` sets the limit (a bool for a check that
/// is on or off, a number or an integer ≥ 1 for a limit) and marks the
/// check asked for; `KEY = off` switches the check off
/// (`max_spread_pct = off`, and `not_starved = false` or
/// `isolation = false` for the flags). The keys come from the library's
/// one declaration of the thresholds (`ktstr/src/check/threshold_table.rs`);
/// `ktstr::check::THRESHOLD_KEYS` and the guide's "Attribute reference"
/// list each with its type, default, unit and meaning.
///
/// # Running
///
/// | Key | Value | Default |
/// |---|---|---|
/// | `ignore` or `ignore = "REASON"` | list the test as ignored (run it with `--ignored` or `--include-ignored`); bare `ignore` gives an empty reason | not ignored |
/// | `retries = K` | rerun a failure up to K times (1..=10); a pass after a retry is reported FLAKY — a failure unless `KTSTR_ACCEPT_FLAKY=1`, then ignored — never a plain pass; not with `should_fail`; not applied under `--repeat` | no retries |
/// | `payloads = ["stress-ng", ...]` | programs the body runs as payloads (`ctx.start_payload`): the test is ignored, naming their packages, when one is not on `$PATH`, and a VM test gets them and their libraries in its initramfs | none |
/// | `should_fail` or `should_fail = true` | the test passes only if a check failed (`CheckFailed`); a failed spawn, a panic, a dead scheduler or a timeout fails it and says what was expected | must pass |
/// | `should_fail = "TEXT"` | the test passes only if its body failed (a check, an error it returned, a panic) with a message containing `TEXT`, like `#[should_panic(expected = "...")]` | must pass |
/// | `requires(...)` | what the machine must offer, any of `root`, `sched_ext`, `smt` (each alone or `= BOOL`), `min_cpus = N`, `min_llcs = N` and `min_numa_nodes = N` (each N ≥ 1); a test needing sched_ext, SMT, LLCs or NUMA nodes this machine lacks runs in a VM built with them when a kernel is configured or cached (an explicit `vm(...)` must itself give them); otherwise a test whose requirements are not met is reported ignored with the reason | nothing |
/// | `vm` or `vm(...)` | run the test in a qemu VM booted with a sched_ext kernel (`kernel = "PATH"`, else `KTSTR_KERNEL`, else the cached one); keys `cpus`, `sockets`, `cores`, `threads`, `numa_nodes`, `memory_mb` (≥ 128), `kernel`; a test that needs sched_ext runs in a VM anyway when the host lacks it | on the host |
///
/// ```ignore
/// #[ktstr::test(
///     workers = 2,
///     work_type = Bursty { burst_ms: 5, sleep_ms: 5 },
///     clone_mode = Thread,
///     duration = "3s",
///     cgroups = 2,
///     cpusets = Overlap(0.5),
///     scheduler = "scx_simple --fifo",
///     max_spread_pct = 40,
///     max_p99_wake_latency_us = 5000,
///     timeout = "1m",
///     requires(root, sched_ext, min_cpus = 4),
/// )]
/// fn bursty_overlap(ctx: &mut Ctx) -> Result<()> {
///     let reports = ctx.run_workload()?;
///     ctx.check(&reports)?.done()
/// }
/// ```
///
/// # Errors
///
/// Mistakes are compile errors pointing at the offending token: an unknown
/// key (with the closest key suggested and the full list), a key given
/// twice, a value of the wrong kind (saying what the key takes), a value
/// out of range (`workers = 0`, `duration = "0s"`, a negative threshold,
/// `Overlap(1.5)`), a duration string humantime cannot read, an unknown
/// `clone_mode` or layout, and a function of the wrong shape.
#[proc_macro_attribute]
pub fn test(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::test(attr.into(), item.into()).into()
}

/// `&[(name, type), ...]`: the threshold keys the attribute takes and
/// their types (`bool`, `f64`, `u64`). For `ktstr`'s test that the
/// attribute and the library declare the same thresholds.
#[doc(hidden)]
#[proc_macro]
pub fn __threshold_keys(_: TokenStream) -> TokenStream {
    let (names, types): (Vec<_>, Vec<_>) = keys::thresholds().map(|(n, t)| (n, t.name())).unzip();
    quote::quote!(&[#((#names, #types)),*]).into()
}

/// `&[...]`: every key the attribute takes, top-level ones bare
/// (`workers`), nested ones qualified (`requires.min_cpus`, `vm.cpus`). For
/// the test that the guide's attribute reference lists every key.
#[doc(hidden)]
#[proc_macro]
pub fn __attribute_keys(_: TokenStream) -> TokenStream {
    let top = keys::KEYS.iter().map(|k| k.name.to_string());
    let req = keys::REQUIRES_KEYS
        .iter()
        .map(|k| format!("requires.{}", k.name));
    let vm = keys::VM_KEYS.iter().map(|k| format!("vm.{}", k.name));
    let all: Vec<String> = top.chain(req).chain(vm).collect();
    quote::quote!(&[#(#all),*]).into()
}
