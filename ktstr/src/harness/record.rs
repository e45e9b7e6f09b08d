//! What a finished test leaves behind: the failure message libtest prints
//! (reason, failed checks, a stats block, captured output, a repro line),
//! and the JSON record under `target/ktstr/<binary>/<test>.json`.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use super::supervise::Supervised;
use super::TestEntry;
use crate::check::{CheckStatus, ReportGroup, Verdict};
use crate::stats::GroupStats;

/// The binary's name without cargo's `-<hash>` suffix.
pub(crate) fn binary_name() -> String {
    let exe = std::env::current_exe().unwrap_or_default();
    let stem = exe
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "tests".into());
    match stem.rsplit_once('-') {
        Some((name, hash)) if hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()) => {
            name.to_string()
        }
        _ => stem,
    }
}

/// Where records go: `$KTSTR_OUTPUT_DIR`, else the cargo target directory
/// the binary was built in (the nearest ancestor holding cargo's
/// `CACHEDIR.TAG`), else the temp dir; then `ktstr/<binary>`, where
/// `<binary>` is this program's name without cargo's hash suffix.
pub fn record_dir() -> PathBuf {
    let base = std::env::var_os("KTSTR_OUTPUT_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            let exe = std::env::current_exe().ok()?;
            exe.ancestors()
                .skip(1)
                .find(|d| d.join("CACHEDIR.TAG").is_file())
                .map(PathBuf::from)
        })
        .unwrap_or_else(std::env::temp_dir);
    base.join("ktstr").join(binary_name())
}

/// The command that reruns one test.
pub(crate) fn repro_line(name: &str) -> String {
    let exe = std::env::current_exe().unwrap_or_default();
    format!("{} --exact {name} --nocapture", exe.display())
}

/// A short per-group stats block, from the [`GroupStats`] the checks
/// judge (a worker with no wall time has no CPU share: see
/// [`crate::stats`]).
pub(crate) fn stats_block(groups: &[ReportGroup]) -> String {
    let mut s = String::new();
    for g in groups {
        let st = GroupStats::of(&g.reports);
        let shares = match st.share_range() {
            Some(((_, lo), (_, hi))) => format!("{lo:.1}-{hi:.1}%"),
            None => "n/a (no worker ran)".into(),
        };
        let lat = st
            .wake
            .map(|p| {
                format!(
                    ", wake p50 {:.1} µs p99 {:.1} µs",
                    p.p50 as f64 / 1e3,
                    p.p99 as f64 / 1e3
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "  {}: {} workers ({} reported), {} units, CPU share {shares}, worst gap {:.1} ms, {} migrations{lat}",
            g.name,
            g.reports.len(),
            st.live.len(),
            st.work_units,
            st.worst_gap_ns as f64 / 1e6,
            st.migrations,
        );
    }
    s
}

/// The failed and not-applicable checks of `verdicts` that `reason` does
/// not already say, one line each: a failed check's text is printed once
/// (the body's error usually is the `CheckFailed` that lists them).
pub(crate) fn check_lines(reason: &str, verdicts: &[Verdict]) -> String {
    let mut s = String::new();
    for r in verdicts.iter().flat_map(|v| &v.results) {
        let (what, text) = match &r.status {
            CheckStatus::Passed => continue,
            CheckStatus::Failed => ("failed", &r.message),
            CheckStatus::NotApplicable { why } => ("not applicable", why),
        };
        if !reason.contains(text.as_str()) {
            let _ = writeln!(s, "  check {:?} [{}] {what}: {text}", r.kind, r.group);
        }
    }
    s
}

/// The message shown for a failed test: the reason, the checks it does not
/// already list, stats, captured output and the rerun line.
pub(crate) fn failure_message(
    name: &str,
    reason: &str,
    sup: &Supervised,
    nocapture: bool,
) -> String {
    let mut s = format!("{}\n", reason.trim_end());
    if let Ok(o) = &sup.outcome {
        s.push_str(&check_lines(reason, &o.verdicts));
        if !o.groups.is_empty() {
            let _ = write!(s, "\n--- stats ---\n{}", stats_block(&o.groups));
        }
    }
    if !nocapture && sup.output.total > 0 {
        let _ = write!(s, "\n--- output ---\n{}", sup.output.text());
        if !s.ends_with('\n') {
            s.push('\n');
        }
    }
    let _ = write!(s, "\nrerun: {}", repro_line(name));
    s
}

#[derive(Serialize)]
struct Record<'a> {
    /// The record layout's version ([`crate::compare::RECORD_FORMAT`]).
    format: u64,
    /// The ktstr that wrote it.
    ktstr_version: &'static str,
    test: String,
    binary: String,
    result: &'a str,
    reason: Option<&'a str>,
    /// What the test ran (sent by its child) and the settings the harness
    /// applied (requirements, expected ending, scheduler); null when the
    /// child sent nothing.
    config: serde_json::Value,
    /// The child's outcome (without its `config`, kept above).
    outcome: Option<serde_json::Value>,
    faults: &'a [String],
    elapsed_ns: u64,
    /// The VM the test ran in: guest kernel, accelerator, timings.
    vm: Option<&'a super::vm::VmInfo>,
    host: Host,
    repro: String,
}

/// The machine a record was made on (every record's `host` block).
#[derive(Serialize)]
pub(crate) struct Host {
    kernel: String,
    online_cpus: String,
}

pub(crate) fn host() -> Host {
    let u = nix::sys::utsname::uname().ok();
    Host {
        kernel: u
            .map(|u| u.release().to_string_lossy().into_owned())
            .unwrap_or_default(),
        online_cpus: crate::cpuset::CpuSet::online().to_string(),
    }
}

/// The record's `config`: what the child says it ran, plus the settings
/// the harness applied; null when the child sent nothing (it crashed or
/// timed out).
fn config_of(entry: &TestEntry, sup: &Supervised) -> serde_json::Value {
    let Some(serde_json::Value::Object(mut ran)) =
        sup.outcome.as_ref().ok().and_then(|o| o.config.clone())
    else {
        return serde_json::Value::Null;
    };
    let spec = entry.spec();
    let applied = serde_json::json!({
        "requires": spec.requires,
        "should_fail": spec.should_fail,
        "scheduler": spec.scheduler.map(|s| s.to_string()),
    });
    if let serde_json::Value::Object(applied) = applied {
        ran.extend(applied);
    }
    serde_json::Value::Object(ran)
}

/// The JSON record of a finished test (what [`write_record`] writes).
pub(crate) fn record_value(
    entry: &TestEntry,
    result: &str,
    reason: Option<&str>,
    sup: &Supervised,
) -> serde_json::Value {
    let name = entry.full_name();
    let rec = Record {
        format: crate::compare::RECORD_FORMAT,
        ktstr_version: env!("CARGO_PKG_VERSION"),
        test: name.clone(),
        binary: binary_name(),
        result,
        reason,
        config: config_of(entry, sup),
        outcome: sup.outcome.as_ref().ok().map(|o| {
            let mut v = serde_json::to_value(o).unwrap_or_default();
            if let Some(m) = v.as_object_mut() {
                m.remove("config");
            }
            v
        }),
        faults: &sup.faults,
        elapsed_ns: sup.elapsed.as_nanos() as u64,
        vm: sup.vm.as_ref(),
        host: host(),
        repro: repro_line(&name),
    };
    serde_json::to_value(&rec).unwrap_or_default()
}

/// Where the record of test `name` goes: `<record_dir>/<test>.json`.
pub(crate) fn record_path(name: &str) -> PathBuf {
    record_dir().join(format!("{}.json", file_stem(name)))
}

/// A test's name as a file name (`a::b` becomes `a__b`).
pub(crate) fn file_stem(name: &str) -> String {
    name.replace("::", "__")
}

/// Write `value` to `path` whole (a temp file renamed into place, so a
/// reader never sees half a record); returns the path. Failures to write
/// are reported on stderr and do not change the verdict.
pub(crate) fn write_json(path: &std::path::Path, value: &serde_json::Value) -> Option<PathBuf> {
    let write = || -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let json = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
        // Per-process temp name: two runs of one test may write at once.
        let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
        std::fs::write(&tmp, json)
            .and_then(|()| std::fs::rename(&tmp, path))
            .inspect_err(|_| {
                let _ = std::fs::remove_file(&tmp);
            })
    };
    match write() {
        Ok(()) => {
            plot_if_asked(path, value);
            Some(path.to_path_buf())
        }
        Err(e) => {
            eprintln!("ktstr: could not write the record {}: {e}", path.display());
            None
        }
    }
}

/// `KTSTR_PLOT=1`: draw the record beside it as `<test>.svg`.
fn plot_if_asked(path: &std::path::Path, value: &serde_json::Value) {
    if std::env::var_os("KTSTR_PLOT").is_some_and(|v| v == "1") {
        #[cfg(feature = "plot")]
        crate::plot::beside_record(path, value);
        #[cfg(not(feature = "plot"))]
        eprintln!(
            "ktstr: KTSTR_PLOT=1 ignored for {} ({}): ktstr was built without its `plot` feature",
            path.display(),
            value.get("test").and_then(|t| t.as_str()).unwrap_or("?")
        );
    }
}

/// Write the JSON record of a finished test to
/// `target/ktstr/<binary>/<test>.json`; returns its path.
pub(crate) fn write_record(
    entry: &TestEntry,
    result: &str,
    reason: Option<&str>,
    sup: &Supervised,
) -> Option<PathBuf> {
    let value = record_value(entry, result, reason, sup);
    write_json(&record_path(&entry.full_name()), &value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{CheckFailed, Checker};
    use crate::workload::WorkerReport;

    fn hog(index: usize, cpu_pct: u64) -> WorkerReport {
        WorkerReport {
            index,
            tid: 100 + index as i32,
            work_units: 1000,
            iterations: 10,
            wall_time_ns: 2_000_000_000,
            cpu_time_ns: 20_000_000 * cpu_pct,
            ..Default::default()
        }
    }

    #[test]
    fn the_stats_block_and_fairness_share_one_zero_wall_time_rule() {
        let idle = WorkerReport {
            index: 1,
            ..hog(1, 0)
        };
        let no_wall = WorkerReport {
            wall_time_ns: 0,
            cpu_time_ns: 0,
            ..idle.clone()
        };
        // A worker with no wall time has no share: not a 0 % one.
        let g = ReportGroup::new("g", vec![hog(0, 60), no_wall]);
        let block = stats_block(std::slice::from_ref(&g));
        assert!(block.contains("CPU share 60.0-60.0%"), "{block}");
        let v = Checker::new(vec![g]).evaluate();
        assert!(
            v.failures()
                .all(|r| r.kind != crate::check::CheckKind::Fairness),
            "{v}"
        );
        // The broken case: one that ran at 0 % is counted by both.
        let g = ReportGroup::new("g", vec![hog(0, 60), idle]);
        let block = stats_block(std::slice::from_ref(&g));
        assert!(block.contains("CPU share 0.0-60.0%"), "{block}");
        let v = Checker::new(vec![g]).evaluate();
        assert!(
            v.failures()
                .any(|r| r.kind == crate::check::CheckKind::Fairness),
            "{v}"
        );
    }

    #[test]
    fn a_failed_check_is_printed_once() {
        let unfair = ReportGroup::new("cg_0", vec![hog(0, 95), hog(1, 5)]);
        let single = ReportGroup::new("cg_1", vec![hog(2, 50)]);
        let verdict = Checker::new(vec![unfair, single]).evaluate();
        let reason = CheckFailed {
            verdict: verdict.clone(),
        }
        .to_string();
        let text = format!("{reason}{}", check_lines(&reason, &[verdict]));
        assert_eq!(text.matches("CPU shares 90 pp apart").count(), 1, "{text}");
        assert!(
            text.contains("check Fairness [cg_1] not applicable: 1 worker(s) of cg_1 ran"),
            "{text}"
        );
    }
}
