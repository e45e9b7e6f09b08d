//! Plots of a run (feature `plot`): a test's JSON record drawn as one SVG
//! a browser opens, with plotters.
//!
//! Panels, top to bottom: every worker's progress (iterations) over time
//! from the record's samples, each CPU's occupancy by the test's workers
//! over the same time axis, and the wake-latency distribution. Scenario
//! step starts are vertical lines over the time panels. A panel whose
//! data the record lacks says so instead of staying empty.
//!
//! Three ways in: `ktstr plot RECORD.json -o out.svg`, `ktstr run ...
//! --plot out.svg`, and `KTSTR_PLOT=1` when running tests, which writes
//! `<test>.svg` beside each test's record (see [`beside_record`]).
//!
//! ```no_run
//! # fn main() -> Result<(), ktstr::plot::PlotError> {
//! let path = std::path::Path::new("target/ktstr/scenarios/my_test.json");
//! ktstr::plot::plot_file(path, std::path::Path::new("my_test.svg"))?;
//! # Ok(()) }
//! ```

mod data;
mod draw;

use std::path::{Path, PathBuf};

use serde_json::Value;

pub use data::{
    latency, occupancy, step_marks, worker_lines, Cell, Latency, Occupancy, StepMark, WorkerLine,
    BINS, MAX_COLUMNS,
};

use crate::compare::RECORD_FORMAT;
use crate::harness::TestOutcome;

/// The SVG's width in pixels.
pub const WIDTH: u32 = 1200;
/// The SVG's height in pixels.
pub const HEIGHT: u32 = 1150;

/// Why a record could not be plotted.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The record file could not be read (missing, unreadable).
    #[error("cannot read the record {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not a ktstr record (not JSON, truncated, other JSON).
    #[error("{path} is not a ktstr test record: {why}")]
    NotARecord {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// The record's layout version is not the one this ktstr draws.
    #[error(
        "{path} has record format {found}, this ktstr plots format {RECORD_FORMAT}: \
         plot it with the ktstr version that wrote it"
    )]
    Format {
        /// The file.
        path: PathBuf,
        /// Its `format`.
        found: u64,
    },
    /// The record has no samples over time, so there is nothing to draw.
    #[error(
        "{path}: test {test} has no samples over time to plot (samples are taken while \
         ctx.run_workload, ctx.run_cgroups or ctx.run_scenario hold, and by `ktstr run --plot`)"
    )]
    NoSamples {
        /// The file.
        path: PathBuf,
        /// The test's name.
        test: String,
    },
    /// plotters failed to draw.
    #[error("drawing the plot failed: {0}")]
    Draw(String),
    /// The SVG could not be written.
    #[error("cannot write the plot {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

impl PlotError {
    /// Whether the input was wrong (exit code 2 in `ktstr plot`), rather
    /// than drawing or writing failing.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, PlotError::Draw(_) | PlotError::Write { .. })
    }
}

/// A test record, read for plotting.
#[derive(Clone, Debug)]
pub struct PlotRecord {
    /// Where it came from (for messages and the title).
    pub path: PathBuf,
    /// The test's name.
    pub test: String,
    /// Its binary.
    pub binary: String,
    /// "passed", "failed", ...
    pub result: String,
    /// The host kernel, when recorded.
    pub kernel: Option<String>,
    /// The CPUs online on the host (cpu-list syntax), when recorded.
    pub online_cpus: Option<String>,
    /// What the test's body measured (samples, reports, verdicts).
    pub outcome: TestOutcome,
}

/// Read and check the record at `path`.
pub fn read(path: &Path) -> Result<PlotRecord, PlotError> {
    let bytes = std::fs::read(path).map_err(|source| PlotError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| PlotError::NotARecord {
        path: path.to_path_buf(),
        why: format!("not valid JSON ({e}); truncated, or not a record"),
    })?;
    PlotRecord::from_value(&value, path)
}

impl PlotRecord {
    /// A record from its JSON `value`; `path` names it in messages.
    pub fn from_value(value: &Value, path: &Path) -> Result<PlotRecord, PlotError> {
        let bad = |why: String| PlotError::NotARecord {
            path: path.to_path_buf(),
            why,
        };
        let field = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_string);
        if let Some(runs) = value.pointer("/repeats/runs").and_then(Value::as_array) {
            let first = runs.first().and_then(|r| r.get("record")?.as_str());
            return Err(bad(format!(
                "it is the summary of a --repeat run; plot one of its repeats{}",
                first.map(|f| format!(", e.g. {f}")).unwrap_or_default()
            )));
        }
        let (Some(test), Some(binary), Some(result)) =
            (field("test"), field("binary"), field("result"))
        else {
            return Err(bad(
                "JSON without the \"test\", \"binary\" and \"result\" fields of a record".into(),
            ));
        };
        let found = value.get("format").and_then(Value::as_u64).unwrap_or(1);
        if found != RECORD_FORMAT {
            return Err(PlotError::Format {
                path: path.to_path_buf(),
                found,
            });
        }
        let outcome: TestOutcome = match value.get("outcome") {
            None | Some(Value::Null) => TestOutcome::default(),
            Some(o) => serde_json::from_value(o.clone())
                .map_err(|e| bad(format!("its \"outcome\" does not read: {e}")))?,
        };
        if !outcome.samples.as_ref().is_some_and(|s| !s.rows.is_empty()) {
            return Err(PlotError::NoSamples {
                path: path.to_path_buf(),
                test,
            });
        }
        Ok(PlotRecord {
            path: path.to_path_buf(),
            test,
            binary,
            result,
            kernel: value
                .pointer("/host/kernel")
                .and_then(Value::as_str)
                .map(str::to_string),
            online_cpus: value
                .pointer("/host/online_cpus")
                .and_then(Value::as_str)
                .map(str::to_string),
            outcome,
        })
    }

    /// The record drawn as an SVG document of [`WIDTH`] x [`HEIGHT`].
    pub fn to_svg(&self) -> Result<String, PlotError> {
        draw::svg(self)
    }
}

/// Write `svg` to `out` whole: a temp file beside it renamed into place,
/// so a reader (or a failed run) never leaves half a file.
pub fn write_svg(svg: &str, out: &Path) -> Result<(), PlotError> {
    let failed = |source| PlotError::Write {
        path: out.to_path_buf(),
        source,
    };
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    let mut tmp = out.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, svg)
        .and_then(|()| std::fs::rename(&tmp, out))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            failed(e)
        })
}

/// Read the record at `record`, draw it and write the SVG to `out`.
pub fn plot_file(record: &Path, out: &Path) -> Result<(), PlotError> {
    write_svg(&read(record)?.to_svg()?, out)
}

/// `KTSTR_PLOT=1`: draw the record just written to `path` (its JSON
/// `value`) as `path` with the extension `.svg`. A record without samples
/// (or a `--repeat` summary) gets no plot; problems go to stderr and never
/// change the test's verdict.
pub fn beside_record(path: &Path, value: &Value) {
    if value.get("repeats").is_some() {
        return;
    }
    let out = path.with_extension("svg");
    let done = PlotRecord::from_value(value, path)
        .and_then(|r| r.to_svg())
        .and_then(|svg| write_svg(&svg, &out));
    match done {
        Ok(()) => eprintln!("ktstr: plot {}", out.display()),
        Err(e @ PlotError::NoSamples { .. }) => eprintln!("ktstr: no plot: {e}"),
        Err(e) => eprintln!("ktstr: KTSTR_PLOT: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ktstr-plot-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d.join(name)
    }

    fn record(format: u64, samples: Value) -> Value {
        serde_json::json!({"format": format, "test": "t", "binary": "b", "result": "passed",
            "outcome": {"passed": true, "error": null, "panicked": false, "verdicts": [],
                        "groups": [], "body_ns": 1, "samples": samples}})
    }

    #[test]
    fn bad_records_are_named_with_what_is_wrong() {
        let missing = read(&tmp("nope.json")).unwrap_err();
        assert!(matches!(missing, PlotError::Read { .. }), "{missing}");
        let cut = tmp("cut.json");
        let full = record(RECORD_FORMAT, Value::Null).to_string();
        std::fs::write(&cut, &full[..full.len() / 2]).unwrap();
        let e = read(&cut).unwrap_err();
        assert!(e.to_string().contains("truncated"), "{e}");
        let e = PlotRecord::from_value(&record(99, Value::Null), &cut).unwrap_err();
        assert!(e.to_string().contains("record format 99"), "{e}");
        let e = PlotRecord::from_value(&record(RECORD_FORMAT, Value::Null), &cut).unwrap_err();
        assert!(matches!(e, PlotError::NoSamples { .. }), "{e}");
        let empty = serde_json::json!({"every_ms": 100, "stride": 1, "rows": []});
        let e = PlotRecord::from_value(&record(RECORD_FORMAT, empty), &cut).unwrap_err();
        assert!(e.to_string().contains("has no samples"), "{e}");
        let summary = serde_json::json!({"repeats": {"runs": [{"record": "repeats/t/1.json"}]}});
        let e = PlotRecord::from_value(&summary, &cut).unwrap_err();
        assert!(e.to_string().contains("e.g. repeats/t/1.json"), "{e}");
        assert!([missing, e].iter().all(PlotError::is_bad_input));
    }

    #[test]
    fn a_failed_plot_leaves_no_file() {
        let out = tmp("never.svg");
        let no_samples = tmp("empty.json");
        std::fs::write(&no_samples, record(RECORD_FORMAT, Value::Null).to_string()).unwrap();
        assert!(plot_file(&no_samples, &out).is_err());
        assert!(!out.exists());
        // Writing into a directory that cannot exist fails and leaves no temp.
        let blocked = no_samples.join("sub").join("x.svg");
        assert!(matches!(
            write_svg("<svg/>", &blocked),
            Err(PlotError::Write { .. })
        ));
        let left: Vec<_> = std::fs::read_dir(no_samples.parent().unwrap())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
