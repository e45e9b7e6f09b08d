//! Comparing two runs: `ktstr compare A B` matches the JSON records of two
//! runs by test, and judges each metric's change against a threshold and a
//! noise estimate from repeats.
//!
//! A metric's change is "within noise" when its size is at most the
//! larger of the threshold (default 10 %) and twice the noise of the
//! difference, where the noise of a side with repeats is the coefficient
//! of variation of its values and the two sides' noises add in quadrature.
//! Otherwise it is better or worse by the metric's declared
//! [`Direction`]; metrics without a direction are shown as "changed" and
//! never judged. A test that passed in A and failed in B is a regression.

mod judge;
mod load;
mod metrics;
mod spread;

pub use judge::{compare, Comparison, MetricChange, TestChange, Verdict};
pub use load::{load, read_record, TestRun, RECORD_FORMAT};
pub use metrics::{extract, metric_def, Direction, MetricDef, METRICS};
pub use spread::{spread, Spread};

use std::path::PathBuf;

/// Why records could not be compared.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// A path could not be read.
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file is not a usable ktstr record.
    #[error("{} is not a usable ktstr record: {why}", .path.display())]
    NotARecord {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// A directory holds no records.
    #[error("no ktstr records (*.json with a \"test\" field) under {}: pass a record file or the directory a run wrote (target/ktstr/...)", .0.display())]
    Empty(PathBuf),
}
