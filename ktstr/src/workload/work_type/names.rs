//! Names: [`WorkType::ALL_NAMES`], lookup by name, "did you mean", and the
//! catalogue `ktstr list` prints.

use super::WorkType;
use crate::workload::types;

impl WorkType {
    /// Every work type's name, in catalogue order.
    pub const ALL_NAMES: &'static [&'static str] = &types::NAMES;

    /// The type named `name` (exact, PascalCase) with default parameters.
    /// None for unknown names and for `Sequence` and `Custom`, which need
    /// arguments; [`WorkType::suggest`] gives the "did you mean".
    pub fn from_name(name: &str) -> Option<WorkType> {
        types::CATALOGUE
            .iter()
            .find(|e| e.name == name)
            .and_then(|e| e.default)
            .map(|make| make())
    }

    /// The canonical name closest to `name`, for "did you mean" messages:
    /// an exact case-insensitive match, else the name with the smallest edit
    /// distance if it is close (at most a third of the name's length).
    pub fn suggest(name: &str) -> Option<&'static str> {
        let lower = name.trim().to_ascii_lowercase();
        if let Some(n) = Self::ALL_NAMES
            .iter()
            .find(|n| n.to_ascii_lowercase() == lower)
        {
            return Some(n);
        }
        Self::ALL_NAMES
            .iter()
            .map(|n| (edit_distance(&lower, &n.to_ascii_lowercase()), *n))
            .filter(|(d, n)| *d <= (n.len() / 3).max(1))
            .min_by_key(|(d, _)| *d)
            .map(|(_, n)| n)
    }

    /// The catalogue: (name, group size, what it stresses, buildable from
    /// its name alone).
    pub fn catalogue() -> impl Iterator<Item = (&'static str, &'static str, &'static str, bool)> {
        types::CATALOGUE
            .iter()
            .map(|e| (e.name, e.group, e.about, e.default.is_some()))
    }
}

/// Levenshtein distance (small strings only).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
