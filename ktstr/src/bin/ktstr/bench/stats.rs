//! [`Summary`]: the median, minimum and maximum of repeated measurements,
//! and the number formatting the tables share.

use serde::Serialize;

/// Median, minimum and maximum of a non-empty list of samples (the samples
/// are kept for the JSON output).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct Summary {
    /// The middle sample (the mean of the two middle ones for an even count).
    pub median: f64,
    /// The smallest sample.
    pub min: f64,
    /// The largest sample.
    pub max: f64,
    /// Every sample, in the order measured.
    pub samples: Vec<f64>,
}

impl Summary {
    /// Summarise `samples`; None when there are none.
    pub(crate) fn of(samples: Vec<f64>) -> Option<Summary> {
        let mut sorted = samples.clone();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = match n {
            0 => return None,
            _ if n % 2 == 1 => sorted[n / 2],
            _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        };
        Some(Summary {
            median,
            min: sorted[0],
            max: sorted[n - 1],
            samples,
        })
    }

    /// `median (min-max)`, or just the median for a single sample.
    pub(crate) fn cell(&self) -> String {
        if self.samples.len() < 2 {
            num(self.median)
        } else {
            format!("{} ({}-{})", num(self.median), num(self.min), num(self.max))
        }
    }
}

/// A table cell for an optional summary: `-` when there is none.
pub(crate) fn cell(s: &Option<Summary>) -> String {
    s.as_ref().map_or_else(|| "-".to_string(), Summary::cell)
}

/// A number with three significant digits, or no decimals from 100 up
/// (no exponent).
pub(crate) fn num(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 || a == 0.0 || !a.is_finite() {
        return format!("{v:.0}");
    }
    let decimals = (2 - a.log10().floor() as i32).clamp(0, 9) as usize;
    format!("{v:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        let s = Summary::of(vec![3.0, 1.0, 2.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        assert_eq!(s.samples, vec![3.0, 1.0, 2.0]);
        let s = Summary::of(vec![4.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!(s.median, 2.5);
        assert!(Summary::of(Vec::new()).is_none());
    }

    #[test]
    fn cells_read_as_median_then_range() {
        assert_eq!(Summary::of(vec![1.5]).unwrap().cell(), "1.50");
        assert_eq!(
            Summary::of(vec![150.0, 12.34, 0.5]).unwrap().cell(),
            "12.3 (0.500-150)"
        );
        assert_eq!(cell(&None), "-");
        assert_eq!(num(0.0101), "0.0101");
        assert_eq!(num(1234.6), "1235");
        assert_eq!(num(0.0), "0");
    }
}
