//! [`Spread`]: how much each metric varied over repeats of one test (or of
//! one `ktstr run` workload): mean, range and coefficient of variation.

use std::collections::BTreeMap;
use std::fmt;

use super::metrics::METRICS;
use crate::stats::{cv, mean};

/// One metric over repeats.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Spread {
    /// The metric's name (see [`METRICS`]).
    pub metric: &'static str,
    /// Its unit.
    pub unit: &'static str,
    /// How many repeats had it.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
    /// Coefficient of variation (standard deviation / mean); None with
    /// fewer than two values or a zero mean.
    pub cv: Option<f64>,
}

/// The spread of every metric present in at least one of `runs` (each the
/// [`super::extract`] of one repeat), in [`METRICS`] order. A metric a
/// repeat lacks is left out of that repeat, never counted as zero.
pub fn spread(runs: &[BTreeMap<&'static str, f64>]) -> Vec<Spread> {
    METRICS
        .iter()
        .filter_map(|def| {
            let values: Vec<f64> = runs
                .iter()
                .filter_map(|r| r.get(def.name).copied())
                .collect();
            Some(Spread {
                metric: def.name,
                unit: def.unit,
                n: values.len(),
                mean: mean(&values)?,
                min: values.iter().cloned().fold(f64::INFINITY, f64::min),
                max: values.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
                cv: if values.len() >= 2 { cv(&values) } else { None },
            })
        })
        .collect()
}

/// A value with three significant digits or so.
fn short(v: f64) -> String {
    if v != 0.0 && (v.abs() >= 1e5 || v.abs() < 1e-2) {
        format!("{v:.2e}")
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

impl fmt::Display for Spread {
    /// `work_rate 1.23e6 units/s ±2.1% (1.20e6..1.26e6, n=5)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.metric, short(self.mean), self.unit)?;
        if let Some(cv) = self.cv {
            write!(f, " ±{:.1}%", 100.0 * cv)?;
        }
        write!(
            f,
            " ({}..{}, n={})",
            short(self.min),
            short(self.max),
            self.n
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_over_repeats_skips_what_a_repeat_lacks() {
        let runs: Vec<BTreeMap<&'static str, f64>> = vec![
            [("work_rate", 90.0), ("max_gap", 4.0)].into(),
            [("work_rate", 110.0)].into(),
        ];
        let s = spread(&runs);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].metric, "work_rate");
        assert_eq!(
            (s[0].n, s[0].mean, s[0].min, s[0].max),
            (2, 100.0, 90.0, 110.0)
        );
        assert!((s[0].cv.unwrap() - 0.1).abs() < 1e-9, "{:?}", s[0].cv);
        assert_eq!((s[1].metric, s[1].n, s[1].cv), ("max_gap", 1, None));
        assert_eq!(
            s[0].to_string(),
            "work_rate 100 units/s ±10.0% (90.00..110, n=2)"
        );
        assert!(spread(&[]).is_empty());
    }
}
