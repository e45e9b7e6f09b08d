//! Statistics over samples: percentiles, mean, coefficient of variation.
//! The one implementation the engine, the checks and the CLI all use.

/// Nearest-rank percentile of an ascending-sorted slice: the value at
/// index `ceil(n * p / 100) - 1` (p in 0..=100). None for an empty slice.
pub fn percentile_sorted(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let p = p.clamp(0.0, 100.0);
    let rank = ((sorted.len() as f64) * p / 100.0).ceil() as usize;
    Some(sorted[rank.saturating_sub(1).min(sorted.len() - 1)])
}

/// Arithmetic mean; None for no values.
pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Coefficient of variation (population standard deviation / mean); None
/// for no values or a zero mean.
pub fn cv(values: &[f64]) -> Option<f64> {
    let m = mean(values)?;
    if m == 0.0 {
        return None;
    }
    let var = values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / values.len() as f64;
    Some(var.sqrt() / m)
}

/// Latency percentiles of a sample set, in ns.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Percentiles {
    /// Number of samples.
    pub count: usize,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Largest sample.
    pub max: u64,
}

impl Percentiles {
    /// Percentiles of `samples` (any order); None when empty.
    pub fn of(samples: &[u64]) -> Option<Percentiles> {
        let mut v = samples.to_vec();
        v.sort_unstable();
        Some(Percentiles {
            count: v.len(),
            p50: percentile_sorted(&v, 50.0)?,
            p90: percentile_sorted(&v, 90.0)?,
            p99: percentile_sorted(&v, 99.0)?,
            max: *v.last()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile_sorted(&v, 50.0), Some(50));
        assert_eq!(percentile_sorted(&v, 99.0), Some(99));
        assert_eq!(percentile_sorted(&v, 100.0), Some(100));
        assert_eq!(percentile_sorted(&v, 0.0), Some(1));
        assert_eq!(percentile_sorted(&[7], 99.0), Some(7));
        assert_eq!(percentile_sorted(&[], 50.0), None);
    }

    #[test]
    fn mean_and_cv() {
        assert_eq!(mean(&[1.0, 3.0]), Some(2.0));
        assert_eq!(cv(&[2.0, 2.0]), Some(0.0));
        assert!((cv(&[1.0, 3.0]).unwrap() - 0.5).abs() < 1e-9);
        assert_eq!(cv(&[]), None);
        assert_eq!(cv(&[0.0]), None);
    }

    #[test]
    fn percentiles_of_unsorted() {
        let p = Percentiles::of(&[5, 1, 3, 2, 4]).unwrap();
        assert_eq!((p.p50, p.max, p.count), (3, 5, 5));
        assert!(Percentiles::of(&[]).is_none());
    }
}
