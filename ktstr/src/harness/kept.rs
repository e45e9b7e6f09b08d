//! Keeping every run of a test, not only its last: the records of
//! `--repeat N` (each repeat, and a summary that lists them) and of
//! `retries = K` (each failed attempt), for the test harness and for
//! `ktstr run --repeat N` alike.
//!
//! ```text
//! <dir>/<test>.json                  the test's record (with --repeat: the summary)
//! <dir>/repeats/<test>/<i>.json      repeat i of N: a full record, with a "repeat" block
//! <dir>/attempts/<test>/<k>.json     failed attempt k of a retried test, with an "attempt" block
//! ```
//!
//! `<dir>` is [`record_dir`] for the harness. `ktstr compare` reads the
//! repeats as repeats of the test (its noise estimate) and skips the
//! summary and the failed attempts. Starting a test's records
//! ([`RepeatRecords::start`], [`clear`]) removes what a previous run left
//! under `repeats/` and `attempts/`, so a directory never mixes two runs.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::record::{file_stem, write_json};
use crate::compare::{extract, spread, Spread};

pub use super::record::record_dir;

/// `repeats/<test>` or `attempts/<test>`, relative to the record directory.
fn kept_rel(kind: &str, test: &str) -> PathBuf {
    Path::new(kind).join(file_stem(test))
}

/// Remove the repeats and failed attempts a previous run of `test` left
/// under `dir`. Failures are reported on stderr; they do not stop the run.
pub fn clear(dir: &Path, test: &str) {
    for kind in ["repeats", "attempts"] {
        let d = dir.join(kept_rel(kind, test));
        if let Err(e) = std::fs::remove_dir_all(&d) {
            if e.kind() != std::io::ErrorKind::NotFound {
                eprintln!(
                    "ktstr: could not remove the old {kind} {}: {e}",
                    d.display()
                );
            }
        }
    }
}

/// The `host` block every record carries (kernel release, online CPUs),
/// for a record built outside the harness (`ktstr run`).
pub fn host() -> Value {
    serde_json::to_value(super::record::host()).unwrap_or_default()
}

/// Write `record` as the one record of `test` under dir,
/// `<dir>/<test>.json`, whole (clearing the repeats and attempts an earlier
/// run left); returns its path, or None when it could not be written
/// (said on stderr).
pub fn write_record(dir: &Path, test: &str, record: &Value) -> Option<PathBuf> {
    clear(dir, test);
    write_json(&dir.join(format!("{}.json", file_stem(test))), record)
}

/// Write `record` as failed attempt `k` of `of` of `test` under `dir`
/// (with an `"attempt"` block); returns its path relative to `dir`, as
/// the test's record lists it, or None when it could not be written.
pub(crate) fn write_attempt(
    dir: &Path,
    test: &str,
    k: u32,
    of: u32,
    mut record: Value,
) -> Option<PathBuf> {
    record["attempt"] = json!({"index": k, "of": of});
    let rel = kept_rel("attempts", test).join(format!("{k}.json"));
    write_json(&dir.join(&rel), &record).map(|_| rel)
}

/// One repeat, as the summary lists it.
struct Run {
    passed: bool,
    reason: Option<String>,
    /// Its record, relative to the summary's directory (None: not written).
    record: Option<PathBuf>,
}

/// The records of one test run N times: [`add`](Self::add) writes each
/// repeat's record as it ends, [`finish`](Self::finish) the summary.
pub struct RepeatRecords {
    dir: PathBuf,
    test: String,
    of: u32,
    runs: Vec<Run>,
    metrics: Vec<std::collections::BTreeMap<&'static str, f64>>,
    last: Value,
}

impl RepeatRecords {
    /// Start the records of `test`, to be run `of` times, under `dir`
    /// (clearing what an earlier run of it left there).
    pub fn start(dir: &Path, test: &str, of: u32) -> Self {
        clear(dir, test);
        RepeatRecords {
            dir: dir.to_path_buf(),
            test: test.to_string(),
            of,
            runs: Vec::new(),
            metrics: Vec::new(),
            last: Value::Null,
        }
    }

    /// Where the repeats' records go.
    pub fn repeats_dir(&self) -> PathBuf {
        self.dir.join(kept_rel("repeats", &self.test))
    }

    /// Keep the next repeat's `record` (a full record with `"result"`;
    /// `reason` is why it failed, None when it passed): adds its
    /// `"repeat"` block and writes it; returns where, or None when it
    /// could not be written (said on stderr).
    pub fn add(&mut self, mut record: Value, reason: Option<&str>) -> Option<PathBuf> {
        let i = self.runs.len() + 1;
        record["repeat"] = json!({"index": i, "of": self.of});
        self.metrics.push(extract(&record));
        let rel = kept_rel("repeats", &self.test).join(format!("{i}.json"));
        let path = write_json(&self.dir.join(&rel), &record);
        self.runs.push(Run {
            passed: reason.is_none(),
            reason: reason.map(str::to_string),
            record: path.as_ref().map(|_| rel),
        });
        self.last = record;
        path
    }

    /// Repeats kept so far.
    pub fn count(&self) -> usize {
        self.runs.len()
    }

    /// Repeats that passed.
    pub fn passed(&self) -> usize {
        self.runs.iter().filter(|r| r.passed).count()
    }

    /// Why each failed repeat failed: (its 1-based index, the reason).
    pub fn failures(&self) -> impl Iterator<Item = (usize, &str)> {
        self.runs
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some((i + 1, r.reason.as_deref()?)))
    }

    /// Each metric's spread over the repeats so far.
    pub fn spreads(&self) -> Vec<Spread> {
        spread(&self.metrics)
    }

    /// Write the summary record `<dir>/<test>.json`: the last repeat's
    /// record without its outcome (the repeats have theirs), with the
    /// overall result (`reason`: why the test failed, None when it passed)
    /// and a `"repeats"` block listing every repeat's record and the
    /// spreads. Returns its path, or None when nothing could be written —
    /// or nothing ran (interrupted before the first repeat ended): a
    /// summary of zero repeats would be a record of nothing.
    pub fn finish(self, reason: Option<&str>) -> Option<PathBuf> {
        if self.runs.is_empty() {
            return None;
        }
        let spreads = self.spreads();
        let mut summary = self.last;
        if let Some(o) = summary.as_object_mut() {
            for k in ["outcome", "faults", "elapsed_ns", "vm", "repeat"] {
                o.remove(k);
            }
        }
        summary["result"] = json!(if reason.is_some() { "failed" } else { "passed" });
        summary["reason"] = json!(reason);
        let runs: Vec<Value> = self
            .runs
            .iter()
            .enumerate()
            .map(|(i, r)| {
                json!({
                    "index": i + 1,
                    "result": if r.passed { "passed" } else { "failed" },
                    "reason": r.reason,
                    "record": r.record,
                })
            })
            .collect();
        summary["repeats"] = json!({
            "count": runs.len(),
            "passed": runs.iter().filter(|r| r["result"] == "passed").count(),
            "runs": runs,
            "spread": spreads,
        });
        let path = self.dir.join(format!("{}.json", file_stem(&self.test)));
        write_json(&path, &summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(rate_units: u64) -> Value {
        json!({"test": "t", "binary": "b", "result": "passed", "outcome": {"groups": [
            {"name": "g", "reports": [{"work_units": rate_units, "wall_time_ns": 1_000_000_000u64}]}
        ]}})
    }

    #[test]
    fn repeats_are_kept_whole_and_listed_by_the_summary() {
        let dir = std::env::temp_dir().join(format!("ktstr-kept-{}", std::process::id()));
        let stale = dir.join("repeats/a__t/9.json");
        std::fs::create_dir_all(stale.parent().unwrap()).unwrap();
        std::fs::write(&stale, "{}").unwrap();
        let mut r = RepeatRecords::start(&dir, "a::t", 2);
        assert!(!stale.exists(), "a previous run's repeats are removed");
        r.add(rec(100), None).unwrap();
        r.add(rec(50), Some("too slow")).unwrap();
        assert_eq!((r.count(), r.passed()), (2, 1));
        assert_eq!(r.failures().collect::<Vec<_>>(), vec![(2, "too slow")]);
        let sum = r.finish(Some("passed 1/2")).unwrap();
        let v: Value = serde_json::from_slice(&std::fs::read(sum).unwrap()).unwrap();
        assert_eq!(v["result"], "failed");
        assert!(v.get("outcome").is_none(), "the repeats hold the outcomes");
        assert_eq!(v["repeats"]["runs"][1]["record"], "repeats/a__t/2.json");
        let two: Value =
            serde_json::from_slice(&std::fs::read(dir.join("repeats/a__t/2.json")).unwrap())
                .unwrap();
        assert_eq!(two["repeat"], json!({"index": 2, "of": 2}));
        assert_eq!(two["outcome"]["groups"][0]["reports"][0]["work_units"], 50);
        assert_eq!(RepeatRecords::start(&dir, "a::none", 3).finish(None), None);
        assert!(
            !dir.join("a__none.json").exists(),
            "no summary of zero repeats"
        );
        let rel = write_attempt(&dir, "a::t", 1, 3, rec(1)).unwrap();
        assert!(dir.join(&rel).is_file());
        clear(&dir, "a::t");
        assert!(!dir.join("repeats/a__t").exists() && !dir.join("attempts/a__t").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
