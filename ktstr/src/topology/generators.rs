//! Cpuset generators: carve a [`TestTopology`] into cpusets for cgroups.
//!
//! `split` and `overlapping` work over [`TestTopology::usable_cpus`] in CPU
//! order; `llc_aligned` and `numa_aligned` return whole LLCs and nodes.

use super::{TestTopology, TopologyError};
use crate::cpuset::CpuSet;

fn partition_error(reason: String) -> TopologyError {
    TopologyError::Partition { reason }
}

impl TestTopology {
    /// Check a request for share `index` of `of` over `len` CPUs.
    fn check_share(index: usize, of: usize, len: usize) -> Result<usize, TopologyError> {
        if of == 0 {
            return Err(partition_error(
                "the share count (of) must be at least 1, got 0".into(),
            ));
        }
        if index >= of {
            return Err(partition_error(format!(
                "share index {index} is out of range for {of} share(s) (0..{of})"
            )));
        }
        if len < of {
            return Err(partition_error(format!(
                "{of} shares need at least {of} usable CPUs, the topology has {len}"
            )));
        }
        Ok(len / of)
    }

    /// Share `index` of `of` disjoint shares of the usable CPUs: a run of
    /// `usable / of` CPUs in CPU order, the last share taking the remainder.
    ///
    /// Errors: `of == 0`, `index >= of`, fewer usable CPUs than shares.
    pub fn disjoint_share(&self, index: usize, of: usize) -> Result<CpuSet, TopologyError> {
        let usable: Vec<usize> = self.usable_cpus().iter().collect();
        let chunk = Self::check_share(index, of, usable.len())?;
        let end = if index + 1 == of {
            usable.len()
        } else {
            (index + 1) * chunk
        };
        Ok(usable[index * chunk..end].iter().copied().collect())
    }

    /// `n` disjoint cpusets covering the usable CPUs
    /// (`disjoint_share(i, n)` for each `i`).
    pub fn split(&self, n: usize) -> Result<Vec<CpuSet>, TopologyError> {
        if n == 0 {
            return Err(partition_error(
                "the share count must be at least 1, got 0".into(),
            ));
        }
        (0..n).map(|i| self.disjoint_share(i, n)).collect()
    }

    /// Share `index` of `of` overlapping shares of the usable CPUs: the
    /// disjoint share widened by `ceil(chunk * frac)` CPUs on each side
    /// (`chunk = usable / of`), clipped to the usable CPUs. `frac == 0`
    /// gives the disjoint share; any `frac > 0` makes neighbours overlap.
    ///
    /// Errors: as [`disjoint_share`](Self::disjoint_share), plus a `frac`
    /// that is not a number within `0.0..=1.0`.
    pub fn overlapping_share(
        &self,
        index: usize,
        of: usize,
        frac: f64,
    ) -> Result<CpuSet, TopologyError> {
        if !(0.0..=1.0).contains(&frac) {
            return Err(partition_error(format!(
                "the overlap fraction must be within 0.0..=1.0, got {frac}"
            )));
        }
        let usable: Vec<usize> = self.usable_cpus().iter().collect();
        let len = usable.len();
        let chunk = Self::check_share(index, of, len)?;
        let ov = ((chunk as f64) * frac).ceil() as usize;
        let start = (index * chunk).saturating_sub(ov);
        let end = if index + 1 == of {
            len
        } else {
            ((index + 1) * chunk + ov).min(len)
        };
        Ok(usable[start..end].iter().copied().collect())
    }

    /// `n` cpusets over the usable CPUs in which neighbours overlap
    /// (`overlapping_share(i, n, frac)` for each `i`).
    pub fn overlapping(&self, n: usize, frac: f64) -> Result<Vec<CpuSet>, TopologyError> {
        if n == 0 {
            return Err(partition_error(
                "the share count must be at least 1, got 0".into(),
            ));
        }
        (0..n).map(|i| self.overlapping_share(i, n, frac)).collect()
    }

    /// The CPUs of LLC `index` (a position in [`llcs`](Self::llcs)).
    pub fn llc_aligned(&self, index: usize) -> Result<CpuSet, TopologyError> {
        self.llcs()
            .get(index)
            .map(|l| l.cpus().clone())
            .ok_or(TopologyError::LlcOutOfRange {
                index,
                count: self.num_llcs(),
            })
    }

    /// One cpuset per LLC, in LLC order: disjoint, covering every CPU.
    pub fn split_by_llc(&self) -> Vec<CpuSet> {
        self.llcs().iter().map(|l| l.cpus().clone()).collect()
    }

    /// The CPUs of NUMA node `node` (an id); empty for a memory-only node.
    pub fn numa_aligned(&self, node: usize) -> Result<CpuSet, TopologyError> {
        self.node(node)
            .map(|n| n.cpus().clone())
            .ok_or_else(|| TopologyError::UnknownNode {
                node,
                known: self.node_ids(),
            })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn topo(cpus: usize, llcs: usize, smt: bool, nodes: usize) -> TestTopology {
        TestTopology::synthetic(cpus, llcs, smt, nodes).unwrap()
    }

    fn s(text: &str) -> CpuSet {
        text.parse().unwrap()
    }

    #[test]
    fn topology_split_is_disjoint_and_covers_usable() {
        let t = topo(8, 2, false, 1);
        assert_eq!(t.usable_cpus(), s("0-6"));
        assert_eq!(t.split(2).unwrap(), vec![s("0-2"), s("3-6")]);
        assert_eq!(t.split(1).unwrap(), vec![s("0-6")]);
        let two = topo(2, 1, false, 1);
        assert_eq!(two.split(2).unwrap(), vec![s("0"), s("1")]);
    }

    #[test]
    fn topology_split_rejects_impossible_requests() {
        let t = topo(2, 1, false, 1);
        assert!(t.split(0).is_err());
        let e = t.split(3).unwrap_err();
        assert!(e.to_string().contains("3 shares need at least 3"), "{e}");
        let e = t.disjoint_share(2, 2).unwrap_err();
        assert!(e.to_string().contains("index 2"), "{e}");
    }

    #[test]
    fn topology_overlapping_shares_overlap() {
        let t = topo(9, 1, false, 1); // usable 0-7
        assert_eq!(t.overlapping(2, 0.0).unwrap(), vec![s("0-3"), s("4-7")]);
        assert_eq!(t.overlapping(2, 0.5).unwrap(), vec![s("0-5"), s("2-7")]);
        assert_eq!(t.overlapping(1, 1.0).unwrap(), vec![s("0-7")]);
        let two = topo(2, 1, false, 1);
        let sets = two.overlapping(2, 0.1).unwrap();
        assert!(!sets[0].is_disjoint(&sets[1]));
        assert!(t.overlapping(2, 1.5).is_err());
        assert!(t.overlapping(2, f64::NAN).is_err());
        assert!(t.overlapping(0, 0.5).is_err());
    }

    #[test]
    fn topology_llc_and_numa_alignment() {
        let t = topo(16, 4, true, 2);
        assert_eq!(t.llc_aligned(1).unwrap(), s("4-7"));
        assert_eq!(t.split_by_llc().len(), 4);
        let e = t.llc_aligned(4).unwrap_err();
        assert!(e.to_string().contains("4 LLC(s)"), "{e}");
        assert_eq!(t.numa_aligned(1).unwrap(), s("8-15"));
        let e = t.numa_aligned(2).unwrap_err();
        assert!(e.to_string().contains("node(s) 0-1"), "{e}");
    }

    #[test]
    fn topology_parses_and_checks_cpuset_strings() {
        let t = topo(8, 2, false, 1);
        assert_eq!(t.parse_cpuset("0-3,5").unwrap(), s("0-3,5"));
        assert_eq!(TestTopology::cpuset_string(&s("0-3,5,7")), "0-3,5,7");
        for bad in ["", "x", "3-1", "1,,2"] {
            assert!(t.parse_cpuset(bad).is_err(), "{bad:?}");
        }
        let e = t.parse_cpuset("6-9").unwrap_err();
        assert!(e.to_string().contains("CPU(s) 8-9 do not exist"), "{e}");
    }

    proptest! {
        #[test]
        fn topology_cpuset_print_parse_round_trip(cpus in proptest::collection::btree_set(0usize..2048, 0..200)) {
            let set: CpuSet = cpus.iter().copied().collect();
            let text = set.to_string();
            let back: CpuSet = text.parse().unwrap();
            prop_assert_eq!(&back, &set);
            // The printed form is canonical: parsing and printing again is stable.
            prop_assert_eq!(back.to_string(), text);
        }

        #[test]
        fn topology_cpuset_parser_never_panics(text in "[0-9,\\- a-z]{0,40}") {
            let _ = text.parse::<CpuSet>();
        }

        #[test]
        fn topology_cpuset_parser_accepts_unsorted_overlapping_lists(
            ranges in proptest::collection::vec((0usize..500, 0usize..20), 1..20)
        ) {
            let text: Vec<String> = ranges.iter().map(|(a, n)| format!("{a}-{}", a + n)).collect();
            let set: CpuSet = text.join(",").parse().unwrap();
            let want: CpuSet = ranges.iter().flat_map(|&(a, n)| a..=a + n).collect();
            prop_assert_eq!(set, want);
        }

        #[test]
        fn topology_shares_are_within_usable(cpus in 1usize..300, of in 1usize..8, frac in 0.0f64..=1.0) {
            let t = topo(cpus, 1, false, 1);
            let usable = t.usable_cpus();
            if usable.len() < of {
                prop_assert!(t.split(of).is_err());
            } else {
                let sets = t.split(of).unwrap();
                let union: CpuSet = sets.iter().flat_map(CpuSet::iter).collect();
                prop_assert_eq!(&union, &usable);
                prop_assert_eq!(sets.iter().map(CpuSet::len).sum::<usize>(), usable.len());
                for (i, set) in sets.iter().enumerate() {
                    let wide = t.overlapping_share(i, of, frac).unwrap();
                    prop_assert!(set.is_subset(&wide));
                    prop_assert!(wide.is_subset(&usable));
                }
            }
        }
    }
}
