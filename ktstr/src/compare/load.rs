//! Finding and reading the JSON records `ktstr compare` compares: a file,
//! or every record under a directory (recursively; several records of one
//! test are repeats of it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::CompareError;

/// The newest record format this build reads.
pub const RECORD_FORMAT: u64 = 1;

/// One record, reduced to what a comparison needs.
#[derive(Clone, Debug)]
pub struct TestRun {
    /// `binary/test`: how runs of the same test are matched.
    pub key: String,
    /// "passed" or "failed".
    pub result: String,
    /// The ktstr version that wrote it, when the record says.
    pub version: Option<String>,
    /// Its metrics (see [`super::METRICS`]).
    pub metrics: BTreeMap<&'static str, f64>,
    /// Where it was read from.
    pub path: PathBuf,
}

fn read_json(path: &Path) -> Result<Value, CompareError> {
    let bytes = std::fs::read(path).map_err(|source| CompareError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|e| CompareError::NotARecord {
        path: path.to_path_buf(),
        why: format!("not valid JSON ({e}); truncated or not a ktstr record"),
    })
}

/// The repeat records a `--repeat` summary record at `path` lists
/// (`repeats.runs[].record`, relative to the summary's directory); None
/// for any other record.
fn repeats_of(path: &Path, v: &Value) -> Option<Vec<PathBuf>> {
    let runs = v.pointer("/repeats/runs")?.as_array()?;
    let dir = path.parent().unwrap_or(Path::new("."));
    Some(
        runs.iter()
            .filter_map(|r| r.get("record")?.as_str().map(|p| dir.join(p)))
            .collect(),
    )
}

/// Check that a `--repeat` summary at `path` lists at least one repeat
/// (zero repeats: nothing to compare) and that each is still there (not
/// moved or deleted after the run).
fn check_repeats(path: &Path, files: &[PathBuf]) -> Result<(), CompareError> {
    let bad = |why: String| {
        Err(CompareError::NotARecord {
            path: path.to_path_buf(),
            why,
        })
    };
    if files.is_empty() {
        return bad(
            "a --repeat summary that lists no repeat (zero repeats ran): nothing to compare".into(),
        );
    }
    match files.iter().find(|f| !f.is_file()) {
        Some(f) => bad(format!(
            "a --repeat summary whose repeat {} is missing: keep the repeats/ directory beside the summary",
            f.display()
        )),
        None => Ok(()),
    }
}

/// Read one record file.
pub fn read_record(path: &Path) -> Result<TestRun, CompareError> {
    let v = read_json(path)?;
    record_of(path, &v)
}

fn record_of(path: &Path, v: &Value) -> Result<TestRun, CompareError> {
    let field = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let (Some(test), Some(binary), Some(result)) =
        (field("test"), field("binary"), field("result"))
    else {
        return Err(CompareError::NotARecord {
            path: path.to_path_buf(),
            why: "JSON without the \"test\", \"binary\" and \"result\" fields of a ktstr record"
                .into(),
        });
    };
    let format = v.get("format").and_then(Value::as_u64).unwrap_or(1);
    if format > RECORD_FORMAT {
        return Err(CompareError::NotARecord {
            path: path.to_path_buf(),
            why: format!(
                "record format {format} is newer than this ktstr reads ({RECORD_FORMAT}): use a newer ktstr"
            ),
        });
    }
    Ok(TestRun {
        key: format!("{binary}/{test}"),
        result,
        version: field("ktstr_version"),
        metrics: super::metrics::extract(v),
        path: path.to_path_buf(),
    })
}

/// Every record at `path`: the file itself, or each `*.json` under the
/// directory. A file under a directory that is JSON but not a record is
/// skipped; one that is a broken record is an error. The summary record
/// of a `--repeat` run stands for its repeats: given as the file, its
/// repeats are read; under a directory it is skipped (the repeats are
/// under the same directory). So is, under a directory, the kept record
/// of a failed retry attempt (an `"attempt"` block): the test's own record
/// stands for the test.
pub fn load(path: &Path) -> Result<Vec<TestRun>, CompareError> {
    let meta = std::fs::metadata(path).map_err(|source| CompareError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_file() {
        let v = read_json(path)?;
        return match repeats_of(path, &v) {
            Some(files) => {
                check_repeats(path, &files)?;
                files.iter().map(|f| read_record(f)).collect()
            }
            None => Ok(vec![record_of(path, &v)?]),
        };
    }
    let mut files = Vec::new();
    walk(path, &mut files)?;
    files.sort();
    let mut runs = Vec::new();
    for f in files {
        let v = read_json(&f)?;
        if let Some(files) = repeats_of(&f, &v) {
            // Its repeats are read where the walk finds them; one that
            // lists none, or lists one that is gone, is said here.
            check_repeats(&f, &files)?;
            continue;
        }
        if v.get("attempt").is_some() {
            continue;
        }
        match record_of(&f, &v) {
            Ok(r) => runs.push(r),
            Err(CompareError::NotARecord { why, .. }) if why.starts_with("JSON without") => {}
            Err(e) => return Err(e),
        }
    }
    if runs.is_empty() {
        return Err(CompareError::Empty(path.to_path_buf()));
    }
    Ok(runs)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CompareError> {
    let entries = std::fs::read_dir(dir).map_err(|source| CompareError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(test: &str, result: &str) -> Value {
        serde_json::json!({"test": test, "binary": "b", "result": result, "outcome": null})
    }

    #[test]
    fn a_repeat_summary_stands_for_its_repeats() {
        let dir = std::env::temp_dir().join(format!("ktstr-load-{}", std::process::id()));
        let reps = dir.join("repeats").join("t");
        std::fs::create_dir_all(&reps).unwrap();
        for (i, r) in [(1, "passed"), (2, "failed")] {
            let v = record("t", r);
            std::fs::write(reps.join(format!("{i}.json")), v.to_string()).unwrap();
        }
        let mut summary = record("t", "failed");
        summary["repeats"] = serde_json::json!({"runs": [
            {"record": "repeats/t/1.json"}, {"record": "repeats/t/2.json"}]});
        std::fs::write(dir.join("t.json"), summary.to_string()).unwrap();
        let results = |runs: Vec<TestRun>| {
            let mut r: Vec<String> = runs.into_iter().map(|r| r.result).collect();
            r.sort();
            r
        };
        let want = vec!["failed".to_string(), "passed".to_string()];
        assert_eq!(
            results(load(&dir).unwrap()),
            want,
            "directory: summary skipped"
        );
        assert_eq!(
            results(load(&dir.join("t.json")).unwrap()),
            want,
            "file: its repeats"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_retry_attempt_does_not_count_as_a_run_of_its_test() {
        let dir = std::env::temp_dir().join(format!("ktstr-load-att-{}", std::process::id()));
        let att = dir.join("attempts").join("t");
        std::fs::create_dir_all(&att).unwrap();
        let mut failed = record("t", "failed");
        failed["attempt"] = serde_json::json!({"index": 1, "of": 3});
        std::fs::write(att.join("1.json"), failed.to_string()).unwrap();
        std::fs::write(dir.join("t.json"), record("t", "flaky").to_string()).unwrap();
        let runs = load(&dir).unwrap();
        assert_eq!(runs.len(), 1, "{runs:?}");
        assert_eq!(runs[0].result, "flaky");
        assert_eq!(load(&att.join("1.json")).unwrap()[0].result, "failed");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_summary_of_zero_or_missing_repeats_is_refused() {
        let dir = std::env::temp_dir().join(format!("ktstr-load-zero-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut zero = record("t", "passed");
        zero["repeats"] = serde_json::json!({"count": 0, "runs": []});
        std::fs::write(dir.join("t.json"), zero.to_string()).unwrap();
        for p in [dir.join("t.json"), dir.clone()] {
            let e = load(&p).unwrap_err().to_string();
            assert!(e.contains("lists no repeat (zero repeats ran)"), "{e}");
        }
        let mut gone = record("t", "passed");
        gone["repeats"] = serde_json::json!({"runs": [{"record": "repeats/t/1.json"}]});
        std::fs::write(dir.join("t.json"), gone.to_string()).unwrap();
        let e = load(&dir).unwrap_err().to_string();
        assert!(e.contains("repeats/t/1.json is missing"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
