//! `CpuSet`: a set of CPU ids, parsed from and printed as the kernel's
//! cpu-list syntax (`0-3,8,10-11`), as used by `cpuset.cpus`,
//! `/sys/devices/system/cpu/online` and `taskset -c`.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// A set of CPU ids (or NUMA node ids: the syntax is the same).
///
/// Printing uses the compact range form: `{0,1,2,3,8}` prints as `0-3,8`;
/// the empty set prints as the empty string.
#[derive(
    Clone,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(into = "String", try_from = "String")]
pub struct CpuSet(BTreeSet<usize>);

/// A cpu-list string that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid cpu list {input:?}: {reason}")]
pub struct ParseCpuSetError {
    /// The text that was parsed.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

impl CpuSet {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The CPUs online on this host (`/sys/devices/system/cpu/online`).
    pub fn online() -> CpuSet {
        crate::sys::sched::online_cpus().clone()
    }

    /// Whether `cpu` is in the set.
    pub fn contains(&self, cpu: usize) -> bool {
        self.0.contains(&cpu)
    }

    /// Add `cpu`; returns whether it was new.
    pub fn insert(&mut self, cpu: usize) -> bool {
        self.0.insert(cpu)
    }

    /// Number of CPUs in the set.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The CPUs in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().copied()
    }

    /// The highest CPU id, if any.
    pub fn max(&self) -> Option<usize> {
        self.0.last().copied()
    }

    /// The lowest CPU id, if any.
    pub fn first(&self) -> Option<usize> {
        self.0.first().copied()
    }

    /// The highest CPU id, if any (the same as [`CpuSet::max`], without
    /// the clash with `Ord::max` on an owned set).
    pub fn last(&self) -> Option<usize> {
        self.0.last().copied()
    }

    /// Whether every CPU of `self` is in `other`.
    pub fn is_subset(&self, other: &CpuSet) -> bool {
        self.0.is_subset(&other.0)
    }

    /// The CPUs of `self` that are not in `other`.
    pub fn difference(&self, other: &CpuSet) -> CpuSet {
        CpuSet(self.0.difference(&other.0).copied().collect())
    }

    /// The CPUs in both sets.
    pub fn intersection(&self, other: &CpuSet) -> CpuSet {
        CpuSet(self.0.intersection(&other.0).copied().collect())
    }

    /// The CPUs in either set.
    pub fn union(&self, other: &CpuSet) -> CpuSet {
        CpuSet(self.0.union(&other.0).copied().collect())
    }

    /// Whether the two sets share no CPU.
    pub fn is_disjoint(&self, other: &CpuSet) -> bool {
        self.0.is_disjoint(&other.0)
    }
}

impl Extend<usize> for CpuSet {
    fn extend<I: IntoIterator<Item = usize>>(&mut self, iter: I) {
        self.0.extend(iter)
    }
}

impl FromIterator<usize> for CpuSet {
    fn from_iter<I: IntoIterator<Item = usize>>(iter: I) -> Self {
        CpuSet(iter.into_iter().collect())
    }
}

impl<const N: usize> From<[usize; N]> for CpuSet {
    fn from(cpus: [usize; N]) -> Self {
        cpus.into_iter().collect()
    }
}

impl fmt::Display for CpuSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut iter = self.0.iter().copied().peekable();
        while let Some(lo) = iter.next() {
            let mut hi = lo;
            while iter.peek() == Some(&(hi + 1)) {
                hi += 1;
                iter.next();
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            if hi == lo {
                write!(f, "{lo}")?;
            } else {
                write!(f, "{lo}-{hi}")?;
            }
        }
        Ok(())
    }
}

/// Largest CPU id the parser accepts; guards against `0-4000000000`
/// allocating a set of billions of entries.
pub const MAX_CPU_ID: usize = 65_535;

impl FromStr for CpuSet {
    type Err = ParseCpuSetError;

    /// Parse `0-3,8,10-11`. Whitespace around the whole string (a trailing
    /// newline from sysfs) is ignored; the empty string is the empty set.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: String| ParseCpuSetError {
            input: s.to_string(),
            reason,
        };
        let mut set = BTreeSet::new();
        let body = s.trim();
        if body.is_empty() {
            return Ok(CpuSet(set));
        }
        for part in body.split(',') {
            let num = |t: &str| -> Result<usize, ParseCpuSetError> {
                let v: usize = t
                    .parse()
                    .map_err(|_| err(format!("{t:?} is not a CPU number")))?;
                if v > MAX_CPU_ID {
                    return Err(err(format!("CPU {v} is above the limit {MAX_CPU_ID}")));
                }
                Ok(v)
            };
            match part.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (num(a)?, num(b)?);
                    if a > b {
                        return Err(err(format!("range {a}-{b} runs backwards")));
                    }
                    set.extend(a..=b);
                }
                None => {
                    set.insert(num(part)?);
                }
            }
        }
        Ok(CpuSet(set))
    }
}

impl From<CpuSet> for String {
    fn from(c: CpuSet) -> String {
        c.to_string()
    }
}

impl TryFrom<String> for CpuSet {
    type Error = ParseCpuSetError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_compact_ranges() {
        let s: CpuSet = [0, 1, 2, 3, 8, 10, 11].into();
        assert_eq!(s.to_string(), "0-3,8,10-11");
        assert_eq!(CpuSet::new().to_string(), "");
    }

    #[test]
    fn parses_what_it_prints() {
        for text in ["0", "0-3,8,10-11", "1,3,5", "", "0-65535"] {
            let s: CpuSet = text.parse().unwrap();
            assert_eq!(s.to_string(), text);
        }
        assert_eq!("0-2\n".parse::<CpuSet>().unwrap().len(), 3);
    }

    #[test]
    fn rejects_malformed_lists() {
        for bad in ["a", "3-1", "1,,2", "-1", "1-", "0-70000", "1 2"] {
            let e = bad.parse::<CpuSet>().unwrap_err();
            assert!(e.to_string().contains(bad), "{e}");
        }
    }
}
