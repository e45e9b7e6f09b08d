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

/// Read one record file.
pub fn read_record(path: &Path) -> Result<TestRun, CompareError> {
    let bytes = std::fs::read(path).map_err(|source| CompareError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| CompareError::NotARecord {
        path: path.to_path_buf(),
        why: format!("not valid JSON ({e}); truncated or not a ktstr record"),
    })?;
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
        metrics: super::metrics::extract(&v),
        path: path.to_path_buf(),
    })
}

/// Every record at `path`: the file itself, or each `*.json` under the
/// directory. A file under a directory that is JSON but not a record is
/// skipped; one that is a broken record is an error.
pub fn load(path: &Path) -> Result<Vec<TestRun>, CompareError> {
    let meta = std::fs::metadata(path).map_err(|source| CompareError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_file() {
        return Ok(vec![read_record(path)?]);
    }
    let mut files = Vec::new();
    walk(path, &mut files)?;
    files.sort();
    let mut runs = Vec::new();
    for f in files {
        match read_record(&f) {
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
